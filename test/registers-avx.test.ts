// AVX and AVX-512 registers (ymm, zmm, xmm16-31, k0-7, gdb's raw halves ymmNh/zmmNh), read from the
// thread's XSAVE area (PTRACE_GETREGSET NT_X86_XSTATE) and compared with stock gdb 13 at the same stop:
// -data-list-register-names (gdb's numbering for this CPU), -data-list-register-values in several
// formats, `info registers`, `p $ymm0`, `whatis`, and the DAP Registers scope. The avx fixture loads
// known values with inline asm; the AVX-512 parts are skipped on a CPU without avx512f.
// Writes are checked by the program itself (it reads the registers back after stop_here and prints them):
// gdb 13.1 cannot write the XSAVE area on this CPU (its buffer is shorter than the kernel's AMX-sized one,
// and the kernel refuses it with EFAULT), so it is no oracle for writes.
import * as fs from 'fs';
import * as path from 'path';
import { gdb, gdbValues, launchToBreakpoint, StoppedSession } from './dap-client';
import { fixture, leftoverTracees, ROOT, waitUntil } from './helpers';
import { MiClient } from './mi-client';
import { Tracer } from '../src/target';
import { gdb as gdbRun, newSession } from './engine-helpers';
import { XState } from '../src/ptrace';

jest.setTimeout(90000);

const PROGRAM = fixture('avx');
const SOURCE = path.join(ROOT, 'fixtures', 'src', 'avx.c');
const FLAGS = fs.readFileSync('/proc/cpuinfo', 'utf8');
const AVX = /\bavx\b/.test(FLAGS);
const AVX512 = /\bavx512f\b/.test(FLAGS);
const itAvx = AVX ? test : test.skip;
const it512 = AVX512 ? test : test.skip;

// Registers the fixture loads (the others hold whatever glibc left, which differs between debuggers'
// environments): xmm0/1/15 (40, 41, 55), ymm0h/1h/15h (57, 58, 72), ymm0/1/15 (207, 208, 222).
const AVX_NUMBERS = [40, 41, 55, 57, 58, 72, 207, 208, 222];
// zmm3/17/31 (242, 256, 270), their halves (122, 136, 150), xmm17/31 (80, 94), ymm17h/31h (96, 110),
// k0-k7 (111-118), ymm17/31 (224, 238).
const AVX512_NUMBERS = [80, 94, 96, 110, 111, 112, 113, 114, 115, 116, 117, 118, 122, 136, 150, 224, 238, 242, 256, 270];
const FORMATS = ['x', 'N', 'r', 'd', 'o', 'u'];

interface Transcript {
  names: string;
  values: string[];
  console: Map<string, string[]>;
  /** -data-list-register-values in main's frame (frame 1). */
  caller: string;
}

const CONSOLE = [
  'info registers ymm0 ymm1 ymm15 ymm0h ymm15h',
  'p $ymm0',
  'p $ymm15',
  'p/x $ymm1',
  'p $ymm0.v8_float',
  'p $ymm1.v4_double[2]',
  'whatis $ymm0',
  'whatis $ymm0.v8_int32',
  'p $ymm15h',
  'info registers st0 st7 fctrl',
];
const CONSOLE_512 = [
  'info registers',
  'info all-registers',
  'info registers zmm3 zmm17 k0 k3 k5 zmm3h xmm17',
  'p $zmm17',
  'p $zmm31',
  'p/x $zmm3',
  'p $k3',
  'p $k5 + 1',
  'whatis $k0',
  'whatis $zmm0',
  'p $zmm17.v8_int64',
  'p $xmm31',
  'p $zmm3h',
];

async function transcript(which: 'gdb' | 'backstep'): Promise<Transcript> {
  const c = MiClient.start(which, [PROGRAM]);
  try {
    await c.ready();
    let tok = await c.runTo(1, 'stop_here');
    const names = (await c.result(tok++, '-data-list-register-names')).replace(/^\d+/, '');
    const numbers = [...AVX_NUMBERS, ...(AVX512 ? AVX512_NUMBERS : [])].join(' ');
    const values: string[] = [];
    for (const f of FORMATS) values.push((await c.result(tok++, `-data-list-register-values ${f} ${numbers}`)).replace(/^\d+/, ''));
    const console = new Map<string, string[]>();
    for (const cmd of [...CONSOLE, ...(AVX512 ? CONSOLE_512 : [])]) {
      const lines = await c.send(tok++, `-interpreter-exec console "${cmd.replace(/"/g, '\\"')}"`);
      console.set(cmd, lines.filter((l) => l.startsWith('~')));
    }
    const caller = (await c.result(tok++, `-data-list-register-values --thread 1 --frame 1 x 24 32 ${numbers}`)).replace(/^\d+/, '');
    return { names, values, console, caller };
  } finally {
    await c.close();
  }
}

describe('the XSAVE area through ptrace', () => {
  let tracer: Tracer;
  beforeAll(async () => {
    tracer = await Tracer.create();
  });
  afterAll(async () => {
    await tracer.close();
    await waitUntil(() => leftoverTracees().length === 0, 5000, 'the debuggee to be reaped');
  });

  test('features from XCR0, writes to components in their initial state, and the kernel\'s size rule', async () => {
    const inf = await tracer.launch({ program: PROGRAM, args: [], stdio: [-1, -1, -1] });
    try {
      const xs = await inf.getXState();
      // XCR0 (what the kernel enabled) agrees with the CPU flags.
      expect([xs.hasAvx, xs.hasAvx512]).toEqual([AVX, AVX512]);
      if (!AVX) return;
      // At the exec stop no vector state is in use yet: XSTATE_BV has none of AVX/AVX-512's bits.
      expect(xs.xstateBv & 0xe4n).toBe(0n);
      const y = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
      xs.setVector(3, y);
      if (AVX512) {
        xs.setVector(20, Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i)));
        xs.setK(5, 0xabcn);
      }
      await inf.setXState(xs);
      const back = await inf.getXState();
      expect(back.buf.length).toBe(xs.buf.length);
      expect(back.vector(3, 256)).toEqual(y);
      expect(back.ymmh(3)).toEqual(y.subarray(16));
      expect(back.vector(4, 256)).toEqual(Buffer.alloc(32));
      expect(back.xstateBv & 0x6n).toBe(0x6n);
      if (AVX512) {
        expect(back.vector(20, 512)[0]).toBe(255);
        expect(back.vector(20, 128)).toEqual(Buffer.from(Array.from({ length: 16 }, (_, i) => 255 - i)));
        expect([back.k(5), back.k(4)]).toEqual([0xabcn, 0n]);
        expect(back.vector(21, 512)).toEqual(Buffer.alloc(64));
        expect(back.xstateBv & 0xa0n).toBe(0xa0n);
      }
      // The kernel takes back exactly the size it gave (a shorter buffer, as gdb 13.1 passes on an AMX
      // machine, is refused with EFAULT).
      await expect(inf.setXState(new XState(Buffer.from(xs.buf.subarray(0, xs.buf.length - 64))))).rejects.toThrow(/EFAULT/);
    } finally {
      await inf.kill();
    }
  });
});

describe('the engine', () => {
  itAvx('registers() and evaluate agree with gdb; writes are seen by later reads at the same stop', async () => {
    const lanes = (out: string, i: number) => gdbValues(out)[i].slice(1, -1).split(', ').map((x) => BigInt(x));
    const join = (ls: bigint[], w: number) => ls.reduceRight((acc, l) => (acc << BigInt(w)) | BigInt.asUintN(w, l), 0n);
    const cmds = ['break stop_here', 'run', 'p/x $ymm15.v4_int64', 'p $ymm1.v4_double', 'p/x $ymm0.v4_int64'];
    if (AVX512) cmds.push('p/x $zmm3.v8_int64', 'p $k3', 'p $zmm17.v8_int64', 'p/x $xmm31.v2_int64');
    const out = gdbRun(PROGRAM, [], cmds);
    const { s } = newSession();
    try {
      await s.loadProgram(PROGRAM);
      await s.setBreakpoint({ location: 'stop_here' });
      await s.launch({ program: PROGRAM, stdio: 'pipe' });
      const get = async (n: string) => (await s.registers()).find((r) => r.name === n)!;
      expect((await get('ymm15')).value).toBe(join(lanes(out, 0), 64));
      expect((await get('ymm15')).size).toBe(32);
      expect((await s.evaluate('$ymm1.v4_double', { context: 'repl' })).value).toBe(gdbValues(out)[1]);
      if (AVX512) {
        expect((await get('zmm3')).value).toBe(join(lanes(out, 3), 64));
        expect((await get('k3')).natural).toBe(gdbValues(out)[4]);
        expect((await s.evaluate('$zmm17.v8_int64', { context: 'repl' })).value).toBe(gdbValues(out)[5]);
        expect((await get('xmm31')).value).toBe(join(lanes(out, 6), 64));
        // The register list and expressions share the stop's XSAVE image: a write is seen by both.
        await s.setExpression('$k3', '7');
        expect((await get('k3')).value).toBe(7n);
        await s.setExpression('$zmm3.v16_int32[15]', '-1');
        expect((await get('zmm3')).value >> 480n).toBe(0xffffffffn);
      }
      // xmm0 is the low half of ymm0: writing it through $xmm0 keeps ymm0's upper half.
      await s.setExpression('$xmm0.v2_int64[1]', '0');
      const ymm0 = join(lanes(out, 2), 64);
      expect((await get('xmm0')).value).toBe(ymm0 & ((1n << 64n) - 1n));
      expect((await get('ymm0')).value).toBe(ymm0 & ~(((1n << 64n) - 1n) << 64n));
    } finally {
      await s.dispose();
    }
  });
});

describe('AVX registers against gdb', () => {
  let g: Transcript;
  let b: Transcript;
  beforeAll(async () => {
    if (!AVX) return;
    g = await transcript('gdb');
    b = await transcript('backstep');
  });
  afterAll(async () => {
    await waitUntil(() => leftoverTracees().length === 0, 5000, 'the debuggees to be reaped');
  });

  itAvx('-data-list-register-names: gdb\'s names and numbering for this CPU', () => {
    const names = JSON.parse(b.names.replace(/^\^done,register-names=/, '')) as string[];
    expect(names[57]).toBe('ymm0h');
    expect(names[207]).toBe('ymm0');
    if (AVX512) {
      expect(names.slice(111, 119)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
      expect(names[270]).toBe('zmm31');
    }
    expect(b.names).toBe(g.names);
  });

  itAvx('-data-list-register-values in every format', () => {
    // Known values: ymm0's upper half holds {0.1f, -0.0f, 65504.0f, 7.0f}.
    expect(b.values[1]).toContain('{number="207",value="{v16_bfloat16 = {');
    expect(b.values[1]).toContain('v8_float = {1.5, -2.25, 3, 1e+10, 0.100000001, -0, 65504, 7}');
    if (AVX512) expect(b.values[1]).toContain('{number="114",value="9223372036854775808"}'); // k3
    for (let i = 0; i < FORMATS.length; i++) expect([FORMATS[i], b.values[i].split('},{')]).toEqual([FORMATS[i], g.values[i].split('},{')]);
  });

  itAvx('in a caller frame the vector registers are the thread\'s (no unwind rules), as in gdb', () => {
    expect(b.caller).toContain('{number="207",value="{v16_bfloat16 = {');
    expect(b.caller.split('},{')).toEqual(g.caller.split('},{'));
  });

  itAvx('info registers, print and whatis of ymm registers', () => {
    expect(b.console.get('p $ymm15')!.join('')).toContain('v8_int32 = {1, -2, 3, -4, 2147483647, -2147483648, 0, 100}');
    for (const cmd of CONSOLE) expect([cmd, b.console.get(cmd)]).toEqual([cmd, g.console.get(cmd)]);
  });

  it512('info registers (k0-k7 after gs), zmm, k and xmm16-31', () => {
    const general = b.console.get('info registers')!.map((l) => /^~"(\w+)/.exec(l)?.[1]);
    expect(general.slice(-9)).toEqual(['gs', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    // The general registers hold addresses that depend on each debugger's environment: compare the k lines.
    const kLines = (t: Transcript) => t.console.get('info registers')!.filter((l) => /^~"k\d/.test(l));
    expect(kLines(b)).toEqual(kLines(g));
    expect(kLines(b)).toHaveLength(8);
    // info all-registers: the x87, mxcsr, k and zmm lines (after the general registers), in gdb's order.
    const allNames = b.console.get('info all-registers')!.map((l) => /^~"(\w+)/.exec(l)?.[1]);
    expect(allNames.slice(24, 24 + 8 + 8 + 1 + 8 + 32)).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `st${i}`), 'fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop', 'mxcsr',
      ...Array.from({ length: 8 }, (_, i) => `k${i}`), ...Array.from({ length: 32 }, (_, i) => `zmm${i}`),
    ]);
    const fixed = (t: Transcript) => t.console.get('info all-registers')!.slice(24).filter((l) => !/^~"zmm(?!3\b|17\b|31\b)/.test(l));
    expect(fixed(b)).toEqual(fixed(g));
    for (const cmd of CONSOLE_512.slice(2)) expect([cmd, b.console.get(cmd)]).toEqual([cmd, g.console.get(cmd)]);
  });
});

describe('writing vector registers', () => {
  itAvx('set var on ymm/zmm/xmm16/k lanes reaches the program; reads see the new value', async () => {
    const c = MiClient.start('backstep', [PROGRAM]);
    try {
      await c.ready();
      let tok = await c.runTo(1, 'stop_here');
      // A CLI assignment, an MI expression assignment and a varobj assignment.
      await c.result(tok++, '-interpreter-exec console "set var $ymm1.v8_int32[7] = -7"');
      expect(await c.result(tok++, '-data-evaluate-expression "$ymm1.v8_int32[0] = 12345"')).toMatch(/\^done,value="12345"/);
      expect(await c.result(tok++, '-data-evaluate-expression $ymm1.v8_int32')).toMatch(/value="\{12345, 1074340347, 0, -1075838976, -2013235812, 2117592124, 1553612652, -7\}"/);
      if (AVX512) {
        await c.result(tok++, '-interpreter-exec console "set var $zmm17.v8_int64[7] = -5"');
        await c.result(tok++, '-interpreter-exec console "set var $xmm16.v4_int32[2] = 77"');
        expect(await c.result(tok++, '-var-create k2 * $k2')).toMatch(/value="3735928559"/);
        expect(await c.result(tok++, '-var-assign k2 0x1234567890')).toMatch(/\^done,value="78187493520"/);
        expect(await c.result(tok++, '-data-evaluate-expression $k2')).toMatch(/value="78187493520"/);
        // The other registers of the same XSAVE components are untouched.
        expect(await c.result(tok++, '-data-evaluate-expression $k3')).toMatch(/value="9223372036854775808"/);
        expect(await c.result(tok++, '-data-evaluate-expression $zmm31.v16_int32')).toMatch(/value="\{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25\}"/);
      }
      const at = c.mark();
      await c.send(tok++, '-exec-continue');
      await c.waitFor((l) => /^\*stopped,reason="exited/.test(l), 15000, at);
      const out = c.lines.slice(at).join('\n');
      expect(out).toContain('ymm1.v8_int32 = 12345 1074340347 0 -1075838976 -2013235812 2117592124 1553612652 -7');
      if (AVX512) {
        expect(out).toContain('zmm17.v8_int64 = 1 -1 81985529216486895 0 42 -42 9223372036854775807 -5');
        expect(out).toContain('k2 = 0x1234567890');
        expect(out).toContain('xmm16.v4_int32 = 0 0 77 0');
      }
    } finally {
      await c.close();
    }
    await waitUntil(() => leftoverTracees().length === 0, 5000, 'the debuggee to be reaped');
  });
});

describe('DAP Registers scope', () => {
  let s: StoppedSession | undefined;
  afterAll(async () => {
    await s?.c.finish();
    await waitUntil(() => leftoverTracees().length === 0, 5000, 'the debuggee to be reaped');
  });

  itAvx('shows ymm (and zmm, k) as gdb\'s info registers does, expandable and writable', async () => {
    const names = ['ymm0', 'ymm15', ...(AVX512 ? ['zmm3', 'k3'] : [])];
    const out = gdb(['break stop_here', 'run', `info registers ${names.join(' ')} ymm15h`, 'p $ymm15.v8_int32', 'whatis $ymm0', 'echo @@all\\n', 'info all-registers'], PROGRAM);
    const info = new Map(out.split('\n').filter((l) => /^(ymm|zmm|k)\d+\s/.test(l)).map((l) => [l.split(/\s+/)[0], l]));
    s = await launchToBreakpoint(PROGRAM, SOURCE, 18);
    const regs = await s.c.scopeVars(s.frame.id, 'Registers');
    for (const n of names) {
      const v = regs.get(n);
      expect([n, v && `${n.padEnd(15)}${/^k/.test(n) ? `${`0x${BigInt(v.value).toString(16)}`.padEnd(20)}${v.value}` : v.value}`]).toEqual([n, info.get(n)]);
    }
    expect(await s.c.repl('info registers ymm15h', s.frame.id)).toBe(out.split('\n').find((l) => l.startsWith('ymm15h')));
    // The console's info all-registers lists gdb's `all` group in gdb's order.
    const gdbAll = out.split('@@all\n')[1].split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
    expect((await s.c.repl('info all-registers', s.frame.id)).split('\n').map((l) => l.split(/\s+/)[0])).toEqual(gdbAll);
    expect(regs.get('ymm0')!.type).toBe(/type = (.*)/.exec(out)![1]); // gdb: whatis $ymm0
    const views = (await s.c.variablesRequest({ variablesReference: regs.get('ymm15')!.variablesReference })).body.variables;
    expect(views.map((v) => v.name)).toEqual(['v16_bfloat16', 'v16_half', 'v8_float', 'v4_double', 'v32_int8', 'v16_int16', 'v8_int32', 'v4_int64', 'v2_int128']);
    const int32 = views.find((v) => v.name === 'v8_int32')!;
    expect(int32.value).toBe(gdbValues(out)[0]);
    // setVariable on a lane, and on k3 in the scope itself.
    const lanes = (await s.c.variablesRequest({ variablesReference: int32.variablesReference })).body.variables;
    await s.c.setVariableRequest({ variablesReference: int32.variablesReference, name: lanes[1].name, value: '222' });
    expect(await s.c.repl('p $ymm15.v8_int32', s.frame.id)).toBe('{1, 222, 3, -4, 2147483647, -2147483648, 0, 100}');
    if (AVX512) {
      const scopes = (await s.c.scopesRequest({ frameId: s.frame.id })).body.scopes;
      const ref = scopes.find((x) => x.name === 'Registers')!.variablesReference;
      await s.c.setVariableRequest({ variablesReference: ref, name: 'k3', value: '17' });
      expect(await s.c.repl('p $k3', s.frame.id)).toBe('17');
    }
  });
});
