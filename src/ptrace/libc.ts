// koffi bindings to libc and to the native shim. Every wrapper turns a failure into a typed error that
// names the call and the errno. ptrace itself works only on the tracer thread (the thread that seized the
// tracee); kill/tgkill, process_vm_readv/writev and /proc/PID/mem work from any thread.
import koffi from 'koffi';
import * as fs from 'fs';
import * as path from 'path';
import { PTRACE, WAIT } from './constants';
import { PtraceError, SyscallError } from './errors';

const REQUEST_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(PTRACE)) REQUEST_NAMES[v] = `PTRACE_${k}`;

interface Libc {
  ptraceNum: (req: number, pid: number, addr: number | bigint, data: number | bigint) => number | bigint;
  ptraceBuf: (req: number, pid: number, addr: number | bigint, data: Buffer | null) => number | bigint;
  waitpid: (pid: number, status: Int32Array, options: number) => number;
  kill: (pid: number, sig: number) => number;
  tgkill: (tgid: number, tid: number, sig: number) => number;
  gettid: () => number;
  close: (fd: number) => number;
  processVmReadv: (pid: number, local: Buffer, lcnt: number, remote: Buffer, rcnt: number, flags: number) => number;
  processVmWritev: (pid: number, local: Buffer, lcnt: number, remote: Buffer, rcnt: number, flags: number) => number;
  schedSetaffinity: (pid: number, size: number, mask: Buffer) => number;
  schedGetaffinity: (pid: number, size: number, mask: Buffer) => number;
}

interface Shim {
  spawnPrepare: (
    path: string,
    argv: (string | null)[],
    envp: (string | null)[],
    cwd: string | null,
    stdio: Int32Array,
    flags: number,
    goFd: Int32Array,
    errFd: Int32Array,
  ) => number;
  spawnRelease: (goFd: number, errFd: number) => number;
}

let libc: Libc | undefined;
let shim: Shim | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    ptraceNum: lib.func('long ptrace(int, int, uintptr_t, uintptr_t)'),
    ptraceBuf: lib.func('long ptrace(int, int, uintptr_t, void *)'),
    waitpid: lib.func('int waitpid(int, _Out_ int *, int)') as never,
    kill: lib.func('int kill(int, int)'),
    tgkill: lib.func('int tgkill(int, int, int)'),
    gettid: lib.func('int gettid()'),
    close: lib.func('int close(int)'),
    processVmReadv: lib.func('intptr_t process_vm_readv(int, void *, unsigned long, void *, unsigned long, unsigned long)'),
    processVmWritev: lib.func('intptr_t process_vm_writev(int, void *, unsigned long, void *, unsigned long, unsigned long)'),
    schedSetaffinity: lib.func('int sched_setaffinity(int, size_t, void *)'),
    schedGetaffinity: lib.func('int sched_getaffinity(int, size_t, _Out_ void *)') as never,
  };
  return libc;
}

/** Where the shim lives: native-shims/libbackstep.so at the package root. */
export function shimPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'native-shims', 'libbackstep.so');
    if (fs.existsSync(candidate)) return candidate;
    if (fs.existsSync(path.join(dir, 'package.json'))) break;
    dir = path.dirname(dir);
  }
  throw new Error(
    `backstep's native shim (native-shims/libbackstep.so) is not built: run 'npm install' or 'node scripts/build-native.js' (needs a C compiler).`,
  );
}

function loadShim(): Shim {
  if (shim) return shim;
  const lib = koffi.load(shimPath());
  shim = {
    spawnPrepare: lib.func(
      'int bs_spawn_prepare(const char *, const char **, const char **, const char *, const int *, int, _Out_ int *, _Out_ int *)',
    ) as never,
    spawnRelease: lib.func('int bs_spawn_release(int, int)'),
  };
  return shim;
}

function errno(): number {
  return koffi.errno();
}

function requestName(req: number): string {
  return REQUEST_NAMES[req] ?? `request ${req}`;
}

/** ptrace with integer arguments; returns the result as a number (or a bigint above 2^53). */
export function ptrace(req: number, pid: number, addr: number | bigint = 0, data: number | bigint = 0): number | bigint {
  const c = loadLibc();
  koffi.errno(0);
  const r = c.ptraceNum(req, pid, addr, data);
  if (r === -1 || r === -1n) {
    const e = errno();
    // PEEK* return the word read, and -1 can be data: only errno tells.
    if (e !== 0 || (req !== PTRACE.PEEKDATA && req !== PTRACE.PEEKTEXT && req !== PTRACE.PEEKUSER)) {
      throw new PtraceError(requestName(req), pid, e);
    }
  }
  return r;
}

/** ptrace with a buffer as the data argument (GETREGS, SETREGS, GETSIGINFO, GETEVENTMSG...). */
export function ptraceBuf(req: number, pid: number, addr: number | bigint, data: Buffer | null): void {
  const c = loadLibc();
  const r = c.ptraceBuf(req, pid, addr, data);
  if (r === -1 || r === -1n) throw new PtraceError(requestName(req), pid, errno());
}

/** PTRACE_GETREGSET/SETREGSET with an iovec pointing at buf; returns the length the kernel used. */
export function ptraceRegset(req: number, pid: number, nt: number, buf: Buffer): number {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(koffi.address(buf) as bigint, 0);
  iov.writeBigUInt64LE(BigInt(buf.length), 8);
  ptraceBuf(req, pid, nt, iov);
  return Number(iov.readBigUInt64LE(8));
}

export interface WaitResult {
  pid: number;
  status: number;
}

/** waitpid, retried on EINTR. Returns pid 0 for WNOHANG with nothing to report. */
export function waitpid(pid: number, options: number): WaitResult {
  const c = loadLibc();
  const status = new Int32Array(1);
  for (;;) {
    const r = c.waitpid(pid, status, options);
    if (r >= 0) return { pid: r, status: status[0] };
    const e = errno();
    if (e !== 4) throw new SyscallError('waitpid', e, `pid ${pid}`);
  }
}

/** The tracer's wait: only this thread's own tracees (never Node's child processes). */
export function waitTracees(pid = -1, nohang = false): WaitResult {
  return waitpid(pid, WAIT.WALL | WAIT.WNOTHREAD | (nohang ? WAIT.WNOHANG : 0));
}

export function kill(pid: number, sig: number): void {
  if (loadLibc().kill(pid, sig) < 0) throw new SyscallError('kill', errno(), `pid ${pid}, signal ${sig}`);
}

export function tgkill(tgid: number, tid: number, sig: number): void {
  if (loadLibc().tgkill(tgid, tid, sig) < 0) throw new SyscallError('tgkill', errno(), `tid ${tid}, signal ${sig}`);
}

export function gettid(): number {
  return loadLibc().gettid();
}

export function closeFd(fd: number): void {
  loadLibc().close(fd);
}

// The two iovecs of a process_vm_readv/writev call, filled in place (calls on one thread never
// overlap). 64-bit fields written as 32-bit halves from numbers: Buffer.writeBigUInt64LE's checks on
// BigInts cost ~40 µs a call in code V8 has not optimized yet, two calls per memory read.
const IOV_WORDS = new Uint32Array(8);
const LOCAL_IOV = Buffer.from(IOV_WORDS.buffer, 0, 16);
const REMOTE_IOV = Buffer.from(IOV_WORDS.buffer, 16, 16);
const TWO32 = 4294967296;

function setIovecs(buf: Buffer, addr: number): void {
  const local = Number(koffi.address(buf) as bigint);
  const w = IOV_WORDS;
  w[0] = local % TWO32;
  w[1] = Math.floor(local / TWO32);
  w[2] = buf.length;
  w[3] = 0;
  w[4] = addr % TWO32;
  w[5] = Math.floor(addr / TWO32);
  w[6] = buf.length;
  w[7] = 0;
}

/** process_vm_readv into buf; returns the number of bytes read (short at an unmapped page), or throws. */
export function processVmRead(pid: number, addr: number, buf: Buffer): number {
  if (buf.length === 0) return 0;
  setIovecs(buf, addr);
  const r = loadLibc().processVmReadv(pid, LOCAL_IOV, 1, REMOTE_IOV, 1, 0);
  if (r < 0) throw new SyscallError('process_vm_readv', errno(), `pid ${pid}, address 0x${addr.toString(16)}`);
  return r;
}

/** process_vm_writev from buf; fails (EFAULT) on pages that are not writable, such as program text. */
export function processVmWrite(pid: number, addr: number, buf: Buffer): number {
  if (buf.length === 0) return 0;
  setIovecs(buf, addr);
  const r = loadLibc().processVmWritev(pid, LOCAL_IOV, 1, REMOTE_IOV, 1, 0);
  if (r < 0) throw new SyscallError('process_vm_writev', errno(), `pid ${pid}, address 0x${addr.toString(16)}`);
  return r;
}

/** Pins a thread (0 = the calling thread) to one CPU; threads and processes it creates inherit this. */
export function pinToCpu(tid: number, cpu: number): void {
  const mask = Buffer.alloc(128);
  mask[cpu >> 3] |= 1 << (cpu & 7);
  if (loadLibc().schedSetaffinity(tid, mask.length, mask) < 0) throw new SyscallError('sched_setaffinity', errno(), `cpu ${cpu}`);
}

/** The CPUs a thread may run on. */
export function cpuAffinity(tid: number): number[] {
  const mask = Buffer.alloc(128);
  if ((loadLibc().schedGetaffinity as unknown as (a: number, b: number, m: Buffer) => number)(tid, mask.length, mask) < 0) {
    throw new SyscallError('sched_getaffinity', errno());
  }
  const cpus: number[] = [];
  for (let i = 0; i < mask.length * 8; i++) if (mask[i >> 3] & (1 << (i & 7))) cpus.push(i);
  return cpus;
}

const AFFINITY_BUF = Buffer.alloc(128);
const ONE_CPU_MASKS = new Map<number, Buffer>();

/** Whether thread `tid` may run on CPU `cpu` only (one sched_getaffinity and a memcmp). */
export function affinityIs(tid: number, cpu: number): boolean {
  let want = ONE_CPU_MASKS.get(cpu);
  if (!want) {
    want = Buffer.alloc(128);
    want[cpu >> 3] |= 1 << (cpu & 7);
    ONE_CPU_MASKS.set(cpu, want);
  }
  if ((loadLibc().schedGetaffinity as unknown as (a: number, b: number, m: Buffer) => number)(tid, AFFINITY_BUF.length, AFFINITY_BUF) < 0) return false;
  return AFFINITY_BUF.equals(want);
}

export function setAffinity(tid: number, cpus: number[]): void {
  const mask = Buffer.alloc(128);
  for (const cpu of cpus) mask[cpu >> 3] |= 1 << (cpu & 7);
  if (loadLibc().schedSetaffinity(tid, mask.length, mask) < 0) throw new SyscallError('sched_setaffinity', errno());
}

export interface PreparedSpawn {
  pid: number;
  goFd: number;
  errFd: number;
}

export const SPAWN_FLAGS = { SETPGID: 1, NO_ASLR: 2, SETSID: 4 } as const;

/** Forks a child that waits to execve until spawnRelease (see native-shims/spawn.c). */
export function spawnPrepare(
  file: string,
  argv: string[],
  envp: string[],
  cwd: string | undefined,
  stdio: [number, number, number],
  flags: number,
): PreparedSpawn {
  const s = loadShim();
  const go = new Int32Array(1);
  const er = new Int32Array(1);
  const r = s.spawnPrepare(file, [...argv, null], [...envp, null], cwd ?? null, Int32Array.from(stdio), flags, go, er);
  if (r < 0) throw new SyscallError('fork', -r, file);
  return { pid: r, goFd: go[0], errFd: er[0] };
}

/** Releases the prepared child into execve; returns 0 on success or the errno execve failed with. */
export function spawnRelease(p: PreparedSpawn): number {
  return loadShim().spawnRelease(p.goFd, p.errFd);
}
