// Drives Eclipse CDT's DAP adapter for gdb (the `cdt-gdb-adapter` npm package, unmodified) with a
// chosen `gdb` launch attribute: stock gdb or backstep-gdb. Used by test/mi-cdt.test.ts and
// bench/mi-bench.ts (which compiles it too).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

const ROOT = path.resolve(__dirname, '..', '..');

/** The adapter's entry point (package.json bin `cdtDebugAdapter`). */
export const CDT_ADAPTER = path.join(path.dirname(require.resolve('cdt-gdb-adapter/package.json')), 'dist', 'debugAdapter.js');
export const BACKSTEP_GDB_BIN = path.join(ROOT, 'bin', 'backstep-gdb');

/**
 * An executable that runs backstep-gdb: what a user puts in the `gdb` attribute. A wrapper rather
 * than dist/src/mi/main.js itself, which is executable only after `npm run build`.
 */
export function backstepGdbWrapper(): { path: string; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-cdt-'));
  const p = path.join(dir, 'backstep-gdb');
  // Through the package's own launcher (bin/backstep-gdb, the npm bin), as an installed one starts.
  fs.writeFileSync(p, `#!/bin/sh\nexec '${BACKSTEP_GDB_BIN}' "$@"\n`, { mode: 0o755 });
  return { path: p, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export class CdtClient extends DebugClient {
  readonly events: DebugProtocol.Event[] = [];
  /** Program output and gdb's console text, as the adapter forwards them (category stdout). */
  output = '';

  constructor() {
    super(process.execPath, CDT_ADAPTER, 'gdb', { env: process.env }, false);
    this.defaultTimeout = 30000;
    const self = this as unknown as { dispatch: (body: string) => void };
    const orig = self.dispatch.bind(this);
    self.dispatch = (body: string) => {
      const msg = JSON.parse(body) as DebugProtocol.ProtocolMessage;
      if (msg.type === 'event') {
        const ev = msg as DebugProtocol.Event;
        this.events.push(ev);
        if (ev.event === 'output') this.output += (ev.body as DebugProtocol.OutputEvent['body']).output;
      }
      orig(body);
    };
  }

  /** initialize, launch with breakpoints set before configurationDone; resolves with the first stop. */
  async launchTo(args: Record<string, unknown>, breakpoints: { source: string; lines: number[] }[]): Promise<DebugProtocol.StoppedEvent> {
    await this.initializeRequest({ adapterID: 'gdb', clientID: 'backstep-tests', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = this.waitForEvent('initialized');
    const launched = this.launchRequest(args as DebugProtocol.LaunchRequestArguments);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched]);
    await initialized;
    for (const b of breakpoints) {
      await this.setBreakpointsRequest({ source: { path: b.source }, breakpoints: b.lines.map((line) => ({ line })) });
    }
    const stopped = this.nextStop();
    await this.configurationDoneRequest();
    await launched;
    return stopped;
  }

  /** The next `stopped` event from now on. */
  nextStop(timeout = this.defaultTimeout): Promise<DebugProtocol.StoppedEvent> {
    return this.waitForEvent('stopped', timeout) as Promise<DebugProtocol.StoppedEvent>;
  }

  /** Sends a run-control request and resolves with the stop it ends in. */
  async runTo(request: Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.nextStop();
    await request;
    return stopped;
  }

  /** The frames of a thread as [function, line]. */
  async frames(threadId: number): Promise<{ name: string; line: number; id: number; source?: string }[]> {
    const r = await this.stackTraceRequest({ threadId });
    return r.body.stackFrames.map((f) => ({ name: f.name, line: f.line, id: f.id, source: f.source?.path }));
  }

  async scopeVariables(frameId: number, scope = 'Local'): Promise<DebugProtocol.Variable[]> {
    const scopes = await this.scopesRequest({ frameId });
    const s = scopes.body.scopes.find((x) => x.name === scope);
    if (!s) throw new Error(`no scope ${scope} (have ${scopes.body.scopes.map((x) => x.name).join(', ')})`);
    return (await this.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
  }
}
