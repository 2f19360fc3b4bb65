// The console's `info frame` outside plain -O0 frames, compared with gdb at the same stop: a libc
// function (its own debug information and CFI, no frame pointer) and an -O2 frameless function.
// Stack addresses are compared relative to the frame's CFA (they depend on the environment).
import * as path from 'path';
import { Client, gdb } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(60000);

const rel = (text: string) => {
  const base = parseInt(/frame at (0x[0-9a-f]+)/.exec(text)![1], 16);
  return text.replace(/0x7ffffff[0-9a-f]{5}\b/g, (m) => `CFA${parseInt(m, 16) - base >= 0 ? '+' : '-'}${Math.abs(parseInt(m, 16) - base)}`).trimEnd();
};

/** gdb's `info frame` in frames 0..levels-1 after stopping at a function breakpoint (one gdb run). */
function gdbInfoFrames(program: string, fn: string, levels: number, args: string[] = []): string[] {
  const cmds = [`break ${fn}`, 'run'];
  for (let i = 0; i < levels; i++) cmds.push(...(i ? ['up'] : []), `echo @@${i}\\n`, 'info frame');
  const out = gdb([...cmds, 'echo @@end\\n'], program, args);
  return Array.from({ length: levels }, (_, i) => {
    const from = out.indexOf(`@@${i}\n`) + `@@${i}\n`.length;
    const text = out.slice(from, out.indexOf(i + 1 < levels ? `@@${i + 1}\n` : '@@end\n'));
    // The next level's `up` prints its frame line (#1 ...) before that level's marker: leave it out.
    const up = text.search(/^#\d/m);
    return up >= 0 ? text.slice(0, up) : text;
  });
}

async function atFunction(program: string, fn: string, args: string[] = []): Promise<{ c: Client; frames: number[] }> {
  const c = new Client();
  await c.start();
  await c.launchWith({ program, args }, async (cl) => {
    await cl.setFunctionBreakpointsRequest({ breakpoints: [{ name: fn }] });
  });
  const s = await c.stopped();
  const st = await c.stackTraceRequest({ threadId: s.body.threadId! });
  return { c, frames: st.body.stackFrames.map((f) => f.id) };
}

describe('info frame beyond -O0 code (gdb as oracle)', () => {
  test('in libc (printf): frame base from the prologue, saved registers from its CFI', async () => {
    const { c, frames } = await atFunction(fixture('loop'), 'printf', ['3']);
    try {
      const mine = await c.repl('info frame', frames[0]);
      expect(rel(mine)).toBe(rel(gdbInfoFrames(fixture('loop'), 'printf', 1, ['3'])[0]));
    } finally {
      await c.finish();
    }
  });

  test('an -O2 function without frame pointer and its caller', async () => {
    const prog = fixture('types_O2');
    const { c, frames } = await atFunction(prog, 'add');
    try {
      const g = gdbInfoFrames(prog, 'add', 2);
      expect(rel(await c.repl('info frame', frames[0]))).toBe(rel(g[0]));
      // With the entry values gdb knows (`s=s@entry=...`, equal here).
      expect(rel(await c.repl('info frame', frames[1]))).toBe(rel(g[1]));
    } finally {
      await c.finish();
    }
  });
});
