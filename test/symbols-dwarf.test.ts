// The DIE reader against `readelf --debug-dump=info`: every DIE of every unit (offset, depth, tag) and
// every attribute (name, and the decoded value for strings, references, constants, addresses, blocks).
import * as path from 'path';
import { ElfFile } from '../src/symbols/elf';
import { Dwarf } from '../src/symbols/dwarf/dwarf';
import { attrName, DW_AT, DW_FORM, DW_TAG, tagName } from '../src/symbols/dwarf/constants';
import { Attribute } from '../src/symbols/dwarf/forms';
import { Die } from '../src/symbols/dwarf/unit';
import { allFixtures, BIN, fixture, hasTool, run } from './symbols-util';

interface OracleDie {
  section: string;
  depth: number;
  offset: number;
  tag: string;
  attrs: { name: string; text: string }[];
}

function parseReadelf(text: string): OracleDie[] {
  const out: OracleDie[] = [];
  let section = '';
  let cur: OracleDie | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Contents of the (\.debug_\w+) section:/.exec(line);
    if (sec) {
      section = sec[1];
      cur = undefined;
      continue;
    }
    const die = /^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\S+)\))?/.exec(line);
    if (die) {
      cur = undefined;
      if (die[3] === '0') continue; // null entry
      cur = { section, depth: Number(die[1]), offset: parseInt(die[2], 16), tag: die[4].replace(/_param$/, '_parameter'), attrs: [] }; // binutils spells DW_TAG_template_*_param
      out.push(cur);
      continue;
    }
    const at = /^\s*<[0-9a-f]+>\s+(\S+)\s*: ?(.*)$/.exec(line);
    if (at && cur) cur.attrs.push({ name: at[1], text: at[2] });
  }
  return out;
}

function depthOf(d: Die): number {
  let n = 0;
  for (let p = d.parent; p; p = p.parent) n++;
  return n;
}

const STRING_FORMS = new Set<number>([DW_FORM.string, DW_FORM.strp, DW_FORM.line_strp, DW_FORM.strx, DW_FORM.strx1, DW_FORM.strx2, DW_FORM.strx3, DW_FORM.strx4]);

/** Check one attribute value against readelf's rendering of it. */
function checkValue(a: Attribute, text: string, where: string): void {
  const v = a.value;
  const fail = (why: string) => {
    throw new Error(`${where} ${attrName(a.name)} form 0x${a.form.toString(16)}: ${why}: mine=${String(v)} readelf=${text}`);
  };
  if (STRING_FORMS.has(a.form)) {
    const m = /^\(indirect (?:line )?string, offset: (?:0x)?[0-9a-f]+\): (.*)$/.exec(text);
    const expected = m ? m[1] : text;
    if (v !== expected.trimEnd() && v !== expected) fail('string');
    return;
  }
  if (a.form === DW_FORM.ref_sig8) {
    const m = /signature: 0x([0-9a-f]+)/.exec(text);
    if (!m || v !== BigInt('0x' + m[1])) fail('signature');
    return;
  }
  if ([DW_FORM.ref1, DW_FORM.ref2, DW_FORM.ref4, DW_FORM.ref8, DW_FORM.ref_udata, DW_FORM.ref_addr].includes(a.form as never)) {
    const m = /^<0x([0-9a-f]+)>/.exec(text);
    if (!m || v !== parseInt(m[1], 16)) fail('reference');
    return;
  }
  if (Buffer.isBuffer(v)) {
    const m = /^(\d+) byte block: ((?:[0-9a-f]{1,2} )*)/.exec(text);
    const bytes = m ? m[2].trim().split(' ').filter(Boolean).map((x) => parseInt(x, 16)) : [];
    if (!m || Number(m[1]) !== v.length || bytes.join(',') !== [...v].join(',')) fail('block');
    return;
  }
  if (typeof v === 'boolean') {
    if (text.trim() !== (v ? '1' : '0')) fail('flag');
    return;
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    const m = /^(-?0x[0-9a-f]+|-?\d+)/.exec(text);
    if (!m) fail('number');
    const n = BigInt(m![1].startsWith('-') ? '-' + m![1].slice(1) : m![1]);
    const mine = BigInt(v);
    // readelf prints data1/2/4/8 constants unsigned, sdata signed.
    const bits = a.form === DW_FORM.data1 ? 8 : a.form === DW_FORM.data2 ? 16 : a.form === DW_FORM.data4 ? 32 : 64;
    if (mine !== n && BigInt.asUintN(bits, mine) !== BigInt.asUintN(bits, n)) fail('number');
  }
}

const haveReadelf = hasTool('readelf');
// Split-DWARF fixtures (readelf follows them into their .dwo files) are compared in symbols-split.test.ts.
const files = allFixtures().filter((f) => f !== 'loop_nodebug' && !f.includes('_split'));

describe('DIEs vs readelf --debug-dump=info', () => {
  (haveReadelf ? test : test.skip).each(files)('%s', (name) => {
    const file = path.join(BIN, name);
    const dwarf = Dwarf.fromElf(ElfFile.open(file));
    const oracle = parseReadelf(run('readelf', ['--debug-dump=info', file]));
    const mine: { section: string; die: Die }[] = [];
    for (const u of dwarf.units) for (const d of u.dies()) mine.push({ section: '.debug_info', die: d });
    for (const u of dwarf.typesUnits) for (const d of u.dies()) mine.push({ section: '.debug_types', die: d });
    expect(mine.length).toBe(oracle.length);
    let checked = 0;
    mine.forEach(({ section, die }, i) => {
      const o = oracle[i];
      const where = `${section}+0x${die.offset.toString(16)}`;
      expect(`${section} ${die.offset} ${depthOf(die)} ${tagName(die.tag)}`).toBe(`${o.section} ${o.offset} ${o.depth} ${o.tag}`);
      const attrs = die.attributes();
      expect(attrs.length).toBe(o.attrs.length);
      attrs.forEach((a, j) => {
        const mineName = attrName(a.name);
        if (!mineName.startsWith('DW_AT_0x')) expect(`${where} ${mineName}`).toBe(`${where} ${o.attrs[j].name}`);
        checkValue(a, o.attrs[j].text, where);
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(20);
  });
});

describe('units and ranges', () => {
  test('unit headers: versions, unit types, type signatures', () => {
    const v5 = Dwarf.fromElf(ElfFile.open(fixture('classes_types')));
    const tus = v5.typeUnits();
    expect(tus.length).toBeGreaterThan(1);
    for (const tu of tus) {
      expect(tu.version).toBe(5);
      expect(tu.typeSignature).toBeDefined();
      const t = tu.typeDie()!;
      expect(t.offset).toBe(tu.typeOffset);
      expect(v5.typeUnitBySignature(tu.typeSignature!)).toBe(tu);
    }
    const v4 = Dwarf.fromElf(ElfFile.open(fixture('classes_dwarf4')));
    expect(v4.typesUnits.length).toBeGreaterThan(1);
    expect(v4.typesUnits.every((u) => u.version === 4 && u.section === '.debug_types')).toBe(true);
    // A ref_sig8 reference in the CU resolves to the type unit's type DIE.
    const cu = v4.compileUnits()[0];
    const withSig = cu.dies().find((d) => d.attr(DW_AT.type)?.form === DW_FORM.ref_sig8)!;
    expect(withSig).toBeDefined();
    const target = withSig.type()!;
    expect(target.unit.section).toBe('.debug_types');
    expect(target.unit.typeOffset).toBe(target.offset);
    const v2 = Dwarf.fromElf(ElfFile.open(fixture('loop_dwarf2')));
    expect(v2.units[0].version).toBe(2);
  });

  test.each(['loop', 'loop_O2', 'loop_dwarf2', 'classes_O2', 'types_O2', 'multi'])('%s: function ranges agree with the ELF symbol table', (name) => {
    const elf = ElfFile.open(fixture(name));
    const dwarf = Dwarf.fromElf(elf);
    let n = 0;
    for (const u of dwarf.compileUnits()) {
      const cuRanges = u.root().ranges();
      for (const d of u.dies()) {
        if (d.tag !== DW_TAG.subprogram || !(d.has(DW_AT.low_pc) || d.has(DW_AT.ranges))) continue;
        const ranges = d.ranges();
        const first = ranges[0];
        const sym = elf.symbolAt(first[0]);
        expect(sym).toBeDefined();
        // The symbol covering the entry starts there; the main range is the symbol's extent.
        expect(sym!.value).toBe(first[0]);
        expect(sym!.value + sym!.size).toBe(first[1]);
        // Every piece (incl. .cold parts) lies inside the unit's ranges.
        for (const [lo, hi] of ranges) expect(cuRanges.some(([a, b]) => lo >= a && hi <= b)).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(1);
  });
});
