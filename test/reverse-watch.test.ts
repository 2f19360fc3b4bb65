// Reverse-continue with watchpoints ("who last wrote this?") and with breakpoints, through the engine,
// DAP (reverseContinue with data breakpoints) and MI (-exec-continue --reverse, reverse-continue with a
// `watch`). Oracle: gdb 13 `record full` with a software watchpoint (`set can-use-hw-watchpoints 0`: with
// a hardware one gdb 13 does not stop at all when going back here): it stops at the writing instruction
// with the state before the write and shows Old value = the value after the write, New value = before.
import * as path from 'path';
import { Session } from '../src/engine/session';
import { StopInfo } from '../src/engine/api';
import { Client } from './dap-client';
import { fixture, leftoverTracees, ROOT } from './helpers';
import { gdbMarked, NO_AVX_TUNABLES } from './engine-helpers';
import { MiClient } from './mi-client';

jest.setTimeout(120_000);

const WATCH = () => fixture('rx_watch');
const LOOP = () => fixture('rx_loop');
// gdb's record full cannot replay AVX-512 instructions (glibc picks EVEX string functions on this CPU).
const TUNABLES = NO_AVX_TUNABLES;

interface GdbStop {
  kind: 'watch' | 'breakpoint' | 'no-history' | 'other';
  old?: string;
  new?: string;
  func?: string;
  line?: number;
  pc?: number;
  /** Values printed after the stop (`print` commands following it). */
  values: string[];
}

/** gdb -batch: `setup`, then each reverse command followed by `print $pc` and `extra` prints. */
function gdbStops(bin: string, setup: string[], cmds: string[], extra: string[] = []): GdbStop[] {
  return gdbMarked(bin, ['set pagination off', 'set confirm off', `set environment GLIBC_TUNABLES=${TUNABLES}`, ...setup], cmds, (c) => [c, 'print/x $pc', ...extra.map((e) => `print ${e}`)])
    .map((chunk) => {
      const vals = [...chunk.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]);
      const loc = chunk.split('\n').filter((l) => / at .*:\d+$/.test(l)).pop() ?? '';
      const src = chunk.split('\n').filter((l) => /^\d+\t/.test(l)).pop();
      const ov = /Old value = (.*)\nNew value = (.*)/.exec(chunk);
      return {
        kind: ov ? 'watch' : chunk.includes('No more reverse-execution history') ? 'no-history' : /^Breakpoint \d+, /m.test(chunk) ? 'breakpoint' : 'other',
        old: ov?.[1],
        new: ov?.[2],
        func: /(?:in )?(\w+) \(.*\) at /.exec(loc)?.[1],
        line: src ? Number(/^(\d+)/.exec(src)![1]) : undefined,
        pc: vals.length ? Number(vals[0]) : undefined,
        values: vals.slice(1),
      } as GdbStop;
    });
}

const live: Session[] = [];
afterEach(async () => {
  for (const s of live.splice(0)) await s.dispose().catch(() => undefined);
});
afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

async function session(bin: string, bps: string[]): Promise<{ s: Session; first: StopInfo }> {
  const s = new Session();
  live.push(s);
  await s.loadProgram(bin);
  for (const b of bps) await s.setBreakpoint({ location: b });
  const first = await s.launch({ program: bin, record: true, stdio: 'pipe' });
  return { s, first };
}

/** What our stop shows, in the oracle's terms. */
async function ours(s: Session, st: StopInfo, extra: string[] = []): Promise<GdbStop> {
  const w = st.watchpoints?.[0];
  const values: string[] = [];
  // As gdb's output: an expression that cannot be evaluated there prints no value.
  for (const e of extra) {
    const v = await s.evaluate(e).catch(() => undefined);
    if (v) values.push(v.value);
  }
  return {
    kind: st.reason === 'watchpoint' ? 'watch' : st.reason === 'no-history' ? 'no-history' : st.reason === 'breakpoint' ? 'breakpoint' : 'other',
    old: w?.oldValue,
    new: w?.newValue,
    func: st.frame?.function,
    line: st.frame?.line,
    pc: st.frame?.pc,
    values,
  };
}

describe('engine: reverse-continue with a watchpoint, against gdb record full', () => {
  test('stops at each earlier write that changed the value (silent writes skipped), before the write, with gdb old/new values', async () => {
    const g = gdbStops(WATCH(), ['break main', 'run', 'record full', 'break rx_watch.c:28', 'continue', 'set can-use-hw-watchpoints 0', 'watch level'], Array(6).fill('reverse-continue'), ['level']);
    expect(g.length).toBe(6);
    // Sanity: the oracle went back over writes, including the one at line 26 (main, start of its line).
    expect(g.slice(0, 3).map((x) => [x.kind, x.old, x.new])).toEqual([
      ['watch', '1', '0'],
      ['watch', '0', '100'],
      ['watch', '100', '6'],
    ]);
    const { s, first } = await session(WATCH(), ['rx_watch.c:28']);
    expect(first.frame?.line).toBe(28);
    const w = await s.setWatchpoint({ expression: 'level' });
    const got: GdbStop[] = [];
    for (let i = 0; i < g.length; i++) {
      const st = await s.reverseContinue();
      got.push(await ours(s, st, ['level']));
      if (st.reason === 'watchpoint') {
        expect(st.breakpointIds).toEqual([w.id]);
        expect(st.description).toContain(`Hardware watchpoint ${w.id}: level\n\nOld value = ${got[i].old}\nNew value = ${got[i].new}\n`);
      }
    }
    expect(got).toEqual(g);
  });

  test('a watched array (four debug-register slots): each earlier write to any element, as gdb', async () => {
    const setup = ['break main', 'run', 'record full', 'break rx_watch.c:28', 'continue', 'set can-use-hw-watchpoints 0', 'watch hist'];
    const g = gdbStops(WATCH(), setup, Array(3).fill('reverse-continue'), ['i']);
    expect(g.map((x) => [x.kind, x.line])).toEqual([
      ['watch', 16],
      ['watch', 16],
      ['watch', 16],
    ]);
    const { s } = await session(WATCH(), ['rx_watch.c:28']);
    const w = await s.setWatchpoint({ expression: 'hist' });
    expect(w.size).toBe(32);
    const got: GdbStop[] = [];
    for (let i = 0; i < 3; i++) got.push(await ours(s, await s.reverseContinue(), ['i']));
    expect(got).toEqual(g);
  });

  test('a write made while single-stepping (next) is found too', async () => {
    // Stop at line 18 (i = 0), next x3: line 16 for i = 1 wrote hist[1] during the steps.
    const setup = ['break main', 'run', 'record full', 'break rx_watch.c:18', 'continue', 'delete', 'next', 'next', 'next', 'set can-use-hw-watchpoints 0', 'watch hist[1]'];
    const g = gdbStops(WATCH(), setup, ['reverse-continue'], ['hist[1]', 'i']);
    expect(g[0]).toMatchObject({ kind: 'watch', old: '1', new: '0', line: 16 });
    const { s } = await session(WATCH(), ['rx_watch.c:18']);
    const bp = s.breakpoints()[0];
    await s.removeBreakpoint(bp.id);
    for (let i = 0; i < 3; i++) await s.next();
    expect((await s.evaluate('hist[1]')).value).toBe('1');
    await s.setWatchpoint({ expression: 'hist[1]' });
    const st = await s.reverseContinue();
    expect(await ours(s, st, ['hist[1]', 'i'])).toEqual(g[0]);
    // Nothing wrote hist[1] earlier: the start of the history (ours begins at the program's start).
    const st2 = await s.reverseContinue();
    expect(st2.reason).toBe('no-history');
    // Forward again: the write replays, gdb's forward watch report.
    const st3 = await s.cont();
    expect(st3.reason).toBe('watchpoint');
    expect(st3.watchpoints?.[0]).toMatchObject({ oldValue: '0', newValue: '1' });
  });

  test('breakpoints and a watchpoint together: whichever is the most recent earlier stop, as gdb', async () => {
    const setup = ['break rx_loop.c:37', 'run', 'record full', 'break rx_loop.c:42', 'continue', 'delete', 'set can-use-hw-watchpoints 0', 'watch watched', 'break square'];
    const g = gdbStops(LOOP(), setup, Array(5).fill('reverse-continue'), ['watched']);
    expect(g.map((x) => x.kind)).toEqual(['breakpoint', 'breakpoint', 'breakpoint', 'watch', 'watch']);
    const { s } = await session(LOOP(), ['rx_loop.c:42']);
    await s.removeBreakpoint(s.breakpoints()[0].id);
    const w = await s.setWatchpoint({ expression: 'watched' });
    const b = await s.setBreakpoint({ location: 'square' });
    const got: GdbStop[] = [];
    for (let i = 0; i < g.length; i++) {
      const st = await s.reverseContinue();
      got.push(await ours(s, st, ['watched']));
      expect(st.breakpointIds).toEqual([st.reason === 'watchpoint' ? w.id : b.id]);
    }
    expect(got).toEqual(g);
  });

  test('reverseToLastWrite: the last write to a range, at the writing instruction (any write, no watchpoint needed)', async () => {
    const { s } = await session(LOOP(), ['rx_loop.c:41']);
    const addr = Number(/0x[0-9a-f]+/.exec((await s.evaluate('&watched')).value)![0]);
    const rev = s.reverseProvider as unknown as { reverseToLastWrite(a: number, l: number): Promise<StopInfo> };
    let st = await rev.reverseToLastWrite(addr, 4);
    expect(st.reason).toBe('watchpoint');
    expect(st.frame?.function).toBe('touch');
    expect((await s.evaluate('v')).value).toBe('2');
    expect((await s.evaluate('watched')).value).toBe('1');
    st = await rev.reverseToLastWrite(addr, 4);
    expect((await s.evaluate('v')).value).toBe('1');
    expect((await s.evaluate('watched')).value).toBe('0');
    st = await rev.reverseToLastWrite(addr, 4);
    expect(st.reason).toBe('no-history');
  });
});

describe('engine: reverse-continue honours breakpoint conditions and ignore counts, against gdb record full', () => {
  test('a conditional breakpoint in a loop stops at the most recent earlier iteration where the condition holds', async () => {
    const setup = ['break main', 'run', 'record full', 'break rx_watch.c:28', 'continue', 'delete', 'break rx_watch.c:18 if i % 7 == 3'];
    const g = gdbStops(WATCH(), setup, Array(4).fill('reverse-continue'), ['i', 'n']);
    expect(g.slice(0, 4).map((x) => x.values)).toEqual([
      ['3', '5'],
      ['17', '20'],
      ['10', '20'],
      ['3', '20'],
    ]);
    const { s } = await session(WATCH(), ['rx_watch.c:28']);
    await s.removeBreakpoint(s.breakpoints()[0].id);
    const b = await s.setBreakpoint({ location: 'rx_watch.c:18', condition: 'i % 7 == 3' });
    const got: GdbStop[] = [];
    for (let i = 0; i < 4; i++) {
      const st = await s.reverseContinue();
      expect(st.breakpointIds).toEqual([b.id]);
      expect(st.description).toMatch(new RegExp(`^Breakpoint ${b.id}, fill \\(n=\\d+\\) at .*rx_watch.c:18$`));
      got.push(await ours(s, st, ['i', 'n']));
    }
    expect(got).toEqual(g.slice(0, 4));
    // Then the start of the history; forward again, the condition still applies (i = 3 of fill(20)).
    expect((await s.reverseContinue()).reason).toBe('no-history');
    const st = await s.cont();
    expect(st.breakpointIds).toEqual([b.id]);
    expect((await s.evaluate('i')).value).toBe('3');
  });

  test('an ignore count skips that many hits going back, and is used up (gdb ignore N 1)', async () => {
    const setup = ['break main', 'run', 'record full', 'break rx_watch.c:28', 'continue', 'delete', 'break rx_watch.c:18 if i % 7 == 3', 'ignore 3 1'];
    const g = gdbStops(WATCH(), setup, Array(3).fill('reverse-continue'), ['i', 'n']);
    expect(g.map((x) => x.values)).toEqual([
      ['17', '20'],
      ['10', '20'],
      ['3', '20'],
    ]);
    const { s } = await session(WATCH(), ['rx_watch.c:28']);
    await s.removeBreakpoint(s.breakpoints()[0].id);
    const b = await s.setBreakpoint({ location: 'rx_watch.c:18', condition: 'i % 7 == 3', ignoreCount: 1 });
    const got: GdbStop[] = [];
    for (let i = 0; i < 3; i++) got.push(await ours(s, await s.reverseContinue(), ['i', 'n']));
    expect(got).toEqual(g);
    expect(s.breakpoints().find((x) => x.id === b.id)?.ignoreCount).toBe(0);
    // Forward from a breakpoint location reached backwards: past it, to the next hit (i = 10), as gdb.
    const st = await s.cont();
    expect(st.breakpointIds).toEqual([b.id]);
    expect((await s.evaluate('i')).value).toBe('10');
  });

  test('a condition on a breakpoint together with a watchpoint: the most recent of both', async () => {
    // level changes at i = 3, 6, 9, ... of fill(20) (set_level(i / 3)); the breakpoint stops at i % 7 == 3.
    const setup = ['break main', 'run', 'record full', 'break rx_watch.c:26', 'continue', 'delete', 'break rx_watch.c:18 if i % 7 == 3', 'set can-use-hw-watchpoints 0', 'watch level'];
    const g = gdbStops(WATCH(), setup, Array(5).fill('reverse-continue'), ['level', 'i']);
    // level 5 -> 6 at i = 18, the breakpoint at i = 17, then 4 -> 5 at i = 15, 3 -> 4 at i = 12 (i = 10's hit before).
    expect(g.map((x) => x.kind)).toEqual(['watch', 'breakpoint', 'watch', 'watch', 'breakpoint']);
    const { s } = await session(WATCH(), ['rx_watch.c:26']);
    await s.removeBreakpoint(s.breakpoints()[0].id);
    await s.setBreakpoint({ location: 'rx_watch.c:18', condition: 'i % 7 == 3' });
    await s.setWatchpoint({ expression: 'level' });
    const got: GdbStop[] = [];
    for (let i = 0; i < 5; i++) got.push(await ours(s, await s.reverseContinue(), ['level', 'i']));
    expect(got).toEqual(g);
  });
});

describe('engine: history made of next over calls (run-to breakpoints the tracer inserts for one cont)', () => {
  test('next over calls, then reverse-next and next again stop where gdb record full does', async () => {
    const setup = ['break rx_watch.c:17', 'run', 'record full', 'delete', ...Array(6).fill('next')];
    const cmds = [...Array(4).fill('reverse-next'), 'next', 'next'];
    const g = gdbStops(WATCH(), setup, cmds, ['i', 'level']);
    expect(g.map((x) => x.line)).toEqual([18, 17, 16, 15, 16, 17]);
    const { s } = await session(WATCH(), ['rx_watch.c:17']);
    await s.removeBreakpoint(s.breakpoints()[0].id);
    for (let k = 0; k < 6; k++) await s.next();
    const got: GdbStop[] = [];
    for (const c of cmds) {
      const st = c === 'next' ? await s.next() : await s.reverseNext();
      // gdb prints only the source line after a step in the same function (no frame line).
      got.push({ ...(await ours(s, st, ['i', 'level'])), func: undefined });
    }
    expect(got).toEqual(g);
  });
});

describe('front-ends', () => {
  test('DAP: reverseContinue with a data breakpoint stops at the last write (reason data breakpoint, gdb old/new values)', async () => {
    const g = gdbStops(LOOP(), ['break rx_loop.c:37', 'run', 'record full', 'break rx_loop.c:41', 'continue', 'set can-use-hw-watchpoints 0', 'watch watched'], ['reverse-continue'], ['watched', 'v']);
    expect(g[0].kind).toBe('watch');
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: LOOP(), reverseDebugging: true }, async (cl) => {
        await cl.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'rx_loop.c') }, breakpoints: [{ line: 41 }] });
      });
      const s = await c.stopped('breakpoint');
      const threadId = s.body.threadId!;
      const f = await c.topFrame(threadId);
      const info = (await c.customRequest('dataBreakpointInfo', { name: 'watched', frameId: f.id })).body;
      const set = (await c.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write' }] })).body;
      const id = set.breakpoints[0].id;
      await c.setBreakpointsRequest({ source: { path: path.join(ROOT, 'fixtures', 'src', 'rx_loop.c') }, breakpoints: [] });
      const next = c.stopped();
      await c.customRequest('reverseContinue', { threadId });
      const ev = await next;
      expect(ev.body.reason).toBe('data breakpoint');
      expect(ev.body.hitBreakpointIds).toEqual([id]);
      expect(ev.body.description).toContain(`Old value = ${g[0].old}\nNew value = ${g[0].new}`);
      const top = await c.topFrame(threadId);
      expect(Number(top.instructionPointerReference)).toBe(g[0].pc);
      const val = async (e: string) => (await c.evaluateRequest({ expression: e, frameId: top.id, context: 'watch' })).body.result;
      expect([await val('watched'), await val('v')]).toEqual(g[0].values);
    } finally {
      await c.finish();
    }
  });

  test('MI: -exec-continue --reverse and reverse-continue with a watch give gdb record full\'s *stopped records', async () => {
    const LINES = [
      `-file-exec-and-symbols ${LOOP()}`,
      '-break-insert rx_loop.c:37',
      '-exec-run',
      '-interpreter-exec console "record"',
      '-break-insert rx_loop.c:41',
      '-exec-continue',
      '-break-delete',
      '-gdb-set can-use-hw-watchpoints 0',
      '-break-watch watched',
      '-exec-continue --reverse',
      '-data-evaluate-expression watched',
      '-interpreter-exec console "reverse-continue"',
      '-data-evaluate-expression watched',
    ];
    const run = async (which: 'gdb' | 'backstep'): Promise<string[]> => {
      const c = MiClient.start(which, [], {});
      const out: string[] = [];
      try {
        await c.ready();
        let tok = 1;
        await c.send(tok++, `-gdb-set environment GLIBC_TUNABLES=${TUNABLES}`);
        for (const l of LINES) {
          const { res, stop } = await c.exec(tok++, l);
          const last = res[res.length - 1];
          if (stop !== undefined) {
            const reason = /reason="([^"]+)"/.exec(stop)?.[1];
            const value = /value=\{[^}]*\}/.exec(stop)?.[0];
            const func = /func="([^"]+)"/.exec(stop)?.[1];
            const line = /line="(\d+)"/.exec(stop)?.[1];
            const addr = /frame=\{addr="(0x[0-9a-f]+)"/.exec(stop)?.[1];
            out.push(`${l} -> ${reason} ${value ?? ''} ${func}:${line} ${addr}`);
          } else {
            const v = /\^done,value="([^"]*)"/.exec(last)?.[1];
            out.push(v !== undefined ? `${l} -> ${v}` : l);
          }
        }
      } finally {
        await c.close();
      }
      return out;
    };
    const gdb = await run('gdb');
    expect(gdb[9]).toMatch(/-> watchpoint-trigger value=\{old="2",new="1"\} touch:17 0x/);
    const bs = await run('backstep');
    // Addresses: gdb runs the program without ASLR, as backstep does.
    expect(bs).toEqual(gdb);
  });
});
