// Variables of a frame and of the program: DWARF variable DIEs turned into Values (location
// expressions and location lists evaluated at the frame's pc), `info locals` / `info args` listings
// in gdb's order, and identifier lookup for the expression evaluator.

import { DW_AT, DW_TAG, Die, SymbolFile, Unit, VariableInfo, attributeLocation, DW_LANG } from '../../symbols';
import {
  evaluate as evalDwarf, ExprContext, frameBaseValue, Location, OptimizedOut, readLocationBytes, DwarfExprError, DW_OP,
} from '../../symbols/dwarf-expr';
import { LocationLists, locationAt } from '../../symbols/loclists';
import type { StaticMember, StructType, Type } from '../../symbols/types';
import type { EvalContext, FrameContext, ModuleSymbols, NamedValue, TargetMemory } from './api';
import { EvalError, memoryError } from './errors';
import { sizeOf, strip } from './type-util';
import { bigintToBytes, Value } from './value';
import { argEntry, entryRegister, EntrySite, entrySite, parameterEntryValue } from './entry-values';

// ---------------------------------------------------------------- per-module caches

const locListsCache = new WeakMap<SymbolFile, LocationLists>();
function locLists(sf: SymbolFile): LocationLists {
  let l = locListsCache.get(sf);
  if (!l) {
    l = new LocationLists({ debugLoc: sf.elf.sectionData('.debug_loc'), debugLoclists: sf.elf.sectionData('.debug_loclists') });
    locListsCache.set(sf, l);
  }
  return l;
}

const splitLocListsCache = new WeakMap<object, LocationLists>();
function splitLocLists(d: SymbolFile['dwarf']): LocationLists {
  let l = splitLocListsCache.get(d);
  if (!l) splitLocListsCache.set(d, (l = new LocationLists({ debugLoc: d.sections.loc, debugLoclists: d.sections.loclists })));
  return l;
}

/** Memory of a program that is not running: the initialised data of its object files (as gdb before `run`). */
export function fileMemory(modules: ModuleSymbols[]): TargetMemory {
  return {
    modules,
    read(addr: number, len: number): Buffer {
      // Like gdb's exec target: the contents of allocated sections (.bss reads as zeros).
      for (const m of modules) {
        const link = addr - m.loadBias;
        for (const s of m.symbolFile.elf.sections) {
          if (!(s.flags & 2) || s.addr === 0 || link < s.addr || link + len > s.addr + s.size) continue;
          if (s.type === 8) return Buffer.alloc(len);
          const off = s.offset + (link - s.addr);
          if (off + len <= m.symbolFile.elf.data.length) return Buffer.from(m.symbolFile.elf.data.subarray(off, off + len));
        }
      }
      throw memoryError(addr);
    },
  };
}

const cplusUnits = new WeakMap<Unit, boolean>();
export function isCplusUnit(unit: Unit | undefined): boolean {
  if (!unit) return false;
  let c = cplusUnits.get(unit);
  if (c === undefined) {
    const l = unit.language;
    c = l === DW_LANG.C_plus_plus || l === DW_LANG.C_plus_plus_03 || l === DW_LANG.C_plus_plus_11 || l === DW_LANG.C_plus_plus_14 || l === 0x2b || l === 0x2c;
    cplusUnits.set(unit, c);
  }
  return c;
}

// ---------------------------------------------------------------- scopes

export interface FrameScope {
  module: ModuleSymbols;
  /** Link-time lookup pc. */
  linkPc: number;
  /** Scope DIEs innermost first, starting at the frame's own function (inline frames skipped). */
  chain: Die[];
  /** The out-of-line subprogram whose frame this is (frame base). */
  subprogram?: Die;
  /** The function whose locals this frame shows (subprogram or inlined_subroutine). */
  func?: Die;
}

const scopeCache = new WeakMap<FrameContext, FrameScope | null>();
/** Scope chains by (link-time pc, inline depth), per symbol file: they depend on nothing else. */
const staticScopes = new WeakMap<SymbolFile, Map<string, Omit<FrameScope, 'module' | 'linkPc'> | null>>();

function staticScope(sf: SymbolFile, linkPc: number, inlineDepth: number): Omit<FrameScope, 'module' | 'linkPc'> | undefined {
  let m = staticScopes.get(sf);
  if (!m) staticScopes.set(sf, (m = new Map()));
  const key = `${linkPc}:${inlineDepth}`;
  const hit = m.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let chain = sf.scopeAt(linkPc);
  // Skip the scopes of inlined calls shown as separate (inner) frames.
  let skip = inlineDepth;
  while (skip > 0 && chain.length) {
    const i = chain.findIndex((d) => d.tag === DW_TAG.inlined_subroutine);
    if (i < 0) break;
    chain = chain.slice(i + 1);
    skip--;
  }
  let out: Omit<FrameScope, 'module' | 'linkPc'> | undefined;
  if (chain.length) {
    const func = chain.find((d) => d.tag === DW_TAG.subprogram || d.tag === DW_TAG.inlined_subroutine);
    // The innermost out-of-line subprogram holds the frame base.
    const subprogram = chain.find((d) => d.tag === DW_TAG.subprogram);
    out = { chain, subprogram, func };
  }
  if (m.size > 4096) m.clear();
  m.set(key, out ?? null);
  return out;
}

/** True when the frame's pc is in a function with debug info (else gdb says "No symbol table info available."). */
export function frameHasSymbols(frame: FrameContext): boolean {
  try {
    return frameScope(frame) !== undefined;
  } catch {
    return false;
  }
}

/** The scope chain of a frame, or undefined when the frame's pc has no debug info. */
export function frameScope(frame: FrameContext): FrameScope | undefined {
  const hit = scopeCache.get(frame);
  if (hit !== undefined) return hit ?? undefined;
  let out: FrameScope | undefined;
  const module = frame.module;
  if (module) {
    const linkPc = frame.lookupPc - module.loadBias;
    const st = staticScope(module.symbolFile, linkPc, frame.inlineDepth ?? 0);
    // (Not an object spread: V8's slow path for it costs microseconds per frame.)
    if (st) out = { module, linkPc, chain: st.chain, subprogram: st.subprogram, func: st.func };
  }
  scopeCache.set(frame, out ?? null);
  return out;
}

/** The DIE that carries a variable's name/type (abstract origin for inlined and concrete instances). */
function originOf(die: Die): Die {
  let d = die;
  for (let i = 0; i < 4; i++) {
    if (d.name !== undefined) return d;
    const o = d.ref(DW_AT.abstract_origin) ?? d.ref(DW_AT.specification);
    if (!o) return d;
    d = o;
  }
  return d;
}

const nameCache = new WeakMap<Die, string | null>();
export function dieName(die: Die): string | undefined {
  const hit = nameCache.get(die);
  if (hit !== undefined) return hit ?? undefined;
  const n = originOf(die).name;
  nameCache.set(die, n ?? null);
  return n;
}

function declLine(die: Die): number | undefined {
  return die.num(DW_AT.decl_line) ?? originOf(die).num(DW_AT.decl_line);
}

// ---------------------------------------------------------------- DIE -> Value

/** Expression context for evaluating location expressions in `frame` (or without a frame). */
/** Expression context for a location expression in `frame` (allocation-light: one object, lazy parts). */
class LocationContext implements ExprContext {
  readonly addressSize: number;
  readonly offsetSize: number;
  readonly version: number;
  private entry: ExprContext | null | undefined;
  private fb: ReturnType<typeof attributeLocation> | null | undefined;

  constructor(
    private readonly sf: SymbolFile,
    private readonly bias: number,
    private readonly unit: Unit,
    private readonly frame: FrameContext | undefined,
    private readonly subprogram: Die | undefined,
    private readonly memory: TargetMemory | undefined,
  ) {
    this.addressSize = unit.addressSize;
    this.offsetSize = unit.offsetSize;
    this.version = unit.version;
  }

  readRegister(r: number): bigint | undefined {
    return this.frame?.regs.get(r);
  }

  readMemory(a: bigint, n: number): Buffer | undefined {
    if (!this.memory) return undefined;
    try {
      return this.memory.read(Number(a), n);
    } catch {
      return undefined;
    }
  }

  debugAddr(i: number): bigint {
    return BigInt(this.unit.addrx(i));
  }

  relocate(a: bigint): bigint {
    return a + BigInt(this.bias);
  }

  baseTypeSize(off: number): number | undefined {
    return this.unit.dieAt(this.unit.offset + off)?.num(DW_AT.byte_size) ?? this.unit.dieAt(off)?.num(DW_AT.byte_size);
  }

  callFrameCfa(): bigint {
    if (!this.frame) throw new OptimizedOut('no frame selected');
    if (this.frame.cfa === undefined) throw new OptimizedOut('frame CFA unknown');
    return BigInt(this.frame.cfa);
  }

  frameBase(): bigint {
    if (!this.frame || !this.subprogram) throw new OptimizedOut('no frame selected');
    if (this.fb === undefined) this.fb = attributeLocation(this.subprogram, DW_AT.frame_base) ?? null;
    const fb = this.fb;
    if (!fb) throw new OptimizedOut('no frame base');
    if (fb.kind === 'expr') return frameBaseValue(fb.expr, this);
    const expr = listExpr(this.sf, fb, this.frame.lookupPc - this.bias);
    if (!expr) throw new OptimizedOut('frame base not available at this pc');
    return frameBaseValue(expr, this);
  }

  tlsAddress(off: bigint): bigint {
    const f = this.frame;
    if (!f?.tlsAddress || !f.module) throw new OptimizedOut('thread-local storage is not available');
    return f.tlsAddress(f.module, off);
  }

  /** Computed only when an expression actually uses DW_OP_entry_value. */
  get entryContext(): ExprContext | undefined {
    if (!this.frame) return undefined;
    if (this.entry === undefined) this.entry = entryValueContext(this.frame) ?? null;
    return this.entry ?? undefined;
  }

  callExpression(off: number, kind: 'cu' | 'info'): Buffer | undefined {
    const d = kind === 'cu' ? this.unit.dieAt(this.unit.offset + off) : this.sf.dwarf.dieAt(off);
    const l = d && attributeLocation(d);
    return l?.kind === 'expr' ? l.expr : undefined;
  }
}

export function exprContext(sf: SymbolFile, bias: number, unit: Unit, frame: FrameContext | undefined, subprogram: Die | undefined, memory: TargetMemory | undefined): ExprContext {
  return new LocationContext(sf, bias, unit, frame, subprogram, memory);
}

export function listExpr(sf: SymbolFile, at: Extract<ReturnType<typeof attributeLocation>, { kind: 'loclist' }>, linkPc: number): Buffer | undefined {
  // A split-DWARF unit's lists are in its .dwo (.debug_loclists.dwo / .debug_loc.dwo).
  const lists = at.unit.dwarf.isSplitFile ? splitLocLists(at.unit.dwarf) : locLists(sf);
  const list = at.index !== undefined ? lists.readIndexed(at.index, at.unit) : lists.read(at.offset, at.unit);
  return locationAt(list, linkPc);
}

/**
 * DW_OP_entry_value support through call-site parameters, as gdb does (entry-values.ts): registers
 * on entry are the caller's DW_AT_call_value expressions for them, evaluated in the caller's frame.
 */
function entryValueContext(frame: FrameContext): ExprContext | undefined {
  let site: EntrySite;
  try {
    site = entrySite(frame);
  } catch {
    return undefined; // gdb's NO_ENTRY_VALUE_ERROR: the value reads as optimized out
  }
  const c = site.callerCtx;
  return {
    addressSize: c.addressSize,
    readMemory: (a: bigint, n: number) => c.readMemory!(a, n),
    callFrameCfa: () => c.callFrameCfa!(),
    frameBase: () => c.frameBase!(),
    relocate: (a: bigint) => c.relocate!(a),
    debugAddr: (i: number) => c.debugAddr!(i),
    readRegister: (r: number) => entryRegister(site, r),
  };
}

/** The Value of a variable or parameter DIE seen from `frame` (or statically, without a frame). */
export function variableValue(die: Die, module: ModuleSymbols, frame: FrameContext | undefined, memory: TargetMemory | undefined, subprogram?: Die): Value {
  const sf = module.symbolFile;
  const type = sf.typeOf(die);
  const mem = memory ?? frame?.memory;
  // A constant.
  const cv = die.attr(DW_AT.const_value) ?? (die.has(DW_AT.location) ? undefined : originOf(die).attr(DW_AT.const_value));
  if (cv) return constValue(type, cv.value, mem);
  const at = attributeLocation(die);
  if (!at) {
    // A declaration: the definition is elsewhere (extern in a function, class static member).
    if (die.flag(DW_AT.declaration) || originOf(die).flag(DW_AT.declaration)) {
      const name = qualifiedVarName(die);
      const def = name ? findGlobalDefinition(name, module, frame, mem) : undefined;
      if (def) return def;
      // Defined without debug info: the object's ELF symbol, as gdb falls back to its minimal symbol.
      const link = die.value(DW_AT.linkage_name) ?? originOf(die).value(DW_AT.linkage_name);
      const sym = module.symbolFile.elf.symbolByName(typeof link === 'string' ? link : (name ?? ''));
      if (sym && sym.shndx !== 0) return Value.atAddress(type, sym.value + module.loadBias, mem);
    }
    return Value.optimizedOut(type, '<optimized out>', mem);
  }
  let expr: Buffer | undefined;
  if (at.kind === 'expr') expr = at.expr;
  else {
    if (!frame) return Value.optimizedOut(type, '<optimized out>', mem);
    try {
      expr = listExpr(sf, at, frame.lookupPc - module.loadBias);
    } catch (e) {
      throw new EvalError(e instanceof Error ? e.message : String(e));
    }
    if (!expr) return Value.optimizedOut(type, '<optimized out>', mem);
  }
  const ctx = exprContext(sf, module.loadBias, die.unit, frame, subprogram ?? (frame ? frameScope(frame)?.subprogram : undefined), mem);
  let loc: Location;
  try {
    loc = evalDwarf(expr, ctx, { what: `DW_AT_location of ${dieName(die) ?? '?'}` });
  } catch (e) {
    if (e instanceof DwarfExprError) {
      const m = /cannot read \d+ byte\(s\) of memory at (0x[0-9a-f]+)/.exec(e.message);
      if (m) throw new EvalError(`Cannot access memory at address ${m[1]}`);
    }
    if (!frame && e instanceof Error && /frame|register|CFA|no memory/i.test(e.message)) {
      throw new EvalError(`No frame selected.`);
    }
    throw new EvalError(e instanceof Error ? e.message : String(e));
  }
  return locationValue(type, loc, frame, mem, module, die);
}

function constValue(type: Type, v: unknown, mem: TargetMemory | undefined): Value {
  const size = sizeOf(type) || 8;
  if (Buffer.isBuffer(v)) return Value.fromBytes(type, v, mem);
  if (typeof v === 'string') return Value.fromBytes(type, Buffer.from(v + '\0', 'latin1'), mem);
  if (typeof v === 'bigint') return Value.fromBytes(type, bigintToBytes(v, size), mem);
  if (typeof v === 'number') return Value.fromBytes(type, bigintToBytes(BigInt(v), size), mem);
  if (typeof v === 'boolean') return Value.fromBytes(type, bigintToBytes(v ? 1n : 0n, size), mem);
  return Value.optimizedOut(type, '<optimized out>', mem);
}

/** A Value for an evaluated DWARF location. */
export function locationValue(type: Type, loc: Location, frame: FrameContext | undefined, mem: TargetMemory | undefined, module?: ModuleSymbols, die?: Die): Value {
  const size = sizeOf(type);
  switch (loc.kind) {
    case 'memory':
      return Value.atAddress(type, Number(BigInt.asUintN(64, loc.address)), mem);
    case 'register':
      if (!frame) throw new EvalError('No frame selected.');
      if (!frame.regs.has(loc.reg) && !frame.regBytes?.(loc.reg)) return Value.optimizedOut(type, '<optimized out>', mem);
      return Value.inRegister(type, loc.reg, frame);
    case 'value': {
      const b = bigintToBytes(loc.value, Math.max(8, size));
      if (size > 8 && (loc.value >> 63n) & 1n) b.fill(0xff, 8);
      return Value.fromBytes(type, b.subarray(0, Math.max(size, 1)), mem);
    }
    case 'implicit':
      return Value.fromBytes(type, loc.bytes, mem);
    case 'optimized-out':
      return Value.optimizedOut(type, '<optimized out>', mem);
    case 'implicit-pointer': {
      // A pointer to a value that exists only in the debug info: gdb's synthetic pointer.
      const target = module && die ? syntheticTarget(loc.die, loc.offset, module, frame, mem) : undefined;
      return Value.synthetic(type, target, mem);
    }
    case 'composite': {
      const reader = {
        readRegister: (r: number) => frame?.regs.get(r),
        readRegisterBytes: (r: number) => frame?.regBytes?.(r),
        readMemory: (a: bigint, n: number) => {
          try {
            return mem?.read(Number(a), n);
          } catch {
            return undefined;
          }
        },
      };
      // Pieces that are unavailable: the whole value reads as optimized out unless every piece is there.
      let bytes: Buffer | undefined;
      try {
        bytes = readLocationBytes(loc, size, reader);
      } catch {
        bytes = undefined;
      }
      if (!bytes) {
        const mask = compositeAvailability(loc, size, reader);
        if (mask) return Value.partial(type, mask.bytes, mask.available, mem);
        return Value.optimizedOut(type, '<optimized out>', mem);
      }
      return Value.lazy(type, { kind: 'composite' }, () => bytes!, mem);
    }
  }
}

/** Bytes of a composite where some pieces are unavailable, and which bits are available. */
function compositeAvailability(loc: Extract<Location, { kind: 'composite' }>, size: number, r: Parameters<typeof readLocationBytes>[2]): { bytes: Buffer; available: Buffer } | undefined {
  const out = Buffer.alloc(size);
  const avail = Buffer.alloc(size);
  let bitPos = 0;
  let any = false;
  for (const p of loc.pieces) {
    const srcBytes = Math.ceil((p.offsetBits + p.sizeBits) / 8);
    let src: Buffer | undefined;
    try {
      src = readLocationBytes(p.location, srcBytes, r);
    } catch {
      src = undefined;
    }
    for (let i = 0; i < p.sizeBits && bitPos < size * 8; i++, bitPos++) {
      if (!src) continue;
      any = true;
      const sb = p.offsetBits + i;
      const bit = (src[Math.floor(sb / 8)] >> (sb % 8)) & 1;
      if (bit) out[Math.floor(bitPos / 8)] |= 1 << (bitPos % 8);
      avail[Math.floor(bitPos / 8)] |= 1 << (bitPos % 8);
    }
  }
  return any ? { bytes: out, available: avail } : undefined;
}

function syntheticTarget(dieOffset: number, offset: bigint, module: ModuleSymbols, frame: FrameContext | undefined, mem: TargetMemory | undefined): (() => Value) | undefined {
  const die = module.symbolFile.dwarf.dieAt(dieOffset);
  if (!die) return undefined;
  return () => {
    const v = variableValue(die, module, frame, mem);
    return offset === 0n ? v : v; // byte offsets into the target are applied by the dereference
  };
}

function qualifiedVarName(die: Die): string | undefined {
  const o = originOf(die);
  const parts: string[] = [];
  if (o.name === undefined) return undefined;
  parts.push(o.name);
  for (let p = o.parent; p; p = p.parent) {
    if (p.tag === DW_TAG.namespace || p.tag === DW_TAG.structure_type || p.tag === DW_TAG.class_type || p.tag === DW_TAG.union_type) parts.unshift(p.name ?? '(anonymous namespace)');
    else break;
  }
  return parts.join('::');
}

// ---------------------------------------------------------------- listings

function isVariableDie(d: Die): boolean {
  return d.tag === DW_TAG.variable;
}

/** gdb's symbol-table hash for lexical-block dictionaries (dict_hash / default_search_name_hash). */
function msymbolHashIw(s: string): number {
  let hash = 0;
  for (let i = 0; i < s.length && s[i] !== '('; i++) {
    if (s[i] === ' ') continue;
    hash = (Math.imul(hash, 67) + s[i].toLowerCase().charCodeAt(0) - 113) >>> 0;
  }
  return hash;
}
function cSearchNameHash(s0: string): number {
  let i = 0;
  if (s0[0] === '_') {
    if (s0.startsWith('_ada_')) i = 5;
    else return msymbolHashIw(s0);
  }
  let hash = 0;
  while (i < s0.length) {
    const c = s0[i];
    if (c === '$' || c === '.' || c === 'X') {
      if (i === 0) return msymbolHashIw(s0);
    } else if (c === ' ' || c === '(') return msymbolHashIw(s0);
    else if (c === '_' && s0[i + 1] === '_' && i !== 0) {
      const n = s0[i + 2];
      if ((n === undefined || n < 'a' || n > 'z') && n !== 'O') return hash;
      hash = 0;
      i += 2;
      continue;
    } else if (c === 'T' && s0.slice(i) === 'TKB') return hash;
    hash = (Math.imul(hash, 67) + c.toLowerCase().charCodeAt(0) - 113) >>> 0;
    i++;
  }
  return hash;
}
function cpSearchNameHash(s: string): number {
  if (s.startsWith('::')) s = s.slice(2);
  const k = s.lastIndexOf('::');
  if (k >= 0 && !s.includes('(')) s = s.slice(k + 2);
  let hash = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ' ') continue;
    if (s[i] === '(') break;
    if (s[i] === '[' && s.startsWith('abi:', i + 1) && s[i + 5] !== ':') break;
    hash = (Math.imul(hash, 67) + s[i].toLowerCase().charCodeAt(0) - 113) >>> 0;
  }
  return hash;
}

/** A lexical block without code ranges: gdb reads its children as if it were not there. */
function isTransparentBlock(d: Die): boolean {
  return d.tag === DW_TAG.lexical_block && !d.has(DW_AT.low_pc) && !d.has(DW_AT.ranges);
}

const childrenCache = new WeakMap<Die, Die[]>();
/** Children of a scope DIE, with transparent lexical blocks flattened in place. */
export function blockChildren(block: Die): Die[] {
  const hit = childrenCache.get(block);
  if (hit) return hit;
  const out: Die[] = [];
  for (const c of block.children) {
    if (isTransparentBlock(c)) out.push(...blockChildren(c));
    else out.push(c);
  }
  childrenCache.set(block, out);
  return out;
}

/** The symbols a DWARF block contributes to gdb's symbol table, in declaration order. */
function blockSymbols(block: Die): { die: Die; name: string; isVar: boolean }[] {
  const out: { die: Die; name: string; isVar: boolean }[] = [];
  for (const c of blockChildren(block)) {
    const name = dieName(c);
    if (name === undefined) {
      // Anonymous enums still contribute their enumerators.
      if (c.tag === DW_TAG.enumeration_type) for (const e of c.children) if (e.tag === DW_TAG.enumerator && e.name) out.push({ die: e, name: e.name, isVar: false });
      continue;
    }
    switch (c.tag) {
      case DW_TAG.variable:
        out.push({ die: c, name, isVar: true });
        break;
      case DW_TAG.formal_parameter:
        out.push({ die: c, name, isVar: false });
        break;
      case DW_TAG.enumeration_type:
        out.push({ die: c, name, isVar: false });
        for (const e of c.children) if (e.tag === DW_TAG.enumerator && e.name) out.push({ die: e, name: e.name, isVar: false });
        break;
      case DW_TAG.typedef:
      case DW_TAG.structure_type:
      case DW_TAG.class_type:
      case DW_TAG.union_type:
      case DW_TAG.base_type:
      case DW_TAG.subprogram:
      case DW_TAG.label:
        out.push({ die: c, name, isVar: false });
        break;
      default:
        break;
    }
  }
  return out;
}

const gdbOrderCache = new WeakMap<Die, Die[]>();

/** Variables of one block in the order gdb's `info locals` prints them (fixed per block: computed once). */
function blockLocalsInGdbOrder(block: Die, cplus: boolean): Die[] {
  let out = gdbOrderCache.get(block);
  if (!out) gdbOrderCache.set(block, (out = computeGdbOrder(block, cplus)));
  return out;
}

function computeGdbOrder(block: Die, cplus: boolean): Die[] {
  const syms = blockSymbols(block);
  const isFunction = block.tag === DW_TAG.subprogram || block.tag === DW_TAG.inlined_subroutine;
  if (isFunction) return syms.filter((s) => s.isVar).map((s) => s.die);
  // Lexical blocks use gdb's hashed dictionary: iterate buckets in order, each chain most recently
  // inserted first; symbols are inserted in reverse declaration order.
  const n = syms.length;
  const nb = Math.floor((n * 5) / 4) + 1;
  const buckets: (typeof syms)[] = Array.from({ length: nb }, () => []);
  const hash = cplus ? cpSearchNameHash : cSearchNameHash;
  for (let i = n - 1; i >= 0; i--) buckets[hash(syms[i].name) % nb].unshift(syms[i]);
  const out: Die[] = [];
  for (const b of buckets) for (const s of b) if (s.isVar) out.push(s.die);
  return out;
}

/**
 * A variable whose value is a block of bytes in the debug info (gdb's LOC_CONST_BYTES): gdb's
 * `info locals` skips those, while integer constants (LOC_CONST) are listed.
 */
function isConstBytes(d: Die): boolean {
  const a = d.attr(DW_AT.const_value) ?? (d.has(DW_AT.location) ? undefined : originOf(d).attr(DW_AT.const_value));
  return !!a && (Buffer.isBuffer(a.value) || typeof a.value === 'string');
}

/**
 * `info locals`: innermost block first, up to the frame's function. Like gdb, variables whose
 * value is a constant block of bytes in the debug info (e.g. a float propagated by the optimiser)
 * are not listed unless `includeConstants` is set; integer constants are.
 */
export function locals(frame: FrameContext, opts: { includeConstants?: boolean } = {}): NamedValue[] {
  try {
    return localsOf(frame, opts);
  } catch {
    return []; // malformed debug info: nothing we can list
  }
}

function localsOf(frame: FrameContext, opts: { includeConstants?: boolean }): NamedValue[] {
  const scope = frameScope(frame);
  if (!scope) return [];
  const cplus = isCplusUnit(scope.chain[0].unit);
  const out: NamedValue[] = [];
  const seen = new Set<string>();
  for (const block of scope.chain) {
    for (const d of blockLocalsInGdbOrder(block, cplus)) {
      if (d.tag !== DW_TAG.variable) continue;
      if (!opts.includeConstants && isConstBytes(d)) continue;
      const name = dieName(d)!;
      const nested = !(block.tag === DW_TAG.subprogram || block.tag === DW_TAG.inlined_subroutine) || undefined;
      out.push({ name, value: safeVariableValue(d, scope.module, frame, scope.subprogram), line: declLine(d), shadowed: seen.has(name) || undefined, constant: d.has(DW_AT.const_value) || undefined, nested });
      seen.add(name);
    }
    if (block.tag === DW_TAG.subprogram || block.tag === DW_TAG.inlined_subroutine) break;
  }
  return out;
}

/**
 * `info args`: the parameters of the frame's function. With `entryValues`, as gdb's frame lines and MI
 * lists (`print entry-values default`): each parameter whose entry value is known is followed by an
 * `x@entry` entry (`entry: true`), and `entryEqual` marks a parameter whose current value equals it
 * (gdb's console shows those as `x=x@entry=5`, its MI lists both).
 */
export function args(frame: FrameContext, opts: { entryValues?: boolean } = {}): NamedValue[] {
  try {
    return argsOf(frame, opts.entryValues === true);
  } catch {
    return [];
  }
}

function argsOf(frame: FrameContext, entryValues: boolean): NamedValue[] {
  const scope = frameScope(frame);
  if (!scope?.func) return [];
  const out: NamedValue[] = [];
  for (const c of scope.func.children) {
    if (c.tag !== DW_TAG.formal_parameter) continue;
    const name = dieName(c);
    if (name === undefined) continue;
    const value = safeVariableValue(c, scope.module, frame, scope.subprogram);
    const line = declLine(c);
    if (!entryValues) {
      out.push({ name, value, line });
      continue;
    }
    let e: ReturnType<typeof argEntry>;
    try {
      e = argEntry(c, scope.module, frame, value);
    } catch {
      e = { equal: false };
    }
    out.push(e.entry && e.equal ? { name, value, line, entryEqual: true } : { name, value, line });
    if (e.entry) out.push({ name: `${name}@entry`, value: e.entry, line, entry: true });
  }
  return out;
}

const floatFunctions = new WeakMap<Die, boolean>();

/**
 * True when the frame's function has a parameter or local of floating-point type (or an aggregate or
 * vector holding one): in optimised code those live in xmm registers, which the session reads only
 * when asked (FrameContext.regBytes), so it loads them for such frames before listing or evaluating.
 */
export function frameHasFloatVariables(frame: FrameContext): boolean {
  let scope: FrameScope | undefined;
  try {
    scope = frameScope(frame);
  } catch {
    return false;
  }
  let top: Die | undefined;
  for (const d of scope?.chain ?? []) if (d.tag === DW_TAG.subprogram) top = d;
  if (!top || !scope) return false;
  let hit = floatFunctions.get(top);
  if (hit === undefined) {
    const sf = scope.module.symbolFile;
    const visit = (d: Die, depth: number): boolean => {
      if (depth > 32) return false;
      for (const c of d.children) {
        if (c.tag === DW_TAG.formal_parameter || c.tag === DW_TAG.variable) {
          try {
            if (mayUseVectorRegister(c) && holdsFloat(sf.typeOf(c), 0)) return true;
          } catch {
            /* unreadable type */
          }
        } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) {
          if (visit(c, depth + 1)) return true;
        }
      }
      return false;
    };
    try {
      hit = visit(top, 0);
    } catch {
      hit = false;
    }
    floatFunctions.set(top, hit);
  }
  return hit;
}

/** A location list, or an expression naming a register other than the general ones (-O0's DW_OP_fbreg is not). */
function mayUseVectorRegister(d: Die): boolean {
  const at = attributeLocation(d);
  if (!at) return false;
  if (at.kind !== 'expr') return true;
  const e = at.expr;
  return e.length > 0 && ((e[0] >= DW_OP.reg0 + 17 && e[0] <= DW_OP.reg31) || e[0] === DW_OP.regx || e.includes(DW_OP.piece));
}

function holdsFloat(t: Type, depth: number): boolean {
  if (depth > 4) return false;
  const s = strip(t);
  if (s.kind === 'base') return s.encoding === 'float' || s.encoding === 'complex' || s.encoding === 'decimal-float';
  if (s.kind === 'array') return s.vector || holdsFloat(s.element, depth + 1);
  if (s.kind === 'struct' || s.kind === 'class' || s.kind === 'union') return s.members.some((m) => holdsFloat(m.type, depth + 1));
  return false;
}

/** A variable's value, or an optimized-out placeholder carrying the error text. */
function safeVariableValue(d: Die, module: ModuleSymbols, frame: FrameContext | undefined, sub: Die | undefined): Value {
  try {
    return variableValue(d, module, frame, frame?.memory, sub);
  } catch (e) {
    let type: Type;
    try {
      type = module.symbolFile.typeOf(d);
    } catch {
      type = { kind: 'unknown', tag: 0 };
    }
    return Value.failed(type, e instanceof Error ? e.message : String(e), frame?.memory);
  }
}

/** CU-level variables (globals and file statics) of a module. */
export function globals(module: ModuleSymbols, ctx: EvalContext): NamedValue[] {
  const mem = ctx.memory ?? ctx.frame?.memory ?? fileMemory(ctx.modules ?? [module]);
  let list: VariableInfo[];
  try {
    list = module.symbolFile.globals();
  } catch {
    return [];
  }
  return list.map((g) => ({ name: g.name, value: safeGlobal(g.die, module, mem), line: g.die.num(DW_AT.decl_line) }));
}

function safeGlobal(d: Die, module: ModuleSymbols, mem: TargetMemory | undefined): Value {
  try {
    return variableValue(d, module, undefined, mem);
  } catch (e) {
    return Value.failed(module.symbolFile.typeOf(d), e instanceof Error ? e.message : String(e), mem);
  }
}

// ---------------------------------------------------------------- C++ static data members

/** The value of a static data member `sm` of `owner` (its definition, or its in-class constant). */
export function staticMemberValue(owner: StructType, sm: StaticMember, modules: ModuleSymbols[] | undefined, mem: TargetMemory | undefined): Value {
  const cv = sm.die.attr(DW_AT.const_value);
  if (cv) return constValue(sm.type, cv.value, mem);
  const qualified = `${owner.name ?? ''}::${sm.name}`;
  for (const m of modules ?? []) {
    const defs = globalsNamed(m.symbolFile, qualified);
    const def = defs.find((g) => g.die.has(DW_AT.location) || g.die.has(DW_AT.const_value)) ?? defs[0];
    if (def) return variableValue(def.die, m, undefined, mem);
    // A definition without debug info: the ELF symbol of its mangled name.
    const link = sm.die.value(DW_AT.linkage_name) ?? sm.die.value(DW_AT.MIPS_linkage_name);
    const sym = typeof link === 'string' ? m.symbolFile.elf.symbolByName(link) : undefined;
    if (sym && sym.shndx !== 0) return Value.atAddress(sm.type, sym.value + m.loadBias, mem);
  }
  return Value.optimizedOut(sm.type, '<optimized out>', mem);
}

// ---------------------------------------------------------------- lookup

export interface FoundSymbol {
  kind: 'variable' | 'function' | 'minsym-data' | 'minsym-text' | 'enumerator';
  value: Value;
}

/** Defining DIE of a global named `name` in a module (exact qualified name). */
/**
 * The definition of a global that a DIE only declares: a DIE of that name holding the location or the
 * value itself. A DIE that merely points at a declaration (libc's `environ` alias) is none, so the
 * lookup cannot come back to the DIE it started from.
 */
function findGlobalDefinition(name: string, module: ModuleSymbols, frame: FrameContext | undefined, mem: TargetMemory | undefined): Value | undefined {
  const defs = globalsNamed(module.symbolFile, name).filter((g) => g.die.has(DW_AT.location) || g.die.has(DW_AT.const_value));
  const def = defs.find((g) => g.external) ?? defs[0];
  return def ? variableValue(def.die, module, frame, mem) : undefined;
}

/**
 * Resolves an identifier (possibly qualified with `::`) as gdb does: the frame's blocks innermost
 * first (locals, then parameters), `this` members in C++ methods (done by the evaluator), the
 * frame's compilation unit (file statics), then globals of every module, then file statics of
 * other units, then ELF symbols without debug info.
 */
export function lookupVariable(name: string, ctx: EvalContext): Value | undefined {
  return lookupSymbol(name, ctx)?.value;
}

export function lookupLocal(name: string, frame: FrameContext): Value | undefined {
  const scope = frameScope(frame);
  if (!scope) return undefined;
  for (const block of scope.chain) {
    for (const c of blockChildren(block)) {
      if ((c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) && dieName(c) === name) {
        return variableValue(c, scope.module, frame, frame.memory, scope.subprogram);
      }
    }
    if (block.tag === DW_TAG.subprogram) break;
  }
  return undefined;
}

/**
 * `name@entry`: the value parameter `name` of the frame's function had on entry (gdb's
 * OP_VAR_ENTRY_VALUE), with gdb's messages when it is not a parameter or has no known entry value.
 */
export function lookupEntryValue(name: string, frame: FrameContext | undefined): Value {
  const notParam = () => new EvalError(`@entry can be used only for function parameters, not for "${name}"`);
  const scope = frame ? frameScope(frame) : undefined;
  if (!frame || !scope) throw notParam();
  let found: Die | undefined;
  for (const block of scope.chain) {
    for (const c of blockChildren(block)) {
      if ((c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) && dieName(c) === name) {
        found = c;
        break;
      }
    }
    if (found || block.tag === DW_TAG.subprogram) break;
  }
  // A parameter that needs a frame to be read (gdb's symbol_read_needs_frame): one with a location.
  if (!found || found.tag !== DW_TAG.formal_parameter || !found.has(DW_AT.location)) throw notParam();
  return parameterEntryValue(found, scope.module, frame, scope.module.symbolFile.typeOf(found));
}

// ---------------------------------------------------------------- name indexes (built once)

const exactGlobals = new WeakMap<SymbolFile, Map<string, VariableInfo[]>>();
/** CU-level variables named exactly `name` (qualified name or linkage name). */
export function globalsNamed(sf: SymbolFile, name: string): VariableInfo[] {
  let m = exactGlobals.get(sf);
  if (!m) {
    m = new Map();
    for (const g of sf.globals()) {
      for (const k of g.linkageName && g.linkageName !== g.name ? [g.name, g.linkageName] : [g.name]) {
        const l = m.get(k);
        if (l) l.push(g);
        else m.set(k, [g]);
      }
    }
    exactGlobals.set(sf, m);
  }
  return m.get(name) ?? [];
}

interface EnumeratorRef {
  enumDie: Die;
  die: Die;
}
const scopeEnums = new WeakMap<Die, Map<string, EnumeratorRef>>();
/** Enumerators declared directly in a scope DIE (CU, function, block), by name. */
function enumeratorsIn(scope: Die): Map<string, EnumeratorRef> {
  let m = scopeEnums.get(scope);
  if (!m) {
    m = new Map();
    for (const c of blockChildren(scope)) {
      if (c.tag !== DW_TAG.enumeration_type) continue;
      for (const e of c.children) if (e.tag === DW_TAG.enumerator && e.name !== undefined && !m.has(e.name)) m.set(e.name, { enumDie: c, die: e });
    }
    scopeEnums.set(scope, m);
  }
  return m;
}

const fileEnums = new WeakMap<SymbolFile, Map<string, EnumeratorRef>>();
/** Enumerators at CU level (or, in C++, qualified through namespaces) of every unit of a file. */
function enumeratorsOfFile(sf: SymbolFile): Map<string, EnumeratorRef> {
  let m = fileEnums.get(sf);
  if (!m) {
    m = new Map();
    const visit = (scope: Die, prefix: string) => {
      for (const c of scope.children) {
        if (c.tag === DW_TAG.enumeration_type) {
          const scoped = c.flag(DW_AT.enum_class) && c.name !== undefined ? `${prefix}${c.name}::` : prefix;
          for (const e of c.children) if (e.tag === DW_TAG.enumerator && e.name !== undefined && !m!.has(scoped + e.name)) m!.set(scoped + e.name, { enumDie: c, die: e });
        } else if (c.tag === DW_TAG.namespace) visit(c, `${prefix}${c.name ?? '(anonymous namespace)'}::`);
        else if ((c.tag === DW_TAG.structure_type || c.tag === DW_TAG.class_type || c.tag === DW_TAG.union_type) && c.name !== undefined && c.hasChildren) visit(c, `${prefix}${c.name}::`);
      }
    };
    for (const u of sf.dwarf.compileUnits()) visit(u.content.root(), ''); // a skeleton's DIEs are in its .dwo
    fileEnums.set(sf, m);
  }
  return m;
}

function enumeratorValue(r: EnumeratorRef, module: ModuleSymbols, mem: TargetMemory | undefined): Value {
  const t = module.symbolFile.typeFromDie(r.enumDie);
  const v = r.die.value(DW_AT.const_value);
  return Value.fromBigInt(t, typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? v : 0), mem);
}

/** Enumerator constants visible in a scope chain (local enums) and CU-level enums of the unit. */
function lookupEnumerator(name: string, unit: Unit, module: ModuleSymbols, chain: Die[], mem: TargetMemory | undefined): Value | undefined {
  for (const b of chain) {
    const r = enumeratorsIn(b).get(name);
    if (r) return enumeratorValue(r, module, mem);
  }
  const r = enumeratorsIn(unit.root()).get(name);
  return r ? enumeratorValue(r, module, mem) : undefined;
}

export function lookupSymbol(name: string, ctx: EvalContext, opts: { skipLocals?: boolean } = {}): FoundSymbol | undefined {
  const frame = ctx.frame;
  const modules = ctx.modules ?? (frame?.module ? [frame.module] : []);
  const mem = ctx.memory ?? frame?.memory ?? fileMemory(modules);
  const qualified = name.startsWith('::') ? name.slice(2) : name;
  const scope = frame ? frameScope(frame) : undefined;
  if (!opts.skipLocals && !name.startsWith('::') && frame && scope && !name.includes('::')) {
    const v = lookupLocal(name, frame);
    if (v) return { kind: 'variable', value: v };
  }
  const unit = scope?.chain[0].unit ?? mainUnit(modules);
  const module = scope?.module ?? modules[0];
  // Enumerators of the current unit (and local enum types).
  if (unit && module && !qualified.includes('::')) {
    const e = lookupEnumerator(qualified, unit, module, scope?.chain ?? [], mem);
    if (e) return { kind: 'enumerator', value: e };
  }
  // Names relative to the current function's namespace (C++): ns::f sees ns::x as x.
  const candidates: string[] = [];
  if (scope && isCplusUnit(unit) && !name.startsWith('::')) {
    const fname = functionQualifiedName(scope);
    if (fname) {
      const parts = fname.split('::').slice(0, -1);
      for (let i = parts.length; i > 0; i--) candidates.push(parts.slice(0, i).join('::') + '::' + qualified);
    }
  }
  candidates.push(qualified);
  for (const cand of candidates) {
    // The frame's own unit first (file statics shadow other units' globals).
    if (module && unit) {
      const d = globalsNamed(module.symbolFile, cand).find((g) => g.unit === unit && g.name === cand);
      if (d) return { kind: 'variable', value: variableValue(d.die, module, frame, mem) };
      const f = functionIn(module, cand, unit);
      if (f) return { kind: 'function', value: f(mem) };
    }
    for (const m of modules) {
      const g = globalsNamed(m.symbolFile, cand).find((x) => x.external);
      if (g) return { kind: 'variable', value: variableValue(g.die, m, frame && m === frame.module ? frame : undefined, mem) };
      const f = functionIn(m, cand);
      if (f) return { kind: 'function', value: f(mem) };
    }
    for (const m of modules) {
      const g = globalsNamed(m.symbolFile, cand)[0];
      if (g) return { kind: 'variable', value: variableValue(g.die, m, frame && m === frame.module ? frame : undefined, mem) };
    }
  }
  // Enumerators of other units, or qualified through namespaces (C++).
  for (const cand of candidates) {
    for (const m of modules) {
      const r = enumeratorsOfFile(m.symbolFile).get(cand);
      if (r) return { kind: 'enumerator', value: enumeratorValue(r, m, mem) };
    }
  }
  // ELF symbols without debug info.
  for (const m of modules) {
    const sym = m.symbolFile.elf.symbolByName(qualified);
    if (!sym || sym.shndx === 0) continue;
    const addr = sym.value + m.loadBias;
    if (sym.type === 'FUNC' || sym.type === 'IFUNC') return { kind: 'minsym-text', value: Value.atAddress(NODEBUG_TEXT, addr, mem) };
    if (sym.type === 'OBJECT' || sym.type === 'TLS' || sym.type === 'NOTYPE') return { kind: 'minsym-data', value: Value.atAddress(NODEBUG_DATA, addr, mem) };
  }
  return undefined;
}

/** The type gdb gives text symbols without debug info: `{<text variable, no debug info>}`. */
export const NODEBUG_TEXT: Type = { kind: 'function', returnType: { kind: 'base', name: 'int', byteSize: 4, encoding: 'signed' }, params: [], varargs: false, prototyped: false };
/** Data symbols without debug info: `<data variable, no debug info>` (gdb asks for a cast). */
export const NODEBUG_DATA: Type = { kind: 'unknown', name: '<data variable, no debug info>', tag: 0 };

function functionQualifiedName(scope: FrameScope): string | undefined {
  const sp = scope.func ?? scope.subprogram;
  if (!sp) return undefined;
  const fn = scope.module.symbolFile.functionAt(scope.linkPc);
  return fn?.name;
}

function mainUnit(modules: ModuleSymbols[]): Unit | undefined {
  const m = modules[0];
  if (!m) return undefined;
  return m.symbolFile.mainUnit() ?? m.symbolFile.dwarf.compileUnits()[0];
}

/** A function named `name` (exact qualified name) as a value of function type at its entry. */
function functionIn(module: ModuleSymbols, name: string, unit?: Unit): ((mem: TargetMemory | undefined) => Value) | undefined {
  const fns = module.symbolFile.functionsByName(name).filter((f) => f.name === name || f.linkageName === name);
  const fn = (unit ? fns.find((f) => f.unit === unit) : undefined) ?? (unit ? undefined : fns[0]);
  if (!fn) return undefined;
  const decl = fn.die.ref(DW_AT.specification) ?? fn.die.ref(DW_AT.abstract_origin)?.ref(DW_AT.specification) ?? fn.die;
  if ((decl.num(DW_AT.virtuality) ?? 0) !== 0) throw new EvalError(`Cannot reference virtual member function "${fn.plainName}"`);
  return (mem) => Value.atAddress(functionType(module, fn.die), fn.entryPc + module.loadBias, mem);
}

function functionType(module: ModuleSymbols, die: Die): Type {
  return module.symbolFile.typeFromDie(die);
}

