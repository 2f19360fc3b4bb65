// Location lists.
//  1. Oracle: every list referenced by a DW_AT_location in the -O2 fixtures decodes to the same
//     ranges and expressions that `readelf --debug-dump=loc` prints (.debug_loclists, DWARF 5, and
//     .debug_loc, DWARF 4).
//  2. Hand-assembled lists for the DW_LLE_* kinds GCC does not emit without split DWARF
//     (base_addressx, startx_endx, startx_length, start_end, start_length, default_location),
//     DW_FORM_loclistx through the offsets table, .debug_addr, and the GNU split-DWARF 4 kinds.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { disassemble } from '../src/symbols/dwarf-expr';
import { ElfFile } from '../src/symbols/elf';
import { debugAddrResolver, DW_LLE, LocationLists, locationAt, LocListUnit } from '../src/symbols/loclists';
import { attrLocation, attrNumber, BIN, ensureFixtures, readelfDies, RUnit } from './unwind-helpers';

beforeAll(() => ensureFixtures());
jest.setTimeout(60000);

interface ReadelfList {
  offset: number;
  entries: { start: number; end: number; text: string }[];
}

function readelfLists(file: string): ReadelfList[] {
  const out = spawnSync('readelf', ['--debug-dump=loc', file], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  const lists: ReadelfList[] = [];
  let cur: ReadelfList | undefined;
  const start = (off: string) => {
    if (!cur) {
      cur = { offset: parseInt(off, 16), entries: [] };
      lists.push(cur);
    }
  };
  for (const line of out.split('\n')) {
    let m: RegExpMatchArray | null;
    if (/^\s+[0-9a-f]{8} v[0-9a-f]+ v[0-9a-f]+ location view pair/.test(line)) continue;
    if ((m = line.match(/^\s+([0-9a-f]{8}) <End of list>/))) cur = undefined;
    else if ((m = line.match(/^\s+([0-9a-f]{8}) [0-9a-f]{16} \(base address\)/))) start(m[1]);
    else if ((m = line.match(/^\s+([0-9a-f]{8}) v[0-9a-f]+ v[0-9a-f]+ views at [0-9a-f]+ for:/))) start(m[1]);
    else if ((m = line.match(/^\s+([0-9a-f]{8}) ([0-9a-f]{16}) ([0-9a-f]{16}) \((.*)\)$/))) {
      start(m[1]);
      cur!.entries.push({ start: parseInt(m[2], 16), end: parseInt(m[3], 16), text: m[4] });
    } else if ((m = line.match(/^\s+([0-9a-f]{16}) ([0-9a-f]{16}) \((.*)\)$/)) && cur) {
      cur.entries.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), text: m[3] });
    }
  }
  return lists;
}

describe('location lists match readelf --debug-dump=loc', () => {
  test.each(['types_O2', 'loop_O2', 'unwind_O2', 'types_O2_dwarf4', 'classes'])('%s', (name) => {
    const file = path.join(BIN, name);
    const elf = ElfFile.open(file);
    const lists = new LocationLists({ debugLoc: elf.sectionData('.debug_loc'), debugLoclists: elf.sectionData('.debug_loclists') });
    const theirs = readelfLists(file);
    // Which unit refers to which list.
    const { byOffset } = readelfDies(file);
    const unitOf = new Map<number, RUnit>();
    for (const die of byOffset.values()) {
      const loc = attrLocation(die, 'DW_AT_location');
      if (loc?.kind === 'list') unitOf.set(loc.offset, die.cu);
    }
    if (name === 'classes') {
      expect(theirs).toHaveLength(0); // -O0: no location lists, and none decoded
      expect(unitOf.size).toBe(0);
      return;
    }
    expect(unitOf.size).toBeGreaterThan(3);
    let checked = 0;
    for (const t of theirs) {
      const u = unitOf.get(t.offset);
      if (!u) continue;
      const unit: LocListUnit = {
        version: u.version,
        addressSize: u.addressSize,
        baseAddress: attrNumber(u.root!, 'DW_AT_low_pc') ?? 0,
        loclistsBase: attrNumber(u.root!, 'DW_AT_loclists_base'),
      };
      const mine = lists.read(t.offset, unit);
      expect(mine.entries.map((e) => `${e.start.toString(16)}..${e.end.toString(16)} ${disassemble(e.expr)}`)).toEqual(
        t.entries.filter((e) => e.end > e.start).map((e) => `${e.start.toString(16)}..${e.end.toString(16)} ${e.text}`),
      );
      // locationAt picks each entry inside its range and nothing outside all of them.
      for (const e of mine.entries) {
        expect(locationAt(mine, e.start)).toBe(mine.entries.find((x) => e.start >= x.start && e.start < x.end)!.expr);
      }
      const last = Math.max(...mine.entries.map((e) => e.end));
      if (!mine.entries.some((e) => last >= e.start && last < e.end)) expect(locationAt(mine, last)).toBeUndefined();
      checked++;
    }
    expect(checked).toBe(unitOf.size);
  });
});

// ---- hand-assembled lists -----------------------------------------------------------------------

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return [...b]; };
const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return [...b]; };
const REG0 = 0x50;
const exprV5 = (...ops: number[]) => [...uleb(ops.length), ...ops];

describe('DWARF 5 .debug_loclists, every DW_LLE kind', () => {
  // .debug_addr: header (8 bytes) then addresses; addr_base points past the header.
  const debugAddr = Buffer.from([...u32(4 + 8 * 4), ...u16(5), 8, 0, ...u64(0x1000), ...u64(0x2000), ...u64(0x3000), ...u64(0x3100)]);
  const addrx = debugAddrResolver(debugAddr, 8);
  // .debug_loclists: header (12 bytes) + offsets table (2 entries) + lists.
  const header = (len: number) => [...u32(len), ...u16(5), 8, 0, ...u32(2)];
  const listA = [
    DW_LLE.base_addressx, ...uleb(0), // base = 0x1000
    DW_LLE.offset_pair, ...uleb(0x10), ...uleb(0x20), ...exprV5(REG0), // [0x1010, 0x1020) rax
    DW_LLE.startx_endx, ...uleb(1), ...uleb(2), ...exprV5(REG0 + 1), // [0x2000, 0x3000) rdx
    DW_LLE.startx_length, ...uleb(3), ...uleb(0x40), ...exprV5(REG0 + 2), // [0x3100, 0x3140) rcx
    DW_LLE.GNU_view_pair, ...uleb(1), ...uleb(2), // ignored
    DW_LLE.end_of_list,
  ];
  const listB = [
    DW_LLE.start_end, ...u64(0x4000), ...u64(0x4010), ...exprV5(REG0 + 3),
    DW_LLE.start_length, ...u64(0x4020), ...uleb(0x8), ...exprV5(REG0 + 4),
    DW_LLE.base_address, ...u64(0x5000),
    DW_LLE.offset_pair, ...uleb(0), ...uleb(4), ...exprV5(REG0 + 5),
    DW_LLE.offset_pair, ...uleb(4), ...uleb(4), ...exprV5(REG0 + 6), // empty range: dropped
    DW_LLE.default_location, ...exprV5(REG0 + 7),
    DW_LLE.end_of_list,
  ];
  const tableStart = 12;
  const offsets = [8, 8 + listA.length]; // relative to the offsets table
  const body = [...u32(offsets[0]), ...u32(offsets[1]), ...listA, ...listB];
  const loclists = Buffer.from([...header(8 + body.length), ...body]);
  const lists = new LocationLists({ debugLoclists: loclists });
  const unit: LocListUnit = { version: 5, addressSize: 8, baseAddress: 0x900, loclistsBase: tableStart, addrx };

  test('loclistx goes through the offsets table at DW_AT_loclists_base', () => {
    expect(lists.offsetOfIndex(0, unit)).toBe(tableStart + 8);
    expect(lists.offsetOfIndex(1, unit)).toBe(tableStart + 8 + listA.length);
    expect(() => lists.offsetOfIndex(2, unit)).toThrow(/\.debug_loclists\+0x14: loclistx 2 is past the offsets table \(2 entries\)/);
  });
  test('base_addressx, offset_pair, startx_endx, startx_length (addresses from .debug_addr)', () => {
    const a = lists.readIndexed(0, unit);
    expect(a.entries.map((e) => [e.start, e.end, e.expr[0]])).toEqual([
      [0x1010, 0x1020, REG0], [0x2000, 0x3000, REG0 + 1], [0x3100, 0x3140, REG0 + 2],
    ]);
    expect(a.defaultExpr).toBeUndefined();
    expect(locationAt(a, 0x101f)![0]).toBe(REG0);
    expect(locationAt(a, 0x1020)).toBeUndefined();
    expect(locationAt(a, 0x2fff)![0]).toBe(REG0 + 1);
  });
  test('start_end, start_length, base_address, default_location', () => {
    const b = lists.readIndexed(1, unit);
    expect(b.entries.map((e) => [e.start, e.end, e.expr[0]])).toEqual([
      [0x4000, 0x4010, REG0 + 3], [0x4020, 0x4028, REG0 + 4], [0x5000, 0x5004, REG0 + 5],
    ]);
    expect(locationAt(b, 0x5003)![0]).toBe(REG0 + 5);
    expect(locationAt(b, 0x6000)![0]).toBe(REG0 + 7); // the default location
  });
  test('errors name the section and offset', () => {
    expect(() => lists.read(tableStart + 8, { ...unit, addrx: undefined })).toThrow(/\.debug_loclists\+0x14: DW_LLE_\*x entry but no \.debug_addr resolver/);
    const bad = Buffer.from([...loclists, 0x0b]);
    expect(() => new LocationLists({ debugLoclists: bad }).read(loclists.length, unit)).toThrow(new RegExp(`\\.debug_loclists\\+0x${loclists.length.toString(16)}: unknown DW_LLE kind 0xb`));
    expect(() => addrx(9)).toThrow(/\.debug_addr\+0x50: index 9/);
    const truncated = Buffer.from([DW_LLE.start_end, ...u64(0x4000)]);
    expect(() => new LocationLists({ debugLoclists: truncated }).read(0, unit)).toThrow(/\.debug_loclists\+0x9: unexpected end of data/);
  });
});

describe('DWARF 4 .debug_loc', () => {
  test('offset pairs relative to the CU base, base address selection, empty ranges, end', () => {
    const expr = (op: number) => [...u16(1), op];
    const data = Buffer.from([
      ...u64(0x10), ...u64(0x20), ...expr(REG0), // base 0x1000 -> [0x1010, 0x1020)
      ...Array(8).fill(0xff), ...u64(0x8000), // base address selection (begin = max address)
      ...u64(0x0), ...u64(0x8), ...expr(REG0 + 1), // [0x8000, 0x8008)
      ...u64(0x8), ...u64(0x8), ...expr(REG0 + 2), // empty
      ...u64(0), ...u64(0), // end of list
    ]);
    const l = new LocationLists({ debugLoc: data }).read(0, { version: 4, addressSize: 8, baseAddress: 0x1000 });
    expect(l.entries.map((e) => [e.start, e.end, e.expr[0]])).toEqual([[0x1010, 0x1020, REG0], [0x8000, 0x8008, REG0 + 1]]);
    expect(l.entries[0].exprOffset).toBe(18);
  });
  test('GNU split-DWARF kinds in .debug_loc.dwo', () => {
    const addrx = (i: number) => [0x1000, 0x1100, 0x1200][i];
    const data = Buffer.from([
      0x02, ...uleb(0), ...uleb(1), ...u16(1), REG0, // start_end_entry [0x1000, 0x1100)
      0x03, ...uleb(2), ...u32(0x10), ...u16(1), REG0 + 1, // start_length_entry [0x1200, 0x1210)
      0x01, ...uleb(0), // base address selection (unused by the others)
      0x00,
    ]);
    const l = new LocationLists({ debugLoc: data }).read(0, { version: 4, addressSize: 8, baseAddress: 0, gnuSplit: true, addrx });
    expect(l.entries.map((e) => [e.start, e.end, e.expr[0]])).toEqual([[0x1000, 0x1100, REG0], [0x1200, 0x1210, REG0 + 1]]);
  });
});
