// Main-thread side of system-call recording (recording.ts): installing the seccomp filters in a stopped
// program with injected system calls, and turning the vDSO's time functions into real system calls.
import * as fs from 'fs';
import { TargetError } from './errors';
import type { Inferior } from './target';
import { liveFilter, RecordingInfo, replayFilter, SECCOMP } from './recording';

const SYS = { mmap: 9, munmap: 11 } as const;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;
const EACCES = 13;

/** Installs a seccomp filter (struct sock_filter[] bytes) in the stopped single-threaded inferior. */
export async function installFilter(inf: Inferior, filter: Buffer): Promise<void> {
  const scratch = await inf.injectSyscall(SYS.mmap, [0, 4096, PROT_RW, MAP_PRIVATE_ANON, -1, 0]);
  if (scratch < 0n) throw new TargetError(`Cannot set up system-call recording: mmap failed in the program (errno ${-scratch}).`);
  const base = Number(scratch);
  try {
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(filter.length / 8, 0);
    fprog.writeBigUInt64LE(BigInt(base + 64), 8);
    inf.writeMemorySync(base + 64, filter);
    inf.writeMemorySync(base, fprog);
    let r = await inf.injectSyscall(SECCOMP.SYS_seccomp, [SECCOMP.SET_MODE_FILTER, 0, base]);
    if (r === BigInt(-EACCES)) {
      // Without CAP_SYS_ADMIN a filter needs no_new_privs (set-user-ID programs then exec without privileges).
      await inf.injectSyscall(SECCOMP.SYS_prctl, [SECCOMP.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]);
      r = await inf.injectSyscall(SECCOMP.SYS_seccomp, [SECCOMP.SET_MODE_FILTER, 0, base]);
    }
    if (r !== 0n) throw new TargetError(`Cannot set up system-call recording: seccomp() failed in the program (errno ${-r}).`);
  } finally {
    await inf.injectSyscall(SYS.munmap, [base, 4096]);
  }
}

/** The vDSO functions that answer without entering the kernel, and the system call each becomes. */
const VDSO_CALLS: Record<string, number> = {
  __vdso_clock_gettime: 228,
  clock_gettime: 228,
  __vdso_gettimeofday: 96,
  gettimeofday: 96,
  __vdso_time: 201,
  time: 201,
  __vdso_getcpu: 309,
  getcpu: 309,
};

/** [start, end) of the [vdso] mapping of a process, or undefined. */
export function vdsoRange(pid: number): [number, number] | undefined {
  const line = fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .find((l) => l.endsWith('[vdso]'));
  if (!line) return undefined;
  const [lo, hi] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
  return [lo, hi];
}

/** The dynamic symbols of an in-memory vDSO image: name -> run-time address. */
export function vdsoSymbols(image: Buffer, base: number): Map<string, number> {
  const out = new Map<string, number>();
  if (image.readUInt32BE(0) !== 0x7f454c46) return out;
  const phoff = Number(image.readBigUInt64LE(32));
  const shoff = Number(image.readBigUInt64LE(40));
  const phentsize = image.readUInt16LE(54);
  const phnum = image.readUInt16LE(56);
  const shentsize = image.readUInt16LE(58);
  const shnum = image.readUInt16LE(60);
  let loadVaddr = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (image.readUInt32LE(p) === 1) {
      loadVaddr = Number(image.readBigUInt64LE(p + 16));
      break;
    }
  }
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: image.readUInt32LE(o + 4), offset: Number(image.readBigUInt64LE(o + 24)), size: Number(image.readBigUInt64LE(o + 32)), link: image.readUInt32LE(o + 40) };
  };
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    if (s.type !== 11) continue; // SHT_DYNSYM
    const str = sh(s.link);
    for (let off = s.offset; off + 24 <= s.offset + s.size; off += 24) {
      const nameOff = image.readUInt32LE(off);
      const value = Number(image.readBigUInt64LE(off + 8));
      if (value === 0) continue;
      let end = str.offset + nameOff;
      while (end < image.length && image[end] !== 0) end++;
      const name = image.toString('latin1', str.offset + nameOff, end);
      out.set(name, base + value - loadVaddr);
    }
  }
  return out;
}

/**
 * Overwrites the vDSO's clock_gettime, gettimeofday, time and getcpu in the stopped program with
 * `mov $NR, %eax; syscall; ret`, so they enter the kernel (and the recording filter sees them). Returns
 * the names patched.
 */
export async function patchVdso(inf: Inferior): Promise<string[]> {
  const range = vdsoRange(inf.pid);
  if (!range) return [];
  const image = inf.readMemorySync(range[0], range[1] - range[0]);
  const syms = vdsoSymbols(image, range[0]);
  const done = new Set<number>();
  const names: string[] = [];
  for (const [name, nr] of Object.entries(VDSO_CALLS)) {
    const addr = syms.get(name);
    if (addr === undefined || done.has(addr)) continue;
    done.add(addr);
    const code = Buffer.from([0xb8, nr & 0xff, (nr >> 8) & 0xff, 0, 0, 0x0f, 0x05, 0xc3]);
    await inf.writeMemory(addr, code);
    names.push(name);
  }
  return names;
}

export interface RecordingOptions {
  /** Also stop at every write-type call to record its result (exact, but each write costs two stops). */
  recordWrites?: boolean;
}

/**
 * Starts recording the stopped, single-threaded program: the live filter, the vDSO patch, then the
 * recorder in 'record' mode. Returns the recording's state (its log id).
 */
export async function startRecording(inf: Inferior, opts: RecordingOptions = {}): Promise<RecordingInfo> {
  const threads = await inf.threads();
  if (threads.length > 1) {
    throw new TargetError('Reverse execution is not supported for multi-threaded programs (this process has ' + threads.length + ' threads).');
  }
  await installFilter(inf, liveFilter(opts.recordWrites));
  await patchVdso(inf);
  return (await inf.recording({ action: 'record', recordWrites: opts.recordWrites })) as RecordingInfo;
}

/**
 * Makes a fresh copy of a checkpoint replay log `log` from entry `cursor`: adds the filter for
 * write-type calls (so its output is not shown twice), then switches the recorder to 'replay'.
 */
export async function startReplay(inf: Inferior, log: number, cursor: number, opts: { addWriteFilter?: boolean } = {}): Promise<RecordingInfo> {
  if (opts.addWriteFilter !== false) await installFilter(inf, replayFilter());
  return (await inf.recording({ action: 'replay', log, cursor })) as RecordingInfo;
}

export async function recordingInfo(inf: Inferior): Promise<RecordingInfo> {
  return (await inf.recording({ action: 'info' })) as RecordingInfo;
}
