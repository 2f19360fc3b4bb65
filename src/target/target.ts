// The main-thread side of the target layer: an async API over the tracer worker. Nothing here blocks;
// ptrace happens only on the worker. Pausing a running inferior is done from here with a signal (kill
// works from any thread), which the tracer recognises as ours and never delivers to the program.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { affinityIs, cpuAffinity, FpRegisters, XState, kill as sysKill, ProcessMemory, Registers, setAffinity, SIGNALS, signalNumber } from '../ptrace';
import { TargetError } from './errors';
import {
  BreakpointInfo,
  LaunchOptions,
  Request,
  ResponseMessage,
  RUN_STATE,
  SHARED,
  SignalPolicy,
  StepOverResult,
  StopEvent,
  ThreadInfo,
  WorkerError,
} from './protocol';
import type { RecordingAction } from './recording';
import type { CheckpointFork, CheckpointSpawnOptions, CheckpointSpawnResult, SyscallSiteChoice } from './protocol';

export interface TracerOptions {
  /**
   * Pin the tracer thread (and so the programs it starts, which inherit it) to one CPU: ptrace round
   * trips are ~3.5x faster when tracer and tracee share a CPU. `true` picks the last CPU; a number picks
   * that CPU; false leaves scheduling alone. Default true.
   */
  pin?: boolean | number;
}

/** An error raised by the tracer worker, rebuilt on the main thread with the same name and message. */
export class TracerRequestError extends Error {
  readonly call?: string;
  readonly errno?: number;
  readonly code?: string;
  constructor(e: WorkerError) {
    super(e.message);
    this.name = e.name;
    this.call = e.call;
    this.errno = e.errno;
    this.code = e.code;
  }
}

/** A continue that has not come back after this long runs unpinned (see SHARED.RUN_STATE). */
const UNPIN_DELAY_MS = 5;

const noop = (): void => undefined;

const PAGE = 4096;
/** At most this many pages cached per stop (1 MiB). */
const MAX_CACHED_PAGES = 256;

/** Requests that cannot change a thread's registers (everything else drops the register cache). */
const READ_ONLY_OPS = new Set<string>(['ping', 'getRegs', 'getFpRegs', 'getXState', 'getSiginfo', 'readMemory', 'threads', 'breakpoints', 'setBreakpoint', 'removeBreakpoint', 'setSignalPolicy']);

function workerScript(): string {
  // Bundled (src/boot/bundle.ts), the worker starts from its own bundle through a boot file; else
  // the compiled layout: dist/src/target/tracer-worker.js next to this file.
  const bundle = globalThis.__backstepBundle;
  return bundle ? path.join(bundle.dist, 'src', 'boot', 'tracer-worker.js') : path.join(__dirname, 'tracer-worker.js');
}

function toBuffer(u: unknown): Buffer {
  const a = u as Uint8Array;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Owns the tracer worker thread and the processes it traces. */
export class Tracer {
  private readonly worker: Worker;
  private readonly shared: Int32Array;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly inferiors = new Map<number, Inferior>();
  private closed = false;
  private workerGone: Error | undefined;

  private constructor(options: TracerOptions) {
    this.shared = new Int32Array(new SharedArrayBuffer(SHARED.SIZE * 4));
    let cpu: number | undefined;
    if (options.pin !== false) cpu = typeof options.pin === 'number' ? options.pin : os.cpus().length - 1;
    if (cpu !== undefined) {
      try {
        const mine = cpuAffinity(0);
        if (mine.length > 1) this.spreadCpus = mine;
      } catch {
        /* no spreading: long runs stay pinned */
      }
    }
    // sparkplugOn: whether V8's --always-sparkplug is on as the worker starts (src/boot/bundle.ts).
    const sparkplugOn = !!(globalThis as { __backstepSparkplugOn?: boolean }).__backstepSparkplugOn;
    this.worker = new Worker(workerScript(), { workerData: { shared: this.shared.buffer, cpu, sparkplugOn } });
    this.worker.unref();
    this.worker.on('message', (m: ResponseMessage) => this.onMessage(m));
    this.worker.on('error', (e) => this.onWorkerGone(e));
    this.worker.on('exit', (code) => this.onWorkerGone(new Error(`tracer worker exited (code ${code})`)));
  }

  /** CPUs a long-running pinned inferior is spread over (the debugger's own affinity); undefined: never. */
  private readonly spreadCpus: number[] | undefined;

  /**
   * For a request that runs the inferior: after UNPIN_DELAY_MS without an answer, spread the inferior's
   * threads over all CPUs (see SHARED.RUN_STATE; the tracer pins them again at the stop). Returns the
   * function that cancels it (call it with the answer).
   */
  unpinLater(pid: number): () => void {
    if (!this.spreadCpus) return noop;
    // Only a run that goes UNPIN_DELAY_MS without any stop (the tracer counts every one, the ones it
    // handles itself too: breakpoint hits under an ignore count, recorded system calls) is spread: one
    // that keeps stopping is ptrace round trips, ~3.5x cheaper pinned (docs/architecture.md).
    let seen = Atomics.load(this.shared, SHARED.STOPS_SEEN);
    const check = () => {
      const now = Atomics.load(this.shared, SHARED.STOPS_SEEN);
      if (now !== seen) {
        seen = now;
        timer = setTimeout(check, UNPIN_DELAY_MS);
      } else this.unpin(pid);
    };
    let timer = setTimeout(check, UNPIN_DELAY_MS);
    return () => clearTimeout(timer);
  }

  private unpin(pid: number): void {
    const f = this.shared;
    if (Atomics.load(f, SHARED.RUN_PID) !== pid) return;
    if (Atomics.compareExchange(f, SHARED.RUN_STATE, RUN_STATE.RUNNING, RUN_STATE.UNPINNING) !== RUN_STATE.RUNNING) return;
    // (A run the tracer did not mark RUNNING, such as a range step, is never spread.)
    const inf = this.inferiors.get(pid);
    if (inf) inf.lastRunUnpinned = true;
    try {
      for (const name of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          setAffinity(Number(name), this.spreadCpus!);
        } catch {
          /* exited meanwhile */
        }
      }
    } catch {
      /* the process is gone */
    } finally {
      Atomics.store(f, SHARED.RUN_STATE, RUN_STATE.UNPINNED);
      Atomics.notify(f, SHARED.RUN_STATE);
    }
  }

  static async create(options: TracerOptions = {}): Promise<Tracer> {
    const t = new Tracer(options);
    t.pinnedCpu = ((await t.request({ op: 'ping' })) as { pinned?: number }).pinned;
    return t;
  }

  /** The CPU the tracer thread (and every program it launches) is pinned to, when pinning worked. */
  pinnedCpu: number | undefined;

  /** Thread id of the tracer worker (the TracerPid of every traced process). */
  async tracerTid(): Promise<number> {
    return ((await this.request({ op: 'ping' })) as { tid: number }).tid;
  }

  /** Starts a program under the debugger, stopped at its first instruction (the exec stop). */
  async launch(opts: LaunchOptions): Promise<Inferior> {
    const ev = (await this.request({ op: 'launch', opts })) as StopEvent;
    const inf = new Inferior(this, ev.pid, ev);
    inf.launchedPinned = this.pinnedCpu !== undefined;
    this.inferiors.set(ev.pid, inf);
    return inf;
  }

  /** Attaches to a running process (PTRACE_SEIZE every thread) and stops it. */
  async attach(pid: number): Promise<Inferior> {
    if (!Number.isInteger(pid) || pid <= 0) throw new TargetError(`Cannot attach: '${pid}' is not a process id.`);
    const ev = (await this.request({ op: 'attach', pid })) as StopEvent;
    const inf = new Inferior(this, pid, ev);
    inf.attached = true;
    this.inferiors.set(pid, inf);
    return inf;
  }

  /** Kills every inferior and stops the worker. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const inf of this.inferiors.values()) {
      if (inf.state !== 'exited') {
        try {
          sysKill(inf.pid, SIGNALS.SIGKILL);
        } catch {
          /* gone already */
        }
      }
    }
    if (!this.workerGone) {
      try {
        await this.send({ op: 'shutdown' } as never);
      } catch {
        /* the worker died: EXITKILL took the inferiors with it */
      }
      await this.worker.terminate();
    }
  }

  /** The worker object, for tests that check what happens when the tracer thread dies. */
  get workerThread(): Worker {
    return this.worker;
  }

  get sharedFlags(): Int32Array {
    return this.shared;
  }

  // --- checkpoints (see Inferior.forkCheckpoint and docs/checkpoints.md) ---

  /**
   * Forks a fresh copy of checkpoint process ckptPid (which stays as it is) and returns the copy as a new
   * inferior, stopped where the checkpoint was taken ('paused'), with file offsets put back and the
   * breakpoints asked for inserted.
   */
  async spawnFromCheckpoint(
    ckptPid: number,
    opts: CheckpointSpawnOptions = {},
  ): Promise<{ inferior: Inferior; fsBase: number; seekFailures: number[]; breakpointFailures: number[] }> {
    const r = (await this.request({ op: 'checkpointSpawn', pid: ckptPid, opts })) as CheckpointSpawnResult;
    const inf = new Inferior(this, r.event.pid, r.event);
    this.inferiors.set(inf.pid, inf);
    return { inferior: inf, fsBase: r.fsBase, seekFailures: r.seekFailures, breakpointFailures: r.breakpointFailures };
  }

  /** Kills a checkpoint process (made by Inferior.forkCheckpoint or retireToCheckpoint) and reaps it. */
  async killCheckpoint(pid: number): Promise<void> {
    await this.request({ op: 'checkpointKill', pid });
  }

  forgetInferior(pid: number): void {
    this.inferiors.delete(pid);
  }

  request(req: Request): Promise<unknown> {
    if (this.closed && req.op !== 'ping') return Promise.reject(new TargetError('The debugger session is closed.'));
    if (!READ_ONLY_OPS.has(req.op)) for (const inf of this.inferiors.values()) inf.invalidateRegisters();
    return this.send(req);
  }

  private send(req: Request | { op: 'shutdown' }): Promise<unknown> {
    if (this.workerGone) return Promise.reject(this.workerGone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...req, id });
    });
  }

  private onMessage(m: ResponseMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(new TracerRequestError(m.error));
  }

  private onWorkerGone(e: Error): void {
    this.workerGone ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

export type InferiorState = 'stopped' | 'running' | 'exited';

/** A process under the debugger. All-stop: every thread is stopped or every thread runs. */
export class Inferior {
  private resumeHook: (() => void) | undefined;

  /**
   * Calls `fn` when the next run request (continue, step, range step) has been handed to the tracer
   * but before the program runs (SHARED.RESUME_GATE): what the front-end writes for the resume is
   * out first, and the tracer's preparation overlaps the write. Returns whether it was called since
   * (the caller calls `fn` itself when no run request came).
   */
  onNextResume(fn: () => void): { fired: () => boolean; cancel: () => void } {
    let fired = false;
    this.resumeHook = () => {
      fired = true;
      fn();
    };
    return {
      fired: () => fired,
      cancel: () => {
        if (!fired) this.resumeHook = undefined;
      },
    };
  }

  /** Started by this tracer while pinned: its threads run on the tracer's CPU (see coreHint). */
  launchedPinned = false;
  /** The most recent run was spread over all CPUs (Tracer.unpinLater). */
  lastRunUnpinned = false;

  /**
   * The CPU a stopped thread last ran on, known without reading /proc: a program the tracer launched
   * runs pinned to the tracer's CPU, except during a long run that was unpinned (its last stop is then
   * wherever it was). Undefined when not known (attached programs, unpinned runs, a thread the program
   * gave an affinity of its own).
   */
  coreHint(tid: number): number | undefined {
    const cpu = this.tracer.pinnedCpu;
    // (And still pinned: a program may set its own threads' affinity.)
    if (cpu === undefined || !this.launchedPinned || this.lastRunUnpinned || this.state !== 'stopped') return undefined;
    return affinityIs(tid, cpu) ? cpu : undefined;
  }

  state: InferiorState = 'stopped';
  attached = false;
  lastStop: StopEvent;
  exitCode: number | undefined;
  termSignal: number | undefined;
  private runPromise: Promise<StopEvent> | undefined;
  private readonly memory: ProcessMemory;
  /** General registers of the thread that last stopped, as the stop reported them (see invalidateRegisters). */
  private regCache: { tid: number; buf: Buffer } | undefined;
  /** Bumped whenever the registers may change (resume, writes): a late getRegs answer is not cached. */
  private regGen = 0;
  /** Software breakpoints inserted (address -> original byte), mirrored here for synchronous reads. */
  private readonly swBreakpoints = new Map<number, number>();

  constructor(
    private readonly tracer: Tracer,
    readonly pid: number,
    first: StopEvent,
  ) {
    this.lastStop = first;
    this.memory = new ProcessMemory(pid);
  }

  /** The thread the last stop happened in. */
  get currentTid(): number {
    return 'tid' in this.lastStop ? this.lastStop.tid : this.pid;
  }

  /** Continues every thread until something stops the program. Resolves with that stop. */
  cont(opts: { signal?: number | string; temporary?: number[] } = {}): Promise<StopEvent> {
    const signal = opts.signal === undefined ? undefined : signalNumber(opts.signal);
    return this.run({ op: 'cont', pid: this.pid, signal, temporary: opts.temporary?.length ? opts.temporary : undefined });
  }

  /** Executes one instruction in one thread (the others stay stopped). */
  step(tid = this.currentTid): Promise<StopEvent> {
    return this.run({ op: 'step', pid: this.pid, tid });
  }

  /** Executes up to count instructions in one thread; stops early at any other event. */
  async stepMany(count: number, tid = this.currentTid): Promise<{ steps: number; event: StopEvent }> {
    let steps = 0;
    const ev = await this.run({ op: 'stepMany', pid: this.pid, tid, count }, (r) => {
      const res = r as { steps: number; event: StopEvent };
      steps = res.steps;
      return res.event;
    });
    return { steps, event: ev };
  }

  /**
   * Single-steps one thread while its pc stays in [start, end) (gdb's range stepping), inside the tracer:
   * no round trip per instruction. Stops outside the range, on a breakpoint address or one of stopAt, at
   * any other event, after maxSteps, or on pause. prevPc is the last instruction executed.
   */
  async stepRange(start: number, end: number, opts: { tid?: number; stopAt?: number[]; maxSteps?: number } = {}): Promise<{ event: StopEvent; prevPc: number; steps: number }> {
    let out: { event: StopEvent; prevPc: number; steps: number } | undefined;
    await this.run(
      { op: 'stepRange', pid: this.pid, tid: opts.tid ?? this.currentTid, start, end, stopAt: opts.stopAt ?? [], maxSteps: opts.maxSteps ?? 100_000 },
      (r) => {
        out = r as { event: StopEvent; prevPc: number; steps: number };
        return out.event;
      },
    );
    return out!;
  }

  /**
   * Range stepping that also runs over calls inside the tracer (one request for a whole `next` in the
   * common case): see Tracer.stepOver in tracer.ts. frameCfa: the stepping frame's CFA (a call's return
   * address slot is below it); temporary: breakpoints that live only while running over a call.
   */
  async stepOver(
    start: number,
    end: number,
    opts: { tid?: number; stopAt?: number[]; maxSteps?: number; frameCfa?: number; temporary?: number[] } = {},
  ): Promise<StepOverResult> {
    let out: StepOverResult | undefined;
    await this.run(
      {
        op: 'stepOver',
        pid: this.pid,
        tid: opts.tid ?? this.currentTid,
        start,
        end,
        stopAt: opts.stopAt ?? [],
        maxSteps: opts.maxSteps ?? 100_000,
        frameCfa: opts.frameCfa,
        temporary: opts.temporary?.length ? opts.temporary : undefined,
      },
      (r) => {
        out = r as StepOverResult;
        return out.event;
      },
    );
    return out!;
  }

  /**
   * Interrupts a running inferior: resolves the pending cont()/step() with a 'paused' stop. Does
   * nothing when it is already stopped.
   */
  pause(): void {
    if (this.state !== 'running') return;
    const flags = this.tracer.sharedFlags;
    // Count the SIGSTOP before anyone can look for it: the tracer may wake on the notify at once.
    Atomics.add(flags, SHARED.STOPS_IN_FLIGHT, 1);
    Atomics.store(flags, SHARED.PAUSE_WANTED, 1);
    Atomics.notify(flags, SHARED.PAUSE_WANTED); // wakes a tracer polling a self-stopped program
    try {
      sysKill(this.pid, SIGNALS.SIGSTOP);
    } catch {
      Atomics.sub(flags, SHARED.STOPS_IN_FLIGHT, 1);
    }
  }

  /** Resolves when the running inferior stops (immediately with the last stop if it is stopped). */
  waitForStop(): Promise<StopEvent> {
    return this.runPromise ?? Promise.resolve(this.lastStop);
  }

  /**
   * Inserts a breakpoint at addr. ignoreCount: hits the tracer resumes past without reporting. hardware:
   * true for a debug-register breakpoint, false for an int3, 'auto' (default) for a debug register when
   * one is free and the breakpoint has an ignore count.
   */
  async setBreakpoint(addr: number, opts: { ignoreCount?: number; hardware?: boolean | 'auto' } = {}): Promise<BreakpointInfo> {
    this.requireStopped();
    this.pages.clear();
    const info = (await this.tracer.request({ op: 'setBreakpoint', pid: this.pid, addr, ignoreCount: opts.ignoreCount, hardware: opts.hardware })) as BreakpointInfo;
    this.pages.clear();
    if (!info.hardware) this.swBreakpoints.set(addr, info.orig);
    return info;
  }

  async removeBreakpoint(addr: number): Promise<void> {
    this.requireStopped();
    this.pages.clear();
    await this.tracer.request({ op: 'removeBreakpoint', pid: this.pid, addr });
    this.pages.clear();
    this.swBreakpoints.delete(addr);
  }

  /**
   * Reads memory synchronously on the calling thread (process_vm_readv, then /proc/PID/mem for what it
   * cannot read), with inserted breakpoints shown as the original bytes. Throws gdb's "Cannot access
   * memory at address 0x..." for unreadable memory. For value rendering and expression evaluation.
   */
  readMemorySync(addr: number, len: number): Buffer {
    this.requireAlive();
    const buf = Buffer.alloc(len);
    if (!this.readCached(addr, buf)) this.memory.read(addr, buf);
    for (const [a, orig] of this.swBreakpoints) if (a >= addr && a < addr + len) buf[a - addr] = orig;
    return buf;
  }

  /**
   * Pages read during the current stop (page address -> bytes, null: unreadable), so that a stop's
   * unwinding and value rendering (many small reads of the same stack and data pages) cost one system
   * call per page. Dropped whenever memory may change: any resume or tracer request that is not a read
   * (invalidateRegisters), breakpoint changes, writes. Only used while stopped.
   */
  private readonly pages = new Map<number, Buffer | null>();

  /** Fills buf from the page cache (reading missing pages); false when the caller must read directly. */
  private readCached(addr: number, buf: Buffer): boolean {
    const len = buf.length;
    if (this.state !== 'stopped' || len === 0 || len > PAGE || !Number.isSafeInteger(addr) || addr < 0) return false;
    const first = addr - (addr % PAGE);
    const last = addr + len - 1 - ((addr + len - 1) % PAGE);
    for (let p = first; p <= last; p += PAGE) {
      let page = this.pages.get(p);
      if (page === undefined) {
        if (this.pages.size >= MAX_CACHED_PAGES) this.pages.clear();
        page = Buffer.allocUnsafe(PAGE);
        try {
          this.memory.read(p, page);
        } catch {
          page = null;
        }
        this.pages.set(p, page);
      }
      // Unreadable: the direct read reports the exact address gdb names.
      if (page === null) return false;
      const from = Math.max(addr, p);
      const to = Math.min(addr + len, p + PAGE);
      page.copy(buf, from - addr, from - p, to - p);
    }
    return true;
  }

  /**
   * Writes memory synchronously (process_vm_writev, or /proc/PID/mem for read-only pages). Refuses to
   * write over an inserted software breakpoint: use writeMemory() there, which keeps the breakpoint.
   */
  writeMemorySync(addr: number, data: Buffer): void {
    this.requireStopped();
    for (const a of this.swBreakpoints.keys()) {
      if (a >= addr && a < addr + data.length) throw new TargetError(`writeMemorySync: 0x${a.toString(16)} holds a breakpoint; use writeMemory.`);
    }
    this.pages.clear();
    this.memory.write(addr, data);
  }

  private closeMem(): void {
    this.memory.close();
  }

  async breakpoints(): Promise<BreakpointInfo[]> {
    return (await this.tracer.request({ op: 'breakpoints', pid: this.pid })) as BreakpointInfo[];
  }

  async getRegisters(tid = this.currentTid): Promise<Registers> {
    this.requireStopped();
    if (this.regCache && this.regCache.tid === tid) return new Registers(Buffer.from(this.regCache.buf));
    const gen = this.regGen;
    const buf = toBuffer(await this.tracer.request({ op: 'getRegs', tid }));
    // Keep it only if nothing could have changed the registers while the answer travelled.
    if (gen === this.regGen && this.state === 'stopped') this.regCache = { tid, buf: Buffer.from(buf) };
    return new Registers(buf);
  }

  async setRegisters(regs: Registers, tid = this.currentTid): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'setRegs', tid, regs: regs.buf });
    this.regCache = { tid, buf: Buffer.from(regs.buf) };
  }

  /**
   * Forgets the cached registers of the last stop. Called before every tracer request that could change
   * them (anything but reads), so a cached value is never stale.
   */
  invalidateRegisters(): void {
    this.regCache = undefined;
    this.regGen++;
    this.pages.clear();
  }

  async getFpRegisters(tid = this.currentTid): Promise<FpRegisters> {
    this.requireStopped();
    return new FpRegisters(toBuffer(await this.tracer.request({ op: 'getFpRegs', tid })));
  }

  async setFpRegisters(regs: FpRegisters, tid = this.currentTid): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'setFpRegs', tid, regs: regs.buf });
  }

  /** The thread's XSAVE area: x87/SSE plus AVX, AVX-512 (ymm, zmm, k) and the rest the kernel exposes. */
  async getXState(tid = this.currentTid): Promise<XState> {
    this.requireStopped();
    return new XState(toBuffer(await this.tracer.request({ op: 'getXState', tid })));
  }

  /** The siginfo of the thread's current stop (PTRACE_GETSIGINFO), undefined when the kernel has none. */
  async getSiginfo(tid = this.currentTid): Promise<Buffer | undefined> {
    this.requireStopped();
    const r = await this.tracer.request({ op: 'getSiginfo', tid });
    return r ? Buffer.from(toBuffer(r)) : undefined;
  }

  /** Writes an XSAVE area read with getXState (same size) back to the thread. */
  async setXState(regs: XState, tid = this.currentTid): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'setXState', tid, regs: regs.buf });
  }

  /** Reads memory as the program sees it (inserted breakpoints are invisible). */
  async readMemory(addr: number, len: number): Promise<Buffer> {
    this.requireAlive();
    return toBuffer(await this.tracer.request({ op: 'readMemory', pid: this.pid, addr, len }));
  }

  /** Writes memory, read-only text pages included. */
  async writeMemory(addr: number, data: Buffer): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'writeMemory', pid: this.pid, addr, data });
  }

  async threads(): Promise<ThreadInfo[]> {
    this.requireStopped();
    return (await this.tracer.request({ op: 'threads', pid: this.pid })) as ThreadInfo[];
  }

  /** Whether a signal stops the program (and is shown) and whether it is passed to the program. */
  async setSignalPolicy(signal: number | string, policy: SignalPolicy): Promise<void> {
    await this.tracer.request({ op: 'setSignalPolicy', pid: this.pid, signo: signalNumber(signal), policy });
  }

  // --- checkpoints: injected system calls (the tracer's "Checkpoints" section; docs/checkpoints.md) ---

  /**
   * Runs system call nr (x86-64 numbering) with up to six arguments in a stopped thread and resolves with
   * rax (a negative errno on failure). Registers and memory are as before afterwards. Only for calls
   * that do not block.
   */
  async injectSyscall(nr: number, args: (number | bigint)[] = [], tid = this.currentTid): Promise<bigint> {
    this.requireStopped();
    return (await this.tracer.request({ op: 'injectSyscall', pid: this.pid, tid, nr, args })) as bigint;
  }

  /**
   * Takes a checkpoint: clone(CLONE_PARENT | SIGCHLD) injected into this stopped single-threaded
   * process. The copy is traced, stopped before its first instruction, never resumed on its own and
   * never reported as an inferior; restart it with Tracer.spawnFromCheckpoint, end it with
   * Tracer.killCheckpoint. site 'pc' forces writing the syscall instruction at the pc (tests).
   */
  async forkCheckpoint(opts: { site?: SyscallSiteChoice } = {}): Promise<CheckpointFork> {
    this.requireStopped();
    return (await this.tracer.request({ op: 'checkpointFork', pid: this.pid, site: opts.site })) as CheckpointFork;
  }

  /**
   * Turns this stopped process into a checkpoint (what a restart does with the process it leaves): its
   * breakpoints are removed and it is never resumed again. This object is unusable afterwards
   * (state 'exited', retired true); the process ends with Tracer.killCheckpoint(pid).
   */
  async retireToCheckpoint(): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'checkpointRetire', pid: this.pid });
    this.retired = true;
    this.state = 'exited';
    this.closeMem();
    this.tracer.forgetInferior(this.pid);
  }

  /** This process became a checkpoint (retireToCheckpoint): it is not the program being debugged any more. */
  retired = false;

  /** A hardware watchpoint (debug register) on [addr, addr+len): stops after a write (or any access). */
  async setWatchpoint(addr: number, len: 1 | 2 | 4 | 8, kind: 'write' | 'access' = 'write'): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'setWatchpoint', pid: this.pid, addr, len, rw: kind === 'write' ? 1 : 3 });
  }

  async removeWatchpoint(addr: number): Promise<void> {
    this.requireStopped();
    await this.tracer.request({ op: 'removeWatchpoint', pid: this.pid, addr });
  }

  /**
   * Software watchpoints: single-steps one thread inside the tracer until one of the byte ranges changes
   * (changed: true, a 'step' stop after the writing instruction), a debug-register watch fires (a
   * 'watchpoint' stop), the pc reaches an inserted breakpoint or one of stopAt (a 'breakpoint' stop;
   * ignore counts are honoured as by cont), any other event, or maxSteps (a 'step' stop, changed false).
   * within: range stepping as stepRange (a 'step' stop when the pc leaves [start, end)); prevPc is the
   * last instruction executed.
   */
  async stepWatch(
    ranges: { addr: number; len: number }[],
    opts: { tid?: number; stopAt?: number[]; maxSteps?: number; signal?: number; within?: [number, number] } = {},
  ): Promise<{ event: StopEvent; steps: number; changed: boolean; prevPc: number }> {
    let out: { event: StopEvent; steps: number; changed: boolean; prevPc: number } | undefined;
    await this.run(
      { op: 'stepWatch', pid: this.pid, tid: opts.tid ?? this.currentTid, ranges, stopAt: opts.stopAt ?? [], maxSteps: opts.maxSteps ?? 100_000, signal: opts.signal, within: opts.within },
      (r) => {
        out = r as { event: StopEvent; steps: number; changed: boolean; prevPc: number };
        return out.event;
      },
    );
    return out!;
  }

  /**
   * System-call recording and replay for reverse execution (src/target/recording.ts): start recording
   * this process, make it replay a log from an entry, or ask where it is.
   */
  async recording(req: RecordingAction): Promise<unknown> {
    return this.tracer.request({ op: 'recording', pid: this.pid, req });
  }

  /** Detaches (breakpoints removed first); the process runs on without the debugger. */
  async detach(): Promise<void> {
    if (this.state === 'exited') throw new TargetError(`Process ${this.pid} has exited.`);
    if (this.state === 'running') {
      this.pause();
      await this.runPromise;
    }
    await this.tracer.request({ op: 'detach', pid: this.pid });
    this.closeMem();
    this.state = 'exited';
    this.tracer.forgetInferior(this.pid);
  }

  /** Kills the process and waits until it is gone. */
  async kill(): Promise<StopEvent> {
    if (this.state === 'exited') return this.lastStop;
    if (this.state === 'running') {
      sysKill(this.pid, SIGNALS.SIGKILL);
      return this.runPromise!;
    }
    const ev = (await this.tracer.request({ op: 'kill', pid: this.pid })) as StopEvent;
    this.noteStop(ev);
    return ev;
  }

  private run(req: Request, unwrap: (r: unknown) => StopEvent = (r) => r as StopEvent): Promise<StopEvent> {
    if (this.state === 'exited') return Promise.reject(new TargetError(`The program is not being run (process ${this.pid} has exited).`));
    if (this.state === 'running') return Promise.reject(new TargetError(`Process ${this.pid} is already running.`));
    this.state = 'running';
    this.lastRunUnpinned = false;
    // A continue may run long: then the inferior is unpinned (Tracer.unpinLater).
    const cancelUnpin = req.op === 'cont' || req.op === 'stepOver' ? this.tracer.unpinLater(this.pid) : noop;
    const hook = this.resumeHook;
    this.resumeHook = undefined;
    if (hook) Atomics.store(this.tracer.sharedFlags, SHARED.RESUME_GATE, 1);
    const request = this.tracer.request(req);
    if (hook) {
      // The tracer prepares the run meanwhile; the program runs once the gate opens.
      try {
        hook();
      } finally {
        Atomics.store(this.tracer.sharedFlags, SHARED.RESUME_GATE, 0);
        Atomics.notify(this.tracer.sharedFlags, SHARED.RESUME_GATE);
      }
    }
    const p = request.then(
      (r) => {
        cancelUnpin();
        const ev = unwrap(r);
        this.noteStop(ev);
        return ev;
      },
      (e) => {
        cancelUnpin();
        this.runPromise = undefined;
        if (this.state === 'running') this.state = 'stopped';
        throw e;
      },
    );
    this.runPromise = p;
    return p;
  }

  private noteStop(ev: StopEvent): void {
    this.runPromise = undefined;
    this.pages.clear();
    this.lastStop = ev;
    this.regGen++;
    this.regCache = ev.regs && 'tid' in ev ? { tid: ev.tid, buf: Buffer.from(toBuffer(ev.regs)) } : undefined;
    delete ev.regs;
    if (ev.kind === 'exec') {
      // A new program image: the old breakpoints and memory file are gone.
      this.swBreakpoints.clear();
      this.closeMem();
    }
    if (ev.kind === 'exited' || ev.kind === 'killed') {
      this.closeMem();
      this.state = 'exited';
      if (ev.kind === 'exited') this.exitCode = ev.code;
      else this.termSignal = ev.signo;
      this.tracer.forgetInferior(this.pid);
    } else {
      this.state = 'stopped';
    }
  }

  private requireStopped(): void {
    if (this.state === 'running') throw new TargetError(`Cannot do that while process ${this.pid} is running.`);
    this.requireAlive();
  }

  private requireAlive(): void {
    if (this.state === 'exited') throw new TargetError(`The program is not being run (process ${this.pid} has exited).`);
  }
}
