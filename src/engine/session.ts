// The debugger session: one program, one process at a time, all-stop. Implements the Engine interface
// of api.ts on top of the target layer (Tracer/Inferior) and the symbol layer (SymbolFile, unwinder).
//
// Run control is serialized: one command at a time; every command ends with a StopInfo that is also
// emitted as 'stopped' (or 'exited' + 'terminated'). Internal stops (shared-library events, logpoints,
// breakpoint conditions that are false, step-resume breakpoints in other frames) never reach the user.

import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { FpRegisters, Registers, GPR_NAMES, GprName, XState } from '../ptrace/regs';
import { signalDescription, signalName, signalNumber, DEFAULT_NOSTOP, SIGNALS } from '../ptrace/signals';
import { analyzeAmd64Prologue, fileMatches } from '../symbols';
import { dwarfRegsFromUserRegs, Frame as UnwindFrame, unwindDetailed, UnwindMemory } from '../symbols/unwind';
import { Inferior, StopEvent, Tracer, TargetError } from '../target';
import { checkExecutable } from '../target/errors';
import {
  AddressInfo,
  AttachConfig,
  Breakpoint,
  BreakpointChange,
  BreakpointSpec,
  CheckpointInfo,
  ContinueOptions,
  Engine,
  EngineError,
  EngineEvents,
  EvaluateOptions,
  EvaluateResult,
  FinishOptions,
  FrameInfo,
  LaunchConfig,
  LineInfo,
  LocationSpec,
  MemoryRead,
  ModuleInfo,
  ProgramInfo,
  RegisterValue,
  RunOptions,
  Scope,
  SessionState,
  SetBreakpointOptions,
  SignalHandling,
  SignalInfo,
  SourceFileInfo,
  StackTrace,
  StepOptions,
  StopInfo,
  StopReason,
  ThreadInfo,
  ValueFormat,
  Variable,
  FrameArgument,
  VariablesOptions,
  Watchpoint,
  WatchpointChange,
  WatchpointSpec,
  WatchHit,
} from './api';
import { typeName } from '../symbols';
import { BreakpointTable, ResolveTarget, UserBreakpoint } from './breakpoints';
import { buildStack, EngineFrame, frameText, InlineHiding, returnTypeDie, Stack, toFrameInfo } from './frames';
import { parseLocation } from './linespec';
import { LoadedModule, ModuleTable, ObjectFile, openObject } from './modules';
import { returnLocation } from './return-value';
import { Ev, functionEnd, LineStepMode, runTo, StepHost, StepResult, stepInstruction, stepLine, useHost } from './stepping';
import { functionAt, lineAt } from './symbolize';
import { DataBridge, eagerBaselineFromNowOn } from './data';
import { registerList } from './registers';
import type { ReverseEngine } from './reverse/reverse';
import { SessionCheckpoints } from './checkpoints-session';
import { WatchManager } from './watchpoints';
import { symbolFor } from './values/symbolize';
import { LineCodeRange, SectionSymbol, SourceLineRow, lineCode, lineRangeAt, readFromFiles, sectionSymbols, sourceLineTable, symtabName } from './lines';
import { SymtabLines, symtabAt } from './symtab';

/** Extension points filled by the checkpoint engine (src/engine/checkpoints*.ts) and reverse execution. */
export interface CheckpointProvider {
  checkpoint(): Promise<CheckpointInfo>;
  checkpoints(): CheckpointInfo[];
  restartCheckpoint(id: number): Promise<StopInfo>;
  deleteCheckpoint(id: number): Promise<void>;
}

export interface ReverseProvider {
  /** gdb `record full`: start recording the stopped program (also done at launch with config.record). */
  startRecording?(): Promise<void>;
  /** gdb `record stop`. */
  stopRecording?(): Promise<void>;
  reverseContinue(opts: RunOptions): Promise<StopInfo>;
  reverseStep(opts: StepOptions): Promise<StopInfo>;
  reverseNext(opts: StepOptions): Promise<StopInfo>;
  reverseFinish(opts: RunOptions): Promise<StopInfo>;
  reverseStepInstruction(opts: StepOptions & { over?: boolean }): Promise<StopInfo>;
}

interface FrameEntry {
  tid: number;
  ef: EngineFrame;
  stack: Stack;
}

interface ThreadCache {
  regs: Registers;
  fp?: FpRegisters;
  /** The XSAVE area (null: the kernel gave none); fp is a view of its first 512 bytes. */
  xs?: XState | null;
  stack?: Stack;
  ids?: number[];
  /** Frames of the innermost physical frame only (enough to report a stop), with their ids. */
  top?: Stack;
  topIds?: number[];
  /** The innermost frames from a bounded unwind (partialStack), with their ids; the full stack keeps them. */
  prefix?: Stack;
  prefixIds?: number[];
  /** The siginfo of the thread's current stop (null: the kernel has none). */
  si?: Buffer | null;
}

/**
 * The per-stop thread state. `generation` changes whenever entries are dropped (the program resumes,
 * registers or memory are written), so a register read that started before can tell that its result
 * belongs to a state that is gone and must not be cached.
 */
class ThreadCacheMap extends Map<number, ThreadCache> {
  generation = 0;
  override clear(): void {
    this.generation++;
    super.clear();
  }
  override delete(tid: number): boolean {
    this.generation++;
    return super.delete(tid);
  }
}

const CRASH_SIGNALS = new Set([SIGNALS.SIGSEGV, SIGNALS.SIGBUS, SIGNALS.SIGFPE, SIGNALS.SIGILL, SIGNALS.SIGABRT]);

export interface SessionOptions {
  /** Pin the tracer worker to a CPU (default: the target layer's choice). */
  pin?: boolean | number;
  /** Show frames beyond main (gdb's `set backtrace past-main`, default off as in gdb). */
  backtracePastMain?: boolean;
}

export class Session extends EventEmitter implements Engine {
  private tracer?: Tracer;
  /** A tracer worker being started ahead of a launch or attach (prestartTracer). */
  private tracerStart?: Promise<Tracer>;
  private inf?: Inferior;
  private prog?: ObjectFile;
  private progInfo?: ProgramInfo;
  private mods?: ModuleTable;
  readonly bpTable = new BreakpointTable();
  private config?: LaunchConfig;
  private attachedPid?: number;
  private st: SessionState = 'empty';
  private curTid?: number;
  private busy = false;
  private pauseWanted = false;
  /** launch() is between its start and its first run: a pause then stops the new process at once. */
  private launching = false;
  private pauseOnStart = false;
  private readonly handling = new Map<number, SignalHandling>();
  private frameSeq = 1;
  private readonly frameIds = new Map<number, FrameEntry>();
  private readonly threadCache = new ThreadCacheMap();
  private outputs: net.Socket[] = [];
  private tmpDir?: string;
  private lastStop?: StopInfo;
  private startAddr?: number;
  /** How frame 0 of the stopped thread shows inlined calls starting at its pc (set per stop). */
  private inlineState?: { tid: number; hiding: InlineHiding };
  /** Set by the checkpoint engine. */
  checkpointProvider?: CheckpointProvider;
  /**
   * The reverse-execution engine: created (and its module, which loads the x86 decoder, required) on
   * first use, so that a session start does not pay ~25 ms for it. Assigning replaces it.
   */
  get reverseProvider(): ReverseProvider | undefined {
    if (this.reverseOverride === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ReverseEngine: RE } = require('./reverse/reverse') as { ReverseEngine: typeof ReverseEngine };
      this.reverseOverride = new RE(this);
    }
    return this.reverseOverride ?? undefined;
  }
  set reverseProvider(p: ReverseProvider | undefined) {
    this.reverseOverride = p ?? null;
  }
  private reverseOverride: ReverseProvider | null | undefined;
  readonly data: DataBridge;

  constructor(private readonly options: SessionOptions = {}) {
    super();
    this.data = new DataBridge(this);
    this.watch = new WatchManager({
      inferior: () => this.inf,
      busy: () => this.busy,
      requireStopped: () => this.requireStopped(),
      data: this.data,
      bpTable: this.bpTable,
      applyBreakpoints: () => this.applyBreakpoints(),
      condition: (expr, tid) => this.evalCondition(expr, tid),
      frameOf: (frameId) => {
        const e = this.frameEntry(frameId);
        return { tid: e.tid, phys: e.ef.phys };
      },
      physicalFrame: async (tid, phys) => {
        await this.cacheFor(tid);
        return this.physicalFrame(tid, phys);
      },
      note: (text) => this.emit('output', { category: 'console', text }),
      pauseRequested: () => this.pauseWanted,
      recording: () => this.inf !== undefined && this.inf === this.recordedView,
      deleted: (bp) => this.emit('breakpoint', { reason: 'removed', breakpoint: bp }),
      changed: (bp) => this.emit('breakpoint', { reason: 'changed', breakpoint: bp }),
    });
    this.checkpointProvider = new SessionCheckpoints(this);
  }

  // ------------------------------------------------------------------ typed events
  override on<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override once<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): this {
    return super.once(event, listener as (...a: unknown[]) => void);
  }
  override off<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): this {
    return super.off(event, listener as (...a: unknown[]) => void);
  }
  override emit<K extends keyof EngineEvents>(event: K, ...args: EngineEvents[K]): boolean {
    return super.emit(event, ...args);
  }

  // ------------------------------------------------------------------ state
  get state(): SessionState {
    return this.st;
  }
  get pid(): number | undefined {
    return this.inf && this.inf.state !== 'exited' ? this.inf.pid : undefined;
  }
  get program(): ProgramInfo | undefined {
    return this.progInfo;
  }
  get currentThreadId(): number | undefined {
    return this.inf && this.inf.state !== 'exited' ? this.curTid : undefined;
  }
  /** The inferior (for the checkpoint engine). */
  get inferior(): Inferior | undefined {
    return this.inf;
  }
  get tracerInstance(): Tracer | undefined {
    return this.tracer;
  }
  get moduleTable(): ModuleTable | undefined {
    return this.mods;
  }
  get programObject(): ObjectFile | undefined {
    return this.prog;
  }
  get lastStopInfo(): StopInfo | undefined {
    return this.lastStop;
  }

  private requireStopped(): Inferior {
    if (!this.inf || this.inf.state === 'exited') throw new EngineError('The program is not being run.', 'not-running');
    if (this.busy || this.inf.state === 'running') throw new EngineError('Cannot execute this command while the target is running.', 'running');
    return this.inf;
  }

  private requireProgram(): ObjectFile {
    if (!this.prog) throw new EngineError('No executable file specified.\nUse the "file" or "exec-file" command.', 'no-program');
    return this.prog;
  }

  // ------------------------------------------------------------------ program
  async loadProgram(program: string): Promise<ProgramInfo> {
    let file: string;
    try {
      file = checkExecutable(program);
    } catch (e) {
      throw new EngineError((e as Error).message, 'target');
    }
    let obj: ObjectFile;
    try {
      obj = openObject(file);
    } catch (e) {
      throw new EngineError(`${program}: ${(e as Error).message}`, 'target');
    }
    if (this.prog && this.prog.path !== obj.path) {
      // A different program: breakpoints resolved in the old one must be re-resolved.
      for (const bp of this.bpTable.all()) this.bpTable.dropObject(this.prog.path);
    }
    this.prog = obj;
    for (const w of obj.warnings) this.emit('output', { category: 'log', text: `warning: ${w}\n` });
    const has = obj.hasDebugInfo;
    this.progInfo = {
      path: file,
      hasDebugInfo: has,
      pie: obj.elf.isPie,
      entry: obj.elf.entry,
      message: has ? undefined : `(No debugging symbols found in ${path.basename(file)})`,
    };
    if (this.st === 'empty') this.st = 'loaded';
    // Breakpoints created before (pending) may resolve in the program now.
    for (const bp of this.bpTable.all()) this.resolveInTarget(bp, { obj, bias: undefined, path: obj.path });
    return this.progInfo;
  }

  // ------------------------------------------------------------------ launch / attach
  async launch(config: LaunchConfig): Promise<StopInfo> {
    if (this.inf && this.inf.state !== 'exited') throw new EngineError('The program being debugged has been started already.', 'invalid');
    if (this.busy) throw new EngineError('Cannot execute this command while the target is running.', 'running');
    this.busy = true;
    this.launching = true;
    this.pauseOnStart = false;
    try {
      const cwd = config.cwd ? path.resolve(config.cwd) : undefined;
      const programPath = cwd && !path.isAbsolute(config.program) && config.program.includes('/') ? path.resolve(cwd, config.program) : config.program;
      if (!this.prog || this.prog.path !== safeCheck(programPath)) await this.loadProgram(programPath);
      this.config = { ...config };
      const tracer = await this.tracerReady();
      let env = config.env ? { ...config.env } : undefined;
      if (config.envOverrides) {
        env = env ?? { ...(process.env as Record<string, string>) };
        for (const [k, v] of Object.entries(config.envOverrides)) {
          if (v === null) delete env[k];
          else env[k] = v;
        }
      }
      const stdio = this.prepareStdio(config);
      let inf: Inferior;
      try {
        inf = await tracer.launch({ program: this.prog!.path, args: config.args ?? [], env, cwd, stdio: stdio.fds, disableAslr: config.disableAslr });
      } catch (e) {
        stdio.cleanup(false);
        throw new EngineError((e as Error).message, 'target');
      } finally {
        stdio.closeChildEnds();
      }
      stdio.cleanup(true);
      this.attachedPid = undefined;
      await this.startProcess(inf, 'launch');
      // Reverse execution: recorded from the first instruction (src/engine/reverse).
      if (config.record) await this.reverseProvider?.startRecording?.();
      const stopAt = config.stopAt ?? (config.stopOnEntry ? 'main' : 'none');
      if (stopAt === 'entry') return await this.finishStop({ reason: 'entry', tid: inf.pid });
      if (stopAt === 'main') {
        const main = this.mainAddress();
        if (main !== undefined) {
          this.startAddr = main;
          this.bpTable.addInternal(main, 'start');
          await this.applyBreakpoints();
        }
      }
      this.launching = false;
      if (this.pauseOnStart) return await this.finishStop({ reason: 'pause', tid: inf.pid });
      this.emit('continued', { threadId: inf.pid, allThreadsContinued: true });
      return await this.runCommand(async () => {
        const ev = await this.continueAll();
        return this.stopFromEv(ev, { startAsEntry: true });
      }, false);
    } finally {
      this.launching = false;
      this.pauseOnStart = false;
      this.busy = false;
      if (this.startAddr !== undefined) {
        this.bpTable.removeInternalOwner('start');
        this.startAddr = undefined;
        if (this.inf && this.inf.state !== 'exited' && this.inf.state !== 'running') await this.applyBreakpoints().catch(() => undefined);
      }
    }
  }

  private mainAddress(): number | undefined {
    const prog = this.prog!;
    const bias = this.biasOf(prog.path) ?? 0;
    const dw = prog.hasDebugInfo ? prog.symbols.breakpointAddressForFunction('main') : undefined;
    if (dw) return dw.address + bias;
    const s = prog.elfSymbol('main');
    if (s && s.shndx !== 0) return analyzeAmd64Prologue(prog.elf, s.value) + bias;
    return undefined;
  }

  async attach(config: AttachConfig): Promise<StopInfo> {
    if (this.inf && this.inf.state !== 'exited') throw new EngineError('The program being debugged has been started already.', 'invalid');
    if (this.busy) throw new EngineError('Cannot execute this command while the target is running.', 'running');
    this.busy = true;
    try {
      const program = config.program ?? safeReadlink(`/proc/${config.pid}/exe`);
      if (!program) throw new EngineError(`Cannot attach to process ${config.pid}: no such process.`, 'target');
      await this.loadProgram(program);
      const tracer = await this.tracerReady();
      let inf: Inferior;
      try {
        inf = await tracer.attach(config.pid);
      } catch (e) {
        throw new EngineError((e as Error).message, 'target');
      }
      this.attachedPid = config.pid;
      this.config = undefined;
      await this.startProcess(inf, 'attach');
      return await this.finishStop({ reason: 'pause', tid: inf.lastStop.kind === 'paused' ? inf.lastStop.tid : inf.pid });
    } finally {
      this.busy = false;
    }
  }

  threadCore(threadId: number): number | undefined {
    return this.st === 'stopped' && this.inf ? this.inf.coreHint(threadId) : undefined;
  }

  private async startProcess(inf: Inferior, how: 'launch' | 'attach'): Promise<void> {
    this.inf = inf;
    this.st = 'stopped';
    this.curTid = inf.pid;
    this.clearStopState();
    for (const [signo, h] of this.handling) await inf.setSignalPolicy(signo, { stop: h.stop, pass: h.pass });
    const mods = new ModuleTable(inf.pid, this.prog!, this.memory());
    this.mods = mods;
    const changes = mods.initialize();
    // From here on V8 baseline-compiles every function at its first call (data.ts).
    eagerBaselineFromNowOn();
    this.emit('process', { pid: inf.pid, name: this.prog!.path, startMethod: how });
    await this.onModules(changes.added, changes.removed);
    if (mods.solibEventAddr !== undefined) this.bpTable.addInternal(mods.solibEventAddr, 'solib');
    await this.applyBreakpoints();
    // Watches kept from the previous run (gdb keeps watches on globals across `run`).
    await this.watch.reinsert('run');
  }

  private prepareStdio(config: LaunchConfig): { fds?: [number, number, number]; closeChildEnds(): void; cleanup(ok: boolean): void } {
    const mode = config.stdio ?? 'inherit';
    if (Array.isArray(mode)) return { fds: mode, closeChildEnds() {}, cleanup() {} };
    if (mode !== 'pipe') return { fds: undefined, closeChildEnds() {}, cleanup() {} };
    this.tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-io-'));
    const dir = this.tmpDir;
    const childEnds: number[] = [];
    const ours: { fd: number; category: 'stdout' | 'stderr' }[] = [];
    const fifo = (name: string): [number, number] => {
      const p = path.join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      execFileSync('mkfifo', ['-m', '600', p]);
      const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const w = fs.openSync(p, fs.constants.O_WRONLY);
      fs.unlinkSync(p);
      return [r, w];
    };
    let stdinFd: number;
    if (config.stdin !== undefined) {
      const p = path.join(dir, `stdin-${Date.now()}`);
      fs.writeFileSync(p, config.stdin);
      stdinFd = fs.openSync(p, 'r');
      fs.unlinkSync(p);
    } else stdinFd = fs.openSync('/dev/null', 'r');
    childEnds.push(stdinFd);
    const [outR, outW] = fifo('out');
    const [errR, errW] = fifo('err');
    childEnds.push(outW, errW);
    ours.push({ fd: outR, category: 'stdout' }, { fd: errR, category: 'stderr' });
    return {
      fds: [stdinFd, outW, errW],
      closeChildEnds: () => {
        for (const fd of childEnds) {
          try {
            fs.closeSync(fd);
          } catch {
            /* closed */
          }
        }
      },
      cleanup: (ok: boolean) => {
        for (const o of ours) {
          if (!ok) {
            fs.closeSync(o.fd);
            continue;
          }
          const sock = new net.Socket({ fd: o.fd, readable: true, writable: false });
          sock.setEncoding('utf8');
          sock.on('data', (text: string) => this.emit('output', { category: o.category, text }));
          sock.on('error', () => undefined);
          this.outputs.push(sock);
        }
      },
    };
  }

  /** Waits (briefly) until the program's piped output has been read to its end. */
  private async drainOutput(): Promise<void> {
    const socks = this.outputs;
    this.outputs = [];
    await Promise.all(
      socks.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed || s.readableEnded) return resolve();
            const t = setTimeout(() => {
              s.destroy();
              resolve();
            }, 500);
            s.once('close', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
  }

  async detach(): Promise<void> {
    const inf = this.requireStopped();
    this.bpTable.forgetInserted();
    try {
      await inf.detach();
    } catch (e) {
      throw new EngineError((e as Error).message, 'target');
    }
    await this.processGone(undefined, false);
    this.emit('terminated', {});
  }

  async kill(): Promise<void> {
    if (!this.inf || this.inf.state === 'exited') throw new EngineError('The program is not being run.', 'not-running');
    const pid = this.inf.pid;
    if (this.inf.state === 'running') this.pauseWanted = true;
    const ev = await this.inf.kill();
    // A run command in flight resolves through its own path (the kill shows up as its stop).
    if (!this.busy) {
      await this.processGone(ev, true);
      const signal = ev.kind === 'killed' ? sigInfo(ev.signo, 0) : undefined;
      this.emit('exited', { pid, exitCode: ev.kind === 'exited' ? ev.code : undefined, signal });
      this.emit('terminated', {});
    }
  }

  async restart(): Promise<StopInfo> {
    const config = this.config;
    if (!config) throw new EngineError('The program was not launched by this session; nothing to restart.', 'invalid');
    if (this.inf && this.inf.state !== 'exited') {
      const pid = this.inf.pid;
      const ev = await this.inf.kill();
      await this.processGone(ev, true);
      this.emit('exited', { pid, signal: sigInfo(SIGNALS.SIGKILL, 0) });
      this.emit('terminated', { restart: true });
    }
    return this.launch(config);
  }

  /**
   * Starts the tracer worker in the background, so that a launch or attach that follows does not wait
   * for it (the worker's start, ~0.1 s, overlaps with the client's configuration requests).
   */
  prestartTracer(): void {
    if (this.tracer || this.tracerStart) return;
    this.tracerStart = Tracer.create({ pin: this.options.pin });
    this.tracerStart.catch(() => undefined);
  }

  private async tracerReady(): Promise<Tracer> {
    if (!this.tracer) {
      const starting = this.tracerStart ?? Tracer.create({ pin: this.options.pin });
      this.tracerStart = undefined;
      this.tracer = await starting;
    }
    return this.tracer;
  }

  async dispose(): Promise<void> {
    try {
      if (this.inf && this.inf.state !== 'exited') {
        await this.inf.kill().catch(() => undefined);
        await this.processGone(undefined, true);
      }
    } finally {
      for (const s of this.outputs) s.destroy();
      this.outputs = [];
      if (this.tracerStart) this.tracer ??= await this.tracerStart.catch(() => undefined);
      this.tracerStart = undefined;
      if (this.tracer) await this.tracer.close();
      this.tracer = undefined;
      if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
    }
  }

  /** The process ended (or we detached): forget everything that belonged to it. */
  private async processGone(ev: StopEvent | undefined, drain: boolean): Promise<void> {
    void ev;
    if (drain) await this.drainOutput();
    const mods = this.mods;
    this.mods = undefined;
    this.bpTable.forgetInserted();
    this.bpTable.removeInternalOwner('solib');
    this.watch.processGone();
    if (mods) {
      for (const m of mods.modules) {
        if (m.kind === 'program') continue;
        for (const bp of this.bpTable.dropObject(m.obj.path)) this.emitBp('changed', bp);
        this.emit('module', { reason: 'removed', module: m.info() });
      }
    }
    this.clearStopState();
    this.st = 'exited';
  }

  // ------------------------------------------------------------------ modules
  private biasOf = (objPath: string): number | undefined => {
    const m = this.mods?.modules.find((x) => x.obj.path === objPath);
    return m?.bias;
  };

  private memory(): UnwindMemory {
    return {
      read: (addr: number, len: number) => {
        const inf = this.inf;
        if (!inf || inf.state === 'exited' || addr < 0 || !Number.isSafeInteger(addr)) return undefined;
        try {
          return inf.readMemorySync(addr, len);
        } catch {
          return undefined;
        }
      },
    };
  }

  private async onModules(added: LoadedModule[], removed: LoadedModule[]): Promise<void> {
    for (const m of removed) {
      for (const bp of this.bpTable.dropObject(m.obj.path)) this.emitBp('changed', bp);
      this.emit('module', { reason: 'removed', module: m.info() });
    }
    for (const m of added) {
      this.emit('module', { reason: 'new', module: m.info() });
      if (m.kind === 'library') for (const w of m.obj.warnings) this.emit('output', { category: 'log', text: `warning: ${w}\n` });
      if (m.kind === 'program') continue; // resolved against the program already (link-time)
      for (const bp of this.bpTable.all()) {
        if (this.resolveInTarget(bp, { obj: m.obj, bias: m.bias, path: m.obj.path })) this.emitBp('changed', bp);
      }
    }
  }

  private resolveInTarget(bp: UserBreakpoint, t: ResolveTarget): boolean {
    if (bp.kind === 'address') return false;
    try {
      return this.bpTable.resolveIn(bp, t) > 0;
    } catch {
      return false;
    }
  }

  private async solibEvent(): Promise<void> {
    const mods = this.mods;
    if (!mods || !mods.consistent()) return;
    const ch = mods.sync();
    if (ch.added.length || ch.removed.length) {
      await this.onModules(ch.added, ch.removed);
      await this.applyBreakpoints();
    }
  }

  modules(): ModuleInfo[] {
    return (this.mods?.modules ?? []).map((m) => m.info());
  }

  // ------------------------------------------------------------------ breakpoints
  private targets(): ResolveTarget[] {
    const prog = this.prog;
    const out: ResolveTarget[] = [];
    if (prog) out.push({ obj: prog, bias: this.biasOf(prog.path), path: prog.path });
    for (const m of this.mods?.modules ?? []) {
      if (m.kind === 'program' || m.kind === 'vdso') continue;
      out.push({ obj: m.obj, bias: m.bias, path: m.obj.path });
    }
    return out;
  }

  private defaults(): { file?: string; line?: number } {
    const top = this.lastStop?.frame;
    if (top?.fullPath && top.line !== undefined) return { file: top.fullPath, line: top.line };
    const prog = this.prog;
    if (!prog?.hasDebugInfo) return {};
    // main's position costs the program's name index: only computed when a location needs a default
    // (a bare LINE or +OFFSET), not for FILE:LINE or FUNCTION.
    let main: { file?: string; line?: number } | undefined;
    const get = () => (main ??= prog.symbols.breakpointAddressForFunction('main') ?? {});
    return {
      get file() {
        return get().file;
      },
      get line() {
        return get().line;
      },
    };
  }

  async setBreakpoint(spec: BreakpointSpec, opts: SetBreakpointOptions = {}): Promise<Breakpoint> {
    if (this.busy && this.inf?.state === 'running') {
      throw new EngineError('Cannot set a breakpoint while the target is running; pause first.', 'running');
    }
    const inf = this.inf && this.inf.state !== 'exited' ? this.inf : undefined;
    const bp = this.bpTable.create(spec, this.targets(), this.defaults(), opts.pending ?? false, (addr) => (inf ? this.memory().read(addr, 1) !== undefined : true));
    if (inf && !this.busy) await this.applyBreakpoints();
    const pub = this.publicBp(bp);
    this.emit('breakpoint', { reason: 'new', breakpoint: pub });
    return pub;
  }

  async updateBreakpoint(id: number, change: BreakpointChange): Promise<Breakpoint> {
    if (this.watch.has(id)) {
      await this.watch.update(id, change);
      return this.watch.asBreakpoint(id);
    }
    const bp = this.bpTable.update(id, change);
    if (this.inf && this.inf.state === 'stopped' && !this.busy) await this.applyBreakpoints();
    const pub = this.publicBp(bp);
    this.emit('breakpoint', { reason: 'changed', breakpoint: pub });
    return pub;
  }

  async removeBreakpoint(id: number): Promise<void> {
    if (this.watch.has(id)) return this.removeWatchpoint(id);
    const bp = this.bpTable.remove(id);
    if (this.inf && this.inf.state === 'stopped' && !this.busy) await this.applyBreakpoints();
    this.emit('breakpoint', { reason: 'removed', breakpoint: this.publicBp(bp) });
  }

  // ------------------------------------------------------------------ watchpoints (src/engine/watchpoints.ts)
  readonly watch: WatchManager;

  setWatchpoint(spec: WatchpointSpec): Promise<Watchpoint> {
    return this.watch.set(spec);
  }

  removeWatchpoint(id: number): Promise<void> {
    return this.watch.remove(id);
  }

  watchpoints(): Watchpoint[] {
    return this.watch.list();
  }

  updateWatchpoint(id: number, change: WatchpointChange): Promise<Watchpoint> {
    return this.watch.update(id, change);
  }

  /** Watch values re-read where the program is (after a reverse command moved it without triggers). */
  private refreshWatchValues(): void {
    this.watch.refreshValues();
  }

  breakpoints(): Breakpoint[] {
    return this.bpTable.all().map((b) => this.publicBp(b));
  }

  private publicBp(bp: UserBreakpoint): Breakpoint {
    return this.bpTable.toPublic(bp, this.biasOf, !!this.pid);
  }

  private emitBp(reason: 'new' | 'changed' | 'removed', bp: UserBreakpoint): void {
    this.emit('breakpoint', { reason, breakpoint: this.publicBp(bp) });
  }

  async applyBreakpoints(): Promise<void> {
    const inf = this.inf;
    if (!inf || inf.state !== 'stopped') return;
    const problems = await this.bpTable.apply(inf, this.biasOf, (a) => this.memory().read(a, 1) !== undefined);
    for (const p of problems) this.emit('output', { category: 'console', text: p + '\n' });
  }

  async resolveLocation(location: LocationSpec): Promise<LineInfo[]> {
    const p = parseLocation(location);
    const out: LineInfo[] = [];
    if (p.kind === 'address') {
      const addr = p.address ?? this.targets().map((t) => t.obj.elfSymbol(p.symbol!)?.value).find((v) => v !== undefined);
      if (addr === undefined) throw new EngineError(`No symbol "${p.symbol}" in current context.`, 'bad-location');
      const info = this.addressInfo(addr);
      return [{ file: info.file ?? '', fullPath: info.fullPath ?? '', line: info.line ?? 0, addresses: [addr] }];
    }
    const tmp = new BreakpointTable();
    const bp = tmp.create({ location }, this.targets(), this.defaults(), false, () => true);
    const pub = tmp.toPublic(bp, this.biasOf, !!this.pid);
    for (const l of pub.locations) {
      const ex = out.find((o) => o.fullPath === (l.fullPath ?? '') && o.line === (l.line ?? 0));
      if (ex) ex.addresses.push(l.address);
      else out.push({ file: l.file ?? '', fullPath: l.fullPath ?? '', line: l.line ?? 0, addresses: [l.address] });
    }
    return out;
  }

  async breakpointLocations(file: string, line: number, endLine = line): Promise<{ line: number; column?: number }[]> {
    const out = new Map<number, number | undefined>();
    for (const t of this.targets()) {
      const sym = t.obj.symbols;
      if (!sym.hasDebugInfo) continue;
      for (const unit of sym.dwarf.compileUnits()) {
        const table = sym.lineTable(unit);
        if (!table) continue;
        table.files.forEach((f, fi) => {
          if (!fileMatches(file, f)) return;
          for (const e of table.fileEntries(fi)) {
            if (e.isStmt && e.line >= line && e.line <= endLine && !out.has(e.line)) out.set(e.line, e.column || undefined);
          }
        });
      }
    }
    return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([l, c]) => ({ line: l, column: c }));
  }

  async setSignalHandling(signal: number | string, h: Partial<SignalHandling>): Promise<SignalHandling> {
    let signo: number;
    try {
      signo = signalNumber(signal);
    } catch (e) {
      throw new EngineError((e as Error).message, 'invalid');
    }
    const cur = this.signalHandling(signo);
    const next: SignalHandling = { ...cur, ...h };
    // gdb: stop implies print; nopass/noprint combinations follow its rules.
    if (h.stop === true) next.print = true;
    if (h.print === false) next.stop = false;
    this.handling.set(signo, next);
    if (this.inf && this.inf.state !== 'exited') await this.inf.setSignalPolicy(signo, { stop: next.stop, pass: next.pass });
    return next;
  }

  signalHandling(signal: number | string): SignalHandling {
    const signo = signalNumber(signal);
    const h = this.handling.get(signo);
    if (h) return { ...h };
    const stop = !DEFAULT_NOSTOP.has(signo);
    return { stop, print: stop, pass: signo !== SIGNALS.SIGINT && signo !== SIGNALS.SIGTRAP };
  }

  // ------------------------------------------------------------------ the run loop
  private async classify(ev: StopEvent): Promise<Ev> {
    this.noteThreads(ev);
    if (ev.kind === 'breakpoint') {
      const internal = this.bpTable.internalOwners(ev.pc);
      if (internal?.has('solib')) await this.solibEvent();
      const decision = await this.bpTable.decide(ev.pc, ev.tid, this.biasOf, (expr) => this.evalCondition(expr, ev.tid));
      if (!decision.stop.length && !decision.errors.length && (await this.watch.checkScope(ev.tid, ev.pc, internal))) {
        return { kind: 'other', ev: { kind: 'watchpoint', pid: ev.pid, tid: ev.tid, pc: ev.pc, dr6: 0, threads: ev.threads } };
      }
      return { kind: 'bp', tid: ev.tid, pc: ev.pc, ev, decision, internal: this.bpTable.internalOwners(ev.pc) };
    }
    if (ev.kind === 'watchpoint' && this.watch.size) {
      // A watch that fired during a step (a continue's traps are decided in contEvent): a write of the
      // same value is no stop, the step goes on.
      if (await this.watch.onTrap(ev)) return { kind: 'other', ev };
      return { kind: 'step', tid: ev.tid, pc: ev.pc, ev: { kind: 'step', pid: ev.pid, tid: ev.tid, pc: ev.pc, threads: ev.threads, regs: ev.regs } };
    }
    if (ev.kind === 'step') {
      const internal = this.bpTable.internalOwners(ev.pc);
      if (internal?.has('solib')) await this.solibEvent();
      // A step that returns to the caller of a frame with a watched local ends there (gdb's watchpoint-scope stop).
      if (await this.watch.checkScope(ev.tid, ev.pc, internal)) return { kind: 'other', ev: { kind: 'watchpoint', pid: ev.pid, tid: ev.tid, pc: ev.pc, dr6: 0, threads: [] } };
      if (this.bpTable.userAt(ev.pc, this.biasOf).length && !this.bpTable.isDelegated(ev.pc)) {
        const decision = await this.bpTable.decide(ev.pc, ev.tid, this.biasOf, (expr) => this.evalCondition(expr, ev.tid));
        await this.emitLogs(decision, ev.tid);
        if (decision.stop.length || decision.errors.length) return { kind: 'bp', tid: ev.tid, pc: ev.pc, ev, decision, internal };
      }
      return { kind: 'step', tid: ev.tid, pc: ev.pc, ev };
    }
    return { kind: 'other', ev };
  }

  private noteThreads(ev: StopEvent): void {
    for (const n of ev.threads ?? []) this.emit('thread', { reason: n.kind === 'created' ? 'started' : 'exited', threadId: n.tid });
  }

  private async emitLogs(d: { logs: { bp: UserBreakpoint; template: string }[] }, tid: number): Promise<void> {
    for (const l of d.logs) {
      const text = await this.data.interpolate(l.template, tid);
      this.emit('output', { category: 'console', text: text.endsWith('\n') ? text : text + '\n' });
    }
    d.logs = [];
  }

  private async evalCondition(expr: string, tid: number): Promise<boolean> {
    this.threadCache.delete(tid);
    return this.data.condition(expr, tid);
  }

  /** Continues every thread until a stop the caller must look at. */
  async continueAll(signal?: number): Promise<Ev> {
    const inf = this.inf!;
    let sig = signal;
    for (;;) {
      this.threadCache.clear();
      const raw = this.watch.stepping && this.inf !== this.recordedView
        ? await this.watch.stepUntilChange(inf, sig, this.bpTable.transientAddresses())
        : await inf.cont({ signal: sig, temporary: this.bpTable.transientAddresses() });
      sig = undefined;
      const ev = await this.contEvent(raw);
      if (ev) return ev;
    }
  }

  /** What continueAll makes of a stop of a continue: the event, or undefined when it runs on. */
  private async contEvent(raw: StopEvent): Promise<Ev | undefined> {
    if (raw.kind === 'exited' || raw.kind === 'killed') return { kind: 'other', ev: raw };
    if (raw.kind === 'watchpoint' && this.watch.size) {
      this.noteThreads(raw);
      if (!(await this.watch.onTrap(raw))) return undefined;
      return { kind: 'other', ev: raw };
    }
    const ev = await this.classify(raw);
    if (ev.kind === 'bp') {
      await this.emitLogs(ev.decision, ev.tid);
      if (ev.decision.stop.length || ev.decision.errors.length) return ev;
      // A watch on a local whose frame returned: gdb's watchpoint-scope stop.
      if (await this.watch.checkScope(ev.tid, ev.pc, ev.internal)) return { kind: 'other', ev: { kind: 'watchpoint', pid: raw.pid, tid: ev.tid, pc: ev.pc, dr6: 0, threads: [] } };
      const owners = ev.internal ? [...ev.internal].filter((o) => o !== 'solib' && !WatchManager.isScopeOwner(o)) : [];
      if (owners.length) return ev;
      if (this.pauseWanted) return { kind: 'other', ev: { kind: 'paused', pid: raw.pid, tid: ev.tid, pc: ev.pc, threads: [] } };
      return undefined;
    }
    return ev;
  }

  private stepHost(): StepHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return useHost({
      inf: this.inf!,
      modules: this.mods!,
      bps: this.bpTable,
      mem: this.memory(),
      singleStep: async (tid: number) => {
        self.threadCache.clear();
        const raw = await self.inf!.step(tid);
        if (raw.kind === 'exited' || raw.kind === 'killed') return { kind: 'other', ev: raw };
        const ev = await self.classify(raw);
        if (ev.kind === 'bp' && !ev.decision.stop.length && !ev.decision.errors.length) return { kind: 'step', tid: ev.tid, pc: ev.pc, ev: ev.ev };
        return ev;
      },
      singleStepRange: async (tid: number, start: number, end: number, stopAt: number[]) => {
        self.threadCache.clear();
        // With a software watchpoint the range steps compare the watched bytes too (watchpoints.ts).
        const r = self.watch.stepping && self.inf !== self.recordedView ? await self.watch.stepRange(self.inf!, tid, start, end, stopAt) : await self.inf!.stepRange(start, end, { tid, stopAt, maxSteps: 20_000 });
        const raw = r.event;
        if (raw.kind === 'exited' || raw.kind === 'killed') return { ev: { kind: 'other', ev: raw } as Ev, prevPc: r.prevPc };
        const ev = await self.classify(raw);
        if (ev.kind === 'bp' && !ev.decision.stop.length && !ev.decision.errors.length) return { ev: { kind: 'step', tid: ev.tid, pc: ev.pc, ev: ev.ev } as Ev, prevPc: r.prevPc };
        return { ev, prevPc: r.prevPc };
      },
      stepOverRange:
        // A software watchpoint must see the calls stepped over: they go through continueAll.
        self.inf === self.recordedView || self.watch.stepping
        ? undefined
        : async (tid: number, start: number, end: number, stopAt: number[], frameCfa: number | undefined) => {
            self.threadCache.clear();
            const r = await self.inf!.stepOver(start, end, { tid, stopAt, maxSteps: 20_000, frameCfa, temporary: self.bpTable.transientAddresses() });
            const raw = r.event;
            let ev: Ev;
            if (r.over) {
              // A stop of the run over a call: as continueAll sees it ('step': not one to show, run on).
              ev = (await self.contEvent(raw)) ?? { kind: 'step', tid, pc: 'pc' in raw ? raw.pc : 0, ev: raw };
            } else if (raw.kind === 'exited' || raw.kind === 'killed') {
              ev = { kind: 'other', ev: raw };
            } else {
              ev = await self.classify(raw);
              if (ev.kind === 'bp' && !ev.decision.stop.length && !ev.decision.errors.length) ev = { kind: 'step', tid: ev.tid, pc: ev.pc, ev: ev.ev };
            }
            return { ev, prevPc: r.prevPc, over: r.over };
          },
      continueAll: () => self.continueAll(),
      applyBreakpoints: () => self.applyBreakpoints(),
      regs: async (tid: number) => (await self.cacheFor(tid)).regs,
      get pauseRequested() {
        return self.pauseWanted;
      },
      note: (text: string) => self.emit('output', { category: 'console', text }),
    });
  }

  /**
   * Runs a run-control command: marks the session running, emits 'continued', runs `body`, then reports
   * the stop (or the exit).
   */
  private async runCommand(body: () => Promise<PendingStop>, emitContinued = true, threadId?: number, deferContinued = false): Promise<StopInfo> {
    const wasBusy = this.busy;
    if (!wasBusy) this.requireStopped();
    this.busy = true;
    this.pauseWanted = false;
    this.st = 'running';
    this.clearStopState();
    const continued = () => this.emit('continued', { threadId, allThreadsContinued: true });
    // deferContinued: announced when the first run request is in the tracer's hands, the program held
    // until then (Inferior.onNextResume): the front-end's resume records (MI's ^running) overlap the
    // tracer's preparation instead of preceding it. Announced after the body when it ran nothing.
    let held: { fired: () => boolean; cancel: () => void } | undefined;
    if (emitContinued) {
      if (deferContinued && this.inf && this.inf !== this.recordedView) held = this.inf.onNextResume(continued);
      else continued();
    }
    const announce = () => {
      if (held && !held.fired()) {
        held.cancel();
        continued();
      }
      held = undefined;
    };
    try {
      let pending: PendingStop;
      try {
        pending = await body();
        announce();
      } catch (e) {
        announce();
        if (this.inf && this.inf.state !== 'exited') {
          this.st = 'stopped';
          await this.finishStop({ reason: 'pause', tid: this.inf.currentTid, quiet: true }).catch(() => undefined);
        }
        if (e instanceof EngineError) throw e;
        throw new EngineError((e as Error).message, e instanceof TargetError ? 'target' : 'target');
      }
      return await this.finishStop(pending);
    } finally {
      this.pauseWanted = false;
      if (!wasBusy) this.busy = false;
    }
  }

  /** Converts a classified event into the stop to report. */
  private stopFromEv(ev: Ev, opts: { startAsEntry?: boolean } = {}): PendingStop {
    if (ev.kind === 'bp') {
      const ids = ev.decision.stop.map((b) => b.id);
      if (!ids.length && opts.startAsEntry && ev.internal?.has('start')) return { reason: 'entry', tid: ev.tid, temporaryStart: true };
      if (!ids.length) return { reason: 'step', tid: ev.tid };
      return { reason: 'breakpoint', tid: ev.tid, bps: ev.decision.stop, errors: ev.decision.errors.map((e) => e.message) };
    }
    if (ev.kind === 'step') return { reason: 'step', tid: ev.tid };
    const raw = ev.ev;
    switch (raw.kind) {
      case 'exited':
        return { reason: 'exited', exitCode: raw.code, pid: raw.pid };
      case 'killed':
        return { reason: 'killed', signal: sigInfo(raw.signo, 0), pid: raw.pid };
      case 'signal': {
        const s = sigInfo(raw.signo, raw.code, raw.faultAddr);
        return { reason: CRASH_SIGNALS.has(raw.signo) ? 'exception' : 'signal', tid: raw.tid, signal: s };
      }
      case 'paused':
        return { reason: 'pause', tid: raw.tid };
      case 'exec':
        return { reason: 'exec', tid: raw.tid };
      case 'watchpoint':
        return { reason: this.watch.pendingReason, tid: raw.tid };
      default:
        return { reason: 'step', tid: raw.tid };
    }
  }

  private stopFromStep(r: StepResult): PendingStop {
    if (r.kind === 'paused') return { reason: 'pause', tid: r.tid };
    if (r.kind === 'event') return this.stopFromEv(r.ev);
    if (r.decision && (r.decision.stop.length || r.decision.errors.length)) {
      return { reason: 'breakpoint', tid: r.tid, bps: r.decision.stop, errors: r.decision.errors.map((e) => e.message) };
    }
    return { reason: 'step', tid: r.tid, inlineHidden: r.hidden };
  }

  /** Builds the StopInfo, updates state, emits the events. */
  private async finishStop(p: PendingStop): Promise<StopInfo> {
    if (p.reason === 'exited' || p.reason === 'killed') {
      const pid = p.pid ?? this.inf?.pid ?? 0;
      await this.processGone(undefined, true);
      this.data.setExitCode(p.exitCode);
      const description =
        p.reason === 'exited'
          ? p.exitCode === 0
            ? `[Inferior 1 (process ${pid}) exited normally]`
            : `[Inferior 1 (process ${pid}) exited with code ${p.exitCode!.toString(8).padStart(2, '0')}]`
          : `\nProgram terminated with signal ${p.signal!.name}, ${p.signal!.description}.\nThe program no longer exists.`;
      const info: StopInfo = { reason: p.reason, allThreadsStopped: true, exitCode: p.exitCode, signal: p.signal, description };
      this.lastStop = info;
      this.emit('exited', { pid, exitCode: p.exitCode, signal: p.signal });
      this.emit('terminated', {});
      return info;
    }
    this.st = 'stopped';
    const inf = this.inf!;
    await this.bpTable.syncDelegated(inf);
    const tid = p.tid ?? inf.currentTid;
    this.curTid = tid;
    this.inlineState = { tid, hiding: this.hidingFor(p) };
    this.threadCache.delete(tid);
    let frame: FrameInfo | undefined;
    let frameErr: string | undefined;
    try {
      frame = (await this.stackTraceOf(tid, 0, 1)).frames[0];
    } catch (e) {
      frameErr = (e as Error).message;
    }
    // Temporary breakpoints go after their stop.
    for (const bp of p.bps ?? []) {
      if (bp.temporary) {
        this.bpTable.remove(bp.id);
        this.emitBp('removed', bp);
      }
    }
    if (p.bps?.some((b) => b.temporary)) await this.applyBreakpoints();
    if ((p.reason === 'watchpoint' || p.reason === 'watchpoint-scope' || p.reason === 'signal' || p.reason === 'exception' || p.reason === 'pause') && frame) {
      // The trap comes after the accessing instruction (or the return), a signal anywhere: gdb's
      // print_frame shows the address when that is mid-line (frame_show_address).
      const mod = this.mods?.find(frame.pc);
      const l = mod ? lineAt(mod, frame.pc) : undefined;
      // gdb 13's frame_show_address: also on a non-statement entry.
      p.midLine = !l || l.address !== frame.pc || !l.isStmt;
    }
    if (frame) await this.data.prepareFrame(frame.id);
    // The frame line ("main (argc=1, ...) at demo.c:12") is made when the description is first read:
    // rendering the arguments costs ~0.1 ms of each stop, and a stepping stop's description is read
    // by neither front-end (the DAP sends none for a step, MI prints its own frame).
    const LOC = '\u0000loc\u0000';
    const loc = LOC;
    let watchHits: WatchHit[] | undefined;
    let watchIds: number[] | undefined;
    let scopeDeleted: number[] | undefined;
    let description: string;
    switch (p.reason) {
      case 'breakpoint': {
        const b = p.bps![0];
        description = `${(p.errors ?? []).map((e) => e + '\n').join('')}${b.temporary ? 'Temporary breakpoint' : 'Breakpoint'} ${b.id}, ${loc}`;
        break;
      }
      case 'entry':
        description = p.temporaryStart ? `Temporary breakpoint, ${loc}` : `Program stopped.\n${loc}`;
        break;
      case 'signal':
      case 'exception':
        description = `Program received signal ${p.signal!.name}, ${p.signal!.description}.\n${loc}`;
        break;
      case 'pause':
        description = `Program received signal SIGINT, Interrupt.\n${loc}`;
        break;
      case 'finish': {
        const sc = p.watchScope ? await this.watch.takeStop(tid) : undefined;
        if (sc) scopeDeleted = sc.ids;
        description = `Run till exit from ${p.finished ?? ''}\n${sc ? sc.text.replace(/^\n/, '') : ''}${loc}${p.returnText ? `\nValue returned is ${p.returnText}` : ''}`;
        break;
      }
      case 'no-history':
        description = `\nNo more reverse-execution history.\n${loc}`;
        break;
      case 'watchpoint':
      case 'watchpoint-scope': {
        const w = await this.watch.takeStop(tid);
        if (p.reason === 'watchpoint') watchHits = w.hits;
        else scopeDeleted = w.ids;
        watchIds = w.ids;
        description = w.text + loc;
        break;
      }
      default:
        description = loc;
    }
    if (p.reason !== 'watchpoint-scope' && p.reason !== 'checkpoint') {
      // A watch on a local whose frame returned without its scope breakpoint being reported (step, finish).
      const gone = await this.watch.dropGone(tid, async () => (await this.cacheFor(tid)).regs.sp).catch(() => '');
      if (gone) description = gone + description;
    }
    let text: string | undefined;
    const made = description;
    const describe = (): string => {
      if (text === undefined) {
        const args = frame ? this.data.frameArgsText(frame.id) : '';
        const line = frame ? frameText(frame, { args, withAddress: frame.line === undefined || !!p.midLine }) : frameErr ?? '';
        text = made.split(LOC).join(line);
      }
      return text;
    };
    const info: StopInfo = {
      reason: p.reason,
      threadId: tid,
      allThreadsStopped: true,
      breakpointIds: watchIds ?? p.bps?.map((b) => b.id),
      signal: p.signal,
      frame,
      returnValue: p.returnValue,
      finishedFunction: p.finishedFunction,
      checkpointId: p.checkpointId,
      watchpoints: watchHits,
      watchScopeDeleted: scopeDeleted,
      description: '',
    };
    Object.defineProperty(info, 'description', {
      get: describe,
      set: (v: string) => {
        text = v;
      },
      enumerable: true,
      configurable: true,
    });
    this.lastStop = info;
    if (!p.quiet) this.emit('stopped', info);
    return info;
  }

  /** gdb's skip_inline_frames rule for this stop. */
  private hidingFor(p: PendingStop): InlineHiding {
    if (p.inlineHidden !== undefined) return { count: p.inlineHidden };
    if (p.reason === 'breakpoint' && p.bps?.length) {
      const show = new Set<string>();
      for (const bp of p.bps) {
        if (bp.parsed.kind === 'function') show.add(bp.parsed.name);
        else return { showAll: true };
      }
      return { show };
    }
    return {};
  }

  // ------------------------------------------------------------------ run control
  async cont(opts: ContinueOptions = {}): Promise<StopInfo> {
    const inf = this.requireStopped();
    if (opts.threadId !== undefined) this.selectThread(opts.threadId);
    if (opts.ignoreCurrent !== undefined && this.lastStop?.breakpointIds?.length) {
      const id = this.lastStop.breakpointIds[0];
      this.bpTable.update(id, { ignoreCount: Math.max(0, opts.ignoreCurrent - 1) });
      await this.applyBreakpoints();
    }
    let signal: number | undefined;
    if (opts.signal !== undefined) {
      try {
        signal = signalNumber(opts.signal);
      } catch (e) {
        throw new EngineError((e as Error).message, 'invalid');
      }
    }
    void inf;
    return this.runCommand(async () => this.stopFromEv(await this.continueAll(signal)), true, opts.threadId);
  }

  private tidFor(opts: RunOptions): number {
    const inf = this.requireStopped();
    const tid = opts.threadId ?? this.curTid ?? inf.currentTid;
    return tid;
  }

  async next(opts: StepOptions = {}): Promise<StopInfo> {
    return this.lineStep('next', opts);
  }

  async step(opts: StepOptions = {}): Promise<StopInfo> {
    return this.lineStep('step', opts);
  }

  private async lineStep(mode: LineStepMode, opts: StepOptions): Promise<StopInfo> {
    const tid = this.tidFor(opts);
    const count = Math.max(1, opts.count ?? 1);
    // Frame 0 as the stop's report computed it (runCommand drops the stop's caches): the stepping
    // frame's CFA and its hidden inline frames, without unwinding again.
    const top = async (): Promise<{ hidden: number; cfa?: { cfa: number | undefined } }> => {
      try {
        const { stack } = await this.stackOf(tid, true);
        return { hidden: stack.frames[0]?.hiddenInline ?? 0, cfa: stack.physical.length ? { cfa: stack.physical[0].cfa } : undefined };
      } catch {
        return { hidden: 0 };
      }
    };
    const first = await top();
    return this.runCommand(
      async () => {
        let p: PendingStop = { reason: 'step', tid };
        for (let i = 0; i < count; i++) {
          const f = i === 0 ? first : await top();
          const r = await stepLine(this.stepHost(), tid, mode, f.hidden, f.cfa);
          if (r.kind === 'done') this.inlineState = { tid, hiding: { count: r.hidden ?? 0 } };
          p = this.stopFromStep(r);
          if (p.reason !== 'step') break;
        }
        return p;
      },
      true,
      tid,
      true,
    );
  }

  async stepInstruction(opts: StepOptions & { over?: boolean } = {}): Promise<StopInfo> {
    const tid = this.tidFor(opts);
    const count = Math.max(1, opts.count ?? 1);
    return this.runCommand(
      async () => {
        let p: PendingStop = { reason: 'step', tid };
        for (let i = 0; i < count; i++) {
          const r = await stepInstruction(this.stepHost(), tid, !!opts.over);
          p = this.stopFromStep(r);
          if (p.reason !== 'step') break;
        }
        const regs = await this.inf!.getRegisters(tid);
        const mod = this.mods?.find(regs.pc);
        const l = mod ? lineAt(mod, regs.pc) : undefined;
        p.midLine = !l || l.address !== regs.pc;
        return p;
      },
      true,
      tid,
    );
  }

  async finish(opts: FinishOptions = {}): Promise<StopInfo> {
    const tid0 = this.tidFor(opts);
    let entry: FrameEntry | undefined;
    if (opts.frameId !== undefined) entry = this.frameEntry(opts.frameId);
    const tid = entry?.tid ?? tid0;
    const full = await this.stackOf(tid);
    entry = this.frameEntry(full.ids[entry?.ef.level ?? 0]);
    const stack = entry.stack;
    const ef = entry.ef;
    if (ef.inlined) return this.finishInline(tid, ef);
    const caller = stack.physical[ef.phys + 1];
    const phys = stack.physical[ef.phys];
    // The outermost frame shown (main, with `backtrace past-main` off) has no caller for gdb either.
    const outermost = ef.level === stack.frames.length - 1 && stack.complete;
    if (!caller || phys.cfa === undefined || outermost) throw new EngineError('"finish" not meaningful in the outermost frame.', 'invalid');
    const callerFrames = stack.frames.filter((f) => f.phys === ef.phys + 1);
    const finishedId = full.ids[ef.level];
    await this.data.prepareFrame(finishedId);
    const finishedText = frameText(toFrameInfo(ef, finishedId, tid), { args: this.data.frameArgsText(finishedId), withAddress: ef.level > 0 });
    const finished = `#${ef.level}  ${finishedText}`;
    const fn = ef.fn;
    const mod = ef.module;
    void callerFrames;
    return this.runCommand(
      async () => {
        const r = await runTo(this.stepHost(), tid, [caller.pc], phys.cfa);
        // A watch on a local of the finished frame ends right at the return: gdb reports both.
        const scoped = !r.reached && r.ev.kind === 'other' && r.ev.ev.kind === 'watchpoint' && r.ev.ev.pc === caller.pc && this.watch.pendingReason === 'watchpoint-scope';
        if (!r.reached && !scoped) return this.stopFromEv(r.ev);
        if (r.ev.kind === 'bp' && r.ev.decision.stop.length) return this.stopFromEv(r.ev);
        const p: PendingStop = { reason: 'finish', tid, finished, finishedFunction: ef.function, midLine: true, watchScope: scoped || undefined };
        if (fn && mod) {
          try {
            const rv = await this.returnValue(tid, mod, fn);
            if (rv) {
              p.returnValue = rv.variable;
              p.returnText = rv.text;
            }
          } catch {
            /* no value */
          }
        }
        return p;
      },
      true,
      tid,
    );
  }

  private async finishInline(tid: number, ef: EngineFrame): Promise<StopInfo> {
    // Step until the pc leaves the inlined block (in the same physical frame).
    const die = ef.inlineDie!;
    const bias = ef.module!.bias;
    const ranges = die.ranges().map(([lo, hi]) => [lo + bias, hi + bias] as [number, number]);
    return this.runCommand(
      async () => {
        const host = this.stepHost();
        for (let i = 0; i < 1_000_000; i++) {
          if (this.pauseWanted) return { reason: 'pause', tid };
          const r = await stepInstruction(host, tid, true);
          if (r.kind !== 'done' || (r.decision && r.decision.stop.length)) return this.stopFromStep(r);
          if (!ranges.some(([lo, hi]) => r.pc >= lo && r.pc < hi)) break;
        }
        return { reason: 'finish', tid, finishedFunction: ef.function, finished: `#${ef.level}  ${ef.function ?? '??'}`, midLine: true };
      },
      true,
      tid,
    );
  }

  private async returnValue(tid: number, mod: LoadedModule, fn: NonNullable<EngineFrame['fn']>): Promise<{ variable: Variable; text: string } | undefined> {
    const typeDie = returnTypeDie(fn);
    if (!typeDie) return undefined;
    const type = mod.symbols.typeFromDie(typeDie);
    const regs = await this.inf!.getRegisters(tid);
    const fp = await this.inf!.getFpRegisters(tid);
    const loc = returnLocation(type, regs, fp);
    if (!loc) return undefined;
    return this.data.returnValue(type, loc, { symbolFile: mod.symbols, loadBias: mod.bias });
  }

  async until(opts: RunOptions & { location?: LocationSpec } = {}): Promise<StopInfo> {
    if (opts.location !== undefined) return this.advance(opts.location, opts);
    return this.lineStep('until', opts);
  }

  async advance(location: LocationSpec, opts: RunOptions = {}): Promise<StopInfo> {
    const tid = this.tidFor(opts);
    const lines = await this.resolveLocation(location);
    const addrs = lines.flatMap((l) => l.addresses);
    if (!addrs.length) throw new EngineError(`No location found for ${typeof location === 'string' ? location : JSON.stringify(location)}.`, 'bad-location');
    const entry = this.frameEntry((await this.stackOf(tid)).ids[0]);
    const phys = entry.stack.physical[entry.ef.phys];
    const caller = entry.stack.physical[entry.ef.phys + 1];
    return this.runCommand(
      async () => {
        const host = this.stepHost();
        const owner = 'advance';
        for (const a of addrs) this.bpTable.addInternal(a, owner);
        if (caller) this.bpTable.addInternal(caller.pc, owner);
        await this.applyBreakpoints();
        try {
          for (;;) {
            const ev = await this.continueAll();
            if (ev.kind === 'bp' && ev.internal?.has(owner) && ev.tid === tid) {
              if (ev.decision.stop.length) return this.stopFromEv(ev);
              if (addrs.includes(ev.pc)) return { reason: 'location', tid };
              // The caller's resume address: only when the current frame has returned.
              const sp = (await this.inf!.getRegisters(tid)).sp;
              if (phys.cfa === undefined || sp >= phys.cfa) return { reason: 'location', tid, midLine: true };
              continue;
            }
            if (ev.kind === 'bp' && !ev.decision.stop.length && !ev.decision.errors.length) continue;
            return this.stopFromEv(ev);
          }
        } finally {
          this.bpTable.removeInternalOwner(owner);
          void host;
          if (this.inf && this.inf.state !== 'exited') await this.applyBreakpoints();
        }
      },
      true,
      tid,
    );
  }

  async pause(): Promise<void> {
    const inf = this.inf;
    if (this.launching) {
      // The program is being started: it stops (reason pause) instead of running on.
      this.pauseOnStart = true;
      if (inf && inf.state === 'running') inf.pause();
      return;
    }
    if (!inf || inf.state === 'exited' || !this.busy) return;
    this.pauseWanted = true;
    inf.pause();
  }

  selectThread(threadId: number): void {
    const inf = this.requireStopped();
    void inf;
    this.curTid = threadId;
  }

  // ------------------------------------------------------------------ reverse / checkpoints
  private unsupported(): never {
    throw new EngineError('Target native does not support this command.', 'unsupported');
  }

  async startRecording(): Promise<void> {
    if (!this.reverseProvider?.startRecording) return this.unsupported();
    await this.reverseProvider.startRecording();
  }

  async stopRecording(): Promise<void> {
    await this.reverseOverride?.stopRecording?.();
  }
  reverseContinue(opts: RunOptions = {}): Promise<StopInfo> {
    return this.reverseProvider ? this.reverseProvider.reverseContinue(opts) : this.unsupported();
  }
  reverseStep(opts: StepOptions = {}): Promise<StopInfo> {
    return this.reverseProvider ? this.reverseProvider.reverseStep(opts) : this.unsupported();
  }
  reverseNext(opts: StepOptions = {}): Promise<StopInfo> {
    return this.reverseProvider ? this.reverseProvider.reverseNext(opts) : this.unsupported();
  }
  reverseFinish(opts: RunOptions = {}): Promise<StopInfo> {
    return this.reverseProvider ? this.reverseProvider.reverseFinish(opts) : this.unsupported();
  }
  reverseStepInstruction(opts: StepOptions & { over?: boolean } = {}): Promise<StopInfo> {
    return this.reverseProvider ? this.reverseProvider.reverseStepInstruction(opts) : this.unsupported();
  }
  checkpoint(): Promise<CheckpointInfo> {
    return this.checkpointProvider ? this.checkpointProvider.checkpoint() : this.unsupported();
  }
  checkpoints(): CheckpointInfo[] {
    return this.checkpointProvider ? this.checkpointProvider.checkpoints() : [];
  }
  restartCheckpoint(id: number): Promise<StopInfo> {
    return this.checkpointProvider ? this.checkpointProvider.restartCheckpoint(id) : this.unsupported();
  }
  deleteCheckpoint(id: number): Promise<void> {
    return this.checkpointProvider ? this.checkpointProvider.deleteCheckpoint(id) : this.unsupported();
  }

  /**
   * For the checkpoint engine (checkpoints-session.ts): makes `inf` (a fresh copy of checkpoint
   * `checkpointId`, stopped, no breakpoint inserted) the process being debugged in place of the previous
   * one (kept as a checkpoint, killed, or exited; previousPid when it was alive), inserts the session's
   * breakpoints, re-reads its modules and reports the stop (reason 'checkpoint', gdb's "Switching to ...").
   */
  async switchToCheckpointProcess(inf: Inferior, checkpointId: number, message: string, previousPid?: number): Promise<StopInfo> {
    // The recorded history was the previous process's.
    await this.reverseOverride?.stopRecording?.();
    const oldMods = this.mods;
    this.inf = inf;
    this.st = 'stopped';
    this.curTid = inf.pid;
    this.clearStopState();
    this.bpTable.forgetInserted();
    this.bpTable.removeInternalOwner('solib');
    for (const [signo, h] of this.handling) await inf.setSignalPolicy(signo, { stop: h.stop, pass: h.pass });
    const mods = new ModuleTable(inf.pid, this.prog!, this.memory());
    this.mods = mods;
    const changes = mods.initialize();
    // Module events only for what differs from the process left (a copy usually has the same ones).
    const key = (m: LoadedModule) => `${m.obj.path}@${m.bias}`;
    const had = new Set((oldMods?.modules ?? []).map(key));
    const has = new Set(mods.modules.map(key));
    await this.onModules(
      changes.added.filter((m) => !had.has(key(m))),
      (oldMods?.modules ?? []).filter((m) => !has.has(key(m))),
    );
    if (mods.solibEventAddr !== undefined) this.bpTable.addInternal(mods.solibEventAddr, 'solib');
    await this.applyBreakpoints();
    // Debug registers are per thread and not copied by fork: the copy gets the watches again.
    await this.watch.reinsert('checkpoint');
    if (previousPid !== undefined) this.emit('thread', { reason: 'exited', threadId: previousPid });
    this.emit('thread', { reason: 'started', threadId: inf.pid });
    const info = await this.finishStop({ reason: 'checkpoint', tid: inf.pid, checkpointId, quiet: true });
    info.description = `${message}\n#0  ${info.description}`;
    this.emit('stopped', info);
    return info;
  }

  /**
   * The inferior is a recording's view (setInferiorView): run control goes through requests it turns into
   * hops (cont, step, stepRange), so `next` does not use the tracer's stepOver there.
   */
  private recordedView: Inferior | undefined;

  /**
   * For reverse execution (src/engine/reverse): the process the session runs becomes `view`, an
   * Inferior that forwards to the live program or to a replay copy of its past under the same identity.
   */
  setInferiorView(view: Inferior): void {
    this.inf = view;
    this.recordedView = view;
    this.clearStopState();
  }

  /** For reverse execution: frames of the current thread while a reverse command runs (no busy check). */
  async reverseFrames(levels: number): Promise<StackTrace> {
    this.clearStopState();
    return this.stackTraceOf(this.inf!.currentTid, 0, levels);
  }

  /** For reverse execution: a breakpoint condition, evaluated where the process the view shows is. */
  async reverseCondition(expr: string): Promise<boolean> {
    this.clearStopState();
    try {
      return await this.data.condition(expr, this.inf!.currentTid);
    } finally {
      this.clearStopState();
    }
  }

  /** For reverse execution: runs `body` as a run-control command and reports the stop it names. */
  runReverse(body: () => Promise<{ reason: StopReason; breakpointIds?: number[]; midLine?: boolean }>): Promise<StopInfo> {
    return this.runCommand(async () => {
      // Watch values as of the start: a reverse watch stop shows gdb's Old value = the value after the
      // write (here), New value = the value before it (there).
      this.refreshWatchValues();
      const r = await body();
      this.clearStopState();
      if (r.reason !== 'watchpoint') this.refreshWatchValues();
      const bps = (r.breakpointIds ?? []).map((id) => this.bpTable.get(id)).filter((b): b is UserBreakpoint => !!b);
      return { reason: r.reason, tid: this.inf!.currentTid, bps: bps.length ? bps : undefined, midLine: r.midLine };
    });
  }

  // ------------------------------------------------------------------ threads and frames
  private clearStopState(): void {
    this.frameIds.clear();
    this.threadCache.clear();
    this.data.clear();
  }

  async threads(): Promise<ThreadInfo[]> {
    const inf = this.requireStopped();
    const list = await inf.threads();
    const out: ThreadInfo[] = [];
    for (const t of list) {
      let frame: FrameInfo | undefined;
      let fsBase = 0n;
      try {
        const c = await this.cacheFor(t.tid);
        fsBase = c.regs.get('fs_base');
        frame = (await this.stackTraceOf(t.tid, 0, 1)).frames[0];
      } catch {
        /* thread without readable state */
      }
      out.push({
        id: t.tid,
        name: t.name,
        targetId: fsBase !== 0n ? `Thread 0x${fsBase.toString(16)} (LWP ${t.tid})` : t.tid === inf.pid ? `process ${inf.pid}` : `LWP ${t.tid}`,
        current: t.tid === this.curTid,
        frame,
        groupStopped: t.groupStopped || undefined,
      });
    }
    return out;
  }

  private async cacheFor(tid: number): Promise<ThreadCache> {
    for (let attempt = 0; ; attempt++) {
      const hit = this.threadCache.get(tid);
      if (hit) return hit;
      const generation = this.threadCache.generation;
      const regs = await this.inf!.getRegisters(tid);
      if (this.threadCache.generation === generation) {
        const c: ThreadCache = { regs };
        this.threadCache.set(tid, c);
        return c;
      }
      // The cache was dropped while the registers were read: the program was resumed (a run command
      // started while a query was still waiting for its reply) or its state was written. These
      // registers describe a state that is gone; caching them would hand them to the next stop (a
      // finish would then check the stack pointer of the old frame and miss its return). Read again,
      // unless the program is running now.
      if (this.inf?.state !== 'stopped' || attempt >= 3) throw new EngineError('Cannot execute this command while the target is running.', 'running');
    }
  }

  /** Floating-point registers of a thread (cached for this stop). */
  async fpRegs(tid: number): Promise<FpRegisters> {
    const c = await this.cacheFor(tid);
    c.fp ??= (await this.xstate(tid))?.fp() ?? (await this.inf!.getFpRegisters(tid));
    return c.fp;
  }

  /** The XSAVE area of a thread (ymm, zmm, k...; cached for this stop), undefined if the kernel has none. */
  async xstate(tid: number): Promise<XState | undefined> {
    const c = await this.cacheFor(tid);
    if (c.xs === undefined) {
      try {
        c.xs = await this.inf!.getXState(tid);
      } catch {
        c.xs = null;
      }
    }
    return c.xs ?? undefined;
  }

  /** The siginfo of a thread's current stop (PTRACE_GETSIGINFO, cached for this stop; `$_siginfo`). */
  async siginfo(tid: number): Promise<Buffer | undefined> {
    const c = await this.cacheFor(tid);
    if (c.si === undefined) {
      try {
        c.si = (await this.inf!.getSiginfo(tid)) ?? null;
      } catch {
        c.si = null;
      }
    }
    return c.si ?? undefined;
  }

  /** The full stack of a thread (cached for this stop), frame ids registered. */
  async stackOf(tid: number, topOnly = false): Promise<{ stack: Stack; ids: number[] }> {
    if (!this.inf || this.inf.state !== 'stopped') throw new EngineError('The program is not being run.', 'not-running');
    const c = await this.cacheFor(tid);
    if (c.stack) return { stack: c.stack, ids: c.ids! };
    if (topOnly) {
      if (!c.top) {
        // Only the innermost physical frame (and its inline frames): a stop report needs no more.
        const top = buildStack(dwarfRegsFromUserRegs(c.regs.buf), this.memory(), this.mods!, { inline: this.hidingOf(tid), topOnly: true });
        c.top = { ...top, frames: top.frames.filter((f) => f.phys === 0) };
        c.topIds = c.top.frames.map((ef) => {
          const id = this.frameSeq++;
          this.frameIds.set(id, { tid, ef, stack: c.top! });
          return id;
        });
      }
      return { stack: c.top, ids: c.topIds! };
    }
    return this.fullStack(tid, c);
  }

  private hidingOf(tid: number): InlineHiding {
    return this.inlineState?.tid === tid ? this.inlineState.hiding : {};
  }

  /** The whole stack of a thread whose registers are cached (synchronous). */
  fullStackSync(tid: number): { stack: Stack; ids: number[] } {
    const c = this.threadCache.get(tid);
    if (!c) throw new EngineError('The program is not being run.', 'not-running');
    if (c.stack) return { stack: c.stack, ids: c.ids! };
    return this.fullStack(tid, c);
  }

  private fullStack(tid: number, c: ThreadCache): { stack: Stack; ids: number[] } {
    let stack = buildStack(dwarfRegsFromUserRegs(c.regs.buf), this.memory(), this.mods!, { inline: this.hidingOf(tid), stopAtMain: !this.options.backtracePastMain });
    if (!this.options.backtracePastMain) {
      // gdb stops the backtrace at main (its inline frames included).
      const i = stack.frames.findIndex((f) => f.function === 'main' && !f.inlined && f.module?.kind === 'program');
      if (i >= 0 && i < stack.frames.length - 1) stack = { ...stack, frames: stack.frames.slice(0, i + 1), complete: true };
    }
    c.stack = stack;
    c.ids = stack.frames.map((ef, i) => {
      // Frames already reported (the top ones) keep their ids.
      const id = c.prefixIds && i < c.prefixIds.length ? c.prefixIds[i] : c.topIds && i < c.topIds.length ? c.topIds[i] : this.frameSeq++;
      this.frameIds.set(id, { tid, ef, stack });
      return id;
    });
    return { stack, ids: c.ids };
  }

  /**
   * The innermost `count` frames of a thread, unwinding no further than they need (gdb's
   * -stack-info-depth MAX, -stack-list-frames LOW HIGH, `bt N` on a deep stack); the full stack's
   * frames when it is already known for this stop. A bounded unwind that reaches the end of the stack
   * becomes the stop's full stack. Frame ids stay those the full stack gives later.
   */
  async partialStack(threadId: number | undefined, count: number): Promise<{ frames: FrameInfo[]; more: boolean }> {
    const inf = this.requireStopped();
    const tid = threadId ?? this.curTid ?? inf.currentTid;
    const c = await this.cacheFor(tid);
    const n = Math.max(0, Math.floor(count));
    const pick = (stack: Stack, ids: number[]) => ({
      frames: stack.frames.slice(0, n).map((ef, i) => toFrameInfo(ef, ids[i], tid)),
      more: stack.frames.length > n,
    });
    if (c.stack) return pick(c.stack, c.ids!);
    if (c.prefix && (c.prefix.frames.length > n || c.prefix.stopReason !== 'max-frames')) return pick(c.prefix, c.prefixIds!);
    // One physical frame more than asked: each physical frame gives at least one frame, and the frames
    // of the last one asked for need its caller (its CFA, the tail calls between them).
    let stack = buildStack(dwarfRegsFromUserRegs(c.regs.buf), this.memory(), this.mods!, { inline: this.hidingOf(tid), stopAtMain: !this.options.backtracePastMain, maxFrames: n + 1 });
    if (!this.options.backtracePastMain) {
      const i = stack.frames.findIndex((f) => f.function === 'main' && !f.inlined && f.module?.kind === 'program');
      if (i >= 0 && i < stack.frames.length - 1) stack = { ...stack, frames: stack.frames.slice(0, i + 1), complete: true };
    }
    const old = c.prefixIds ?? c.topIds;
    const ids = stack.frames.map((ef, i) => {
      const id = old && i < old.length ? old[i] : this.frameSeq++;
      this.frameIds.set(id, { tid, ef, stack });
      return id;
    });
    if (stack.stopReason !== 'max-frames') {
      // The whole stack: what fullStack would compute.
      c.stack = stack;
      c.ids = ids;
    } else {
      c.prefix = stack;
      c.prefixIds = ids;
    }
    return pick(stack, ids);
  }

  /** The whole stack of a thread if it has been computed for this stop. */
  cachedStack(tid: number): { stack: Stack; ids: number[] } | undefined {
    const c = this.threadCache.get(tid);
    return c?.stack ? { stack: c.stack, ids: c.ids! } : undefined;
  }

  /** Physical frame `phys` of a thread from a short unwind (registers must be cached). */
  physicalFrame(tid: number, phys: number): UnwindFrame | undefined {
    const c = this.threadCache.get(tid);
    if (!c || !this.mods) return undefined;
    // One frame more than asked: a frame's CFA is only known once it has been unwound to its caller
    // (the last frame of a max-frames unwind has none).
    const r = unwindDetailed(dwarfRegsFromUserRegs(c.regs.buf), this.memory(), (pc) => this.mods?.find(pc)?.unwind, { maxFrames: phys + 2 });
    return r.frames[phys];
  }

  /** Id of frame `level` of a thread (computing the whole stack when needed). */
  frameIdAt(tid: number, level: number): number | undefined {
    return this.fullStackSync(tid).ids[level];
  }

  async stackTrace(threadId?: number, startFrame = 0, levels?: number): Promise<StackTrace> {
    const inf = this.requireStopped();
    return this.stackTraceOf(threadId ?? this.curTid ?? inf.currentTid, startFrame, levels);
  }

  private async stackTraceOf(tid: number, startFrame = 0, levels?: number): Promise<StackTrace> {
    const topOnly = startFrame === 0 && levels === 1;
    const { stack, ids } = await this.stackOf(tid, topOnly);
    const end = levels === undefined || levels <= 0 ? stack.frames.length : Math.min(stack.frames.length, startFrame + levels);
    const frames: FrameInfo[] = [];
    for (let i = startFrame; i < end; i++) frames.push(toFrameInfo(stack.frames[i], ids[i], tid));
    return { frames, totalFrames: topOnly ? undefined : stack.frames.length };
  }

  frame(frameId: number): FrameInfo {
    const e = this.frameEntry(frameId);
    return toFrameInfo(e.ef, frameId, e.tid);
  }

  /** Internal frame record for an id (for the data bridge). */
  frameEntry(frameId: number): FrameEntry {
    const e = this.frameIds.get(frameId);
    if (!e) throw new EngineError(`Invalid frame id ${frameId} (frames are valid until the program resumes).`, 'bad-id');
    return e;
  }

  /** The top frame id of the current thread (computing the stack if needed). */
  async topFrameId(tid?: number): Promise<number> {
    const t = tid ?? this.curTid ?? this.inf!.currentTid;
    return (await this.stackOf(t, true)).ids[0];
  }

  // ------------------------------------------------------------------ data
  scopes(frameId: number): Promise<Scope[]> {
    return this.data.scopes(frameId);
  }
  async frameArgsText(frameId: number): Promise<string> {
    await this.data.prepareFrame(frameId);
    return this.data.frameArgsText(frameId);
  }
  frameArguments(frameId: number): Promise<FrameArgument[]> {
    return this.data.frameArguments(frameId);
  }
  variables(ref: number, opts: VariablesOptions = {}): Promise<Variable[]> {
    return this.data.variables(ref, opts);
  }
  setVariable(ref: number, name: string, value: string, format?: ValueFormat): Promise<Variable> {
    this.requireStopped();
    return this.data.setVariable(ref, name, value, format);
  }
  evaluate(expression: string, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    return this.data.evaluate(expression, opts);
  }
  setExpression(expression: string, value: string, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    this.requireStopped();
    return this.data.setExpression(expression, value, opts);
  }

  async readMemory(address: number, count: number): Promise<MemoryRead> {
    const inf = this.requireStopped();
    if (!Number.isSafeInteger(address) || address < 0) throw new EngineError(`Invalid address ${address}.`, 'memory');
    if (count < 0 || count > 64 * 1024 * 1024) throw new EngineError(`Invalid length ${count}.`, 'memory');
    try {
      return { address, data: inf.readMemorySync(address, count), unreadableBytes: 0 };
    } catch {
      // Read what is readable, page by page.
      const chunks: Buffer[] = [];
      let got = 0;
      while (got < count) {
        const a = address + got;
        const n = Math.min(count - got, 4096 - (a % 4096));
        const b = this.memory().read(a, n);
        if (!b) break;
        chunks.push(b);
        got += n;
      }
      if (got === 0) throw new EngineError(`Cannot access memory at address 0x${address.toString(16)}`, 'memory');
      return { address, data: Buffer.concat(chunks), unreadableBytes: count - got };
    }
  }

  async writeMemory(address: number, data: Buffer): Promise<number> {
    const inf = this.requireStopped();
    try {
      await inf.writeMemory(address, data);
    } catch (e) {
      throw new EngineError((e as Error).message.startsWith('Cannot access') ? (e as Error).message : `Cannot access memory at address 0x${address.toString(16)}`, 'memory');
    }
    this.threadCache.clear();
    this.data.clear();
    return data.length;
  }

  async registers(frameId?: number): Promise<RegisterValue[]> {
    this.requireStopped();
    const id = frameId ?? (await this.topFrameId());
    const e = this.frameEntry(id);
    // x87, SSE and AVX registers have no CFI rules: every frame shows the thread's own, as gdb does.
    const fp = await this.fpRegs(e.tid);
    const xs = await this.xstate(e.tid);
    const regs = e.ef.phys === 0 ? (await this.cacheFor(e.tid)).regs : undefined;
    return registerList(e.ef.regs, regs, fp, (addr) => this.symbolSuffix(addr), xs);
  }

  async setRegister(name: string, value: bigint, frameId?: number): Promise<void> {
    const inf = this.requireStopped();
    const id = frameId ?? (await this.topFrameId());
    const e = this.frameEntry(id);
    if (e.ef.phys !== 0) throw new EngineError('Cannot modify registers of a caller frame; select frame 0.', 'invalid');
    const regs = (await this.cacheFor(e.tid)).regs.clone();
    const n = name.replace(/^\$/, '') as GprName;
    const alias: Record<string, GprName> = { pc: 'rip', sp: 'rsp', fp: 'rbp' };
    const g = (alias[n] ?? n) as GprName;
    if (!(GPR_NAMES as readonly string[]).includes(g)) throw new EngineError(`Invalid register \`${name}'`, 'invalid');
    regs.set(g, value);
    await inf.setRegisters(regs, e.tid);
    this.clearStopState();
  }

  /** " <main+4>" for an address in a function. */
  symbolSuffix(addr: number): string {
    const mod = this.mods?.find(addr);
    if (!mod) return '';
    const f = functionAt(mod, addr);
    if (!f) return '';
    const off = addr - f.start;
    return off ? ` <${f.name}+${off}>` : ` <${f.name}>`;
  }

  // ------------------------------------------------------------------ program structure
  async sources(): Promise<SourceFileInfo[]> {
    const out: SourceFileInfo[] = [];
    const seen = new Set<string>();
    const objs = this.mods ? this.mods.modules.map((m) => m.obj) : this.prog ? [this.prog] : [];
    for (const obj of objs) {
      if (!obj.hasDebugInfo) continue;
      for (const f of obj.symbols.sourceFiles()) {
        if (seen.has(f)) continue;
        seen.add(f);
        out.push({ path: f, fullPath: path.resolve(f), module: obj.path });
      }
    }
    return out;
  }

  addressInfo(address: number): AddressInfo {
    let mod: { obj: ObjectFile; bias: number; symbols: ObjectFile['symbols']; path: string } | undefined = this.mods?.find(address);
    if (!mod && this.prog && !this.mods) mod = { obj: this.prog, bias: 0, symbols: this.prog.symbols, path: this.prog.path };
    if (!mod) return { address };
    const f = functionAt(mod, address);
    const l = lineAt(mod, address);
    return { address, function: f?.name, offset: f ? address - f.start : undefined, file: l?.file, fullPath: l?.fullPath, line: l?.line, module: mod.path };
  }

  // --- line tables and sections (src/engine/lines.ts) ---

  async lineTable(file: string): Promise<SourceLineRow[]> {
    const rows = sourceLineTable(this.targets(), file);
    if (!rows) throw new EngineError(`No source file named ${file}.`, 'bad-location');
    return rows;
  }

  lineCode(file: string, line: number): LineCodeRange | { outOfRange: string } {
    return lineCode(this.targets(), file, line) ?? { outOfRange: symtabName(this.targets(), file) ?? file };
  }

  lineRangeAt(address: number): { file: string; fullPath: string; line: number; start: number; end?: number; isStmt?: boolean } | undefined {
    return lineRangeAt(this.targets(), address);
  }

  symtabAt(address: number): SymtabLines | undefined {
    return symtabAt(this.targets(), address);
  }

  sectionSymbols(address: number): SectionSymbol[] {
    const targets = this.targets();
    // A running process: every loaded object, named as the dynamic linker names it (the vDSO has no file).
    if (this.mods) {
      const loaded = this.mods.modules.filter((m) => m.kind !== 'vdso').map((m) => ({ obj: m.obj, bias: m.bias, path: m.path }));
      return sectionSymbols(loaded, address);
    }
    return sectionSymbols(targets, address);
  }

  addressSymbol(address: number, opts: { linkageNames?: boolean } = {}): { name: string; offset: number } | undefined {
    const mods = this.mods ? this.mods.modules.filter((m) => m.kind !== 'vdso').map((m) => ({ symbolFile: m.symbols, loadBias: m.bias })) : this.targets().map((t) => ({ symbolFile: t.obj.symbols, loadBias: t.bias ?? 0 }));
    return symbolFor(address, mods, opts);
  }

  readFileMemory(address: number, count: number): Buffer | undefined {
    return readFromFiles(this.targets(), address, count);
  }

  /** End address of the function containing `addr` (for disassembly ranges). */
  functionBounds(addr: number): { start: number; end?: number; name: string } | undefined {
    const mod = this.mods?.find(addr);
    if (!mod) return undefined;
    const f = functionAt(mod, addr);
    if (!f) return undefined;
    return { start: f.start, end: functionEnd(mod, f.start), name: f.name };
  }
}

export { watchSlots } from './watchpoints';

/** The stop being assembled by a command. */
export interface PendingStop {
  reason: StopReason;
  tid?: number;
  pid?: number;
  bps?: UserBreakpoint[];
  errors?: string[];
  signal?: SignalInfo;
  exitCode?: number;
  returnValue?: Variable;
  returnText?: string;
  finished?: string;
  finishedFunction?: string;
  checkpointId?: number;
  temporaryStart?: boolean;
  /** reason 'finish': watches on the finished frame's locals were deleted at the return (watchpoints.ts). */
  watchScope?: boolean;
  /** The pc is not at the start of a line: gdb prints the address. */
  midLine?: boolean;
  /** Do not emit 'stopped' (internal bookkeeping after an error). */
  quiet?: boolean;
  /** Inlined calls at the pc hidden in frame 0 (set by stepping). */
  inlineHidden?: number;
}

export function sigInfo(signo: number, code: number, faultAddress?: number): SignalInfo {
  return { number: signo, name: signalName(signo), description: signalDescription(signo), code, faultAddress };
}

function safeCheck(p: string): string | undefined {
  try {
    return checkExecutable(p);
  } catch {
    return undefined;
  }
}

function safeReadlink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}
