import type { RecordingAction } from './recording';

// Messages between the main thread (Target/Inferior) and the tracer worker. Kept to plain data so they
// survive structured cloning; Buffers travel as Uint8Arrays.

export interface LaunchOptions {
  program: string;
  args?: string[];
  /** Full environment for the program; defaults to the debugger's own. */
  env?: Record<string, string>;
  cwd?: string;
  /** File descriptors (in the debugger) for the program's stdin/stdout/stderr; -1 inherits the debugger's. */
  stdio?: [number, number, number];
  /** Disable address-space randomisation (default true, as gdb does). */
  disableAslr?: boolean;
  /** New session with stdin as controlling terminal (for a program run in a terminal). */
  newSession?: boolean;
}

export interface ThreadNote {
  kind: 'created' | 'exited';
  tid: number;
}

/**
 * A stop. Besides its kind-specific fields, a stop of a live thread carries that thread's general
 * registers (`regs`, struct user_regs_struct bytes) when the tracer could read them.
 */
export type StopEvent = StopEventBody & { regs?: Uint8Array };

type StopEventBody =
  | { kind: 'entry'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'breakpoint'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'step'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  /** addrs: start addresses of the read/write debug-register slots whose DR6 bit is set (which watch fired). */
  | { kind: 'watchpoint'; pid: number; tid: number; pc: number; dr6: number; addrs?: number[]; threads: ThreadNote[] }
  | {
      kind: 'signal';
      pid: number;
      tid: number;
      pc: number;
      signo: number;
      signame: string;
      code: number;
      /** si_addr for SIGSEGV/SIGBUS/SIGILL/SIGFPE: the faulting address. */
      faultAddr?: number;
      threads: ThreadNote[];
    }
  | { kind: 'paused'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'exec'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'exited'; pid: number; code: number; threads: ThreadNote[] }
  | { kind: 'killed'; pid: number; signo: number; signame: string; threads: ThreadNote[] };

export interface ThreadInfo {
  tid: number;
  pc: number;
  name: string;
  /** The thread was stopped by the program's own SIGSTOP/SIGTSTP (group-stop), not by the debugger. */
  groupStopped: boolean;
}

export interface SignalPolicy {
  /** Stop and report the signal to the user. */
  stop: boolean;
  /** Deliver the signal to the program when it resumes. */
  pass: boolean;
}

export interface BreakpointInfo {
  addr: number;
  hits: number;
  ignoreCount: number;
  /** Held in a debug register rather than an int3 in memory. */
  hardware: boolean;
  /** The program's byte under the int3 (software breakpoints). */
  orig: number;
}

/** What Tracer.stepOver / Inferior.stepOver answer (see there). */
export interface StepOverResult {
  event: StopEvent;
  /** The last instruction executed before the pc left the range (or the call stepped over). */
  prevPc: number;
  /** Instructions single-stepped (not counting the calls run over). */
  steps: number;
  /** Calls run over. */
  calls: number;
  /** Set when the stop came from running over a call: its return address and the stack pointer back there. */
  over?: { ra: number; minSp: number; reached: boolean };
}

export interface WorkerError {
  name: string;
  message: string;
  call?: string;
  errno?: number;
  code?: string;
}

export type Request =
  | { op: 'launch'; opts: LaunchOptions }
  | { op: 'attach'; pid: number }
  | { op: 'detach'; pid: number }
  | { op: 'kill'; pid: number }
  | { op: 'cont'; pid: number; signal?: number; temporary?: number[] }
  | { op: 'step'; pid: number; tid: number; signal?: number }
  | { op: 'stepMany'; pid: number; tid: number; count: number }
  | { op: 'stepRange'; pid: number; tid: number; start: number; end: number; stopAt: number[]; maxSteps: number }
  | { op: 'stepWatch'; pid: number; tid: number; ranges: { addr: number; len: number }[]; stopAt: number[]; maxSteps: number; signal?: number; within?: [number, number] }
  | {
      op: 'stepOver';
      pid: number;
      tid: number;
      start: number;
      end: number;
      stopAt: number[];
      maxSteps: number;
      frameCfa?: number;
      temporary?: number[];
    }
  | { op: 'setBreakpoint'; pid: number; addr: number; ignoreCount?: number; hardware?: boolean | 'auto' }
  | { op: 'removeBreakpoint'; pid: number; addr: number }
  | { op: 'breakpoints'; pid: number }
  | { op: 'getRegs'; tid: number }
  | { op: 'setRegs'; tid: number; regs: Uint8Array }
  | { op: 'getFpRegs'; tid: number }
  | { op: 'setFpRegs'; tid: number; regs: Uint8Array }
  | { op: 'getXState'; tid: number }
  | { op: 'getSiginfo'; tid: number }
  | { op: 'setXState'; tid: number; regs: Uint8Array }
  | { op: 'readMemory'; pid: number; addr: number; len: number }
  | { op: 'writeMemory'; pid: number; addr: number; data: Uint8Array }
  | { op: 'threads'; pid: number }
  | { op: 'setSignalPolicy'; pid: number; signo: number; policy: SignalPolicy }
  | { op: 'injectSyscall'; pid: number; tid: number; nr: number; args: (number | bigint)[] }
  | { op: 'checkpointFork'; pid: number; site?: SyscallSiteChoice }
  | { op: 'checkpointSpawn'; pid: number; opts: CheckpointSpawnOptions }
  | { op: 'checkpointRetire'; pid: number }
  | { op: 'checkpointKill'; pid: number }
  | { op: 'recording'; pid: number; req: RecordingAction }
  | { op: 'setWatchpoint'; pid: number; addr: number; len: 1 | 2 | 4 | 8; rw: 1 | 3 }
  | { op: 'removeWatchpoint'; pid: number; addr: number }
  | { op: 'ping' };

// Checkpoints (see docs/checkpoints.md and the "Checkpoints: injected system calls" section of tracer.ts).

/**
 * Where an injected system call runs: 'auto' uses a `syscall` instruction already in the process (in the
 * vDSO) and falls back to writing one at the pc; 'pc' always writes `0f 05` at the pc (and puts the bytes back).
 */
export type SyscallSiteChoice = 'auto' | 'pc';

/** A checkpoint just taken: a stopped copy of the inferior, traced, never resumed on its own. */
export interface CheckpointFork {
  pid: number;
  /** The program counter the copy (and the inferior) stopped at. */
  pc: number;
  /** fs_base (glibc: the thread pointer, what gdb shows as "Thread 0x..."); 0 in a program without TLS. */
  fsBase: number;
  /** Where the clone() ran: a syscall instruction of the vDSO, or one written at the pc. */
  site: 'vdso' | 'pc';
}

export interface CheckpointBreakpoint {
  addr: number;
  ignoreCount?: number;
  hardware?: boolean;
  hits?: number;
}

export interface CheckpointSpawnOptions {
  /** File offsets to put back in the new process (lseek(fd, pos, SEEK_SET) injected into it). */
  seeks?: { fd: number; pos: number }[];
  /** Copy the breakpoints (and signal policy) of this process, when it is still traced. */
  copyBreakpointsFrom?: number;
  /** Breakpoints to insert (after the copied ones). */
  breakpoints?: CheckpointBreakpoint[];
  site?: SyscallSiteChoice;
}

export interface CheckpointSpawnResult {
  /** The new process's stop ('paused' at the checkpoint's pc). */
  event: StopEvent;
  fsBase: number;
  /** File descriptors whose offset could not be put back (closed, or not seekable any more). */
  seekFailures: number[];
  /** Breakpoint addresses that could not be inserted (memory not mapped in the checkpoint). */
  breakpointFailures: number[];
}

export type RequestMessage = Request & { id: number };

export type ResponseMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WorkerError };

/** Slots of the SharedArrayBuffer shared by the main thread and the tracer. */
export const SHARED = {
  /** SIGSTOPs the main thread sent to interrupt a running inferior and the tracer has not consumed yet. */
  STOPS_IN_FLIGHT: 0,
  /** Set by pause(); cleared by the tracer when it reports any stop. */
  PAUSE_WANTED: 1,
  /**
   * CPU pinning of a running inferior (see RUN_STATE): the tracer sets RUNNING when it continues a
   * pinned inferior; the main thread, when the continue has not come back after a few ms, moves it to
   * UNPINNING, spreads the inferior's threads over all CPUs, then sets UNPINNED; the tracer, at the stop,
   * pins them again before it single-steps anything.
   */
  RUN_STATE: 2,
  /** The process RUN_STATE is about. */
  RUN_PID: 3,
  /**
   * Stops the tracer has seen (reported or handled inside it, such as a breakpoint hit under its ignore
   * count): a continue whose count keeps moving is not one long computation, and stays pinned.
   */
  STOPS_SEEN: 4,
  /**
   * 1 while the main thread holds the next resume of the program (Inferior.onNextResume): the tracer
   * does a run request's preparation (reading, decoding, breakpoints) but waits here before it lets the
   * program run, so that what the front-end writes for the resume (MI's ^running) comes first.
   */
  RESUME_GATE: 5,
  SIZE: 6,
} as const;

export const RUN_STATE = { IDLE: 0, RUNNING: 1, UNPINNED: 2, UNPINNING: 3 } as const;
