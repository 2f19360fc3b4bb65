// Software watchpoints (single-stepping inside the tracer, comparing the bytes after every instruction)
// against gdb 13 on the same fixture: a struct too large for the 4 debug registers (gdb's own choice of a
// software watchpoint, "Watchpoint 2: big"), a watch that falls back to software because the debug
// registers are taken (compared with gdb's stops for the same expression), a local in main watched in
// software until main returns (gdb with can-use-hw-watchpoints 0), and pause while single-stepping.
import { fixture } from './helpers';
import { gdb } from './engine-helpers';
import { continues, gdbStops, ourLines, watchSessions } from './watch-helpers';

jest.setTimeout(120000);

const program = fixture('watchscope');
const { session, stoppedAt } = watchSessions(program);

test('a 96-byte struct: software watchpoint with the same stops, texts, pcs and lines as gdb', async () => {
  const g = gdbStops(gdb(program, [], ['break 38', 'run', 'watch big', ...continues(3)]));
  expect(g.length).toBe(3);
  expect(g[0].text[0]).toBe('Watchpoint 2: big');
  const s = await stoppedAt('38');
  const w = await s.setWatchpoint({ expression: 'big' });
  expect(w).toMatchObject({ size: 96, software: true, scoped: false });
  expect(w.warning).toMatch(/software watchpoint .*slow/);
  for (const gs of g) {
    const stop = await s.cont();
    expect(stop.reason).toBe('watchpoint');
    expect(stop.watchpoints![0].software).toBe(true);
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  // Removing it: the program runs freely again, to its end.
  await s.removeWatchpoint(w.id);
  expect((await s.cont()).reason).toBe('exited');
});

test('debug registers taken: the next write watch is a software one, stopping where gdb stops for it', async () => {
  const g = gdbStops(gdb(program, [], ['break accumulate', 'run', 'watch ticks', ...continues(3)]));
  expect(g.length).toBe(3);
  const s = await stoppedAt('accumulate');
  for (const e of ['big.cells[1]', 'big.cells[2]', 'big.cells[3]', 'big.cells[4]']) expect((await s.setWatchpoint({ expression: e })).software).toBe(false);
  // rwatch/awatch have no software form (gdb: "Expression cannot be implemented with read/access watchpoint.").
  await expect(s.setWatchpoint({ expression: 'ticks', access: 'read' })).rejects.toThrow('Expression cannot be implemented with read/access watchpoint.');
  await expect(s.setWatchpoint({ expression: 'ticks', hardware: true })).rejects.toThrow('Hardware watchpoints used exceeds limit');
  const w = await s.setWatchpoint({ expression: 'ticks' });
  expect(w.software).toBe(true);
  expect(w.warning).toContain('debug registers are in use');
  for (const gs of g) {
    const stop = await s.cont();
    expect(stop.description.split('\n')[1]).toBe(`Watchpoint ${w.id}: ticks`);
    // gdb's hardware watch on the same expression: same values, pc and line.
    expect({ values: ourLines(stop).slice(2, 4), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ values: gs.text.slice(2, 4), pc: gs.pc, line: gs.line });
  }
  await s.kill();
});

test('a local of main in software (gdb: can-use-hw-watchpoints 0): its change, then deleted when main returns', async () => {
  const g = gdbStops(gdb(program, [], ['break 38', 'run', 'set can-use-hw-watchpoints 0', 'watch r', ...continues(2)]));
  expect(g.length).toBe(2);
  expect(g[1].text[0]).toMatch(/^Watchpoint 2 deleted because/);
  const s = await stoppedAt('38');
  for (const e of ['big.cells[1]', 'big.cells[2]', 'big.cells[3]', 'big.cells[4]']) await s.setWatchpoint({ expression: e });
  const w = await s.setWatchpoint({ expression: 'r' });
  expect(w).toMatchObject({ software: true, scoped: true });
  for (const e of [2, 3, 4, 5]) await s.removeWatchpoint(e);
  const stop = await s.cont();
  expect({ text: ourLines(stop).map((l) => l.replace(/\d+:/, '2:')), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: g[0].text, pc: g[0].pc, line: g[0].line });
  const scope = await s.cont();
  expect(scope.reason).toBe('watchpoint-scope');
  expect(scope.description.split('\n').slice(1, 3)).toEqual(g[1].text.slice(0, 2).map((l) => l.replace('Watchpoint 2', `Watchpoint ${w.id}`)));
  expect({ pc: scope.frame!.pc, func: scope.frame!.function }).toEqual({ pc: g[1].pc, func: g[1].func });
  expect((await s.cont()).reason).toBe('exited');
});

test('pause interrupts a program running under a software watchpoint', async () => {
  const s = session();
  await s.loadProgram(fixture('spin'));
  // Stopped in the loop itself (not before the printf, which single-steps slowly through libc).
  const bp = await s.setBreakpoint({ location: 'spin.c:11' });
  expect((await s.launch({ program: fixture('spin'), stdio: 'pipe' })).reason).toBe('breakpoint');
  await s.removeBreakpoint(bp.id);
  // 40 bytes at &spins do not fit in the debug registers (and spins itself changes all the time: watch
  // something next to it that never changes).
  const w = await s.setWatchpoint({ expression: '*(char (*)[40])((char *)&spins + 8)' });
  expect(w.software).toBe(true);
  const running = s.cont();
  await new Promise((r) => setTimeout(r, 300));
  await s.pause();
  const stop = await running;
  expect(stop.reason).toBe('pause');
  expect(stop.frame!.function).toBe('main');
  await s.kill();
});

test('next under a software watchpoint: changes inside the line and inside a called function stop it, as gdb', async () => {
  const nexts = (n: number) => {
    const c: string[] = [];
    for (let i = 0; i < n; i++) c.push('echo @@C\\n', 'next', 'POS');
    return c;
  };
  // Within lines (main's stores to big), then over a call (accumulate writes total).
  const g1 = gdbStops(gdb(program, [], ['break 38', 'run', 'watch big', ...nexts(4)]));
  const g2 = gdbStops(gdb(program, [], ['break 36', 'run', 'delete 1', 'set can-use-hw-watchpoints 0', 'watch big', 'watch *(char (*)[40])&total', ...nexts(3)]));
  expect(g1.map((x) => x.line)).toEqual([39, 40, 41, 42]);
  expect(g2[0].text[0]).toBe('Watchpoint 3: *(char (*)[40])&total');
  const s1 = await stoppedAt('38');
  await s1.setWatchpoint({ expression: 'big' });
  for (const gs of g1) {
    const stop = await s1.next();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  await s1.kill();
  const s2 = await stoppedAt('36');
  await s2.removeBreakpoint(1);
  await s2.setWatchpoint({ expression: 'big' });
  const w = await s2.setWatchpoint({ expression: '*(char (*)[40])&total' });
  expect(w.software).toBe(true);
  for (const gs of g2) {
    const stop = await s2.next();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  await s2.kill();
});

test('no software watchpoint while the program is recorded (reverse execution steps through its own hops)', async () => {
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '38' });
  const first = await s.launch({ program, stdio: 'pipe', record: true });
  expect(first.reason).toBe('breakpoint');
  await expect(s.setWatchpoint({ expression: 'big' })).rejects.toThrow('software watchpoints are not supported while the program is recorded');
  // A hardware one is fine.
  const w = await s.setWatchpoint({ expression: 'big.cells[5]' });
  expect(w.software).toBe(false);
  const stop = await s.cont();
  expect(stop.watchpoints![0]).toMatchObject({ oldValue: '0', newValue: '9' });
  await s.kill();
});
