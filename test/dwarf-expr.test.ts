// The DWARF expression evaluator.
//  1. Hand-assembled expressions for every operation; expected results worked out by hand.
//  2. Every DW_AT_location / DW_AT_frame_base / call-site expression in the fixtures decodes to
//     exactly what `readelf --debug-dump=info` prints.
//  3. Oracle: at gdb stops (core files), each local variable's location, evaluated with our
//     unwinder's registers and CFA, gives the address/value gdb reports for it.
import * as path from 'path';
import {
  disassemble, DW_OP, DwarfExprError, evaluate, evaluateStack, evaluateValue, ExprContext, Location,
  readLocationBytes, frameBaseValue,
} from '../src/symbols/dwarf-expr';
import { ElfFile } from '../src/symbols/elf';
import { LocationLists, locationAt, debugAddrResolver } from '../src/symbols/loclists';
import { DwarfReg, Frame } from '../src/symbols/unwind';
import {
  attrLocation, attrName, attrNumber, BIN, ensureFixtures, functionAt, gdbStop, loadCore, RDie, readelfDies, realFrames,
} from './unwind-helpers';

beforeAll(() => ensureFixtures());
jest.setTimeout(120000);

const B = (...bytes: number[]) => Buffer.from(bytes);
const uleb = (v: number | bigint): number[] => {
  let n = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (v: number | bigint): number[] => {
  let n = BigInt(v);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && !(b & 0x40)) || (n === -1n && b & 0x40);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
};
const le = (v: bigint, n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return [...b.subarray(0, n)];
};
const M64 = (1n << 64n) - 1n;
const top = (...bytes: number[]) => {
  const s = evaluateStack(Buffer.from(bytes));
  return s[s.length - 1];
};
const stack = (...bytes: number[]) => evaluateStack(Buffer.from(bytes));

// A little machine: registers and a memory image at 0x1000.
const MEM_BASE = 0x1000n;
const memory = Buffer.alloc(0x100);
for (let i = 0; i < memory.length; i++) memory[i] = i;
const ctx: ExprContext = {
  readRegister: (r) => ({ 0: 0x10n, 5: 0x1008n, 6: 0x1040n, 7: 0x1080n, 16: 0x401000n } as Record<number, bigint>)[r],
  readMemory: (a, n) => (a >= MEM_BASE && a + BigInt(n) <= MEM_BASE + 0x100n ? memory.subarray(Number(a - MEM_BASE), Number(a - MEM_BASE) + n) : undefined),
  frameBase: () => 0x1050n,
  callFrameCfa: () => 0x1090n,
  debugAddr: (i) => 0x5000n + BigInt(i) * 0x10n,
  tlsAddress: (off) => 0x7000n + off,
  objectAddress: 0x1020n,
};
const memU64 = (addr: number) => memory.readBigUInt64LE(addr - 0x1000);

describe('stack operations', () => {
  test('literals and constants', () => {
    expect(top(DW_OP.lit0 + 17)).toBe(17n);
    expect(top(DW_OP.const1u, 0xff)).toBe(255n);
    expect(top(DW_OP.const1s, 0xff)).toBe(M64); // -1
    expect(top(DW_OP.const2u, 0x34, 0x12)).toBe(0x1234n);
    expect(top(DW_OP.const2s, 0xfe, 0xff)).toBe(M64 - 1n);
    expect(top(DW_OP.const4u, 0x78, 0x56, 0x34, 0x12)).toBe(0x12345678n);
    expect(top(DW_OP.const4s, 0x00, 0x00, 0x00, 0x80)).toBe(BigInt.asUintN(64, -0x80000000n));
    expect(top(DW_OP.const8u, ...le(0x0123456789abcdefn, 8))).toBe(0x0123456789abcdefn);
    expect(top(DW_OP.const8s, ...le(-2n, 8))).toBe(M64 - 1n);
    expect(top(DW_OP.constu, ...uleb(1n << 63n))).toBe(1n << 63n);
    expect(top(DW_OP.consts, ...sleb(-129))).toBe(BigInt.asUintN(64, -129n));
    expect(top(DW_OP.addr, ...le(0x404028n, 8))).toBe(0x404028n);
  });
  test('dup, drop, over, pick, swap, rot', () => {
    const l = (n: number) => DW_OP.lit0 + n;
    expect(stack(l(1), l(2), DW_OP.dup)).toEqual([1n, 2n, 2n]);
    expect(stack(l(1), l(2), DW_OP.drop)).toEqual([1n]);
    expect(stack(l(1), l(2), DW_OP.over)).toEqual([1n, 2n, 1n]);
    expect(stack(l(1), l(2), l(3), DW_OP.pick, 2)).toEqual([1n, 2n, 3n, 1n]);
    expect(stack(l(1), l(2), l(3), DW_OP.pick, 0)).toEqual([1n, 2n, 3n, 3n]);
    expect(stack(l(1), l(2), DW_OP.swap)).toEqual([2n, 1n]);
    // rot: the top entry becomes the third, the second becomes the top, the third the second.
    expect(stack(l(1), l(2), l(3), DW_OP.rot)).toEqual([3n, 1n, 2n]);
  });
  test('arithmetic and logic (second OP top)', () => {
    const l = (n: number) => DW_OP.lit0 + n;
    const m5 = [DW_OP.const1s, 0xfb]; // -5
    expect(top(...m5, DW_OP.abs)).toBe(5n);
    expect(top(l(12), l(10), DW_OP.and)).toBe(8n);
    expect(top(DW_OP.const1s, 0xf9, l(2), DW_OP.div)).toBe(BigInt.asUintN(64, -3n)); // signed, toward zero
    expect(top(l(3), l(5), DW_OP.minus)).toBe(M64 - 1n); // wraps
    expect(top(DW_OP.const1s, 0xff, l(10), DW_OP.mod)).toBe(5n); // unsigned: (2^64-1) % 10
    expect(top(DW_OP.const8u, ...le(1n << 62n, 8), l(8), DW_OP.mul)).toBe(0n); // 2^65 wraps to 0
    expect(top(l(5), DW_OP.neg)).toBe(BigInt.asUintN(64, -5n));
    expect(top(l(0), DW_OP.not)).toBe(M64);
    expect(top(l(12), l(3), DW_OP.or)).toBe(15n);
    expect(top(DW_OP.const1s, 0xff, l(2), DW_OP.plus)).toBe(1n);
    expect(top(l(1), DW_OP.plus_uconst, ...uleb(1000))).toBe(1001n);
    expect(top(l(1), l(4), DW_OP.shl)).toBe(16n);
    expect(top(DW_OP.const1s, 0xf0, l(2), DW_OP.shr)).toBe((M64 - 15n) >> 2n); // logical
    expect(top(DW_OP.const1s, 0xf0, l(2), DW_OP.shra)).toBe(BigInt.asUintN(64, -4n)); // arithmetic
    expect(top(l(6), l(3), DW_OP.xor)).toBe(5n);
  });
  test('comparisons are signed', () => {
    const l = (n: number) => DW_OP.lit0 + n;
    const m1 = [DW_OP.const1s, 0xff];
    expect(top(l(0), ...m1, DW_OP.lt)).toBe(0n); // 0 < -1 is false
    expect(top(...m1, l(0), DW_OP.lt)).toBe(1n);
    expect(top(l(2), l(2), DW_OP.le)).toBe(1n);
    expect(top(l(3), l(2), DW_OP.gt)).toBe(1n);
    expect(top(l(2), l(3), DW_OP.ge)).toBe(0n);
    expect(top(l(2), l(2), DW_OP.eq)).toBe(1n);
    expect(top(l(2), l(2), DW_OP.ne)).toBe(0n);
  });
  test('skip and bra (a loop summing 5..1)', () => {
    // 0 lit5; 1 lit0; 2: over; plus; swap; lit1; minus; swap; over; 9: bra -10 (to 2); 12: swap; drop
    const loop = [DW_OP.lit0 + 5, DW_OP.lit0, DW_OP.over, DW_OP.plus, DW_OP.swap, DW_OP.lit0 + 1, DW_OP.minus,
      DW_OP.swap, DW_OP.over, DW_OP.bra, ...le(-10n, 2), DW_OP.swap, DW_OP.drop];
    expect(stack(...loop)).toEqual([15n]);
    expect(stack(DW_OP.lit0 + 1, DW_OP.skip, 1, 0, DW_OP.lit0 + 2, DW_OP.lit0 + 3)).toEqual([1n, 3n]);
    expect(() => stack(DW_OP.skip, ...le(-4n, 2))).toThrow(/DW_OP_skip at offset 0: branch target -1 outside the expression/);
    // An infinite loop is cut off.
    expect(() => evaluate(B(DW_OP.skip, ...le(-3n, 2)), {}, { maxSteps: 50 })).toThrow(/exceeded 50 steps/);
  });
});

describe('registers, memory and the frame', () => {
  test('reg*/regx are register locations; breg*/bregx/fbreg/call_frame_cfa compute addresses', () => {
    expect(evaluate(B(DW_OP.reg0 + 3), ctx)).toEqual({ kind: 'register', reg: 3 });
    expect(evaluate(B(DW_OP.regx, ...uleb(17)), ctx)).toEqual({ kind: 'register', reg: 17 });
    expect(evaluate(B(DW_OP.breg0 + 6, ...sleb(-8)), ctx)).toEqual({ kind: 'memory', address: 0x1038n });
    expect(evaluate(B(DW_OP.bregx, ...uleb(16), ...sleb(4)), ctx)).toEqual({ kind: 'memory', address: 0x401004n });
    expect(evaluate(B(DW_OP.fbreg, ...sleb(-20)), ctx)).toEqual({ kind: 'memory', address: 0x1050n - 20n });
    expect(evaluate(B(DW_OP.call_frame_cfa), ctx)).toEqual({ kind: 'memory', address: 0x1090n });
    expect(frameBaseValue(B(DW_OP.reg0 + 6), ctx)).toBe(0x1040n); // DW_AT_frame_base = rbp's value
  });
  test('deref, deref_size (zero-extended), xderef, xderef_size', () => {
    const v = (bytes: number[]) => evaluateValue(Buffer.from([...bytes, DW_OP.stack_value]), ctx);
    expect(v([DW_OP.breg0 + 5, 0, DW_OP.deref])).toBe(memU64(0x1008));
    expect(v([DW_OP.breg0 + 5, 0, DW_OP.deref_size, 2])).toBe(0x0908n);
    expect(v([DW_OP.breg0 + 5, 1, DW_OP.deref_size, 1])).toBe(9n);
    expect(v([DW_OP.lit0, DW_OP.breg0 + 5, 0, DW_OP.xderef])).toBe(memU64(0x1008)); // address space 0
    expect(v([DW_OP.lit0, DW_OP.breg0 + 5, 2, DW_OP.xderef_size, 4])).toBe(0x0d0c0b0an);
    expect(() => evaluate(B(DW_OP.lit0 + 1, DW_OP.breg0 + 5, 0, DW_OP.xderef), ctx)).toThrow(/address space 1/);
    expect(() => evaluate(B(DW_OP.lit0 + 4, DW_OP.deref), ctx, { what: 'DW_AT_location of x' })).toThrow(
      /DW_AT_location of x: DW_OP_deref at offset 1: cannot read 8 byte\(s\) of memory at 0x4/,
    );
  });
  test('addrx, constx, GNU_addr_index via .debug_addr; relocation of addresses only', () => {
    const rel: ExprContext = { ...ctx, relocate: (a) => a + 0x555555554000n };
    expect(evaluate(B(DW_OP.addrx, 2), ctx)).toEqual({ kind: 'memory', address: 0x5020n });
    expect(evaluate(B(DW_OP.addrx, 2), rel)).toEqual({ kind: 'memory', address: 0x555555559020n });
    expect(evaluate(B(DW_OP.GNU_addr_index, 1), rel)).toEqual({ kind: 'memory', address: 0x555555559010n });
    expect(evaluate(B(DW_OP.constx, 2), rel)).toEqual({ kind: 'memory', address: 0x5020n });
    expect(evaluate(B(DW_OP.addr, ...le(0x4028n, 8)), rel)).toEqual({ kind: 'memory', address: 0x555555558028n });
  });
  test('form_tls_address, GNU_push_tls_address, push_object_address, nop', () => {
    expect(evaluate(B(DW_OP.const1u, 0x10, DW_OP.form_tls_address), ctx)).toEqual({ kind: 'memory', address: 0x7010n });
    expect(evaluate(B(DW_OP.const1u, 0x18, DW_OP.GNU_push_tls_address, DW_OP.nop), ctx)).toEqual({ kind: 'memory', address: 0x7018n });
    expect(evaluate(B(DW_OP.push_object_address, DW_OP.plus_uconst, 8), ctx)).toEqual({ kind: 'memory', address: 0x1028n });
    expect(() => evaluate(B(DW_OP.lit0, DW_OP.form_tls_address), {})).toThrow(/thread-local/);
  });
  test('call2/call4 run another DIE\'s expression on the same stack', () => {
    const c: ExprContext = { ...ctx, callExpression: (die) => (die === 0x40 ? B(DW_OP.lit0 + 7, DW_OP.plus) : undefined) };
    expect(evaluate(B(DW_OP.lit0 + 1, DW_OP.call2, 0x40, 0), c)).toEqual({ kind: 'memory', address: 8n });
    expect(evaluate(B(DW_OP.lit0 + 2, DW_OP.call4, 0x40, 0, 0, 0), c)).toEqual({ kind: 'memory', address: 9n });
    expect(evaluate(B(DW_OP.lit0 + 2, DW_OP.call4, 0x41, 0, 0, 0), c)).toEqual({ kind: 'memory', address: 2n });
  });
  test('typed stack: const_type, regval_type, deref_type, convert', () => {
    const c: ExprContext = { ...ctx, baseTypeSize: (d) => (d === 0x30 ? 4 : 8) };
    expect(evaluateValue(B(DW_OP.const_type, 0x30, 4, 1, 0, 0, 0, DW_OP.stack_value), c)).toBe(1n);
    expect(evaluateValue(B(DW_OP.regval_type, 7, 0x30, DW_OP.stack_value), c)).toBe(0x1080n);
    expect(evaluateValue(B(DW_OP.breg0 + 5, 0, DW_OP.deref_type, 2, 0x30, DW_OP.stack_value), c)).toBe(0x0908n);
    expect(evaluateValue(B(DW_OP.const1s, 0xff, DW_OP.convert, 0x30, DW_OP.stack_value), c)).toBe(0xffffffffn);
    expect(evaluateValue(B(DW_OP.const1s, 0xff, DW_OP.GNU_convert, 0, DW_OP.stack_value), c)).toBe(M64);
  });
});

describe('location kinds', () => {
  test('stack_value and implicit_value', () => {
    expect(evaluate(B(DW_OP.lit0 + 9, DW_OP.stack_value))).toEqual({ kind: 'value', value: 9n });
    expect(evaluate(B(DW_OP.implicit_value, 4, 0, 0, 0xc0, 0x3f))).toEqual({ kind: 'implicit', bytes: B(0, 0, 0xc0, 0x3f) });
  });
  test('implicit_pointer (DWARF 5 and GNU) names the DIE and the offset', () => {
    expect(evaluate(B(DW_OP.implicit_pointer, 0x34, 0x12, 0, 0, ...sleb(-4)))).toEqual({ kind: 'implicit-pointer', die: 0x1234, offset: -4n });
    expect(evaluate(B(DW_OP.GNU_implicit_pointer, 0x34, 0x12, 0, 0, 0))).toEqual({ kind: 'implicit-pointer', die: 0x1234, offset: 0n });
    // DWARF 2 references are address-sized.
    expect(evaluate(B(DW_OP.GNU_implicit_pointer, ...le(0x99n, 8), 0), { version: 2 })).toEqual({ kind: 'implicit-pointer', die: 0x99, offset: 0n });
  });
  test('empty expressions and unavailable registers are optimized out', () => {
    expect(evaluate(B()).kind).toBe('optimized-out');
    const r = evaluate(B(DW_OP.breg0 + 3, 0), ctx);
    expect(r).toEqual({ kind: 'optimized-out', reason: 'register rbx is not available in this frame' });
  });
  test('piece and bit_piece build composites', () => {
    const loc = evaluate(B(
      DW_OP.reg0, DW_OP.piece, 4, // low 4 bytes in rax
      DW_OP.piece, 2, // 2 bytes optimized out
      DW_OP.breg0 + 5, 0, DW_OP.piece, 2, // 2 bytes in memory at rdi
      DW_OP.lit0 + 5, DW_OP.stack_value, DW_OP.bit_piece, 3, 0, // 3 bits of the constant 5
      DW_OP.implicit_value, 1, 0xaa, DW_OP.bit_piece, 5, 1, // 5 bits from implicit 0xaa, skipping 1
    ), ctx);
    expect(loc).toEqual({
      kind: 'composite',
      pieces: [
        { location: { kind: 'register', reg: 0 }, sizeBits: 32, offsetBits: 0 },
        { location: { kind: 'optimized-out', reason: 'piece has no location' }, sizeBits: 16, offsetBits: 0 },
        { location: { kind: 'memory', address: 0x1008n }, sizeBits: 16, offsetBits: 0 },
        { location: { kind: 'value', value: 5n }, sizeBits: 3, offsetBits: 0 },
        { location: { kind: 'implicit', bytes: B(0xaa) }, sizeBits: 5, offsetBits: 1 },
      ],
    });
    // Bytes of a fully available composite: rax low 2 bytes, memory 2 bytes, then 5 (3 bits) and
    // 0xaa >> 1 = 0x55 (5 bits: 10101) -> byte 4 = 0b10101_101 = 0xad.
    const c2 = evaluate(B(DW_OP.reg0, DW_OP.piece, 2, DW_OP.breg0 + 5, 0, DW_OP.piece, 2,
      DW_OP.lit0 + 5, DW_OP.stack_value, DW_OP.bit_piece, 3, 0, DW_OP.implicit_value, 1, 0xaa, DW_OP.bit_piece, 5, 1), ctx);
    const reader = { readRegister: ctx.readRegister!, readMemory: ctx.readMemory! };
    expect(readLocationBytes(c2, 5, reader)).toEqual(B(0x10, 0x00, 0x08, 0x09, 0xad));
    expect(readLocationBytes(loc, 10, reader)).toBeUndefined(); // has an optimized-out piece
  });
  test('an unavailable register inside a composite only loses that piece', () => {
    const loc = evaluate(B(DW_OP.breg0 + 3, 0, DW_OP.piece, 4, DW_OP.reg0, DW_OP.piece, 4), ctx);
    expect(loc.kind).toBe('composite');
    const pieces = (loc as Extract<Location, { kind: 'composite' }>).pieces;
    expect(pieces[0].location.kind).toBe('optimized-out');
    expect(pieces[1].location).toEqual({ kind: 'register', reg: 0 });
  });
  test('entry_value: optimized out without a caller, else evaluated in the entry context', () => {
    const expr = B(DW_OP.entry_value, 1, DW_OP.reg0 + 5, DW_OP.stack_value);
    expect(evaluate(expr, ctx).kind).toBe('optimized-out');
    const entry: ExprContext = { readRegister: (r) => (r === 5 ? 0xabcn : undefined), readMemory: ctx.readMemory };
    expect(evaluate(expr, { ...ctx, entryContext: entry })).toEqual({ kind: 'value', value: 0xabcn });
    // GNU form, with a general expression: *(rdi@entry + 8) + 1
    const gnu = B(DW_OP.GNU_entry_value, 3, DW_OP.breg0 + 5, 8, DW_OP.deref, DW_OP.plus_uconst, 1, DW_OP.stack_value);
    const entry2: ExprContext = { readRegister: (r) => (r === 5 ? 0x1000n : undefined), readMemory: ctx.readMemory };
    expect(evaluate(gnu, { ...ctx, entryContext: entry2 })).toEqual({ kind: 'value', value: memU64(0x1008) + 1n });
    // Entry register unknown even in the caller: optimized out.
    expect(evaluate(expr, { ...ctx, entryContext: { readRegister: () => undefined } }).kind).toBe('optimized-out');
  });
  test('GNU_parameter_ref', () => {
    const expr = B(DW_OP.GNU_parameter_ref, 0x2c, 0, 0, 0, DW_OP.stack_value);
    expect(evaluate(expr, {}).kind).toBe('optimized-out');
    expect(evaluate(expr, { parameterRef: (d) => (d === 0x2c ? 42n : undefined) })).toEqual({ kind: 'value', value: 42n });
  });
});

describe('errors name the opcode and the offset', () => {
  test.each([
    [[DW_OP.lit0, DW_OP.lit0 + 1, 0xe5], /DW_OP_<0xe5> at offset 2: unknown opcode 0xe5/],
    [[DW_OP.drop], /DW_OP_drop at offset 0: stack underflow/],
    [[DW_OP.lit0 + 1, DW_OP.lit0, DW_OP.div], /DW_OP_div at offset 2: division by zero/],
    [[DW_OP.lit0 + 1, DW_OP.lit0, DW_OP.mod], /DW_OP_mod at offset 2: division by zero/],
    [[DW_OP.const4u, 1, 2], /DW_OP_const4u at offset 0: truncated operands/],
    [[DW_OP.reg0, DW_OP.lit0 + 1], /DW_OP_reg0 at offset 0: must be the last operation/],
    [[DW_OP.lit0 + 1, DW_OP.pick, 3], /DW_OP_pick at offset 1: stack underflow/],
    [[DW_OP.fbreg, 0], /DW_OP_fbreg at offset 0: no frame base/],
    [[DW_OP.bra, 0x10, 0], /DW_OP_bra at offset 0: stack underflow/],
  ])('%j', (bytes, re) => {
    expect(() => evaluate(Buffer.from(bytes as number[]), {})).toThrow(DwarfExprError);
    expect(() => evaluate(Buffer.from(bytes as number[]), {})).toThrow(re as RegExp);
  });
  test('baseOffset makes offsets section-relative', () => {
    expect(() => evaluate(B(DW_OP.lit0, 0xe5), {}, { baseOffset: 0x200, what: '.debug_loclists list' })).toThrow(/\.debug_loclists list: DW_OP_<0xe5> at offset 513/);
  });
});

// ---- readelf decodes ------------------------------------------------------------------------

const DECODE_FIXTURES = ['types', 'types_O2', 'types_O2_dwarf4', 'loop_O2', 'classes', 'unwind_O2', 'libshape.so'];

describe('expressions in the fixtures decode as readelf prints them', () => {
  test.each(DECODE_FIXTURES)('%s', (name) => {
    const { byOffset } = readelfDies(path.join(BIN, name));
    let n = 0;
    const bad: string[] = [];
    for (const die of byOffset.values()) {
      for (const attr of die.attrs.keys()) {
        const loc = attrLocation(die, attr);
        if (!loc || loc.kind !== 'expr' || !loc.text.startsWith('DW_OP')) continue;
        n++;
        const mine = disassemble(loc.bytes);
        if (mine !== loc.text) bad.push(`<${die.offset.toString(16)}> ${attr}: mine "${mine}" readelf "${loc.text}"`);
        // And every one of them evaluates (or reports optimized out) given a full context.
        expect(() => evaluate(loc.bytes, { ...ctx, readRegister: () => 0x1000n, entryContext: ctx })).not.toThrow();
      }
    }
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(3);
  });
});

// ---- gdb oracle: variable locations at real stops --------------------------------------------

const VARS_PY = `
import json
out = []
f = gdb.newest_frame()
level = 0
while f is not None and level < 40:
    rec = {'level': level, 'real': f.type() in (gdb.NORMAL_FRAME, gdb.SIGTRAMP_FRAME), 'pc': f.pc(), 'vars': []}
    try:
        sal = f.find_sal()
        mine = sal.symtab is not None and 'fixtures/src' in sal.symtab.filename
        b = f.block() if mine and f.type() == gdb.NORMAL_FRAME else None
    except RuntimeError:
        b = None
    seen = set()
    while b is not None:
        for sym in b:
            if not (sym.is_variable or sym.is_argument) or sym.name in seen:
                continue
            seen.add(sym.name)
            v = {'name': sym.name}
            try:
                val = sym.value(f)
                v['optimized'] = bool(val.is_optimized_out)
                v['size'] = val.type.sizeof
                a = val.address
                v['address'] = int(a) if a is not None else None
                t = val.type.strip_typedefs()
                if not val.is_optimized_out:
                    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR):
                        v['int'] = int(val) & ((1 << (8 * t.sizeof)) - 1)
                    elif t.code == gdb.TYPE_CODE_PTR:
                        v['int'] = int(val)
                    elif t.code == gdb.TYPE_CODE_FLT:
                        v['float'] = float(val)
            except Exception as e:
                v['error'] = str(e)
            rec['vars'].append(v)
        if b.function is not None:
            break
        b = b.superblock
    out.append(rec)
    f = f.older()
    level += 1
print('BSVARS ' + json.dumps(out))
`;

interface GdbVar {
  name: string;
  optimized?: boolean;
  size?: number;
  address?: number | null;
  int?: number;
  float?: number;
  error?: string;
}

interface Tally {
  compared: number;
  memory: number;
  register: number;
  value: number;
  list: number;
  optimized: number;
  callerFrames: number;
  entryValueSkipped: number;
}

/** Finds the variable DIE named `name` in a function (not in nested functions / inlined bodies). */
function findVar(fn: RDie, name: string, byOffset: Map<number, RDie>): RDie | undefined {
  for (const c of fn.children) {
    if (c.tag === 'DW_TAG_subprogram' || c.tag === 'DW_TAG_inlined_subroutine') continue;
    if ((c.tag === 'DW_TAG_variable' || c.tag === 'DW_TAG_formal_parameter') && attrName(c, byOffset) === name) return c;
    const r = findVar(c, name, byOffset);
    if (r) return r;
  }
  return undefined;
}

function checkVariables(binary: string, args: string[], setup: string[], tally: Tally): void {
  const file = path.join(BIN, binary);
  const stop = gdbStop(file, args, setup, [], VARS_PY);
  try {
    const line = stop.rawOutput.split('\n').find((l) => l.startsWith('BSVARS '))!;
    const gdbFrames = (JSON.parse(line.slice(7)) as { level: number; real: boolean; pc: number; vars: GdbVar[] }[]).filter((f) => f.real);
    const cu = loadCore(stop.corePath);
    const t = stop.threads.find((x) => x.lwp === stop.selectedLwp)!;
    const frames = cu.unwind(t.lwp).frames;
    expect(frames.map((f) => f.pc)).toEqual(realFrames(t.frames).map((f) => f.pc));
    const elf = ElfFile.open(file);
    const dies = readelfDies(file);
    const lists = new LocationLists({ debugLoc: elf.sectionData('.debug_loc'), debugLoclists: elf.sectionData('.debug_loclists') });
    gdbFrames.forEach((gf, i) => {
      const frame: Frame = frames[i];
      if (!gf.vars.length || !frame.module || frame.module.path !== file) return;
      const bias = frame.module.loadBias;
      const linkPc = frame.lookupPc - bias;
      const fn = functionAt(dies, linkPc);
      if (!fn) return;
      const cuRoot = fn.cu.root!;
      const exprCtx: ExprContext = {
        addressSize: fn.cu.addressSize,
        version: fn.cu.version,
        readRegister: (r) => frame.regs.get(r),
        readMemory: (a, n) => cu.core.read(Number(a), n),
        callFrameCfa: () => BigInt(frame.cfa!),
        relocate: (a) => a + BigInt(bias),
      };
      const fb = attrLocation(fn, 'DW_AT_frame_base');
      if (fb?.kind === 'expr') exprCtx.frameBase = () => frameBaseValue(fb.bytes, exprCtx);
      const addrBase = attrNumber(cuRoot, 'DW_AT_addr_base');
      const unit = {
        version: fn.cu.version,
        addressSize: fn.cu.addressSize,
        baseAddress: attrNumber(cuRoot, 'DW_AT_low_pc') ?? 0,
        loclistsBase: attrNumber(cuRoot, 'DW_AT_loclists_base'),
        addrx: addrBase !== undefined && elf.sectionData('.debug_addr') ? debugAddrResolver(elf.sectionData('.debug_addr')!, addrBase) : undefined,
      };
      for (const v of gf.vars) {
        if (v.error) continue;
        const die = findVar(fn, v.name, dies.byOffset);
        if (!die) continue;
        const at = attrLocation(die, 'DW_AT_location');
        if (!at) continue;
        let expr: Buffer | undefined;
        if (at.kind === 'expr') expr = at.bytes;
        else {
          tally.list++;
          const list = at.index !== undefined ? lists.readIndexed(at.index, unit) : lists.read(at.offset, unit);
          expr = locationAt(list, linkPc);
        }
        const where = `${binary} frame #${i} ${v.name} (${expr ? disassemble(expr) : 'no entry at pc'})`;
        const loc: Location = expr ? evaluate(expr, exprCtx) : { kind: 'optimized-out', reason: 'not in list' };
        const bytes = readLocationBytes(loc, v.size!, { readRegister: (r) => frame.regs.get(r), readMemory: (a, n) => cu.core.read(Number(a), n) });
        if (v.optimized) {
          expect([where, loc.kind === 'optimized-out' || bytes === undefined]).toEqual([where, true]);
          tally.optimized++;
        } else if (bytes === undefined) {
          // gdb recovers entry values through call-site parameters; without a caller context we cannot.
          const usesEntry = expr !== undefined && (expr.includes(DW_OP.entry_value) || expr.includes(DW_OP.GNU_entry_value));
          expect([where, usesEntry]).toEqual([where, true]);
          tally.entryValueSkipped++;
          continue;
        } else {
          if (v.address !== null && v.address !== undefined) {
            expect([where, loc.kind === 'memory' ? Number(loc.address) : loc.kind]).toEqual([where, v.address]);
          }
          if (v.int !== undefined) {
            let n = 0n;
            for (let k = v.size! - 1; k >= 0; k--) n = (n << 8n) | BigInt(bytes[k]);
            expect([where, n]).toEqual([where, BigInt(v.int)]);
          }
          if (v.float !== undefined) {
            const f = v.size === 4 ? bytes.readFloatLE(0) : bytes.readDoubleLE(0);
            expect([where, f]).toEqual([where, v.float]);
          }
          if (loc.kind === 'memory') tally.memory++;
          else if (loc.kind === 'register') tally.register++;
          else tally.value++;
        }
        tally.compared++;
        if (i > 0) tally.callerFrames++;
      }
    });
  } finally {
    stop.cleanup();
  }
}

describe('variable locations agree with gdb at real stops (core files)', () => {
  const newTally = (): Tally => ({ compared: 0, memory: 0, register: 0, value: 0, list: 0, optimized: 0, callerFrames: 0, entryValueSkipped: 0 });

  test('-O0: fbreg locals and parameters, statics (DW_OP_addr), caller frames (types: break inspect)', () => {
    const t = newTally();
    checkVariables('types', [], ['break inspect'], t);
    expect(t.memory).toBeGreaterThanOrEqual(8);
    expect(t.callerFrames).toBeGreaterThanOrEqual(3);
  });

  test('-O2: register and stack-value locations from .debug_loclists (types_O2: break add, called from inspect)', () => {
    const t = newTally();
    checkVariables('types_O2', [], ['break add'], t);
    checkVariables('types_O2', [], ['break inspect'], t);
    expect(t.list).toBeGreaterThanOrEqual(4);
    expect(t.register).toBeGreaterThanOrEqual(3);
    expect(t.compared).toBeGreaterThanOrEqual(8);
  });

  test('-O2 DWARF 4: the same through .debug_loc (types_O2_dwarf4)', () => {
    const t = newTally();
    checkVariables('types_O2_dwarf4', [], ['break add'], t);
    checkVariables('types_O2_dwarf4', [], ['break inspect'], t);
    expect(t.list).toBeGreaterThanOrEqual(4);
    expect(t.compared).toBeGreaterThanOrEqual(8);
  });

  test('-O2 recursion: parameters in callee-saved registers of caller frames (unwind_O2)', () => {
    const t = newTally();
    checkVariables('unwind_O2', ['recurse', '6'], ['break leaf'], t);
    checkVariables('loop_O2', [], ['break loop.c:22'], t);
    expect(t.compared).toBeGreaterThanOrEqual(6);
    expect(t.callerFrames).toBeGreaterThanOrEqual(3);
  });
});

test('the sanity of DwarfReg numbering used by callers', () => {
  expect(DwarfReg.rip).toBe(16);
  expect(DwarfReg.rsp).toBe(7);
});
