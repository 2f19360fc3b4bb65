// Split DWARF (gcc 12 -gsplit-dwarf): skeleton units in the program, split units in .dwo files or in a
// .dwp package, against gdb 13 (break FUNC / FILE:LINE, info line, info functions/variables, whatis,
// backtraces and info locals/args of a live process) and readelf (the .dwo DIEs). The line tables of
// these fixtures are checked against objdump --dwarf=decodedline by symbols-line.test.ts (all fixtures).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DW_FORM, DW_UT, tagName, attrName } from '../src/symbols/dwarf/constants';
import { Dwarf } from '../src/symbols/dwarf/dwarf';
import type { Die } from '../src/symbols/dwarf/unit';
import { ElfFile } from '../src/symbols/elf';
import { SymbolFile } from '../src/symbols/symbol-file';
import { typeName } from '../src/symbols/types';
import { BIN, fixture, gdb, GdbLocation, hasTool, parseBreakpoints, run } from './symbols-util';
import { gdb as gdbScript, newSession, ourFrames, parseBacktraces } from './engine-helpers';
import { leftoverTracees } from './helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

const haveGdb = hasTool('gdb');
const gdbTest = haveGdb ? test : test.skip;
const SPLIT = ['multi_split', 'multi_split_O2', 'multi_split_dwarf4', 'multi_split_dwp'];
const FUNCS = ['main', 'util_total', 'pair_sum', 'util_scale', 'local_helper'];

describe('split units are found and linked to their skeletons', () => {
  test.each(SPLIT)('%s', (name) => {
    const sf = SymbolFile.open(fixture(name));
    expect(sf.loadSplitUnits()).toEqual([]);
    const cus = sf.dwarf.compileUnits();
    expect(cus.length).toBe(2);
    for (const u of cus) {
      expect(u.isSkeleton).toBe(true);
      const split = u.splitUnit()!;
      expect(split).toBeDefined();
      expect(split.skeleton).toBe(u);
      expect(split.splitId).toBe(u.splitId);
      expect(split.dwarf.isSplitFile).toBe(true);
      expect(u.content).toBe(split);
      if (u.version >= 5) expect([u.unitType, split.unitType]).toEqual([DW_UT.skeleton, DW_UT.split_compile]);
      expect(split.root().tag).toBe(0x11); // DW_TAG_compile_unit
      expect(u.name).toMatch(/fixtures\/src\/multi_(main|util)\.c$/);
      expect(u.producer).toContain('-gsplit-dwarf');
      // The split unit's addresses come from the skeleton's .debug_addr (DW_AT_addr_base).
      expect(sf.functions().filter((f) => f.unit === split).length).toBeGreaterThan(0);
    }
    if (name === 'multi_split_dwp') expect(fs.readdirSync(BIN).filter((f) => f.startsWith('multi_split_dwp-'))).toEqual([]);
  });
});

describe('split units vs readelf (the .dwo files)', () => {
  test.each(['multi_split', 'multi_split_O2', 'multi_split_dwarf4'])('%s: every DIE and attribute of the .dwo files', (name) => {
    const sf = SymbolFile.open(fixture(name));
    for (const u of sf.dwarf.compileUnits()) {
      const dwo = path.join(u.compDir!, u.dwoName!);
      const text = run('readelf', ['--debug-dump=info', dwo]);
      // readelf's DIEs (null entries left out) with their attribute lines.
      const dies: { offset: string; tag: string; attrs: string[] }[] = [];
      for (const l of text.split('\n')) {
        const m = /^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?/.exec(l);
        if (m) {
          if (m[3] !== '0') dies.push({ offset: m[2], tag: m[4], attrs: [] });
        } else if (/^\s+<[0-9a-f]+>\s+DW_AT/.test(l) && dies.length) dies[dies.length - 1].attrs.push(l);
      }
      const mine: Die[] = u.splitUnit()!.dies();
      expect(mine.map((d) => `${d.offset.toString(16)} ${tagName(d.tag)}`)).toEqual(dies.map((m) => `${m.offset} ${m.tag}`));
      // Attributes: names, and values of the forms readelf decodes without the program (readelf 2.40
      // shows DWARF 5 .dwo indexed strings off by the .debug_str_offsets.dwo header: only their
      // indices are compared there; DWARF 4's are compared as strings).
      let checked = 0;
      mine.forEach((d, i) => {
        const lines = dies[i].attrs;
        const attrs = d.attributes();
        expect(attrs.map((a) => attrName(a.name))).toEqual(lines.map((l) => /(DW_AT_\w+)/.exec(l)![1]));
        attrs.forEach((a, j) => {
          const t = lines[j].replace(/^\s+<[0-9a-f]+>\s+DW_AT_\w+\s*:\s*/, '');
          const idx = /\(indexed string: 0x([0-9a-f]+)\): (.*)$/.exec(t);
          if (idx) {
            expect(a.index).toBe(parseInt(idx[1], 16));
            if (u.version < 5) expect(a.value).toBe(idx[2]);
            checked++;
          } else if (a.form === DW_FORM.data1 || a.form === DW_FORM.data2 || a.form === DW_FORM.data4 || a.form === DW_FORM.implicit_const) {
            if (typeof a.value === 'number' && /^-?\d+/.test(t)) {
              expect(BigInt.asUintN(32, BigInt(a.value))).toBe(BigInt.asUintN(32, BigInt(/^-?\d+/.exec(t)![0])));
              checked++;
            }
          } else if (a.form === DW_FORM.ref4) {
            expect(`<0x${(a.value as number).toString(16)}>`).toBe(/^<0x[0-9a-f]+>/.exec(t)![0]);
            checked++;
          }
        });
      });
      expect(checked).toBeGreaterThan(50);
    }
  });
});

describe('symbols of split units vs gdb', () => {
  gdbTest.each(SPLIT)('%s: break FUNC', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const out = gdb(file, [...FUNCS.map((f) => `break ${f}`), 'info breakpoints']);
    const bps = parseBreakpoints(out);
    const undefinedFns = new Set([...out.matchAll(/^Function "(.+)" not defined\./gm)].map((m) => m[1]));
    let n = 0;
    for (const fn of FUNCS) {
      const mine = sf.breakpointLocationsForFunction(fn).map((l) => ({ address: l.address, file: l.file, line: l.line }));
      if (undefinedFns.has(fn)) {
        expect({ fn, mine }).toEqual({ fn, mine: [] }); // inlined everywhere at -O2
        continue;
      }
      expect({ fn, mine }).toEqual({ fn, mine: (bps.get(++n) ?? []).sort((a, b) => a.address - b.address) });
    }
    expect(n).toBeGreaterThanOrEqual(3);
  });

  gdbTest.each(SPLIT)('%s: break FILE:LINE', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const cases: [string, number][] = [];
    for (let l = 8; l <= 22; l++) cases.push(['multi_util.c', l]);
    for (let l = 13; l <= 22; l++) cases.push(['multi_main.c', l]);
    for (let l = 6; l <= 13; l++) cases.push(['multi.h', l]);
    const out = gdb(file, [...cases.map(([f, l]) => `break ${f}:${l}`), 'info breakpoints']);
    const bps = parseBreakpoints(out);
    let n = 0;
    const gdbFailed = new Set([...out.matchAll(/^No line (\d+) in file "([^"]+)"/gm)].map((m) => `${m[2]}:${m[1]}`));
    for (const [f, l] of cases) {
      let mine: GdbLocation[] | string;
      try {
        mine = sf.addressesForLine(f, l).locations.map((x) => ({ address: x.address, file: x.file, line: x.line }));
      } catch (e) {
        mine = (e as Error).message;
      }
      if (gdbFailed.has(`${f}:${l}`)) expect({ f, l, mine }).toEqual({ f, l, mine: `No line ${l} in file "${f}".` });
      else expect({ f, l, mine }).toEqual({ f, l, mine: (bps.get(++n) ?? []).sort((a, b) => a.address - b.address) });
    }
    expect(n).toBeGreaterThan(10);
  });

  gdbTest.each(SPLIT)('%s: info line *ADDR over .text, functionAt, info variables, whatis', (name) => {
    const file = fixture(name);
    const sf = SymbolFile.open(file);
    const text = ElfFile.open(file).sectionByName('.text')!;
    const fnStart = Math.min(...sf.functions().map((f) => f.lowPc));
    const addrs: number[] = [];
    for (let a = fnStart; a < text.addr + text.size; a += 5) addrs.push(a);
    const out = gdb(file, [...addrs.map((a) => `info line *0x${a.toString(16)}`), 'info variables', 'whatis util_level', 'whatis factor', 'ptype struct pair']);
    const lines = out.split('\n').filter((l) => /^(Line|No line)/.test(l));
    expect(lines.length).toBe(addrs.length);
    let withLine = 0;
    addrs.forEach((a, i) => {
      const m = /^Line (\d+) of "([^"]+)" starts at address 0x([0-9a-f]+) <([^>+]+)(?:\+\d+)?> and ends at 0x([0-9a-f]+)/.exec(lines[i]);
      const mine = sf.lineFor(a);
      if (!m) return;
      withLine++;
      expect({ a, line: mine?.line, file: mine?.file, start: mine?.address, end: mine?.end }).toEqual({ a, line: Number(m[1]), file: m[2], start: parseInt(m[3], 16), end: parseInt(m[5], 16) });
      const fn = sf.functionAt(a);
      if (fn) expect(sf.elf.symbolAt(a)?.name).toBe(fn.name);
    });
    expect(withLine).toBeGreaterThan(20);
    const gdbVars = new Set([...out.split('Non-debugging symbols:')[0].matchAll(/^\d+:\s+.*?(\w+);$/gm)].map((m) => m[1]));
    expect(sf.globals().map((g) => g.name).sort()).toEqual([...gdbVars].sort());
    const whatis = [...out.matchAll(/^type = (.*)$/gm)].map((m) => m[1]);
    expect(typeName(sf.typeOf(sf.globalByName('util_level')!.die))).toBe(whatis[0]);
    expect(typeName(sf.typeOf(sf.globalByName('factor')!.die))).toBe(whatis[1]);
    expect(sf.typeByName('struct pair')).toBeDefined();
  });
});

// ---------------------------------------------------------------- live sessions

const sessions: Session[] = [];
const tmpDirs: string[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  expect(leftoverTracees()).toEqual([]);
});

/** gdb's `info locals` / `info args` lines, as name -> value. */
function gdbVars(out: string, marker: string): Map<string, string> {
  const m = new Map<string, string>();
  const part = out.split(`@@${marker}`)[1]?.split('@@')[0] ?? '';
  for (const l of part.split('\n')) {
    const x = /^(\w+) = (.*)$/.exec(l);
    if (x) m.set(x[1], x[2]);
  }
  return m;
}

async function ourVars(s: Session, kind: 'locals' | 'arguments'): Promise<Map<string, string>> {
  const frameId = await s.topFrameId();
  const scope = (await s.scopes(frameId)).find((x) => x.kind === kind);
  const m = new Map<string, string>();
  if (!scope) return m;
  // gdb's `info args` lists current values only: the `x@entry` rows of the Arguments scope are left out.
  for (const v of await s.variables(scope.variablesReference)) if (!v.entryValue) m.set(v.name, v.value);
  return m;
}

/** Stack addresses differ between gdb's environment and ours: compare everything else. */
const maskAddr = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [k, v.replace(/0x7ff[0-9a-f]+/g, 'STACK')]));

describe('a live session on split-DWARF programs vs gdb', () => {
  const CASES: [string, string[], number][] = [
    ['multi_split', ['util_total', 'multi_util.c:19', 'local_helper'], 3],
    ['multi_split_O2', ['util_total', 'pair_sum', 'util_scale'], 3],
    ['multi_split_dwarf4', ['util_total', 'util_scale'], 2],
    ['multi_split_dwp', ['util_total', 'pair_sum', 'util_scale'], 3],
  ];
  for (const [name, breaks, stops] of CASES) {
    (haveGdb ? test : test.skip)(`${name}: stops, backtraces, info locals and args`, async () => {
      const program = fixture(name);
      const cmds: string[] = breaks.map((b) => `break ${b}`);
      cmds.push('run');
      for (let i = 0; i < stops; i++) {
        if (i > 0) cmds.push('continue');
        cmds.push('BT', 'echo @@LOCALS\\n', 'info locals', 'echo @@ARGS\\n', 'info args', 'echo @@\\n');
      }
      const out = gdbScript(program, [], cmds);
      const bts = parseBacktraces(out);
      expect(bts.length).toBe(stops);
      const chunks = out.split('@@END').slice(1);

      const { s, output } = newSession();
      sessions.push(s);
      await s.loadProgram(program);
      for (const b of breaks) await s.setBreakpoint({ location: b }, { pending: true });
      let stop = await s.launch({ program, stdio: 'pipe' });
      for (let i = 0; i < stops; i++) {
        if (i > 0) stop = await s.cont();
        expect(stop.reason).toBe('breakpoint');
        const st = await s.stackTrace();
        expect(ourFrames(st.frames)).toEqual(bts[i].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
        expect(maskAddr(await ourVars(s, 'locals'))).toEqual(maskAddr(gdbVars(chunks[i], 'LOCALS')));
        expect(maskAddr(await ourVars(s, 'arguments'))).toEqual(maskAddr(gdbVars(chunks[i], 'ARGS')));
      }
      expect(output.join('')).not.toMatch(/warning/);
      await s.kill();
    });
  }
});

/** A copy of a fixture whose skeleton names `from` patched to `to` (same length) in its string sections. */
function patchedCopy(name: string, from: string, to: string, dir: string): string {
  expect(to.length).toBe(from.length);
  const src = fixture(name);
  const data = fs.readFileSync(src);
  let hits = 0;
  for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + 1)) {
    data.write(to, at, 'latin1');
    hits++;
  }
  expect(hits).toBeGreaterThan(0);
  const out = path.join(dir, name);
  fs.writeFileSync(out, data, { mode: 0o755 });
  return out;
}

describe('where the .dwo files are looked for, and a missing one', () => {
  test('a missing .dwo: gdb\'s warning, and the session still works (ELF symbols, line table)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-missing-'));
    tmpDirs.push(dir);
    // The util unit's dwo_name now names a file that does not exist.
    const program = patchedCopy('multi_split', 'multi_split-multi_util.dwo', 'multi_split-multi_utiX.dwo', dir);
    const sf = SymbolFile.open(program);
    const warnings = sf.loadSplitUnits();
    expect(warnings.length).toBe(1);
    if (haveGdb) {
      const g = gdb(program, ['break util_total']);
      const w = /^warning: (Could not find DWO CU .*)$/m.exec(g);
      expect(w).not.toBeNull();
      expect(warnings[0]).toBe(w![1]);
    } else {
      expect(warnings[0]).toMatch(/^Could not find DWO CU multi_split-multi_utiX\.dwo\(0x[0-9a-f]+\) referenced by CU at offset 0x[0-9a-f]+ \[in module .*multi_split\]$/);
    }

    const { s, output } = newSession();
    sessions.push(s);
    await s.loadProgram(program);
    expect(output.join('')).toContain(`warning: ${warnings[0]}\n`);
    await s.setBreakpoint({ location: 'util_total' }, { pending: true });
    await s.setBreakpoint({ location: 'multi_util.c:19' }, { pending: true });
    let stop = await s.launch({ program, stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    let st = await s.stackTrace();
    // util_total without its DIEs: the ELF symbol names the frame; main (its .dwo is there) is complete.
    expect(st.frames[0].function).toBe('util_total');
    expect(st.frames[1]).toMatchObject({ function: 'main', line: 17 });
    expect(st.frames[1].file).toMatch(/multi_main\.c$/);
    stop = await s.cont();
    expect(stop.reason).toBe('breakpoint');
    st = await s.stackTrace();
    // The skeleton's line table still maps the line.
    expect(st.frames[0].line).toBe(19);
    expect(st.frames[0].file).toMatch(/multi_util\.c$/);
    // Line 19 is in the loop over the 3 pairs.
    let hits = 1;
    while ((stop = await s.cont()).reason === 'breakpoint') hits++;
    expect(hits).toBe(3);
    expect(stop.reason).toBe('exited');
  });

  test('beside the program, when DW_AT_comp_dir does not have them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-beside-'));
    tmpDirs.push(dir);
    const compDir = path.join(BIN);
    const other = compDir.replace(/bin$/, 'biX');
    expect(fs.existsSync(other)).toBe(false);
    const program = patchedCopy('multi_split', compDir, other, dir);
    const sf0 = SymbolFile.open(program);
    expect(sf0.loadSplitUnits().length).toBe(2);
    for (const f of fs.readdirSync(BIN).filter((x) => x.startsWith('multi_split-') && x.endsWith('.dwo'))) fs.copyFileSync(path.join(BIN, f), path.join(dir, f));
    const sf = SymbolFile.open(program);
    expect(sf.loadSplitUnits()).toEqual([]);
    expect(sf.breakpointAddressForFunction('util_total')).toEqual(SymbolFile.open(fixture('multi_split')).breakpointAddressForFunction('util_total'));
  });

  test('-fdebug-types-section: type units in the .dwo (one .debug_info.dwo section each) answer like the unsplit build', () => {
    // gdb 13 cannot read this .dwo (it takes only the first of its .debug_info.dwo sections:
    // "Dwarf Error: wrong version in compilation unit header"): compared with classes_types, the same
    // program built without -gsplit-dwarf (itself checked against gdb in symbols-file/symbols-types).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-types-'));
    tmpDirs.push(dir);
    const src = path.join(BIN, '..', 'src', 'classes.cpp');
    const program = path.join(dir, 'classes_split');
    require('child_process').execFileSync('g++', ['-g', '-O0', '-gsplit-dwarf', '-fdebug-types-section', '-o', 'classes_split', src], { cwd: dir });
    const sf = SymbolFile.open(program);
    expect(sf.loadSplitUnits()).toEqual([]);
    const split = sf.dwarf.compileUnits()[0].splitUnit()!;
    expect(split.dwarf.typeUnits().length).toBeGreaterThan(2);
    const ref = SymbolFile.open(fixture('classes_types'));
    for (const t of ['geo::Rect', 'geo::Vec', 'struct geo::Vec']) expect(typeName(sf.typeByName(t)!)).toBe(typeName(ref.typeByName(t)!));
    for (const fn of ['geo::Rect::area', 'measure', 'twice']) expect(sf.breakpointLocationsForFunction(fn)).toEqual(ref.breakpointLocationsForFunction(fn));
    const measure = sf.functionByName('measure')!;
    const params = measure.die.children.filter((c) => c.tag === 0x05).map((c) => typeName(sf.typeOf(c)));
    const refParams = ref.functionByName('measure')!.die.children.filter((c) => c.tag === 0x05).map((c) => typeName(ref.typeOf(c)));
    expect(params).toEqual(refParams);
    expect(params.length).toBeGreaterThan(0);
  });

  test('Dwarf without a locator (sections only) reports the skeleton as not found', () => {
    const elf = ElfFile.open(fixture('multi_split'));
    const d = new Dwarf({ info: elf.sectionData('.debug_info'), abbrev: elf.sectionData('.debug_abbrev'), str: elf.sectionData('.debug_str'), addr: elf.sectionData('.debug_addr'), line: elf.sectionData('.debug_line'), lineStr: elf.sectionData('.debug_line_str') });
    expect(d.units[0].splitUnit()).toBeUndefined();
    expect(d.warnings[0]).toMatch(/^Could not find DWO CU multi_split-multi_main\.dwo\(0x[0-9a-f]+\) referenced by CU at offset 0x0/);
    // The skeleton's own DIE is still readable.
    expect(d.units[0].dies().length).toBe(1);
    expect(tagName(d.units[0].root().tag)).toBe('DW_TAG_skeleton_unit');
  });
});
