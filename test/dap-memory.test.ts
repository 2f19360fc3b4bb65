// Memory and disassembly over DAP on the loop fixture, stopped in hot(): readMemory compared with the
// bytes of the ELF file (readelf gives the section layout), unreadable ranges from /proc/PID/maps,
// writeMemory seen by the program's own variable, and disassemble (also backwards from the pc)
// compared with objdump.
import * as fs from 'fs';
import * as path from 'path';
import { Client, launchToBreakpoint, normInstruction as norm, objdumpInstructions, readelfSections } from './dap-client';
import { fixture, nmAddress, ROOT } from './helpers';

jest.setTimeout(60000);

const LOOP = fixture('loop');
const LOOP_C = path.join(ROOT, 'fixtures', 'src', 'loop.c');
const PIE_BASE = 0x555555554000;

/** Bytes of the file image at a link-time address, through the section table (readelf). */
function fileBytes(bin: string, vaddr: number, len: number): Buffer {
  const sec = readelfSections(bin).find((x) => x.addr !== 0 && vaddr >= x.addr && vaddr + len <= x.addr + x.size);
  if (!sec) throw new Error(`no section holds 0x${vaddr.toString(16)}`);
  return fs.readFileSync(bin).subarray(sec.offset + vaddr - sec.addr, sec.offset + vaddr - sec.addr + len);
}

const objdumpAt = (bin: string, start: number, stop: number) => objdumpInstructions(bin, { start, stop });

describe('DAP memory and disassembly', () => {
  let c: Client;
  let threadId: number;
  let pid: number;

  beforeAll(async () => {
    ({ c, threadId } = await launchToBreakpoint(LOOP, LOOP_C, 11, { args: ['3'] }));
    pid = c.pids[0];
  });

  afterAll(async () => {
    await c?.finish();
  });

  test('readMemory returns the bytes of the file image', async () => {
    const g = nmAddress(LOOP, 'greeting');
    const r = await c.customRequest('readMemory', { memoryReference: '0x' + (PIE_BASE + g).toString(16), offset: 2, count: 20 });
    expect(r.body.address).toBe('0x' + (PIE_BASE + g + 2).toString(16));
    expect(Buffer.from(r.body.data, 'base64')).toEqual(fileBytes(LOOP, g + 2, 20));
    expect(r.body.unreadableBytes ?? 0).toBe(0);
  });

  test('unreadable memory is reported as unreadableBytes', async () => {
    const r0 = await c.customRequest('readMemory', { memoryReference: '0x0', count: 16 });
    expect(Buffer.from(r0.body.data ?? '', 'base64').length).toBe(0);
    expect(r0.body.unreadableBytes).toBe(16);
    // The end of a mapping followed by a hole, from /proc/PID/maps.
    const maps = fs
      .readFileSync(`/proc/${pid}/maps`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0].split('-').map((x) => parseInt(x, 16)));
    const i = maps.findIndex(([, end], k) => k + 1 < maps.length && maps[k + 1][0] > end && end < 0x7fff00000000);
    const end = maps[i][1];
    const r = await c.customRequest('readMemory', { memoryReference: '0x' + (end - 8).toString(16), count: 16 });
    expect(Buffer.from(r.body.data, 'base64').length).toBe(8);
    expect(r.body.unreadableBytes).toBe(8);
  });

  test('writeMemory changes what the program sees', async () => {
    const counter = PIE_BASE + nmAddress(LOOP, 'counter');
    const data = Buffer.alloc(4);
    data.writeInt32LE(1234);
    const w = await c.customRequest('writeMemory', { memoryReference: '0x' + counter.toString(16), data: data.toString('base64') });
    expect(w.body.bytesWritten).toBe(4);
    const f = await c.topFrame(threadId);
    expect((await c.evaluateRequest({ expression: 'counter', frameId: f.id, context: 'watch' })).body.result).toBe('1234');
    const back = await c.customRequest('readMemory', { memoryReference: '0x' + counter.toString(16), count: 4 });
    expect(Buffer.from(back.body.data, 'base64').readInt32LE(0)).toBe(1234);
    await expect(c.customRequest('writeMemory', { memoryReference: '0x0', data: data.toString('base64') })).rejects.toThrow(/Cannot access memory at address 0x0/);
  });

  test('disassemble around the pc matches objdump, with symbols and source lines', async () => {
    const f = await c.topFrame(threadId);
    const pc = Number(f.instructionPointerReference);
    const r = await c.disassembleRequest({ memoryReference: f.instructionPointerReference!, instructionOffset: -4, instructionCount: 12, resolveSymbols: true });
    const insns = r.body!.instructions;
    expect(insns.length).toBe(12);
    expect(Number(insns[4].address)).toBe(pc);
    const first = Number(insns[0].address) - PIE_BASE;
    const last = Number(insns[11].address) - PIE_BASE;
    const od = objdumpAt(LOOP, first, last + 16);
    for (const i of insns) {
      const link = Number(i.address) - PIE_BASE;
      // Run-time branch targets back to link-time addresses, as objdump shows them.
      const linkText = i.instruction.replace(/\b0x([0-9a-f]+)\b/g, (m, h) => (parseInt(h, 16) >= PIE_BASE ? '0x' + (parseInt(h, 16) - PIE_BASE).toString(16) : m));
      expect([link.toString(16), norm(linkText)]).toEqual([link.toString(16), norm(od.get(link) ?? '<not an objdump instruction start>')]);
    }
    // The instruction at the pc belongs to hot, at line 11 of loop.c.
    expect(insns[4].symbol).toBe('hot');
    expect(insns[4].location?.path).toBe(LOOP_C);
    expect(insns[4].line).toBe(11);
    // Instruction bytes are the file's bytes.
    const bytes = Buffer.from(insns[4].instructionBytes!.replace(/ /g, ''), 'hex');
    expect(bytes).toEqual(fileBytes(LOOP, pc - PIE_BASE, bytes.length));
  });

  test('disassembling far backwards crosses functions and stays on objdump\'s instruction boundaries', async () => {
    const f = await c.topFrame(threadId);
    const pc = Number(f.instructionPointerReference);
    const r = await c.disassembleRequest({ memoryReference: f.instructionPointerReference!, instructionOffset: -40, instructionCount: 60 });
    const insns = r.body!.instructions;
    expect(insns.length).toBe(60);
    expect(Number(insns[40].address)).toBe(pc);
    const first = Number(insns[0].address) - PIE_BASE;
    const od = objdumpAt(LOOP, first, Number(insns[59].address) - PIE_BASE + 16);
    const symbols = new Set(insns.map((i) => i.symbol));
    expect(symbols.has('hot')).toBe(true);
    expect(symbols.size).toBeGreaterThan(1);
    for (const i of insns) {
      const link = Number(i.address) - PIE_BASE;
      expect([link.toString(16), od.has(link)]).toEqual([link.toString(16), true]);
    }
  });

  test('disassemble of unreadable memory returns invalid instructions, still the count asked for', async () => {
    const r = await c.disassembleRequest({ memoryReference: '0x10', instructionCount: 5 });
    const insns = r.body!.instructions;
    expect(insns.length).toBe(5);
    expect(insns.every((i) => i.presentationHint === 'invalid')).toBe(true);
  });
});
