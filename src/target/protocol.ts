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

export type StopEvent =
  | { kind: 'entry'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'breakpoint'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'step'; pid: number; tid: number; pc: number; threads: ThreadNote[] }
  | { kind: 'watchpoint'; pid: number; tid: number; pc: number; dr6: number; threads: ThreadNote[] }
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
  | { op: 'cont'; pid: number; signal?: number }
  | { op: 'step'; pid: number; tid: number; signal?: number }
  | { op: 'stepMany'; pid: number; tid: number; count: number }
  | { op: 'setBreakpoint'; pid: number; addr: number; ignoreCount?: number; hardware?: boolean | 'auto' }
  | { op: 'removeBreakpoint'; pid: number; addr: number }
  | { op: 'breakpoints'; pid: number }
  | { op: 'getRegs'; tid: number }
  | { op: 'setRegs'; tid: number; regs: Uint8Array }
  | { op: 'getFpRegs'; tid: number }
  | { op: 'setFpRegs'; tid: number; regs: Uint8Array }
  | { op: 'readMemory'; pid: number; addr: number; len: number }
  | { op: 'writeMemory'; pid: number; addr: number; data: Uint8Array }
  | { op: 'threads'; pid: number }
  | { op: 'setSignalPolicy'; pid: number; signo: number; policy: SignalPolicy }
  | { op: 'ping' };

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
  SIZE: 2,
} as const;
