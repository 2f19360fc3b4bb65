// gdb's line-table and minimal-symbol queries for the front-ends' `info line`, `-symbol-list-lines`,
// `info symbol` and disassembly before `run` (the MI interpreter; the DAP console may use them too).
//
// Everything works on the objects the session knows (the program before `run`, at link-time
// addresses as gdb shows a PIE then; every loaded object afterwards, at run-time addresses). The line
// tables are src/symbols' gdb-style ones (LineTable: per-file entries with end markers and gdb's
// is_stmt rules), so the answers follow gdb's symtab.c:
// - sourceLineTable: a symtab's linetable items (mi_cmd_symbol_list_lines), end markers included;
// - lineCode: find_line_pc + find_line_pc_range (`info line FILE:LINE`: the first statement entry of
//   the line, or of the next line with code when the line has none, which then "contains no code");
// - lineRangeAt: find_pc_sect_line (`info line *ADDR`, `info line FUNC`);
// - sectionSymbols: info_symbol_command over lookup_minimal_symbol_by_pc_section.

import { fileMatches } from '../symbols';
import { SHF_ALLOC, SHT_NOBITS } from '../symbols/elf';
import type { ElfSymbol, LineTable, SymbolFile, Unit } from '../symbols';
import type { ObjectFile } from './modules';
import { displayName, elfFunctionAt, lineAt } from './symbolize';
import { demangle } from './values/demangle';

/** An object file and where it is loaded (bias undefined: not loaded, link-time addresses). */
export interface LineTarget {
  obj: ObjectFile;
  bias: number | undefined;
  /** The object's name as gdb prints it (`of /lib/x86_64-linux-gnu/libc.so.6`). */
  path: string;
}

/** One item of a source file's line table (gdb's `linetable_entry`). */
export interface SourceLineRow {
  address: number;
  /** 0: end of a run of code of this file. */
  line: number;
  isStmt: boolean;
}

/** Where a source line's code is (`info line`). */
export interface LineCodeRange {
  /** gdb's symtab file name (as the producer recorded it), and the full path. */
  file: string;
  fullPath: string;
  line: number;
  /** The line's first code address and the end of its first range; equal when the line has no code. */
  start: number;
  end: number;
}

/** What `info symbol` prints for one match. */
export interface SectionSymbol {
  /** The minimal symbol's print name (demangled for C++). */
  name: string;
  offset: number;
  section: string;
  /** Path of the object holding it. */
  objfile: string;
}

interface FileTable {
  target: LineTarget;
  symbols: SymbolFile;
  unit: Unit;
  table: LineTable;
  file: number;
}

/** Line tables (unit, file) of `file` (a full path, basename or trailing path), in object and unit order. */
function tablesNaming(targets: LineTarget[], file: string): FileTable[] {
  const out: FileTable[] = [];
  for (const target of targets) {
    const symbols = target.obj.symbols;
    if (!symbols.hasDebugInfo) continue;
    for (const unit of symbols.dwarf.compileUnits()) {
      const table = symbols.lineTable(unit);
      if (!table) continue;
      table.files.forEach((f, i) => {
        if (fileMatches(file, f)) out.push({ target, symbols, unit, table, file: i });
      });
    }
  }
  return out;
}

/**
 * The line table of the first symtab named `file` (gdb's lookup_symtab), as -symbol-list-lines lists
 * it: every item in address order, non-statement rows and end markers (line 0) included. Undefined
 * when no line table names the file.
 */
export function sourceLineTable(targets: LineTarget[], file: string): SourceLineRow[] | undefined {
  const t = tablesNaming(targets, file)[0];
  if (!t) return undefined;
  const bias = t.target.bias ?? 0;
  return t.table.fileEntries(t.file).map((e) => ({ address: e.address + bias, line: e.line, isStmt: e.isStmt }));
}

/** find_pc_sect_line for a run-time (or, before `run`, link-time) address. */
export function lineRangeAt(targets: LineTarget[], address: number): { file: string; fullPath: string; line: number; start: number; end?: number; isStmt?: boolean } | undefined {
  for (const t of targets) {
    const bias = t.bias ?? 0;
    const link = address - bias;
    if (link < t.obj.low || link >= t.obj.high) continue;
    const l = lineAt({ obj: t.obj, bias, symbols: t.obj.symbols }, address);
    if (!l) return undefined;
    return { file: l.file, fullPath: l.fullPath, line: l.line, start: l.address, end: l.end, isStmt: l.isStmt };
  }
  return undefined;
}

/**
 * `info line FILE:LINE` (gdb's find_line_symtab, find_line_pc and find_line_pc_range): the first
 * statement entry of the line in the file's line tables (of the next line that has one when it has
 * none), and the range of the line-table entry there; a line without code of its own gets an empty
 * range at the code that follows it. Undefined when no line at or after `line` has code ("Line number
 * N is out of range"); throws `No source file named FILE.` when no line table names the file.
 */
export function lineCode(targets: LineTarget[], file: string, line: number): LineCodeRange | undefined {
  const tables = tablesNaming(targets, file);
  if (!tables.length) throw new Error(`No source file named ${file}.`);
  let hit: { t: FileTable; pc: number } | undefined;
  let best: { t: FileTable; line: number } | undefined;
  for (const t of tables) {
    const r = t.table.pcsForLine(t.file, line);
    if (r.pcs.length) {
      hit = { t, pc: r.pcs[0] };
      break;
    }
    if (r.bestLine !== undefined && (!best || r.bestLine < best.line)) best = { t, line: r.bestLine };
  }
  if (!hit && best) hit = { t: best.t, pc: best.t.table.pcsForLine(best.t.file, best.line).pcs[0] };
  if (!hit) return undefined;
  const bias = hit.t.target.bias ?? 0;
  const pc = hit.pc + bias;
  const found = lineAt({ obj: hit.t.target.obj, bias, symbols: hit.t.symbols }, pc);
  const fullPath = hit.t.table.files[hit.t.file];
  const name = displayName(hit.t.symbols, hit.t.unit, fullPath);
  if (!found || found.line !== line) {
    const at = found?.address ?? pc;
    return { file: name, fullPath, line, start: at, end: at };
  }
  return { file: name, fullPath, line, start: found.address, end: found.end ?? found.address };
}

/** The display name of the first symtab named `file` (for gdb's "out of range" message). */
export function symtabName(targets: LineTarget[], file: string): string | undefined {
  const t = tablesNaming(targets, file)[0];
  return t && displayName(t.symbols, t.unit, t.table.files[t.file]);
}

// ---------------------------------------------------------------- minimal symbols and sections

interface MinimalSymbols {
  /** Sorted by address, then name (gdb's minimal_symbol_is_less_than). */
  list: ElfSymbol[];
}

const msymCache = new WeakMap<ObjectFile, MinimalSymbols>();

function minimalSymbols(obj: ObjectFile): MinimalSymbols {
  let m = msymCache.get(obj);
  if (m) return m;
  const seen = new Set<string>();
  const list: ElfSymbol[] = [];
  for (const elf of obj.symbols.elf === obj.elf ? [obj.elf] : [obj.symbols.elf, obj.elf]) {
    for (const s of elf.symbols()) {
      // gdb's minimal symbols: named functions and objects (and untyped labels), not section, file
      // or absolute symbols.
      if (!s.name || s.shndx === 0 || s.shndx === 0xfff1 || s.shndx === 0xfff2) continue;
      if (s.type !== 'FUNC' && s.type !== 'IFUNC' && s.type !== 'OBJECT' && s.type !== 'NOTYPE' && s.type !== 'TLS') continue;
      if (s.type === 'TLS') continue;
      const key = `${s.name}@${s.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(s);
    }
  }
  list.sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  m = { list };
  msymCache.set(obj, m);
  return m;
}

/**
 * gdb's lookup_minimal_symbol_by_pc_section within one section [lo, hi): the last symbol at or before
 * `addr` (the greatest name among several at one address), preferring one with a size; a sized symbol
 * that ends before `addr` does not match unless a zero-sized one was passed on the way.
 */
function msymbolInSection(obj: ObjectFile, addr: number, lo: number, hi: number): ElfSymbol | undefined {
  const { list } = minimalSymbols(obj);
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (list[mid].value <= addr) a = mid + 1;
    else b = mid;
  }
  let i = a - 1;
  let zeroSized = -1;
  for (; i >= 0; i--) {
    const s = list[i];
    if (s.value < lo) {
      i = -1;
      break;
    }
    if (s.value >= hi) continue;
    if (s.size === 0) {
      if (zeroSized < 0) zeroSized = i;
      continue;
    }
    break;
  }
  if (zeroSized >= 0 && (i < 0 || list[i].size === 0)) i = zeroSized;
  if (i >= 0 && list[i].size !== 0 && addr >= list[i].value + list[i].size) {
    if (zeroSized >= 0) i = zeroSized;
    else return undefined;
  }
  return i >= 0 ? list[i] : undefined;
}

/**
 * `info symbol ADDR`: for each loaded object and each of its allocated sections holding the address,
 * the minimal symbol there (gdb's info_symbol_command). Empty: "No symbol matches".
 */
export function sectionSymbols(targets: LineTarget[], address: number): SectionSymbol[] {
  const out: SectionSymbol[] = [];
  for (const t of targets) {
    const link = address - (t.bias ?? 0);
    for (const sec of t.obj.elf.sections) {
      if ((sec.flags & SHF_ALLOC) === 0 || sec.size === 0) continue;
      if (link < sec.addr || link >= sec.addr + sec.size) continue;
      // gdb's synthetic minimal symbols for PLT stubs and GOT slots come first (sized, they beat the
      // zero-sized _GLOBAL_OFFSET_TABLE_); a GOT slot's print name is `puts@got[plt]`.
      const synthetic = elfFunctionAt(t.obj, link);
      if (synthetic && synthetic.name.includes('@')) {
        out.push({ name: synthetic.name.replace(/@got\.plt$/, '@got[plt]'), offset: link - synthetic.value, section: sec.name, objfile: t.path });
        continue;
      }
      const s = msymbolInSection(t.obj, link, sec.addr, sec.addr + sec.size);
      if (s) out.push({ name: demangle(s.name) ?? s.name, offset: link - s.value, section: sec.name, objfile: t.path });
    }
  }
  return out;
}

/**
 * Bytes of the object files' allocated sections at an address (gdb reads code and data from the files
 * before `run`; .bss is zeros), up to the end of the section holding it; undefined when the address is
 * in no allocated section.
 */
export function readFromFiles(targets: LineTarget[], address: number, count: number): Buffer | undefined {
  for (const t of targets) {
    const link = address - (t.bias ?? 0);
    const sec = t.obj.elf.sections.find((s) => (s.flags & SHF_ALLOC) !== 0 && s.addr !== 0 && link >= s.addr && link < s.addr + s.size);
    if (!sec) continue;
    const n = Math.min(count, sec.addr + sec.size - link);
    // .bss reads as zeros, as from gdb's exec target.
    if (sec.type === SHT_NOBITS) return Buffer.alloc(n);
    const data = t.obj.elf.sectionDataAt(t.obj.elf.sections.indexOf(sec));
    if (!data) return undefined;
    const off = link - sec.addr;
    return Buffer.from(data.subarray(off, off + n));
  }
  return undefined;
}
