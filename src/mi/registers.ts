// gdb's x86-64 register numbering (amd64_regnum + the Linux orig_rax + pseudo registers), as
// -data-list-register-names prints it. The numbers are fixed whatever the CPU; names of registers
// backstep cannot show are "" (gdb does the same for registers the target lacks). Values come from
// the engine's registers(); sub-registers (eax, ax, al, ah...) are derived from their full register.
import type { Engine, RegisterValue } from '../engine/api';

const GPR = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

function range(prefix: string, from: number, to: number, suffix = ''): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}${suffix}`);
  return out;
}

function blanks(n: number): string[] {
  return new Array<string>(n).fill('');
}

/** Which vector extensions the target has: they decide gdb's register list (its target description). */
export interface VectorFeatures {
  avx: boolean;
  avx512: boolean;
}

/**
 * gdb's register numbering for an amd64 Linux target with these features: the raw registers at fixed
 * numbers (amd64_regnum: blank where the target lacks them; MPX's bnd registers and pkru stay blank,
 * as the kernel no longer enables MPX and this gdb shows no pkru here), orig_rax, then the pseudo
 * registers in i386_gdbarch_init's order: byte, word, dword, ymm0-15 (ymm0-31 with AVX-512), zmm0-31.
 */
export function registerNames(f: VectorFeatures): string[] {
  const avx = f.avx || f.avx512;
  const z = f.avx512;
  return [
    ...GPR, // 0-15
    'rip', // 16
    'eflags', // 17
    'cs', 'ss', 'ds', 'es', 'fs', 'gs', // 18-23
    ...range('st', 0, 7), // 24-31
    'fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop', // 32-39
    ...range('xmm', 0, 15), // 40-55
    'mxcsr', // 56
    ...(avx ? range('ymm', 0, 15, 'h') : blanks(16)), // 57-72 ymm0h-ymm15h
    ...blanks(6), // 73-78 MPX
    ...(z ? range('xmm', 16, 31) : blanks(16)), // 79-94
    ...(z ? range('ymm', 16, 31, 'h') : blanks(16)), // 95-110
    ...(z ? range('k', 0, 7) : blanks(8)), // 111-118
    ...(z ? range('zmm', 0, 31, 'h') : blanks(32)), // 119-150
    '', // 151 pkru
    'fs_base', 'gs_base', // 152-153
    'orig_rax', // 154
    'al', 'bl', 'cl', 'dl', 'sil', 'dil', 'bpl', 'spl', ...range('r', 8, 15, 'l'), // 155-170
    'ah', 'bh', 'ch', 'dh', // 171-174
    'ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', '', ...range('r', 8, 15, 'w'), // 175-190
    'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', ...range('r', 8, 15, 'd'), // 191-206
    ...(avx ? range('ymm', 0, z ? 31 : 15) : []), // 207-222 (AVX) or 207-238 (AVX-512)
    ...(z ? range('zmm', 0, 31) : []), // 239-270
  ];
}

/** gdb's list before the program runs (an SSE-only description), and the base of every other. */
export const REGISTER_NAMES: string[] = registerNames({ avx: false, avx512: false });
/** Every register name any x86-64 target can have here (for recognising `$name`). */
export const ALL_REGISTER_NAMES: string[] = registerNames({ avx: true, avx512: true });

/** The features of the last stop an interpreter saw (gdb keeps a target description until the next run). */
const lastFeatures = new WeakMap<Engine, VectorFeatures>();

/** gdb's register names for this engine's target as last seen (SSE-only before the first stop). */
export function currentRegisterNames(engine: Engine): string[] {
  const f = lastFeatures.get(engine);
  return f ? registerNames(f) : REGISTER_NAMES;
}

interface SubReg {
  root: string;
  shift: number;
  bits: number;
}

const SUBREGS = new Map<string, SubReg>();
{
  const low8 = ['al', 'bl', 'cl', 'dl', 'sil', 'dil', 'bpl', 'spl'];
  const w16 = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'];
  const d32 = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];
  for (let i = 0; i < 16; i++) {
    const root = GPR[i];
    SUBREGS.set(i < 8 ? low8[i] : `r${i}l`, { root, shift: 0, bits: 8 });
    SUBREGS.set(i < 8 ? w16[i] : `r${i}w`, { root, shift: 0, bits: 16 });
    SUBREGS.set(i < 8 ? d32[i] : `r${i}d`, { root, shift: 0, bits: 32 });
  }
  ['ah', 'bh', 'ch', 'dh'].forEach((n, i) => SUBREGS.set(n, { root: GPR[i], shift: 8, bits: 8 }));
  // gdb's raw halves of the vector registers: ymmNh (bits 128-255 of ymmN), zmmNh (bits 256-511 of zmmN).
  for (let i = 0; i < 32; i++) {
    SUBREGS.set(`ymm${i}h`, { root: `ymm${i}`, shift: 128, bits: 128 });
    SUBREGS.set(`zmm${i}h`, { root: `zmm${i}`, shift: 256, bits: 256 });
  }
}

export interface RegValue {
  value: bigint;
  size: number;
  natural?: string;
  /** For derived registers: the full register they come from. */
  root?: string;
  unavailable?: boolean;
}

/** Values of every register in REGISTER_NAMES the engine provides, by name. */
export async function registerValues(engine: Engine, frameId?: number): Promise<Map<string, RegValue>> {
  const regs: RegisterValue[] = await engine.registers(frameId);
  const byName = new Map<string, RegisterValue>(regs.map((r) => [r.name, r]));
  const features = { avx: byName.has('ymm0'), avx512: byName.has('zmm0') };
  lastFeatures.set(engine, features);
  const out = new Map<string, RegValue>();
  for (const n of registerNames(features)) {
    if (!n) continue;
    const r = byName.get(n);
    if (r) {
      out.set(n, { value: r.value, size: r.size, natural: r.natural, unavailable: r.unavailable });
      continue;
    }
    const sub = SUBREGS.get(n);
    if (sub) {
      const root = byName.get(sub.root);
      if (!root) continue;
      const v = (root.value >> BigInt(sub.shift)) & ((1n << BigInt(sub.bits)) - 1n);
      // ymmNh is a uint128_t: gdb's natural form is unsigned.
      const natural = sub.bits === 128 ? v.toString() : undefined;
      out.set(n, { value: v, size: sub.bits / 8, root: sub.root, unavailable: root.unavailable, natural });
    }
  }
  return out;
}

const POINTER_REGS = new Set(['rbp', 'rsp', 'fs_base', 'gs_base']);

/** One register in an MI format letter (x o t d r N z u). */
export function formatRegister(name: string, r: RegValue, fmt: string): string {
  if (r.unavailable) return '<not saved>';
  const bits = r.size * 8;
  const v = BigInt.asUintN(bits, r.value);
  if (/^xmm\d+$/.test(name)) return formatVector(v, fmt);
  if (/^[yz]mm\d+$/.test(name)) return formatWideVector(v, bits as 256 | 512, fmt);
  if (/^zmm\d+h$/.test(name)) return elements(lanes(v, 128, 2).map((x) => intText(x, 128, fmt === 'N' ? 'u' : fmt)));
  if (/^st\d$/.test(name)) {
    if (fmt === 'N') return r.natural ?? x87Natural(v);
    return intText(v, bits, fmt);
  }
  switch (fmt) {
    case 'N':
      if (r.natural !== undefined) return r.natural;
      if (POINTER_REGS.has(name)) return '0x' + v.toString(16);
      return BigInt.asIntN(bits, v).toString();
    case 'r':
      return '0x' + v.toString(16).padStart(r.size * 2, '0');
    default:
      return intText(v, bits, fmt);
  }
}

function lanes(v: bigint, width: number, count: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push((v >> BigInt(i * width)) & ((1n << BigInt(width)) - 1n));
  return out;
}

/** An array's elements as gdb prints them: runs of more than 10 equal elements as `x <repeats N times>`. */
function elements(items: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i + 1;
    while (j < items.length && items[j] === items[i]) j++;
    if (j - i > 10) out.push(`${items[i]} <repeats ${j - i} times>`);
    else for (let k = i; k < j; k++) out.push(items[k]);
    i = j;
  }
  return '{' + out.join(', ') + '}';
}

/**
 * C's printf("%.{p}g", n): what gdb prints floating-point values with. Rounded from the exact binary
 * value with ties to even, as glibc does (JS's toExponential rounds ties up: 2.03125 to 5 digits is
 * 2.0312 in C, 2.0313 in JS).
 */
export function cFormatG(n: number, p: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n < 0 ? '-inf' : 'inf';
  const sign = n < 0 ? '-' : '';
  // |n| = mant * 2^exp exactly; as a decimal 0.DIGITS * 10^point.
  const b = Buffer.alloc(8);
  b.writeDoubleLE(Math.abs(n));
  const bits = b.readBigUInt64LE(0);
  const field = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = field === 0 ? frac : frac | (1n << 52n);
  const exp = (field === 0 ? 1 : field) - 1075;
  let digits: string;
  let point: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    point = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    point = digits.length + exp;
  }
  digits = digits.replace(/0+$/, '');
  let keep = digits.slice(0, p);
  const rest = digits.slice(p);
  if (rest && (rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(keep[keep.length - 1]) % 2 === 1)))) {
    const up = (BigInt(keep) + 1n).toString();
    if (up.length > keep.length) point++;
    keep = up.slice(0, keep.length);
  }
  keep = keep.padEnd(p, '0');
  const x = point - 1;
  const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (x < -4 || x >= p) return `${sign}${strip(keep[0] + '.' + keep.slice(1))}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  if (point <= 0) return sign + strip('0.' + '0'.repeat(-point) + keep);
  return sign + strip(keep.slice(0, point) + '.' + keep.slice(point));
}

/**
 * A binary floating-point lane as gdb prints it: `%g` with the format's significant digits (half 5,
 * bfloat16 4, float 9, double 17), `inf`, and NaNs with their mantissa (`-nan(0x7fffff)`).
 */
function floatLane(bits: bigint, expBits: number, mantBits: number, digits: number): string {
  const sign = (bits >> BigInt(expBits + mantBits)) & 1n ? '-' : '';
  const exp = Number((bits >> BigInt(mantBits)) & ((1n << BigInt(expBits)) - 1n));
  const mant = bits & ((1n << BigInt(mantBits)) - 1n);
  if (exp === (1 << expBits) - 1) return mant === 0n ? `${sign}inf` : `${sign}nan(0x${mant.toString(16)})`;
  const bias = (1 << (expBits - 1)) - 1;
  let v: number;
  if (mantBits === 52) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(bits);
    v = b.readDoubleLE(0);
  } else {
    const m = Number(mant) / 2 ** mantBits;
    v = (exp === 0 ? m * 2 ** (1 - bias) : (1 + m) * 2 ** (exp - bias)) * (sign ? -1 : 1);
  }
  return cFormatG(v, digits);
}

/**
 * An integer (a vector lane or a whole register) `bits` wide in an MI format letter: x hex, z and r
 * zero-padded hex, o octal, t binary, u unsigned, d and anything else (N) signed, as gdb prints int lanes.
 */
function intText(x: bigint, w: number, fmt: string): string {
  switch (fmt) {
    case 'x':
      return '0x' + x.toString(16);
    case 'z':
    case 'r':
      return '0x' + x.toString(16).padStart(w / 4, '0');
    case 'o':
      return x === 0n ? '0' : '0' + x.toString(8);
    case 't':
      return x.toString(2);
    case 'u':
      return x.toString();
    default:
      return BigInt.asIntN(w, x).toString();
  }
}

/**
 * gdb's builtin_type_vec256i / builtin_type_vec512i unions (ymm, zmm): {vN_bfloat16, vN_half,
 * vN_float, vN_double, vN_int8, vN_int16, vN_int32, vN_int64, vN_int128}; the int128 lanes are signed.
 */
function formatWideVector(v: bigint, bits: 256 | 512, fmt: string): string {
  const natural = fmt === 'N';
  const ints = (w: number) => elements(lanes(v, w, bits / w).map((x) => intText(x, w, fmt)));
  const floats = (w: number, expBits: number, mantBits: number, digits: number) =>
    natural ? elements(lanes(v, w, bits / w).map((x) => floatLane(x, expBits, mantBits, digits))) : ints(w);
  const n = (w: number) => bits / w;
  return (
    `{v${n(16)}_bfloat16 = ${floats(16, 8, 7, 4)}, v${n(16)}_half = ${floats(16, 5, 10, 5)}, v${n(32)}_float = ${floats(32, 8, 23, 9)}, ` +
    `v${n(64)}_double = ${floats(64, 11, 52, 17)}, v${n(8)}_int8 = ${ints(8)}, v${n(16)}_int16 = ${ints(16)}, v${n(32)}_int32 = ${ints(32)}, ` +
    `v${n(64)}_int64 = ${ints(64)}, v${n(128)}_int128 = ${ints(128)}}`
  );
}

/**
 * gdb's vec128 union: {v8_bfloat16, v8_half, v4_float, v2_double, v16_int8, v8_int16, v4_int32,
 * v2_int64, uint128}, in a -data-list-register-values format: x hex (unpadded), z and r zero-padded
 * hex, o octal, t binary, d signed, u unsigned, N natural (floats for the float views, signed integers).
 */
function formatVector(v: bigint, fmt: string): string {
  const ints = (w: number, n: number) => elements(lanes(v, w, n).map((x) => intText(x, w, fmt)));
  const natural = fmt === 'N';
  const floats = (w: number, n: number, expBits: number, mantBits: number, digits: number) =>
    natural ? elements(lanes(v, w, n).map((x) => floatLane(x, expBits, mantBits, digits))) : ints(w, n);
  // uint128 is unsigned: N and u print it as such, d as signed (gdb's print_scalar_formatted).
  const u128 = natural || fmt === 'u' ? v.toString() : fmt === 'd' ? BigInt.asIntN(128, v).toString() : intText(v, 128, fmt);
  return (
    `{v8_bfloat16 = ${floats(16, 8, 8, 7, 4)}, v8_half = ${floats(16, 8, 5, 10, 5)}, v4_float = ${floats(32, 4, 8, 23, 9)}, ` +
    `v2_double = ${floats(64, 2, 11, 52, 17)}, v16_int8 = ${ints(8, 16)}, v8_int16 = ${ints(16, 8)}, v4_int32 = ${ints(32, 4)}, ` +
    `v2_int64 = ${ints(64, 2)}, uint128 = ${u128}}`
  );
}

/**
 * An 80-bit x87 value as gdb prints it: `%.21Lg` (64 mantissa bits give gdb 21 significant digits),
 * computed exactly with BigInts; `inf`, `nan(0x…)` with the fraction bits.
 */
export function x87Natural(v: bigint): string {
  const sign = (v >> 79n) & 1n ? '-' : '';
  const exp = Number((v >> 64n) & 0x7fffn);
  const mant = v & ((1n << 64n) - 1n);
  if (exp === 0x7fff) {
    const frac = mant & ((1n << 63n) - 1n);
    return frac === 0n ? `${sign}inf` : `${sign}nan(0x${mant.toString(16)})`;
  }
  if (mant === 0n) return `${sign}0`;
  const e = (exp === 0 ? 1 : exp) - 16383 - 63;
  let num = e >= 0 ? mant << BigInt(e) : mant;
  let den = e >= 0 ? 1n : 1n << BigInt(-e);
  const P = 21;
  // Decimal exponent: estimate from the binary one, then correct.
  let x = Math.floor((e + mant.toString(2).length - 1) * Math.log10(2));
  const pow10 = (k: number) => 10n ** BigInt(k);
  const scaled = (k: number): bigint => {
    // round(value * 10^(P-1-k)), ties to even
    const shift = P - 1 - k;
    const n = shift >= 0 ? num * pow10(shift) : num;
    const d = shift >= 0 ? den : den * pow10(-shift);
    const q = n / d;
    const r2 = (n % d) * 2n;
    return r2 > d || (r2 === d && q % 2n === 1n) ? q + 1n : q;
  };
  let sig = scaled(x);
  while (sig >= pow10(P)) sig = scaled(++x);
  while (sig < pow10(P - 1)) sig = scaled(--x);
  const digits = sig.toString();
  const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (x < -4 || x >= P) return `${sign}${strip(digits[0] + '.' + digits.slice(1))}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  if (x >= 0) return sign + strip(digits.slice(0, x + 1) + '.' + digits.slice(x + 1));
  return sign + strip('0.' + '0'.repeat(-x - 1) + digits);
}
