// The Value: a type, a location, and bytes fetched lazily. See api.ts for the contract.

import type { Type } from '../../symbols/types';
import type { BitField, FrameContext, TargetMemory, ValueLocation } from './api';
import { EvalError, memoryError } from './errors';
import { isFloat, isSigned, sizeOf, strip } from './type-util';
import { ldFromBytes, ldToNumber } from './ldouble';

/** gdb's `max-value-size` default. */
export const MAX_VALUE_SIZE = 65536;

export class Value {
  private contents?: Buffer;
  private loadError?: EvalError;

  private constructor(
    readonly type: Type,
    readonly location: ValueLocation,
    contents: Buffer | undefined,
    private readonly loader: (() => Buffer) | undefined,
    /** Memory the value lives in (memory-located values) and that pointers in it point into. */
    readonly memory: TargetMemory | undefined,
    readonly bitField?: BitField,
    /** Text printed instead of the value when it is unavailable (`<optimized out>`, `<not saved>`). */
    readonly unavailable?: string,
  ) {
    this.contents = contents;
  }

  // ------------------------------------------------------------ constructors

  /** A value in target memory at `address` (lazy). */
  static atAddress(type: Type, address: number, memory: TargetMemory | undefined, bitField?: BitField): Value {
    return new Value(type, { kind: 'memory', address }, undefined, undefined, memory, bitField);
  }

  /** A value in (the low bytes of) a register of a frame (lazy). */
  static inRegister(type: Type, reg: number, frame: FrameContext, byteOffset = 0, bitField?: BitField): Value {
    return new Value(type, { kind: 'register', reg, frame, byteOffset }, undefined, undefined, frame.memory, bitField);
  }

  /** A value computed by the debugger (not an lvalue). */
  static fromBytes(type: Type, bytes: Buffer, memory?: TargetMemory): Value {
    const size = sizeOf(type);
    let b = bytes;
    if (b.length < size) {
      b = Buffer.alloc(size);
      bytes.copy(b);
    }
    return new Value(type, { kind: 'computed' }, b, undefined, memory);
  }

  /** A value whose bytes come from `loader` on first use (composite DWARF locations...). */
  static lazy(type: Type, location: ValueLocation, loader: () => Buffer, memory?: TargetMemory): Value {
    return new Value(type, location, undefined, loader, memory);
  }

  static optimizedOut(type: Type, text = '<optimized out>', memory?: TargetMemory): Value {
    return new Value(type, { kind: 'optimized-out' }, undefined, undefined, memory, undefined, text);
  }

  /** A value that could not be located: reading it throws EvalError(message). */
  static failed(type: Type, message: string, memory?: TargetMemory): Value {
    const v = new Value(type, { kind: 'computed' }, undefined, () => {
      throw new EvalError(message);
    }, memory);
    return v;
  }

  /** Bytes of which only some bits are known (`available` has a 1 for each known bit). */
  static partial(type: Type, bytes: Buffer, available: Buffer, memory?: TargetMemory): Value {
    const v = new Value(type, { kind: 'composite' }, bytes, undefined, memory);
    v.availableBits = available;
    return v;
  }

  /**
   * A pointer that exists only in the debug info (DW_OP_implicit_pointer): it has no address to
   * print; dereferencing it gives `target()`.
   */
  static synthetic(type: Type, target: (() => Value) | undefined, memory?: TargetMemory): Value {
    const v = new Value(type, { kind: 'computed' }, Buffer.alloc(sizeOf(type) || 8), undefined, memory);
    v.syntheticTarget = target ?? (() => Value.optimizedOut(type, '<optimized out>', memory));
    return v;
  }

  /** Set for partially available values (composite locations with optimized-out pieces). */
  availableBits?: Buffer;
  /** Set for synthetic pointers. */
  syntheticTarget?: () => Value;

  /** True when every bit of [byteOffset, byteOffset+size) (or of a bit range) is available. */
  isAvailable(byteOffset = 0, size = this.size, bitField?: BitField): boolean {
    const m = this.availableBits;
    if (!m) return !this.optimizedOut;
    const start = byteOffset * 8 + (bitField?.bitOffset ?? 0);
    const n = bitField ? bitField.bitSize : size * 8;
    for (let i = start; i < start + n; i++) if (!((m[i >> 3] >> (i & 7)) & 1)) return false;
    return true;
  }

  /** An integer/pointer/enum/bool value of `type` (wrapped to the type's width). */
  static fromBigInt(type: Type, v: bigint, memory?: TargetMemory): Value {
    const size = sizeOf(type) || 8;
    return new Value(type, { kind: 'computed' }, bigintToBytes(v, size), undefined, memory);
  }

  /** A floating-point value of `type` (float, double, long double). */
  static fromNumber(type: Type, v: number, memory?: TargetMemory): Value {
    const size = sizeOf(type);
    return new Value(type, { kind: 'computed' }, numberToBytes(v, size), undefined, memory);
  }

  /**
   * A part of this value: a member, an array element, a base-class subobject (byte offset, and bit
   * position for bit-fields). Shares the parent's bytes when they are (or can be) fetched; keeps the
   * lvalue location so the part can be assigned.
   */
  component(type: Type, offset: number, bitField?: BitField): Value {
    const size = sizeOf(type);
    let location: ValueLocation;
    switch (this.location.kind) {
      case 'memory':
        location = { kind: 'memory', address: this.location.address + offset };
        break;
      case 'register':
        location = { ...this.location, byteOffset: (this.location.byteOffset ?? 0) + offset };
        break;
      case 'optimized-out':
        return Value.optimizedOut(type, this.unavailable, this.memory);
      case 'internalvar':
        location = { kind: 'computed' };
        break;
      default:
        location = this.location;
    }
    const parent = this;
    // A part of a value in memory that has not been read yet is read on its own (only its bytes);
    // otherwise it shares the parent's bytes.
    const canShare = this.contents !== undefined || this.loader !== undefined || location.kind !== 'memory' || this.loadError !== undefined;
    let loader: (() => Buffer) | undefined;
    if (canShare) {
      loader = () => {
        const pb = parent.bytes();
        if (bitField) {
          const n = Math.ceil((bitField.bitOffset + bitField.bitSize) / 8);
          const raw = Buffer.alloc(n);
          pb.copy(raw, 0, offset, Math.min(pb.length, offset + n));
          return extractBits(raw, bitField, size, isSigned(type));
        }
        if (offset + size > pb.length) {
          const out = Buffer.alloc(size);
          pb.copy(out, 0, offset);
          return out;
        }
        return pb.subarray(offset, offset + size);
      };
    }
    const v = new Value(type, location, undefined, loader, this.memory, bitField);
    if (this.availableBits) {
      const total = size * 8 || 8;
      const m = Buffer.alloc(Math.ceil(total / 8));
      const start = offset * 8 + (bitField?.bitOffset ?? 0);
      const n = bitField ? bitField.bitSize : total;
      for (let i = 0; i < n; i++) {
        const sb = start + i;
        if ((this.availableBits[sb >> 3] >> (sb & 7)) & 1) m[i >> 3] |= 1 << (i & 7);
      }
      // Bits beyond a bit-field's width (its sign/zero extension) follow its last bit.
      if (bitField && n < total) {
        const last = (m[(n - 1) >> 3] >> ((n - 1) & 7)) & 1;
        for (let i = n; i < total; i++) if (last) m[i >> 3] |= 1 << (i & 7);
      }
      v.availableBits = m;
    }
    if (this.syntheticTarget && offset === 0) v.syntheticTarget = this.syntheticTarget;
    return v;
  }

  /** The same value (location, bytes) seen as another type (casts of lvalues, `*p` of a reference...). */
  withType(type: Type): Value {
    return new Value(type, this.location, this.contents, this.contents ? undefined : this.loader, this.memory, this.bitField, this.unavailable);
  }

  /** The same bytes as a non-lvalue. */
  asRvalue(): Value {
    if (this.location.kind === 'computed') return this;
    if (this.optimizedOut) return this;
    return new Value(this.type, { kind: 'computed' }, this.bytes(), undefined, this.memory);
  }

  /** A convenience variable value (assignable as `$name`). */
  asInternalVar(name: string): Value {
    if (this.optimizedOut) return new Value(this.type, { kind: 'internalvar', name }, undefined, undefined, this.memory, undefined, this.unavailable);
    return new Value(this.type, { kind: 'internalvar', name }, this.bytes(), undefined, this.memory);
  }

  // ------------------------------------------------------------ queries

  get address(): number | undefined {
    return this.location.kind === 'memory' ? this.location.address : undefined;
  }

  get isLvalue(): boolean {
    const k = this.location.kind;
    return k === 'memory' || k === 'register' || k === 'internalvar';
  }

  get optimizedOut(): boolean {
    return this.location.kind === 'optimized-out';
  }

  get size(): number {
    return sizeOf(this.type);
  }

  /** True when the bytes have already been fetched (or failed to). */
  get fetched(): boolean {
    return this.contents !== undefined || this.loadError !== undefined;
  }

  /** The value's bytes (a bit-field's bytes are its extracted, sign-/zero-extended value). */
  bytes(): Buffer {
    if (this.contents) return this.contents;
    if (this.loadError) throw this.loadError;
    try {
      this.contents = this.load();
      return this.contents;
    } catch (e) {
      this.loadError = e instanceof EvalError ? e : new EvalError(e instanceof Error ? e.message : String(e));
      throw this.loadError;
    }
  }

  /** Fetches the bytes now (value history snapshots). Optimized-out values stay as they are. */
  fetch(): Value {
    if (this.optimizedOut) return this;
    this.bytes();
    return this;
  }

  /** Drops cached bytes so the next read goes to the target again (after a write). */
  invalidate(): void {
    if (this.loader || this.location.kind === 'memory' || this.location.kind === 'register') {
      this.contents = undefined;
      this.loadError = undefined;
    }
  }

  private load(): Buffer {
    const size = this.size;
    if (this.location.kind === 'optimized-out') throw new EvalError('value has been optimized out');
    if (this.loader) return this.loader();
    if (size > MAX_VALUE_SIZE) throw new EvalError(`value requires ${size} bytes, which is more than max-value-size`);
    if (this.location.kind === 'memory') {
      const addr = this.location.address;
      if (!this.memory) throw memoryError(addr);
      if (this.bitField) {
        const n = Math.ceil((this.bitField.bitOffset + this.bitField.bitSize) / 8);
        const raw = readMem(this.memory, addr, n);
        return extractBits(raw, this.bitField, size, isSigned(this.type));
      }
      if (size === 0) return Buffer.alloc(0);
      return readMem(this.memory, addr, size);
    }
    if (this.location.kind === 'register') {
      const raw = registerBytes(this.location.frame, this.location.reg);
      if (!raw) throw new EvalError('value has been optimized out');
      const off = this.location.byteOffset ?? 0;
      if (this.bitField) return extractBits(raw.subarray(off), this.bitField, size, isSigned(this.type));
      const out = Buffer.alloc(size);
      raw.copy(out, 0, off, Math.min(raw.length, off + size));
      return out;
    }
    throw new EvalError('value is not available');
  }

  // ------------------------------------------------------------ scalar views

  /** Integer view of a scalar (integers, enums, bools, chars, pointers), by the type's signedness. */
  asBigInt(): bigint {
    const t = strip(this.type);
    if (isFloat(t)) return BigInt(Math.trunc(this.asNumber()));
    const b = this.bytes();
    return bytesToBigInt(b.subarray(0, Math.min(b.length, sizeOf(t) || b.length)), isSigned(t));
  }

  /** Numeric view (floats decoded; integers converted). */
  asNumber(): number {
    const t = strip(this.type);
    if (isFloat(t)) return bytesToNumber(this.bytes(), sizeOf(t));
    return Number(this.asBigInt());
  }
}

// ---------------------------------------------------------------- byte helpers

function readMem(mem: TargetMemory, addr: number, len: number): Buffer {
  if (addr < 0 || !Number.isFinite(addr)) throw memoryError(addr);
  try {
    const b = mem.read(addr, len);
    if (b.length < len) throw memoryError(addr + b.length);
    return b;
  } catch (e) {
    if (e instanceof EvalError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/^Cannot access memory/.test(msg)) throw new EvalError(msg);
    throw memoryError(addr);
  }
}

/** Raw bytes of a DWARF register in a frame (8 bytes for general registers, 16 for xmm, 10 for st). */
export function registerBytes(frame: FrameContext, reg: number): Buffer | undefined {
  const v = frame.regs.get(reg);
  if (v !== undefined) return bigintToBytes(v, 8);
  return frame.regBytes?.(reg);
}

export function bigintToBytes(v: bigint, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

export function bytesToBigInt(b: Buffer, signed: boolean): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return signed && b.length ? BigInt.asIntN(b.length * 8, v) : v;
}

/** Decodes an IEEE float of `size` bytes (4, 8, or x87 80-bit in 10/12/16 bytes). */
export function bytesToNumber(b: Buffer, size: number): number {
  if (size === 4) return b.readFloatLE(0);
  if (size === 8) return b.readDoubleLE(0);
  if (size === 10 || size === 12 || size === 16) return ldToNumber(ldFromBytes(b));
  if (size === 2) return halfToNumber(b.readUInt16LE(0));
  return NaN;
}

export function numberToBytes(v: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  if (size === 4) b.writeFloatLE(v);
  else if (size === 8) b.writeDoubleLE(v);
  else if (size >= 10) numberToX87(v).copy(b);
  return b;
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** x87 extended precision (64-bit mantissa with explicit integer bit) to a double (rounded). */
export function x87ToNumber(b: Buffer): number {
  const mant = b.readBigUInt64LE(0);
  const se = b.readUInt16LE(8);
  const sign = se & 0x8000 ? -1 : 1;
  const exp = se & 0x7fff;
  if (exp === 0 && mant === 0n) return sign * 0;
  if (exp === 0x7fff) return (mant & ((1n << 63n) - 1n)) === 0n ? sign * Infinity : NaN;
  // value = mant * 2^(exp - 16383 - 63)
  const e = (exp === 0 ? 1 : exp) - 16383 - 63;
  // Round the 64-bit mantissa to 53 bits first to keep the conversion exact-ish.
  const hi = Number(mant >> 11n);
  const lo = Number(mant & 0x7ffn);
  return sign * (hi * 2 ** (e + 11) + lo * 2 ** e);
}

export function numberToX87(v: number): Buffer {
  const b = Buffer.alloc(10);
  if (v === 0) {
    if (Object.is(v, -0)) b.writeUInt16LE(0x8000, 8);
    return b;
  }
  if (!Number.isFinite(v)) {
    b.writeBigUInt64LE(Number.isNaN(v) ? 0xc000000000000000n : 0x8000000000000000n, 0);
    b.writeUInt16LE((v < 0 ? 0x8000 : 0) | 0x7fff, 8);
    return b;
  }
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const d = Buffer.alloc(8);
  d.writeDoubleLE(a);
  const bits = d.readBigUInt64LE(0);
  let e = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  if (e === 0) {
    // subnormal double: normalise
    let shift = 0;
    while ((m & (1n << 52n)) === 0n) {
      m <<= 1n;
      shift++;
    }
    e = 1 - shift;
    m &= (1n << 52n) - 1n;
  }
  const mant = ((1n << 52n) | m) << 11n;
  b.writeBigUInt64LE(mant, 0);
  b.writeUInt16LE(sign | (e - 1023 + 16383), 8);
  return b;
}

/** A bit-field's value from the bytes holding it, zero- or sign-extended to `size` bytes. */
export function extractBits(raw: Buffer, bf: BitField, size: number, signed: boolean): Buffer {
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
  v = (v >> BigInt(bf.bitOffset)) & ((1n << BigInt(bf.bitSize)) - 1n);
  if (signed) v = BigInt.asIntN(bf.bitSize, v);
  return bigintToBytes(v, size || 8);
}

/** Stores `v` into the bit-field `bf` of `raw` (in place). */
export function insertBits(raw: Buffer, bf: BitField, v: bigint): void {
  let word = 0n;
  for (let i = raw.length - 1; i >= 0; i--) word = (word << 8n) | BigInt(raw[i]);
  const mask = ((1n << BigInt(bf.bitSize)) - 1n) << BigInt(bf.bitOffset);
  word = (word & ~mask) | ((BigInt.asUintN(bf.bitSize, v) << BigInt(bf.bitOffset)) & mask);
  for (let i = 0; i < raw.length; i++) {
    raw[i] = Number(word & 0xffn);
    word >>= 8n;
  }
}
