// A bounds-checked little-endian byte cursor over a Buffer, used by every ELF/DWARF decoder in this
// directory. Reads never throw a RangeError: running off the end (or any other malformed input) raises
// a DwarfError whose message names the section and the offset where decoding failed.

/** Malformed or unsupported debug information. The message starts with `<section>+0x<offset>: `. */
export class DwarfError extends Error {
  constructor(
    message: string,
    readonly section = '',
    readonly offset = -1,
  ) {
    super(section ? `${section}+0x${Math.max(offset, 0).toString(16)}: ${message}` : message);
    this.name = 'DwarfError';
  }
}

const TWO_32 = 0x1_0000_0000;

export class Reader {
  /** Current position, relative to the start of `buf`. */
  pos: number;
  /** Exclusive end of the readable range, relative to the start of `buf`. */
  end: number;

  /**
   * @param buf the whole section (positions are offsets into it)
   * @param section section name used in error messages
   * @param start first readable byte
   * @param end exclusive end of the readable range (defaults to the section end)
   * @param offsetSize 4 for 32-bit DWARF, 8 for 64-bit DWARF (used by `offset()`)
   */
  constructor(
    readonly buf: Buffer,
    readonly section: string,
    start = 0,
    end = buf.length,
    public offsetSize: 4 | 8 = 4,
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new DwarfError(`range 0x${start.toString(16)}..0x${end.toString(16)} outside section of 0x${buf.length.toString(16)} bytes`, section, start);
    }
    this.pos = start;
    this.end = end;
  }

  /** A cursor over [start, end) of the same section. */
  sub(start: number, end: number): Reader {
    if (start < 0 || end > this.buf.length || start > end) throw this.error(`range 0x${start.toString(16)}..0x${end.toString(16)} out of bounds`, start);
    return new Reader(this.buf, this.section, start, end, this.offsetSize);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  error(message: string, at = this.pos): DwarfError {
    return new DwarfError(message, this.section, at);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw this.error(`unexpected end of data (need ${n} byte${n === 1 ? '' : 's'}, have ${Math.max(this.end - this.pos, 0)})`);
    }
  }

  seek(pos: number): void {
    if (pos < 0 || pos > this.end) throw this.error(`seek to 0x${pos.toString(16)} out of bounds`);
    this.pos = pos;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    if (this.pos >= this.end) this.need(1);
    return this.buf[this.pos++];
  }

  i8(): number {
    const v = this.u8();
    return v >= 0x80 ? v - 0x100 : v;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return b[p] + b[p + 1] * 0x100 + b[p + 2] * 0x10000;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A 64-bit value as a bigint (for constants that may exceed 2^53). */
  u64big(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  i64big(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A 64-bit value as a number: exact below 2^53, which holds for user-space addresses and offsets. */
  u64(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  /** An unsigned value of 1, 2, 4 or 8 bytes as a number. */
  uN(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
      default:
        throw this.error(`unsupported field size ${size}`);
    }
  }

  /** A target address of `size` bytes. */
  address(size: number): number {
    return this.uN(size);
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 bytes in 64-bit DWARF. */
  offset(): number {
    return this.offsetSize === 8 ? this.u64() : this.u32();
  }

  /**
   * An initial length field: returns the unit length and switches `offsetSize` to 8 when the 64-bit
   * DWARF escape (0xffffffff) is present.
   */
  initialLength(): number {
    const at = this.pos;
    const v = this.u32();
    if (v === 0xffffffff) {
      this.offsetSize = 8;
      return this.u64();
    }
    if (v >= 0xfffffff0) throw this.error(`reserved unit length 0x${v.toString(16)}`, at);
    this.offsetSize = 4;
    return v;
  }

  /** Unsigned LEB128 as a number; values above 2^53 are rejected (use ulebBig for those). */
  uleb(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    if (pos < end) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    let result = 0;
    let mul = 1;
    const start = pos;
    for (;;) {
      if (pos >= end) {
        this.pos = pos;
        throw this.error('unexpected end of data in LEB128', start);
      }
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (mul >= 2 ** 49) {
        // Past 7 groups the double may lose bits: decode exactly (and reject values above 2^53).
        this.pos = start;
        return this.ulebBigAsNumber(start);
      }
    }
    this.pos = pos;
    return result;
  }

  private ulebBigAsNumber(start: number): number {
    const v = this.ulebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error('LEB128 value too large', start);
    return Number(v);
  }

  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw this.error('unexpected end of data in LEB128', start);
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return result;
      if (shift > 70n) throw this.error('LEB128 value too long', start);
    }
  }

  /** Signed LEB128 as a number (exact for |v| < 2^53). */
  sleb(): number {
    const buf = this.buf;
    let pos = this.pos;
    const start = pos;
    let result = 0;
    let mul = 1;
    let b: number;
    for (;;) {
      if (pos >= this.end) {
        this.pos = pos;
        throw this.error('unexpected end of data in LEB128', start);
      }
      b = buf[pos++];
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) break;
      if (mul >= 2 ** 49) {
        this.pos = start;
        const v = this.slebBig();
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw this.error('LEB128 value too large', start);
        return Number(v);
      }
    }
    this.pos = pos;
    if (b & 0x40) result -= mul;
    return result;
  }

  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    let b: number;
    for (;;) {
      if (this.pos >= this.end) throw this.error('unexpected end of data in LEB128', start);
      b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
      if (shift > 70n) throw this.error('LEB128 value too long', start);
    }
    if (b & 0x40) result -= 1n << shift;
    return result;
  }

  /** A NUL-terminated string (UTF-8); the cursor moves past the NUL. */
  cstring(): string {
    const start = this.pos;
    const nul = this.buf.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw this.error('unterminated string', start);
    this.pos = nul + 1;
    return this.buf.toString('utf8', start, nul);
  }

  /** Skip a NUL-terminated string. */
  skipCstring(): void {
    const start = this.pos;
    const nul = this.buf.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw this.error('unterminated string', start);
    this.pos = nul + 1;
  }

  /** `n` bytes as a zero-copy view. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/** Read a NUL-terminated string at `offset` of a string section (.debug_str, .debug_line_str, .strtab...). */
export function stringAt(buf: Buffer, offset: number, section: string): string {
  if (offset < 0 || offset >= buf.length) throw new DwarfError(`string offset 0x${offset.toString(16)} outside section of 0x${buf.length.toString(16)} bytes`, section, offset);
  const nul = buf.indexOf(0, offset);
  if (nul < 0) throw new DwarfError('unterminated string', section, offset);
  return buf.toString('utf8', offset, nul);
}
