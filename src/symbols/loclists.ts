// Location lists: .debug_loc (DWARF 2–4, plus the GNU DW_LLE_GNU_* split-DWARF kinds in
// .debug_loc.dwo) and .debug_loclists (DWARF 5, every DW_LLE_* kind, DW_FORM_loclistx through the
// offsets table at DW_AT_loclists_base, and .debug_addr indices through DW_AT_addr_base).
//
// Addresses are link-time addresses (the caller subtracts the load bias from a runtime pc).

import { DwarfCursor, DwarfFormatError } from './dwarf-expr';

export { DW_LLE } from './dwarf/constants';
import { DW_LLE } from './dwarf/constants';

/** Pre-standard split-DWARF (.debug_loc.dwo, DWARF 4) entry kinds. */
export const DW_LLE_GNU = {
  end_of_list_entry: 0x00,
  base_address_selection_entry: 0x01,
  start_end_entry: 0x02,
  start_length_entry: 0x03,
} as const;

export interface LocListEntry {
  /** First address covered (inclusive). */
  start: number;
  /** End address (exclusive). */
  end: number;
  /** The DWARF expression for that range. */
  expr: Buffer;
  /** Offset of the expression's first byte in its section (for error messages). */
  exprOffset: number;
  /** Offset of the entry in its section. */
  offset: number;
}

export interface LocList {
  entries: LocListEntry[];
  /** DW_LLE_default_location: applies where no bounded entry does. */
  defaultExpr?: Buffer;
}

/** What a unit contributes to decoding its location lists. */
export interface LocListUnit {
  /** DWARF version of the unit (lists are in .debug_loclists from version 5 on). */
  version: number;
  /** Address size in bytes (8 on x86-64). */
  addressSize: number;
  /** The unit's base address: DW_AT_low_pc of the compile unit (0 when absent). */
  baseAddress: number;
  /** DW_AT_loclists_base: offset of the offsets table after a .debug_loclists header (v5). */
  loclistsBase?: number;
  /** 4 for 32-bit DWARF, 8 for 64-bit (size of entries of the offsets table). */
  offsetSize?: number;
  /** Resolves a .debug_addr index (DW_LLE_*x kinds); see `debugAddrResolver`. */
  addrx?(index: number): number;
  /** True for a split (.dwo) unit whose DWARF 4 lists use the DW_LLE_GNU_* kinds. */
  gnuSplit?: boolean;
}

export interface LocListSections {
  /** .debug_loc (DWARF 2–4). */
  debugLoc?: Buffer;
  /** .debug_loclists (DWARF 5). */
  debugLoclists?: Buffer;
}

/**
 * A .debug_addr reader for one unit: entry `index` at `addrBase + index * addressSize`
 * (addrBase = DW_AT_addr_base, which points past the table's header in DWARF 5).
 */
export function debugAddrResolver(debugAddr: Buffer, addrBase: number, addressSize = 8): (index: number) => number {
  return (index: number) => {
    const off = addrBase + index * addressSize;
    if (off + addressSize > debugAddr.length) {
      throw new DwarfFormatError(
        `.debug_addr+0x${off.toString(16)}: index ${index} (base 0x${addrBase.toString(16)}) is past the end of the section`,
        '.debug_addr',
        off,
      );
    }
    const c = new DwarfCursor(debugAddr, '.debug_addr', 0, off);
    return Number(c.uN(addressSize));
  };
}

/** Reads location lists of the units of one object. */
export class LocationLists {
  constructor(readonly sections: LocListSections) {}

  /**
   * The list at `offset` (a DW_FORM_sec_offset value: an offset into .debug_loc for version <= 4,
   * into .debug_loclists for version 5).
   */
  read(offset: number, unit: LocListUnit): LocList {
    if (unit.version >= 5) return this.readV5(offset, unit);
    return unit.gnuSplit ? this.readGnuSplit(offset, unit) : this.readV4(offset, unit);
  }

  /** The list for DW_FORM_loclistx `index`, through the offsets table at DW_AT_loclists_base. */
  readIndexed(index: number, unit: LocListUnit): LocList {
    return this.read(this.offsetOfIndex(index, unit), unit);
  }

  /** Section offset of list `index` (DW_FORM_loclistx): loclistsBase + offsets[index]. */
  offsetOfIndex(index: number, unit: LocListUnit): number {
    const sec = this.sections.debugLoclists;
    if (!sec) throw new DwarfFormatError(`.debug_loclists: section missing (loclistx ${index})`, '.debug_loclists', 0);
    if (unit.loclistsBase === undefined) {
      throw new DwarfFormatError(`.debug_loclists: DW_FORM_loclistx ${index} used without DW_AT_loclists_base`, '.debug_loclists', 0);
    }
    const size = unit.offsetSize ?? 4;
    const at = unit.loclistsBase + index * size;
    const c = new DwarfCursor(sec, '.debug_loclists', 0, at);
    // The offsets table length is in the header just before loclistsBase: offset_entry_count (u32).
    if (unit.loclistsBase >= 4 && size === 4) {
      const count = sec.readUInt32LE(unit.loclistsBase - 4);
      if (index >= count) c.fail(`loclistx ${index} is past the offsets table (${count} entries)`, at);
    }
    return unit.loclistsBase + Number(c.uN(size));
  }

  private readV4(offset: number, unit: LocListUnit): LocList {
    const sec = this.sections.debugLoc;
    if (!sec) throw new DwarfFormatError(`.debug_loc: section missing (list at 0x${offset.toString(16)})`, '.debug_loc', offset);
    const c = new DwarfCursor(sec, '.debug_loc', 0, offset);
    const size = unit.addressSize;
    const maxAddr = size === 8 ? 0xffffffffffffffffn : (1n << BigInt(size * 8)) - 1n;
    let base = BigInt(unit.baseAddress);
    const entries: LocListEntry[] = [];
    for (;;) {
      const at = c.offset;
      const begin = c.uN(size);
      const end = c.uN(size);
      if (begin === 0n && end === 0n) break;
      if (begin === maxAddr) {
        base = end; // base address selection entry
        continue;
      }
      const len = c.u16();
      const exprOffset = c.offset;
      const expr = c.bytes(len);
      if (begin === end) continue; // empty range
      entries.push({ start: toNum(c, base + begin, at), end: toNum(c, base + end, at), expr, exprOffset, offset: at });
    }
    return { entries };
  }

  private readGnuSplit(offset: number, unit: LocListUnit): LocList {
    const sec = this.sections.debugLoc;
    if (!sec) throw new DwarfFormatError(`.debug_loc.dwo: section missing`, '.debug_loc.dwo', offset);
    const c = new DwarfCursor(sec, '.debug_loc.dwo', 0, offset);
    const entries: LocListEntry[] = [];
    const addrx = (i: number, at: number) => {
      if (!unit.addrx) return c.fail('address index used but no .debug_addr resolver was given', at);
      return unit.addrx(i);
    };
    for (;;) {
      const at = c.offset;
      const kind = c.u8();
      let start: number;
      let end: number;
      switch (kind) {
        case DW_LLE_GNU.end_of_list_entry: return { entries };
        case DW_LLE_GNU.base_address_selection_entry: c.uleb(); continue; // the base is not used by the other kinds
        case DW_LLE_GNU.start_end_entry: start = addrx(c.uleb(), at); end = addrx(c.uleb(), at); break;
        case DW_LLE_GNU.start_length_entry: start = addrx(c.uleb(), at); end = start + c.u32(); break;
        default: return c.fail(`unknown DW_LLE_GNU kind 0x${kind.toString(16)}`, at);
      }
      const len = c.u16();
      const exprOffset = c.offset;
      entries.push({ start, end, expr: c.bytes(len), exprOffset, offset: at });
    }
  }

  private readV5(offset: number, unit: LocListUnit): LocList {
    const sec = this.sections.debugLoclists;
    if (!sec) throw new DwarfFormatError(`.debug_loclists: section missing (list at 0x${offset.toString(16)})`, '.debug_loclists', offset);
    const c = new DwarfCursor(sec, '.debug_loclists', 0, offset);
    const size = unit.addressSize;
    let base: number | undefined = unit.baseAddress;
    const entries: LocListEntry[] = [];
    let defaultExpr: Buffer | undefined;
    const addrx = (i: number, at: number) => {
      if (!unit.addrx) return c.fail('DW_LLE_*x entry but no .debug_addr resolver was given', at);
      return unit.addrx(i);
    };
    const addr = () => {
      const at = c.offset;
      return toNum(c, c.uN(size), at);
    };
    const expr = (at: number, start: number, end: number) => {
      const len = c.uleb();
      const exprOffset = c.offset;
      const e = c.bytes(len);
      if (end < start) c.fail(`location list entry ends (0x${end.toString(16)}) before it starts (0x${start.toString(16)})`, at);
      if (end > start) entries.push({ start, end, expr: e, exprOffset, offset: at });
    };
    for (;;) {
      const at = c.offset;
      const kind = c.u8();
      switch (kind) {
        case DW_LLE.end_of_list:
          return { entries, defaultExpr };
        case DW_LLE.base_addressx:
          base = addrx(c.uleb(), at);
          break;
        case DW_LLE.startx_endx: {
          const s = addrx(c.uleb(), at);
          const e = addrx(c.uleb(), at);
          expr(at, s, e);
          break;
        }
        case DW_LLE.startx_length: {
          const s = addrx(c.uleb(), at);
          const l = c.uleb();
          expr(at, s, s + l);
          break;
        }
        case DW_LLE.offset_pair: {
          const s = c.uleb();
          const e = c.uleb();
          if (base === undefined) c.fail('DW_LLE_offset_pair without a base address', at);
          expr(at, base + s, base + e);
          break;
        }
        case DW_LLE.default_location: {
          const len = c.uleb();
          defaultExpr = c.bytes(len);
          break;
        }
        case DW_LLE.base_address:
          base = addr();
          break;
        case DW_LLE.start_end: {
          const s = addr();
          const e = addr();
          expr(at, s, e);
          break;
        }
        case DW_LLE.start_length: {
          const s = addr();
          const l = c.uleb();
          expr(at, s, s + l);
          break;
        }
        case DW_LLE.GNU_view_pair:
          c.uleb();
          c.uleb();
          break;
        default:
          return c.fail(`unknown DW_LLE kind 0x${kind.toString(16)}`, at);
      }
    }
  }
}

function toNum(c: DwarfCursor, v: bigint, at: number): number {
  const m = v & 0xffffffffffffffffn;
  if (m > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`address 0x${m.toString(16)} out of range`, at);
  return Number(m);
}

/**
 * The expression in force at `pc` (link-time address), or undefined when the value is not
 * available there (optimized out). Later entries do not override earlier ones: the first match
 * wins, as in gdb.
 */
export function locationAt(list: LocList | LocListEntry[], pc: number): Buffer | undefined {
  const entries = Array.isArray(list) ? list : list.entries;
  for (const e of entries) if (pc >= e.start && pc < e.end) return e.expr;
  return Array.isArray(list) ? undefined : list.defaultExpr;
}
