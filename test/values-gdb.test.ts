// Oracle test: gdb 13's `print` and ours must produce identical text for a corpus of expressions
// evaluated at the same stops of the fixtures (C and C++, -O0 and -O2): locals and arguments,
// members, indexing, pointers, arithmetic and promotions, casts, `@`, registers, value history,
// convenience variables, assignments, and error messages.
import { Tracer } from '../src/target';
import { args, evaluate, formatValue, formatVariable, locals, ValueStore } from '../src/engine/values/api';
import type { FormatOptions } from '../src/engine/values/api';
import { leftoverTracees } from './helpers';
import { fixture, gdbPrint, GdbResult, GdbStep, stopAt } from './values-helpers';

jest.setTimeout(180000);

let tracer: Tracer;
beforeAll(async () => {
  tracer = await Tracer.create();
});
afterAll(async () => {
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

interface Case {
  name: string;
  binary: string;
  location: string;
  args?: string[];
  steps: GdbStep[];
  /** Stop at the Nth hit of the breakpoint. */
  hits?: number;
  /** gdb settings (`set print pretty on`...) and the matching FormatOptions. */
  setup?: string[];
  format?: FormatOptions;
}

const LETTERS: Record<string, FormatOptions['format']> = { x: 'hex', d: 'decimal', u: 'unsigned', o: 'octal', t: 'binary', c: 'char', a: 'address', z: 'zero-hex', f: 'float' };

/** Runs a case under gdb and under backstep; returns the mismatches (empty when identical). */
async function compare(c: Case): Promise<{ mismatches: string[]; compared: number }> {
  const bin = fixture(c.binary);
  const gdb = gdbPrint(bin, c.location, c.steps, { args: c.args, setup: c.setup, hits: c.hits });
  const stop = await stopAt(tracer, bin, c.location, { args: c.args, env: gdb.env, hits: c.hits });
  const store = new ValueStore();
  const mismatches: string[] = [];
  let compared = 0;
  try {
    c.steps.forEach((st, si) => {
      const frame = stop.frames[st.frame ?? 0];
      const info = gdb.info[si];
      if (info) {
        const a = args(frame).map((nv) => formatVariable(nv, c.format)).join('\n');
        const l = locals(frame).map((nv) => formatVariable(nv, c.format)).join('\n');
        const ours = { args: (a || 'No arguments.') + '\n', locals: (l || 'No locals.') + '\n' };
        compared += 2;
        if (ours.args !== info.args) mismatches.push(`[${c.name} #${st.frame ?? 0}] info args\n    gdb:  ${JSON.stringify(info.args)}\n    ours: ${JSON.stringify(ours.args)}`);
        if (ours.locals !== info.locals) mismatches.push(`[${c.name} #${st.frame ?? 0}] info locals\n    gdb:  ${JSON.stringify(info.locals)}\n    ours: ${JSON.stringify(ours.locals)}`);
      }
      st.exprs.forEach((e, ei) => {
        const want: GdbResult = gdb.results[si][ei];
        let got: GdbResult;
        try {
          // `/x expr` is print/x.
          const m = /^\/([a-z]) (.*)$/.exec(e);
          const v = evaluate(m ? m[2] : e, { frame, modules: stop.modules, store });
          store.record(v);
          got = { value: formatValue(v, { ...c.format, throwErrors: true, ...(m ? { format: LETTERS[m[1]] } : {}) }) };
        } catch (err) {
          got = { error: (err as Error).message };
        }
        compared++;
        const w = want.value !== undefined ? `= ${want.value}` : `error: ${want.error}`;
        const g = got.value !== undefined ? `= ${got.value}` : `error: ${got.error}`;
        if (w !== g) mismatches.push(`[${c.name} #${st.frame ?? 0}] ${e}\n    gdb: ${w}\n    ours: ${g}`);
      });
    });
    await stop.flushRegisters();
  } finally {
    await stop.kill();
  }
  return { mismatches, compared };
}

const TYPES_INSPECT: Case = {
  name: 'types@inspect',
  binary: 'types',
  location: 'inspect',
  steps: [
    {
      frame: 0,
      info: true,
      exprs: [
        // arguments and locals (info args / info locals)
        's', 'op', 'scale', 'calls', 'sum', 'tag', 'f', 'ok',
        // members, indexing, pointers
        '*s', 's->name', 's->corners', 's->corners[1]', 's->corners[1].y', 's->color', 's->fl', 's->fl.a', 's->fl.b', 's->fl.c', 's->fl.on',
        's->num', 's->num.bytes', 's->num.f', 's->num.bytes[3]', '(*s).corners[0]', 's[0].color', '&s->corners[1]', '&s->corners[1].y', '*&s->corners[1]',
        'global_shape', '&global_shape', 'global_shape.corners[1].y', 'global_shape.name', '*global_shape.name', 'global_shape.name[1]',
        'matrix', 'matrix[1]', 'matrix[1][2]', '&matrix', '&matrix[1]', '*matrix', '**matrix', 'matrix + 1', '*(matrix + 1)',
        'ratio', '&ratio', 'cv_value', '&cv_value', 'file_static', '&file_static',
        'add', '&add', '*add', 'op == add', 'inspect', 'main',
        // arithmetic and promotions
        '(unsigned char)300', '-1U', '7/2', '7.0/2', "'a'+1", "'a'", "'\\n'", "'\\0'", "'\\\\'", "'\\''", '"hi"', 'sizeof("hi")', '"a\\tb\\001"',
        '1.5f*2', '10/3.0f', '1e100', '0.1', '1.0/3', '-5/2', '-5%3', '1<2', '!5', '~0', '0x10', '010', '0b101',
        '2147483648', '0xffffffff', '4294967296', '-2147483648', '(char)65', '(short)-1', '(unsigned short)-1', '1==1.0',
        '3000000000 * 2', '2000000000 + 2000000000', '2000000000u + 2000000000', '(long)2000000000 * 4', '1 << 31', '1u << 31',
        '-1 >> 1', '-1U >> 1', '5 & 3', '5 | 3', '5 ^ 3', '1 && 0', '1 || 0', '0 ? 1 : 2', '(1, 2)', 'scale * 2', 'scale / 2.0',
        'sum > 0', 's->fl.c * 2', 's->fl.a + s->fl.b', 's->color + 1', 's->color == 6', 'RED', 'GREEN', 'BLUE', 'BLUE - GREEN', '-RED',
        'sizeof(struct shape)', 'sizeof global_shape', 'sizeof(int[10])', 'sizeof(struct point)', 'sizeof(union number)', 'sizeof s->corners',
        'sizeof(char)', 'sizeof(long double)', 'sizeof matrix[0]', 'ratio * 2', 'ratio > 2', '(int)ratio', '(int)-2.9', 'cv_value + 1',
        's + 1', '(s + 1) - s', 's - 1', '(char *)s->name + 2', 's->name + 2', '&matrix[1][0] - &matrix[0][0]',
        // casts
        '(struct shape *)s', '(struct point *)&matrix', '(long)s', '(char)s->corners[1].y', '(float)1/3', '(double)1/3',
        '(unsigned)-1', '(enum color)1', '(enum color)5', '(enum color)8', '(u32)-1', '(binop)add', '(void *)0', '(char *)s->name',
        '(unsigned char *)s->name', '(const char *)s->name', '(int *)&matrix', '*(int *)&matrix', '(long)&ratio', '(union number *)&s->num',
        '{int}&matrix[1][1]', '{struct point}&global_shape.corners[1]',
        // artificial arrays
        '*s@2', 's->corners[0]@2', 'matrix[0][1]@3', '*matrix@2', 's->corners[1].x@2', 'global_shape.name[0]@3', '*global_shape.name@6',
        // registers
        '$rip', '$pc', '$sp', '$rsp', '$eflags', '$cs', '$rbp', '$fp', '$rsi', '$esi', '$si', '$sil', '$rdi == (long)s',
        // history and convenience variables
        '$', '$$', '$$3', '$1', '$2', '$foo', '$foo = 7', '$foo * 2', '$foo', '$bar = s', '$bar->color', '$_exitcode',
        // errors
        'nosuch', 's->zz', 'global_shape.nosuch', '1/0', '1%0', '*0', '&1', '1 +', ')', '1 2', '08', '1 # 2', "'ab", '"ab', '*1.5',
        '1@2', '*s@0', '5 = 3', 'matrix[1].x', 'scale.x', 'scale->x', '(struct nosuch *)0', '-global_shape', '!global_shape', 'scale[1]',
        '$9999', '&scale', 'global_shape + 1', 'add + 1', '*(void *)s', 'ratio % 2', 'ratio << 1', 'sizeof(struct nosuch)',
        // assignments (gdb writes memory; so do we)
        'scale = 5', 'scale', 'scale += 2', 'scale++', 'scale', '--scale', 'scale *= 3', 's->fl.c = 7', 's->fl.c', 's->fl', 's->fl.c = -9',
        's->fl', 's->num.f = 2.5', 's->num', 'global_shape.corners[0].x = -9', 'global_shape.corners', 'tag = 65', 'tag', 'ok = 0', 'ok',
        'f = 3.25', 'f', 's->color = RED', 's->color', 'ratio = 1.0/3', 'ratio', 'matrix[0][0] = 0x7fffffff + 1', 'matrix[0]',
      ],
    },
    {
      frame: 1,
      info: true,
      exprs: [
        'b', 'c', 'local', 'r', '*b', 'b->data', 'b->len', 'b->data[1]', 'local.name', 'local.fl', '&local', 'local.corners[1].x + 1', '$pc',
        'c == BLUE', 'local.color', '&b->data', 'sizeof(*b)', 'sizeof b->data', 'inspect', 'b->data + 1',
      ],
    },
  ],
};

const TYPES_O2: Case = {
  name: 'types_O2@inspect',
  binary: 'types_O2',
  location: 'inspect',
  steps: [
    {
      frame: 0,
      info: true,
      exprs: [
        's', 'op', 'scale', 'calls', 'sum', 'tag', 'f', 'ok', 'inner', '*s', 's->corners[1].y', 'scale * 2', 'tag + 1', '&sum', '&scale',
        '$rdi', '$rdi == (long)s', 'sizeof(sum)', 'sum + 1', 'f * 2', 'file_static', 'global_shape.num', 'ratio', 'matrix[1]',
      ],
    },
    { frame: 1, info: true, exprs: ['b', 'c', 'local', 'r', 'local.color', '$pc', 'matrix[1][2] + 1'] },
  ],
};

const CLASSES_MEASURE: Case = {
  name: 'classes@measure',
  binary: 'classes',
  location: 'measure',
  steps: [
    {
      frame: 0,
      info: true,
      exprs: [
        's', 'hits', '&hits', 's.name', '*&s', '&s', 'geo::counter', '::geo::counter', 'geo::counter + 1', 'hits + 1', 'a', 's.name[0]',
        '(geo::Shape *)&s', 'sizeof(geo::Shape)', 'sizeof(s)', 'true', 'false', '1 < 2', '!1', 'sizeof(int)', 'counter', 'geo::nosuch',
        'twice<int>', 'measure', '&measure', 'main', 'geo::Rect::area', 'geo::Vec::dot', 's.nosuch', 'hits = 5', 'hits', 'hits++', 'hits',
      ],
    },
    {
      frame: 1,
      info: true,
      exprs: [
        'r', 'v', 'w', '&r', '&v', 'r.w_', 'r.name', 'r.h_ * r.w_', 'sizeof(geo::Rect)', '(geo::Shape*)&r', '*(geo::Shape*)&r', 'v.x + w.y',
        'hits', 'a', 't', '(geo::Rect *)(geo::Shape *)&r', 'sizeof(geo::Vec)', '&r.h_', '*&r.h_', 'geo::counter',
      ],
    },
  ],
};

const CLASSES_AREA: Case = {
  name: 'classes@Rect::area',
  binary: 'classes',
  location: 'geo::Rect::area',
  steps: [
    { frame: 0, info: true, exprs: ['this', '*this', 'w_', 'h_', 'this->w_', 'name', 'w_ * h_', '*(geo::Shape*)this', 'this->name', '(*this).h_', 'geo::counter'] },
    { frame: 1, info: true, exprs: ['s', 'hits', 'a'] },
  ],
};

const VALUES_USE: Case = {
  name: 'values@use',
  binary: 'values',
  location: 'use',
  steps: [
    {
      frame: 0,
      info: true,
      exprs: [
        'o', 'b', 'list', 'msg', 'scale', '*o', '*b', '*list', 'list->next->next', '*list->next->next', 'o->in', 'o->pin', '*o->pin', 'o->as_float', 'o->tag', 'o->level',
        'buf20', 'allz', 'esc', 'utf8', 'longstr', 'ubytes', 'sbytes', 'zeros', 'runs', 'big', 'grid', 'grid[1]', 'grid[1][0]', 'flags',
        'fl_special', 'db_special', 'ld', 'ld_third', 'ld * 2', 'wstr', 'u16str', 'u32str', 'wc', 'perms', 'perm_odd', 'perm_zero',
        'mode_on', 'mode_odd', 'tri', 'bits', 'out', 'wide', 'n1', 'head', 'headp', '*headp', '**headp', 'ops', 'opp', 'vp', 'strs',
        'nullstr', 'badstr', 'deep', 'dangling', '*dangling', 'sz', 'diff', 'ull', 'llmin', 'i128', 'u128', 'sh', 'ush', 'cplx',
        '&out.in[1]', 'out.pin', '*out.pin', '&longstr', '&longstr[5]', 'longstr + 5', '&big[3]', 'twice', '&ops[1]', '*ops@2',
        'bits.sc', 'bits.wide', 'bits.mid + 1', 'bits.flag', '(char)bits.sc', 'deep.d2.d3.c', 'sizeof(struct outer)', 'sizeof(bits)',
        '(enum perm)3', '(enum perm)16', '(enum mode)-1', '(trio)3', 'P_READ | P_WRITE', 'M_NEG', 'M_AUTO * 2', 'perms == 5',
        'strs[1]', '*strs@2', 'strs[0][1]', 'head->next->value', 'sizeof(node_t)', '(long)sizeof(longstr)', 'vp + 1',
        '(struct node *)vp', '*(struct node *)vp', '((struct node *)vp)->next', 'ull + 1', 'llmin - 1', 'sh * sh', 'ush * ush',
        'ld_third == ld_third', 'fl_special[2] == fl_special[2]', 'db_special[0] > 1e308', '-db_special[0]', '1.0/0', '-1.0/0',
        'wide.b', 'wide.d', 'ubytes[3]', 'sbytes[1]', 'runs[1]@12', 'big[25]@10', '*big@40', 'longstr[99]@3', 'local_buf', 'nums', 'total',
        'scaled', 'wstr[1]', 'u16str[0]', "L'x'", "u'y'", "U'z'", 'L"ab"', 'u"cd"', 'U"ef"', '"x" "y"', 'sizeof(L"ab")',
      ],
    },
  ],
};

const VALUES_CPP: Case = {
  name: 'values_cpp@consume',
  binary: 'values_cpp',
  location: 'consume',
  steps: [
    {
      frame: 0,
      info: true,
      exprs: [
        'm', 'pm', '*pm', 'rv', 'h', 'asBase', '&asBase', '(Base2*)pm', '(Multi*)&asBase', 'm.b2', 'm.instances', 'Multi::instances',
        '&Multi::instances', 'global_ref', '&global_ref', 'color', '(int)color', 'outer::depth', 'outer::inner::depth', '::global_int',
        'ibox', 'dbox', 'yes', '!yes', 'sizeof(Multi)', 'h.ref', 'h.ref + 1', 'outer::inner::Color::Blue', '(outer::inner::Color)3',
        '(outer::inner::Color)16', 'c', 'pm->own', '*&m', 'rv + 2', '&rv', 'm.own = 34', 'm', 'pm->b1', '&m.b2', '&pm->b2', 'Counter::limit',
        'c.limit', 'sizeof(Box<int>)', 'ibox.value + dbox.value', 'Multi::nosuch', 'global_int * 2', 'depth',
      ],
    },
    { frame: 1, info: true, exprs: ['m', 'local', 'h', 'he', 'r', 'he.x', 'sizeof(he)', 'sizeof(Empty)'] },
  ],
};

const DEMO: Case = {
  name: 'demo@deposit',
  binary: 'demo',
  location: 'deposit',
  steps: [
    { frame: 0, info: true, exprs: ['acct', '*acct', 'amount', 'acct->owner', 'acct->balance + amount', 'acct->deposits', '*acct->owner@3'] },
    { frame: 1, info: true, exprs: ['acct', 'amounts', 'i', 'now', 'amounts[i]', 'amounts[1]@3', '*amounts@5', '&amounts[2]', 'sizeof amounts', 'amounts + i', '*(amounts + 4)'] },
  ],
};

const LOOP: Case = {
  name: 'loop@hot',
  binary: 'loop',
  location: 'hot',
  args: ['3'],
  steps: [
    { frame: 0, info: true, exprs: ['x', 'counter', 'greeting', '&greeting', 'sizeof(greeting)', 'greeting[0]', '*greeting@5', 'counter * 2', '&counter', '&greeting[3]', 'greeting + 3'] },
    { frame: 1, info: true, exprs: ['n', 'total', 'i', 'argc', 'argv', 'argv[0]', '*argv@argc', 'argv[1]', 'argv[argc]', 'total + i', 'n * 1000000000', 'n * 1000000000L'] },
  ],
};

const LOOP_O2: Case = {
  name: 'loop_O2@hot',
  binary: 'loop_O2',
  location: 'hot',
  args: ['3'],
  steps: [
    { frame: 0, info: true, exprs: ['x', 'counter', 'x * 2 + 1', '$rdi', '$edi'] },
    { frame: 1, info: true, exprs: ['n', 'total', 'i', 'argc', 'argv', 'argv[0]'] },
  ],
};

const USELIB: Case = {
  name: 'uselib@shape_area',
  binary: 'uselib',
  location: 'shape_area',
  steps: [
    { frame: 0, info: true, exprs: ['w', 'h', 'area', 'shape_scale', '&shape_scale', 'shape_area', 'w * h * shape_scale'] },
    { frame: 1, info: true, exprs: ['a', 'argc', 'shape_scale', 'main'] },
  ],
};

const MULTI: Case = {
  name: 'multi@util_total',
  binary: 'multi',
  location: 'util_total',
  steps: [
    { frame: 0, info: true, exprs: ['ps', 'n', 'total', '*ps@n', 'ps[1]', 'util_calls', 'util_level', 'factor', 'LOW', 'HIGH', 'main_calls', '(enum level)1', 'util_level + 1'] },
    { frame: 1, info: true, exprs: ['ps', 'first', 'main_calls', 'util_level', 'ps[2].right'] },
  ],
};

const FORMATS: Case = {
  name: 'values@use print/FMT',
  binary: 'values',
  location: 'use',
  steps: [
    {
      frame: 0,
      exprs: [
        '/x bits', '/d perms', '/x ubytes', '/c runs', '/x grid', '/t 255', '/o ull', '/x llmin', '/x sh', '/u sh', '/z sh', '/a opp', '/a head',
        '/x out', '/f 3', '/x 1.5', '/c 200', '/x -1', '/d (char)-1', '/x o', '/d o', '/x *o', '/o 0', '/t 0', '/x fl_special', '/d fl_special',
        '/u sbytes', '/x wide', '/c 65', '/x esc', '/d buf20', '/x u128', '/x i128', '/d u128', '/t sh', '/o sh', '/x bits.sc', '/z 0', '/x perms',
        '/x mode_odd', '/c wc', '/x ld', '/f ull', '/f sh', '/x cplx', '/a 0', '/a main', '/x (char)1', '/s buf20', '/s msg', '/x msg', '/d msg',
        '/x strs', '/a strs', '/u -1', '/d 4294967295', '/x flags', '/d flags', '/x zeros', '/c ubytes', '/x local_buf', '/z ubytes', '/t ubytes[5]',
        '/o ubytes', '/x deep', '/f db_special', '/x db_special[1]', '/c 955', '/x n1', '/a n1.next', '/u bits', '/x tri', '/d tri', '/x nullstr',
        '/x twice', '/a twice', '/f 1.5', '/f 2', '/f (char)65', '/c -5', '/x -5', '/o -5', '/t -5', '/z -5', '/d 0x80000000', '/u 0x80000000',
      ],
    },
  ],
};

const PRETTY: Case = {
  name: 'values@use pretty',
  binary: 'values',
  location: 'use',
  setup: ['set print pretty on'],
  format: { pretty: true },
  steps: [{ frame: 0, info: true, exprs: ['out', 'bits', 'deep', 'n1', 'grid', '*o', 'strs', 'wide', 'runs', 'big', '/x deep', 'o->in'] }],
};

const PRETTY_CPP: Case = {
  name: 'values_cpp@consume pretty',
  binary: 'values_cpp',
  location: 'consume',
  setup: ['set print pretty on'],
  format: { pretty: true },
  steps: [{ frame: 0, info: true, exprs: ['m', 'h', '*pm', 'c', 'ibox', 'asBase'] }, { frame: 1, info: true, exprs: ['he', 'm'] }],
};

const TYPES_FORMATS: Case = {
  name: 'types@inspect print/FMT',
  binary: 'types',
  location: 'inspect',
  steps: [
    {
      frame: 0,
      exprs: [
        '/x *s', '/x s', '/x matrix', '/x ratio', '/f ratio', '/a &global_shape.corners[1]', '/x global_shape.fl', '/d global_shape.color',
        '/x global_shape.color', '/c global_shape.num.bytes', '/x op', '/d op', '/a op', '/x scale', '/o scale', '/t scale', '/c scale',
        '/x cv_value', '/x tag', '/d ok', '/x ok', '/x f', '/f f', '/a $pc', '/x $sp', '/x $eflags', '/d $eflags', '/x $rip',
      ],
    },
  ],
};

const VALUES_O2: Case = {
  name: 'values_O2@use',
  binary: 'values_O2',
  location: 'use',
  steps: [
    { frame: 0, info: true, exprs: ['o', 'b', 'list', 'msg', 'scale', 'total', 'local_buf', 'nums', 'scaled', '*o', 'o->in[1]', 'scale * 4', '$xmm0', '&total', 'nums[1]'] },
    { frame: 1, info: true, exprs: ['r', 'out.id', 'head', '$pc'] },
  ],
};

const CLASSES_O2: Case = {
  name: 'classes_O2@measure',
  binary: 'classes_O2',
  location: 'measure',
  steps: [
    { frame: 0, info: true, exprs: ['s', 'hits', 'a', 's.name', 'geo::counter', 'hits + 1'] },
    { frame: 1, info: true, exprs: ['r', 'v', 'w', 'hits', 't', 'r.w_ * r.h_', 'v.x'] },
  ],
};

const UNWIND_O2: Case = {
  name: 'unwind_O2@recurse, third hit (recursion, entry values)',
  binary: 'unwind_O2',
  location: 'recurse',
  hits: 3,
  args: ['recurse', '4'],
  steps: [0, 1, 2, 3, 4].map((f) => ({ frame: f, info: true, exprs: f < 3 ? ['n', 'a', 'b', 'n + a', 'r', 'sink', '$rdi', '$rbx'] : f === 3 ? ['depth', 'r'] : ['argc', 'argv'] })),
};

const SETTINGS: Case = {
  name: 'values@use set print elements/repeats/max-depth',
  binary: 'values',
  location: 'use',
  setup: ['set print elements 4', 'set print repeats 3', 'set print max-depth 1'],
  format: { printElements: 4, repeats: 3, maxDepth: 1 },
  steps: [{ frame: 0, info: true, exprs: ['longstr', 'big', 'runs', 'buf20', 'esc', 'grid', 'strs', 'msg', 'deep', 'out', 'n1', 'zeros', 'ubytes', 'flags', 'wstr', '*o'] }],
};

describe('print, compared with gdb', () => {
  test('types: arguments, locals, globals, members, arithmetic, casts, @, registers, history, errors, assignment', async () => {
    const { mismatches, compared } = await compare(TYPES_INSPECT);
    expect(compared).toBeGreaterThan(250);
    expect(mismatches).toEqual([]);
  });
  test.each([SETTINGS, VALUES_O2, CLASSES_O2, UNWIND_O2, FORMATS, TYPES_FORMATS, PRETTY, PRETTY_CPP, TYPES_O2, CLASSES_MEASURE, CLASSES_AREA, VALUES_USE, VALUES_CPP, DEMO, LOOP, LOOP_O2, USELIB, MULTI].map((c) => [c.name, c]))('%s', async (_n, c) => {
    const { mismatches, compared } = await compare(c as Case);
    expect(compared).toBeGreaterThan(5);
    expect(mismatches).toEqual([]);
  });
});
