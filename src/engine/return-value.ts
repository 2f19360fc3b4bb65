// Where a function's return value is after it returns, by the System V x86-64 ABI (section 3.2.3):
// INTEGER eightbytes in rax then rdx, SSE eightbytes in xmm0 then xmm1 (low halves), long double in
// st0, objects larger than 16 bytes (class MEMORY) in memory at the address returned in rax.

import { FpRegisters, Registers } from '../ptrace/regs';
import type { Type } from '../symbols';

export type ReturnLocation = { kind: 'bytes'; bytes: Buffer } | { kind: 'memory'; address: number };

type Class = 'INTEGER' | 'SSE' | 'X87' | 'MEMORY' | 'NONE';

function strip(t: Type): Type {
  for (let i = 0; i < 32; i++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'atomic') t = t.target;
    else break;
  }
  return t;
}

export function sizeOfType(t: Type): number {
  t = strip(t);
  switch (t.kind) {
    case 'base':
    case 'enum':
    case 'struct':
    case 'class':
    case 'union':
      return t.byteSize;
    case 'pointer':
    case 'reference':
    case 'rvalue-reference':
      return t.byteSize || 8;
    case 'ptr-to-member':
      return 8;
    case 'array': {
      const n = t.dims.reduce<number>((a, d) => a * (d ?? 0), 1);
      return n * sizeOfType(t.element);
    }
    default:
      return 0;
  }
}

/** Scalar leaves of a type with their byte offsets (for eightbyte classification). */
function leaves(t: Type, offset: number, out: { offset: number; size: number; cls: Class }[]): void {
  t = strip(t);
  switch (t.kind) {
    case 'base': {
      if (t.encoding === 'float') {
        if (t.byteSize > 8) out.push({ offset, size: t.byteSize, cls: 'X87' });
        else out.push({ offset, size: t.byteSize, cls: 'SSE' });
      } else if (t.encoding === 'complex') {
        const half = t.byteSize / 2;
        const cls: Class = half > 8 ? 'X87' : 'SSE';
        out.push({ offset, size: half, cls }, { offset: offset + half, size: half, cls });
      } else out.push({ offset, size: t.byteSize, cls: 'INTEGER' });
      return;
    }
    case 'pointer':
    case 'reference':
    case 'rvalue-reference':
    case 'enum':
    case 'ptr-to-member':
      out.push({ offset, size: sizeOfType(t), cls: 'INTEGER' });
      return;
    case 'struct':
    case 'class':
    case 'union':
      for (const b of t.bases) leaves(b.type, offset + (b.offset ?? 0), out);
      for (const m of t.members) {
        if (m.bitSize !== undefined) out.push({ offset: offset + Math.floor((m.bitOffset ?? 0) / 8), size: 1, cls: 'INTEGER' });
        else leaves(m.type, offset + m.offset, out);
      }
      return;
    case 'array': {
      const n = t.dims.reduce<number>((a, d) => a * (d ?? 0), 1);
      const es = sizeOfType(t.element);
      for (let i = 0; i < n; i++) leaves(t.element, offset + i * es, out);
      return;
    }
    default:
      out.push({ offset, size: Math.max(1, sizeOfType(t)), cls: 'MEMORY' });
  }
}

/**
 * The returned value's bytes (or address), or undefined for void / types we cannot place (x87 inside
 * aggregates).
 */
export function returnLocation(type: Type, regs: Registers, fp: FpRegisters | undefined): ReturnLocation | undefined {
  const t = strip(type);
  if (t.kind === 'void' || t.kind === 'function' || t.kind === 'unknown') return undefined;
  const size = sizeOfType(t);
  if (size === 0) return undefined;
  const rax = regs.get('rax');
  const rdx = regs.get('rdx');
  const u64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return b;
  };
  if (t.kind === 'base' && t.encoding === 'float' && size > 8) {
    if (!fp) return undefined;
    const b = Buffer.alloc(size);
    fp.st(0).copy(b, 0, 0, 10);
    return { kind: 'bytes', bytes: b };
  }
  if (size > 16) return { kind: 'memory', address: Number(rax) };
  const ls: { offset: number; size: number; cls: Class }[] = [];
  leaves(t, 0, ls);
  const classes: Class[] = size > 8 ? ['NONE', 'NONE'] : ['NONE'];
  for (const l of ls) {
    const i = Math.floor(l.offset / 8);
    if (i >= classes.length) continue;
    const c = classes[i];
    if (l.cls === 'MEMORY' || l.cls === 'X87') classes[i] = 'MEMORY';
    else if (c === 'INTEGER' || l.cls === 'INTEGER') classes[i] = c === 'MEMORY' ? 'MEMORY' : 'INTEGER';
    else if (c !== 'MEMORY') classes[i] = 'SSE';
  }
  if (classes.includes('MEMORY')) return size > 16 || (t.kind !== 'struct' && t.kind !== 'class' && t.kind !== 'union') ? undefined : { kind: 'memory', address: Number(rax) };
  const out = Buffer.alloc(Math.max(size, 8 * classes.length));
  let nextInt = 0;
  let nextSse = 0;
  classes.forEach((c, i) => {
    let chunk: Buffer;
    if (c === 'SSE') {
      if (!fp) chunk = Buffer.alloc(8);
      else chunk = Buffer.from(fp.xmm(nextSse).subarray(0, 8));
      nextSse++;
    } else {
      chunk = u64(nextInt === 0 ? rax : rdx);
      nextInt++;
    }
    chunk.copy(out, i * 8);
  });
  return { kind: 'bytes', bytes: out.subarray(0, size) };
}
