// reverse-next / reverse-step in optimized code, compared stop for stop (pc, line, function) with gdb 13's
// `record full` (the oracle, run here): gdb steps back through inlined calls made from the frame
// (`next`), stops at their entry when the call is on another line (shown at the call site, the inlined
// frame hidden), and `step` stops where the walk comes into an inlined call (the inlined frame shown);
// non-statement line-table entries become step ranges, so gdb stops at their start (mid-statement,
// shown with its address). Fixture loop_O2 (hot() inlined into main's loop, atoi inlined from
// stdlib.h), from the breakpoint at line 22 back to the start of main. gdb runs with glibc's AVX code
// turned off (GLIBC_TUNABLES): record full cannot go back over it on this machine; it still fails in
// strtol, so only the stops gdb reaches before that are compared (it reaches at least the first nine).
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { fixture, leftoverTracees } from './helpers';

jest.setTimeout(120_000);

interface At {
  pc: number;
  line: number;
  fn: string;
}

const TUNABLES = 'glibc.cpu.hwcaps=-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-EVEX';

function gdbStops(bin: string, args: string[], bp: string, cmd: string, n: number): At[] {
  const a = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'break main', '-ex', 'run', '-ex', 'record full', '-ex', `break ${bp}`, '-ex', 'continue'];
  for (let i = 0; i < n; i++) a.push('-ex', cmd, '-ex', 'python f=gdb.selected_frame(); print("AT %d %d %s" % (f.pc(), f.find_sal().line, f.name()))');
  let out: string;
  try {
    out = execFileSync('gdb', [...a, '--args', bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, GLIBC_TUNABLES: TUNABLES } });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? '';
  }
  return [...out.matchAll(/^AT (\d+) (\d+) (\S+)$/gm)].map((m) => ({ pc: Number(m[1]), line: Number(m[2]), fn: m[3] }));
}

async function mine(bin: string, args: string[], bp: string, cmd: 'reverseNext' | 'reverseStep', n: number): Promise<At[]> {
  const s = new Session();
  try {
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'main' });
    await s.launch({ program: bin, args, record: true, stdio: 'pipe' });
    await s.setBreakpoint({ location: bp });
    const st0 = await s.cont();
    expect(st0.reason).toBe('breakpoint');
    const out: At[] = [];
    for (let i = 0; i < n; i++) {
      const st = await s[cmd]();
      if (st.reason === 'no-history') break;
      out.push({ pc: st.frame!.pc, line: st.frame!.line!, fn: st.frame!.function! });
    }
    return out;
  } finally {
    await s.dispose();
  }
}

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

for (const cmd of ['reverse-next', 'reverse-step'] as const) {
  test(`${cmd} in -O2 code (inlined calls, non-statement entries) stops where gdb record full does`, async () => {
    const bin = fixture('loop_O2');
    const want = gdbStops(bin, ['3'], 'loop.c:22', cmd, 11);
    expect(want.length).toBeGreaterThanOrEqual(9);
    const got = await mine(bin, ['3'], 'loop.c:22', cmd === 'reverse-next' ? 'reverseNext' : 'reverseStep', want.length);
    expect(got).toEqual(want);
  });
}
