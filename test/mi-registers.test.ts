// -data-list-register-values in every format, backstep-gdb against stock gdb 13 at the same stop:
// xmm0-15 as gdb's vec128 union (hex unpadded for x, zero-padded for z and r,
// octal, binary, signed, unsigned, and the natural form with gdb's %g digits per float format,
// NaN mantissas and `<repeats N times>`), mxcsr, the x87 registers as 80-bit values (`%.21Lg`) and
// the control registers rebuilt from FXSAVE (ftag, fiseg, fioff, foseg, fooff, fop), orig_rax.
// cdt-gdb-adapter's Registers view uses `x`.
import { fixture, leftoverTracees } from './helpers';
import { MiClient } from './mi-client';

jest.setTimeout(60000);

const PROGRAM = fixture('mi_regs');
const FORMATS = ['x', 'N', 'z', 'r', 'o', 't', 'd', 'u'];
// st0-st7, the x87 control registers, xmm0-xmm15, mxcsr, orig_rax.
const NUMBERS = [...Array.from({ length: 33 }, (_, i) => 24 + i), 154].join(' ');

async function registerValues(which: 'gdb' | 'backstep'): Promise<string[]> {
  const c = MiClient.start(which, [PROGRAM]);
  try {
    await c.ready();
    let tok = await c.runTo(1, 'stop_here');
    const out: string[] = [];
    for (const f of FORMATS) out.push((await c.result(tok++, `-data-list-register-values ${f} ${NUMBERS}`)).replace(/^\d+/, ''));
    return out;
  } finally {
    await c.close();
  }
}

test('register values in every format are gdb\'s', async () => {
  const g = await registerValues('gdb');
  const b = await registerValues('backstep');
  // stop_here(x, d = 0.1, f = -2.5): d in xmm0, f in xmm1; the x87 stack keeps what computed x.
  expect(b[1]).toMatch(/\{number="40",value="\{v8_bfloat16 = \{[^}]*\}, v8_half = \{[^}]*\}, v4_float = \{[^}]*\}, v2_double = \{0.10000000000000001, 0\}/);
  expect(b[1]).toMatch(/\{number="41",value="\{v8_bfloat16 = \{[^}]*\}, v8_half = \{[^}]*\}, v4_float = \{-2.5, 0, 0, 0\}/);
  expect(b[1]).toMatch(/\{number="3\d",value="\d\.\d{20}"\}/); // an x87 value with gdb's 21 digits
  expect(b[1]).toContain('value="nan(0xc000000000000000)"');
  expect(b[1]).toContain('{number="154",value="-1"}');
  for (let i = 0; i < FORMATS.length; i++) expect([FORMATS[i], b[i].split('},{')]).toEqual([FORMATS[i], g[i].split('},{')]);
  expect(leftoverTracees()).toEqual([]);
});
