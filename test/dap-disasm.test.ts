// The disassembler behind DAP `disassemble` and the repl's x/i, compared instruction by instruction with
// GNU objdump (libopcodes, what gdb prints) over whole .text sections: the fixtures and the system libc.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Disassembler } from '../src/engine/disasm';
import { normInstruction as norm, objdumpInstructions, readelfSections } from './dap-client';
import { fixture } from './helpers';

function textSection(bin: string): { addr: number; bytes: Buffer } {
  const sec = readelfSections(bin).find((x) => x.name === '.text');
  if (!sec) throw new Error(`${bin}: no .text`);
  return { addr: sec.addr, bytes: fs.readFileSync(bin).subarray(sec.offset, sec.offset + sec.size) };
}

function compare(bin: string, flavor: 'att' | 'intel' = 'att'): { total: number; mismatches: string[] } {
  const { addr, bytes } = textSection(bin);
  const d = new Disassembler(flavor);
  const mine = new Map(d.decode(bytes, addr).map((i) => [i.address, i.text]));
  d.dispose();
  const theirs = objdumpInstructions(bin, { sections: ['.text'], intel: flavor === 'intel' });
  const mismatches: string[] = [];
  for (const [a, t] of theirs) {
    const m = mine.get(a);
    if (m === undefined || norm(m) !== norm(t)) mismatches.push(`${a.toString(16)}: objdump '${t}' backstep '${m}'`);
  }
  return { total: theirs.size, mismatches };
}

/** 160 KB of libc's .text from malloc on, decoded by us and by objdump. */
function libcFromMalloc(flavor: 'att' | 'intel'): { total: number; mismatches: string[] } {
  const libc = fs.realpathSync('/lib/x86_64-linux-gnu/libc.so.6');
  const { addr, bytes } = textSection(libc);
  const dyn = execFileSync('nm', ['-D', '--defined-only', libc], { encoding: 'utf8' });
  const start = parseInt(/^([0-9a-f]+) [Tti] malloc(?:@@\S+)?$/m.exec(dyn)![1], 16);
  const stop = start + 160 * 1024;
  const theirs = objdumpInstructions(libc, { start, stop, intel: flavor === 'intel' });
  const d = new Disassembler(flavor);
  const mine = new Map(d.decode(bytes.subarray(start - addr, stop - addr + 16), start).map((i) => [i.address, i.text]));
  d.dispose();
  const mismatches = [...theirs].filter(([a, t]) => mine.get(a) === undefined || norm(mine.get(a)!) !== norm(t)).map(([a, t]) => `${a.toString(16)}: objdump '${t}' backstep '${mine.get(a)}'`);
  return { total: theirs.size, mismatches };
}

describe('disassembler against objdump', () => {
  for (const name of ['loop', 'types_O2', 'classes_O2', 'unwind_O2', 'threads', 'uselib']) {
    test(`${name}: every instruction of .text`, () => {
      const r = compare(fixture(name));
      expect(r.total).toBeGreaterThan(50);
      expect(r.mismatches).toEqual([]);
    });
  }

  test('libc.so.6: every instruction of 160 KB of .text from malloc on', () => {
    const r = libcFromMalloc('att');
    expect(r.total).toBeGreaterThan(30000);
    expect(r.mismatches).toEqual([]);
  });

  test('intel flavor: every instruction of the fixtures\' .text and of 160 KB of libc, as objdump -M intel', () => {
    for (const name of ['loop', 'types_O2', 'classes_O2', 'unwind_O2', 'threads']) {
      const r = compare(fixture(name), 'intel');
      expect(r.total).toBeGreaterThan(50);
      expect([name, r.mismatches]).toEqual([name, []]);
    }
    const r = libcFromMalloc('intel');
    expect(r.total).toBeGreaterThan(30000);
    expect(r.mismatches).toEqual([]);
  });

  test('gdb layout: padded mnemonic, symbolic branch targets and rip-relative comments', () => {
    const d = new Disassembler('att');
    // call rel32 to +0x10; mov 0x10(%rip),%eax
    const bytes = Buffer.from([0xe8, 0x0b, 0x00, 0x00, 0x00, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00]);
    const labels: Record<number, string> = { 0x1010: 'hot', 0x101b: 'counter' };
    const [call, mov] = d.decode(bytes, 0x1000, { resolve: (a) => labels[a] });
    expect(call.text).toBe('call   0x1010 <hot>');
    expect(call.isCall).toBe(true);
    expect(call.target).toBe(0x1010);
    expect(mov.text.replace(/\s+#/, ' #')).toBe('mov    0x10(%rip),%eax # 0x101b <counter>');
    d.dispose();
  });

  test('intel flavor: gdb layout', () => {
    const d = new Disassembler('intel');
    // mov %rsp,%rbp; mov -0x4(%rbp),%eax; rep stos %eax,%es:(%rdi)
    const r = d.decode(Buffer.from([0x48, 0x89, 0xe5, 0x8b, 0x45, 0xfc, 0xf3, 0xab]), 0);
    expect(r.map((i) => i.text)).toEqual(['mov    rbp,rsp', 'mov    eax,DWORD PTR [rbp-0x4]', 'rep stos DWORD PTR es:[rdi],eax']);
    d.dispose();
  });

  test('a truncated tail is left for the caller with stopShort', () => {
    const d = new Disassembler('att');
    // push %rbp; then the first two bytes of a 6-byte mov 0x..(%rip),%eax
    const r = d.decode(Buffer.from([0x55, 0x8b, 0x05]), 0, { stopShort: true });
    expect(r.map((x) => x.text)).toEqual(['push   %rbp']);
    const all = d.decode(Buffer.from([0x55, 0x8b, 0x05]), 0);
    expect(all[1].invalid).toBe(true);
    d.dispose();
  });
});
