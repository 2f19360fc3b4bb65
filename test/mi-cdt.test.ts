// A real front-end over backstep-gdb: Eclipse CDT's DAP adapter for gdb (`cdt-gdb-adapter`, unmodified,
// from npm) launched with `"gdb": <backstep-gdb>`, and the very same DAP session with `"gdb": "gdb"`
// (stock gdb 13). The session launches fixtures/src/mi_cdt.c, stops at breakpoints, reads the stack,
// scopes and variables (expanding a struct and an array), steps over, into and out of functions,
// evaluates expressions, assigns a variable that decides the exit code, and continues to the exit.
// Every observable answer (lines, names, values, types, program output, exit code) must be the same
// with both debuggers; the main ones are also checked against the fixture's source.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, isGoneOrZombie, leftoverTracees, waitUntil } from './helpers';
import { backstepGdbWrapper, CdtClient } from './mi-cdt-client';

jest.setTimeout(120000);

const PROGRAM = fixture('mi_cdt');
const SOURCE = PROGRAM.replace(/bin\/mi_cdt$/, 'src/mi_cdt.c');
const SPIN = fixture('spin');
const CLASSES = fixture('classes');
const CLASSES_SOURCE = CLASSES.replace(/bin\/classes$/, 'src/classes.cpp');
const SPIN_SOURCE = SPIN.replace(/bin\/spin$/, 'src/spin.c');

/** Stack and heap addresses differ between two runs (gdb puts LINES/COLUMNS in the environment). */
function norm(s: string): string {
  return s.replace(/0x7ff[0-9a-f]{9}/g, '0x7ffSTACK');
}

interface Var {
  name: string;
  value: string;
  type?: string;
  children?: Var[];
}

interface Answers {
  breakpoints: (number | undefined)[];
  verified: boolean[];
  stops: { reason: string; frames: string[] }[];
  threads: string[];
  locals: Var[][];
  args: Var[];
  evaluations: Record<string, string>;
  setVariable: string;
  rip: string;
  output: string;
  exitCode?: number;
}

async function variables(c: CdtClient, ref: number, depth: number): Promise<Var[]> {
  const vs = (await c.variablesRequest({ variablesReference: ref })).body.variables;
  const out: Var[] = [];
  for (const v of vs) {
    const x: Var = { name: v.name, value: norm(v.value), type: v.type };
    if (v.variablesReference && depth > 0) x.children = await variables(c, v.variablesReference, depth - 1);
    out.push(x);
  }
  return out;
}

async function localScope(c: CdtClient, frameId: number): Promise<number> {
  const scopes = (await c.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name === 'Local');
  if (!s) throw new Error(`no Local scope: ${scopes.map((x) => x.name).join(', ')}`);
  return s.variablesReference;
}

async function stopInfo(c: CdtClient, threadId: number, reason: string): Promise<{ reason: string; frames: string[] }> {
  const frames = await c.frames(threadId);
  return { reason, frames: frames.map((f) => `${f.name}:${f.line}`) };
}

/** One session; `gdb` is the adapter's `gdb` launch attribute. */
async function session(gdb: string, gdbAsync: boolean): Promise<Answers> {
  const c = new CdtClient();
  await c.start();
  const a: Answers = { breakpoints: [], verified: [], stops: [], threads: [], locals: [], args: [], evaluations: {}, setVariable: '', rip: '', output: '' };
  try {
    await c.initializeRequest({ adapterID: 'gdb', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = c.waitForEvent('initialized');
    const launched = c.launchRequest({ program: PROGRAM, gdb, gdbAsync } as never);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched]);
    await initialized;
    // main's loop, and area()'s first line.
    const bps = await c.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: 29 }, { line: 12 }] });
    a.breakpoints = bps.body.breakpoints.map((b) => b.line);
    a.verified = bps.body.breakpoints.map((b) => b.verified);
    const stop = c.nextStop();
    await c.configurationDoneRequest();
    await launched;
    let ev = await stop;
    const tid = ev.body.threadId!;
    a.stops.push(await stopInfo(c, tid, ev.body.reason));
    a.threads = (await c.threadsRequest()).body.threads.map((t) => `${t.id} ${t.name}`);

    // Locals at the first stop, with the struct and the array expanded two levels deep.
    let frames = await c.frames(tid);
    a.locals.push(await variables(c, await localScope(c, frames[0].id), 2));
    const regs = (await c.scopesRequest({ frameId: frames[0].id })).body.scopes.find((s) => s.name === 'Registers');
    if (regs) {
      const rv = (await c.variablesRequest({ variablesReference: regs.variablesReference })).body.variables;
      a.rip = rv.find((r) => r.name === 'rip')?.value ?? '<no rip>';
    }

    // next, then step into grow().
    a.stops.push(await stopInfo(c, tid, (await c.runTo(c.nextRequest({ threadId: tid }))).body.reason));
    a.stops.push(await stopInfo(c, tid, (await c.runTo(c.stepInRequest({ threadId: tid }))).body.reason));
    frames = await c.frames(tid);
    a.locals.push(await variables(c, await localScope(c, frames[0].id), 1));
    for (const [expr, context] of [
      ['s->corner[1].x * 10', 'watch'],
      ['by', 'hover'],
      ['s->name', 'watch'],
      ['*s', 'watch'],
      ['sizeof(struct shape)', 'repl'],
      ['s->scale / 4', 'watch'],
      // Unreadable: an empty value in a var object; an error for the console's print.
      ['*(int *) 0', 'watch'],
      ['>print *(int *) 8', 'repl'],
    ] as const) {
      const from = c.output.length;
      const r = await c.evaluateRequest({ expression: expr, frameId: frames[0].id, context }).then(
        (x) => x.body.result,
        (e: Error) => `error: ${e.message}`,
      );
      a.evaluations[`${context} ${expr}`] = norm(`${r} | ${c.output.slice(from).trim()}`.trim());
    }
    // A stack frame further up: main's locals through frame 1.
    a.evaluations['main total'] = (await c.evaluateRequest({ expression: 'total', frameId: frames[1].id, context: 'watch' })).body.result;

    // continue to area()'s breakpoint, then step out of it back into grow().
    ev = await c.runTo(c.continueRequest({ threadId: tid }));
    a.stops.push(await stopInfo(c, tid, ev.body.reason));
    frames = await c.frames(tid);
    a.args = await variables(c, await localScope(c, frames[0].id), 1);
    a.stops.push(await stopInfo(c, tid, (await c.runTo(c.stepOutRequest({ threadId: tid }))).body.reason));

    // Only a breakpoint after the loop: total is 270; make it 300 (the exit code is total % 256).
    await c.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: 32 }] });
    ev = await c.runTo(c.continueRequest({ threadId: tid }));
    a.stops.push(await stopInfo(c, tid, ev.body.reason));
    frames = await c.frames(tid);
    const local = await localScope(c, frames[0].id);
    a.locals.push(await variables(c, local, 0));
    a.setVariable = (await c.setVariableRequest({ variablesReference: local, name: 'total', value: '300' })).body.value;
    a.evaluations['after set total'] = (await c.evaluateRequest({ expression: 'total', frameId: frames[0].id, context: 'watch' })).body.result;

    // No breakpoints: continue to the exit.
    await c.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
    const terminated = c.waitForEvent('terminated');
    await c.continueRequest({ threadId: tid });
    await terminated;
    Object.assign(a, programOutput(c.output, /^square total|^\[Inferior 1/));
  } finally {
    await c.stop().catch(() => undefined);
  }
  return a;
}

/**
 * The lines of the adapter's console text that `keep` matches (the program's own output and gdb's
 * "[Inferior 1 (process N) exited ...]", pids masked), and the exit code from that line (gdb prints it in octal).
 */
function programOutput(text: string, keep: RegExp): { output: string; exitCode?: number } {
  const output = text
    .split('\n')
    .filter((l) => keep.test(l))
    .map((l) => l.replace(/process \d+/, 'process N'))
    .join('\n');
  const r: { output: string; exitCode?: number } = { output };
  const m = /exited (?:normally|with code (\d+))\]/.exec(output);
  if (m) r.exitCode = m[1] === undefined ? 0 : parseInt(m[1], 8);
  return r;
}

/** Console text the adapter forwarded since `from`, without its own verbose/log lines. */
function consoleSince(c: CdtClient, from: number): string {
  return norm(c.output.slice(from));
}

interface MoreAnswers {
  breakpoints: { verified: boolean; line?: number; message?: string }[];
  functionBreakpoints: { verified: boolean; message?: string }[];
  stops: { reason: string; frames: string[] }[];
  repl: Record<string, string>;
  disassembly: string[];
  memory: string;
  output: string;
  exitCode?: number;
}

/**
 * Conditional, function and log-point breakpoints, the debug console (`>` commands go to gdb's CLI),
 * disassembly, memory, instruction stepping and program arguments.
 */
async function session2(gdb: string): Promise<MoreAnswers> {
  const c = new CdtClient();
  await c.start();
  const a: MoreAnswers = { breakpoints: [], functionBreakpoints: [], stops: [], repl: {}, disassembly: [], memory: '', output: '' };
  try {
    await c.initializeRequest({ adapterID: 'gdb', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = c.waitForEvent('initialized');
    const launched = c.launchRequest({ program: PROGRAM, gdb, arguments: '7' } as never);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched]);
    await initialized;
    const bps = await c.setBreakpointsRequest({
      source: { path: SOURCE },
      breakpoints: [{ line: 20, condition: 'by == 3' }, { line: 31, logMessage: 'log point' }],
    });
    a.breakpoints = bps.body.breakpoints.map((b) => ({ verified: b.verified, line: b.line, message: b.message }));
    const fbps = await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'area' }, { name: 'nosuch' }] });
    a.functionBreakpoints = fbps.body.breakpoints.map((b) => ({ verified: b.verified, message: b.message }));
    const first = c.nextStop();
    await c.configurationDoneRequest();
    await launched;
    let ev = await first;
    const tid = ev.body.threadId!;
    a.stops.push(await stopInfo(c, tid, ev.body.reason));
    let frames = await c.frames(tid);
    for (const e of ['s->corner[1]', 's->corner[1].y - s->corner[0].y', 'by', '>print s->corner[1].x * 100', '>output *s', '>print nosuch', 'nosuch']) {
      const from = c.output.length;
      const r = await c.evaluateRequest({ expression: e, frameId: frames[0].id, context: 'repl' }).then(
        (x) => x.body.result,
        (err: Error) => `error: ${err.message}`,
      );
      // Console output of `>` commands arrives as output events before the response.
      a.repl[e] = norm(`${r} | ${consoleSince(c, from).trim()}`);
    }
    const ip = (await c.stackTraceRequest({ threadId: tid })).body.stackFrames[0].instructionPointerReference!;
    const dis = (await c.customRequest('disassemble', { memoryReference: ip, instructionCount: 6, instructionOffset: 0 })) as DebugProtocol.DisassembleResponse;
    a.disassembly = dis.body!.instructions.map((i) => `${i.address} ${i.instruction} <${i.symbol}> ${i.line}`);
    const mem = (await c.customRequest('readMemory', { memoryReference: ip, count: 8 })) as DebugProtocol.ReadMemoryResponse;
    a.memory = `${mem.body?.address} ${mem.body?.data}`;
    // One instruction, then on to the conditional breakpoint (by == 3: the third call of grow).
    ev = await c.runTo(c.nextRequest({ threadId: tid, granularity: 'instruction' }));
    const after = (await c.stackTraceRequest({ threadId: tid })).body.stackFrames[0];
    a.stops.push({ reason: ev.body.reason, frames: [`${after.name}:${after.line} ${after.instructionPointerReference}`] });
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    ev = await c.runTo(c.continueRequest({ threadId: tid }));
    a.stops.push(await stopInfo(c, tid, ev.body.reason));
    frames = await c.frames(tid);
    a.repl['by at the conditional breakpoint'] = (await c.evaluateRequest({ expression: 'by', frameId: frames[0].id, context: 'watch' })).body.result;
    // The log point does not stop; the program exits with atoi(argv[1]).
    const terminated = c.waitForEvent('terminated');
    const from = c.output.length;
    await c.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: 31, logMessage: 'log point' }] });
    await c.continueRequest({ threadId: tid });
    await terminated;
    Object.assign(a, programOutput(c.output.slice(from), /log point|^square total|^\[Inferior 1/));
  } finally {
    await c.stop().catch(() => undefined);
  }
  return a;
}

/** A program that never stops by itself: pause, then the end of the session kills it. */
async function session3(gdb: string, gdbAsync: boolean): Promise<{ reason: string; top: string; pid?: number; gone: boolean }> {
  const c = new CdtClient();
  await c.start();
  let pid: number | undefined;
  try {
    await c.initializeRequest({ adapterID: 'gdb', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = c.waitForEvent('initialized');
    const launched = c.launchRequest({ program: SPIN, gdb, gdbAsync } as never);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched]);
    await initialized;
    // Stop in main first, so that the pause cannot land in the dynamic linker's start-up.
    await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [{ line: 9 }] });
    const atMain = await c.runTo(c.configurationDoneRequest());
    await launched;
    await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [] });
    await c.continueRequest({ threadId: atMain.body.threadId! });
    // Let it spin a little (the adapter lists no threads while the program runs: pause thread 1, gdb's number).
    await new Promise((r) => setTimeout(r, 200));
    const ev = await c.runTo(c.pauseRequest({ threadId: 1 }));
    // Its pid, from gdb's `info inferiors` in the debug console (the program's own output is mixed into
    // gdb's stdout, where the adapter takes a leading number for an MI token).
    const frames = await c.frames(ev.body.threadId!);
    const from = c.output.length;
    await c.evaluateRequest({ expression: '>info inferiors', context: 'repl', frameId: frames[0].id });
    pid = Number(/process (\d+)/.exec(c.output.slice(from))?.[1]);
    if (!pid) throw new Error(`${gdb}: no pid in info inferiors:\n${c.output.slice(from)}`);
    await c.disconnectRequest({ terminateDebuggee: true });
    await waitUntil(() => isGoneOrZombie(pid!), 10000, `spin ${pid} to be gone`).catch(() => undefined);
    return { reason: ev.body.reason, top: `${frames[0].name}:${frames[0].line}`, pid, gone: isGoneOrZombie(pid) };
  } finally {
    await c.stop().catch(() => undefined);
    if (pid && !isGoneOrZombie(pid)) process.kill(pid, 'SIGKILL');
  }
}

describe('cdt-gdb-adapter: breakpoint kinds, debug console, disassembly, memory, arguments', () => {
  let wrapper: ReturnType<typeof backstepGdbWrapper>;
  let g: MoreAnswers;
  let b: MoreAnswers;

  beforeAll(async () => {
    wrapper = backstepGdbWrapper();
    g = await session2('gdb');
    b = await session2(wrapper.path);
  });

  afterAll(() => wrapper?.dispose());

  test('conditional, log-point and function breakpoints; an unknown function is refused with gdb\'s message', () => {
    expect(b.breakpoints).toEqual([
      { verified: true, line: 20, message: undefined },
      { verified: true, line: 32, message: undefined },
    ]);
    expect(b.functionBreakpoints).toEqual([{ verified: true, message: undefined }, { verified: false, message: 'Function "nosuch" not defined.' }]);
    expect(b.breakpoints).toEqual(g.breakpoints);
    expect(b.functionBreakpoints).toEqual(g.functionBreakpoints);
    expect(b.stops[0]).toEqual({ reason: 'function breakpoint', frames: ['area:12', 'grow:21', 'main:30'] });
    expect(b.stops[2]).toEqual({ reason: 'breakpoint', frames: ['grow:20', 'main:30'] });
    expect(b.repl['by at the conditional breakpoint']).toBe('3');
    expect(b.stops).toEqual(g.stops);
  });

  test('debug console: expressions through var objects, `>` commands through the CLI, errors', () => {
    expect(b.repl['s->corner[1].y - s->corner[0].y']).toMatch(/^4 \|/);
    expect(b.repl['>print s->corner[1].x * 100']).toContain('$1 = 300');
    expect(b.repl).toEqual(g.repl);
  });

  test('disassembly and memory at the program counter', () => {
    expect(b.disassembly).toHaveLength(6);
    expect(b.disassembly[0]).toMatch(/^0x[0-9a-f]+ \S/);
    expect(b.disassembly).toEqual(g.disassembly);
    expect(b.memory).toEqual(g.memory);
  });

  test('program arguments and the exit code; the log point prints without stopping', () => {
    expect(b.output).toContain('square total 270');
    expect(b.output).toContain('log point');
    expect(b.exitCode).toBe(7);
    expect(b.output).toEqual(g.output);
  });
});

describe('cdt-gdb-adapter: pause a running program', () => {
  // With gdbAsync the adapter sends -exec-interrupt; without, it sends SIGINT to the debugger process.
  test.each([true, false])('gdbAsync %s: pause stops it where gdb reports it; disconnect ends it', async (gdbAsync) => {
    const wrapper = backstepGdbWrapper();
    try {
      const g = await session3('gdb', gdbAsync);
      const b = await session3(wrapper.path, gdbAsync);
      // The adapter reports the SIGINT stop by its signal name.
      expect(b.reason).toBe('SIGINT');
      expect(b.top).toBe('main:11');
      expect(b.gone).toBe(true);
      expect({ ...b, pid: 0 }).toEqual({ ...g, pid: 0 });
    } finally {
      wrapper.dispose();
    }
  });
});

/**
 * Attach (the adapter's `attach` request: -target-attach) to a spinning program started here (the
 * debugger runs in its own process, so this process's libuv cannot take its ptrace stops), stop at a
 * breakpoint, evaluate, detach: the program runs on, untraced.
 */
async function session5(gdb: string): Promise<{ reason: string; frames: string[]; value: string; state?: string; tracer?: string }> {
  const child = spawn(SPIN, [], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise((r) => child.stdout!.once('data', r));
    const c = new CdtClient();
    await c.start();
    try {
      await c.initializeRequest({ adapterID: 'gdb', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const initialized = c.waitForEvent('initialized');
      const attached = c.attachRequest({ program: SPIN, processId: String(child.pid), gdb } as never);
      attached.catch(() => undefined);
      await Promise.race([initialized, attached]);
      await initialized;
      await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [{ line: 11 }] });
      const stopped = c.nextStop();
      await c.configurationDoneRequest();
      await attached;
      const ev = await stopped;
      const frames = await c.frames(ev.body.threadId!);
      const value = (await c.evaluateRequest({ expression: 'spins > 0', frameId: frames[0].id, context: 'watch' })).body.result;
      await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [] });
      await c.disconnectRequest({ terminateDebuggee: false });
      await waitUntil(() => /TracerPid:\s+0\b/.test(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')), 5000, 'the program to be detached').catch(() => undefined);
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return { reason: ev.body.reason, frames: frames.map((f) => `${f.name}:${f.line}`), value, state: /State:\s+(\S)/.exec(status)?.[1], tracer: /TracerPid:\s+(\d+)/.exec(status)?.[1] };
    } finally {
      await c.stop().catch(() => undefined);
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

describe('cdt-gdb-adapter: attach', () => {
  test('attach, breakpoint, evaluate, detach: the program runs on', async () => {
    const wrapper = backstepGdbWrapper();
    try {
      const g = await session5('gdb');
      const b = await session5(wrapper.path);
      expect(b).toEqual({ reason: 'breakpoint', frames: ['main:11'], value: '1', state: expect.stringMatching(/^[RS]$/), tracer: '0' });
      expect({ ...b, state: '' }).toEqual({ ...g, state: '' });
    } finally {
      wrapper.dispose();
    }
  });
});

/**
 * Breakpoints set while the program runs: the adapter interrupts it (-exec-interrupt, or SIGINT to the
 * debugger without gdbAsync), inserts, and resumes; the new breakpoint is then hit.
 */
async function session6(gdb: string, gdbAsync: boolean): Promise<{ verified: boolean[]; reason: string; frames: string[]; events: string[] }> {
  const c = new CdtClient();
  const events: string[] = [];
  c.on('stopped', (e: DebugProtocol.StoppedEvent) => events.push(`stopped ${e.body.reason}`));
  c.on('continued', () => events.push('continued'));
  await c.start();
  try {
    const first = await c.launchTo({ program: SPIN, gdb, gdbAsync }, [{ source: SPIN_SOURCE, lines: [10] }]);
    const tid = first.body.threadId!;
    await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [] });
    await c.continueRequest({ threadId: tid });
    await new Promise((r) => setTimeout(r, 200));
    const stopped = c.nextStop();
    const set = await c.setBreakpointsRequest({ source: { path: SPIN_SOURCE }, breakpoints: [{ line: 11 }] });
    const ev = await stopped;
    const frames = await c.frames(ev.body.threadId!);
    await c.disconnectRequest({ terminateDebuggee: true });
    return { verified: set.body.breakpoints.map((b) => b.verified), reason: ev.body.reason, frames: frames.map((f) => `${f.name}:${f.line}`), events };
  } finally {
    await c.stop().catch(() => undefined);
  }
}

describe('cdt-gdb-adapter: breakpoints set while the program runs', () => {
  test.each([true, false])('gdbAsync %s', async (gdbAsync) => {
    const wrapper = backstepGdbWrapper();
    try {
      const g = await session6('gdb', gdbAsync);
      const b = await session6(wrapper.path, gdbAsync);
      expect(b).toEqual({ verified: [true], reason: 'breakpoint', frames: ['main:11'], events: ['continued', 'stopped breakpoint', 'continued', 'continued', 'stopped breakpoint'] });
      expect(b).toEqual(g);
    } finally {
      wrapper.dispose();
    }
  });
});

/** C++: a derived class's locals (base class child, members), watch expressions on objects. */
async function session4(gdb: string): Promise<{ frames: string[]; locals: Var[]; watch: Record<string, { result: string; children?: Var[] }> }> {
  const c = new CdtClient();
  await c.start();
  try {
    const stopped = await c.launchTo({ program: CLASSES, gdb }, [{ source: CLASSES_SOURCE, lines: [47] }]);
    const tid = stopped.body.threadId!;
    const frames = await c.frames(tid);
    const locals = await variables(c, await localScope(c, frames[0].id), 3);
    const watch: Record<string, { result: string; children?: Var[] }> = {};
    for (const e of ['r', 'v.x + w.y', 'r.name', 'w']) {
      const r = await c.evaluateRequest({ expression: e, frameId: frames[0].id, context: 'watch' });
      watch[e] = { result: norm(r.body.result) };
      if (r.body.variablesReference) watch[e].children = await variables(c, r.body.variablesReference, 2);
    }
    await c.disconnectRequest({ terminateDebuggee: true });
    return { frames: frames.map((f) => `${f.name}:${f.line}`), locals, watch };
  } finally {
    await c.stop().catch(() => undefined);
  }
}

describe('cdt-gdb-adapter: C++ objects', () => {
  test('base-class children, members and watch expressions as with gdb', async () => {
    const wrapper = backstepGdbWrapper();
    try {
      const g = await session4('gdb');
      const b = await session4(wrapper.path);
      expect(b.frames).toEqual(['main:47']);
      const r = b.locals.find((v) => v.name === 'r');
      // gdb's varobjs: the base class by its type name, without the vtable pointer; the adapter
      // flattens gdb's public/private pseudo-children (backstep has none).
      expect(r?.children?.map((x) => x.name)).toEqual(['geo::Shape', 'w_', 'h_']);
      expect(r?.children?.[0].children?.map((x) => `${x.name}=${x.value}`)).toEqual([expect.stringMatching(/^name=0x[0-9a-f]+ "rect"$/)]);
      expect(b.watch['v.x + w.y'].result).toBe('5');
      expect(b.locals).toEqual(g.locals);
      expect(b.watch).toEqual(g.watch);
    } finally {
      wrapper.dispose();
    }
  });
});

// gdbAsync (the adapter's default) sets `mi-async on`; without it the adapter runs gdb synchronously
// and pauses it with SIGINT to the debugger process.
describe.each([true, false])('cdt-gdb-adapter (Eclipse CDT) over backstep-gdb and stock gdb, gdbAsync %s', (gdbAsync) => {
  let wrapper: ReturnType<typeof backstepGdbWrapper>;
  let gdbAnswers: Answers;
  let backstep: Answers;

  beforeAll(async () => {
    execFileSync('gdb', ['--version'], { stdio: 'ignore' });
    wrapper = backstepGdbWrapper();
    gdbAnswers = await session('gdb', gdbAsync);
    backstep = await session(wrapper.path, gdbAsync);
  });

  afterAll(() => {
    wrapper?.dispose();
    expect(leftoverTracees()).toEqual([]);
  });

  test('breakpoints are verified at the requested lines', () => {
    expect(backstep.breakpoints).toEqual([29, 12]);
    expect(backstep.verified).toEqual([true, true]);
    expect(backstep.breakpoints).toEqual(gdbAnswers.breakpoints);
  });

  test('stops: reasons and stacks after launch, next, stepIn, continue, stepOut, continue', () => {
    expect(backstep.stops).toEqual([
      { reason: 'breakpoint', frames: ['main:29'] },
      { reason: 'step', frames: ['main:30'] },
      { reason: 'step', frames: ['grow:19', 'main:30'] },
      { reason: 'breakpoint', frames: ['area:12', 'grow:21', 'main:30'] },
      { reason: 'step', frames: ['grow:22', 'main:30'] },
      { reason: 'breakpoint', frames: ['main:32'] },
    ]);
    expect(backstep.stops).toEqual(gdbAnswers.stops);
    expect(backstep.threads).toEqual(['1 mi_cdt']);
    expect(backstep.threads).toEqual(gdbAnswers.threads);
  });

  test('variables: names, values, types and children, in gdb order', () => {
    const first = backstep.locals[0];
    const byName = new Map(first.map((v) => [v.name, v]));
    expect(byName.get('total')?.value).toBe('0');
    expect(byName.get('sq')?.children?.map((c) => c.name)).toEqual(['name', 'corner', 'scale']);
    expect(byName.get('sq')?.children?.find((c) => c.name === 'scale')?.value).toBe('1.5');
    expect(byName.get('sizes')?.children?.map((c) => c.value)).toEqual(['1', '2', '3', '4']);
    expect(backstep.locals).toEqual(gdbAnswers.locals);
    // In area(): its parameter and locals before they are computed.
    expect(backstep.args.map((v) => v.name)).toEqual(gdbAnswers.args.map((v) => v.name));
    expect(backstep.args).toEqual(gdbAnswers.args);
    expect(backstep.rip).toBe(gdbAnswers.rip);
  });

  test('evaluate in the watch, hover and repl contexts', () => {
    expect(backstep.evaluations['watch s->corner[1].x * 10']).toBe('20 |');
    expect(backstep.evaluations['hover by']).toBe('1 |');
    expect(backstep.evaluations['watch *(int *) 0']).toBe('|');
    expect(backstep.evaluations['repl >print *(int *) 8']).toContain('Cannot access memory at address 0x8');
    expect(backstep.evaluations['main total']).toBe('0');
    expect(backstep.evaluations).toEqual(gdbAnswers.evaluations);
  });

  test('setVariable changes what the program computes; the exit code follows', () => {
    expect(backstep.setVariable).toBe('300');
    expect(backstep.evaluations['after set total']).toBe('300');
    expect(backstep.output).toContain('square total 300');
    expect(backstep.exitCode).toBe(300 % 256);
    expect(backstep.output).toBe(gdbAnswers.output);
    expect(backstep.exitCode).toBe(gdbAnswers.exitCode);
  });
});
