// Attach/detach, pause and the debuggee's fate over DAP: a process we start ourselves (spin) is attached,
// paused, continued and detached (it runs on, untraced), or killed with terminateDebuggee; a launched
// program is paused and terminated; and killing the adapter with SIGKILL takes the debuggee with it.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from './dap-client';
import { becomeSubreaper, stopBeingSubreaper, fixture, isGoneOrZombie, procState, reap, ROOT, waitUntil } from './helpers';

jest.setTimeout(60000);

const SPIN = fixture('spin');

function tracerOf(pid: number): number {
  return Number(/TracerPid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

async function startSpin(): Promise<{ child: ChildProcess; pid: number; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const child = spawn(SPIN, [], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const pid = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  expect(pid).toBe(child.pid);
  return { child, pid, exit };
}

async function spins(c: Client, threadId: number): Promise<bigint> {
  const f = await c.topFrame(threadId);
  return BigInt((await c.evaluateRequest({ expression: 'spins', frameId: f.id, context: 'watch' })).body.result);
}

describe('DAP attach, pause, detach, terminate', () => {
  test('attach to a running process, pause and continue it, detach: it runs on untraced', async () => {
    const spin = await startSpin();
    const c = new Client();
    await c.start();
    try {
      const s = await c.attachTo(String(spin.pid)); // a numeric string, as ${command:pickProcess} gives
      expect(s.body.reason).toBe('pause');
      const threadId = s.body.threadId!;
      expect(threadId).toBe(spin.pid);
      expect(tracerOf(spin.pid)).not.toBe(0);
      const f = await c.topFrame(threadId);
      expect([f.name, f.line, f.source?.path]).toEqual(['main', 11, path.join(ROOT, 'fixtures', 'src', 'spin.c')]);
      const first = await spins(c, threadId);
      expect(first).toBeGreaterThan(0n);
      // Continue, let it run, pause.
      await c.continueRequest({ threadId });
      await new Promise((r) => setTimeout(r, 100));
      const paused = c.stopped('pause');
      await c.pauseRequest({ threadId });
      await paused;
      expect(await spins(c, threadId)).toBeGreaterThan(first);
      // Detach (the default for attach): the process keeps running without a tracer.
      await c.disconnectRequest({});
      await waitUntil(() => tracerOf(spin.pid) === 0, 5000, 'detach');
      expect(procState(spin.pid)).toMatch(/[RS]/);
      c.closeAdapter();
    } finally {
      spin.child.kill('SIGKILL');
      await spin.exit;
    }
  });

  test('attach, then disconnect with terminateDebuggee kills the process', async () => {
    const spin = await startSpin();
    const c = new Client();
    await c.start();
    try {
      await c.attachTo(spin.pid);
      await c.disconnectRequest({ terminateDebuggee: true });
      expect((await spin.exit).signal).toBe('SIGKILL');
    } finally {
      c.closeAdapter();
      spin.child.kill('SIGKILL');
    }
  });

  test('SIGTERM to the adapter detaches from an attached process (it runs on) and exits', async () => {
    const spin = await startSpin();
    const c = new Client();
    await c.start();
    try {
      await c.attachTo(spin.pid);
      const adapterExit = new Promise<number | null>((r) => c.adapterProcess.once('exit', (code) => r(code)));
      c.adapterProcess.kill('SIGTERM');
      expect(await adapterExit).toBe(143);
      expect(tracerOf(spin.pid)).toBe(0);
      expect(procState(spin.pid)).toMatch(/[RS]/);
    } finally {
      spin.child.kill('SIGKILL');
      await spin.exit;
    }
  });

  test('pause a launched program, then terminate it', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: SPIN });
      const proc = await c.nextEvent('process', () => true, 15000, 0);
      const pid = proc.body.systemProcessId as number;
      // spin prints its pid once it is in main's loop.
      await c.nextEvent('output', (e) => e.body.category === 'stdout', 15000, 0);
      // The output arrives while write() is still returning: give it time to reach the loop.
      await new Promise((r) => setTimeout(r, 100));
      // While it runs, the client still sees a thread to pause.
      expect((await c.threadsRequest()).body.threads.map((t) => t.id)).toEqual([pid]);
      const paused = c.stopped('pause');
      await c.pauseRequest({ threadId: pid });
      const s = await paused;
      expect(s.body.allThreadsStopped).toBe(true);
      expect((await c.topFrame(s.body.threadId!)).name).toBe('main');
      const since = c.events.length;
      await c.terminateRequest({});
      const ex = await c.nextEvent('exited', () => true, 10000, since);
      expect(ex.body.exitCode).toBe(128 + 9);
      await c.nextEvent('terminated', () => true, 10000, since);
      await waitUntil(() => isGoneOrZombie(pid), 5000, 'debuggee gone');
    } finally {
      await c.finish();
    }
  });

  test('killing the adapter with SIGKILL kills the running debuggee too (PTRACE_O_EXITKILL)', async () => {
    becomeSubreaper(); // the orphaned debuggee is reparented to us, so we can see how it ended
    try {
      const c = new Client();
      await c.start();
      const adapter = c.adapterProcess;
      await c.launchWith({ program: SPIN });
      const proc = await c.nextEvent('process', () => true, 15000, 0);
      const pid = proc.body.systemProcessId as number;
      await c.nextEvent('output', (e) => e.body.category === 'stdout', 10000, 0);
      expect(procState(pid)).toBe('R');
      adapter.kill('SIGKILL');
      const how = await reap(pid, 10000);
      expect(how.signal).toBe(9);
    } finally {
      stopBeingSubreaper(); // scoped: orphans of later tests in this worker are not ours
    }
  });
});
