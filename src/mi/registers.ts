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

/** Registers whose values backstep can show (the rest of gdb's numbering stays blank). */
export const REGISTER_NAMES: string[] = [
  ...GPR, // 0-15
  'rip', // 16
  'eflags', // 17
  'cs', 'ss', 'ds', 'es', 'fs', 'gs', // 18-23
  ...range('st', 0, 7), // 24-31
  'fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop', // 32-39
  ...range('xmm', 0, 15), // 40-55
  'mxcsr', // 56
  ...blanks(16), // 57-72 ymm0h-ymm15h
  ...blanks(6), // 73-78 MPX
  ...blanks(16), // 79-94 xmm16-31
  ...blanks(16), // 95-110 ymm16h-31h
  ...blanks(8), // 111-118 k0-k7
  ...blanks(32), // 119-150 zmm0h-31h
  '', // 151 pkru
  'fs_base', 'gs_base', // 152-153
  'orig_rax', // 154
  'al', 'bl', 'cl', 'dl', 'sil', 'dil', 'bpl', 'spl', ...range('r', 8, 15, 'l'), // 155-170
  'ah', 'bh', 'ch', 'dh', // 171-174
  'ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', '', ...range('r', 8, 15, 'w'), // 175-190
  'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', ...range('r', 8, 15, 'd'), // 191-206
];

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
  const out = new Map<string, RegValue>();
  for (const n of REGISTER_NAMES) {
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
      out.set(n, { value: v, size: sub.bits / 8, root: sub.root, unavailable: root.unavailable });
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
  if (/^st\d$/.test(name)) {
    if (fmt === 'N') return r.natural ?? String(x87ToNumber(v));
    return formatInt(v, fmt === 'r' ? 'x' : fmt, bits);
  }
  switch (fmt) {
    case 'N':
      if (r.natural !== undefined) return r.natural;
      if (POINTER_REGS.has(name)) return '0x' + v.toString(16);
      return BigInt.asIntN(bits, v).toString();
    case 'r':
      return '0x' + v.toString(16).padStart(r.size * 2, '0');
    default:
      return formatInt(v, fmt, bits);
  }
}

function formatInt(v: bigint, fmt: string, bits: number): string {
  switch (fmt) {
    case 'x':
      return '0x' + v.toString(16);
    case 'z':
      return '0x' + v.toString(16).padStart(bits / 4, '0');
    case 'o':
      return v === 0n ? '0' : '0' + v.toString(8);
    case 't':
      return v.toString(2);
    case 'd':
      return BigInt.asIntN(bits, v).toString();
    case 'u':
      return v.toString();
    default:
      return BigInt.asIntN(bits, v).toString();
  }
}

function lanes(v: bigint, width: number, count: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push((v >> BigInt(i * width)) & ((1n << BigInt(width)) - 1n));
  return out;
}

function f32(x: bigint): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(x));
  return b.readFloatLE(0);
}

function f64(x: bigint): number {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(x);
  return b.readDoubleLE(0);
}

function gnum(n: number): string {
  if (Number.isNaN(n)) return 'nan(0x400000)';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(Number(n.toPrecision(9)));
}

/** gdb's vec128 union: {v8_bfloat16, v8_half, v4_float, v2_double, v16_int8, v8_int16, v4_int32, v2_int64, uint128}. */
function formatVector(v: bigint, fmt: string): string {
  const asHex = fmt === 'x' || fmt === 'r' || fmt === 'z';
  const h = (x: bigint, w: number) => '0x' + (fmt === 'z' || fmt === 'r' || true ? x.toString(16).padStart(w / 4, '0') : x.toString(16));
  const ints = (w: number, n: number, signed: boolean) =>
    '{' +
    lanes(v, w, n)
      .map((x) => (asHex ? h(x, w) : fmt === 'u' ? x.toString() : fmt === 't' ? x.toString(2) : fmt === 'o' ? '0' + x.toString(8) : (signed ? BigInt.asIntN(w, x) : x).toString()))
      .join(', ') +
    '}';
  if (asHex || fmt === 'u' || fmt === 't' || fmt === 'o' || fmt === 'd') {
    return `{v8_bfloat16 = ${ints(16, 8, true)}, v8_half = ${ints(16, 8, true)}, v4_float = ${ints(32, 4, true)}, v2_double = ${ints(64, 2, true)}, v16_int8 = ${ints(8, 16, true)}, v8_int16 = ${ints(16, 8, true)}, v4_int32 = ${ints(32, 4, true)}, v2_int64 = ${ints(64, 2, true)}, uint128 = ${asHex ? '0x' + v.toString(16).padStart(32, '0') : v.toString()}}`;
  }
  const fl = '{' + lanes(v, 32, 4).map((x) => gnum(f32(x))).join(', ') + '}';
  const db = '{' + lanes(v, 64, 2).map((x) => gnum(f64(x))).join(', ') + '}';
  const half = '{' + lanes(v, 16, 8).map((x) => gnum(f32(x << 16n))).join(', ') + '}';
  return `{v8_bfloat16 = ${half}, v8_half = ${ints(16, 8, true).replace(/-?\d+/g, (d) => d)}, v4_float = ${fl}, v2_double = ${db}, v16_int8 = ${ints(8, 16, true)}, v8_int16 = ${ints(16, 8, true)}, v4_int32 = ${ints(32, 4, true)}, v2_int64 = ${ints(64, 2, true)}, uint128 = ${v.toString()}}`;
}

function x87ToNumber(v: bigint): number {
  const mant = v & ((1n << 64n) - 1n);
  const exp = Number((v >> 64n) & 0x7fffn);
  const sign = (v >> 79n) & 1n ? -1 : 1;
  if (exp === 0 && mant === 0n) return 0;
  return sign * Number(mant) * Math.pow(2, exp - 16383 - 63);
}
