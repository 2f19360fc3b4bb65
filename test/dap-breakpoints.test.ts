// Breakpoint kinds over DAP on the loop fixture: conditions, hit conditions, logpoints, function and
// instruction breakpoints, changes while the program runs, and a missing source file; compared with gdb's
// break/ignore/dprintf on the same program.
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Client, gdb, gdbValues } from './dap-client';
import { fixture, nmAddress, ROOT } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');
/** PIE executables load at this address with ASLR disabled (gdb's default, and ours). */
const PIE_BASE = 0x555555554000;

/** Runs to completion, collecting x at each stop. */
async function collectStops(c: Client, threadId: number, limit = 20): Promise<string[]> {
  const xs: string[] = [];
  for (let i = 0; i < limit; i++) {
    const since = c.events.length;
    const next = Promise.race([c.stopped(), c.nextEvent('exited', () => true, 15000, since)]);
    await c.continueRequest({ threadId });
    const ev = await next;
    if (ev.event === 'exited') return xs;
    const f = await c.topFrame(threadId);
    xs.push((await c.evaluateRequest({ expression: 'x', frameId: f.id, context: 'watch' })).body.result);
  }
  throw new Error('too many stops');
}

describe('DAP breakpoints (gdb as oracle)', () => {
  test('condition: stops where gdb does, with the same state', async () => {
    const [gx, gcounter] = gdbValues(gdb(['break loop.c:11 if x == 5', 'run', 'p x', 'p counter'], LOOP));
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP }, async (cl) => {
        const r = await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11, condition: 'x == 5' }] });
        expect(r.body.breakpoints[0].verified).toBe(true);
      });
      const s = await c.stopped('breakpoint');
      const f = await c.topFrame(s.body.threadId!);
      expect(f.line).toBe(11);
      expect((await c.evaluateRequest({ expression: 'x', frameId: f.id, context: 'watch' })).body.result).toBe(gx);
      expect((await c.evaluateRequest({ expression: 'counter', frameId: f.id, context: 'watch' })).body.result).toBe(gcounter);
      // No other hit satisfies the condition: the program runs to its end.
      expect(await collectStops(c, s.body.threadId!)).toEqual([]);
    } finally {
      await c.finish();
    }
  });

  test('hit conditions: "3" stops from the 3rd hit on, "%4" every 4th hit', async () => {
    // gdb: ignore the first two hits, then stop at every hit (x = 2, 3, ...); x at every 4th hit: 3, 7.
    const ignoring = gdbValues(gdb(['break loop.c:11', 'ignore 1 2', 'run', 'p x', 'continue', 'p x'], LOOP, ['5']));
    const c = new Client();
    await c.start();
    try {
      let id = 0;
      await c.launchWith({ program: LOOP, args: ['5'] }, async (cl) => {
        id = (await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11, hitCondition: '3' }] })).body.breakpoints[0].id!;
      });
      const s = await c.stopped('breakpoint');
      expect(s.body.hitBreakpointIds).toEqual([id]);
      const threadId = s.body.threadId!;
      const f = await c.topFrame(threadId);
      const first = (await c.evaluateRequest({ expression: 'x', frameId: f.id, context: 'watch' })).body.result;
      const rest = await collectStops(c, threadId);
      expect([first, ...rest].slice(0, 2)).toEqual(ignoring);
      expect([first, ...rest]).toEqual(['2', '3', '4']);
    } finally {
      await c.finish();
    }
    const c2 = new Client();
    await c2.start();
    try {
      await c2.launchWith({ program: LOOP, args: ['10'] }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11, hitCondition: '%4' }] });
      });
      const s = await c2.stopped('breakpoint');
      const f = await c2.topFrame(s.body.threadId!);
      const first = (await c2.evaluateRequest({ expression: 'x', frameId: f.id, context: 'watch' })).body.result;
      expect([first, ...(await collectStops(c2, s.body.threadId!))]).toEqual(['3', '7']);
    } finally {
      await c2.finish();
    }
  });

  test('logpoints print what gdb dprintf prints, without stopping', async () => {
    const expected = gdb(['dprintf loop.c:11,"x=%d counter=%d\\n",x,counter', 'run'], LOOP, ['4'])
      .split('\n')
      .filter((l) => l.startsWith('x='));
    expect(expected.length).toBe(4);
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['4'] }, async (cl) => {
        const r = await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11, logMessage: 'x={x} counter={counter}' }] });
        expect(r.body.breakpoints[0].verified).toBe(true);
      });
      await c.nextEvent('exited', () => true, 20000, 0);
      expect(c.events.some((e) => e.event === 'stopped')).toBe(false);
      const logged = c.consoleText.split('\n').filter((l) => l.startsWith('x='));
      expect(logged).toEqual(expected);
    } finally {
      await c.finish();
    }
  });

  test('function and instruction breakpoints report their kinds; removal takes effect', async () => {
    const gdbLine = Number(/file .*, line (\d+)\./.exec(gdb(['break hot'], LOOP))![1]);
    const hot = PIE_BASE + nmAddress(LOOP, 'hot');
    const c = new Client();
    await c.start();
    try {
      let fnId = 0;
      await c.launchWith({ program: LOOP, args: ['3'] }, async (cl) => {
        const r = await cl.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hot' }, { name: 'no_such_function' }] });
        fnId = r.body.breakpoints[0].id!;
        expect(r.body.breakpoints[0].verified).toBe(true);
        expect(r.body.breakpoints[0].line).toBe(gdbLine);
        expect(r.body.breakpoints[1].verified).toBe(false);
        expect(r.body.breakpoints[1].message).toMatch(/no_such_function/);
      });
      const s = await c.stopped();
      expect(s.body.reason).toBe('function breakpoint');
      expect(s.body.hitBreakpointIds).toEqual([fnId]);
      const threadId = s.body.threadId!;
      const f = await c.topFrame(threadId);
      expect([f.name, f.line]).toEqual(['hot', gdbLine]);
      // Swap the function breakpoint for an instruction breakpoint at hot's first byte.
      await c.setFunctionBreakpointsRequest({ breakpoints: [] });
      const ir = await c.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x' + hot.toString(16) }] });
      expect(ir.body.breakpoints[0].verified).toBe(true);
      const stopped = c.stopped();
      await c.continueRequest({ threadId });
      const s2 = await stopped;
      expect(s2.body.reason).toBe('instruction breakpoint');
      expect(Number((await c.topFrame(threadId)).instructionPointerReference)).toBe(hot);
      await c.customRequest('setInstructionBreakpoints', { breakpoints: [] });
      const exited = c.nextEvent('exited');
      await c.continueRequest({ threadId });
      await exited;
    } finally {
      await c.finish();
    }
  });

  test('a breakpoint added while the program runs is inserted and hit', async () => {
    const c = new Client();
    await c.start();
    try {
      // spin loops on line 11 forever.
      await c.launchWith({ program: fixture('spin') });
      await c.nextEvent('process', () => true, 15000, 0);
      await new Promise((r) => setTimeout(r, 200));
      const since = c.events.length;
      const r = await c.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'spin.c') }, breakpoints: [{ line: 11 }] });
      expect(r.body.breakpoints[0].verified).toBe(true);
      // The hit is reported after the response (events are held until it is sent).
      const s = (await c.nextEvent('stopped', (e) => e.body.reason === 'breakpoint', 15000, since)) as DebugProtocol.StoppedEvent;
      expect(s.body.hitBreakpointIds).toEqual([r.body.breakpoints[0].id]);
      const f = await c.topFrame(s.body.threadId!);
      expect([f.name, f.line]).toEqual(['main', 11]);
      // The internal pause that inserted it was not reported.
      expect(c.events.filter((e) => e.event === 'stopped').length).toBe(1);
    } finally {
      await c.finish();
    }
  });

  test('a breakpoint in a shared library is pending until the library loads, then verified by an event', async () => {
    const uselib = fixture('uselib');
    const libC = path.join(ROOT, 'fixtures', 'src', 'libshape.c');
    const g = gdb(['set breakpoint pending on', 'break libshape.c:6', 'run', 'p w', 'p h', 'info breakpoints'], uselib);
    const [w, h] = gdbValues(g);
    const c = new Client();
    await c.start();
    try {
      let bp: { id?: number; verified: boolean; line?: number } = { verified: true };
      await c.launchWith({ program: uselib, cwd: path.dirname(uselib) }, async (cl) => {
        const r = await cl.setBreakpointsRequest({ source: { path: libC }, breakpoints: [{ line: 6 }] });
        bp = r.body.breakpoints[0];
      });
      // libshape.so is not loaded before the program runs.
      expect(bp.verified).toBe(false);
      const changed = await c.nextEvent('breakpoint', (e) => e.body.breakpoint.id === bp.id && e.body.breakpoint.verified, 15000, 0);
      expect(changed.body.reason).toBe('changed');
      expect(changed.body.breakpoint.line).toBe(6);
      const s = await c.stopped('breakpoint');
      expect(s.body.hitBreakpointIds).toEqual([bp.id]);
      const f = await c.topFrame(s.body.threadId!);
      expect([f.name, f.line, f.source?.path]).toEqual(['shape_area', 6, libC]);
      const args = await c.scopeVars(f.id, 'Arguments');
      expect([args.get('w')?.value, args.get('h')?.value]).toEqual([w, h]);
    } finally {
      await c.finish();
    }
  });

  test('a breakpoint set from the debug console reaches the client as a new breakpoint', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['3'], stopOnEntry: true });
      const s = await c.stopped('entry');
      const f = await c.topFrame(s.body.threadId!);
      const out = await c.repl('break hot', f.id);
      const gdbOut = /Breakpoint 1 at 0x[0-9a-f]+: file (\S+), line (\d+)\./.exec(gdb(['break hot', 'run', 'info breakpoints'], LOOP))!;
      expect(out).toMatch(new RegExp(`^Breakpoint (\\d+) at 0x[0-9a-f]+: file ${gdbOut[1].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, line ${gdbOut[2]}\\.$`));
      const ev = await c.nextEvent('breakpoint', (e) => e.body.reason === 'new', 5000, 0);
      expect(ev.body.breakpoint.line).toBe(Number(gdbOut[2]));
      expect(ev.body.breakpoint.verified).toBe(true);
      const stopped = c.stopped('breakpoint');
      await c.continueRequest({ threadId: s.body.threadId! });
      expect((await stopped).body.hitBreakpointIds).toEqual([ev.body.breakpoint.id]);
    } finally {
      await c.finish();
    }
  });

  test('setBreakpoints on a source file that does not exist: error response naming the file', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, stopOnEntry: true }, async (cl) => {
        await expect(cl.setBreakpointsRequest({ source: { path: '/no/such/file.c' }, breakpoints: [{ line: 3 }] })).rejects.toThrow('No source file named /no/such/file.c.');
      });
      const s = await c.stopped('entry');
      expect((await c.topFrame(s.body.threadId!)).name).toBe('main');
    } finally {
      await c.finish();
    }
  });
});
