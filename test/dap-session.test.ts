// A whole DAP session against the demo fixture, driven by @vscode/debugadapter-testsupport's DebugClient
// over `node dist/adapter/main.js`, with every line, pc and value compared with gdb running the same
// program through the same steps.
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Client, gdb, gdbValues } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(60000);

const DEMO = fixture('demo');
const DEMO_C = path.join(ROOT, 'fixtures', 'src', 'demo.c');

/** gdb's position after each command: [function, line, pc]. */
function gdbWalk(setup: string[], steps: string[], extra: string[] = []): { at: [string, number, number][]; values: string[]; output: string } {
  const def = 'python def L(): f=gdb.selected_frame(); print("AT %s %d %d" % (f.name(), f.find_sal().line, f.pc()))';
  const cmds = [...setup, def];
  for (const s of steps) cmds.push(s, 'python L()');
  const out = gdb([...cmds, ...extra], DEMO);
  const at = out
    .split('\n')
    .filter((l) => l.startsWith('AT '))
    .map((l) => {
      const [, fn, line, pc] = l.split(' ');
      return [fn, Number(line), Number(pc)] as [string, number, number];
    });
  return { at, values: gdbValues(out), output: out };
}

describe('DAP session on the demo fixture (gdb as oracle)', () => {
  let c: Client;
  let threadId: number;
  let bp1: DebugProtocol.Breakpoint;
  let bpMoved: DebugProtocol.Breakpoint;

  beforeAll(async () => {
    c = new Client();
    await c.start();
    await c.launchWith({ program: DEMO, cwd: path.dirname(DEMO) }, async (cl) => {
      const r = await cl.setBreakpointsRequest({ source: { path: DEMO_C }, breakpoints: [{ line: 8 }, { line: 3 }] });
      [bp1, bpMoved] = r.body.breakpoints;
    });
    const stop = await c.stopped(undefined, 20000);
    expect(stop.body.reason).toBe('breakpoint');
    expect(stop.body.hitBreakpointIds).toContain(bp1.id);
    threadId = stop.body.threadId!;
  });

  afterAll(async () => {
    await c?.finish();
  });

  test('breakpoints are verified at the lines gdb uses (line 3 moves where gdb moves it)', () => {
    const out = gdb(['break demo.c:8', 'break demo.c:3'], DEMO);
    const lines = [...out.matchAll(/Breakpoint \d+ at 0x[0-9a-f]+: file .*, line (\d+)\./g)].map((m) => Number(m[1]));
    expect(bp1.verified).toBe(true);
    expect(bpMoved.verified).toBe(true);
    expect([bp1.line, bpMoved.line]).toEqual(lines);
    expect(bp1.source?.path).toBe(DEMO_C);
  });

  test('stackTrace: names, lines and pcs as gdb shows them, with paging', async () => {
    const out = gdb(['break demo.c:8', 'run', 'bt', 'python print("PC0 %d" % gdb.selected_frame().pc())', 'python print("PC1 %d" % gdb.selected_frame().older().pc())'], DEMO);
    const frames = [...out.matchAll(/^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\w+) \(.*\) at (\S+):(\d+)$/gm)].map((m) => ({ name: m[2], file: m[3], line: Number(m[4]) }));
    const pcs = [Number(/PC0 (\d+)/.exec(out)![1]), Number(/PC1 (\d+)/.exec(out)![1])];
    const r = await c.stackTraceRequest({ threadId });
    const mine = r.body.stackFrames;
    expect(mine.slice(0, 2).map((f) => ({ name: f.name, file: f.source?.path, line: f.line }))).toEqual(frames.slice(0, 2).map((f) => ({ name: f.name, file: f.file, line: f.line })));
    expect(mine.slice(0, 2).map((f) => Number(f.instructionPointerReference))).toEqual(pcs);
    expect(r.body.totalFrames).toBeGreaterThanOrEqual(2);
    const page = await c.stackTraceRequest({ threadId, startFrame: 1, levels: 1 });
    expect(page.body.stackFrames.map((f) => f.name)).toEqual(['main']);
  });

  test('scopes and variables: arguments, nested struct, indexed array paging, hex', async () => {
    const g = gdbValues(gdb(['break demo.c:8', 'run', 'p amount', 'up', 'p acct.balance', 'p acct.deposits', 'p acct.owner', 'p amounts[1]', 'p amounts[2]', 'p/x amounts[1]', 'p/x amounts[2]'], DEMO));
    const [amount, balance, deposits, owner, a1, a2, x1, x2] = g;
    const st = await c.stackTraceRequest({ threadId });
    const [f0, f1] = st.body.stackFrames;
    const args = await c.scopeVars(f0.id, 'Arguments');
    expect(args.get('amount')?.value).toBe(amount);
    expect(args.get('amount')?.type).toBe('int');
    const locals = await c.scopeVars(f1.id, 'Locals');
    const acct = locals.get('acct')!;
    expect(acct.variablesReference).toBeGreaterThan(0);
    const members = new Map((await c.variablesRequest({ variablesReference: acct.variablesReference })).body.variables.map((v) => [v.name, v]));
    expect(members.get('balance')?.value).toBe(balance);
    expect(members.get('deposits')?.value).toBe(deposits);
    // The pointer value depends on the load address; the string it points to does not.
    expect(members.get('owner')?.value.endsWith(owner.slice(owner.indexOf(' ')))).toBe(true);
    const amounts = locals.get('amounts')!;
    expect(amounts.indexedVariables).toBe(5);
    const page = await c.variablesRequest({ variablesReference: amounts.variablesReference, filter: 'indexed', start: 1, count: 2 });
    expect(page.body.variables.map((v) => [v.name, v.value])).toEqual([
      ['[1]', a1],
      ['[2]', a2],
    ]);
    const hexPage = await c.variablesRequest({ variablesReference: amounts.variablesReference, filter: 'indexed', start: 1, count: 2, format: { hex: true } });
    expect(hexPage.body.variables.map((v) => v.value)).toEqual([x1, x2]);
  });

  test('evaluate in watch, hover and repl contexts', async () => {
    const [sum, bal] = gdbValues(gdb(['break demo.c:8', 'run', 'p acct->balance + amount', 'p acct->balance'], DEMO));
    const f0 = await c.topFrame(threadId);
    expect((await c.evaluateRequest({ expression: 'acct->balance + amount', frameId: f0.id, context: 'watch' })).body.result).toBe(sum);
    expect((await c.evaluateRequest({ expression: 'acct->balance', frameId: f0.id, context: 'hover' })).body.result).toBe(bal);
    expect(await c.repl('p acct->balance', f0.id)).toBe(bal);
    expect(await c.repl('acct->balance + amount', f0.id)).toBe(sum);
    expect((await c.evaluateRequest({ expression: 'amount', frameId: f0.id, context: 'clipboard' })).body.result).toBe('10');
  });

  test('setExpression assigns through an lvalue expression (then restores it)', async () => {
    const f0 = await c.topFrame(threadId);
    const old = (await c.evaluateRequest({ expression: 'acct->deposits', frameId: f0.id, context: 'watch' })).body.result;
    const r = await c.setExpressionRequest({ expression: 'acct->deposits', value: '6 + 1', frameId: f0.id });
    expect(r.body.value).toBe('7');
    expect((await c.evaluateRequest({ expression: 'acct->deposits * 2', frameId: f0.id, context: 'watch' })).body.result).toBe('14');
    await expect(c.setExpressionRequest({ expression: 'amount + 1', value: '3', frameId: f0.id })).rejects.toThrow(/lvalue|assign/i);
    await c.setExpressionRequest({ expression: 'acct->deposits', value: old, frameId: f0.id });
    expect((await c.evaluateRequest({ expression: 'acct->deposits', frameId: f0.id, context: 'watch' })).body.result).toBe(old);
  });

  test('setVariable, then next/next/stepOut/next/next/stepIn/stepIn/stepIn(instruction) land where gdb does', async () => {
    const walk = gdbWalk(['break demo.c:8', 'run', 'set var amount = 15'], ['next', 'next', 'finish', 'next', 'next', 'step', 'step', 'stepi']);
    const f0 = await c.topFrame(threadId);
    const scopes = await c.scopesRequest({ frameId: f0.id });
    const argsRef = scopes.body.scopes.find((s) => s.name === 'Arguments')!.variablesReference;
    const set = await c.setVariableRequest({ variablesReference: argsRef, name: 'amount', value: '15' });
    expect(set.body.value).toBe('15');
    const mine: [string, number, number][] = [];
    const steps: [keyof Client, Record<string, unknown>][] = [
      ['nextRequest', {}],
      ['nextRequest', {}],
      ['stepOutRequest', {}],
      ['nextRequest', {}],
      ['nextRequest', {}],
      ['stepInRequest', {}],
      ['stepInRequest', {}],
      ['stepInRequest', { granularity: 'instruction' }],
    ];
    let nowValue = '';
    for (const [req, extra] of steps) {
      const stopped = c.stopped();
      await (c[req] as (a: unknown) => Promise<unknown>).call(c, { threadId, ...extra });
      const s = await stopped;
      expect(s.body.threadId).toBe(threadId);
      const f = await c.topFrame(threadId);
      mine.push([f.name, f.line, Number(f.instructionPointerReference)]);
      if (mine.length === 4) nowValue = (await c.evaluateRequest({ expression: 'now', frameId: f.id, context: 'watch' })).body.result;
    }
    expect(mine).toEqual(walk.at);
    // `now` after returning from deposit with amount 15: gdb printed it at the same point.
    const gdbNow = gdbValues(gdb(['break demo.c:8', 'run', 'set var amount = 15', 'finish', 'next', 'p now'], DEMO)).pop();
    expect(nowValue).toBe(gdbNow);
  });

  test('continue to the end: program output, exit code and events as the kernel and gdb report them', async () => {
    await c.setBreakpointsRequest({ source: { path: DEMO_C }, breakpoints: [] });
    const since = c.events.length;
    const exited = c.nextEvent('exited', () => true, 20000, since);
    await c.continueRequest({ threadId });
    const ex = await exited;
    const native = spawnSync(DEMO, { encoding: 'utf8' });
    expect(ex.body.exitCode).toBe(native.status);
    await c.nextEvent('terminated', () => true, 10000, since);
    // Output arrives before 'exited'; the first deposit used amount 15 (setVariable), as in gdb.
    const gdbOut = gdb(['break demo.c:8', 'run', 'set var amount = 15', 'delete', 'continue'], DEMO)
      .split('\n')
      .filter((l) => /^(deposit|ada)/.test(l));
    expect(c.stdoutText.trimEnd().split('\n')).toEqual(gdbOut);
    const order = c.events.slice(since).map((e) => e.event);
    expect(order.lastIndexOf('output')).toBeLessThan(order.indexOf('exited'));
    expect(order.indexOf('exited')).toBeLessThan(order.indexOf('terminated'));
  });
});
