// Run-time address -> module, function, source line (with gdb's file naming), for frames, stepping and
// breakpoint locations. All inputs and outputs here are run-time addresses; the load bias of the module
// is applied at this boundary.

import * as path from 'path';
import { DW_AT, DW_TAG, Die, FunctionInfo, SymbolFile, Unit } from '../symbols';
import { qualifiedName } from '../symbols/dwarf/unit-index';
import type { ObjectFile } from './modules';
import { pltSymbols, type NondebugSymbolMatch } from './symbol-search';

/** An object at a load bias (a LoadedModule, or the program before it runs with bias 0). */
export interface ModLike {
  readonly obj: ObjectFile;
  readonly bias: number;
  readonly symbols: SymbolFile;
}

export interface PcLine {
  /** File name as gdb shows it (as recorded in the line table). */
  file: string;
  /** Absolute (best-effort) path. */
  fullPath: string;
  line: number;
  column: number;
  /** Run-time start of the line-table entry containing the pc, and the start of the next entry. */
  address: number;
  end?: number;
  isStmt: boolean;
}

export interface PcFunction {
  name: string;
  /** Run-time entry address. */
  start: number;
  /** DWARF function, when there is debug info. */
  fn?: FunctionInfo;
}

const displayNames = new WeakMap<Unit, Map<string, string>>();

/** gdb's symtab file name for a line-table path of a unit: the name as the producer recorded it. */
export function displayName(symbols: SymbolFile, unit: Unit, fullPath: string): string {
  let map = displayNames.get(unit);
  if (!map) {
    map = new Map();
    displayNames.set(unit, map);
    const prog = symbols.dwarf.lineProgram(unit);
    if (prog) {
      for (const f of prog.header.files) {
        const full = prog.fullPath(f);
        if (map.has(full)) continue;
        let shown = f.name;
        if (!path.isAbsolute(f.name)) {
          const dir = prog.directoryOf(f);
          if (dir && !(prog.version < 5 && f.dirIndex === 0)) shown = `${dir}/${f.name}`;
        }
        map.set(full, shown);
      }
    }
  }
  return map.get(fullPath) ?? fullPath;
}

/** The line-table entry holding a run-time pc. */
export function lineAt(mod: ModLike, pc: number): PcLine | undefined {
  const sym = mod.symbols;
  if (!sym.hasDebugInfo) return undefined;
  const link = pc - mod.bias;
  const unit = sym.unitForAddress(link);
  if (!unit) {
    const l = sym.lineFor(link);
    if (!l || l.line === 0) return undefined;
    return { file: l.file, fullPath: l.file, line: l.line, column: l.column, address: l.address + mod.bias, end: l.end === undefined ? undefined : l.end + mod.bias, isStmt: true };
  }
  const table = sym.lineTable(unit);
  const hit = table?.lookup(link);
  if (!hit || hit.entry.line === 0) return undefined;
  return {
    file: displayName(sym, unit, hit.file),
    fullPath: hit.file,
    line: hit.entry.line,
    column: hit.entry.column,
    address: hit.entry.address + mod.bias,
    end: hit.end === undefined ? undefined : hit.end + mod.bias,
    isStmt: hit.entry.isStmt,
  };
}

/** The function holding a run-time pc: DWARF subprogram, else the ELF symbol covering it. */
export function functionAt(mod: ModLike, pc: number): PcFunction | undefined {
  const link = pc - mod.bias;
  if (mod.symbols.hasDebugInfo) {
    const fn = mod.symbols.functionAt(link);
    if (fn) return { name: functionName(fn), start: fn.entryPc + mod.bias, fn };
  }
  const sym = elfFunctionAt(mod.obj, link);
  if (sym) return { name: sym.name, start: sym.value + mod.bias };
  return undefined;
}

const CPLUS_LANGS = new Set([0x04, 0x19, 0x1a, 0x21, 0x2b, 0x2c]);

/** Whether a unit is C++ (names are qualified, linkage names are mangled). */
export function isCplus(unit: Unit): boolean {
  return CPLUS_LANGS.has(unit.language ?? -1);
}

/**
 * The name gdb shows for a function: for C++ the qualified name; for other languages the linkage name
 * when the producer recorded one (glibc's __GI___libc_write for __libc_write), else the name.
 */
export function functionName(fn: FunctionInfo): string {
  if (!isCplus(fn.unit) && fn.linkageName) return fn.linkageName;
  return fn.name;
}

/**
 * ELF function symbol for a link-time address (nearest preceding code symbol, as gdb's minimal
 * symbols). In the PLT, BFD's synthetic symbols gdb uses: a stub is `puts@plt` (the lazy-binding
 * header before the stubs has none), as gdb's disassembly and backtraces name them.
 */
export function elfFunctionAt(obj: ObjectFile, link: number) {
  const plt = obj.plt();
  if (plt && plt.ranges.some(([lo, hi]) => link >= lo && link < hi)) {
    let stubs = pltStubs.get(obj);
    if (!stubs) {
      stubs = pltSymbols(obj);
      pltStubs.set(obj, stubs);
    }
    const s = stubs.find((x) => link >= x.address && link < x.address + x.size);
    return s ? { name: s.name, value: s.address, size: s.size } : undefined;
  }
  // gdb's `puts@got.plt` for the jump slots of .got.plt (disassembly comments, `info symbol`).
  const got = plt ? obj.elf.sections.find((x) => x.name === '.got.plt') : undefined;
  if (plt && got && link >= got.addr && link < got.addr + got.size) {
    const slot = link - ((link - got.addr) % 8);
    const name = plt.slots.get(slot);
    return name ? { name: `${name}@got.plt`, value: slot, size: 8 } : undefined;
  }
  if (!inText(obj, link)) return undefined;
  return obj.msymbolAt(link);
}

const pltStubs = new WeakMap<ObjectFile, (NondebugSymbolMatch & { size: number })[]>();

function inText(obj: ObjectFile, link: number): boolean {
  return link >= obj.textLow && link < obj.textHigh;
}

/** Inlined-subroutine DIEs containing a link-time pc, innermost first (empty without inlining). */
export function inlineChain(sym: SymbolFile, link: number): Die[] {
  if (!sym.hasDebugInfo) return [];
  const chain = sym.scopeAt(link);
  const out: Die[] = [];
  for (const d of chain) {
    if (d.tag === DW_TAG.inlined_subroutine) out.push(d);
    else if (d.tag === DW_TAG.subprogram) break;
  }
  return out;
}

/** Qualified name of an inlined subroutine's function. */
export function inlineName(d: Die): string {
  const origin = d.ref(DW_AT.abstract_origin);
  if (origin && !isCplus(origin.unit)) {
    for (let o: Die | undefined = origin, i = 0; o && i < 4; i++) {
      const ln = o.value(DW_AT.linkage_name);
      if (typeof ln === 'string') return ln;
      o = o.ref(DW_AT.specification) ?? o.ref(DW_AT.abstract_origin);
    }
  }
  const q = origin ? qualifiedName(origin) : undefined;
  return q?.name ?? origin?.resolvedName() ?? '??';
}

/** Call site (file, line, column) of an inlined subroutine. */
export function callSite(sym: SymbolFile, d: Die): { file?: string; fullPath?: string; line?: number; column?: number } {
  const line = d.num(DW_AT.call_line);
  const col = d.num(DW_AT.call_column);
  const fileIdx = d.num(DW_AT.call_file);
  let fullPath: string | undefined;
  let file: string | undefined;
  if (fileIdx !== undefined) {
    const prog = sym.dwarf.lineProgram(d.unit);
    fullPath = prog?.filePath(fileIdx);
    if (fullPath) file = displayName(sym, d.unit, fullPath);
  }
  return { file, fullPath, line, column: col };
}
