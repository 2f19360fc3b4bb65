// C++ over DAP (classes fixture): a function breakpoint on a qualified method name, qualified frame
// names, `this` and a reference argument in the variables view, evaluate of members; compared with gdb.
import { Client, gdb, gdbValues } from './dap-client';
import { fixture } from './helpers';

jest.setTimeout(60000);

const CLASSES = fixture('classes');

describe('DAP on a C++ program', () => {
  test('method breakpoint, qualified frames and member values as gdb shows them', async () => {
    const g = gdb(['break geo::Rect::area', 'run', 'bt', 'p w_', 'p h_', 'p this->name', 'up', 'p hits', 'p s.name'], CLASSES);
    const frames = [...g.matchAll(/^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at \S+:(\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    const [w, h, name, hits, sname] = gdbValues(g);
    const c = new Client();
    await c.start();
    try {
      let id = 0;
      await c.launchWith({ program: CLASSES }, async (cl) => {
        const r = await cl.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'geo::Rect::area' }] });
        expect(r.body.breakpoints[0].verified).toBe(true);
        id = r.body.breakpoints[0].id!;
      });
      const s = await c.stopped('function breakpoint');
      expect(s.body.hitBreakpointIds).toEqual([id]);
      const st = await c.stackTraceRequest({ threadId: s.body.threadId! });
      expect(st.body.stackFrames.slice(0, 3).map((f) => [f.name, f.line])).toEqual(frames.slice(0, 3));
      const [f0, f1] = st.body.stackFrames;
      const ev = async (e: string, frameId: number) => (await c.evaluateRequest({ expression: e, frameId, context: 'watch' })).body.result;
      expect([await ev('w_', f0.id), await ev('h_', f0.id), await ev('this->name', f0.id)]).toEqual([w, h, name]);
      // A reference: gdb's print prefixes the type, which DAP shows separately; stack addresses differ.
      const refNorm = (v: string) => v.replace(/^\([^)]*\) /, '').replace(/@0x7ff[0-9a-f]+/, '@STACK');
      expect(refNorm(await ev('hits', f1.id))).toBe(refNorm(hits));
      expect(await ev('s.name', f1.id)).toBe(sname);
      // `this` expands to the object's members (base class subobject included).
      const args = await c.scopeVars(f0.id, 'Arguments');
      const self = args.get('this')!;
      expect(self.variablesReference).toBeGreaterThan(0);
      const ptr = await c.variablesRequest({ variablesReference: self.variablesReference });
      // A pointer expands to the pointee (one child) or directly to its members.
      let members = ptr.body.variables;
      if (members.length === 1 && members[0].variablesReference > 0) members = (await c.variablesRequest({ variablesReference: members[0].variablesReference })).body.variables;
      const byName = new Map(members.map((v) => [v.name, v.value]));
      expect([byName.get('w_'), byName.get('h_')]).toEqual([w, h]);
    } finally {
      await c.finish();
    }
  });
});
