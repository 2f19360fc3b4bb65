// Hand-assembled DWARF for what gcc does not emit: strx1-4/addrx1-4, str_offsets/addr/rnglists/
// loclists bases, rnglistx/loclistx, every DW_RLE kind, data16, implicit_const, indirect, ref1/2/8/
// ref_udata/ref_addr/ref_sig8, big constants, 64-bit DWARF, DWARF 4 .debug_ranges, skeleton and type units.
import { Dwarf } from '../src/symbols/dwarf/dwarf';
import { DW_AT, DW_FORM, DW_TAG, DW_UT } from '../src/symbols/dwarf/constants';
import { attributeLocation } from '../src/symbols/dwarf/location';
import { Reader } from '../src/symbols/reader';

/** A little-endian byte builder. */
class B {
  private bytes: number[] = [];
  get length(): number {
    return this.bytes.length;
  }
  u8(...v: number[]): this {
    for (const x of v) this.bytes.push(x & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v, v >> 8);
  }
  u32(v: number): this {
    return this.u8(v, v >>> 8, v >>> 16, v >>> 24);
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return this.u8(...b);
  }
  uleb(v: number | bigint): this {
    let x = BigInt(v);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.u8(byte);
    } while (x !== 0n);
    return this;
  }
  sleb(v: number | bigint): this {
    let x = BigInt(v);
    for (;;) {
      const byte = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && !(byte & 0x40)) || (x === -1n && byte & 0x40);
      this.u8(done ? byte : byte | 0x80);
      if (done) return this;
    }
  }
  str(s: string): this {
    return this.u8(...Buffer.from(s), 0);
  }
  raw(b: Buffer | number[]): this {
    return this.u8(...b);
  }
  buf(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Abbreviation table builder: [code, tag, children, [[attr, form, implicitConst?], ...]]. */
function abbrevs(list: [number, number, boolean, [number, number, number?][]][]): Buffer {
  const b = new B();
  for (const [code, tag, children, attrs] of list) {
    b.uleb(code).uleb(tag).u8(children ? 1 : 0);
    for (const [at, form, ic] of attrs) {
      b.uleb(at).uleb(form);
      if (form === DW_FORM.implicit_const) b.sleb(ic!);
    }
    b.u8(0, 0);
  }
  return b.u8(0).buf();
}

const STRS = ['', 'producer x', 'cu.c', 'int', 'f_one', 'f_two'];
function strSection(): { buf: Buffer; offsets: number[] } {
  const b = new B();
  const offsets = STRS.map((s) => {
    const o = b.length;
    b.str(s);
    return o;
  });
  return { buf: b.buf(), offsets };
}

describe('DWARF 5 forms and bases (synthetic)', () => {
  const { buf: str, offsets: strOff } = strSection();
  // .debug_str_offsets: 8-byte header, then one 4-byte offset per string (index i -> STRS[i]).
  const strOffsets = new B().u32(4 + STRS.length * 4).u16(5).u16(0);
  strOffsets.raw(strOff.flatMap((o) => [...new B().u32(o).buf()]));
  // .debug_addr: 8-byte header, then addresses.
  const ADDRS = [0x1000, 0x1100, 0x1200, 0x1250, 0x1300, 0x2fff_0000_1000];
  const addr = new B().u32(4 + ADDRS.length * 8).u16(5).u8(8, 0);
  for (const a of ADDRS) addr.u64(a);
  // .debug_rnglists: header (12 bytes), offset array (2 entries), then the lists.
  const list0 = new B()
    .u8(0x01).uleb(0) // base_addressx -> 0x1000
    .u8(0x04).uleb(0x100).uleb(0x150) // offset_pair
    .u8(0x02).uleb(2).uleb(3) // startx_endx
    .u8(0x03).uleb(4).uleb(0x10) // startx_length
    .u8(0x06).u64(0x2000).u64(0x2010) // start_end
    .u8(0x07).u64(0x3000).uleb(0x20) // start_length
    .u8(0x05).u64(0x4000) // base_address
    .u8(0x04).uleb(1).uleb(2) // offset_pair
    .u8(0x00)
    .buf();
  const list1 = new B().u8(0x06).u64(0x5000).u64(0x5008).u8(0).buf();
  const rngBody = new B().u32(8).u32(8 + list0.length).raw(list0).raw(list1).buf();
  const rnglists = new B().u32(8 + rngBody.length).u16(5).u8(8, 0).u32(2).raw(rngBody).buf();
  // .debug_loclists: header, one offset entry, one list (DW_LLE_start_length with a 1-byte expression).
  const loclist = new B().u8(0x08).u64(0x1100).uleb(4).uleb(1).u8(0x50).u8(0).buf();
  const loclists = new B().u32(8 + 4 + loclist.length).u16(5).u8(8, 0).u32(1).u32(4).raw(loclist).buf();

  const ab = abbrevs([
    [1, DW_TAG.compile_unit, true, [[DW_AT.producer, DW_FORM.strx1], [DW_AT.name, DW_FORM.strx2], [DW_AT.str_offsets_base, DW_FORM.sec_offset], [DW_AT.addr_base, DW_FORM.sec_offset], [DW_AT.rnglists_base, DW_FORM.sec_offset], [DW_AT.loclists_base, DW_FORM.sec_offset], [DW_AT.low_pc, DW_FORM.addrx1], [DW_AT.ranges, DW_FORM.rnglistx]]],
    [2, DW_TAG.base_type, false, [[DW_AT.name, DW_FORM.strx3], [DW_AT.byte_size, DW_FORM.implicit_const, 4], [DW_AT.encoding, DW_FORM.data1]]],
    [3, DW_TAG.subprogram, false, [[DW_AT.name, DW_FORM.strx4], [DW_AT.low_pc, DW_FORM.addrx2], [DW_AT.high_pc, DW_FORM.data4], [DW_AT.external, DW_FORM.flag_present], [DW_AT.frame_base, DW_FORM.exprloc]]],
    [4, DW_TAG.subprogram, false, [[DW_AT.name, DW_FORM.strx], [DW_AT.low_pc, DW_FORM.addrx], [DW_AT.high_pc, DW_FORM.addrx3], [DW_AT.prototyped, DW_FORM.flag], [DW_AT.decl_line, DW_FORM.data2]]],
    [5, DW_TAG.variable, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref_udata], [DW_AT.location, DW_FORM.loclistx], [DW_AT.const_value, DW_FORM.data16]]],
    [6, DW_TAG.variable, false, [[DW_AT.name, DW_FORM.indirect], [DW_AT.type, DW_FORM.indirect], [DW_AT.location, DW_FORM.indirect], [DW_AT.decl_line, DW_FORM.sdata]]],
    [7, DW_TAG.variable, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref1], [DW_AT.location, DW_FORM.block2], [DW_AT.const_value, DW_FORM.udata], [DW_AT.byte_size, DW_FORM.data8]]],
    [8, DW_TAG.variable, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref2], [DW_AT.location, DW_FORM.block4], [DW_AT.low_pc, DW_FORM.addrx4], [DW_AT.abstract_origin, DW_FORM.ref8], [DW_AT.specification, DW_FORM.ref_addr]]],
    [9, DW_TAG.lexical_block, false, [[DW_AT.ranges, DW_FORM.rnglistx]]],
  ]);

  // The unit: header (12 bytes) then DIEs. Offsets are noted so references can be checked.
  const info = new B().u32(0).u16(5).u8(DW_UT.compile, 8).u32(0);
  const at: Record<string, number> = {};
  at.cu = info.length;
  info.uleb(1).u8(1).u16(2).u32(8).u32(8).u32(12).u32(12).u8(0).uleb(0);
  at.int = info.length;
  info.uleb(2).u8(3, 0, 0).u8(0x05);
  at.f1 = info.length;
  info.uleb(3).u32(4).u16(1).u32(0x40).uleb(1).u8(0x9c);
  at.f2 = info.length;
  info.uleb(4).uleb(5).uleb(2).u8(3, 0, 0).u8(1).u16(300);
  at.v5 = info.length;
  info.uleb(5).str('v5').uleb(at.int).uleb(0).u64(0x0123456789abcdefn).u64(0xfedcba9876543210n);
  at.v6 = info.length;
  info.uleb(6).uleb(DW_FORM.string).str('v6').uleb(DW_FORM.ref4).u32(at.int).uleb(DW_FORM.exprloc).uleb(2).u8(0x91, 0x70).sleb(-5);
  at.v7 = info.length;
  info.uleb(7).str('v7').u8(at.int).u16(3).u8(0x30, 0x31, 0x32).uleb(2n ** 60n).u64(2n ** 63n + 5n);
  at.v8 = info.length;
  info.uleb(8).str('v8').u16(at.int).u32(1).u8(0x9f).u32(5).u64(at.f1).u32(at.f2);
  at.blk = info.length;
  info.uleb(9).uleb(1);
  info.u8(0); // end of the CU's children
  const infoBuf = info.buf();
  infoBuf.writeUInt32LE(infoBuf.length - 4, 0);

  const dwarf = new Dwarf({ info: infoBuf, abbrev: ab, str, strOffsets: strOffsets.buf(), addr: addr.buf(), rnglists, loclists });
  const unit = dwarf.units[0];
  const die = (name: string) => unit.dieAt(at[name])!;

  test('unit header and bases', () => {
    expect(unit.version).toBe(5);
    expect(unit.unitType).toBe(DW_UT.compile);
    expect(unit.addressSize).toBe(8);
    expect(unit.strOffsetsBase).toBe(8);
    expect(unit.addrBase).toBe(8);
    expect(unit.rnglistsBase).toBe(12);
    expect(unit.loclistsBase).toBe(12);
    expect(unit.lowPc).toBe(0x1000);
    expect(unit.dies().map((d) => d.offset)).toEqual(Object.values(at));
  });

  test('strx forms resolve through DW_AT_str_offsets_base (even before the base attribute)', () => {
    expect(unit.producer).toBe('producer x');
    expect(unit.name).toBe('cu.c');
    expect(die('int').name).toBe('int');
    expect(die('f1').name).toBe('f_one');
    expect(die('f2').name).toBe('f_two');
    expect(die('int').attr(DW_AT.name)!.index).toBe(3);
  });

  test('addrx forms, high_pc as length or address, implicit_const', () => {
    expect(die('f1').ranges()).toEqual([[0x1100, 0x1140]]);
    expect(die('f2').ranges()).toEqual([[0x1200, 0x1250]]);
    expect(die('v8').value(DW_AT.low_pc)).toBe(0x2fff_0000_1000);
    expect(die('int').value(DW_AT.byte_size)).toBe(4);
    expect(die('int').attr(DW_AT.byte_size)!.form).toBe(DW_FORM.implicit_const);
    expect(die('f1').value(DW_AT.external)).toBe(true);
    expect(die('f2').value(DW_AT.prototyped)).toBe(true);
    expect(die('f2').value(DW_AT.decl_line)).toBe(300);
    expect(die('f1').value(DW_AT.frame_base)).toEqual(Buffer.from([0x9c]));
  });

  test('every DW_RLE kind, via rnglistx', () => {
    expect(unit.root().ranges()).toEqual([
      [0x1100, 0x1150],
      [0x1200, 0x1250],
      [0x1300, 0x1310],
      [0x2000, 0x2010],
      [0x3000, 0x3020],
      [0x4001, 0x4002],
    ]);
    expect(die('blk').ranges()).toEqual([[0x5000, 0x5008]]);
    expect(unit.rnglistOffset(1)).toBe(12 + 8 + list0.length);
  });

  test('references of every size resolve to DIEs', () => {
    for (const v of ['v5', 'v6', 'v7', 'v8']) expect(die(v).type()?.offset).toBe(at.int);
    expect(die('v8').ref(DW_AT.abstract_origin)?.offset).toBe(at.f1);
    expect(die('v8').ref(DW_AT.specification)?.offset).toBe(at.f2);
    expect(die('v6').attr(DW_AT.type)!.form).toBe(DW_FORM.ref4); // indirect resolved to the real form
  });

  test('constants: data16, big udata/data8 as bigint, sdata', () => {
    expect(die('v5').value(DW_AT.const_value)).toBe(0xfedcba98765432100123456789abcdefn);
    expect(die('v7').value(DW_AT.const_value)).toBe(2n ** 60n);
    expect(die('v7').value(DW_AT.byte_size)).toBe(2n ** 63n + 5n);
    expect(die('v6').value(DW_AT.decl_line)).toBe(-5);
  });

  test('locations: exprloc, blocks, loclistx', () => {
    expect(attributeLocation(die('v6'))).toMatchObject({ kind: 'expr', expr: Buffer.from([0x91, 0x70]) });
    expect(attributeLocation(die('v7'))).toMatchObject({ kind: 'expr', expr: Buffer.from([0x30, 0x31, 0x32]) });
    expect(attributeLocation(die('v8'))).toMatchObject({ kind: 'expr', expr: Buffer.from([0x9f]) });
    const l = attributeLocation(die('v5'))!;
    expect(l).toMatchObject({ kind: 'loclist', section: '.debug_loclists', index: 0, offset: 16, baseAddress: 0x1000 });
    // The offset points at the list: DW_LLE_start_length 0x1100, length 4.
    const r = new Reader(loclists, '.debug_loclists', l.kind === 'loclist' ? l.offset : 0);
    expect([r.u8(), r.u64(), r.uleb()]).toEqual([0x08, 0x1100, 4]);
  });

  test('scan() visits the same entries without building a tree', () => {
    const seen: [number, number][] = [];
    unit.scan((e) => {
      seen.push([e.offset, e.depth]);
    });
    expect(seen).toEqual(unit.dies().map((d) => [d.offset, d.parent ? 1 : 0]));
  });
});

describe('64-bit DWARF, DWARF 4 ranges, skeleton and type units (synthetic)', () => {
  test('a DWARF64 v4 unit with strp/sec_offset of 8 bytes and .debug_ranges base selection', () => {
    const str = new B().str('').str('wide.c').buf();
    const ab = abbrevs([[1, DW_TAG.compile_unit, false, [[DW_AT.name, DW_FORM.strp], [DW_AT.low_pc, DW_FORM.addr], [DW_AT.ranges, DW_FORM.sec_offset], [DW_AT.stmt_list, DW_FORM.sec_offset]]]]);
    const body = new B().u16(4).u64(0).u8(8).uleb(1).u64(1).u64(0x100).u64(0).u64(0x1234);
    const info = new B().u32(0xffffffff).u64(body.length).raw(body.buf()).buf();
    const MAX = 2n ** 64n - 1n;
    const ranges = new B().u64(0x10).u64(0x20).u64(MAX).u64(0x7000).u64(0x10).u64(0x18).u64(0).u64(0).buf();
    const dwarf = new Dwarf({ info, abbrev: ab, str, ranges });
    const u = dwarf.units[0];
    expect(u.offsetSize).toBe(8);
    expect(u.dataStart).toBe(23);
    expect(u.name).toBe('wide.c');
    expect(u.stmtList).toBe(0x1234);
    expect(u.root().ranges()).toEqual([
      [0x110, 0x120],
      [0x7010, 0x7018],
    ]);
  });

  test('skeleton unit (dwo_id, addrx low_pc) and a type unit referenced by ref_sig8', () => {
    const sig = 0x1122334455667788n;
    const ab = abbrevs([
      [1, DW_TAG.skeleton_unit, false, [[DW_AT.dwo_name, DW_FORM.string], [DW_AT.addr_base, DW_FORM.sec_offset], [DW_AT.low_pc, DW_FORM.addrx]]],
      [2, DW_TAG.type_unit, true, []],
      [3, DW_TAG.structure_type, false, [[DW_AT.name, DW_FORM.string], [DW_AT.byte_size, DW_FORM.data1]]],
      [4, DW_TAG.compile_unit, true, []],
      [5, DW_TAG.variable, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref_sig8]]],
    ]);
    const addr = new B().u32(4 + 16).u16(5).u8(8, 0).u64(0xaaaa).u64(0xbbbb).buf();
    const skel = new B().u16(5).u8(DW_UT.skeleton, 8).u32(0).u64(0xdeadbeefn).uleb(1).str('x.dwo').u32(8).uleb(1);
    const tuBody = new B().u16(5).u8(DW_UT.type, 8).u32(0).u64(sig).u32(25).uleb(2).uleb(3).str('point').u8(8).u8(0);
    const cuBody = new B().u16(5).u8(DW_UT.compile, 8).u32(0).uleb(4).uleb(5).str('p').u64(sig).u8(0);
    const info = new B()
      .u32(skel.length).raw(skel.buf())
      .u32(tuBody.length).raw(tuBody.buf())
      .u32(cuBody.length).raw(cuBody.buf())
      .buf();
    const dwarf = new Dwarf({ info, abbrev: ab, addr });
    const [sk, tu, cu] = dwarf.units;
    expect(sk.unitType).toBe(DW_UT.skeleton);
    expect(sk.dwoId).toBe(0xdeadbeefn);
    expect(sk.lowPc).toBe(0xbbbb);
    expect(sk.root().value(DW_AT.dwo_name)).toBe('x.dwo');
    expect(tu.isTypeUnit).toBe(true);
    expect(tu.typeSignature).toBe(sig);
    expect(dwarf.compileUnits()).toEqual([sk, cu]);
    const v = cu.root().children[0];
    const t = v.type()!;
    expect(t.name).toBe('point');
    expect(t.unit).toBe(tu);
    expect(t.offset).toBe(tu.typeOffset);
  });
});

describe('Reader', () => {
  test('LEB128 round trips at the number/bigint boundaries', () => {
    const us = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 49 - 1, 2 ** 49 + 3, 2 ** 53 - 1];
    for (const v of us) {
      const r = new Reader(new B().uleb(v).buf(), '.t');
      expect([r.uleb(), r.atEnd]).toEqual([v, true]);
    }
    const ss = [0, -1, 63, -64, 64, -65, 2 ** 40, -(2 ** 40), 2 ** 48, -(2 ** 48), 2 ** 53 - 1, -(2 ** 53 - 1)];
    for (const v of ss) {
      const r = new Reader(new B().sleb(v).buf(), '.t');
      expect([r.sleb(), r.atEnd]).toEqual([v, true]);
    }
    expect(new Reader(new B().uleb(2n ** 64n - 1n).buf(), '.t').ulebBig()).toBe(2n ** 64n - 1n);
    expect(new Reader(new B().sleb(-(2n ** 63n)).buf(), '.t').slebBig()).toBe(-(2n ** 63n));
    expect(() => new Reader(new B().uleb(2n ** 60n).buf(), '.t').uleb()).toThrow('.t+0x0: LEB128 value too large');
  });

  test('fixed-size reads and 64-bit DWARF offsets', () => {
    const r = new Reader(new B().u8(0xff).u16(0xbeef).u32(0xdeadbeef).u64(2 ** 47 + 3).u32(0xffffffff).u64(0x1234).buf(), '.t');
    expect([r.i8(), r.u16(), r.u32(), r.u64()]).toEqual([-1, 0xbeef, 0xdeadbeef, 2 ** 47 + 3]);
    expect(r.initialLength()).toBe(0x1234);
    expect(r.offsetSize).toBe(8);
  });
});
