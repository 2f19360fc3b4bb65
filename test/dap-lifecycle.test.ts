// Session life cycle over DAP: progress while symbols load, modules and loaded sources (compared with
// /proc/PID/maps), threads and thread events (threads fixture), restart (a new process, breakpoints kept),
// and Ctrl-C typed in the program's terminal pausing it.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client, gdb } from './dap-client';
import { fixture, isGoneOrZombie, ROOT, waitUntil } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');

describe('DAP session life cycle', () => {
  test('progress events around symbol loading; modules and loaded sources match the process', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, stopOnEntry: true }, undefined, { supportsProgressReporting: true });
      const s = await c.stopped('entry');
      const start = c.events.findIndex((e) => e.event === 'progressStart');
      const end = c.events.findIndex((e) => e.event === 'progressEnd');
      expect(start).toBeGreaterThanOrEqual(0);
      expect(c.events[start].body.title).toBe('Loading symbols for loop');
      expect(c.events[end].body.progressId).toBe(c.events[start].body.progressId);
      expect(end).toBeLessThan(c.events.findIndex((e) => e.event === 'initialized'));
      // Every module the adapter lists is mapped in the process, at the base it reports.
      const pid = c.pids[0];
      const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
      const mods = (await c.modulesRequest({})).body.modules;
      const names = mods.map((m) => m.name);
      expect(names).toEqual(expect.arrayContaining(['loop', 'libc.so.6', 'ld-linux-x86-64.so.2']));
      for (const m of mods) {
        if (!m.path || m.path.startsWith('[')) continue;
        const real = fs.realpathSync(m.path);
        expect([m.name, maps.includes(real)]).toEqual([m.name, true]);
      }
      const loopMod = mods.find((m) => m.name === 'loop') as { base?: string };
      expect(loopMod.base).toBe('0x555555554000');
      expect(c.events.filter((e) => e.event === 'module' && e.body.reason === 'new').length).toBeGreaterThanOrEqual(3);
      const sources = ((await c.customRequest('loadedSources', {})).body.sources as { path: string }[]).map((x) => x.path);
      expect(sources).toContain(LOOP_C);
      expect((await c.topFrame(s.body.threadId!)).name).toBe('main');
    } finally {
      await c.finish();
    }
  });

  test('stopAt entry stops at the first instruction, where gdb starti stops', async () => {
    const g = gdb(['starti', 'python print("PC %d %s" % (gdb.selected_frame().pc(), gdb.selected_frame().name()))'], LOOP);
    const [, pc, name] = /^PC (\d+) (\S+)$/m.exec(g)!;
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, stopAt: 'entry' });
      const s = await c.stopped('entry');
      const f = await c.topFrame(s.body.threadId!);
      expect([f.name, Number(f.instructionPointerReference)]).toEqual([name, Number(pc)]);
      // No source for the dynamic linker's entry: the client shows disassembly.
      expect(f.source).toBeUndefined();
    } finally {
      await c.finish();
    }
  });

  test('threads: thread events, one DAP thread per task, each with its own stack', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: fixture('threads') }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'threads.c') }, breakpoints: [{ line: 14 }] });
      });
      const s = await c.stopped('breakpoint');
      const pid = c.pids[0];
      const threads = (await c.threadsRequest()).body.threads;
      const tasks = fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
      expect(threads.map((t) => t.id).sort((a, b) => a - b)).toEqual(tasks);
      expect(threads.length).toBeGreaterThanOrEqual(2);
      const started = c.events.filter((e) => e.event === 'thread' && e.body.reason === 'started').map((e) => e.body.threadId);
      for (const t of tasks) if (t !== pid) expect(started).toContain(t);
      const workerStack = await c.stackTraceRequest({ threadId: s.body.threadId! });
      expect(workerStack.body.stackFrames[0].name).toBe('worker');
      const mainStack = await c.stackTraceRequest({ threadId: pid });
      expect(mainStack.body.stackFrames.map((f) => f.name)).toContain('main');
      // After the joins (line 24) the workers are gone: 'exited' thread events, one thread left.
      await c.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'threads.c') }, breakpoints: [{ line: 24 }] });
      const since = c.events.length;
      const joined = c.stopped('breakpoint');
      await c.continueRequest({ threadId: s.body.threadId! });
      await joined;
      const gone = c.events.slice(since).filter((e) => e.event === 'thread' && e.body.reason === 'exited').map((e) => e.body.threadId);
      expect(gone).toEqual(expect.arrayContaining(started));
      expect((await c.threadsRequest()).body.threads.map((t) => t.id)).toEqual([pid]);
      // Let the program finish: the exit code is the program's verdict on its own sums.
      await c.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'threads.c') }, breakpoints: [] });
      const since2 = c.events.length;
      await c.continueRequest({ threadId: pid });
      expect((await c.nextEvent('exited', () => true, 20000, since2)).body.exitCode).toBe(0);
    } finally {
      await c.finish();
    }
  });

  test('restart: a new process, the breakpoints are kept, the session is not terminated', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['3'] }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11 }] });
      });
      const s1 = await c.stopped('breakpoint');
      const pid1 = c.pids[0];
      const since = c.events.length;
      const s2p = c.stopped('breakpoint');
      await c.restartRequest({});
      const s2 = await s2p;
      expect(c.pids.length).toBe(2);
      const pid2 = c.pids[1];
      expect(pid2).not.toBe(pid1);
      await waitUntil(() => isGoneOrZombie(pid1), 5000, 'old process gone');
      expect(c.events.slice(since).some((e) => e.event === 'terminated' || e.event === 'exited')).toBe(false);
      expect(s2.body.threadId).toBe(pid2);
      const f = await c.topFrame(s2.body.threadId!);
      expect([f.name, f.line]).toEqual(['hot', 11]);
      expect((await c.evaluateRequest({ expression: 'x', frameId: f.id, context: 'watch' })).body.result).toBe('0');
      void s1;
    } finally {
      await c.finish();
    }
  });

  test('Ctrl-C typed in the program terminal pauses the program', async () => {
    const c = new Client();
    let term: ChildProcess | undefined;
    c.onReverseRequest('runInTerminal', (args) => {
      const cmd = (args.args as string[]).map((a) => `'${a}'`).join(' ');
      term = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
      term.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
      return { processId: term.pid };
    });
    let screen = '';
    await c.start();
    try {
      await c.launchWith({ program: fixture('spin'), console: 'integratedTerminal' }, undefined, { supportsRunInTerminalRequest: true });
      const pid = (await c.nextEvent('process', () => true, 15000, 0)).body.systemProcessId as number;
      // spin prints its pid once it runs main's loop.
      await waitUntil(() => screen.includes(String(pid)), 15000, 'spin to start');
      const paused = c.stopped('pause');
      term!.stdin!.write('\x03');
      const s = await paused;
      expect((await c.topFrame(s.body.threadId!)).name).toBe('main');
    } finally {
      await c.finish();
      term?.kill();
    }
  });
});
