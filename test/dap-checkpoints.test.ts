// Checkpoints and reverse execution over DAP: the custom requests (checkpoint, checkpoints,
// restartCheckpoint, deleteCheckpoint), the console commands (checkpoint, info checkpoints, restart N,
// delete checkpoint N), and stepBack/reverseContinue for a launch with reverseDebugging.
// Oracles: the program state gdb shows at the same breakpoint hits (gdb 13's own `restart` hits an
// internal error here, so it is not run), the kernel (the checkpoint pid exists, and is gone after
// delete), and gdb `record full` with reverse-next / reverse-stepi for stepping back.
import * as path from 'path';
import { Client, gdb, gdbValues } from './dap-client';
import { fixture, isGoneOrZombie, ROOT, waitUntil } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');

async function value(c: Client, threadId: number, expr: string): Promise<string> {
  const f = await c.topFrame(threadId);
  return (await c.evaluateRequest({ expression: expr, frameId: f.id, context: 'watch' })).body.result;
}

describe('DAP checkpoints', () => {
  test('custom requests: take, list, restart (state goes back), delete', async () => {
    // gdb's state at the first and second hit of the breakpoint.
    const [x0, c0, x1, c1] = gdbValues(gdb(['break loop.c:11', 'run', 'p x', 'p counter', 'continue', 'p x', 'p counter'], LOOP, ['4']));
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['4'] }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11 }] });
      });
      const s = await c.stopped('breakpoint');
      const threadId = s.body.threadId!;
      expect([await value(c, threadId, 'x'), await value(c, threadId, 'counter')]).toEqual([x0, c0]);
      const ck = await c.customRequest('checkpoint', {});
      const id = ck.body.checkpoint.id as number;
      const ckPid = ck.body.checkpoint.pid as number;
      expect(ck.body.message).toBe(`checkpoint ${id}: fork returned pid ${ckPid}.`);
      expect(isGoneOrZombie(ckPid)).toBe(false);
      const list = (await c.customRequest('checkpoints', {})).body.checkpoints as { id: number; line?: number; current: boolean }[];
      expect(list.find((k) => k.id === id)?.line).toBe(11);
      // Run to the next hit: the program moved on.
      const next = c.stopped('breakpoint');
      await c.continueRequest({ threadId });
      await next;
      expect([await value(c, threadId, 'x'), await value(c, threadId, 'counter')]).toEqual([x1, c1]);
      const second = (await c.customRequest('checkpoint', {})).body.checkpoint as { id: number; pid: number };
      // Back to the checkpoint: the old values.
      const back = c.stopped();
      const r = await c.customRequest('restartCheckpoint', { id });
      expect(typeof r.body.description).toBe('string');
      const sb = await back;
      const tid = sb.body.threadId!;
      expect([await value(c, tid, 'x'), await value(c, tid, 'counter')]).toEqual([x0, c0]);
      expect((await c.topFrame(tid)).line).toBe(11);
      await expect(c.customRequest('restartCheckpoint', { id: 99 })).rejects.toThrow(/99/);
      // Delete the second checkpoint: its frozen process is gone.
      expect(isGoneOrZombie(second.pid)).toBe(false);
      await c.customRequest('deleteCheckpoint', { id: second.id });
      await waitUntil(() => isGoneOrZombie(second.pid), 5000, 'deleted checkpoint process gone');
      const after = (await c.customRequest('checkpoints', {})).body.checkpoints as { id: number }[];
      expect(after.some((k) => k.id === second.id)).toBe(false);
      await expect(c.customRequest('deleteCheckpoint', { id: second.id })).rejects.toThrow(new RegExp(String(second.id)));
    } finally {
      await c.finish();
    }
  });

  test('console commands: checkpoint, info checkpoints, restart N, delete checkpoint N', async () => {
    const [c0] = gdbValues(gdb(['break loop.c:11', 'run', 'p counter'], LOOP, ['4']));
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['4'] }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11 }] });
      });
      const s = await c.stopped('breakpoint');
      const threadId = s.body.threadId!;
      const f = await c.topFrame(threadId);
      const made = await c.repl('checkpoint', f.id);
      const m = /^checkpoint (\d+): fork returned pid (\d+)\.$/.exec(made);
      expect(m).not.toBeNull();
      const info = await c.repl('info checkpoints', f.id);
      // gdb's layout: "* 0 ... (main process) ..." then "  1 process PID at 0x..., file loop.c, line 11".
      expect(info).toMatch(new RegExp(`^  ${m![1]} process ${m![2]} at 0x[0-9a-f]+, file .*loop\\.c, line 11$`, 'm'));
      expect(info).toMatch(/^\* 0 /m);
      const next = c.stopped('breakpoint');
      await c.continueRequest({ threadId });
      await next;
      const stopped = c.stopped();
      const out = await c.repl(`restart ${m![1]}`, (await c.topFrame(threadId)).id);
      expect(out).toMatch(/^Switching to process \d+/);
      const sb = await stopped;
      expect(await value(c, sb.body.threadId!, 'counter')).toBe(c0);
      await expect(c.repl('restart 42', (await c.topFrame(sb.body.threadId!)).id)).rejects.toThrow(/42/);
      const list = await c.repl('info checkpoints', (await c.topFrame(sb.body.threadId!)).id);
      const other = /^ {2}(\d+) process (\d+)/m.exec(list);
      expect(other).not.toBeNull();
      expect(await c.repl(`delete checkpoint ${other![1]}`, (await c.topFrame(sb.body.threadId!)).id)).toBe(`Killed checkpoint ${other![1]}.`);
      await waitUntil(() => isGoneOrZombie(Number(other![2])), 5000, 'checkpoint process gone');
    } finally {
      await c.finish();
    }
  });
});

describe('DAP reverse execution (reverseDebugging: true)', () => {
  test('stepBack and stepBack by instruction land where gdb record full does', async () => {
    const def = 'python def L(): f=gdb.selected_frame(); print("AT %s %d %d" % (f.name(), f.find_sal().line, f.pc()))';
    const out = gdb(['break loop.c:11', 'run', 'record full', def, 'next', 'next', 'python L()', 'reverse-next', 'python L()', 'reverse-stepi', 'python L()'], LOOP, ['3']);
    const at = [...out.matchAll(/^AT (\S+) (\d+) (\d+)$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['3'], reverseDebugging: true }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11 }] });
      });
      expect(c.events.find((e) => e.event === 'capabilities')?.body.capabilities.supportsStepBack).toBe(true);
      const s = await c.stopped('breakpoint');
      const threadId = s.body.threadId!;
      const mine: (string | number)[][] = [];
      const where = async () => {
        const f = await c.topFrame(threadId);
        return [f.name, f.line, Number(f.instructionPointerReference)];
      };
      const run = async (cmd: string, args: Record<string, unknown> = {}) => {
        const st = c.stopped();
        await c.customRequest(cmd, { threadId, ...args });
        await st;
      };
      await run('next');
      await run('next');
      mine.push(await where());
      await run('stepBack');
      mine.push(await where());
      await run('stepBack', { granularity: 'instruction' });
      mine.push(await where());
      expect(mine).toEqual(at);
    } finally {
      await c.finish();
    }
  });

  test('without reverseDebugging, stepBack is refused with a clear message', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP, args: ['3'], stopOnEntry: true });
      const s = await c.stopped('entry');
      await expect(c.customRequest('stepBack', { threadId: s.body.threadId })).rejects.toThrow(/record/i);
      expect((await c.topFrame(s.body.threadId!)).name).toBe('main');
    } finally {
      await c.finish();
    }
  });
});
