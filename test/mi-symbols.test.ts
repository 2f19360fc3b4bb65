// -symbol-info-functions / -symbol-info-variables with regular expressions, against stock gdb 13 with
// the same input (before `run`, so both search the program alone): names matched anywhere, gdb's
// order (file, globals before statics, name), declaration lines, type and declaration texts, a static
// inline function of a header listed once, --type, --max-results, POSIX basic regular expressions (and
// glibc's error wording), and with --include-nondebug the ELF symbols no debug symbol describes, BFD's
// `name@plt` stubs included. C++ (classes): gdb's print names (`geo::Rect::area() const`, `main()`),
// matched with their parameter lists, and demangled non-debugging names.
import { fixture } from './helpers';
import { MiClient } from './mi-client';

jest.setTimeout(60000);

const QUERIES = [
  '-symbol-info-functions --name ^grow$',
  '-symbol-info-functions --name a',
  '-symbol-info-functions --name .',
  '-symbol-info-functions',
  '-symbol-info-variables',
  '-symbol-info-functions --name ^g --max-results 1',
  '-symbol-info-functions --type int --name a',
  '-symbol-info-variables --name util',
  '-symbol-info-functions --name util',
  '-symbol-info-variables --include-nondebug --name util',
  '-symbol-info-functions --include-nondebug --name ^_',
  '-symbol-info-variables --include-nondebug --name ^_',
  '-symbol-info-functions --include-nondebug --name plt',
  '-symbol-info-functions --include-nondebug --name ^[a-z]',
  '-symbol-info-functions --name ^nosuch$',
  // POSIX basic regular expressions, as gdb compiles them: + and | are literal, \\( \\) \\| operators.
  '-symbol-info-functions --name "gro+w"',
  '-symbol-info-functions --name "grow|area"',
  '-symbol-info-functions --name "gr\\\\(o\\\\)w"',
  '-symbol-info-functions --name "grow\\\\|area\\\\|util_s"',
  '-symbol-info-variables --name "[[:alpha:]]_c"',
  '-symbol-info-functions --name "[("',
  // C++: print names with parameter lists, matched as such; demangled non-debugging names.
  '-symbol-info-functions --name Shape',
  '-symbol-info-functions --name ^main$',
  '-symbol-info-variables --name counter',
];

async function answers(which: 'gdb' | 'backstep', program: string): Promise<string[]> {
  const c = MiClient.start(which, [program]);
  try {
    await c.ready();
    const out: string[] = [];
    let tok = 1;
    for (const q of QUERIES) out.push((await c.result(tok++, q)).replace(/^\d+/, ''));
    return out;
  } finally {
    await c.close();
  }
}

describe.each(['mi_cdt', 'multi', 'uselib', 'classes'])('%s', (name) => {
  test('symbol searches answer as gdb', async () => {
    const program = fixture(name);
    const g = await answers('gdb', program);
    const b = await answers('backstep', program);
    if (name === 'mi_cdt') {
      expect(b[1]).toBe(
        '^done,symbols={debug=[{filename="' + program.replace(/bin\/mi_cdt$/, 'src/mi_cdt.c') + '",fullname="' + program.replace(/bin\/mi_cdt$/, 'src/mi_cdt.c') +
          '",symbols=[{line="24",name="main",type="int (int, char **)",description="int main(int, char **);"},{line="10",name="area",type="int (const struct shape *)",description="static int area(const struct shape *);"}]}]}',
      );
      expect(b[12]).toContain('name="atoi@plt"');
      expect(b[15]).toBe('^done,symbols={}');
      expect(b[17]).toContain('name="grow"');
      expect(b[18]).toMatch(/name="grow".*name="area"/);
      expect(b[20]).toBe('^error,msg="Invalid regexp: Unmatched [ or [^"');
    }
    if (name === 'classes') {
      expect(b[21]).toContain('name="measure(geo::Shape const&, int&)",type="double (const geo::Shape &, int &)",description="double measure(geo::Shape const&, int&);"');
      expect(b[12]).toContain('name="operator delete(void*, unsigned long)@plt"');
    }
    for (let i = 0; i < QUERIES.length; i++) expect([QUERIES[i], b[i]]).toEqual([QUERIES[i], g[i]]);
  });
});
