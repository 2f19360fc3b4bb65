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
