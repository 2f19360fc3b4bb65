// Public API of the value model and the expression evaluator (src/engine/values, src/engine/expr).
//
// The session implements `FrameContext` for each frame it shows (or `undefined` frame = no frame,
// e.g. before `run`: globals are then read from the object files). Everything here is synchronous:
// memory comes from `TargetMemory` (Inferior.readMemorySync/writeMemorySync), registers from the
// maps the unwinder produced. Register writes are reported to the session through
// `FrameContext.setRegister`; the session applies them to the thread (asynchronously) afterwards.
//
// Errors the user can cause (unknown names, bad syntax, unreadable memory, ...) are thrown as
// `EvalError` with gdb's wording in `message`; nothing else escapes from `evaluate`, `assign`,
// `formatValue` (which renders problems inline as `<error: ...>` / `<optimized out>`), `children`,
// `locals`, `args`, `globals`.
//
// Typical use (docs/expressions.md has the whole story):
//   const store = new ValueStore();                      // one per debug session
//   const v = evaluate('global_shape.corners[1]', { frame, modules, store });
//   const idx = store.record(v);                         // gdb's `print`: fetches (errors surface here)
//   `$${idx} = ${formatValue(v, { throwErrors: true })}` // "$1 = {x = 3, y = 4}"
//   children(v, 'global_shape.corners[1]')               // [{ name: 'x', value, expression: 'global_shape.corners[1].x' }, ...]
//   assign(childValue, '42', { frame, modules, store })  // setVariable
//   locals(frame).map((nv) => formatVariable(nv))        // `info locals` lines

import type { SymbolFile } from '../../symbols';
import type { Type } from '../../symbols/types';
import { Value } from './value';
import { ValueStore } from './store';

// ---------------------------------------------------------------- what the session provides

/** Target memory. `read` throws EvalError/any Error whose message is gdb's
 * `Cannot access memory at address 0x...` when (part of) the range is unreadable. */
export interface TargetMemory {
  read(addr: number, len: number): Buffer;
  /** Absent for read-only targets (core files, no process): assignments then fail with
   * `Cannot access memory at address 0x...`. */
  write?(addr: number, data: Buffer): void;
  /**
   * The objects loaded in this address space (main executable first). Used for `<symbol+off>`
   * annotations of pointers and for global/type lookups when EvalContext.modules is absent.
   */
  modules?: ModuleSymbols[];
}

/** One loaded object with debug info (the executable, a shared library). */
export interface ModuleSymbols {
  symbolFile: SymbolFile;
  /** Runtime address minus link-time address (0 for a non-PIE executable). */
  loadBias: number;
}

/**
 * One frame of a stopped thread, as the session's unwinder produced it. All addresses are runtime
 * addresses; the implementation subtracts `module.loadBias` for DWARF lookups.
 */
export interface FrameContext {
  /** 0 = innermost. Register writes are only allowed where the session supports them (frame 0). */
  level: number;
  /** The frame's pc (return address for caller frames). */
  pc: number;
  /** pc used for scope/location-list lookups: pc - 1 for caller frames (unwind.ts Frame.lookupPc). */
  lookupPc: number;
  /** DWARF-numbered registers known in this frame (docs/unwinding.md numbering; rip = 16, rsp = 7). */
  regs: Map<number, bigint>;
  /** Raw bytes of wide registers (xmm0-15 = DWARF 17-32, st0-7 = 33-40) when known (frame 0). */
  regBytes?(reg: number): Buffer | undefined;
  /** Canonical frame address (DW_OP_call_frame_cfa). */
  cfa?: number;
  /** The module containing pc (undefined: no debug info for this frame). */
  module?: ModuleSymbols;
  /**
   * For a pc inside inlined code shown as several frames (gdb's inline frames): how many inlined
   * calls, innermost first, belong to frames below this one (0 or absent for the innermost).
   */
  inlineDepth?: number;
  /** The caller's frame (for DW_OP_entry_value: the registers at the call). */
  caller?: FrameContext;
  /**
   * The frame below (callee), for `$reg` in caller frames: like gdb, a register without an unwind
   * rule is taken as unchanged from the frame below.
   */
  callee?: FrameContext;
  memory: TargetMemory;
  /**
   * Records a register write in this frame (assignment to a register-located variable or to
   * `$rax`...). The implementation calls it once per write with the full new 64-bit value (for
   * partial registers the merged value), after updating `regs`/`regBytes` itself, so that later
   * reads in the same evaluation see the new value. Absent = registers are read-only here
   * (error `Cannot modify registers in this frame.` ... gdb words it per case).
   * Wide registers (xmm) are written with `setRegisterBytes`.
   */
  setRegister?(reg: number, value: bigint): void;
  setRegisterBytes?(reg: number, bytes: Buffer): void;
  /** Thread-local storage: address of offset `offset` in `module`'s TLS block for this thread. */
  tlsAddress?(module: ModuleSymbols, offset: bigint): bigint;
}

/** Where `evaluate` looks things up. */
export interface EvalContext {
  /** Selected frame; undefined = no frame (globals only; memory from `memory` or the files). */
  frame?: FrameContext;
  /** All modules with symbols, main executable first (global/type lookups beyond the frame's
   * module, e.g. shared libraries). Defaults to [frame.module]. */
  modules?: ModuleSymbols[];
  /** Memory when there is no frame (defaults to frame.memory; without either, globals are read
   * from the object files' initialised data, like gdb before `run`). */
  memory?: TargetMemory;
  /** Value history and convenience variables (one per debug session). */
  store?: ValueStore;
}

// ---------------------------------------------------------------- values

/** Where a value lives. */
export type ValueLocation =
  | { kind: 'memory'; address: number }
  /** Whole register or its low bytes (DW_OP_regN, `$eax`...). `frame` is where to write it. */
  | { kind: 'register'; reg: number; frame: FrameContext; byteOffset?: number }
  /** A value computed by the debugger (not an lvalue): literal, arithmetic result, DW_OP_stack_value. */
  | { kind: 'computed' }
  /** Several pieces (DW_OP_piece): readable, not assignable. */
  | { kind: 'composite' }
  | { kind: 'optimized-out' }
  /** A convenience variable `$foo` (assignable; assignment replaces its type and value). */
  | { kind: 'internalvar'; name: string };

export interface BitField {
  /** Offset in bits from the start of the containing storage (location.address), LSB numbering. */
  bitOffset: number;
  bitSize: number;
}

/**
 * A value: its type, where it lives, and its bytes (fetched lazily from memory/registers on first
 * use, then cached; `fetch()` snapshots them, as gdb does for value history). Members:
 *   type: Type; location: ValueLocation; bitField?: BitField;
 *   address: number | undefined          (memory-located values)
 *   isLvalue: boolean                    (memory, register, internalvar; not bit-exact composites)
 *   optimizedOut: boolean
 *   bytes(): Buffer                      (throws EvalError: memory error / `value has been optimized out`)
 *   fetch(): this
 *   static fromBigInt(type, v) / fromNumber(type, v) / fromBytes(type, buf)  (computed values)
 *   asBigInt(): bigint / asNumber(): number (scalars, by the type's signedness/encoding)
 */
export { Value };
/** Value history (`$1`, `$`, `$$2`) and convenience variables (`$foo`, `$_exitcode`): one per
 * session. `record(v)` fetches v and returns its history number; `setConvenience(name, v)` lets the
 * session publish `$_exitcode`, `$_siginfo`, `$_` ... */
export { ValueStore };

// ---------------------------------------------------------------- formatting

export type FormatLetter = 'natural' | 'hex' | 'decimal' | 'unsigned' | 'octal' | 'binary' | 'char' | 'address' | 'zero-hex' | 'float';

export interface FormatOptions {
  /** gdb's /x, /d, /u, /o, /t, /c, /a, /z, /f; default natural. */
  format?: FormatLetter;
  /** `set print elements` (default 200): elements of arrays and characters of strings. */
  printElements?: number;
  /** `set print repeats` (default 10): runs longer than this print as `<repeats N times>`. */
  repeats?: number;
  /** Nesting depth limit (`set print max-depth`, default 20): deeper aggregates print as `{...}`. */
  maxDepth?: number;
  /** Modules for `<symbol>` annotations (default: the value's memory's `modules`). */
  modules?: ModuleSymbols[];
  /** `set print symbol` (default on): `<symbol+off>` after pointers into static storage and code. */
  symbolPrint?: boolean;
  /** Target character set for strings and characters (gdb's `set charset`); default from the
   * locale like gdb (LC_ALL / LC_CTYPE / LANG naming UTF-8 → 'utf-8', else 'ascii'). */
  charset?: 'utf-8' | 'ascii';
  /** `set print pretty on`: multi-line structs. Default off. */
  pretty?: boolean;
  /**
   * Throw EvalError when the value itself cannot be printed (`print/a main`: "Value can't be
   * converted to integer.", an unreadable top-level value), as gdb's `print` errors, instead of
   * rendering `<error: ...>`. Problems inside aggregates stay inline either way.
   */
  throwErrors?: boolean;
  /** Top-level pointer to struct: prefix `(struct shape *) ` as `print` does. Default true. */
  topLevelPointerType?: boolean;
}

export { formatValue, formatVariable } from './format';

/** One child of an expandable value (DAP variables pane, MI -var-list-children). */
export interface ValueChild {
  /** Display name: member name, `[3]`, `*p`, `<geo::Shape>` for a base class. */
  name: string;
  value: Value;
  /** An expression that evaluates to this child (DAP evaluateName, MI path expression). */
  expression: string;
  /** Element index (arrays). */
  index?: number;
  /** member, array element, base-class subobject, `*p`, anonymous struct/union member, C++ static member. */
  kind: 'member' | 'element' | 'base' | 'pointee' | 'anonymous' | 'static';
  /** C++ access of a member or static member (gdb's varobj groups them under public/private/protected). */
  access?: 'public' | 'private' | 'protected';
  /** Static members: number of non-static members declared before it (gdb's field order). */
  position?: number;
}

export interface ChildrenOptions {
  /** Paging of array elements. */
  start?: number;
  count?: number;
  /** Display name of the value being expanded (default: its expression); a pointer's single
   * child is named `*name`, as gdb's varobj names it. */
  name?: string;
}

/**
 * children(value, expression, opts?): the children of `value`, whose own expression is `expression`
 *   (used to build each child's `expression`), as gdb's varobj lists them: base classes first (named
 *   by their type, e.g. `geo::Shape`), then members (anonymous struct/union members as
 *   `<anonymous union>`), then C++ static members; array elements `[i]` (paged with start/count);
 *   for a pointer to a struct, the struct's members (`p->x`); for another pointer, one child `*p`
 *   (none for void * and function pointers); for a reference, the referenced object's children.
 *   Never throws: unreadable children are returned and render as `<error: ...>`.
 * childCount(value): number of children (array length, members...), 0 for scalars.
 * hasChildren(value): childCount(value) > 0 (DAP variablesReference != 0).
 */
export { children, childCount, hasChildren } from './children';

// ---------------------------------------------------------------- variables of a frame

export interface NamedValue {
  name: string;
  value: Value;
  /** Declaration line, when known. */
  line?: number;
  /** Hidden by a variable of the same name in an inner block (gdb still lists it in `info locals`). */
  shadowed?: boolean;
  /** A compile-time constant (DW_AT_const_value): no storage, cannot be assigned. */
  constant?: boolean;
  /** A local of a nested lexical block, not of the function's outermost block (gdb's -stack-list-variables lists those before the arguments). */
  nested?: boolean;
  /** args(frame, { entryValues }): this entry is the previous parameter's value on entry (`x@entry`). */
  entry?: boolean;
  /** args(frame, { entryValues }): the parameter's entry value (the next entry) equals its current value. */
  entryEqual?: boolean;
}

/**
 * locals(frame, { includeConstants? }): the frame's local variables as `info locals` lists them:
 *   innermost lexical block first (gdb's hashed order within a nested block, declaration order at
 *   function level), then enclosing blocks up to the function (statics included); inlined-function
 *   scopes end at their inlined_subroutine; variables whose value is a constant byte block in the
 *   debug info (gdb's LOC_CONST_BYTES, e.g. a folded float) only with includeConstants (gdb omits
 *   them). Values are lazy (reading them may fail; formatValue/formatVariable show it).
 *   formatVariable(nv) gives gdb's `info locals` line `name = value`.
 * args(frame): the function's parameters in declaration order (`info args`).
 * globals(module, ctx): CU-level variables (globals and file statics) of a module.
 * frameHasSymbols(frame): false when the frame's pc has no debug info (`info locals` then says
 *   "No symbol table info available.").
 * lookupVariable(name, ctx): what an identifier in an expression resolves to (innermost local,
 *   argument, `this` member in C++ methods, file static of the frame's CU, global of any module).
 */
export { locals, args, globals, lookupVariable, frameHasSymbols } from './variables';

// ---------------------------------------------------------------- expressions

export interface EvaluateOptions {
  /** Evaluate without side effects (gdb's `whatis`/`ptype`/`sizeof`: assignments are not performed,
   * memory is not read unless needed for the type). */
  noSideEffects?: boolean;
}

/**
 * evaluate(expression, ctx, options?): Value — throws EvalError with gdb's message.
 * assign(target, source, ctx): Value — `target = source` (source: expression text or a Value),
 *   writing memory/registers (registers via frame.setRegister) or a convenience variable; returns
 *   the new value of target. Throws EvalError (`Left operand of assignment is not an lvalue.`,
 *   `Cannot access memory at address 0x...`, syntax errors...).
 * parseFormatSuffix('x,h') → { expression: 'x', format: 'hex' } (watch-pane suffixes ,x ,h ,d ,o ,b ,t ,c ,u ,a ,z ,f).
 * typeOfExpression(expression, ctx): Type without side effects (`whatis`: typeName(type)); also
 *   accepts a bare type name (`struct shape *`).
 * formatFromLetter('x') → 'hex' / formatLetterOf('hex') → 'x' (print/FMT letters).
 * ORIG_RAX_REG: the key under which a session may put orig_rax in FrameContext.regs (`$orig_rax`).
 */
export { evaluate, assign, parseFormatSuffix, typeOfExpression, formatFromLetter, formatLetterOf, ORIG_RAX_REG } from '../expr/evaluate';
export { EvalError } from './errors';

/**
 * demangle(name, { retDrop? }): Itanium C++ names as c++filt/gdb print them (undefined when not a
 *   mangled name). symbolFor(addr, modules): `{ name, offset }` as gdb's `<name+offset>` finds it.
 */
export { demangle } from './demangle';
/**
 * siginfoValue(raw128): `$_siginfo` with gdb's synthesized siginfo type (publish it with
 *   store.setConvenience('_siginfo', v)); siginfoFromFields({ signo, code, addr, pid, ... }) builds
 *   the 128 bytes from what a stop reports when PTRACE_GETSIGINFO's bytes are not at hand.
 */
export { siginfoValue, siginfoFromFields, siginfoType } from './siginfo';
export { symbolFor, symbolSuffix } from './symbolize';

/** Type of a value, re-exported for front-ends (`whatis` = typeName(v.type)). */
export type { Type };
