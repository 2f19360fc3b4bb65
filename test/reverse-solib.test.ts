// reverse-step into a shared library's function with line info (libshape.so, linked by uselib): the
// function that returned is entered at its last line, then walked back line by line, as gdb 13's
// `record full` does (the oracle: its lines and pcs).
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { fixture, leftoverTracees } from './helpers';

jest.setTimeout(120_000);

const TUNABLES = 'glibc.cpu.hwcaps=-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-EVEX';

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('reverse-step from the line after a library call enters the library function at its last line, as gdb', async () => {
  const bin = fixture('uselib');
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', `set environment GLIBC_TUNABLES=${TUNABLES}`];
  for (const c of ['break uselib.c:9', 'run', 'record full', 'next']) args.push('-ex', c);
  for (let i = 0; i < 3; i++) args.push('-ex', 'reverse-step', '-ex', 'python f=gdb.selected_frame(); print("AT %s %d %d" % (f.name(), f.find_sal().line, f.pc()))');
  const out = execFileSync('gdb', [...args, bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const g = [...out.matchAll(/^AT (\S+) (\d+) (\d+)$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
  expect(g.map((x) => x.slice(0, 2))).toEqual([
    ['shape_area', 8],
    ['shape_area', 7],
    ['shape_area', 6],
  ]);
  const s = new Session();
  try {
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'uselib.c:9' });
    await s.launch({ program: bin, record: true, stdio: 'pipe' });
    await s.next();
    const got: (string | number | undefined)[][] = [];
    for (let i = 0; i < 3; i++) {
      const st = await s.reverseStep();
      got.push([st.frame?.function, st.frame?.line, st.frame?.pc]);
    }
    expect(got).toEqual(g);
    // reverse-next from the function's first line goes back out to the call in main.
    const st = await s.reverseNext();
    expect([st.frame?.function, st.frame?.line]).toEqual(['main', 9]);
    expect((await s.evaluate('shape_scale')).value).toBe('3');
  } finally {
    await s.dispose();
  }
});
