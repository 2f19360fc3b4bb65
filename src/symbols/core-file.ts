// Reads Linux x86-64 ELF core files (ET_CORE), as written by the kernel or by gdb's
// `generate-core-file`: threads and their registers (NT_PRSTATUS), the mapped files (NT_FILE), the
// auxiliary vector (NT_AUXV), the signal (NT_SIGINFO) and memory (PT_LOAD segments, with the
// mapped files themselves supplying file-backed pages the core does not contain).
//
// Provides `UnwindMemory` and a module table, so a core file can be unwound without ptrace.

import * as fs from 'fs';
import { ElfFile, ET_CORE, NT_AUXV, NT_SIGINFO, PT_LOAD, ElfNote, UserRegName } from './elf';
import { MappedFile, ModuleMap, UnwindMemory, dwarfRegsFromUserRegRecord } from './unwind';

export interface CoreSegment {
  vaddr: number;
  memsz: number;
  filesz: number;
  offset: number;
  /** PF_X=1, PF_W=2, PF_R=4. */
  flags: number;
}

export interface CoreThread {
  tid: number;
  /** Signal that stopped the thread (pr_cursig). */
  signal: number;
  /** Registers by user_regs_struct field name. */
  userRegs: Record<UserRegName, bigint>;
  /** Registers by DWARF number (rip = 16, rsp = 7, ...). */
  regs: Map<number, bigint>;
}

export interface CoreSiginfo {
  signo: number;
  errno: number;
  code: number;
  /** si_addr, for fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP). */
  addr: number;
}

export class CoreFile implements UnwindMemory {
  readonly segments: CoreSegment[];
  readonly notes: ElfNote[];
  readonly threads: CoreThread[];
  readonly mappings: MappedFile[];
  readonly auxv = new Map<number, bigint>();
  readonly siginfo?: CoreSiginfo;
  private readonly fileCache = new Map<string, Buffer | null>();

  constructor(readonly elf: ElfFile) {
    if (elf.type !== ET_CORE) throw new Error(`${elf.path}: ELF type ${elf.type} is not ET_CORE`);
    this.segments = elf.segments
      .filter((p) => p.type === PT_LOAD)
      .map((p) => ({ vaddr: p.vaddr, memsz: p.memsz, filesz: p.filesz, offset: p.offset, flags: p.flags }))
      .sort((a, b) => a.vaddr - b.vaddr);
    this.notes = elf.notes();
    this.threads = elf.prstatus().map((p) => ({
      tid: p.pid,
      signal: p.cursig,
      userRegs: p.regs,
      regs: dwarfRegsFromUserRegRecord(p.regs),
    }));
    this.mappings = elf.fileMappings();
    for (const n of this.notes) {
      if (n.name !== 'CORE') continue;
      if (n.type === NT_AUXV) {
        for (let o = 0; o + 16 <= n.desc.length; o += 16) {
          const k = Number(n.desc.readBigUInt64LE(o));
          if (k === 0) break;
          this.auxv.set(k, n.desc.readBigUInt64LE(o + 8));
        }
      } else if (n.type === NT_SIGINFO && n.desc.length >= 24) {
        this.siginfo = {
          signo: n.desc.readInt32LE(0),
          errno: n.desc.readInt32LE(4),
          code: n.desc.readInt32LE(8),
          addr: Number(n.desc.readBigUInt64LE(16)),
        };
      }
    }
  }

  static open(path: string): CoreFile {
    return new CoreFile(ElfFile.open(path));
  }

  get path(): string {
    return this.elf.path;
  }

  private get data(): Buffer {
    return this.elf.data;
  }

  /** Reads target memory; file-backed pages absent from the core are read from the mapped file. */
  read(addr: number, len: number): Buffer | undefined {
    if (len === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const n = this.readSome(a, len - done, out, done);
      if (n <= 0) return undefined;
      done += n;
    }
    return out;
  }

  /** Copies as many bytes as one segment/mapping provides at `addr`; returns the count (0 = none). */
  private readSome(addr: number, len: number, out: Buffer, outOff: number): number {
    const seg = this.segmentAt(addr);
    if (seg && addr < seg.vaddr + seg.filesz) {
      const n = Math.min(len, seg.vaddr + seg.filesz - addr);
      const from = seg.offset + (addr - seg.vaddr);
      if (from + n > this.data.length) return 0; // truncated core
      this.data.copy(out, outOff, from, from + n);
      return n;
    }
    // Not dumped: try the file behind the mapping (read-only text/rodata are often omitted).
    const map = this.mappings.find((m) => addr >= m.start && addr < m.end);
    if (map) {
      const file = this.fileData(map.path);
      if (!file) return 0;
      const limit = Math.min(len, map.end - addr, seg ? seg.vaddr + seg.memsz - addr : Infinity);
      const from = map.fileOffset + (addr - map.start);
      const n = Math.min(limit, file.length - from);
      if (n <= 0) return 0;
      file.copy(out, outOff, from, from + n);
      return n;
    }
    return 0;
  }

  private segmentAt(addr: number): CoreSegment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid];
      if (addr < s.vaddr) hi = mid - 1;
      else if (addr >= s.vaddr + s.memsz) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  private fileData(path: string): Buffer | undefined {
    let b = this.fileCache.get(path);
    if (b === undefined) {
      try {
        b = fs.readFileSync(path);
      } catch {
        b = null;
      }
      this.fileCache.set(path, b);
    }
    return b ?? undefined;
  }

  /** The thread that received the signal (first NT_PRSTATUS), or a thread by id. */
  thread(tid?: number): CoreThread | undefined {
    return tid === undefined ? this.threads[0] : this.threads.find((t) => t.tid === tid);
  }
}

/** AT_SYSINFO_EHDR: address of the vDSO's ELF header in the auxiliary vector. */
export const AT_SYSINFO_EHDR = 33;

/**
 * The modules of a core file for the unwinder: every file-backed object of NT_FILE (CFI read from
 * the files on disk) plus the vDSO, whose image is read from the core's memory.
 */
export function coreModules(core: CoreFile, open: (path: string) => ElfFile | undefined = defaultOpen): ModuleMap {
  const map = new ModuleMap(core.mappings, open);
  const vdso = core.auxv.get(AT_SYSINFO_EHDR);
  if (vdso !== undefined && vdso !== 0n) {
    const image = readElfImage(core, Number(vdso));
    if (image) {
      try {
        const elf = new ElfFile('[vdso]', image);
        const load = elf.segments.find((p) => p.type === PT_LOAD);
        if (load) {
          const bias = Number(vdso) - (load.vaddr - load.offset);
          map.add('[vdso]', elf, bias, Number(vdso), Number(vdso) + image.length);
        }
      } catch {
        // An unreadable vDSO only costs its CFI.
      }
    }
  }
  return map;
}

function defaultOpen(path: string): ElfFile | undefined {
  try {
    return ElfFile.open(path);
  } catch {
    return undefined;
  }
}

/** Reads an in-memory ELF image (e.g. the vDSO): its size is where its section headers end. */
export function readElfImage(mem: UnwindMemory, addr: number): Buffer | undefined {
  const hdr = mem.read(addr, 64);
  if (!hdr || hdr.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const shoff = Number(hdr.readBigUInt64LE(40));
  const shentsize = hdr.readUInt16LE(58);
  const shnum = hdr.readUInt16LE(60);
  const size = Math.max(shoff + shentsize * shnum, 64);
  if (size > 1 << 24) return undefined;
  return mem.read(addr, size);
}
