// `npm run bench [target ...]`: runs the benchmarks and prints backstep's figures beside gdb's (and other
// references) measured in the same run, with the ratios and the issues' bars. Timing lives here, never
// in tests.
import { benchCheckpoints } from './checkpoint-bench';
import { printRows, Row } from './common';
import { benchDap } from './dap-bench';
import { benchEngine } from './engine-bench';
import { benchExpr } from './expr-bench';
import { benchMi } from './mi-bench';
import { benchReverse } from './reverse-bench';
import { benchTarget } from './target-bench';
import { benchWatch } from './watch-bench';

const SUITES: Record<string, { title: string; run: () => Promise<Row[]> }> = {
  target: { title: 'Run control ([1] engine foundation)', run: () => benchTarget() },
  engine: { title: 'Source-level debugging ([2])', run: () => benchEngine() },
  expr: { title: 'Expressions ([7])', run: () => benchExpr() },
  watch: { title: 'Watchpoints ([7])', run: () => benchWatch() },
  checkpoint: { title: 'Checkpoints ([4])', run: () => benchCheckpoints() },
  reverse: { title: 'Reverse execution ([5])', run: () => benchReverse() },
  dap: { title: 'DAP session ([3])', run: () => benchDap() },
  mi: { title: 'GDB/MI through cdt-gdb-adapter ([6])', run: () => benchMi() },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(SUITES);
  for (const n of names) {
    const s = SUITES[n];
    if (!s) throw new Error(`unknown bench suite '${n}' (have: ${Object.keys(SUITES).join(', ')})`);
    printRows(s.title, await s.run());
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
