// The DAP server's protocol surface: capabilities, malformed and out-of-order requests (each gets an
// error response with a clear message and the adapter keeps serving), and TCP mode.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import { ADAPTER, Client } from './dap-client';
import { fixture, isGoneOrZombie, waitUntil } from './helpers';

jest.setTimeout(60000);

/** Sends raw bytes to an adapter and collects the parsed messages it writes back. */
class RawPeer {
  readonly proc: ChildProcess;
  readonly messages: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  private buf = Buffer.alloc(0);

  constructor() {
    this.proc = spawn('node', [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const hdr = this.buf.indexOf('\r\n\r\n');
        if (hdr < 0) return;
        const len = Number(/Content-Length: (\d+)/.exec(this.buf.subarray(0, hdr).toString())![1]);
        if (this.buf.length < hdr + 4 + len) return;
        this.messages.push(JSON.parse(this.buf.subarray(hdr + 4, hdr + 4 + len).toString('utf8')));
        this.buf = this.buf.subarray(hdr + 4 + len);
      }
    });
  }

  sendRaw(text: string): void {
    this.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  send(seq: number, command: string, args?: unknown): void {
    this.sendRaw(JSON.stringify({ seq, type: 'request', command, arguments: args }));
  }

  async response(seq: number): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    await waitUntil(() => this.messages.some((m) => m.type === 'response' && m.request_seq === seq), 10000, `response to ${seq}`);
    return this.messages.find((m) => m.type === 'response' && m.request_seq === seq);
  }
}

describe('DAP protocol robustness', () => {
  test('initialize reports the capabilities that are implemented', async () => {
    const c = new Client();
    await c.start();
    try {
      const r = await c.initializeRequest({ adapterID: 'backstep', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
      const caps = r.body!;
      for (const k of [
        'supportsConfigurationDoneRequest',
        'supportsFunctionBreakpoints',
        'supportsConditionalBreakpoints',
        'supportsHitConditionalBreakpoints',
        'supportsLogPoints',
        'supportsInstructionBreakpoints',
        'supportsSetVariable',
        'supportsSetExpression',
        'supportsReadMemoryRequest',
        'supportsWriteMemoryRequest',
        'supportsDisassembleRequest',
        'supportsSteppingGranularity',
        'supportsExceptionInfoRequest',
        'supportsTerminateRequest',
        'supportsRestartRequest',
        'supportsModulesRequest',
        'supportsLoadedSourcesRequest',
        'supportsDataBreakpoints',
        'supportsCompletionsRequest',
        'supportsGotoTargetsRequest',
      ] as const) {
        expect([k, caps[k]]).toEqual([k, true]);
      }
      // Not implemented: not claimed.
      expect(caps.supportsStepBack).toBeFalsy();
      expect(caps.supportsStepInTargetsRequest).toBeFalsy();
      expect(caps.supportsRestartFrame).toBeFalsy();
      expect(caps.supportsCancelRequest).toBeFalsy();
      // Every request a claimed capability stands for is served (an error about its arguments or the
      // missing program, never "Unrecognized request"); the unclaimed ones are not.
      const served: [keyof typeof caps, string][] = [
        ['supportsCompletionsRequest', 'completions'],
        ['supportsGotoTargetsRequest', 'gotoTargets'],
        ['supportsGotoTargetsRequest', 'goto'],
        ['supportsDataBreakpoints', 'dataBreakpointInfo'],
        ['supportsDataBreakpoints', 'setDataBreakpoints'],
        ['supportsBreakpointLocationsRequest', 'breakpointLocations'],
        ['supportsExceptionInfoRequest', 'exceptionInfo'],
        ['supportsDisassembleRequest', 'disassemble'],
        ['supportsReadMemoryRequest', 'readMemory'],
        ['supportsWriteMemoryRequest', 'writeMemory'],
        ['supportsLoadedSourcesRequest', 'loadedSources'],
        ['supportsModulesRequest', 'modules'],
        ['supportsSetExpression', 'setExpression'],
        ['supportsInstructionBreakpoints', 'setInstructionBreakpoints'],
      ];
      for (const [cap, command] of served) {
        expect([cap, caps[cap]]).toEqual([cap, true]);
        const msg = await c.customRequest(command, {}).then(
          () => 'ok',
          (e: Error) => e.message,
        );
        expect([command, msg]).not.toEqual([command, `Unrecognized request '${command}'.`]);
      }
      for (const command of ['stepInTargets', 'restartFrame', 'cancel']) {
        await expect(c.customRequest(command, {})).rejects.toThrow(`Unrecognized request '${command}'.`);
      }
      expect(caps.exceptionBreakpointFilters!.map((f) => f.filter)).toEqual(expect.arrayContaining(['SIGSEGV', 'SIGABRT', 'SIGFPE', 'SIGBUS', 'SIGILL']));
    } finally {
      await c.stop();
    }
  });

  test('malformed and out-of-order requests get error responses; the adapter keeps serving', async () => {
    const p = new RawPeer();
    try {
      // Not JSON at all.
      p.sendRaw('{this is not json');
      // A request before initialize / launch.
      p.send(1, 'stackTrace', { threadId: 1 });
      p.send(2, 'noSuchCommand', {});
      p.send(3, 'variables', { variablesReference: 12345 });
      p.send(4, 'evaluate', { expression: '1 +', context: 'repl' });
      p.send(5, 'initialize', { adapterID: 'x', pathFormat: 'path' });
      const r1 = await p.response(1);
      expect(r1.success).toBe(false);
      expect(r1.message).toMatch(/No program is being debugged|not being run/);
      const r2 = await p.response(2);
      expect(r2.success).toBe(false);
      expect(r2.message).toBe("Unrecognized request 'noSuchCommand'.");
      expect((await p.response(3)).success).toBe(false);
      expect((await p.response(4)).success).toBe(false);
      const r5 = await p.response(5);
      expect(r5.success).toBe(true);
      expect(r5.body.supportsConfigurationDoneRequest).toBe(true);
      // Launch of a missing program.
      p.send(6, 'launch', { program: '/nonexistent/prog' });
      const r6 = await p.response(6);
      expect(r6.success).toBe(false);
      expect(r6.message).toBe('/nonexistent/prog: No such file or directory.');
      // Wrong argument types.
      p.send(7, 'launch', { program: fixture('loop'), args: 42 });
      expect((await p.response(7)).message).toBe("launch: 'args' must be an array of strings.");
      p.send(8, 'launch', { program: fixture('loop'), cwd: '/nonexistent-dir' });
      expect((await p.response(8)).message).toMatch(/cwd '\/nonexistent-dir' is not a directory/);
      p.send(9, 'attach', { processId: 'abc' });
      expect((await p.response(9)).message).toMatch(/processId/);
      p.send(10, 'attach', { processId: 999999999 });
      expect((await p.response(10)).message).toMatch(/No such process/);
      // Arguments that are not an object.
      p.sendRaw(JSON.stringify({ seq: 11, type: 'request', command: 'threads', arguments: [1, 2] }));
      expect((await p.response(11)).success).toBe(false);
      // Still alive and answering.
      p.send(12, 'threads');
      const r12 = await p.response(12);
      expect(r12.success).toBe(true);
      expect(r12.body.threads).toEqual([]);
      expect(p.proc.exitCode).toBeNull();
      p.send(13, 'disconnect', {});
      expect((await p.response(13)).success).toBe(true);
      await waitUntil(() => p.proc.exitCode !== null, 5000, 'adapter exit');
      expect(p.proc.exitCode).toBe(0);
    } finally {
      p.proc.kill('SIGKILL');
    }
  });

  test('requests on a live session with bad ids get clear errors and the session goes on', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: fixture('loop'), args: ['3'], stopOnEntry: true });
      const stop = await c.stopped('entry');
      const threadId = stop.body.threadId!;
      await expect(c.scopesRequest({ frameId: 987654 })).rejects.toThrow(/frame/i);
      await expect(c.variablesRequest({ variablesReference: 987654 })).rejects.toThrow(/variable|reference/i);
      await expect(c.evaluateRequest({ expression: ')(garbage', context: 'watch' })).rejects.toThrow(/syntax|expression/i);
      await expect(c.evaluateRequest({ expression: 'no_such_symbol', context: 'hover' })).rejects.toThrow('No symbol "no_such_symbol" in current context.');
      await expect(c.customRequest('readMemory', { memoryReference: 'nonsense', count: 4 })).rejects.toThrow("Invalid memory reference 'nonsense'.");
      await expect(c.customRequest('restartCheckpoint', { id: 'x' })).rejects.toThrow(/checkpoint number/);
      // A second launch in the same session.
      await expect(c.launchRequest({ program: fixture('loop') } as never)).rejects.toThrow(/already being debugged/);
      // Still working: the top frame is main, and the program runs to its exit code (1+3+5 = 9).
      const f = await c.topFrame(threadId);
      expect(f.name).toBe('main');
      const exited = c.nextEvent('exited');
      await c.continueRequest({ threadId });
      expect((await exited).body.exitCode).toBe(9);
      await c.nextEvent('terminated', () => true, 15000, 0);
    } finally {
      await c.finish();
    }
  });

  test('TCP mode: --port 0 listens on 127.0.0.1 and serves a session per connection', async () => {
    const server = spawn('node', [ADAPTER, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        server.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        server.on('exit', () => reject(new Error('adapter exited')));
      });
      for (let round = 0; round < 2; round++) {
        const c = new Client();
        await c.start(port);
        await c.launchWith({ program: fixture('loop'), args: ['2'] });
        const exited = await c.nextEvent('exited', () => true, 15000, 0);
        expect(exited.body.exitCode).toBe(4); // 1 + 3
        await c.stop();
        for (const pid of c.pids) await waitUntil(() => isGoneOrZombie(pid), 5000, 'debuggee gone');
      }
      // Bound to the loopback address only.
      await expect(
        new Promise((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', reject);
        }),
      ).resolves.toBe(true);
      expect(server.exitCode).toBeNull();
    } finally {
      server.kill('SIGKILL');
    }
  });
});
