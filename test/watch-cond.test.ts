// Conditions, ignore counts and hit conditions on watchpoints against gdb 13 on the same fixture:
// `watch ticks if ticks > 5`, `ignore 2 3`, `condition 2 ...` (engine, and MI through the console and
// -break-condition / -break-after), gdb's error for unknown names, and DAP data breakpoints with a
// condition and a hitCondition.
import { fixture } from './helpers';
import { gdb } from './engine-helpers';
import { continues, gdbStops, ourLines, watchSessions } from './watch-helpers';
import { miTranscript } from './mi-client';
import { Client } from './dap-client';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

const program = fixture('watchscope');
const { stoppedAt } = watchSessions(program);
const atAccumulate = (): Promise<Session> => stoppedAt('accumulate');

async function sameStops(s: Session, gdbCmds: string[], n: number): Promise<void> {
  const g = gdbStops(gdb(program, [], ['break accumulate', 'run', ...gdbCmds, ...continues(n)]));
  expect(g.length).toBe(n);
  for (const gs of g) {
    const stop = await s.cont();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
}

test('watch ticks if ticks > 5: false triggers pass (the old value still moves on), as in gdb', async () => {
  const s = await atAccumulate();
  const w = await s.setWatchpoint({ expression: 'ticks', condition: 'ticks > 5' });
  expect(w.condition).toBe('ticks > 5');
  // The breakpoint at accumulate (n=3) comes first, then Old value = 5 / New value = 6.
  await sameStops(s, ['watch ticks if ticks > 5'], 3);
  expect(s.watchpoints()[0].hitCount).toBe(2);
  await s.kill();
});

test('ignore count 3, then a condition set afterwards (gdb ignore / condition)', async () => {
  const s = await atAccumulate();
  const w = await s.setWatchpoint({ expression: 'ticks', ignoreCount: 3 });
  await sameStops(s, ['watch ticks', 'ignore 2 3'], 1);
  expect(s.watchpoints()[0].hitCount).toBe(4);
  // updateBreakpoint works on a watch id (what MI's -break-condition uses).
  await s.updateBreakpoint(w.id, { condition: 'ticks == 6' });
  const g = gdbStops(gdb(program, [], ['break accumulate', 'run', 'watch ticks', 'ignore 2 3', 'continue', 'condition 2 ticks == 6', ...continues(2)]));
  for (const gs of g) {
    const stop = await s.cont();
    expect({ text: ourLines(stop), pc: stop.frame!.pc }).toEqual({ text: gs.text, pc: gs.pc });
  }
  await s.kill();
});

test('hit condition (DAP) and gdb errors for unknown names in a condition', async () => {
  const s = await atAccumulate();
  await expect(s.setWatchpoint({ expression: 'total', condition: 'nosuch > 1' })).rejects.toThrow('No symbol "nosuch" in current context.');
  await expect(s.setWatchpoint({ expression: 'total', hitCondition: 'lots' })).rejects.toThrow('Invalid hit condition');
  expect(s.watchpoints()).toEqual([]);
  const w = await s.setWatchpoint({ expression: 'ticks', hitCondition: '%3' });
  await expect(s.updateWatchpoint(w.id, { condition: 'nosuch' })).rejects.toThrow('No symbol "nosuch" in current context.');
  // Every third change: 2 -> 3 and 5 -> 6 (ticks counts 1..7).
  const a = await s.cont();
  expect(a.watchpoints![0]).toMatchObject({ oldValue: '2', newValue: '3' });
  const b = await s.cont();
  expect(b.reason).toBe('breakpoint');
  const c = await s.cont();
  expect(c.watchpoints![0]).toMatchObject({ oldValue: '5', newValue: '6' });
  await s.kill();
});

test('MI: console `watch X if C`, -break-condition and -break-after on a watch, as gdb', async () => {
  const cmds = [
    { cmd: '-break-insert accumulate' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-interpreter-exec console "watch ticks if ticks > 5"' },
    { cmd: '-break-delete 1' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-break-condition 2 ticks == 7' },
    { cmd: '-break-list' },
    { cmd: '-break-condition 2 nosuch' },
    { cmd: '-break-watch total' },
    { cmd: '-break-after 3 1' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
  ];
  const g = await miTranscript('gdb', ['--args', program], cmds);
  const b = await miTranscript('backstep', ['--args', program], cmds);
  const pick = (t: string[]) => t.filter((l) => !l.startsWith('*running') && !l.startsWith('=thread') && !l.startsWith('&"warning'));
  for (let i = 2; i < cmds.length; i++) expect({ cmd: cmds[i].cmd, out: pick(b[i]) }).toEqual({ cmd: cmds[i].cmd, out: pick(g[i]) });
});

test('DAP: a data breakpoint with a condition and a hitCondition', async () => {
  const c = new Client();
  await c.start();
  try {
    await c.launchWith({ program }, async (cl) => {
      await cl.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'accumulate' }] });
    });
    const s = await c.stopped('function breakpoint');
    const threadId = s.body.threadId!;
    const f = await c.topFrame(threadId);
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    const info = (await c.customRequest('dataBreakpointInfo', { name: 'ticks', frameId: f.id })).body;
    const set = (await c.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write', condition: 'ticks > 2', hitCondition: '2' }] })).body;
    expect(set.breakpoints[0].verified).toBe(true);
    // Changes with ticks > 2: 2->3 (hit 1), 3->4 (hit 2: the first stop), then every one after.
    for (const [o, n] of [
      ['3', '4'],
      ['4', '5'],
    ]) {
      const next = c.stopped();
      await c.continueRequest({ threadId });
      const ev = await next;
      expect(ev.body.reason).toBe('data breakpoint');
      expect(ev.body.description).toContain(`Old value = ${o}\nNew value = ${n}`);
    }
    const bad = (await c.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write', condition: 'nosuch' }] })).body;
    expect(bad.breakpoints[0]).toMatchObject({ verified: false, message: 'No symbol "nosuch" in current context.' });
  } finally {
    await c.finish();
  }
});
