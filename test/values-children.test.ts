// Expandable values against gdb's variable objects (GDB/MI -var-create / -var-list-children): for
// each expression, the children we list (name, type, number of grandchildren, value) must be the
// ones gdb's varobj lists, two levels deep. Also: paging, child expressions that evaluate back to
// the child, and assignment to children (DAP setVariable) checked by reading the target again.
import { execFileSync } from 'child_process';
import { Tracer } from '../src/target';
import { assign, childCount, children, evaluate, formatValue, Value, ValueChild } from '../src/engine/values/api';
import { typeName } from '../src/symbols';
import { leftoverTracees } from './helpers';
import { fixture, gdbPrint, LiveStop, stopAt } from './values-helpers';

jest.setTimeout(180000);

let tracer: Tracer;
beforeAll(async () => {
  tracer = await Tracer.create();
});
afterAll(async () => {
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

interface MiChild {
  name: string;
  exp: string;
  numchild: number;
  value: string;
  type: string;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function parseChildren(line: string): MiChild[] {
  const out: MiChild[] = [];
  const re = /child=\{name="((?:[^"\\]|\\.)*)",exp="((?:[^"\\]|\\.)*)",numchild="(\d+)",value="((?:[^"\\]|\\.)*)"(?:,type="((?:[^"\\]|\\.)*)")?/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ name: unescape(m[1]), exp: unescape(m[2]), numchild: Number(m[3]), value: unescape(m[4]), type: unescape(m[5] ?? '') });
  return out;
}

/** Runs gdb/MI to `location` and lists the children of each varobj path in `lists` (after creating `vars`). */
function miChildren(binary: string, location: string, vars: string[], lists: string[], env: Record<string, string>): Map<string, MiChild[]> {
  const cmds = [
    '-gdb-set startup-with-shell off',
    ...Object.entries(env).map(([k, v]) => `-interpreter-exec console "set environment ${k}=${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`),
    `-break-insert ${location}`,
    '-exec-run',
    ...vars.map((e, i) => `-var-create v${i} * ${e}`),
    ...lists.map((p) => `-var-list-children --all-values ${p}`),
    '-gdb-exit',
  ];
  const input = cmds.join('\n') + '\n';
  const out = execFileSync('gdb', ['--interpreter=mi', '-nx', '-q', binary], { input, encoding: 'utf8', timeout: 60000 });
  // -var-list-children answers come in order; an unknown varobj gives an error (an empty list).
  const answers = out.split('\n').filter((l) => l.startsWith('^done,numchild=') || l.startsWith('^error,msg="Variable object not found"'));
  if (answers.length !== lists.length) throw new Error(`gdb/MI gave ${answers.length} answers for ${lists.length} lists:\n${out.slice(-3000)}`);
  const res = new Map<string, MiChild[]>();
  lists.forEach((p, i) => res.set(p, answers[i].startsWith('^done') ? parseChildren(answers[i]) : []));
  return res;
}

/**
 * gdb's varobj value text (what a front-end shows): `{...}` for aggregates, `[N]` for arrays, the
 * referenced value for references, '' when the value cannot be read, else the value as printed.
 */
function varobjValue(v: Value): string {
  let t = v.type;
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile') t = t.target;
  if (t.kind === 'reference' || t.kind === 'rvalue-reference') return varobjValue(Value.atAddress(t.target, Number(v.asBigInt()), v.memory));
  if (t.kind === 'struct' || t.kind === 'class' || t.kind === 'union') return '{...}';
  if (t.kind === 'array') return `[${t.dims[0] ?? 0}]`;
  try {
    if (!v.optimizedOut) v.fetch();
  } catch {
    return '';
  }
  const s = formatValue(v, { topLevelPointerType: false });
  return s.startsWith('<error:') ? '' : s;
}

/** Our children in gdb's varobj vocabulary: array elements are named by index. */
function ourChildren(v: Value, expr: string, name: string): { exp: string; child: ValueChild }[] {
  return children(v, expr, { name }).map((c) => ({ exp: c.kind === 'element' ? String(c.index) : c.name, child: c }));
}

/** Flattens gdb's C++ access pseudo-children (public/private/protected). */
function flattenAccess(all: Map<string, MiChild[]>, path: string): MiChild[] {
  const out: MiChild[] = [];
  for (const c of all.get(path) ?? []) {
    if (c.exp === 'public' || c.exp === 'private' || c.exp === 'protected') out.push(...flattenAccess(all, c.name));
    else out.push(c);
  }
  return out;
}

async function compareChildren(binary: string, location: string, exprs: string[]): Promise<string[]> {
  const bin = fixture(binary);
  const env = gdbPrint(bin, location, [{ exprs: [] }]).env;
  // gdb only knows a child varobj once its parent's children were listed in the same session, so
  // each round lists everything again: the variables, C++ access groups, then the children.
  const isAccess = (c: MiChild) => ['public', 'private', 'protected'].includes(c.exp);
  let lists = exprs.map((_e, i) => `v${i}`);
  let all = miChildren(bin, location, exprs, lists, env);
  const more = (paths: string[]) => {
    const fresh = paths.filter((p) => !lists.includes(p));
    if (!fresh.length) return;
    lists = [...lists, ...fresh];
    all = miChildren(bin, location, exprs, lists, env);
  };
  more([...all.values()].flat().filter(isAccess).map((c) => c.name));
  more(exprs.flatMap((_e, i) => flattenAccess(all, `v${i}`)).filter((c) => c.numchild > 0).map((c) => c.name));
  more([...all.values()].flat().filter(isAccess).map((c) => c.name));

  const stop = await stopAt(tracer, bin, location, { env });
  const problems: string[] = [];
  try {
    const frame = stop.frames[0];
    const check = (path: string, v: Value, expr: string, name: string, depth: number) => {
      const want = flattenAccess(all, path);
      const got = ourChildren(v, expr, name);
      const w = want.map((c) => `${c.exp} : ${c.type} : ${c.numchild} : ${c.value}`);
      const g = got.map(({ exp, child }) => `${exp} : ${typeName(child.value.type)} : ${childCount(child.value)} : ${varobjValue(child.value)}`);
      if (JSON.stringify(w) !== JSON.stringify(g)) problems.push(`${path} (${expr})\n  gdb:  ${w.join(' | ')}\n  ours: ${g.join(' | ')}`);
      if (depth >= 1) return;
      for (const c of want) {
        if (c.numchild === 0) continue;
        const mine = got.find((x) => x.exp === c.exp);
        if (mine) check(c.name, mine.child.value, mine.child.expression, c.exp, depth + 1);
      }
    };
    exprs.forEach((e, i) => {
      const v = evaluate(e, { frame, modules: stop.modules });
      const n = childCount(v);
      const wantN = flattenAccess(all, `v${i}`).length;
      if (n !== wantN) problems.push(`childCount(${e}) = ${n}, gdb ${wantN}`);
      check(`v${i}`, v, e, e, 0);
    });
  } finally {
    await stop.kill();
  }
  return problems;
}

describe('children, compared with gdb varobjs', () => {
  test('C: structs, anonymous members, arrays, pointers to structs and scalars, strings, function pointers', async () => {
    const problems = await compareChildren('values', 'use', ['out', 'o', 'grid', 'head', 'msg', 'headp', 'vp', 'ops', 'bits', 'wide', 'n1', 'deep', 'strs', 'local_buf', 'b', 'list', 'esc', 'cplx']);
    expect(problems).toEqual([]);
  });
  test('C++: base classes, references, static members', async () => {
    const problems = await compareChildren('values_cpp', 'consume', ['m', 'pm', 'h', 'asBase', 'rv', 'ibox']);
    expect(problems).toEqual([]);
  });
});

describe('children: paging, expressions, assignment', () => {
  let stop: LiveStop;
  beforeAll(async () => {
    stop = await stopAt(tracer, fixture('values'), 'use');
  });
  afterAll(async () => {
    await stop.kill();
  });
  const ctx = () => ({ frame: stop.frames[0], modules: stop.modules });

  test('array elements are paged with start/count', () => {
    const big = evaluate('big', ctx());
    expect(childCount(big)).toBe(300);
    const page = children(big, 'big', { start: 95, count: 10 });
    expect(page.map((c) => c.name)).toEqual(['[95]', '[96]', '[97]', '[98]', '[99]', '[100]', '[101]', '[102]', '[103]', '[104]']);
    // big[i] = i / 30 (set by the program)
    expect(page.map((c) => formatValue(c.value))).toEqual(['3', '3', '3', '3', '3', '3', '3', '3', '3', '3']);
    expect(children(big, 'big', { start: 298, count: 10 }).map((c) => c.index)).toEqual([298, 299]);
  });

  test('each child expression evaluates to the child', () => {
    for (const [e, depth] of [['out', 2], ['o', 2], ['head', 3], ['grid', 2], ['bits', 1]] as [string, number][]) {
      const walk = (v: Value, expr: string, d: number) => {
        for (const c of children(v, expr)) {
          if (c.kind !== 'anonymous') {
            const again = evaluate(c.expression, ctx());
            expect([c.expression, formatValue(again)]).toEqual([c.expression, formatValue(c.value)]);
            expect(typeName(again.type)).toBe(typeName(c.value.type));
          }
          if (d > 1) walk(c.value, c.expression, d - 1);
        }
      };
      walk(evaluate(e, ctx()), e, depth);
    }
  });

  test('assigning to children writes the target (setVariable)', async () => {
    const out = evaluate('out', ctx());
    const id = children(out, 'out').find((c) => c.name === 'id')!;
    expect(formatValue(assign(id.value, '100 + 23', ctx()))).toBe('123');
    const inner = children(children(out, 'out').find((c) => c.name === 'in')!.value, 'out.in')[1];
    const d = children(inner.value, inner.expression).find((c) => c.name === 'd')!;
    expect(formatValue(assign(d.value, '-0.125', ctx()))).toBe('-0.125');
    const bits = evaluate('bits', ctx());
    const mid = children(bits, 'bits').find((c) => c.name === 'mid')!;
    expect(formatValue(assign(mid.value, '4095', ctx()))).toBe('4095');
    const sc = children(bits, 'bits').find((c) => c.name === 'sc')!;
    expect(formatValue(assign(sc.value, '-4', ctx()))).toBe("-4 '\\374'");
    // Fresh reads from the target see the writes, and neighbouring bit-fields are intact.
    expect(formatValue(evaluate('out.id', ctx()))).toBe('123');
    expect(formatValue(evaluate('out.in[1].d', ctx()))).toBe('-0.125');
    expect(formatValue(evaluate('bits', ctx()))).toBe("{lo = 9, mid = 4095, hi = 65535, sc = -4 '\\374', flag = true, wide = 737894404660}");
    const raw = stop.inferior.readMemorySync(Number(evaluate('(long)&out.id', ctx()).asBigInt()), 4);
    expect(raw.readInt32LE(0)).toBe(123);
    // Errors keep gdb's words and change nothing.
    expect(() => assign(evaluate('out', ctx()), '1', ctx())).toThrow('Invalid cast.');
    expect(() => assign(evaluate('1 + 1', ctx()), '1', ctx())).toThrow('Left operand of assignment is not an lvalue.');
    expect(() => assign(id.value, 'nosuch', ctx())).toThrow('No symbol "nosuch" in current context.');
    expect(formatValue(evaluate('out.id', ctx()))).toBe('123');
  });

  test('register writes go through setRegister and reach the thread', async () => {
    const f = stop.frames[0];
    const before = (await stop.inferior.getRegisters()).get('r12');
    expect(formatValue(evaluate('$r12 = 0x1122334455667788', ctx()))).toBe(String(0x1122334455667788n));
    expect(formatValue(evaluate('$r12d = -1', ctx()))).toBe('-1');
    expect(formatValue(evaluate('$r12', ctx()))).toBe(String(BigInt.asIntN(64, 0x11223344ffffffffn)));
    expect(formatValue(evaluate('$r12l = 0', ctx()))).toBe('0');
    expect(f.regs.get(12)).toBe(0x11223344ffffff00n);
    await stop.flushRegisters();
    expect((await stop.inferior.getRegisters()).get('r12')).toBe(0x11223344ffffff00n);
    expect(before).not.toBe(0x11223344ffffff00n);
  });
});

describe('$_siginfo', () => {
  test("prints like gdb's $_siginfo at a SIGSEGV", async () => {
    // gdb's oracle: the crash fixture's SIGSEGV.
    const { execFileSync } = await import('child_process');
    const out = execFileSync('gdb', ['-batch', '-nx', '-ex', 'run', '-ex', 'print $_siginfo', '-ex', 'print $_siginfo._sifields._sigfault.si_addr', fixture('crash')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = out.split('\n').filter((l) => /^\$\d+ = /.test(l)).map((l) => l.replace(/^\$\d+ = /, ''));
    const sig = /si_signo = (\d+), si_errno = (\d+), si_code = (\d+)/.exec(lines[0])!;
    const addr = /si_addr = (0x[0-9a-f]+)/.exec(lines[0])!;
    const { siginfoValue, siginfoFromFields, ValueStore: Store } = await import('../src/engine/values/api');
    const store = new Store();
    store.setConvenience('_siginfo', siginfoValue(siginfoFromFields({ signo: Number(sig[1]), errno: Number(sig[2]), code: Number(sig[3]), addr: Number(addr[1]) })));
    expect(formatValue(evaluate('$_siginfo', { store }))).toBe(lines[0]);
    expect(formatValue(evaluate('$_siginfo._sifields._sigfault.si_addr', { store }))).toBe(lines[1]);
  });
});
