// C++ over MI, backstep-gdb against stock gdb 13 with the same input: breakpoint tuples name C++
// functions by their print names (`main()`, `geo::Rect::area() const`, `twice<int>(int)`) where
// frames say `main`; `info breakpoints` likewise; var objects list a base class by its type name,
// without the vtable pointer, and its members evaluate.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, normalize } from './mi-client';

jest.setTimeout(60000);

const CLASSES = fixture('classes');

async function session(which: 'gdb' | 'backstep'): Promise<{ bkpts: string[]; info: string[]; stops: string[]; shape: string[]; paths: string[] }> {
  const c = MiClient.start(which, [CLASSES]);
  try {
    await c.ready();
    let tok = 1;
    const result = async (cmd: string) => (await c.result(tok++, cmd)).replace(/^\d+/, '');
    const bkpts: string[] = [];
    for (const loc of ['classes.cpp:47', 'geo::Rect::area', 'measure', 'twice<int>']) bkpts.push(await result(`-break-insert ${loc}`));
    const from = c.mark();
    await c.send(tok++, '-interpreter-exec console "info breakpoints"');
    const info = c.lines.slice(from).filter((l) => l.startsWith('~'));
    const stops: string[] = [];
    for (const cmd of ['-exec-run', '-exec-continue', '-exec-continue']) {
      const at = c.mark();
      await c.send(tok++, cmd);
      stops.push(normalize(await c.stoppedAndPrompt(at)).replace(/,core="N"/, ''));
    }
    // Back in main (breakpoint 1 at line 47): the Rect and its base class.
    await result('-var-create r * r');
    await result('-var-list-children r');
    const shape = [await result('-var-list-children 1 r.geo::Shape')];
    // Path expressions (the names go through gdb's access pseudo-children).
    shape.push(await result('-var-list-children 1 r.geo::Shape.public'));
    await result('-var-list-children r.private');
    await result('-var-create p * &r');
    await result('-var-list-children p');
    await result('-var-list-children p.private');
    const paths: string[] = [];
    for (const n of ['r.private.w_', 'r.geo::Shape', 'r.geo::Shape.public.name', 'p.private.h_', 'p.geo::Shape']) paths.push(await result(`-var-info-path-expression ${n}`));
    return { bkpts, info, stops, shape, paths };
  } finally {
    await c.close();
  }
}

describe('C++ names and objects over MI, as gdb', () => {
  let g: Awaited<ReturnType<typeof session>>;
  let b: Awaited<ReturnType<typeof session>>;

  beforeAll(async () => {
    g = await session('gdb');
    b = await session('backstep');
  });

  afterAll(() => expect(leftoverTracees()).toEqual([]));

  test('-break-insert tuples carry the print names', () => {
    expect(b.bkpts.map((l) => /func="([^"]*)"/.exec(l)?.[1])).toEqual(['main()', 'geo::Rect::area() const', 'measure(geo::Shape const&, int&)', 'twice<int>(int)']);
    expect(b.bkpts).toEqual(g.bkpts);
  });

  test('info breakpoints', () => {
    expect(b.info.join('\n')).toContain('in geo::Rect::area() const at ');
    expect(b.info).toEqual(g.info);
  });

  test('stops name frames by the short name', () => {
    expect(b.stops.map((l) => /frame=\{addr="[^"]*",func="([^"]*)"/.exec(l)?.[1])).toEqual(['measure', 'geo::Rect::area', 'main']);
    expect(b.stops).toEqual(g.stops);
  });

  test('path expressions of members and base classes', () => {
    expect(b.paths).toEqual([
      '^done,path_expr="((r).w_)"',
      '^done,path_expr="((class geo::Shape) r)"',
      '^done,path_expr="((((class geo::Shape) r)).name)"',
      '^done,path_expr="((&r)->h_)"',
      '^done,path_expr="(*(class geo::Shape*) &r)"',
    ]);
    expect(b.paths).toEqual(g.paths);
  });

  test('a base class child lists its members (in an access pseudo-child) without the vtable pointer', () => {
    expect(b.shape[0]).toMatch(/children=\[child=\{name="r\.geo::Shape\.public",exp="public",numchild="1"/);
    expect(b.shape[1]).toMatch(/children=\[child=\{name="r\.geo::Shape\.public\.name",exp="name",numchild="1",value="0x[0-9a-f]+ \\"rect\\"",type="const char \*"/);
    expect(b.shape.map(normalize)).toEqual(g.shape.map(normalize));
  });
});
