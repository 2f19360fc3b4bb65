// Hardware watchpoints in the engine against gdb 13: write and read watches on a global (stop line,
// pc, old/new values, gdb's text), the debug-register limit, constants/non-lvalues, and a watch in a
// multi-threaded program firing in the thread that writes.
import { fixture, leftoverTracees } from './helpers';
import { gdb, newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';
import type { StopInfo } from '../src/engine/api';
import { watchSlots } from '../src/engine/session';
import { continues, gdbStops, ourLines } from './watch-helpers';

jest.setTimeout(120000);

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  expect(leftoverTracees()).toEqual([]);
});

function session(): Session {
  const { s } = newSession();
  sessions.push(s);
  return s;
}

interface GdbWatchStop {
  header: string;
  values: string[];
  pc: number;
  line: number;
  func: string;
}

/** gdb's watchpoint stops: the header line, the value lines, and the pc/line/function after it. */
function gdbWatchStops(out: string): GdbWatchStop[] {
  const stops: GdbWatchStop[] = [];
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(Hardware (?:read |access \(read\/write\) )?watchpoint \d+: .*)$/.exec(lines[i]);
    if (!m || lines[i + 1] !== '') continue;
    const values: string[] = [];
    let j = i + 2;
    while (/^(Old value|New value|Value) = /.test(lines[j])) values.push(lines[j++]);
    if (!values.length) continue;
    const pos = lines.slice(j).find((l) => l.startsWith('@@P|'))!;
    const [, func, , line, pc] = pos.split('|');
    stops.push({ header: m[1], values, pc: Number(pc), line: Number(line), func });
  }
  return stops;
}

function ourValues(stop: StopInfo): string[] {
  const h = stop.watchpoints![0];
  return h.oldValue !== undefined ? [`Old value = ${h.oldValue}`, `New value = ${h.newValue}`] : [`Value = ${h.newValue}`];
}

describe('watchpoints on loop (gdb oracle)', () => {
  const program = fixture('loop');

  test('write watch on a global: same stops, lines, pcs and old/new values as gdb', async () => {
    const g = gdbWatchStops(gdb(program, ['5'], ['break main', 'run', 'watch counter', 'continue', 'POS', 'continue', 'POS', 'continue', 'POS']));
    expect(g.length).toBe(3);
    const s = session();
    await s.launch({ program, args: ['5'], stdio: 'pipe', stopAt: 'main' });
    const w = await s.setWatchpoint({ expression: 'counter' });
    expect(w.id).toBe(1);
    expect(w.size).toBe(4);
    for (const gs of g) {
      const stop = await s.cont();
      expect(stop.reason).toBe('watchpoint');
      expect(stop.breakpointIds).toEqual([w.id]);
      expect(stop.description.split('\n')[1]).toBe(gs.header.replace(/\d+:/, `${w.id}:`));
      expect(ourValues(stop)).toEqual(gs.values);
      expect(stop.frame!.pc).toBe(gs.pc);
      expect(stop.frame!.line).toBe(gs.line);
      expect(stop.frame!.function).toBe(gs.func);
    }
    // Ids are shared with breakpoints.
    const bp = await s.setBreakpoint({ location: 'hot' });
    expect(bp.id).toBe(2);
    await s.removeBreakpoint(w.id);
    expect(s.watchpoints()).toEqual([]);
    const end = await s.cont();
    expect(end.reason).toBe('breakpoint');
  });

  test('read watch: stops where gdb does (mid-line address shown), "Value = N"', async () => {
    const g = gdbWatchStops(gdb(program, ['3'], ['break main', 'run', 'rwatch counter', 'continue', 'POS', 'continue', 'POS']));
    expect(g.length).toBe(2);
    const s = session();
    await s.launch({ program, args: ['3'], stdio: 'pipe', stopAt: 'main' });
    const w = await s.setWatchpoint({ expression: 'counter', access: 'read' });
    for (const gs of g) {
      const stop = await s.cont();
      expect(stop.reason).toBe('watchpoint');
      expect(stop.description.split('\n')[1]).toBe(gs.header.replace(/\d+:/, `${w.id}:`));
      expect(ourValues(stop)).toEqual(gs.values);
      expect(stop.frame!.pc).toBe(gs.pc);
      expect(stop.frame!.line).toBe(gs.line);
      // gdb prints "0x... in hot (...)" when the pc is mid-line.
      expect(stop.description).toContain(`0x${gs.pc.toString(16).padStart(16, '0')} in ${gs.func} `);
    }
  });

  test('errors: constants, non-lvalues, and more than the 4 debug registers', async () => {
    const s = session();
    await s.launch({ program, args: ['3'], stdio: 'pipe', stopAt: 'main' });
    await expect(s.setWatchpoint({ expression: '5' })).rejects.toThrow("Cannot watch constant value `5'.");
    await expect(s.setWatchpoint({ expression: 'nosuchvar' })).rejects.toThrow('No symbol "nosuchvar" in current context.');
    // Four 4-byte watches fit in the 4 debug registers, the fifth does not.
    for (let i = 0; i < 4; i++) await s.setWatchpoint({ expression: 'counter' });
    await expect(s.setWatchpoint({ expression: 'total', hardware: true })).rejects.toThrow('Hardware watchpoints used exceeds limit');
    await expect(s.setWatchpoint({ expression: 'total', access: 'readWrite' })).rejects.toThrow('Expression cannot be implemented with read/access watchpoint.');
    // The session keeps working.
    const stop = await s.cont();
    expect(stop.reason).toBe('watchpoint');
    expect(stop.watchpoints!.length).toBe(4);
  });
});

test('values longer than 8 bytes or misaligned split into aligned 1/2/4/8-byte slots', () => {
  expect(watchSlots(0x1003, 13)).toEqual([
    { addr: 0x1003, len: 1 },
    { addr: 0x1004, len: 4 },
    { addr: 0x1008, len: 8 },
  ]);
  expect(watchSlots(0x1000, 22).map((x) => x.len)).toEqual([8, 8, 4, 2]);
});

describe('watchpoints in threads', () => {
  test('a watch on slots[1] fires in the thread that writes slots[1]', async () => {
    const program = fixture('threads');
    const s = session();
    await s.launch({ program, stdio: 'pipe', stopAt: 'main' });
    // The whole array is 32 bytes: four 8-byte slots, none left after it.
    const all = await s.setWatchpoint({ expression: 'slots' });
    expect(all.size).toBe(32);
    await expect(s.setWatchpoint({ expression: 'slots[1]', hardware: true })).rejects.toThrow('Hardware watchpoints used exceeds limit');
    await s.removeWatchpoint(all.id);
    const w = await s.setWatchpoint({ expression: 'slots[1]' });
    expect(w.size).toBe(8);
    const stop = await s.cont();
    expect(stop.reason).toBe('watchpoint');
    expect(stop.watchpoints![0]).toMatchObject({ oldValue: '0', newValue: '1' });
    expect(stop.frame!.function).toBe('worker');
    // The stopped thread's idx argument is 1: it is the writer of slots[1].
    const idx = await s.evaluate('idx', { frameId: stop.frame!.id });
    expect(idx.value).toBe('1');
    expect(stop.threadId).not.toBe((await s.threads())[0].id);
    await s.removeWatchpoint(w.id);
    await s.kill();
  });
  test('no software fallback once the program has threads (stepping one thread could wait on the others)', async () => {
    const s = session();
    await s.launch({ program: fixture('threads'), stdio: 'pipe', stopAt: 'main' });
    await s.setWatchpoint({ expression: 'slots' });
    const first = await s.cont(); // a worker's first write
    expect(first.reason).toBe('watchpoint');
    expect((await s.threads()).length).toBeGreaterThan(1);
    await expect(s.setWatchpoint({ expression: 'slots[1]' })).rejects.toThrow('software watchpoints are not supported in a multi-threaded program');
    await s.kill();
  });
});

test('read watches: the DR6 slot bits say which watch was read (gdb reports only that one)', async () => {
  const program = fixture('watchscope');
  const g = gdbStops(gdb(program, [], ['break 43', 'run', 'rwatch total', 'rwatch ticks', 'awatch big.cells[5]', ...continues(2)]));
  expect(g.map((x) => x.text[0])).toEqual(['Hardware read watchpoint 3: ticks', 'Hardware read watchpoint 2: total']);
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '43' });
  await s.launch({ program, stdio: 'pipe' });
  await s.setWatchpoint({ expression: 'total', access: 'read' });
  await s.setWatchpoint({ expression: 'ticks', access: 'read' });
  await s.setWatchpoint({ expression: 'big.cells[5]', access: 'readWrite' });
  for (const gs of g) {
    const stop = await s.cont();
    expect(stop.watchpoints!.length).toBe(1);
    expect({ text: ourLines(stop), pc: stop.frame!.pc }).toEqual({ text: gs.text, pc: gs.pc });
  }
  await s.kill();
});

test('a watch that fires inside next (range stepping) stops it where gdb does; an unchanged write does not', async () => {
  const program = fixture('watchscope');
  const cmds = ['break 18', 'run', 'delete 1', 'watch sum'];
  for (let i = 0; i < 4; i++) cmds.push('echo @@C\\n', 'next', 'POS');
  const g = gdbStops(gdb(program, [], cmds));
  expect(g.map((x) => x.line)).toEqual([19, 17, 18, 19]);
  expect(g[3].text[0]).toBe('Hardware watchpoint 2: sum');
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '18' });
  await s.launch({ program, stdio: 'pipe' });
  await s.removeBreakpoint(1);
  await s.setWatchpoint({ expression: 'sum' });
  for (const gs of g) {
    const stop = await s.next();
    expect({ text: ourLines(stop), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: gs.text, pc: gs.pc, line: gs.line });
  }
  await s.kill();
});

test('a watched write by the instruction under an ignored int3 breakpoint (passed by the tracer) still stops', async () => {
  const program = fixture('watchscope');
  const g = gdbStops(gdb(program, [], ['break 38', 'run', 'watch big.cells[20]', ...continues(1)]));
  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: '38' });
  await s.launch({ program, stdio: 'pipe' });
  // Four watches take the four debug registers, so the breakpoint at line 39 is an int3 whose ignore
  // count the tracer handles: it steps the `movl $7, big+80` under it itself.
  const w = await s.setWatchpoint({ expression: 'big.cells[20]' });
  for (const e of ['ticks', 'total', 'big.cells[0]']) await s.setWatchpoint({ expression: e });
  await s.setBreakpoint({ location: '39', ignoreCount: 1 });
  const stop = await s.cont();
  expect(stop.reason).toBe('watchpoint');
  expect(stop.breakpointIds).toEqual([w.id]);
  expect({ text: ourLines(stop).map((l) => l.replace(`watchpoint ${w.id}:`, 'watchpoint 2:')), pc: stop.frame!.pc, line: stop.frame!.line }).toEqual({ text: g[0].text, pc: g[0].pc, line: g[0].line });
  await s.kill();
});
