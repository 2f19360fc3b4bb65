// x87 80-bit `long double` arithmetic in software (64-bit mantissa, round to nearest even), so that
// `1.0L/3` or `0.1L` evaluate exactly as gdb (which computes them in the host's long double) does.
// A finite value is m * 2^e with m < 2^64; m is normalised (bit 63 set) unless denormal.

export type LD =
  | { kind: 'finite'; neg: boolean; m: bigint; e: number }
  | { kind: 'inf'; neg: boolean }
  | { kind: 'nan'; neg: boolean; payload: bigint };

const MIN_E = 1 - 16383 - 63; // exponent of the smallest denormal unit

/** Rounds m * 2^e (any size m) to 64 significant bits, half to even; handles overflow/denormals. */
export function ldRound(neg: boolean, m: bigint, e: number): LD {
  if (m === 0n) return { kind: 'finite', neg, m: 0n, e: 0 };
  const bits = m.toString(2).length;
  let shift = bits - 64;
  // Denormals: the exponent cannot go below MIN_E.
  if (e + shift < MIN_E) shift = MIN_E - e;
  if (shift > 0) {
    const q = m >> BigInt(shift);
    const r = m & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    m = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
    e += shift;
    if (m >= 1n << 64n) {
      m >>= 1n;
      e += 1;
    }
  } else if (shift < 0) {
    m <<= BigInt(-shift);
    e += shift;
  }
  if (e + 63 > 16383) return { kind: 'inf', neg };
  return { kind: 'finite', neg, m, e };
}

export function ldFromBytes(b: Buffer): LD {
  const m = b.readBigUInt64LE(0);
  const se = b.readUInt16LE(8);
  const neg = (se & 0x8000) !== 0;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    const frac = m & ((1n << 63n) - 1n);
    return frac === 0n ? { kind: 'inf', neg } : { kind: 'nan', neg, payload: m };
  }
  return { kind: 'finite', neg, m, e: (exp === 0 ? 1 : exp) - 16383 - 63 };
}

export function ldToBytes(x: LD, size = 16): Buffer {
  const b = Buffer.alloc(size);
  if (x.kind === 'inf') {
    b.writeBigUInt64LE(1n << 63n, 0);
    b.writeUInt16LE((x.neg ? 0x8000 : 0) | 0x7fff, 8);
    return b;
  }
  if (x.kind === 'nan') {
    b.writeBigUInt64LE(x.payload, 0);
    b.writeUInt16LE((x.neg ? 0x8000 : 0) | 0x7fff, 8);
    return b;
  }
  if (x.m === 0n) {
    b.writeUInt16LE(x.neg ? 0x8000 : 0, 8);
    return b;
  }
  let exp = x.e + 63 + 16383;
  if (exp <= 0 || (x.m >> 63n) === 0n) exp = 0; // denormal
  b.writeBigUInt64LE(x.m, 0);
  b.writeUInt16LE((x.neg ? 0x8000 : 0) | exp, 8);
  return b;
}

/** Exact conversion of a double. */
export function ldFromNumber(v: number): LD {
  if (Number.isNaN(v)) {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(v);
    const bits = d.readBigUInt64LE(0);
    return { kind: 'nan', neg: bits >> 63n === 1n, payload: (1n << 63n) | ((bits & ((1n << 52n) - 1n)) << 11n) };
  }
  if (!Number.isFinite(v)) return { kind: 'inf', neg: v < 0 };
  const d = Buffer.alloc(8);
  d.writeDoubleLE(v);
  const bits = d.readBigUInt64LE(0);
  const neg = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (exp === 0) return ldRound(neg, frac, 1 - 1023 - 52);
  return ldRound(neg, frac | (1n << 52n), exp - 1023 - 52);
}

export function ldFromBigInt(v: bigint): LD {
  return ldRound(v < 0n, v < 0n ? -v : v, 0);
}

/** A decimal literal (`0.1`, `1e-5`, `12.5e3`) rounded to long double. */
export function ldFromDecimal(text: string): LD | undefined {
  const m = /^(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const digits = BigInt((m[1] || '') + (m[2] || '') || '0');
  const dexp = (m[3] ? parseInt(m[3], 10) : 0) - (m[2] || '').length;
  if (digits === 0n) return { kind: 'finite', neg: false, m: 0n, e: 0 };
  if (dexp >= 0) return ldRound(false, digits * 10n ** BigInt(dexp), 0);
  return ldDivExact(false, digits, 0, 10n ** BigInt(-dexp), 0);
}

/** (n * 2^en) / (d * 2^ed), correctly rounded. */
function ldDivExact(neg: boolean, n: bigint, en: number, d: bigint, ed: number): LD {
  const extra = 66 + d.toString(2).length - n.toString(2).length;
  const sh = Math.max(0, extra);
  const num = n << BigInt(sh);
  const q = num / d;
  const r = num % d;
  // A sticky bit below the rounding position keeps halfway detection exact.
  return ldRound(neg, (q << 1n) | (r !== 0n ? 1n : 0n), en - ed - sh - 1);
}

export function ldToNumber(x: LD): number {
  if (x.kind === 'inf') return x.neg ? -Infinity : Infinity;
  if (x.kind === 'nan') return NaN;
  if (x.m === 0n) return x.neg ? -0 : 0;
  // Round to 53 bits, then scale.
  let m = x.m;
  let e = x.e;
  const bits = m.toString(2).length;
  if (bits > 53) {
    const shift = bits - 53;
    const q = m >> BigInt(shift);
    const r = m & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    m = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
    e += shift;
  }
  const v = Number(m) * 2 ** e;
  return x.neg ? -v : v;
}

export function ldToBigInt(x: LD): bigint {
  if (x.kind !== 'finite') return 0n;
  const v = x.e >= 0 ? x.m << BigInt(x.e) : x.m >> BigInt(-x.e);
  return x.neg ? -v : v;
}

function nanOf(a: LD, b: LD): LD | undefined {
  if (a.kind === 'nan') return a;
  if (b.kind === 'nan') return b;
  return undefined;
}

const DEFAULT_NAN: LD = { kind: 'nan', neg: true, payload: 0xc000000000000000n };

export function ldAdd(a: LD, b: LD): LD {
  const n = nanOf(a, b);
  if (n) return n;
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf') return a.neg === b.neg ? a : DEFAULT_NAN;
    return a.kind === 'inf' ? a : b;
  }
  if (a.kind !== 'finite' || b.kind !== 'finite') return DEFAULT_NAN;
  if (a.m === 0n && b.m === 0n) return { kind: 'finite', neg: a.neg && b.neg, m: 0n, e: 0 };
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const am = a.m << BigInt(a.e - e);
  const bm = b.m << BigInt(b.e - e);
  const sa = a.neg ? -am : am;
  const sb = b.neg ? -bm : bm;
  const s = sa + sb;
  if (s === 0n) return { kind: 'finite', neg: false, m: 0n, e: 0 };
  return ldRound(s < 0n, s < 0n ? -s : s, e);
}

export function ldNeg(a: LD): LD {
  return { ...a, neg: !a.neg } as LD;
}

export function ldSub(a: LD, b: LD): LD {
  if (b.kind === 'nan') return b;
  return ldAdd(a, ldNeg(b));
}

export function ldMul(a: LD, b: LD): LD {
  const n = nanOf(a, b);
  if (n) return n;
  const neg = a.neg !== b.neg;
  if (a.kind === 'inf' || b.kind === 'inf') {
    const other = a.kind === 'inf' ? b : a;
    if (other.kind === 'finite' && other.m === 0n) return DEFAULT_NAN;
    return { kind: 'inf', neg };
  }
  if (a.kind !== 'finite' || b.kind !== 'finite') return DEFAULT_NAN;
  return ldRound(neg, a.m * b.m, a.e + b.e);
}

export function ldDiv(a: LD, b: LD): LD {
  const n = nanOf(a, b);
  if (n) return n;
  const neg = a.neg !== b.neg;
  if (a.kind === 'inf') return b.kind === 'inf' ? DEFAULT_NAN : { kind: 'inf', neg };
  if (b.kind === 'inf') return { kind: 'finite', neg, m: 0n, e: 0 };
  if (a.kind !== 'finite' || b.kind !== 'finite') return DEFAULT_NAN;
  if (b.m === 0n) return a.m === 0n ? DEFAULT_NAN : { kind: 'inf', neg };
  if (a.m === 0n) return { kind: 'finite', neg, m: 0n, e: 0 };
  return ldDivExact(neg, a.m, a.e, b.m, b.e);
}

/** -1, 0, 1, or undefined when unordered (NaN). */
export function ldCmp(a: LD, b: LD): number | undefined {
  if (a.kind === 'nan' || b.kind === 'nan') return undefined;
  const val = (x: LD) => (x.kind === 'inf' ? (x.neg ? -Infinity : Infinity) : 0);
  if (a.kind === 'inf' || b.kind === 'inf') {
    const va = a.kind === 'inf' ? val(a) : 0;
    const vb = b.kind === 'inf' ? val(b) : 0;
    if (a.kind === 'inf' && b.kind === 'inf') return va === vb ? 0 : va < vb ? -1 : 1;
    return a.kind === 'inf' ? (va < 0 ? -1 : 1) : vb < 0 ? 1 : -1;
  }
  const d = ldSub(a, b);
  if (d.kind !== 'finite') return undefined;
  if (d.m === 0n) return 0;
  return d.neg ? -1 : 1;
}
