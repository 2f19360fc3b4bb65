// The engine's per-stop state when front-ends overlap their requests (MI with mi-async on, DAP): a
// query still waiting for the tracer when a run command resumes the program must not leave the old
// stop's registers behind for the next one; and frames unwound on demand (the caller of a frame when
// only the top of the stack was computed, as for a stop report) carry their CFA. gdb is the oracle.
import { fixture, leftoverTracees } from './helpers';
import { gdb, newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';
import type { Registers } from '../src/ptrace/regs';

jest.setTimeout(120000);

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  expect(leftoverTracees()).toEqual([]);
});

function session(): Session {
  const { s } = newSession();
  sessions.push(s);
  return s;
}

function hexIn(text: string): bigint {
  const m = /0x[0-9a-f]+/.exec(text);
  if (!m) throw new Error(`no address in ${text}`);
  return BigInt(m[0]);
}

test('finish while a register read is still answering: the return is caught as by gdb', async () => {
  const program = fixture('demo');
  const out = gdb(program, [], ['break demo.c:8', 'run', 'next', 'next', 'finish']);
  expect(out).toMatch(/\n10\t    return acct->balance;\n0x[0-9a-f]+ in main \(\) at .*demo\.c:18\n/);
  expect(out).toMatch(/Value returned is \$1 = 110/);

  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: 'demo.c:8' });
  await s.launch({ program, stdio: 'pipe' });
  await s.next();
  const at = await s.next();
  expect([at.frame?.function, at.frame?.line]).toEqual(['deposit', 10]);

  // The reply to one register read is delivered only once the program has been resumed, as when the
  // tracer thread answers late (a loaded machine): a query issued at this stop is still waiting for
  // its registers when `finish` continues the program.
  const inf = s.inferior!;
  const getRegisters = inf.getRegisters.bind(inf);
  const cont = inf.cont.bind(inf);
  const held: (() => void)[] = [];
  let hold = false;
  inf.getRegisters = async (tid?: number): Promise<Registers> => {
    const r = await getRegisters(tid);
    if (hold) {
      hold = false;
      await new Promise<void>((res) => held.push(res));
    }
    return r;
  };
  inf.cont = (opts = {}) => {
    const p = cont(opts);
    for (const release of held.splice(0)) release();
    return p;
  };
  // Writing memory (the same bytes) drops the cached registers: the query below reads them.
  const addr = Number(hexIn((await s.evaluate('&acct->balance')).value));
  await s.writeMemory(addr, (await s.readMemory(addr, 4)).data);
  hold = true;
  const query = s.stackTrace();
  const fin = s.finish();
  const [q, f] = await Promise.allSettled([query, fin]);
  expect(f.status).toBe('fulfilled');
  const stop = (f as PromiseFulfilledResult<Awaited<typeof fin>>).value;
  // Not "Breakpoint 1, deposit (acct=..., amount=20)": the stop at the return address was not missed.
  expect(stop.description).toMatch(/Value returned is \$\d+ = 110$/);
  expect(stop.reason).toBe('finish');
  expect([stop.frame?.function, stop.frame?.line]).toEqual(['main', 18]);
  // The query's stop is over: it fails as any query during a run does.
  expect(q.status).toBe('rejected');
  expect((q as PromiseRejectedResult).reason.message).toBe('Cannot execute this command while the target is running.');
  // The stop's registers are the new ones: the next query sees main, not the old deposit frame.
  const bt = await s.stackTrace();
  expect(bt.frames.map((fr) => fr.function)).toEqual(['main']);
  expect((await s.evaluate('i')).value).toBe('0');
  await s.kill();
});

test('an entry value in a stop report: the caller unwound on demand has its CFA (s is not <optimized out>)', async () => {
  // At types.c:30 (pc 0x1238 in types_O2) `s` is DW_OP_entry_value(rdi); main's call site gives rdi as
  // DW_OP_fbreg -80, and main's frame base is DW_OP_call_frame_cfa: the value needs main's CFA.
  const program = fixture('types_O2');
  const out = gdb(program, [], ['break types.c:30', 'run', 'print s', 'up', 'print &local']);
  const ptrs = [...out.matchAll(/^\$\d+ = \(struct shape \*\) (0x[0-9a-f]+)$/gm)].map((m) => BigInt(m[1]));
  expect(ptrs).toHaveLength(2);
  expect(ptrs[0]).toBe(ptrs[1]);

  const s = session();
  await s.loadProgram(program);
  await s.setBreakpoint({ location: 'types.c:30' });
  const stop = await s.launch({ program, stdio: 'pipe' });
  expect(stop.frame?.function).toBe('inspect');
  // The stop report computed only the innermost frame: its arguments already need the caller.
  // (gdb 13 at this stop: `inspect (s=s@entry=0x..., op=op@entry=0x... <add>, scale=scale@entry=3)`.)
  expect(stop.description).toMatch(/^Breakpoint 1, inspect \(s=s@entry=0x[0-9a-f]+, op=op@entry=0x[0-9a-f]+ <add>, scale=scale@entry=3\)/);
  const sv = await s.evaluate('s', { frameId: stop.frame!.id });
  expect(sv.value).toMatch(/^\(struct shape \*\) 0x[0-9a-f]+$/);
  const bt = await s.stackTrace();
  expect(bt.frames.map((f) => f.function)).toEqual(['inspect', 'main']);
  const local = await s.evaluate('&local', { frameId: bt.frames[1].id });
  expect(hexIn(sv.value)).toBe(hexIn(local.value));
  await s.kill();
});
