// Address ranges: .debug_ranges (DWARF 2-4), .debug_rnglists (DWARF 5) and .debug_aranges.

import { DwarfError, Reader } from '../reader';
import { DW_RLE } from './constants';

export type Range = [low: number, high: number];

/** What range decoding needs from the owning unit. */
export interface RangeContext {
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  /** Base address for offset entries (the unit's DW_AT_low_pc). */
  readonly lowPc: number;
  addrx(index: number, at: number): number;
}

function maxAddress(size: number): number {
  return size === 8 ? 2 ** 64 - 1 : 2 ** (size * 8) - 1;
}

/** Decode the DWARF 2-4 range list at `offset` of .debug_ranges. */
export function readRangeList(buf: Buffer, offset: number, ctx: RangeContext): Range[] {
  const r = new Reader(buf, '.debug_ranges', offset);
  const size = ctx.addressSize;
  const max = maxAddress(size);
  let base = ctx.lowPc;
  const out: Range[] = [];
  for (;;) {
    const start = r.address(size);
    const end = r.address(size);
    if (start === 0 && end === 0) break;
    if (start === max) {
      base = end;
      continue;
    }
    if (end > start) out.push([base + start, base + end]);
  }
  return out;
}

/** Decode the DWARF 5 range list at `offset` of .debug_rnglists. */
export function readRngList(buf: Buffer, offset: number, ctx: RangeContext): Range[] {
  const r = new Reader(buf, '.debug_rnglists', offset, buf.length, ctx.offsetSize);
  const size = ctx.addressSize;
  let base = ctx.lowPc;
  const out: Range[] = [];
  const push = (lo: number, hi: number) => {
    if (hi > lo) out.push([lo, hi]);
  };
  for (;;) {
    const at = r.pos;
    const kind = r.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = ctx.addrx(r.uleb(), at);
        break;
      case DW_RLE.startx_endx: {
        const lo = ctx.addrx(r.uleb(), at);
        const hi = ctx.addrx(r.uleb(), at);
        push(lo, hi);
        break;
      }
      case DW_RLE.startx_length: {
        const lo = ctx.addrx(r.uleb(), at);
        push(lo, lo + r.uleb());
        break;
      }
      case DW_RLE.offset_pair: {
        const lo = r.uleb();
        const hi = r.uleb();
        push(base + lo, base + hi);
        break;
      }
      case DW_RLE.base_address:
        base = r.address(size);
        break;
      case DW_RLE.start_end: {
        const lo = r.address(size);
        push(lo, r.address(size));
        break;
      }
      case DW_RLE.start_length: {
        const lo = r.address(size);
        push(lo, lo + r.uleb());
        break;
      }
      default:
        throw r.error(`unknown range list entry kind 0x${kind.toString(16)}`, at);
    }
  }
}

export interface ArangeSet {
  /** Offset of the unit in .debug_info. */
  unitOffset: number;
  ranges: Range[];
}

/** Decode all address range sets of .debug_aranges. */
export function readAranges(buf: Buffer): ArangeSet[] {
  const out: ArangeSet[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = new Reader(buf, '.debug_aranges', off);
    const length = r.initialLength();
    const end = r.pos + length;
    if (end > buf.length) throw r.error(`aranges set length 0x${length.toString(16)} runs past the end of the section`, off);
    r.end = end;
    const version = r.u16();
    if (version !== 2 && version !== 3) throw r.error(`unsupported .debug_aranges version ${version}`, off);
    const unitOffset = r.offset();
    const addressSize = r.u8();
    const segSize = r.u8();
    if (addressSize !== 4 && addressSize !== 8) throw r.error(`unsupported address size ${addressSize}`, r.pos - 2);
    if (segSize !== 0) throw r.error(`segment selectors are not supported (size ${segSize})`, r.pos - 1);
    const tuple = addressSize * 2;
    const rel = r.pos - off;
    r.pos = off + Math.ceil(rel / tuple) * tuple;
    const ranges: Range[] = [];
    while (r.pos + tuple <= end) {
      const lo = r.address(addressSize);
      const len = r.address(addressSize);
      if (lo === 0 && len === 0) break;
      if (len > 0) ranges.push([lo, lo + len]);
    }
    out.push({ unitOffset, ranges });
    if (end <= off) throw new DwarfError('aranges set does not advance', '.debug_aranges', off);
    off = end;
  }
  return out;
}
