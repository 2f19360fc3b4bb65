// A crash over DAP: the crash fixture dereferences NULL. The adapter stops with an 'exception' (SIGSEGV),
// exceptionInfo names the signal and fault address, the stack is gdb's, and continuing lets the signal
// kill the program (exit code 128+11, as a shell reports it). With the SIGSEGV filter off it just dies.
import { spawnSync } from 'child_process';
import { Client, gdb } from './dap-client';
import * as path from 'path';
import { fixture, ROOT } from './helpers';

jest.setTimeout(60000);

const CRASH = fixture('crash');

describe('DAP: a crashing program', () => {
  test('stops on SIGSEGV as an exception, like gdb; continuing ends it with the status the kernel gives', async () => {
    const g = gdb(['run', 'bt', 'python print("PC0 %d" % gdb.selected_frame().pc())'], CRASH);
    const received = /Program received signal SIGSEGV, (.*)\./.exec(g)!;
    const gframes = [...g.matchAll(/^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(.*\) at \S+:(\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: CRASH });
      const s = await c.stopped('exception');
      expect(s.body.text).toBe('SIGSEGV');
      expect(s.body.description).toContain(received[1]);
      const threadId = s.body.threadId!;
      const info = await c.exceptionInfoRequest({ threadId });
      expect(info.body.exceptionId).toBe('SIGSEGV');
      expect(info.body.description).toContain(received[1]);
      expect(info.body.description).toContain('at address 0x0');
      expect(info.body.breakMode).toBe('always');
      const st = await c.stackTraceRequest({ threadId });
      expect(st.body.stackFrames.slice(0, 2).map((f) => [f.name, f.line])).toEqual(gframes.slice(0, 2));
      expect(Number(st.body.stackFrames[0].instructionPointerReference)).toBe(Number(/PC0 (\d+)/.exec(g)![1]));
      // The program's own output came through before the crash.
      expect(c.stdoutText).toBe('about to crash\n');
      const exited = c.nextEvent('exited');
      await c.continueRequest({ threadId });
      const native = spawnSync(CRASH);
      expect(native.signal).toBe('SIGSEGV');
      expect((await exited).body.exitCode).toBe(128 + 11);
      expect(c.consoleText).toContain('Program terminated with signal SIGSEGV, Segmentation fault.');
    } finally {
      await c.finish();
    }
  });

  test('with the SIGSEGV exception filter off the program dies without stopping', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: CRASH }, async (cl) => {
        await cl.setExceptionBreakpointsRequest({ filters: ['SIGABRT', 'SIGFPE'] });
      });
      const exited = await c.nextEvent('exited', () => true, 15000, 0);
      expect(exited.body.exitCode).toBe(128 + 11);
      expect(c.events.some((e) => e.event === 'stopped')).toBe(false);
      await expect(c.setExceptionBreakpointsRequest({ filters: ['bogus'] })).rejects.toThrow(/Unknown exception filter 'bogus'/);
    } finally {
      await c.finish();
    }
  });

  test('noDebug (Run Without Debugging): no stop, even on the crash; breakpoints are not set', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: CRASH, noDebug: true, stopOnEntry: true }, async (cl) => {
        const r = await cl.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'crash.c') }, breakpoints: [{ line: 8 }] });
        expect(r.body.breakpoints[0].verified).toBe(false);
      });
      const exited = await c.nextEvent('exited', () => true, 15000, 0);
      expect(exited.body.exitCode).toBe(128 + 11);
      expect(c.events.some((e) => e.event === 'stopped')).toBe(false);
      expect(c.stdoutText).toBe('about to crash\n');
    } finally {
      await c.finish();
    }
  });
});
