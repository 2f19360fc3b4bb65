// Backtraces of the engine against gdb's `bt` (function, file, line and pc of every frame, up to main as
// gdb's default `backtrace past-main off`), at breakpoints and signals in several fixtures.
import { fixture, leftoverTracees } from './helpers';
import { gdb, newSession, ourFrames, parseBacktraces } from './engine-helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

interface Case {
  name: string;
  program: string;
  args?: string[];
  /** gdb break commands (and our breakpoints: same location strings). */
  breaks: string[];
  /** Number of stops to compare (continue between them). */
  stops: number;
}

const cases: Case[] = [
  { name: '-O0 C: demo at deposit', program: 'demo', breaks: ['deposit'], stops: 2 },
  { name: '-O0 C: demo at a line in main', program: 'demo', breaks: ['demo.c:19'], stops: 1 },
  { name: '-O2 C: loop_O2 at hot (inlined)', program: 'loop_O2', breaks: ['hot'], stops: 1 },
  { name: '-O2 C: loop_O2 at a line of the inlined hot', program: 'loop_O2', breaks: ['loop.c:12'], stops: 2 },
  { name: '-O2 C: types_O2 at main', program: 'types_O2', breaks: ['main'], stops: 1 },
  { name: 'C++: classes at Rect::area', program: 'classes', breaks: ['geo::Rect::area'], stops: 1 },
  { name: 'C++ -O2: classes_O2 at measure', program: 'classes_O2', breaks: ['measure'], stops: 1 },
  { name: 'deep recursion: unwind recurse 6 at leaf', program: 'unwind', args: ['recurse', '6'], breaks: ['leaf'], stops: 1 },
  { name: '-O2 -fomit-frame-pointer recursion', program: 'unwind_O2', args: ['recurse', '4'], breaks: ['leaf'], stops: 1 },
  { name: 'through libc: write', program: 'unwind', args: ['write'], breaks: ['write'], stops: 1 },
  { name: 'signal handler: raise (SIGUSR1 stop, then the handler)', program: 'unwind', args: ['raise'], breaks: ['handler_leaf'], stops: 2 },
  { name: 'signal handler on a sigaltstack', program: 'unwind', args: ['altstack'], breaks: ['handler_leaf'], stops: 2 },
  { name: 'shared library: uselib at shape_area (linked, then dlopen)', program: 'uselib', args: [fixture('libshape_dl.so')], breaks: ['shape_area'], stops: 2 },
  { name: 'no debug info: loop_nodebug at hot', program: 'loop_nodebug', breaks: ['hot'], stops: 1 },
];

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  expect(leftoverTracees()).toEqual([]);
});

describe('backtraces match gdb', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const program = fixture(c.program);
      const cmds: string[] = c.breaks.map((b) => `break ${b}`);
      cmds.push('run', 'BT');
      for (let i = 1; i < c.stops; i++) cmds.push('continue', 'BT');
      const expected = parseBacktraces(gdb(program, c.args ?? [], cmds));
      expect(expected.length).toBe(c.stops);

      const { s } = newSession();
      sessions.push(s);
      await s.loadProgram(program);
      for (const b of c.breaks) await s.setBreakpoint({ location: b }, { pending: true });
      let stop = await s.launch({ program, args: c.args, stdio: 'pipe' });
      for (let i = 0; i < c.stops; i++) {
        if (i > 0) stop = await s.cont();
        expect(['breakpoint', 'signal']).toContain(stop.reason);
        const st = await s.stackTrace();
        expect(ourFrames(st.frames)).toEqual(expected[i].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
      }
      await s.kill();
    });
  }

  test('SIGSEGV in crash: the faulting frame and its caller', async () => {
    const program = fixture('crash');
    const expected = parseBacktraces(gdb(program, [], ['run', 'BT']));
    const { s } = newSession();
    sessions.push(s);
    const stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('exception');
    expect(stop.signal?.name).toBe('SIGSEGV');
    expect(stop.signal?.faultAddress).toBe(0);
    expect(stop.description).toContain('Program received signal SIGSEGV, Segmentation fault.');
    const st = await s.stackTrace();
    expect(ourFrames(st.frames)).toEqual(expected[0].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
    await s.kill();
  });

  test('paging: startFrame/levels return the same frames as the full trace', async () => {
    const program = fixture('unwind');
    const { s } = newSession();
    sessions.push(s);
    await s.setBreakpoint({ location: 'leaf' }, { pending: true });
    await s.launch({ program, args: ['recurse', '6'], stdio: 'pipe' });
    const all = await s.stackTrace();
    expect(all.totalFrames).toBe(all.frames.length);
    const page = await s.stackTrace(undefined, 3, 4);
    expect(page.frames.map((f) => [f.level, f.pc, f.function])).toEqual(all.frames.slice(3, 7).map((f) => [f.level, f.pc, f.function]));
    // Frame ids resolve while stopped, and are stale after a resume.
    const id = page.frames[0].id;
    expect(s.frame(id).level).toBe(3);
    await s.kill();
    expect(() => s.frame(id)).toThrow(/Invalid frame id/);
  });
});
