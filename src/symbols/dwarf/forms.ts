// Attribute value forms: fixed sizes, skipping, and decoding into AttrValue.

import { Reader } from '../reader';
import { formName } from './constants';

export interface Encoding {
  readonly version: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
}

/**
 * A decoded attribute value:
 * - number: addresses, constants, section offsets, absolute DIE offsets (ref forms), indices
 *   (rnglistx/loclistx); constants above 2^53 come back as bigint
 * - bigint: DW_FORM_ref_sig8 signatures, DW_FORM_data16, over-large data8/udata/sdata
 * - string: DW_FORM_string/strp/line_strp/strx*
 * - Buffer: DW_FORM_block* and DW_FORM_exprloc (zero-copy views)
 * - boolean: DW_FORM_flag/flag_present
 */
export type AttrValue = number | bigint | string | Buffer | boolean;

export interface Attribute {
  readonly name: number;
  /** The actual form (DW_FORM_indirect is resolved to the form it names). */
  readonly form: number;
  readonly value: AttrValue;
  /** For index forms (strx*, addrx*): the raw index before resolution. */
  readonly index?: number;
}

/** What decoding needs from the containing unit. */
export interface FormContext extends Encoding {
  /** Offset of the unit header in its section (ref1/2/4/8/udata are relative to it). */
  readonly offset: number;
  str(offset: number, at: number): string;
  lineStr(offset: number, at: number): string;
  strx(index: number, at: number): string;
  addrx(index: number, at: number): number;
}

/** Byte size of a form's value, or -1 when it varies (or the form is unknown). */
export function formFixedSize(form: number, enc: Encoding): number {
  switch (form) {
    case 0x01: // addr
      return enc.addressSize;
    case 0x0b: // data1
    case 0x11: // ref1
    case 0x0c: // flag
    case 0x25: // strx1
    case 0x29: // addrx1
      return 1;
    case 0x05: // data2
    case 0x12: // ref2
    case 0x26: // strx2
    case 0x2a: // addrx2
      return 2;
    case 0x27: // strx3
    case 0x2b: // addrx3
      return 3;
    case 0x06: // data4
    case 0x13: // ref4
    case 0x1c: // ref_sup4
    case 0x28: // strx4
    case 0x2c: // addrx4
      return 4;
    case 0x07: // data8
    case 0x14: // ref8
    case 0x20: // ref_sig8
    case 0x24: // ref_sup8
      return 8;
    case 0x1e: // data16
      return 16;
    case 0x0e: // strp
    case 0x1f: // line_strp
    case 0x17: // sec_offset
    case 0x1d: // strp_sup
    case 0x1f20: // GNU_ref_alt
    case 0x1f21: // GNU_strp_alt
      return enc.offsetSize;
    case 0x10: // ref_addr
      return enc.version <= 2 ? enc.addressSize : enc.offsetSize;
    case 0x19: // flag_present
    case 0x21: // implicit_const
      return 0;
    default:
      return -1;
  }
}

function unknownForm(r: Reader, form: number, at: number): never {
  throw r.error(`unknown form 0x${form.toString(16)}`, at);
}

/** Skip one attribute value of `form`. */
export function skipForm(r: Reader, form: number, enc: Encoding): void {
  const size = formFixedSize(form, enc);
  if (size >= 0) {
    r.skip(size);
    return;
  }
  switch (form) {
    case 0x08: // string
      r.skipCstring();
      return;
    case 0x09: // block
    case 0x18: // exprloc
      r.skip(r.uleb());
      return;
    case 0x0a: // block1
      r.skip(r.u8());
      return;
    case 0x03: // block2
      r.skip(r.u16());
      return;
    case 0x04: // block4
      r.skip(r.u32());
      return;
    case 0x0d: // sdata
    case 0x0f: // udata
    case 0x15: // ref_udata
    case 0x1a: // strx
    case 0x1b: // addrx
    case 0x22: // loclistx
    case 0x23: // rnglistx
    case 0x1f01: // GNU_addr_index
    case 0x1f02: // GNU_str_index
      skipLeb(r);
      return;
    case 0x16: // indirect
      skipForm(r, r.uleb(), enc);
      return;
    default:
      unknownForm(r, form, r.pos);
  }
}

function skipLeb(r: Reader): void {
  const buf = r.buf;
  let p = r.pos;
  while (p < r.end && buf[p] & 0x80) p++;
  if (p >= r.end) {
    r.pos = p;
    throw r.error('unexpected end of data in LEB128');
  }
  r.pos = p + 1;
}

function bigOrNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/** Decode one attribute value. `implicitConst` is the abbreviation's value for DW_FORM_implicit_const. */
export function readAttr(r: Reader, name: number, form: number, ctx: FormContext, implicitConst?: number | bigint): Attribute {
  const at = r.pos;
  switch (form) {
    case 0x01: // addr
      return { name, form, value: r.address(ctx.addressSize) };
    case 0x0b: // data1
      return { name, form, value: r.u8() };
    case 0x05: // data2
      return { name, form, value: r.u16() };
    case 0x06: // data4
      return { name, form, value: r.u32() };
    case 0x07: // data8
      return { name, form, value: bigOrNumber(r.u64big()) };
    case 0x1e: {
      // data16
      const lo = r.u64big();
      const hi = r.u64big();
      return { name, form, value: (hi << 64n) | lo };
    }
    case 0x0d: // sdata
      return { name, form, value: r.sleb() };
    case 0x0f: // udata
      return { name, form, value: bigOrNumber(r.ulebBig()) };
    case 0x0c: // flag
      return { name, form, value: r.u8() !== 0 };
    case 0x19: // flag_present
      return { name, form, value: true };
    case 0x21: // implicit_const
      return { name, form, value: implicitConst ?? 0 };
    case 0x08: // string
      return { name, form, value: r.cstring() };
    case 0x0e: // strp
      return { name, form, value: ctx.str(r.offset(), at) };
    case 0x1f: // line_strp
      return { name, form, value: ctx.lineStr(r.offset(), at) };
    case 0x1a: // strx
    case 0x1f02: {
      // GNU_str_index
      const index = r.uleb();
      return { name, form, value: ctx.strx(index, at), index };
    }
    case 0x25: {
      const index = r.u8();
      return { name, form, value: ctx.strx(index, at), index };
    }
    case 0x26: {
      const index = r.u16();
      return { name, form, value: ctx.strx(index, at), index };
    }
    case 0x27: {
      const index = r.u24();
      return { name, form, value: ctx.strx(index, at), index };
    }
    case 0x28: {
      const index = r.u32();
      return { name, form, value: ctx.strx(index, at), index };
    }
    case 0x1b: // addrx
    case 0x1f01: {
      // GNU_addr_index
      const index = r.uleb();
      return { name, form, value: ctx.addrx(index, at), index };
    }
    case 0x29: {
      const index = r.u8();
      return { name, form, value: ctx.addrx(index, at), index };
    }
    case 0x2a: {
      const index = r.u16();
      return { name, form, value: ctx.addrx(index, at), index };
    }
    case 0x2b: {
      const index = r.u24();
      return { name, form, value: ctx.addrx(index, at), index };
    }
    case 0x2c: {
      const index = r.u32();
      return { name, form, value: ctx.addrx(index, at), index };
    }
    case 0x11: // ref1
      return { name, form, value: ctx.offset + r.u8() };
    case 0x12: // ref2
      return { name, form, value: ctx.offset + r.u16() };
    case 0x13: // ref4
      return { name, form, value: ctx.offset + r.u32() };
    case 0x14: // ref8
      return { name, form, value: ctx.offset + r.u64() };
    case 0x15: // ref_udata
      return { name, form, value: ctx.offset + r.uleb() };
    case 0x10: // ref_addr
      return { name, form, value: ctx.version <= 2 ? r.address(ctx.addressSize) : r.offset() };
    case 0x20: // ref_sig8
      return { name, form, value: r.u64big() };
    case 0x17: // sec_offset
    case 0x1d: // strp_sup
    case 0x1f20: // GNU_ref_alt
    case 0x1f21: // GNU_strp_alt
      return { name, form, value: r.offset() };
    case 0x1c: // ref_sup4
      return { name, form, value: r.u32() };
    case 0x24: // ref_sup8
      return { name, form, value: r.u64() };
    case 0x22: // loclistx
    case 0x23: // rnglistx
      return { name, form, value: r.uleb() };
    case 0x18: // exprloc
    case 0x09: // block
      return { name, form, value: r.bytes(r.uleb()) };
    case 0x0a: // block1
      return { name, form, value: r.bytes(r.u8()) };
    case 0x03: // block2
      return { name, form, value: r.bytes(r.u16()) };
    case 0x04: // block4
      return { name, form, value: r.bytes(r.u32()) };
    case 0x16: {
      // indirect
      const actual = r.uleb();
      if (actual === 0x16) throw r.error('DW_FORM_indirect names DW_FORM_indirect', at);
      return readAttr(r, name, actual, ctx, implicitConst);
    }
    default:
      return unknownForm(r, form, at);
  }
}

/** True for forms whose value is a reference to another DIE. */
export function isRefForm(form: number): boolean {
  return (form >= 0x10 && form <= 0x15) || form === 0x20;
}

/** Class of a DW_AT_location/DW_AT_ranges style value: an expression block or a list reference. */
export function isBlockForm(form: number): boolean {
  return form === 0x18 || form === 0x09 || form === 0x0a || form === 0x03 || form === 0x04;
}

export function isConstantForm(form: number): boolean {
  return form === 0x0b || form === 0x05 || form === 0x06 || form === 0x07 || form === 0x0d || form === 0x0f || form === 0x21 || form === 0x1e;
}

export { formName };
