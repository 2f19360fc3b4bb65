// SymbolFile against gdb: `break FUNC`, `break FILE:LINE`, `info line *ADDR`, `info functions`,
// `info variables`; and against the ELF symbol table for functionAt().
import { DW_TAG } from '../src/symbols/dwarf/constants';
import { ElfFile } from '../src/symbols/elf';
import { SymbolFile } from '../src/symbols/symbol-file';
import { fixture, gdb, GdbLocation, hasTool, parseBreakpoints } from './symbols-util';

const haveGdb = hasTool('gdb');
const gdbTest = haveGdb ? test : test.skip;

const FUNCTION_CASES: [string, string[]][] = [
  ['loop', ['hot', 'main']],
  ['loop_O2', ['hot', 'main']],
  ['loop_dwarf2', ['hot', 'main']],
  ['types', ['inspect', 'main', 'add']],
  ['types_O2', ['inspect', 'main', 'add']],
  ['types_dwarf4', ['inspect', 'main', 'add']],
  ['classes', ['measure', 'main', 'geo::Rect::area', 'Rect::area', 'area', 'twice', 'geo::Vec::dot', 'geo::Rect::Rect', 'geo::Shape::~Shape']],
  ['classes_O2', ['measure', 'main', 'geo::Rect::area', 'geo::Vec::dot', 'twice']],
  ['classes_types', ['geo::Rect::area', 'measure']],
  ['classes_dwarf4', ['geo::Vec::dot', 'main']],
  ['multi', ['main', 'pair_sum', 'util_total', 'util_scale', 'local_helper']],
  ['libshape.so', ['shape_area']],
  ['uselib', ['main']],
  ['crash', ['read_value']],
  ['threads', ['worker']],
  ['demo', ['deposit']],
];

describe('breakpoint locations for functions vs gdb `break FUNC`', () => {
  gdbTest.each(FUNCTION_CASES)('%s', (name, fns) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const out = gdb(file, [...fns.map((f) => `break ${f}`), 'info breakpoints']);
    const bps = parseBreakpoints(out);
    const undefinedFns = new Set([...out.matchAll(/^Function "(.+)" not defined\./gm)].map((m) => m[1]));
    let n = 0;
    for (const fn of fns) {
      const mine = sf.breakpointLocationsForFunction(fn).map((l) => ({ address: l.address, file: l.file, line: l.line }));
      if (undefinedFns.has(fn)) {
        expect({ fn, locations: mine }).toEqual({ fn, locations: [] }); // e.g. inlined everywhere and folded away
        continue;
      }
      const expected = bps.get(++n) ?? [];
      expect(expected.length).toBeGreaterThan(0);
      expect({ fn, locations: mine }).toEqual({ fn, locations: expected.sort((a, b) => a.address - b.address) });
      expect(sf.breakpointAddressForFunction(fn)?.address).toBe(mine[0].address);
    }
    expect(n).toBe(bps.size);
  });
});

const LINE_CASES: [string, string, number, number][] = [
  ['loop', 'loop.c', 1, 26],
  ['loop_O2', 'loop.c', 8, 25],
  ['loop_dwarf2', 'loop.c', 8, 25],
  ['types', 'types.c', 20, 55],
  ['types_O2', 'types.c', 20, 55],
  ['types_dwarf4', 'types.c', 20, 55],
  ['classes', 'classes.cpp', 1, 52],
  ['classes_O2', 'src/classes.cpp', 1, 52],
  ['multi', 'multi.h', 1, 20],
  ['multi', 'multi_util.c', 1, 25],
  ['multi', 'multi_main.c', 1, 25],
];

describe('addressesForLine vs gdb `break FILE:LINE`', () => {
  gdbTest.each(LINE_CASES)('%s %s:%d-%d', (name, src, from, to) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const lines: number[] = [];
    for (let l = from; l <= to; l++) lines.push(l);
    const out = gdb(file, [...lines.map((l) => `break ${src}:${l}`), 'info breakpoints']);
    const bps = parseBreakpoints(out);
    const gdbFailed = new Set([...out.matchAll(/^No line (\d+) in file/gm)].map((m) => Number(m[1])));
    let n = 0;
    for (const l of lines) {
      let mine: GdbLocation[] | string;
      try {
        mine = sf.addressesForLine(src, l).locations.map((x) => ({ address: x.address, file: x.file, line: x.line }));
      } catch (e) {
        mine = (e as Error).message;
      }
      if (gdbFailed.has(l)) {
        expect({ l, mine }).toEqual({ l, mine: `No line ${l} in file "${src}".` });
        continue;
      }
      n++;
      expect({ l, mine }).toEqual({ l, mine: (bps.get(n) ?? []).sort((a, b) => a.address - b.address) });
    }
    expect(n).toBe(bps.size);
    expect(n).toBeGreaterThan(3);
  });

  test('file matching and errors', () => {
    const sf = SymbolFile.open(fixture('loop'));
    const full = sf.addressesForLine('/work/main/fixtures/src/loop.c'.replace('/work/main', require('path').resolve(__dirname, '../..')), 19);
    expect(sf.addressesForLine('loop.c', 19)).toEqual(full);
    expect(sf.addressesForLine('src/loop.c', 19)).toEqual(full);
    expect(() => sf.addressesForLine('oop.c', 19)).toThrow('No source file named oop.c.');
    expect(() => sf.addressesForLine('loop.c', 500)).toThrow('No line 500 in file "loop.c".');
    expect(sf.sourceFiles()).toContain(sf.lineFor(full.addresses[0])!.file);
  });
});

describe('lineFor vs gdb `info line *ADDR`', () => {
  gdbTest.each(['loop', 'loop_O2', 'types_O2', 'classes_O2', 'multi', 'libshape.so'])('%s', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const text = ElfFile.open(file).sectionByName('.text')!;
    const addrs: number[] = [];
    for (let a = text.addr; a < text.addr + text.size; a += 3) addrs.push(a);
    const out = gdb(file, addrs.map((a) => `info line *0x${a.toString(16)}`))
      .split('\n')
      .filter((l) => /^(Line|No line)/.test(l));
    expect(out.length).toBe(addrs.length);
    let withLine = 0;
    addrs.forEach((a, i) => {
      const m = /^Line (\d+) of "([^"]+)" starts at address 0x([0-9a-f]+).*? and ends at 0x([0-9a-f]+)/.exec(out[i]);
      const mine = sf.lineFor(a);
      if (!m) {
        expect({ a, mine }).toEqual({ a, mine: undefined });
        return;
      }
      withLine++;
      expect({ a, line: mine?.line, file: mine?.file, start: mine?.address, end: mine?.end }).toEqual({ a, line: Number(m[1]), file: m[2], start: parseInt(m[3], 16), end: parseInt(m[4], 16) });
    });
    expect(withLine).toBeGreaterThan(10);
  });
});

describe('functions, globals, scopes', () => {
  test.each(['loop', 'loop_O2', 'types', 'classes', 'classes_O2', 'multi', 'threads'])('%s: functionAt agrees with the ELF symbol table', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const namesAt = new Map<number, string[]>();
    for (const s of sf.elf.symbols()) if (s.type === 'FUNC' && s.shndx !== 0) namesAt.set(s.value, [...(namesAt.get(s.value) ?? []), s.name.replace(/\.cold$/, '')]);
    const found = new Set<unknown>();
    for (const s of sf.elf.symbols()) {
      if (s.type !== 'FUNC' || s.shndx === 0 || s.size === 0) continue;
      const f = sf.functionAt(s.value);
      if (!f) continue; // CRT code without debug info
      found.add(f);
      expect(namesAt.get(s.value)).toContain(f.linkageName ?? f.name); // aliases (C1/C2 constructors) share an address
      expect(sf.functionAt(s.value + s.size - 1)).toBe(f);
    }
    expect(found.size).toBeGreaterThan(1);
    for (const f of found) expect(sf.functions()).toContain(f);
  });

  gdbTest('C++ qualified names match gdb `info functions`', () => {
    const file = fixture('classes');
    const sf = SymbolFile.open(file);
    const names = [...gdb(file, ['info functions geo::']).matchAll(/^\d+:\s+(.*)$/gm)]
      .map((m) => m[1].split('(')[0].trim().split(/\s+/).pop()!)
      .filter((n) => n.startsWith('geo::'));
    expect(names.length).toBeGreaterThan(4);
    const mine = new Set(sf.functions().map((f) => f.name));
    for (const n of names) expect(mine).toContain(n);
    expect(sf.functionByName('geo::Rect::area')!.plainName).toBe('area');
    expect(sf.functionByName('twice')!.name).toBe('twice<int>');
    expect(sf.functionByName('_ZNK3geo4Rect4areaEv')!.name).toBe('geo::Rect::area');
  });

  gdbTest.each(['types', 'loop', 'classes', 'multi'])('%s: globals are among gdb `info variables`', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const out = gdb(file, ['info variables']).split('Non-debugging symbols:')[0];
    const gdbNames = new Set([...out.matchAll(/^\d+:\s+(.*);$/gm)].map((m) => /([A-Za-z_][\w:]*)(?:\[[^\]]*\])*\s*$/.exec(m[1].replace(/\)\(.*$/, ''))![1]));
    const mine = sf.globals().map((g) => g.name);
    expect(mine.length).toBeGreaterThan(0);
    for (const g of mine) expect(gdbNames).toContain(g);
  });

  test('globals of types.c, with statics and externals', () => {
    const sf = SymbolFile.open(fixture('types'));
    const byName = new Map(sf.globals().map((g) => [g.name, g]));
    expect([...byName.keys()].sort()).toEqual(['cv_value', 'file_static', 'global_shape', 'matrix', 'ratio']);
    expect(byName.get('file_static')!.external).toBe(false);
    expect(byName.get('matrix')!.external).toBe(true);
    expect(sf.globalByName('ratio')!.die.tag).toBe(DW_TAG.variable);
    const multi = SymbolFile.open(fixture('multi'));
    expect(multi.globals().map((g) => g.name).sort()).toEqual(['factor', 'main_calls', 'util_calls', 'util_level']);
    expect(SymbolFile.open(fixture('classes')).globalByName('counter')!.name).toBe('geo::counter');
  });

  test('scopeAt: lexical blocks and inlined calls, innermost first', () => {
    const sf = SymbolFile.open(fixture('types'));
    // `int inner = sum + file_static;` is inside a nested block of inspect().
    const [addr] = sf.addressesForLine('types.c', 35).addresses;
    const chain = sf.scopeAt(addr);
    expect(chain.map((d) => d.tag)).toEqual([DW_TAG.lexical_block, DW_TAG.subprogram]);
    expect(chain[0].children.map((c) => c.name)).toEqual(['inner']);
    expect(chain[1].name).toBe('inspect');
    expect(sf.functionAt(addr)!.name).toBe('inspect');

    const o2 = SymbolFile.open(fixture('loop_O2'));
    const inlined = o2.breakpointLocationsForFunction('hot').find((l) => l.function === 'hot' && o2.functionAt(l.address)!.name === 'main')!;
    const c2 = o2.scopeAt(inlined.address);
    expect(c2[0].tag).toBe(DW_TAG.inlined_subroutine);
    expect(c2[0].resolvedName()).toBe('hot');
    expect(c2[c2.length - 1].name).toBe('main');
    expect(o2.scopeAt(0)).toEqual([]);
  });

  test('a binary without debug info', () => {
    const sf = SymbolFile.open(fixture('loop_nodebug'));
    expect(sf.hasDebugInfo).toBe(false);
    expect(sf.functions()).toEqual([]);
    expect(sf.globals()).toEqual([]);
    const hot = sf.elf.symbolByName('hot')!;
    expect(sf.elfSymbolAt(hot.value + 2)!.name).toBe('hot');
    expect(sf.lineFor(hot.value)).toBeUndefined();
    expect(sf.functionAt(hot.value)).toBeUndefined();
    expect(() => sf.addressesForLine('loop.c', 10)).toThrow('No source file named loop.c.');
    expect(SymbolFile.open(fixture('loop')).hasDebugInfo).toBe(true);
  });

  test('compressed debug info reads the same as uncompressed', () => {
    const a = SymbolFile.open(fixture('loop'));
    const b = SymbolFile.open(fixture('loop_gz'));
    expect(b.addressesForLine('loop.c', 20)).toEqual(a.addressesForLine('loop.c', 20));
    expect(b.functions().map((f) => [f.name, f.ranges])).toEqual(a.functions().map((f) => [f.name, f.ranges]));
  });
});
