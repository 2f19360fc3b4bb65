// Watches across a new process: `run` again keeps the watch on a global and deletes the one on a local
// (gdb 13 on the same fixture is the oracle), and a restarted checkpoint (a fork: no debug registers of
// its own) triggers the watch again at the same place as the first time (gdb cannot checkpoint on this
// machine: the first pass of the same session is the oracle, and gdb's stop for the same watch).
import { fixture } from './helpers';
import { gdb } from './engine-helpers';
import { continues, gdbStops, ourLines, watchSessions } from './watch-helpers';
import type { Session } from '../src/engine/session';
import { miTranscript } from './mi-client';

jest.setTimeout(120000);

const program = fixture('watchscope');
const { stoppedAt } = watchSessions(program);
const atAccumulate = (): Promise<Session> => stoppedAt('accumulate');

test('run again: the watch on a global is kept and inserted in the new process, the local one is deleted', async () => {
  const g = gdbStops(gdb(program, [], ['break accumulate', 'run', 'watch total', 'watch sum', 'run', 'info watchpoints', ...continues(2)]));
  expect(g.map((x) => x.text[0].split(',')[0])).toEqual(['Hardware watchpoint 2: total', 'Breakpoint 1']);
  const s = await atAccumulate();
  const total = await s.setWatchpoint({ expression: 'total' });
  await s.setWatchpoint({ expression: 'sum' });
  const again = await s.restart();
  expect(again.reason).toBe('breakpoint');
  expect(s.watchpoints().map((w) => w.id)).toEqual([total.id]);
  for (const gs of g) {
    const stop = await s.cont();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  await s.kill();
});

test('restarting a checkpoint: the debug registers are set in the copy, the watch fires again', async () => {
  const g = gdbStops(gdb(program, [], ['break accumulate', 'run', 'watch total', ...continues(1)]));
  const s = await atAccumulate();
  const ck = await s.checkpoint();
  const w = await s.setWatchpoint({ expression: 'total' });
  const first = await s.cont();
  expect({ text: ourLines(first).map((l) => l.replace(`watchpoint ${w.id}:`, 'watchpoint 2:')), pc: first.frame!.pc }).toEqual({ text: g[0].text, pc: g[0].pc });
  // Run on past the write, then go back to before it.
  expect((await s.cont()).reason).toBe('breakpoint');
  const back = await s.restartCheckpoint(ck.id);
  expect(back.reason).toBe('checkpoint');
  expect(s.watchpoints()[0].value).toBe('0');
  const second = await s.cont();
  expect(second.reason).toBe('watchpoint');
  expect({ text: ourLines(second), pc: second.frame!.pc }).toEqual({ text: ourLines(first), pc: first.frame!.pc });
  // A software watch is re-armed too (single-stepping the copy).
  await s.removeWatchpoint(w.id);
  const big = await s.setWatchpoint({ expression: 'big' });
  expect(big.software).toBe(true);
  const back2 = await s.restartCheckpoint(ck.id);
  expect(back2.reason).toBe('checkpoint');
  const sw = await s.cont();
  expect(sw.reason).toBe('breakpoint'); // accumulate (n=3) comes before big changes
  const change = await s.cont();
  expect(change.watchpoints![0]).toMatchObject({ id: big.id, software: true, newValue: '{cells = {0, 0, 0, 0, 0, 9, 0 <repeats 18 times>}}' });
  await s.kill();
});

test('MI: -exec-run again deletes the watch on a local (=breakpoint-deleted before ^running), keeps the global one', async () => {
  const cmds = [
    { cmd: '-break-insert accumulate' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-break-watch sum' },
    { cmd: '-break-watch total' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-break-list' },
    { cmd: '-exec-continue', stop: true },
  ];
  const g = await miTranscript('gdb', ['--args', program], cmds);
  const b = await miTranscript('backstep', ['--args', program], cmds);
  const deleted = (t: string[]) => t.filter((l) => /^=breakpoint-deleted|^\^running/.test(l));
  expect(deleted(b[4])).toEqual(deleted(g[4]));
  expect(deleted(g[4])).toEqual(['=breakpoint-deleted,id="2"', '^running']);
  // The table: the breakpoint and watch 3 (hit counts aside).
  const rows = (t: string[]) => (t.find((l) => l.startsWith('^done,BreakpointTable')) ?? '').replace(/times="\d+"/g, '');
  expect(rows(b[5])).toEqual(rows(g[5]));
  const stops = (t: string[]) => t.filter((l) => l.startsWith('*stopped') || l.startsWith('~'));
  expect(stops(b[6])).toEqual(stops(g[6]));
});
