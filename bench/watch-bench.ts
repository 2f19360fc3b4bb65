// Watchpoint benchmarks (issue [7]): a software watchpoint (single-stepping inside the tracer and
// comparing the watched bytes after every instruction) from main to the program's exit, beside gdb
// doing the same (`set can-use-hw-watchpoints 0`, its own single-step loop) in the same run; and the
// hit rate of a hardware write watch that triggers on every call (a debug-register trap, value read,
// stop reported, continue), beside gdb's `watch counter`.
import { Session } from '../src/engine/session';
import { fixture, gdbTimed, hasGdb, median, Row } from './common';

const CALLS = 2000;
/** 40 bytes of .rodata that never change: the watch only costs, it never stops. */
const SW_EXPR = '*(char (*)[40])greeting';

async function backstepSoftware(): Promise<number> {
  const s = new Session();
  try {
    const program = fixture('loop');
    await s.launch({ program, args: [String(CALLS)], stdio: 'pipe', stopAt: 'main' });
    const w = await s.setWatchpoint({ expression: SW_EXPR });
    if (!w.software) throw new Error('expected a software watchpoint');
    const t0 = process.hrtime.bigint();
    const end = await s.cont();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (end.reason !== 'exited') throw new Error(`expected the program to exit, got ${end.reason}`);
    return dt;
  } finally {
    await s.dispose();
  }
}

function gdbSoftware(): number {
  return gdbTimed(['break main', 'run', 'set can-use-hw-watchpoints 0', `watch ${SW_EXPR}`], ['continue'], fixture('loop'), [String(CALLS)]);
}

async function backstepHardwareHits(): Promise<number> {
  const s = new Session();
  try {
    const program = fixture('loop');
    await s.launch({ program, args: [String(CALLS)], stdio: 'pipe', stopAt: 'main' });
    await s.setWatchpoint({ expression: 'counter' });
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (;;) {
      const stop = await s.cont();
      if (stop.reason !== 'watchpoint') break;
      hits++;
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (hits !== CALLS) throw new Error(`expected ${CALLS} hits, got ${hits}`);
    return hits / dt;
  } finally {
    await s.dispose();
  }
}

function gdbHardwareHits(): number {
  const loop = `python\nfor i in range(${CALLS}): gdb.execute('continue', to_string=True)\nend`;
  return CALLS / gdbTimed(['break main', 'run', 'watch counter'], [loop], fixture('loop'), [String(CALLS)]);
}

export async function benchWatch(runs = 3): Promise<Row[]> {
  const gdb = hasGdb();
  const sw: number[] = [];
  const gsw: number[] = [];
  const hw: number[] = [];
  const ghw: number[] = [];
  // Interleaved, medians: the machine is shared.
  for (let i = 0; i < runs; i++) {
    sw.push(await backstepSoftware());
    if (gdb) gsw.push(gdbSoftware());
    hw.push(await backstepHardwareHits());
    if (gdb) ghw.push(gdbHardwareHits());
  }
  return [
    { metric: `software watchpoint, loop ${CALLS} from main to exit`, unit: 's', backstep: median(sw), others: { gdb: gdb ? median(gsw) : undefined }, higherIsBetter: false },
    { metric: 'hardware write watch stops (watch counter)', unit: 'stops/s', backstep: median(hw), others: { gdb: gdb ? median(ghw) : undefined }, higherIsBetter: true },
  ];
}

if (require.main === module) {
  benchWatch(Number(process.argv[2] ?? 3))
    .then((rows) => {
      for (const r of rows) console.log(`${r.metric}: backstep ${r.backstep.toFixed(3)} ${r.unit}, gdb ${r.others.gdb?.toFixed(3) ?? '-'} ${r.unit}`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
