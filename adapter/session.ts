// The DAP server: one BackstepDebugSession per client connection, translating Debug Adapter Protocol
// requests into calls on the engine session (src/engine) and engine events into DAP events. It never
// touches ptrace or DWARF.
//
// Request handling: every request goes through one async handler that returns the response body or
// throws (the error becomes an error response with the message; the session keeps serving). Requests
// are serialised, except those that must get through while another one waits (pause, disconnect,
// terminate, configurationDone, launch/attach while they wait for configurationDone).
//
// Event ordering: the engine's events pass through one ordered queue. While a run-control request is
// being answered, the queue is held, so the client always gets the response to `next` before the
// `stopped` event it causes (VS Code marks the thread running when the response arrives). Program
// output is drained before `exited`/`terminated`.
import * as fs from 'fs';
import * as path from 'path';
import { DebugSession, Event, InitializedEvent, Response } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  Breakpoint as EngineBreakpoint,
  EngineEmitter,
  EngineError,
  EvaluateResult,
  FrameInfo,
  LaunchConfig,
  ModuleInfo,
  StopInfo,
  ValueFormat,
  Variable as EngineVariable,
} from '../src/engine';
import { createEngine } from './engine-factory';
import { DecodedInstruction, Disassembler, hexBytes, MAX_INSN, withLabels } from '../src/engine/disasm';
import { Labeler } from './labels';
import { ConfigError, parseStdio, ProgramIo, StdioSpec } from './program-io';
import { Repl, ReplError, vectorValue } from './repl';
import { openTerminal, TerminalHandle } from './terminal';

export interface SessionOptions {
  /** Append every message to this file. */
  logFile?: string;
  /** Called once the session is over (after disconnect, or when the client went away) and the debuggee is gone. */
  onEnd?: () => void;
}

/** A request failure with the message the user sees. */
class RequestError extends Error {
  constructor(
    message: string,
    readonly showUser = false,
  ) {
    super(message);
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Signals offered as exception breakpoint filters (crash signals stop by default, as in gdb). */
const SIGNAL_FILTERS: { filter: string; label: string; description: string; signals: string[]; default: boolean }[] = [
  { filter: 'SIGSEGV', label: 'SIGSEGV (segmentation fault)', description: 'Stop when the program accesses invalid memory.', signals: ['SIGSEGV'], default: true },
  { filter: 'SIGABRT', label: 'SIGABRT (abort, failed assert)', description: 'Stop when the program aborts (abort(), assert failures).', signals: ['SIGABRT'], default: true },
  { filter: 'SIGFPE', label: 'SIGFPE (arithmetic exception)', description: 'Stop on integer division by zero and other arithmetic faults.', signals: ['SIGFPE'], default: true },
  { filter: 'SIGBUS', label: 'SIGBUS (bus error)', description: 'Stop on misaligned or unmapped file-backed memory accesses.', signals: ['SIGBUS'], default: true },
  { filter: 'SIGILL', label: 'SIGILL (illegal instruction)', description: 'Stop when the program executes an illegal instruction.', signals: ['SIGILL'], default: true },
  {
    filter: 'signals',
    label: 'Other signals',
    description: "Stop on the other signals gdb stops on by default (SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGHUP, SIGQUIT, SIGSYS).",
    signals: ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGHUP', 'SIGQUIT', 'SIGSYS'],
    default: true,
  },
];

/** Requests that may pause a running program for an edit and resume it. */
const RESUMING_EDITS = new Set(['setBreakpoints', 'setFunctionBreakpoints', 'setInstructionBreakpoints', 'setDataBreakpoints', 'setExceptionBreakpoints']);
/** Requests answered even while another request is in progress. */
const UNQUEUED = new Set(['pause', 'disconnect', 'terminate', 'configurationDone', 'launch', 'attach']);

type Handler = (args: any, response: DebugProtocol.Response, request: DebugProtocol.Request) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface LaunchArgs {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string | null>;
  stopAt: 'none' | 'main' | 'entry';
  stdio: StdioSpec;
  console: 'internalConsole' | 'integratedTerminal' | 'externalTerminal';
  disableAslr: boolean;
  /** Record from the first instruction for stepBack / reverseContinue. */
  record: boolean;
  /** DAP noDebug ("Run Without Debugging"): no stops at all, not even on crash signals. */
  noDebug: boolean;
}

type QueuedEvent = { kind: string; args: unknown[] };

export class BackstepDebugSession extends DebugSession {
  private engine: EngineEmitter | undefined;
  private enginePromise: Promise<EngineEmitter> | undefined;
  private client: DebugProtocol.InitializeRequestArguments = { adapterID: '' };
  private initialized = false;
  private configDone = deferred<void>();
  private mode: 'launch' | 'attach' | undefined;
  private launchArgs: LaunchArgs | undefined;
  private io: ProgramIo | undefined;
  private terminal: TerminalHandle | undefined;
  private lastStop: StopInfo | undefined;
  private threadNames = new Map<number, string>();
  /** DAP breakpoints per source path, in request order (engine ids). */
  private readonly sourceBps = new Map<string, number[]>();
  private functionBps: number[] = [];
  private instructionBps: number[] = [];
  private readonly bpKinds = new Map<number, 'source' | 'function' | 'instruction'>();
  /** What the client was last told about each breakpoint (to send 'changed' only on real changes). */
  private readonly reported = new Map<number, string>();
  private signalFilters = new Set(SIGNAL_FILTERS.filter((f) => f.default).map((f) => f.filter));
  private requestChain: Promise<unknown> = Promise.resolve();
  // Event queue (see the header comment).
  private readonly events: QueuedEvent[] = [];
  private eventsHeld = 0;
  private readonly heldFor = new Set<number>();
  private eventsFlushing = false;
  /** Run-control requests in flight: their 'continued' events are implied by the response. */
  private ownRuns = 0;
  /** Internal pauses (to change breakpoints while running): their stops are not reported. */
  private internalPauses = 0;
  /** A restart is killing the process: its exit is not the end of the session. */
  private restarting = false;
  private terminatedSent = false;
  private lastRun: Promise<StopInfo | undefined> | undefined;
  private creatingBps = 0;
  private disposed = false;
  private ended = false;
  private disasm: Disassembler | undefined;
  private readonly repl = new Repl();
  private readonly labeler = new Labeler(() => this.engine);
  private progressId = 0;
  private readonly logStream: fs.WriteStream | undefined;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly options: SessionOptions = {}) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.setRunAsServer(true); // the base class must not exit the process: see onEnd
    // The base class shuts down on any 'error', including a message that is not JSON: keep serving
    // then, and end only when the connection does.
    this.removeAllListeners('error');
    this.removeAllListeners('close');
    this.on('error', (ev: { body?: unknown }) => {
      const what = String(ev?.body ?? 'error');
      this.log('!!', { error: what });
      if (/^(inStream|outStream) error/.test(what)) void this.end();
      else this.output(`backstep: ignored a malformed message (${what}).\n`, 'stderr');
    });
    this.on('close', () => void this.end());
    const logFile = options.logFile ?? process.env.BACKSTEP_DAP_LOG;
    if (logFile) this.logStream = fs.createWriteStream(logFile, { flags: 'a' });
    this.handlers = {
      initialize: (a) => this.initialize(a),
      launch: (a, _r, req) => this.launch(a, req),
      attach: (a, _r, req) => this.attach(a, req),
      configurationDone: async () => this.configDone.resolve(),
      setBreakpoints: (a) => this.setBreakpoints(a),
      setFunctionBreakpoints: (a) => this.setFunctionBreakpoints(a),
      setInstructionBreakpoints: (a) => this.setInstructionBreakpoints(a),
      dataBreakpointInfo: (a) => this.dataBreakpointInfo(a),
      setDataBreakpoints: (a) => this.setDataBreakpoints(a),
      setExceptionBreakpoints: (a) => this.setExceptionBreakpoints(a),
      breakpointLocations: (a) => this.breakpointLocations(a),
      threads: () => this.threads(),
      stackTrace: (a) => this.stackTrace(a),
      scopes: (a) => this.scopes(a),
      variables: (a) => this.variables(a),
      evaluate: (a) => this.evaluate(a),
      setVariable: (a) => this.setVariable(a),
      setExpression: (a) => this.setExpression(a),
      continue: (a, _r, req) => this.runControl(a, 'continue', req),
      next: (a, _r, req) => this.runControl(a, 'next', req),
      stepIn: (a, _r, req) => this.runControl(a, 'stepIn', req),
      stepOut: (a, _r, req) => this.runControl(a, 'stepOut', req),
      stepBack: (a, _r, req) => this.runControl(a, 'stepBack', req),
      reverseContinue: (a, _r, req) => this.runControl(a, 'reverseContinue', req),
      pause: () => this.pause(),
      restart: (a, _r, req) => this.restart(a, req),
      disconnect: (a) => this.disconnect(a),
      terminate: () => this.terminate(),
      loadedSources: () => this.loadedSources(),
      modules: (a) => this.modules(a),
      readMemory: (a) => this.readMemory(a),
      writeMemory: (a) => this.writeMemory(a),
      disassemble: (a) => this.disassemble(a),
      exceptionInfo: (a) => this.exceptionInfo(a),
      source: (a) => this.source(a),
      completions: (a) => this.completions(a),
      gotoTargets: (a) => this.gotoTargets(a),
      goto: (a, _r, req) => this.goto(a, req),
      checkpoint: () => this.checkpointCreate(),
      checkpoints: () => this.checkpointList(),
      restartCheckpoint: (a) => this.checkpointRestart(a),
      deleteCheckpoint: (a) => this.checkpointDelete(a),
    };
  }

  // ================================================================== plumbing

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    this.log('<-', request);
    const response = new Response(request) as DebugProtocol.Response;
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, request.command) ? this.handlers[request.command] : undefined;
    if (!handler) {
      this.fail(response, new RequestError(`Unrecognized request '${request.command}'.`));
      return;
    }
    const args = request.arguments ?? {};
    if (typeof args !== 'object' || Array.isArray(args)) {
      this.fail(response, new RequestError(`Arguments of '${request.command}' must be an object.`));
      return;
    }
    // A breakpoint request on a running program pauses, edits and resumes it: a stop that follows at
    // once (the new breakpoint hit) is reported after the response, as clients expect.
    if (RESUMING_EDITS.has(request.command) && this.engine?.state === 'running') this.holdFor(request);
    const run = () => handler(args, response, request);
    const p = UNQUEUED.has(request.command) ? run() : this.serial(run);
    p.then(
      (body) => {
        if (body !== undefined) response.body = body;
        this.sendResponse(response);
      },
      (e) => this.fail(response, e),
    ).finally(() => {
      // Events held while this request was answered go out after its response.
      if (this.heldFor.delete(request.seq)) this.releaseEvents();
    });
  }

  /** Holds engine events until the response to `request` has been sent. */
  private holdFor(request: DebugProtocol.Request): void {
    if (this.heldFor.has(request.seq)) return;
    this.heldFor.add(request.seq);
    this.eventsHeld++;
  }

  override sendResponse(response: DebugProtocol.Response): void {
    this.log('->', response);
    super.sendResponse(response);
  }

  override sendEvent(event: DebugProtocol.Event): void {
    this.log('->', event);
    super.sendEvent(event);
  }

  private fail(response: DebugProtocol.Response, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    response.success = false;
    response.message = message;
    const showUser = e instanceof RequestError ? e.showUser : ['launch', 'attach'].includes(response.command);
    // Clients substitute {name} placeholders in `format` only from `variables`, which we never send.
    response.body = { error: { id: e instanceof EngineError ? 2000 : 1000, format: message, showUser } };
    this.sendResponse(response);
  }

  private log(dir: string, msg: unknown): void {
    if (this.logStream) this.logStream.write(`${new Date().toISOString()} ${dir} ${JSON.stringify(msg)}\n`);
  }

  private output(text: string, category: 'console' | 'stdout' | 'stderr' | 'important' = 'console'): void {
    this.sendEvent(new Event('output', { category, output: text }) as DebugProtocol.OutputEvent);
  }

  private requireEngine(): EngineEmitter {
    if (!this.engine) throw new RequestError('No program is being debugged: send launch or attach first.');
    return this.engine;
  }

  /** The engine, stopped and done with the bookkeeping of its last run command. */
  private async whenStopped(): Promise<EngineEmitter> {
    await this.settle();
    return this.requireStopped();
  }

  private requireStopped(): EngineEmitter {
    const e = this.requireEngine();
    if (e.state === 'running') throw new RequestError('The program is running: pause it first.');
    if (e.state !== 'stopped') throw new RequestError('The program is not being run.');
    return e;
  }

  // ================================================================== engine events

  private async getEngine(): Promise<EngineEmitter> {
    if (this.engine) return this.engine;
    this.enginePromise ??= createEngine().then((e) => {
      this.engine = e;
      this.subscribe(e);
      return e;
    });
    return this.enginePromise;
  }

  private subscribe(e: EngineEmitter): void {
    const q = (kind: string) => (...args: unknown[]) => this.queueEvent(kind, args);
    e.on('process', q('process'));
    e.on('stopped', q('stopped'));
    e.on('continued', q('continued'));
    e.on('output', q('output'));
    e.on('thread', q('thread'));
    e.on('module', q('module'));
    e.on('breakpoint', q('breakpoint'));
    e.on('exited', q('exited'));
    e.on('terminated', q('terminated'));
  }

  private queueEvent(kind: string, args: unknown[]): void {
    // Decide now what the event means: state flags change by the time it is flushed.
    if (kind === 'continued' && this.ownRuns > 0) return;
    if (kind === 'stopped' && this.internalPauses > 0) return;
    if ((kind === 'exited' || kind === 'terminated') && this.restarting) return;
    // Breakpoints the client is creating right now are reported in the response, not as events.
    if (kind === 'breakpoint' && this.creatingBps > 0 && (args[0] as { reason: string }).reason === 'new') return;
    this.events.push({ kind, args });
    void this.flushEvents();
  }

  private releaseEvents(): void {
    if (this.eventsHeld > 0) this.eventsHeld--;
    void this.flushEvents();
  }

  private async flushEvents(): Promise<void> {
    if (this.eventsFlushing) return;
    this.eventsFlushing = true;
    try {
      while (this.events.length && this.eventsHeld === 0) {
        const ev = this.events.shift()!;
        try {
          await this.deliver(ev);
        } catch (e) {
          this.output(`backstep: internal error delivering ${ev.kind}: ${(e as Error).message}\n`, 'stderr');
        }
      }
    } finally {
      this.eventsFlushing = false;
    }
  }

  private async deliver(ev: QueuedEvent): Promise<void> {
    const a = ev.args as never[];
    switch (ev.kind) {
      case 'process': {
        this.labeler.clear();
        const p = a[0] as { pid: number; name: string; startMethod: 'launch' | 'attach' };
        // Known before the first stop, so that a running program shows a thread to pause.
        this.threadNames = new Map([[p.pid, `${p.pid} ${path.basename(p.name)}`]]);
        this.sendEvent(new Event('process', { name: p.name, systemProcessId: p.pid, isLocalProcess: true, startMethod: p.startMethod, pointerSize: 64 }));
        break;
      }
      case 'stopped':
        this.onStopped(a[0] as StopInfo);
        break;
      case 'goto': {
        // The pc was moved by a goto request (no engine run): the client refetches the stack.
        const g = a[0] as { threadId: number; description: string };
        this.sendEvent(new Event('stopped', { reason: 'goto', threadId: g.threadId, allThreadsStopped: true, description: g.description, preserveFocusHint: false }));
        break;
      }
      case 'continued': {
        const c = a[0] as { threadId?: number };
        this.sendEvent(new Event('continued', { threadId: c.threadId ?? this.engine?.currentThreadId ?? 0, allThreadsContinued: true }));
        break;
      }
      case 'output': {
        const o = a[0] as { category: string; text: string };
        this.output(o.text, (o.category === 'log' ? 'console' : o.category) as 'console');
        break;
      }
      case 'thread': {
        const t = a[0] as { reason: 'started' | 'exited'; threadId: number };
        if (t.reason === 'exited') this.threadNames.delete(t.threadId);
        else if (!this.threadNames.has(t.threadId)) this.threadNames.set(t.threadId, `${t.threadId}`);
        this.sendEvent(new Event('thread', { reason: t.reason, threadId: t.threadId }));
        break;
      }
      case 'module': {
        this.labeler.clear();
        const m = a[0] as { reason: 'new' | 'changed' | 'removed'; module: ModuleInfo };
        this.sendEvent(new Event('module', { reason: m.reason, module: this.toModule(m.module) }));
        break;
      }
      case 'breakpoint':
        this.onBreakpointEvent(a[0] as { reason: 'new' | 'changed' | 'removed'; breakpoint: EngineBreakpoint });
        break;
      case 'exited': {
        const x = a[0] as { exitCode?: number; signal?: { number: number; name: string; description: string } };
        await this.io?.drain();
        const code = x.exitCode ?? (x.signal ? 128 + x.signal.number : 0);
        if (x.signal) this.output(`\nProgram terminated with signal ${x.signal.name}, ${x.signal.description}.\n`);
        else this.output(`Process exited with code ${x.exitCode}.\n`);
        this.terminal?.note(x.signal ? `[program terminated with signal ${x.signal.name}]` : `[program exited with code ${x.exitCode}]`);
        this.sendEvent(new Event('exited', { exitCode: code }));
        break;
      }
      case 'terminated':
        if (!this.terminatedSent) {
          await this.io?.drain();
          this.terminatedSent = true;
          this.sendEvent(new Event('terminated', {}));
        }
        break;
    }
  }

  private onStopped(stop: StopInfo): void {
    this.registerScopes.clear();
    if (stop.reason === 'exited' || stop.reason === 'killed') return; // 'exited' event follows
    this.lastStop = stop;
    const body: DebugProtocol.StoppedEvent['body'] = {
      reason: this.stopReason(stop),
      // A plain step needs no description (clients show "Paused on step"); making one renders the
      // frame's arguments (StopInfo.description is made when read).
      description: stop.reason === 'step' ? undefined : stop.description,
      threadId: stop.threadId,
      allThreadsStopped: true,
      preserveFocusHint: false,
    };
    if (stop.breakpointIds?.length) body.hitBreakpointIds = stop.breakpointIds;
    if (stop.signal) body.text = stop.signal.name;
    this.sendEvent(new Event('stopped', body));
    // A client asks for the stack next (VS Code, nvim-dap and dape do at every stop): unwind it while
    // the event travels, once the event loop has taken any request already waiting (setImmediate runs
    // after pending input). The answer comes from the stop's cache then. (The top frame's locals follow
    // a stackTrace: see stackTrace.)
    if (process.env.BACKSTEP_DAP_PREFETCH !== '0' && stop.threadId !== undefined) {
      const tid = stop.threadId;
      const engine = this.engine;
      setImmediate(() => {
        if (engine && this.lastStop === stop && engine.state === 'stopped') engine.stackTrace(tid, 0, 20).catch(() => undefined);
      });
    }
    if (stop.watchScopeDeleted?.length) {
      // The engine deleted these data breakpoints (their frame returned): the client's list follows.
      for (const id of stop.watchScopeDeleted) {
        this.dataBps = this.dataBps.filter((x) => x !== id);
        this.sendEvent(new Event('breakpoint', { reason: 'removed', breakpoint: { id, verified: false } }));
      }
    }
  }

  private stopReason(stop: StopInfo): string {
    switch (stop.reason) {
      case 'breakpoint': {
        const kinds = (stop.breakpointIds ?? []).map((id) => this.bpKinds.get(id));
        if (kinds.includes('source')) return 'breakpoint';
        if (kinds.includes('function')) return 'function breakpoint';
        if (kinds.includes('instruction')) return 'instruction breakpoint';
        return 'breakpoint';
      }
      case 'step':
      case 'finish':
      case 'location':
      case 'no-history':
        return 'step';
      case 'watchpoint':
      case 'watchpoint-scope':
        return 'data breakpoint';
      case 'exception':
        return 'exception';
      case 'signal':
        return 'signal';
      case 'checkpoint':
        return 'goto';
      default:
        return stop.reason; // entry, pause, exec
    }
  }

  private onBreakpointEvent(ev: { reason: 'new' | 'changed' | 'removed'; breakpoint: EngineBreakpoint }): void {
    const b = ev.breakpoint;
    // Data breakpoints (watches) are the client's own list; only their deletion by the engine is news.
    if (this.dataBps.includes(b.id) && ev.reason !== 'removed') return;
    const ours = this.bpKinds.has(b.id);
    if (ev.reason === 'removed') {
      if (!ours) this.sendEvent(new Event('breakpoint', { reason: 'removed', breakpoint: { id: b.id, verified: false } }));
      this.reported.delete(b.id);
      return;
    }
    const dap = this.toDapBreakpoint(b);
    const key = JSON.stringify(dap);
    if (this.reported.get(b.id) === key) return; // e.g. only the hit count changed
    const known = this.reported.has(b.id);
    this.reported.set(b.id, key);
    if (!ours && ev.reason === 'new' && !known) this.sendEvent(new Event('breakpoint', { reason: 'new', breakpoint: dap }));
    else if (known || !ours) this.sendEvent(new Event('breakpoint', { reason: 'changed', breakpoint: dap }));
  }

  // ================================================================== initialize, launch, attach

  private async initialize(args: DebugProtocol.InitializeRequestArguments): Promise<DebugProtocol.Capabilities> {
    this.client = args;
    if (args.linesStartAt1 === false || args.columnsStartAt1 === false) {
      // DebugSession's converters handle 0-based clients.
      (this as unknown as { _clientLinesStartAt1: boolean })._clientLinesStartAt1 = args.linesStartAt1 !== false;
      (this as unknown as { _clientColumnsStartAt1: boolean })._clientColumnsStartAt1 = args.columnsStartAt1 !== false;
    }
    return {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsBreakpointLocationsRequest: true,
      supportsEvaluateForHovers: true,
      supportsClipboardContext: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsValueFormattingOptions: true,
      supportsSteppingGranularity: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsLoadedSourcesRequest: true,
      supportsModulesRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsExceptionInfoRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['.', '>'],
      supportsGotoTargetsRequest: true,
      exceptionBreakpointFilters: SIGNAL_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
      additionalModuleColumns: [{ attributeName: 'base', label: 'Load address' }],
    };
  }

  private parseLaunchArgs(a: Record<string, unknown>): LaunchArgs {
    if (typeof a.program !== 'string' || a.program === '') throw new RequestError("launch: 'program' (the path of the executable) is required.", true);
    const cwd = a.cwd === undefined ? process.cwd() : a.cwd;
    if (typeof cwd !== 'string') throw new RequestError("launch: 'cwd' must be a string.", true);
    if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) throw new RequestError(`launch: cwd '${cwd}' is not a directory.`, true);
    const program = path.resolve(cwd, a.program);
    if (!fs.existsSync(program)) throw new RequestError(`${program}: No such file or directory.`, true);
    const st = fs.statSync(program);
    if (st.isDirectory()) throw new RequestError(`${program}: Is a directory.`, true);
    let args: string[] = [];
    if (typeof a.args === 'string') args = splitArgs(a.args);
    else if (Array.isArray(a.args) && a.args.every((x) => typeof x === 'string')) args = a.args as string[];
    else if (a.args !== undefined) throw new RequestError("launch: 'args' must be an array of strings.", true);
    const env: Record<string, string | null> = {};
    if (a.env !== undefined) {
      if (typeof a.env !== 'object' || a.env === null || Array.isArray(a.env)) throw new RequestError("launch: 'env' must be an object of NAME: value.", true);
      for (const [k, v] of Object.entries(a.env)) {
        if (v !== null && typeof v !== 'string' && typeof v !== 'number') throw new RequestError(`launch: env.${k} must be a string or null.`, true);
        env[k] = v === null ? null : String(v);
      }
    }
    let stopAt: LaunchArgs['stopAt'] = a.stopOnEntry === true && a.noDebug !== true ? 'main' : 'none';
    if (a.stopAt !== undefined) {
      if (a.stopAt !== 'none' && a.stopAt !== 'main' && a.stopAt !== 'entry') throw new RequestError("launch: 'stopAt' must be 'none', 'main' or 'entry'.", true);
      stopAt = a.stopAt;
    }
    const consoleKind = a.console ?? 'internalConsole';
    if (consoleKind !== 'internalConsole' && consoleKind !== 'integratedTerminal' && consoleKind !== 'externalTerminal') {
      throw new RequestError("launch: 'console' must be 'internalConsole', 'integratedTerminal' or 'externalTerminal'.", true);
    }
    let stdio: StdioSpec;
    try {
      stdio = parseStdio(a.stdio);
    } catch (e) {
      throw new RequestError(`launch: ${(e as Error).message}`, true);
    }
    if (a.noDebug === true) stopAt = 'none';
    if (a.reverseDebugging !== undefined && typeof a.reverseDebugging !== 'boolean') throw new RequestError("launch: 'reverseDebugging' must be true or false.", true);
    return { program, args, cwd, env, stopAt, stdio, console: consoleKind, disableAslr: a.disableASLR !== false && a.disableAslr !== false, record: a.reverseDebugging === true, noDebug: a.noDebug === true };
  }

  private async launch(a: Record<string, unknown>, request: DebugProtocol.Request): Promise<void> {
    if (this.mode) throw new RequestError('A program is already being debugged in this session.');
    const cfg = this.parseLaunchArgs(a);
    this.mode = 'launch';
    this.launchArgs = cfg;
    if (a.disassemblyFlavor === 'intel') this.disasm = new Disassembler('intel');
    try {
      await this.serial(async () => {
        const engine = await this.getEngine();
        // The tracer worker starts while the symbols load and the client configures breakpoints.
        (engine as { prestartTracer?: () => void }).prestartTracer?.();
        await this.withProgress(`Loading symbols for ${path.basename(cfg.program)}`, () => engine.loadProgram(cfg.program));
        await this.applySignalFilters();
      });
    } catch (e) {
      this.mode = undefined;
      throw e;
    }
    // Stepping back needs the recording: announce it only for sessions that record.
    if (cfg.record) this.sendEvent(new Event('capabilities', { capabilities: { supportsStepBack: true } }));
    this.sendInitialized();
    await this.configDone.promise;
    if (this.disposed) throw new RequestError('The session ended before the program was started.');
    await this.serial(() => this.startProgram(cfg, request));
  }

  /** Starts the program (first launch and restart): stdio, terminal, engine launch. */
  private async startProgram(cfg: LaunchArgs, request: DebugProtocol.Request): Promise<void> {
    const engine = this.requireEngine();
    this.io?.dispose();
    this.io = undefined;
    let terminalPid: number | undefined;
    if (cfg.console !== 'internalConsole' && cfg.stdio.some((s) => s === null)) {
      if (!this.terminal) {
        if (!this.client.supportsRunInTerminalRequest) throw new RequestError(`The client cannot run programs in a terminal (console '${cfg.console}'): use 'internalConsole'.`, true);
        this.terminal = await openTerminal(
          (args) => this.runInTerminalAsync(args),
          cfg.console === 'externalTerminal' ? 'external' : 'integrated',
          `backstep: ${path.basename(cfg.program)}`,
          cfg.cwd,
        );
        this.terminal.onInterrupt(() => void this.engine?.pause());
        this.terminal.onClose(() => {
          this.terminal = undefined;
        });
      }
      terminalPid = this.terminal.pid;
    }
    try {
      this.io = ProgramIo.open(cfg.stdio, cfg.cwd, (category, text) => this.output(text, category), terminalPid);
    } catch (e) {
      throw new RequestError(e instanceof ConfigError ? e.message : `Cannot set up the program's stdio: ${(e as Error).message}`, true);
    }
    const launch: LaunchConfig = {
      program: cfg.program,
      args: cfg.args,
      cwd: cfg.cwd,
      envOverrides: cfg.env,
      stdio: this.io.fds,
      stopAt: cfg.stopAt,
      disableAslr: cfg.disableAslr,
      record: cfg.record || undefined,
    };
    this.terminatedSent = false;
    this.holdFor(request); // the launch response goes before the first stop
    try {
      // The engine resolves at the first stop, which may be far away (stopAt 'none'): answer as soon as
      // the process exists ('process' event), or with the error when it cannot start.
      await this.started(engine, 'process', () => engine.launch(launch));
    } catch (e) {
      this.io?.dispose();
      this.io = undefined;
      throw new RequestError((e as Error).message, true);
    } finally {
      // The program has its copies of the fds now.
      this.io?.releaseProgramEnds();
    }
  }

  /**
   * Starts `run` and resolves when the engine emits `event` (the action is under way) or when `run`
   * settles first; rejects when `run` fails before the event. A later failure is shown as output.
   */
  private started(engine: EngineEmitter, event: 'process' | 'continued', run: () => Promise<StopInfo>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let begun = false;
      const onEvent = () => {
        begun = true;
        resolve();
      };
      engine.once(event, onEvent);
      let p: Promise<StopInfo>;
      try {
        p = run();
      } catch (e) {
        engine.off(event, onEvent);
        reject(e);
        return;
      }
      this.track(p);
      p.then(
        () => {
          engine.off(event, onEvent);
          resolve();
        },
        (e: Error) => {
          engine.off(event, onEvent);
          if (!begun) {
            reject(e);
            return;
          }
          this.output(`${e.message}\n`, 'stderr');
          // The client believes the program runs: show where it is if it is stopped.
          if (engine.state === 'stopped' && this.lastStop) this.queueEvent('stopped', [{ ...this.lastStop, reason: 'pause', breakpointIds: undefined, description: e.message }]);
        },
      );
    });
  }

  /** Remembers the engine's run in progress: its promise settles after the engine is idle again. */
  private track(p: Promise<StopInfo>): void {
    const t = p.then(
      (s) => s,
      () => undefined,
    );
    this.lastRun = t;
    void t.then(() => {
      if (this.lastRun === t) this.lastRun = undefined;
    });
  }

  /**
   * The engine emits 'stopped' before its run command has finished its bookkeeping: a request arriving
   * right after the stop event waits for that (never for a program that is really running).
   */
  private async settle(): Promise<void> {
    if (this.lastRun && this.engine && this.engine.state !== 'running') await this.lastRun;
  }

  private runInTerminalAsync(args: DebugProtocol.RunInTerminalRequestArguments): Promise<void> {
    return new Promise((resolve, reject) => {
      this.runInTerminalRequest(args, 15000, (r) => {
        if (r.success) resolve();
        else reject(new Error(`The client could not start the terminal: ${r.message ?? 'unknown error'}`));
      });
    });
  }

  private async attach(a: Record<string, unknown>, request: DebugProtocol.Request): Promise<void> {
    if (this.mode) throw new RequestError('A program is already being debugged in this session.');
    const raw = a.processId ?? a.pid;
    const pid = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) throw new RequestError("attach: 'processId' must be a process id.", true);
    if (!fs.existsSync(`/proc/${pid}`)) throw new RequestError(`Cannot attach to process ${pid}: No such process.`, true);
    if (a.program !== undefined && typeof a.program !== 'string') throw new RequestError("attach: 'program' must be a path.", true);
    this.mode = 'attach';
    if (a.disassemblyFlavor === 'intel') this.disasm = new Disassembler('intel');
    try {
      await this.serial(async () => {
        const engine = await this.getEngine();
        const program = (a.program as string | undefined) ?? fs.readlinkSync(`/proc/${pid}/exe`);
        await this.withProgress(`Loading symbols for ${path.basename(program)}`, () => engine.loadProgram(program));
        await this.applySignalFilters();
      });
    } catch (e) {
      this.mode = undefined;
      throw new RequestError((e as Error).message, true);
    }
    this.sendInitialized();
    await this.configDone.promise;
    if (this.disposed) throw new RequestError('The session ended before the process was attached.');
    await this.serial(async () => {
      const engine = this.requireEngine();
      this.holdFor(request);
      try {
        await engine.attach({ pid, program: a.program as string | undefined });
      } catch (e) {
        throw new RequestError((e as Error).message, true);
      }
    });
  }

  private sendInitialized(): void {
    if (this.initialized) return;
    this.initialized = true;
    this.sendEvent(new InitializedEvent());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.requestChain.then(fn, fn);
    this.requestChain = p.catch(() => undefined);
    return p;
  }

  private async withProgress<T>(title: string, fn: () => Promise<T>): Promise<T> {
    if (!this.client.supportsProgressReporting) return fn();
    const progressId = `backstep-${++this.progressId}`;
    this.sendEvent(new Event('progressStart', { progressId, title, cancellable: false }));
    try {
      return await fn();
    } finally {
      this.sendEvent(new Event('progressEnd', { progressId }));
    }
  }

  private async applySignalFilters(): Promise<void> {
    const engine = this.requireEngine();
    for (const f of SIGNAL_FILTERS) {
      const on = this.signalFilters.has(f.filter) && !this.launchArgs?.noDebug;
      for (const s of f.signals) await engine.setSignalHandling(s, { stop: on, print: on });
    }
  }

  // ================================================================== breakpoints

  /** Runs fn with the program stopped: a running program is paused for it and resumed after. */
  private async whileStopped<T>(body: () => Promise<T>): Promise<T> {
    const engine = this.requireEngine();
    const fn = async () => {
      this.creatingBps++;
      try {
        return await body();
      } finally {
        this.creatingBps--;
      }
    };
    if (engine.state !== 'running') return fn();
    this.internalPauses++;
    let resumed = false;
    try {
      const run = this.lastRun;
      const stoppedEvent = new Promise<StopInfo>((resolve) => engine.once('stopped', resolve));
      await engine.pause();
      let stop: StopInfo | undefined;
      if (run) stop = await run;
      else {
        stop = await stoppedEvent;
        await new Promise((r) => setImmediate(r));
      }
      if (!stop || stop.reason !== 'pause') {
        // Something else stopped the program meanwhile: report it rather than resume.
        this.internalPauses--;
        resumed = true;
        if (stop && stop.reason !== 'exited' && stop.reason !== 'killed') this.queueEvent('stopped', [stop]);
        return await fn();
      }
      const r = await fn();
      this.internalPauses--;
      resumed = true;
      this.ownRuns++;
      const p = engine.cont();
      this.track(p);
      p.catch((e) => this.output(`backstep: could not resume the program: ${(e as Error).message}\n`, 'stderr')).finally(() => this.ownRuns--);
      return r;
    } finally {
      if (!resumed) this.internalPauses--;
    }
  }

  private async setBreakpoints(a: DebugProtocol.SetBreakpointsArguments): Promise<DebugProtocol.SetBreakpointsResponse['body']> {
    const engine = this.requireEngine();
    const src = a.source;
    if (!src || typeof src !== 'object' || (typeof src.path !== 'string' && !src.name)) throw new RequestError('setBreakpoints: source.path is required.');
    const file = src.path ? this.convertClientPathToDebugger(src.path) : src.name!;
    const wanted: DebugProtocol.SourceBreakpoint[] = Array.isArray(a.breakpoints) ? a.breakpoints : Array.isArray(a.lines) ? a.lines.map((line) => ({ line })) : [];
    for (const w of wanted) if (typeof w?.line !== 'number' || !Number.isInteger(w.line)) throw new RequestError('setBreakpoints: each breakpoint needs an integer line.');
    if (this.launchArgs?.noDebug) return { breakpoints: wanted.map((w) => ({ verified: false, line: w.line, message: 'Running without debugging.' })) };
    return this.whileStopped(async () => {
      const old = this.sourceBps.get(file) ?? [];
      const byLine = new Map<number, number>();
      for (const id of old) {
        const b = engine.breakpoints().find((x) => x.id === id);
        if (b?.requestedLine !== undefined && !byLine.has(b.requestedLine)) byLine.set(b.requestedLine, id);
      }
      const keep = new Set<number>();
      const result: DebugProtocol.Breakpoint[] = [];
      const ids: number[] = [];
      for (const w of wanted) {
        const line = this.convertClientLineToDebugger(w.line);
        const existing = byLine.get(line);
        try {
          let b: EngineBreakpoint;
          if (existing !== undefined && !keep.has(existing)) {
            keep.add(existing);
            b = await engine.updateBreakpoint(existing, { condition: w.condition || undefined, hitCondition: w.hitCondition || undefined, logMessage: w.logMessage || undefined });
          } else {
            b = await engine.setBreakpoint(
              { location: { file, line, column: w.column }, condition: w.condition || undefined, hitCondition: w.hitCondition || undefined, logMessage: w.logMessage || undefined },
              { pending: true },
            );
            keep.add(b.id);
          }
          ids.push(b.id);
          result.push(this.rememberBreakpoint(b, 'source'));
        } catch (e) {
          result.push({ verified: false, line: w.line, message: (e as Error).message, source: src });
        }
      }
      for (const id of old) {
        if (!keep.has(id)) await this.dropBreakpoint(id);
      }
      // A file that is neither on disk nor known to the program is a mistake, not a pending breakpoint.
      if (wanted.length && !result.some((r) => r.verified) && !fs.existsSync(file)) {
        for (const id of ids) await this.dropBreakpoint(id);
        this.sourceBps.delete(file);
        throw new RequestError(`No source file named ${file}.`);
      }
      this.sourceBps.set(file, ids);
      return { breakpoints: result };
    });
  }

  /** Watchpoint ids set by setDataBreakpoints (replaced as a whole by each request). */
  private dataBps: number[] = [];

  /** DAP dataBreakpointInfo: a variable (name in variablesReference) or an expression (name alone). */
  private async dataBreakpointInfo(a: DebugProtocol.DataBreakpointInfoArguments): Promise<DebugProtocol.DataBreakpointInfoResponse['body']> {
    if (typeof a.name !== 'string' || !a.name) throw new RequestError('dataBreakpointInfo: name must be a non-empty string.');
    const engine = await this.whenStopped();
    let expression = a.name;
    const frameId = Number.isInteger(a.frameId) ? a.frameId : undefined;
    if (Number.isInteger(a.variablesReference) && a.variablesReference! > 0) {
      const vars = await engine.variables(a.variablesReference!);
      const v = vars.find((x) => x.name === a.name);
      if (!v) return { dataId: null, description: `No variable "${a.name}" in this scope.` };
      if (!v.evaluateName) return { dataId: null, description: `"${a.name}" has no expression that can be watched.` };
      expression = v.evaluateName;
    }
    let r: EvaluateResult;
    try {
      r = await engine.evaluate(expression, { frameId, context: 'watch' });
    } catch (e) {
      return { dataId: null, description: (e as Error).message };
    }
    if (r.memoryReference === undefined) return { dataId: null, description: `Cannot watch \`${expression}': it is not located in memory.` };
    return {
      dataId: JSON.stringify({ expression, frameId }),
      description: expression,
      accessTypes: ['write', 'read', 'readWrite'],
      canPersist: false,
    };
  }

  private async setDataBreakpoints(a: DebugProtocol.SetDataBreakpointsArguments): Promise<DebugProtocol.SetDataBreakpointsResponse['body']> {
    const engine = this.requireEngine();
    if (!Array.isArray(a.breakpoints)) throw new RequestError('setDataBreakpoints: breakpoints must be an array.');
    return this.whileStopped(async () => {
      for (const id of this.dataBps) await engine.removeWatchpoint(id).catch(() => undefined);
      this.dataBps = [];
      const out: DebugProtocol.Breakpoint[] = [];
      for (const b of a.breakpoints) {
        let spec: { expression: string; frameId?: number };
        try {
          spec = JSON.parse(b.dataId) as { expression: string; frameId?: number };
          if (typeof spec.expression !== 'string') throw new Error('bad');
        } catch {
          spec = { expression: String(b.dataId) };
        }
        const access = b.accessType === 'read' ? 'read' : b.accessType === 'readWrite' ? 'readWrite' : 'write';
        try {
          let w;
          try {
            w = await engine.setWatchpoint({ expression: spec.expression, access, frameId: spec.frameId, condition: b.condition, hitCondition: b.hitCondition });
          } catch (e) {
            // A frame id from an earlier stop: evaluate in the current top frame instead.
            if (spec.frameId === undefined || !/frame/i.test((e as Error).message)) throw e;
            w = await engine.setWatchpoint({ expression: spec.expression, access, condition: b.condition, hitCondition: b.hitCondition });
          }
          this.dataBps.push(w.id);
          const kind = w.software ? 'Watchpoint' : `Hardware ${access === 'write' ? '' : access === 'read' ? 'read ' : 'access (read/write) '}watchpoint`;
          out.push({ id: w.id, verified: true, message: `${kind} ${w.id}: ${w.expression}${w.warning ? `\n${w.warning}` : ''}` });
        } catch (e) {
          out.push({ verified: false, message: (e as Error).message });
        }
      }
      return { breakpoints: out };
    });
  }

  private async dropBreakpoint(id: number): Promise<void> {
    this.bpKinds.delete(id);
    this.reported.delete(id);
    try {
      await this.requireEngine().removeBreakpoint(id);
    } catch {
      /* already gone (temporary, or removed from the repl) */
    }
  }

  private async setFunctionBreakpoints(a: DebugProtocol.SetFunctionBreakpointsArguments): Promise<DebugProtocol.SetFunctionBreakpointsResponse['body']> {
    const engine = this.requireEngine();
    if (!Array.isArray(a.breakpoints)) throw new RequestError('setFunctionBreakpoints: breakpoints must be an array.');
    return this.whileStopped(async () => {
      for (const id of this.functionBps) await this.dropBreakpoint(id);
      this.functionBps = [];
      const result: DebugProtocol.Breakpoint[] = [];
      for (const w of a.breakpoints) {
        if (typeof w?.name !== 'string' || !w.name.trim()) {
          result.push({ verified: false, message: 'Function breakpoint without a name.' });
          continue;
        }
        try {
          const b = await engine.setBreakpoint({ location: w.name.trim(), condition: w.condition || undefined, hitCondition: w.hitCondition || undefined }, { pending: true });
          this.functionBps.push(b.id);
          result.push(this.rememberBreakpoint(b, 'function'));
        } catch (e) {
          result.push({ verified: false, message: (e as Error).message });
        }
      }
      return { breakpoints: result };
    });
  }

  /** Remembers a breakpoint set for a DAP request (its kind, what was reported) and returns its DAP form. */
  private rememberBreakpoint(b: EngineBreakpoint, kind: 'source' | 'function' | 'instruction'): DebugProtocol.Breakpoint {
    this.bpKinds.set(b.id, kind);
    const dap = this.toDapBreakpoint(b);
    this.reported.set(b.id, JSON.stringify(dap));
    return dap;
  }

  private async setInstructionBreakpoints(a: DebugProtocol.SetInstructionBreakpointsArguments): Promise<DebugProtocol.SetInstructionBreakpointsResponse['body']> {
    const engine = this.requireEngine();
    if (!Array.isArray(a.breakpoints)) throw new RequestError('setInstructionBreakpoints: breakpoints must be an array.');
    return this.whileStopped(async () => {
      for (const id of this.instructionBps) await this.dropBreakpoint(id);
      this.instructionBps = [];
      const result: DebugProtocol.Breakpoint[] = [];
      for (const w of a.breakpoints) {
        try {
          const address = parseMemoryReference(w.instructionReference) + (Number.isInteger(w.offset) ? w.offset! : 0);
          const b = await engine.setBreakpoint({ location: { address }, condition: w.condition || undefined, hitCondition: w.hitCondition || undefined });
          this.instructionBps.push(b.id);
          result.push(this.rememberBreakpoint(b, 'instruction'));
        } catch (e) {
          result.push({ verified: false, message: (e as Error).message });
        }
      }
      return { breakpoints: result };
    });
  }

  private async setExceptionBreakpoints(a: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    if (!Array.isArray(a.filters)) throw new RequestError('setExceptionBreakpoints: filters must be an array.');
    const unknown = a.filters.filter((f) => !SIGNAL_FILTERS.some((s) => s.filter === f));
    if (unknown.length) throw new RequestError(`Unknown exception filter '${unknown[0]}' (have: ${SIGNAL_FILTERS.map((f) => f.filter).join(', ')}).`);
    this.signalFilters = new Set(a.filters);
    if (this.engine) await this.applySignalFilters();
  }

  private async breakpointLocations(a: DebugProtocol.BreakpointLocationsArguments): Promise<DebugProtocol.BreakpointLocationsResponse['body']> {
    const engine = this.requireEngine();
    if (!a.source?.path || typeof a.line !== 'number') throw new RequestError('breakpointLocations: source.path and line are required.');
    const line = this.convertClientLineToDebugger(a.line);
    const end = a.endLine !== undefined ? this.convertClientLineToDebugger(a.endLine) : undefined;
    const locs = await engine.breakpointLocations(this.convertClientPathToDebugger(a.source.path), line, end);
    return { breakpoints: locs.map((l) => ({ line: this.convertDebuggerLineToClient(l.line), column: l.column !== undefined ? this.convertDebuggerColumnToClient(l.column) : undefined })) };
  }

  private toDapBreakpoint(b: EngineBreakpoint): DebugProtocol.Breakpoint {
    const loc = b.locations[0];
    const dap: DebugProtocol.Breakpoint = { id: b.id, verified: b.verified };
    if (b.message) dap.message = b.message;
    if (b.line !== undefined) dap.line = this.convertDebuggerLineToClient(b.line);
    else if (loc?.line !== undefined) dap.line = this.convertDebuggerLineToClient(loc.line);
    const p = loc?.fullPath ?? loc?.file;
    if (p) dap.source = { name: path.basename(p), path: this.convertDebuggerPathToClient(p) };
    if (loc) dap.instructionReference = hexAddr(loc.address);
    return dap;
  }

  // ================================================================== threads, stack, variables

  private async threads(): Promise<DebugProtocol.ThreadsResponse['body']> {
    await this.settle();
    const engine = this.engine;
    if (!engine || (engine.state !== 'stopped' && engine.state !== 'running')) return { threads: [] };
    if (engine.state === 'running') {
      // Thread list of the last stop (the program cannot be inspected while it runs).
      return { threads: [...this.threadNames].map(([id, name]) => ({ id, name })) };
    }
    const ts = await engine.threads();
    this.threadNames = new Map(ts.map((t) => [t.id, `${t.id} ${t.name}`]));
    return { threads: ts.map((t) => ({ id: t.id, name: `${t.id} ${t.name}` })) };
  }

  private async stackTrace(a: DebugProtocol.StackTraceArguments): Promise<DebugProtocol.StackTraceResponse['body']> {
    const engine = await this.whenStopped();
    if (!Number.isInteger(a.threadId)) throw new RequestError('stackTrace: threadId must be an integer.');
    const start = Number.isInteger(a.startFrame) && a.startFrame! > 0 ? a.startFrame! : 0;
    const levels = Number.isInteger(a.levels) && a.levels! > 0 ? a.levels : undefined;
    const st = await engine.stackTrace(a.threadId, start, levels);
    const modules = engine.modules();
    const frames = st.frames.map((f) => this.toStackFrame(f, modules));
    // StackFrameFormat.parameters: the arguments in the name, in gdb's frame-line form ("same (x=x@entry=5)").
    const fmt = a.format;
    if (fmt?.parameters) {
      for (let i = 0; i < frames.length; i++) {
        const f = st.frames[i];
        if (f.signalTrampoline || !f.function) continue;
        const args = ` (${await this.frameParameters(engine, f.id, fmt)})`;
        frames[i].name = f.inlined ? frames[i].name.replace(/ \[inlined\]$/, `${args} [inlined]`) : frames[i].name + args;
      }
    }
    // A client that asks for the top of the stack asks for that frame's scopes and locals next (the
    // Variables view): render them while this answer travels, after any request already waiting. Only
    // after a stackTrace: a client stepping on without looking pays nothing (rendering ahead at every
    // stop cost each `next` ~0.15 ms). The engine keeps them for this stop (dropped at a resume or a write).
    const stop = this.lastStop;
    if (process.env.BACKSTEP_DAP_PREFETCH !== '0' && start === 0 && frames.length && stop) {
      const top = st.frames[0];
      const current = () => this.lastStop === stop && engine.state === 'stopped';
      setImmediate(() => {
        if (!current()) return;
        void (async () => {
          const locals = (await engine.scopes(top.id)).find((sc) => sc.kind === 'locals');
          if (locals && current()) await engine.variables(locals.variablesReference);
        })().catch(() => undefined);
      });
    }
    return { stackFrames: frames, totalFrames: st.totalFrames };
  }

  /**
   * A frame's parameters for StackFrameFormat: with names and values, gdb's console form (scalars,
   * `x=x@entry=5` entry values); names and/or types otherwise (entry values left out).
   */
  private async frameParameters(engine: EngineEmitter, frameId: number, fmt: DebugProtocol.StackFrameFormat): Promise<string> {
    const names = fmt.parameterNames !== false;
    const values = fmt.parameterValues !== false;
    if (names && values && !fmt.parameterTypes) return await engine.frameArgsText(frameId);
    try {
      const s = (await engine.scopes(frameId)).find((x) => x.kind === 'arguments');
      if (!s) return '';
      const vars = (await engine.variables(s.variablesReference)).filter((v) => !v.entryValue);
      return vars
        .map((v) => {
          const parts: string[] = [];
          if (fmt.parameterTypes && v.type) parts.push(v.type);
          if (names) parts.push(v.name);
          let text = parts.join(' ');
          if (values) text += `${text ? '=' : ''}${v.variablesReference > 0 && /^[{[]/.test(v.value) ? '...' : v.value}`;
          return text;
        })
        .join(', ');
    } catch {
      return '';
    }
  }

  private toStackFrame(f: FrameInfo, modules: ModuleInfo[]): DebugProtocol.StackFrame {
    const name = f.signalTrampoline ? '<signal handler called>' : (f.function ?? `0x${f.pc.toString(16)}`) + (f.inlined ? ' [inlined]' : '');
    const frame: DebugProtocol.StackFrame = {
      id: f.id,
      name,
      line: 0,
      column: 0,
      instructionPointerReference: hexAddr(f.pc),
    };
    const mod = f.module ? modules.find((m) => m.path === f.module) : undefined;
    if (mod) frame.moduleId = mod.id;
    const p = f.fullPath ?? f.file;
    // Only sources that can be shown: without one, clients offer the disassembly at the pc.
    if (p && f.line && path.isAbsolute(p) && this.sourceExists(p)) {
      frame.source = { name: path.basename(p), path: this.convertDebuggerPathToClient(p) };
      frame.line = this.convertDebuggerLineToClient(f.line);
      frame.column = this.convertDebuggerColumnToClient(f.column && f.column > 0 ? f.column : 1);
    } else {
      frame.presentationHint = 'subtle';
    }
    if (f.signalTrampoline) frame.presentationHint = 'label';
    return frame;
  }

  private readonly sourceCache = new Map<string, boolean>();

  private sourceExists(p: string): boolean {
    let v = this.sourceCache.get(p);
    if (v === undefined) {
      v = fs.existsSync(p);
      this.sourceCache.set(p, v);
    }
    return v;
  }

  private async scopes(a: DebugProtocol.ScopesArguments): Promise<DebugProtocol.ScopesResponse['body']> {
    const engine = await this.whenStopped();
    if (!Number.isInteger(a.frameId)) throw new RequestError('scopes: frameId must be an integer.');
    const scopes = await engine.scopes(a.frameId);
    for (const sc of scopes) if (sc.kind === 'registers') this.registerScopes.set(sc.variablesReference, a.frameId);
    return {
      scopes: scopes.map((s) => ({
        name: s.name,
        presentationHint: s.kind === 'arguments' ? 'arguments' : s.kind === 'locals' ? 'locals' : s.kind === 'registers' ? 'registers' : undefined,
        variablesReference: s.variablesReference,
        namedVariables: s.namedVariables,
        expensive: s.expensive,
      })),
    };
  }

  private async variables(a: DebugProtocol.VariablesArguments): Promise<DebugProtocol.VariablesResponse['body']> {
    const engine = await this.whenStopped();
    if (!Number.isInteger(a.variablesReference)) throw new RequestError('variables: variablesReference must be an integer.');
    const vars = await engine.variables(a.variablesReference, {
      filter: a.filter,
      start: Number.isInteger(a.start) ? a.start : undefined,
      count: Number.isInteger(a.count) && a.count! > 0 ? a.count : undefined,
      format: toFormat(a.format),
    });
    const out = vars.map((v) => this.toDapVariable(v));
    const frameId = this.registerScopes.get(a.variablesReference);
    if (frameId !== undefined) {
      // Vector registers as gdb's `info registers` shows them (the vec128 union), expandable into its views.
      for (const d of out) {
        if (!/^[xyz]mm\d+$/.test(d.name)) continue;
        const r = await vectorValue(engine, d.name, frameId).catch(() => undefined);
        if (!r) continue;
        d.value = r.value;
        d.type = r.type ?? d.type;
        d.variablesReference = r.variablesReference;
        d.namedVariables = r.namedVariables;
      }
    }
    return { variables: out };
  }

  /** Registers scope references of the current stop -> their frame (for the vector register views). */
  private readonly registerScopes = new Map<number, number>();

  private toDapVariable(v: EngineVariable): DebugProtocol.Variable {
    const d: DebugProtocol.Variable = { name: v.name, value: v.value, variablesReference: v.variablesReference };
    if (v.type !== undefined) d.type = v.type;
    if (v.namedVariables !== undefined) d.namedVariables = v.namedVariables;
    if (v.indexedVariables !== undefined) d.indexedVariables = v.indexedVariables;
    if (v.evaluateName !== undefined) d.evaluateName = v.evaluateName;
    if (v.memoryReference !== undefined) d.memoryReference = hexAddr(v.memoryReference);
    if (v.readOnly) d.presentationHint = { attributes: ['readOnly'] };
    return d;
  }

  private toEvaluateBody(r: EvaluateResult): DebugProtocol.EvaluateResponse['body'] {
    const body: DebugProtocol.EvaluateResponse['body'] = { result: r.value, variablesReference: r.variablesReference };
    if (r.type !== undefined) body.type = r.type;
    if (r.namedVariables !== undefined) body.namedVariables = r.namedVariables;
    if (r.indexedVariables !== undefined) body.indexedVariables = r.indexedVariables;
    if (r.memoryReference !== undefined) body.memoryReference = hexAddr(r.memoryReference);
    return body;
  }

  private async evaluate(a: DebugProtocol.EvaluateArguments): Promise<DebugProtocol.EvaluateResponse['body']> {
    if (typeof a.expression !== 'string') throw new RequestError('evaluate: expression must be a string.');
    await this.settle();
    const engine = this.requireEngine();
    const frameId = Number.isInteger(a.frameId) ? a.frameId : undefined;
    if (a.context === 'repl') {
      const threadId = frameId !== undefined ? this.frameThread(frameId) : engine.currentThreadId;
      let out;
      try {
        out = await this.repl.run(a.expression, { engine, frameId, threadId, disassembler: () => this.disassembler(), labeler: this.labeler });
      } catch (e) {
        if (e instanceof ReplError) throw new RequestError(e.message);
        throw e;
      }
      if (out) {
        if (out.invalidate) this.invalidate();
        if (out.result) return this.toEvaluateBody(out.result);
        return { result: out.text, variablesReference: 0 };
      }
    }
    if (!a.expression.trim()) throw new RequestError('Argument required (expression to compute).');
    const context = a.context === 'watch' || a.context === 'hover' || a.context === 'repl' || a.context === 'clipboard' || a.context === 'variables' ? a.context : undefined;
    const r = await engine.evaluate(a.expression, { frameId, context, format: toFormat(a.format) });
    return this.toEvaluateBody(r);
  }

  private frameThread(frameId: number): number | undefined {
    try {
      return this.engine?.frame(frameId).threadId;
    } catch {
      return undefined;
    }
  }

  private invalidate(): void {
    if (this.client.supportsInvalidatedEvent) this.sendEvent(new Event('invalidated', { areas: ['variables'] }));
  }

  private async setVariable(a: DebugProtocol.SetVariableArguments): Promise<DebugProtocol.SetVariableResponse['body']> {
    const engine = await this.whenStopped();
    if (!Number.isInteger(a.variablesReference) || typeof a.name !== 'string' || typeof a.value !== 'string') {
      throw new RequestError('setVariable: variablesReference, name and value are required.');
    }
    const v = await engine.setVariable(a.variablesReference, a.name, a.value, toFormat(a.format));
    this.invalidate();
    const d = this.toDapVariable(v);
    return { value: d.value, type: d.type, variablesReference: d.variablesReference, namedVariables: d.namedVariables, indexedVariables: d.indexedVariables, memoryReference: d.memoryReference };
  }

  private async setExpression(a: DebugProtocol.SetExpressionArguments): Promise<DebugProtocol.SetExpressionResponse['body']> {
    const engine = await this.whenStopped();
    if (typeof a.expression !== 'string' || typeof a.value !== 'string') throw new RequestError('setExpression: expression and value are required.');
    const r = await engine.setExpression(a.expression, a.value, { frameId: Number.isInteger(a.frameId) ? a.frameId : undefined, format: toFormat(a.format) });
    this.invalidate();
    const b = this.toEvaluateBody(r)!;
    return { value: b.result, type: b.type, variablesReference: b.variablesReference, namedVariables: b.namedVariables, indexedVariables: b.indexedVariables, memoryReference: b.memoryReference };
  }

  // ================================================================== run control

  private async runControl(
    a: { threadId?: number; granularity?: string; singleThread?: boolean },
    kind: 'continue' | 'next' | 'stepIn' | 'stepOut' | 'stepBack' | 'reverseContinue',
    request: DebugProtocol.Request,
  ): Promise<unknown> {
    const engine = await this.whenStopped();
    if ((kind === 'stepBack' || kind === 'reverseContinue') && !this.launchArgs?.record) {
      throw new RequestError('Stepping back needs a recording of the execution: launch with "reverseDebugging": true.');
    }
    const threadId = Number.isInteger(a.threadId) ? a.threadId : undefined;
    const instruction = a.granularity === 'instruction';
    const run = (): Promise<StopInfo> => {
      switch (kind) {
        case 'continue':
          return engine.cont({ threadId });
        case 'next':
          return instruction ? engine.stepInstruction({ threadId, over: true }) : engine.next({ threadId });
        case 'stepIn':
          return instruction ? engine.stepInstruction({ threadId, over: false }) : engine.step({ threadId });
        case 'stepOut':
          return engine.finish({ threadId });
        case 'stepBack':
          return instruction ? engine.reverseStepInstruction({ threadId, over: true }) : engine.reverseNext({ threadId });
        case 'reverseContinue':
          return engine.reverseContinue({ threadId });
      }
    };
    // Answer once the program is running (or the command failed / already stopped again); events
    // stay held until the response is out.
    this.holdFor(request);
    await this.started(engine, 'continued', () => {
      this.ownRuns++;
      let p: Promise<StopInfo>;
      try {
        p = run();
      } catch (e) {
        this.ownRuns--;
        throw e;
      }
      p.then(
        () => this.ownRuns--,
        () => this.ownRuns--,
      );
      return p;
    });
    return kind === 'continue' || kind === 'reverseContinue' ? { allThreadsContinued: true } : undefined;
  }

  private async pause(): Promise<void> {
    const engine = this.requireEngine();
    if (engine.state !== 'running') return; // already stopped: nothing to do (DAP allows this)
    await engine.pause();
  }

  private async restart(a: DebugProtocol.RestartArguments, request: DebugProtocol.Request): Promise<void> {
    if (this.mode !== 'launch' || !this.launchArgs) throw new RequestError('Restart is only possible for a launched program.');
    const engine = this.requireEngine();
    let cfg = this.launchArgs;
    if (a?.arguments && typeof a.arguments === 'object' && typeof (a.arguments as Record<string, unknown>).program === 'string') cfg = this.parseLaunchArgs(a.arguments as Record<string, unknown>);
    this.restarting = true;
    try {
      if (engine.state === 'running' || engine.state === 'stopped') await engine.kill();
      await this.io?.drain(100);
    } finally {
      this.restarting = false;
    }
    if (cfg.program !== this.launchArgs.program) await engine.loadProgram(cfg.program);
    this.launchArgs = cfg;
    await this.startProgram(cfg, request);
  }

  private async terminate(): Promise<void> {
    const engine = this.requireEngine();
    if (engine.state === 'running' || engine.state === 'stopped') await engine.kill();
  }

  private async disconnect(a: DebugProtocol.DisconnectArguments): Promise<void> {
    const terminate = a?.terminateDebuggee ?? this.mode !== 'attach';
    await this.shutdown(terminate);
    // After the response has been written.
    setImmediate(() => void this.end());
  }

  /** Shuts down (if not done) and tells the owner the session is over, once. */
  private async end(): Promise<void> {
    await this.shutdown();
    if (this.ended) return;
    this.ended = true;
    this.options.onEnd?.();
  }

  /**
   * Ends the session: kills (or, for attach without terminateDebuggee, detaches from) the program and
   * releases the tracer. Called on disconnect and when the client goes away.
   */
  override async shutdown(terminate?: boolean): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.configDone.resolve(); // a launch waiting for configuration gives up below
    const engine = this.engine ?? (this.enginePromise ? await this.enginePromise.catch(() => undefined) : undefined);
    if (engine) {
      const kill = terminate ?? this.mode !== 'attach';
      try {
        if (engine.state === 'running' || engine.state === 'stopped') {
          if (kill) await engine.kill();
          else await engine.detach();
        }
      } catch (e) {
        this.log('!!', { shutdown: (e as Error).message });
      }
      try {
        await engine.dispose();
      } catch {
        /* the tracer is gone already */
      }
    }
    this.io?.dispose();
    this.terminal?.close();
    this.disasm?.dispose();
    this.logStream?.end();
  }

  // ================================================================== modules, sources, memory

  private toModule(m: ModuleInfo): DebugProtocol.Module & { base?: string } {
    const d: DebugProtocol.Module & { base?: string } = { id: m.id, name: m.name, path: m.path, base: hexAddr(m.base) };
    d.symbolStatus = m.symbolStatus ?? (m.hasDebugInfo ? 'Symbols loaded.' : m.symbolsLoaded ? 'Symbols loaded (no debug information).' : 'No symbols.');
    if (m.textStart !== undefined && m.textEnd !== undefined) d.addressRange = `${hexAddr(m.textStart)}-${hexAddr(m.textEnd)}`;
    return d;
  }

  private async modules(a: DebugProtocol.ModulesArguments): Promise<DebugProtocol.ModulesResponse['body']> {
    const engine = this.requireEngine();
    const all = engine.modules().map((m) => this.toModule(m));
    const start = Number.isInteger(a?.startModule) ? a.startModule! : 0;
    const count = Number.isInteger(a?.moduleCount) && a.moduleCount! > 0 ? a.moduleCount! : all.length;
    return { modules: all.slice(start, start + count), totalModules: all.length };
  }

  private async loadedSources(): Promise<DebugProtocol.LoadedSourcesResponse['body']> {
    const engine = this.requireEngine();
    const files = await engine.sources();
    const seen = new Set<string>();
    const sources: DebugProtocol.Source[] = [];
    for (const f of files) {
      if (seen.has(f.fullPath)) continue;
      seen.add(f.fullPath);
      sources.push({ name: path.basename(f.fullPath), path: this.convertDebuggerPathToClient(f.fullPath) });
    }
    return { sources };
  }

  private async source(a: DebugProtocol.SourceArguments): Promise<DebugProtocol.SourceResponse['body']> {
    const p = a.source?.path;
    if (!p) throw new RequestError('source: only sources with a path are available.');
    try {
      return { content: fs.readFileSync(this.convertClientPathToDebugger(p), 'utf8') };
    } catch {
      throw new RequestError(`${p}: No such file or directory.`);
    }
  }

  private async readMemory(a: DebugProtocol.ReadMemoryArguments): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    const engine = await this.whenStopped();
    const base = parseMemoryReference(a.memoryReference) + (Number.isInteger(a.offset) ? a.offset! : 0);
    if (!Number.isInteger(a.count) || a.count < 0) throw new RequestError('readMemory: count must be a non-negative integer.');
    if (a.count > 64 << 20) throw new RequestError('readMemory: at most 64 MiB per request.');
    if (base < 0) throw new RequestError(`Cannot access memory at address ${hexAddr(base)}`);
    const r = await this.readMem(base, a.count);
    return { address: hexAddr(r.address), data: r.data.toString('base64'), unreadableBytes: r.unreadableBytes || undefined };
  }

  private async writeMemory(a: DebugProtocol.WriteMemoryArguments): Promise<DebugProtocol.WriteMemoryResponse['body']> {
    const engine = await this.whenStopped();
    const base = parseMemoryReference(a.memoryReference) + (Number.isInteger(a.offset) ? a.offset! : 0);
    if (typeof a.data !== 'string') throw new RequestError('writeMemory: data (base64) is required.');
    const data = Buffer.from(a.data, 'base64');
    const n = await engine.writeMemory(base, data);
    if (n < data.length && !a.allowPartial) throw new RequestError(`Cannot access memory at address ${hexAddr(base + n)}`);
    this.invalidate();
    if (this.client.supportsMemoryEvent) this.sendEvent(new Event('memory', { memoryReference: hexAddr(base), offset: 0, count: n }));
    return { bytesWritten: n };
  }

  /** engine.readMemory, with an unreadable start reported as unreadable bytes rather than an error. */
  private async readMem(address: number, count: number): Promise<{ address: number; data: Buffer; unreadableBytes: number }> {
    try {
      return await this.requireEngine().readMemory(address, count);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'memory') return { address, data: Buffer.alloc(0), unreadableBytes: count };
      if (/Cannot access memory/.test((e as Error).message)) return { address, data: Buffer.alloc(0), unreadableBytes: count };
      throw e;
    }
  }

  private disassembler(): Disassembler {
    this.disasm ??= new Disassembler('att');
    return this.disasm;
  }

  private async disassemble(a: DebugProtocol.DisassembleArguments): Promise<DebugProtocol.DisassembleResponse['body']> {
    await this.whenStopped();
    const base = parseMemoryReference(a.memoryReference) + (Number.isInteger(a.offset) ? a.offset! : 0);
    const count = a.instructionCount;
    if (!Number.isInteger(count) || count < 0) throw new RequestError('disassemble: instructionCount must be a non-negative integer.');
    if (count > 100000) throw new RequestError('disassemble: at most 100000 instructions per request.');
    const instOffset = Number.isInteger(a.instructionOffset) ? a.instructionOffset! : 0;
    const symbols = a.resolveSymbols !== false;
    const out: Decoded[] = [];
    let addr = base;
    if (instOffset < 0) {
      const want = -instOffset;
      const before = await this.instructionsBefore(base, want);
      // Fewer real instructions than asked (start of memory, undecodable bytes): pad at the front.
      const pad: Decoded[] = [];
      for (let k = want - before.length; k > 0; k--) pad.push(unreadable(Math.max(0, (before[0]?.address ?? base) - k)));
      out.push(...pad, ...before);
      if (out.length > count) out.length = count;
    } else if (instOffset > 0) {
      const skipped = await this.decodeForward(base, instOffset);
      const last = skipped[skipped.length - 1];
      addr = last ? last.address + last.length : base + instOffset;
    }
    if (out.length < count) out.push(...(await this.decodeForward(addr, count - out.length)));
    // Symbolic operands (branch targets, RIP-relative data) as gdb shows them.
    if (symbols) {
      const resolve = await this.labeler.resolver(out.flatMap((i) => [i.target, i.dataRef].filter((x): x is number => x !== undefined)));
      for (const i of out) i.text = withLabels(i, resolve);
    }
    return { instructions: out.map((i) => this.toDapInstruction(i, symbols)) };
  }

  /** One instruction for the client, with its function and source line (when the file can be shown). */
  private toDapInstruction(i: Decoded, symbols: boolean): DebugProtocol.DisassembledInstruction {
    const d: DebugProtocol.DisassembledInstruction = { address: hexAddr(i.address), instructionBytes: hexBytes(i.bytes), instruction: i.text };
    if (i.invalid) {
      d.presentationHint = 'invalid';
      return d;
    }
    try {
      const info = this.engine?.addressInfo(i.address);
      if (symbols && info?.function) d.symbol = info.function;
      const p = info?.fullPath ?? info?.file;
      if (p && info?.line && path.isAbsolute(p) && this.sourceExists(p)) {
        d.location = { name: path.basename(p), path: this.convertDebuggerPathToClient(p) };
        d.line = this.convertDebuggerLineToClient(info.line);
      }
    } catch {
      /* no symbol or line information */
    }
    return d;
  }

  /** Decodes `count` instructions from addr; unreadable memory yields invalid one-byte entries. */
  private async decodeForward(addr: number, count: number): Promise<Decoded[]> {
    const out: Decoded[] = [];
    let a = addr;
    while (out.length < count) {
      const want = Math.min(64 * 1024, (count - out.length) * MAX_INSN + MAX_INSN);
      const mem = await this.readMem(a, want);
      if (mem.data.length === 0) {
        // Unreadable: one invalid entry per remaining slot, a byte apart.
        while (out.length < count) out.push(unreadable(a++));
        break;
      }
      // Leave an instruction cut off by the end of what was read for the next read.
      const more = mem.unreadableBytes === 0 && mem.data.length === want;
      const insns = this.disassembler().decode(mem.data, a, { max: count - out.length, stopShort: more });
      if (insns.length === 0) {
        out.push({ ...unreadable(a), bytes: mem.data.subarray(0, 1), text: '(bad)', plain: '(bad)' });
        a += 1;
        continue;
      }
      out.push(...insns);
      const last = insns[insns.length - 1];
      a = last.address + last.length;
    }
    return out;
  }

  /**
   * The `n` instructions that end right before `addr`. x86 cannot be decoded backwards: decode forward
   * from a known instruction boundary (the start of the function holding the earlier address, or of
   * the one holding addr) or, failing those, from a few guessed starts, and keep a decoding that lands
   * exactly on addr.
   */
  private async instructionsBefore(addr: number, n: number): Promise<Decoded[]> {
    const engine = this.requireEngine();
    const guess = Math.max(0, addr - (n * MAX_INSN + 64));
    const starts: number[] = [];
    for (const probe of [guess, Math.max(0, addr - 1)]) {
      try {
        const info = engine.addressInfo(probe);
        if (info.function && info.offset !== undefined && info.offset <= 256 * 1024) starts.push(probe - info.offset);
      } catch {
        /* no symbol there */
      }
    }
    for (let k = 0; k < MAX_INSN; k++) starts.push(guess + k);
    let best: Decoded[] = [];
    for (const start of starts) {
      if (start > addr || addr - start > 512 * 1024) continue;
      const mem = await this.readMem(start, addr - start);
      if (mem.data.length < addr - start) continue;
      const insns = this.disassembler().decode(mem.data, start);
      const last = insns[insns.length - 1];
      const lands = last ? last.address + last.length === addr && !last.invalid : start === addr;
      if (!lands) continue;
      const take = insns.slice(-n);
      if (take.length > best.length) best = take;
      if (best.length >= n) break;
    }
    return best;
  }

  private async exceptionInfo(a: DebugProtocol.ExceptionInfoArguments): Promise<DebugProtocol.ExceptionInfoResponse['body']> {
    this.requireEngine();
    const stop = this.lastStop;
    if (!stop?.signal || (a?.threadId !== undefined && stop.threadId !== a.threadId)) throw new RequestError('No exception: the thread did not stop on a signal.');
    const s = stop.signal;
    const where = s.faultAddress !== undefined ? ` at address ${hexAddr(s.faultAddress)}` : '';
    return {
      exceptionId: s.name,
      description: `${s.description} (${s.name})${where}`,
      breakMode: 'always',
      details: { message: `Program received signal ${s.name}, ${s.description}.`, typeName: s.name, evaluateName: undefined },
    };
  }

  // ================================================================== checkpoints (custom requests)

  private async checkpointCreate(): Promise<unknown> {
    const engine = await this.whenStopped();
    const c = await engine.checkpoint();
    return { checkpoint: c, message: `checkpoint ${c.id}: fork returned pid ${c.pid}.` };
  }

  private async checkpointList(): Promise<unknown> {
    const engine = this.requireEngine();
    return { checkpoints: engine.checkpoints() };
  }

  // ================================================================== completions, goto

  /** Debug console completion (gdb's `complete`): commands, then names in scope at the frame, members after `.` / `->`. */
  private async completions(a: DebugProtocol.CompletionsArguments): Promise<DebugProtocol.CompletionsResponse['body']> {
    if (typeof a.text !== 'string' || !Number.isInteger(a.column)) throw new RequestError('completions: text (string) and column (number) are required.');
    await this.settle();
    const lines = a.text.split('\n');
    const lineNo = Number.isInteger(a.line) ? this.convertClientLineToDebugger(a.line!) - 1 : lines.length - 1;
    const lineText = lines[Math.min(Math.max(lineNo, 0), lines.length - 1)] ?? '';
    const col = Math.min(Math.max(this.convertClientColumnToDebugger(a.column) - 1, 0), lineText.length);
    const before = lineText.slice(0, col);
    // A lone '>' (a comparison, not '->') triggered the request: nothing to offer yet.
    if (/>$/.test(before) && !/->$/.test(before)) return { targets: [] };
    const engine = this.engine;
    if (!engine) {
      const names = this.repl.commandNames().filter((n) => n.startsWith(before.trim()));
      return { targets: names.map((label) => ({ label, type: 'keyword' as const })) };
    }
    const frameId = Number.isInteger(a.frameId) ? a.frameId : undefined;
    const threadId = frameId !== undefined ? this.frameThread(frameId) : engine.currentThreadId;
    const r = await this.repl.complete(before, { engine, frameId, threadId, disassembler: () => this.disassembler(), labeler: this.labeler });
    const start = this.convertDebuggerColumnToClient(r.start + 1);
    return { targets: r.items.map((i) => ({ label: i.label, type: i.type, start, length: col - r.start })) };
  }

  /** Targets of the last gotoTargets request: id -> address. */
  private gotoIds = new Map<number, { address: number; line: number; file: string }>();
  private nextGotoId = 1;

  /** Where a source line's code starts (gdb `jump LINE` resolves the line as a breakpoint would). */
  private async gotoTargets(a: DebugProtocol.GotoTargetsArguments): Promise<DebugProtocol.GotoTargetsResponse['body']> {
    const engine = await this.whenStopped();
    const file = a.source?.path;
    if (typeof file !== 'string' || !file) throw new RequestError('gotoTargets: source.path is required.');
    if (!Number.isInteger(a.line)) throw new RequestError('gotoTargets: line must be a number.');
    const line = this.convertClientLineToDebugger(a.line);
    const lines = await engine.resolveLocation({ file, line });
    this.gotoIds.clear();
    const targets: DebugProtocol.GotoTarget[] = [];
    for (const l of lines) {
      if (!l.addresses.length) continue;
      const address = Math.min(...l.addresses);
      const id = this.nextGotoId++;
      this.gotoIds.set(id, { address, line: l.line, file: l.fullPath || l.file });
      const fn = engine.addressInfo(address).function;
      targets.push({ id, label: `${path.basename(l.file)}:${l.line}${fn ? ` (${fn})` : ''}`, line: this.convertDebuggerLineToClient(l.line), instructionPointerReference: hexAddr(address) });
    }
    if (!targets.length) throw new RequestError(`Line ${line} of "${path.basename(file)}" has no code.`);
    return { targets };
  }

  /**
   * gdb `jump`, without resuming (DAP's goto only moves the pc; a 'goto' stop follows the response).
   * A line in another function than the thread's frame 0 is refused: gdb asks "Line N is not in `f'.
   * Jump anyway?", and jumping there corrupts the stack.
   */
  private async goto(a: DebugProtocol.GotoArguments, request: DebugProtocol.Request): Promise<void> {
    const engine = await this.whenStopped();
    const t = this.gotoIds.get(a.targetId);
    if (!t) throw new RequestError(`Unknown goto target ${a.targetId} (ask gotoTargets first).`);
    const threadId = Number.isInteger(a.threadId) ? a.threadId : engine.currentThreadId;
    const top = (await engine.stackTrace(threadId, 0, 1)).frames[0];
    if (!top) throw new RequestError('No stack.');
    const info = engine.addressInfo(t.address);
    const targetStart = info.offset !== undefined ? t.address - info.offset : undefined;
    if (top.functionStart !== undefined && targetStart !== top.functionStart) {
      throw new RequestError(`Line ${t.line} is not in \`${top.function ?? '??'}'.`);
    }
    await engine.setRegister('rip', BigInt(t.address), top.id);
    this.invalidate();
    this.holdFor(request);
    const where = `${info.function ?? '??'} () at ${info.file ?? path.basename(t.file)}:${t.line}`;
    this.queueEvent('goto', [{ threadId: top.threadId, description: `Jumped to ${where}` }]);
  }

  private async checkpointRestart(a: { id?: unknown }): Promise<unknown> {
    const engine = await this.whenStopped();
    if (!Number.isInteger(a.id)) throw new RequestError('restartCheckpoint: id must be a checkpoint number.');
    const stop = await engine.restartCheckpoint(a.id as number);
    this.invalidate();
    return { description: stop.description };
  }

  private async checkpointDelete(a: { id?: unknown }): Promise<void> {
    const engine = this.requireEngine();
    if (!Number.isInteger(a.id)) throw new RequestError('deleteCheckpoint: id must be a checkpoint number.');
    await engine.deleteCheckpoint(a.id as number);
  }
}

// ================================================================== helpers

export function hexAddr(n: number): string {
  return '0x' + n.toString(16);
}

/** Our memory references are "0x..." addresses; decimal is accepted too. */
export function parseMemoryReference(ref: unknown): number {
  if (typeof ref !== 'string' || !/^\s*(0x[0-9a-fA-F]+|\d+)\s*$/.test(ref)) throw new RequestError(`Invalid memory reference '${String(ref)}'.`);
  const n = Number(ref.trim());
  if (!Number.isSafeInteger(n)) throw new RequestError(`Invalid memory reference '${ref}'.`);
  return n;
}

function toFormat(f: DebugProtocol.ValueFormat | undefined): ValueFormat | undefined {
  return f?.hex ? { kind: 'hex' } : undefined;
}

/** A decoded instruction (or an invalid placeholder) before conversion to DAP. */
type Decoded = DecodedInstruction;

function unreadable(address: number): Decoded {
  return { address, length: 1, bytes: Buffer.alloc(0), text: '<unreadable memory>', plain: '<unreadable memory>', invalid: true, isCall: false, isBranch: false };
}

/** Splits a command line string into arguments (double/single quotes, backslash escapes). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let any = false;
  let q = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = '';
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      any = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (any || cur) out.push(cur);
  return out;
}
