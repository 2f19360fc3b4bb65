// DAP data breakpoints on the loop fixture: dataBreakpointInfo for a variable and an expression,
// setDataBreakpoints, and the 'data breakpoint' stop with gdb's old/new values (gdb `watch counter`).
import { Client, gdb } from './dap-client';
import { fixture } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');

test('write data breakpoint on counter stops as gdb watch does', async () => {
  const out = gdb(['break hot', 'run', 'watch counter', 'delete 1', 'continue', 'p $pc', 'continue', 'p $pc'], LOOP, ['4']);
  const olds = [...out.matchAll(/Old value = (.*)\nNew value = (.*)/g)].map((m) => [m[1], m[2]]);
  const pcs = [...out.matchAll(/\$\d+ = .* (0x[0-9a-f]+) <hot\+\d+>/g)].map((m) => Number(m[1]));
  expect(olds.length).toBe(2);
  expect(pcs.length).toBe(2);
  const c = new Client();
  await c.start();
  try {
    await c.launchWith({ program: LOOP, args: ['4'] }, async (cl) => {
      await cl.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hot' }] });
    });
    const s = await c.stopped('function breakpoint');
    const threadId = s.body.threadId!;
    const f = await c.topFrame(threadId);
    // A variable from the Globals scope, and an expression.
    const scopes = await c.scopesRequest({ frameId: f.id });
    const globals = scopes.body.scopes.find((x) => /global/i.test(x.name));
    expect(globals).toBeDefined();
    let info: { dataId: string | null; accessTypes?: string[]; description?: string };
    info = (await c.customRequest('dataBreakpointInfo', { variablesReference: globals!.variablesReference, name: 'counter' })).body;
    expect(info.dataId).not.toBeNull();
    expect(info.description).toBe('counter');
    const missing = (await c.customRequest('dataBreakpointInfo', { variablesReference: globals!.variablesReference, name: 'nosuch' })).body;
    expect(missing.dataId).toBeNull();
    info = (await c.customRequest('dataBreakpointInfo', { name: 'counter', frameId: f.id })).body;
    expect(info.dataId).not.toBeNull();
    expect(info.accessTypes).toContain('write');
    const constant = (await c.customRequest('dataBreakpointInfo', { name: '5', frameId: f.id })).body;
    expect(constant.dataId).toBeNull();
    // Remove the function breakpoint, watch counter.
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    const set = (await c.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write' }] })).body;
    expect(set.breakpoints[0].verified).toBe(true);
    const id = set.breakpoints[0].id;
    for (let i = 0; i < 2; i++) {
      const next = c.stopped();
      await c.continueRequest({ threadId });
      const ev = await next;
      expect(ev.body.reason).toBe('data breakpoint');
      expect(ev.body.hitBreakpointIds).toEqual([id]);
      expect(ev.body.description).toContain(`Old value = ${olds[i][0]}\nNew value = ${olds[i][1]}`);
      const top = await c.topFrame(threadId);
      expect(Number(top.instructionPointerReference)).toBe(pcs[i]);
    }
    // Clearing the data breakpoints lets the program run to its end.
    await c.customRequest('setDataBreakpoints', { breakpoints: [] });
    const exited = c.nextEvent('exited');
    await c.continueRequest({ threadId });
    await exited;
  } finally {
    await c.finish();
  }
});

test('a data breakpoint on a local ends when its frame returns: the stop says so, a breakpoint removed event follows', async () => {
  const program = fixture('watchscope');
  const c = new Client();
  await c.start();
  try {
    await c.launchWith({ program }, async (cl) => {
      await cl.setBreakpointsRequest({ source: { path: require('path').join(__dirname, '../../fixtures/src/watchscope.c') }, breakpoints: [{ line: 21 }] });
    });
    const s = await c.stopped('breakpoint');
    const threadId = s.body.threadId!;
    const f = await c.topFrame(threadId);
    const info = (await c.customRequest('dataBreakpointInfo', { name: 'sum', frameId: f.id })).body;
    const set = (await c.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write' }] })).body;
    const id = set.breakpoints[0].id;
    const removed = c.nextEvent('breakpoint');
    const next = c.stopped();
    await c.continueRequest({ threadId });
    const ev = await next;
    expect(ev.body.reason).toBe('data breakpoint');
    expect(ev.body.hitBreakpointIds).toEqual([id]);
    expect(ev.body.description).toContain(`Watchpoint ${id} deleted because the program has left the block in\nwhich its expression is valid.`);
    const r = await removed;
    expect(r.body).toMatchObject({ reason: 'removed', breakpoint: { id } });
    expect((await c.topFrame(threadId)).name).toMatch(/^main/);
  } finally {
    await c.finish();
  }
});
