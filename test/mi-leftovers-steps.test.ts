// The console text of console-driven steps over MI, record by record against gdb 13 (print_stop_location):
// a step that ends in the frame and function it started in prints the source line only, after the pc
// when that is mid-line or on a non-statement line-table entry (`0x...\t20\t...`); entering or leaving a
// function prints the frame line too; `finish` and stepi/nexti sequences; -O2 code with an inlined
// function (loop_O2).
import { fixture } from './helpers';
import { miTranscript, MiStep } from './mi-client';

jest.setTimeout(120000);

const keep = (l: string) => !/^[=*]|^\^running/.test(l);
const steps = (bp: string, cmds: string[]): MiStep[] => [{ cmd: `-break-insert ${bp}` }, { cmd: '-exec-run', stop: true }, ...cmds.map((c) => ({ cmd: `-interpreter-exec console "${c}"`, stop: true }))];

describe('console steps print what gdb prints', () => {
  test.each([
    ['demo', 'main', ['step', 'step', 'step', 'step', 'next', 'next', 'finish', 'stepi', 'nexti', 'nexti', 'next']],
    ['loop', 'loop.c:20', ['step', 'stepi', 'stepi', 'nexti', 'finish', 'next', 'stepi', 'step', 'stepi', 'next', 'next']],
    ['loop_O2', 'main', ['step', 'step', 'step', 'stepi', 'stepi', 'next', 'next', 'step', 'next', 'stepi', 'stepi', 'stepi']],
  ] as const)('%s', async (name, bp, cmds) => {
    const s = steps(bp, [...cmds]);
    const g = await miTranscript('gdb', ['--args', fixture(name)], s, keep);
    const b = await miTranscript('backstep', ['--args', fixture(name)], s, keep);
    const text = g.map((x) => x.join('\n')).join('\n');
    // The oracle has both forms: a source line alone, and one after a mid-line pc.
    expect(text).toMatch(/~"\d+\\t/);
    expect(text).toMatch(/~"0x[0-9a-f]{16}\\t\d+\\t/);
    expect(b).toEqual(g);
  });
});
