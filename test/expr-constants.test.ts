// The expression language without a running program, against gdb printing the same expressions
// with the same executable loaded: literals and their types, C's arithmetic conversions and
// wrap-around, floating-point printing, characters and strings, casts, sizeof, operators, syntax
// and lexical errors, and globals read from the file's initialised data (as gdb does before `run`).
import { evaluate, formatValue, ModuleSymbols, typeOfExpression, ValueStore } from '../src/engine/values/api';
import { typeName } from '../src/symbols';
import { fixture, gdbPrintStatic, symbolFileFor } from './values-helpers';

jest.setTimeout(120000);

const LETTERS: Record<string, 'hex' | 'decimal' | 'unsigned' | 'octal' | 'binary' | 'char' | 'address' | 'zero-hex' | 'float'> = {
  x: 'hex', d: 'decimal', u: 'unsigned', o: 'octal', t: 'binary', c: 'char', a: 'address', z: 'zero-hex', f: 'float',
};

function compareStatic(binary: string, exprs: string[]): string[] {
  const bin = fixture(binary);
  const want = gdbPrintStatic(bin, exprs);
  const modules: ModuleSymbols[] = [{ symbolFile: symbolFileFor(bin)!, loadBias: 0 }];
  const store = new ValueStore();
  const problems: string[] = [];
  exprs.forEach((e, i) => {
    let got: string;
    try {
      const m = /^\/([a-z]) (.*)$/.exec(e);
      const v = evaluate(m ? m[2] : e, { modules, store });
      store.record(v);
      got = `= ${formatValue(v, { throwErrors: true, ...(m ? { format: LETTERS[m[1]] } : {}) })}`;
    } catch (err) {
      got = `error: ${(err as Error).message}`;
    }
    const w = want[i].value !== undefined ? `= ${want[i].value}` : `error: ${want[i].error}`;
    if (w !== got) problems.push(`${e}\n    gdb:  ${w}\n    ours: ${got}`);
  });
  return problems;
}

const INTEGERS = [
  '0', '42', '-42', '2147483647', '2147483648', '4294967295', '4294967296', '9223372036854775807', '9223372036854775808', '18446744073709551615',
  '18446744073709551616', '0x7fffffff', '0x80000000', '0xffffffff', '0x100000000', '0xffffffffffffffff', '017', '0777777777777', '0b1010', '0B11',
  '10u', '10U', '10l', '10L', '10ul', '10UL', '10lu', '10ll', '10LL', '10ull', '10llu', '4294967295u', '4294967296u', '0x10000000000000000', '08', '09',
  '0x', '1lll', '1uu', '1e', '12abc', '1.5.5',
  // promotions and wrap-around
  '2147483647 + 1', '2147483647u + 1', '-2147483648 - 1', '4294967295 + 1', '0xffffffff + 1', '0xffffffffu * 2', '65536 * 65536', '65536L * 65536',
  '-1U', '-1UL', '-(-2147483648)', '~0', '~0u', '~0ul', '!0', '!1', '!!5', '-0', '+5', '- -5', '(unsigned char)300', '(signed char)200', '(char)-1',
  '(short)70000', '(unsigned short)-1', '(unsigned)-1', '(long)-1', '(unsigned long)-1', '(int)4294967296', '(long long)1 << 62', '(char)65 + (char)1',
  "'a' + 1", "'a' * 'b'", "(char)'a'", '(unsigned char)255 + (unsigned char)1', '(short)1 + (unsigned short)1', '1u - 2', '1ul - 2', '1 - 2u',
  '-1 < 0u', '-1 < 0', '-1L < 0u', '-1 > 0u', '(unsigned char)1 > -1', '7/2', '-7/2', '7/-2', '7%3', '-7%3', '7%-3', '1/0', '1%0', '0/0', '5/0u',
  '1 << 31', '1 << 32', '1L << 32', '1 << 63', '1L << 63', '-1 >> 1', '-1 >> 31', '-1u >> 1', '0x80000000 >> 31', '1 << -1', '5 & 3', '5 | 3',
  '5 ^ 3', '~5 & 0xff', '6 & -6', '1 && 0', '1 && 2', '0 || 0', '0 || 3', '1 ? 2 : 3', '0 ? 2 : 3', '0 ? 2 : 3.5', '1 ? 2 : 3.5', '(1, 2)', '1, 2, 3',
  '1 == 1', '1 != 1', '1 < 2', '2 <= 2', '3 > 4', '3 >= 3', '1 == 1.0', '0.1 + 0.2 == 0.3', '1 < 2 < 3', '3 > 2 > 1', '-5 % 3 == -2',
];

const FLOATS = [
  '1.5', '2.5', '0.1', '1e100', '1e-100', '1.0/3', '2.0/3', '1e15', '1e16', '1e17', '123456789012345678.0', '0.0001', '0.00001', '1e-5', '100.0',
  '1e308 * 10', '-1e308 * 10', '0.0/0', '-(0.0/0)', '-0.0', '0.0', '1.5f', '0.1f', '1.0f/3', '16777217.0f', '3.4e38f * 10', '1.5L', '0.5L', '2.0L * 3', '0.1L', '1.0L/3', '1.0L/3 * 3', '(long double)1/3', '0.1L + 0.2L', '-0.0L', '-(0.1L)', '1e4000L', '1e-4950L',
  '(double)(1.0L/3)', '(float)(1.0L/3)', '(int)2.5L', '(long)-2.5L', '2.5L > 2.5', '1.0L/3 == 1.0/3', '3.14159265358979323846264338L', '1e300L * 1e300L',
  '(unsigned long)1e19L', '(unsigned long)1e19', '(int)1e10', '(long)(0.0/0)', '(int)-1e30', '(unsigned char)1e3', '0.1L * 10 == 1', '1.0L/0', '0.0L/0', '1.5L - 1.5', '1.0L / 7 * 7',
  '(float)0.1', '(double)0.1f', '(long double)0.1', '(int)2.9', '(int)-2.9', '(unsigned char)2.9', '(long)1e18', '7.0/2', '7/2.0', '1.5f * 2',
  '1.5f + 1.5', '10/3.0f', '(float)1/3', '1/3', '1.0/3 * 3', '5e-324', '2.2250738585072014e-308', '1.7976931348623157e308', '4.9e-324 / 2',
  '3.14159265358979323846', '2.718281828459045', '123456.789', '1e21', '1e22', '9007199254740993.0', '0x1p3', '0x1.8p1', '.5', '5.', '5.e1',
  '1.5 % 2', '1.5 << 1', '~1.5', '!1.5', '!0.0', '-1.5', '1.5 > 1', '2.5 == 2.5f', '1e400', '(float)1e40', '1.0/3 + 1.0f/3',
];

const CHARS_STRINGS = [
  "'a'", "'\\n'", "'\\t'", "'\\0'", "'\\\\'", "'\\''", "'\"'", "'\\x41'", "'\\101'", "'\\e'", "'\\a'", "'\\377'", "'\\x7f'", "' '", "'~'",
  '"hello"', '"a\\tb"', '"quote\\"s"', '"back\\\\slash"', '""', '"\\0"', '"a\\0b"', '"\\x41\\x42"', '"\\303\\251"', '"\\377\\376"', '"x" "y" "z"',
  'sizeof("abc")', 'sizeof("")', '"abc"[1]', '"abc"[3]', '"abc"[4]', "'ab'", "''", "'a", '"abc', '"\\q"', "'\\q'",
];

const TYPES = [
  'sizeof(char)', 'sizeof(short)', 'sizeof(int)', 'sizeof(long)', 'sizeof(long long)', 'sizeof(float)', 'sizeof(double)', 'sizeof(long double)',
  'sizeof(void *)', 'sizeof(char *)', 'sizeof(int[10])', 'sizeof(int[2][3])', 'sizeof(int (*)[3])', 'sizeof(int (*)(int))', 'sizeof(unsigned)',
  'sizeof(unsigned long int)', 'sizeof(long unsigned)', 'sizeof(signed char)', 'sizeof(_Bool)', 'sizeof(struct shape)', 'sizeof(union number)',
  'sizeof(enum color)', 'sizeof(u32)', 'sizeof(binop)', 'sizeof(struct point[4])', 'sizeof(struct nosuch)', 'sizeof(int) * 2', 'sizeof 1',
  'sizeof 1.5f', "sizeof 'a'", 'sizeof(1 + 1L)', 'sizeof(matrix)', 'sizeof matrix[0]', 'sizeof(global_shape.corners)', 'sizeof(void)',
  '(struct point *)0', '(struct point *)0 + 1', '(int *)8 - (int *)0', '(char *)8 - (char *)0', '(long)((struct shape *)0)->corners',
  '&((struct shape *)0)->color', '(long)&((struct shape *)0)->color', '(void *)16', '(char *)0', '(binop)0', '(enum color)1', '(enum color)6',
  '(enum color)2', '(u32)-1', '(const char *)0', '(int **)0', '(int (*)[3])0', '(int (*)(int))0', '(unsigned long)(int *)16', 'RED', 'GREEN + 1',
  'BLUE * 2', 'GREEN == 5', '(enum color)GREEN', 'RED - 1', 'sizeof(RED)',
];

const ERRORS = [
  'nosuch', 'nosuch + 1', '1 +', '+', '(1', '1)', '()', '1 2', '1 # 2', '$', '$1', '$$', '$$3', '$pc', '$rax', '$sp', '$nosuchvar', '$foo + 1',
  '*1', '*0', '&1', '&(1 + 1)', '1 = 2', '1++', '++1', '-"abc"', '1 ? 2', 'sizeof', 'int', 'struct shape', '(int)', 'struct nosuch', '(struct nosuch *)0',
  '1.x', '1->x', 'global_shape.nosuch', 'global_shape->nosuch', 'matrix.x', 'ratio[1]', '1[2]', 'matrix[1.5]', 'global_shape + 1', '-global_shape',
  'global_shape == global_shape', '1 @ 2', 'matrix @ 2', 'add + 1', '*add', '&add', 'add', '*&add', 'inspect', '&inspect', 'main',
  '1 ? global_shape : 2', 'global_shape ? 1 : 2', '!global_shape', '1 && global_shape',
];

const GLOBALS = [
  'global_shape', '&global_shape', 'global_shape.name', 'global_shape.corners[1]', 'global_shape.fl', 'matrix', 'matrix[1][2]', '&matrix[1]', 'ratio',
  'cv_value', 'file_static', '&file_static', '*global_shape.name@3', 'matrix[0][1]@4', 'global_shape.num.bytes', '/x matrix', '/x global_shape',
  'global_shape.corners[1].y * 10', '(long)&matrix[1][1] - (long)&matrix', '$_', '$_exitcode', '$foo = 5', '$foo', '$foo * $foo', '$foo = global_shape',
  '$foo.color', '$1', '$', '$$', '$$2', '$$9', '$99',
];

describe('constant expressions and globals, compared with gdb (no process)', () => {
  test('integer literals, conversions, wrap-around, operators', () => {
    expect(compareStatic('types', INTEGERS)).toEqual([]);
  });
  test('floating point arithmetic and printing', () => {
    expect(compareStatic('types', FLOATS)).toEqual([]);
  });
  test('characters, escapes and strings', () => {
    expect(compareStatic('types', CHARS_STRINGS)).toEqual([]);
  });
  test('type names, sizeof, casts, enums', () => {
    expect(compareStatic('types', TYPES)).toEqual([]);
  });
  test('errors', () => {
    expect(compareStatic('types', ERRORS)).toEqual([]);
  });
  test('globals read from the executable, history and convenience variables', () => {
    expect(compareStatic('types', GLOBALS)).toEqual([]);
  });
  test('C++: bool, true/false, comparisons, scoped names', () => {
    expect(compareStatic('values_cpp', ['true', 'false', '1 < 2', '!1', 'true + 1', 'sizeof(bool)', 'global_int', 'outer::depth', 'outer::inner::depth',
      '::global_int', 'color', 'outer::inner::Color::Blue', '(outer::inner::Color)4', 'Multi::instances', 'yes', 'ibox', 'dbox.value * 2',
      'sizeof(Multi)', 'sizeof(Box<int>)', 'sizeof(Box<double>)', 'outer::nosuch', 'nosuch::x', 'Multi::nosuch', 'Counter::limit', '(bool)5', '(bool)0',
      "'a' == 97", 'this', 'global_ref', '&global_ref', 'global_ref + 1'])).toEqual([]);
  });
});

describe('whatis (types of expressions)', () => {
  const modules = (): ModuleSymbols[] => [{ symbolFile: symbolFileFor(fixture('types'))!, loadBias: 0 }];
  test('matches gdb whatis', () => {
    const exprs = ['1', '1u', '1l', '2147483648', '0xffffffff', "'a'", "'a' + 1", '1.5', '1.5f', '1.5L', '"ab"', '(char)1 + (char)1', '1 + 1L', '1u + 1L',
      '1 < 2', 'sizeof(int)', 'global_shape', '&global_shape', 'global_shape.corners', 'global_shape.corners[0]', '&matrix', 'matrix[0]', '*matrix',
      'cv_value', 'cv_value + 1', 'add', '&add', '*add', 'ratio * 2', 'RED', 'RED + 1', '-RED', '(u32)1', '(binop)0', 'struct shape', 'unsigned long',
      'int *', 'char (*)[3]', 'int (*)(int, char)', 'const char *', 'char * const', 'struct point [2]', 'u32 *', 'enum color', 'add + 1',
      'matrix + 1', '*matrix', '&matrix[0][0]', 'global_shape.fl.c', 'global_shape.num.bytes[1]', '(char)1', '-(char)1', '~(short)1', '1 ? 2 : 3.0',
      '(1, 2.5f)', 'sizeof global_shape', 'struct nosuch', 'nosuch'];
    const bin = fixture('types');
    const want = gdbPrintStatic(bin, exprs, [], 'whatis').map((r, i) => `${exprs[i]}: ${r.value !== undefined ? r.value : r.error}`);
    const out = exprs.map((e) => {
      try {
        return `${e}: ${typeName(typeOfExpression(e, { modules: modules() }))}`;
      } catch (err) {
        return `${e}: ${(err as Error).message}`;
      }
    });
    expect(out).toEqual(want);
  });
});

describe('robustness', () => {
  test('random token soup never escapes as anything but EvalError', () => {
    const modules: ModuleSymbols[] = [{ symbolFile: symbolFileFor(fixture('types'))!, loadBias: 0 }];
    const store = new ValueStore();
    const atoms = ['1', '0', '-1', '2.5', "'a'", '"s"', 'global_shape', 'matrix', 'ratio', 'add', 'RED', 'x', '$', '$1', '$foo', '$pc', 'sizeof',
      'struct', 'shape', 'int', 'unsigned', 'char', '*', '&', '(', ')', '[', ']', '{', '}', '.', '->', '+', '-', '/', '%', '<<', '>>', '<', '>', '==',
      '!', '~', '&&', '||', '?', ':', ',', '=', '+=', '@', '::', 'corners', 'name', '0x', '08', '1e', '\\', '#', 'L', '"', "'"];
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let values = 0;
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const len = 1 + rnd(8);
      const e = Array.from({ length: len }, () => atoms[rnd(atoms.length)]).join(rnd(2) ? ' ' : '');
      try {
        const v = evaluate(e, { modules, store });
        formatValue(v);
        values++;
      } catch (err) {
        if (!(err instanceof Error) || err.name !== 'EvalError') throw new Error(`${JSON.stringify(e)} threw ${String(err)} (${(err as Error)?.stack})`);
        errors++;
      }
    }
    expect(values).toBeGreaterThan(50);
    expect(errors).toBeGreaterThan(1000);
  });
});
