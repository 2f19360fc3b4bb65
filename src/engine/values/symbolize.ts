// `<symbol+offset>` for addresses, the way gdb's print_address_symbolic finds it: the function
// (debug info) containing the address, else the ELF symbol of the same section that precedes it
// and covers it (gdb's lookup_minimal_symbol_by_pc_section, with its handling of zero-sized
// symbols).

import type { ElfSymbol } from '../../symbols';
import type { ModuleSymbols } from './api';
import { demangle } from './demangle';
import { typeName } from '../../symbols/types';
import { isCplusUnit } from './variables';

interface MsymTable {
  /** Allocated sections: [start, end) link-time, index. */
  sections: { start: number; end: number; index: number }[];
  /** The span of all of them: [lo, hi) (an address outside it, on the stack or the heap, is rejected at once). */
  lo: number;
  hi: number;
  /** Per section index: symbols sorted by address (built on the first address inside the module). */
  bySection?: Map<number, ElfSymbol[]>;
}

const tables = new WeakMap<object, MsymTable>();
const SHF_ALLOC = 2;

function table(m: ModuleSymbols): MsymTable {
  const elf = m.symbolFile.elf;
  let t = tables.get(elf);
  if (t) return t;
  const sections: MsymTable['sections'] = [];
  elf.sections.forEach((s, index) => {
    if (s.flags & SHF_ALLOC && s.size > 0 && s.addr !== 0) sections.push({ start: s.addr, end: s.addr + s.size, index });
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of sections) {
    if (x.start < lo) lo = x.start;
    if (x.end > hi) hi = x.end;
  }
  t = { sections, lo, hi };
  tables.set(elf, t);
  return t;
}

function symbolsBySection(m: ModuleSymbols): Map<number, ElfSymbol[]> {
  const t = table(m);
  if (t.bySection) return t.bySection;
  const elf = m.symbolFile.elf;
  const bySection = new Map<number, ElfSymbol[]>();
  for (const s of elf.symbols()) {
    if (s.shndx === 0 || s.shndx >= 0xff00 || s.name === '' || s.type === 'SECTION' || s.type === 'FILE') continue;
    let l = bySection.get(s.shndx);
    if (!l) bySection.set(s.shndx, (l = []));
    l.push(s);
  }
  for (const l of bySection.values()) l.sort((a, b) => a.value - b.value);
  t.bySection = bySection;
  return bySection;
}

function isText(s: ElfSymbol): boolean {
  return s.type === 'FUNC' || s.type === 'IFUNC';
}

/** gdb's lookup_minimal_symbol_by_pc_section for one module (link-time address). */
function minimalSymbol(m: ModuleSymbols, addr: number): ElfSymbol | undefined {
  const t = table(m);
  const sec = t.sections.find((s) => addr >= s.start && addr < s.end);
  if (!sec) return undefined;
  const syms = symbolsBySection(m).get(sec.index);
  if (!syms?.length) return undefined;
  let lo = 0;
  let hi = syms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (syms[mid].value <= addr) lo = mid + 1;
    else hi = mid;
  }
  let h = lo - 1;
  if (h < 0) return undefined;
  // Among symbols at the same address, gdb takes the last one in its sorted table; prefer a
  // sized, global one as its compaction does.
  let bestZero = -1;
  while (h >= 0) {
    if (syms[h].size === 0) {
      if (bestZero === -1) bestZero = h;
      h--;
      continue;
    }
    break;
  }
  if (bestZero !== -1 && (h < 0 || syms[h].size === 0)) h = bestZero;
  if (h >= 0 && syms[h].size !== 0 && addr >= syms[h].value + syms[h].size) {
    if (bestZero !== -1) h = bestZero;
    else return undefined;
  }
  if (h < 0) return undefined;
  // Several symbols at one address: prefer a global over a local, then the one with a size.
  const at = syms[h].value;
  let pick = syms[h];
  for (let i = h; i >= 0 && syms[i].value === at; i--) {
    const s = syms[i];
    if ((s.size !== 0 || pick.size === 0) && s.bind === 'GLOBAL' && pick.bind !== 'GLOBAL') pick = s;
  }
  return pick;
}

/** Name gdb prints for a function with debug info (C++: demangled linkage name with parameters). */
function functionPrintName(m: ModuleSymbols, linkPc: number, linkage = false): { name: string; entry: number } | undefined {
  const fn = m.symbolFile.functionAt(linkPc);
  if (!fn) return undefined;
  let name = fn.name;
  if (linkage && fn.linkageName) name = fn.linkageName;
  else if (fn.linkageName) {
    // gdb's physname: demangled without the return type of template functions.
    const d = demangle(fn.linkageName, { retDrop: true });
    if (d) name = d;
  } else if (isCplusUnit(fn.unit)) {
    // gdb's physname for a C++ function without a linkage name (main, extern "C"): name(params).
    const t = m.symbolFile.typeOf(fn.die);
    void t;
    const ft = m.symbolFile.typeFromDie(fn.die);
    const params = ft.kind === 'function' ? ft.params.map((p) => typeName(p)).join(', ') : '';
    name = `${fn.name}(${params})`;
  }
  return { name, entry: fn.entryPc };
}

export interface SymbolForOptions {
  /**
   * gdb's print_address (`info line`, `x/i`; `set print asm-demangle off`): linkage names, mangled for
   * C++ (`_ZNK5Mixed4peekEv`), and a C++ function without one by its physname (`main()`). Default:
   * print names, as pointers print (print_address_demangle).
   */
  linkageNames?: boolean;
}

/** `<name+off>` (without brackets: { name, offset }) for a runtime address, or undefined. */
export function symbolFor(addr: number, modules: ModuleSymbols[] | undefined, opts: SymbolForOptions = {}): { name: string; offset: number } | undefined {
  if (!modules) return undefined;
  for (const m of modules) {
    const link = addr - m.loadBias;
    const t = table(m);
    if (link < t.lo || link >= t.hi || !t.sections.some((s) => link >= s.start && link < s.end)) continue;
    let msym = minimalSymbol(m, link);
    const fn = functionPrintName(m, link, opts.linkageNames);
    // gdb ignores zero-sized data symbols here (section markers, _end, labels).
    if (msym && msym.size === 0 && !isText(msym)) msym = undefined;
    let name: string | undefined;
    let loc = 0;
    if (fn) {
      name = fn.name;
      loc = fn.entry;
    }
    if (msym && (!fn || (msym.value === link && fn.entry !== link))) {
      name = opts.linkageNames ? msym.name : (demangle(msym.name) ?? msym.name);
      loc = msym.value;
    }
    if (name === undefined) return undefined;
    return { name, offset: link - loc };
  }
  return undefined;
}

/** ` <name+off>` as gdb appends it after an address, or ''. */
export function symbolSuffix(addr: number, modules: ModuleSymbols[] | undefined): string {
  const s = symbolFor(addr, modules);
  if (!s) return '';
  return s.offset ? ` <${s.name}+${s.offset}>` : ` <${s.name}>`;
}
