// DAP `gotoTargets` + `goto` (VS Code's "Jump to Cursor"; gdb's `jump` without the resume): the target
// address of a line is gdb's (`info line`), the program goes on from there as it does after gdb's
// `jump` (same values, same output and exit code), and a line in another function is refused with
// the first sentence of gdb's own question.
import * as path from 'path';
import { Client, gdb, gdbValues, launchToBreakpoint, StoppedSession } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(90000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');

describe('DAP goto (gdb jump)', () => {
  let s: StoppedSession;

  beforeAll(async () => {
    s = await launchToBreakpoint(LOOP, LOOP_C, 22, { args: ['3'] });
  });
  afterAll(async () => {
    await s?.c.finish();
  });

  test('jumping back to line 18 re-runs the loop, as gdb `jump 18` does', async () => {
    const { c, threadId } = s;
    // gdb: where line 18 starts, and what the program does after `jump 18`.
    const g = gdb(['break 22', 'run', 'info line 18', 'tbreak 18', 'jump 18', 'p $pc', 'continue', 'p counter', 'p total', 'continue'], LOOP, ['3']);
    const start = Number(/Line 18 of "[^"]+" starts at address (0x[0-9a-f]+)/.exec(g)![1]);
    const [pcAfterJump, counter, total] = gdbValues(g);
    expect(pcAfterJump).toMatch(new RegExp(`0x${start.toString(16)} <main\\+\\d+>$`));
    const exit = Number(/exited with code (\d+)/.exec(g)![1]); // octal in gdb's message
    const gdbOut = /total=\d+ counter=\d+/.exec(g)![0];

    const t = await c.customRequest('gotoTargets', { source: { path: LOOP_C }, line: 18 });
    expect(t.body.targets.length).toBe(1);
    const target = t.body.targets[0];
    expect(target.line).toBe(18);
    expect(Number(target.instructionPointerReference)).toBe(start);
    expect(target.label).toBe('loop.c:18 (main)');

    const since = c.events.length;
    const goto = c.customRequest('goto', { threadId, targetId: target.id });
    const stop = await c.nextEvent('stopped', () => true, 15000, since);
    await goto;
    expect(stop.body.reason).toBe('goto');
    expect(stop.body.threadId).toBe(threadId);
    // The response came before the stopped event.
    const f = await c.topFrame(threadId);
    expect([f.name, f.line, Number(f.instructionPointerReference)]).toEqual(['main', 18, start]);

    // Continue: the loop runs again and the breakpoint at 22 is hit with gdb's values.
    const again = c.stopped('breakpoint');
    await c.continueRequest({ threadId });
    await again;
    const f2 = await c.topFrame(threadId);
    expect(f2.line).toBe(22);
    const ev = async (e: string) => (await c.evaluateRequest({ expression: e, frameId: f2.id, context: 'watch' })).body.result;
    expect([await ev('counter'), await ev('total')]).toEqual([counter, total]);
    const exited = c.nextEvent('exited');
    await c.continueRequest({ threadId });
    expect((await exited).body.exitCode).toBe(parseInt(String(exit), 8));
    await c.nextEvent('terminated', () => true, 15000, since);
    expect(c.stdoutText).toContain(gdbOut);
  });
});

describe('DAP goto errors', () => {
  test('a line of another function is refused (gdb asks "Jump anyway?"); the pc stays; bad targets are errors', async () => {
    const s = await launchToBreakpoint(LOOP, LOOP_C, 22, { args: ['3'] });
    try {
      const { c, threadId } = s;
      const g = gdb(['set confirm on', 'break 22', 'run', 'jump 11'], LOOP, ['3']);
      const question = /(Line 11 is not in `main'\.)  Jump anyway\?/.exec(g);
      expect(question).not.toBeNull();
      const t = await c.customRequest('gotoTargets', { source: { path: LOOP_C }, line: 11 });
      expect(t.body.targets[0].label).toBe('loop.c:11 (hot)');
      await expect(c.customRequest('goto', { threadId, targetId: t.body.targets[0].id })).rejects.toThrow(question![1]);
      const f = await c.topFrame(threadId);
      expect([f.name, f.line]).toEqual(['main', 22]);
      await expect(c.customRequest('goto', { threadId, targetId: 9999 })).rejects.toThrow(/Unknown goto target 9999/);
      // A line whose code is in several pieces (the for header): the address gdb's `jump 19` goes to.
      const g19 = gdb(['break 22', 'run', 'tbreak 19', 'jump 19', 'p $pc'], LOOP, ['3']);
      const at19 = Number(/Temporary breakpoint 2 at (0x[0-9a-f]+): file .*, line 19\./.exec(g19)![1]);
      expect(gdbValues(g19)[0]).toContain(`0x${at19.toString(16)} <main+`);
      const t19 = await c.customRequest('gotoTargets', { source: { path: LOOP_C }, line: 19 });
      expect(t19.body.targets.map((x: { instructionPointerReference: string }) => Number(x.instructionPointerReference))).toEqual([at19]);
      await expect(c.customRequest('gotoTargets', { source: { path: LOOP_C }, line: 500 })).rejects.toThrow(/500/);
      await expect(c.customRequest('gotoTargets', { source: { path: '/nonexistent/x.c' }, line: 3 })).rejects.toThrow(/No source file named/);
      // The session still works: the program ends as it would have.
      const exited = c.nextEvent('exited');
      await c.continueRequest({ threadId });
      expect((await exited).body.exitCode).toBe(9);
    } finally {
      await s.c.finish();
    }
  });

  test('capabilities announce goto targets', async () => {
    const c = new Client();
    await c.start();
    try {
      const r = await c.initializeRequest({ adapterID: 'backstep', pathFormat: 'path' });
      expect(r.body?.supportsGotoTargetsRequest).toBe(true);
    } finally {
      await c.stop();
    }
  });
});
