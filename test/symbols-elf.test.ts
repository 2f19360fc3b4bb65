// ElfFile against readelf (sections, segments, symbols, notes, dynamic) and gdb (core files).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { ElfError, ElfFile, ET_CORE, ET_DYN, NT_FILE, NT_PRSTATUS, SHF_COMPRESSED } from '../src/symbols/elf';
import { allFixtures, BIN, fixture, gdb, hasTool, run } from './symbols-util';

const haveReadelf = hasTool('readelf');
const haveGdb = hasTool('gdb');
const files = allFixtures();

const SECTION_TYPES: Record<string, number> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9, DYNSYM: 11, INIT_ARRAY: 14, FINI_ARRAY: 15, GNU_HASH: 0x6ffffff6, VERSYM: 0x6fffffff, VERNEED: 0x6ffffffe, VERDEF: 0x6ffffffd };

describe('ElfFile vs readelf', () => {
  (haveReadelf ? test : test.skip).each(files)('%s: sections, segments, symbols', (name) => {
    const file = path.join(BIN, name);
    const elf = ElfFile.open(file);

    // Section headers: readelf -SW rows "[Nr] Name Type Address Off Size ES Flg Lk Inf Al".
    const secRows = run('readelf', ['-SW', file])
      .split('\n')
      .map((l) => /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(l.replace(/^(\s*\[\s*0\])\s+NULL/, '$1  NULL')))
      .filter((m): m is RegExpExecArray => !!m);
    expect(secRows.length).toBe(elf.sections.length);
    for (const m of secRows) {
      const s = elf.sections[Number(m[1])];
      expect(s.name).toBe(m[2]);
      if (SECTION_TYPES[m[3]] !== undefined) expect(s.type).toBe(SECTION_TYPES[m[3]]);
      expect(s.addr).toBe(parseInt(m[4], 16));
      expect(s.offset).toBe(parseInt(m[5], 16));
      expect(s.size).toBe(parseInt(m[6], 16));
      expect(s.entsize).toBe(parseInt(m[7], 16));
      expect((s.flags & SHF_COMPRESSED) !== 0).toBe(m[8].includes('C'));
      expect(s.link).toBe(Number(m[9]));
      expect(s.info).toBe(Number(m[10]));
      expect(s.addralign).toBe(Number(m[11]));
      expect(elf.sectionByName(s.name || '\0')?.name ?? s.name).toBe(s.name);
    }

    // Program headers: readelf -lW.
    const pt = run('readelf', ['-lW', file]);
    const segRows = pt
      .split('\n')
      .map((l) => /^\s+([A-Z_]+|LOOS\+0x[0-9a-f]+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) ([RWE ]{3}) 0x([0-9a-f]+)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m);
    expect(segRows.length).toBe(elf.segments.length);
    segRows.forEach((m, i) => {
      const p = elf.segments[i];
      expect([p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.align]).toEqual([m[2], m[3], m[4], m[5], m[6], m[8]].map((x) => parseInt(x, 16)));
      const flags = (m[7].includes('R') ? 4 : 0) | (m[7].includes('W') ? 2 : 0) | (m[7].includes('E') ? 1 : 0);
      expect(p.flags).toBe(flags);
    });
    expect(elf.entry).toBe(parseInt(/Entry point 0x([0-9a-f]+)/.exec(pt)![1], 16));
    // readelf -h names the type: "DYN (Position-Independent Executable file)", "DYN (Shared object
    // file)" or "EXEC (Executable file)" (static and -nostdlib fixtures).
    const typeText = /^\s*Type:\s+(\w+)\s+\(([^)]*)\)/m.exec(run('readelf', ['-hW', file]))!;
    expect(elf.type).toBe(typeText[1] === 'DYN' ? ET_DYN : typeText[1] === 'EXEC' ? 2 : -1);
    const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(pt)?.[1];
    expect(elf.interp).toBe(interp);
    expect(elf.isPie).toBe(/Position-Independent/.test(typeText[2]));

    // Symbols: .symtab entries from readelf -sW.
    const symText = run('readelf', ['-sW', file]);
    const symtabPart = symText.split(/Symbol table '/).find((t) => t.startsWith('.symtab'));
    expect(symtabPart).toBeDefined();
    const symRows = symtabPart!
      .split('\n')
      .map((l) => /^\s*\d+: ([0-9a-f]{16})\s+(\d+|0x[0-9a-f]+) (\S+)\s+(\S+)\s+\S+\s+(\S+) ?(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m);
    const syms = elf.symbols();
    expect(syms.length).toBe(symRows.length);
    symRows.forEach((m, i) => {
      const s = syms[i];
      expect(s.value).toBe(parseInt(m[1], 16));
      expect(s.size).toBe(Number(m[2]));
      expect(s.type).toBe(m[3]);
      expect(s.bind).toBe(m[4]);
      expect(s.name).toBe(m[6]);
    });
    // Every defined function symbol is found by address and by name.
    for (const s of syms.filter((x) => x.type === 'FUNC' && x.shndx !== 0 && x.size > 0)) {
      expect(elf.symbolAt(s.value)?.value).toBe(s.value);
      expect(elf.symbolAt(s.value + s.size - 1)?.value).toBe(s.value);
      const same = syms.filter((x) => x.name === s.name && x.shndx !== 0);
      if (same.length === 1) expect(elf.symbolByName(s.name)?.value).toBe(s.value);
      else expect(same.map((x) => x.value)).toContain(elf.symbolByName(s.name)?.value); // e.g. a static in two units
    }
  });

  (haveReadelf ? test : test.skip).each(['loop', 'classes', 'uselib', 'libshape.so'])('%s: build-id, notes and DT_NEEDED', (name) => {
    const file = fixture(name);
    const elf = ElfFile.open(file);
    const notes = run('readelf', ['-nW', file]);
    expect(elf.buildId).toBe(/Build ID: ([0-9a-f]+)/.exec(notes)![1]);
    const owners = [...notes.matchAll(/^\s+(\S+)\s+0x([0-9a-f]+)\s+(NT_\S+)/gm)].map((m) => [m[1], parseInt(m[2], 16)]);
    expect(elf.notes().map((n) => [n.name, n.desc.length])).toEqual(owners);
    const needed = [...run('readelf', ['-dW', file]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(elf.dynamicNeeded).toEqual(needed);
    if (name !== 'libshape.so') expect(needed.length).toBeGreaterThan(0);
  });

  test('loop_nodebug has symbols and no debug sections', () => {
    const elf = ElfFile.open(fixture('loop_nodebug'));
    expect(elf.sectionData('.debug_info')).toBeUndefined();
    const hot = elf.symbolByName('hot')!;
    expect(hot.type).toBe('FUNC');
    expect(elf.symbolAt(hot.value + 3)?.name).toBe('hot');
    expect(elf.symbolByName('counter')?.type).toBe('OBJECT');
  });
});

describe('ElfFile details', () => {
  test('compressed debug sections are inflated once', () => {
    const elf = ElfFile.open(fixture('loop_gz'));
    const sec = elf.sectionByName('.debug_info')!;
    expect(sec.flags & SHF_COMPRESSED).toBeTruthy();
    const data = elf.sectionData('.debug_info')!;
    expect(data.length).toBeGreaterThan(sec.size - 24);
    expect(elf.sectionData('.debug_info')).toBe(data);
    // Same contents as the uncompressed build of the same source.
    const plain = ElfFile.open(fixture('loop')).sectionData('.debug_abbrev')!;
    expect(elf.sectionData('.debug_abbrev')!.equals(plain)).toBe(true);
  });

  test('sectionData is a zero-copy view of the file', () => {
    const elf = ElfFile.open(fixture('loop'));
    const text = elf.sectionByName('.text')!;
    const data = elf.sectionData('.text')!;
    expect(data.buffer).toBe(elf.data.buffer);
    expect(data.byteOffset - elf.data.byteOffset).toBe(text.offset);
    expect(elf.bytesAt(text.addr, 4)!.equals(data.subarray(0, 4))).toBe(true);
  });

  (hasTool('objcopy') ? test : test.skip)('.gnu_debuglink name and CRC', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-elf-'));
    const dbg = path.join(dir, 'loop.debug');
    const out = path.join(dir, 'loop.stripped');
    execFileSync('objcopy', ['--only-keep-debug', fixture('loop'), dbg]);
    execFileSync('objcopy', ['--strip-debug', `--add-gnu-debuglink=${dbg}`, fixture('loop'), out]);
    const link = ElfFile.open(out).debugLink!;
    expect(link.name).toBe('loop.debug');
    expect(link.crc).toBe(crc32(fs.readFileSync(dbg)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('errors name the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-elf-'));
    const missing = path.join(dir, 'nope');
    expect(() => ElfFile.open(missing)).toThrow(new ElfError(`${missing}: no such file`));
    const text = path.join(dir, 'text');
    fs.writeFileSync(text, 'hello, this is not an ELF file\n');
    expect(() => ElfFile.open(text)).toThrow(`${text}: not an ELF file`);
    const elf32 = path.join(dir, 'elf32');
    const bytes = Buffer.from(fs.readFileSync(fixture('loop')));
    bytes[4] = 1; // ELFCLASS32
    fs.writeFileSync(elf32, bytes);
    expect(() => ElfFile.open(elf32)).toThrow(`${elf32}: not a 64-bit x86-64 ELF`);
    const arm = path.join(dir, 'arm');
    const b2 = Buffer.from(fs.readFileSync(fixture('loop')));
    b2.writeUInt16LE(183, 18); // EM_AARCH64
    fs.writeFileSync(arm, b2);
    expect(() => ElfFile.open(arm)).toThrow(`${arm}: not a 64-bit x86-64 ELF`);
    const trunc = path.join(dir, 'trunc');
    fs.writeFileSync(trunc, fs.readFileSync(fixture('loop')).subarray(0, 200));
    expect(() => ElfFile.open(trunc)).toThrow(ElfError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('core files', () => {
  let dir = '';
  let core = '';
  beforeAll(() => {
    if (!haveGdb) return;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-core-'));
    core = path.join(dir, 'crash.core');
    gdb(fixture('crash'), ['run', `gcore ${core}`]);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  (haveGdb ? test : test.skip)('NT_PRSTATUS and NT_FILE match gdb', () => {
    expect(fs.existsSync(core)).toBe(true);
    const elf = ElfFile.open(core);
    expect(elf.type).toBe(ET_CORE);
    const types = elf.notes().map((n) => n.type);
    expect(types).toContain(NT_PRSTATUS);
    expect(types).toContain(NT_FILE);
    const out = gdb(fixture('crash'), [`core-file ${core}`, 'info registers rip rsp rbp', 'info proc mappings']);
    const [st] = elf.prstatus();
    for (const reg of ['rip', 'rsp', 'rbp'] as const) {
      const m = new RegExp(`^${reg}\\s+0x([0-9a-f]+)`, 'm').exec(out)!;
      expect(st.regs[reg]).toBe(BigInt('0x' + m[1]));
    }
    expect(st.cursig).toBe(11);
    const maps = [...out.matchAll(/^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\/\S+)$/gm)].map((m) => ({
      start: parseInt(m[1], 16),
      end: parseInt(m[2], 16),
      fileOffset: parseInt(m[3], 16),
      path: m[4],
    }));
    expect(maps.length).toBeGreaterThan(3);
    expect(elf.fileMappings()).toEqual(maps);
  });
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
