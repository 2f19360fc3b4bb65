// `next` in one tracer request: Inferior.stepOver (range stepping that runs over calls inside the
// tracer) checked against objdump, and the engine's `next` built on it checked against gdb in the cases
// where the run over a call is interrupted (a conditional breakpoint in the callee, a breakpoint at the
// return address, a fault in the callee, threads created meanwhile, recursion). Also: the page cache of
// Inferior.readMemorySync, and CPU pinning of long continues.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Tracer } from '../src/target';
import type { Session } from '../src/engine/session';
import { fixture, leftoverTracees, loadBias, nmAddress } from './helpers';
import { gdbPositionsAfter, newSession, runGdbCommands } from './engine-helpers';

jest.setTimeout(120000);

interface Insn {
  addr: number;
  op: string;
  text: string;
}

/** Instructions of a function, link-time addresses (objdump). */
function disassemble(bin: string, fn: string): Insn[] {
  const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' });
  const body = dis.split(/\n\n/).find((b) => b.includes(`<${fn}>:`))!;
  return body
    .split('\n')
    .map((l) => /^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ addr: parseInt(m[1], 16), op: m[2], text: m[3] }));
}

/** Address ranges of a source line (objdump's decoded line table, link-time addresses). */
function lineRange(bin: string, file: string, line: number): { start: number; end: number } {
  const rows = execFileSync('objdump', ['--dwarf=decodedline', bin], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p[0] === file && /^0x/.test(p[2] ?? ''))
    .map((p) => ({ line: Number(p[1]), addr: parseInt(p[2], 16) }));
  const i = rows.findIndex((r) => r.line === line);
  let j = i + 1;
  while (j < rows.length && rows[j].line === line) j++;
  return { start: rows[i].addr, end: rows[j].addr };
}

/** loop.c's line 20 (`total += hot(i);`), main's disassembly and the index in it of the line's call to hot (objdump). */
function hotCallInLoop(bin: string): { line: { start: number; end: number }; main: Insn[]; k: number } {
  const line = lineRange(bin, 'loop.c', 20);
  const main = disassemble(bin, 'main');
  const k = main.findIndex((x) => x.op === 'call' && x.text.includes('<hot>') && x.addr >= line.start && x.addr < line.end);
  return { line, main, k };
}

let tracer: Tracer;
const sessions: Session[] = [];

beforeAll(async () => {
  tracer = await Tracer.create();
});

afterAll(async () => {
  for (const s of sessions) await s.dispose();
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

describe('Inferior.stepOver', () => {
  test('runs over the call on a line in one request and lands after the call instruction', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['3'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    // Line 20 is `total += hot(i);`: its call instruction and the address after it, from objdump.
    const { line, main, k } = hotCallInLoop(bin);
    expect(k).toBeGreaterThan(0);
    const call = main[k];
    const after = main[k + 1].addr;
    await inf.setBreakpoint(bias + line.start);
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: bias + line.start });
    const counter = bias + nmAddress(bin, 'counter');
    const before = inf.readMemorySync(counter, 4).readInt32LE(0);
    const r = await inf.stepOver(bias + line.start, bias + call.addr + 1);
    expect(r.event).toMatchObject({ kind: 'step', pc: bias + after });
    expect(r.calls).toBe(1);
    expect(r.prevPc).toBe(bias + call.addr);
    expect(r.over).toEqual({ ra: bias + after, minSp: expect.any(Number), reached: true });
    // hot() ran once: counter += 1.
    expect(inf.readMemorySync(counter, 4).readInt32LE(0)).toBe(before + 1);
    // The temporary breakpoint is gone; the user's stays.
    expect((await inf.breakpoints()).map((b) => b.addr)).toEqual([bias + line.start]);
    // Back at the line start (next iteration): a range covering the call and what follows comes back
    // only when the pc leaves it, after the call.
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: bias + line.start });
    const whole = await inf.stepOver(bias + line.start, bias + line.end);
    expect(whole.calls).toBe(1);
    expect(whole.event.kind).toBe('step');
    const pc = whole.event.kind === 'step' ? whole.event.pc : 0;
    expect(pc < bias + line.start || pc >= bias + line.end).toBe(true);
    await inf.kill();
  });

  test('a breakpoint in the callee ends the run over the call, naming the return address', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['3'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const { line, main, k } = hotCallInLoop(bin);
    const hotBody = disassemble(bin, 'hot');
    await inf.setBreakpoint(bias + line.start);
    await inf.cont();
    // Not at hot's entry (that ends range stepping at once): inside its body.
    const inside = bias + hotBody[3].addr;
    await inf.setBreakpoint(inside);
    const r = await inf.stepOver(bias + line.start, bias + main[k].addr + 1);
    expect(r.event).toMatchObject({ kind: 'breakpoint', pc: inside });
    expect(r.over).toMatchObject({ ra: bias + main[k + 1].addr, reached: false });
    expect(r.calls).toBe(0);
    await inf.kill();
  });

  test('straight-line code runs with one stop, counting its instructions; a breakpoint inside it still stops it', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['5'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    // The loop's back edge: the part of line 19 after the body (i++, the test, the conditional jump
    // back to line 20), from objdump's line table and disassembly.
    const rows = execFileSync('objdump', ['--dwarf=decodedline', bin], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p) => p[0] === 'loop.c' && /^0x/.test(p[2] ?? ''))
      .map((p) => ({ line: Number(p[1]), addr: parseInt(p[2], 16) }));
    const body = lineRange(bin, 'loop.c', 20);
    const start = rows.find((r) => r.line === 19 && r.addr >= body.end)!.addr;
    const end = rows.find((r) => r.addr > start && r.line !== 19)!.addr;
    const insns = disassemble(bin, 'main').filter((x) => x.addr >= start && x.addr < end);
    const jump = insns[insns.length - 1];
    expect(jump.op).toMatch(/^j/);
    expect(insns.slice(0, -1).every((x) => !x.op.startsWith('j') && x.op !== 'call')).toBe(true);
    await inf.setBreakpoint(bias + start);
    await inf.cont();
    await inf.removeBreakpoint(bias + start);
    const r = await inf.stepOver(bias + start, bias + end);
    // i = 1 < 5: the jump is taken, back to line 20's first instruction.
    expect(r.event).toMatchObject({ kind: 'step', pc: bias + body.start });
    expect(r.steps).toBe(insns.length);
    expect(r.prevPc).toBe(bias + jump.addr);
    // A breakpoint on the second instruction: the range stops there.
    await inf.setBreakpoint(bias + start);
    await inf.setBreakpoint(bias + insns[1].addr);
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: bias + start });
    const early = await inf.stepOver(bias + start, bias + end);
    expect(early.event).toMatchObject({ kind: 'step', pc: bias + insns[1].addr });
    expect(early.steps).toBe(1);
    // From there (on the breakpoint), on to the end of the range.
    const rest = await inf.stepOver(bias + start, bias + end);
    expect(rest.event).toMatchObject({ kind: 'step', pc: bias + body.start });
    expect(rest.steps).toBe(insns.length - 1);
    // The hit counts are the user's only: the range's own stops left none.
    expect((await inf.breakpoints()).find((b) => b.addr === bias + insns[1].addr)?.hits).toBe(0);
    await inf.kill();
  });

  test("a breakpoint where the range ends (the next line's) is left in place and hit later", async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['5'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const body = lineRange(bin, 'loop.c', 20);
    await inf.setBreakpoint(bias + body.start);
    await inf.cont();
    await inf.removeBreakpoint(bias + body.start);
    // Line 20 (the call to hot and the addition after it) ends where the loop's back edge begins.
    await inf.setBreakpoint(bias + body.end);
    const r = await inf.stepOver(bias + body.start, bias + body.end);
    expect(r.event).toMatchObject({ kind: 'step', pc: bias + body.end });
    expect(r.calls).toBe(1);
    expect((await inf.breakpoints()).map((b) => b.addr)).toEqual([bias + body.end]);
    // Still inserted: the next iteration stops there.
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: bias + body.end });
    await inf.kill();
  });

  test('memory reads while stopped come from a page cache that every resume and write drops', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['3'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const counter = bias + nmAddress(bin, 'counter');
    const hot = bias + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot);
    await inf.cont();
    expect(inf.readMemorySync(counter, 4).readInt32LE(0)).toBe(0);
    // Resumed: the cached page must not be served again.
    await inf.cont();
    expect(inf.readMemorySync(counter, 4).readInt32LE(0)).toBe(1);
    // Written through the synchronous path, read back.
    inf.writeMemorySync(counter, Buffer.from([7, 0, 0, 0]));
    expect(inf.readMemorySync(counter, 4).readInt32LE(0)).toBe(7);
    // Written through the worker, read back.
    await inf.writeMemory(counter, Buffer.from([9, 0, 0, 0]));
    expect(inf.readMemorySync(counter, 4).readInt32LE(0)).toBe(9);
    // The breakpoint's int3 is never visible, before or after removing it.
    const file = fs.readFileSync(bin);
    const textOff = hot - bias; // PIE, first segment maps the file from offset 0
    expect(inf.readMemorySync(hot, 4)).toEqual(file.subarray(textOff, textOff + 4));
    await inf.removeBreakpoint(hot);
    expect(inf.readMemorySync(hot, 4)).toEqual(file.subarray(textOff, textOff + 4));
    // A read across a page boundary: the end of the text segment and the start of the next one.
    const edge = hot - (hot % 4096) + 4096 - 3;
    const direct = await inf.readMemory(edge, 8);
    expect(inf.readMemorySync(edge, 8)).toEqual(direct);
    expect(() => inf.readMemorySync(0x10, 4)).toThrow('Cannot access memory at address 0x10');
    await inf.kill();
  });

  test('a long continue runs on all CPUs and is pinned again at the stop', async () => {
    const cpus = fs.readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/)![1];
    const affinity = (pid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    const out = fs.openSync('/dev/null', 'w');
    const inf = await tracer.launch({ program: fixture('spin'), stdio: [-1, out, -1] });
    fs.closeSync(out);
    const pinned = affinity(inf.pid);
    const running = inf.cont();
    await new Promise((r) => setTimeout(r, 100));
    const during = affinity(inf.pid);
    inf.pause();
    expect((await running).kind).toBe('paused');
    const after = affinity(inf.pid);
    await inf.kill();
    if (!cpus.includes('-') && !cpus.includes(',')) return; // one CPU: nothing to spread over
    expect(pinned).not.toBe(cpus);
    expect(during).toBe(cpus);
    expect(after).toBe(pinned);
  });
});

// ------------------------------------------------------------------ the engine's `next` against gdb

const RUN_CMDS = /^(run|next|step|finish|continue)\b/;

interface Script {
  name: string;
  program: string;
  args?: string[];
  cmds: string[];
}

/** The runtime address (ASLR off, as in gdb) of the instruction after main's call to hot on line 20. */
function returnAddressInLoop(): string {
  const { main, k } = hotCallInLoop(fixture('loop'));
  return '0x' + (0x555555554000 + main[k + 1].addr).toString(16);
}

const scripts: Script[] = [
  {
    name: 'next over a call whose callee holds a conditional breakpoint (false, then true)',
    program: 'loop',
    args: ['5'],
    cmds: ['break main', 'run', 'break hot if x == 2', ...Array(9).fill('next')],
  },
  {
    name: 'next over a call whose return address holds a breakpoint',
    program: 'loop',
    args: ['5'],
    cmds: ['break main', 'run', 'next', 'next', `break *${returnAddressInLoop()}`, 'next', 'next', 'next', 'next', 'next'],
  },
  {
    name: 'next over a call that faults in the callee',
    program: 'crash',
    cmds: ['break main', 'run', 'next', 'next', 'next', 'next'],
  },
  {
    name: 'next over calls that create and join threads',
    program: 'threads',
    cmds: ['break main', 'run', 'next', 'next', 'next', 'next', 'next'],
  },
  {
    name: 'next over a recursive call with a breakpoint in the recursion, then without',
    program: 'unwind',
    args: ['recurse', '3'],
    cmds: ['break recurse', 'run', 'next', 'next', 'next', 'continue', 'delete', 'next', 'next', 'next', 'next'],
  },
];

describe('next matches gdb when the run over a call is interrupted', () => {
  for (const sc of scripts) {
    test(sc.name, async () => {
      const program = fixture(sc.program);
      const { out, positions: expected } = gdbPositionsAfter(program, sc.args ?? [], sc.cmds, RUN_CMDS);
      expect(expected.length).toBe(sc.cmds.filter((c) => RUN_CMDS.test(c)).length);
      const { s } = newSession();
      sessions.push(s);
      const threads: number[] = [];
      s.on('thread', (t) => {
        if (t.reason === 'started') threads.push(t.threadId);
      });
      expect((await runGdbCommands(s, program, sc.args, sc.cmds)).pos).toEqual(expected);
      // Threads created while running over a call are announced, as gdb's [New Thread ...] lines.
      const gdbNew = (out.match(/^\[New Thread /gm) ?? []).length;
      expect(threads.filter((t) => t !== s.inferior?.pid).length).toBe(gdbNew);
      await s.kill().catch(() => undefined);
    });
  }
});
