// Stepping against gdb: the same command script (break, run, next, step, finish, until, advance, stepi,
// nexti, continue) is run by gdb -batch and by the engine; after every run-control command the position
// (function, line, pc) must be the same, and finish must return the same value.
import { fixture, leftoverTracees } from './helpers';
import { gdbPositionsAfter, newSession, runGdbCommands } from './engine-helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

const RUN_CMDS = /^(run|next|step|finish|until|advance|stepi|nexti|continue)\b/;

interface Script {
  name: string;
  program: string;
  args?: string[];
  cmds: string[];
}

const scripts: Script[] = [
  {
    name: 'demo: next through main, over deposit() and printf()',
    program: 'demo',
    cmds: ['break main', 'run', ...Array(12).fill('next')],
  },
  {
    name: 'demo: step into deposit, next to its end and back out into main',
    program: 'demo',
    cmds: ['break demo.c:18', 'run', 'step', 'next', 'next', 'next', 'next', 'next', 'next', 'step', 'step', 'finish', 'next', 'step', 'step'],
  },
  {
    name: 'demo: step through the PLT into printf (libc has line info), out, and from main into libc',
    program: 'demo',
    cmds: ['break demo.c:21', 'run', 'step', 'next', 'next', 'next', 'next', 'next', 'next'],
  },
  {
    name: 'loop: next over the loop, step into hot, finish, until past the loop',
    program: 'loop',
    cmds: ['break main', 'run', 'next', 'next', 'next', 'step', 'next', 'finish', 'next', 'next', 'until', 'until', 'next'],
  },
  {
    name: 'loop: advance and until LOCATION',
    program: 'loop',
    cmds: ['break main', 'run', 'advance 20', 'advance hot', 'until loop.c:22', 'advance 23'],
  },
  {
    name: 'loop: stepi and nexti',
    program: 'loop',
    cmds: ['break loop.c:20', 'run', 'stepi', 'stepi', 'stepi', 'nexti', 'nexti', 'nexti', 'nexti', 'nexti', 'stepi', 'stepi', 'stepi'],
  },
  {
    name: 'recursion: next over a recursive call, finish out of nested levels',
    program: 'unwind',
    args: ['recurse', '4'],
    cmds: ['break recurse', 'run', 'next', 'next', 'continue', 'continue', 'delete', 'next', 'next', 'finish', 'finish', 'next', 'next'],
  },
  {
    name: 'shared library: step through the PLT into libshape, finish, next over dlopen, step through a pointer',
    program: 'uselib',
    args: [fixture('libshape_dl.so')],
    cmds: ['break main', 'run', 'step', 'next', 'finish', 'next', 'next', 'next', 'next', 'next', 'step', 'next', 'next', 'finish'],
  },
  {
    name: 'C++: step into methods and constructors, finish returning double',
    program: 'classes',
    cmds: ['break main', 'run', 'step', 'step', 'finish', 'step', 'step', 'finish', 'next', 'next', 'step', 'finish', 'step', 'next', 'step', 'finish', 'next', 'next'],
  },
  {
    name: '-O2: next and step in optimised code with inlining',
    program: 'loop_O2',
    cmds: ['break main', 'run', 'next', 'next', 'next', 'step', 'next', 'next', 'next'],
  },
];

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  expect(leftoverTracees()).toEqual([]);
});

describe('stepping matches gdb', () => {
  for (const sc of scripts) {
    test(sc.name, async () => {
      const program = fixture(sc.program);
      // After the program exits, POS fails ("No frame selected"); gdb -batch stops at the error, so
      // scripts end before exit.
      const { out, positions: expected } = gdbPositionsAfter(program, sc.args ?? [], sc.cmds, RUN_CMDS);
      const gdbValues = [...out.matchAll(/^Value returned is (.*)$/gm)].map((m) => m[1]);
      const { s } = newSession();
      sessions.push(s);
      const ours = await runGdbCommands(s, program, sc.args, sc.cmds);
      expect(ours.pos).toEqual(expected);
      expect(ours.values).toEqual(gdbValues);
      await s.kill().catch(() => undefined);
    });
  }
});
