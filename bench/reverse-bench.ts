// Reverse execution (docs/reverse.md): what recording costs forward, and how fast stepping back is,
// beside gdb's `record full` where gdb manages it. Exported for bench/run.ts.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { Session } from '../src/engine/session';
import { Tracer } from '../src/target';
import { startRecording } from '../src/target/recording-setup';
import { fixture, fmt, gdbTimed, hasGdb, Row } from './common';

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

function nativeSeconds(bin: string, args: string[]): number {
  const t = process.hrtime.bigint();
  spawnSync(bin, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Launch to exit under the tracer, recorded (filter, vDSO patch, one checkpoint) or not. */
async function tracedSeconds(tracer: Tracer, bin: string, args: string[], record: boolean): Promise<number> {
  // The program's output (rx_hot prints numbers) goes to /dev/null, as the native run's does.
  const devNull = fs.openSync('/dev/null', 'w');
  const t = process.hrtime.bigint();
  const inf = await tracer.launch({ program: bin, args, stdio: [-1, devNull, devNull] }).finally(() => fs.closeSync(devNull));
  let ck: number | undefined;
  if (record) {
    await startRecording(inf);
    ck = (await inf.forkCheckpoint()).pid;
  }
  const ev = await inf.cont();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (ev.kind !== 'exited') throw new Error(`unexpected stop ${ev.kind}`);
  if (ck !== undefined) await tracer.killCheckpoint(ck);
  return s;
}

async function reverseNextTimes(n: number, count: number): Promise<number[]> {
  const s = new Session();
  const bin = fixture('rx_hot');
  const times: number[] = [];
  try {
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'rx_hot.c:14' });
    await s.launch({ program: bin, args: [String(n)], record: true, stdio: 'pipe' });
    for (let i = 0; i < count; i++) {
      const t = process.hrtime.bigint();
      await s.reverseNext();
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    await s.dispose();
  }
  return times;
}

/**
 * A long uninterrupted run (rx_hot n iterations to the breakpoint after the loop), then one reverse-next:
 * with periodic checkpoints every periodicMs (0: none, the search replays the run from its start).
 */
async function afterLongRun(n: number, periodicMs: number): Promise<{ runMs: number; backMs: number; checkpoints: number }> {
  const s = new Session();
  const bin = fixture('rx_hot');
  try {
    (s.reverseProvider as unknown as { configure(o: { periodicMs: number }): void }).configure({ periodicMs });
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'rx_hot.c:14' });
    let t = process.hrtime.bigint();
    await s.launch({ program: bin, args: [String(n)], record: true, stdio: 'pipe' });
    const runMs = Number(process.hrtime.bigint() - t) / 1e6;
    const tl = (s.reverseProvider as unknown as { timeline: { trail: unknown[] } }).timeline;
    const checkpoints = tl.trail.length;
    t = process.hrtime.bigint();
    await s.reverseNext();
    return { runMs, backMs: Number(process.hrtime.bigint() - t) / 1e6, checkpoints };
  } finally {
    await s.dispose();
  }
}

const TUNABLES = 'GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-EVEX';

function gdbReverseNext(n: number): number | undefined {
  try {
    return (
      1000 *
      gdbTimed([`set environment ${TUNABLES}`, 'break main', 'run', 'record full', 'set record full insn-number-max unlimited', 'break 14', 'continue'], ['reverse-next'], fixture('rx_hot'), [
        String(n),
      ])
    );
  } catch {
    return undefined;
  }
}

export async function benchReverse(runs = 3): Promise<Row[]> {
  const tracer = await Tracer.create();
  const hot = fixture('rx_hot');
  const sys = fixture('rx_sys');
  const hotArgs = ['50000000'];
  const sysArgs = ['200000'];
  const r = { hotNat: [] as number[], hotTr: [] as number[], hotRec: [] as number[], sysNat: [] as number[], sysTr: [] as number[], sysRec: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      r.hotNat.push(nativeSeconds(hot, hotArgs));
      r.hotTr.push(await tracedSeconds(tracer, hot, hotArgs, false));
      r.hotRec.push(await tracedSeconds(tracer, hot, hotArgs, true));
      r.sysNat.push(nativeSeconds(sys, sysArgs));
      r.sysTr.push(await tracedSeconds(tracer, sys, sysArgs, false));
      r.sysRec.push(await tracedSeconds(tracer, sys, sysArgs, true));
    }
  } finally {
    await tracer.close();
  }
  // ~10^6 instructions: 100,000 iterations of the loop (about 10 instructions each).
  const small = await reverseNextTimes(100_000, 5);
  const big = await reverseNextTimes(5_000_000, 2);
  const gdb = hasGdb() ? gdbReverseNext(100_000) : undefined;
  // A reverse command after a long run (2·10^8 iterations, ~0.5 s native), periodic checkpoints on and
  // off, interleaved.
  const long = { on: [] as number[], off: [] as number[], runOn: [] as number[], runOff: [] as number[] };
  for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
    const a = await afterLongRun(200_000_000, 250);
    long.on.push(a.backMs);
    long.runOn.push(a.runMs);
    const b = await afterLongRun(200_000_000, 0);
    long.off.push(b.backMs);
    long.runOff.push(b.runMs);
  }
  void execFileSync;
  return [
    {
      metric: 'forward run recorded, compute-heavy (rx_hot 5e7 iterations), time / native',
      unit: 'x native',
      backstep: median(r.hotRec) / median(r.hotNat),
      others: { 'traced, not recorded': median(r.hotTr) / median(r.hotNat) },
      higherIsBetter: false,
      bars: [{ against: 'native', ratio: 1.5 }],
    },
    {
      metric: 'forward run recorded, syscall-heavy (rx_sys 2e5 writes), time / native',
      unit: 'x native',
      backstep: median(r.sysRec) / median(r.sysNat),
      others: { 'traced, not recorded': median(r.sysTr) / median(r.sysNat) },
      higherIsBetter: false,
      bars: [{ against: 'native', ratio: 3 }],
    },
    {
      metric: 'reverse-next after ~10^6 instructions (median of 5)',
      unit: 'ms',
      backstep: median(small),
      others: { 'gdb record full': gdb },
      higherIsBetter: false,
      bars: [{ against: 'bar 50 ms', ratio: 1 }],
    },
    {
      metric: 'reverse-next after a long run (rx_hot 2e8 iterations), periodic checkpoints every 250 ms',
      unit: 'ms',
      backstep: median(long.on),
      others: { 'no periodic checkpoints': median(long.off), 'forward run (periodic)': median(long.runOn), 'forward run (none)': median(long.runOff) },
      higherIsBetter: false,
      bars: [],
    },
    {
      metric: 'step back onto the last iteration of a 5,000,000-iteration loop (first reverse-next)',
      unit: 'ms',
      backstep: big[0],
      others: { 'second reverse-next': big[1], 'gdb record full': undefined },
      higherIsBetter: false,
      bars: [{ against: 'bar 1000 ms', ratio: 1 }],
    },
  ];
}

if (require.main === module) {
  benchReverse(Number(process.argv[2] ?? 3)).then(
    (rows) => {
      for (const row of rows) {
        console.log(`${row.metric}: ${fmt(row.backstep)} ${row.unit}  ${Object.entries(row.others).map(([k, v]) => `${k}: ${fmt(v)}`).join('  ')}`);
      }
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
