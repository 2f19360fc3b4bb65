// CFI parsing and CFA-program execution.
//  1. Oracle: `readelf --debug-dump=frames-interp` on the fixtures and on the system's libc, ld.so,
//     libstdc++ and libgcc_s — every FDE's range and CIE, and every row's CFA and register rules.
//  2. Hand-assembled .eh_frame/.debug_frame/.eh_frame_hdr bytes for the instructions, pointer
//     encodings and header variants real binaries rarely contain; expected rows computed by hand.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CfiTable, Cie, computeRow, DW_EH_PE, Fde, readEncoded, readEncodedRaw, UnwindRow, RegisterRule } from '../src/symbols/cfi';
import { DwarfCursor, dwarfRegName } from '../src/symbols/dwarf-expr';
import { ElfFile } from '../src/symbols/elf';
import { cfiFromElf, unwindDetailed, UnwindModule } from '../src/symbols/unwind';
import { BIN, ensureFixtures } from './unwind-helpers';

beforeAll(() => ensureFixtures());
jest.setTimeout(120000);

// ---- readelf oracle ---------------------------------------------------------------------------

interface ReadelfFde {
  section: string;
  offset: number;
  cieOffset: number;
  start: number;
  end: number;
  columns: string[];
  rows: { loc: number; cfa: string; values: string[] }[];
}

function readelfFrames(file: string): ReadelfFde[] {
  // readelf exits 1 on some stripped system libraries (a missing separate debug file) yet prints
  // the whole table; judge by its output.
  const res = spawnSync('readelf', ['--debug-dump=frames-interp', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = res.stdout;
  if (!out || !out.includes('Contents of the')) throw new Error(`readelf failed on ${file}: ${res.stderr}`);
  const fdes: ReadelfFde[] = [];
  let section = '';
  let cur: ReadelfFde | undefined;
  let inCie = false;
  for (const line of out.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^Contents of the (\S+) section/))) {
      section = m[1];
      cur = undefined;
    } else if ((m = line.match(/^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/))) {
      cur = { section, offset: parseInt(m[1], 16), cieOffset: parseInt(m[2], 16), start: parseInt(m[3], 16), end: parseInt(m[4], 16), columns: [], rows: [] };
      fdes.push(cur);
      inCie = false;
    } else if (/^[0-9a-f]+ [0-9a-f]+ [0-9a-f]+ CIE/.test(line)) {
      inCie = true;
      cur = undefined;
    } else if ((m = line.match(/^\s+LOC\s+CFA\s*(.*)$/)) && cur && !inCie) {
      cur.columns = m[1].trim().split(/\s+/).filter(Boolean);
    } else if ((m = line.match(/^([0-9a-f]{16}) (.*)$/)) && cur && !inCie) {
      const toks: string[] = m[2].match(/r\d+ \([\w.]+\)|\S+/g) ?? [];
      cur.rows.push({ loc: parseInt(m[1], 16), cfa: toks[0], values: toks.slice(1) });
    }
  }
  return fdes;
}

const REG_BY_NAME = new Map<string, number>();
for (let r = 0; r < 130; r++) REG_BY_NAME.set(dwarfRegName(r), r);

function renderCfa(row: UnwindRow): string {
  if (row.cfa.kind === 'expression') return 'exp';
  const o = row.cfa.offset;
  return `${dwarfRegName(row.cfa.reg)}${o >= 0 ? '+' : ''}${o}`;
}
function renderRule(rule: RegisterRule | undefined): string {
  if (!rule) return 'u';
  switch (rule.kind) {
    case 'undefined': return 'u';
    case 'same-value': return 's';
    case 'offset': return `c${rule.offset >= 0 ? '+' : ''}${rule.offset}`;
    case 'val-offset': return `v${rule.offset >= 0 ? '+' : ''}${rule.offset}`;
    case 'register': return `r${rule.reg} (${dwarfRegName(rule.reg)})`;
    case 'expression': return 'exp';
    case 'val-expression': return 'vexp';
  }
}

function tableFor(file: string): { elf: ElfFile; cfi: CfiTable } {
  const elf = ElfFile.open(file);
  return { elf, cfi: cfiFromElf(elf, file) };
}

const SYSTEM_LIBS = [
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/lib64/ld-linux-x86-64.so.2',
  '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
  '/lib/x86_64-linux-gnu/libgcc_s.so.1',
].filter((f) => fs.existsSync(f));

describe('CFI rows match readelf --debug-dump=frames-interp', () => {
  const files = [
    ...['unwind', 'unwind_O2', 'unwind_debug_frame', 'classes', 'libshape.so', 'loop_O2', 'threads'].map((f) => path.join(BIN, f)),
    ...SYSTEM_LIBS,
  ];
  test.each(files)('%s', (file) => {
    const { cfi } = tableFor(file);
    const theirs = readelfFrames(file);
    expect(theirs.length).toBeGreaterThan(0);
    // Every FDE: same offset, CIE, range.
    const mine = [...cfi.entries('.eh_frame'), ...cfi.entries('.debug_frame')].filter((e): e is Fde => 'cie' in e);
    const key = (sec: string, off: number) => `${sec}:${off}`;
    const byOffset = new Map(mine.map((f) => [key(f.section, f.offset), f]));
    expect(mine.length).toBe(theirs.length);
    let rows = 0;
    const mismatches: string[] = [];
    for (const t of theirs) {
      const f = byOffset.get(key(t.section, t.offset));
      if (!f) {
        mismatches.push(`${t.section}+0x${t.offset.toString(16)}: FDE missing`);
        continue;
      }
      expect([f.cie.offset, f.start, f.end]).toEqual([t.cieOffset, t.start, t.end]);
      const cols = t.columns.map((c) => (c === 'ra' ? f.cie.raReg : REG_BY_NAME.get(c)));
      for (const r of t.rows) {
        // readelf prints the last row at the FDE's end address only when the program advances there.
        if (r.loc >= f.end) continue;
        // The lookup must find this FDE (in .eh_frame; .debug_frame ones may be shadowed by it).
        if (t.section === '.eh_frame' && cfi.findFde(r.loc)?.offset !== f.offset) {
          mismatches.push(`${t.section}+0x${t.offset.toString(16)} @0x${r.loc.toString(16)}: lookup found another FDE`);
        }
        const row = computeRow(f, r.loc, cfi);
        rows++;
        const got = [renderCfa(row), ...cols.map((c) => renderRule(c === undefined ? undefined : row.regs.get(c)))];
        const want = [r.cfa, ...r.values];
        if (got.join(' ') !== want.join(' ')) {
          mismatches.push(`FDE ${t.section}+0x${t.offset.toString(16)} @0x${r.loc.toString(16)}: mine [${got.join(' ')}] readelf [${want.join(' ')}] cols ${t.columns.join(' ')}`);
        }
        expect(row.start).toBeLessThanOrEqual(r.loc);
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(rows).toBeGreaterThan(theirs.length);
  });

  test('.eh_frame_hdr binary search agrees with a full scan (libc)', () => {
    const elf = ElfFile.open('/lib/x86_64-linux-gnu/libc.so.6');
    const withHdr = cfiFromElf(elf);
    const eh = elf.sectionByName('.eh_frame')!;
    const scan = new CfiTable({ ehFrame: { data: elf.sectionData('.eh_frame')!, addr: eh.addr } });
    const fdes = scan.ehFdes();
    expect(fdes.length).toBeGreaterThan(1000);
    for (const f of fdes) {
      for (const pc of [f.start, f.end - 1, Math.floor((f.start + f.end) / 2)]) {
        const a = withHdr.findFde(pc);
        const b = scan.findFde(pc);
        expect(a?.offset).toBe(b?.offset);
      }
    }
    // Gaps between FDEs are misses in both.
    let gaps = 0;
    for (let i = 0; i + 1 < fdes.length && gaps < 200; i++) {
      if (fdes[i].end < fdes[i + 1].start) {
        expect(withHdr.findFde(fdes[i].end)).toBeUndefined();
        expect(scan.findFde(fdes[i].end)).toBeUndefined();
        gaps++;
      }
    }
    expect(withHdr.findFde(0)).toBeUndefined();
  });

  test('C++ personality (indirect pcrel) and LSDA pointers (classes)', () => {
    const { elf, cfi } = tableFor(path.join(BIN, 'classes'));
    const cies = cfi.entries('.eh_frame').filter((e): e is Cie => !('cie' in e));
    const zplr = cies.find((c) => c.augmentation === 'zPLR')!;
    expect(zplr).toBeDefined();
    const slot = elf.symbols().find((s) => s.name === 'DW.ref.__gxx_personality_v0')!;
    expect(zplr.personality).toBe(slot.value);
    expect(zplr.personalityIndirect).toBe(true);
    expect(zplr.lsdaEncoding).toBe(0x1b);
    const except = elf.sectionByName('.gcc_except_table')!;
    const withLsda = cfi.ehFdes().filter((f) => f.lsda !== undefined);
    expect(withLsda.length).toBeGreaterThan(0);
    for (const f of withLsda) {
      expect(f.lsda!).toBeGreaterThanOrEqual(except.addr);
      expect(f.lsda!).toBeLessThan(except.addr + except.size);
    }
    // readelf's raw dump shows the same LSDA as augmentation data (pcrel sdata4 from the field).
    const raw = execFileSync('readelf', ['--debug-dump=frames', path.join(BIN, 'classes')], { encoding: 'utf8' });
    const m = [...raw.matchAll(/^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.[0-9a-f]+\n\s+Augmentation data:\s+((?:[0-9a-f]{2} ?)+)/gm)];
    let checked = 0;
    for (const x of m) {
      const f = withLsda.find((y) => y.offset === parseInt(x[1], 16));
      if (!f) continue;
      const bytes = Buffer.from(x[4].trim().split(' ').map((b) => parseInt(b, 16)));
      // The LSDA field is the first thing in the FDE's augmentation data, right before the instructions.
      const fieldAddr = elf.sectionByName('.eh_frame')!.addr + f.instructionsOffset - bytes.length;
      expect(f.lsda).toBe(fieldAddr + bytes.readInt32LE(0));
      checked++;
    }
    expect(checked).toBe(withLsda.length);
  });

  test('signal-frame CIE ("zRS") of glibc\'s __restore_rt', () => {
    const { cfi } = tableFor('/lib/x86_64-linux-gnu/libc.so.6');
    const sig = cfi.ehFdes().filter((f) => f.cie.isSignalFrame);
    expect(sig).toHaveLength(1);
    const row = cfi.rowAt(sig[0].start + 1)!;
    expect(row.isSignalFrame).toBe(true);
    expect(row.cfa.kind).toBe('expression');
    // rip and all 16 general registers are restored from the ucontext by DW_CFA_expression.
    for (let r = 0; r <= 16; r++) expect(row.regs.get(r)?.kind).toBe('expression');
  });
});

// ---- hand-assembled CFI -----------------------------------------------------------------------

function uleb(v: number | bigint): number[] {
  let n = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n !== 0n) b |= 0x80;
    out.push(b);
  } while (n !== 0n);
  return out;
}
function sleb(v: number | bigint): number[] {
  let n = BigInt(v);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}
const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return [...b]; };
const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return [...b]; };
const u64 = (v: number | bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return [...b]; };
const cstr = (s: string) => [...Buffer.from(s, 'latin1'), 0];

/** Builds .eh_frame bytes from entries; FDEs name their CIE by index and get pcrel sdata4 addresses. */
class EhFrameBuilder {
  bytes: number[] = [];
  offsets: number[] = [];
  constructor(readonly addr: number) {}
  cie(aug: string, augData: number[], instrs: number[], opts: { codeAlign?: number; dataAlign?: number; ra?: number; version?: number } = {}): number {
    const version = opts.version ?? 1;
    const body = [
      ...u32(0), version, ...cstr(aug), ...uleb(opts.codeAlign ?? 1), ...sleb(opts.dataAlign ?? -8),
      ...(version === 1 ? [opts.ra ?? 16] : uleb(opts.ra ?? 16)),
      ...(aug.startsWith('z') ? [...uleb(augData.length), ...augData] : []),
      ...instrs,
    ];
    return this.entry(body);
  }
  /** An FDE with R encoding pcrel|sdata4 (0x1b): `fields` builds the address fields given their address. */
  fde(cieOffset: number, start: number, length: number, instrs: number[], augData: number[] | undefined = []): number {
    const off = this.bytes.length;
    const idFieldOff = off + 4;
    const startField = off + 8;
    const body = [
      ...u32(idFieldOff - cieOffset),
      ...i32(start - (this.addr + startField)),
      ...u32(length),
      ...(augData ? [...uleb(augData.length), ...augData] : []),
      ...instrs,
    ];
    return this.entry(body);
  }
  raw(body: number[]): number {
    return this.entry(body);
  }
  private entry(body: number[]): number {
    const off = this.bytes.length;
    while ((body.length + 4) % 8) body.push(0); // DW_CFA_nop padding
    this.bytes.push(...u32(body.length), ...body);
    this.offsets.push(off);
    return off;
  }
  build(terminate = true): Buffer {
    return Buffer.from([...this.bytes, ...(terminate ? u32(0) : [])]);
  }
}

const CFA = {
  advance(d: number) { return [0x40 | d]; },
  offset(r: number, n: number) { return [0x80 | r, ...uleb(n)]; },
  restore(r: number) { return [0xc0 | r]; },
};
const EXPR_BREG7_8_DEREF = [0x77, 0x08, 0x06]; // DW_OP_breg7 8; DW_OP_deref

describe('hand-assembled CFA programs', () => {
  const ADDR = 0x10000;
  const b = new EhFrameBuilder(ADDR);
  const cie = b.cie('zR', [0x1b], [0x0c, 7, 8, ...CFA.offset(16, 1)]); // def_cfa rsp+8; ra at cfa-8
  const program = [
    ...CFA.advance(1), // 0x1001
    0x0e, ...uleb(16), // def_cfa_offset 16
    ...CFA.offset(6, 2), // rbp at cfa-16
    0x02, 3, // advance_loc1 3 -> 0x1004
    0x0d, 6, // def_cfa_register rbp
    0x03, ...u16(0x10), // advance_loc2 16 -> 0x1014
    0x0a, // remember_state
    0x0c, 7, 8, // def_cfa rsp+8
    ...CFA.restore(6), // rbp back to the CIE rule (none)
    0x04, ...u32(1), // advance_loc4 1 -> 0x1015
    0x0b, // restore_state: cfa rbp+16, rbp at cfa-16
  ];
  const setLocIndex = program.length;
  program.push(
    0x01, ...i32(0), // set_loc (pcrel sdata4), patched below -> 0x1020
    0x11, 3, ...sleb(-3), // offset_extended_sf rbx: -3 * -8 = cfa+24
    0x14, 12, ...uleb(2), // val_offset r12: cfa-16
    0x15, 13, ...sleb(-1), // val_offset_sf r13: cfa+8
    0x09, 14, 15, // register r14 in r15
    0x08, 15, // same_value r15
    0x2e, ...uleb(32), // GNU_args_size 32
    0x2f, 8, ...uleb(2), // GNU_negative_offset_extended r8: cfa+16
    0x05, 9, ...uleb(3), // offset_extended r9: cfa-24
    0x07, 10, // undefined r10
    ...CFA.advance(16), // 0x1030
    0x12, 7, ...sleb(-2), // def_cfa_sf rsp, -2 * -8 = 16
    0x13, ...sleb(-4), // def_cfa_offset_sf 32
    0x10, 3, 2, 0x77, 0x00, // expression rbx: breg7 0
    0x16, 6, 2, 0x77, 0x08, // val_expression rbp: breg7 8
    0x06, 9, // restore_extended r9 (no CIE rule -> none)
    ...CFA.advance(8), // 0x1038
    0x0f, EXPR_BREG7_8_DEREF.length, ...EXPR_BREG7_8_DEREF, // def_cfa_expression
    0x1d, ...u64(8), // MIPS_advance_loc8 8 -> 0x1040
    0x0c, 7, 8, // def_cfa rsp+8 again
  );
  const fdeOff = b.fde(cie, 0x1000, 0x100, program);
  // Patch the set_loc operand: pcrel from the operand's own address. The FDE's instructions start
  // after length, CIE pointer, pc begin, range and the (empty) augmentation data: 17 bytes.
  const setLocAt = fdeOff + 17 + setLocIndex + 1;
  expect(b.bytes[setLocAt - 1]).toBe(0x01);
  Buffer.from(i32(0x1020 - (ADDR + setLocAt))).forEach((v, i) => (b.bytes[setLocAt + i] = v));
  const table = new CfiTable({ ehFrame: { data: b.build(), addr: ADDR } });

  const rowAt = (pc: number) => {
    const r = table.rowAt(pc)!;
    const regs: Record<number, string> = {};
    for (const [k, v] of r.regs) regs[k] = renderRule(v);
    return { cfa: renderCfa(r), regs, start: r.start, end: r.end, args: r.argsSize };
  };

  test('initial row comes from the CIE', () => {
    expect(rowAt(0x1000)).toEqual({ cfa: 'rsp+8', regs: { 16: 'c-8' }, start: 0x1000, end: 0x1001, args: 0 });
  });
  test('advance_loc, def_cfa_offset, offset, advance_loc1, def_cfa_register', () => {
    expect(rowAt(0x1001)).toEqual({ cfa: 'rsp+16', regs: { 16: 'c-8', 6: 'c-16' }, start: 0x1001, end: 0x1004, args: 0 });
    expect(rowAt(0x1013)).toEqual({ cfa: 'rbp+16', regs: { 16: 'c-8', 6: 'c-16' }, start: 0x1004, end: 0x1014, args: 0 });
  });
  test('remember_state, restore, restore_state (which also restores the CFA rule)', () => {
    expect(rowAt(0x1014)).toEqual({ cfa: 'rsp+8', regs: { 16: 'c-8' }, start: 0x1014, end: 0x1015, args: 0 });
    expect(rowAt(0x1015).cfa).toBe('rbp+16');
    expect(rowAt(0x101f).regs).toEqual({ 16: 'c-8', 6: 'c-16' });
    expect(rowAt(0x101f).end).toBe(0x1020);
  });
  test('set_loc and the register-rule instructions', () => {
    expect(rowAt(0x1020)).toEqual({
      cfa: 'rbp+16',
      regs: { 16: 'c-8', 6: 'c-16', 3: 'c+24', 12: 'v-16', 13: 'v+8', 14: 'r15 (r15)', 15: 's', 8: 'c+16', 9: 'c-24', 10: 'u' },
      start: 0x1020, end: 0x1030, args: 32,
    });
  });
  test('def_cfa_sf, def_cfa_offset_sf, expression, val_expression, restore_extended', () => {
    const r = rowAt(0x1030);
    expect(r.cfa).toBe('rsp+32');
    expect(r.regs[3]).toBe('exp');
    expect(r.regs[6]).toBe('vexp');
    expect(r.regs[9]).toBeUndefined();
  });
  test('def_cfa_expression and MIPS_advance_loc8', () => {
    expect(rowAt(0x1038).cfa).toBe('exp');
    expect(rowAt(0x1040).cfa).toBe('rsp+8');
    expect(rowAt(0x10ff).end).toBe(0x1100);
    expect(table.rowAt(0x1100)).toBeUndefined();
  });

  test('the unwinder applies every rule kind', () => {
    // Memory: a fake stack at 0x7000..0x7100, values = address * 3 so each slot is recognisable.
    const mem = {
      read(addr: number, len: number) {
        if (addr < 0x7000 || addr + len > 0x7100) return undefined;
        const buf = Buffer.alloc(len);
        for (let i = 0; i < len; i += 8) buf.writeBigUInt64LE(BigInt((addr + i) * 3), i);
        return buf;
      },
    };
    const mod: UnwindModule = { path: 'synthetic', loadBias: 0, start: 0x1000, end: 0x1100, cfi: table };
    const find = (pc: number) => (pc >= 0x1000 && pc < 0x1100 ? mod : undefined);
    const regs = new Map<number, bigint>([[16, 0x1020n], [7, 0x7010n], [6, 0x7040n], [15, 0x1234n], [3, 0x55n], [12, 0x66n]]);
    const r = unwindDetailed(regs, mem, find, { maxFrames: 2, noFramePointer: true });
    const [f0, f1] = r.frames;
    const cfa = 0x7040 + 16;
    expect(f0.cfa).toBe(cfa);
    expect(f1.pc).toBe((cfa - 8) * 3);
    expect(f1.regs.get(7)).toBe(BigInt(cfa)); // rsp = CFA
    expect(f1.regs.get(6)).toBe(BigInt((cfa - 16) * 3)); // offset
    expect(f1.regs.get(3)).toBe(BigInt((cfa + 24) * 3)); // offset_extended_sf
    expect(f1.regs.get(12)).toBe(BigInt(cfa - 16)); // val_offset
    expect(f1.regs.get(13)).toBe(BigInt(cfa + 8)); // val_offset_sf
    expect(f1.regs.get(14)).toBe(0x1234n); // register r15
    expect(f1.regs.get(15)).toBe(0x1234n); // same_value
    expect(f1.regs.has(10)).toBe(false); // undefined
    expect(f1.lookupPc).toBe(f1.pc - 1);

    // Row at 0x1038: CFA = *(rsp + 8); rbx at *(rsp) (expression); rbp = rsp + 8 (val_expression).
    const regs2 = new Map<number, bigint>([[16, 0x1038n], [7, 0x7020n]]);
    const r2 = unwindDetailed(regs2, mem, find, { maxFrames: 2, noFramePointer: true });
    const cfa2 = (0x7020 + 8) * 3;
    expect(r2.frames[0].cfa).toBe(cfa2);
    // ra at cfa-8 is outside the fake stack: unreadable.
    expect(r2.stopReason).toBe('unreadable-memory');
  });

  test('DW_CFA_undefined on the return-address column ends the stack', () => {
    const bb = new EhFrameBuilder(0);
    const c = bb.cie('zR', [0x1b], [0x0c, 7, 8, ...CFA.offset(16, 1)]);
    bb.fde(c, 0x2000, 0x10, [0x07, 16]);
    const t = new CfiTable({ ehFrame: { data: bb.build(), addr: 0 } });
    const mod: UnwindModule = { path: 'x', loadBias: 0, start: 0x2000, end: 0x2010, cfi: t };
    const r = unwindDetailed(new Map([[16, 0x2004n], [7, 0x7000n]]), { read: () => Buffer.alloc(8) }, () => mod);
    expect(r.frames).toHaveLength(1);
    expect(r.stopReason).toBe('outermost');
  });
});

describe('pointer encodings', () => {
  const enc = (bytes: number[], e: number, ctx = { sectionAddr: 0x1000, textAddr: 0x4000, dataAddr: 0x8000, funcAddr: 0x5000 }, pos = 0) =>
    readEncoded(new DwarfCursor(Buffer.from(bytes), 'test', 0, pos), e, ctx);
  test('value formats', () => {
    expect(enc(u64(0x123456789a), DW_EH_PE.absptr)).toBe(0x123456789a);
    expect(enc(uleb(300), DW_EH_PE.uleb128)).toBe(300);
    expect(enc(u16(0xfffe), DW_EH_PE.udata2)).toBe(0xfffe);
    expect(enc(u32(0xfffffffe), DW_EH_PE.udata4)).toBe(0xfffffffe);
    expect(enc(u64(0x1122334455), DW_EH_PE.udata8)).toBe(0x1122334455);
    expect(enc([...sleb(-2), ...u32(0)], DW_EH_PE.sleb128 | DW_EH_PE.pcrel)).toBe(0x1000 - 2);
    expect(enc(u16(0xfffe), DW_EH_PE.sdata2 | DW_EH_PE.pcrel)).toBe(0x1000 - 2);
    expect(enc(i32(-0x10), DW_EH_PE.sdata4 | DW_EH_PE.pcrel)).toBe(0x1000 - 0x10);
    expect(enc(u64(-0x20n & 0xffffffffffffffffn), DW_EH_PE.sdata8 | DW_EH_PE.pcrel)).toBe(0x1000 - 0x20);
  });
  test('applications', () => {
    // pcrel is relative to the field's own address, not the section's start.
    expect(enc([0, 0, ...i32(8)], DW_EH_PE.pcrel | DW_EH_PE.sdata4, undefined, 2)).toBe(0x1002 + 8);
    expect(enc(u32(0x10), DW_EH_PE.textrel | DW_EH_PE.udata4)).toBe(0x4010);
    expect(enc(i32(-0x10), DW_EH_PE.datarel | DW_EH_PE.sdata4)).toBe(0x8000 - 0x10);
    expect(enc(u32(0x30), DW_EH_PE.funcrel | DW_EH_PE.udata4)).toBe(0x5030);
    // aligned: skip to the next address-size boundary (section at 0x1000 + pos 1 -> 0x1008).
    expect(enc([0, 0, 0, 0, 0, 0, 0, 0, ...u64(0xabc)], DW_EH_PE.aligned, undefined, 1)).toBe(0xabc);
    expect(enc([1, 2], DW_EH_PE.omit)).toBeUndefined();
  });
  test('indirect', () => {
    const c = new DwarfCursor(Buffer.from(u32(0x40)), 'test');
    expect(readEncodedRaw(c, DW_EH_PE.indirect | DW_EH_PE.udata4, { sectionAddr: 0 })).toEqual({ value: 0x40, indirect: true });
    const c2 = new DwarfCursor(Buffer.from(u32(0x40)), 'test');
    expect(readEncoded(c2, DW_EH_PE.indirect | DW_EH_PE.udata4, { sectionAddr: 0 }, 8, (a) => (a === 0x40 ? 0x9999 : undefined))).toBe(0x9999);
  });
  test('textrel/datarel without a base, unknown formats', () => {
    expect(() => enc(u32(1), DW_EH_PE.textrel | DW_EH_PE.udata4, { sectionAddr: 0 } as never)).toThrow(/textrel/);
    expect(() => enc(u32(1), 0x05)).toThrow(/unknown pointer encoding 0x5/);
  });
  test('CIE with zPLR: indirect personality, LSDA, udata8 FDE addresses', () => {
    const b = new EhFrameBuilder(0x3000);
    // P: indirect|pcrel|sdata4 -> slot; L: udata8 absolute; R: udata8 absolute.
    const persField = 0x3000 + 4 + 4 + 1 + 5 + 1 + 1 + 1 + 1 + 1; // length,id,version,"zPLR\0",code,data,ra,auglen,P-enc
    const cieOff = b.cie('zPLR', [0x9b, ...i32(0x6000 - persField), 0x04, 0x04], [0x0c, 7, 8]);
    const fdeBody = [...u32(0), ...u64(0x7000), ...u64(0x20), ...uleb(8), ...u64(0x9000), 0x40 | 4, 0x0e, 16];
    const off = b.raw(fdeBody);
    // Fix the CIE pointer: id field at off + 4 minus CIE offset.
    Buffer.from(u32(off + 4 - cieOff)).forEach((v, i) => (b.bytes[off + 4 + i] = v));
    const t = new CfiTable({ ehFrame: { data: b.build(), addr: 0x3000 } });
    const fde = t.findFde(0x7010)!;
    expect(fde.cie.personality).toBe(0x6000);
    expect(fde.cie.personalityIndirect).toBe(true);
    expect([fde.start, fde.end, fde.lsda]).toEqual([0x7000, 0x7020, 0x9000]);
    expect(renderCfa(t.rowAt(0x7004)!)).toBe('rsp+16');
  });
});

describe('.debug_frame variants and .eh_frame_hdr', () => {
  test('CIE versions 1, 3 and 4 and 64-bit DWARF entries', () => {
    const bytes: number[] = [];
    const push = (entry: number[], dwarf64 = false) => {
      const off = bytes.length;
      if (dwarf64) bytes.push(0xff, 0xff, 0xff, 0xff, ...u64(entry.length));
      else bytes.push(...u32(entry.length));
      bytes.push(...entry);
      return off;
    };
    // v1: RA as a byte.
    const c1 = push([...u32(0xffffffff), 1, 0, ...uleb(1), ...sleb(-8), 16, 0x0c, 7, 8, ...CFA.offset(16, 1)]);
    // v3: RA as ULEB.
    const c3 = push([...u32(0xffffffff), 3, 0, ...uleb(1), ...sleb(-8), ...uleb(16), 0x0c, 7, 16]);
    // v4: address_size and segment_selector_size.
    const c4 = push([...u32(0xffffffff), 4, 0, 8, 0, ...uleb(4), ...sleb(-8), ...uleb(16), 0x0c, 6, 16]);
    // 64-bit CIE.
    const c64 = push([...u64(0xffffffffffffffffn), 4, 0, 8, 0, ...uleb(1), ...sleb(-8), ...uleb(16), 0x0c, 7, 24], true);
    bytes.push(...u32(0)); // zero-length padding entry
    push([...u32(c1), ...u64(0x1000), ...u64(0x10), 0x41, 0x0e, 16]);
    push([...u32(c3), ...u64(0x2000), ...u64(0x10)]);
    push([...u32(c4), ...u64(0x3000), ...u64(0x40), 0x41, 0x0e, 24]); // advance 1 * codeAlign 4
    push([...u64(c64), ...u64(0x4000), ...u64(0x10)], true);
    const t = new CfiTable({ debugFrame: { data: Buffer.from(bytes), addr: 0 } });
    expect(t.debugFdes().map((f) => [f.start, f.cie.version, f.cie.offsetSize])).toEqual([
      [0x1000, 1, 4], [0x2000, 3, 4], [0x3000, 4, 4], [0x4000, 4, 8],
    ]);
    expect(renderCfa(t.rowAt(0x1000)!)).toBe('rsp+8');
    expect(renderCfa(t.rowAt(0x1001)!)).toBe('rsp+16');
    expect(renderCfa(t.rowAt(0x2005)!)).toBe('rsp+16');
    expect(renderCfa(t.rowAt(0x3003)!)).toBe('rbp+16');
    expect(renderCfa(t.rowAt(0x3004)!)).toBe('rbp+24');
    expect(renderCfa(t.rowAt(0x4000)!)).toBe('rsp+24');
    expect(t.rowAt(0x1010)).toBeUndefined();
  });

  test('.eh_frame_hdr with a datarel sdata4 table', () => {
    const EH = 0x2000;
    const b = new EhFrameBuilder(EH);
    const c = b.cie('zR', [0x1b], [0x0c, 7, 8, ...CFA.offset(16, 1)]);
    const fdes = [0x1000, 0x1100, 0x1300].map((s) => [s, b.fde(c, s, 0x80, [0x41, 0x0e, 16])]);
    const eh = b.build();
    const HDR = 0x1f00;
    const hdr = Buffer.from([
      1, 0x1b, 0x03, 0x3b, ...i32(EH - (HDR + 4)), ...u32(fdes.length),
      ...fdes.flatMap(([s, off]) => [...i32(s - HDR), ...i32(EH + off - HDR)]),
    ]);
    const t = new CfiTable({ ehFrame: { data: eh, addr: EH }, ehFrameHdr: { data: hdr, addr: HDR } });
    expect(t.findFde(0x1101)!.offset).toBe(fdes[1][1]);
    expect(t.findFde(0x1180)).toBeUndefined(); // past the FDE's range, before the next
    expect(t.findFde(0x0fff)).toBeUndefined();
    expect(renderCfa(t.rowAt(0x1301)!)).toBe('rsp+16');
    // A header whose eh_frame_ptr is wrong is reported with its offset.
    const bad = Buffer.from(hdr);
    bad.writeInt32LE(0x100, 4);
    const tb = new CfiTable({ ehFrame: { data: eh, addr: EH }, ehFrameHdr: { data: bad, addr: HDR } });
    expect(() => tb.findFde(0x1000)).toThrow(/\.eh_frame_hdr\+0x4: eh_frame_ptr/);
  });
});

describe('malformed CFI is reported with section and offset', () => {
  test('an entry overrunning the section', () => {
    const data = Buffer.from([...u32(0x100), ...u32(0), 1]);
    const t = new CfiTable({ ehFrame: { data, addr: 0 } });
    expect(() => t.findFde(0)).toThrow(/\.eh_frame\+0x0: entry length 0x100 overruns the section/);
  });
  test('an unsupported CIE version', () => {
    const b = new EhFrameBuilder(0);
    b.cie('zR', [0x1b], [], { version: 2 });
    expect(() => new CfiTable({ ehFrame: { data: b.build(), addr: 0 } }).ehFdes()).toThrow(/\.eh_frame\+0x0: unsupported CIE version 2/);
  });
  test('an unknown CFA instruction, and restore_state without remember_state', () => {
    const b = new EhFrameBuilder(0);
    const c = b.cie('zR', [0x1b], [0x0c, 7, 8]);
    const f = b.fde(c, 0x100, 0x10, [0x41, 0x3c]);
    const g = b.fde(c, 0x200, 0x10, [0x0b]);
    const t = new CfiTable({ ehFrame: { data: b.build(), addr: 0 } });
    const instrAt = f + 4 + 4 + 8 + 1 + 1; // length, CIE pointer, pc begin+range, aug length, advance
    expect(() => t.rowAt(0x105)).toThrow(new RegExp(`\\.eh_frame\\+0x${instrAt.toString(16)}: DW_CFA_<0x3c>: unknown CFA instruction`));
    expect(() => t.rowAt(0x200)).toThrow(new RegExp(`\\.eh_frame\\+0x${(g + 17).toString(16)}: DW_CFA_restore_state: no remembered state`));
    // Below the failing instruction the program is fine.
    expect(renderCfa(t.rowAt(0x100)!)).toBe('rsp+8');
  });
  test('truncated operands', () => {
    const b = new EhFrameBuilder(0);
    const c = b.cie('zR', [0x1b], [0x0c, 7, 8]);
    const f = b.fde(c, 0x100, 0x10, []);
    // Replace the FDE's padding with a def_cfa missing its offset (the entry ends right after it).
    const bytes = b.build(false);
    const len = bytes.readUInt32LE(f);
    bytes[f + 4 + len - 2] = 0x0c;
    bytes[f + 4 + len - 1] = 0x87; // ULEB continues past the end
    const t = new CfiTable({ ehFrame: { data: bytes, addr: 0 } });
    expect(() => t.rowAt(0x101)).toThrow(/\.eh_frame\+0x[0-9a-f]+: DW_CFA_def_cfa: truncated operands/);
  });
});
