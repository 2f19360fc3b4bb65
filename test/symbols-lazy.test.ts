// Lazy symbol files: a separate debug file (libc's, found by build-id) is opened without reading its
// DWARF, and answers line queries the way gdb does once asked; the .debug_line file-name pre-filter that
// lets a breakpoint in the program be re-resolved in every library cheaply never changes an answer.
// Oracles: gdb's `break FILE:LINE` on libc.so.6 itself, and the eager SymbolFile's own errors.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { DwarfError, ElfFile, SymbolFile } from '../src/symbols';
import { openObject } from '../src/engine/modules';
import { fixture } from './helpers';

jest.setTimeout(120000);

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';

function hasGdb(): boolean {
  try {
    execFileSync('gdb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** gdb's locations for `break LOC` in a file opened without running it: [address, function, line]. */
function gdbBreak(file: string, loc: string): { address: number; fn: string; line: number }[] {
  const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `break ${loc}`, '-ex', 'info breakpoints', file], { encoding: 'utf8' });
  const locs: { address: number; fn: string; line: number }[] = [];
  for (const m of out.matchAll(/^\S+\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+) in (\S+) at \S+:(\d+)$/gm)) locs.push({ address: parseInt(m[1], 16), fn: m[2], line: Number(m[3]) });
  return locs;
}

describe('libc: separate debug file opened lazily', () => {
  const obj = fs.existsSync(LIBC) ? openObject(LIBC) : undefined;
  const usable = !!obj?.debugFile && hasGdb();

  (usable ? test : test.skip)('found by build-id, reported as having debug info before any DWARF is read', () => {
    expect(obj!.debugFile).toMatch(/^\/usr\/lib\/debug\/\.build-id\/[0-9a-f]{2}\/[0-9a-f]+\.debug$/);
    expect(obj!.hasDebugInfo).toBe(true);
    expect(obj!.symbols.dwarf.unitsRead).toBe(false);
  });

  (usable ? test : test.skip)('a file libc does not have: gdb\'s "No source file named"', () => {
    expect(() => obj!.symbols.addressesForLine('main.c', 3)).toThrow('No source file named main.c.');
    expect(() => obj!.symbols.addressesForLine('nosuchdir/write.c', 26)).toThrow('No source file named nosuchdir/write.c.');
  });

  (usable ? test : test.skip)('a name no string of libc ends with is refused without walking the line headers', () => {
    // Its own SymbolFile on libc's debug file (openObject's object is shared with the other tests).
    const fresh = SymbolFile.open(obj!.debugFile!, { lazy: true });
    expect(() => fresh.addressesForLine('main.c', 3)).toThrow('No source file named main.c.');
    expect(fresh.lineHeadersWalked).toBe(false);
  });

  (usable ? test : test.skip)('a basename that only ends a longer name (domain.c in finddomain.c): refused as gdb does', () => {
    const fresh = SymbolFile.open(obj!.debugFile!, { lazy: true });
    const gdbOut = execFileSync('gdb', ['-batch', '-nx', '-ex', 'break domain.c:40', LIBC], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(gdbOut).not.toMatch(/Breakpoint 1 at/);
    expect(() => fresh.addressesForLine('domain.c', 40)).toThrow('No source file named domain.c.');
    // `finddomain.c` holds the bytes, but not as a name of its own: still no walk.
    expect(fresh.lineHeadersWalked).toBe(false);
    const expected = gdbBreak(LIBC, 'finddomain.c:40');
    expect(expected.length).toBeGreaterThan(0);
    expect(obj!.symbols.addressesForLine('finddomain.c', 40).locations.map((l) => l.address)).toEqual(expected.map((e) => e.address));
  });

  (usable ? test : test.skip)('break write.c:26 and abort.c:79 give gdb\'s locations', () => {
    for (const loc of ['write.c:26', 'abort.c:79']) {
      const expected = gdbBreak(LIBC, loc);
      expect(expected.length).toBeGreaterThan(0);
      const [file, line] = loc.split(':');
      const r = obj!.symbols.addressesForLine(file, Number(line));
      expect(r.locations.map((l) => l.address)).toEqual(expected.map((e) => e.address));
      expect(r.locations.every((l) => l.line === Number(line))).toBe(true);
    }
  });
});

describe('lazy SymbolFile', () => {
  test('defers a malformed unit header to the first query, with the eager error', () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('loop')));
    const elf = new ElfFile('loop', bytes);
    const info = elf.sectionByName('.debug_info')!;
    bytes.writeUInt32LE(0x7fff0000, info.offset);
    const eager = () => new SymbolFile(new ElfFile('loop', bytes));
    expect(eager).toThrow('.debug_info+0x0: unit length 0x7fff0000 runs past the end of the section');
    const lazy = new SymbolFile(new ElfFile('loop', bytes), { lazy: true });
    let err: unknown;
    try {
      lazy.functions();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DwarfError);
    expect((err as Error).message).toBe('.debug_info+0x0: unit length 0x7fff0000 runs past the end of the section');
  });

  test('answers like an eager one (lines, functions, file errors)', () => {
    for (const name of ['multi', 'loop_O2', 'classes']) {
      const path = fixture(name);
      const eager = SymbolFile.open(path);
      const lazy = SymbolFile.open(path, { lazy: true });
      expect(lazy.functions().map((f) => [f.name, f.entryPc])).toEqual(eager.functions().map((f) => [f.name, f.entryPc]));
      for (const f of eager.functions().slice(0, 20)) expect(lazy.lineFor(f.entryPc)).toEqual(eager.lineFor(f.entryPc));
      for (const file of eager.sourceFiles()) {
        const base = file.split('/').pop()!;
        let a: unknown;
        let b: unknown;
        try {
          a = eager.addressesForLine(base, 1).addresses;
        } catch (e) {
          a = (e as Error).message;
        }
        try {
          b = lazy.addressesForLine(base, 1).addresses;
        } catch (e) {
          b = (e as Error).message;
        }
        expect(b).toEqual(a);
      }
      expect(() => lazy.addressesForLine('nosuch.c', 1)).toThrow('No source file named nosuch.c.');
    }
  });

  test('DWARF 2 and 4 line headers (names inline in .debug_line): FILE:LINE as gdb finds it', () => {
    if (!hasGdb()) return;
    for (const [name, loc] of [['loop_dwarf2', 'loop.c:9'], ['classes_dwarf4', 'classes.cpp:21']]) {
      const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `break ${loc}`, '-ex', 'info breakpoints', fixture(name)], { encoding: 'utf8' });
      const expected = [...out.matchAll(/^\S+\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+) in .+ at \S+:(\d+)$/gm)].map((m) => ({ address: parseInt(m[1], 16) }));
      expect(expected.length).toBeGreaterThan(0);
      const [file, line] = loc.split(':');
      const lazy = SymbolFile.open(fixture(name), { lazy: true });
      expect(lazy.addressesForLine(file, Number(line)).locations.map((l) => l.address)).toEqual(expected.map((e) => e.address));
    }
  });

  test("mainUnit: the unit gdb lists `main` in, found without the name index", () => {
    if (!hasGdb()) return;
    for (const name of ['loop', 'classes', 'multi']) {
      const out = execFileSync('gdb', ['-batch', '-nx', '-ex', 'info line main', fixture(name)], { encoding: 'utf8' });
      const file = /^Line \d+ of "([^"]+)"/m.exec(out)![1];
      const sf = SymbolFile.open(fixture(name), { lazy: true });
      const unit = sf.mainUnit();
      expect(unit?.name?.split('/').pop()).toBe(file.split('/').pop());
    }
  });
});
