// Floating-point text as gdb prints it: C's %g with DECIMAL_DIG significant digits for the format
// (9 for float, 17 for double, 21 for x87 long double, 36 for binary128), computed exactly from
// the bits (round-half-even, like glibc), `inf`, `-inf`, `nan(0x8000000000000)`.

interface Decoded {
  neg: boolean;
  /** value = mant * 2^exp */
  mant: bigint;
  exp: number;
  kind: 'finite' | 'inf' | 'nan';
  /** Mantissa field bits (for nan(0x...)) and its width. */
  field: bigint;
  fieldBits: number;
}

function decode(b: Buffer, size: number, bfloat = false): Decoded | undefined {
  if (size === 2) {
    // IEEE binary16 (_Float16) or bfloat16.
    const bits = BigInt(b.readUInt16LE(0));
    const ebits = bfloat ? 8 : 5;
    const mbits = bfloat ? 7 : 10;
    const neg = ((bits >> 15n) & 1n) === 1n;
    const e = Number((bits >> BigInt(mbits)) & ((1n << BigInt(ebits)) - 1n));
    const f = bits & ((1n << BigInt(mbits)) - 1n);
    const bias = (1 << (ebits - 1)) - 1;
    if (e === (1 << ebits) - 1) return { neg, mant: 0n, exp: 0, kind: f === 0n ? 'inf' : 'nan', field: f, fieldBits: mbits };
    if (e === 0) return { neg, mant: f, exp: 1 - bias - mbits, kind: 'finite', field: f, fieldBits: mbits };
    return { neg, mant: f | (1n << BigInt(mbits)), exp: e - bias - mbits, kind: 'finite', field: f, fieldBits: mbits };
  }
  if (size === 4 || size === 8) {
    const bits = size === 4 ? BigInt(b.readUInt32LE(0)) : b.readBigUInt64LE(0);
    const ebits = size === 4 ? 8 : 11;
    const mbits = size === 4 ? 23 : 52;
    const neg = ((bits >> BigInt(ebits + mbits)) & 1n) === 1n;
    const e = Number((bits >> BigInt(mbits)) & ((1n << BigInt(ebits)) - 1n));
    const f = bits & ((1n << BigInt(mbits)) - 1n);
    const bias = (1 << (ebits - 1)) - 1;
    if (e === (1 << ebits) - 1) return { neg, mant: 0n, exp: 0, kind: f === 0n ? 'inf' : 'nan', field: f, fieldBits: mbits };
    if (e === 0) return { neg, mant: f, exp: 1 - bias - mbits, kind: 'finite', field: f, fieldBits: mbits };
    return { neg, mant: f | (1n << BigInt(mbits)), exp: e - bias - mbits, kind: 'finite', field: f, fieldBits: mbits };
  }
  if (size === 10 || size === 12 || size === 16) {
    if (size === 16 && isBinary128(b)) {
      const lo = b.readBigUInt64LE(0);
      const hi = b.readBigUInt64LE(8);
      const neg = (hi >> 63n) === 1n;
      const e = Number((hi >> 48n) & 0x7fffn);
      const f = ((hi & 0xffffffffffffn) << 64n) | lo;
      if (e === 0x7fff) return { neg, mant: 0n, exp: 0, kind: f === 0n ? 'inf' : 'nan', field: f, fieldBits: 112 };
      if (e === 0) return { neg, mant: f, exp: 1 - 16383 - 112, kind: 'finite', field: f, fieldBits: 112 };
      return { neg, mant: f | (1n << 112n), exp: e - 16383 - 112, kind: 'finite', field: f, fieldBits: 112 };
    }
    const mant = b.readBigUInt64LE(0);
    const se = b.readUInt16LE(8);
    const neg = (se & 0x8000) !== 0;
    const e = se & 0x7fff;
    if (e === 0x7fff) {
      const f = mant & ((1n << 63n) - 1n);
      return { neg, mant: 0n, exp: 0, kind: f === 0n ? 'inf' : 'nan', field: mant, fieldBits: 64 };
    }
    return { neg, mant, exp: (e === 0 ? 1 : e) - 16383 - 63, kind: 'finite', field: mant, fieldBits: 64 };
  }
  return undefined;
}

/** Heuristic kept simple: on x86-64, 16-byte floats are x87 `long double` unless marked otherwise. */
function isBinary128(_b: Buffer): boolean {
  return false;
}

function digitsFor(size: number, binary128 = false, bfloat = false): number {
  if (size === 2) return bfloat ? 4 : 5;
  if (size === 4) return 9;
  if (size === 8) return 17;
  if (binary128) return 36;
  return 21;
}

/** gdb's floatformat_mantissa: 32-bit chunks, the first without leading zeros. */
function mantissaHex(field: bigint, bits: number): string {
  const first = bits % 32 || 32;
  let pos = bits - first;
  let out = (field >> BigInt(pos)).toString(16);
  while (pos > 0) {
    pos -= 32;
    out += ((field >> BigInt(pos)) & 0xffffffffn).toString(16).padStart(8, '0');
  }
  return out;
}

/** printf("%.{prec}g", value) for value = mant * 2^exp, exactly. */
export function formatG(neg: boolean, mant: bigint, exp: number, prec: number): string {
  const sign = neg ? '-' : '';
  if (mant === 0n) return sign + '0';
  // Exact decimal: digits * 10^dexp
  let digits: bigint;
  let dexp: number;
  if (exp >= 0) {
    digits = mant << BigInt(exp);
    dexp = 0;
  } else {
    digits = mant * 5n ** BigInt(-exp);
    dexp = exp;
  }
  let s = digits.toString();
  // Round to `prec` significant digits, half to even.
  let x = s.length - 1 + dexp; // decimal exponent of the leading digit
  if (s.length > prec) {
    const keep = s.slice(0, prec);
    const rest = s.slice(prec);
    let k = BigInt(keep);
    const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
    const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
    if (half || (tie && (k & 1n) === 1n)) k += 1n;
    let ks = k.toString();
    if (ks.length > prec) {
      ks = ks.slice(0, prec);
      x += 1;
    }
    s = ks;
  }
  s = s.padEnd(prec, '0');
  // %g: exponent style when x < -4 or x >= prec.
  if (x < -4 || x >= prec) {
    let m = s[0] + (prec > 1 ? '.' + s.slice(1) : '');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const ex = Math.abs(x).toString().padStart(2, '0');
    return `${sign}${m}e${x < 0 ? '-' : '+'}${ex}`;
  }
  let out: string;
  if (x >= 0) {
    const intPart = s.slice(0, x + 1);
    const frac = s.slice(x + 1);
    out = frac ? `${intPart}.${frac}` : intPart;
  } else {
    out = '0.' + '0'.repeat(-x - 1) + s;
  }
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return sign + out;
}

/** The text gdb prints for a floating-point value of `size` bytes. */
export function formatFloat(b: Buffer, size: number, typeName?: string): string {
  const bfloat = typeName === 'bfloat16' || typeName === '__bf16';
  const d = decode(b, size, bfloat);
  if (!d) return '<invalid float value>';
  if (d.kind === 'inf') return d.neg ? '-inf' : 'inf';
  if (d.kind === 'nan') return `${d.neg ? '-' : ''}nan(0x${mantissaHex(d.field, d.fieldBits)})`;
  return formatG(d.neg, d.mant, d.exp, digitsFor(size, false, bfloat));
}
