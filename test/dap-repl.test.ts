// gdb-style commands typed in the debug console (DAP evaluate, context 'repl'): their output is compared
// line by line with gdb's for the same commands at the same stop (stack addresses, which depend on the
// environment, are masked).
import * as path from 'path';
import { Client, gdb } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');

/** Stack addresses differ between two runs with different environments. */
const mask = (s: string) =>
  s
    .replace(/0x7fffff[0-9a-f]{6}\b/g, '0xSTACK')
    .replace(/LWP \d+/g, 'LWP N')
    .trimEnd();

/** gdb's output for each command, separated by markers. */
function gdbOutputs(setup: string[], commands: string[], args: string[]): string[] {
  const cmds = [...setup];
  commands.forEach((c, i) => cmds.push(`echo @@${i}\\n`, c));
  cmds.push(`echo @@end\\n`);
  const out = gdb(cmds, LOOP, args);
  const res: string[] = [];
  for (let i = 0; i < commands.length; i++) {
    const start = out.indexOf(`@@${i}\n`) + `@@${i}\n`.length;
    const end = out.indexOf(i + 1 < commands.length ? `@@${i + 1}\n` : '@@end\n');
    res.push(out.slice(start, end));
  }
  return res;
}

describe('DAP debug console commands (gdb as oracle)', () => {
  let c: Client;
  let frameId: number;
  let callerId: number;

  beforeAll(async () => {
    c = new Client();
    await c.start();
    await c.launchWith({ program: LOOP, args: ['3'] }, async (cl) => {
      await cl.setBreakpointsRequest({ source: { path: LOOP_C }, breakpoints: [{ line: 11 }] });
    });
    const s = await c.stopped('breakpoint');
    const st = await c.stackTraceRequest({ threadId: s.body.threadId! });
    frameId = st.body.stackFrames[0].id;
    callerId = st.body.stackFrames[1].id;
  });

  afterAll(async () => {
    await c?.finish();
  });

  test('inspection commands print what gdb prints', async () => {
    const commands = ['bt', 'info args', 'p/x counter', 'print x + 41', 'info registers rip', 'p $pc', 'x/2a $sp', 'x/4xw &counter', 'x/8xb greeting', 'x/s greeting', 'x/3i $pc', 'whatis greeting', 'info breakpoints', 'info threads', 'info sharedlibrary'];
    const expected = gdbOutputs(['break loop.c:11', 'run'], commands, ['3']);
    const mine: [string, string][] = [];
    const theirs: [string, string][] = [];
    for (let i = 0; i < commands.length; i++) {
      mine.push([commands[i], mask(await c.repl(commands[i], frameId))]);
      // gdb numbers printed values ($1 = ...); the console shows the value.
      theirs.push([commands[i], mask(expected[i].replace(/^\$\d+ = /, ''))]);
    }
    expect(mine).toEqual(theirs);
  });

  test('info locals in the caller frame', async () => {
    const [expected] = gdbOutputs(['break loop.c:11', 'run', 'up'], ['info locals'], ['3']);
    expect(mask(await c.repl('info locals', callerId))).toBe(mask(expected));
  });

  test('info frame in frame 0 and in the caller, as gdb (stack addresses relative to the frame)', async () => {
    // Stack addresses depend on the environment: compare them as offsets from frame 0's CFA.
    const rel = (text: string) => {
      const base = parseInt(/frame at (0x[0-9a-f]+)/.exec(text)![1], 16);
      return text.replace(/0x7ffffff[0-9a-f]{5}\b/g, (m) => `CFA${parseInt(m, 16) - base >= 0 ? '+' : '-'}${Math.abs(parseInt(m, 16) - base)}`).trimEnd();
    };
    const [top] = gdbOutputs(['break loop.c:11', 'run'], ['info frame'], ['3']);
    const [caller] = gdbOutputs(['break loop.c:11', 'run', 'up'], ['info frame'], ['3']);
    expect(top).toContain('Saved registers:');
    expect(rel(await c.repl('info frame', frameId))).toBe(rel(top));
    // The caller's lines are relative to its own CFA; frame 0's appears as "caller of frame at".
    expect(rel(await c.repl('info frame', callerId))).toBe(rel(caller));
  });

  test('set var changes the program state', async () => {
    expect(await c.repl('set var counter = 40 + 2', frameId)).toBe('');
    expect(await c.repl('p counter', frameId)).toBe('42');
    expect(await c.repl('p counter == 42', frameId)).toBe('1');
  });

  test('errors use gdb wording and the console keeps working', async () => {
    await expect(c.repl('p nosuchvar', frameId)).rejects.toThrow('No symbol "nosuchvar" in current context.');
    await expect(c.repl('info bogus', frameId)).rejects.toThrow('Undefined info command: "bogus".  Try "help info".');
    await expect(c.repl('x/4q &counter', frameId)).rejects.toThrow(/Invalid format/);
    await expect(c.repl('-exec frobnicate', frameId)).rejects.toThrow('Undefined command: "frobnicate".  Try "help".');
    expect(await c.repl('help', frameId)).toContain('info locals');
    expect(await c.repl('p x', frameId)).toBe('0');
  });
});
