// Test helpers for the DAP server: a DebugClient (from @vscode/debugadapter-testsupport) that spawns
// `node dist/adapter/main.js`, records every event, answers reverse requests (runInTerminal), and
// remembers the debuggee pids so tests can check that nothing is left running.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { isGoneOrZombie, ROOT, waitUntil } from './helpers';

export const ADAPTER = path.join(ROOT, 'dist', 'adapter', 'main.js');

type ReverseHandler = (args: any) => Promise<unknown> | unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

export class Client extends DebugClient {
  readonly events: DebugProtocol.Event[] = [];
  readonly pids: number[] = [];
  private readonly reverse = new Map<string, ReverseHandler>();
  stdoutText = '';
  stderrText = '';
  consoleText = '';

  constructor(spawnOptions: { env?: NodeJS.ProcessEnv } = {}) {
    super('node', ADAPTER, 'backstep', { env: spawnOptions.env ?? process.env }, false);
    this.defaultTimeout = 15000;
    const self = this as unknown as { dispatch: (body: string) => void; outputStream: NodeJS.WritableStream };
    const orig = self.dispatch.bind(this);
    self.dispatch = (body: string) => {
      const msg = JSON.parse(body) as DebugProtocol.ProtocolMessage;
      if (msg.type === 'request') {
        void this.answer(msg as DebugProtocol.Request, self.outputStream);
        return;
      }
      if (msg.type === 'event') {
        const ev = msg as DebugProtocol.Event;
        this.events.push(ev);
        if (ev.event === 'process') this.pids.push(ev.body.systemProcessId);
        if (ev.event === 'output') {
          if (ev.body.category === 'stdout') this.stdoutText += ev.body.output;
          else if (ev.body.category === 'stderr') this.stderrText += ev.body.output;
          else this.consoleText += ev.body.output;
        }
      }
      orig(body);
    };
  }

  /** Stops the adapter process (or closes the TCP connection) without a disconnect request. */
  closeAdapter(): void {
    (this as unknown as { stopAdapter: () => void }).stopAdapter();
  }

  get adapterProcess(): import('child_process').ChildProcess {
    return (this as unknown as { _adapterProcess: import('child_process').ChildProcess })._adapterProcess;
  }

  onReverseRequest(command: string, h: ReverseHandler): void {
    this.reverse.set(command, h);
  }

  private async answer(req: DebugProtocol.Request, out: NodeJS.WritableStream): Promise<void> {
    const h = this.reverse.get(req.command);
    let response: DebugProtocol.Response;
    try {
      if (!h) throw new Error(`no handler for reverse request ${req.command}`);
      const body = await h(req.arguments);
      response = { type: 'response', seq: 0, request_seq: req.seq, command: req.command, success: true, body };
    } catch (e) {
      response = { type: 'response', seq: 0, request_seq: req.seq, command: req.command, success: false, message: (e as Error).message };
    }
    const json = JSON.stringify(response);
    out.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`, 'utf8');
  }

  /** initialize, launch, breakpoints, configurationDone: resolves with the launch response. */
  async launchWith(
    args: Record<string, unknown>,
    setup: (c: Client) => Promise<void> = async () => undefined,
    init: Partial<DebugProtocol.InitializeRequestArguments> = {},
  ): Promise<DebugProtocol.LaunchResponse> {
    await this.initializeRequest({ adapterID: 'backstep', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', ...init });
    const initialized = this.waitForEvent('initialized');
    const launched = this.launchRequest(args as DebugProtocol.LaunchRequestArguments);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched]);
    await initialized;
    await setup(this);
    await this.configurationDoneRequest();
    return launched;
  }

  /**
   * initialize, attach to a running process, configurationDone: resolves with the first stopped event
   * (reason 'pause': attaching stops the process).
   */
  async attachTo(processId: number | string, init: Partial<DebugProtocol.InitializeRequestArguments> = {}): Promise<DebugProtocol.StoppedEvent> {
    await this.initializeRequest({ adapterID: 'backstep', pathFormat: 'path', ...init });
    const initialized = this.waitForEvent('initialized');
    const attached = this.attachRequest({ processId } as never);
    attached.catch(() => undefined);
    await Promise.race([initialized, attached]);
    await initialized;
    await this.configurationDoneRequest();
    await attached;
    return this.nextEvent('stopped', () => true, 15000, 0) as Promise<DebugProtocol.StoppedEvent>;
  }

  /** The next stopped event (optionally of a reason), from now on. */
  async stopped(reason?: string, timeout = 15000): Promise<DebugProtocol.StoppedEvent> {
    return this.nextEvent('stopped', (e) => reason === undefined || e.body.reason === reason, timeout) as Promise<DebugProtocol.StoppedEvent>;
  }

  /** Waits for an event matching pred that arrives after the call, or already arrived after `since`. */
  nextEvent(name: string, pred: (e: DebugProtocol.Event) => boolean = () => true, timeout = 15000, since?: number): Promise<DebugProtocol.Event> {
    if (since !== undefined) {
      const found = this.events.slice(since).find((e) => e.event === name && pred(e));
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(name, onEv);
        reject(new Error(`no '${name}' event within ${timeout} ms; last events: ${this.events.slice(-5).map((e) => `${e.event} ${JSON.stringify(e.body)}`).join(' | ')}`));
      }, timeout);
      const onEv = (e: DebugProtocol.Event) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        this.off(name, onEv);
        resolve(e);
      };
      this.on(name, onEv);
    });
  }

  /** The top frame of a thread. */
  async topFrame(threadId: number): Promise<DebugProtocol.StackFrame> {
    const r = await this.stackTraceRequest({ threadId, startFrame: 0, levels: 1 });
    return r.body.stackFrames[0];
  }

  /** Variables of a scope of a frame by scope name (Locals, Arguments, ...) as name -> variable. */
  async scopeVars(frameId: number, scope: string): Promise<Map<string, DebugProtocol.Variable>> {
    const scopes = await this.scopesRequest({ frameId });
    const s = scopes.body.scopes.find((x) => x.name === scope);
    if (!s) throw new Error(`no scope ${scope} (have ${scopes.body.scopes.map((x) => x.name).join(', ')})`);
    const vars = await this.variablesRequest({ variablesReference: s.variablesReference });
    return new Map(vars.body.variables.map((v) => [v.name, v]));
  }

  setExpressionRequest(args: DebugProtocol.SetExpressionArguments): Promise<DebugProtocol.SetExpressionResponse> {
    return this.customRequest('setExpression', args) as Promise<DebugProtocol.SetExpressionResponse>;
  }

  async repl(expression: string, frameId?: number): Promise<string> {
    const r = await this.evaluateRequest({ expression, context: 'repl', frameId });
    return r.body.result;
  }

  /** Ends the session and checks that every debuggee is gone. */
  async finish(): Promise<void> {
    try {
      await this.stop();
    } finally {
      for (const pid of this.pids) await waitUntil(() => isGoneOrZombie(pid), 5000, `debuggee ${pid} to be gone`);
    }
  }
}

export interface StoppedSession {
  c: Client;
  threadId: number;
  /** Top frame at the stop. */
  frame: DebugProtocol.StackFrame;
  stop: DebugProtocol.StoppedEvent;
}

/**
 * A started client that launched `program` (extra launch attributes in `launch`) with source
 * breakpoints at `lines` of `source`, stopped at the first one hit. The caller ends it with
 * `c.finish()`; when set-up fails the client is finished here.
 */
export async function launchToBreakpoint(
  program: string,
  source: string,
  lines: number | number[],
  launch: Record<string, unknown> = {},
): Promise<StoppedSession> {
  const c = new Client();
  await c.start();
  try {
    await c.launchWith({ program, ...launch }, async (cl) => {
      await cl.setBreakpointsRequest({ source: { path: source }, breakpoints: (Array.isArray(lines) ? lines : [lines]).map((line) => ({ line })) });
    });
    const stop = await c.stopped('breakpoint');
    const threadId = stop.body.threadId!;
    return { c, threadId, frame: await c.topFrame(threadId), stop };
  } catch (e) {
    await c.finish().catch(() => undefined);
    throw e;
  }
}

/** The section headers of an ELF file, from `readelf -SW` (the oracle for file layout). */
export function readelfSections(bin: string): { name: string; addr: number; offset: number; size: number }[] {
  const out: { name: string; addr: number; offset: number; size: number }[] = [];
  for (const line of execFileSync('readelf', ['-SW', bin], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(line);
    if (m) out.push({ name: m[1], addr: parseInt(m[2], 16), offset: parseInt(m[3], 16), size: parseInt(m[4], 16) });
  }
  return out;
}

/**
 * objdump -d of a binary (optionally of [start, stop) link-time addresses, of some sections, in Intel
 * syntax): address -> instruction text.
 */
export function objdumpInstructions(bin: string, opts: { start?: number; stop?: number; sections?: string[]; intel?: boolean } = {}): Map<number, string> {
  const argv = ['-d', '-w', '--no-show-raw-insn', ...(opts.intel ? ['-M', 'intel'] : []), ...(opts.sections ?? []).flatMap((s) => ['-j', s])];
  if (opts.start !== undefined) argv.push(`--start-address=0x${opts.start.toString(16)}`);
  if (opts.stop !== undefined) argv.push(`--stop-address=0x${opts.stop.toString(16)}`);
  const out = execFileSync('objdump', [...argv, bin], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const r = /^\s+([0-9a-f]+):\t(.*)$/.exec(line);
    if (r) m.set(parseInt(r[1], 16), r[2]);
  }
  return m;
}

/** Layout-insensitive instruction text for comparing with objdump: no comments, no <symbol> labels, no 0x on numbers. */
export function normInstruction(s: string): string {
  return s
    .replace(/#.*$/, '')
    .replace(/<[^>]*>/g, '')
    .replace(/\b0x([0-9a-f]+)\b/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * gdb's `complete` (the oracle for DAP completions): stops where `setup` says (e.g. ['break hot',
 * 'run']) and answers each query with its list of completions (whole lines, as gdb prints them).
 */
export function gdbComplete(program: string, setup: string[], queries: string[], args: string[] = []): string[][] {
  const cmds = ['set max-completions unlimited', ...setup];
  queries.forEach((q, i) => cmds.push(`echo @@${i}\n`, `complete ${q}`));
  cmds.push(`echo @@end\n`);
  const out = gdb(cmds, program, args);
  const res: string[][] = [];
  for (let i = 0; i < queries.length; i++) {
    const from = out.indexOf(`@@${i}\n`);
    const to = out.indexOf(i + 1 < queries.length ? `@@${i + 1}\n` : '@@end\n');
    res.push(out.slice(from + `@@${i}\n`.length, to).split('\n').filter(Boolean));
  }
  return res;
}

/** Runs gdb in batch mode (the oracle) and returns its stdout. */
export function gdb(commands: string[], program: string, args: string[] = []): string {
  const argv = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', ...commands.flatMap((c) => ['-ex', c]), '--args', program, ...args];
  return execFileSync('gdb', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
}

/** gdb's "$1 = 42" -> "42". */
export function gdbValues(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => /^\$\d+ = /.test(l))
    .map((l) => l.replace(/^\$\d+ = /, ''));
}
