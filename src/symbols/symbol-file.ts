// SymbolFile: the facade the debugger uses. Opening parses only the ELF headers, the DWARF unit headers
// and an address -> unit map (.debug_aranges, else each unit's root ranges). Line tables are decoded
// per unit on first use; the name index (functions, globals, types) is built on the first name query
// by scanning DIEs without building trees; DIE trees are built per unit when a DIE is needed.
//
// All addresses are link-time addresses: for a PIE or shared library, add the load bias.

import * as path from 'path';
import { ElfFile, ElfSymbol } from './elf';
import { DW_AT, DW_TAG } from './dwarf/constants';
import { Dwarf } from './dwarf/dwarf';
import { scanLineHeaderFileNames } from './dwarf/line';
import { stringAt } from './reader';
import { LineLookup, LineTable } from './dwarf/line-table';
import { Range } from './dwarf/ranges';
import { Die, Unit } from './dwarf/unit';
import { IndexedFunction, IndexedInline, IndexedType, IndexedVariable, indexUnit, UnitIndex } from './dwarf/unit-index';
import { declaredType, Type, TypeResolver } from './types';

export interface SourceLine {
  file: string;
  line: number;
  column: number;
  /** Start address of the line-table entry that covers the queried address. */
  address: number;
  /** First address past that entry (start of the next entry), when known. */
  end?: number;
}

export interface CodeLocation {
  address: number;
  file: string;
  line: number;
  /** Qualified name of the (non-inlined) function containing the address. */
  function?: string;
}

export interface LineAddresses {
  /** The line that actually has code (may be later than the requested one). */
  line: number;
  addresses: number[];
  locations: CodeLocation[];
}

/** A function with code (a concrete DW_TAG_subprogram). */
export class FunctionInfo {
  readonly name: string;
  readonly plainName: string;
  readonly linkageName?: string;
  readonly external: boolean;
  readonly unit: Unit;
  readonly offset: number;
  readonly ranges: Range[];

  constructor(f: IndexedFunction) {
    this.name = f.name;
    this.plainName = f.plainName;
    this.linkageName = f.linkageName;
    this.external = f.external;
    this.unit = f.unit;
    this.offset = f.offset;
    this.ranges = f.ranges;
  }

  /** Entry point (start of the first range, as gdb's BLOCK_ENTRY_PC). */
  get entryPc(): number {
    return this.ranges[0][0];
  }

  get lowPc(): number {
    return Math.min(...this.ranges.map((r) => r[0]));
  }

  get highPc(): number {
    return Math.max(...this.ranges.map((r) => r[1]));
  }

  contains(addr: number): boolean {
    return this.ranges.some(([lo, hi]) => addr >= lo && addr < hi);
  }

  get die(): Die {
    return this.unit.dieAt(this.offset)!;
  }
}

/** A variable at CU or namespace level (globals and file statics). */
export class VariableInfo {
  readonly name: string;
  readonly plainName: string;
  readonly linkageName?: string;
  readonly external: boolean;
  readonly unit: Unit;
  readonly offset: number;

  constructor(v: IndexedVariable) {
    this.name = v.name;
    this.plainName = v.plainName;
    this.linkageName = v.linkageName;
    this.external = v.external;
    this.unit = v.unit;
    this.offset = v.offset;
  }

  get die(): Die {
    return this.unit.dieAt(this.offset)!;
  }
}

interface NameIndex {
  functions: FunctionInfo[];
  functionsByName: Map<string, FunctionInfo[]>;
  inlinesByName: Map<string, IndexedInline[]>;
  globals: VariableInfo[];
  globalsByName: Map<string, VariableInfo[]>;
  typesByName: Map<string, IndexedType[]>;
}

export interface SymbolFileOptions {
  /**
   * Read nothing of the DWARF until a query needs it (not even the unit headers, so malformed
   * headers surface then). For separate debug files of libraries, most of which are never consulted.
   */
  lazy?: boolean;
  /**
   * ELF symbols only: the file's DWARF is not read at all (for a caller that found it unusable,
   * e.g. malformed or compressed in a way that cannot be decompressed here, and said so).
   */
  withoutDwarf?: boolean;
}

export class SymbolFile {
  readonly dwarf: Dwarf;
  private addrMapCache?: { low: number; high: number; unit: Unit }[];
  /** Compilation units with no address information at all (searched by brute force). */
  private unmappedCache?: Unit[];
  /** Basenames of every file named by a .debug_line header (null: the section could not be walked). */
  private lineFileNames?: LineHeaderNames | null;
  private readonly unitIndexes = new Map<Unit, UnitIndex>();
  private readonly unitFunctions = new Map<Unit, FunctionInfo[]>();
  private readonly lineTables = new Map<Unit, LineTable | null>();
  private nameIndex?: NameIndex;
  private typeResolver?: TypeResolver;

  static open(file: string, opts: SymbolFileOptions = {}): SymbolFile {
    return new SymbolFile(ElfFile.open(file), opts);
  }

  constructor(
    readonly elf: ElfFile,
    opts: SymbolFileOptions = {},
  ) {
    this.dwarf = opts.withoutDwarf ? new Dwarf({}, { name: elf.path }) : Dwarf.fromElf(elf);
    if (opts.withoutDwarf) this.hasDebug = false;
    // The unit headers are checked now (cheap unless .debug_info is compressed, which then costs
    // its inflation); a lazy file defers even that to the first DWARF query.
    if (!opts.lazy) {
      void this.dwarf.units;
      void this.dwarf.typesUnits;
    }
  }

  get path(): string {
    return this.elf.path;
  }

  /** True when the file has DWARF compilation units. */
  get hasDebugInfo(): boolean {
    if (this.hasDebug !== undefined) return this.hasDebug;
    if (this.debugInfoSection === undefined) {
      const sec = this.elf.sectionByName('.debug_info') ?? this.elf.sectionByName('.zdebug_info');
      this.debugInfoSection = !sec || sec.size === 0 || sec.type === 8 /* SHT_NOBITS */ ? null : { compressed: (sec.flags & 0x800) /* SHF_COMPRESSED */ !== 0 || sec.name.startsWith('.zdebug') };
    }
    if (!this.debugInfoSection) return (this.hasDebug = false);
    // A compressed .debug_info is not inflated just to answer this: compilers never emit a
    // .debug_info without a compilation unit. Once the units are read, they answer.
    if (this.debugInfoSection.compressed && !this.dwarf.unitsRead) return true;
    return (this.hasDebug = this.dwarf.compileUnits().length > 0);
  }

  private debugInfoSection?: { compressed: boolean } | null;
  private hasDebug?: boolean;

  private get addrMap(): { low: number; high: number; unit: Unit }[] {
    if (!this.addrMapCache) this.buildAddressMap();
    return this.addrMapCache!;
  }

  private get unmapped(): Unit[] {
    if (!this.unmappedCache) this.buildAddressMap();
    return this.unmappedCache!;
  }

  // ---------------------------------------------------------------- address -> unit

  private buildAddressMap(): void {
    const addrMap: { low: number; high: number; unit: Unit }[] = [];
    const unmapped: Unit[] = [];
    const covered = new Set<number>();
    for (const set of this.dwarf.aranges()) {
      const unit = this.dwarf.unitContaining(set.unitOffset);
      if (!unit) continue;
      covered.add(unit.offset);
      for (const [low, high] of set.ranges) if (low !== 0) addrMap.push({ low, high, unit });
    }
    for (const unit of this.dwarf.compileUnits()) {
      if (covered.has(unit.offset)) continue;
      const root = unit.rootEntry();
      const ranges = root.has(DW_AT.low_pc) || root.has(DW_AT.ranges) ? this.dwarf.dieRanges(root).filter(([low]) => low !== 0) : [];
      for (const [low, high] of ranges) addrMap.push({ low, high, unit });
      if (!ranges.length) unmapped.push(unit);
    }
    addrMap.sort((a, b) => a.low - b.low);
    this.addrMapCache = addrMap;
    this.unmappedCache = unmapped;
  }

  /** The compilation unit whose code covers `addr`. */
  unitForAddress(addr: number): Unit | undefined {
    const m = this.addrMap;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid].low <= addr) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) if (addr < m[i].high) return m[i].unit;
    return undefined;
  }

  // ---------------------------------------------------------------- lines

  /** The unit's line table (gdb-style), decoded on first use. */
  lineTable(unit: Unit): LineTable | undefined {
    // A split unit's line table is its skeleton's (one table per program unit).
    unit = unit.skeleton ?? unit;
    let t = this.lineTables.get(unit);
    if (t === undefined) {
      const prog = this.dwarf.lineProgram(unit);
      const primary = unit.name !== undefined ? path.resolve(unit.compDir ?? '/', unit.name) : undefined;
      t = prog ? new LineTable(prog, primary) : null;
      this.lineTables.set(unit, t);
    }
    return t ?? undefined;
  }

  private lookupLine(addr: number, unit = this.unitForAddress(addr)): LineLookup | undefined {
    if (unit) return this.lineTable(unit)?.lookup(addr);
    for (const u of this.unmapped) {
      const t = this.lineTable(u);
      if (t && addr >= t.low && addr < t.high) {
        const l = t.lookup(addr);
        if (l) return l;
      }
    }
    return undefined;
  }

  /** Source position of `addr`: the line-table entry whose range contains it. */
  lineFor(addr: number): SourceLine | undefined {
    const l = this.lookupLine(addr);
    return l && { file: l.file, line: l.entry.line, column: l.entry.column, address: l.entry.address, end: l.end };
  }

  /** Full paths of all source files named by the line tables (and the units' primary files). */
  sourceFiles(): string[] {
    const out = new Set<string>();
    for (const u of this.dwarf.compileUnits()) {
      const prog = this.dwarf.lineProgram(u);
      if (prog) for (const f of prog.header.files) out.add(prog.fullPath(f));
      if (u.name !== undefined) out.add(path.resolve(u.compDir ?? '/', u.name));
    }
    return [...out].sort();
  }

  /**
   * Code addresses for `file:line` as gdb's `break file:line` chooses them: statement entries of that
   * line (or of the next line with code), one per block, moved past the prologue when they are at a
   * function's entry. `file` is a full path, a basename or a trailing path. Throws when the file is
   * unknown or no line at or after `line` has code.
   */
  addressesForLine(file: string, line: number): LineAddresses {
    // Most objects do not have the file at all (a breakpoint in the program is re-resolved in every
    // library loaded later): answer that from the .debug_line headers alone, without the units.
    const naming = this.headersNaming(file);
    if (naming === undefined) throw new Error(`No source file named ${file}.`);
    const tables: { unit: Unit; table: LineTable; files: number[] }[] = [];
    let known = false;
    for (const unit of this.dwarf.compileUnits()) {
      // Units whose line program does not name the basename are not parsed further.
      if (naming !== 'any' && (unit.stmtList === undefined || !naming.has(unit.stmtList))) continue;
      const prog = this.dwarf.lineProgram(unit);
      if (!prog || !prog.header.files.some((f) => fileMatches(file, prog.fullPath(f)))) continue;
      known = true;
      const table = this.lineTable(unit);
      if (!table) continue;
      const files = table.files.map((p, i) => (fileMatches(file, p) ? i : -1)).filter((i) => i >= 0);
      if (files.length) tables.push({ unit, table, files });
    }
    if (!known) throw new Error(`No source file named ${file}.`);
    const collect = (want: number) => {
      const pcs: { pc: number; unit: Unit }[] = [];
      let best: number | undefined;
      for (const t of tables) {
        for (const fi of t.files) {
          const r = t.table.pcsForLine(fi, want);
          for (const pc of r.pcs) pcs.push({ pc, unit: t.unit });
          if (r.bestLine !== undefined && (best === undefined || r.bestLine < best)) best = r.bestLine;
        }
      }
      return { pcs, best };
    };
    let actual = line;
    let found = collect(line);
    if (!found.pcs.length) {
      if (found.best === undefined) throw new Error(`No line ${line} in file "${file}".`);
      actual = found.best;
      found = collect(actual);
    }
    // gdb keeps one address per block: for each result, the next result in the same block is dropped.
    const blocks = found.pcs.map((p) => this.gdbBlockAt(p.pc));
    const keep = found.pcs.map(() => true);
    for (let i = 0; i < blocks.length; i++) {
      if (blocks[i] === undefined) continue;
      for (let j = i + 1; j < blocks.length; j++) {
        if (blocks[j] === blocks[i]) {
          keep[j] = false;
          break;
        }
      }
    }
    const locations: CodeLocation[] = [];
    const seen = new Set<number>();
    found.pcs.forEach((p, i) => {
      if (!keep[i]) return;
      const fn = this.functionAt(p.pc);
      const lookup = this.lookupLine(p.pc, p.unit);
      let loc: CodeLocation = { address: p.pc, file: lookup?.file ?? file, line: actual, function: fn?.name };
      if (fn) loc = this.skipPrologueSal(loc, fn);
      if (!seen.has(loc.address)) {
        seen.add(loc.address);
        locations.push(loc);
      }
    });
    locations.sort((a, b) => a.address - b.address);
    return { line: locations[0]?.line ?? actual, addresses: locations.map((l) => l.address), locations };
  }

  /**
   * False when no line-program header names a file with the basename of `file` (fileMatches needs
   * equal basenames). The headers are walked once, straight through .debug_line, without reading
   * .debug_info; when that walk fails, every file may be present.
   */
  /**
   * Offsets of the line-program headers that name a file with the basename of `file` (fileMatches
   * needs equal basenames): undefined when none does, 'any' when it cannot be told (the walk failed,
   * or a name has no basename).
   */
  private headersNaming(file: string): Set<number> | 'any' | undefined {
    const base = lineFileBase(file);
    if (this.lineFileNames === undefined) {
      // Before the walk (libc's headers: ~15-20 ms), a byte search: a name with this basename ends
      // with it, as an inline string in .debug_line or in .debug_line_str/.debug_str; when the
      // basename occurs in none of them, no header names the file.
      if (base !== '' && this.basenameAbsent(base)) return undefined;
      this.lineFileNames = this.walkLineHeaders();
    }
    const w = this.lineFileNames;
    if (!w || base === '' || w.inline.has('') || w.keysByBase.has('')) return 'any';
    let hit = w.headersByBase.get(base);
    if (hit === undefined) {
      const keys = w.keysByBase.get(base);
      const inline = w.inline.get(base);
      if (!keys && !inline) hit = null;
      else {
        // Which headers name it: a second walk, only for names some header has.
        const set = new Set<number>(inline);
        if (keys) {
          const buf = this.dwarf.sections.line!;
          try {
            for (let off = 0; off < buf.length; ) {
              const header = off;
              off = scanLineHeaderFileNames(buf, off, (kind, value) => {
                if (kind !== 'string' && keys.has(kind === 'strp' ? -(value as number) - 1 : (value as number))) set.add(header);
              });
            }
          } catch {
            return 'any';
          }
        }
        hit = set;
      }
      w.headersByBase.set(base, hit);
    }
    return hit ?? undefined;
  }

  /** Whether the .debug_line headers have been walked for their file names (see headersNaming). */
  get lineHeadersWalked(): boolean {
    return this.lineFileNames !== undefined;
  }

  /**
   * True when no string in the sections that hold file names can have the basename `base`: it would
   * end with `base` (then NUL, or '/'), preceded in .debug_line_str/.debug_str by the start of the
   * string or a '/' (libc's `finddomain.c` is no `main.c`); in .debug_line, whose inline names follow
   * header bytes, any occurrence counts.
   */
  private basenameAbsent(base: string): boolean {
    const { line, lineStr, str } = this.dwarf.sections;
    if (!line) return false;
    const needles = [Buffer.from(base + '\0'), Buffer.from(base + '/')];
    const SLASH = 0x2f;
    for (const [sec, inline] of [[line, true], [lineStr, false], [str, false]] as const) {
      if (!sec) continue;
      for (const n of needles) {
        for (let i = sec.indexOf(n); i >= 0; i = sec.indexOf(n, i + 1)) {
          if (inline || i === 0 || sec[i - 1] === 0 || sec[i - 1] === SLASH) return false;
        }
      }
    }
    return true;
  }

  /**
   * One walk through .debug_line collecting the file names of every header (null: the walk failed).
   * Names given as .debug_line_str/.debug_str offsets (DWARF 5) are collected as distinct offsets and
   * each decoded once: the answer to "does any header name X" costs no per-file bookkeeping.
   */
  private walkLineHeaders(): LineHeaderNames | null {
    const buf = this.dwarf.sections.line;
    if (!buf) return null;
    try {
      const inline = new Map<string, Set<number>>();
      // Key: .debug_line_str offset, or -(.debug_str offset) - 1.
      const keys = new Set<number>();
      for (let off = 0; off < buf.length; ) {
        const header = off;
        const end = scanLineHeaderFileNames(buf, off, (kind, value) => {
          if (kind === 'string') {
            const b = lineFileBase(value as string);
            let set = inline.get(b);
            if (!set) inline.set(b, (set = new Set()));
            set.add(header);
          } else keys.add(kind === 'strp' ? -(value as number) - 1 : (value as number));
        });
        if (end <= off) throw new Error('no progress');
        off = end;
      }
      const keysByBase = new Map<string, Set<number>>();
      for (const key of keys) {
        const strp = key < 0;
        const sec = strp ? this.dwarf.sections.str : this.dwarf.sections.lineStr;
        const name = strp ? '.debug_str' : '.debug_line_str';
        if (!sec) throw new Error(`no ${name}`);
        const b = lineFileBase(stringAt(sec, strp ? -key - 1 : key, name));
        let set = keysByBase.get(b);
        if (!set) keysByBase.set(b, (set = new Set()));
        set.add(key);
      }
      return { inline, keysByBase, headersByBase: new Map() };
    } catch {
      return null;
    }
  }

  // ---------------------------------------------------------------- prologue analysis (gdb, amd64)

  /** gdb's "locations valid" for a unit: GCC >= 4.5 output that uses location lists. */
  private locationsValid(unit: Unit): boolean {
    const producer = unit.producer ?? '';
    if (!/^GNU /.test(producer) || /clang|LLVM/i.test(producer)) return false;
    return this.unitIndex(unit).hasLoclist;
  }

  private isLlvm(unit: Unit): boolean {
    return /clang|LLVM|flang/i.test(unit.producer ?? '');
  }

  /**
   * The address after `fn`'s prologue the way gdb computes it on x86-64: the entry itself for
   * optimised GCC code with location lists; else the first prologue_end row; else after
   * `[endbr64] push %rbp; mov %rsp,%rbp`, moved to the start of the next line-table entry when that
   * leaves the address in the middle of a line (for LLVM producers: the end of the first line).
   */
  postPrologueAddress(fn: FunctionInfo): number {
    const entry = fn.entryPc;
    if (this.locationsValid(fn.unit)) return entry;
    const table = this.lineTable(fn.unit);
    const [start, end] = fn.ranges.find(([lo, hi]) => entry >= lo && entry < hi) ?? fn.ranges[0];
    const marked = table?.prologueEnd(start, end);
    if (marked) return marked.address;
    let pc = entry;
    const viaSal = this.isLlvm(fn.unit) ? this.skipPrologueUsingSal(fn, start, end) : 0;
    pc = viaSal ? Math.max(entry, viaSal) : analyzeAmd64Prologue(this.elf, entry);
    if (pc !== entry && table) {
      const sal = table.lookup(pc);
      if (sal && sal.entry.address !== pc && sal.end !== undefined && fn.lowPc <= sal.end && sal.end < fn.highPc) pc = sal.end;
    }
    return pc;
  }

  /** gdb's skip_prologue_using_sal (used for LLVM producers): the end of the function's first line(s). */
  private skipPrologueUsingSal(fn: FunctionInfo, start: number, end: number): number {
    const table = this.lineTable(fn.unit);
    let sal = table?.lookup(start);
    if (!table || !sal) return 0;
    // Two consecutive entries at the function's start address: a zero-length prologue.
    const items = table.fileEntries(sal.entry.file);
    let idx = 0;
    while (idx + 1 < items.length && (items[idx].address !== sal.entry.address || items[idx].line === 0)) idx++;
    if (idx + 1 < items.length && items[idx + 1].line !== 0 && items[idx + 1].address === start) return start;
    if (sal.end === undefined || sal.end >= end) return 0;
    while (sal.end !== undefined && sal.end < end) {
      const next = table.lookup(sal.end);
      if (!next || next.entry.line >= sal.entry.line || next.file !== sal.file) break;
      if (this.scopeAt(sal.end).some((d) => d.tag === DW_TAG.inlined_subroutine)) break;
      sal = next;
    }
    return sal.end !== undefined && sal.end < end ? sal.end : sal.entry.address;
  }

  /** gdb's skip_prologue_sal: move a location at or before the prologue end to just after it. */
  private skipPrologueSal(loc: CodeLocation, fn: FunctionInfo): CodeLocation {
    const pc = this.postPrologueAddress(fn);
    if (loc.address >= pc) return loc;
    const start = this.lookupLine(pc, fn.unit);
    const out: CodeLocation = { address: pc, file: start?.file ?? loc.file, line: start?.entry.line ?? loc.line, function: fn.name };
    // Stopping inside an inlined call: report the inlined function's declaration line, as gdb does.
    const chain = this.scopeAt(pc);
    let outerInline: Die | undefined;
    for (const d of chain) {
      if (d.tag === DW_TAG.inlined_subroutine) outerInline = d;
      else if (d.tag === DW_TAG.subprogram) break;
    }
    if (outerInline) {
      const decl = declPosition(outerInline, this);
      if (decl) {
        out.line = decl.line;
        if (decl.file) out.file = decl.file;
      }
    }
    return out;
  }

  /** gdb's find_function_start_sal for an entry address inside `fn` (itself or an inlined block). */
  private functionStart(entry: number, fn: FunctionInfo): CodeLocation {
    const sal = this.lookupLine(entry, fn.unit);
    const loc: CodeLocation = { address: entry, file: sal?.file ?? '', line: sal?.entry.line ?? 0, function: fn.name };
    if (this.locationsValid(fn.unit)) return loc;
    // A line entry that starts before the function says nothing about it.
    if (sal && sal.entry.address < entry) {
      loc.file = '';
      loc.line = 0;
    }
    return this.skipPrologueSal(loc, fn);
  }

  /** Where `break NAME` puts its first location (see breakpointLocationsForFunction). */
  breakpointAddressForFunction(name: string): CodeLocation | undefined {
    return this.breakpointLocationsForFunction(name)[0];
  }

  /**
   * All locations of `break NAME`: the post-prologue address of each function with that name, and
   * the entry of each inlined instance, sorted by address.
   */
  breakpointLocationsForFunction(name: string): CodeLocation[] {
    const idx = this.names();
    const out: CodeLocation[] = [];
    const seen = new Set<number>();
    const add = (l: CodeLocation) => {
      if (!seen.has(l.address)) {
        seen.add(l.address);
        out.push(l);
      }
    };
    for (const fn of idx.functionsByName.get(name) ?? []) add(this.functionStart(fn.entryPc, fn));
    for (const inl of idx.inlinesByName.get(name) ?? []) {
      const entry = inl.ranges[0][0];
      const outer = this.functionAt(entry);
      if (outer) add({ ...this.functionStart(entry, outer), function: inl.name });
    }
    return out.sort((a, b) => a.address - b.address);
  }

  // ---------------------------------------------------------------- functions, scopes, globals

  /** The per-unit symbol index (built by scanning the unit on first use). */
  unitIndex(unit: Unit): UnitIndex {
    // A skeleton's DIEs are its split unit's: index that unit (FunctionInfo.unit is the split unit).
    unit = unit.content;
    let i = this.unitIndexes.get(unit);
    if (!i) {
      i = indexUnit(unit);
      this.unitIndexes.set(unit, i);
    }
    return i;
  }

  private functionsOf(unit: Unit): FunctionInfo[] {
    unit = unit.content;
    let f = this.unitFunctions.get(unit);
    if (!f) {
      f = this.unitIndex(unit).functions.map((x) => new FunctionInfo(x));
      this.unitFunctions.set(unit, f);
    }
    return f;
  }

  private names(): NameIndex {
    if (this.nameIndex) return this.nameIndex;
    const idx: NameIndex = { functions: [], functionsByName: new Map(), inlinesByName: new Map(), globals: [], globalsByName: new Map(), typesByName: new Map() };
    const addKeys = <T>(map: Map<string, T[]>, keys: Iterable<string>, v: T) => {
      for (const k of keys) {
        const list = map.get(k);
        if (!list) map.set(k, [v]);
        else if (!list.includes(v)) list.push(v);
      }
    };
    for (const unit of this.dwarf.units) {
      const ui = this.unitIndex(unit);
      for (const tu of this.splitTypeUnits(unit)) for (const t of this.unitIndex(tu).types) addKeys(idx.typesByName, [t.name], t);
      if (!unit.isTypeUnit) {
        for (const f of this.functionsOf(unit)) {
          idx.functions.push(f);
          addKeys(idx.functionsByName, lookupKeys(f.name, f.linkageName), f);
        }
        for (const inl of ui.inlines) addKeys(idx.inlinesByName, lookupKeys(inl.name), inl);
        for (const v of ui.variables) {
          const g = new VariableInfo(v);
          idx.globals.push(g);
          addKeys(idx.globalsByName, lookupKeys(g.name, g.linkageName), g);
        }
      }
      for (const t of ui.types) addKeys(idx.typesByName, [t.name], t);
    }
    for (const unit of this.dwarf.typesUnits) for (const t of this.unitIndex(unit).types) addKeys(idx.typesByName, [t.name], t);
    this.nameIndex = idx;
    return idx;
  }

  /** Type units of the .dwo file holding a skeleton's split unit (gcc -gsplit-dwarf -fdebug-types-section). */
  private splitTypeUnits(unit: Unit): Unit[] {
    const split = unit.isTypeUnit ? undefined : unit.splitUnit();
    if (!split) return [];
    const d = split.dwarf;
    if (this.seenSplitFiles.has(d)) return [];
    this.seenSplitFiles.add(d);
    return d.typeUnits();
  }

  private readonly seenSplitFiles = new Set<Dwarf>();

  /**
   * Loads the split units (.dwo/.dwp) of every skeleton unit now, as gdb does when it reads a
   * program's symbols, and returns gdb's warnings for those not found ("Could not find DWO CU ...").
   * Without it they are loaded when first needed.
   */
  loadSplitUnits(): string[] {
    return this.dwarf.loadSplitUnits();
  }

  /** Every function with code, in unit order. */
  functions(): FunctionInfo[] {
    return this.names().functions;
  }

  /**
   * Functions named `name`: a C name, a qualified C++ name (`geo::Rect::area`), any trailing part of
   * one (`Rect::area`, `area`), a template name without its arguments (`twice`), or a linkage name.
   */
  functionsByName(name: string): FunctionInfo[] {
    return this.names().functionsByName.get(name) ?? [];
  }

  functionByName(name: string): FunctionInfo | undefined {
    return this.functionsByName(name)[0];
  }

  /**
   * The unit holding `main`, found as gdb sets its initial language: through the ELF symbol and the
   * address map, without the program's name index (which would cost a scan of all of .debug_info).
   */
  mainUnit(): Unit | undefined {
    const sym = this.elf.symbolByName('main');
    const unit = sym && sym.type === 'FUNC' ? this.unitForAddress(sym.value) : undefined;
    return unit ?? this.functionByName('main')?.unit;
  }

  /** The function containing `addr` (the innermost one when functions nest). */
  functionAt(addr: number): FunctionInfo | undefined {
    const unit = this.unitForAddress(addr);
    const candidates = unit ? [unit] : this.unmapped;
    let best: FunctionInfo | undefined;
    let bestSize = Infinity;
    for (const u of candidates) {
      for (const f of this.functionsOf(u)) {
        for (const [lo, hi] of f.ranges) {
          if (addr >= lo && addr < hi && hi - lo < bestSize) {
            best = f;
            bestSize = hi - lo;
          }
        }
      }
      if (best) break;
    }
    return best;
  }

  /**
   * The DIEs whose code contains `addr`, innermost first: lexical blocks, inlined subroutines and
   * the enclosing subprogram(s). Empty when no function covers the address.
   */
  scopeAt(addr: number): Die[] {
    const fn = this.functionAt(addr);
    if (!fn) return [];
    const chain: Die[] = [fn.die];
    let cur = fn.die;
    for (;;) {
      const next = cur.children.find(
        (c) => (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine || c.tag === DW_TAG.subprogram) && c.ranges().some(([lo, hi]) => addr >= lo && addr < hi),
      );
      if (!next) break;
      chain.push(next);
      cur = next;
    }
    return chain.reverse();
  }

  /** gdb's block_for_pc: innermost function, inlined call, or lexical block that declares symbols. */
  private gdbBlockAt(addr: number): number | undefined {
    for (const d of this.scopeAt(addr)) {
      if (d.tag !== DW_TAG.lexical_block || d.children.some(declaresSymbol)) return d.offset;
    }
    return undefined;
  }

  /** Variables at CU (or namespace) level: globals and file-level statics, with a location or value. */
  globals(): VariableInfo[] {
    return this.names().globals;
  }

  globalByName(name: string): VariableInfo | undefined {
    return this.names().globalsByName.get(name)?.[0];
  }

  // ---------------------------------------------------------------- types

  private types(): TypeResolver {
    if (!this.typeResolver) this.typeResolver = new TypeResolver();
    return this.typeResolver;
  }

  /** The resolved type of a type DIE (undefined die = void). */
  typeFromDie(die: Die | undefined): Type {
    return this.types().resolve(die);
  }

  /**
   * The resolved type of a variable, parameter, member or function DIE (DW_AT_type, found through
   * DW_AT_abstract_origin / DW_AT_specification when the DIE itself has none).
   */
  typeOf(die: Die): Type {
    return this.types().resolve(declaredType(die));
  }

  /**
   * A named type: `shape`, `struct shape`, `union number`, `enum color`, a typedef or base type name,
   * or a qualified C++ name (`geo::Rect`). Complete definitions are preferred over declarations.
   */
  typeByName(name: string): Type | undefined {
    const m = /^(struct|class|union|enum)\s+(.+)$/.exec(name.trim());
    const tags: number[] | undefined = m ? TAGS_FOR_KEYWORD[m[1]] : undefined;
    const base = m ? m[2].trim() : name.trim();
    const list = (this.names().typesByName.get(base) ?? []).filter((t) => !tags || tags.includes(t.tag));
    const pick = list.find((t) => !t.declaration) ?? list[0];
    if (!pick) return undefined;
    return this.typeFromDie(pick.unit.dieAt(pick.offset));
  }

  // ---------------------------------------------------------------- ELF symbols

  /** ELF symbol covering (or nearest function before) `addr`. */
  elfSymbolAt(addr: number): ElfSymbol | undefined {
    return this.elf.symbolAt(addr);
  }
}

const TAGS_FOR_KEYWORD: Record<string, number[]> = {
  struct: [DW_TAG.structure_type, DW_TAG.class_type],
  class: [DW_TAG.class_type, DW_TAG.structure_type],
  union: [DW_TAG.union_type],
  enum: [DW_TAG.enumeration_type],
};

/** The keys under which a (qualified) function name is found: every trailing component suffix, with and without template arguments. */
function lookupKeys(name: string, linkage?: string): string[] {
  const keys = new Set<string>();
  const parts = splitQualified(name);
  for (let i = 0; i < parts.length; i++) {
    const suffix = parts.slice(i).join('::');
    keys.add(suffix);
    keys.add(stripTemplateArgs(suffix));
  }
  if (linkage) keys.add(linkage);
  return [...keys];
}

/** Split `a::b<c::d>::e` at top-level `::`. */
function splitQualified(name: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '<' || c === '(') depth++;
    else if (c === '>' || c === ')') depth--;
    else if (c === ':' && name[i + 1] === ':' && depth === 0) {
      parts.push(name.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  parts.push(name.slice(start));
  return parts;
}

function stripTemplateArgs(name: string): string {
  let out = '';
  let depth = 0;
  for (const c of name) {
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (depth === 0) out += c;
  }
  return out.startsWith('operator') ? name : out;
}

/** File names of an object's line-program headers (see SymbolFile.walkLineHeaders). */
interface LineHeaderNames {
  /** Basename -> headers naming it inline (DW_FORM_string, DWARF 2-4). */
  inline: Map<string, Set<number>>;
  /** Basename -> string-section keys with that basename. */
  keysByBase: Map<string, Set<number>>;
  /** Answers so far (null: no header names it). */
  headersByBase: Map<string, Set<number> | null>;
}

/** The basename fileMatches compares ('' when a name has none, e.g. "dir/.."). */
function lineFileBase(name: string): string {
  const b = path.basename(path.normalize(name));
  return b === '.' || b === '..' ? '' : b;
}

/** Does a user-supplied file name designate `full` (exact, same basename, or a trailing path)? */
export function fileMatches(query: string, full: string): boolean {
  if (query === full) return true;
  const q = path.normalize(query);
  const f = path.normalize(full);
  if (path.isAbsolute(q)) return q === f;
  if (!q.includes('/')) return path.basename(f) === q;
  return f.endsWith('/' + q);
}

function declaresSymbol(d: Die): boolean {
  switch (d.tag) {
    case DW_TAG.variable:
    case DW_TAG.label:
    case DW_TAG.subprogram:
    case DW_TAG.enumeration_type:
    case DW_TAG.constant:
    case DW_TAG.imported_declaration:
    case DW_TAG.imported_module:
      return true;
    case DW_TAG.typedef:
    case DW_TAG.structure_type:
    case DW_TAG.class_type:
    case DW_TAG.union_type:
      return d.name !== undefined;
    default:
      return false;
  }
}

/** Declaration file/line of an inlined call's function (via its abstract origin and specification). */
function declPosition(inl: Die, sf: SymbolFile): { line: number; file?: string } | undefined {
  let d: Die | undefined = inl.ref(DW_AT.abstract_origin);
  for (let i = 0; d && i < 4; i++) {
    const line = d.num(DW_AT.decl_line);
    if (line !== undefined) {
      const fileIdx = d.num(DW_AT.decl_file);
      const prog = fileIdx !== undefined ? sf.dwarf.lineProgram(d.unit) : undefined;
      return { line, file: prog?.filePath(fileIdx!) };
    }
    d = d.ref(DW_AT.specification) ?? d.ref(DW_AT.abstract_origin);
  }
  return undefined;
}

/**
 * gdb's amd64_analyze_prologue for prologue skipping: after an optional `endbr64`, a
 * `push %rbp; mov %rsp,%rbp` frame setup is skipped; anything else is treated as frameless (entry).
 */
export function analyzeAmd64Prologue(elf: ElfFile, entry: number): number {
  const code = elf.bytesAt(entry, 12);
  if (!code) return entry;
  let p = 0;
  if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) p = 4;
  if (code[p] !== 0x55) return entry;
  const a = code[p + 1];
  const b = code[p + 2];
  const c = code[p + 3];
  if (a === 0x48 && ((b === 0x89 && c === 0xe5) || (b === 0x8b && c === 0xec))) return entry + p + 4;
  if ((a === 0x89 && b === 0xe5) || (a === 0x8b && b === 0xec)) return entry + p + 3;
  return entry;
}
