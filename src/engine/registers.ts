// Register lists for `info registers` / DAP's Registers scope / MI -data-list-register-values, in gdb's
// order and with gdb's natural renderings.

import { FpRegisters, Registers } from '../ptrace/regs';
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
export function registerList(frameRegs: Map<number, bigint>, full: Registers | undefined, fp: FpRegisters | undefined, sym: (addr: number) => string): RegisterValue[] {
  const out: RegisterValue[] = [];
  for (const [name, dw] of GENERAL) {
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
    for (let i = 0; i < 16; i++) {
      const b = fp.xmm(i);
      let v = 0n;
      for (let k = 15; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
      out.push({ name: `xmm${i}`, value: v, size: 16, group: 'vector' });
    }
    out.push({ name: 'mxcsr', value: BigInt(fp.mxcsr), size: 4, group: 'vector', natural: mxcsrText(fp.mxcsr) });
  }
  return out;
}

const MXCSR: [number, string][] = [
  [0, 'IE'], [1, 'DE'], [2, 'ZE'], [3, 'OE'], [4, 'UE'], [5, 'PE'], [6, 'DAZ'], [7, 'IM'], [8, 'DM'], [9, 'ZM'],
  [10, 'OM'], [11, 'UM'], [12, 'PM'], [15, 'FZ'],
];

export function mxcsrText(v: number): string {
  const set = MXCSR.filter(([bit]) => Math.floor(v / 2 ** bit) % 2 === 1).map(([, n]) => n);
  return `[ ${set.join(' ')}${set.length ? ' ' : ''}]`;
}
