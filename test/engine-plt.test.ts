// `break FUNC` for a function only a shared library defines, which the program calls through its PLT:
// gdb resolves it to the PLT stub before the library is loaded (`Breakpoint 1 at 0x1070`, `<shape_area@plt>`)
// and re-sets it to the function itself when the library loads (the stub location is dropped).
// Oracle: gdb 13 on the uselib/libshape fixtures.
import { fixture, leftoverTracees } from './helpers';
import { gdb, newSession, ourFrames, parseBacktraces } from './engine-helpers';
import type { Session } from '../src/engine/session';
import { hasTool } from './symbols-util';

jest.setTimeout(120000);

const haveGdb = hasTool('gdb');
const gdbTest = haveGdb ? test : test.skip;

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  expect(leftoverTracees()).toEqual([]);
});

/** `info breakpoints` rows of breakpoint `n`: address and what gdb shows after it. */
function gdbLocations(out: string, n: number): { address: number; what: string }[] {
  const rows: { address: number; what: string }[] = [];
  for (const l of out.split('\n')) {
    const m = new RegExp(`^${n}(?:\\.\\d+)?\\s+breakpoint\\s+keep\\s+y\\s+0x([0-9a-f]+)\\s+(.*)$`).exec(l);
    if (m) rows.push({ address: parseInt(m[1], 16), what: m[2].trim() });
  }
  return rows;
}

describe('break FUNC through the PLT (gdb solib trampolines)', () => {
  gdbTest('before run: the PLT stub; at the library load: the function itself; stops match gdb', async () => {
    const program = fixture('uselib');
    const out = gdb(program, [], ['break shape_area', 'info breakpoints', 'echo @@RUN\\n', 'run', 'BT', 'info breakpoints', 'continue', 'BT', 'info breakpoints']);
    const [beforeRun, afterRun] = out.split('@@RUN');
    const gdbBefore = gdbLocations(beforeRun, 1);
    expect(gdbBefore.length).toBe(1);
    expect(gdbBefore[0].what).toBe('<shape_area@plt>');
    const bts = parseBacktraces(afterRun);
    expect(bts.length).toBe(2);
    const gdbAfter = gdbLocations(afterRun.split('@@END')[1], 1);
    expect(gdbAfter.length).toBe(1);

    const { s } = newSession();
    sessions.push(s);
    await s.loadProgram(program);
    const bp = await s.setBreakpoint({ location: 'shape_area' }, { pending: true });
    // gdb: "Breakpoint 1 at 0x1070" (the stub in the program's .plt.sec/.plt, link-time before run).
    expect(bp.pending).toBeFalsy();
    expect(bp.locations.map((l) => l.address)).toEqual([gdbBefore[0].address]);
    expect(bp.locations[0].function).toBe('shape_area@plt');

    const changed: number[][] = [];
    s.on('breakpoint', (e) => {
      if (e.breakpoint.id === bp.id) changed.push(e.breakpoint.locations.map((l) => l.address));
    });
    let stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    let st = await s.stackTrace();
    // The stop is in shape_area itself (libshape.c:6), not in the stub: the location was re-set when
    // libshape.so loaded, before main ran.
    expect(ourFrames(st.frames)).toEqual(bts[0].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
    const now = s.breakpoints().find((b) => b.id === bp.id)!;
    expect(now.locations.map((l) => l.address)).toEqual(gdbAfter.map((l) => l.address));
    expect(now.locations[0].function).toBe('shape_area');
    expect(changed.length).toBeGreaterThan(0);
    expect(changed[changed.length - 1]).toEqual(gdbAfter.map((l) => l.address));

    // The dlopen'ed call (the same library: dlopen("libshape.so") finds the loaded one) stops again.
    stop = await s.cont();
    expect(stop.reason).toBe('breakpoint');
    st = await s.stackTrace();
    expect(ourFrames(st.frames)).toEqual(bts[1].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
    await s.kill();
  });

  test('a function neither defined nor called through a PLT stays pending with gdb\'s message', async () => {
    const program = fixture('uselib');
    const { s } = newSession();
    sessions.push(s);
    await s.loadProgram(program);
    const bp = await s.setBreakpoint({ location: 'shape_areaX' }, { pending: true });
    expect(bp.pending).toBe(true);
    await expect(s.setBreakpoint({ location: 'shape_areaX' })).rejects.toThrow('Function "shape_areaX" not defined.');
    // A function the program defines is not affected by its PLT (main has none).
    const m = await s.setBreakpoint({ location: 'main' });
    expect(m.locations[0].function).toBe('main');
  });
});
