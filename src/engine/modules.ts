// Loaded objects of a debugged process: the program, the dynamic linker, shared libraries and the vDSO.
//
// - ObjectFile: one ELF file on disk with its symbols (DWARF from the file itself or from a separate
//   debug file found by build-id / .gnu_debuglink, as gdb looks for them) and its CFI. Cached per path and
//   modification time across sessions and restarts.
// - ModuleTable: the objects loaded in one process at their load bias. Filled at the exec stop from the
//   auxiliary vector (AT_ENTRY -> program bias, AT_BASE -> ld.so, AT_SYSINFO_EHDR -> vDSO) and kept in
//   sync with the dynamic linker's list (r_debug / link_map), read whenever the solib event breakpoint
//   on _dl_debug_state (r_brk) is hit.

import * as fs from 'fs';
import * as path from 'path';
import { ElfFile, ElfSymbol, SymbolFile } from '../symbols';
import type { CfiTable } from '../symbols/cfi';
import { cfiFromElf, UnwindModule } from '../symbols/unwind';
import type { ModuleInfo, ModuleKind } from './api';

const PT_LOAD = 1;
const PF_X = 1;
const DEBUG_ROOT = '/usr/lib/debug';

/** One ELF object and its symbols. */
export class ObjectFile {
  private cfiTable?: CfiTable | null;
  private pltInfo?: PltInfo | null;
  /** Link-time extent of the PT_LOAD segments and of the executable ones. */
  readonly low: number;
  readonly high: number;
  readonly textLow: number;
  readonly textHigh: number;
  /** The .text section's link-time [start, end) (gdb's From/To in `info sharedlibrary`). */
  readonly textSection: [number, number];
  /** gdb's warnings about the object's symbols, printed when it is loaded (e.g. a missing split-DWARF .dwo). */
  warnings: string[] = [];

  constructor(
    /** Path the object was loaded from. */
    readonly path: string,
    /** The object itself (code bytes, CFI, dynamic symbols). */
    readonly elf: ElfFile,
    /** DWARF and full symbol table: the separate debug file's when there is one. */
    readonly symbols: SymbolFile,
    /** Path of the separate debug file, if one was used. */
    readonly debugFile?: string,
  ) {
    const loads = elf.segments.filter((s) => s.type === PT_LOAD);
    this.low = loads.length ? Math.min(...loads.map((s) => s.vaddr)) : 0;
    this.high = loads.length ? Math.max(...loads.map((s) => s.vaddr + s.memsz)) : 0;
    const text = loads.filter((s) => (s.flags & PF_X) !== 0);
    this.textLow = text.length ? Math.min(...text.map((s) => s.vaddr)) : this.low;
    this.textHigh = text.length ? Math.max(...text.map((s) => s.vaddr + s.memsz)) : this.high;
    const sec = elf.sections.find((s) => s.name === '.text');
    this.textSection = sec && sec.size ? [sec.addr, sec.addr + sec.size] : [this.textLow, this.textHigh];
  }

  get hasDebugInfo(): boolean {
    return this.symbols.hasDebugInfo;
  }

  get cfi(): CfiTable | undefined {
    if (this.cfiTable === undefined) {
      try {
        this.cfiTable = cfiFromElf(this.elf, this.path);
      } catch {
        this.cfiTable = null;
      }
    }
    return this.cfiTable ?? undefined;
  }

  /** ELF symbol by name from the full symbol table (debug file) or the object's own. */
  elfSymbol(name: string) {
    return this.symbols.elf.symbolByName(name) ?? this.elf.symbolByName(name);
  }

  /** ELF function symbol covering a link-time address. */
  elfSymbolAt(addr: number) {
    const s = this.symbols.elf.symbolAt(addr) ?? this.elf.symbolAt(addr);
    return s;
  }

  private msyms?: ElfSymbol[];

  /**
   * gdb's minimal symbol for a code address: the nearest code symbol at or before it (its size is not
   * consulted), from the full symbol table.
   */
  msymbolAt(addr: number): ElfSymbol | undefined {
    if (!this.msyms) {
      const rank = (x: ElfSymbol) => (x.type === 'FUNC' || x.type === 'IFUNC' ? 2 : 0) + (x.bind === 'GLOBAL' ? 1 : 0);
      const all = [...this.symbols.elf.symbols(), ...(this.symbols.elf === this.elf ? [] : this.elf.symbols())];
      const list = all.filter((x) => x.shndx !== 0 && x.name && (x.type === 'FUNC' || x.type === 'IFUNC' || x.type === 'NOTYPE') && x.value >= this.textLow && x.value < this.textHigh);
      list.sort((a, b) => a.value - b.value || rank(a) - rank(b));
      this.msyms = list;
    }
    const list = this.msyms;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].value <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : undefined;
  }

  /** PLT sections and the jump-slot relocations of the object (for stepping through PLT stubs). */
  plt(): PltInfo | undefined {
    if (this.pltInfo === undefined) this.pltInfo = readPlt(this.elf) ?? null;
    return this.pltInfo ?? undefined;
  }
}

export interface PltInfo {
  /** Link-time [start, end) ranges of .plt, .plt.sec, .plt.got. */
  ranges: [number, number][];
  /** GOT slot (link-time) -> symbol name, from R_X86_64_JUMP_SLOT / GLOB_DAT relocations. */
  slots: Map<number, string>;
}

function readPlt(elf: ElfFile): PltInfo | undefined {
  const ranges: [number, number][] = [];
  for (const s of elf.sections) if (s.name === '.plt' || s.name === '.plt.sec' || s.name === '.plt.got') ranges.push([s.addr, s.addr + s.size]);
  if (!ranges.length) return undefined;
  const slots = new Map<number, string>();
  const dynsym = elf.sections.find((s) => s.name === '.dynsym');
  const symData = dynsym ? elf.sectionData('.dynsym') : undefined;
  const strData = dynsym ? elf.sectionData('.dynstr') : undefined;
  const symName = (i: number): string | undefined => {
    if (!symData || !strData || (i + 1) * 24 > symData.length) return undefined;
    const off = symData.readUInt32LE(i * 24);
    const end = strData.indexOf(0, off);
    return strData.toString('latin1', off, end < 0 ? undefined : end);
  };
  for (const secName of ['.rela.plt', '.rela.dyn']) {
    const data = elf.sectionData(secName);
    if (!data) continue;
    for (let p = 0; p + 24 <= data.length; p += 24) {
      const offset = Number(data.readBigUInt64LE(p));
      const info = data.readBigUInt64LE(p + 8);
      const type = Number(info & 0xffffffffn);
      const sym = Number(info >> 32n);
      // 7 = R_X86_64_JUMP_SLOT, 6 = R_X86_64_GLOB_DAT (.plt.got entries jump through those).
      if ((type === 7 || type === 6) && sym !== 0) {
        const name = symName(sym);
        if (name) slots.set(offset, name);
      }
    }
  }
  return { ranges, slots };
}

const objectCache = new Map<string, { mtime: number; size: number; obj: ObjectFile }>();

/**
 * Opens an object file with its symbols, using a separate debug file when the object has no DWARF:
 * /usr/lib/debug/.build-id/xx/yyyy.debug, then .gnu_debuglink next to the object, in its .debug
 * directory, and under /usr/lib/debug (gdb's order).
 */
export function openObject(file: string): ObjectFile {
  const st = fs.statSync(file);
  const hit = objectCache.get(file);
  if (hit && hit.mtime === st.mtimeMs && hit.size === st.size) return hit.obj;
  const elf = ElfFile.open(file);
  let symbols: SymbolFile;
  let dwarfProblem: string | undefined;
  try {
    symbols = new SymbolFile(elf);
  } catch (e) {
    // Unreadable DWARF (malformed unit headers, a section that cannot be decompressed): gdb warns and
    // goes on with the ELF symbols; so do we.
    dwarfProblem = (e as Error).message;
    symbols = new SymbolFile(elf, { withoutDwarf: true });
  }
  let debugFile: string | undefined;
  if (!symbols.hasDebugInfo) {
    for (const candidate of debugFileCandidates(file, elf)) {
      try {
        if (!fs.existsSync(candidate)) continue;
        // Lazy: a library's debug file is only read (and its sections inflated) when one of its
        // DWARF queries is made: a line, a variable or a name lookup that reaches it.
        const dbg = SymbolFile.open(candidate, { lazy: true });
        if (dbg.hasDebugInfo) {
          symbols = dbg;
          debugFile = candidate;
          break;
        }
      } catch {
        /* unusable debug file: keep looking */
      }
    }
  }
  const obj = new ObjectFile(file, elf, symbols, debugFile);
  if (dwarfProblem) obj.warnings.push(`${dwarfProblem} (no debugging symbols used from ${path.basename(file)})`);
  // Split DWARF (gcc -gsplit-dwarf): the .dwo files (or the .dwp) are read now, as gdb does when it
  // reads the symbols, so a missing one is reported when the program or library is loaded. A lazy
  // separate debug file is left alone (distribution debug files have no skeleton units).
  if (!debugFile && symbols.hasDebugInfo) {
    try {
      obj.warnings.push(...symbols.loadSplitUnits());
    } catch (e) {
      obj.warnings.push(`${file}: ${(e as Error).message}`);
    }
  }
  objectCache.set(file, { mtime: st.mtimeMs, size: st.size, obj });
  return obj;
}

function debugFileCandidates(file: string, elf: ElfFile): string[] {
  const out: string[] = [];
  const id = elf.buildId;
  if (id && id.length > 2) out.push(path.join(DEBUG_ROOT, '.build-id', id.slice(0, 2), id.slice(2) + '.debug'));
  const link = elf.debugLink;
  if (link) {
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch {
      /* keep */
    }
    const dir = path.dirname(real);
    if (link.name !== path.basename(real)) out.push(path.join(dir, link.name));
    out.push(path.join(dir, '.debug', link.name));
    out.push(path.join(DEBUG_ROOT, dir, link.name));
  }
  return out;
}

/** An object loaded in the process at a load bias. */
export class LoadedModule {
  readonly unwind: UnwindModule;
  constructor(
    readonly id: number,
    readonly obj: ObjectFile,
    readonly kind: ModuleKind,
    /** Run-time minus link-time address. */
    readonly bias: number,
    /** Address of its link_map entry, when known. */
    public lmAddr: number | undefined,
    /** Display path ("[vdso]" for the vDSO). */
    readonly path = obj.path,
  ) {
    const obj_ = obj;
    this.unwind = {
      path: this.path,
      loadBias: bias,
      start: obj.low + bias,
      end: obj.high + bias,
      get cfi() {
        return obj_.cfi;
      },
      functionBounds(pc: number) {
        const sym = obj_.elfSymbolAt(pc);
        if (!sym || (sym.type !== 'FUNC' && sym.type !== 'IFUNC') || sym.size === 0) return undefined;
        if (pc < sym.value || pc >= sym.value + sym.size) return undefined;
        return { start: sym.value, end: sym.value + sym.size };
      },
    };
  }

  get start(): number {
    return this.obj.low + this.bias;
  }

  get end(): number {
    return this.obj.high + this.bias;
  }

  get name(): string {
    return this.kind === 'vdso' ? '[vdso]' : path.basename(this.path);
  }

  get symbols(): SymbolFile {
    return this.obj.symbols;
  }

  contains(addr: number): boolean {
    return addr >= this.start && addr < this.end;
  }

  private infoMemo?: ModuleInfo;

  /** What `info sharedlibrary` / DAP `modules` show (fixed for the module's lifetime: built once, copied). */
  info(): ModuleInfo {
    const has = this.obj.hasDebugInfo;
    if (this.infoMemo?.hasDebugInfo !== has) this.infoMemo = this.buildInfo(has);
    return { ...this.infoMemo };
  }

  private buildInfo(has: boolean): ModuleInfo {
    return {
      id: this.id,
      name: this.name,
      path: this.path,
      kind: this.kind,
      base: this.bias,
      textStart: this.obj.textSection[0] + this.bias,
      textEnd: this.obj.textSection[1] + this.bias,
      symbolsLoaded: true,
      hasDebugInfo: has,
      symbolStatus: has ? (this.obj.debugFile ? `Symbols loaded from ${this.obj.debugFile}` : 'Symbols loaded.') : `(No debugging symbols found in ${this.name})`,
    };
  }
}

/** Memory reads the module table needs (the process is stopped). */
export interface ModuleMemory {
  read(addr: number, len: number): Buffer | undefined;
}

export interface ModuleChanges {
  added: LoadedModule[];
  removed: LoadedModule[];
}

const AT_BASE = 7;
const AT_ENTRY = 9;
const AT_SYSINFO_EHDR = 33;
const RT_CONSISTENT = 0;

/** Reads /proc/PID/auxv into a map. */
export function readAuxv(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/${pid}/auxv`);
  } catch {
    return out;
  }
  for (let p = 0; p + 16 <= buf.length; p += 16) {
    const type = Number(buf.readBigUInt64LE(p));
    if (type === 0) break;
    out.set(type, Number(buf.readBigUInt64LE(p + 8)));
  }
  return out;
}

/** The objects loaded in one process. */
export class ModuleTable {
  private list: LoadedModule[] = [];
  private nextId = 1;
  private interp?: LoadedModule;
  /** Run-time address of the dynamic linker's r_debug. */
  private rDebugAddr?: number;
  /** Run-time address of the solib event breakpoint (_dl_debug_state / r_brk). */
  solibEventAddr?: number;

  constructor(
    readonly pid: number,
    readonly program: ObjectFile,
    private readonly mem: ModuleMemory,
  ) {}

  get modules(): readonly LoadedModule[] {
    return this.list;
  }

  get programModule(): LoadedModule | undefined {
    return this.list.find((m) => m.kind === 'program');
  }

  /** The module whose mapped extent holds addr. */
  find(addr: number): LoadedModule | undefined {
    for (const m of this.list) if (m.contains(addr)) return m;
    return undefined;
  }

  /**
   * Initial set from the auxiliary vector: program (bias from AT_ENTRY), dynamic linker (AT_BASE) and
   * vDSO (AT_SYSINFO_EHDR). Then, if the dynamic linker has already run (attach), its list.
   */
  initialize(): ModuleChanges {
    const auxv = readAuxv(this.pid);
    const added: LoadedModule[] = [];
    const entry = auxv.get(AT_ENTRY);
    const progBias = entry !== undefined ? entry - this.program.elf.entry : this.biasFromMaps(this.program.path) ?? 0;
    added.push(this.add(this.program, 'program', progBias, undefined));
    const base = auxv.get(AT_BASE);
    const interpPath = this.program.elf.interp;
    if (base && interpPath) {
      try {
        const obj = openObject(interpPath);
        this.interp = this.add(obj, 'interpreter', base - obj.low, undefined);
        added.push(this.interp);
        const dbgState = obj.elfSymbol('_dl_debug_state');
        if (dbgState) this.solibEventAddr = dbgState.value + this.interp.bias;
        const rdebug = obj.elfSymbol('_r_debug');
        if (rdebug) this.rDebugAddr = rdebug.value + this.interp.bias;
      } catch {
        /* no interpreter symbols: no shared library tracking */
      }
    }
    const vdso = auxv.get(AT_SYSINFO_EHDR);
    if (vdso) {
      const image = readElfImage(this.mem, vdso);
      if (image) {
        try {
          const elf = new ElfFile('[vdso]', image);
          const obj = new ObjectFile('[vdso]', elf, new SymbolFile(elf));
          const load = elf.segments.find((s) => s.type === PT_LOAD);
          const bias = load ? vdso - (load.vaddr - load.offset) : vdso;
          added.push(this.add(obj, 'vdso', bias, undefined, '[vdso]'));
        } catch {
          /* unreadable vDSO: only costs its symbols and CFI */
        }
      }
    }
    const more = this.sync();
    return { added: [...added, ...more.added], removed: more.removed };
  }

  private biasFromMaps(file: string): number | undefined {
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch {
      /* keep */
    }
    try {
      for (const line of fs.readFileSync(`/proc/${this.pid}/maps`, 'utf8').split('\n')) {
        const parts = line.trim().split(/\s+/);
        if (parts[5] === real && parseInt(parts[2], 16) === 0) {
          const start = parseInt(parts[0].split('-')[0], 16);
          const first = this.program.elf.segments.find((s) => s.type === PT_LOAD);
          return first ? start - (first.vaddr - (first.vaddr % 4096)) : start;
        }
      }
    } catch {
      /* gone */
    }
    return undefined;
  }

  private add(obj: ObjectFile, kind: ModuleKind, bias: number, lm: number | undefined, display?: string): LoadedModule {
    const m = new LoadedModule(this.nextId++, obj, kind, bias, lm, display);
    this.list.push(m);
    this.list.sort((a, b) => a.start - b.start);
    return m;
  }

  /** Whether the dynamic linker's list is consistent now (r_state == RT_CONSISTENT). */
  consistent(): boolean {
    if (this.rDebugAddr === undefined) return false;
    const b = this.mem.read(this.rDebugAddr + 24, 4);
    return !!b && b.readInt32LE(0) === RT_CONSISTENT;
  }

  /**
   * Re-reads the dynamic linker's link_map list and adds/removes library modules. The program, the
   * interpreter and the vDSO are matched by load bias and never removed here.
   */
  sync(): ModuleChanges {
    const added: LoadedModule[] = [];
    const removed: LoadedModule[] = [];
    if (this.rDebugAddr === undefined) return { added, removed };
    const hdr = this.mem.read(this.rDebugAddr, 40);
    if (!hdr) return { added, removed };
    if (hdr.readInt32LE(0) === 0) return { added, removed }; // r_version 0: not initialised yet
    if (hdr.readInt32LE(24) !== RT_CONSISTENT) return { added, removed };
    let lm = Number(hdr.readBigUInt64LE(8));
    const seen = new Set<LoadedModule>();
    for (let guard = 0; lm !== 0 && guard < 4096; guard++) {
      const node = this.mem.read(lm, 40);
      if (!node) break;
      const lAddr = Number(node.readBigUInt64LE(0));
      const namePtr = Number(node.readBigUInt64LE(8));
      const next = Number(node.readBigUInt64LE(24));
      const name = namePtr ? readCString(this.mem, namePtr) : '';
      const existing = this.list.find((m) => m.lmAddr === lm || (m.kind !== 'library' && m.kind !== 'vdso' && m.bias === lAddr && (name === '' || samePath(m.path, name))));
      if (existing) {
        existing.lmAddr = lm;
        seen.add(existing);
      } else if (name && name.startsWith('/') ? fs.existsSync(name) : name && fs.existsSync(name)) {
        // A library: the same object at the same bias is the same module (re-read after dlclose+dlopen).
        const same = this.list.find((m) => m.kind === 'library' && m.bias === lAddr && samePath(m.path, name));
        if (same) {
          same.lmAddr = lm;
          seen.add(same);
        } else {
          try {
            const obj = openObject(path.resolve(name));
            const m = this.add(obj, 'library', lAddr, lm);
            added.push(m);
            seen.add(m);
          } catch {
            /* not an object we can read: skip */
          }
        }
      }
      lm = next;
    }
    for (const m of [...this.list]) {
      if (m.kind === 'library' && !seen.has(m)) {
        this.list.splice(this.list.indexOf(m), 1);
        removed.push(m);
      }
    }
    return { added, removed };
  }
}

function samePath(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

function readCString(mem: ModuleMemory, addr: number): string {
  const parts: Buffer[] = [];
  for (let i = 0; i < 16; i++) {
    // Stay within the page so a string ending near a page end does not fail the read.
    const chunk = Math.min(256, 4096 - ((addr + i * 256) % 4096));
    const b = mem.read(addr + parts.reduce((n, p) => n + p.length, 0), chunk);
    if (!b) break;
    const z = b.indexOf(0);
    if (z >= 0) {
      parts.push(b.subarray(0, z));
      break;
    }
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Reads an in-memory ELF image (the vDSO): its size is where its section headers end. */
function readElfImage(mem: ModuleMemory, addr: number): Buffer | undefined {
  const hdr = mem.read(addr, 64);
  if (!hdr || hdr.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const shoff = Number(hdr.readBigUInt64LE(40));
  const shentsize = hdr.readUInt16LE(58);
  const shnum = hdr.readUInt16LE(60);
  const size = Math.max(shoff + shentsize * shnum, 64);
  if (size > 1 << 20) return undefined;
  return mem.read(addr, size);
}
