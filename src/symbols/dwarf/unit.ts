// Units (.debug_info v2-v5, .debug_types v4) and their DIEs. A unit's header is parsed when the Dwarf
// context is created; its DIE tree is built only when first asked for (root(), dieAt()), and scan()
// walks the entries without building any tree.

import { DwarfError, Reader } from '../reader';
import { Abbrev, AbbrevTable } from './abbrev';
import { DW_AT, DW_FORM, DW_UT, tagName } from './constants';
import { Attribute, AttrValue, FormContext, isRefForm, readAttr, skipForm } from './forms';
import type { Dwarf } from './dwarf';

export type UnitSection = '.debug_info' | '.debug_types';

export class Unit implements FormContext {
  readonly version: number;
  readonly unitType: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  readonly abbrevOffset: number;
  /** Offset just past the unit (the next unit's header). */
  readonly end: number;
  /** Offset of the first DIE. */
  readonly dataStart: number;
  readonly typeSignature?: bigint;
  /** Absolute offset of the type DIE of a type unit. */
  readonly typeOffset?: number;
  readonly dwoId?: bigint;

  private abbrevTable?: AbbrevTable;
  private dieList?: Die[];
  private bases?: { strOffsets?: number; addr?: number; rnglists?: number; loclists?: number };
  private rootCache?: Die;
  private rootEntryCache?: Die;
  /** Skeleton units: the split unit from the .dwo/.dwp (null: not found). */
  private splitCache?: Unit | null;
  private skeletonFlag?: boolean;
  /**
   * Split units (from a .dwo or .dwp): the skeleton unit of the executable that names this one. It
   * supplies what the split unit does not carry: .debug_addr and DW_AT_addr_base, the line program
   * (DW_AT_stmt_list), the base address (DW_AT_low_pc) and, for DWARF 4, DW_AT_GNU_ranges_base.
   */
  skeleton?: Unit;
  /** Distinguishes units of different files that share offsets (split units all start at 0). */
  key = '';

  constructor(
    readonly dwarf: Dwarf,
    readonly buf: Buffer,
    readonly section: UnitSection,
    /** Offset of the unit header within its section. */
    readonly offset: number,
  ) {
    const r = new Reader(buf, section, offset);
    const length = r.initialLength();
    this.offsetSize = r.offsetSize;
    this.end = r.pos + length;
    if (this.end > buf.length) throw new DwarfError(`unit length 0x${length.toString(16)} runs past the end of the section`, section, offset);
    r.end = this.end;
    this.version = r.u16();
    if (this.version < 2 || this.version > 5) throw new DwarfError(`unsupported DWARF version ${this.version}`, section, offset);
    if (this.version >= 5) {
      this.unitType = r.u8();
      this.addressSize = r.u8();
      this.abbrevOffset = r.offset();
      switch (this.unitType) {
        case DW_UT.compile:
        case DW_UT.partial:
          break;
        case DW_UT.skeleton:
        case DW_UT.split_compile:
          this.dwoId = r.u64big();
          break;
        case DW_UT.type:
        case DW_UT.split_type:
          this.typeSignature = r.u64big();
          this.typeOffset = offset + r.offset();
          break;
        default:
          throw new DwarfError(`unknown unit type 0x${this.unitType.toString(16)}`, section, offset);
      }
    } else {
      this.abbrevOffset = r.offset();
      this.addressSize = r.u8();
      if (section === '.debug_types') {
        this.unitType = DW_UT.type;
        this.typeSignature = r.u64big();
        this.typeOffset = offset + r.offset();
      } else {
        this.unitType = DW_UT.compile;
      }
    }
    if (this.addressSize !== 4 && this.addressSize !== 8 && this.addressSize !== 2) {
      throw new DwarfError(`unsupported address size ${this.addressSize}`, section, offset);
    }
    this.dataStart = r.pos;
  }

  get isTypeUnit(): boolean {
    return this.unitType === DW_UT.type || this.unitType === DW_UT.split_type;
  }

  get abbrevs(): AbbrevTable {
    if (!this.abbrevTable) this.abbrevTable = this.dwarf.abbrevTable(this.abbrevOffset, this);
    return this.abbrevTable;
  }

  /** A cursor over this unit's bytes. */
  reader(pos = this.dataStart): Reader {
    return new Reader(this.buf, this.section, pos, this.end, this.offsetSize);
  }

  // ---- Bases from the root DIE (read raw, since decoding strx/addrx needs them) ----

  private loadBases() {
    if (this.bases) return this.bases;
    const bases: { strOffsets?: number; addr?: number; rnglists?: number; loclists?: number } = {};
    this.bases = bases;
    const r = this.reader();
    const code = r.uleb();
    const abbrev = code === 0 ? undefined : this.abbrevs.get(code);
    if (abbrev) {
      for (const spec of abbrev.attrs) {
        const n = spec.name;
        if (n === DW_AT.str_offsets_base || n === DW_AT.addr_base || n === DW_AT.GNU_addr_base || n === DW_AT.rnglists_base || n === DW_AT.GNU_ranges_base || n === DW_AT.loclists_base) {
          const attr = readAttr(r, n, spec.form, this, spec.implicitConst);
          const v = typeof attr.value === 'number' ? attr.value : undefined;
          if (n === DW_AT.str_offsets_base) bases.strOffsets = v;
          else if (n === DW_AT.addr_base || n === DW_AT.GNU_addr_base) bases.addr = v;
          else if (n === DW_AT.rnglists_base || n === DW_AT.GNU_ranges_base) bases.rnglists = v;
          else bases.loclists = v;
        } else {
          skipForm(r, spec.form, this);
        }
      }
    }
    return bases;
  }

  /** DW_AT_str_offsets_base (defaults to just past the .debug_str_offsets header). */
  get strOffsetsBase(): number {
    return this.loadBases().strOffsets ?? (this.version >= 5 ? (this.offsetSize === 8 ? 16 : 8) : 0);
  }

  /** DW_AT_addr_base (defaults to just past the .debug_addr header for DWARF 5); a split unit's is its skeleton's. */
  get addrBase(): number {
    if (this.skeleton) return this.skeleton.addrBase;
    return this.loadBases().addr ?? (this.version >= 5 ? (this.offsetSize === 8 ? 16 : 8) : 0);
  }

  /** DW_AT_rnglists_base, if present (DWARF 4 split units: the skeleton's DW_AT_GNU_ranges_base). */
  get rnglistsBase(): number | undefined {
    if (this.skeleton && this.version < 5) return this.skeleton.rnglistsBase;
    return this.loadBases().rnglists;
  }

  /**
   * DW_AT_loclists_base, if present. A DWARF 5 split unit has none: its DW_FORM_loclistx indices
   * count from the first offset entry of .debug_loclists.dwo (just past the header).
   */
  get loclistsBase(): number | undefined {
    const b = this.loadBases().loclists;
    if (b === undefined && this.isSplit && this.version >= 5) return this.offsetSize === 8 ? 20 : 12;
    return b;
  }

  /** A split unit (DW_UT_split_compile/split_type, or a DWARF 4 unit read from a .dwo/.dwp). */
  get isSplit(): boolean {
    return this.unitType === DW_UT.split_compile || this.unitType === DW_UT.split_type || this.dwarf.isSplitFile;
  }

  /** DWARF 4 split units use the DW_LLE_GNU_* location-list kinds of .debug_loc.dwo. */
  get gnuSplit(): boolean {
    return this.version < 5 && this.isSplit;
  }

  /**
   * A skeleton unit: DW_UT_skeleton (DWARF 5), or a DWARF 4 compilation unit with DW_AT_GNU_dwo_name
   * (gcc's pre-standard split DWARF). Its DIEs are those of the split unit it names.
   */
  get isSkeleton(): boolean {
    if (this.skeletonFlag === undefined) {
      if (this.unitType === DW_UT.skeleton) this.skeletonFlag = true;
      else if (this.version < 5 && this.section === '.debug_info' && !this.dwarf.isSplitFile) this.skeletonFlag = this.rootEntry().has(DW_AT.GNU_dwo_name);
      else this.skeletonFlag = false;
    }
    return this.skeletonFlag;
  }

  /** DW_AT_dwo_name (DW_AT_GNU_dwo_name) of a skeleton unit. */
  get dwoName(): string | undefined {
    const e = this.rootEntry();
    const v = e.value(DW_AT.dwo_name) ?? e.value(DW_AT.GNU_dwo_name);
    return typeof v === 'string' ? v : undefined;
  }

  /** The id shared by a skeleton and its split unit: the header's (DWARF 5) or DW_AT_GNU_dwo_id (DWARF 4). */
  get splitId(): bigint | undefined {
    if (this.dwoId !== undefined) return this.dwoId;
    const v = this.rootEntry().value(DW_AT.GNU_dwo_id);
    return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;
  }

  /**
   * The split unit of a skeleton, loaded on first use from its .dwo (or the program's .dwp), as gdb
   * finds them; undefined when this is not a skeleton or the split unit was not found (a warning is
   * recorded on the Dwarf, see Dwarf.warnings).
   */
  splitUnit(): Unit | undefined {
    if (this.splitCache === undefined) {
      this.splitCache = null;
      if (this.isSkeleton) this.splitCache = this.dwarf.loadSplitUnit(this) ?? null;
    }
    return this.splitCache ?? undefined;
  }

  /** The unit holding the DIEs: a skeleton's split unit when it was found, else this unit. */
  get content(): Unit {
    return this.splitUnit() ?? this;
  }

  // ---- FormContext ----

  str(offset: number, at: number): string {
    const s = this.dwarf.sections.str;
    if (!s) throw new DwarfError('DW_FORM_strp without a .debug_str section', this.section, at);
    return this.dwarf.cachedString(s, offset, '.debug_str');
  }

  lineStr(offset: number, at: number): string {
    const s = this.dwarf.sections.lineStr;
    if (!s) throw new DwarfError('DW_FORM_line_strp without a .debug_line_str section', this.section, at);
    return this.dwarf.cachedString(s, offset, '.debug_line_str');
  }

  /** The string of DW_FORM_strx* index `index` (via DW_AT_str_offsets_base). `at` locates errors. */
  strx(index: number, at = this.offset): string {
    const so = this.dwarf.sections.strOffsets;
    if (!so) throw new DwarfError('string index without a .debug_str_offsets section', this.section, at);
    const pos = this.strOffsetsBase + index * this.offsetSize;
    if (pos + this.offsetSize > so.length) throw new DwarfError(`string index ${index} outside .debug_str_offsets`, this.section, at);
    const off = this.offsetSize === 8 ? Number(so.readBigUInt64LE(pos)) : so.readUInt32LE(pos);
    return this.str(off, at);
  }

  /** The address of DW_FORM_addrx* index `index` (via DW_AT_addr_base). `at` locates errors. */
  addrx(index: number, at = this.offset): number {
    if (this.skeleton) return this.skeleton.addrx(index, at);
    const a = this.dwarf.sections.addr;
    if (!a) throw new DwarfError('address index without a .debug_addr section', this.section, at);
    const pos = this.addrBase + index * this.addressSize;
    if (pos + this.addressSize > a.length) throw new DwarfError(`address index ${index} outside .debug_addr`, this.section, at);
    return new Reader(a, '.debug_addr', pos).address(this.addressSize);
  }

  /** Section offset in .debug_rnglists of DW_FORM_rnglistx index `index`. */
  rnglistOffset(index: number): number {
    return this.listOffset(this.dwarf.sections.rnglists, '.debug_rnglists', this.rnglistsBase, index);
  }

  /** Section offset in .debug_loclists of DW_FORM_loclistx index `index`. */
  loclistOffset(index: number): number {
    return this.listOffset(this.dwarf.sections.loclists, '.debug_loclists', this.loclistsBase, index);
  }

  private listOffset(sec: Buffer | undefined, name: string, base: number | undefined, index: number): number {
    if (!sec) throw new DwarfError(`list index ${index} without a ${name} section`, this.section, this.offset);
    const b = base ?? (this.offsetSize === 8 ? 20 : 12);
    const r = new Reader(sec, name, b + index * this.offsetSize, sec.length, this.offsetSize);
    return b + r.offset();
  }

  // ---- Root DIE attributes ----

  /**
   * The unit's root DIE (DW_TAG_compile_unit, partial_unit, type_unit or skeleton_unit). A skeleton's
   * DIEs (root(), dies(), dieAt(), scan()) are its own; those of the program unit are `content`'s.
   */
  root(): Die {
    if (!this.rootCache) this.rootCache = this.dies()[0] ?? this.readDie(this.dataStart);
    return this.rootCache;
  }

  /** Root DIE without building the tree (header-level attributes such as name, low_pc, stmt_list). */
  rootEntry(): Die {
    if (this.rootCache) return this.rootCache;
    if (!this.rootEntryCache) this.rootEntryCache = this.readDie(this.dataStart);
    return this.rootEntryCache;
  }

  /** The unit's base address (DW_AT_low_pc of the root DIE, 0 if absent). */
  get lowPc(): number {
    const v = this.rootEntry().value(DW_AT.low_pc);
    if (typeof v !== 'number' && this.skeleton) return this.skeleton.lowPc;
    return typeof v === 'number' ? v : 0;
  }

  /** Alias of lowPc: the base address for location and range list offset entries. */
  get baseAddress(): number {
    return this.lowPc;
  }

  /** DW_AT_name (a skeleton's comes from its split unit). */
  get name(): string | undefined {
    return this.rootEntry().name ?? (this.isSkeleton ? this.splitUnit()?.name : undefined);
  }

  get compDir(): string | undefined {
    const v = this.rootEntry().value(DW_AT.comp_dir);
    if (typeof v !== 'string' && this.skeleton) return this.skeleton.compDir;
    return typeof v === 'string' ? v : undefined;
  }

  get producer(): string | undefined {
    const v = this.rootEntry().value(DW_AT.producer);
    if (typeof v !== 'string' && this.isSkeleton) return this.splitUnit()?.producer;
    return typeof v === 'string' ? v : undefined;
  }

  get language(): number | undefined {
    const v = this.rootEntry().value(DW_AT.language);
    if (typeof v !== 'number' && this.isSkeleton) return this.splitUnit()?.language;
    return typeof v === 'number' ? v : undefined;
  }

  /** Offset of the unit's line program in .debug_line (DW_AT_stmt_list; a split unit's is its skeleton's). */
  get stmtList(): number | undefined {
    if (this.skeleton) return this.skeleton.stmtList;
    const v = this.rootEntry().value(DW_AT.stmt_list);
    return typeof v === 'number' ? v : undefined;
  }

  // ---- DIEs ----

  /** Decode the single DIE at `offset` (no parent/children links). */
  readDie(offset: number): Die {
    if (offset < this.dataStart || offset >= this.end) throw new DwarfError(`DIE offset 0x${offset.toString(16)} outside unit at 0x${this.offset.toString(16)}`, this.section, offset);
    const r = this.reader(offset);
    const code = r.uleb();
    if (code === 0) throw new DwarfError('null entry where a DIE was expected', this.section, offset);
    const abbrev = this.abbrevs.get(code);
    if (!abbrev) throw new DwarfError(`unknown abbreviation code ${code}`, this.section, offset);
    return new Die(this, offset, abbrev, r.pos);
  }

  /** All DIEs of the unit in offset order, with parent/children links (built once, on first use). */
  dies(): Die[] {
    if (this.dieList) return this.dieList;
    const list: Die[] = [];
    const stack: Die[] = [];
    const r = this.reader();
    const abbrevs = this.abbrevs;
    while (r.pos < this.end) {
      const offset = r.pos;
      const code = r.uleb();
      if (code === 0) {
        if (stack.length === 0) {
          // Padding after the root's subtree.
          continue;
        }
        stack.pop();
        continue;
      }
      const abbrev = abbrevs.get(code);
      if (!abbrev) throw new DwarfError(`unknown abbreviation code ${code}`, this.section, offset);
      const die = new Die(this, offset, abbrev, r.pos);
      const parent = stack[stack.length - 1];
      if (parent) {
        die.parent = parent;
        parent.children.push(die);
      } else if (list.length > 0) {
        // A second top-level DIE: only valid as trailing padding (all zero); stop here.
        break;
      }
      list.push(die);
      skipAttrs(r, abbrev, this);
      if (abbrev.hasChildren) stack.push(die);
      else if (stack.length === 0) break;
    }
    this.dieList = list;
    this.rootCache = list[0];
    return list;
  }

  /** The DIE at exactly `offset` (builds the tree if needed). */
  dieAt(offset: number): Die | undefined {
    const list = this.dies();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return list[lo]?.offset === offset ? list[lo] : undefined;
  }

  /** The type DIE of a type unit. */
  typeDie(): Die | undefined {
    return this.typeOffset === undefined ? undefined : this.dieAt(this.typeOffset);
  }

  /**
   * Walk the DIEs in order without building a tree. The visitor gets a reused cursor; returning
   * `true` skips the entry's children (using DW_AT_sibling when present).
   */
  scan(visit: (e: EntryCursor) => boolean | void): void {
    const cursor = new EntryCursor(this);
    const r = this.reader();
    const abbrevs = this.abbrevs;
    let depth = 0;
    while (r.pos < this.end) {
      const offset = r.pos;
      const code = r.uleb();
      if (code === 0) {
        if (depth > 0) depth--;
        if (depth === 0) break;
        continue;
      }
      const abbrev = abbrevs.get(code);
      if (!abbrev) throw new DwarfError(`unknown abbreviation code ${code}`, this.section, offset);
      cursor.set(offset, abbrev, r.pos, depth);
      const skipChildren = visit(cursor) === true;
      if (skipChildren && abbrev.hasChildren) {
        const sib = abbrev.has(DW_AT.sibling) ? cursor.attr(DW_AT.sibling) : undefined;
        if (sib && typeof sib.value === 'number' && sib.value > offset && sib.value <= this.end && sib.form !== DW_FORM.ref_addr) {
          r.pos = sib.value;
          continue;
        }
        skipAttrs(r, abbrev, this);
        skipSubtree(r, this);
        continue;
      }
      skipAttrs(r, abbrev, this);
      if (abbrev.hasChildren) depth++;
      else if (depth === 0) break;
    }
  }
}

function skipAttrs(r: Reader, abbrev: Abbrev, enc: Unit): void {
  if (abbrev.fixedSize >= 0) {
    r.skip(abbrev.fixedSize);
    return;
  }
  const attrs = abbrev.attrs;
  for (let i = 0; i < attrs.length; i++) skipForm(r, attrs[i].form, enc);
}

/** Skip the children of an entry whose attributes were just skipped. */
function skipSubtree(r: Reader, unit: Unit): void {
  let depth = 1;
  const abbrevs = unit.abbrevs;
  while (depth > 0) {
    const offset = r.pos;
    const code = r.uleb();
    if (code === 0) {
      depth--;
      continue;
    }
    const abbrev = abbrevs.get(code);
    if (!abbrev) throw new DwarfError(`unknown abbreviation code ${code}`, unit.section, offset);
    skipAttrs(r, abbrev, unit);
    if (abbrev.hasChildren) depth++;
  }
}

/** Decode the attribute at position `index` of a DIE whose attributes start at `attrStart`. */
function readAttrAt(unit: Unit, abbrev: Abbrev, attrStart: number, index: number): Attribute {
  const r = unit.reader(attrStart);
  const fixed = abbrev.fixedOffsets[index];
  const attrs = abbrev.attrs;
  if (fixed >= 0) r.pos = attrStart + fixed;
  else for (let i = 0; i < index; i++) skipForm(r, attrs[i].form, unit);
  const spec = attrs[index];
  return readAttr(r, spec.name, spec.form, unit, spec.implicitConst);
}

function readAllAttrs(unit: Unit, abbrev: Abbrev, attrStart: number): Attribute[] {
  const r = unit.reader(attrStart);
  return abbrev.attrs.map((spec) => readAttr(r, spec.name, spec.form, unit, spec.implicitConst));
}

/** A transient view of the entry under a scan() cursor. */
export class EntryCursor {
  offset = 0;
  depth = 0;
  abbrev!: Abbrev;
  attrStart = 0;

  constructor(readonly unit: Unit) {}

  set(offset: number, abbrev: Abbrev, attrStart: number, depth: number): void {
    this.offset = offset;
    this.abbrev = abbrev;
    this.attrStart = attrStart;
    this.depth = depth;
  }

  get tag(): number {
    return this.abbrev.tag;
  }

  get hasChildren(): boolean {
    return this.abbrev.hasChildren;
  }

  has(name: number): boolean {
    return this.abbrev.has(name);
  }

  attr(name: number): Attribute | undefined {
    const i = this.abbrev.indexOf(name);
    return i < 0 ? undefined : readAttrAt(this.unit, this.abbrev, this.attrStart, i);
  }

  value(name: number): AttrValue | undefined {
    return this.attr(name)?.value;
  }

  attributes(): Attribute[] {
    return readAllAttrs(this.unit, this.abbrev, this.attrStart);
  }

  /** A Die for this entry (no parent/children links). */
  toDie(): Die {
    return new Die(this.unit, this.offset, this.abbrev, this.attrStart);
  }
}

/** A debugging information entry. Attributes are decoded on first access. */
export class Die {
  parent: Die | undefined;
  readonly children: Die[] = [];
  private attrCache?: Attribute[];

  constructor(
    readonly unit: Unit,
    /** Offset of the DIE in its section (.debug_info or .debug_types). */
    readonly offset: number,
    readonly abbrev: Abbrev,
    private readonly attrStart: number,
  ) {}

  get tag(): number {
    return this.abbrev.tag;
  }

  get hasChildren(): boolean {
    return this.abbrev.hasChildren;
  }

  /** All attributes, decoded. */
  attributes(): Attribute[] {
    if (!this.attrCache) this.attrCache = readAllAttrs(this.unit, this.abbrev, this.attrStart);
    return this.attrCache;
  }

  has(name: number): boolean {
    return this.abbrev.has(name);
  }

  attr(name: number): Attribute | undefined {
    const i = this.abbrev.indexOf(name);
    if (i < 0) return undefined;
    if (this.attrCache) return this.attrCache[i];
    if (this.abbrev.fixedOffsets[i] >= 0) {
      // One attribute decoded alone (no need to decode the others), kept: a variable's location and
      // type are asked for at every stop.
      const one = (this.attrOne ??= new Array<Attribute | undefined>(this.abbrev.attrs.length));
      return (one[i] ??= readAttrAt(this.unit, this.abbrev, this.attrStart, i));
    }
    return this.attributes()[i];
  }

  private attrOne?: (Attribute | undefined)[];

  value(name: number): AttrValue | undefined {
    return this.attr(name)?.value;
  }

  /** A constant attribute as a number (undefined if absent or not a safe number). */
  num(name: number): number | undefined {
    const v = this.value(name);
    return typeof v === 'number' ? v : undefined;
  }

  flag(name: number): boolean {
    const v = this.value(name);
    return v === true || (typeof v === 'number' && v !== 0);
  }

  get name(): string | undefined {
    const v = this.value(DW_AT.name);
    return typeof v === 'string' ? v : undefined;
  }

  /** The DIE referenced by attribute `name` (ref forms, ref_addr, ref_sig8). */
  ref(name: number): Die | undefined {
    const a = this.attr(name);
    if (!a || !isRefForm(a.form)) return undefined;
    return this.unit.dwarf.resolveRef(this.unit, a);
  }

  /** The DW_AT_type DIE (undefined means void). */
  type(): Die | undefined {
    return this.ref(DW_AT.type);
  }

  /** This DIE's name, following DW_AT_abstract_origin / DW_AT_specification when it has none. */
  resolvedName(): string | undefined {
    let d: Die | undefined = this;
    for (let i = 0; d && i < 8; i++) {
      const n = d.name;
      if (n !== undefined) return n;
      d = d.ref(DW_AT.abstract_origin) ?? d.ref(DW_AT.specification);
    }
    return undefined;
  }

  /** The [low, high) address ranges covered by this DIE (low_pc/high_pc or DW_AT_ranges). */
  ranges(): [number, number][] {
    return this.unit.dwarf.dieRanges(this);
  }

  toString(): string {
    return `<0x${this.offset.toString(16)}> ${tagName(this.tag)}${this.name ? ` "${this.name}"` : ''}`;
  }
}
