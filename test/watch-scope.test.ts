// Watches on locals deleted when their frame returns, against gdb 13 on the same fixture: the stops
// before, the watchpoint-scope stop at the caller right after the return (gdb's message, pc, line),
// recursion (a deeper call returning to the same address does not end the watch), and MI's
// *stopped,reason="watchpoint-scope" record and =breakpoint-deleted.
import { fixture } from './helpers';
import { gdb } from './engine-helpers';
import { continues, gdbStops, ourLines, watchSessions } from './watch-helpers';
import { miTranscript } from './mi-client';

jest.setTimeout(120000);

const program = fixture('watchscope');
const { session } = watchSessions(program);

test('a watch on a local: same stops as gdb, then deleted at the caller when accumulate returns', async () => {
  const cmds = ['break accumulate', 'run', 'watch sum', ...continues(5)];
  const g = gdbStops(gdb(program, [], cmds));
  expect(g.length).toBe(5);
  expect(g[3].text[0]).toBe('Watchpoint 2 deleted because the program has left the block in');
  expect(g[4].text[0]).toBe('Breakpoint 1, accumulate (n=3) at ' + g[4].text[0].split(' at ')[1]);
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: 'accumulate' });
  const first = await s.launch({ program, stdio: 'pipe' });
  expect(first.reason).toBe('breakpoint');
  const w = await s.setWatchpoint({ expression: 'sum' });
  expect(w.scoped).toBe(true);
  expect(w.id).toBe(2);
  for (const gs of g) {
    const stop = await s.cont();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line, func: stop.frame!.function }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line, func: gs.func });
    if (stop.reason === 'watchpoint-scope') {
      expect(stop.breakpointIds).toEqual([w.id]);
      expect(s.watchpoints()).toEqual([]);
    }
  }
  const reasons = g.map((x) => x.text[0].split(' ')[0]);
  expect(reasons).toEqual(['Hardware', 'Hardware', 'Hardware', 'Watchpoint', 'Breakpoint']);
});

test('recursion: the watch on mark of depth 1 survives the return of depth 0 to the same address', async () => {
  const cmds = ['break recurse if depth == 1', 'run', 'watch mark', ...continues(4)];
  const g = gdbStops(gdb(program, [], cmds));
  expect(g.length).toBe(4);
  expect(g[3].text[0]).toMatch(/^Watchpoint 2 deleted/);
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: 'recurse', condition: 'depth == 1' });
  const first = await s.launch({ program, stdio: 'pipe' });
  expect(first.reason).toBe('breakpoint');
  await s.setWatchpoint({ expression: 'mark' });
  for (const gs of g) {
    const stop = await s.cont();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  // The scope stop is in depth 2's frame (gdb prints it without an address: the pc starts a line-table row).
  const end = await s.cont();
  expect(end.reason).toBe('exited');
});

test('a watch on a global is not scoped, a watch on a local shadowing nothing is', async () => {
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: 'accumulate' });
  await s.launch({ program, stdio: 'pipe' });
  const g = await s.setWatchpoint({ expression: 'total' });
  expect(g.scoped).toBe(false);
  const l = await s.setWatchpoint({ expression: 'n' });
  expect(l.scoped).toBe(true);
  // The global watch lives on after accumulate returns.
  const stop = await s.cont();
  expect(stop.reason).toBe('watchpoint');
  expect(stop.watchpoints![0]).toMatchObject({ id: g.id, oldValue: '0', newValue: '6' });
  const scope = await s.cont();
  expect(scope.reason).toBe('watchpoint-scope');
  expect(scope.breakpointIds).toEqual([l.id]);
  expect(s.watchpoints().map((w) => w.id)).toEqual([g.id]);
  await s.kill();
});

test('next out of the function stops at the caller with the scope message, as gdb; finish too', async () => {
  const g = gdbStops(gdb(program, [], ['break 22', 'run', 'watch sum', 'delete 1', 'next', 'echo @@C\\n', 'next', 'POS', 'echo @@C\\n', 'next', 'POS']));
  expect(g.length).toBe(2);
  expect(g[0].text[0]).toMatch(/^Watchpoint 2 deleted because/);
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '22' });
  await s.launch({ program, stdio: 'pipe' });
  await s.setWatchpoint({ expression: 'sum' });
  await s.removeBreakpoint(1);
  expect((await s.next()).frame!.line).toBe(23);
  for (const gs of g) {
    const stop = await s.next();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  await s.kill();
});

test('finish out of the watched frame: gdb reports the scope end and the finish together', async () => {
  const out = gdb(program, [], ['break 21', 'run', 'watch sum', 'delete 1', 'finish', 'POS']);
  // ("Run till exit from ..." goes to gdb's stderr.)
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Watchpoint 2 deleted')) - 1;
  expect(lines.slice(at + 1, at + 3)).toEqual(['Watchpoint 2 deleted because the program has left the block in', 'which its expression is valid.']);
  const frameLine = lines[at + 3];
  const value = lines.find((l) => l.startsWith('Value returned is '))!;
  const pos = lines.find((l) => l.startsWith('@@P|'))!.split('|');
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '21' });
  await s.launch({ program, stdio: 'pipe' });
  const w = await s.setWatchpoint({ expression: 'sum' });
  await s.removeBreakpoint(1);
  const fin = await s.finish();
  expect(fin.reason).toBe('finish');
  expect(fin.watchScopeDeleted).toEqual([w.id]);
  expect(fin.description.split('\n').slice(1, 4)).toEqual(lines.slice(at + 1, at + 3).concat([frameLine]));
  expect(fin.frame!.pc).toBe(Number(pos[4]));
  expect(`Value returned is $1 = ${fin.returnValue!.value}`).toBe(value);
  expect(s.watchpoints()).toEqual([]);
  await s.kill();
});

test('MI: *stopped,reason="watchpoint-scope",wpnum and =breakpoint-deleted as gdb', async () => {
  const cmds = [
    { cmd: '-break-insert accumulate' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-break-watch sum' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-break-list' },
  ];
  const g = await miTranscript('gdb', ['--args', program], cmds);
  const b = await miTranscript('backstep', ['--args', program], cmds);
  const pick = (t: string[]) => t.filter((l) => l.startsWith('*stopped') || l.startsWith('~') || l.startsWith('=breakpoint-deleted'));
  for (const i of [3, 4, 5, 6]) expect({ i, out: pick(b[i]) }).toEqual({ i, out: pick(g[i]) });
  expect(g[6].some((l) => l.startsWith('*stopped,reason="watchpoint-scope",wpnum="2",frame={'))).toBe(true);
  // The watch is gone from the table.
  expect(b[7].join('\n')).not.toContain('sum');
});

test('MI: -exec-finish out of the watched frame: reason="watchpoint-scope",wpnum,reason="function-finished" as gdb', async () => {
  const cmds = [
    { cmd: '-break-insert 21' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-break-watch sum' },
    { cmd: '-break-delete 1' },
    { cmd: '-exec-finish', stop: true },
  ];
  const g = await miTranscript('gdb', ['--args', program], cmds);
  const b = await miTranscript('backstep', ['--args', program], cmds);
  const pick = (t: string[]) => t.filter((l) => l.startsWith('*stopped') || l.startsWith('~') || l.startsWith('=breakpoint-deleted'));
  expect(pick(b[4])).toEqual(pick(g[4]));
  expect(g[4].some((l) => l.startsWith('*stopped,reason="watchpoint-scope",wpnum="2",reason="function-finished"'))).toBe(true);
});
