// Reverse execution through the engine (src/engine/reverse): reverse-next/step/finish/stepi/continue and
// "who last wrote this?", compared with gdb 13's `record full` on the same fixtures (the oracle), plus
// replayed system calls, long runs, the end of history, forward again, and clear errors.
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { StopInfo } from '../src/engine/api';
import { fixture, leftoverTracees } from './helpers';
import { gdbMarked, NO_AVX_TUNABLES } from './engine-helpers';

jest.setTimeout(120_000);

const LOOP = () => fixture('rx_loop');
// gdb's record full cannot replay AVX-512 instructions (glibc picks EVEX string functions on this CPU):
// its inferior gets the baseline implementations.
const TUNABLES = NO_AVX_TUNABLES;

interface GdbStop {
  line?: number;
  func?: string;
  /** gdb printed an address: the pc is in the middle of the line. */
  midLine: boolean;
  noHistory: boolean;
  text: string;
}

/** Runs gdb -batch with `setup` then each of `cmds`, returning what each command stopped at. */
function gdb(bin: string, setup: string[], cmds: string[]): GdbStop[] {
  return gdbMarked(bin, ['set pagination off', `set environment GLIBC_TUNABLES=${TUNABLES}`, ...setup], cmds)
    .map((chunk) => {
      const lines = chunk.split('\n');
      const src = lines.filter((l) => /^\d+\t/.test(l)).pop();
      const loc = lines.filter((l) => / at .*:\d+$/.test(l) || /^\w+ \(.*\) at /.test(l)).pop() ?? '';
      const func = /(?:in )?(\w+) \(.*\) at /.exec(loc)?.[1];
      return {
        line: src ? Number(/^(\d+)/.exec(src)![1]) : undefined,
        func,
        midLine: /^0x[0-9a-f]+ in /.test(loc),
        noHistory: chunk.includes('No more reverse-execution history.'),
        text: chunk,
      };
    });
}

const live: Session[] = [];

afterEach(async () => {
  for (const s of live.splice(0)) await s.dispose().catch(() => undefined);
});

async function session(
  bin: string,
  bps: string[],
  opts: { args?: string[]; stdin?: string; stopAt?: 'main' } = {},
): Promise<{ s: Session; first: StopInfo; out: string[] }> {
  const s = new Session();
  live.push(s);
  const out: string[] = [];
  s.on('output', (o) => {
    if (o.category === 'stdout') out.push(o.text);
  });
  await s.loadProgram(bin);
  for (const b of bps) await s.setBreakpoint({ location: b });
  const first = await s.launch({ program: bin, args: opts.args, record: true, stdio: 'pipe', stdin: opts.stdin, stopAt: opts.stopAt });
  return { s, first, out };
}

/** Lets the program's piped output arrive. */
const settle = () => new Promise((r) => setTimeout(r, 150));

const where = (st: StopInfo) => ({ func: st.frame?.function, line: st.frame?.line });

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

describe('against gdb record full', () => {
  test('repeated reverse-next walks back through the loop lines and iterations as gdb does, then into the caller', async () => {
    const g = gdb(LOOP(), ['break 41', 'run', 'record full', 'break 27', 'continue'], Array(12).fill('reverse-next'));
    const expected = g.filter((x) => !x.noHistory).map((x) => x.line);
    // gdb: the first iteration's condition (entered in the middle of its line range by the initial jump)
    // does not stop; the walk goes on to line 22.
    expect(expected.slice(0, 10)).toEqual([23, 25, 24, 23, 25, 24, 23, 25, 24, 22]);
    const { s, first } = await session(LOOP(), ['rx_loop.c:27']);
    expect(where(first)).toEqual({ func: 'quiet', line: 27 });
    const got: (number | undefined)[] = [];
    for (let i = 0; i < expected.length; i++) {
      const st = await s.reverseNext();
      got.push(st.frame?.line);
    }
    expect(got).toEqual(expected);
    // gdb's history began at line 41 (its record started there); ours goes on into main's line of the call.
    const st = await s.reverseNext();
    expect(where(st)).toEqual({ func: 'main', line: 41 });
    await s.dispose();
  });

  test('reverse-step goes into the function that returned, line by line; reverse-finish goes back to its call', async () => {
    const cmds = ['reverse-next', 'reverse-next', 'reverse-step', 'reverse-step', 'reverse-step', 'reverse-step', 'reverse-finish'];
    const g = gdb(LOOP(), ['break 41', 'run', 'record full', 'break 27', 'continue'], [...cmds, 'print $pc', 'print x']);
    expect(g.map((x) => x.line).slice(0, 7)).toEqual([23, 25, 13, 12, 11, 10, 24]);
    const gdbPc = Number(/\$1 = \(void \(\*\)\(\)\) (0x[0-9a-f]+)/.exec(g[7].text)![1]);
    const { s } = await session(LOOP(), ['rx_loop.c:27']);
    const got: { func?: string; line?: number; mid?: boolean }[] = [];
    let st = await s.reverseNext();
    got.push(where(st));
    st = await s.reverseNext();
    got.push(where(st));
    for (let i = 0; i < 4; i++) {
      st = await s.reverseStep();
      got.push(where(st));
      if (i === 0) expect((await s.evaluate('x')).value).toBe('2');
    }
    st = await s.reverseFinish();
    got.push(where(st));
    // gdb names the function only when it changes: carry it forward.
    let fn = 'quiet';
    const oracle = g.slice(0, 7).map((x) => ({ func: (fn = x.func ?? fn), line: x.line }));
    expect(got).toEqual(oracle);
    // Stopped at the call instruction itself, as gdb: the same pc, shown with its address.
    expect(st.frame?.pc).toBe(gdbPc);
    expect(st.description).toMatch(/^0x[0-9a-f]+ in quiet \(n=3\)/);
    await s.dispose();
  });

  test('the printf loop: reverse-next from the printf walks back the lines gdb stepped through forward', async () => {
    // gdb's record full cannot go back over printf on this machine (it fails to write the AMX extended
    // state: "Couldn't write extended state status"); what it shows before failing must agree, and the
    // whole walk must be gdb's forward `next` sequence, reversed.
    const fwd = gdb(LOOP(), ['break 33', 'run'], Array(9).fill('next')).map((x) => x.line);
    // 34 35 36 34 35 36 34 35 36 ... up to the third printf (i == 2).
    const third = fwd.indexOf(35, fwd.indexOf(35, fwd.indexOf(35) + 1) + 1);
    expect(third).toBeGreaterThan(0);
    const path = [33, ...fwd.slice(0, third)];
    const expected = path.slice().reverse();
    const rec = gdb(LOOP(), ['break 33', 'run', 'record full', 'break 35 if i == 2', 'continue', 'delete'], Array(expected.length).fill('reverse-next'));
    const gdbManaged = rec.filter((x) => x.line !== undefined && !x.text.includes("Couldn't")).map((x) => x.line);
    const { s, first, out } = await session(LOOP(), [], { stopAt: 'main' });
    void first;
    await s.setBreakpoint({ location: 'rx_loop.c:35', condition: 'i == 2' });
    let st = await s.cont();
    expect(where(st)).toEqual({ func: 'main', line: 35 });
    await s.removeBreakpoint(s.breakpoints()[0].id);
    const got: (number | undefined)[] = [];
    for (let i = 0; i < expected.length; i++) {
      st = await s.reverseNext();
      got.push(st.frame?.line);
    }
    // What gdb manages before failing is the oracle; every stop is a line of the loop or main's first.
    expect(gdbManaged.length).toBeGreaterThanOrEqual(2);
    expect(got.slice(0, gdbManaged.length)).toEqual(gdbManaged);
    for (const l of got) expect([32, 33, 34, 35, 36]).toContain(l);
    expect([32, 33]).toContain(got[got.length - 1]);
    // Forward again: replayed (no output shown twice), then live from the present on.
    st = await s.cont();
    expect(st.reason).toBe('exited');
    await settle();
    // Exactly what the program prints when run on its own, once.
    expect(out.join('')).toBe(execFileSync(LOOP(), { encoding: 'utf8' }));
    await s.dispose();
  });
});

describe('reverse-continue and watchpoints', () => {
  test('reverse-continue stops at the most recent earlier breakpoint hit, then earlier ones, then the start', async () => {
    const { s, first } = await session(LOOP(), ['square']);
    expect(first.reason).toBe('breakpoint');
    expect((await s.evaluate('x')).value).toBe('0');
    await s.cont();
    let st = await s.cont();
    expect((await s.evaluate('x')).value).toBe('2');
    st = await s.reverseContinue();
    expect(st.reason).toBe('breakpoint');
    expect(st.breakpointIds).toEqual([1]);
    expect(where(st)).toEqual({ func: 'square', line: 10 });
    expect((await s.evaluate('x')).value).toBe('1');
    st = await s.reverseContinue();
    expect((await s.evaluate('x')).value).toBe('0');
    st = await s.reverseContinue();
    expect(st.reason).toBe('no-history');
    expect(st.description).toMatch(/No more reverse-execution history/);
    // And forward: the next hit is x == 0 again, replayed.
    st = await s.cont();
    expect(st.reason).toBe('breakpoint');
    expect((await s.evaluate('x')).value).toBe('0');
    await s.dispose();
  });

  test('who last wrote this: a write watchpoint in reverse finds the last writer, then the one before', async () => {
    const { s } = await session(LOOP(), ['rx_loop.c:42']);
    const addr = Number(/0x[0-9a-f]+/.exec((await s.evaluate('&watched')).value)![0]);
    expect((await s.evaluate('watched')).value).toBe('2');
    const rev = s.reverseProvider as unknown as { reverseToLastWrite(a: number, l: number): Promise<StopInfo> };
    let st = await rev.reverseToLastWrite(addr, 4);
    expect(st.reason).toBe('watchpoint');
    expect(st.frame?.function).toBe('touch');
    expect((await s.evaluate('v')).value).toBe('2');
    // At the writing instruction, before the write (as gdb shows a watchpoint going back).
    expect((await s.evaluate('watched')).value).toBe('1');
    st = await rev.reverseToLastWrite(addr, 4);
    expect(st.frame?.function).toBe('touch');
    expect((await s.evaluate('v')).value).toBe('1');
    await s.dispose();
  });
});

describe('replayed system calls and long runs', () => {
  test('stepping back over read(), time(), getrandom() and getpid() and forward again gives the same values and reads no new input', async () => {
    const bin = fixture('rx_nondet');
    const { s, out } = await session(bin, ['done'], { stdin: 'hello\n' });
    const values = async () => (await s.evaluate('res')).value;
    const before = await values();
    expect(before).toMatch(/input = "hello\\n"/);
    const pid = s.pid!;
    expect(before).toContain(`pid = ${pid}`);
    // Back to before the read (the start of main's body), then forward to done() again.
    let st = await s.reverseFinish();
    for (let i = 0; i < 20 && st.frame?.line !== 27; i++) st = await s.reverseNext();
    expect(st.frame?.line).toBe(27);
    expect((await s.evaluate('res.nread')).value).toBe('0');
    await new Promise((r) => setTimeout(r, 1100));
    st = await s.cont();
    expect(st.reason).toBe('breakpoint');
    expect(await values()).toBe(before);
    expect(s.pid).toBe(pid);
    st = await s.cont();
    expect(st.reason).toBe('exited');
    await new Promise((r) => setTimeout(r, 100));
    expect(out.join('').split('\n').filter(Boolean)).toHaveLength(1);
    await s.dispose();
  });

  test('reverse after a long forward run: back onto the last iteration of a loop that ran 500,000 times', async () => {
    const { s } = await session(fixture('rx_hot'), ['rx_hot.c:14'], { args: ['500000'] });
    // gdb merges the i++ and the condition (both line 11, consecutive) into one range: the stop is at
    // its start, the increment of the last iteration.
    let st = await s.reverseNext();
    expect(st.frame?.line).toBe(11);
    expect((await s.evaluate('i')).value).toBe('499999');
    st = await s.reverseNext();
    expect(st.frame?.line).toBe(12);
    expect((await s.evaluate('i')).value).toBe('499999');
    st = await s.reverseStepInstruction();
    expect(st.frame?.line).toBe(11);
    expect((await s.evaluate('i')).value).toBe('499999');
    st = await s.next();
    expect(st.frame?.line).toBe(12);
    expect((await s.evaluate('i')).value).toBe('499999');
    await s.dispose();
  });
});

describe('edges', () => {
  test('reverse-stepi undoes stepi exactly', async () => {
    const { s } = await session(LOOP(), ['square']);
    const pcs: number[] = [];
    for (let i = 0; i < 4; i++) pcs.push((await s.stepInstruction()).frame!.pc);
    for (let i = 2; i >= 0; i--) expect((await s.reverseStepInstruction()).frame!.pc).toBe(pcs[i]);
    await s.dispose();
  });

  test('at the start of the recording: "No more reverse-execution history."', async () => {
    const s = new Session();
    await s.loadProgram(LOOP());
    await s.launch({ program: LOOP(), record: true, stdio: 'pipe', stopAt: 'main' });
    // No breakpoint before: back to where the recording began.
    const st = await s.reverseContinue();
    expect(st.reason).toBe('no-history');
    expect(st.description).toContain('No more reverse-execution history.');
    await s.dispose();
  });

  test('a multi-threaded program gets a clear error, and the session goes on', async () => {
    const s = new Session();
    const bin = fixture('threads');
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'worker' });
    await s.launch({ program: bin, record: true, stdio: 'pipe' });
    await expect(s.reverseNext()).rejects.toThrow(/single-threaded|multi-threaded/);
    expect(s.state).toBe('stopped');
    await s.dispose();
  });

  test('without recording, reverse commands say so', async () => {
    const s = new Session();
    await s.loadProgram(LOOP());
    await s.launch({ program: LOOP(), stdio: 'pipe', stopAt: 'main' });
    await expect(s.reverseNext()).rejects.toThrow(/does not support this command/);
    await s.dispose();
  });
});
