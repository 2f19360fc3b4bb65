// A pause over GDB/MI (-exec-interrupt) of a recorded program, then reverse-next back across the point
// where it was interrupted (backstep-gdb). Oracle: the program itself — rx_hot run natively with argument
// k prints its sum after k iterations; a stop at line 12 of iteration i has sum = that of i iterations.
import { execFileSync } from 'child_process';
import { fixture, leftoverTracees } from './helpers';
import { MiClient } from './mi-client';

jest.setTimeout(120_000);

const BIN = fixture('rx_hot');
const N = 400_000_000;

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('-exec-interrupt of a recorded run, then -exec-next --reverse across the interruption', async () => {
  const c = MiClient.start('backstep', []);
  let tok = 1;
  const value = async (expr: string) => {
    const res = await c.send(tok++, `-data-evaluate-expression ${expr}`);
    const m = /\^done,value="([^"]*)"/.exec(res[res.length - 1]);
    if (!m) throw new Error(`${expr}: ${res.join('\n')}`);
    return m[1];
  };
  const stopLine = (stop: string) => Number(/line="(\d+)"/.exec(stop)?.[1]);
  try {
    await c.ready();
    // Commands are read while the program runs only with mi-async on (as gdb).
    await c.send(tok++, '-gdb-set mi-async on');
    await c.send(tok++, `-file-exec-and-symbols ${BIN}`);
    await c.send(tok++, `-exec-arguments ${N}`);
    await c.send(tok++, '-break-insert rx_hot.c:10');
    let from = c.mark();
    await c.send(tok++, '-exec-run');
    await c.stopped(from);
    await c.send(tok++, '-interpreter-exec console "record"');
    await c.send(tok++, '-break-delete');
    from = c.mark();
    await c.send(tok++, '-exec-continue');
    await new Promise((r) => setTimeout(r, 80));
    await c.send(tok++, '-exec-interrupt');
    const paused = await c.stopped(from);
    expect(paused).toContain('*stopped');
    const i0 = BigInt(await value('i'));
    expect(i0 > 0n && i0 < BigInt(N)).toBe(true);
    // Back across the interruption: each stop agrees with the program.
    const seen: { line: number; i: bigint }[] = [];
    for (let k = 0; k < 4; k++) {
      from = c.mark();
      await c.send(tok++, '-exec-next --reverse');
      const stop = await c.stopped(from);
      const line = stopLine(stop);
      const i = BigInt(await value('i'));
      const sum = BigInt(await value('sum'));
      expect([11, 12]).toContain(line);
      const k2 = line === 12 ? i : i + 1n;
      expect(sum).toBe(BigInt(execFileSync(BIN, [String(k2)], { encoding: 'utf8' }).trim()));
      seen.push({ line, i });
    }
    expect(seen[seen.length - 1].i < i0).toBe(true);
  } finally {
    await c.close();
  }
});
