// The public interface of the debugger engine: what the DAP adapter (adapter/) and the GDB/MI interpreter
// (src/mi/) program against. Plain data in, plain data out; front-ends never see ptrace, ELF or DWARF.
//
// Model
// - One Engine (a Session) debugs one program at a time, all-stop: every thread is stopped or every thread
//   runs. A program can be loaded without a process (gdb `file`, DAP `launch` before
//   `configurationDone`); breakpoints set then are inserted when the process starts.
// - Run-control calls (cont, next, step, ...) resolve with the StopInfo of the stop that ends them, and
//   the same StopInfo is emitted as a 'stopped' event (or 'exited' + 'terminated' when the process ends).
//   Front-ends may use either; MI replies `^running` at once and prints `*stopped` from the event.
// - Frame ids and variable references are valid while the process stays stopped; any resume invalidates
//   them (as DAP specifies). `Variable.evaluateName` re-creates a value after a resume (MI varobjs).
// - Errors are thrown as EngineError with a gdb-worded message ("No symbol \"x\" in current context.",
//   "The program is not being run.", "No source file named foo.c.") and the session stays usable.
//
// Stability: this file is the contract. Changes are additive only.

import type { EventEmitter } from 'events';

// ------------------------------------------------------------------------------------------------
// Errors

export type EngineErrorCode =
  /** No process is running (gdb: "The program is not being run."). */
  | 'not-running'
  /** The process is running; the request needs it stopped ("Cannot execute this command while the target is running."). */
  | 'running'
  /** No program is loaded ("No executable file specified."). */
  | 'no-program'
  /** A breakpoint / until / list location does not resolve (no such file, line, function). */
  | 'bad-location'
  /** An expression does not parse or evaluate. */
  | 'bad-expression'
  /** Memory or register access failed ("Cannot access memory at address 0x0"). */
  | 'memory'
  /** The id does not name a live frame / thread / breakpoint / variable reference / checkpoint. */
  | 'bad-id'
  /** finish in the outermost frame, step without line info, ... */
  | 'invalid'
  /** Not supported by this target or not implemented yet ("Target native does not support this command."). */
  | 'unsupported'
  /** Anything coming from the target layer (launch failures, ptrace errors). */
  | 'target';

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

// ------------------------------------------------------------------------------------------------
// Launch / attach

export interface LaunchConfig {
  /** Path of the executable. Relative paths resolve against cwd (else the debugger's cwd). */
  program: string;
  args?: string[];
  /** Working directory of the program (default: the debugger's). */
  cwd?: string;
  /** Full environment of the program (default: the debugger's own). */
  env?: Record<string, string>;
  /** Variables added to / overriding the environment (applied over env or the debugger's environment). */
  envOverrides?: Record<string, string | null>;
  /**
   * Program stdio: 'inherit' (default: the debugger's own fds), 'pipe' (the engine reads the program's
   * stdout/stderr and emits them as 'output' events with category 'stdout'/'stderr'; stdin is /dev/null
   * unless `stdin` is given), or explicit fds (in the debugger process) for stdin, stdout, stderr
   * (-1 = inherit that one), e.g. a pty for gdb's `tty`.
   */
  stdio?: 'inherit' | 'pipe' | [number, number, number];
  /** With stdio 'pipe': text written to the program's stdin, then closed. */
  stdin?: string;
  /**
   * Where the first stop is:
   * - 'none'  (default): run until a breakpoint, a signal or exit (gdb `run`);
   * - 'main':  stop at main's breakpoint location, after its prologue (gdb `start`); falls back to the
   *            program's entry point when there is no `main`;
   * - 'entry': stop at the very first instruction, in the dynamic linker (gdb `starti`).
   */
  stopAt?: 'none' | 'main' | 'entry';
  /** DAP's stopOnEntry: same as stopAt 'main' when stopAt is not given. */
  stopOnEntry?: boolean;
  /** Disable address-space randomisation (default true, as gdb does). */
  disableAslr?: boolean;
  /**
   * Record the program's execution from its first instruction for reverse execution (reverse-next,
   * reverse-continue, DAP stepBack...): gdb `record full` (see docs/reverse.md). Default false.
   */
  record?: boolean;
}

export interface AttachConfig {
  pid: number;
  /** Executable to read symbols from; default /proc/PID/exe. */
  program?: string;
}

export interface ProgramInfo {
  /** Absolute path of the executable. */
  path: string;
  /** The program has DWARF line information. */
  hasDebugInfo: boolean;
  /** Position-independent (its addresses move by the load bias). */
  pie: boolean;
  /** Link-time entry point. */
  entry: number;
  /** Human-readable note, e.g. "(No debugging symbols found in prog)". */
  message?: string;
}

export type SessionState =
  /** No program loaded. */
  | 'empty'
  /** Program loaded, no process. */
  | 'loaded'
  | 'running'
  | 'stopped'
  /** The process exited or was killed; the program stays loaded (can run again). */
  | 'exited';

// ------------------------------------------------------------------------------------------------
// Stops

export type StopReason =
  /** First instruction of the program (stopAt 'entry') or main (stopAt 'main'). */
  | 'entry'
  | 'breakpoint'
  /** A step / next / stepi / nexti / until without location ended (MI end-stepping-range). */
  | 'step'
  /** pause() (MI signal-received SIGINT, DAP 'pause'). */
  | 'pause'
  /** The program received a signal that the signal policy stops on. */
  | 'signal'
  /** finish / step-out returned to the caller (MI function-finished). */
  | 'finish'
  /** until LOCATION / advance / runToLocation reached its target (MI location-reached). */
  | 'location'
  /** Watchpoint triggered. */
  | 'watchpoint'
  /**
   * A watch on a local was deleted because its frame returned (gdb's "Watchpoint N deleted because the
   * program has left the block in which its expression is valid.", MI reason watchpoint-scope): the stop
   * is at the caller, right after the return; breakpointIds holds the deleted watches.
   */
  | 'watchpoint-scope'
  /** A crash-type signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT): DAP 'exception'. */
  | 'exception'
  /** The process exec'd a new program. */
  | 'exec'
  /** Reverse execution reached the beginning of the recorded history. */
  | 'no-history'
  /** Switched to a checkpoint (restartCheckpoint). */
  | 'checkpoint'
  /** The process exited normally (exitCode set). */
  | 'exited'
  /** The process was terminated by a signal (signal set), including kill(). */
  | 'killed';

export interface SignalInfo {
  number: number;
  /** "SIGSEGV" */
  name: string;
  /** gdb's description: "Segmentation fault". */
  description: string;
  /** si_code. */
  code: number;
  /** Faulting address (si_addr) for SIGSEGV/SIGBUS/SIGILL/SIGFPE. */
  faultAddress?: number;
}

export interface StopInfo {
  reason: StopReason;
  /** Thread that stopped (absent for exited/killed). */
  threadId?: number;
  /** Always true: all-stop. */
  allThreadsStopped: boolean;
  /** Ids of the user breakpoints hit at this stop (reason 'breakpoint'). */
  breakpointIds?: number[];
  /** reason 'signal' / 'exception' / 'killed'. */
  signal?: SignalInfo;
  /** reason 'exited'. */
  exitCode?: number;
  /** Top frame of the stopped thread (absent for exited/killed). */
  frame?: FrameInfo;
  /** reason 'finish': the value returned by the function that finished, when its type is known and not void. */
  returnValue?: Variable;
  /** reason 'finish': the function that finished ("Run till exit from #0 ..."). */
  finishedFunction?: string;
  /** reason 'watchpoint': the watchpoints that triggered, with old and new values. */
  watchpoints?: WatchHit[];
  /**
   * Watches on locals deleted at this stop because their frame returned: reason 'watchpoint-scope', or
   * 'finish' out of the watched frame (gdb reports both, MI `reason="watchpoint-scope",wpnum,reason="function-finished"`).
   */
  watchScopeDeleted?: number[];
  /** reason 'checkpoint': the checkpoint switched to. */
  checkpointId?: number;
  /**
   * gdb-like one-line description: "Breakpoint 1, main () at demo.c:12", "Program received signal
   * SIGSEGV, Segmentation fault.", "[Inferior 1 (process 123) exited with code 01]".
   */
  description: string;
}

// ------------------------------------------------------------------------------------------------
// Breakpoints

/**
 * A location: a source line, a function, an address; or a gdb linespec string: "file.c:12", "12"
 * (line in the current/default file), "func", "file.c:func", "*0x401136", "+2"/"-1" (offset from the
 * current line).
 */
export type LocationSpec =
  | string
  | { file: string; line: number; column?: number }
  | { function: string; file?: string }
  | { address: number };

export interface BreakpointSpec {
  location: LocationSpec;
  /** Stop only when this expression (C syntax, evaluated in the hit frame) is non-zero. */
  condition?: string;
  /** gdb ignore count: skip this many hits before stopping. */
  ignoreCount?: number;
  /**
   * DAP hitCondition, tested against the hit count (hits with a true condition, this one included):
   * "5" stops from the 5th hit on (as gdb's ignore count 4, what VS Code's cppdbg does), "==5" only at
   * the 5th, ">5", ">=5", "<5", "<=5", "%3" every 3rd hit. Applied after ignoreCount if both are given.
   */
  hitCondition?: string;
  /** Logpoint: print this message (with {expression} interpolation) as 'output' (category 'console') instead of stopping. */
  logMessage?: string;
  /** Deleted after the first stop (gdb tbreak). */
  temporary?: boolean;
  /** Default true. */
  enabled?: boolean;
  /** Stop only in this thread. */
  threadId?: number;
  /** Use a debug register instead of an int3 (gdb hbreak). */
  hardware?: boolean;
}

export interface SetBreakpointOptions {
  /**
   * When the location resolves nowhere in the loaded program and libraries: true keeps the breakpoint as
   * pending (unverified) and resolves it when a library that has it loads (gdb "set breakpoint pending
   * on", DAP); false (default) throws EngineError 'bad-location' with gdb's message.
   */
  pending?: boolean;
}

export interface BreakpointLocation {
  /** gdb's "1.2" numbering: breakpoint id, then a 1-based location index. */
  id: string;
  /** Run-time address (load bias applied). */
  address: number;
  file?: string;
  fullPath?: string;
  line?: number;
  column?: number;
  function?: string;
  /** Module (program or library path) the address belongs to. */
  module?: string;
  enabled: boolean;
  /** The function's unit is C++ (its print name may differ from `function`: `area() const`). */
  cplus?: boolean;
}

export interface Breakpoint {
  id: number;
  kind: 'line' | 'function' | 'address';
  /** The location as the user gave it, normalised to a string ("demo.c:12", "main", "*0x401136"). */
  original: string;
  spec: BreakpointSpec;
  /** At least one location is resolved (and inserted when a process runs). */
  verified: boolean;
  /** Unresolved now; will be retried whenever a module loads. */
  pending: boolean;
  /** Why it is unverified/pending, or a note like "Breakpoint moved from line 10 to 12". */
  message?: string;
  /** The line requested and the line actually used (moved to the next line with code, as gdb does). */
  requestedLine?: number;
  line?: number;
  locations: BreakpointLocation[];
  enabled: boolean;
  temporary: boolean;
  condition?: string;
  hitCondition?: string;
  ignoreCount: number;
  logMessage?: string;
  threadId?: number;
  /** Times the breakpoint was hit (condition true), counting ignored hits, as gdb's "breakpoint already hit N times". */
  hitCount: number;
}

/** gdb watch / rwatch / awatch. x86 has no read-only debug register: 'read' uses a read/write one and reports a stop only when the value did not change (as gdb on x86). */
export type WatchAccess = 'write' | 'read' | 'readWrite';

export interface WatchpointSpec {
  expression: string;
  /** Default 'write'. */
  access?: WatchAccess;
  /** Frame to evaluate the expression in (default: the selected thread's top frame). */
  frameId?: number;
  /** Stop only when this expression (evaluated in the stopped thread's top frame after the value check) is non-zero (gdb `watch x if cond`). */
  condition?: string;
  /** DAP hitCondition, as for breakpoints ("5", "==5", ">5", "%3", ...). */
  hitCondition?: string;
  /** gdb ignore count: triggers (with a true condition) to pass before stopping. */
  ignoreCount?: number;
  /**
   * true: debug registers only (an error when they do not fit, as before software watchpoints existed).
   * Default: a write watch that does not fit becomes a software watchpoint (single-stepping).
   */
  hardware?: boolean;
}

/** What updateWatchpoint (and updateBreakpoint with a watch id) can change. */
export type WatchpointChange = Partial<Pick<WatchpointSpec, 'condition' | 'hitCondition' | 'ignoreCount'>> & { enabled?: boolean };

export interface Watchpoint {
  /** Shared numbering with breakpoints (gdb numbers watchpoints with breakpoints). */
  id: number;
  expression: string;
  access: WatchAccess;
  address: number;
  /** Bytes watched (the value's size). */
  size: number;
  type: string;
  /** The value now (as last read). */
  value: string;
  /** Watch on a frame's local: deleted when that frame returns. */
  scoped: boolean;
  hitCount: number;
  /** A software watchpoint (gdb's "Watchpoint N" rather than "Hardware watchpoint N"): continuing single-steps. */
  software?: boolean;
  enabled?: boolean;
  condition?: string;
  hitCondition?: string;
  ignoreCount?: number;
  /** Set for a software watchpoint: why it is one, and that it is slow. */
  warning?: string;
}

export interface WatchHit {
  id: number;
  expression: string;
  access: WatchAccess;
  /** Write/access watches: the value before the hit; absent for read watches. */
  oldValue?: string;
  newValue: string;
  /** A software watchpoint ("Watchpoint N: expr" in gdb's text). */
  software?: boolean;
}

export type BreakpointChange = Partial<Pick<BreakpointSpec, 'condition' | 'ignoreCount' | 'hitCondition' | 'logMessage' | 'enabled' | 'threadId'>>;

/** gdb `handle SIG stop/print/pass`. */
export interface SignalHandling {
  stop: boolean;
  print: boolean;
  pass: boolean;
}

// ------------------------------------------------------------------------------------------------
// Threads, frames, scopes, variables

export interface ThreadInfo {
  id: number;
  /** /proc comm name. */
  name: string;
  /** gdb's target id: "Thread 0x7ffff7d89740 (LWP 123)" or "process 123". */
  targetId: string;
  /** The thread the last stop happened in / the selected thread. */
  current: boolean;
  /** Top frame (when stopped). */
  frame?: FrameInfo;
  /** Stopped by the program's own SIGSTOP/SIGTSTP. */
  groupStopped?: boolean;
}

export interface FrameInfo {
  /** Opaque id, valid until the next resume. */
  id: number;
  threadId: number;
  /** 0 = innermost. */
  level: number;
  /** Program counter (for caller frames: the return address, as gdb prints). */
  pc: number;
  /** Canonical frame address, when the unwinder knows it. */
  cfa?: number;
  /** Function name (DWARF, else ELF symbol), qualified for C++ ("Shape::area"); absent when unknown ("??"). */
  function?: string;
  /** Start address of the function, pc - functionStart is gdb's "<func+N>". */
  functionStart?: number;
  /** Source file as recorded in the line table (absent: no line info, gdb's "from /lib/libc.so.6"). */
  file?: string;
  /** Absolute path of the source file. */
  fullPath?: string;
  line?: number;
  column?: number;
  /** Path of the module (executable, library, "[vdso]") holding pc. */
  module?: string;
  /** Short name of the module ("libc.so.6"). */
  moduleName?: string;
  /** This frame is an inlined call inside its caller's code. */
  inlined?: boolean;
  /** Frame of a signal handler trampoline (gdb "<signal handler called>"). */
  signalTrampoline?: boolean;
  /** How the frame was found: 'cfi' | 'frame-pointer' | 'heuristic' (as unwindDetailed reports). */
  unwoundBy?: string;
}

export interface StackTrace {
  frames: FrameInfo[];
  /** Total depth when known (the unwinder stopped cleanly). */
  totalFrames?: number;
}

export type ScopeKind = 'arguments' | 'locals' | 'globals' | 'statics' | 'registers';

export interface Scope {
  /** "Arguments", "Locals", "Globals", "Statics", "Registers". */
  name: string;
  kind: ScopeKind;
  /** Pass to variables(). */
  variablesReference: number;
  namedVariables?: number;
  /** Expensive to expand (globals, registers). */
  expensive: boolean;
}

/** One of a frame's arguments as frameArguments gives it. */
export interface FrameArgument {
  name: string;
  /** As the Arguments scope's variable of that name shows it. */
  value: string;
  /** The variable would have children (a struct, an array, a pointer...). */
  hasChildren: boolean;
  /** `x@entry`: the value at the function's entry (see Variable.entryValue). */
  entryValue?: boolean;
  /** The current value equals the entry value (see Variable.entryEqual). */
  entryEqual?: boolean;
}

export interface Variable {
  name: string;
  /** Rendered value, gdb style ("42", "0x7ffe... \"hi\"", "{x = 1, y = 2}"), or an error text in angle brackets. */
  value: string;
  /** C/C++ type name. */
  type?: string;
  /** > 0 when the value has children (struct members, array elements, pointee); pass to variables(). */
  variablesReference: number;
  namedVariables?: number;
  indexedVariables?: number;
  /** Expression that re-creates this value in its frame ("p->next->x", "arr[3]"). */
  evaluateName?: string;
  /** Address of the object, for memory views. */
  memoryReference?: number;
  /** Can't be assigned (rvalue, register not available, optimized out). */
  readOnly?: boolean;
  /** The value could not be read (<optimized out>, <error: Cannot access memory at address 0x0>). */
  error?: string;
  /** A local of a nested lexical block of its function (Locals scope only; gdb's -stack-list-variables lists those before the arguments). */
  nestedBlock?: boolean;
  /**
   * Arguments scope: this entry (`x@entry`) is the value the parameter before it had on entry to the
   * function (gdb's `print entry-values default`, as its MI lists them). `info args` leaves these out.
   */
  entryValue?: boolean;
  /** Arguments scope: the parameter's current value equals its entry value (the next entry): gdb's console shows `x=x@entry=5`. */
  entryEqual?: boolean;
  /** Children of a C++ aggregate: what the child is (base class, member, static member…), its access, and for a static member the number of non-static members declared before it. */
  childKind?: 'member' | 'element' | 'base' | 'pointee' | 'anonymous' | 'static';
  access?: 'public' | 'private' | 'protected';
  position?: number;
}

export type ValueFormatKind = 'natural' | 'hex' | 'decimal' | 'unsigned' | 'octal' | 'binary' | 'char' | 'address' | 'float';

export interface ValueFormat {
  /** gdb print/FMT letters map to these: x hex, d decimal, u unsigned, o octal, t binary, c char, a address, f float. */
  kind?: ValueFormatKind;
  /** DAP ValueFormat.hex shortcut. */
  hex?: boolean;
}

export type EvaluateContext = 'watch' | 'repl' | 'hover' | 'clipboard' | 'variables';

export interface EvaluateOptions {
  /** Frame to evaluate in; default the selected frame (top frame of the current thread); none: globals only. */
  frameId?: number;
  context?: EvaluateContext;
  format?: ValueFormat;
  /** Also spell the type out as gdb's `ptype` does (EvaluateResult.ptype). */
  ptype?: boolean;
}

export interface EvaluateResult {
  /** Rendered value. */
  value: string;
  type?: string;
  /** With EvaluateOptions.ptype: the type as gdb's `ptype` prints it (typedefs resolved, members listed). */
  ptype?: string;
  variablesReference: number;
  namedVariables?: number;
  indexedVariables?: number;
  memoryReference?: number;
}

export interface VariablesOptions {
  filter?: 'named' | 'indexed';
  start?: number;
  count?: number;
  format?: ValueFormat;
}

// ------------------------------------------------------------------------------------------------
// Memory, registers, modules, sources

export interface MemoryRead {
  address: number;
  /** Bytes read from address onwards (may be shorter than asked when memory ends). */
  data: Buffer;
  /** Bytes at the end of the range that could not be read. */
  unreadableBytes: number;
}

export type RegisterGroup = 'general' | 'flags' | 'segment' | 'float' | 'vector' | 'system';

export interface RegisterValue {
  /** gdb names: rax ... r15, rip, eflags, cs ... gs, fs_base, gs_base, st0-7, xmm0-15, mxcsr ... */
  name: string;
  /** Raw value; vector registers as little-endian bigint of their full width. */
  value: bigint;
  /** Width in bytes. */
  size: number;
  group: RegisterGroup;
  /** gdb's natural rendering (`info registers`: "0x401136 <main+4>", "[ ZF PF ]"). */
  natural?: string;
  /** The register could not be recovered in this (caller) frame: gdb's <not saved>. */
  unavailable?: boolean;
}

export type ModuleKind = 'program' | 'library' | 'interpreter' | 'vdso';

export interface ModuleInfo {
  /** Stable id for the life of the process (DAP Module.id). */
  id: number;
  /** Short name ("libc.so.6"). */
  name: string;
  /** Absolute path ("[vdso]" for the vDSO). */
  path: string;
  kind: ModuleKind;
  /** Load bias (l_addr): run-time address = link-time address + base. */
  base: number;
  /** Run-time range of its executable code [start, end), for "From/To" in `info sharedlibrary`. */
  textStart?: number;
  textEnd?: number;
  symbolsLoaded: boolean;
  /** Has DWARF line information. */
  hasDebugInfo: boolean;
  /** e.g. "(No debugging symbols found in libc.so.6)". */
  symbolStatus?: string;
}

export interface SourceFileInfo {
  /** As recorded in DWARF (may be relative). */
  path: string;
  /** Absolute path when it can be built. */
  fullPath: string;
  /** Module the file belongs to. */
  module: string;
}

export interface AddressInfo {
  address: number;
  function?: string;
  /** Offset from the function start (gdb "<main+4>"). */
  offset?: number;
  file?: string;
  fullPath?: string;
  line?: number;
  module?: string;
}

export interface LineInfo {
  file: string;
  fullPath: string;
  line: number;
  /** Addresses of the line's code (run-time when a process runs). */
  addresses: number[];
}

// ------------------------------------------------------------------------------------------------
// Checkpoints (filled in by src/engine/checkpoints*.ts) and reverse execution

export interface CheckpointInfo {
  /** gdb numbering: 0 is the original process; checkpoints from 1. */
  id: number;
  pid: number;
  pc: number;
  function?: string;
  file?: string;
  line?: number;
  /** The process the session currently runs. */
  current: boolean;
  /** gdb `info checkpoints` line. */
  description: string;
}

// ------------------------------------------------------------------------------------------------
// Events

export interface OutputEvent {
  /** stdout/stderr of the program (stdio 'pipe'), 'console' for logpoints and engine notes, 'log' for diagnostics. */
  category: 'stdout' | 'stderr' | 'console' | 'log';
  text: string;
}

export interface EngineEvents {
  /** The process started (launch/attach). */
  process: [{ pid: number; name: string; startMethod: 'launch' | 'attach' }];
  stopped: [StopInfo];
  /** The process resumed (all threads); threadId is the thread the command was for. */
  continued: [{ threadId?: number; allThreadsContinued: true }];
  output: [OutputEvent];
  thread: [{ reason: 'started' | 'exited'; threadId: number }];
  module: [{ reason: 'new' | 'changed' | 'removed'; module: ModuleInfo }];
  breakpoint: [{ reason: 'new' | 'changed' | 'removed'; breakpoint: Breakpoint }];
  /** The process ended: exit code or terminating signal. */
  exited: [{ exitCode?: number; signal?: SignalInfo; pid: number }];
  /** The debuggee is gone (after exited, kill, detach). restart: a restart() follows. */
  terminated: [{ restart?: boolean }];
}

/** A typed view of Node's EventEmitter for EngineEvents. */
export interface TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean;
}

// ------------------------------------------------------------------------------------------------
// The engine

export interface RunOptions {
  /** Thread to act on; default the current (last stopped / selected) thread. */
  threadId?: number;
}

export interface StepOptions extends RunOptions {
  /** Repeat count (gdb `next 3`): stops early at a breakpoint or signal. */
  count?: number;
}

export interface ContinueOptions extends RunOptions {
  /** Deliver this signal on resume (gdb `signal SIGINT`, number or name); 0 suppresses the pending one. */
  signal?: number | string;
  /** gdb `continue N`: set the ignore count of the breakpoint just hit to N-1. */
  ignoreCurrent?: number;
}

export interface FinishOptions extends RunOptions {
  /** Finish this frame (default the selected frame, 0); gdb `up; finish`. */
  frameId?: number;
}

export interface Engine extends TypedEmitter<EngineEvents> {
  /**
   * The CPU a stopped thread last ran on when the engine knows it without asking the kernel (MI's
   * `core`); undefined otherwise (then /proc/PID/task/TID/stat tells).
   */
  threadCore(threadId: number): number | undefined;
  readonly state: SessionState;
  /** Process id of the debuggee, when one runs. */
  readonly pid: number | undefined;
  readonly program: ProgramInfo | undefined;
  /** Current thread (last stop, or selectThread). */
  readonly currentThreadId: number | undefined;

  // --- program and process ---
  /** Loads symbols for a program without running it (gdb `file`); also done by launch. */
  loadProgram(program: string): Promise<ProgramInfo>;
  /** Starts the program, inserts breakpoints, runs to the first stop (see LaunchConfig.stopAt). */
  launch(config: LaunchConfig): Promise<StopInfo>;
  /** Attaches to a running process and stops it (reason 'pause'). */
  attach(config: AttachConfig): Promise<StopInfo>;
  /** Detaches (breakpoints removed, the process runs on). */
  detach(): Promise<void>;
  /** Kills the process (gdb `kill`); resolves when it is gone. The program stays loaded. */
  kill(): Promise<void>;
  /** Kills and launches again with the same config and breakpoints. */
  restart(): Promise<StopInfo>;
  /** Kills any process and releases the tracer. The engine is unusable afterwards. */
  dispose(): Promise<void>;

  // --- run control (all-stop) ---
  cont(opts?: ContinueOptions): Promise<StopInfo>;
  /** Source-line step over calls (gdb next, DAP next). */
  next(opts?: StepOptions): Promise<StopInfo>;
  /** Source-line step into functions with line info (gdb step, DAP stepIn). */
  step(opts?: StepOptions): Promise<StopInfo>;
  /** Runs until the selected frame returns; StopInfo.returnValue holds the value (gdb finish, DAP stepOut). */
  finish(opts?: FinishOptions): Promise<StopInfo>;
  /**
   * Without location: like next, but never stops in a line before the current one in the same frame
   * (loop back-edges run through). With location: runs until it is reached or the current frame returns.
   */
  until(opts?: RunOptions & { location?: LocationSpec }): Promise<StopInfo>;
  /** Runs until the location is reached or the current frame returns (gdb advance; DAP runToLocation). */
  advance(location: LocationSpec, opts?: RunOptions): Promise<StopInfo>;
  /** One machine instruction; over: step over calls (gdb stepi / nexti). */
  stepInstruction(opts?: StepOptions & { over?: boolean }): Promise<StopInfo>;
  /** Interrupts the running program; the pending run call resolves with reason 'pause'. No-op when stopped. */
  pause(): Promise<void>;
  /** Makes a thread the current one (gdb `thread N`). */
  selectThread(threadId: number): void;

  // --- reverse execution (needs checkpoint history; throws 'unsupported' until available) ---
  reverseContinue(opts?: RunOptions): Promise<StopInfo>;
  reverseStep(opts?: StepOptions): Promise<StopInfo>;
  reverseNext(opts?: StepOptions): Promise<StopInfo>;
  reverseFinish(opts?: RunOptions): Promise<StopInfo>;
  reverseStepInstruction(opts?: StepOptions & { over?: boolean }): Promise<StopInfo>;
  /** gdb `record full`: start recording the stopped program (its reverse-execution history begins here). */
  startRecording(): Promise<void>;
  /** gdb `record stop`: drop the history; the program goes on from the present. */
  stopRecording(): Promise<void>;

  // --- checkpoints (fork-based) ---
  checkpoint(): Promise<CheckpointInfo>;
  checkpoints(): CheckpointInfo[];
  restartCheckpoint(id: number): Promise<StopInfo>;
  deleteCheckpoint(id: number): Promise<void>;

  // --- breakpoints ---
  setBreakpoint(spec: BreakpointSpec, opts?: SetBreakpointOptions): Promise<Breakpoint>;
  updateBreakpoint(id: number, change: BreakpointChange): Promise<Breakpoint>;
  removeBreakpoint(id: number): Promise<void>;
  breakpoints(): Breakpoint[];
  /** Hardware watchpoint (gdb watch/rwatch/awatch); removeBreakpoint(id) removes it too. */
  setWatchpoint(spec: WatchpointSpec): Promise<Watchpoint>;
  removeWatchpoint(id: number): Promise<void>;
  watchpoints(): Watchpoint[];
  /** Condition, hit condition, ignore count, enabled (updateBreakpoint(id, change) works too). */
  updateWatchpoint(id: number, change: WatchpointChange): Promise<Watchpoint>;
  /** Resolves a location without setting anything (gdb `info line`, `list`, DAP breakpointLocations). */
  resolveLocation(location: LocationSpec): Promise<LineInfo[]>;
  /** Lines in [line, endLine] of a file that have code (DAP breakpointLocations). */
  breakpointLocations(file: string, line: number, endLine?: number): Promise<{ line: number; column?: number }[]>;
  /** gdb `handle`. */
  setSignalHandling(signal: number | string, handling: Partial<SignalHandling>): Promise<SignalHandling>;
  signalHandling(signal: number | string): SignalHandling;

  // --- threads and stack ---
  threads(): Promise<ThreadInfo[]>;
  /** Frames of a thread, innermost first; startFrame/levels page through (DAP stackTrace, MI -stack-list-frames). */
  stackTrace(threadId?: number, startFrame?: number, levels?: number): Promise<StackTrace>;
  /**
   * The innermost `count` frames of a thread, unwinding no more of the stack than they need (the
   * stop's full stack when already known); `more`: the stack has frames beyond them. Ids as stackTrace's.
   */
  partialStack(threadId: number | undefined, count: number): Promise<{ frames: FrameInfo[]; more: boolean }>;
  /** A frame by id. */
  frame(frameId: number): FrameInfo;

  // --- data ---
  scopes(frameId: number): Promise<Scope[]>;
  /**
   * A frame's arguments as gdb's console frame lines show them (`print frame-arguments scalars`,
   * `print entry-values default`): "p=p@entry=0x7ffe..., s=..., k=6, k@entry=5". '' when unknown.
   */
  frameArgsText(frameId: number): Promise<string>;
  /**
   * A frame's arguments (entry values included) with the values the Arguments scope shows, without
   * making variables of them (a stop report's frame); [] for a frame without debug information.
   */
  frameArguments(frameId: number): Promise<FrameArgument[]>;
  variables(variablesReference: number, opts?: VariablesOptions): Promise<Variable[]>;
  /** Assigns `value` (an expression) to the child `name` of a variables reference (DAP setVariable). */
  setVariable(variablesReference: number, name: string, value: string, format?: ValueFormat): Promise<Variable>;
  evaluate(expression: string, opts?: EvaluateOptions): Promise<EvaluateResult>;
  /** Assigns `value` to the lvalue `expression` (DAP setExpression, gdb `set var`). */
  setExpression(expression: string, value: string, opts?: EvaluateOptions): Promise<EvaluateResult>;
  readMemory(address: number, count: number): Promise<MemoryRead>;
  writeMemory(address: number, data: Buffer): Promise<number>;
  /** Registers of a frame (default the selected frame; caller frames show unwound values). */
  registers(frameId?: number): Promise<RegisterValue[]>;
  setRegister(name: string, value: bigint, frameId?: number): Promise<void>;

  // --- program structure ---
  modules(): ModuleInfo[];
  sources(): Promise<SourceFileInfo[]>;
  /** What is at an address (gdb `info symbol`, `info line *ADDR`). */
  addressInfo(address: number): AddressInfo;

  // --- line tables and sections (src/engine/lines.ts: gdb's symtab.c and minsyms.c answers) ---
  /** The line table of the first symtab named `file` (-symbol-list-lines): every item, end markers (line 0) included. Throws `No source file named FILE.` */
  lineTable(file: string): Promise<{ address: number; line: number; isStmt: boolean }[]>;
  /** `info line FILE:LINE`: the line's first code range (start = end: the line has no code, the range is where the next code starts); `outOfRange` (the symtab's name) when no line at or after it has code. Throws `No source file named FILE.` */
  lineCode(file: string, line: number): { file: string; fullPath: string; line: number; start: number; end: number } | { outOfRange: string };
  /** The line-table entry holding an address (gdb's find_pc_line): its line and [start, end), and whether it is a statement entry. */
  lineRangeAt(address: number): { file: string; fullPath: string; line: number; start: number; end?: number; isStmt?: boolean } | undefined;
  /** The symtab holding an address (gdb's find_pc_line_symtab) with its linetable (`disassemble /m`, `/s`). */
  symtabAt(address: number): import('./symtab').SymtabLines | undefined;
  /** `info symbol ADDR`: the minimal symbol, offset, section and object of each match. */
  sectionSymbols(address: number): { name: string; offset: number; section: string; objfile: string }[];
  /** gdb's `<name+offset>` for an address (print_address; `linkageNames`: as `info line` and `x/i` print it, mangled). */
  addressSymbol(address: number, opts?: { linkageNames?: boolean }): { name: string; offset: number } | undefined;
  /** Bytes of the object files' sections at an address (before `run`: link-time addresses), undefined when not all in one section with contents. */
  readFileMemory(address: number, count: number): Buffer | undefined;
}

/** Constructor signature of the implementation (src/engine/session.ts). */
export type EngineEmitter = EventEmitter & Engine;

// ------------------------------------------------------------------------------------------------
// The value model and the expression evaluator live in src/engine/values (their API file:
// src/engine/values/api.ts). The session builds their FrameContext for each frame it unwinds and renders
// their Value objects into the plain Variable / EvaluateResult records above. Front-ends do not use them.
