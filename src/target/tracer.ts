// The tracer: every ptrace call of the debugger happens here, on the tracer worker thread. It is
// synchronous by design (it may block in waitpid while the inferior runs); the main thread talks to it
// through messages (see tracer-worker.ts and target.ts) and never blocks.
//
// Model: all-stop. When one thread of a process reports something worth showing, every other thread of
// that process is interrupted (PTRACE_INTERRUPT: tracees are attached with PTRACE_SEIZE) before the stop
// is reported. Resuming steps threads that sit on an inserted breakpoint over it first, then continues all.
import * as fs from 'fs';
import {
  decodeStatus,
  FPREGS_SIZE,
  GPR_SIZE,
  gprOffset,
  isGroupStopSignal,
  kill as sysKill,
  ProcessMemory,
  ptrace as rawPtrace,
  ptraceBuf,
  PTRACE,
  PTRACE_EVENT,
  PTRACE_O,
  PtraceError,
  signalName,
  spawnPrepare,
  spawnRelease,
  SPAWN_FLAGS,
  SyscallError,
  TRAP_CODE,
  waitTracees,
  DEFAULT_NOSTOP,
  SIGNALS,
  WaitStatus,
  pinToCpu,
  ptraceRegset,
  NT,
  XSTATE_MAX_SIZE,
} from '../ptrace';
import { BreakpointInfo, LaunchOptions, RUN_STATE, SHARED, SignalPolicy, StepOverResult, StopEvent, ThreadInfo, ThreadNote } from './protocol';
import { checkExecutable, TargetError } from './errors';
import { errnoName, GprName } from '../ptrace';
import { CheckpointBreakpoint, CheckpointFork, CheckpointSpawnOptions, CheckpointSpawnResult, SyscallSiteChoice } from './protocol';
import { SyscallRecorder } from './recording';

// Every request that lets the program run passes the resume gate first (SHARED.RESUME_GATE).
const RESUMES = new Set<number>([PTRACE.CONT, PTRACE.SINGLESTEP, PTRACE.SYSCALL, PTRACE.LISTEN]);
let gateFlags: Int32Array | undefined;
function ptrace(req: number, pid: number, addr: number | bigint = 0, data: number | bigint = 0): number | bigint {
  if (gateFlags && RESUMES.has(req) && Atomics.load(gateFlags, SHARED.RESUME_GATE) === 1) {
    // Held by the main thread for the few µs of a write; never longer than a second.
    Atomics.wait(gateFlags, SHARED.RESUME_GATE, 1, 1000);
  }
  return rawPtrace(req, pid, addr, data);
}

// The x86 decoder (WebAssembly), loaded when range stepping first needs it; null when it cannot be
// loaded (then range stepping single-steps every instruction).
let icedLib: typeof import('iced-x86') | null | undefined;
function iced(): typeof import('iced-x86') | null {
  if (icedLib === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      icedLib = require('iced-x86') as typeof import('iced-x86');
    } catch {
      icedLib = null;
    }
  }
  return icedLib;
}

const SIGTRAP = SIGNALS.SIGTRAP;
const SIGSTOP = SIGNALS.SIGSTOP;
const SIGKILL = SIGNALS.SIGKILL;
const INT3 = 0xcc;
const RIP = gprOffset('rip');
const RSP = gprOffset('rsp');

// TRACESECCOMP: a seccomp filter's SECCOMP_RET_TRACE becomes a ptrace stop (system-call recording,
// recording.ts); without a filter it changes nothing.
export const TRACE_OPTIONS =
  PTRACE_O.EXITKILL | PTRACE_O.TRACECLONE | PTRACE_O.TRACEEXEC | PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACESECCOMP;

interface Thread {
  tid: number;
  /** 'running': resumed, a wait status is due. 'stopped': in a ptrace-stop we know of. */
  state: 'running' | 'stopped';
  /** Signal to deliver when the thread is next resumed. */
  pendingSignal: number;
  /** A stop that happened while we were stopping this thread and that still must be reported. */
  pendingReport?: StopEvent;
  /** In group-stop (the program stopped itself with SIGSTOP/SIGTSTP and we let it): resumed with LISTEN. */
  groupStopped: boolean;
  /**
   * The pc of this thread's last stop that was reported (or of its last single-step). Resuming steps a
   * thread over a breakpoint under its pc only when it stands where it was reported: a thread that was
   * interrupted at a breakpoint address, or moved back after hitting one while other threads were being
   * stopped, has not reported that hit and must execute the int3.
   */
  reportedAt?: number;
  /** The debug-register generation this thread has (new threads do not inherit ptrace's debug registers). */
  hwGen: number;
}

interface Breakpoint {
  addr: number;
  /** Original byte under the int3 (software breakpoints). */
  orig: number;
  hits: number;
  ignoreCount: number;
  /** Debug-register slot (0-3) when this is a hardware execution breakpoint. */
  hwSlot?: number;
}

/** What a debug-register slot holds (DR0-DR3 with its DR7 control bits). */
export interface HwSlot {
  addr: number;
  /** DR7 R/W bits: 0 execute, 1 write, 3 read/write. */
  rw: 0 | 1 | 3;
  /** Length in bytes: 1, 2, 4 or 8 (1 for execute). */
  len: 1 | 2 | 4 | 8;
}

const DR_OFFSET = (n: number) => 848 + n * 8; // offsetof(struct user, u_debugreg[n])
const DR7_LEN: Record<number, number> = { 1: 0, 2: 1, 8: 2, 4: 3 };

class Process {
  readonly threads = new Map<number, Thread>();
  readonly breakpoints = new Map<number, Breakpoint>();
  readonly policy = new Map<number, SignalPolicy>();
  notes: ThreadNote[] = [];
  readonly memory: ProcessMemory;
  /** Debug-register slots, applied to every thread; hwGen counts changes so threads can catch up. */
  readonly hw: (HwSlot | undefined)[] = [undefined, undefined, undefined, undefined];
  hwGen = 0;
  constructor(readonly pid: number) {
    this.memory = new ProcessMemory(pid);
  }

  policyFor(signo: number): SignalPolicy {
    const p = this.policy.get(signo);
    if (p) return p;
    return { stop: !DEFAULT_NOSTOP.has(signo), pass: signo !== SIGNALS.SIGINT && signo !== SIGTRAP };
  }

  takeNotes(): ThreadNote[] {
    const n = this.notes;
    this.notes = [];
    return n;
  }

}

export class Tracer {
  private readonly procs = new Map<number, Process>();
  /** tid -> process, for every thread of every traced process. */
  private readonly owner = new Map<number, Process>();
  /** Wait statuses of threads we had not met yet (a new thread can report before its parent's clone event). */
  private readonly early = new Map<number, number>();
  private readonly regBuf = Buffer.alloc(GPR_SIZE);
  private readonly word = Buffer.alloc(8);

  /** System-call recording and replay for reverse execution (recording.ts). */
  readonly recorder = new SyscallRecorder({
    memory: (pid) => this.proc(pid).memory,
    getRegs: (tid, buf) => ptraceBuf(PTRACE.GETREGS, tid, 0, buf),
    setRegs: (tid, buf) => ptraceBuf(PTRACE.SETREGS, tid, 0, buf),
  });

  /**
   * shared: the flags shared with the main thread (SHARED in protocol.ts). cpu: the CPU this tracer
   * thread is pinned to (its tracees inherit it), which long continues may leave (RUN_STATE).
   */
  constructor(
    private readonly shared: Int32Array,
    private readonly cpu?: number,
  ) {
    gateFlags = shared;
  }

  // ---------------------------------------------------------------------------------------------------
  // Starting and ending

  launch(opts: LaunchOptions): StopEvent {
    const file = checkExecutable(opts.program);
    const argv = [opts.program, ...(opts.args ?? [])];
    const envObj = opts.env ?? (process.env as Record<string, string>);
    const envp = Object.entries(envObj).map(([k, v]) => `${k}=${v}`);
    if (opts.cwd !== undefined && !isDirectory(opts.cwd)) {
      throw new TargetError(`Cannot launch ${opts.program}: working directory ${opts.cwd} does not exist.`);
    }
    let flags = opts.newSession ? SPAWN_FLAGS.SETSID : SPAWN_FLAGS.SETPGID;
    if (opts.disableAslr !== false) flags |= SPAWN_FLAGS.NO_ASLR;
    const prepared = spawnPrepare(file, argv, envp, opts.cwd, opts.stdio ?? [-1, -1, -1], flags);
    const pid = prepared.pid;
    try {
      ptrace(PTRACE.SEIZE, pid, 0, TRACE_OPTIONS);
    } catch (e) {
      sysKill(pid, SIGKILL);
      waitTracees(pid);
      throw e;
    }
    const execErr = spawnRelease(prepared);
    if (execErr !== 0) {
      this.reap(pid);
      throw new TargetError(`Cannot launch ${opts.program}: execve failed: ${new SyscallError('execve', execErr).message}`);
    }
    const proc = this.adopt(pid, [pid]);
    const st = decodeStatus(waitTracees(pid).status);
    if (!(st.kind === 'stopped' && st.event === PTRACE_EVENT.EXEC)) {
      this.forget(proc);
      throw new TargetError(`Cannot launch ${opts.program}: unexpected first stop (${JSON.stringify(st)})`);
    }
    proc.threads.get(pid)!.state = 'stopped';
    return this.presented(proc, { kind: 'entry', pid, tid: pid, pc: this.pcOf(pid), threads: proc.takeNotes() });
  }

  attach(pid: number): StopEvent {
    if (this.procs.has(pid)) throw new TargetError(`Process ${pid} is already being debugged.`);
    let tids: number[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      throw new TargetError(`Cannot attach to process ${pid}: no such process.`);
    }
    const status = readProcStatus(pid);
    if (status.tgid !== pid) throw new TargetError(`Cannot attach to ${pid}: it is a thread of process ${status.tgid}, not a process.`);
    if (status.tracerPid !== 0) {
      throw new TargetError(`Cannot attach to process ${pid}: it is already traced by process ${status.tracerPid}.`);
    }
    const seized: number[] = [];
    // Threads can be created while we attach: repeat until the task list is stable.
    for (let round = 0; round < 10; round++) {
      for (const tid of tids) {
        if (seized.includes(tid)) continue;
        try {
          ptrace(PTRACE.SEIZE, tid, 0, TRACE_OPTIONS);
          seized.push(tid);
        } catch (e) {
          if (e instanceof PtraceError && e.errno === 1) {
            for (const t of seized) ptrace(PTRACE.DETACH, t, 0, 0);
            throw new TargetError(`Cannot attach to process ${pid}: not permitted (ptrace: Operation not permitted).`);
          }
          if (!(e instanceof PtraceError && e.errno === 3)) throw e; // a thread that just exited
        }
      }
      const now = fs.readdirSync(`/proc/${pid}/task`).map(Number);
      if (now.every((t) => seized.includes(t))) break;
      tids = now;
    }
    const proc = this.adopt(pid, seized);
    for (const t of proc.threads.values()) {
      ptrace(PTRACE.INTERRUPT, t.tid, 0, 0);
      t.state = 'running';
    }
    this.stopAll(proc, undefined);
    return this.presented(proc, { kind: 'paused', pid, tid: pid, pc: this.pcOf(pid), threads: proc.takeNotes() });
  }

  detach(pid: number): void {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    for (const bp of [...proc.breakpoints.values()]) this.removeBreakpoint(pid, bp.addr);
    for (const t of proc.threads.values()) {
      try {
        ptrace(PTRACE.DETACH, t.tid, 0, t.pendingSignal);
      } catch (e) {
        if (!(e instanceof PtraceError && e.errno === 3)) throw e;
      }
    }
    this.forget(proc);
  }

  kill(pid: number): StopEvent {
    const proc = this.proc(pid);
    try {
      sysKill(pid, SIGKILL);
    } catch {
      /* already dead: reap below */
    }
    for (;;) {
      const ev = this.waitAndHandle(proc, 'kill');
      if (ev && (ev.kind === 'exited' || ev.kind === 'killed')) return ev;
    }
  }

  /** Kills every traced process: used at session end. */
  killAll(): void {
    for (const pid of [...this.procs.keys()]) {
      try {
        this.kill(pid);
      } catch {
        /* keep going: the rest must die too */
      }
    }
  }

  private adopt(pid: number, tids: number[]): Process {
    const proc = new Process(pid);
    this.procs.set(pid, proc);
    for (const tid of tids) this.addThread(proc, tid, false);
    return proc;
  }

  private addThread(proc: Process, tid: number, note: boolean): Thread {
    const t: Thread = { tid, state: 'running', pendingSignal: 0, groupStopped: false, hwGen: 0 };
    proc.threads.set(tid, t);
    this.owner.set(tid, proc);
    if (note) proc.notes.push({ kind: 'created', tid });
    return t;
  }

  private forget(proc: Process): void {
    this.recorder.forget(proc.pid);
    proc.memory.close();
    for (const tid of proc.threads.keys()) this.owner.delete(tid);
    this.procs.delete(proc.pid);
  }

  private reap(pid: number): void {
    for (;;) {
      const st = decodeStatus(waitTracees(pid).status);
      if (st.kind !== 'stopped') return;
      try {
        ptrace(PTRACE.CONT, pid, 0, 0);
      } catch {
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Run control

  /**
   * Continues every thread until something is worth reporting. `temporary` breakpoints live only for this
   * run: inserted after the threads step off their breakpoints, removed before the stop is returned (a run
   * to a return address costs one request instead of three).
   */
  cont(pid: number, signal?: number, temporary: number[] = []): StopEvent {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const pending = this.takePendingReport(proc);
    if (pending) return pending;
    if (signal !== undefined) this.thread(proc, this.focusTid(proc)).pendingSignal = signal;
    const inserted: number[] = [];
    try {
      // Inserted first, so a thread that reported a stop at one of them steps off it like off any other.
      for (const addr of temporary) {
        if (proc.breakpoints.has(addr)) continue;
        this.setBreakpoint(pid, addr, 0, false);
        inserted.push(addr);
      }
      const early = this.stepOffBreakpoints(proc);
      if (early) return early;
      if (this.cpu !== undefined) {
        Atomics.store(this.shared, SHARED.RUN_PID, proc.pid);
        Atomics.store(this.shared, SHARED.RUN_STATE, RUN_STATE.RUNNING);
      }
      try {
        for (const t of proc.threads.values()) this.resumeThread(t, PTRACE.CONT);
        return this.runUntilStop(proc);
      } finally {
        if (this.cpu !== undefined) this.repin(proc);
      }
    } finally {
      if (this.procs.get(pid) === proc) {
        for (const addr of inserted) if (proc.breakpoints.has(addr)) this.removeBreakpoint(pid, addr);
      }
    }
  }

  /**
   * After a continue: when the main thread spread the inferior over all CPUs meanwhile (a long run: a
   * compute-bound program pinned to a CPU that another process also loads runs at half speed), pins its
   * threads to the tracer's CPU again, where single-steps are ~3.5x cheaper.
   */
  private repin(proc: Process): void {
    for (;;) {
      const prev = Atomics.compareExchange(this.shared, SHARED.RUN_STATE, RUN_STATE.RUNNING, RUN_STATE.IDLE);
      if (prev === RUN_STATE.RUNNING || prev === RUN_STATE.IDLE) return;
      if (prev === RUN_STATE.UNPINNED) break;
      Atomics.wait(this.shared, SHARED.RUN_STATE, RUN_STATE.UNPINNING, 5); // the main thread is mid-way
    }
    Atomics.store(this.shared, SHARED.RUN_STATE, RUN_STATE.IDLE);
    for (const tid of proc.threads.keys()) {
      try {
        pinToCpu(tid, this.cpu!);
      } catch {
        /* gone */
      }
    }
  }

  step(pid: number, tid: number, signal?: number): StopEvent {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const t = this.thread(proc, tid);
    if (t.pendingReport) {
      const r = t.pendingReport;
      t.pendingReport = undefined;
      return r;
    }
    if (signal !== undefined) t.pendingSignal = signal;
    const ev = this.singleStep(proc, t);
    return ev;
  }

  /** Single-steps one thread count times (stopping early at any other event). For bench and stepi N. */
  stepMany(pid: number, tid: number, count: number): { steps: number; event: StopEvent } {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const t = this.thread(proc, tid);
    let steps = 0;
    let ev: StopEvent | undefined;
    // Thread notes of the steps gone past (each report takes the notes pending before it).
    const carried: ThreadNote[] = [];
    while (steps < count) {
      if (ev?.threads.length) carried.push(...ev.threads);
      // Fast path: no breakpoint anywhere, nothing pending: one SINGLESTEP and one waitpid per step.
      if (t.pendingSignal === 0 && !t.pendingReport && proc.breakpoints.size === 0) {
        ev = this.rawStep(proc, t);
        if (ev === undefined) {
          steps++;
          continue;
        }
      } else {
        ev = this.singleStep(proc, t);
      }
      if (ev.kind !== 'step') {
        if (carried.length) ev.threads = [...carried, ...ev.threads];
        return { steps, event: ev };
      }
      steps++;
    }
    // The last step's event, or (after a fast-path step, which makes none) the position now.
    const last: StopEvent = ev ?? { kind: 'step', pid, tid, pc: this.pcOf(tid), threads: [] };
    last.threads = [...carried, ...last.threads, ...proc.takeNotes()];
    this.noteReported(proc, last);
    return { steps, event: last };
  }

  /**
   * Range stepping (what gdb asks gdbserver for with vCont;r): single-steps one thread while its pc stays
   * in [start, end), without a round trip to the main thread per instruction. Stops at the first
   * instruction outside the range, on an address holding a breakpoint or listed in stopAt, at any other
   * event, after maxSteps, or when a pause is requested. Returns the stop and the pc of the last
   * instruction executed (a caller detects calls by the return address it pushed).
   */
  stepRange(pid: number, tid: number, start: number, end: number, stopAt: number[], maxSteps: number): { event: StopEvent; prevPc: number; steps: number } {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const t = this.thread(proc, tid);
    let prevPc = this.pcOf(tid);
    let ev = this.step(pid, tid);
    let steps = 1;
    // A debug-register watch firing during a single-step comes as the step's trap: DR6 says so.
    const watching = proc.hw.some((h) => h !== undefined && h.rw !== 0);
    if (watching && ev.kind === 'step') ev = this.watchAfterStep(proc, t) ?? ev;
    // Thread notes of the steps gone past (the first one's report took the notes pending before it).
    const carried: ThreadNote[] = [];
    while (ev.kind === 'step' && ev.pc >= start && ev.pc < end && steps < maxSteps) {
      if (proc.breakpoints.has(ev.pc) || stopAt.includes(ev.pc)) break;
      if (Atomics.load(this.shared, SHARED.PAUSE_WANTED) === 1) break;
      if (ev.threads.length) carried.push(...ev.threads);
      prevPc = ev.pc;
      if (t.pendingSignal === 0 && !t.pendingReport) {
        // Fast path (no breakpoint under the pc: checked above): one SINGLESTEP, one waitpid, one PEEKUSER.
        ev = this.rawStep(proc, t) ?? { kind: 'step', pid, tid, pc: this.pcOf(tid), threads: [] };
      } else {
        ev = this.singleStep(proc, t);
      }
      steps++;
      if (watching && ev.kind === 'step') ev = this.watchAfterStep(proc, t) ?? ev;
    }
    if (ev.kind === 'step') {
      ev.threads = [...carried, ...ev.threads, ...proc.takeNotes()];
      this.noteReported(proc, ev);
    } else if (carried.length) ev.threads = [...carried, ...ev.threads];
    return { event: ev, prevPc, steps };
  }

  /**
   * Range stepping that steps over calls without coming back to the main thread (what `next` needs):
   * like stepRange, but when the pc leaves [start, end) into a called function (the return address just
   * pushed, at [sp], is right after the last instruction executed, and sp is below `frameCfa`, the
   * stepping frame's CFA, when given), it continues every thread with a temporary breakpoint at the
   * return address (plus `temporary`, as cont), and when thread tid arrives there with its stack pointer
   * above the call's (recursion: a deeper arrival is run past), range-steps on from there.
   *
   * Comes back for everything else: the pc left the range another way (a return, a jump), an address
   * holding a breakpoint or listed in stopAt, a stop during the run to a return address (`over` then
   * names the return address and the stack pointer the arrival needs, reached false: the caller decides
   * whether to keep running to it), or an arrival at a return address that holds a breakpoint of its own
   * (reached true: the caller classifies the hit). A call whose entry holds a breakpoint is left to the
   * caller too. `calls`: calls stepped over.
   */
  stepOver(
    pid: number,
    tid: number,
    start: number,
    end: number,
    stopAt: number[],
    maxSteps: number,
    frameCfa: number | undefined,
    temporary: number[] = [],
  ): StepOverResult {
    const proc = this.proc(pid);
    let steps = 0;
    let calls = 0;
    for (;;) {
      const r = this.rangeRun(proc, tid, start, end, stopAt, Math.max(1, maxSteps - steps));
      steps += r.steps;
      let ev = r.event;
      let prevPc = r.prevPc;
      let ra: number;
      let minSp: number;
      const sp0 = r.atCall ? Number(ptrace(PTRACE.PEEKUSER, tid, RSP, 0)) : 0;
      if (r.atCall && (frameCfa === undefined || sp0 - 8 < frameCfa)) {
        // At a direct call (not into the next instruction): run over it from here, without stepping
        // into the callee first (one stop less). After the return, sp is back at sp0.
        prevPc = ev.kind === 'step' ? ev.pc : prevPc;
        ra = r.atCall.ra;
        minSp = sp0;
        steps++;
      } else {
        if (r.atCall) {
          // (Not a call from the stepping frame after all: step it like any other instruction.)
          const notes0 = ev.threads;
          prevPc = ev.kind === 'step' ? ev.pc : prevPc;
          ev = this.step(pid, tid);
          ev.threads = [...notes0, ...ev.threads];
          steps++;
        }
        const out = { event: ev, prevPc, steps, calls };
        if (ev.kind !== 'step' || ev.tid !== tid || (ev.pc >= start && ev.pc < end)) return out;
        if (steps >= maxSteps || proc.breakpoints.has(ev.pc) || Atomics.load(this.shared, SHARED.PAUSE_WANTED) === 1) return out;
        // Left the range: a call just made? (the same test the engine makes, src/engine/stepping.ts)
        const sp = Number(ptrace(PTRACE.PEEKUSER, tid, RSP, 0));
        const raw = BigInt.asUintN(64, BigInt(ptrace(PTRACE.PEEKDATA, tid, sp, 0)));
        ra = raw < 2n ** 53n ? Number(raw) : -1;
        if (!(ra > prevPc && ra <= prevPc + 16 && (frameCfa === undefined || sp < frameCfa))) return out;
        minSp = sp + 8;
      }
      const hadBp = proc.breakpoints.has(ra);
      const notes: ThreadNote[] = [...ev.threads];
      for (;;) {
        const c = this.cont(pid, undefined, hadBp ? temporary : [ra, ...temporary]);
        if (c.kind !== 'breakpoint' || c.pc !== ra) {
          c.threads = [...notes, ...c.threads];
          return { event: c, prevPc, steps, calls, over: { ra, minSp, reached: false } };
        }
        notes.push(...c.threads);
        c.threads = [];
        const mine = c.tid === tid && Number(ptrace(PTRACE.PEEKUSER, tid, RSP, 0)) >= minSp;
        if (hadBp) {
          // The return address holds a breakpoint of its own: the caller classifies the hit.
          c.threads = notes;
          return { event: c, prevPc, steps, calls, over: { ra, minSp, reached: mine } };
        }
        if (mine) break;
        // Our breakpoint, reached by another thread or a deeper frame (recursion): keep going.
      }
      calls++;
      // Back at the return address in the stepping frame: the temporary breakpoint is gone already.
      const t = this.thread(proc, tid);
      t.reportedAt = ra;
      if (ra >= start && ra < end && !stopAt.includes(ra) && steps < maxSteps) {
        proc.notes.unshift(...notes);
        continue;
      }
      const step: StopEvent = { kind: 'step', pid, tid, pc: ra, threads: notes };
      return { event: step, prevPc, steps, calls, over: { ra, minSp, reached: true } };
    }
  }

  /**
   * stepRange for stepOver: the same stops, but straight-line code (instructions that always fall through
   * to the next) runs to its end with a temporary breakpoint instead of one single-step per instruction
   * (what LLDB's step plans do): a line of eight plain instructions costs one stop instead of eight.
   * Only in a single-threaded process with nothing pending (the other threads of a multi-threaded one
   * must not run during a step, and a run resumes the process), and only when no breakpoint or stopAt
   * address lies on the way. `steps` counts the instructions executed either way.
   */
  private rangeRun(
    proc: Process,
    tid: number,
    start: number,
    end: number,
    stopAt: number[],
    maxSteps: number,
  ): { event: StopEvent; prevPc: number; steps: number; atCall?: { ra: number } } {
    this.requireStopped(proc);
    const pid = proc.pid;
    const t = this.thread(proc, tid);
    let pc = this.pcOf(tid);
    let prevPc = pc;
    let steps = 0;
    const carried: ThreadNote[] = [];
    for (;;) {
      const line = steps < maxSteps - 1 ? this.straightLine(proc, t, pc, end, stopAt, maxSteps - steps) : undefined;
      if (line && line.count === 0 && line.call) {
        // At a direct call: stepOver runs over it (the thread has not moved since its last report).
        const at: StopEvent = { kind: 'step', pid, tid, pc, threads: [...carried, ...proc.takeNotes()] };
        this.noteReported(proc, at);
        return { event: at, prevPc, steps, atCall: line.call };
      }
      const run = line && line.count >= 2 ? line : undefined;
      let ev: StopEvent | undefined = run ? this.runToTemporary(proc, t, run.stop) : undefined;
      if (run && ev) {
        if (ev.kind === 'breakpoint' && ev.tid === tid && ev.pc === run.stop) {
          steps += run.count;
          prevPc = run.last;
          if (ev.threads.length) carried.push(...ev.threads);
          ev = { kind: 'step', pid, tid, pc: run.stop, threads: [] };
        } else {
          // Something else happened on the way (a signal, a watchpoint, the end): that is the stop.
          if (carried.length) ev.threads = [...carried, ...ev.threads];
          return { event: ev, prevPc, steps };
        }
      } else {
        prevPc = pc;
        // The general step (stepping off a breakpoint under the pc, delivering a signal, a report that
        // waits) only when one of those applies: else one SINGLESTEP and one waitpid (~20 µs, against
        // ~55 µs for the general path).
        if (steps === 0 && (t.pendingSignal !== 0 || t.pendingReport || proc.breakpoints.has(pc))) ev = this.step(pid, tid);
        else if (t.pendingSignal === 0 && !t.pendingReport) ev = this.rawStep(proc, t) ?? { kind: 'step', pid, tid, pc: this.pcOf(tid), threads: [] };
        else ev = this.singleStep(proc, t);
        steps++;
        // A debug-register watch firing during a single-step comes as the step's trap (see stepRange).
        if (ev.kind === 'step') ev = this.watchAfterStep(proc, t) ?? ev;
        if (ev.kind !== 'step') {
          if (carried.length) ev.threads = [...carried, ...ev.threads];
          return { event: ev, prevPc, steps };
        }
      }
      pc = ev.pc;
      const out = !(pc >= start && pc < end) || steps >= maxSteps || proc.breakpoints.has(pc) || stopAt.includes(pc);
      if (out || Atomics.load(this.shared, SHARED.PAUSE_WANTED) === 1) {
        ev.threads = [...carried, ...ev.threads, ...proc.takeNotes()];
        this.noteReported(proc, ev);
        return { event: ev, prevPc, steps };
      }
      if (ev.threads.length) carried.push(...ev.threads);
    }
  }

  /**
   * The straight-line code from pc (thread t, stopped there): up to the first instruction that may not
   * fall through to the next (a branch, call, return, system call, trap), the end of the range, a
   * breakpoint or stopAt address, or maxSteps instructions, and whether that instruction is a direct call
   * (its return address). Undefined when running is not allowed (see rangeRun); the caller runs only two
   * instructions or more (one is cheaper stepped).
   */
  private straightLine(
    proc: Process,
    t: Thread,
    pc: number,
    end: number,
    stopAt: number[],
    maxSteps: number,
  ): { stop: number; count: number; last: number; call?: { ra: number } } | undefined {
    if (proc.threads.size !== 1 || t.pendingSignal !== 0 || t.pendingReport || t.groupStopped || this.early.size > 0) return undefined;
    if (proc.breakpoints.has(pc) || end - pc < 2) return undefined;
    const window = Math.min(end - pc, 256);
    const code = Buffer.alloc(window);
    try {
      this.readRaw(proc, pc, code);
    } catch {
      return undefined;
    }
    const lib = iced();
    if (!lib) return undefined;
    const { Decoder, DecoderOptions, FlowControl, Instruction } = lib;
    const decoder = new Decoder(64, new Uint8Array(code.buffer, code.byteOffset, code.length), DecoderOptions.None);
    decoder.ip = BigInt(pc);
    const insn = new Instruction();
    let at = pc;
    let last = pc;
    let beforeLast = pc;
    let count = 0;
    let call: { ra: number } | undefined;
    try {
      while (decoder.canDecode && count < maxSteps) {
        // A breakpoint or stop address on the way ends the run there (and one inside an instruction
        // would be missed by it: then step).
        if (count > 0 && (proc.breakpoints.has(at) || stopAt.includes(at))) break;
        decoder.decodeOut(insn);
        const len = insn.length;
        if (insn.isInvalid || at + len > pc + window) break;
        if (insn.flowControl !== FlowControl.Next) {
          // A direct near call into somewhere else than the next instruction (not `call 1f; 1:`).
          if (insn.isCallNear && Number(insn.nearBranchTarget) !== at + len && !proc.breakpoints.has(at)) call = { ra: at + len };
          break;
        }
        for (const b of proc.breakpoints.keys()) if (b > at && b < at + len) return undefined;
        for (const b of stopAt) if (b > at && b < at + len) return undefined;
        beforeLast = last;
        last = at;
        at += len;
        count++;
      }
    } finally {
      insn.free();
      decoder.free();
    }
    // The run ends with a temporary breakpoint: not on an address that has one of its own (the next
    // line's breakpoint, say): then stop one instruction short, and step that one.
    if (count > 0 && proc.breakpoints.has(at)) return count >= 3 ? { stop: last, count: count - 1, last: beforeLast } : { stop: at, count: 0, last };
    return { stop: at, count, last, call };
  }

  /**
   * Continues thread t alone (the only thread: see straightLine) until it reaches addr, with a temporary
   * breakpoint there. Returns the breakpoint stop at addr, or whatever stopped it first; undefined when
   * the breakpoint cannot be inserted (nothing ran).
   */
  private runToTemporary(proc: Process, t: Thread, addr: number): StopEvent | undefined {
    if (proc.breakpoints.has(addr)) return undefined; // never borrow (and then remove) one of the user's
    try {
      this.setBreakpoint(proc.pid, addr, 0, false);
    } catch {
      return undefined; // not writable there after all: single-step instead
    }
    try {
      this.resumeThread(t, PTRACE.CONT);
      return this.runUntilStop(proc);
    } finally {
      if (this.procs.get(proc.pid) === proc && proc.breakpoints.has(addr)) this.removeBreakpoint(proc.pid, addr);
    }
  }

  /**
   * One PTRACE_SINGLESTEP of t when nothing is to be delivered and no breakpoint is under its pc.
   * Returns undefined for a plain completed step of a single-threaded process (status 0x57f: SIGTRAP, no
   * event; the pc is not read), else the stop the general path makes of the status.
   */
  private rawStep(proc: Process, t: Thread): StopEvent | undefined {
    ptrace(PTRACE.SINGLESTEP, t.tid, 0, 0);
    t.state = 'running';
    const single = proc.threads.size === 1;
    const raw = waitTracees(single ? t.tid : -1).status;
    if (raw === 0x57f && single) {
      t.state = 'stopped';
      return undefined;
    }
    return this.handleStatus(proc, t.tid, decodeStatus(raw), 'step', t.tid) ?? this.waitForStep(proc, t);
  }

  private singleStep(proc: Process, t: Thread): StopEvent {
    const pc = this.pcOf(t.tid);
    const found = proc.breakpoints.get(pc);
    const bp = found && found.hwSlot === undefined ? found : undefined;
    if (bp) this.writeByte(proc, bp.addr, bp.orig);
    else if (found) this.setResumeFlag(t.tid); // a hardware breakpoint at pc: execute the instruction once
    const sig = t.pendingSignal;
    t.pendingSignal = 0;
    ptrace(PTRACE.SINGLESTEP, t.tid, 0, sig);
    t.state = 'running';
    let ev: StopEvent;
    try {
      ev = this.waitForStep(proc, t);
    } finally {
      if (bp && this.procs.has(proc.pid) && proc.breakpoints.get(bp.addr) === bp) this.writeByte(proc, bp.addr, INT3);
    }
    return ev;
  }

  /** Waits until thread t finishes its single-step (or something else worth reporting happens). */
  private waitForStep(proc: Process, t: Thread): StopEvent {
    for (;;) {
      const ev = this.waitAndHandle(proc, 'step', t.tid);
      if (ev) {
        // Other threads are stopped already: a step never lets them run.
        return ev;
      }
      if (!proc.threads.has(t.tid)) {
        // The stepping thread exited (pthread_exit): stop here.
        this.stopAll(proc, undefined);
        const any = proc.threads.values().next().value as Thread | undefined;
        if (!any) continue;
        return { kind: 'step', pid: proc.pid, tid: any.tid, pc: this.pcOf(any.tid), threads: proc.takeNotes() };
      }
    }
  }

  /** Before a continue: every thread sitting on an inserted breakpoint executes its instruction first. */
  private stepOffBreakpoints(proc: Process): StopEvent | undefined {
    if (proc.breakpoints.size === 0) return undefined;
    for (const t of [...proc.threads.values()]) {
      if (t.groupStopped) continue;
      const pc = this.pcOf(t.tid);
      const reported = t.reportedAt === pc;
      t.reportedAt = undefined;
      const bp = proc.breakpoints.get(pc);
      if (!reported || !bp) continue;
      if (bp.hwSlot !== undefined) {
        this.setResumeFlag(t.tid);
        continue;
      }
      const ev = this.singleStep(proc, t);
      if (ev.kind !== 'step') return ev;
      // The instruction under the breakpoint may be a watched access: its trap came as the step's.
      const watch = this.watchAfterStep(proc, t);
      if (watch) return watch;
    }
    return undefined;
  }

  /**
   * After a single-step of t: a debug-register watch that fired during it (a single-step trap carries
   * TRAP_TRACE even when a watch fired too; DR6 says which slot), reported as a 'watchpoint' stop.
   */
  private watchAfterStep(proc: Process, t: Thread, stopOthers = false): StopEvent | undefined {
    if (!proc.hw.some((h) => h !== undefined && h.rw !== 0)) return undefined;
    const dr6 = Number(ptrace(PTRACE.PEEKUSER, t.tid, DR_OFFSET(6), 0));
    const addrs = firedWatchSlots(proc.hw, dr6);
    if (!addrs.length) return undefined;
    ptrace(PTRACE.POKEUSER, t.tid, DR_OFFSET(6), 0);
    // Stepped while the other threads run (past an ignored breakpoint during a continue): all-stop.
    if (stopOthers) this.stopAll(proc, t);
    return this.report(proc, { kind: 'watchpoint', pid: proc.pid, tid: t.tid, pc: this.pcOf(t.tid), dr6, addrs, threads: [] });
  }

  private resumeThread(t: Thread, request: number): void {
    if (t.state !== 'stopped') return;
    const proc = this.owner.get(t.tid);
    if (proc && t.hwGen !== proc.hwGen && !t.groupStopped) this.syncDebugRegs(proc, t);
    const sig = t.pendingSignal;
    t.pendingSignal = 0;
    try {
      ptrace(t.groupStopped ? PTRACE.LISTEN : request, t.tid, 0, t.groupStopped ? 0 : sig);
      t.state = 'running';
    } catch (e) {
      // ESRCH: the thread was killed meanwhile (a SIGKILL from outside); its exit status is still due.
      if (e instanceof PtraceError && e.errno === 3) t.state = 'running';
      else throw e;
    }
  }

  private runUntilStop(proc: Process): StopEvent {
    for (;;) {
      if (this.allGroupStopped(proc)) {
        const ev = this.waitWhileGroupStopped(proc);
        if (ev) return ev;
        continue;
      }
      const ev = this.waitAndHandle(proc, 'cont');
      if (ev) return ev;
    }
  }

  private allGroupStopped(proc: Process): boolean {
    if (proc.threads.size === 0) return false;
    for (const t of proc.threads.values()) if (!t.groupStopped) return false;
    return true;
  }

  /**
   * The program stopped itself (group-stop) and waits for a SIGCONT: a pause request's SIGSTOP cannot wake
   * it, so instead of blocking in waitpid, poll it and sleep on the shared pause flag, which pause()
   * notifies. On a pause, PTRACE_INTERRUPT turns the listening threads into ptrace-stops.
   */
  private waitWhileGroupStopped(proc: Process): StopEvent | undefined {
    for (;;) {
      const r = waitTracees(-1, true);
      if (r.pid !== 0) {
        this.early.set(r.pid, r.status);
        return this.waitAndHandle(proc, 'cont');
      }
      if (Atomics.load(this.shared, SHARED.PAUSE_WANTED) === 1) {
        // Our SIGSTOP did nothing to a stopped group (a later SIGCONT flushes it): it is not in flight.
        if (Atomics.load(this.shared, SHARED.STOPS_IN_FLIGHT) > 0) Atomics.sub(this.shared, SHARED.STOPS_IN_FLIGHT, 1);
        for (const t of proc.threads.values()) {
          ptrace(PTRACE.INTERRUPT, t.tid, 0, 0);
          t.state = 'running';
        }
        for (const t of proc.threads.values()) {
          while (proc.threads.get(t.tid) === t && t.state === 'running') this.absorbStatus(proc, t);
          t.groupStopped = true; // resumed with LISTEN again: it stays stopped until a SIGCONT
        }
        const first = proc.threads.values().next().value as Thread;
        return this.report(proc, { kind: 'paused', pid: proc.pid, tid: first.tid, pc: this.pcOf(first.tid), threads: [] });
      }
      Atomics.wait(this.shared, SHARED.PAUSE_WANTED, 0, 50);
    }
  }

  /**
   * Waits for the next status of any of proc's threads and handles it. Returns a stop to report
   * (other threads already stopped), or undefined when the status was handled internally.
   */
  private waitAndHandle(proc: Process, mode: 'cont' | 'step' | 'kill', stepTid?: number): StopEvent | undefined {
    const early = this.takeEarly(proc);
    const { pid: tid, status } = early ?? waitTracees(mode === 'step' && stepTid !== undefined && proc.threads.size === 1 ? stepTid : -1);
    Atomics.add(this.shared, SHARED.STOPS_SEEN, 1);
    const owner = this.owner.get(tid);
    if (!owner) {
      this.early.set(tid, status);
      return undefined;
    }
    if (owner !== proc) {
      // A status of another traced process (a checkpoint, another inferior): keep it for later.
      this.early.set(tid, status);
      return undefined;
    }
    return this.handleStatus(proc, tid, decodeStatus(status), mode, stepTid);
  }

  private takeEarly(proc: Process): { pid: number; status: number } | undefined {
    for (const [tid, status] of this.early) {
      if (this.owner.get(tid) === proc) {
        this.early.delete(tid);
        return { pid: tid, status };
      }
    }
    return undefined;
  }

  private handleStatus(proc: Process, tid: number, st: WaitStatus, mode: 'cont' | 'step' | 'kill', stepTid?: number): StopEvent | undefined {
    const t = proc.threads.get(tid)!;
    if (st.kind === 'exited' || st.kind === 'killed') {
      proc.threads.delete(tid);
      this.owner.delete(tid);
      if (tid !== proc.pid) {
        proc.notes.push({ kind: 'exited', tid });
        return undefined;
      }
      // The leader's status comes last: the whole process is gone.
      for (const other of proc.threads.keys()) this.owner.delete(other);
      const notes = proc.takeNotes();
      this.forget(proc);
      this.clearPause();
      return st.kind === 'exited'
        ? { kind: 'exited', pid: proc.pid, code: st.code, threads: notes }
        : { kind: 'killed', pid: proc.pid, signo: st.signo, signame: signalName(st.signo), threads: notes };
    }
    t.state = 'stopped';
    if (mode === 'kill') {
      // Dying: let it go (SIGKILL is already pending).
      this.resumeQuietly(t);
      return undefined;
    }
    // System-call recording and replay (recording.ts): the seccomp stop at a traced call's entry, and
    // its completion (the syscall-exit stop, or the single-step report after the syscall instruction).
    if (st.event === PTRACE_EVENT.SECCOMP) {
      this.resumeThread(t, this.recorder.onSeccomp(proc.pid, tid, mode === 'step' && tid === stepTid));
      return undefined;
    }
    // Only an exit stop (or the step's trap at the exit) completes it: an event stop inside the call
    // (PTRACE_EVENT_CLONE) comes before the result.
    if (this.recorder.hasPending(tid) && (st.syscall || (st.event === 0 && st.signo === SIGTRAP))) this.recorder.onExit(proc.pid, tid);
    if (st.kind === 'stopped' && st.syscall) {
      this.resumeThread(t, mode === 'step' && tid === stepTid ? PTRACE.SINGLESTEP : PTRACE.CONT);
      return undefined;
    }
    if (st.event === PTRACE_EVENT.CLONE) {
      const newTid = this.eventMsg(tid);
      if (!proc.threads.has(newTid)) this.addThread(proc, newTid, true);
      this.recorder.noteThread(proc.pid);
      const exitDue = this.recorder.hasPending(tid) ? PTRACE.SYSCALL : PTRACE.CONT; // a recorded clone's exit stop
      this.resumeThread(t, mode === 'step' && tid === stepTid ? PTRACE.SINGLESTEP : exitDue);
      return undefined;
    }
    if (st.event === PTRACE_EVENT.EXEC) {
      // The program exec'd a new image: the old breakpoints are gone with the old address space.
      this.recorder.noteExec(proc.pid);
      proc.breakpoints.clear();
      proc.memory.close();
      this.stopAll(proc, t);
      return this.report(proc, { kind: 'exec', pid: proc.pid, tid, pc: this.pcOf(tid), threads: [] });
    }
    if (st.event === PTRACE_EVENT.STOP) {
      if (isGroupStopSignal(st.signo)) {
        // The program stopped itself and we passed the signal: stay stopped, as without a debugger.
        t.groupStopped = true;
        this.resumeThread(t, PTRACE.CONT);
        return undefined;
      }
      // An interrupt stop we did not ask for now, or a new thread's first stop.
      t.groupStopped = false;
      if (mode === 'step') {
        if (tid === stepTid) this.resumeThread(t, PTRACE.SINGLESTEP);
        return undefined; // a new thread stays stopped during a step
      }
      this.resumeThread(t, PTRACE.CONT);
      return undefined;
    }
    if (st.event !== 0) {
      this.resumeThread(t, PTRACE.CONT);
      return undefined;
    }
    // A signal-delivery-stop.
    t.groupStopped = false;
    const signo = st.signo;
    if (signo === SIGTRAP && mode === 'cont' && proc.hwGen > 0) {
      // Hardware execution breakpoint: the trap comes before the instruction, and the kernel sets RF so
      // resuming runs it without trapping again: one stop per hit instead of two.
      const pc = this.pcOf(tid);
      const bp = proc.breakpoints.get(pc);
      if (bp && bp.hwSlot !== undefined) {
        bp.hits++;
        if (bp.ignoreCount > 0) {
          bp.ignoreCount--;
          this.resumeThread(t, PTRACE.CONT);
          return undefined;
        }
        this.stopAll(proc, t);
        return this.report(proc, { kind: 'breakpoint', pid: proc.pid, tid, pc, threads: [] });
      }
    }
    if (signo === SIGTRAP) {
      const info = this.siginfo(tid);
      if (info.code === TRAP_CODE.SI_KERNEL) {
        const pc = this.pcOf(tid);
        const bp = proc.breakpoints.get(pc - 1);
        if (bp) {
          this.setPc(tid, bp.addr);
          bp.hits++;
          if (bp.ignoreCount > 0 && mode === 'cont') {
            bp.ignoreCount--;
            const ev = this.singleStep(proc, t);
            if (ev.kind !== 'step') return ev;
            const watch = this.watchAfterStep(proc, t, true);
            if (watch) return watch;
            this.resumeThread(t, PTRACE.CONT);
            return undefined;
          }
          this.stopAll(proc, t);
          return this.report(proc, { kind: 'breakpoint', pid: proc.pid, tid, pc: bp.addr, threads: [] });
        }
      } else if ((info.code === TRAP_CODE.TRACE || info.code === TRAP_CODE.BRKPT) && mode === 'step' && tid === stepTid) {
        // TRAP_BRKPT: a single-step over a `syscall` instruction is reported at the call's exit with
        // si_code TRAP_BRKPT (user_single_step_report), not TRAP_TRACE: it is the end of that step.
        return this.report(proc, { kind: 'step', pid: proc.pid, tid, pc: this.pcOf(tid), threads: [] });
      } else if (info.code === TRAP_CODE.HWBKPT) {
        this.stopAll(proc, t);
        const dr6 = Number(ptrace(PTRACE.PEEKUSER, tid, DR_OFFSET(6), 0));
        ptrace(PTRACE.POKEUSER, tid, DR_OFFSET(6), 0);
        return this.report(proc, { kind: 'watchpoint', pid: proc.pid, tid, pc: this.pcOf(tid), dr6, addrs: firedWatchSlots(proc.hw, dr6), threads: [] });
      } else if (info.code === TRAP_CODE.TRACE || info.code === TRAP_CODE.BRKPT) {
        // A stale single-step trap of another thread: nothing to deliver.
        this.resumeThread(t, mode === 'step' && tid === stepTid ? PTRACE.SINGLESTEP : PTRACE.CONT);
        return undefined;
      }
    }
    if (signo === SIGSTOP && Atomics.load(this.shared, SHARED.STOPS_IN_FLIGHT) > 0) {
      // Our own interrupt (Inferior.pause): never delivered to the program.
      Atomics.sub(this.shared, SHARED.STOPS_IN_FLIGHT, 1);
      if (Atomics.exchange(this.shared, SHARED.PAUSE_WANTED, 0) === 1) {
        this.stopAll(proc, t);
        return this.report(proc, { kind: 'paused', pid: proc.pid, tid, pc: this.pcOf(tid), threads: [] });
      }
      this.resumeThread(t, mode === 'step' && tid === stepTid ? PTRACE.SINGLESTEP : PTRACE.CONT);
      return undefined;
    }
    const policy = proc.policyFor(signo);
    t.pendingSignal = policy.pass ? signo : 0;
    if (!policy.stop) {
      this.resumeThread(t, mode === 'step' && tid === stepTid ? PTRACE.SINGLESTEP : PTRACE.CONT);
      return undefined;
    }
    const info = this.siginfo(tid);
    this.stopAll(proc, t);
    const ev: StopEvent = {
      kind: 'signal',
      pid: proc.pid,
      tid,
      pc: this.pcOf(tid),
      signo,
      signame: signalName(signo),
      code: info.code,
      threads: [],
    };
    if (signo === SIGNALS.SIGSEGV || signo === SIGNALS.SIGBUS || signo === SIGNALS.SIGILL || signo === SIGNALS.SIGFPE) {
      ev.faultAddr = info.addr;
    }
    return this.report(proc, ev);
  }

  private report(proc: Process, ev: StopEvent): StopEvent {
    this.noteReported(proc, ev);
    ev.threads = proc.takeNotes();
    this.clearPause();
    return ev;
  }

  /** A reported stop answers a pending pause request; a SIGSTOP still in flight is swallowed later. */
  private clearPause(): void {
    Atomics.store(this.shared, SHARED.PAUSE_WANTED, 0);
  }

  /**
   * Brings every running thread of proc (except `except`, already stopped) to a stop. Events met on the
   * way are kept: breakpoint hits are undone (pc moved back, so they hit again on resume), signals are
   * kept to be delivered or reported on the next resume.
   */
  private stopAll(proc: Process, except: Thread | undefined): void {
    for (;;) {
      const running = [...proc.threads.values()].filter((t) => t !== except && t.state === 'running' && !t.groupStopped);
      if (running.length === 0) return;
      for (const t of running) {
        try {
          ptrace(PTRACE.INTERRUPT, t.tid, 0, 0);
        } catch (e) {
          if (!(e instanceof PtraceError && e.errno === 3)) throw e;
        }
      }
      for (const t of running) {
        while (proc.threads.get(t.tid) === t && t.state === 'running') this.absorbStatus(proc, t);
      }
    }
  }

  private absorbStatus(proc: Process, t: Thread): void {
    const raw = this.early.get(t.tid);
    let status: number;
    if (raw !== undefined) {
      this.early.delete(t.tid);
      status = raw;
    } else {
      status = waitTracees(t.tid).status;
    }
    const st = decodeStatus(status);
    if (st.kind !== 'stopped') {
      proc.threads.delete(t.tid);
      this.owner.delete(t.tid);
      if (t.tid !== proc.pid) proc.notes.push({ kind: 'exited', tid: t.tid });
      else {
        // The leader died while we stopped it: the process is gone; report it on the next resume.
        this.early.set(t.tid, status);
        this.owner.set(t.tid, proc);
        proc.threads.set(t.tid, t);
        t.state = 'stopped';
        t.pendingReport =
          st.kind === 'exited'
            ? { kind: 'exited', pid: proc.pid, code: st.code, threads: [] }
            : { kind: 'killed', pid: proc.pid, signo: st.signo, signame: signalName(st.signo), threads: [] };
      }
      return;
    }
    t.state = 'stopped';
    if (st.event === PTRACE_EVENT.STOP) {
      t.groupStopped = isGroupStopSignal(st.signo);
      return;
    }
    if (st.event === PTRACE_EVENT.CLONE) {
      const newTid = this.eventMsg(t.tid);
      if (!proc.threads.has(newTid)) this.addThread(proc, newTid, true);
      return;
    }
    if (st.event !== 0) return;
    if (st.signo === SIGTRAP) {
      const info = this.siginfo(t.tid);
      if (info.code === TRAP_CODE.HWBKPT) {
        const pc = this.pcOf(t.tid);
        const bp = proc.breakpoints.get(pc);
        if (bp && bp.hwSlot !== undefined) {
          // A hardware breakpoint traps before its instruction, with RF set: if resumed, the instruction
          // runs. So the hit cannot be undone like an int3's: keep it to report on the next resume.
          bp.hits++;
          if (bp.ignoreCount > 0) bp.ignoreCount--;
          else t.pendingReport = { kind: 'breakpoint', pid: proc.pid, tid: t.tid, pc, threads: [] };
          return;
        }
      }
      if (info.code === TRAP_CODE.SI_KERNEL) {
        const pc = this.pcOf(t.tid);
        if (proc.breakpoints.has(pc - 1)) {
          this.setPc(t.tid, pc - 1); // will hit again when resumed
          return;
        }
      }
      if (info.code === TRAP_CODE.TRACE) return;
    }
    if (st.signo === SIGSTOP && Atomics.load(this.shared, SHARED.STOPS_IN_FLIGHT) > 0) {
      Atomics.sub(this.shared, SHARED.STOPS_IN_FLIGHT, 1);
      return;
    }
    const policy = proc.policyFor(st.signo);
    if (policy.stop) {
      const info = this.siginfo(t.tid);
      t.pendingSignal = policy.pass ? st.signo : 0;
      t.pendingReport = {
        kind: 'signal',
        pid: proc.pid,
        tid: t.tid,
        pc: this.pcOf(t.tid),
        signo: st.signo,
        signame: signalName(st.signo),
        code: info.code,
        faultAddr: info.addr,
        threads: [],
      };
    } else if (policy.pass) {
      t.pendingSignal = st.signo;
    }
  }

  /** A process handed to the user stopped (launch, attach): its threads stand where they are reported. */
  private presented(proc: Process, ev: StopEvent): StopEvent {
    for (const t of proc.threads.values()) if (t.state === 'stopped') t.reportedAt = this.pcOf(t.tid);
    return ev;
  }

  private noteReported(proc: Process, ev: StopEvent): void {
    if ('tid' in ev && 'pc' in ev) {
      const t = proc.threads.get(ev.tid);
      if (t) t.reportedAt = ev.pc;
    }
  }

  private takePendingReport(proc: Process): StopEvent | undefined {
    for (const t of proc.threads.values()) {
      if (t.pendingReport) {
        const r = t.pendingReport;
        t.pendingReport = undefined;
        this.noteReported(proc, r);
        if (r.kind === 'exited' || r.kind === 'killed') {
          this.early.delete(proc.pid);
          this.forget(proc);
        }
        r.threads = proc.takeNotes();
        return r;
      }
    }
    return undefined;
  }

  private resumeQuietly(t: Thread): void {
    try {
      ptrace(PTRACE.CONT, t.tid, 0, 0);
      t.state = 'running';
    } catch {
      t.state = 'running';
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Breakpoints, registers, memory

  /**
   * Inserts a breakpoint. hardware: true uses a debug register (an error when all four are taken);
   * 'auto' uses one when a slot is free and the breakpoint has an ignore count (the tracer then resumes
   * past most hits itself, and a hardware breakpoint halves what each of them costs); false, an int3.
   */
  setBreakpoint(pid: number, addr: number, ignoreCount = 0, hardware: boolean | 'auto' = 'auto'): BreakpointInfo {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    let bp = proc.breakpoints.get(addr);
    if (!bp) {
      const free = proc.hw.findIndex((h) => h === undefined);
      const useHw = hardware === true || (hardware === 'auto' && ignoreCount > 0 && free >= 0);
      if (useHw) {
        if (free < 0) throw new TargetError('Hardware breakpoints used exceeds limit (all 4 debug registers are in use).');
        bp = { addr, orig: 0, hits: 0, ignoreCount, hwSlot: free };
        this.setHwSlot(proc, free, { addr, rw: 0, len: 1 });
      } else {
        const orig = Buffer.alloc(1);
        this.readRaw(proc, addr, orig);
        bp = { addr, orig: orig[0], hits: 0, ignoreCount };
        this.writeByte(proc, addr, INT3);
      }
      proc.breakpoints.set(addr, bp);
    } else {
      bp.ignoreCount = ignoreCount;
    }
    return this.bpInfo(bp);
  }

  removeBreakpoint(pid: number, addr: number): void {
    const proc = this.proc(pid);
    const bp = proc.breakpoints.get(addr);
    if (!bp) throw new TargetError(`No breakpoint at 0x${addr.toString(16)}.`);
    if (bp.hwSlot !== undefined) this.setHwSlot(proc, bp.hwSlot, undefined);
    else this.writeByte(proc, addr, bp.orig);
    proc.breakpoints.delete(addr);
  }

  /** Sets or clears one debug-register slot on every stopped thread (others catch up when resumed). */
  setHwSlot(proc: Process, slot: number, value: HwSlot | undefined): void {
    proc.hw[slot] = value;
    proc.hwGen++;
    for (const t of proc.threads.values()) {
      if (t.state === 'stopped' && !t.groupStopped) this.syncDebugRegs(proc, t);
    }
  }

  private syncDebugRegs(proc: Process, t: Thread): void {
    let dr7 = 0;
    // DR7 must not enable a slot before its address is written: clear it first.
    ptrace(PTRACE.POKEUSER, t.tid, DR_OFFSET(7), 0);
    proc.hw.forEach((h, i) => {
      if (!h) return;
      ptrace(PTRACE.POKEUSER, t.tid, DR_OFFSET(i), h.addr);
      dr7 += (1 << (2 * i)) + (h.rw << (16 + 4 * i)) + (DR7_LEN[h.len] << (18 + 4 * i));
    });
    if (dr7 !== 0) ptrace(PTRACE.POKEUSER, t.tid, DR_OFFSET(7), dr7);
    t.hwGen = proc.hwGen;
  }

  private bpInfo(b: Breakpoint): BreakpointInfo {
    return { addr: b.addr, hits: b.hits, ignoreCount: b.ignoreCount, hardware: b.hwSlot !== undefined, orig: b.orig };
  }

  breakpoints(pid: number): BreakpointInfo[] {
    return [...this.proc(pid).breakpoints.values()].map((b) => this.bpInfo(b));
  }

  getRegs(tid: number): Buffer {
    this.requireThreadStopped(tid);
    const buf = Buffer.alloc(GPR_SIZE);
    ptraceBuf(PTRACE.GETREGS, tid, 0, buf);
    return buf;
  }

  setRegs(tid: number, regs: Buffer): void {
    this.requireThreadStopped(tid);
    ptraceBuf(PTRACE.SETREGS, tid, 0, regs);
  }

  getFpRegs(tid: number): Buffer {
    this.requireThreadStopped(tid);
    const buf = Buffer.alloc(FPREGS_SIZE);
    ptraceBuf(PTRACE.GETFPREGS, tid, 0, buf);
    return buf;
  }

  setFpRegs(tid: number, regs: Buffer): void {
    this.requireThreadStopped(tid);
    ptraceBuf(PTRACE.SETFPREGS, tid, 0, regs);
  }

  /**
   * The thread's XSAVE area (PTRACE_GETREGSET NT_X86_XSTATE, standard format), exactly as long as the
   * kernel's user xstate size (the iov_len it returns), which SETREGSET wants back unchanged.
   */
  getXState(tid: number): Buffer {
    this.requireThreadStopped(tid);
    // The kernel fills at most iov_len bytes and sets iov_len to what it wrote: a full buffer may mean a
    // larger xstate than any known one, so ask again with more room.
    for (let size = XSTATE_MAX_SIZE; ; size *= 2) {
      const buf = Buffer.alloc(size);
      const n = ptraceRegset(PTRACE.GETREGSET, tid, NT.X86_XSTATE, buf);
      if (n < size || size >= 1 << 20) return Buffer.from(buf.subarray(0, n));
    }
  }

  /**
   * The siginfo of the thread's current ptrace-stop (PTRACE_GETSIGINFO, 128 bytes: what `$_siginfo`
   * shows); undefined when the kernel has none (a group-stop).
   */
  getSiginfo(tid: number): Buffer | undefined {
    this.requireThreadStopped(tid);
    const info = Buffer.alloc(128);
    try {
      ptraceBuf(PTRACE.GETSIGINFO, tid, 0, info);
    } catch {
      return undefined;
    }
    return info;
  }

  /** Writes a whole XSAVE area back; `regs` must be the size getXState returned (the kernel's rule). */
  setXState(tid: number, regs: Buffer): void {
    this.requireThreadStopped(tid);
    ptraceRegset(PTRACE.SETREGSET, tid, NT.X86_XSTATE, regs);
  }

  /** Reads memory as the program sees it: inserted breakpoints show their original bytes. */
  readMemory(pid: number, addr: number, len: number): Buffer {
    const proc = this.proc(pid);
    const buf = Buffer.alloc(len);
    this.readRaw(proc, addr, buf);
    for (const bp of proc.breakpoints.values()) {
      if (bp.hwSlot === undefined && bp.addr >= addr && bp.addr < addr + len) buf[bp.addr - addr] = bp.orig;
    }
    return buf;
  }

  /** Writes memory, text pages included; bytes under an inserted breakpoint update its saved original. */
  writeMemory(pid: number, addr: number, data: Buffer): void {
    const proc = this.proc(pid);
    const copy = Buffer.from(data);
    for (const bp of proc.breakpoints.values()) {
      if (bp.hwSlot === undefined && bp.addr >= addr && bp.addr < addr + copy.length) {
        bp.orig = copy[bp.addr - addr];
        copy[bp.addr - addr] = INT3;
      }
    }
    proc.memory.write(addr, copy);
  }

  threads(pid: number): ThreadInfo[] {
    const proc = this.proc(pid);
    return [...proc.threads.values()].map((t) => ({
      tid: t.tid,
      pc: t.state === 'stopped' ? this.pcOf(t.tid) : 0,
      name: threadName(pid, t.tid),
      groupStopped: t.groupStopped,
    }));
  }

  setSignalPolicy(pid: number, signo: number, policy: SignalPolicy): void {
    this.proc(pid).policy.set(signo, policy);
  }

  private readRaw(proc: Process, addr: number, buf: Buffer): void {
    proc.memory.read(addr, buf);
  }

  private writeByte(proc: Process, addr: number, byte: number): void {
    this.word[0] = byte;
    proc.memory.writeText(addr, this.word.subarray(0, 1));
  }

  // ---------------------------------------------------------------------------------------------------
  // Watchpoints (debug registers, DR7 R/W=01 write or 11 read/write): used by reverse execution's
  // "last write" search; reported as 'watchpoint' stops (after the accessing instruction).

  setWatchpoint(pid: number, addr: number, len: 1 | 2 | 4 | 8, rw: 1 | 3): void {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    if (![1, 2, 4, 8].includes(len)) throw new TargetError(`A hardware watchpoint covers 1, 2, 4 or 8 bytes, not ${len}.`);
    if (addr % len !== 0) throw new TargetError(`A ${len}-byte hardware watchpoint needs an address aligned to ${len} (0x${addr.toString(16)} is not).`);
    const free = proc.hw.findIndex((h) => h === undefined);
    if (free < 0) throw new TargetError('Hardware watchpoints used exceeds limit (all 4 debug registers are in use).');
    this.setHwSlot(proc, free, { addr, rw, len });
  }

  removeWatchpoint(pid: number, addr: number): void {
    const proc = this.proc(pid);
    const slot = proc.hw.findIndex((h) => h !== undefined && h.rw !== 0 && h.addr === addr);
    if (slot < 0) throw new TargetError(`No watchpoint at 0x${addr.toString(16)}.`);
    this.setHwSlot(proc, slot, undefined);
  }

  /**
   * Software watchpoints (the engine's, src/engine/watchpoints.ts): single-steps thread tid until one of
   * `ranges` changes, compared with process_vm_readv after every instruction, with no round trip to the
   * main thread per step. Also stops when a debug-register watch fires during a step (single-step traps
   * carry TRAP_TRACE, so DR6 is read after each step while a read/write slot is set), when the pc reaches
   * an inserted breakpoint (counted, and passed while its ignore count lasts, as cont does; reported as a
   * 'breakpoint' stop) or an address of stopAt, at any other event, or after maxSteps.
   */
  stepWatch(
    pid: number,
    tid: number,
    ranges: { addr: number; len: number }[],
    stopAt: number[],
    maxSteps: number,
    signal?: number,
    within?: [number, number],
  ): { event: StopEvent; steps: number; changed: boolean; prevPc: number } {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const t = this.thread(proc, tid);
    const pending = this.takePendingReport(proc);
    let pc = this.pcOf(tid);
    let prevPc = pc;
    if (pending) return { event: pending, steps: 0, changed: false, prevPc };
    if (signal !== undefined) t.pendingSignal = signal;
    const read = (r: { addr: number; len: number }, buf: Buffer): boolean => {
      try {
        this.readRaw(proc, r.addr, buf);
        return true;
      } catch {
        return false;
      }
    };
    const before = ranges.map((r) => {
      const b = Buffer.alloc(r.len);
      return read(r, b) ? b : undefined;
    });
    const now = ranges.map((r) => Buffer.alloc(r.len));
    const stops = new Set(stopAt);
    const hwWatch = proc.hw.some((h) => h !== undefined && h.rw !== 0);
    const done = (event: StopEvent, steps: number, changed: boolean) => {
      if ('threads' in event && event.kind !== 'exited' && event.kind !== 'killed') event.threads = [...event.threads, ...proc.takeNotes()];
      this.noteReported(proc, event);
      return { event, steps, changed, prevPc };
    };
    let steps = 0;
    while (steps < maxSteps) {
      prevPc = pc;
      const fast = t.pendingSignal === 0 && !t.pendingReport && !proc.breakpoints.has(pc);
      const ev = fast ? this.rawStep(proc, t) : this.singleStep(proc, t);
      steps++;
      if (ev && ev.kind !== 'step') return { event: ev, steps, changed: false, prevPc };
      pc = ev ? ev.pc : this.pcOf(tid);
      if (hwWatch) {
        const watch = this.watchAfterStep(proc, t);
        if (watch) return { event: watch, steps, changed: false, prevPc };
      }
      for (let i = 0; i < ranges.length; i++) {
        const ok = read(ranges[i], now[i]);
        const was = before[i];
        if (ok !== (was !== undefined) || (was && !was.equals(now[i]))) return done({ kind: 'step', pid, tid, pc, threads: [] }, steps, true);
      }
      const bp = proc.breakpoints.get(pc);
      if (bp) {
        bp.hits++;
        if (bp.ignoreCount > 0) {
          bp.ignoreCount--;
          continue;
        }
        return done({ kind: 'breakpoint', pid, tid, pc, threads: [] }, steps, false);
      }
      if (stops.has(pc)) return done({ kind: 'breakpoint', pid, tid, pc, threads: [] }, steps, false);
      if (within && (pc < within[0] || pc >= within[1])) break;
    }
    return done({ kind: 'step', pid, tid, pc, threads: [] }, steps, false);
  }

  // ---------------------------------------------------------------------------------------------------
  // Checkpoints: injected system calls
  //
  // A system call is "injected" into a stopped thread: registers saved, rax/arguments set, orig_rax = -1
  // (so the kernel applies no syscall-restart handling to the stop we start from), rip pointed at a
  // `syscall` instruction (one already in the vDSO, or `0f 05` written at the pc and put back after), one
  // single-step, result read from rax, registers restored. A checkpoint is clone(CLONE_PARENT | SIGCHLD)
  // injected with PTRACE_O_TRACEFORK on for that one call: the copy is auto-attached and stops before
  // running an instruction; it is the tracer's child (CLONE_PARENT), so it never shows up in the
  // program's wait() and is reaped here. The copy is registered as a process that is never resumed:
  // a restart forks it again (checkpointSpawn), so the same checkpoint can be restarted any number of times.
  // Checkpoint images are clean: no int3 of ours in their memory, no debug registers (fork clears them).

  /** Processes that are checkpoints: pid -> what a fresh copy of it must get back. */
  private readonly checkpointProcs = new Map<number, { pendingSignal: number }>();
  /** A `syscall` instruction in the vDSO, per process, with the vDSO base it was found under (AT_SYSINFO_EHDR). */
  private readonly syscallSites = new Map<number, { vdso: number; addr: number }>();

  /**
   * Runs system call nr with up to six arguments in a stopped thread of a stopped process and returns
   * rax (a negative errno on failure). For calls that do not block (lseek, getpid, close, ...): the
   * tracer waits for the call to complete.
   */
  injectSyscall(pid: number, tid: number, nr: number, args: readonly (number | bigint)[] = []): bigint {
    const proc = this.proc(pid);
    this.requireStopped(proc);
    const t = this.thread(proc, tid);
    if (args.length > 6) throw new TargetError('A system call takes at most 6 arguments.');
    return this.injectRaw(proc, t, nr, args, this.syscallSite(proc, tid, 'auto')).result;
  }

  /** Takes a checkpoint of a stopped single-threaded process: a stopped copy that is never resumed. */
  checkpointFork(pid: number, site: SyscallSiteChoice = 'auto'): CheckpointFork {
    const proc = this.proc(pid);
    const t = this.checkpointableThread(proc);
    const { child, saved, where } = this.forkProcess(proc, t, site);
    // A clean image: the program's own bytes where our int3s are (fork did not copy debug registers).
    for (const bp of proc.breakpoints.values()) {
      if (bp.hwSlot === undefined) this.writeByte(child, bp.addr, bp.orig);
    }
    child.memory.close();
    this.checkpointProcs.set(child.pid, { pendingSignal: t.pendingSignal });
    return { pid: child.pid, pc: regNum(saved, 'rip'), fsBase: regNum(saved, 'fs_base'), site: where };
  }

  /**
   * Forks a fresh copy of checkpoint ckptPid and makes it a regular inferior, stopped where the
   * checkpoint was taken (the checkpoint itself stays untouched). File offsets are put back, then
   * breakpoints inserted.
   */
  checkpointSpawn(ckptPid: number, opts: CheckpointSpawnOptions = {}): CheckpointSpawnResult {
    const proc = this.proc(ckptPid);
    const rec = this.checkpointProcs.get(ckptPid);
    if (!rec) throw new TargetError(`Process ${ckptPid} is not a checkpoint.`);
    const gone = (): never => {
      // Killed from outside the debugger: forget it (its end status is consumed).
      this.early.delete(ckptPid);
      this.checkpointProcs.delete(ckptPid);
      this.syscallSites.delete(ckptPid);
      this.forget(proc);
      throw new TargetError(`Checkpoint process ${ckptPid} no longer exists (it was killed outside the debugger).`);
    };
    if (this.early.has(ckptPid)) gone(); // its end was seen while waiting for another process
    const t = this.thread(proc, ckptPid);
    let forked: { child: Process; saved: Buffer };
    try {
      forked = this.forkProcess(proc, t, opts.site ?? 'auto');
    } catch (e) {
      if (!(e instanceof PtraceError && e.errno === 3)) throw e;
      // ESRCH on a process that is always stopped: it is dying; its end status is due.
      if (decodeStatus(waitTracees(ckptPid).status).kind !== 'stopped') gone();
      throw e;
    }
    const { child, saved } = forked;
    proc.memory.close(); // the checkpoint keeps no descriptor of ours open
    const ct = this.thread(child, child.pid);
    ct.pendingSignal = rec.pendingSignal;
    const seekFailures: number[] = [];
    if (opts.seeks?.length) {
      const site = this.syscallSite(child, child.pid, opts.site ?? 'auto');
      for (const s of opts.seeks) {
        const r = this.injectRaw(child, ct, SYS.lseek, [s.fd, s.pos, 0], site).result;
        if (r !== BigInt(s.pos)) seekFailures.push(s.fd);
      }
    }
    const breakpointFailures: number[] = [];
    const insert = (b: CheckpointBreakpoint) => {
      try {
        this.setBreakpoint(child.pid, b.addr, b.ignoreCount ?? 0, b.hardware ?? false);
        const bp = child.breakpoints.get(b.addr);
        if (bp && b.hits !== undefined) bp.hits = b.hits;
      } catch {
        breakpointFailures.push(b.addr);
      }
    };
    const from = opts.copyBreakpointsFrom !== undefined ? this.procs.get(opts.copyBreakpointsFrom) : undefined;
    if (from) {
      for (const [signo, p] of from.policy) child.policy.set(signo, { ...p });
      for (const bp of from.breakpoints.values()) {
        insert({ addr: bp.addr, ignoreCount: bp.ignoreCount, hardware: bp.hwSlot !== undefined, hits: bp.hits });
      }
    }
    for (const b of opts.breakpoints ?? []) if (!child.breakpoints.has(b.addr)) insert(b);
    const pc = regNum(saved, 'rip');
    // Presented as stopped where the checkpoint was: resuming steps over a breakpoint there, as after any
    // reported stop.
    ct.reportedAt = pc;
    return {
      event: { kind: 'paused', pid: child.pid, tid: child.pid, pc, threads: child.takeNotes() },
      fsBase: regNum(saved, 'fs_base'),
      seekFailures,
      breakpointFailures,
    };
  }

  /**
   * Turns a stopped single-threaded inferior into a checkpoint (the process a restart leaves): its
   * breakpoints come out, and it is never resumed again, only forked.
   */
  checkpointRetire(pid: number): void {
    const proc = this.proc(pid);
    const t = this.checkpointableThread(proc);
    for (const bp of [...proc.breakpoints.values()]) this.removeBreakpoint(pid, bp.addr);
    proc.hw.forEach((h, i) => {
      if (h) this.setHwSlot(proc, i, undefined);
    });
    proc.memory.close();
    this.checkpointProcs.set(pid, { pendingSignal: t.pendingSignal });
  }

  /** Kills a checkpoint process and reaps it. */
  checkpointKill(pid: number): void {
    if (!this.checkpointProcs.has(pid)) throw new TargetError(`Process ${pid} is not a checkpoint.`);
    this.checkpointProcs.delete(pid);
    this.syscallSites.delete(pid);
    if (this.procs.has(pid)) this.kill(pid);
  }

  /** The one thread of a process that can be checkpointed, or a clear error. */
  private checkpointableThread(proc: Process): Thread {
    this.requireStopped(proc);
    if (proc.threads.size > 1) {
      throw new TargetError('checkpoints of a multi-threaded program are not supported: fork copies only the calling thread');
    }
    const t = proc.threads.values().next().value as Thread | undefined;
    if (!t || t.pendingReport?.kind === 'exited' || t.pendingReport?.kind === 'killed') {
      throw new TargetError('The program is not being run.');
    }
    if (t.groupStopped) {
      throw new TargetError(`Cannot checkpoint process ${proc.pid}: it is stopped by a job-control signal (continue it first).`);
    }
    return t;
  }

  /**
   * clone(CLONE_PARENT | SIGCHLD) injected into proc's thread t, with PTRACE_O_TRACEFORK for that call
   * only. Returns the copy, adopted, stopped, with t's registers (and memory) as they were before.
   */
  private forkProcess(proc: Process, t: Thread, choice: SyscallSiteChoice): { child: Process; saved: Buffer; where: 'vdso' | 'pc' } {
    const site = this.syscallSite(proc, t.tid, choice);
    ptrace(PTRACE.SETOPTIONS, t.tid, 0, TRACE_OPTIONS | PTRACE_O.TRACEFORK);
    let res: { result: bigint; saved: Buffer; forked?: number; patched?: Buffer };
    try {
      res = this.injectRaw(proc, t, SYS.clone, [CLONE_PARENT + SIGCHLD, 0, 0, 0, 0], site);
    } finally {
      if (proc.threads.has(t.tid)) ptrace(PTRACE.SETOPTIONS, t.tid, 0, TRACE_OPTIONS);
    }
    if (res.result < 0n) {
      throw new TargetError(`Cannot take a checkpoint: clone() failed in the program: ${errnoName(-Number(res.result))}.`);
    }
    const pid = Number(res.result);
    if (res.forked !== pid) {
      // Not auto-attached: the copy would run on from the syscall instruction. Never let it.
      try {
        sysKill(pid, SIGKILL);
      } catch {
        /* gone */
      }
      throw new TargetError(`Cannot take a checkpoint: the copy ${pid} was not attached (no fork event).`);
    }
    // The copy was auto-attached (options inherited, EXITKILL included) and stops before running an
    // instruction: with PTRACE_SEIZE a PTRACE_EVENT_STOP, otherwise SIGSTOP.
    const st = decodeStatus(waitTracees(pid).status);
    if (st.kind !== 'stopped') throw new TargetError(`Cannot take a checkpoint: the copy ${pid} died at once (${JSON.stringify(st)}).`);
    const child = this.adopt(pid, [pid]);
    this.thread(child, pid).state = 'stopped';
    ptrace(PTRACE.SETOPTIONS, pid, 0, TRACE_OPTIONS); // no TRACEFORK in the copy
    ptraceBuf(PTRACE.SETREGS, pid, 0, res.saved);
    if (res.patched) child.memory.writeText(site.addr, res.patched);
    const known = this.syscallSites.get(proc.pid);
    if (known) this.syscallSites.set(pid, { ...known }); // same address space layout, same vDSO
    return { child, saved: res.saved, where: site.patch ? 'pc' : 'vdso' };
  }

  /** Where to run an injected system call in proc: a `syscall` of the vDSO, or one written at the pc. */
  private syscallSite(proc: Process, tid: number, choice: SyscallSiteChoice): { addr: number; patch: boolean } {
    if (choice === 'auto') {
      const addr = this.vdsoSyscall(proc);
      if (addr !== undefined && !proc.hw.some((h) => h !== undefined && h.rw === 0 && h.addr >= addr && h.addr < addr + 2)) {
        return { addr, patch: false };
      }
    }
    return { addr: this.pcOf(tid), patch: true };
  }

  private vdsoSyscall(proc: Process): number | undefined {
    let vdso: number | undefined;
    try {
      vdso = auxvEntry(fs.readFileSync(`/proc/${proc.pid}/auxv`), AT_SYSINFO_EHDR);
    } catch {
      return undefined;
    }
    if (vdso === undefined || vdso === 0) return undefined;
    const two = Buffer.alloc(2);
    const known = this.syscallSites.get(proc.pid);
    if (known && known.vdso === vdso) {
      try {
        this.readRaw(proc, known.addr, two);
        if (two[0] === 0x0f && two[1] === 0x05) return known.addr;
      } catch {
        /* look again */
      }
    }
    // The vDSO's extent comes from /proc/PID/maps; its bytes as they are now (an int3 of ours never matches).
    let range: [number, number] | undefined;
    try {
      const line = fs
        .readFileSync(`/proc/${proc.pid}/maps`, 'utf8')
        .split('\n')
        .find((l) => l.endsWith('[vdso]'));
      if (line) {
        const [lo, hi] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
        range = [lo, hi];
      }
    } catch {
      return undefined;
    }
    if (!range || range[0] !== vdso) return undefined;
    const code = Buffer.alloc(range[1] - range[0]);
    try {
      this.readRaw(proc, range[0], code);
    } catch {
      return undefined;
    }
    for (let i = 0; i + 1 < code.length; i++) {
      if (code[i] === 0x0f && code[i + 1] === 0x05) {
        this.syscallSites.set(proc.pid, { vdso, addr: range[0] + i });
        return range[0] + i;
      }
    }
    return undefined;
  }

  /**
   * The injection itself. Leaves t stopped with its registers as before (and the bytes at a patched
   * site as before); returns rax, the saved registers, the pid of a process the call created (fork
   * event) and the bytes a patched site held.
   */
  private injectRaw(
    proc: Process,
    t: Thread,
    nr: number,
    args: readonly (number | bigint)[],
    site: { addr: number; patch: boolean },
  ): { result: bigint; saved: Buffer; forked?: number; patched?: Buffer } {
    const tid = t.tid;
    const saved = Buffer.alloc(GPR_SIZE);
    ptraceBuf(PTRACE.GETREGS, tid, 0, saved);
    const regs = Buffer.from(saved);
    const put = (name: GprName, v: number | bigint) => regs.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), gprOffset(name));
    put('rax', nr);
    put('orig_rax', -1n); // not "in a system call": no restart handling of the stop we start from
    put('rip', site.addr);
    // RF: a hardware execution breakpoint at the site does not fire for this one instruction.
    put('eflags', regs.readBigUInt64LE(gprOffset('eflags')) | 0x10000n);
    SYSCALL_ARGS.forEach((r, i) => put(r, args[i] ?? 0));
    let patched: Buffer | undefined;
    if (site.patch) {
      patched = Buffer.alloc(2);
      this.readRaw(proc, site.addr, patched); // raw: an int3 of ours stays in the saved bytes
      proc.memory.writeText(site.addr, SYSCALL_INSN);
    }
    let forked: number | undefined;
    let alive = true;
    try {
      ptraceBuf(PTRACE.SETREGS, tid, 0, regs);
      for (let round = 0; ; round++) {
        if (round > 32) throw new TargetError(`The injected system call ${nr} did not complete.`);
        ptrace(PTRACE.SINGLESTEP, tid, 0, 0);
        t.state = 'running';
        const status = waitTracees(tid).status;
        t.state = 'stopped';
        const st = decodeStatus(status);
        if (st.kind !== 'stopped') {
          // Killed meanwhile (SIGKILL from outside): report the end on the next resume, as stopAll does.
          alive = false;
          this.early.set(tid, status);
          t.pendingReport =
            st.kind === 'exited'
              ? { kind: 'exited', pid: proc.pid, code: st.code, threads: [] }
              : { kind: 'killed', pid: proc.pid, signo: st.signo, signame: signalName(st.signo), threads: [] };
          throw new TargetError(`Process ${proc.pid} ended during an injected system call.`);
        }
        if (st.event === PTRACE_EVENT.FORK || st.event === PTRACE_EVENT.VFORK || st.event === PTRACE_EVENT.CLONE) {
          forked = this.eventMsg(tid);
          continue;
        }
        if (st.event !== 0) continue; // an interrupt or group stop on the way: step on
        if (st.signo === SIGTRAP) {
          if (this.pcOf(tid) === site.addr + 2) break;
          // A single-step out of a stop inside a system call (the exec stop, a fork event) traps at that
          // call's exit before executing anything, and the call's return value has overwritten rax: set
          // the registers again and step again.
          ptraceBuf(PTRACE.SETREGS, tid, 0, regs);
          continue;
        }
        // A signal that was pending arrived first: the program gets it when it next runs.
        if (st.signo === SIGSTOP && Atomics.load(this.shared, SHARED.STOPS_IN_FLIGHT) > 0) {
          Atomics.sub(this.shared, SHARED.STOPS_IN_FLIGHT, 1);
        } else if (t.pendingSignal === 0 && proc.policyFor(st.signo).pass) {
          t.pendingSignal = st.signo;
        }
      }
      ptraceBuf(PTRACE.GETREGS, tid, 0, regs);
      return { result: BigInt.asIntN(64, regs.readBigUInt64LE(gprOffset('rax'))), saved, forked, patched };
    } finally {
      if (alive) {
        ptraceBuf(PTRACE.SETREGS, tid, 0, saved);
        if (patched) proc.memory.writeText(site.addr, patched);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Helpers

  private proc(pid: number): Process {
    const p = this.procs.get(pid);
    if (!p) throw new TargetError(`No process ${pid} is being debugged.`);
    return p;
  }

  private thread(proc: Process, tid: number): Thread {
    const t = proc.threads.get(tid);
    if (!t) throw new TargetError(`Process ${proc.pid} has no thread ${tid}.`);
    return t;
  }

  private focusTid(proc: Process): number {
    return proc.threads.has(proc.pid) ? proc.pid : proc.threads.keys().next().value!;
  }

  private requireStopped(proc: Process): void {
    for (const t of proc.threads.values()) {
      if (t.state !== 'stopped' && !t.groupStopped) throw new TargetError(`Process ${proc.pid} is running.`);
    }
  }

  private requireThreadStopped(tid: number): void {
    const proc = this.owner.get(tid);
    if (!proc) throw new TargetError(`No thread ${tid} is being debugged.`);
    const t = proc.threads.get(tid)!;
    if (t.state !== 'stopped') throw new TargetError(`Thread ${tid} is running.`);
  }

  private pcOf(tid: number): number {
    return Number(ptrace(PTRACE.PEEKUSER, tid, RIP, 0));
  }

  /** EFLAGS.RF: the next instruction runs without triggering an instruction breakpoint at it. */
  private setResumeFlag(tid: number): void {
    const off = gprOffset('eflags');
    const flags = Number(ptrace(PTRACE.PEEKUSER, tid, off, 0));
    ptrace(PTRACE.POKEUSER, tid, off, flags | 0x10000);
  }

  private setPc(tid: number, pc: number): void {
    ptrace(PTRACE.POKEUSER, tid, RIP, pc);
  }

  private eventMsg(tid: number): number {
    ptraceBuf(PTRACE.GETEVENTMSG, tid, 0, this.word);
    return Number(this.word.readBigUInt64LE(0));
  }

  private siginfo(tid: number): { signo: number; code: number; addr: number } {
    const info = Buffer.alloc(128);
    ptraceBuf(PTRACE.GETSIGINFO, tid, 0, info);
    return { signo: info.readInt32LE(0), code: info.readInt32LE(8), addr: Number(info.readBigUInt64LE(16)) };
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readProcStatus(pid: number): { tgid: number; tracerPid: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(/^(\w+):\s*(\S*)/m.exec(text.split('\n').find((l) => l.startsWith(name + ':')) ?? '')?.[2] ?? 0);
  return { tgid: field('Tgid'), tracerPid: field('TracerPid') };
}

function threadName(pid: number, tid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

// Checkpoints: system call numbers and flags (x86-64), and reading the auxiliary vector.
const SYS = { lseek: 8, clone: 56 } as const;
const CLONE_PARENT = 0x8000;
const SIGCHLD = 17;
const SYSCALL_INSN = Buffer.from([0x0f, 0x05]);
const SYSCALL_ARGS: GprName[] = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];
const AT_SYSINFO_EHDR = 33;

function regNum(regs: Buffer, name: GprName): number {
  return Number(regs.readBigUInt64LE(gprOffset(name)));
}

/** The value of one entry of /proc/PID/auxv (pairs of u64: type, value; AT_NULL ends it). */
function auxvEntry(auxv: Buffer, type: number): number | undefined {
  for (let i = 0; i + 16 <= auxv.length; i += 16) {
    const t = Number(auxv.readBigUInt64LE(i));
    if (t === 0) break;
    if (t === type) return Number(auxv.readBigUInt64LE(i + 8));
  }
  return undefined;
}

/** Start addresses of the read/write debug-register slots whose DR6 bit (B0-B3) is set. */
function firedWatchSlots(hw: (HwSlot | undefined)[], dr6: number): number[] {
  const out: number[] = [];
  hw.forEach((h, i) => {
    if (h && h.rw !== 0 && Math.floor(dr6 / 2 ** i) % 2 === 1) out.push(h.addr);
  });
  return out;
}
