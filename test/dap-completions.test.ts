// DAP `completions` (the debug console's completion) compared with gdb's `complete` command at the
// same stop: struct and union members after `.` / `->` (the same lists), names in scope at the selected
// frame (locals, arguments), the program's and libraries' globals and functions (every name offered is
// one gdb offers; the program's own are all there), gdb command and `info` subcommand names.
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Client, gdb, gdbComplete, launchToBreakpoint, StoppedSession } from './dap-client';
import { fixture, ROOT } from './helpers';

jest.setTimeout(90000);

const VALUES = fixture('values');
const VALUES_C = path.join(ROOT, 'fixtures', 'src', 'values.c');
const TYPES = fixture('types');
const TYPES_C = path.join(ROOT, 'fixtures', 'src', 'types.c');

/** The completed lines the client would show: the text with each target applied, as gdb prints them. */
async function complete(c: Client, text: string, frameId?: number): Promise<string[]> {
  const r = await c.customRequest('completions', { text, column: text.length + 1, frameId });
  const targets = r.body.targets as DebugProtocol.CompletionItem[];
  return targets.map((t) => {
    const start = (t.start ?? text.length + 1) - 1;
    const length = t.length ?? 0;
    expect(start + length).toBe(text.length); // the replaced word ends at the cursor
    return text.slice(0, start) + (t.text ?? t.label);
  });
}

describe('DAP completions (gdb complete)', () => {
  describe('values: stopped in use()', () => {
    let s: StoppedSession;
    const queries = ['p o->', 'p out.', 'p list->next->', 'p o->in[1].', 'p (*o).i', 'p o->pin->', 'info registers ra', 'p sc', 'p tot', 'b us', 'wha', 'info lo', 'info fr', 'p/x to'];
    let oracle: Map<string, string[]>;

    beforeAll(async () => {
      const g = gdbComplete(VALUES, ['break use', 'run'], queries);
      oracle = new Map(queries.map((q, i) => [q, g[i]]));
      s = await launchToBreakpoint(VALUES, VALUES_C, 87);
    });
    afterAll(async () => {
      await s?.c.finish();
    });

    test('members after -> and . are the ones gdb completes (anonymous union members included)', async () => {
      for (const q of ['p out.', 'p list->next->', 'p o->in[1].', 'p (*o).i', 'p o->pin->']) {
        const ours = await complete(s.c, q, s.frame.id);
        const theirs = oracle.get(q)!;
        expect(theirs.length).toBeGreaterThan(1);
        // gdb 13 leaves out the members of anonymous structs (tag, level) but not those of anonymous unions.
        expect([q, ours.filter((l) => !/\.(tag|level)$|->(tag|level)$/.test(l))]).toEqual([q, theirs]);
      }
    });

    test('members of an anonymous struct, which gdb 13 does not complete, are real members (gdb prints them)', async () => {
      const ours = await complete(s.c, 'p o->', s.frame.id);
      const theirs = oracle.get('p o->')!;
      for (const l of theirs) expect(ours).toContain(l);
      const extra = ours.filter((l) => !theirs.includes(l));
      expect(extra.sort()).toEqual(['p o->level', 'p o->tag']);
      const out = gdb(['break use', 'run', ...extra.map((l) => l.replace(/^p /, 'print '))], VALUES);
      expect(out).toMatch(/\$1 = 200 '\\310'\n\$2 = 120 'x'/);
    });

    test('names in scope, globals and functions: every one offered is gdb\'s; the program\'s own are all there', async () => {
      for (const q of ['p sc', 'p tot', 'b us', 'p/x to']) {
        const ours = await complete(s.c, q, s.frame.id);
        const theirs = oracle.get(q)!;
        const extra = ours.filter((l) => !theirs.includes(l));
        expect([q, extra]).toEqual([q, []]);
      }
      expect(await complete(s.c, 'p sc', s.frame.id)).toEqual(expect.arrayContaining(['p scale', 'p scaled']));
      expect(await complete(s.c, 'p tot', s.frame.id)).toContain('p total');
      expect(await complete(s.c, 'p/x to', s.frame.id)).toContain('p/x total');
      expect(await complete(s.c, 'b us', s.frame.id)).toContain('b use');
      // `break` completes functions only: `use` yes, the local `scaled` no.
      expect(await complete(s.c, 'b sc', s.frame.id)).not.toContain('b scaled');
    });

    test('command names and info subcommands, as gdb completes them', async () => {
      expect(await complete(s.c, 'wha')).toEqual(oracle.get('wha'));
      expect(await complete(s.c, 'info lo')).toEqual(oracle.get('info lo'));
      // gdb also has `info frame-filter`, which this console does not implement.
      expect(oracle.get('info fr')).toContain('info frame');
      expect(await complete(s.c, 'info fr')).toEqual(['info frame']);
      expect(await complete(s.c, 'info registers ra', s.frame.id)).toEqual(oracle.get('info registers ra'));
      // An expression typed in the console completes too (the console evaluates what is not a command).
      expect(await complete(s.c, 'total + sc', s.frame.id)).toEqual(expect.arrayContaining(['total + scale', 'total + scaled']));
      // '-exec ' forces a command: no expression names then.
      expect(await complete(s.c, '-exec wha')).toEqual(['-exec whatis']);
    });

    test('a struct member of a non-struct, and an unknown name, complete to nothing; the session keeps serving', async () => {
      expect(await complete(s.c, 'p total.', s.frame.id)).toEqual([]);
      expect(await complete(s.c, 'p nosuchthing->', s.frame.id)).toEqual([]);
      expect(await complete(s.c, 'p 0x1f', s.frame.id)).toEqual([]);
      await expect(s.c.customRequest('completions', { text: 'p x' })).rejects.toThrow(/column/);
      expect((await s.c.evaluateRequest({ expression: 'total', frameId: s.frame.id, context: 'watch' })).body.result).toMatch(/^-?\d+$/);
    });
  });

  describe('types: names of the selected frame', () => {
    let s: StoppedSession;
    let oracle: string[][];

    beforeAll(async () => {
      oracle = gdbComplete(TYPES, ['break inspect', 'run'], ['p lo', 'p s->co'], []).concat(gdbComplete(TYPES, ['break inspect', 'run', 'up'], ['p lo']));
      s = await launchToBreakpoint(TYPES, TYPES_C, 28);
    });
    afterAll(async () => {
      await s?.c.finish();
    });

    test('locals of the frame the client selected (frame 1: main\'s `local`), as gdb after `up`', async () => {
      const frames = (await s.c.stackTraceRequest({ threadId: s.threadId })).body.stackFrames;
      expect(frames[1].name).toBe('main');
      const inMain = await complete(s.c, 'p lo', frames[1].id);
      const inInspect = await complete(s.c, 'p lo', frames[0].id);
      expect(oracle[2]).toContain('p local');
      expect(inMain).toContain('p local');
      expect(oracle[0]).not.toContain('p local');
      expect(inInspect).not.toContain('p local');
      for (const l of [...inMain]) expect(oracle[2]).toContain(l);
      for (const l of [...inInspect]) expect(oracle[0]).toContain(l);
    });

    test('-> on a pointer argument, with the replaced range the client needs', async () => {
      const r = await s.c.customRequest('completions', { text: 'p s->co', column: 8, frameId: s.frame.id });
      const t = r.body.targets as DebugProtocol.CompletionItem[];
      expect(t.map((x) => x.label)).toEqual(oracle[1].map((l) => l.replace('p s->', '')));
      expect(t.every((x) => x.start === 6 && x.length === 2 && x.type === 'field')).toBe(true);
    });
  });

  test('capabilities announce completions with . and > as trigger characters', async () => {
    const c = new Client();
    await c.start();
    try {
      const r = await c.initializeRequest({ adapterID: 'backstep', pathFormat: 'path' });
      expect(r.body?.supportsCompletionsRequest).toBe(true);
      expect(r.body?.completionTriggerCharacters).toEqual(['.', '>']);
      // Before any launch: command names only.
      const t = await c.customRequest('completions', { text: 'bac', column: 4 });
      expect((t.body.targets as DebugProtocol.CompletionItem[]).map((x) => x.label)).toEqual(['backtrace']);
    } finally {
      await c.stop();
    }
  });
});
