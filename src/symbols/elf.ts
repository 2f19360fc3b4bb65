// ELF64 (x86-64, little-endian) reader: headers, sections (with SHF_COMPRESSED / .zdebug inflation),
// program headers, symbol tables, notes (incl. core-file NT_PRSTATUS / NT_FILE), build-id, debuglink,
// PT_INTERP and DT_NEEDED. The file is read once into one Buffer; section data are zero-copy views.

import * as fs from 'fs';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import { DwarfError, Reader } from './reader';

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_GNU_BUILD_ID = 3;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_PIE = 0x08000000;

const EM_X86_64 = 62;
const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export type SymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'IFUNC' | 'OTHER';
export type SymbolBind = 'LOCAL' | 'GLOBAL' | 'WEAK' | 'OTHER';

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  type: SymbolType;
  bind: SymbolBind;
  /** Section header index (0 = undefined, 0xfff1 = SHN_ABS, 0xfff2 = SHN_COMMON). */
  shndx: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export interface CoreFileMapping {
  start: number;
  end: number;
  /** Offset in the file, in bytes. */
  fileOffset: number;
  path: string;
}

/** x86-64 `struct user_regs_struct` field order, as stored in NT_PRSTATUS. */
export const USER_REGS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type UserRegName = (typeof USER_REGS)[number];

export interface PrStatus {
  signal: number;
  /** pr_cursig: the signal that stopped the thread. */
  cursig: number;
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  regs: Record<UserRegName, bigint>;
}

const SYM_TYPES: SymbolType[] = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const SYM_BINDS: SymbolBind[] = ['LOCAL', 'GLOBAL', 'WEAK'];

export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly sections: ElfSection[];
  readonly segments: ElfSegment[];

  private readonly sectionIndex = new Map<string, number>();
  private readonly dataCache = new Map<number, Buffer>();
  private symbolCache?: { all: ElfSymbol[]; sorted: ElfSymbol[]; byName: Map<string, ElfSymbol> };

  /** Open and parse an ELF file. Throws ElfError for a missing file, a non-ELF or a non-x86-64 ELF. */
  static open(path: string): ElfFile {
    let data: Buffer;
    try {
      data = fs.readFileSync(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new ElfError(`${path}: no such file`);
      if (err.code === 'EISDIR') throw new ElfError(`${path}: is a directory`);
      throw new ElfError(`${path}: ${err.message}`);
    }
    return new ElfFile(path, data);
  }

  constructor(
    readonly path: string,
    readonly data: Buffer,
  ) {
    if (data.length < 16 || data.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${path}: not an ELF file`);
    if (data[4] !== 2 || data[5] !== 1) throw new ElfError(`${path}: not a 64-bit x86-64 ELF`);
    if (data.length < 64) throw new ElfError(`${path}: truncated ELF header`);
    this.type = data.readUInt16LE(16);
    this.machine = data.readUInt16LE(18);
    if (this.machine !== EM_X86_64) throw new ElfError(`${path}: not a 64-bit x86-64 ELF`);
    try {
      const r = new Reader(data, 'ELF header', 24);
      this.entry = r.u64();
      const phoff = r.u64();
      const shoff = r.u64();
      r.skip(4 + 2); // e_flags, e_ehsize
      const phentsize = r.u16();
      let phnum = r.u16();
      const shentsize = r.u16();
      let shnum = r.u16();
      let shstrndx = r.u16();
      // Extended numbering: the real counts live in section header 0.
      if (shoff !== 0 && (shnum === 0 || shstrndx === 0xffff || phnum === 0xffff)) {
        const s0 = new Reader(data, 'section headers', shoff, shoff + 64);
        s0.skip(32);
        const size0 = s0.u64();
        const link0 = s0.u32();
        const info0 = s0.u32();
        if (shnum === 0) shnum = size0;
        if (shstrndx === 0xffff) shstrndx = link0;
        if (phnum === 0xffff) phnum = info0;
      }
      this.sections = shoff === 0 ? [] : this.readSections(shoff, shentsize, shnum, shstrndx);
      this.segments = phoff === 0 ? [] : this.readSegments(phoff, phentsize, phnum);
    } catch (e) {
      if (e instanceof DwarfError) throw new ElfError(`${path}: corrupt ELF: ${e.message}`);
      throw e;
    }
    this.sections.forEach((s, i) => {
      if (s.name && !this.sectionIndex.has(s.name)) this.sectionIndex.set(s.name, i);
    });
  }

  private readSections(shoff: number, entsize: number, count: number, shstrndx: number): ElfSection[] {
    if (entsize < 64) throw new ElfError(`${this.path}: bad section header size ${entsize}`);
    const raw: (ElfSection & { nameOff: number })[] = [];
    for (let i = 0; i < count; i++) {
      const r = new Reader(this.data, 'section headers', shoff + i * entsize, shoff + i * entsize + 64);
      raw.push({
        nameOff: r.u32(),
        name: '',
        type: r.u32(),
        flags: r.u64(),
        addr: r.u64(),
        offset: r.u64(),
        size: r.u64(),
        link: r.u32(),
        info: r.u32(),
        addralign: r.u64(),
        entsize: r.u64(),
      });
    }
    const strtab = raw[shstrndx];
    if (strtab && strtab.offset + strtab.size <= this.data.length) {
      const names = this.data.subarray(strtab.offset, strtab.offset + strtab.size);
      for (const s of raw) {
        if (s.nameOff < names.length) {
          const nul = names.indexOf(0, s.nameOff);
          s.name = names.toString('utf8', s.nameOff, nul < 0 ? names.length : nul);
        }
      }
    }
    return raw.map(({ nameOff: _unused, ...s }) => s);
  }

  private readSegments(phoff: number, entsize: number, count: number): ElfSegment[] {
    if (entsize < 56) throw new ElfError(`${this.path}: bad program header size ${entsize}`);
    const out: ElfSegment[] = [];
    for (let i = 0; i < count; i++) {
      const r = new Reader(this.data, 'program headers', phoff + i * entsize, phoff + i * entsize + 56);
      out.push({
        type: r.u32(),
        flags: r.u32(),
        offset: r.u64(),
        vaddr: r.u64(),
        paddr: r.u64(),
        filesz: r.u64(),
        memsz: r.u64(),
        align: r.u64(),
      });
    }
    return out;
  }

  sectionByName(name: string): ElfSection | undefined {
    const i = this.sectionIndex.get(name);
    return i === undefined ? undefined : this.sections[i];
  }

  /**
   * The contents of a section: a zero-copy view of the file, or (for SHF_COMPRESSED sections and the
   * old `.zdebug_*` convention) the inflated bytes, decompressed once and cached. SHT_NOBITS sections
   * have no data. For a `.debug_*` name, a `.zdebug_*` section is used when the former is absent.
   */
  sectionData(name: string): Buffer | undefined {
    let i = this.sectionIndex.get(name);
    let gnuCompressed = false;
    if (i === undefined && name.startsWith('.debug_')) {
      i = this.sectionIndex.get('.z' + name.slice(1));
      gnuCompressed = i !== undefined;
    }
    if (i === undefined) return undefined;
    return this.sectionDataAt(i, gnuCompressed);
  }

  /** Contents of the section with header index `index` (see sectionData). */
  sectionDataAt(index: number, gnuCompressed = this.sections[index]?.name.startsWith('.zdebug_') ?? false): Buffer | undefined {
    const cached = this.dataCache.get(index);
    if (cached) return cached;
    const s = this.sections[index];
    if (!s || s.type === SHT_NOBITS || s.type === SHT_NULL) return undefined;
    if (s.offset + s.size > this.data.length) throw new ElfError(`${this.path}: section ${s.name} extends past the end of the file`);
    let buf = this.data.subarray(s.offset, s.offset + s.size);
    if (s.flags & SHF_COMPRESSED) buf = this.inflateElf(s, buf);
    else if (gnuCompressed) buf = this.inflateGnu(s, buf);
    this.dataCache.set(index, buf);
    return buf;
  }

  private inflateElf(s: ElfSection, buf: Buffer): Buffer {
    if (buf.length < 24) throw new ElfError(`${this.path}: section ${s.name}: truncated compression header`);
    const chType = buf.readUInt32LE(0);
    const size = Number(buf.readBigUInt64LE(8));
    if (chType === ELFCOMPRESS_ZSTD) return this.unzstd(s, buf.subarray(24), size);
    if (chType !== ELFCOMPRESS_ZLIB) throw new ElfError(`${this.path}: section ${s.name}: unknown compression type ${chType}`);
    return this.inflate(s, buf.subarray(24), size);
  }

  private inflateGnu(s: ElfSection, buf: Buffer): Buffer {
    if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'ZLIB') return buf;
    const size = Number(buf.readBigUInt64BE(4));
    return this.inflate(s, buf.subarray(12), size);
  }

  /**
   * ELFCOMPRESS_ZSTD (`-gz=zstd`, `objcopy --compress-debug-sections=zstd`): Node 20's zlib has no
   * zstd decoder, so the section goes through the `zstd` program (zstd package), once per section.
   */
  private unzstd(s: ElfSection, payload: Buffer, size: number): Buffer {
    let out: Buffer;
    try {
      out = execFileSync('zstd', ['-d', '-c', '-q'], { input: payload, maxBuffer: size + 4096, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      if (err.code === 'ENOENT') throw new ElfError(`${this.path}: section ${s.name}: zstd-compressed sections need the zstd program (Node's zlib has no zstd decoder)`);
      const why = err.stderr?.toString().trim() || err.message;
      throw new ElfError(`${this.path}: section ${s.name}: cannot decompress: ${why}`);
    }
    if (out.length !== size) throw new ElfError(`${this.path}: section ${s.name}: decompressed to ${out.length} bytes, header says ${size}`);
    return out;
  }

  private inflate(s: ElfSection, payload: Buffer, size: number): Buffer {
    let out: Buffer;
    try {
      out = zlib.inflateSync(payload);
    } catch (e) {
      throw new ElfError(`${this.path}: section ${s.name}: cannot decompress: ${(e as Error).message}`);
    }
    if (out.length !== size) throw new ElfError(`${this.path}: section ${s.name}: decompressed to ${out.length} bytes, header says ${size}`);
    return out;
  }

  /**
   * `len` bytes of the file's image at link-time address `addr` (from the PT_LOAD segment, or the
   * allocated section, that maps it), or undefined when the range is not backed by file contents.
   */
  bytesAt(addr: number, len: number): Buffer | undefined {
    for (const p of this.segments) {
      if (p.type === PT_LOAD && addr >= p.vaddr && addr + len <= p.vaddr + p.filesz) {
        const off = p.offset + (addr - p.vaddr);
        return off + len <= this.data.length ? this.data.subarray(off, off + len) : undefined;
      }
    }
    if (this.segments.length === 0) {
      for (const s of this.sections) {
        if (s.flags & SHF_ALLOC && s.type !== SHT_NOBITS && addr >= s.addr && addr + len <= s.addr + s.size) {
          const off = s.offset + (addr - s.addr);
          return off + len <= this.data.length ? this.data.subarray(off, off + len) : undefined;
        }
      }
    }
    return undefined;
  }

  get isPie(): boolean {
    if (this.type !== ET_DYN) return false;
    const flags1 = this.dynamicEntries().find((d) => d.tag === DT_FLAGS_1);
    if (flags1 && Number(flags1.value & BigInt(DF_1_PIE)) !== 0) return true;
    return this.interp !== undefined;
  }

  /** The program interpreter named by PT_INTERP (e.g. /lib64/ld-linux-x86-64.so.2). */
  get interp(): string | undefined {
    const seg = this.segments.find((p) => p.type === PT_INTERP);
    if (!seg || seg.offset + seg.filesz > this.data.length) return undefined;
    const raw = this.data.subarray(seg.offset, seg.offset + seg.filesz);
    const nul = raw.indexOf(0);
    return raw.toString('utf8', 0, nul < 0 ? raw.length : nul);
  }

  /** Raw .dynamic entries (tag, value). */
  dynamicEntries(): { tag: number; value: bigint }[] {
    const sec = this.sections.find((s) => s.name === '.dynamic');
    let buf: Buffer | undefined;
    if (sec) buf = this.sectionData('.dynamic');
    else {
      const seg = this.segments.find((p) => p.type === PT_DYNAMIC);
      if (seg && seg.offset + seg.filesz <= this.data.length) buf = this.data.subarray(seg.offset, seg.offset + seg.filesz);
    }
    if (!buf) return [];
    const out: { tag: number; value: bigint }[] = [];
    for (let off = 0; off + 16 <= buf.length; off += 16) {
      const tag = Number(buf.readBigInt64LE(off));
      if (tag === DT_NULL) break;
      out.push({ tag, value: buf.readBigUInt64LE(off + 8) });
    }
    return out;
  }

  /** DT_NEEDED library names, in order. */
  get dynamicNeeded(): string[] {
    const dyn = this.sectionByName('.dynamic');
    const strIndex = dyn ? dyn.link : this.sectionIndex.get('.dynstr');
    const strtab = strIndex === undefined ? undefined : this.sectionDataAt(strIndex);
    if (!strtab) return [];
    return this.dynamicEntries()
      .filter((d) => d.tag === DT_NEEDED)
      .map((d) => {
        const off = Number(d.value);
        const nul = strtab.indexOf(0, off);
        return off < strtab.length ? strtab.toString('utf8', off, nul < 0 ? strtab.length : nul) : '';
      });
  }

  /** The GNU build-id as lowercase hex, from .note.gnu.build-id (or any NT_GNU_BUILD_ID note). */
  get buildId(): string | undefined {
    const sec = this.sectionByName('.note.gnu.build-id');
    const notes = sec ? parseNotes(this.sectionData('.note.gnu.build-id')!, sec.addralign === 8 ? 8 : 4) : this.notes();
    const n = notes.find((x) => x.name === 'GNU' && x.type === NT_GNU_BUILD_ID);
    return n?.desc.toString('hex');
  }

  /** The .gnu_debuglink section: the separate debug file's name and its CRC32. */
  get debugLink(): { name: string; crc: number } | undefined {
    const buf = this.sectionData('.gnu_debuglink');
    if (!buf) return undefined;
    const nul = buf.indexOf(0);
    if (nul < 0) return undefined;
    const crcOff = (nul + 4) & ~3;
    if (crcOff + 4 > buf.length) return undefined;
    return { name: buf.toString('utf8', 0, nul), crc: buf.readUInt32LE(crcOff) };
  }

  /**
   * Notes from PT_NOTE segments (core files, executables), or from SHT_NOTE sections when the file
   * has no program headers (relocatable objects).
   */
  notes(): ElfNote[] {
    const out: ElfNote[] = [];
    const noteSegs = this.segments.filter((p) => p.type === PT_NOTE);
    if (noteSegs.length) {
      for (const p of noteSegs) {
        if (p.offset + p.filesz > this.data.length) throw new ElfError(`${this.path}: PT_NOTE segment extends past the end of the file`);
        out.push(...parseNotes(this.data.subarray(p.offset, p.offset + p.filesz), p.align === 8 ? 8 : 4));
      }
    } else {
      this.sections.forEach((s, i) => {
        if (s.type === SHT_NOTE) out.push(...parseNotes(this.sectionDataAt(i)!, s.addralign === 8 ? 8 : 4));
      });
    }
    return out;
  }

  /** Core files: the per-thread NT_PRSTATUS notes, decoded. */
  prstatus(): PrStatus[] {
    return this.notes()
      .filter((n) => n.type === NT_PRSTATUS && n.name === 'CORE')
      .map((n) => parsePrStatus(n.desc));
  }

  /** Core files: the file mappings from the NT_FILE note. */
  fileMappings(): CoreFileMapping[] {
    const n = this.notes().find((x) => x.type === NT_FILE && x.name === 'CORE');
    return n ? parseNtFile(n.desc) : [];
  }

  /** All symbols of .symtab, or of .dynsym when the file is stripped. */
  symbols(): ElfSymbol[] {
    return this.loadSymbols().all;
  }

  /** The symbol whose [value, value+size) contains addr, else the nearest preceding function symbol. */
  symbolAt(addr: number): ElfSymbol | undefined {
    const sorted = this.loadSymbols().sorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid].value <= addr) lo = mid + 1;
      else hi = mid;
    }
    let covering: ElfSymbol | undefined;
    let nearestFunc: ElfSymbol | undefined;
    for (let i = lo - 1; i >= 0 && i >= lo - 256; i--) {
      const s = sorted[i];
      if (s.size > 0 && addr < s.value + s.size) {
        if (!covering || rank(s) > rank(covering)) covering = s;
        if (rank(s) === 2) break;
      }
      if (!nearestFunc && (s.type === 'FUNC' || s.type === 'IFUNC')) nearestFunc = s;
      if (covering && nearestFunc) break;
    }
    return covering ?? nearestFunc;
  }

  /** A defined symbol by exact name (global definitions win over local ones). */
  symbolByName(name: string): ElfSymbol | undefined {
    return this.loadSymbols().byName.get(name);
  }

  private loadSymbols(): { all: ElfSymbol[]; sorted: ElfSymbol[]; byName: Map<string, ElfSymbol> } {
    if (this.symbolCache) return this.symbolCache;
    let idx = this.sections.findIndex((s) => s.type === SHT_SYMTAB);
    if (idx < 0) idx = this.sections.findIndex((s) => s.type === SHT_DYNSYM);
    const all = idx < 0 ? [] : this.readSymbolTable(idx);
    const sorted = all
      .filter((s) => s.shndx !== 0 && s.type !== 'SECTION' && s.type !== 'FILE' && s.name !== '' && s.type !== 'TLS')
      .sort((a, b) => a.value - b.value || b.size - a.size);
    const byName = new Map<string, ElfSymbol>();
    for (const s of all) {
      if (s.shndx === 0 || !s.name) continue;
      const prev = byName.get(s.name);
      if (!prev || (prev.bind === 'LOCAL' && s.bind !== 'LOCAL')) byName.set(s.name, s);
    }
    this.symbolCache = { all, sorted, byName };
    return this.symbolCache;
  }

  private readSymbolTable(index: number): ElfSymbol[] {
    const sec = this.sections[index];
    const data = this.sectionDataAt(index);
    const strtab = this.sectionDataAt(sec.link);
    if (!data || !strtab) return [];
    const entsize = sec.entsize || 24;
    const out: ElfSymbol[] = [];
    for (let off = 0; off + 24 <= data.length; off += entsize) {
      const nameOff = data.readUInt32LE(off);
      const info = data[off + 4];
      let name = '';
      if (nameOff > 0 && nameOff < strtab.length) {
        const nul = strtab.indexOf(0, nameOff);
        name = strtab.toString('utf8', nameOff, nul < 0 ? strtab.length : nul);
      }
      const t = info & 0xf;
      const b = info >> 4;
      out.push({
        name,
        type: t === 10 ? 'IFUNC' : (SYM_TYPES[t] ?? 'OTHER'),
        bind: b === 10 ? 'GLOBAL' : (SYM_BINDS[b] ?? 'OTHER'),
        shndx: data.readUInt16LE(off + 6),
        value: Number(data.readBigUInt64LE(off + 8)),
        size: Number(data.readBigUInt64LE(off + 16)),
      });
    }
    return out;
  }
}

function rank(s: ElfSymbol): number {
  return s.type === 'FUNC' || s.type === 'IFUNC' || s.type === 'OBJECT' ? 2 : 1;
}

/** Parse a run of ELF notes (Elf64_Nhdr + name + desc, each padded to `align`). */
export function parseNotes(buf: Buffer, align: 4 | 8 = 4): ElfNote[] {
  const out: ElfNote[] = [];
  const pad = (n: number) => Math.ceil(n / align) * align;
  let off = 0;
  while (off + 12 <= buf.length) {
    const namesz = buf.readUInt32LE(off);
    const descsz = buf.readUInt32LE(off + 4);
    const type = buf.readUInt32LE(off + 8);
    const nameStart = off + 12;
    // The descriptor (and the next note) start at the next `align` boundary of the note run.
    const descStart = pad(nameStart + namesz);
    if (descStart + descsz > buf.length) throw new ElfError(`note at offset 0x${off.toString(16)} extends past its segment`);
    let nameEnd = nameStart + namesz;
    while (nameEnd > nameStart && buf[nameEnd - 1] === 0) nameEnd--;
    out.push({ name: buf.toString('utf8', nameStart, nameEnd), type, desc: buf.subarray(descStart, descStart + descsz) });
    off = descStart + pad(descsz);
  }
  return out;
}

/** Decode an x86-64 NT_PRSTATUS descriptor (struct elf_prstatus). */
export function parsePrStatus(desc: Buffer): PrStatus {
  const REGS_OFF = 112;
  if (desc.length < REGS_OFF + USER_REGS.length * 8) throw new ElfError(`NT_PRSTATUS note too short (${desc.length} bytes)`);
  const regs = {} as Record<UserRegName, bigint>;
  USER_REGS.forEach((name, i) => {
    regs[name] = desc.readBigUInt64LE(REGS_OFF + i * 8);
  });
  return {
    signal: desc.readInt32LE(0),
    cursig: desc.readUInt16LE(12),
    pid: desc.readInt32LE(32),
    ppid: desc.readInt32LE(36),
    pgrp: desc.readInt32LE(40),
    sid: desc.readInt32LE(44),
    regs,
  };
}

/** Decode an NT_FILE descriptor: the core's file-backed mappings. */
export function parseNtFile(desc: Buffer): CoreFileMapping[] {
  try {
    const r = new Reader(desc, 'NT_FILE');
    const count = r.u64();
    const pageSize = r.u64();
    const ranges: [number, number, number][] = [];
    for (let i = 0; i < count; i++) ranges.push([r.u64(), r.u64(), r.u64()]);
    return ranges.map(([start, end, pgoff]) => ({ start, end, fileOffset: pgoff * pageSize, path: r.cstring() }));
  } catch (e) {
    if (e instanceof DwarfError) throw new ElfError(`corrupt NT_FILE note: ${e.message}`);
    throw e;
  }
}
