// GDB/MI benchmarks ([6]): Eclipse CDT's DAP adapter for gdb (the `cdt-gdb-adapter` npm package) driving
// backstep-gdb and stock gdb in the same run, the same DAP session for both: time from starting the
// adapter to the first breakpoint (the adapter runs `<gdb> --version`, starts `<gdb> --interpreter=mi2`,
// loads the program, sets the breakpoint, runs), and the median `next` round trip (DAP request to the
// `stopped` event; the adapter sends -exec-next and waits for *stopped). Runs alternate between the two
// debuggers so a loaded machine affects both alike.
// Usage: npx tsc -p tsconfig.json && node dist/bench/run.js mi   (or node dist/bench/mi-bench.js)
import * as fs from 'fs';
import * as path from 'path';
import { backstepGdbWrapper, CdtClient } from '../test/mi-cdt-client';
import { BENCH_BIN, buildGenerated, hasGdb, median, Row } from './common';

const UNITS = 40;
const FUNCS = 40;
const NEXTS = 25;

const SRC_DIR = path.join(BENCH_BIN, 'mi-big-src');
const PROGRAM = path.join(BENCH_BIN, 'mi-big');
const MAIN_C = path.join(SRC_DIR, 'main.c');

function unitSource(u: number): string {
  const l: string[] = [`/* generated unit ${u} */`, `struct rec${u} { int id; double weight; const char *label; int hist[4]; };`];
  l.push(`static struct rec${u} table${u}[8];`, `int counter${u};`, '');
  for (let f = 0; f < FUNCS; f++) {
    l.push(`int u${u}_f${f}(int a, int b)`, '{', `    struct rec${u} *r = &table${u}[(a + ${f}) & 7];`, '    int acc = r->hist[a & 3];');
    l.push('    for (int i = 0; i < b; i++)', `        acc += (i * ${f + 1}) ^ a;`, `    counter${u} += acc;`);
    l.push(f > 0 ? `    return acc + u${u}_f${f - 1}(b, a & 3);` : '    return acc;', '}', '');
  }
  return l.join('\n');
}

/** main.c: a long loop of plain lines to `next` through. Returns the breakpoint line. */
function mainSource(): { text: string; bpLine: number } {
  const l: string[] = ['#include <stdio.h>', ''];
  for (let u = 0; u < UNITS; u++) l.push(`int u${u}_f${FUNCS - 1}(int a, int b);`);
  l.push('', 'struct point { int x; int y; };', '', 'int main(int argc, char **argv)', '{', '    struct point p = { 1, 2 };', '    long total = 0;');
  l.push('    for (long i = 0; i < 100000000; i++) {');
  const bpLine = l.length + 1;
  for (let k = 0; k < 16; k++) l.push(`        p.x += (int)(i ^ ${k}) & 3;`, `        p.y -= p.x >> ${k % 4};`);
  l.push('        total += p.x + p.y;', '    }');
  for (let u = 0; u < UNITS; u++) l.push(`    total += u${u}_f${FUNCS - 1}(argc, 2);`);
  l.push('    printf("%ld\\n", total);', '    return (int)(total & 1);', '}', '');
  return { text: l.join('\n'), bpLine };
}

export function buildProgram(): number {
  const { text, bpLine } = mainSource();
  buildGenerated(SRC_DIR, PROGRAM, text, UNITS, unitSource);
  return bpLine;
}

interface Sample {
  launchMs: number;
  nextMs: number[];
}

export async function session(gdb: string, bpLine: number): Promise<Sample> {
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  const t0 = process.hrtime.bigint();
  const c = new CdtClient();
  c.defaultTimeout = 120000;
  await c.start();
  try {
    const first = await c.launchTo({ program: PROGRAM, gdb, cwd: BENCH_BIN }, [{ source: MAIN_C, lines: [bpLine] }]);
    const launchMs = ms(t0);
    const threadId = first.body.threadId!;
    const at = (await c.frames(threadId))[0];
    if (at.line !== bpLine) throw new Error(`${gdb}: first stop at line ${at.line}, expected ${bpLine}`);
    // The breakpoint is in the loop: drop it so `next` steps lines.
    await c.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
    const nextMs: number[] = [];
    for (let i = 0; i < NEXTS; i++) {
      const stopped = c.nextStop();
      const t = process.hrtime.bigint();
      await c.nextRequest({ threadId });
      await stopped;
      nextMs.push(ms(t));
    }
    const after = (await c.frames(threadId))[0];
    if (after.name !== 'main' || after.line === bpLine) throw new Error(`${gdb}: ${NEXTS} nexts ended at ${after.name}:${after.line}`);
    return { launchMs, nextMs };
  } finally {
    await c.stop().catch(() => undefined);
  }
}

export async function benchMi(runs = 5): Promise<Row[]> {
  const bpLine = buildProgram();
  const wrapper = backstepGdbWrapper();
  const withGdb = hasGdb();
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // Alternate which one goes first.
      if (i % 2 === 0) ours.push(await session(wrapper.path, bpLine));
      if (withGdb) theirs.push(await session('gdb', bpLine));
      if (i % 2 === 1) ours.push(await session(wrapper.path, bpLine));
    }
  } finally {
    wrapper.dispose();
  }
  const size = (fs.statSync(PROGRAM).size / 1e6).toFixed(1);
  const col = (xs: number[]) => (xs.length ? median(xs) : undefined);
  return [
    {
      metric: `cdt-gdb-adapter: launch to first breakpoint (${size} MB program, ${UNITS + 1} units; median of ${runs})`,
      unit: 'ms',
      backstep: median(ours.map((s) => s.launchMs)),
      others: { gdb: col(theirs.map((s) => s.launchMs)) },
      higherIsBetter: false,
    },
    {
      metric: `cdt-gdb-adapter: \`next\` round trip (median of ${runs} x ${NEXTS}, request to stopped)`,
      unit: 'ms',
      backstep: median(ours.flatMap((s) => s.nextMs)),
      others: { gdb: col(theirs.flatMap((s) => s.nextMs)) },
      higherIsBetter: false,
    },
  ];
}

if (require.main === module) {
  void (async () => {
    const { printRows } = await import('./common');
    printRows('GDB/MI through cdt-gdb-adapter ([6])', await benchMi());
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
