// Breakpoints against gdb: resolved addresses and lines (moved lines, functions, C++ names, inlined
// and multi-location breakpoints, programs without debug info), pending breakpoints in a library
// loaded by dlopen, conditions, ignore counts, DAP hit conditions, logpoints, temporary, address and
// disabled breakpoints, and the error messages of bad locations.
import { fixture, leftoverTracees, loadBias, nmAddress } from './helpers';
import { gdb, newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';
import { EngineError } from '../src/engine/api';

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

const PY_LOCS = ['python', 'for b in gdb.breakpoints():', '  for l in b.locations:', '    print("@@B|%d|%d|%s|%d" % (b.number, l.address, l.source[0] if l.source else "", l.source[1] if l.source else 0))', 'end'].join('\n');

/** gdb's locations (address, file, line) of each breakpoint spec, before the program runs. */
function gdbLocations(program: string, specs: string[]): Map<number, { address: number; file: string; line: number }[]> {
  const out = gdb(program, [], [...specs.map((s) => `break ${s}`), PY_LOCS]);
  const res = new Map<number, { address: number; file: string; line: number }[]>();
  for (const l of out.split('\n')) {
    if (!l.startsWith('@@B|')) continue;
    const [, num, addr, file, line] = l.split('|');
    const list = res.get(Number(num)) ?? [];
    list.push({ address: Number(addr), file, line: Number(line) });
    res.set(Number(num), list);
  }
  return res;
}

describe('resolved locations match gdb (before the program runs)', () => {
  const cases: [string, string[]][] = [
    ['demo', ['demo.c:14', 'demo.c:15', 'demo.c:17', 'demo.c:20', 'demo.c:22', 'deposit', 'main', '*0x1149', 'demo.c:deposit']],
    ['loop', ['loop.c:13', 'hot', 'loop.c:20']],
    ['loop_O2', ['hot', 'loop.c:12', 'loop.c:19', 'main']],
    ['classes', ['geo::Rect::area', 'Rect::area', 'measure', 'twice', 'classes.cpp:35', 'geo::Vec::dot']],
    ['classes_O2', ['measure', 'main', 'geo::Rect::area']],
    ['multi', ['multi_util.c:5', 'main']],
    ['types_O2', ['main']],
    ['loop_nodebug', ['hot', 'main']],
  ];
  for (const [prog, specs] of cases) {
    test(`${prog}: ${specs.join(', ')}`, async () => {
      const program = fixture(prog);
      const expected = gdbLocations(program, specs);
      const s = session();
      await s.loadProgram(program);
      for (let i = 0; i < specs.length; i++) {
        const bp = await s.setBreakpoint({ location: specs[i] });
        const want = (expected.get(i + 1) ?? []).map((l) => ({ address: l.address, file: l.file || undefined, line: l.line || undefined }));
        const got = bp.locations.map((l) => ({ address: l.address, file: l.fullPath, line: l.line }));
        expect({ spec: specs[i], locs: got }).toEqual({ spec: specs[i], locs: want });
        expect(bp.verified).toBe(true);
      }
    });
  }

  test('a moved breakpoint says so', async () => {
    const s = session();
    await s.loadProgram(fixture('demo'));
    const bp = await s.setBreakpoint({ location: { file: 'demo.c', line: 14 } });
    expect(bp.requestedLine).toBe(14);
    expect(bp.line).toBe(15);
    expect(bp.message).toBe('Breakpoint moved from line 14 to 15.');
  });
});

describe('bad locations give gdb\'s errors and the session keeps working', () => {
  test.each([
    ['nosuch.c:3', 'No source file named nosuch.c.'],
    ['demo.c:400', 'No line 400 in file "demo.c".'],
    ['nosuchfunction', 'Function "nosuchfunction" not defined.'],
  ])('%s', async (spec, message) => {
    const program = fixture('demo');
    const s = session();
    await s.loadProgram(program);
    let err: unknown;
    try {
      await s.setBreakpoint({ location: spec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toBe(message);
    // With pending allowed (DAP), it is kept unverified with the same message.
    const p = await s.setBreakpoint({ location: spec }, { pending: true });
    expect(p.verified).toBe(false);
    expect(p.pending).toBe(true);
    expect(p.message).toBe(message);
    // The session still works.
    await s.setBreakpoint({ location: 'deposit' });
    const stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(stop.frame?.function).toBe('deposit');
    await s.kill();
  });

  test('gdb words the same errors', () => {
    const program = fixture('demo');
    const out = execGdbErrors(program, ['nosuch.c:3', 'demo.c:400', 'nosuchfunction']);
    expect(out).toContain('No source file named nosuch.c.');
    expect(out).toContain('No line 400 in file "demo.c".');
    expect(out).toContain('Function "nosuchfunction" not defined.');
  });

  test('a line breakpoint in a program without debug info', async () => {
    const s = session();
    const info = await s.loadProgram(fixture('loop_nodebug'));
    expect(info.hasDebugInfo).toBe(false);
    expect(info.message).toBe('(No debugging symbols found in loop_nodebug)');
    await expect(s.setBreakpoint({ location: 'loop.c:12' })).rejects.toThrow('No source file named loop.c.');
  });
});

function execGdbErrors(program: string, specs: string[]): string {
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync('gdb', ['-batch', '-nx', '-ex', 'set breakpoint pending off', ...specs.flatMap((s) => ['-ex', `break ${s}`]), program], { encoding: 'utf8' });
  return r.stdout + r.stderr;
}

describe('hits', () => {
  const loop = () => fixture('loop');
  /** `counter` of the loop fixture: the number of completed hot() calls. */
  async function counter(s: Session): Promise<number> {
    const addr = nmAddress(loop(), 'counter') + loadBias(s.pid!, loop());
    return (await s.readMemory(addr, 4)).data.readInt32LE(0);
  }

  test('pending breakpoint in a library loaded by dlopen: resolved on load, hit in both copies (addresses as gdb)', async () => {
    const program = fixture('uselib');
    const lib = fixture('libshape_dl.so');
    const out = gdb(program, [lib], ['break libshape.c:6', 'run', 'continue', PY_LOCS, 'python print("@@PC|%d" % gdb.selected_frame().pc())']);
    const gdbLocs = out
      .split('\n')
      .filter((l) => l.startsWith('@@B|'))
      .map((l) => Number(l.split('|')[2]))
      .sort((a, b) => a - b);
    const gdbPc = Number(/@@PC\|(\d+)/.exec(out)![1]);
    const s = session();
    const events: string[] = [];
    s.on('module', (m) => events.push(`${m.reason} ${m.module.name}`));
    s.on('breakpoint', (b) => events.push(`bp ${b.reason} ${b.breakpoint.locations.length}`));
    await s.loadProgram(program);
    const bp = await s.setBreakpoint({ location: 'libshape.c:6' }, { pending: true });
    expect(bp.pending).toBe(true);
    expect(bp.message).toBe('No source file named libshape.c.');
    let stop = await s.launch({ program, args: [lib], stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(stop.breakpointIds).toEqual([bp.id]);
    expect(stop.frame?.moduleName).toBe('libshape.so');
    stop = await s.cont();
    expect(stop.reason).toBe('breakpoint');
    expect(stop.frame?.moduleName).toBe('libshape_dl.so');
    expect(stop.frame?.pc).toBe(gdbPc);
    const now = s.breakpoints()[0];
    expect(now.locations.map((l) => l.address).sort((a, b) => a - b)).toEqual(gdbLocs);
    expect(now.hitCount).toBe(2);
    expect(events).toContain('new libshape_dl.so');
    expect(events.filter((e) => e.startsWith('bp changed')).length).toBeGreaterThanOrEqual(2);
    stop = await s.cont();
    expect(stop.reason).toBe('exited');
    expect(stop.exitCode).toBe(0);
  });

  test('condition: stops only where it holds (as gdb)', async () => {
    const program = loop();
    const out = gdb(program, [], ['break hot if x == 4', 'run', 'python print("@@X|%s" % gdb.parse_and_eval("counter"))']);
    const gdbCounter = Number(/@@X\|(\d+)/.exec(out)![1]);
    const s = session();
    await s.setBreakpoint({ location: 'hot', condition: 'x == 4' }, { pending: true });
    const stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(await counter(s)).toBe(gdbCounter);
    expect((await s.evaluate('x')).value).toBe('4');
    expect(s.breakpoints()[0].hitCount).toBe(1);
    const end = await s.cont();
    expect(end.reason).toBe('exited');
  });

  test('condition that fails to evaluate stops with gdb\'s error', async () => {
    const s = session();
    await s.setBreakpoint({ location: 'hot', condition: 'nosuchvar > 1' }, { pending: true });
    const stop = await s.launch({ program: loop(), stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(stop.description).toContain('Error in testing condition for breakpoint 1:');
    expect(stop.description).toContain('No symbol "nosuchvar" in current context.');
    await s.kill();
  });

  test('ignore count (counted by the tracer): stops at the 4th hit, hit counts as gdb', async () => {
    const program = loop();
    const out = gdb(program, [], ['break hot', 'ignore 1 3', 'run', 'python print("@@X|%s" % gdb.parse_and_eval("counter"))', 'continue', 'info breakpoints']);
    const gdbCounter = Number(/@@X\|(\d+)/.exec(out)![1]);
    const gdbHits = Number(/already hit (\d+) time/.exec(out)![1]);
    const s = session();
    await s.setBreakpoint({ location: 'hot', ignoreCount: 3 }, { pending: true });
    let stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(await counter(s)).toBe(gdbCounter);
    expect(s.breakpoints()[0].hitCount).toBe(4);
    expect(s.breakpoints()[0].ignoreCount).toBe(0);
    stop = await s.cont();
    expect(s.breakpoints()[0].hitCount).toBe(gdbHits);
    await s.kill();
  });

  test('hit conditions: %3, ==5, >7', async () => {
    const s = session();
    await s.setBreakpoint({ location: 'hot', hitCondition: '%3' }, { pending: true });
    let stop = await s.launch({ program: loop(), stdio: 'pipe' });
    const seen: number[] = [];
    while (stop.reason === 'breakpoint') {
      seen.push(await counter(s));
      stop = await s.cont();
    }
    expect(seen).toEqual([2, 5, 8]);
    expect(stop.exitCode).toBe(100);
    const s2 = session();
    await s2.setBreakpoint({ location: 'hot', hitCondition: '==5' }, { pending: true });
    await s2.setBreakpoint({ location: 'loop.c:22', hitCondition: '>0' }, { pending: true });
    stop = await s2.launch({ program: loop(), stdio: 'pipe' });
    expect(await counter(s2)).toBe(4);
    stop = await s2.cont();
    expect(stop.frame?.line).toBe(22);
    await s2.kill();
    await expect(s2.setBreakpoint({ location: 'hot', hitCondition: 'often' })).rejects.toThrow(/Invalid hit condition/);
  });

  test('logpoint: prints instead of stopping, with {expression} values', async () => {
    const { s, output } = newSession();
    sessions.push(s);
    await s.setBreakpoint({ location: 'hot', logMessage: 'hot({x}) counter={counter}' }, { pending: true });
    const stop = await s.launch({ program: loop(), args: ['3'], stdio: 'pipe' });
    expect(stop.reason).toBe('exited');
    expect(stop.exitCode).toBe(9);
    const logs = output.filter((o) => o.startsWith('hot('));
    expect(logs).toEqual(['hot(0) counter=0\n', 'hot(1) counter=1\n', 'hot(2) counter=2\n']);
    expect(output.join('')).toContain('total=9 counter=3');
    expect(s.breakpoints()[0].hitCount).toBe(3);
  });

  test('temporary breakpoint: one stop, then deleted', async () => {
    const s = session();
    const removed: number[] = [];
    s.on('breakpoint', (e) => e.reason === 'removed' && removed.push(e.breakpoint.id));
    const bp = await s.setBreakpoint({ location: 'hot', temporary: true }, { pending: true });
    let stop = await s.launch({ program: loop(), stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(stop.description).toMatch(/^Temporary breakpoint 1, hot \(x=0\) at .*loop\.c:11$/);
    expect(removed).toEqual([bp.id]);
    expect(s.breakpoints()).toEqual([]);
    stop = await s.cont();
    expect(stop.reason).toBe('exited');
  });

  test('address breakpoint, hardware breakpoint, disable/enable', async () => {
    const program = loop();
    const s = session();
    await s.loadProgram(program);
    const main = await s.setBreakpoint({ location: 'main' });
    let stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.breakpointIds).toEqual([main.id]);
    const hotAddr = nmAddress(program, 'hot') + loadBias(s.pid!, program);
    const a = await s.setBreakpoint({ location: `*0x${hotAddr.toString(16)}` });
    expect(a.locations[0].address).toBe(hotAddr);
    expect(a.locations[0].function).toBe('hot');
    stop = await s.cont();
    expect(stop.breakpointIds).toEqual([a.id]);
    expect(stop.frame?.pc).toBe(hotAddr);
    await s.updateBreakpoint(a.id, { enabled: false });
    const h = await s.setBreakpoint({ location: 'loop.c:22', hardware: true });
    stop = await s.cont();
    expect(stop.breakpointIds).toEqual([h.id]);
    expect(await counter(s)).toBe(10);
    await s.kill();
  });

  test('a program without debug info: function breakpoint by ELF symbol, next leaves the function', async () => {
    const program = fixture('loop_nodebug');
    const out = gdb(program, [], ['break hot', 'run', 'python print("@@PC|%d" % gdb.selected_frame().pc())', 'next', 'python print("@@PC|%d" % gdb.selected_frame().pc())']);
    const pcs = [...out.matchAll(/@@PC\|(\d+)/g)].map((m) => Number(m[1]));
    const { s, output } = newSession();
    sessions.push(s);
    await expect(s.setBreakpoint({ location: 'hot' })).rejects.toThrow('No symbol table is loaded.  Use the "file" command.');
    await s.loadProgram(program);
    await s.setBreakpoint({ location: 'hot' });
    let stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.frame?.pc).toBe(pcs[0]);
    expect(stop.frame?.file).toBeUndefined();
    expect(stop.description).toMatch(/^Breakpoint 1, 0x[0-9a-f]{16} in hot \(\) from .*loop_nodebug$/);
    stop = await s.next();
    expect(stop.frame?.pc).toBe(pcs[1]);
    expect(stop.frame?.function).toBe('main');
    expect(output.join('')).toContain('Single stepping until exit from function hot,\nwhich has no line number information.');
    await s.kill();
  });
});
