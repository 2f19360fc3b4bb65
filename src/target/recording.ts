// Recording and replay of the system calls whose results a re-execution cannot reproduce, so that a
// copy of the program resumed from a checkpoint runs exactly as the original did (reverse execution,
// src/engine/reverse/). See docs/reverse.md.
//
// Mechanism: a seccomp-bpf filter in the program returns SECCOMP_RET_TRACE for the listed system calls
// and ALLOW for all others (PTRACE_O_TRACESECCOMP turns TRACE into a ptrace stop): a system call that is
// not listed costs nothing, a listed one costs two stops (the seccomp stop at entry, and the syscall-exit
// stop where its result is read; PTRACE_SYSCALL would stop twice at EVERY system call: 34x slower on a
// write-heavy loop, measured in docs/reverse.md).
//
// - 'record' (the live program): at the seccomp stop the arguments are kept; the tracer resumes with
//   PTRACE_SYSCALL; at the exit stop rax and the bytes the call wrote into the program's buffers are
//   appended to the log.
//   A call interrupted by a stop or signal (-ERESTART* at its exit) is logged once, with the result of its
//   restart (the same syscall instruction again, or restart_syscall, which the filter traces too), or
//   with EINTR when a signal handler ended it (docs/reverse.md, "Pausing a program blocked in a system call").
// - 'replay' (a copy resumed from a checkpoint): at the seccomp stop the call is compared with the next
//   log entry (number and arguments: a mismatch is a divergence, reported as an error, never ignored),
//   then emulated: orig_rax = -1 skips it, rax and the buffers get the recorded values. A few calls are
//   executed instead, under control: mmap/mremap at the recorded address (MAP_FIXED_NOREPLACE), open
//   (O_CREAT/O_TRUNC/O_EXCL removed), kill/tgkill/tkill (the recorded pid translated to the copy's).
//   Writes (write, writev, send...) are not recorded but are emulated in replay (a second filter is
//   added to replay copies): the user already saw that output, and file descriptions are shared with
//   the live program.
//
// The filter is installed with injected system calls (prctl(PR_SET_NO_NEW_PRIVS) then
// seccomp(SECCOMP_SET_MODE_FILTER)) by src/engine/reverse/recorder-setup.ts; the vDSO's clock_gettime,
// gettimeofday, time and getcpu are overwritten there with `mov $NR, %eax; syscall; ret` so they become
// real, recordable system calls (rr does the same).
//
// This file is imported by the tracer worker (the stop handling) and by the main thread (tables, filter
// builder); it does no ptrace itself except through the TracerAccess the tracer hands it.
import { GPR_SIZE, gprOffset, GprName, ProcessMemory, PTRACE } from '../ptrace';
import { TargetError } from './errors';

// ------------------------------------------------------------------------------------------------
// The system calls

const ARG_REGS: GprName[] = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];

export interface Region {
  addr: number;
  len: number;
}

interface CallCtx {
  args: bigint[];
  mem: ProcessMemory;
  /** What entry() read before the call ran (the kernel may overwrite it). */
  state?: unknown;
}

/** How a recorded call is handled in replay. */
type ReplayClass =
  /** Skipped; rax and the recorded buffers written back. */
  | 'emulate'
  /** mmap/mremap: executed at the recorded address, the result checked. */
  | 'map'
  /** open/openat/creat: executed with O_CREAT/O_TRUNC/O_EXCL removed (or /dev/null), the fd checked. */
  | 'open'
  /** kill/tkill/tgkill: executed with the recorded pid replaced by the copy's; recorded result returned. */
  | 'kill'
  /** accept/accept4: an fd must exist afterwards: /dev/null is opened in its place, buffers restored. */
  | 'fd';

export interface SyscallSpec {
  nr: number;
  name: string;
  /** Arguments compared in replay (the others are not used by the call). */
  argc: number;
  replay: ReplayClass;
  /** Read at entry what outputs() needs that the call overwrites. */
  entry?(c: CallCtx): unknown;
  /** The program memory the call may have written (captured at exit when ret >= 0). */
  outputs?(c: CallCtx, ret: bigint): Region[];
}

/** A write-type call: not recorded, emulated in replay (the user saw the output already). */
export interface WriteSpec {
  nr: number;
  name: string;
  /** The value the emulated call returns (what a complete write returns). */
  result(c: CallCtx): bigint;
}

const n = (v: bigint) => Number(BigInt.asIntN(64, v));
const ptr = (v: bigint) => Number(BigInt.asUintN(64, v));
const pos = (ret: bigint) => (ret > 0n ? Number(ret) : 0);

/** iovec array at iovAddr, count entries: the regions, filled in order with `total` bytes. */
function iovRegions(mem: ProcessMemory, iovAddr: number, count: number, total: number): Region[] {
  const out: Region[] = [];
  if (iovAddr === 0 || count <= 0 || count > 1024) return out;
  const iov = Buffer.alloc(count * 16);
  try {
    mem.read(iovAddr, iov);
  } catch {
    return out;
  }
  let left = total;
  for (let i = 0; i < count && left > 0; i++) {
    const base = Number(iov.readBigUInt64LE(i * 16));
    const len = Number(iov.readBigUInt64LE(i * 16 + 8));
    const take = Math.min(len, left);
    if (take > 0) out.push({ addr: base, len: take });
    left -= take;
  }
  return out;
}

function iovTotal(mem: ProcessMemory, iovAddr: number, count: number): bigint {
  let total = 0n;
  if (iovAddr === 0 || count <= 0 || count > 1024) return 0n;
  const iov = Buffer.alloc(count * 16);
  try {
    mem.read(iovAddr, iov);
  } catch {
    return 0n;
  }
  for (let i = 0; i < count; i++) total += iov.readBigUInt64LE(i * 16 + 8);
  return total;
}

function readU32(mem: ProcessMemory, addr: number): number {
  if (addr === 0) return 0;
  const b = Buffer.alloc(4);
  try {
    mem.read(addr, b);
  } catch {
    return 0;
  }
  return b.readUInt32LE(0);
}

const opt = (addr: bigint, len: number): Region[] => (ptr(addr) !== 0 ? [{ addr: ptr(addr), len }] : []);

const readLike = (nr: number, name: string, argc: number): SyscallSpec => ({
  nr,
  name,
  argc,
  replay: 'emulate',
  outputs: (c, ret) => (ret > 0n ? [{ addr: ptr(c.args[1]), len: Number(ret) }] : []),
});

const readvLike = (nr: number, name: string, argc: number): SyscallSpec => ({
  nr,
  name,
  argc,
  replay: 'emulate',
  outputs: (c, ret) => iovRegions(c.mem, ptr(c.args[1]), n(c.args[2]), pos(ret)),
});

const retOnly = (nr: number, name: string, argc: number): SyscallSpec => ({ nr, name, argc, replay: 'emulate' });

interface MsgState {
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  control: number;
  controllen: number;
}

function readMsghdr(mem: ProcessMemory, addr: number): MsgState | undefined {
  const b = Buffer.alloc(56);
  try {
    mem.read(addr, b);
  } catch {
    return undefined;
  }
  return {
    name: Number(b.readBigUInt64LE(0)),
    namelen: b.readUInt32LE(8),
    iov: Number(b.readBigUInt64LE(16)),
    iovlen: Number(b.readBigUInt64LE(24)),
    control: Number(b.readBigUInt64LE(32)),
    controllen: Number(b.readBigUInt64LE(40)),
  };
}

/** The recorded system calls (the live filter traces these). */
export const RECORDED: SyscallSpec[] = [
  readLike(0, 'read', 3),
  readLike(17, 'pread64', 4),
  readvLike(19, 'readv', 3),
  readvLike(295, 'preadv', 5),
  readvLike(327, 'preadv2', 6),
  {
    nr: 45,
    name: 'recvfrom',
    argc: 6,
    replay: 'emulate',
    entry: (c) => readU32(c.mem, ptr(c.args[5])),
    outputs: (c, ret) => [...(ret > 0n ? [{ addr: ptr(c.args[1]), len: Number(ret) }] : []), ...opt(c.args[4], c.state as number), ...opt(c.args[5], 4)],
  },
  {
    nr: 47,
    name: 'recvmsg',
    argc: 3,
    replay: 'emulate',
    entry: (c) => readMsghdr(c.mem, ptr(c.args[1])),
    outputs: (c, ret) => {
      const m = c.state as MsgState | undefined;
      if (!m) return [];
      return [
        { addr: ptr(c.args[1]), len: 56 },
        ...(m.name ? [{ addr: m.name, len: m.namelen }] : []),
        ...(m.control ? [{ addr: m.control, len: m.controllen }] : []),
        ...iovRegions(c.mem, m.iov, m.iovlen, pos(ret)),
      ];
    },
  },
  {
    nr: 217,
    name: 'getdents64',
    argc: 3,
    replay: 'emulate',
    outputs: (c, ret) => (ret > 0n ? [{ addr: ptr(c.args[1]), len: Number(ret) }] : []),
  },
  // Time (the vDSO versions are patched into real system calls).
  { nr: 201, name: 'time', argc: 1, replay: 'emulate', outputs: (c) => opt(c.args[0], 8) },
  { nr: 96, name: 'gettimeofday', argc: 2, replay: 'emulate', outputs: (c) => [...opt(c.args[0], 16), ...opt(c.args[1], 8)] },
  { nr: 228, name: 'clock_gettime', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 16) },
  { nr: 309, name: 'getcpu', argc: 3, replay: 'emulate', outputs: (c) => [...opt(c.args[0], 4), ...opt(c.args[1], 4)] },
  { nr: 99, name: 'sysinfo', argc: 1, replay: 'emulate', outputs: (c) => opt(c.args[0], 112) },
  { nr: 100, name: 'times', argc: 1, replay: 'emulate', outputs: (c) => opt(c.args[0], 32) },
  { nr: 98, name: 'getrusage', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 144) },
  { nr: 35, name: 'nanosleep', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 16) },
  { nr: 230, name: 'clock_nanosleep', argc: 4, replay: 'emulate', outputs: (c) => opt(c.args[3], 16) },
  // Randomness and identity (a forked copy has another pid).
  { nr: 318, name: 'getrandom', argc: 3, replay: 'emulate', outputs: (c, ret) => (ret > 0n ? [{ addr: ptr(c.args[0]), len: Number(ret) }] : []) },
  retOnly(39, 'getpid', 0),
  retOnly(186, 'gettid', 0),
  retOnly(110, 'getppid', 0),
  retOnly(218, 'set_tid_address', 1),
  // File state that another process (or the live program, after the checkpoint) may have changed.
  retOnly(8, 'lseek', 3),
  { nr: 4, name: 'stat', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 144) },
  { nr: 5, name: 'fstat', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 144) },
  { nr: 6, name: 'lstat', argc: 2, replay: 'emulate', outputs: (c) => opt(c.args[1], 144) },
  { nr: 262, name: 'newfstatat', argc: 4, replay: 'emulate', outputs: (c) => opt(c.args[2], 144) },
  { nr: 332, name: 'statx', argc: 5, replay: 'emulate', outputs: (c) => opt(c.args[4], 256) },
  { nr: 7, name: 'poll', argc: 3, replay: 'emulate', outputs: (c) => opt(c.args[0], Math.min(n(c.args[1]), 4096) * 8) },
  {
    nr: 271,
    name: 'ppoll',
    argc: 5,
    replay: 'emulate',
    outputs: (c) => [...opt(c.args[0], Math.min(n(c.args[1]), 4096) * 8), ...opt(c.args[2], 16)],
  },
  {
    nr: 23,
    name: 'select',
    argc: 5,
    replay: 'emulate',
    outputs: (c) => {
      const bytes = Math.ceil(Math.min(Math.max(n(c.args[0]), 0), 65536) / 64) * 8;
      return [...opt(c.args[1], bytes), ...opt(c.args[2], bytes), ...opt(c.args[3], bytes), ...opt(c.args[4], 16)];
    },
  },
  {
    nr: 270,
    name: 'pselect6',
    argc: 6,
    replay: 'emulate',
    outputs: (c) => {
      const bytes = Math.ceil(Math.min(Math.max(n(c.args[0]), 0), 65536) / 64) * 8;
      return [...opt(c.args[1], bytes), ...opt(c.args[2], bytes), ...opt(c.args[3], bytes), ...opt(c.args[4], 16)];
    },
  },
  { nr: 232, name: 'epoll_wait', argc: 4, replay: 'emulate', outputs: (c, ret) => opt(c.args[1], pos(ret) * 12) },
  { nr: 281, name: 'epoll_pwait', argc: 6, replay: 'emulate', outputs: (c, ret) => opt(c.args[1], pos(ret) * 12) },
  { nr: 441, name: 'epoll_pwait2', argc: 6, replay: 'emulate', outputs: (c, ret) => opt(c.args[1], pos(ret) * 12) },
  { nr: 128, name: 'rt_sigtimedwait', argc: 4, replay: 'emulate', outputs: (c) => opt(c.args[1], 128) },
  // Other processes: children, connections.
  { nr: 61, name: 'wait4', argc: 4, replay: 'emulate', outputs: (c) => [...opt(c.args[1], 4), ...opt(c.args[3], 144)] },
  { nr: 247, name: 'waitid', argc: 5, replay: 'emulate', outputs: (c) => [...opt(c.args[2], 128), ...opt(c.args[4], 144)] },
  retOnly(57, 'fork', 0),
  retOnly(58, 'vfork', 0),
  retOnly(56, 'clone', 5),
  retOnly(435, 'clone3', 2),
  retOnly(42, 'connect', 3),
  {
    nr: 43,
    name: 'accept',
    argc: 3,
    replay: 'fd',
    entry: (c) => readU32(c.mem, ptr(c.args[2])),
    outputs: (c) => [...opt(c.args[1], c.state as number), ...opt(c.args[2], 4)],
  },
  {
    nr: 288,
    name: 'accept4',
    argc: 4,
    replay: 'fd',
    entry: (c) => readU32(c.mem, ptr(c.args[2])),
    outputs: (c) => [...opt(c.args[1], c.state as number), ...opt(c.args[2], 4)],
  },
  { nr: 62, name: 'kill', argc: 2, replay: 'kill' },
  { nr: 200, name: 'tkill', argc: 2, replay: 'kill' },
  { nr: 234, name: 'tgkill', argc: 3, replay: 'kill' },
  // Address-space layout: executed again at the recorded address.
  { nr: 9, name: 'mmap', argc: 6, replay: 'map' },
  { nr: 25, name: 'mremap', argc: 5, replay: 'map' },
  // Files opened again in replay (their contents are emulated anyway): never created or truncated.
  { nr: 2, name: 'open', argc: 3, replay: 'open' },
  { nr: 257, name: 'openat', argc: 4, replay: 'open' },
  { nr: 85, name: 'creat', argc: 2, replay: 'open' },
  // Changes to the file system: done once, by the live program; emulated in replay.
  ...(
    [
      [87, 'unlink', 1],
      [263, 'unlinkat', 3],
      [82, 'rename', 2],
      [264, 'renameat', 4],
      [316, 'renameat2', 5],
      [83, 'mkdir', 2],
      [258, 'mkdirat', 3],
      [84, 'rmdir', 1],
      [76, 'truncate', 2],
      [77, 'ftruncate', 2],
      [285, 'fallocate', 4],
      [90, 'chmod', 2],
      [91, 'fchmod', 2],
      [268, 'fchmodat', 3],
      [92, 'chown', 3],
      [93, 'fchown', 3],
      [94, 'lchown', 3],
      [260, 'fchownat', 5],
      [86, 'link', 2],
      [265, 'linkat', 5],
      [88, 'symlink', 2],
      [266, 'symlinkat', 3],
      [280, 'utimensat', 4],
      [74, 'fsync', 1],
      [75, 'fdatasync', 1],
    ] as [number, string, number][]
  ).map(([nr, name, argc]) => retOnly(nr, name, argc)),
];

/** Output calls, emulated in replay copies (never executed twice). */
export const WRITES: WriteSpec[] = [
  { nr: 1, name: 'write', result: (c) => c.args[2] },
  { nr: 18, name: 'pwrite64', result: (c) => c.args[2] },
  { nr: 20, name: 'writev', result: (c) => iovTotal(c.mem, ptr(c.args[1]), n(c.args[2])) },
  { nr: 296, name: 'pwritev', result: (c) => iovTotal(c.mem, ptr(c.args[1]), n(c.args[2])) },
  { nr: 328, name: 'pwritev2', result: (c) => iovTotal(c.mem, ptr(c.args[1]), n(c.args[2])) },
  { nr: 44, name: 'sendto', result: (c) => c.args[2] },
  {
    nr: 46,
    name: 'sendmsg',
    result: (c) => {
      const m = readMsghdr(c.mem, ptr(c.args[1]));
      return m ? iovTotal(c.mem, m.iov, m.iovlen) : 0n;
    },
  },
  { nr: 40, name: 'sendfile', result: (c) => c.args[3] },
  { nr: 326, name: 'copy_file_range', result: (c) => c.args[4] },
];

const RECORDED_BY_NR = new Map(RECORDED.map((s) => [s.nr, s]));
const WRITES_BY_NR = new Map(WRITES.map((s) => [s.nr, s]));

export function syscallName(nr: number): string {
  return RECORDED_BY_NR.get(nr)?.name ?? WRITES_BY_NR.get(nr)?.name ?? `syscall ${nr}`;
}

// ------------------------------------------------------------------------------------------------
// The seccomp-bpf filters

const BPF = { LD_W_ABS: 0x20, JEQ_K: 0x15, RET_K: 0x06 } as const;
const SECCOMP_RET_TRACE = 0x7ff00000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
export const SECCOMP = { SET_MODE_FILTER: 1, SYS_seccomp: 317, SYS_prctl: 157, PR_SET_NO_NEW_PRIVS: 38 } as const;

function insn(code: number, jt: number, jf: number, k: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(code, 0);
  b[2] = jt;
  b[3] = jf;
  b.writeUInt32LE(k >>> 0, 4);
  return b;
}

/**
 * A filter that traces the given system call numbers (x86-64 ABI) and allows everything else. Returns
 * the struct sock_filter array (8 bytes per instruction).
 */
export function buildFilter(nrs: number[]): Buffer {
  const list = [...new Set(nrs)].sort((a, b) => a - b);
  const prog: Buffer[] = [];
  prog.push(insn(BPF.LD_W_ABS, 0, 0, 4)); // arch
  prog.push(insn(BPF.JEQ_K, 1, 0, AUDIT_ARCH_X86_64));
  prog.push(insn(BPF.RET_K, 0, 0, SECCOMP_RET_ALLOW));
  prog.push(insn(BPF.LD_W_ABS, 0, 0, 0)); // nr
  // One compare per call: jump to the TRACE return (after the ALLOW) on a match.
  list.forEach((nr, i) => {
    const toTrace = list.length - i; // instructions to skip: the rest of the compares and the ALLOW
    prog.push(insn(BPF.JEQ_K, toTrace, 0, nr));
  });
  prog.push(insn(BPF.RET_K, 0, 0, SECCOMP_RET_ALLOW));
  prog.push(insn(BPF.RET_K, 0, 0, SECCOMP_RET_TRACE));
  if (prog.length > 255) throw new Error('seccomp filter too long');
  return Buffer.concat(prog);
}

/** The live program's filter: every recorded call (and write-type calls too when writes are recorded). */
export function liveFilter(recordWrites = false): Buffer {
  return buildFilter([...RECORDED.map((s) => s.nr), SYS_RESTART_SYSCALL, ...(recordWrites ? WRITES.map((w) => w.nr) : [])]);
}

/** The filter added to replay copies: the write-type calls (the recorded ones are traced already). */
export function replayFilter(): Buffer {
  return buildFilter(WRITES.map((w) => w.nr));
}

// ------------------------------------------------------------------------------------------------
// The log

export interface RecordedSyscall {
  nr: number;
  args: bigint[];
  /** rax after the call (a negative errno on failure). */
  ret: bigint;
  /** What the call wrote into the program's memory. */
  out: { addr: number; data: Buffer }[];
  /** The program counter after the syscall instruction. */
  pc: number;
}

export class SyscallLog {
  readonly entries: RecordedSyscall[] = [];
  bytes = 0;
  constructor(
    readonly id: number,
    /** The pid (and tid) of the recorded program: replays translate it. */
    readonly pid: number,
  ) {}
  push(e: RecordedSyscall): void {
    this.entries.push(e);
    this.bytes += 64 + e.out.reduce((s, o) => s + o.data.length + 16, 0);
  }
}

/** Protocol: what the main thread asks of the recorder (Inferior.recording()). */
export type RecordingAction =
  /** Starts recording this process into a new log (the filter is installed already). */
  | { action: 'record'; recordWrites?: boolean }
  /** Makes this process (a fresh copy of a checkpoint) replay log `log` from entry `cursor`. */
  | { action: 'replay'; log: number; cursor: number }
  /** Back to executing every system call (a process that is not under reverse execution). */
  | { action: 'off' }
  /** Where the process is in its log. */
  | { action: 'info' }
  /** Log entries [from, to) (for tests and `info record`). */
  | { action: 'entries'; log: number; from: number; to: number }
  /** Drops a log (the recording is over). */
  | { action: 'drop'; log: number };

export interface RecordingInfo {
  mode: 'record' | 'replay' | 'off';
  log?: number;
  /** record: entries so far; replay: the next entry to replay. */
  cursor: number;
  /** Entries in the log. */
  length: number;
  bytes: number;
  /** Write-type calls emulated in replay so far (output suppressed). */
  suppressedWrites: number;
  /** The recording stopped being valid (a thread was created, exec): why. */
  broken?: string;
}

export class ReplayDivergenceError extends TargetError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayDivergenceError';
  }
}

// ------------------------------------------------------------------------------------------------
// The recorder (tracer worker side)

/** What the tracer lends the recorder. */
export interface TracerAccess {
  memory(pid: number): ProcessMemory;
  getRegs(tid: number, buf: Buffer): void;
  setRegs(tid: number, buf: Buffer): void;
}

interface Pending {
  spec?: SyscallSpec;
  nr: number;
  args: bigint[];
  ctx: CallCtx;
  /** record: append at exit. check: compare rax with expect, then set rax to setRet. */
  phase: 'record' | 'check';
  expect?: bigint;
  setRet?: bigint;
  out?: { addr: number; data: Buffer }[];
  index?: number;
}

/** A recorded call that returned -ERESTART* at its exit: the kernel restarts it, or the program gets EINTR. */
interface Interrupted {
  p: Pending;
  /** The -ERESTART* value (positive). */
  errno: bigint;
  /** rip after the syscall instruction (a re-execution enters the kernel at the same pc). */
  pc: number;
  /** What the call had written when it was interrupted (nanosleep's remaining time): logged if it ends in EINTR. */
  out: { addr: number; data: Buffer }[];
}

interface ProcState {
  mode: 'record' | 'replay';
  log: SyscallLog;
  cursor: number;
  recordWrites: boolean;
  pending?: Pending;
  /** record: the last recorded call was interrupted and not yet resolved (see onSeccomp, onExit). */
  interrupted?: Interrupted;
  suppressedWrites: number;
  broken?: string;
}

const RESTART_ERRNOS = new Set([512n, 513n, 514n, 516n]); // ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK
const ERESTARTNOHAND = 514n;
const ERESTART_RESTARTBLOCK = 516n;
const EINTR = 4n;
/**
 * restart_syscall: how the kernel resumes a call interrupted with -ERESTART_RESTARTBLOCK (nanosleep,
 * clock_nanosleep, poll with a timeout, ...) when no signal handler runs: rip goes back to the syscall
 * instruction with rax = 219, and the call's own continuation (restart_block) runs with the time left.
 * The live filter traces it so that its result is recorded as the interrupted call's.
 */
export const SYS_RESTART_SYSCALL = 219;
const MAP_FIXED = 0x10n;
const MAP_FIXED_NOREPLACE = 0x100000n;
const MREMAP_MAYMOVE = 1n;
const MREMAP_FIXED = 2n;
const O_CREAT = 0x40n;
const O_EXCL = 0x80n;
const O_TRUNC = 0x200n;
const O_ACCMODE = 3n;
const AT_FDCWD = -100n;

function hex(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return s < 0n && s > -4096n ? s.toString() : '0x' + BigInt.asUintN(64, v).toString(16);
}

function callText(nr: number, args: bigint[], argc: number): string {
  return `${syscallName(nr)}(${args.slice(0, argc).map(hex).join(', ')})`;
}

export class SyscallRecorder {
  private readonly logs = new Map<number, SyscallLog>();
  private readonly procs = new Map<number, ProcState>();
  private nextLog = 1;
  private readonly regs = Buffer.alloc(GPR_SIZE);

  constructor(private readonly access: TracerAccess) {}

  /** Whether the tracer must show this process's stops to the recorder. */
  has(pid: number): boolean {
    return this.procs.has(pid);
  }

  control(pid: number, a: RecordingAction): unknown {
    switch (a.action) {
      case 'record': {
        const log = new SyscallLog(this.nextLog++, pid);
        this.logs.set(log.id, log);
        this.procs.set(pid, { mode: 'record', log, cursor: 0, recordWrites: !!a.recordWrites, suppressedWrites: 0 });
        return this.info(pid);
      }
      case 'replay': {
        const log = this.logs.get(a.log);
        if (!log) throw new TargetError(`No recording ${a.log}.`);
        if (a.cursor < 0 || a.cursor > log.entries.length) throw new TargetError(`Recording ${a.log} has no system call #${a.cursor}.`);
        const from = [...this.procs.values()].find((p) => p.log === log);
        this.procs.set(pid, { mode: 'replay', log, cursor: a.cursor, recordWrites: from?.recordWrites ?? false, suppressedWrites: 0 });
        return this.info(pid);
      }
      case 'off':
        this.procs.delete(pid);
        return this.info(pid);
      case 'info':
        return this.info(pid);
      case 'entries': {
        const log = this.logs.get(a.log);
        if (!log) throw new TargetError(`No recording ${a.log}.`);
        return log.entries.slice(a.from, a.to).map((e) => ({ ...e, args: e.args.map((x) => x.toString()), ret: e.ret.toString() }));
      }
      case 'drop':
        this.logs.delete(a.log);
        for (const [p, s] of this.procs) if (s.log.id === a.log) this.procs.delete(p);
        return null;
    }
  }

  info(pid: number): RecordingInfo {
    const s = this.procs.get(pid);
    if (!s) return { mode: 'off', cursor: 0, length: 0, bytes: 0, suppressedWrites: 0 };
    return {
      mode: s.mode,
      log: s.log.id,
      cursor: s.mode === 'record' ? s.log.entries.length : s.cursor,
      length: s.log.entries.length,
      bytes: s.log.bytes,
      suppressedWrites: s.suppressedWrites,
      broken: s.broken,
    };
  }

  /** The process ended or is no longer traced. */
  forget(pid: number): void {
    this.procs.delete(pid);
  }

  /** A thread was created in a recorded program: the recording cannot be trusted from here on. */
  noteThread(pid: number): void {
    const s = this.procs.get(pid);
    if (s && !s.broken) s.broken = 'the program created a thread (reverse execution supports single-threaded programs only)';
  }

  noteExec(pid: number): void {
    const s = this.procs.get(pid);
    if (s && !s.broken) s.broken = 'the program executed a new image (execve)';
  }

  /** A completed syscall is due for this thread (its exit stop or the single-step report after it). */
  hasPending(tid: number): boolean {
    return this.procs.get(tid)?.pending !== undefined;
  }

  /**
   * The seccomp stop of a traced system call (thread tid of process pid, which is single-threaded).
   * Returns the ptrace request to resume with. Throws ReplayDivergenceError on a mismatch (the thread
   * stays stopped at the call's entry).
   */
  onSeccomp(pid: number, tid: number, stepping: boolean): number {
    const s = this.procs.get(pid);
    const resumeDone = stepping ? PTRACE.SINGLESTEP : PTRACE.CONT;
    const resumeExit = stepping ? PTRACE.SINGLESTEP : PTRACE.SYSCALL;
    if (!s) return resumeDone; // a process not under reverse execution: the call runs
    if (tid !== pid) {
      // Another thread: its calls interleave with the main thread's in ways a replay cannot reproduce.
      this.noteThread(pid);
      return resumeDone;
    }
    const r = this.regs;
    this.access.getRegs(tid, r);
    const nr = Number(r.readBigInt64LE(gprOffset('orig_rax')));
    const args = ARG_REGS.map((name) => r.readBigUInt64LE(gprOffset(name)));
    const pc = Number(r.readBigUInt64LE(gprOffset('rip')));
    const mem = this.access.memory(pid);
    const ctx: CallCtx = { args, mem };
    const spec = RECORDED_BY_NR.get(nr);
    const write = WRITES_BY_NR.get(nr);
    if (s.mode === 'record') {
      const held = s.interrupted;
      if (nr === SYS_RESTART_SYSCALL) {
        // The kernel resuming a call interrupted with -ERESTART_RESTARTBLOCK, at its own syscall
        // instruction: its result is the interrupted call's result (one log entry, the original call).
        if (held && held.errno === ERESTART_RESTARTBLOCK && held.pc === pc) {
          s.interrupted = undefined;
          s.pending = { ...held.p, phase: 'record' };
          return resumeExit;
        }
        return resumeDone; // the continuation of a call that is not recorded
      }
      if (!spec && !(write && s.recordWrites)) return resumeDone;
      if (held) {
        s.interrupted = undefined;
        // The same call entered again at the same instruction: the kernel re-executing it after
        // -ERESTARTSYS/-ERESTARTNOHAND/-ERESTARTNOINTR (rip rewound by 2). Only this attempt is logged.
        // Anything else: the interrupted call ended there (a signal handler ran), see settle().
        const again =
          held.errno !== ERESTART_RESTARTBLOCK && held.p.nr === nr && held.pc === pc && held.p.args.every((a, i) => a === args[i]);
        if (!again) this.settle(s, held);
      }
      if (spec?.entry) ctx.state = spec.entry(ctx);
      s.pending = { spec, nr, args, ctx, phase: 'record' };
      return resumeExit;
    }
    // Replay.
    if (write && !s.recordWrites) {
      // Output the user has seen already: skipped, with the result a complete write has.
      s.suppressedWrites++;
      this.skip(tid, write.result(ctx));
      return resumeDone;
    }
    if (nr === SYS_RESTART_SYSCALL) return this.replayRestart(s, pid, tid, args, resumeDone);
    if (!spec && !write) return resumeDone;
    const idx = s.cursor;
    const e = s.log.entries[idx];
    if (!e) {
      throw new ReplayDivergenceError(
        `Replay went past the end of the recorded history: ${callText(nr, args, spec?.argc ?? 6)} at system call #${idx} was never recorded.`,
      );
    }
    const argc = spec?.argc ?? 3;
    if (e.nr !== nr || e.args.slice(0, argc).some((a, i) => a !== args[i])) {
      throw new ReplayDivergenceError(
        `Replay diverged from the recording at system call #${idx}: the program called ${callText(nr, args, argc)} ` +
          `where the recording has ${callText(e.nr, e.args, RECORDED_BY_NR.get(e.nr)?.argc ?? argc)}.`,
      );
    }
    s.cursor++;
    const cls: ReplayClass = spec?.replay ?? 'emulate';
    if (cls === 'emulate') {
      this.writeOut(pid, e);
      this.skip(tid, e.ret);
      return resumeDone;
    }
    if (cls === 'map') {
      const ok = BigInt.asIntN(64, e.ret) >= 0n || BigInt.asIntN(64, e.ret) < -4095n;
      if (ok) {
        if (nr === 9 && (args[3] & MAP_FIXED) === 0n) {
          this.setArgs(tid, { rdi: e.ret, r10: args[3] | MAP_FIXED_NOREPLACE });
        } else if (nr === 25 && (args[3] & MREMAP_MAYMOVE) !== 0n && (args[3] & MREMAP_FIXED) === 0n) {
          this.setArgs(tid, { r10: args[3] | MREMAP_FIXED, r8: e.ret });
        }
        s.pending = { nr, args, ctx, phase: 'check', expect: e.ret, setRet: e.ret, index: idx };
        return resumeExit;
      }
      this.skip(tid, e.ret);
      return resumeDone;
    }
    if (cls === 'open') {
      if (BigInt.asIntN(64, e.ret) < 0n) {
        this.skip(tid, e.ret);
        return resumeDone;
      }
      const flagReg: GprName = nr === 257 ? 'r10' : 'rsi';
      const flagIdx = nr === 257 ? 2 : 1;
      let flags = nr === 85 ? 1n /* O_WRONLY */ : args[flagIdx];
      flags &= ~(O_CREAT | O_EXCL | O_TRUNC);
      if (nr === 85) this.setArgs(tid, { orig_rax: 2n, rsi: flags, rdx: 0n });
      else this.setArgs(tid, { [flagReg]: flags } as Partial<Record<GprName, bigint>>);
      s.pending = { nr, args, ctx, phase: 'check', expect: e.ret, setRet: e.ret, index: idx, out: [] };
      return resumeExit;
    }
    if (cls === 'fd') {
      // accept: no peer will connect again; /dev/null holds the descriptor number.
      const path = this.scratchString(pid, tid, '/dev/null');
      this.setArgs(tid, { orig_rax: 257n, rdi: BigInt.asUintN(64, AT_FDCWD), rsi: BigInt(path), rdx: 2n, r10: 0n });
      s.pending = { nr, args, ctx, phase: 'check', expect: BigInt.asIntN(64, e.ret) >= 0n ? e.ret : undefined, setRet: e.ret, index: idx, out: e.out };
      if (BigInt.asIntN(64, e.ret) < 0n) {
        s.pending = undefined;
        this.skip(tid, e.ret);
        return resumeDone;
      }
      return resumeExit;
    }
    // kill/tkill/tgkill: aimed at the recorded program itself? then at this copy instead.
    const live = BigInt(s.log.pid);
    const me = BigInt(pid);
    const upd: Partial<Record<GprName, bigint>> = {};
    if (args[0] === live) upd.rdi = me;
    if (nr === 234 && args[1] === live) upd.rsi = me;
    if (upd.rdi === undefined && upd.rsi === undefined && !(nr === 62 && (args[0] === 0n || BigInt.asIntN(64, args[0]) === -1n))) {
      // A signal for another process: it was sent once, by the live program.
      this.skip(tid, e.ret);
      return resumeDone;
    }
    this.setArgs(tid, upd);
    s.pending = { nr, args, ctx, phase: 'check', setRet: e.ret, index: idx };
    return resumeExit;
  }

  /**
   * The call of a pending entry has completed (its syscall-exit stop, or the single-step report after
   * the syscall instruction). An -ERESTART* exit is not a result: the call is held until it is
   * restarted or ends in EINTR (onSeccomp, settle).
   */
  onExit(pid: number, tid: number): void {
    const s = this.procs.get(pid);
    const p = s?.pending;
    if (!s || !p) return;
    s.pending = undefined;
    const r = this.regs;
    this.access.getRegs(tid, r);
    const ret = BigInt.asIntN(64, r.readBigUInt64LE(gprOffset('rax')));
    const pc = Number(r.readBigUInt64LE(gprOffset('rip')));
    if (p.phase === 'record') {
      if (RESTART_ERRNOS.has(-ret)) {
        // Interrupted (a pause of ours, a signal): not its result. The kernel restarts it (the same
        // syscall instruction again, or restart_syscall), and that attempt's result is logged; or a
        // signal handler runs and the program gets EINTR (settle()).
        s.interrupted = { p, errno: -ret, pc, out: this.capture(p, -EINTR) };
        return;
      }
      const out = ret >= 0n ? this.capture(p, ret) : [];
      s.log.push({ nr: p.nr, args: p.args, ret, out, pc });
      if ((p.nr === 56 && (p.args[0] & 0x10000n) !== 0n) || p.nr === 435) this.noteThread(pid);
      return;
    }
    // check
    if (RESTART_ERRNOS.has(-ret)) {
      // Interrupted (by a stop of ours): it restarts; the entry is replayed again.
      s.cursor = p.index ?? s.cursor;
      return;
    }
    if (p.expect !== undefined && ret !== BigInt.asIntN(64, p.expect)) {
      throw new ReplayDivergenceError(
        `Replay diverged from the recording at system call #${p.index}: ${callText(p.nr, p.args, RECORDED_BY_NR.get(p.nr)?.argc ?? 6)} ` +
          `returned ${hex(BigInt.asUintN(64, ret))} where the recording has ${hex(p.expect)}.`,
      );
    }
    if (p.out) this.writeOutList(pid, p.out);
    if (p.setRet !== undefined) {
      r.writeBigUInt64LE(BigInt.asUintN(64, p.setRet), gprOffset('rax'));
      this.access.setRegs(tid, r);
    }
  }

  /** The bytes the call wrote into the program, given its result. */
  private capture(p: Pending, ret: bigint): { addr: number; data: Buffer }[] {
    const regions = p.spec?.outputs ? p.spec.outputs(p.ctx, ret) : [];
    const out: { addr: number; data: Buffer }[] = [];
    for (const reg of regions) {
      if (reg.len <= 0 || reg.addr === 0) continue;
      const data = Buffer.alloc(Math.min(reg.len, 64 << 20));
      try {
        p.ctx.mem.read(reg.addr, data);
      } catch {
        continue;
      }
      out.push({ addr: reg.addr, data });
    }
    return out;
  }

  /**
   * An interrupted call that was not restarted before the program's next recorded call. After
   * -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK that means a signal handler ran and the call returned
   * EINTR: logged so. After -ERESTARTSYS (restarted after a handler installed with SA_RESTART, EINTR
   * without) or -ERESTARTNOINTR (always restarted) the restart is still to come and is logged when it
   * happens: nothing now.
   */
  private settle(s: ProcState, held: Interrupted): void {
    if (held.errno !== ERESTARTNOHAND && held.errno !== ERESTART_RESTARTBLOCK) return;
    s.log.push({ nr: held.p.nr, args: held.p.args, ret: -EINTR, out: held.out, pc: held.pc });
  }

  /**
   * Replay: restart_syscall in a copy resumed from a checkpoint taken while a call was interrupted with
   * -ERESTART_RESTARTBLOCK (the copy's resume restarts it). Its log entry is the interrupted call's:
   * the registers still hold that call's arguments (the kernel changed only rax and rip), compared as
   * for any call, then it is emulated.
   */
  private replayRestart(s: ProcState, pid: number, tid: number, args: bigint[], resumeDone: number): number {
    const idx = s.cursor;
    const e = s.log.entries[idx];
    if (!e) {
      throw new ReplayDivergenceError(
        `Replay went past the end of the recorded history: restart_syscall at system call #${idx} was never recorded.`,
      );
    }
    const argc = RECORDED_BY_NR.get(e.nr)?.argc ?? 6;
    if (e.args.slice(0, argc).some((a, i) => a !== args[i])) {
      throw new ReplayDivergenceError(
        `Replay diverged from the recording at system call #${idx}: the program resumed an interrupted ${callText(e.nr, args, argc)} ` +
          `where the recording has ${callText(e.nr, e.args, argc)}.`,
      );
    }
    s.cursor++;
    this.writeOut(pid, e);
    this.skip(tid, e.ret);
    return resumeDone;
  }

  private skip(tid: number, ret: bigint): void {
    const r = this.regs;
    this.access.getRegs(tid, r);
    r.writeBigInt64LE(-1n, gprOffset('orig_rax'));
    r.writeBigUInt64LE(BigInt.asUintN(64, ret), gprOffset('rax'));
    this.access.setRegs(tid, r);
  }

  private setArgs(tid: number, upd: Partial<Record<GprName, bigint>>): void {
    const r = this.regs;
    this.access.getRegs(tid, r);
    for (const [k, v] of Object.entries(upd)) if (v !== undefined) r.writeBigUInt64LE(BigInt.asUintN(64, v), gprOffset(k as GprName));
    this.access.setRegs(tid, r);
  }

  private writeOut(pid: number, e: RecordedSyscall): void {
    this.writeOutList(pid, e.out);
  }

  private writeOutList(pid: number, out: { addr: number; data: Buffer }[]): void {
    const mem = this.access.memory(pid);
    for (const o of out) {
      try {
        mem.write(o.addr, o.data);
      } catch (e) {
        throw new ReplayDivergenceError(`Replay cannot restore recorded data at 0x${o.addr.toString(16)}: ${(e as Error).message}`);
      }
    }
  }

  /** A string written below the stack's red zone (free memory of the stopped program). */
  private scratchString(pid: number, tid: number, text: string): number {
    const r = this.regs;
    this.access.getRegs(tid, r);
    const rsp = Number(r.readBigUInt64LE(gprOffset('rsp')));
    const addr = rsp - 512;
    this.access.memory(pid).write(addr, Buffer.from(text + '\0'));
    return addr;
  }
}

/** For open in replay: O_ACCMODE kept (exported for tests). */
export const OPEN_FLAGS = { O_CREAT, O_EXCL, O_TRUNC, O_ACCMODE };
