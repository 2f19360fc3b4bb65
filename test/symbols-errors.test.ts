// Corrupt and truncated debug information: DwarfError names the section and offset; nothing else
// (RangeError, TypeError) ever escapes, checked by targeted corruptions and a seeded byte-flip fuzz.
import * as fs from 'fs';
import { Dwarf } from '../src/symbols/dwarf/dwarf';
import { ElfError, ElfFile } from '../src/symbols/elf';
import { DwarfError, Reader } from '../src/symbols/reader';
import { SymbolFile } from '../src/symbols/symbol-file';
import { typeName } from '../src/symbols/types';
import { fixture } from './symbols-util';

/** A copy of a fixture's bytes, and the file offset of one of its sections. */
function copyOf(name: string): { bytes: Buffer; sectionOffset: (s: string) => number } {
  const file = fixture(name);
  const elf = ElfFile.open(file);
  return { bytes: Buffer.from(fs.readFileSync(file)), sectionOffset: (s) => elf.sectionByName(s)!.offset };
}

function openBytes(bytes: Buffer): SymbolFile {
  return new SymbolFile(new ElfFile('corrupt', bytes));
}

function dwarfError(fn: () => unknown): DwarfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DwarfError) return e;
    throw e;
  }
  throw new Error('expected a DwarfError');
}

describe('targeted corruptions', () => {
  test('an unknown form in the root DIE abbreviation', () => {
    const { bytes, sectionOffset } = copyOf('loop');
    const dwarf = Dwarf.fromElf(ElfFile.open(fixture('loop')));
    const unit = dwarf.units[0];
    const root = unit.rootEntry();
    // Find the first attribute spec of the root's abbreviation in .debug_abbrev and set its form to 0x7f.
    const abbrev = dwarf.sections.abbrev!;
    const r = new Reader(abbrev, '.debug_abbrev', unit.abbrevOffset);
    for (;;) {
      const code = r.uleb();
      r.uleb();
      r.u8();
      if (code === root.abbrev.code) break;
      for (;;) {
        const n = r.uleb();
        const f = r.uleb();
        if (f === 0x21) r.sleb();
        if (n === 0 && f === 0) break;
      }
    }
    r.uleb(); // first attribute name
    expect(abbrev[r.pos]).toBeLessThan(0x80);
    bytes[sectionOffset('.debug_abbrev') + r.pos] = 0x7f; // not a form (and a one-byte ULEB)
    const sf = openBytes(bytes);
    const err = dwarfError(() => sf.functions());
    const attrAt = root.offset + 1; // just past the one-byte abbreviation code
    expect(err.message).toBe(`.debug_info+0x${attrAt.toString(16)}: unknown form 0x7f`);
    expect(err.section).toBe('.debug_info');
    expect(err.offset).toBe(attrAt);
  });

  test('a unit length running past the section', () => {
    const { bytes, sectionOffset } = copyOf('loop');
    bytes.writeUInt32LE(0x7fff0000, sectionOffset('.debug_info'));
    expect(() => openBytes(bytes)).toThrow(new DwarfError('unit length 0x7fff0000 runs past the end of the section', '.debug_info', 0));
    expect(() => openBytes(bytes)).toThrow('.debug_info+0x0: unit length 0x7fff0000 runs past the end of the section');
  });

  test('an unsupported version and an unknown abbreviation code', () => {
    const a = copyOf('loop');
    a.bytes.writeUInt16LE(9, a.sectionOffset('.debug_info') + 4);
    expect(() => openBytes(a.bytes)).toThrow('.debug_info+0x0: unsupported DWARF version 9');
    const b = copyOf('loop');
    b.bytes[b.sectionOffset('.debug_info') + 12] = 0x7f; // the root DIE's abbreviation code (DWARF 5 header is 12 bytes)
    const sf = openBytes(b.bytes);
    expect(() => sf.globals()).toThrow('.debug_info+0xc: unknown abbreviation code 127');
  });

  test('a line program with line_range 0', () => {
    const { bytes, sectionOffset } = copyOf('loop');
    // DWARF 5 header: length(4) version(2) addr(1) seg(1) header_length(4) min_inst(1) max_ops(1) default_is_stmt(1) line_base(1) line_range
    const at = 4 + 2 + 1 + 1 + 4 + 1 + 1 + 1 + 1;
    bytes[sectionOffset('.debug_line') + at] = 0;
    const sf = openBytes(bytes);
    expect(() => sf.lineFor(sf.functionByName('hot')!.entryPc)).toThrow(`.debug_line+0x${at.toString(16)}: line_range is 0`);
  });

  test('a truncated file', () => {
    const { bytes, sectionOffset } = copyOf('loop');
    const cut = bytes.subarray(0, sectionOffset('.debug_info') + 20);
    expect(() => openBytes(Buffer.from(cut))).toThrow(ElfError);
  });

  test('reader errors are DwarfErrors with offsets, never RangeErrors', () => {
    const r = new Reader(Buffer.from([0x80, 0x80]), '.debug_test');
    expect(() => r.uleb()).toThrow('.debug_test+0x0: unexpected end of data in LEB128');
    const r2 = new Reader(Buffer.from([1, 2, 3]), '.debug_test', 1);
    expect(() => r2.u32()).toThrow('.debug_test+0x1: unexpected end of data (need 4 bytes, have 2)');
    expect(() => new Reader(Buffer.from('abc'), '.debug_str').cstring()).toThrow('.debug_str+0x0: unterminated string');
  });
});

describe('byte-flip fuzz', () => {
  // A small deterministic PRNG (mulberry32).
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function exercise(sf: SymbolFile): void {
    for (const u of sf.dwarf.units) for (const d of u.dies()) d.attributes();
    for (const f of sf.functions()) {
      sf.lineFor(f.entryPc);
      sf.scopeAt(f.entryPc);
      typeName(sf.typeFromDie(f.die));
      sf.breakpointLocationsForFunction(f.name);
    }
    for (const g of sf.globals()) typeName(sf.typeOf(g.die));
    for (const file of sf.sourceFiles()) {
      for (const line of [1, 20, 30, 45]) {
        try {
          sf.addressesForLine(file, line);
        } catch (e) {
          if (!(e instanceof Error) || !/^No (line|source file)/.test(e.message)) throw e;
        }
      }
    }
  }

  test.each(['types', 'classes_O2', 'loop_dwarf2', 'classes_dwarf4'])('%s: corrupted debug sections raise only DwarfError/ElfError', (name) => {
    const base = copyOf(name);
    const elf = ElfFile.open(fixture(name));
    const secs = elf.sections.filter((s) => s.name.startsWith('.debug_') && s.size > 0);
    const rand = rng(1234 + name.length);
    let errors = 0;
    const ITER = Number(process.env.SYMBOLS_FUZZ_ITER ?? 150);
    for (let i = 0; i < ITER; i++) {
      const bytes = Buffer.from(base.bytes);
      const sec = secs[Math.floor(rand() * secs.length)];
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) bytes[sec.offset + Math.floor(rand() * sec.size)] = Math.floor(rand() * 256);
      try {
        exercise(openBytes(bytes));
      } catch (e) {
        if (!(e instanceof DwarfError) && !(e instanceof ElfError)) {
          throw new Error(`iteration ${i}, ${sec.name}: ${(e as Error).stack}`);
        }
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });
});
