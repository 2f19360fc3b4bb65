// Vector registers over DAP, compared with gdb at the same stop: the xmm fixture loads known floats,
// doubles and bytes into xmm0-xmm2 and stops in stop_here(). The Registers scope and the console's
// `info registers` show gdb's vec128 union (as `info registers xmm0` prints it), expandable into the
// views gdb prints for `p $xmm0.v4_float` and friends.
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { gdb, gdbValues, launchToBreakpoint, StoppedSession } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(60000);

const XMM = fixture('xmm');
const XMM_C = path.join(ROOT, 'fixtures', 'src', 'xmm.c');
const VIEWS = ['v8_bfloat16', 'v8_half', 'v4_float', 'v2_double', 'v16_int8', 'v8_int16', 'v4_int32', 'v2_int64', 'uint128'];

describe('DAP vector registers (gdb as oracle)', () => {
  let s: StoppedSession;
  let gdbInfo: Map<string, string>;
  let gdbViews: string[];
  let gdbType: string;

  beforeAll(async () => {
    const out = gdb(['break stop_here', 'run', 'info registers xmm0 xmm1 xmm2 mxcsr', ...VIEWS.map((v) => `p $xmm0.${v}`), 'whatis $xmm0'], XMM);
    gdbType = /type = (.*)/.exec(out)![1];
    gdbInfo = new Map(
      out
        .split('\n')
        .filter((l) => /^(xmm\d+|mxcsr)\s/.test(l))
        .map((l) => [l.split(/\s+/)[0], l]),
    );
    gdbViews = gdbValues(out);
    s = await launchToBreakpoint(XMM, XMM_C, 11);
  });
  afterAll(async () => {
    await s?.c.finish();
  });

  async function registersScope(frameId: number): Promise<Map<string, DebugProtocol.Variable>> {
    return s.c.scopeVars(frameId, 'Registers');
  }

  test('info registers xmm0 xmm1 xmm2 mxcsr prints what gdb prints', async () => {
    expect(gdbInfo.size).toBe(4);
    const mine = (await s.c.repl('info registers xmm0 xmm1 xmm2 mxcsr', s.frame.id)).split('\n');
    expect(mine).toEqual(['xmm0', 'xmm1', 'xmm2', 'mxcsr'].map((n) => gdbInfo.get(n)));
  });

  test('the Registers scope shows the vec128 union and expands into gdb\'s views', async () => {
    const regs = await registersScope(s.frame.id);
    for (const n of ['xmm0', 'xmm1', 'xmm2']) {
      const v = regs.get(n)!;
      expect([n, v.value]).toEqual([n, gdbInfo.get(n)!.replace(/^\S+\s+/, '')]);
      expect(v.type).toBe(gdbType); // gdb: whatis $xmm0
      expect(v.variablesReference).toBeGreaterThan(0);
    }
    const views = (await s.c.variablesRequest({ variablesReference: regs.get('xmm0')!.variablesReference })).body.variables;
    expect(views.map((v) => v.name)).toEqual(VIEWS);
    expect(views.map((v) => v.value)).toEqual(gdbViews);
    expect(views.find((v) => v.name === 'v4_float')!.value).toBe('{1.5, -2.25, 3, 1e+10}');
    // The other registers keep their natural renderings.
    expect(regs.get('mxcsr')!.value).toBe(gdbInfo.get('mxcsr')!.replace(/^\S+\s+\S+\s+/, ''));
  });

  test('$xmm0 in the caller frame (unchanged: no unwind rule), as gdb after `up`', async () => {
    const frames = (await s.c.stackTraceRequest({ threadId: s.threadId })).body.stackFrames;
    expect(frames[1].name).toBe('main');
    const out = gdb(['break stop_here', 'run', 'up', 'p $xmm0.v4_float', 'p/x $xmm2.v16_int8'], XMM);
    const ev = async (e: string, hex = false) => (await s.c.evaluateRequest({ expression: e, frameId: frames[1].id, context: 'watch', format: { hex } })).body.result;
    expect([await ev('$xmm0.v4_float'), await ev('$xmm2.v16_int8', true)]).toEqual(gdbValues(out));
    expect(await s.c.repl('p $xmm1.v2_double', frames[1].id)).toBe('{3.1415926535897931, -0.5}');
  });
});
