// The GDB/MI interpreter: reads MI (and CLI) command lines, runs them against the engine session
// (src/engine/api.ts) and writes gdb's records. One interpreter per debugged program, like gdb's
// inferior 1 / thread group "i1".
//
// Ordering follows gdb 13 (see docs/mi.md): a command's result record comes after the notifications
// it causes; run commands answer `^running` + `*running` + prompt as soon as the program resumes and
// print `*stopped` later; with mi-async off (gdb's default) no further command is read until the stop,
// and a prompt follows `*stopped`.
import * as fs from 'fs';
import type { Breakpoint, Engine, FrameInfo, ModuleInfo, StackTrace, StopInfo, ThreadInfo } from '../engine/api';
import { EngineError } from '../engine/api';
import { GDB_VERSION } from './args';
import { ARCH, BreakLocation, addr16, FrameArg, MiBreakpointMeta, bkptValue, exitCodeOctal, frameLine, frameTuple, hex, miValue, signalMeaning, sourceLine } from './format';
import { Settings } from './settings';
import { MiFields, MiParseError, MiTuple, cstring, formatFields, parseInput, splitArgs } from './syntax';
import type { VarObjects } from './varobj';

export type ResultClass = 'done' | 'running' | 'connected' | 'error' | 'exit';

export interface CommandResult {
  cls?: ResultClass;
  fields?: MiFields;
}

export interface CommandContext {
  token: string;
  operation: string;
  /** --thread N (gdb number), --frame N. */
  thread?: number;
  frame?: number;
  all: boolean;
  threadGroup?: number;
  /** The command came from the console (CLI typed directly or -interpreter-exec console). */
  fromCli: boolean;
  /** Raw argument text (after global options). */
  args: string;
}

export type MiHandler = (mi: MiInterpreter, ctx: CommandContext, argv: string[]) => Promise<CommandResult | void> | CommandResult | void;

export interface MiCommandDef {
  handler: MiHandler;
  /** Arguments are taken raw (no c-string splitting), e.g. -gdb-set. */
  raw?: boolean;
}

/** An error with gdb's message (and optional MI error code). */
export class MiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface MiInterpreterOptions {
  miVersion: number;
  write: (text: string) => void;
  /** The backstep version for -gdb-version and the banner. */
  version: string;
  /** Called when the session ends (-gdb-exit, quit). */
  onExit?: (code: number) => void;
}

function printNameKey(l: BreakLocation): string {
  return `${l.function}|${l.fullPath ?? l.file ?? ''}|${l.line ?? ''}`;
}

/** Run kinds that start a new process. */
const LAUNCH_KINDS = new Set(['run', 'start', 'solib-event', 'starti']);

/** What the interpreter remembers of a run command until its stop arrives. */
interface PendingRun {
  token: string;
  fromCli: boolean;
  kind: string;
  announced: boolean;
  /** Console text gdb prints before ^running ("Continuing.", "Run till exit from ..."). */
  cliText?: string;
  /** A console step's starting frame: a stop in the same frame prints the source line only (gdb's SRC_LINE). */
  startFrame?: FrameInfo;
}

export class MiInterpreter {
  readonly settings = new Settings();
  readonly miVersion: number;
  readonly commands = new Map<string, MiCommandDef>();
  /** Console commands (src/mi/cli.ts fills this). */
  cli: ((mi: MiInterpreter, ctx: CommandContext, line: string) => Promise<CommandResult | void>) | undefined;
  varobjs!: VarObjects;

  // --- session state (what gdb keeps per inferior) ---
  programPath: string | undefined;
  programArgs: string[] = [];
  /** The argument text as given (gdb shows it unchanged in `show args`). */
  programArgsText = '';
  cwd: string | undefined;
  envOverrides: Record<string, string | null> = {};
  inferiorTty: string | undefined;
  /** Set by the command line (--tty) or -inferior-tty-set. */
  breakpointMeta = new Map<number, MiBreakpointMeta>();
  nextBreakpointNumber = 1;
  valueHistory = 0;
  exitCode: number | undefined;

  // --- threads: engine thread id <-> gdb number ---
  private threadNums = new Map<number, number>();
  private threadIds = new Map<number, number>();
  private nextThreadNum = 1;
  selectedThread: number | undefined;
  selectedFrame = 0;
  private stackCache = new Map<number, StackTrace>();
  lastStop: StopInfo | undefined;
  /** The process is running (between ^running and *stopped). */
  running = false;
  private pendingRun: PendingRun | undefined;
  private runDone: Promise<void> = Promise.resolve();
  private deferredNotices: string[] = [];
  /** =library-loaded tuples held back until a launch is announced (see onModule). */
  private launchLibraries: MiTuple[] = [];
  /** Print names of breakpoint locations' functions (printName). */
  private readonly printNames = new Map<string, string>();
  private tempDeleted: number[] = [];
  /** Temporary breakpoints the engine removed at the stop being reported, not yet classified. */
  private tempRemoved: number[] = [];
  /** The run whose stop is being (or was last) reported, and whether its *stopped is printed yet. */
  private stoppedRun: { run: PendingRun | undefined; written: boolean } | undefined;
  /** The native target is connected (-target-select native, or a process ran): -list-target-features says "async". */
  targetConnected = false;
  /** Text of the last bkpt tuple printed/known per breakpoint number (to print =breakpoint-modified only on change). */
  private bkptSeen = new Map<number, string>();
  private queue: string[] = [];
  private processing = false;
  private exited = false;
  pid: number | undefined;
  attached = false;
  /** Registers at the previous -data-list-changed-registers (gdb compares with its own last call). */
  previousRegisters: Map<string, bigint> | undefined;
  /** Emulated stop-on-solib-events stop pending at the next launch. */
  private modulesSeen = new Set<string>();
  private unloadedModules: string[] = [];
  reverseRecording = false;
  /** Set while switching to a checkpoint (its threads are renumbered afterwards, silently). */
  suppressThreadEvents = false;

  constructor(
    readonly engine: Engine,
    readonly opts: MiInterpreterOptions,
  ) {
    this.miVersion = opts.miVersion;
    this.subscribe();
  }

  // ------------------------------------------------------------------------------------------------
  // Output

  write(line: string): void {
    if (this.exited) return;
    this.opts.write(line + '\n');
  }

  prompt(): void {
    this.write('(gdb) ');
  }

  /** `~"..."` console stream. */
  console(text: string): void {
    if (text) this.write('~' + cstring(text));
  }

  /** `&"..."` log stream. */
  log(text: string): void {
    if (text) this.write('&' + cstring(text));
  }

  /** `@"..."` target stream. */
  target(text: string): void {
    if (text) this.write('@' + cstring(text));
  }

  notify(name: string, fields?: MiFields): void {
    this.write('=' + name + formatFields(fields));
  }

  private result(token: string, cls: ResultClass, fields?: MiFields): void {
    this.write(`${token}^${cls}${formatFields(fields)}`);
  }

  private errorResult(token: string, msg: string, code?: string): void {
    const f: [string, string][] = [['msg', msg]];
    if (code) f.push(['code', code]);
    this.write(`${token}^error,` + f.map(([k, v]) => `${k}=${cstring(v)}`).join(','));
  }

  // ------------------------------------------------------------------------------------------------
  // Input

  register(name: string, def: MiCommandDef | MiHandler): void {
    this.commands.set(name, typeof def === 'function' ? { handler: def } : def);
  }

  /** Feeds one input line. Lines are processed in order, one at a time. */
  input(line: string): void {
    this.queue.push(line);
    void this.pump();
  }

  /** Whether input lines are waiting (behind a running program in synchronous mode). */
  get hasQueuedInput(): boolean {
    return this.queue.length > 0;
  }

  /** Resolves when every queued line has been handled. */
  async idle(): Promise<void> {
    while (this.processing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length && !this.exited) {
        const line = this.queue.shift()!;
        await this.execute(line);
        // Synchronous mode: gdb reads nothing more until the program stops.
        if (!this.async && this.running) await this.runDone;
      }
    } finally {
      this.processing = false;
    }
  }

  get async(): boolean {
    return this.settings.isOn('mi-async');
  }

  /** Runs one line and prints its records. */
  async execute(line: string): Promise<void> {
    line = line.replace(/\r$/, '');
    this.flushDeferred();
    let parsed;
    try {
      parsed = parseInput(line, (op) => this.commands.has(op));
    } catch (e) {
      const err = e as MiParseError;
      this.errorResult(err.token, err.message, err.code);
      this.prompt();
      return;
    }
    if (parsed.kind === 'cli') {
      // gdb echoes a CLI command typed at the MI prompt on the log stream.
      this.log(parsed.command + '\n');
      const ctx: CommandContext = { token: parsed.token, operation: '', all: false, fromCli: true, args: parsed.command };
      await this.runCommand(ctx, () => this.runCli(ctx, parsed.command));
      return;
    }
    const def = this.commands.get(parsed.operation)!;
    const ctx: CommandContext = {
      token: parsed.token,
      operation: parsed.operation,
      thread: parsed.thread,
      frame: parsed.frame,
      all: parsed.all,
      threadGroup: parsed.threadGroup,
      fromCli: false,
      args: parsed.args,
    };
    await this.runCommand(ctx, async () => {
      let argv: string[] = [];
      if (!def.raw) {
        const a = splitArgs(parsed.args);
        if (!a) throw new MiError(`Problem parsing arguments: ${parsed.operation} ${parsed.args}`);
        argv = a;
      }
      if (ctx.frame !== undefined && ctx.thread === undefined) throw new MiError('Cannot specify --frame without --thread');
      if (ctx.thread !== undefined) this.checkThreadOption(ctx.thread);
      return def.handler(this, ctx, argv);
    });
  }

  /** Runs a console command (from -interpreter-exec or typed directly). */
  async runCli(ctx: CommandContext, command: string): Promise<CommandResult | void> {
    if (!this.cli) throw new MiError(`Undefined command: "${command.split(/\s/)[0]}".  Try "help".`);
    return this.cli(this, ctx, command);
  }

  private async runCommand(ctx: CommandContext, fn: () => Promise<CommandResult | void> | CommandResult | void): Promise<void> {
    let res: CommandResult | void;
    try {
      res = await fn();
    } catch (e) {
      const msg = errorMessage(e);
      if (ctx.fromCli) this.log(msg + '\n');
      this.errorResult(ctx.token, msg, e instanceof MiError ? e.code : undefined);
      this.prompt();
      return;
    }
    const cls = res?.cls ?? 'done';
    if (cls === 'running') {
      // The run helper prints ^running itself when the program actually resumes.
      return;
    }
    this.result(ctx.token, cls, res?.fields);
    if (cls === 'exit') {
      await this.shutdown(0);
      return;
    }
    this.prompt();
  }

  checkThreadOption(n: number): void {
    if (!this.threadIds.has(n) || this.pid === undefined) throw new MiError(`Invalid thread id: ${n}`);
  }

  private flushDeferred(): void {
    const d = this.deferredNotices;
    this.deferredNotices = [];
    for (const l of d) this.write(l);
  }

  // ------------------------------------------------------------------------------------------------
  // Engine events

  private subscribe(): void {
    const e = this.engine;
    e.on('process', (p) => {
      this.pid = p.pid;
      this.attached = p.startMethod === 'attach';
      this.notify('thread-group-started', { id: 'i1', pid: String(p.pid) });
      // gdb numbers the main thread 1 as soon as the process exists.
      this.threadNumber(p.pid, true);
    });
    e.on('thread', (t) => {
      if (this.suppressThreadEvents) return;
      if (t.reason === 'started') this.threadNumber(t.threadId, true);
      else {
        const n = this.threadNums.get(t.threadId);
        if (n !== undefined) {
          this.notify('thread-exited', { id: String(n), 'group-id': 'i1' });
          this.threadNums.delete(t.threadId);
          this.threadIds.delete(n);
        }
      }
    });
    e.on('module', (m) => this.onModule(m.reason, m.module));
    e.on('breakpoint', (b) => this.onBreakpointEvent(b.reason, b.breakpoint));
    e.on('output', (o) => {
      if (o.category === 'stdout' || o.category === 'stderr') this.target(o.text);
      else if (o.category === 'console') this.console(o.text);
      else this.log(o.text);
    });
    e.on('continued', () => {
      this.announceRunning();
    });
  }

  /** gdb number of an engine thread (assigned on first sight, announcing =thread-created). */
  threadNumber(engineId: number, announce = true): number {
    let n = this.threadNums.get(engineId);
    if (n === undefined) {
      n = this.nextThreadNum++;
      this.threadNums.set(engineId, n);
      this.threadIds.set(n, engineId);
      if (announce) this.notify('thread-created', { id: String(n), 'group-id': 'i1' });
    }
    return n;
  }

  /** After a switch of process (checkpoint restart): the new threads take gdb's numbers from 1. */
  renumberThreads(mainTid?: number): void {
    this.threadNums.clear();
    this.threadIds.clear();
    this.nextThreadNum = 1;
    if (mainTid !== undefined) this.threadNumber(mainTid, false);
    this.selectedThread = 1;
    const pid = this.engine.pid;
    if (pid !== undefined) this.pid = pid;
  }

  engineThread(num: number): number {
    const id = this.threadIds.get(num);
    if (id === undefined) throw new MiError(`Invalid thread id: ${num}`);
    return id;
  }

  knownThreadNumbers(): number[] {
    return [...this.threadIds.keys()].sort((a, b) => a - b);
  }

  private onModule(reason: string, m: ModuleInfo): void {
    if (m.kind === 'program' || m.kind === 'vdso') return;
    if (reason === 'removed') {
      if (!this.modulesSeen.has(m.path)) return;
      this.modulesSeen.delete(m.path);
      // Printed with the next stop: modules also "unload" when the process exits, which gdb does not report.
      this.unloadedModules.push(m.path);
      return;
    }
    if (reason === 'new' && this.modulesSeen.has(m.path)) return;
    this.modulesSeen.add(m.path);
    const t: MiTuple = { id: m.path, 'target-name': m.path, 'host-name': m.path, 'symbols-loaded': '0', 'thread-group': 'i1' };
    if (m.textStart !== undefined && m.textEnd !== undefined) t.ranges = [{ from: addr(m.textStart), to: addr(m.textEnd) }];
    // While a launch is being announced, gdb prints the relocated breakpoints first and the dynamic
    // linker's =library-loaded after them, right before ^running.
    if (this.pendingRun && !this.pendingRun.announced && LAUNCH_KINDS.has(this.pendingRun.kind)) {
      this.launchLibraries.push(t);
      return;
    }
    this.notify('library-loaded', t);
  }

  private onBreakpointEvent(reason: string, bp: Breakpoint): void {
    const meta = this.metaForEngine(bp.id);
    if (!meta) return;
    // A watch trigger passed by its ignore count: gdb shows the count used up.
    if (reason === 'changed' && meta.type.includes('watchpoint')) meta.ignore = bp.ignoreCount || undefined;
    if (reason === 'removed' && meta.type.includes('watchpoint') && !meta.temporary) {
      // A watch on a local the engine deleted because its process ended (gdb: =breakpoint-deleted at `run`).
      this.breakpointMeta.delete(meta.number);
      this.bkptSeen.delete(meta.number);
      this.notify('breakpoint-deleted', { id: String(meta.number) });
      return;
    }
    if (reason === 'removed') {
      // A temporary breakpoint the engine deleted after its hit: the stop still reports it; gdb
      // announces the deletion right after *stopped (handleStop, which the engine reaches only after
      // this event: it removes temporary breakpoints before resolving the stop).
      if (meta.temporary) {
        this.tempRemoved.push(meta.number);
        // Arriving after the stop was printed: announce it now, right after *stopped.
        if (!this.pendingRun && this.stoppedRun?.written) {
          this.classifyTempRemoved();
          this.flushTempDeleted();
        }
      }
      return;
    }
    this.syncMeta(meta, bp);
    this.noteBreakpointModified(meta, bp, true);
  }

  metaForEngine(engineId: number): MiBreakpointMeta | undefined {
    for (const m of this.breakpointMeta.values()) if (m.engineId === engineId) return m;
    return undefined;
  }

  engineBreakpoint(meta: MiBreakpointMeta): Breakpoint | undefined {
    if (meta.engineId === undefined) return undefined;
    const bp = this.engine.breakpoints().find((b) => b.id === meta.engineId);
    // A temporary breakpoint the engine already deleted is still shown as it was.
    if (bp) this.lastBreakpoint.set(meta.number, bp);
    return bp ?? this.lastBreakpoint.get(meta.number);
  }

  private lastBreakpoint = new Map<number, Breakpoint>();

  /** Copies what the engine knows (hit count, resolution) into the MI record. */
  syncMeta(meta: MiBreakpointMeta, bp: Breakpoint | undefined): void {
    if (!bp) return;
    meta.times = Math.max(meta.times, bp.hitCount);
    if (bp.locations.length > 0) meta.pending = undefined;
  }

  bkptText(meta: MiBreakpointMeta, bp = this.engineBreakpoint(meta)): string {
    this.syncMeta(meta, bp);
    return bkptValue(meta, bp, this.miVersion, (a) => this.symbolAt(a), (l) => this.printName(l)).text;
  }

  /**
   * gdb's name of a breakpoint location's function in `bkpt` tuples: its print name, which for C++
   * carries the parameter list (`main()`, `geo::Rect::area() const`, `twice<int>(int)`), where frames
   * show `main`. Learnt by learnPrintNames, keyed so that it survives the relocation at run.
   */
  printName(l: BreakLocation): string | undefined {
    return l.function ? this.printNames.get(printNameKey(l)) : undefined;
  }

  /** Asks the engine's symbolizer for the print names of a breakpoint's locations (see printName). */
  async learnPrintNames(bp: Breakpoint | undefined): Promise<void> {
    for (const l of bp?.locations ?? []) {
      // C keeps `main`: no need to ask (the answer costs the program's ELF symbol table).
      if (!l.function || l.cplus === false) continue;
      const key = printNameKey(l);
      if (this.printNames.has(key)) continue;
      let name: string | undefined;
      try {
        const r = await this.engine.evaluate(`(void *) ${hex(l.address)}`, { context: 'repl' });
        name = /<(.+?)(?:\+\d+)?>$/.exec(r.value)?.[1];
      } catch {
        name = undefined;
      }
      // Only a longer form of the same function's name (C keeps `main`).
      if (name && name.startsWith(l.function + '(')) this.printNames.set(key, name);
    }
  }

  /** Records the current form of a breakpoint; with notify, prints =breakpoint-modified when it changed. */
  noteBreakpointModified(meta: MiBreakpointMeta, bp = this.engineBreakpoint(meta), notify = true): void {
    const text = this.bkptText(meta, bp);
    if (this.bkptSeen.get(meta.number) === text) return;
    this.bkptSeen.set(meta.number, text);
    if (notify) this.write(`=breakpoint-modified,bkpt=${text}`);
  }

  forgetBreakpoint(num: number): void {
    this.bkptSeen.delete(num);
  }

  /** "<main+4>" for an address, via the engine's symbolizer. */
  symbolAt(a: number): string | undefined {
    try {
      const info = this.engine.addressInfo(a);
      if (!info.function) return undefined;
      return info.offset ? `<${info.function}+${info.offset}>` : `<${info.function}>`;
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Threads, frames

  invalidate(): void {
    this.stackCache.clear();
    this.varobjs?.invalidate();
  }

  requireProcess(): void {
    if (this.pid === undefined || this.engine.state === 'exited' || this.engine.state === 'empty' || this.engine.state === 'loaded') {
      throw new MiError('The program is not being run.');
    }
  }

  requireStopped(): void {
    this.requireProcess();
    if (this.running || this.engine.state === 'running') throw new MiError('Cannot execute this command while the target is running.\nUse the "interrupt" command to stop the target\nand then try again.');
  }

  /** For commands that need registers/frames: gdb says "No registers." without a process. */
  requireFrames(): void {
    if (this.pid === undefined || this.engine.state !== 'stopped') {
      if (this.running || this.engine.state === 'running') throw new MiError('Selected thread is running.');
      throw new MiError('No registers.');
    }
  }

  /** The gdb number of the thread a command acts on. */
  currentThread(ctx?: CommandContext): number {
    if (ctx?.thread !== undefined) return ctx.thread;
    if (this.selectedThread !== undefined && this.threadIds.has(this.selectedThread)) return this.selectedThread;
    const cur = this.engine.currentThreadId;
    if (cur !== undefined) return this.threadNumber(cur);
    const first = this.knownThreadNumbers()[0];
    if (first === undefined) throw new MiError('No thread selected.');
    return first;
  }

  currentFrameLevel(ctx?: CommandContext): number {
    if (ctx?.frame !== undefined) return ctx.frame;
    if (ctx?.thread !== undefined && ctx.thread !== this.selectedThread) return 0;
    return this.selectedFrame;
  }

  async stack(threadNum: number): Promise<StackTrace> {
    let s = this.stackCache.get(threadNum);
    if (!s) {
      s = await this.engine.stackTrace(this.engineThread(threadNum));
      this.stackCache.set(threadNum, s);
    }
    return s;
  }

  /** The innermost `count` frames of a thread: from the whole stack when known, else a bounded unwind. */
  async stackPrefix(threadNum: number, count: number): Promise<{ frames: FrameInfo[]; more: boolean }> {
    const s = this.stackCache.get(threadNum);
    if (s) return { frames: s.frames.slice(0, Math.max(0, count)), more: s.frames.length > count };
    return this.engine.partialStack(this.engineThread(threadNum), count);
  }

  async frameAt(threadNum: number, level: number): Promise<FrameInfo> {
    // As gdb, no further than the frame asked for (a deep recursion's frame 0 costs what it costs in a
    // shallow stack); the same frames (ids) as the whole stack's.
    const cached = this.stackCache.get(threadNum);
    // Frame 0: the stop's own top frame (the engine keeps it for the stop report).
    const frames = cached ? cached.frames : level === 0 ? (await this.engine.stackTrace(this.engineThread(threadNum), 0, 1)).frames : (await this.stackPrefix(threadNum, level + 1)).frames;
    const f = frames[level];
    if (!f) throw new MiError('No frame at level ' + level + '.');
    return f;
  }

  /** The frame a command refers to (--thread/--frame or the selection). */
  async contextFrame(ctx?: CommandContext): Promise<FrameInfo> {
    this.requireFrames();
    return this.frameAt(this.currentThread(ctx), this.currentFrameLevel(ctx));
  }

  /** Arguments of a frame: names and values (scalars only unless all), as gdb's frame lines show them. */
  async frameArgs(f: FrameInfo, mode: 'scalars' | 'all' | 'types' | 'names' = 'scalars'): Promise<FrameArg[]> {
    if (mode === 'scalars') {
      // Every stop's frame: the values without making variables of them (the same text).
      try {
        return (await this.engine.frameArguments(f.id)).map((v) => {
          const aggregate = v.hasChildren && /^[{[]/.test(v.value);
          // gdb's `print frame-arguments scalars`: a reference to a struct or array is not a scalar either
          // (while --simple-values, the 'types' mode, prints references).
          const scalar = !aggregate && !(v.hasChildren && /^@0x[0-9a-f]+: [{[]/.test(v.value));
          const arg: FrameArg = { name: v.name, value: scalar ? miValue(v.value) : '...' };
          if (v.entryValue) arg.entry = true;
          if (v.entryEqual) arg.entryEqual = true;
          return arg;
        });
      } catch {
        return [];
      }
    }
    try {
      const scopes = await this.engine.scopes(f.id);
      const s = scopes.find((x) => x.kind === 'arguments');
      if (!s) return [];
      let vars = await this.engine.variables(s.variablesReference);
      // Entry values (`x@entry`) come with printed values only, as gdb reads them.
      if (mode === 'names') vars = vars.filter((v) => !v.entryValue);
      if (mode === 'types') vars = vars.filter((v) => !v.entryValue || !(v.variablesReference > 0 && /^[{[]/.test(v.value)));
      return vars.map((v) => {
        if (mode === 'names') return { name: v.name };
        const aggregate = v.variablesReference > 0 && /^[{[]/.test(v.value);
        const value = miValue(v.value);
        const arg: FrameArg = mode === 'types' ? { name: v.name, type: v.type, value: aggregate ? undefined : miValue(v.value) } : { name: v.name, value };
        if (v.entryValue) arg.entry = true;
        if (v.entryEqual) arg.entryEqual = true;
        return arg;
      });
    } catch {
      return [];
    }
  }

  /** The frame tuple of a stop / -thread-info (with args). */
  async frameWithArgs(f: FrameInfo, level = false): Promise<MiTuple> {
    return frameTuple(f, { level, args: await this.frameArgs(f) });
  }

  /**
   * The CPU a thread last ran on (core="N" of *stopped and -thread-info), from /proc/PID/task/TID/stat.
   * Every stop reads it: the file stays open (one pread per stop instead of open/read/close, which cost
   * ~0.1 ms of each `next`); the descriptors are closed when the process goes away.
   */
  coreOf(engineTid: number | undefined): string {
    if (engineTid === undefined || this.pid === undefined) return '0';
    const known = this.engine.threadCore(engineTid);
    if (known !== undefined) return String(known);
    const file = `/proc/${this.pid}/task/${engineTid}/stat`;
    // A second attempt with a fresh descriptor: a kept one may name an earlier task of the same number.
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd = this.statFds.get(file);
      try {
        if (fd === undefined) {
          if (this.statFds.size >= 64) this.closeStatFiles();
          fd = fs.openSync(file, 'r');
          this.statFds.set(file, fd);
        }
        const n = fs.readSync(fd, this.statBuf, 0, this.statBuf.length, 0);
        const stat = this.statBuf.toString('latin1', 0, n);
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // Field 39 (processor) is the 37th after "pid (comm)".
        return rest[36] ?? '0';
      } catch {
        if (fd !== undefined) this.closeStatFile(file, fd);
      }
    }
    return '0';
  }

  private readonly statFds = new Map<string, number>();
  private readonly statBuf = Buffer.alloc(4096);

  private closeStatFile(file: string, fd: number): void {
    this.statFds.delete(file);
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  private closeStatFiles(): void {
    for (const [file, fd] of [...this.statFds]) this.closeStatFile(file, fd);
  }

  async threadList(): Promise<ThreadInfo[]> {
    if (this.pid === undefined || this.engine.state !== 'stopped') return [];
    const ts = await this.engine.threads();
    for (const t of ts) this.threadNumber(t.id);
    return ts;
  }

  // ------------------------------------------------------------------------------------------------
  // Running

  /**
   * Starts a run command. `fn` performs it on the engine and resolves with the stop. Prints ^running
   * when the engine reports the resume (or the stop arrives first), *stopped afterwards.
   */
  /**
   * gdb 13 announces a temporary breakpoint's deletion (=breakpoint-deleted) right after the *stopped
   * of its hit, whatever stopped there: -exec-run, -exec-continue, a step it interrupted, or a CLI
   * command; with mi-async on or off.
   */
  private classifyTempRemoved(): void {
    this.tempDeleted.push(...this.tempRemoved.splice(0));
  }

  /** Forgets temporary breakpoints deleted at the last stop, announcing it as gdb does. */
  flushTempDeleted(): void {
    for (const n of this.tempDeleted.splice(0)) {
      if (!this.breakpointMeta.has(n)) continue;
      this.breakpointMeta.delete(n);
      this.bkptSeen.delete(n);
      this.notify('breakpoint-deleted', { id: String(n) });
    }
  }

  startRun(ctx: CommandContext, kind: string, fn: () => Promise<StopInfo>, opts: { cliText?: string; startFrame?: () => Promise<FrameInfo | undefined> } = {}): CommandResult {
    this.flushTempDeleted();
    this.targetConnected = true;
    const run: PendingRun = { token: ctx.token, fromCli: ctx.fromCli, kind, announced: false, cliText: opts.cliText };
    this.pendingRun = run;
    this.running = true;
    let resolveDone!: () => void;
    this.runDone = new Promise((r) => (resolveDone = r));
    // Fallback: announce the resume even if the engine sends no 'continued' event (not for a launch:
    // gdb prints the new process's notifications first).
    const launching = LAUNCH_KINDS.has(kind);
    const timer = setTimeout(() => {
      if (!launching) this.announceRunning(run);
    }, 30);
    const started = (async () => {
      try {
        if (opts.startFrame) run.startFrame = await opts.startFrame().catch(() => undefined);
        const stop = await fn();
        clearTimeout(timer);
        if (!run.announced) this.announceRunning(run);
        await this.handleStop(stop, run);
      } catch (e) {
        clearTimeout(timer);
        this.running = false;
        this.pendingRun = undefined;
        if (!run.announced) {
          run.announced = true;
          for (const t of this.launchLibraries.splice(0)) this.notify('library-loaded', t);
          const msg = errorMessage(e);
          if (run.fromCli) this.log(msg + '\n');
          this.errorResult(run.token, msg, e instanceof MiError ? e.code : undefined);
          this.prompt();
        } else {
          // Failed after resuming: report it and show where the program is.
          this.log(errorMessage(e) + '\n');
          await this.reportCurrentStop();
        }
      } finally {
        resolveDone();
      }
    })();
    void started;
    return { cls: 'running' };
  }

  private announceRunning(run = this.pendingRun): void {
    if (!run || run.announced) return;
    if (run.cliText) this.console(run.cliText);
    run.announced = true;
    this.invalidate();
    // Breakpoints relocated by the start of the process (gdb: =breakpoint-modified before ^running).
    for (const meta of this.breakpointMeta.values()) this.noteBreakpointModified(meta);
    for (const t of this.launchLibraries.splice(0)) this.notify('library-loaded', t);
    this.result(run.token, 'running');
    this.write(`*running,thread-id="all"`);
    this.prompt();
  }

  /** After an error in the middle of a run: a *stopped for wherever the program is. */
  private async reportCurrentStop(): Promise<void> {
    this.running = false;
    this.pendingRun = undefined;
    if (this.engine.state !== 'stopped') return;
    try {
      const t = this.currentThread();
      const f = await this.frameAt(t, 0);
      this.write(`*stopped,frame={${fieldsOf(await this.frameWithArgs(f))}},thread-id="${t}",stopped-threads="all"`);
    } catch {
      /* nothing to show */
    }
    if (!this.async) this.prompt();
  }

  /** Prints a stop: console text, notifications, *stopped. */
  async handleStop(stop: StopInfo, run: PendingRun | undefined): Promise<void> {
    this.running = false;
    this.pendingRun = undefined;
    this.stoppedRun = { run, written: false };
    this.invalidate();
    this.lastStop = stop;
    this.selectedFrame = 0;
    if (stop.reason === 'exited' || stop.reason === 'killed') {
      this.onProcessGone(stop);
      if (!this.async) this.prompt();
      return;
    }
    for (const p of this.unloadedModules.splice(0)) this.notify('library-unloaded', { id: p, 'target-name': p, 'host-name': p, 'thread-group': 'i1' });
    const tnum = stop.threadId !== undefined ? this.threadNumber(stop.threadId) : this.currentThread();
    this.selectedThread = tnum;
    const fields: [string, string | MiTuple | string[]][] = [];
    const frame = stop.frame ?? (await this.frameAt(tnum, 0).catch(() => undefined));
    const args = frame ? await this.frameArgs(frame) : [];
    const fromCli = run?.fromCli ?? false;
    /** `located`: the frame line was printed already ("Breakpoint 1, <frame>"): the source line only. */
    const showFrameText = (always: boolean, withAddress = false, located = false): void => {
      if (!frame) return;
      const src = sourceLine(frame);
      if (always || (!src && !located)) this.console(frameLine(frame, args, withAddress || undefined) + '\n');
      if (src) this.console(src + '\n');
      else if (frame.file && frame.line !== undefined) this.log(`${frame.line}\t${frame.file}: No such file or directory.\n`);
    };
    let reason: string | undefined;
    switch (stop.reason) {
      case 'breakpoint': {
        const metas = (stop.breakpointIds ?? []).map((id) => this.metaForEngine(id)).filter((m): m is MiBreakpointMeta => !!m);
        for (const m of metas) {
          // Deleted by the engine at this hit (temporary): count the hit here.
          if (m.engineId !== undefined && !this.engine.breakpoints().some((b) => b.id === m.engineId)) m.times++;
          this.noteBreakpointModified(m);
        }
        const m = metas[0];
        if (m) {
          this.console('\n');
          this.console(`${m.temporary ? 'Temporary breakpoint' : 'Breakpoint'} ${m.number}, ${frame ? frameLine(frame, args) : ''}\n`);
          showFrameText(false, false, true);
          reason = 'breakpoint-hit';
          fields.push(['reason', reason], ['disp', m.temporary ? 'del' : 'keep'], ['bkptno', String(m.number)]);
        } else {
          reason = 'end-stepping-range';
          fields.push(['reason', reason]);
          if (fromCli) showFrameText(false);
        }
        break;
      }
      case 'step': {
        fields.push(['reason', 'end-stepping-range']);
        if (!fromCli || !frame) break;
        // gdb's print_stop_location: a step that ends in the frame and function it started in prints
        // the source line (SRC_LINE, after the pc when mid-line: `0x...\t12\t...`), else the frame
        // line too (SRC_AND_LOC, with the pc when mid-line).
        const start = run?.startFrame;
        const same = !!start && start.threadId === frame.threadId && start.cfa !== undefined && start.cfa === frame.cfa && start.function === frame.function;
        // gdb 13's frame_show_address: not at the start of a line-table entry, or on a non-statement one.
        const at = this.engine.lineRangeAt(frame.pc);
        const mid = !at || at.start !== frame.pc || at.isStmt === false;
        const src = sourceLine(frame);
        if (same && src) this.console(`${mid ? addr16(frame.pc) + '\t' : ''}${src}\n`);
        // An unreadable source file: gdb named it at the stop that entered it, now only `N\tin FILE`.
        else if (same && frame.file && frame.line !== undefined) this.console(`${mid ? addr16(frame.pc) + '\t' : ''}${frame.line}\tin ${frame.file}\n`);
        else if (start) showFrameText(true, mid);
        else showFrameText(run?.kind === 'stepi');
        break;
      }
      case 'location':
        fields.push(['reason', 'location-reached']);
        if (fromCli) showFrameText(true);
        break;
      case 'finish': {
        // Out of a frame with a watched local: gdb reports the scope end first (and prints the frame).
        const gone = (stop.watchScopeDeleted ?? []).map((id) => this.metaForEngine(id)).filter((m): m is MiBreakpointMeta => !!m);
        if (gone.length) fields.push(['reason', 'watchpoint-scope'], ['wpnum', String(gone[0].number)]);
        for (const m of gone) this.tempRemoved.push(m.number);
        fields.push(['reason', 'function-finished']);
        if ((fromCli || gone.length) && frame) {
          // The return address is in the middle of the caller's line: gdb shows it.
          this.console(frameLine(frame, args, true) + '\n');
          const src = sourceLine(frame);
          if (src) this.console(src + '\n');
        }
        break;
      }
      case 'pause':
        fields.push(['reason', 'signal-received'], ['signal-name', 'SIGINT'], ['signal-meaning', 'Interrupt']);
        this.console('\nProgram');
        this.console(' received signal SIGINT, Interrupt.\n');
        // gdb's print_frame shows the pc when it is not at the start of a line (frame_show_address).
        showFrameText(true, /\n0x[0-9a-f]+ in /.test(stop.description));
        break;
      case 'signal':
      case 'exception': {
        const name = stop.signal?.name ?? 'SIGTRAP';
        const meaning = signalMeaning(stop.signal);
        fields.push(['reason', 'signal-received'], ['signal-name', name], ['signal-meaning', meaning]);
        this.console('\nProgram');
        this.console(` received signal ${name}, ${meaning}.\n`);
        showFrameText(true, /\n0x[0-9a-f]+ in /.test(stop.description));
        break;
      }
      case 'watchpoint': {
        // gdb: one block per triggered watchpoint, then the frame (with its address when mid-line).
        const hits = stop.watchpoints ?? [];
        const metas = hits.map((h) => ({ h, m: this.metaForEngine(h.id) })).filter((x): x is { h: (typeof hits)[number]; m: MiBreakpointMeta } => !!x.m);
        // gdb's hit count includes triggers passed by an ignore count: the engine counts them.
        const counts = new Map(this.engine.watchpoints().map((w) => [w.id, w.hitCount]));
        for (const { m } of metas) {
          m.times = counts.get(m.engineId!) ?? m.times + 1;
          this.noteBreakpointModified(m);
        }
        for (const { h, m } of metas) {
          const kind = h.software ? 'Watchpoint' : h.access === 'write' ? 'Hardware watchpoint' : h.access === 'read' ? 'Hardware read watchpoint' : 'Hardware access (read/write) watchpoint';
          this.console('\n');
          this.console(`${kind} ${m.number}: ${m.exp ?? h.expression}\n`);
          if (h.oldValue !== undefined) {
            this.console('\nOld value = ');
            this.console(`${h.oldValue}\nNew value = `);
            this.console(`${h.newValue}\n`);
          } else {
            this.console('\nValue = ');
            this.console(`${h.newValue}\n`);
          }
          const reasonName = h.access === 'write' ? 'watchpoint-trigger' : h.access === 'read' ? 'read-watchpoint-trigger' : 'access-watchpoint-trigger';
          const tupleName = h.access === 'write' ? 'wpt' : h.access === 'read' ? 'hw-rwpt' : 'hw-awpt';
          const tuple: [string, MiTuple] = [tupleName, { number: String(m.number), exp: m.exp ?? h.expression }];
          if (h.access === 'readWrite' && h.oldValue === undefined) {
            // gdb (print_it_watchpoint): an unchanged access watch mentions the watchpoint before the reason, value={new=...}.
            fields.push(tuple, ['reason', reasonName], ['value', { new: h.newValue }]);
          } else {
            fields.push(['reason', reasonName], tuple, ['value', h.oldValue !== undefined ? { old: h.oldValue, new: h.newValue } : { value: h.newValue }]);
          }
        }
        if (!metas.length) fields.push(['reason', 'watchpoint-trigger']);
        if (frame) {
          const mid = /\n0x[0-9a-f]+ in /.test(stop.description);
          this.console(frameLine(frame, args, mid) + '\n');
          const src = sourceLine(frame);
          if (src) this.console(src + '\n');
        }
        break;
      }
      case 'watchpoint-scope': {
        // gdb: a watch on a local whose frame returned; deleted (=breakpoint-deleted after *stopped).
        const metas = (stop.breakpointIds ?? []).map((id) => this.metaForEngine(id)).filter((m): m is MiBreakpointMeta => !!m);
        fields.push(['reason', 'watchpoint-scope']);
        if (metas[0]) fields.push(['wpnum', String(metas[0].number)]);
        for (const m of metas) this.tempRemoved.push(m.number);
        if (frame) {
          this.console(frameLine(frame, args, /\n0x[0-9a-f]+ in /.test(stop.description)) + '\n');
          const src = sourceLine(frame);
          if (src) this.console(src + '\n');
        }
        break;
      }
      case 'entry':
        if (run?.kind === 'solib-event') {
          // Emulated stop-on-solib-events: the first stop is the dynamic linker's, reported without a frame.
          this.console('Stopped due to shared library event (no libraries added or removed)\n');
          this.write(`*stopped,reason="solib-event",thread-id="${tnum}",stopped-threads="all",core="${this.coreOf(stop.threadId)}"`);
          if (!this.async) this.prompt();
          return;
        }
        if (run?.kind === 'start') {
          // gdb's `start`: a temporary breakpoint at main was hit.
          this.console('\n');
          this.console(`Temporary breakpoint ${this.nextBreakpointNumber++}, ${frame ? frameLine(frame, args) : ''}\n`);
          showFrameText(false, false, true);
          fields.push(['reason', 'breakpoint-hit'], ['disp', 'del'], ['bkptno', String(this.nextBreakpointNumber - 1)]);
        } else {
          fields.push(['reason', 'signal-received'], ['signal-name', 'SIGTRAP'], ['signal-meaning', 'Trace/breakpoint trap']);
        }
        break;
      case 'exec':
        fields.push(['reason', 'exec']);
        break;
      case 'no-history':
        this.console('\nNo more reverse-execution history.\n');
        showFrameText(true);
        fields.push(['reason', 'no-history']);
        break;
      case 'checkpoint':
        break;
      default:
        break;
    }
    // The arguments rendered above (the same `print frame-arguments scalars` list), not a second time.
    if (frame) fields.push(['frame', frameTuple(frame, { level: false, args })]);
    if (stop.reason === 'finish' && stop.returnValue) {
      const n = ++this.valueHistory;
      fields.push(['gdb-result-var', `$${n}`], ['return-value', miValue(stop.returnValue.value)]);
      if (fromCli || stop.watchScopeDeleted?.length) this.console(`Value returned is $${n} = ${stop.returnValue.value}\n`);
    }
    fields.push(['thread-id', String(tnum)], ['stopped-threads', 'all'], ['core', this.coreOf(stop.threadId)]);
    // Everything this stop asks of the engine (frame, arguments) is done before *stopped: with mi-async
    // on, the front-end sends its next command (-exec-finish, -var-update, ...) as soon as it reads
    // *stopped, and that command must find the stop complete, not share the engine with the end of its
    // handling. (-data-list-changed-registers compares with its own previous call, as gdb's does, so a
    // stop takes no register snapshot.)
    this.write('*stopped' + formatFields(fields as MiFields));
    this.stoppedRun = { run, written: true };
    this.classifyTempRemoved();
    this.flushTempDeleted();
    if (!this.async) this.prompt();
  }

  /** The process is gone (exit, signal, kill): gdb's thread/group notifications and *stopped. */
  onProcessGone(stop: StopInfo | undefined, opts: { killed?: boolean } = {}): void {
    const pid = this.pid;
    if (stop && stop.reason === 'exited') {
      const code = stop.exitCode ?? 0;
      this.exitCode = code;
      this.console(code === 0 ? `[Inferior 1 (process ${pid}) exited normally]\n` : `[Inferior 1 (process ${pid}) exited with code ${exitCodeOctal(code)}]\n`);
    } else if (stop && stop.reason === 'killed' && !opts.killed) {
      this.console(`\nProgram terminated with signal ${stop.signal?.name}, ${signalMeaning(stop.signal)}.\n`);
      this.console('The program no longer exists.\n');
    }
    for (const n of this.knownThreadNumbers()) this.notify('thread-exited', { id: String(n), 'group-id': 'i1' });
    this.threadNums.clear();
    this.threadIds.clear();
    this.nextThreadNum = 1;
    this.selectedThread = undefined;
    this.modulesSeen.clear();
    this.unloadedModules = [];
    if (stop && stop.reason === 'exited') {
      this.notify('thread-group-exited', { id: 'i1', 'exit-code': exitCodeOctal(stop.exitCode ?? 0) });
      if ((stop.exitCode ?? 0) === 0) this.write('*stopped,reason="exited-normally"');
      else this.write(`*stopped,reason="exited",exit-code="${exitCodeOctal(stop.exitCode!)}"`);
    } else {
      this.notify('thread-group-exited', { id: 'i1' });
      if (stop && !opts.killed) {
        this.write(`*stopped,reason="exited-signalled",signal-name="${stop.signal?.name ?? 'SIGKILL'}",signal-meaning="${signalMeaning(stop.signal)}"`);
      }
    }
    this.pid = undefined;
    this.closeStatFiles();
    this.attached = false;
    this.running = false;
    this.invalidate();
    this.varobjs?.clear();
    // Breakpoint locations go back to link-time form in gdb; hit counts stay.
  }

  // ------------------------------------------------------------------------------------------------
  // Session end

  async shutdown(code: number): Promise<void> {
    if (this.exited) return;
    try {
      if (this.pid !== undefined) {
        if (this.attached) await this.engine.detach().catch(() => undefined);
        else await this.engine.kill().catch(() => undefined);
      }
      await this.engine.dispose();
    } catch {
      /* ending anyway */
    }
    this.exited = true;
    this.opts.onExit?.(code);
  }

  get hasExited(): boolean {
    return this.exited;
  }

  versionBanner(): string[] {
    return [
      `GNU gdb (GDB) ${GDB_VERSION}\n`,
      `backstep ${this.opts.version}: gdb/MI-compatible debugger with checkpoints and reverse execution\n`,
      'Copyright (C) 2023 Free Software Foundation, Inc.\n',
      'License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.',
      '\nType "show copying" and "show warranty" for details.\n',
      'This GDB was configured as "x86_64-linux-gnu".\n',
      'For help, type "help".\n',
    ];
  }
}

export function addr(a: number): string {
  return '0x' + a.toString(16).padStart(16, '0');
}

function fieldsOf(t: MiTuple): string {
  return formatFields(t).slice(1);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export { ARCH, hex, EngineError };
