// Stepping against gdb: the same command script (break, run, next, step, finish, until, advance, stepi,
// nexti, continue) is run by gdb -batch and by the engine; after every run-control command the position
// (function, line, pc) must be the same, and finish must return the same value.
import { fixture, leftoverTracees } from './helpers';
import { gdb, newSession, parsePositions } from './engine-helpers';
import type { Session } from '../src/engine/session';
import type { StopInfo } from '../src/engine/api';

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

interface Pos {
  func: string | null;
  line: number;
  pc: number;
}

async function runOurs(s: Session, program: string, args: string[] | undefined, cmds: string[]): Promise<{ pos: Pos[]; values: string[] }> {
  const pos: Pos[] = [];
  const values: string[] = [];
  let launched = false;
  for (const c of cmds) {
    const [verb, ...rest] = c.split(' ');
    const arg = rest.join(' ');
    let stop: StopInfo | undefined;
    switch (verb) {
      case 'break':
        await s.setBreakpoint({ location: arg }, { pending: true });
        break;
      case 'delete':
        for (const b of s.breakpoints()) await s.removeBreakpoint(b.id);
        break;
      case 'run':
        stop = await s.launch({ program, args, stdio: 'pipe' });
        launched = true;
        break;
      case 'next':
        stop = await s.next();
        break;
      case 'step':
        stop = await s.step();
        break;
      case 'finish':
        stop = await s.finish();
        if (stop.returnValue) values.push(stop.description.split('\n').pop()!.replace(/^Value returned is /, ''));
        break;
      case 'until':
        stop = arg ? await s.until({ location: arg }) : await s.until();
        break;
      case 'advance':
        stop = await s.advance(arg);
        break;
      case 'stepi':
        stop = await s.stepInstruction();
        break;
      case 'nexti':
        stop = await s.stepInstruction({ over: true });
        break;
      case 'continue':
        stop = await s.cont();
        break;
      default:
        throw new Error(`unknown command ${c}`);
    }
    if (stop) {
      if (stop.reason === 'exited' || stop.reason === 'killed') pos.push({ func: null, line: -1, pc: 0 });
      else pos.push({ func: stop.frame?.function ?? null, line: stop.frame?.line ?? 0, pc: stop.frame?.pc ?? 0 });
    }
  }
  void launched;
  return { pos, values };
}

describe('stepping matches gdb', () => {
  for (const sc of scripts) {
    test(sc.name, async () => {
      const program = fixture(sc.program);
      const gdbCmds: string[] = [];
      for (const c of sc.cmds) {
        gdbCmds.push(c);
        if (RUN_CMDS.test(c)) gdbCmds.push('POS');
      }
      const out = gdb(program, sc.args ?? [], gdbCmds);
      // After the program exits, POS fails ("No frame selected"); gdb -batch stops at the error, so
      // scripts end before exit.
      const expected = parsePositions(out).map((p) => ({ func: p.func, line: p.line, pc: p.pc }));
      const gdbValues = [...out.matchAll(/^Value returned is (.*)$/gm)].map((m) => m[1]);
      const { s } = newSession();
      sessions.push(s);
      const ours = await runOurs(s, program, sc.args, sc.cmds);
      expect(ours.pos).toEqual(expected);
      expect(ours.values).toEqual(gdbValues);
      await s.kill().catch(() => undefined);
    });
  }
});
