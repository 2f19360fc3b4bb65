// reverse-next over lines made of several line-table entries, compared pc for pc with gdb 13's
// `record full` (the oracle): gdb steps back one line-table entry at a time, so a line compiled to
// several entries can stop more than once, depending on how each entry was entered (at its start or in
// its middle) — fixtures rx_lines (a line of three entries, the second starting with a conditional jump)
// and loop (hot()'s `return x * 2 + 1;`, two entries).
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { fixture, leftoverTracees } from './helpers';

jest.setTimeout(120_000);

/** gdb -batch: `setup`, then each of `cmds`, printing the pc and line after each. */
function gdbStops(bin: string, args: string[], setup: string[], cmds: string[]): { pc: number; line: number }[] {
  const a = ['-batch', '-nx', '-ex', 'set pagination off'];
  for (const s of setup) a.push('-ex', s);
  for (const c of cmds) a.push('-ex', c, '-ex', 'python f=gdb.selected_frame(); print("AT %d %d" % (f.pc(), f.find_sal().line))');
  let out: string;
  try {
    out = execFileSync('gdb', [...a, '--args', bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? '';
  }
  return [...out.matchAll(/^AT (\d+) (\d+)$/gm)].map((m) => ({ pc: Number(m[1]), line: Number(m[2]) }));
}

async function mine(bin: string, args: string[], bp: string, nexts: number, backs: number): Promise<{ pc: number; line: number }[]> {
  const s = new Session();
  try {
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: bp });
    const first = await s.launch({ program: bin, args, record: true, stdio: 'pipe' });
    expect(first.reason).toBe('breakpoint');
    for (let i = 0; i < nexts; i++) await s.next();
    const out: { pc: number; line: number }[] = [];
    for (let i = 0; i < backs; i++) {
      const st = await s.reverseNext();
      out.push({ pc: st.frame!.pc, line: st.frame!.line! });
    }
    return out;
  } finally {
    await s.dispose().catch(() => undefined);
  }
}

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

describe('reverse-next stops per line-table entry, as gdb record full', () => {
  // rx_lines.c line 9: [cmpl; movl] [jz 1f; nop; nop] [1: nop; nop; nop]. From line 10, gdb walks back
  // into the third entry's middle and stops at its start; then the second entry: when the jump was taken
  // (x == 0) only its first instruction ran, reached at its start on the same line, and gdb goes on to the
  // first entry; when not, it is walked back from its middle and stops at its start.
  test.each([
    ['x == 0 (the jump taken)', [] as string[], 2],
    ['x == 1 (the jump not taken)', ['1'], 3],
  ])('a line of three entries, %s', async (_name, args, stopsInLine) => {
    const bin = fixture('rx_lines');
    const g = gdbStops(bin, args, ['break rx_lines.c:8', 'run', 'record full', 'next', 'next'], ['reverse-next', 'reverse-next', 'reverse-next']);
    // The oracle's own shape: line 9 stops `stopsInLine` times (gdb's 3rd command may hit the start of
    // its history, which began at line 8).
    expect(g.filter((x) => x.line === 9)).toHaveLength(stopsInLine);
    const want = g.filter((x) => x.line === 9);
    const got = await mine(bin, args, 'rx_lines.c:8', 2, stopsInLine + 1);
    expect(got.slice(0, stopsInLine)).toEqual(want);
    expect(got[stopsInLine].line).toBe(8);
  });

  test("loop.c hot(): `return x * 2 + 1;` (two entries) stops at the second entry's start, then the first's", async () => {
    const bin = fixture('loop');
    const g = gdbStops(bin, ['3'], ['break loop.c:11', 'run', 'record full', 'next', 'next'], ['reverse-next', 'reverse-next']);
    expect(g).toHaveLength(2);
    expect(g.map((x) => x.line)).toEqual([12, 12]);
    expect(g[0].pc).toBeGreaterThan(g[1].pc);
    expect(await mine(bin, ['3'], 'loop.c:11', 2, 2)).toEqual(g);
  });
});
