// Partial stacks on a deep recursion (unwind recurse 10000: 10,004 frames): -stack-info-depth MAX,
// -stack-list-frames/-arguments LOW HIGH and `bt N` answer as gdb 13 does (same transcript, gdb's atoi
// argument rules and errors included), and the engine's partialStack unwinds only what it is asked for
// (the whole stack is not computed for the stop) with frame ids the full stack keeps.
import { fixture, leftoverTracees } from './helpers';
import { miTranscript, MiStep } from './mi-client';
import { newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';
import { createInterpreter } from '../src/mi';

jest.setTimeout(120000);

const UNWIND = fixture('unwind');

const STEPS: MiStep[] = [
  { cmd: '-break-insert leaf' },
  { cmd: '-exec-run', stop: true },
  { cmd: '-stack-info-depth 5' },
  { cmd: '-stack-info-depth 0' },
  { cmd: '-stack-info-depth abc' },
  { cmd: '-stack-info-depth 3x' },
  { cmd: '-stack-info-depth -3' },
  { cmd: '-stack-info-depth 1 2' },
  { cmd: '-stack-list-frames 0 2' },
  { cmd: '-stack-list-frames 5 2' },
  { cmd: '-stack-list-arguments 1 0 1' },
  { cmd: 'bt 3' },
  { cmd: 'frame 3' },
  { cmd: 'up 2' },
  { cmd: 'down' },
  { cmd: '-stack-select-frame 9999' },
  { cmd: '-stack-info-frame' },
  { cmd: '-stack-select-frame 0' },
  // The whole stack from here on.
  { cmd: '-stack-info-depth' },
  { cmd: '-stack-info-depth -1' },
  { cmd: '-stack-info-depth 20000' },
  { cmd: '-stack-list-frames 9999 10010' },
  { cmd: '-stack-list-frames 10002 -1' },
  { cmd: '-stack-list-frames 10004 10010' },
  { cmd: '-stack-list-arguments 1 10001 10003' },
  { cmd: 'bt -2' },
];

describe('partial stacks over MI, as gdb', () => {
  test('unwind recurse 10000: depth, frame ranges and bt N equal gdb', async () => {
    const keep = (l: string) => !/^[=*]|^\^running|^~"\\n"$/.test(l);
    const g = await miTranscript('gdb', ['--args', UNWIND, 'recurse', '10000'], STEPS, keep);
    const b = await miTranscript('backstep', ['--args', UNWIND, 'recurse', '10000'], STEPS, keep);
    // The oracle answers what the test is about.
    expect(g[2]).toEqual(['^done,depth="5"']);
    expect(g[18]).toEqual(['^done,depth="10004"']);
    expect(b).toEqual(g);
  });
});

describe('frame selection from the console, as gdb', () => {
  test('frame N / up N / down N at and past the ends of the stack, levels as expressions', async () => {
    const steps: MiStep[] = [
      { cmd: '-break-insert deposit' },
      { cmd: '-exec-run', stop: true },
      ...['frame 50', 'up 99', 'up', 'down 5', 'down', 'frame 1', 'down 1', 'frame abc', 'up 0', 'frame 1+0', 'frame', 'f 0', 'frame level 1', 'up x'].map((cmd) => ({ cmd })),
    ];
    const keep = (l: string) => !/^[*]|^=(?!thread-selected)|^\^running/.test(l);
    const g = await miTranscript('gdb', ['--args', fixture('demo')], steps, keep);
    const b = await miTranscript('backstep', ['--args', fixture('demo')], steps, keep);
    expect(g[2]).toContain('^error,msg="No frame at level 50."');
    expect(b).toEqual(g);
  });
});

describe('engine partialStack', () => {
  const sessions: Session[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.dispose();
    expect(leftoverTracees()).toEqual([]);
  });

  test('unwinds only the frames asked for; the full stack keeps their ids', async () => {
    const { s } = newSession();
    sessions.push(s);
    await s.loadProgram(UNWIND);
    await s.setBreakpoint({ location: 'leaf' });
    const stop = await s.launch({ program: UNWIND, args: ['recurse', '10000'], stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    const tid = stop.threadId!;
    const p = await s.partialStack(undefined, 5);
    expect(p.frames.map((f) => f.function)).toEqual(['leaf', 'recurse', 'recurse', 'recurse', 'recurse']);
    expect(p.frames.map((f) => f.level)).toEqual([0, 1, 2, 3, 4]);
    expect(p.more).toBe(true);
    // The whole stack was not unwound for it.
    expect(s.cachedStack(tid)).toBeUndefined();
    // A smaller prefix is answered from the same unwind, the same frames.
    const q = await s.partialStack(undefined, 3);
    expect(q.frames.map((f) => f.id)).toEqual(p.frames.slice(0, 3).map((f) => f.id));
    const full = await s.stackTrace();
    expect(full.frames.length).toBe(10004);
    expect(full.frames[10003].function).toBe('main');
    expect(full.frames.slice(0, 5).map((f) => f.id)).toEqual(p.frames.map((f) => f.id));
    expect(full.frames.slice(0, 5).map((f) => f.pc)).toEqual(p.frames.map((f) => f.pc));
    // Now from the full stack.
    const r = await s.partialStack(undefined, 10010);
    expect(r.frames.length).toBe(10004);
    expect(r.more).toBe(false);
    await s.kill();
  });

  test("a front-end's stop sequence over MI unwinds only what it shows", async () => {
    // What cdt-gdb-adapter and MIEngine send at a stop: depth with a maximum, the first frames, the
    // selected frame's variables, an expression, a frame switch. None needs the whole stack.
    const { s } = newSession();
    sessions.push(s);
    const out: string[] = [];
    const mi = createInterpreter(s, { miVersion: 2, write: (t) => out.push(t), version: 'test' });
    const stopped = new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (out.some((l) => l.includes('*stopped'))) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    const result = (token: number) => out.find((l) => l.startsWith(`${token}^`));
    await mi.execute(`1-file-exec-and-symbols ${UNWIND}`);
    await mi.execute('2-exec-arguments recurse 10000');
    await mi.execute('3-break-insert leaf');
    await mi.execute('4-exec-run');
    await stopped;
    const tid = s.lastStopInfo!.threadId!;
    for (const [n, cmd] of [
      [5, '-stack-info-depth 101'],
      [6, '-stack-list-frames 0 19'],
      [7, '-stack-list-variables --thread 1 --frame 0 --simple-values'],
      [8, '-data-evaluate-expression --thread 1 --frame 3 n'],
      [9, '-stack-select-frame 2'],
      [10, '-stack-info-frame'],
      [12, '-var-create --thread 1 --frame 2 - * n'],
      [13, '-var-update --all-values *'],
      [14, '-interpreter-exec console "info frame"'],
    ] as const) {
      await mi.execute(`${n}${cmd}`);
      expect(result(n)).toMatch(/\^done/);
    }
    expect(result(5)).toContain('depth="101"');
    expect(result(8)).toContain('value="2"');
    expect(result(10)).toContain('level="2"');
    expect(result(12)).toContain('value="1"');
    expect(out.join('')).toContain('Stack level 2, frame at 0x');
    expect(s.cachedStack(tid)).toBeUndefined();
    // And the whole depth when asked.
    await mi.execute('11-stack-info-depth');
    expect(result(11)).toContain('depth="10004"');
    expect(s.cachedStack(tid)?.stack.frames.length).toBe(10004);
    await mi.shutdown(0);
  });

  test('a bounded unwind that reaches the end of the stack becomes the full stack', async () => {
    const { s } = newSession();
    sessions.push(s);
    await s.loadProgram(UNWIND);
    await s.setBreakpoint({ location: 'leaf' });
    const stop = await s.launch({ program: UNWIND, args: ['recurse', '3'], stdio: 'pipe' });
    const p = await s.partialStack(undefined, 50);
    expect(p.frames.map((f) => f.function)).toEqual(['leaf', 'recurse', 'recurse', 'recurse', 'recurse', 'run_recurse', 'main']);
    expect(p.more).toBe(false);
    expect(s.cachedStack(stop.threadId!)?.stack.frames.length).toBe(7);
    const exact = await s.partialStack(undefined, 7);
    expect(exact.more).toBe(false);
    const fewer = await s.partialStack(undefined, 6);
    expect(fewer.more).toBe(true);
    await s.kill();
  });
});
