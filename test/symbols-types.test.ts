// The type model against gdb: `whatis` names of globals, locals (in a live process), functions and
// members, `ptype` of C aggregates and enums, and `ptype/o` member offsets, sizes and bit-fields.
import { DW_TAG } from '../src/symbols/dwarf/constants';
import { Die } from '../src/symbols/dwarf/unit';
import { SymbolFile } from '../src/symbols/symbol-file';
import { byteSizeOf, ptype, StructType, Type, typeName } from '../src/symbols/types';
import { fixture, gdb, hasTool } from './symbols-util';

const haveGdb = hasTool('gdb');
const gdbTest = haveGdb ? test : test.skip;

/** The `type = ...` results of a gdb run, in order (multi-line ptype results joined). */
function typeResults(out: string): string[] {
  const res: string[] = [];
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    const m = /^(?:\/\* offset\s+\|\s+size \*\/\s+)?type = (.*)$/.exec(line);
    if (m) {
      if (cur) res.push(cur.join('\n'));
      cur = [m[1]];
      if (!m[1].endsWith('{')) {
        res.push(cur.join('\n'));
        cur = undefined;
      }
    } else if (cur) {
      cur.push(line);
      if (/^\s*}/.test(line) && !line.includes('/*')) {
        res.push(cur.join('\n'));
        cur = undefined;
      }
    }
  }
  return res;
}

function findVar(scope: Die, name: string): Die {
  const stack = [...scope.children];
  while (stack.length) {
    const d = stack.shift()!;
    if ((d.tag === DW_TAG.variable || d.tag === DW_TAG.formal_parameter) && d.name === name) return d;
    if (d.tag === DW_TAG.lexical_block) stack.push(...d.children);
  }
  throw new Error(`no variable ${name}`);
}

const TYPE_FIXTURES = ['types', 'types_O2', 'types_dwarf4'];

describe('type names vs gdb whatis', () => {
  gdbTest.each(TYPE_FIXTURES)('%s: globals, functions, members, typedef targets', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const globals = ['global_shape', 'matrix', 'ratio', 'cv_value', 'file_static'];
    const fns = ['add', 'inspect', 'main'];
    const shape = sf.typeOf(sf.globalByName('global_shape')!.die) as StructType;
    const members = shape.members.map((m) => m.name!);
    const out = gdb(file, [...globals.map((g) => `whatis ${g}`), ...fns.map((f) => `whatis ${f}`), ...members.map((m) => `whatis global_shape.${m}`), 'whatis binop', 'whatis u32', 'whatis &matrix', 'whatis &matrix[0]']);
    const expected = typeResults(out);
    const mine: string[] = [
      ...globals.map((g) => typeName(sf.typeOf(sf.globalByName(g)!.die))),
      ...fns.map((f) => typeName(sf.typeFromDie(sf.functionByName(f)!.die))),
      ...shape.members.map((m) => typeName(m.type)),
    ];
    const binop = sf.typeByName('binop')!;
    const u32 = sf.typeByName('u32')!;
    const matrix = sf.typeOf(sf.globalByName('matrix')!.die);
    mine.push(typeName((binop as { target: Type }).target), typeName((u32 as { target: Type }).target));
    mine.push(typeName({ kind: 'pointer', target: matrix, byteSize: 8 }));
    mine.push(typeName({ kind: 'pointer', target: { kind: 'array', element: (matrix as { element: Type }).element, dims: [3], vector: false }, byteSize: 8 }));
    expect(mine).toEqual(expected);
    expect(expected).toContain('int [2][3]');
    expect(expected).toContain('const volatile u32');
    expect(expected).toContain('int (*)(int, int)');
  });

  gdbTest('types: locals and parameters in a live process', () => {
    const file = fixture('types');
    const sf = SymbolFile.open(file);
    const inspectVars = ['s', 'op', 'scale', 'calls', 'sum', 'tag', 'f', 'ok', 'inner'];
    const mainVars = ['b', 'c', 'local', 'r'];
    const out = gdb(file, ['break 35', 'run', ...inspectVars.map((v) => `whatis ${v}`), 'frame 1', ...mainVars.map((v) => `whatis ${v}`), 'whatis b->data', 'kill']);
    const expected = typeResults(out);
    const inspect = sf.functionByName('inspect')!.die;
    const main = sf.functionByName('main')!.die;
    const blob = sf.typeOf(findVar(main, 'b'));
    const mine = [
      ...inspectVars.map((v) => typeName(sf.typeOf(findVar(inspect, v)))),
      ...mainVars.map((v) => typeName(sf.typeOf(findVar(main, v)))),
      typeName(((blob as { target: Type }).target as StructType).members[1].type),
    ];
    expect(mine).toEqual(expected);
    expect(expected).toContain('char []');
  });

  gdbTest('classes: C++ references, namespaces, templates', () => {
    const file = fixture('classes');
    const sf = SymbolFile.open(file);
    const expected = typeResults(gdb(file, ['whatis measure', 'whatis twice<int>', 'whatis geo::counter', 'whatis geo::Shape::name']));
    const shape = sf.typeByName('geo::Shape') as StructType;
    expect(shape.kind).toBe('class');
    const mine = [
      typeName(sf.typeFromDie(sf.functionByName('measure')!.die)),
      typeName(sf.typeFromDie(sf.functionByName('twice<int>')!.die)),
      typeName(sf.typeOf(sf.globalByName('geo::counter')!.die)),
      typeName(shape.members.find((m) => m.name === 'name')!.type),
    ];
    expect(mine).toEqual(expected);
    const rect = sf.typeByName('geo::Rect') as StructType;
    expect(rect.bases.map((b) => [typeName(b.type), b.offset, b.virtual])).toEqual([['geo::Shape', 0, false]]);
    expect(rect.members.map((m) => [m.name, m.offset])).toEqual([
      ['w_', 16],
      ['h_', 24],
    ]);
    // Type units: the same classes read through DW_AT_signature / ref_sig8.
    for (const tu of ['classes_types', 'classes_dwarf4']) {
      const t = SymbolFile.open(fixture(tu));
      const r = t.typeByName('geo::Rect') as StructType;
      expect(r.members.map((m) => [m.name, m.offset, typeName(m.type)])).toEqual(rect.members.map((m) => [m.name, m.offset, typeName(m.type)]));
      expect(typeName(t.typeFromDie(t.functionByName('measure')!.die))).toBe(expected[0]);
    }
  });
});

describe('aggregates vs gdb ptype', () => {
  gdbTest.each(TYPE_FIXTURES)('%s: ptype text and ptype/o layout', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const aggregates = ['struct point', 'struct flags', 'union number', 'struct blob', 'enum color'];
    const out = gdb(file, aggregates.map((a) => `ptype ${a}`));
    expect(aggregates.map((a) => ptype(sf.typeByName(a)!))).toEqual(typeResults(out));

    // ptype/o: "/* off[: bit] | size */" per member.
    const layout = gdb(file, ['ptype/o struct shape']);
    const rows = [...layout.matchAll(/^\/\*\s+(\d+)(?::\s*(\d+))?\s+\|\s+(\d+) \*\/\s+(.*?)(\w+)(?:\[\d+\])*(?: : \d+)?;$/gm)].map((m) => ({
      offset: Number(m[1]),
      bit: m[2] === undefined ? undefined : Number(m[2]),
      size: Number(m[3]),
      name: m[5],
    }));
    const shape = sf.typeByName('struct shape') as StructType;
    const flags = sf.typeByName('struct flags') as StructType;
    const mine: typeof rows = [];
    // gdb expands nested struct members with absolute offsets; union members carry no offset column.
    for (const m of shape.members) {
      if (m.type.kind === 'union') continue;
      if (m.type.kind !== 'struct') {
        mine.push({ offset: m.offset, bit: undefined, size: byteSizeOf(m.type), name: m.name! });
        continue;
      }
      expect(m.type).toBe(flags);
      for (const f of flags.members) {
        const abs = m.offset * 8 + (f.bitOffset ?? f.offset * 8);
        mine.push({ offset: Math.floor(abs / 8), bit: f.bitSize !== undefined ? abs % 8 : undefined, size: byteSizeOf(f.type), name: f.name! });
      }
    }
    expect(rows.length).toBeGreaterThan(6);
    expect(mine).toEqual(rows);
    expect(shape.byteSize).toBe(Number(/total size \(bytes\):\s+(\d+) \*\/\s*\n\s*}\s*$/.exec(layout)![1]));
  });

  gdbTest('a signed enum', () => {
    const file = fixture('multi');
    const sf = SymbolFile.open(file);
    const level = sf.typeByName('enum level')!;
    expect(level).toMatchObject({ kind: 'enum', signed: true });
    expect(typeResults(gdb(file, ['ptype enum level', 'whatis util_level']))).toEqual([ptype(level), typeName(sf.typeOf(sf.globalByName('util_level')!.die))]);
    expect(ptype(level)).toBe('enum level {LOW = -2, MID, HIGH = 300}');
  });

  test('enum values, signedness and sizes', () => {
    const sf = SymbolFile.open(fixture('types'));
    const color = sf.typeByName('enum color')!;
    expect(color).toMatchObject({ kind: 'enum', name: 'color', byteSize: 4, signed: false });
    expect((color as { enumerators: unknown }).enumerators).toEqual([
      { name: 'RED', value: 0 },
      { name: 'GREEN', value: 5 },
      { name: 'BLUE', value: 6 },
    ]);
    const flags = sf.typeByName('struct flags') as StructType;
    expect(flags.members.map((m) => [m.name, m.bitSize, m.bitOffset])).toEqual([
      ['a', 3, 0],
      ['b', 5, 3],
      ['c', 4, 8],
      ['on', undefined, undefined],
    ]);
    const f4 = SymbolFile.open(fixture('types_dwarf4')).typeByName('struct flags') as StructType;
    expect(f4.members.map((m) => [m.name, m.bitSize, m.bitOffset])).toEqual(flags.members.map((m) => [m.name, m.bitSize, m.bitOffset]));
    const blob = sf.typeByName('struct blob') as StructType;
    expect(blob.members[1].type).toMatchObject({ kind: 'array', dims: [undefined] });
    expect(byteSizeOf(sf.typeByName('struct shape')!)).toBe(40);
  });
});
