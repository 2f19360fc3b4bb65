// Rendering values the way gdb's `print` does (gdb 13, C and C++ language, default print settings):
// c_value_print / c_value_print_inner / cp_print_value_fields / value_print_array_elements /
// generic_printstr / print_scalar_formatted, reproduced rule by rule.

import type { Type, StructType, EnumType, BaseType } from '../../symbols/types';
import { typeName } from '../../symbols/types';
import type { FormatLetter, FormatOptions, ModuleSymbols } from './api';
import { EvalError } from './errors';
import { symbolSuffix } from './symbolize';
import { isFloat, isSigned, sizeOf, strip } from './type-util';
import { bytesToBigInt, bytesToNumber, Value } from './value';
import { formatFloat } from './float-format';
import { NODEBUG_TEXT, staticMemberValue } from './variables';

interface Opts {
  format: FormatLetter;
  printElements: number;
  repeats: number;
  maxDepth: number;
  pretty: boolean;
  symbolPrint: boolean;
  modules?: ModuleSymbols[];
  charset: 'utf-8' | 'ascii';
  topLevelPointerType: boolean;
  /** Addresses of struct-typed static members already printed (gdb's dont_print_statmem). */
  seenStatics: Set<number>;
}

/** Special types created by the evaluator that gdb prints in its own way. */
export const SPECIAL = {
  /** $eflags */
  eflags: { kind: 'base', name: 'i386_eflags', byteSize: 4, encoding: 'unsigned' } as BaseType,
  /** $mxcsr */
  mxcsr: { kind: 'base', name: 'i386_mxcsr', byteSize: 4, encoding: 'unsigned' } as BaseType,
};

const EFLAGS_BITS: [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];
const MXCSR_BITS: [number, string][] = [
  [0, 'IE'], [1, 'DE'], [2, 'ZE'], [3, 'OE'], [4, 'UE'], [5, 'PE'], [6, 'DAZ'], [7, 'IM'], [8, 'DM'],
  [9, 'ZM'], [10, 'OM'], [11, 'UM'], [12, 'PM'], [15, 'FZ'],
];

function options(o: FormatOptions, v: Value): Opts {
  return {
    format: o.format ?? 'natural',
    printElements: o.printElements ?? 200,
    repeats: o.repeats ?? 10,
    maxDepth: o.maxDepth ?? 20,
    pretty: o.pretty ?? false,
    symbolPrint: o.symbolPrint ?? true,
    modules: o.modules ?? v.memory?.modules,
    charset: o.charset ?? defaultCharset(),
    topLevelPointerType: o.topLevelPointerType ?? true,
    seenStatics: new Set(),
  };
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The text gdb's `print` shows after `$N = ` for this value. Never throws: problems render inline
 * (`<optimized out>`, `<error: Cannot access memory at address 0x10>`). To make an unreadable
 * top-level value an error as `print` does, call `value.fetch()` first.
 */
export function formatValue(v: Value, opts: FormatOptions = {}): string {
  const o = options(opts, v);
  try {
    return formatTop(v, o);
  } catch (e) {
    if (opts.throwErrors) throw e instanceof EvalError ? e : new EvalError(errText(e));
    return `<error: ${errText(e)}>`;
  }
}

/** gdb's print_formatted + c_value_print: the `(type) ` prefix of pointers and references. */
function formatTop(v: Value, o: Opts): string {
  const t = strip(v.type);
  const scalarFormatted = o.format !== 'natural' && o.format !== undefined && !(t.kind === 'void' || t.kind === 'reference' || t.kind === 'rvalue-reference' || t.kind === 'array' || t.kind === 'struct' || t.kind === 'class' || t.kind === 'union');
  if (scalarFormatted) return scalarFormattedText(v, o, 0);
  let prefix = '';
  if (v.optimizedOut) return v.unavailable ?? '<optimized out>';
  if (t.kind === 'pointer' || t.kind === 'reference' || t.kind === 'rvalue-reference') {
    const orig = v.type;
    const charPtr = orig.kind === 'pointer' && nameOf(orig.target) === 'char';
    if (!charPtr && o.topLevelPointerType) prefix = `(${typeName(v.type)}) `;
  }
  return prefix + inner(v, o, 0, true);
}

/** The name gdb's TYPE_NAME gives a type (cv-qualified types share their target's name). */
function nameOf(t: Type): string | undefined {
  while (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'atomic') t = t.target;
  if (t.kind === 'base' || t.kind === 'typedef') return t.name;
  if (t.kind === 'struct' || t.kind === 'class' || t.kind === 'union' || t.kind === 'enum') return t.name;
  return undefined;
}

/** common_val_print: printability checks, max-depth, then the language's value printer. */
function inner(v: Value, o: Opts, recurse: number, derefRef: boolean): string {
  if (v.optimizedOut) return v.unavailable ?? '<optimized out>';
  const t = strip(v.type);
  if ((t.kind === 'struct' || t.kind === 'class' || t.kind === 'union' || t.kind === 'array') && recurse >= o.maxDepth) return '{...}';
  if (v.availableBits && !isAggregateLike(t) && !v.isAvailable()) return '<optimized out>';
  switch (t.kind) {
    case 'array':
      return arrayText(v, t, o, recurse);
    case 'pointer':
      if (o.format !== 'natural') return scalarFormattedText(v, o, recurse);
      return pointerText(v, t.target, o);
    case 'struct':
    case 'class':
    case 'union':
      return structText(v, t, o, recurse);
    case 'base':
      if (o.format !== 'natural') return scalarFormattedText(v, o, recurse);
      return baseText(v, t, v.type);
    case 'enum':
      if (o.format !== 'natural') return scalarFormattedText(v, o, recurse);
      return enumText(v, t);
    case 'reference':
    case 'rvalue-reference':
      return referenceText(v, t.target, o, recurse, derefRef);
    case 'function':
      if (o.format !== 'natural') return scalarFormattedText(v, o, recurse);
      return functionText(v, o);
    case 'void':
      return 'void';
    case 'ptr-to-member':
      return scalarFormattedText(v, { ...o, format: o.format === 'natural' ? 'decimal' : o.format }, recurse);
    case 'unknown':
      if (t.name === '<data variable, no debug info>') return `<data variable, no debug info>`;
      return '<incomplete type>';
    default:
      return '<unknown type>';
  }
}

function isAggregateLike(t: Type): boolean {
  return t.kind === 'struct' || t.kind === 'class' || t.kind === 'union' || t.kind === 'array';
}

// ---------------------------------------------------------------- scalars

/** gdb's classify_type: the literal prefix of a character type, from the names along its typedefs. */
export function charPrefix(t: Type): string | undefined {
  let it: Type | undefined = t;
  while (it) {
    const n = it.kind === 'typedef' || it.kind === 'base' ? it.name : undefined;
    if (n === 'wchar_t') return 'L';
    if (n === 'char16_t') return 'u';
    if (n === 'char32_t') return 'U';
    if (n === 'char8_t') return 'u8';
    if (it.kind === 'const' || it.kind === 'volatile' || it.kind === 'restrict' || it.kind === 'atomic' || it.kind === 'typedef') it = it.target;
    else break;
  }
  return undefined;
}

function baseText(v: Value, t: BaseType, declared: Type): string {
  if (t === SPECIAL.eflags || t === SPECIAL.mxcsr) {
    const val = v.asBigInt();
    const bits = t === SPECIAL.eflags ? EFLAGS_BITS : MXCSR_BITS;
    let s = '[';
    for (const [bit, name] of bits) if ((val >> BigInt(bit)) & 1n) s += ` ${name}`;
    if (t === SPECIAL.mxcsr) s += ` RC=${(val >> 13n) & 3n}`;
    return s + ' ]';
  }
  switch (t.encoding) {
    case 'bool': {
      const b = v.bytes();
      const n = bytesToBigInt(b.subarray(0, t.byteSize || 1), false);
      return n === 0n ? 'false' : n === 1n ? 'true' : n.toString();
    }
    case 'float':
      return formatFloat(v.bytes(), t.byteSize, t.name);
    case 'complex': {
      const half = t.byteSize / 2;
      const b = v.bytes();
      return `${formatFloat(b.subarray(0, half), half)} + ${formatFloat(b.subarray(half), half)}i`;
    }
    case 'utf': {
      const n = v.asBigInt();
      const prefix = charPrefix(declared) ?? (t.byteSize === 1 ? 'u8' : t.byteSize === 2 ? 'u' : 'U');
      return `${n} ${prefix}${charLiteral(Number(n), t.byteSize)}`;
    }
    default: {
      const n = v.asBigInt();
      if (isTextual(declared)) {
        const prefix = charPrefix(declared) ?? '';
        return `${n} ${prefix}${charLiteral(Number(BigInt.asUintN(8 * (t.byteSize || 1), n)), t.byteSize)}`;
      }
      return n.toString();
    }
  }
}

/** gdb's c_textual_element_type without a format: 1-byte integers, and wchar_t/char16_t/char32_t. */
export function isTextual(t: Type): boolean {
  let it: Type | undefined = t;
  while (it) {
    const n = it.kind === 'typedef' || it.kind === 'base' ? it.name : undefined;
    if (n === 'wchar_t' || n === 'char16_t' || n === 'char32_t') return true;
    if (it.kind === 'const' || it.kind === 'volatile' || it.kind === 'restrict' || it.kind === 'atomic' || it.kind === 'typedef') it = it.target;
    else break;
  }
  const s = strip(t);
  if (s.kind !== 'base' || s.byteSize !== 1) return s.kind === 'base' && s.encoding === 'utf';
  // gdb's own int8_t/uint8_t (register types) carry TYPE_NOTTEXT.
  if ((s.name === 'int8_t' || s.name === 'uint8_t') && (s.encoding === 'signed' || s.encoding === 'unsigned')) return false;
  return s.encoding === 'signed' || s.encoding === 'unsigned' || s.encoding === 'signed-char' || s.encoding === 'unsigned-char' || s.encoding === 'utf';
}

/** Enumerator names as gdb prints them: C++ names are qualified with the enum's scope. */
function enumeratorName(t: EnumType, name: string): string {
  if (!t.cplus || t.name === undefined) return name;
  const scope = t.enumClass ? t.name : t.name.includes('::') ? t.name.slice(0, t.name.lastIndexOf('::')) : '';
  return scope ? `${scope}::${name}` : name;
}

function enumText(v: Value, t: EnumType): string {
  const val = v.asBigInt();
  for (const e of t.enumerators) if (BigInt(e.value) === val) return enumeratorName(t, e.name);
  if (isFlagEnum(t)) {
    let rest = BigInt.asUintN(64, val);
    const parts: string[] = [];
    for (const e of t.enumerators) {
      const ev = BigInt(e.value);
      if (ev !== 0n && (rest & ev) !== 0n) {
        parts.push(enumeratorName(t, e.name));
        rest &= ~ev;
      }
    }
    if (rest !== 0n) {
      parts.push(`unknown: 0x${rest.toString(16)}`);
      return `(${parts.join(' | ')})`;
    }
    if (!parts.length) return '0';
    return `(${parts.join(' | ')})`;
  }
  return val.toString();
}

/** gdb's flag-enum test (dwarf2/read.c): every value non-negative, single-bit and disjoint. */
function isFlagEnum(t: EnumType): boolean {
  let mask = 0n;
  for (const e of t.enumerators) {
    const v = BigInt(e.value);
    if (v < 0n) return false;
    let bits = 0;
    for (let x = v; x; x >>= 1n) if (x & 1n) bits++;
    if (bits >= 2) return false;
    if ((mask & v) !== 0n) return false;
    mask |= v;
  }
  return true;
}

/** print_scalar_formatted for /x /d /u /o /t /z /c /a /f. */
function scalarFormattedText(v: Value, o: Opts, recurse: number): string {
  void recurse;
  const t = strip(v.type);
  if (v.availableBits && !v.isAvailable()) return '<optimized out>';
  let bytes: Buffer;
  if (t.kind === 'function') {
    // gdb gives function types a length of 1: /x shows the first byte of the code.
    if (o.format === 'address' || o.format === 'float' || v.address === undefined || !v.memory) throw new EvalError("Value can't be converted to integer.");
    bytes = v.memory.read(v.address, 1);
  } else bytes = v.bytes();
  const len = t.kind === 'function' ? 1 : sizeOf(t) || bytes.length;
  bytes = bytes.subarray(0, len);
  const signedType = isSigned(t) && !isFloat(t);
  let fmt = o.format;
  if (fmt === 'float' && !isFloat(t)) {
    if (len === 4 || len === 8 || len === 16 || len === 10) return formatFloat(bytes, len);
    fmt = 'natural';
  }
  switch (fmt) {
    case 'octal': {
      const n = bytesToBigInt(bytes, false);
      return n === 0n ? '0' : '0' + n.toString(8);
    }
    case 'decimal':
      return bytesToBigInt(bytes, true).toString();
    case 'unsigned':
      return bytesToBigInt(bytes, false).toString();
    case 'natural':
      if (isFloat(t)) return formatFloat(bytes, len);
      return bytesToBigInt(bytes, signedType).toString();
    case 'float':
      return formatFloat(bytes, len);
    case 'binary':
      return bytesToBigInt(bytes, false).toString(2);
    case 'hex':
      return '0x' + bytesToBigInt(bytes, false).toString(16);
    case 'zero-hex':
      return '0x' + bytesToBigInt(bytes, false).toString(16).padStart(len * 2, '0');
    case 'char': {
      const n = isFloat(t) ? BigInt(Math.trunc(bytesToNumber(bytes, len))) : bytesToBigInt(bytes, signedType);
      const unsigned = !signedType && !isFloat(t);
      const c = unsigned ? BigInt.asUintN(8, n) : BigInt.asIntN(8, n);
      return `${c} ${charLiteral(Number(BigInt.asUintN(8, c)), 1)}`;
    }
    case 'address': {
      const a = Number(bytesToBigInt(bytes, false));
      return `0x${a.toString(16)}${o.symbolPrint ? symbolSuffix(a, o.modules) : ''}`;
    }
    default:
      return bytesToBigInt(bytes, signedType).toString();
  }
}

// ---------------------------------------------------------------- characters and strings

/** A character escaped as gdb's print_wchar does, for quote character `quoter`. */
function escapeChar(c: number, quoter: string, width: number): string {
  switch (c) {
    case 7: return '\\a';
    case 8: return '\\b';
    case 12: return '\\f';
    case 10: return '\\n';
    case 13: return '\\r';
    case 9: return '\\t';
    case 11: return '\\v';
  }
  if (c >= 0x20 && c < 0x7f) {
    const ch = String.fromCharCode(c);
    return ch === quoter || ch === '\\' ? '\\' + ch : ch;
  }
  void width;
  if (c <= 0o777) return '\\' + c.toString(8).padStart(3, '0');
  return '\\x' + c.toString(16);
}

export function charLiteral(c: number, width = 1): string {
  if (width > 1) return `'${printWchar({ result: 'ok', cp: c, bytes: unitBytes(c, width) }, "'", width)}'`;
  return `'${escapeChar(c, "'", width)}'`;
}

/** A character as gdb's wchar_iterator delivers it. */
interface ConvChar {
  result: 'ok' | 'invalid' | 'incomplete';
  /** Code point (ok). */
  cp: number;
  /** The target bytes of the character. */
  bytes: number[];
}

/** The charset gdb uses by default: the host's (from the locale), UTF-8 or ASCII. */
let charsetCache: 'utf-8' | 'ascii' | undefined;
export function defaultCharset(): 'utf-8' | 'ascii' {
  if (!charsetCache) {
    const l = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
    charsetCache = /utf-?8/i.test(l) ? 'utf-8' : 'ascii';
  }
  return charsetCache;
}

/** Decodes target characters (code units of `width` bytes) into gdb's converted characters. */
function convert(units: number[], width: number, charset: 'utf-8' | 'ascii'): ConvChar[] {
  const out: ConvChar[] = [];
  if (width !== 1) {
    for (const u of units) out.push({ result: 'ok', cp: u, bytes: unitBytes(u, width) });
    return out;
  }
  let i = 0;
  while (i < units.length) {
    const b = units[i];
    if (b < 0x80) {
      out.push({ result: 'ok', cp: b, bytes: [b] });
      i++;
      continue;
    }
    if (charset === 'ascii') {
      out.push({ result: 'invalid', cp: -1, bytes: [b] });
      i++;
      continue;
    }
    // glibc's UTF-8 decoder: lead bytes c2-df, e0-ef, f0-f7; a truncated but well-formed tail at
    // the end of the input is an incomplete sequence; anything else skips one invalid byte.
    const cnt = b >= 0xc2 && b <= 0xdf ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : -1;
    if (cnt < 0) {
      out.push({ result: 'invalid', cp: -1, bytes: [b] });
      i++;
      continue;
    }
    if (i + cnt > units.length) {
      let k = 1;
      while (i + k < units.length && (units[i + k] & 0xc0) === 0x80) k++;
      if (i + k === units.length) {
        out.push({ result: 'incomplete', cp: -1, bytes: units.slice(i) });
        break;
      }
      out.push({ result: 'invalid', cp: -1, bytes: [b] });
      i++;
      continue;
    }
    let cp = b & (cnt === 2 ? 0x1f : cnt === 3 ? 0x0f : 0x07);
    let k = 1;
    for (; k < cnt; k++) {
      const c = units[i + k];
      if ((c & 0xc0) !== 0x80) break;
      cp = cp * 64 + (c & 0x3f);
    }
    if (k < cnt || (cnt > 2 && Math.floor(cp / 2 ** (5 * cnt - 4)) === 0) || cp > 0x10ffff) {
      out.push({ result: 'invalid', cp: -1, bytes: [b] });
      i++;
      continue;
    }
    const need = cnt - 1;
    out.push({ result: 'ok', cp, bytes: units.slice(i, i + need + 1) });
    i += need + 1;
  }
  return out;
}

function unitBytes(u: number, width: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < width; k++) out.push((u >>> (8 * k)) & 0xff);
  return out;
}

function iswprint(cp: number): boolean {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return false;
  if (cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp & 0xfffe) === 0xfffe) return false;
  return true;
}

/** print_wchar: one converted character, escaped for quote character `quoter`. */
function printWchar(c: ConvChar, quoter: string, width: number): string {
  if (c.result === 'ok') {
    switch (c.cp) {
      case 7: return '\\a';
      case 8: return '\\b';
      case 12: return '\\f';
      case 10: return '\\n';
      case 13: return '\\r';
      case 9: return '\\t';
      case 11: return '\\v';
    }
    if (iswprint(c.cp)) {
      const ch = String.fromCodePoint(c.cp);
      return ch === quoter || ch === '\\' ? '\\' + ch : ch;
    }
  }
  let out = '';
  for (let i = 0; i + width <= c.bytes.length; i += width) {
    let v = 0;
    for (let k = width - 1; k >= 0; k--) v = v * 256 + c.bytes[i + k];
    out += v <= 0o777 ? '\\' + v.toString(8).padStart(3, '0') : '\\x' + v.toString(16);
  }
  return out;
}

/**
 * generic_printstr over target code units (`width` bytes each): the NUL terminator dropped where
 * gdb drops it; runs longer than the repeat threshold print as `'c' <repeats N times>`; the element
 * limit cuts the string and appends `...`.
 */
function printStr(unitsIn: number[], forceEllipses: boolean, o: Opts, width = 1, cStyleTerminator = true): string {
  let units = unitsIn;
  if (cStyleTerminator && !forceEllipses && units.length > 0 && units[units.length - 1] === 0) units = units.slice(0, -1);
  if (units.length === 0) return '""';
  const chars = convert(units, width, o.charset);
  // Group into (char, repeat count) until the element limit is reached.
  const groups: { c: ConvChar; n: number }[] = [];
  let i = 0;
  let printed = 0;
  const same = (a: ConvChar, b: ConvChar) => a.result === b.result && (a.result === 'ok' ? a.cp === b.cp : a.bytes.length === b.bytes.length && a.bytes.every((x, k) => x === b.bytes[k]));
  while (printed < o.printElements && i < chars.length) {
    const c = chars[i];
    let n = 1;
    if (c.result !== 'incomplete') while (i + n < chars.length && same(chars[i + n], c)) n++;
    groups.push({ c, n });
    i += n;
    printed += n;
  }
  const finished = i >= chars.length;
  let out = '';
  let last: 'start' | 'single' | 'repeat' = 'start';
  for (const g of groups) {
    if (g.c.result === 'incomplete') {
      if (last === 'single') out += '"';
      if (last !== 'start') out += ', ';
      out += `<incomplete sequence ${printWchar({ ...g.c, result: 'invalid' }, '', width)}>`;
      last = 'repeat';
      break;
    }
    if (g.n > o.repeats) {
      if (last === 'single') out += '"';
      if (last !== 'start') out += ', ';
      out += `'${printWchar(g.c, '"', width)}' <repeats ${g.n} times>`;
      last = 'repeat';
    } else {
      if (last !== 'single') {
        if (last !== 'start') out += ', ';
        out += '"';
      }
      out += printWchar(g.c, '"', width).repeat(g.n);
      last = 'single';
    }
  }
  if (last === 'single') out += '"';
  if (forceEllipses || !finished) out += '...';
  return out;
}

function readChars(bytes: Buffer, width: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const off = i * width;
    out.push(width === 1 ? bytes[off] : width === 2 ? bytes.readUInt16LE(off) : bytes.readUInt32LE(off));
  }
  return out;
}

/** val_print_string for a `char *` (len -1: up to the NUL, at most print elements). */
function stringAt(v: Value, addr: number, width: number, o: Opts, elType?: Type): string {
  const mem = v.memory;
  const limit = o.printElements;
  const chars: number[] = [];
  let err: string | undefined;
  let a = addr;
  let foundNul = false;
  const readByte = (at: number, n: number): Buffer | undefined => {
    if (!mem) return undefined;
    try {
      return mem.read(at, n);
    } catch {
      return undefined;
    }
  };
  while (chars.length < limit && !foundNul) {
    const n = Math.min(8, limit - chars.length);
    let chunk = readByte(a, n * width);
    let got = n;
    if (!chunk) {
      // Partial read: character by character up to the failure.
      got = 0;
      const parts: Buffer[] = [];
      for (let k = 0; k < n; k++) {
        const b = readByte(a + k * width, width);
        if (!b) break;
        parts.push(b);
        got++;
      }
      chunk = Buffer.concat(parts);
    }
    for (let k = 0; k < got; k++) {
      const c = readChars(chunk.subarray(k * width), width, 1)[0];
      a += width;
      chars.push(c);
      if (c === 0) {
        foundNul = true;
        break;
      }
    }
    if (got < n && !foundNul) {
      err = `Cannot access memory at address 0x${a.toString(16)}`;
      break;
    }
  }
  let forceEllipsis = false;
  if (!foundNul && !err) {
    const peek = readByte(a, width);
    if (peek && readChars(peek, width, 1)[0] !== 0) forceEllipsis = true;
  }
  let out = '';
  const prefix = (elType && charPrefix(elType)) ?? (width === 1 ? '' : width === 2 ? 'u' : 'U');
  if (!err || chars.length > 0) out = prefix + printStr(chars, forceEllipsis, o, width);
  if (err) out += `<error: ${err}>`;
  return out;
}

// ---------------------------------------------------------------- pointers, references, functions

function pointerText(v: Value, target: Type, o: Opts): string {
  if (v.syntheticTarget) return '<synthetic pointer>';
  const addr = Number(v.asBigInt());
  const st = strip(target);
  const hex = `0x${addr.toString(16)}`;
  if (st.kind === 'function') return hex + (o.symbolPrint ? symbolSuffix(addr, o.modules) : '');
  let out = hex + (o.symbolPrint ? symbolSuffix(addr, o.modules) : '');
  if (isTextual(target) && addr !== 0) {
    const width = sizeOf(st) || 1;
    out += ' ' + stringAt(v, addr, width, o, target);
  }
  return out;
}

function referenceText(v: Value, target: Type, o: Opts, recurse: number, derefRef: boolean): string {
  const addr = Number(v.asBigInt());
  let out = `@0x${addr.toString(16)}`;
  if (derefRef) {
    out += ': ';
    const st = strip(target);
    if (st.kind === 'struct' || st.kind === 'class' || st.kind === 'union') {
      if (st.declaration && !st.members.length) return out + '<incomplete type>';
    }
    // An entry value of a reference parameter refers to the object's value on entry (syntheticTarget).
    const tv = v.syntheticTarget ? v.syntheticTarget() : Value.atAddress(target, addr, v.memory);
    try {
      out += inner(tv, o, recurse, false);
    } catch (e) {
      out += `<error: ${errText(e)}>`;
    }
  }
  return out;
}

function functionText(v: Value, o: Opts): string {
  const addr = v.address ?? 0;
  const tn = v.type === NODEBUG_TEXT ? '<text variable, no debug info>' : typeName(v.type);
  return `{${tn}} 0x${addr.toString(16)}${o.symbolPrint ? symbolSuffix(addr, o.modules) : ''}`;
}

// ---------------------------------------------------------------- aggregates

function structText(v: Value, t: StructType, o: Opts, recurse: number): string {
  if (t.declaration && !t.members.length && !t.bases.length) return '<incomplete type>';
  // Read the whole object once (as gdb fetches a value), so members slice its bytes.
  if (t.byteSize > 0 && !v.availableBits) v.bytes();
  if (t.kind === 'union' && recurse > 0 && false) return '{...}';
  return '{' + fieldsText(v, t, o, recurse) + '}';
}

/** cp_print_value (bases) + cp_print_value_fields (members), without the braces. */
function fieldsText(v: Value, t: StructType, o: Opts, recurse: number): string {
  let out = '';
  for (const b of t.bases) {
    const bt = strip(b.type);
    if (o.pretty) out += '\n' + '  '.repeat(recurse + 1);
    out += `<${nameOf(b.type) ?? ''}> = `;
    if (bt.kind === 'struct' || bt.kind === 'class' || bt.kind === 'union') {
      const sub = v.component(b.type, b.offset ?? 0);
      if (recurse + 1 >= o.maxDepth) out += '{...}';
      else {
        try {
          out += '{' + fieldsText(sub, bt, o, recurse + 1) + '}';
        } catch (e) {
          out += `<error: ${errText(e)}>`;
        }
      }
    } else out += '<invalid address>';
    out += ', ';
  }
  const fields = t.members;
  const statics = t.statics ?? [];
  if (!fields.length && !statics.length) return out + '<No data fields>';
  let seen = false;
  const membersOf = () => {
    if (!seen && t.bases.length && o.pretty) out += '\n' + '  '.repeat(recurse + 1) + `members of ${t.name ?? ''}:`;
  };
  const emitStatics = (pos: number) => {
    for (const sm of statics) {
      if (sm.position !== pos) continue;
      membersOf();
      if (seen) out += o.pretty ? ',' : ', ';
      seen = true;
      if (o.pretty) out += '\n' + '  '.repeat(recurse + 1);
      out += `static ${sm.name} = `;
      try {
        const sv = staticMemberValue(t, sm, o.modules, v.memory);
        const st = strip(sm.type);
        if ((st.kind === 'struct' || st.kind === 'class' || st.kind === 'union') && (st === t || o.seenStatics.has(sv.address ?? -1))) {
          out += '<same as static member of an already seen type>';
        } else {
          if (sv.address !== undefined && (st.kind === 'struct' || st.kind === 'class' || st.kind === 'union')) o.seenStatics.add(sv.address);
          out += inner(sv, o, recurse + 1, false);
        }
      } catch (e) {
        out += `<error reading variable: ${errText(e)}>`;
      }
    }
  };
  fields.forEach((m, index) => {
    emitStatics(index);
    membersOf();
    if (seen) out += o.pretty ? ',' : ', ';
    seen = true;
    if (o.pretty) out += '\n' + '  '.repeat(recurse + 1);
    const name = m.name ?? '';
    out += name;
    let depthBonus = 0;
    if (name !== '') out += ' = ';
    else depthBonus = 1;
    const bf = m.bitSize !== undefined ? { bitOffset: (m.bitOffset ?? 0) - m.offset * 8, bitSize: m.bitSize } : undefined;
    const sub = v.component(m.type, m.offset, bf);
    try {
      out += inner(sub, { ...o, maxDepth: o.maxDepth + depthBonus }, recurse + 1, false);
    } catch (e) {
      out += `<error: ${errText(e)}>`;
    }
  });
  emitStatics(fields.length);
  if (o.pretty) out += '\n' + '  '.repeat(recurse);
  return out;
}

function arrayText(v: Value, t: Extract<Type, { kind: 'array' }>, o: Opts, recurse: number): string {
  const len = t.dims[0];
  const element: Type = t.dims.length > 1 ? { ...t, dims: t.dims.slice(1) } : t.element;
  const eltSize = sizeOf(element);
  if (len === undefined || eltSize === 0) {
    // An array of unknown length prints like a pointer to its first element.
    const addr = v.address ?? 0;
    let out = `0x${addr.toString(16)}${o.symbolPrint ? symbolSuffix(addr, o.modules) : ''}`;
    if (isTextual(element) && o.format === 'natural' && addr !== 0) out += ' ' + stringAt(v, addr, sizeOf(element) || 1, o);
    return out;
  }
  if (len === 0) return t.vector ? '{}' : '{}';
  // Strings: arrays of characters, when every byte is available.
  if (isTextual(element) && (o.format === 'natural') && (!v.availableBits || v.isAvailable())) {
    const bytes = v.bytes();
    const width = eltSize;
    const chars = readChars(bytes, width, len);
    const prefix = charPrefix(element) ?? (width === 1 ? '' : width === 2 ? 'u' : 'U');
    return prefix + printStr(chars, false, o, width);
  }
  const bytes = v.bytes();
  let out = '{';
  let things = 0;
  let i = 0;
  for (; i < len && things < o.printElements; i++) {
    if (i !== 0) out += ', ';
    let rep1 = i + 1;
    let reps = 1;
    const a = bytes.subarray(i * eltSize, (i + 1) * eltSize);
    while (rep1 < len && bytes.subarray(rep1 * eltSize, (rep1 + 1) * eltSize).equals(a) && sameAvailability(v, i, rep1, eltSize)) {
      reps++;
      rep1++;
    }
    const el = v.component(element, i * eltSize);
    try {
      out += inner(el, o, recurse + 1, false);
    } catch (e) {
      out += `<error: ${errText(e)}>`;
    }
    if (reps > o.repeats) {
      out += ` <repeats ${reps} times>`;
      i = rep1 - 1;
      things += o.repeats;
    } else things++;
  }
  if (i < len) out += '...';
  return out + '}';
}

function sameAvailability(v: Value, i: number, j: number, size: number): boolean {
  if (!v.availableBits) return true;
  return v.isAvailable(i * size, size) === v.isAvailable(j * size, size);
}

/**
 * One line of gdb's `info locals` / `info args`: `name = value`, where the value is printed as
 * `print` does but without the `(type *)` prefix, and a variable that cannot be read shows
 * `<error reading variable name (message)>`.
 */
export function formatVariable(nv: { name: string; value: Value }, opts: FormatOptions = {}): string {
  const v = nv.value;
  const o = options({ ...opts, topLevelPointerType: false }, v);
  let text: string;
  try {
    if (!v.optimizedOut) v.fetch();
    text = inner(v, o, 0, true);
  } catch (e) {
    text = `<error reading variable ${nv.name} (${errText(e)})>`;
  }
  return `${nv.name} = ${text}`;
}
