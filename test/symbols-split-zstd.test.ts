// zstd-compressed debug sections (ELFCOMPRESS_ZSTD, as `-gz=zstd` / `objcopy --compress-debug-sections=zstd`
// make them; gcc 12 and this binutils cannot, so the test compresses a fixture's .debug_* sections itself
// with the zstd program), against gdb 13 (linked with libzstd here) and against the uncompressed fixture.
// Also: a program whose DWARF cannot be read loads with gdb-style warning and its ELF symbols.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SymbolFile } from '../src/symbols/symbol-file';
import { fixture, gdb, hasTool, run } from './symbols-util';
import { gdb as gdbScript, newSession, ourFrames, parseBacktraces } from './engine-helpers';
import { leftoverTracees } from './helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

const haveZstd = hasTool('zstd');
const haveGdb = hasTool('gdb');
const zTest = haveZstd ? test : test.skip;
const zgTest = haveZstd && haveGdb ? test : test.skip;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zstd-'));
const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(leftoverTracees()).toEqual([]);
});

/** A copy of `src` whose non-empty .debug_* sections are SHF_COMPRESSED with ELFCOMPRESS_ZSTD (appended at the end). */
function zstdCopy(src: string, out: string): number {
  const data = fs.readFileSync(src);
  const shoff = Number(data.readBigUInt64LE(0x28));
  const shentsize = data.readUInt16LE(0x3a);
  const shnum = data.readUInt16LE(0x3c);
  const shstrndx = data.readUInt16LE(0x3e);
  const strOff = Number(data.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
  const parts: Buffer[] = [data];
  let end = data.length;
  let n = 0;
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const nameOff = data.readUInt32LE(h);
    const name = data.toString('latin1', strOff + nameOff, data.indexOf(0, strOff + nameOff));
    const flags = data.readBigUInt64LE(h + 8);
    const off = Number(data.readBigUInt64LE(h + 0x18));
    const size = Number(data.readBigUInt64LE(h + 0x20));
    if (!name.startsWith('.debug_') || size === 0 || (flags & 0x800n) !== 0n) continue;
    const z = execFileSync('zstd', ['-c', '-q', '-19'], { input: data.subarray(off, off + size) });
    const chdr = Buffer.alloc(24);
    chdr.writeUInt32LE(2, 0); // ELFCOMPRESS_ZSTD
    chdr.writeBigUInt64LE(BigInt(size), 8);
    chdr.writeBigUInt64LE(1n, 16);
    const pad = Buffer.alloc((8 - (end % 8)) % 8);
    parts.push(pad);
    end += pad.length;
    const body = Buffer.concat([chdr, z]);
    data.writeBigUInt64LE(flags | 0x800n, h + 8);
    data.writeBigUInt64LE(BigInt(end), h + 0x18);
    data.writeBigUInt64LE(BigInt(body.length), h + 0x20);
    data.writeBigUInt64LE(8n, h + 0x30); // sh_addralign
    parts.push(body);
    end += body.length;
    n++;
  }
  fs.writeFileSync(out, Buffer.concat(parts), { mode: 0o755 });
  return n;
}

describe('zstd-compressed debug sections', () => {
  zTest('are decompressed: the same answers as the uncompressed fixture, and readelf sees ZSTD sections', () => {
    const out = path.join(dir, 'multi_z');
    expect(zstdCopy(fixture('multi'), out)).toBeGreaterThan(4);
    expect(run('readelf', ['-t', out])).toMatch(/ZSTD/);
    const z = SymbolFile.open(out);
    const ref = SymbolFile.open(fixture('multi'));
    expect(z.elf.sectionByName('.debug_info')!.flags & 0x800).toBe(0x800);
    for (const fn of ['main', 'util_total', 'pair_sum', 'util_scale']) expect(z.breakpointLocationsForFunction(fn)).toEqual(ref.breakpointLocationsForFunction(fn));
    for (let l = 13; l <= 22; l++) expect(z.addressesForLine('multi_main.c', l)).toEqual(ref.addressesForLine('multi_main.c', l));
    expect(z.globals().map((g) => g.name)).toEqual(ref.globals().map((g) => g.name));
  });

  zgTest('a live session on the compressed program: stops and backtraces as gdb', async () => {
    const program = path.join(dir, 'multi_z2');
    zstdCopy(fixture('multi'), program);
    const expected = parseBacktraces(gdbScript(program, [], ['break util_total', 'break multi.h:11', 'run', 'BT', 'continue', 'BT']));
    expect(expected.length).toBe(2);
    const { s, output } = newSession();
    sessions.push(s);
    await s.loadProgram(program);
    await s.setBreakpoint({ location: 'util_total' });
    await s.setBreakpoint({ location: 'multi.h:11' });
    let stop = await s.launch({ program, stdio: 'pipe' });
    for (let i = 0; i < 2; i++) {
      if (i > 0) stop = await s.cont();
      expect(stop.reason).toBe('breakpoint');
      const st = await s.stackTrace();
      expect(ourFrames(st.frames)).toEqual(expected[i].map((f) => ({ func: f.func, file: f.file, line: f.line, pc: f.pc })));
    }
    expect(output.join('')).not.toMatch(/warning/);
    await s.kill();
  });

  zTest('without the zstd program: a clear error from the reader; the session warns and uses the ELF symbols', async () => {
    const program = path.join(dir, 'multi_z3');
    zstdCopy(fixture('multi'), program);
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let message = '';
    try {
      try {
        SymbolFile.open(program);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/multi_z3: section \.debug_\w+: zstd-compressed sections need the zstd program/);
      const { s, output } = newSession();
      sessions.push(s);
      const info = await s.loadProgram(program);
      expect(info.hasDebugInfo).toBe(false);
      expect(output.join('')).toContain('warning: ' + message);
      const bp = await s.setBreakpoint({ location: 'util_total' });
      expect(bp.locations.length).toBe(1);
      expect(bp.locations[0].function).toBe('util_total');
      process.env.PATH = savedPath;
      if (haveGdb) {
        // gdb on the same program without its DWARF (objcopy --strip-debug): the same address.
        const stripped = path.join(dir, 'multi_stripped');
        execFileSync('objcopy', ['--strip-debug', fixture('multi'), stripped]);
        const g = /Breakpoint 1 at (0x[0-9a-f]+)/.exec(gdb(stripped, ['break util_total']));
        expect(g).not.toBeNull();
        expect(bp.locations[0].address).toBe(parseInt(g![1], 16));
      }
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
