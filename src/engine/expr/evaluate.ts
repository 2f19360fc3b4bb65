// The expression evaluator: gdb's C/C++ semantics (eval.c, valarith.c, valops.c) over Values.
// Integer arithmetic is done on bigints and wrapped to the result type; floating point on doubles.

import type { Type, StructType, Member, EnumType } from '../../symbols/types';
import { typeName } from '../../symbols/types';
import type { EvalContext, EvaluateOptions, FormatLetter, FrameContext, ModuleSymbols, TargetMemory } from '../values/api';
import { EvalError, asEvalError } from '../values/errors';
import { SPECIAL } from '../values/format';
import { ValueStore } from '../values/store';
import {
  T, VOID_PTR, arrayInfo, base, isArithmetic, isFloat, isIntegral, isSigned, makeArray, makePointer, sizeOf, strip,
} from '../values/type-util';
import { bigintToBytes, bytesToBigInt, insertBits, MAX_VALUE_SIZE, numberToBytes, registerBytes, Value } from '../values/value';
import { fileMemory, frameScope, isCplusUnit, lookupEntryValue, lookupLocal, lookupSymbol, staticMemberValue } from '../values/variables';
import { Node, ParseEnv, parseExpression, TypeSpec } from './parser';
import { VREG } from '../registers';
import { LD, ldAdd, ldCmp, ldDiv, ldFromBigInt, ldFromBytes, ldFromDecimal, ldFromNumber, ldMul, ldSub, ldToBigInt, ldToBytes, ldToNumber } from '../values/ldouble';

// ---------------------------------------------------------------- registers

/** Pseudo DWARF number under which a session may provide orig_rax in FrameContext.regs. */
export const ORIG_RAX_REG = 4096;

interface RegDesc {
  reg: number;
  type: Type;
  /** Byte offset and size of a sub-register. */
  offset?: number;
  size?: number;
}

const CODE_PTR: Type = makePointer({ kind: 'function', returnType: { kind: 'void' }, params: [], varargs: false, prototyped: false });
const I387_EXT: Type = base('builtin_type_i387_ext', 10, 'float');
const REGS = new Map<string, RegDesc>();
(() => {
  const gpr64 = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
  gpr64.forEach((n, i) => REGS.set(n, { reg: i, type: n === 'rbp' || n === 'rsp' ? VOID_PTR : T.int64 }));
  const legacy: [string, number][] = [['a', 0], ['d', 1], ['c', 2], ['b', 3]];
  for (const [l, r] of legacy) {
    REGS.set(`e${l}x`, { reg: r, type: T.int32, offset: 0, size: 4 });
    REGS.set(`${l}x`, { reg: r, type: T.int16, offset: 0, size: 2 });
    REGS.set(`${l}l`, { reg: r, type: T.int8, offset: 0, size: 1 });
    REGS.set(`${l}h`, { reg: r, type: T.int8, offset: 1, size: 1 });
  }
  const idx: [string, number][] = [['si', 4], ['di', 5], ['bp', 6], ['sp', 7]];
  for (const [n, r] of idx) {
    REGS.set(`e${n}`, { reg: r, type: T.int32, offset: 0, size: 4 });
    if (n !== 'sp') REGS.set(n, { reg: r, type: T.int16, offset: 0, size: 2 });
    REGS.set(`${n}l`, { reg: r, type: T.int8, offset: 0, size: 1 });
  }
  for (let i = 8; i <= 15; i++) {
    REGS.set(`r${i}d`, { reg: i, type: T.int32, offset: 0, size: 4 });
    REGS.set(`r${i}w`, { reg: i, type: T.int16, offset: 0, size: 2 });
    REGS.set(`r${i}l`, { reg: i, type: T.int8, offset: 0, size: 1 });
  }
  REGS.set('rip', { reg: 16, type: CODE_PTR });
  REGS.set('pc', { reg: 16, type: CODE_PTR });
  REGS.set('sp', { reg: 7, type: VOID_PTR });
  REGS.set('fp', { reg: 6, type: VOID_PTR });
  REGS.set('eflags', { reg: 49, type: SPECIAL.eflags, offset: 0, size: 4 });
  ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].forEach((n, i) => REGS.set(n, { reg: 50 + i, type: T.int32, offset: 0, size: 4 }));
  REGS.set('fs_base', { reg: 58, type: T.long });
  REGS.set('gs_base', { reg: 59, type: T.long });
  REGS.set('orig_rax', { reg: ORIG_RAX_REG, type: T.long });
  for (let i = 0; i < 8; i++) REGS.set(`st${i}`, { reg: 33 + i, type: I387_EXT });
  for (let i = 0; i < 16; i++) REGS.set(`xmm${i}`, { reg: 17 + i, type: vec128() });
  // AVX/AVX-512 (src/engine/registers.ts VREG numbering; bytes from the thread's XSAVE area).
  const v256 = vecWide(256);
  const v512 = vecWide(512);
  const u128 = base('uint128_t', 16, 'unsigned');
  const zmmh: Type = { kind: 'array', element: u128, dims: [2], vector: true };
  for (let i = 16; i < 32; i++) REGS.set(`xmm${i}`, { reg: VREG.XMM16 + i - 16, type: vec128() });
  for (let i = 0; i < 32; i++) {
    REGS.set(`ymm${i}`, { reg: VREG.YMM0 + i, type: v256 });
    REGS.set(`zmm${i}`, { reg: VREG.ZMM0 + i, type: v512 });
    REGS.set(`ymm${i}h`, { reg: VREG.YMMH0 + i, type: u128 });
    REGS.set(`zmm${i}h`, { reg: VREG.ZMMH0 + i, type: zmmh });
  }
  for (let i = 0; i < 8; i++) REGS.set(`k${i}`, { reg: VREG.K0 + i, type: T.uint64 });
})();

/** gdb's builtin_type_vec256i / builtin_type_vec512i unions (i386_ymm_type, i386_zmm_type). */
function vecWide(bits: 256 | 512): Type {
  const vec = (el: Type, n: number): Type => ({ kind: 'array', element: el, dims: [n], vector: true });
  const mk = (name: string, type: Type): Member => ({ name, type, offset: 0, artificial: false });
  const lanes = (w: number) => bits / w;
  const int = (w: number) => base(`int${w}_t`, w / 8, 'signed');
  return {
    kind: 'union', name: `builtin_type_vec${bits}i`, byteSize: bits / 8, bases: [], declaration: false, cplus: false,
    members: [
      mk(`v${lanes(16)}_bfloat16`, vec(base('bfloat16', 2, 'float'), lanes(16))), mk(`v${lanes(16)}_half`, vec(base('half', 2, 'float'), lanes(16))),
      mk(`v${lanes(32)}_float`, vec(base('float', 4, 'float'), lanes(32))), mk(`v${lanes(64)}_double`, vec(base('double', 8, 'float'), lanes(64))),
      mk(`v${lanes(8)}_int8`, vec(int(8), lanes(8))), mk(`v${lanes(16)}_int16`, vec(int(16), lanes(16))), mk(`v${lanes(32)}_int32`, vec(int(32), lanes(32))),
      mk(`v${lanes(64)}_int64`, vec(int(64), lanes(64))), mk(`v${lanes(128)}_int128`, vec(int(128), lanes(128))),
    ],
  } as StructType;
}

function vec128(): Type {
  const vec = (el: Type, n: number): Type => ({ kind: 'array', element: el, dims: [n], vector: true });
  const bf16 = base('bfloat16', 2, 'float');
  const half = base('_Float16', 2, 'float');
  const mk = (name: string, type: Type): Member => ({ name, type, offset: 0, artificial: false });
  return {
    kind: 'union', name: 'vec128', byteSize: 16, bases: [], declaration: false, cplus: false,
    members: [
      mk('v8_bfloat16', vec(bf16, 8)), mk('v8_half', vec(half, 8)), mk('v4_float', vec(T.float, 4)), mk('v2_double', vec(T.double, 2)),
      mk('v16_int8', vec(T.int8, 16)), mk('v8_int16', vec(T.int16, 8)), mk('v4_int32', vec(T.int32, 4)), mk('v2_int64', vec(T.int64, 2)),
      mk('uint128', base('uint128_t', 16, 'unsigned')),
    ],
  } as StructType;
}

// ---------------------------------------------------------------- type resolution

const KEYWORD_TYPES: Record<string, Type> = {
  void: T.void, char: T.char, 'signed char': T.schar, 'unsigned char': T.uchar,
  short: T.short, 'unsigned short': T.ushort, int: T.int, 'unsigned int': T.uint,
  long: T.long, 'unsigned long': T.ulong, 'long long': T.longlong, 'unsigned long long': T.ulonglong,
  float: T.float, double: T.double, 'long double': T.longdouble, bool: T.bool, _Bool: base('_Bool', 1, 'bool'),
  __int128: T.int128, 'unsigned __int128': T.uint128, wchar_t: base('wchar_t', 4, 'signed'),
  char16_t: base('char16_t', 2, 'utf'), char32_t: base('char32_t', 4, 'utf'),
};

function keywordType(kws: string[]): Type | undefined {
  const quals = kws.filter((k): k is 'const' | 'volatile' | 'restrict' => k === 'const' || k === 'volatile' || k === 'restrict');
  const rest = kws.filter((k) => k !== 'const' && k !== 'volatile' && k !== 'restrict' && k !== '_Complex');
  let unsigned = false;
  let signed = false;
  let longs = 0;
  let shorts = 0;
  let basic: string | undefined;
  for (const k of rest) {
    if (k === 'unsigned') unsigned = true;
    else if (k === 'signed') signed = true;
    else if (k === 'long') longs++;
    else if (k === 'short') shorts++;
    else if (k === 'int') basic = basic ?? 'int';
    else basic = k;
  }
  let key: string;
  if (basic === 'char') key = unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
  else if (basic === 'double') key = longs ? 'long double' : 'double';
  else if (basic === '__int128') key = unsigned ? 'unsigned __int128' : '__int128';
  else if (basic && basic !== 'int') key = basic;
  else {
    const size = shorts ? 'short' : longs >= 2 ? 'long long' : longs === 1 ? 'long' : 'int';
    key = unsigned ? `unsigned ${size}` : size;
  }
  let t = KEYWORD_TYPES[key];
  if (!t) return undefined;
  for (const q of ['const', 'volatile', 'restrict'] as const) if (quals.includes(q)) t = { kind: q, target: t };
  return t;
}

// ---------------------------------------------------------------- the evaluator

class Evaluator {
  readonly frame?: FrameContext;
  readonly modules: ModuleSymbols[];
  readonly memory: TargetMemory;
  readonly store?: ValueStore;
  readonly cplus: boolean;
  readonly noSide: boolean;

  constructor(readonly ctx: EvalContext, options: EvaluateOptions) {
    this.frame = ctx.frame;
    this.modules = ctx.modules ?? ctx.frame?.memory.modules ?? ctx.memory?.modules ?? (ctx.frame?.module ? [ctx.frame.module] : []);
    this.memory = ctx.memory ?? ctx.frame?.memory ?? fileMemory(this.modules);
    // Values carry their memory; it tells the formatter which modules give `<symbol>` names.
    for (const m of [this.memory, ctx.frame?.memory]) if (m && !m.modules && this.modules.length) m.modules = this.modules;
    this.store = ctx.store;
    this.noSide = !!options.noSideEffects;
    const scope = this.frame ? frameScope(this.frame) : undefined;
    const unit = scope?.chain[0]?.unit ?? this.modules[0]?.symbolFile.mainUnit();
    this.cplus = isCplusUnit(unit);
  }

  parseEnv(): ParseEnv {
    return {
      cplus: this.cplus,
      isTypeName: (n) => this.isTypeName(n),
      isKnownName: (n) => {
        try {
          return !!lookupSymbol(n, this.ctxWithModules());
        } catch {
          return false;
        }
      },
    };
  }

  // ------------------------------------------------------------ names

  isTypeName(name: string): boolean {
    if (this.frame && !name.includes('::')) {
      try {
        if (lookupLocal(name, this.frame)) return false;
      } catch {
        return false;
      }
    }
    if (!this.findType(name)) return false;
    try {
      const s = lookupSymbol(name, this.ctxWithModules());
      if (s && s.kind !== 'minsym-data' && s.kind !== 'minsym-text') return false;
    } catch {
      /* not a variable */
    }
    return true;
  }

  private ctxWithModules(): EvalContext {
    return { ...this.ctx, modules: this.modules, memory: this.memory };
  }

  findType(name: string, tag?: string): Type | undefined {
    const key = tag ? `${tag} ${name}` : name;
    const mods = this.frame?.module ? [this.frame.module, ...this.modules.filter((m) => m !== this.frame!.module)] : this.modules;
    for (const m of mods) {
      const t = m.symbolFile.typeByName(key);
      if (t) return t;
    }
    if (!tag) {
      // C++ lets a class name be written without its keyword; C types are found by tag only with it.
      for (const m of mods) {
        const t = m.symbolFile.typeByName(name);
        if (t) return t;
      }
    }
    return undefined;
  }

  resolveType(spec: TypeSpec): Type {
    let t: Type | undefined;
    if (spec.name !== undefined) {
      t = this.findType(spec.name, spec.tag);
      if (!t) {
        if (spec.tag) throw new EvalError(`No ${spec.tag === 'class' ? 'struct' : spec.tag} type named ${spec.name}.`);
        throw new EvalError(`No symbol "${spec.name}" in current context.`);
      }
      for (const q of ['const', 'volatile'] as const) if (spec.keywords.includes(q)) t = { kind: q, target: t };
    } else {
      t = keywordType(spec.keywords);
      if (!t) throw new EvalError(`A syntax error in expression, near \`${spec.text}'.`);
    }
    for (const op of spec.ops) {
      switch (op.op) {
        case 'pointer': {
          let p: Type = makePointer(t);
          for (const q of op.quals) if (q === 'const' || q === 'volatile' || q === 'restrict') p = { kind: q, target: p };
          t = p;
          break;
        }
        case 'reference':
          t = { kind: op.rvalue ? 'rvalue-reference' : 'reference', target: t, byteSize: 8 };
          break;
        case 'array':
          t = makeArray(t, op.length);
          break;
        case 'function':
          t = { kind: 'function', returnType: t, params: op.params.map((p) => this.resolveType(p)), varargs: op.varargs, prototyped: true };
          break;
      }
    }
    return t;
  }

  // ------------------------------------------------------------ helpers

  intValue(type: Type, v: bigint): Value {
    return Value.fromBigInt(type, v, this.memory);
  }

  boolType(): Type {
    return this.cplus ? T.bool : T.int;
  }

  boolValue(b: boolean): Value {
    return this.intValue(this.boolType(), b ? 1n : 0n);
  }

  /** coerce_ref: a reference becomes the object it refers to. */
  coerceRef(v: Value): Value {
    const t = strip(v.type);
    if (t.kind === 'reference' || t.kind === 'rvalue-reference') {
      // `ref@entry`: the referenced object's value on entry (DW_AT_call_data_value).
      if (v.syntheticTarget) return v.syntheticTarget();
      const addr = Number(v.asBigInt());
      return Value.atAddress(t.target, addr, this.memory);
    }
    return v;
  }

  /** coerce_array: arrays decay to pointers to their first element, functions to function pointers. */
  coerceArray(v: Value): Value {
    v = this.coerceRef(v);
    const t = strip(v.type);
    if (t.kind === 'array' && !t.vector) {
      const info = arrayInfo(t)!;
      if (v.address === undefined) throw new EvalError('Attempt to take address of value not located in memory.');
      return this.intValue(makePointer(info.element), BigInt(v.address));
    }
    if (t.kind === 'function') {
      if (v.address === undefined) throw new EvalError('Attempt to take address of value not located in memory.');
      return this.intValue(makePointer(v.type), BigInt(v.address));
    }
    return v;
  }

  /** Integer value of a scalar (value_as_long). */
  asLong(v: Value): bigint {
    v = this.coerceArray(v);
    const t = strip(v.type);
    if (isFloat(t)) return sizeOf(t) >= 10 ? ldToLongest(ldFromBytes(v.bytes())) : floatToBigInt(v.asNumber());
    if (isIntegral(t) || t.kind === 'pointer' || t.kind === 'ptr-to-member') {
      if (t.kind === 'enum') return bytesToBigInt(v.bytes().subarray(0, t.byteSize), enumUnsigned(t) ? false : true);
      return v.asBigInt();
    }
    throw new EvalError("Value can't be converted to integer.");
  }

  truth(v: Value): boolean {
    v = this.coerceArray(v);
    const t = strip(v.type);
    if (isFloat(t)) return v.asNumber() !== 0;
    if (isIntegral(t) || t.kind === 'pointer') return v.asBigInt() !== 0n;
    // gdb's value_logical_not: any non-zero byte is true.
    return v.bytes().some((b) => b !== 0);
  }

  // ------------------------------------------------------------ evaluation

  eval(n: Node): Value {
    switch (n.k) {
      case 'int':
        return this.intLiteral(n);
      case 'float': {
        if (n.suffix === 'l') {
          const ld = ldFromDecimal(n.text.replace(/[lL]$/, '')) ?? ldFromNumber(n.value);
          return Value.fromBytes(T.longdouble, ldToBytes(ld), this.memory);
        }
        const type = n.suffix === 'f' ? T.float : T.double;
        return Value.fromNumber(type, n.suffix === 'f' ? Math.fround(n.value) : n.value, this.memory);
      }
      case 'char':
        return this.intValue(n.prefix === 'L' ? KEYWORD_TYPES.wchar_t : n.prefix === 'u' ? KEYWORD_TYPES.char16_t : n.prefix === 'U' ? KEYWORD_TYPES.char32_t : T.char, n.value);
      case 'string': {
        const width = n.prefix === '' || n.prefix === 'u8' ? 1 : n.prefix === 'u' ? 2 : 4;
        const el = width === 1 ? T.char : n.prefix === 'L' ? KEYWORD_TYPES.wchar_t : width === 2 ? KEYWORD_TYPES.char16_t : KEYWORD_TYPES.char32_t;
        const bytes = Buffer.concat([n.bytes, Buffer.alloc(width)]);
        return Value.fromBytes(makeArray(el, bytes.length / width), bytes, this.memory);
      }
      case 'bool':
        return this.intValue(T.bool, n.value ? 1n : 0n);
      case 'ident':
        return this.identifier(n.name, n.global);
      case 'entry':
        return lookupEntryValue(n.name, this.frame);
      case 'this':
        return this.thisValue();
      case 'dollar':
        return this.dollar(n.name);
      case 'unary':
        return this.unary(n.op, n.e);
      case 'postfix': {
        const target = this.eval(n.e);
        checkNumeric(target);
        const old = this.coerceRef(target).asRvalue();
        if (this.noSide) return old;
        const one = this.intValue(T.int, 1n);
        this.assignValue(target, this.binop(n.op === '++' ? '+' : '-', old, one));
        return old;
      }
      case 'binary':
        if (n.op === '&&') {
          const l = this.eval(n.l);
          if (isStruct(strip(l.type))) throw new EvalError('Structure has no component named operator&&.');
          if (!this.truth(l)) return this.boolValue(false);
          const r = this.eval(n.r);
          if (isStruct(strip(r.type))) throw new EvalError("Can't do that binary op on that type");
          return this.boolValue(this.truth(r));
        }
        if (n.op === '||') {
          const l = this.eval(n.l);
          if (isStruct(strip(l.type))) throw new EvalError('Structure has no component named operator||.');
          if (this.truth(l)) return this.boolValue(true);
          const r = this.eval(n.r);
          if (isStruct(strip(r.type))) throw new EvalError("Can't do that binary op on that type");
          return this.boolValue(this.truth(r));
        }
        return this.binop(n.op, this.eval(n.l), this.eval(n.r));
      case 'assign': {
        const l = this.eval(n.l);
        let r = this.eval(n.r);
        if (n.op !== '=') r = this.binop(n.op.slice(0, -1), l, r);
        if (this.noSide) return l;
        return this.assignValue(l, r);
      }
      case 'cond':
        return this.truth(this.eval(n.c)) ? this.eval(n.t) : this.eval(n.f);
      case 'comma':
        this.eval(n.l);
        return this.eval(n.r);
      case 'cast':
        return this.cast(this.eval(n.e), this.resolveType(n.type));
      case 'brace': {
        const type = this.resolveType(n.type);
        const addr = this.asLong(this.eval(n.e));
        return Value.atAddress(type, Number(BigInt.asUintN(64, addr)), this.memory);
      }
      case 'sizeof':
        return this.sizeofNode(n);
      case 'member':
        return this.member(this.eval(n.e), n.name, n.arrow);
      case 'index':
        return this.index(this.eval(n.e), this.eval(n.i));
      case 'call':
        return this.call(n);
      case 'at':
        return this.repeat(this.eval(n.l), this.eval(n.r));
      case 'typeexpr':
        this.resolveType(n.type);
        throw new EvalError(`Attempt to use a type name as an expression`);
    }
  }

  evaluateWithType(n: Node): Value | { typeOnly: Type } {
    if (n.k === 'typeexpr') return { typeOnly: this.resolveType(n.type) };
    return this.eval(n);
  }

  private intLiteral(n: Extract<Node, { k: 'int' }>): Value {
    const v = n.value;
    const fitsInt = v <= 0x7fffffffn;
    const fitsUint = v <= 0xffffffffn;
    const fitsLong = v <= 0x7fffffffffffffffn;
    let type: Type;
    if (n.longs >= 2) type = n.unsigned || !fitsLong ? T.ulonglong : T.longlong;
    else if (n.longs === 1) type = n.unsigned || !fitsLong ? T.ulong : T.long;
    else if (n.unsigned) type = fitsUint ? T.uint : T.ulong;
    else if (fitsInt) type = T.int;
    else if (!n.decimal && fitsUint) type = T.uint;
    else if (fitsLong) type = T.long;
    else type = T.ulong;
    return this.intValue(type, v);
  }

  identifier(name: string, global: boolean): Value {
    if (!global && this.frame && !name.includes('::')) {
      const local = lookupLocal(name, this.frame);
      if (local) return local;
      // C++: members of *this inside a method.
      if (this.cplus) {
        const self = lookupLocal('this', this.frame);
        if (self) {
          const obj = this.deref(self);
          const m = this.findMember(obj, name);
          if (m) return m;
        }
      }
    }
    const found = lookupSymbol(global ? '::' + name : name, this.ctxWithModules(), { skipLocals: true });
    if (!found) {
      if (name.includes('::')) {
        // Class::member static data or enumerators of a class/namespace-scoped enum.
        const v = this.scopedName(name);
        if (v) return v;
        const k = name.lastIndexOf('::');
        const prefix = name.slice(0, k);
        if (this.isNamespace(prefix)) throw new EvalError(`No symbol "${name.slice(k + 2)}" in namespace "${prefix}".`);
        // gdb's parser stops at the first component that names nothing.
        const parts = name.split('::');
        let known = '';
        for (const p of parts.slice(0, -1)) {
          const q = known ? `${known}::${p}` : p;
          if (!this.isNamespace(q) && !this.findType(q)) throw new EvalError(`No symbol "${p}" in current context.`);
          known = q;
        }
      }
      throw new EvalError(`No symbol "${name}" in current context.`);
    }
    if (found.kind === 'minsym-data') throw new EvalError(`'${name}' has unknown type; cast it to its declared type`);
    return found.value;
  }

  /** True when some function or variable is declared in namespace (or class) `prefix`. */
  isNamespace(prefix: string): boolean {
    const p = prefix + '::';
    return this.modules.some((m) => m.symbolFile.globals().some((g) => g.name.startsWith(p)) || m.symbolFile.functions().some((f) => f.name.startsWith(p)));
  }

  /** `Enum::VALUE`, `ns::Enum::VALUE` (C++ scoped enumerators). */
  private scopedName(name: string): Value | undefined {
    const k = name.lastIndexOf('::');
    const scope = name.slice(0, k);
    const last = name.slice(k + 2);
    const t = this.findType(scope);
    if (t) {
      const s = strip(t);
      if (s.kind === 'enum') {
        const e = s.enumerators.find((x) => x.name === last);
        if (e) return this.intValue(t, BigInt(e.value));
      }
      if (s.kind === 'struct' || s.kind === 'class' || s.kind === 'union') {
        const sm = s.statics?.find((x) => x.name === last);
        if (sm) return staticMemberValue(s, sm, this.modules, this.memory);
        throw new EvalError(`There is no field named ${last}`);
      }
    }
    return undefined;
  }

  thisValue(): Value {
    const v = this.frame ? lookupLocal('this', this.frame) : undefined;
    if (!v) throw new EvalError('No symbol "this" in current context.');
    return v;
  }

  dollar(text: string): Value {
    const store = this.store;
    if (text === '$') {
      if (!store || store.length === 0) throw new EvalError('The history is empty.');
      return store.historyBack(0)!;
    }
    if (text.startsWith('$$')) {
      const n = text.length === 2 ? 1 : parseInt(text.slice(2), 10);
      if (n === 0) return this.dollar('$');
      const v = store?.historyBack(n);
      if (!v) throw new EvalError(`History does not go back to $$${n}.`);
      return v;
    }
    const name = text.slice(1);
    if (/^[0-9]+$/.test(name)) {
      const n = parseInt(name, 10);
      const v = store?.historyAt(n);
      if (!v) throw new EvalError(`History has not yet reached $${n}.`);
      return v;
    }
    const reg = REGS.get(name);
    if (reg) return this.register(name, reg);
    const cv = store?.convenience(name);
    if (cv) return cv.asInternalVar(name);
    return Value.fromBytes(T.void, Buffer.alloc(0), this.memory).asInternalVar(name);
  }

  register(name: string, d: RegDesc): Value {
    const frame = this.frame;
    if (!frame) throw new EvalError('No registers.');
    // gdb treats caller-saved registers without an unwind rule as unchanged from the frame below.
    let f: FrameContext | undefined = frame;
    while (f && !f.regs.has(d.reg) && !f.regBytes?.(d.reg) && f.callee) f = f.callee;
    const holder = f && (f.regs.has(d.reg) || f.regBytes?.(d.reg)) ? f : frame;
    if (!registerBytes(holder, d.reg)) return Value.optimizedOut(d.type, '<not saved>', this.memory);
    void name;
    return Value.inRegister(d.type, d.reg, holder, d.offset ?? 0);
  }

  // ------------------------------------------------------------ unary

  deref(v: Value): Value {
    v = this.coerceRef(v);
    const t = strip(v.type);
    if (v.syntheticTarget) return v.syntheticTarget();
    if (t.kind === 'pointer') {
      const target = strip(t.target);
      if (target.kind === 'void') throw new EvalError('Attempt to dereference a generic pointer.');
      if (target.kind === 'struct' && target.declaration && !target.members.length) {
        // incomplete type: still dereferenceable, prints <incomplete type>
      }
      return Value.atAddress(t.target, Number(v.asBigInt()), this.memory);
    }
    if (t.kind === 'array') {
      const info = arrayInfo(t)!;
      return v.component(info.element, 0);
    }
    if (t.kind === 'function') {
      // gdb's `whatis *f` (no side effects) does not accept functions.
      if (this.noSide) throw new EvalError('Attempt to take contents of a non-pointer value.');
      return v;
    }
    if (t.kind === 'base' && isIntegral(t) && t.encoding !== 'bool') return Value.atAddress(T.int, Number(BigInt.asUintN(64, v.asBigInt())), this.memory);
    throw new EvalError('Attempt to take contents of a non-pointer value.');
  }

  addressOf(v: Value, what?: string): Value {
    const t = strip(v.type);
    if (t.kind === 'reference' || t.kind === 'rvalue-reference') {
      return this.intValue(makePointer(t.target), v.asBigInt());
    }
    if (v.location.kind === 'register') {
      const regName = what ?? 'value';
      throw new EvalError(`Address requested for identifier "${regName}" which is in register $${regNameOf(v.location.reg)}`);
    }
    if (v.address === undefined || v.bitField) throw new EvalError('Attempt to take address of value not located in memory.');
    return this.intValue(makePointer(v.type), BigInt(v.address));
  }

  unary(op: string, e: Node): Value {
    if (op === '&') {
      const v = this.eval(e);
      if (e.k === 'ident') {
        const st = strip(v.type);
        const k = v.location.kind;
        if (st.kind !== 'function' && st.kind !== 'reference' && st.kind !== 'rvalue-reference' && k !== 'memory') {
          if (k === 'register') throw new EvalError(`Address requested for identifier "${e.name}" which is in register $${regNameOf(v.location.kind === 'register' ? v.location.reg : 0)}`);
          throw new EvalError(`Can't take address of "${e.name}" which isn't an lvalue.`);
        }
      }
      return this.addressOf(v, e.k === 'ident' ? e.name : undefined);
    }
    if (op === '*') return this.deref(this.eval(e));
    if (op === '++' || op === '--') {
      const target = this.eval(e);
      checkNumeric(target);
      const nv = this.binop(op === '++' ? '+' : '-', target, this.intValue(T.int, 1n));
      if (this.noSide) return nv;
      return this.assignValue(target, nv);
    }
    let v = this.coerceRef(this.eval(e));
    if (isStruct(strip(v.type))) throw new EvalError(`Structure has no component named operator${op}.`);
    if (op === '!') {
      const t = strip(v.type);
      if (!isArithmetic(t) && t.kind !== 'pointer' && t.kind !== 'array') throw new EvalError('Argument to logical not not a number or boolean.');
      return this.boolValue(!this.truth(v));
    }
    const t0 = strip(v.type);
    if (!isArithmetic(t0)) {
      if (op === '-') throw new EvalError('Argument to negate operation not a number.');
      if (op === '~') throw new EvalError('Argument to complement operation not an integer, boolean.');
      if (op === '+') throw new EvalError('Argument to positive operation not a number.');
    }
    // unop_promote
    if (isIntegral(t0) && sizeOf(t0) < 4) v = this.cast(v, T.int);
    const t = strip(v.type);
    if (isFloat(t) && sizeOf(t) >= 10) {
      if (op === '~') throw new EvalError('Argument to complement operation not an integer, boolean.');
      const x = ldFromBytes(v.bytes());
      return Value.fromBytes(v.type, ldToBytes(op === '-' ? ldSub(ldFromNumber(0), x) : x, sizeOf(t)), this.memory);
    }
    if (isFloat(t)) {
      const x = v.asNumber();
      if (op === '~') throw new EvalError('Argument to complement operation not an integer, boolean.');
      // gdb negates as 0 - x: -0.0 is 0, and a NaN keeps its sign.
      return Value.fromNumber(v.type, op === '-' ? 0 - x : x, this.memory);
    }
    const x = this.asLong(v);
    const rt = t.kind === 'enum' ? v.type : v.type;
    if (op === '-') return this.intValue(rt, -x);
    if (op === '~') return this.intValue(rt, ~x);
    return this.intValue(rt, x);
  }

  // ------------------------------------------------------------ binary

  /** gdb's binop_promote for C/C++. */
  promote(a: Type, b: Type): Type {
    const ta = strip(a);
    const tb = strip(b);
    if (isFloat(ta) || isFloat(tb)) {
      if (!isFloat(ta)) return b;
      if (!isFloat(tb)) return a;
      return sizeOf(tb) > sizeOf(ta) ? b : a;
    }
    let la = sizeOf(ta);
    let lb = sizeOf(tb);
    let ua = !signedForArith(ta);
    let ub = !signedForArith(tb);
    if (la < 4) {
      ua = false;
      la = 4;
    }
    if (lb < 4) {
      ub = false;
      lb = 4;
    }
    let unsigned: boolean;
    let len: number;
    if (la > lb) {
      unsigned = ua;
      len = la;
    } else if (lb > la) {
      unsigned = ub;
      len = lb;
    } else {
      unsigned = ua || ub;
      len = la;
    }
    if (len <= 4) return unsigned ? T.uint : T.int;
    if (len <= 8) return unsigned ? T.ulong : T.long;
    return unsigned ? T.uint128 : T.int128;
  }

  binop(op: string, l0: Value, r0: Value): Value {
    let l = this.coerceRef(l0);
    let r = this.coerceRef(r0);
    const lt = strip(l.type);
    const rt = strip(r.type);
    if (isStruct(lt)) throw new EvalError(`Structure has no component named operator${op}.`);
    if (isStruct(rt)) throw new EvalError("Can't do that binary op on that type");
    // Pointer arithmetic (arrays and functions decay).
    const ptrLike = (t: Type) => t.kind === 'pointer' || (t.kind === 'array' && !t.vector) || t.kind === 'function';
    if (op === '+' || op === '-') {
      if (ptrLike(lt) && isIntegral(rt)) return this.ptrAdd(this.coerceArray(l), op === '+' ? this.asLong(r) : -this.asLong(r));
      if (op === '+' && ptrLike(rt) && isIntegral(lt)) return this.ptrAdd(this.coerceArray(r), this.asLong(l));
      if (op === '-' && ptrLike(lt) && ptrLike(rt)) {
        l = this.coerceArray(l);
        r = this.coerceArray(r);
        const ls = sizeOf(strip((strip(l.type) as { target: Type }).target));
        const rs = sizeOf(strip((strip(r.type) as { target: Type }).target));
        if (ls !== rs) throw new EvalError("First argument of `-' is a pointer and second argument is neither\nan integer nor a pointer of the same type.");
        const sz = BigInt(ls || 1);
        return this.intValue(T.long, (l.asBigInt() - r.asBigInt()) / sz);
      }
      if (op === '-' && ptrLike(lt)) throw new EvalError("First argument of `-' is a pointer and second argument is neither\nan integer nor a pointer of the same type.");
    }
    const cmp = op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=';
    if (cmp && (ptrLike(lt) || ptrLike(rt) || lt.kind === 'function' || rt.kind === 'function')) {
      const a = BigInt.asUintN(64, this.asLong(l));
      const b = BigInt.asUintN(64, this.asLong(r));
      return this.boolValue(compare(op, a, b));
    }
    if (!isArithmetic(lt) || !isArithmetic(rt)) {
      if (ptrLike(lt) || ptrLike(rt)) throw new EvalError('Argument to arithmetic operation not a number or boolean.');
      throw new EvalError('Argument to arithmetic operation not a number or boolean.');
    }
    const pt = this.promote(l.type, r.type);
    const ps = strip(pt);
    if (isFloat(ps) && sizeOf(ps) >= 10) return this.ldBinop(op, l, r, pt, cmp);
    if (isFloat(ps)) {
      const a = l.asNumber();
      const b = r.asNumber();
      if (cmp) return this.boolValue(compareNum(op, a, b));
      let x: number;
      switch (op) {
        case '+': x = a + b; break;
        case '-': x = a - b; break;
        case '*': x = a * b; break;
        case '/': x = a / b; break;
        case '%':
        case '<<':
        case '>>':
        case '&':
        case '|':
        case '^':
          throw new EvalError('Integer-only operation on floating point number.');
        default:
          throw new EvalError(`Invalid binary operation on numbers.`);
      }
      if (sizeOf(ps) === 4) x = Math.fround(x);
      return Value.fromNumber(pt, x, this.memory);
    }
    const signed = signedForArith(ps);
    const bits = sizeOf(ps) * 8;
    const norm = (x: bigint) => (signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x));
    const a = norm(this.asLong(l));
    const b = norm(this.asLong(r));
    if (cmp) return this.boolValue(compare(op, a, b));
    let x: bigint;
    switch (op) {
      case '+': x = a + b; break;
      case '-': x = a - b; break;
      case '*': x = a * b; break;
      case '/':
        if (b === 0n) throw new EvalError('Division by zero');
        x = a / b;
        break;
      case '%':
        if (b === 0n) throw new EvalError('Division by zero');
        x = a % b;
        break;
      case '<<':
        x = b < 0n || b >= BigInt(bits) ? 0n : a << b;
        break;
      case '>>':
        x = b < 0n || b >= BigInt(bits) ? 0n : a >> b;
        break;
      case '&': x = a & b; break;
      case '|': x = a | b; break;
      case '^': x = a ^ b; break;
      default:
        throw new EvalError(`Invalid binary operation on numbers.`);
    }
    return this.intValue(pt, x);
  }

  /** Arithmetic in x87 long double (exact rounding, as gdb computes it on the host). */
  ldBinop(op: string, l: Value, r: Value, pt: Type, cmp: boolean): Value {
    const a = this.toLD(l);
    const b = this.toLD(r);
    if (cmp) {
      const c = ldCmp(a, b);
      if (c === undefined) return this.boolValue(op === '!=');
      return this.boolValue(op === '==' ? c === 0 : op === '!=' ? c !== 0 : op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0);
    }
    let x: LD;
    switch (op) {
      case '+': x = ldAdd(a, b); break;
      case '-': x = ldSub(a, b); break;
      case '*': x = ldMul(a, b); break;
      case '/': x = ldDiv(a, b); break;
      case '%':
      case '<<':
      case '>>':
      case '&':
      case '|':
      case '^':
        throw new EvalError('Integer-only operation on floating point number.');
      default:
        throw new EvalError('Invalid binary operation on numbers.');
    }
    return Value.fromBytes(pt, ldToBytes(x, sizeOf(pt)), this.memory);
  }

  toLD(v: Value): LD {
    const t = strip(v.type);
    if (isFloat(t)) return sizeOf(t) >= 10 ? ldFromBytes(v.bytes()) : ldFromNumber(v.asNumber());
    return ldFromBigInt(this.asLong(v));
  }

  ptrAdd(p: Value, n: bigint): Value {
    const t = strip(p.type) as { kind: 'pointer'; target: Type };
    const sz = BigInt(sizeOf(strip(t.target)) || 1);
    return this.intValue(p.type, BigInt.asUintN(64, p.asBigInt() + n * sz));
  }

  // ------------------------------------------------------------ casts and assignment

  cast(v: Value, to: Type): Value {
    const ts = strip(to);
    v = this.coerceRef(v);
    const fs = strip(v.type);
    if (ts.kind === 'void') return Value.fromBytes(to, Buffer.alloc(0), this.memory);
    if (ts.kind === 'struct' || ts.kind === 'class' || ts.kind === 'union') {
      if ((fs.kind === ts.kind && (fs === ts || fs.name === ts.name)) || typeName(fs) === typeName(ts)) return v.withType(to);
      // Base class of a derived object.
      const off = fs.kind === 'struct' || fs.kind === 'class' ? baseOffset(fs, ts) : undefined;
      if (off !== undefined) return v.component(to, off);
      throw new EvalError('Invalid cast.');
    }
    if (ts.kind === 'array') {
      if (fs.kind === 'array' && sizeOf(fs) === sizeOf(ts)) return v.withType(to);
      throw new EvalError('Invalid cast.');
    }
    if (ts.kind === 'reference' || ts.kind === 'rvalue-reference') {
      if (v.address === undefined) throw new EvalError('Attempt to take address of value not located in memory.');
      return this.intValue(to, BigInt(v.address));
    }
    if (ts.kind === 'pointer') {
      const src = this.coerceArray(v);
      const ss = strip(src.type);
      if (ss.kind === 'pointer') {
        // C++ up/down casts between classes adjust the pointer.
        const from = strip(ss.target);
        const tgt = strip(ts.target);
        let addr = src.asBigInt();
        if ((from.kind === 'struct' || from.kind === 'class') && (tgt.kind === 'struct' || tgt.kind === 'class') && from !== tgt && addr !== 0n) {
          const up = baseOffset(from, tgt);
          if (up !== undefined) addr += BigInt(up);
          else {
            const down = baseOffset(tgt, from);
            if (down !== undefined) addr -= BigInt(down);
          }
        }
        return this.intValue(to, addr);
      }
      if (isIntegral(ss) || ss.kind === 'ptr-to-member') return this.intValue(to, this.asLong(src));
      if (isFloat(ss)) throw new EvalError('Invalid cast.');
      throw new EvalError('Invalid cast.');
    }
    if (isFloat(ts)) {
      const src = this.coerceArray(v);
      const ss = strip(src.type);
      if (!isArithmetic(ss) && ss.kind !== 'pointer') throw new EvalError('Invalid cast.');
      if (sizeOf(ts) >= 10) return Value.fromBytes(to, ldToBytes(this.toLD(src), sizeOf(ts)), this.memory);
      if (isFloat(ss) && sizeOf(ss) >= 10) {
        let y = ldToNumber(ldFromBytes(src.bytes()));
        if (sizeOf(ts) === 4) y = Math.fround(y);
        return Value.fromNumber(to, y, this.memory);
      }
      let x = isFloat(ss) ? src.asNumber() : Number(this.asLong(src));
      if (sizeOf(ts) === 4) x = Math.fround(x);
      return Value.fromNumber(to, x, this.memory);
    }
    if (isIntegral(ts) || ts.kind === 'ptr-to-member') {
      const src = this.coerceArray(v);
      const ss = strip(src.type);
      if (ss.kind === 'struct' || ss.kind === 'union' || ss.kind === 'class' || ss.kind === 'void') throw new EvalError('Invalid cast.');
      if (ts.kind === 'base' && ts.encoding === 'bool') {
        const nz = isFloat(ss) ? src.asNumber() !== 0 : this.asLong(src) !== 0n;
        return this.intValue(to, nz ? 1n : 0n);
      }
      const x = isFloat(ss) ? (sizeOf(ss) >= 10 ? ldToLongest(ldFromBytes(src.bytes())) : floatToBigInt(src.asNumber())) : this.asLong(src);
      return this.intValue(to, x);
    }
    if (ts.kind === 'function') throw new EvalError('Invalid cast.');
    throw new EvalError('Invalid cast.');
  }

  /** value_assign: write `from` (converted to the target's type) into `target`. */
  assignValue(target: Value, from: Value): Value {
    if (target.location.kind === 'internalvar') {
      const name = target.location.name;
      if (!this.store) throw new EvalError('Left operand of assignment is not an lvalue.');
      const fv = this.coerceRef(from);
      const ft = strip(fv.type);
      const val = ft.kind === 'array' && fv.address !== undefined ? this.coerceArray(fv) : fv;
      this.store.setConvenience(name, val.asRvalue());
      return this.store.convenience(name)!.asInternalVar(name);
    }
    const tt = strip(target.type);
    if (tt.kind === 'reference' || tt.kind === 'rvalue-reference') target = this.coerceRef(target);
    if (!target.isLvalue) throw new EvalError('Left operand of assignment is not an lvalue.');
    const conv = this.cast(from, target.type);
    const bytes = Buffer.from(conv.bytes().subarray(0, sizeOf(target.type) || conv.bytes().length));
    const loc = target.location;
    if (loc.kind === 'memory') {
      const mem = target.memory ?? this.memory;
      if (!mem.write) throw new EvalError(`Cannot access memory at address 0x${loc.address.toString(16)}`);
      if (target.bitField) {
        const bf = target.bitField;
        const n = Math.ceil((bf.bitOffset + bf.bitSize) / 8);
        const raw = Buffer.from(mem.read(loc.address, n));
        insertBits(raw, bf, bytesToBigInt(bytes, false));
        writeMem(mem, loc.address, raw);
      } else writeMem(mem, loc.address, bytes);
      const out = target.withType(target.type);
      out.invalidate();
      return out;
    }
    if (loc.kind === 'register') {
      const f = loc.frame;
      const reg = loc.reg;
      const off = loc.byteOffset ?? 0;
      const cur = registerBytes(f, reg);
      if (!cur) throw new EvalError('value has been optimized out');
      const nb = Buffer.from(cur);
      if (target.bitField) {
        const bf = target.bitField;
        const n = Math.ceil((bf.bitOffset + bf.bitSize) / 8);
        const raw = nb.subarray(off, off + n);
        insertBits(raw, bf, bytesToBigInt(bytes, false));
      } else bytes.copy(nb, off, 0, Math.min(bytes.length, nb.length - off));
      if (f.regs.has(reg) && nb.length >= 8) {
        const val = nb.readBigUInt64LE(0);
        if (!f.setRegister) throw new EvalError('Attempt to assign to an unmodifiable value.');
        f.regs.set(reg, val);
        f.setRegister(reg, val);
      } else {
        if (!f.setRegisterBytes) throw new EvalError('Attempt to assign to an unmodifiable value.');
        f.setRegisterBytes(reg, nb);
      }
      const out = target.withType(target.type);
      out.invalidate();
      return out;
    }
    throw new EvalError('Left operand of assignment is not an lvalue.');
  }

  // ------------------------------------------------------------ members, indexing, @

  /** Finds a member (searching anonymous members and base classes) of a struct value. */
  findMember(obj: Value, name: string): Value | undefined {
    const t = strip(obj.type);
    if (t.kind !== 'struct' && t.kind !== 'class' && t.kind !== 'union') return undefined;
    for (const m of t.members) {
      if (m.name === name) return memberOf(obj, m);
    }
    for (const m of t.members) {
      const mt = strip(m.type);
      if (m.name === undefined && (mt.kind === 'struct' || mt.kind === 'union' || mt.kind === 'class')) {
        const inner = this.findMember(memberOf(obj, m), name);
        if (inner) return inner;
      }
    }
    const sm = t.statics?.find((x) => x.name === name);
    if (sm) return staticMemberValue(t, sm, this.modules, this.memory);
    for (const b of t.bases) {
      const inner = this.findMember(obj.component(b.type, b.offset ?? 0), name);
      if (inner) return inner;
    }
    return undefined;
  }

  member(v: Value, name: string, arrow: boolean): Value {
    v = this.coerceRef(v);
    let t = strip(v.type);
    while (t.kind === 'pointer' || t.kind === 'reference' || t.kind === 'rvalue-reference') {
      v = this.deref(v);
      t = strip(v.type);
    }
    if (t.kind !== 'struct' && t.kind !== 'class' && t.kind !== 'union') {
      throw new EvalError(arrow ? 'Attempt to extract a component of a value that is not a structure pointer.' : 'Attempt to extract a component of a value that is not a structure.');
    }
    const m = this.findMember(v, name);
    if (!m) throw new EvalError(this.cplus ? `There is no member or method named ${name}.` : `There is no member named ${name}.`);
    return m;
  }

  index(a: Value, i: Value): Value {
    a = this.coerceRef(a);
    i = this.coerceRef(i);
    let at = strip(a.type);
    const it = strip(i.type);
    // i[a] is a[i] too.
    if (!(at.kind === 'array' || at.kind === 'pointer') && (it.kind === 'array' || it.kind === 'pointer')) {
      [a, i] = [i, a];
      at = strip(a.type);
    }
    if (at.kind === 'array') {
      const info = arrayInfo(at)!;
      const idx = this.indexValue(i);
      if (a.address !== undefined) return Value.atAddress(info.element, a.address + Number(idx) * info.elementSize, a.memory ?? this.memory);
      if (info.length !== undefined && (idx < 0n || idx >= BigInt(info.length))) throw new EvalError('no such vector element');
      return a.component(info.element, Number(idx) * info.elementSize);
    }
    if (at.kind === 'pointer') {
      const idx = this.indexValue(i);
      return this.deref(this.ptrAdd(a, idx));
    }
    throw new EvalError(`cannot subscript something of type \`${typeName(checkTypedef(a.type))}'`);
  }

  private indexValue(i: Value): bigint {
    const t = strip(i.type);
    if (!isIntegral(t) && !isFloat(t)) throw new EvalError('Argument to arithmetic operation not a number or boolean.');
    return this.asLong(i);
  }

  repeat(l: Value, r: Value): Value {
    const rt = strip(r.type);
    if (!(rt.kind === 'base' && isIntegral(rt)) && rt.kind !== 'enum') throw new EvalError('Non-integral right operand for "@" operator.');
    const count = Number(this.asLong(r));
    if (l.location.kind !== 'memory') throw new EvalError("Only values in memory can be extended with '@'.");
    if (count < 1) throw new EvalError(`Invalid number ${count} of repetitions.`);
    const type = makeArray(l.type, count);
    if (sizeOf(type) > MAX_VALUE_SIZE && !this.noSide) {
      // Let the value fail on fetch with gdb's max-value-size message.
    }
    return Value.atAddress(type, l.address!, l.memory ?? this.memory);
  }

  sizeofNode(n: Extract<Node, { k: 'sizeof' }>): Value {
    let t: Type;
    if (n.type) t = this.resolveType(n.type);
    else {
      const inner = new Evaluator(this.ctx, { noSideEffects: true });
      t = inner.eval(n.e!).type;
    }
    let s = strip(t);
    if (s.kind === 'reference' || s.kind === 'rvalue-reference') s = strip(s.target);
    if (n.align) return this.intValue(T.int, BigInt(alignOf(s)));
    if (s.kind === 'void') return this.intValue(T.int, 1n);
    if (s.kind === 'function') return this.intValue(T.int, 1n);
    return this.intValue(T.int, BigInt(sizeOf(s)));
  }

  call(n: Extract<Node, { k: 'call' }>): Value {
    const f = this.eval(n.f);
    const ft = strip(f.type);
    const fnType = ft.kind === 'function' ? ft : ft.kind === 'pointer' && strip(ft.target).kind === 'function' ? (strip(ft.target) as Extract<Type, { kind: 'function' }>) : undefined;
    if (!fnType) throw new EvalError(`Cannot perform substring on this type`);
    if (this.noSide) return Value.fromBytes(fnType.returnType, Buffer.alloc(sizeOf(fnType.returnType)), this.memory);
    throw new EvalError('Calling functions in the program is not supported by backstep.');
  }
}

// ---------------------------------------------------------------- helpers

/** gdb's value_one for ++/--: only numbers and pointers (a reference is not coerced). */
function checkNumeric(v: Value): void {
  const t = strip(v.type);
  if (!isArithmetic(t) && t.kind !== 'pointer') throw new EvalError('Not a numeric type.');
}

function isStruct(t: Type): boolean {
  return t.kind === 'struct' || t.kind === 'class' || t.kind === 'union';
}

/** gdb's check_typedef: typedefs resolved, cv-qualifiers kept. */
function checkTypedef(t: Type): Type {
  const quals: ('const' | 'volatile')[] = [];
  for (;;) {
    if (t.kind === 'typedef') t = t.target;
    else if (t.kind === 'const' || t.kind === 'volatile') {
      quals.push(t.kind);
      t = t.target;
    } else break;
  }
  for (const q of quals.reverse()) t = { kind: q, target: t };
  return t;
}

function writeMem(mem: TargetMemory, addr: number, data: Buffer): void {
  try {
    mem.write!(addr, data);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/^Cannot access memory/.test(msg)) throw new EvalError(msg);
    throw new EvalError(msg.replace(/^writeMemorySync: /, ''));
  }
}

function memberOf(obj: Value, m: Member): Value {
  const bf = m.bitSize !== undefined ? { bitOffset: (m.bitOffset ?? 0) - m.offset * 8, bitSize: m.bitSize } : undefined;
  return obj.component(m.type, m.offset, bf);
}

/** Offset of base class `base` inside `derived` (searching nested non-virtual bases). */
function baseOffset(derived: Type, base: Type): number | undefined {
  const d = strip(derived);
  const b = strip(base);
  if (d.kind !== 'struct' && d.kind !== 'class') return undefined;
  for (const bc of d.bases) {
    const bt = strip(bc.type);
    if (bt === b || ((bt.kind === 'struct' || bt.kind === 'class') && (b.kind === 'struct' || b.kind === 'class') && bt.name !== undefined && bt.name === b.name)) return bc.offset ?? 0;
    const inner = baseOffset(bt, b);
    if (inner !== undefined) return (bc.offset ?? 0) + inner;
  }
  return undefined;
}

function enumUnsigned(t: EnumType): boolean {
  return t.enumerators.every((e) => BigInt(e.value) >= 0n);
}

/** Signedness as gdb's is_unsigned (enums: unsigned when no enumerator is negative). */
function signedForArith(t: Type): boolean {
  const s = strip(t);
  if (s.kind === 'enum') return !enumUnsigned(s);
  if (s.kind === 'base' && s.encoding === 'bool') return false;
  return isSigned(s);
}

function compare(op: string, a: bigint, b: bigint): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    default: return a >= b;
  }
}
function compareNum(op: string, a: number, b: number): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    default: return a >= b;
  }
}

const LONGEST_MIN = -(1n << 63n);
const LONGEST_MAX = (1n << 63n) - 1n;

/** gdb's target_float_to_longest: truncation, saturating to the LONGEST range (NaN gives the maximum). */
function clampLongest(v: bigint | undefined): bigint {
  if (v === undefined) return LONGEST_MAX;
  return v < LONGEST_MIN ? LONGEST_MIN : v > LONGEST_MAX ? LONGEST_MAX : v;
}

function floatToBigInt(x: number): bigint {
  if (Number.isNaN(x)) return LONGEST_MAX;
  if (!Number.isFinite(x)) return x < 0 ? LONGEST_MIN : LONGEST_MAX;
  return clampLongest(BigInt(Math.trunc(x)));
}

function ldToLongest(x: LD): bigint {
  if (x.kind === 'nan') return LONGEST_MAX;
  if (x.kind === 'inf') return x.neg ? LONGEST_MIN : LONGEST_MAX;
  return clampLongest(ldToBigInt(x));
}

function alignOf(t: Type): number {
  const s = strip(t);
  switch (s.kind) {
    case 'array':
      return alignOf(s.element);
    case 'struct':
    case 'class':
    case 'union':
      return Math.max(1, ...s.members.map((m) => alignOf(m.type)), ...s.bases.map((b) => alignOf(b.type)));
    default:
      return Math.max(1, Math.min(16, sizeOf(s)));
  }
}

function regNameOf(reg: number): string {
  for (const [n, d] of REGS) if (d.reg === reg && d.offset === undefined && n !== 'pc' && n !== 'sp' && n !== 'fp') return n;
  return `r${reg}`;
}

// ---------------------------------------------------------------- public entry points

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw asEvalError(e);
  }
}

/** Evaluates a C/C++ expression in gdb's dialect. Throws EvalError with gdb's message. */
export function evaluate(expression: string, ctx: EvalContext, options: EvaluateOptions = {}): Value {
  return wrap(() => {
    const ev = new Evaluator(ctx, options);
    const node = parseExpression(expression, ev.parseEnv());
    return ev.eval(node);
  });
}

/** The type of an expression or type name, evaluated without side effects (`whatis`, `ptype`). */
export function typeOfExpression(expression: string, ctx: EvalContext): Type {
  return wrap(() => {
    const ev = new Evaluator(ctx, { noSideEffects: true });
    const node = parseExpression(expression, ev.parseEnv());
    const r = ev.evaluateWithType(node);
    return 'typeOnly' in r ? r.typeOnly : r.type;
  });
}

/** `target = source`: source is an expression (evaluated in ctx) or a Value. Returns the new value. */
export function assign(target: Value, source: string | Value, ctx: EvalContext): Value {
  return wrap(() => {
    const ev = new Evaluator(ctx, {});
    const from = typeof source === 'string' ? ev.eval(parseExpression(source, ev.parseEnv())) : source;
    return ev.assignValue(target, from);
  });
}

const SUFFIX_FORMATS: Record<string, FormatLetter> = {
  x: 'hex', h: 'hex', X: 'hex', d: 'decimal', u: 'unsigned', o: 'octal', b: 'binary', t: 'binary', c: 'char', a: 'address', f: 'float', z: 'zero-hex',
};

/** Splits a watch-pane format suffix off an expression: `x,h` → { expression: 'x', format: 'hex' }. */
export function parseFormatSuffix(expression: string): { expression: string; format?: FormatLetter } {
  const m = /^(.*\S)\s*,\s*([a-zA-Z])$/s.exec(expression);
  if (m && SUFFIX_FORMATS[m[2]]) {
    // Don't split a comma expression like `a,b` (b would be a variable): only single format letters.
    return { expression: m[1], format: SUFFIX_FORMATS[m[2]] };
  }
  return { expression };
}

/** Letter of gdb's print/FMT for a FormatLetter. */
export function formatLetterOf(f: FormatLetter): string {
  return { natural: '', hex: 'x', decimal: 'd', unsigned: 'u', octal: 'o', binary: 't', char: 'c', address: 'a', 'zero-hex': 'z', float: 'f' }[f];
}

/** gdb's /FMT letters to FormatLetter. */
export function formatFromLetter(letter: string): FormatLetter | undefined {
  // /s prints strings where natural printing already does (character arrays and pointers).
  const m: Record<string, FormatLetter> = { x: 'hex', d: 'decimal', u: 'unsigned', o: 'octal', t: 'binary', c: 'char', a: 'address', z: 'zero-hex', f: 'float', s: 'natural' };
  return m[letter];
}

export { bigintToBytes, numberToBytes };
