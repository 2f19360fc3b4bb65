// Register lists for `info registers` / DAP's Registers scope / MI -data-list-register-values, in gdb's
// order and with gdb's natural renderings.

import { FpRegisters, Registers, XState } from '../ptrace/regs';
import type { RegisterValue } from './api';

/** gdb's amd64 general register order, with DWARF numbers (undefined: not in DWARF). */
const GENERAL: [string, number][] = [
  ['rax', 0], ['rbx', 3], ['rcx', 2], ['rdx', 1], ['rsi', 4], ['rdi', 5], ['rbp', 6], ['rsp', 7],
  ['r8', 8], ['r9', 9], ['r10', 10], ['r11', 11], ['r12', 12], ['r13', 13], ['r14', 14], ['r15', 15],
  ['rip', 16], ['eflags', 49], ['cs', 51], ['ss', 52], ['ds', 53], ['es', 50], ['fs', 54], ['gs', 55],
  ['fs_base', 58], ['gs_base', 59],
];

const FLAGS: [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];

/** gdb's eflags rendering: "[ ZF PF ]". */
export function eflagsText(v: bigint): string {
  const n = Number(v & 0xffffffffn);
  const set = FLAGS.filter(([bit]) => Math.floor(n / 2 ** bit) % 2 === 1).map(([, name]) => name);
  return `[ ${set.join(' ')}${set.length ? ' ' : ''}]`;
}

function signed64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/**
 * Registers of a frame: `frameRegs` are the unwound registers (DWARF numbering); `full` and `fp` are the
 * thread's own registers (frame 0 only).
 */
export function registerList(frameRegs: Map<number, bigint>, full: Registers | undefined, fp: FpRegisters | undefined, sym: (addr: number) => string, xs?: XState): RegisterValue[] {
  const out: RegisterValue[] = [];
  const avx512 = xs?.hasAvx512 ?? false;
  for (const [name, dw] of GENERAL) {
    if (name === 'fs_base' && avx512) {
      // gdb's `info registers` (general group) shows the opmask registers right after gs.
      for (let i = 0; i < 8; i++) out.push(opmask(i, xs!.k(i)));
    }
    let v = frameRegs.get(dw);
    if (v === undefined && full) v = full.get(name as never);
    const group = name === 'eflags' ? 'flags' : ['cs', 'ss', 'ds', 'es', 'fs', 'gs'].includes(name) ? 'segment' : name.endsWith('_base') ? 'system' : 'general';
    if (v === undefined) {
      out.push({ name, value: 0n, size: name === 'eflags' || group === 'segment' ? 4 : 8, group, unavailable: true, natural: '<not saved>' });
      continue;
    }
    let natural: string;
    if (name === 'rip') natural = `0x${v.toString(16)}${sym(Number(v))}`;
    else if (name === 'eflags') natural = eflagsText(v);
    else if (name === 'rsp' || name === 'rbp' || name.endsWith('_base')) natural = `0x${v.toString(16)}`;
    else natural = signed64(v).toString();
    out.push({ name, value: v, size: name === 'eflags' || group === 'segment' ? 4 : 8, group, natural });
  }
  if (fp) {
    for (let i = 0; i < 8; i++) {
      const b = fp.st(i);
      let v = 0n;
      for (let k = b.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
      out.push({ name: `st${i}`, value: v, size: 10, group: 'float' });
    }
    out.push({ name: 'fctrl', value: BigInt(fp.fcw), size: 4, group: 'float', natural: String(fp.fcw) });
    out.push({ name: 'fstat', value: BigInt(fp.fsw), size: 4, group: 'float', natural: String(fp.fsw) });
    // The rest of gdb's x87 control registers, from the FXSAVE area as gdb's i387_supply_fxsave reads it.
    for (const [name, value] of x87Control(fp.buf)) out.push({ name, value: BigInt(value), size: 4, group: 'float', natural: String(value) });
    for (let i = 0; i < 16; i++) {
      const b = fp.xmm(i);
      let v = 0n;
      for (let k = 15; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
      out.push({ name: `xmm${i}`, value: v, size: 16, group: 'vector' });
    }
    out.push({ name: 'mxcsr', value: BigInt(fp.mxcsr), size: 4, group: 'vector', natural: mxcsrText(fp.mxcsr) });
  }
  if (xs) {
    // The wider views, each family whole: xmm16-31 (AVX-512), ymm0-15 (AVX; ymm16-31 with AVX-512),
    // zmm0-31 (AVX-512). gdb's raw halves (ymm0h, zmm0h...) are derived by the front-ends.
    const n = avx512 ? 32 : 16;
    if (avx512) for (let i = 16; i < 32; i++) out.push(vectorValue(`xmm${i}`, xs.vector(i, 128)));
    if (xs.hasAvx) for (let i = 0; i < n; i++) out.push(vectorValue(`ymm${i}`, xs.vector(i, 256)));
    if (avx512) for (let i = 0; i < n; i++) out.push(vectorValue(`zmm${i}`, xs.vector(i, 512)));
  }
  // gdb's orig_rax (the system-call number the kernel restarts with; -1 outside a system call): the
  // thread's own value, frame 0 only.
  if (full) {
    const v = full.get('orig_rax' as never) as bigint;
    out.push({ name: 'orig_rax', value: v, size: 8, group: 'system', natural: signed64(v).toString() });
  }
  return out;
}

/**
 * ftag, fiseg, fioff, foseg, fooff, fop from an FXSAVE image (64-bit layout): the full tag word is
 * rebuilt from the abridged one and the registers' contents (valid 0, zero 1, special 2, empty 3), the
 * selectors are zero-extended 16-bit fields, fop keeps its 11 bits.
 */
function x87Control(fx: Buffer): [string, number][] {
  const fsw = fx.readUInt16LE(2);
  const abridged = fx[4];
  const top = (fsw >> 11) & 7;
  let ftag = 0;
  for (let phys = 7; phys >= 0; phys--) {
    let tag = 3;
    if (abridged & (1 << phys)) {
      // FXSAVE keeps st(i) in slot i; physical register phys is st((phys - top) mod 8).
      const r = fx.subarray(32 + ((phys + 8 - top) % 8) * 16, 42 + ((phys + 8 - top) % 8) * 16);
      const integer = r[7] & 0x80;
      const exponent = ((r[9] & 0x7f) << 8) | r[8];
      const fractionZero = r.readUInt32LE(0) === 0 && (r.readUInt32LE(4) & 0x7fffffff) === 0;
      if (exponent === 0x7fff) tag = 2;
      else if (exponent === 0) tag = fractionZero && !integer ? 1 : 2;
      else tag = integer ? 0 : 2;
    }
    ftag |= tag << (2 * phys);
  }
  return [
    ['ftag', ftag],
    ['fiseg', fx.readUInt16LE(12)],
    ['fioff', fx.readUInt32LE(8)],
    ['foseg', fx.readUInt16LE(20)],
    ['fooff', fx.readUInt32LE(16)],
    ['fop', fx.readUInt16LE(6) & 0x7ff],
  ];
}

const MXCSR: [number, string][] = [
  [0, 'IE'], [1, 'DE'], [2, 'ZE'], [3, 'OE'], [4, 'UE'], [5, 'PE'], [6, 'DAZ'], [7, 'IM'], [8, 'DM'], [9, 'ZM'],
  [10, 'OM'], [11, 'UM'], [12, 'PM'], [15, 'FZ'],
];

export function mxcsrText(v: number): string {
  const set = MXCSR.filter(([bit]) => Math.floor(v / 2 ** bit) % 2 === 1).map(([, n]) => n);
  return `[ ${set.join(' ')}${set.length ? ' ' : ''}]`;
}

function leBig(b: Buffer): bigint {
  let v = 0n;
  for (let k = b.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
  return v;
}

function vectorValue(name: string, bytes: Buffer): RegisterValue {
  return { name, value: leBig(bytes), size: bytes.length, group: 'vector' };
}

/** k0-k7: gdb types them uint64_t, so both columns of `info registers` are unsigned. */
function opmask(i: number, v: bigint): RegisterValue {
  return { name: `k${i}`, value: v, size: 8, group: 'general', natural: v.toString() };
}

// ---------------------------------------------------------------- vector registers in expressions

/**
 * Register numbers of the vector registers in expressions (FrameContext.regBytes). DWARF numbers where
 * the x86-64 psABI has one (xmm0-15 17-32, xmm16-31 67-82, k0-7 118-125); ymm/zmm, which have none, and
 * gdb's raw halves ymmNh/zmmNh get private numbers above the DWARF range.
 */
export const VREG = { XMM0: 17, XMM16: 67, K0: 118, YMM0: 8192, ZMM0: 8256, YMMH0: 8320, ZMMH0: 8384 } as const;

/** Which vector register a number is, and its width in bits (undefined: not a vector register). */
export function vectorRegister(reg: number): { kind: 'xmm' | 'ymm' | 'zmm' | 'ymmh' | 'zmmh' | 'k'; n: number } | undefined {
  if (reg >= VREG.XMM0 && reg < VREG.XMM0 + 16) return { kind: 'xmm', n: reg - VREG.XMM0 };
  if (reg >= VREG.XMM16 && reg < VREG.XMM16 + 16) return { kind: 'xmm', n: reg - VREG.XMM16 + 16 };
  if (reg >= VREG.K0 && reg < VREG.K0 + 8) return { kind: 'k', n: reg - VREG.K0 };
  for (const [kind, base] of [['ymm', VREG.YMM0], ['zmm', VREG.ZMM0], ['ymmh', VREG.YMMH0], ['zmmh', VREG.ZMMH0]] as const) {
    if (reg >= base && reg < base + 32) return { kind, n: reg - base };
  }
  return undefined;
}

/**
 * Raw bytes of a vector register from the thread's XSAVE area (or, for xmm0-15 when there is none, the
 * FXSAVE area). Undefined when the register is not one of these or the CPU lacks it.
 */
export function vectorRegisterBytes(reg: number, xs: XState | undefined, fp: FpRegisters | undefined): Buffer | undefined {
  const r = vectorRegister(reg);
  if (!r) return undefined;
  if (!xs) return r.kind === 'xmm' && r.n < 16 && fp ? fp.xmm(r.n) : undefined;
  try {
    switch (r.kind) {
      case 'xmm':
        return xs.vector(r.n, 128);
      case 'ymm':
        return xs.vector(r.n, 256);
      case 'zmm':
        return xs.vector(r.n, 512);
      case 'ymmh':
        return xs.ymmh(r.n);
      case 'zmmh':
        return xs.zmmh(r.n);
      case 'k': {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(xs.k(r.n));
        return b;
      }
    }
  } catch {
    return undefined;
  }
}

/** Writes a vector register's new bytes into the XSAVE area (the caller writes the area back). */
export function setVectorRegisterBytes(reg: number, bytes: Buffer, xs: XState): void {
  const r = vectorRegister(reg);
  if (!r) throw new Error('Attempt to assign to an unmodifiable value.');
  switch (r.kind) {
    case 'xmm':
      return xs.setVector(r.n, bytes.subarray(0, 16));
    case 'ymm':
      return xs.setVector(r.n, bytes.subarray(0, 32));
    case 'zmm':
      return xs.setVector(r.n, bytes.subarray(0, 64));
    case 'ymmh': {
      const v = xs.vector(r.n, 256);
      bytes.copy(v, 16, 0, 16);
      return xs.setVector(r.n, v);
    }
    case 'zmmh': {
      const v = xs.vector(r.n, 512);
      bytes.copy(v, 32, 0, 32);
      return xs.setVector(r.n, v);
    }
    case 'k':
      return xs.setK(r.n, bytes.readBigUInt64LE(0));
  }
}
