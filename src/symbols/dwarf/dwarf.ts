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
import { DWO_SECTION_NAMES, SplitLocator } from './split';

export interface DwarfOptions {
  /** The sections are those of a .dwo file or of one unit's contributions in a .dwp. */
  splitFile?: boolean;
  /** The file the sections come from (for messages). */
  name?: string;
}

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
  private unitList?: Unit[];
  private typesUnitList?: Unit[];
  private readonly abbrevCache = new Map<string, AbbrevTable>();
  private readonly strCache = new Map<Buffer, Map<number, string>>();
  private readonly lineCache = new Map<number, LineProgram>();
  private signatures?: Map<bigint, Unit>;
  /** Finds the split units of skeleton units (set for a file opened by path, see fromElf). */
  splitLocator?: SplitLocator;
  /** Problems met while reading that do not stop it (gdb's warnings), e.g. a .dwo that was not found. */
  readonly warnings: string[] = [];
  /** Called with each new warning. */
  onWarning?: (message: string) => void;
  /** Sections of a split file (.dwo, or a .dwp contribution): its units are split units. */
  readonly isSplitFile: boolean;
  readonly name?: string;
  private static splitFiles = 0;
  private readonly keyPrefix: string;

  constructor(
    readonly sections: DwarfSections,
    opts: DwarfOptions = {},
  ) {
    this.isSplitFile = !!opts.splitFile;
    this.name = opts.name;
    this.keyPrefix = this.isSplitFile ? `dwo${++Dwarf.splitFiles}/` : '';
  }

  /**
   * The DWARF sections of an ELF file. Each section is read (and, when compressed, inflated by
   * ElfFile) on first access, so a file whose DWARF is never consulted costs nothing but its headers.
   */
  static fromElf(elf: ElfFile): Dwarf {
    const sections: DwarfSections = {};
    for (const [key, name] of Object.entries(SECTION_NAMES) as [keyof DwarfSections, string][]) {
      if (!elf.sectionByName(name) && !elf.sectionByName('.z' + name.slice(1))) continue;
      let cached: Buffer | null | undefined;
      Object.defineProperty(sections, key, {
        enumerable: true,
        get: () => {
          if (cached === undefined) {
            const data = elf.sectionData(name);
            cached = data && data.length ? data : null;
          }
          return cached ?? undefined;
        },
      });
    }
    const d = new Dwarf(sections, { name: elf.path });
    d.splitLocator = new SplitLocator(elf.path);
    return d;
  }

  /** The sections of a .dwo file (.debug_info.dwo, .debug_abbrev.dwo, ...). */
  static fromDwo(elf: ElfFile): Dwarf {
    const sections: DwarfSections = {};
    for (const [key, name] of Object.entries(DWO_SECTION_NAMES) as [keyof DwarfSections, string][]) {
      // gcc 12 -gsplit-dwarf -fdebug-types-section writes one .debug_info.dwo section per type unit
      // (and one for the compilation unit) into the .dwo: they are read as one section, as a linker
      // or dwp concatenates them (units only refer inside themselves or by signature).
      const parts: Buffer[] = [];
      elf.sections.forEach((sec, i) => {
        if (sec.name !== name) return;
        const data = elf.sectionDataAt(i);
        if (data && data.length) parts.push(data);
      });
      if (parts.length) sections[key] = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    return new Dwarf(sections, { splitFile: true, name: elf.path });
  }

  /**
   * The split unit named by skeleton unit `skel` of this file (see split.ts for where it is looked
   * for), linked to its skeleton; undefined, with gdb's warning recorded, when it is not found.
   */
  loadSplitUnit(skel: Unit): Unit | undefined {
    let split: Unit | undefined;
    let problem: string | undefined;
    try {
      split = this.splitLocator?.find(skel);
    } catch (e) {
      problem = (e as Error).message;
    }
    if (split) {
      split.skeleton = skel;
      return split;
    }
    const id = skel.splitId;
    const msg =
      `Could not find DWO CU ${skel.dwoName ?? '?'}(0x${(id ?? 0n).toString(16)}) referenced by CU at offset 0x${skel.offset.toString(16)}` +
      ` [in module ${this.name ?? '?'}]${problem ? `: ${problem}` : ''}`;
    this.warn(msg);
    return undefined;
  }

  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.onWarning?.(message);
  }

  /**
   * Loads the split unit of every skeleton unit now (gdb reads them when it reads the program's
   * symbols); returns the warnings for those not found.
   */
  loadSplitUnits(): string[] {
    const before = this.warnings.length;
    for (const u of this.units) if (!u.isTypeUnit) u.splitUnit();
    return this.warnings.slice(before);
  }

  /** Compilation, partial and skeleton units of .debug_info, plus DWARF 5 type units, in section order (headers read on first use). */
  get units(): Unit[] {
    if (!this.unitList) {
      const list: Unit[] = [];
      const info = this.sections.info;
      if (info) this.readUnits(info, '.debug_info', list);
      this.unitList = list;
    }
    return this.unitList;
  }

  /** DWARF 4 type units of .debug_types. */
  get typesUnits(): Unit[] {
    if (!this.typesUnitList) {
      const list: Unit[] = [];
      const types = this.sections.types;
      if (types) this.readUnits(types, '.debug_types', list);
      this.typesUnitList = list;
    }
    return this.typesUnitList;
  }

  /** Whether the unit headers have been read (they are read on first use of `units`). */
  get unitsRead(): boolean {
    return this.unitList !== undefined;
  }

  get hasInfo(): boolean {
    return this.units.length > 0;
  }

  private readUnits(buf: Buffer, section: '.debug_info' | '.debug_types', out: Unit[]): void {
    let off = 0;
    while (off < buf.length) {
      const u = new Unit(this, buf, section, off);
      u.key = this.keyPrefix + (section === '.debug_types' ? 't' : '') + off;
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
    // A split unit's line program is its skeleton's, in the program's .debug_line.
    if (unit.skeleton) return unit.skeleton.dwarf.lineProgram(unit.skeleton);
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
      // A split unit's lists are in its own .debug_rnglists.dwo.
      const buf = unit.dwarf.sections.rnglists;
      if (!buf) throw new DwarfError('DW_AT_ranges without a .debug_rnglists section', unit.section, unit.offset);
      const offset = attr.form === DW_FORM.rnglistx ? unit.rnglistOffset(v) : v;
      return readRngList(buf, offset, ctx);
    }
    // DWARF 4 split units (GNU): the lists are in the program's .debug_ranges, at offsets relative to
    // the skeleton's DW_AT_GNU_ranges_base.
    const skel = unit.skeleton;
    const buf = skel ? skel.dwarf.sections.ranges : unit.dwarf.sections.ranges;
    if (!buf) throw new DwarfError('DW_AT_ranges without a .debug_ranges section', unit.section, unit.offset);
    return readRangeList(buf, skel ? v + (skel.rnglistsBase ?? 0) : v, ctx);
  }
}
