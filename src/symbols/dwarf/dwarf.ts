// The DWARF context: the debug sections of one file, the list of unit headers (parsed eagerly, which
// only reads each unit's header and jumps to the next), and caches for abbreviation tables, strings,
// line programs and type-unit signatures. Everything else is decoded on demand.

import { DwarfError, stringAt } from '../reader';
import type { ElfFile } from '../elf';
import { AbbrevTable, parseAbbrevTable } from './abbrev';
import { DW_AT, DW_FORM } from './constants';
import { Attribute, Encoding } from './forms';
import { LineProgram } from './line';
import { ArangeSet, Range, readAranges, readRangeList, readRngList } from './ranges';
import { Die, Unit } from './unit';

export interface DwarfSections {
  info?: Buffer;
  abbrev?: Buffer;
  str?: Buffer;
  lineStr?: Buffer;
  strOffsets?: Buffer;
  addr?: Buffer;
  line?: Buffer;
  ranges?: Buffer;
  rnglists?: Buffer;
  loc?: Buffer;
  loclists?: Buffer;
  aranges?: Buffer;
  types?: Buffer;
  names?: Buffer;
  gnuPubnames?: Buffer;
}

const SECTION_NAMES: Record<keyof DwarfSections, string> = {
  info: '.debug_info',
  abbrev: '.debug_abbrev',
  str: '.debug_str',
  lineStr: '.debug_line_str',
  strOffsets: '.debug_str_offsets',
  addr: '.debug_addr',
  line: '.debug_line',
  ranges: '.debug_ranges',
  rnglists: '.debug_rnglists',
  loc: '.debug_loc',
  loclists: '.debug_loclists',
  aranges: '.debug_aranges',
  types: '.debug_types',
  names: '.debug_names',
  gnuPubnames: '.debug_gnu_pubnames',
};

export class Dwarf {
  /** Compilation, partial and skeleton units of .debug_info, plus DWARF 5 type units, in section order. */
  readonly units: Unit[] = [];
  /** DWARF 4 type units of .debug_types. */
  readonly typesUnits: Unit[] = [];

  private readonly abbrevCache = new Map<string, AbbrevTable>();
  private readonly strCache = new Map<Buffer, Map<number, string>>();
  private readonly lineCache = new Map<number, LineProgram>();
  private signatures?: Map<bigint, Unit>;

  constructor(readonly sections: DwarfSections) {
    if (sections.info) this.readUnits(sections.info, '.debug_info', this.units);
    if (sections.types) this.readUnits(sections.types, '.debug_types', this.typesUnits);
  }

  /** The DWARF sections of an ELF file (compressed sections are inflated by ElfFile). */
  static fromElf(elf: ElfFile): Dwarf {
    const sections: DwarfSections = {};
    for (const [key, name] of Object.entries(SECTION_NAMES) as [keyof DwarfSections, string][]) {
      const data = elf.sectionData(name);
      if (data && data.length) sections[key] = data;
    }
    return new Dwarf(sections);
  }

  get hasInfo(): boolean {
    return this.units.length > 0;
  }

  private readUnits(buf: Buffer, section: '.debug_info' | '.debug_types', out: Unit[]): void {
    let off = 0;
    while (off < buf.length) {
      const u = new Unit(this, buf, section, off);
      out.push(u);
      off = u.end;
    }
  }

  /** Compilation units (and partial/skeleton units), excluding type units. */
  compileUnits(): Unit[] {
    return this.units.filter((u) => !u.isTypeUnit);
  }

  /** Every type unit (DWARF 5 in .debug_info, DWARF 4 in .debug_types). */
  typeUnits(): Unit[] {
    return [...this.units.filter((u) => u.isTypeUnit), ...this.typesUnits];
  }

  /** The unit of .debug_info (or .debug_types) containing section offset `offset`. */
  unitContaining(offset: number, section: '.debug_info' | '.debug_types' = '.debug_info'): Unit | undefined {
    const list = section === '.debug_info' ? this.units : this.typesUnits;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    const u = list[lo];
    return u && u.offset <= offset && offset < u.end ? u : undefined;
  }

  /** The DIE at `offset` of .debug_info (or .debug_types). */
  dieAt(offset: number, section: '.debug_info' | '.debug_types' = '.debug_info'): Die | undefined {
    return this.unitContaining(offset, section)?.dieAt(offset);
  }

  /** The type unit with signature `sig` (DW_FORM_ref_sig8). */
  typeUnitBySignature(sig: bigint): Unit | undefined {
    if (!this.signatures) {
      this.signatures = new Map();
      for (const u of this.typeUnits()) if (u.typeSignature !== undefined && !this.signatures.has(u.typeSignature)) this.signatures.set(u.typeSignature, u);
    }
    return this.signatures.get(sig);
  }

  /** Follow a reference attribute of a DIE in `unit`. */
  resolveRef(unit: Unit, attr: Attribute): Die | undefined {
    const v = attr.value;
    if (attr.form === DW_FORM.ref_sig8) {
      if (typeof v !== 'bigint') return undefined;
      return this.typeUnitBySignature(v)?.typeDie();
    }
    if (typeof v !== 'number') return undefined;
    if (attr.form === DW_FORM.ref_addr) return this.dieAt(v, '.debug_info');
    if (v >= unit.dataStart && v < unit.end) return unit.dieAt(v);
    throw new DwarfError(`reference 0x${v.toString(16)} outside its unit at 0x${unit.offset.toString(16)}`, unit.section, unit.offset);
  }

  /** Abbreviation table at `offset`, cached per offset and encoding. */
  abbrevTable(offset: number, enc: Encoding): AbbrevTable {
    const key = `${offset}:${enc.version}:${enc.addressSize}:${enc.offsetSize}`;
    let t = this.abbrevCache.get(key);
    if (!t) {
      const buf = this.sections.abbrev;
      if (!buf) throw new DwarfError('no .debug_abbrev section', '.debug_abbrev', offset);
      t = parseAbbrevTable(buf, offset, enc);
      this.abbrevCache.set(key, t);
    }
    return t;
  }

  /** A string of a string section, decoded once per offset. */
  cachedString(buf: Buffer, offset: number, section: string): string {
    let m = this.strCache.get(buf);
    if (!m) {
      m = new Map();
      this.strCache.set(buf, m);
    }
    let s = m.get(offset);
    if (s === undefined) {
      s = stringAt(buf, offset, section);
      m.set(offset, s);
    }
    return s;
  }

  /** The line program of a unit (DW_AT_stmt_list), header parsed now and rows decoded on demand. */
  lineProgram(unit: Unit): LineProgram | undefined {
    const off = unit.stmtList;
    const buf = this.sections.line;
    if (off === undefined || !buf) return undefined;
    let p = this.lineCache.get(off);
    if (!p) {
      p = LineProgram.parse(buf, off, {
        str: this.sections.str,
        lineStr: this.sections.lineStr,
        compDir: unit.compDir,
        addressSize: unit.addressSize,
        unit,
      });
      this.lineCache.set(off, p);
    }
    return p;
  }

  /** .debug_aranges, decoded (empty when the section is absent). */
  aranges(): ArangeSet[] {
    return this.sections.aranges ? readAranges(this.sections.aranges) : [];
  }

  /** Address ranges of a DIE (or a scan cursor): DW_AT_low_pc/DW_AT_high_pc or DW_AT_ranges. */
  dieRanges(die: { readonly unit: Unit; readonly tag: number; attr(name: number): Attribute | undefined }): Range[] {
    const unit = die.unit;
    const rangesAttr = die.attr(DW_AT.ranges);
    if (rangesAttr && typeof rangesAttr.value === 'number') return this.rangeList(unit, rangesAttr);
    const lowAttr = die.attr(DW_AT.low_pc);
    const highAttr = die.attr(DW_AT.high_pc);
    if (!lowAttr || typeof lowAttr.value !== 'number' || !highAttr || typeof highAttr.value !== 'number') return [];
    const low = lowAttr.value;
    const f = highAttr.form;
    const isAddress = f === DW_FORM.addr || f === DW_FORM.addrx || f === DW_FORM.GNU_addr_index || (f >= DW_FORM.addrx1 && f <= DW_FORM.addrx4);
    const high = isAddress ? highAttr.value : low + highAttr.value;
    return high > low ? [[low, high]] : [];
  }

  /** Decode the range list named by a DW_AT_ranges attribute of `unit`. */
  rangeList(unit: Unit, attr: Attribute, base = unit.lowPc): Range[] {
    const v = attr.value as number;
    const ctx = { addressSize: unit.addressSize, offsetSize: unit.offsetSize, lowPc: base, addrx: (i: number, at: number) => unit.addrx(i, at) };
    if (unit.version >= 5) {
      const buf = this.sections.rnglists;
      if (!buf) throw new DwarfError('DW_AT_ranges without a .debug_rnglists section', unit.section, unit.offset);
      const offset = attr.form === DW_FORM.rnglistx ? unit.rnglistOffset(v) : v;
      return readRngList(buf, offset, ctx);
    }
    const buf = this.sections.ranges;
    if (!buf) throw new DwarfError('DW_AT_ranges without a .debug_ranges section', unit.section, unit.offset);
    return readRangeList(buf, v, ctx);
  }
}
