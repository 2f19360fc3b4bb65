// `disassemble /m` and `/s` (with /r, on functions and ranges) and -data-disassemble modes 1, 3, 4, 5,
// compared record by record with gdb 13 over MI (the console text arrives as ~"..." stream records):
// -O0 (loop), -O2 with out-of-order lines and code inlined from a header (loop_O2: hot() inlined,
// atoi's strtol from stdlib.h), and an -O2 function with many ranges per line (values_O2 use), stopped
// and before `run`.
import { fixture } from './helpers';
import { miTranscript, MiStep } from './mi-client';

jest.setTimeout(120000);

const keep = (l: string) => !/^[=*]|^\^running/.test(l);

async function both(args: string[], steps: MiStep[]): Promise<{ g: string[][]; b: string[][] }> {
  const g = await miTranscript('gdb', args, steps, keep);
  const b = await miTranscript('backstep', args, steps, keep);
  return { g, b };
}

const CONSOLE = (fn: string): MiStep[] => [
  { cmd: `disassemble /s ${fn}` },
  { cmd: `disassemble /m ${fn}` },
  { cmd: `disassemble /rs ${fn}` },
  { cmd: `disassemble /mr ${fn}` },
];
const MI = (fn: string): MiStep[] => [1, 3, 4, 5].map((mode) => ({ cmd: `-data-disassemble -a ${fn} ${mode}` }));

describe('source and assembly, as gdb 13', () => {
  test('loop_O2 stopped in main: out-of-order lines, inlined code, ranges, -n, errors', async () => {
    const steps: MiStep[] = [
      { cmd: '-break-insert main' },
      { cmd: '-exec-run', stop: true },
      { cmd: 'disassemble /s' },
      { cmd: 'disassemble /m' },
      ...CONSOLE('hot'),
      { cmd: 'disassemble /s $pc,+24' },
      { cmd: 'disassemble /m main+30,main+60' },
      { cmd: 'disassemble /rs main+30,main+60' },
      ...MI('main'),
      { cmd: '-data-disassemble -s $pc -e $pc+20 1' },
      { cmd: '-data-disassemble -s $pc -e $pc+40 5' },
      { cmd: '-data-disassemble -f loop.c -l 20 -n 3 1' },
      { cmd: '-data-disassemble -f loop.c -l 20 -n 9 4' },
      { cmd: 'disassemble /ms' },
      { cmd: 'disassemble /rb' },
      { cmd: 'disassemble /x' },
      { cmd: 'disassemble /' },
    ];
    const { g, b } = await both(['--args', fixture('loop_O2')], steps);
    // The oracle shows what the test is about: /s in address order (line 19's code before line 18's,
    // stdlib.h's after main's own), /m in line order with the file's other lines only.
    const s = g[2].join('');
    expect(s.indexOf('~"19\\t')).toBeLessThan(s.indexOf('~"18\\t'));
    expect(s).toContain('~"/usr/include/stdlib.h:\\n"');
    const m = g[3].join('');
    expect(m.indexOf('~"18\\t')).toBeLessThan(m.indexOf('~"19\\t'));
    expect(m).not.toContain('stdlib.h');
    expect(m).toContain('~"End of assembler dump.\\n"');
    expect(g[g.length - 4]).toContain('^error,msg="Cannot specify both /m and /s."');
    expect(b).toEqual(g);
  });

  test('loop -O0: stopped in hot, functions and ranges', async () => {
    const steps: MiStep[] = [{ cmd: '-break-insert hot' }, { cmd: '-exec-run', stop: true }, { cmd: 'disassemble /s' }, ...CONSOLE('main'), { cmd: 'disassemble /s main+4,main+40' }, { cmd: 'disassemble /m main+4,main+40' }, ...MI('hot')];
    const { g, b } = await both(['--args', fixture('loop')], steps);
    expect(g[2].join('')).toContain('~"=> 0x');
    expect(b).toEqual(g);
  });

  test("-data-disassemble's arguments as gdb 13's mi_cmd_disassemble reads them", async () => {
    const cmds = [
      '-data-disassemble -a hot',
      '-data-disassemble -a hot --opcodes bytes',
      '-data-disassemble -a hot --opcodes display --source -- 0',
      '-data-disassemble -a hot --source',
      '-data-disassemble -a hot --opcodes none 0',
      '-data-disassemble -a hot --source 1',
      '-data-disassemble -a hot --opcodes none 2',
      '-data-disassemble -a hot --opcodes bogus',
      '-data-disassemble -a hot 6',
      '-data-disassemble -a hot 0 1',
      '-data-disassemble -a hot -n 2 -- 2',
      '-data-disassemble',
      '-data-disassemble -s main 0',
      '-data-disassemble -a main x',
      '-data-disassemble -a 0 0',
      '-data-disassemble -a nosuchsym 0',
      '-data-disassemble -s main -e main+9 -- 2',
      '-data-disassemble -s main+9 -e main 0',
      '-data-disassemble -f loop.c -l 9999 0',
      '-data-disassemble -f nosuch.c -l 3 0',
      '-data-disassemble -f loop.c -l abc 0',
      '-data-disassemble -f loop.c -l 3 0',
      '-data-disassemble -f loop.c -l 20 -n 4 --source',
      '-data-disassemble -f loop.c -l 20 -n -1 0',
    ];
    const { g, b } = await both(['--args', fixture('loop_O2')], cmds.map((cmd) => ({ cmd })));
    expect(g[1][0]).toContain('opcodes="');
    expect(g[5][0]).toBe('^error,msg="-data-disassemble: --opcodes and --source can only be used with mode 0"');
    expect(b).toEqual(g);
  });

  test('values_O2 use (many ranges per line) and before run', async () => {
    const { g, b } = await both(['--args', fixture('values_O2')], [...CONSOLE('use'), ...MI('use')]);
    expect(g[0].join('')).toContain('Dump of assembler code for function use:');
    expect(b).toEqual(g);
  });
});
