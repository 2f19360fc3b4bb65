// The disassembler behind DAP `disassemble` and the repl's x/i, compared instruction by instruction with
// GNU objdump (libopcodes, what gdb prints) over whole .text sections: the fixtures and the system libc.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Disassembler } from '../adapter/disassembler';
import { fixture } from './helpers';

function textSection(bin: string): { addr: number; bytes: Buffer } {
  const line = execFileSync('readelf', ['-SW', bin], { encoding: 'utf8' })
    .split('\n')
    .find((l) => / \.text\s/.test(l));
  if (!line) throw new Error(`${bin}: no .text`);
  const f = line.trim().replace(/^\[\s*\d+\]\s*/, '').split(/\s+/);
  const addr = parseInt(f[2], 16);
  const off = parseInt(f[3], 16);
  const size = parseInt(f[4], 16);
  return { addr, bytes: fs.readFileSync(bin).subarray(off, off + size) };
}

/** objdump's instructions of .text: address -> text. */
function objdump(bin: string): Map<number, string> {
  const out = execFileSync('objdump', ['-d', '-w', '-j', '.text', '--no-show-raw-insn', bin], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const r = /^\s+([0-9a-f]+):\t(.*)$/.exec(line);
    if (r) m.set(parseInt(r[1], 16), r[2]);
  }
  return m;
}

/** Layout-insensitive form: no comments, no <symbol> labels, no 0x on numbers. */
const norm = (s: string) =>
  s
    .replace(/#.*$/, '')
    .replace(/<[^>]*>/g, '')
    .replace(/\b0x([0-9a-f]+)\b/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();

function compare(bin: string): { total: number; mismatches: string[] } {
  const { addr, bytes } = textSection(bin);
  const d = new Disassembler('att');
  const mine = new Map(d.decode(bytes, addr).map((i) => [i.address, i.text]));
  d.dispose();
  const theirs = objdump(bin);
  const mismatches: string[] = [];
  for (const [a, t] of theirs) {
    const m = mine.get(a);
    if (m === undefined || norm(m) !== norm(t)) mismatches.push(`${a.toString(16)}: objdump '${t}' backstep '${m}'`);
  }
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
    const libc = fs.realpathSync('/lib/x86_64-linux-gnu/libc.so.6');
    const { addr, bytes } = textSection(libc);
    const dyn = execFileSync('nm', ['-D', '--defined-only', libc], { encoding: 'utf8' });
    const start = parseInt(/^([0-9a-f]+) [Tti] malloc(?:@@\S+)?$/m.exec(dyn)![1], 16);
    const stop = start + 160 * 1024;
    const out = execFileSync('objdump', ['-d', '-w', '--no-show-raw-insn', `--start-address=0x${start.toString(16)}`, `--stop-address=0x${stop.toString(16)}`, libc], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const theirs = new Map<number, string>();
    for (const line of out.split('\n')) {
      const r = /^\s+([0-9a-f]+):\t(.*)$/.exec(line);
      if (r) theirs.set(parseInt(r[1], 16), r[2]);
    }
    const d = new Disassembler('att');
    const mine = new Map(d.decode(bytes.subarray(start - addr, stop - addr + 16), start).map((i) => [i.address, i.text]));
    d.dispose();
    const mismatches = [...theirs].filter(([a, t]) => mine.get(a) === undefined || norm(mine.get(a)!) !== norm(t)).map(([a, t]) => `${a.toString(16)}: objdump '${t}' backstep '${mine.get(a)}'`);
    expect(theirs.size).toBeGreaterThan(30000);
    expect(mismatches).toEqual([]);
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

  test('intel flavor', () => {
    const d = new Disassembler('intel');
    const [i] = d.decode(Buffer.from([0x48, 0x89, 0xe5]), 0);
    expect(i.text).toBe('mov    rbp, rsp');
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
