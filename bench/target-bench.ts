// Issue [1] benchmarks: single-step throughput and breakpoint round trips, backstep against gdb and a
// bare C loop of the same ptrace calls, measured side by side in one run.
import { execFileSync } from 'child_process';
import { Tracer } from '../src/target';
import { buildC, fixture, gdbTimed, hasGdb, median, nmAddress, Row } from './common';

const STEPS = 200_000;
const GDB_STEPS = 40_000;
const HITS = 100_000;
const GDB_HITS = 20_000;

async function backstepSteps(tracer: Tracer): Promise<number> {
  const inf = await tracer.launch({ program: fixture('loop'), args: ['100000000'], stdio: [-1, -1, -1] });
  const t0 = process.hrtime.bigint();
  const { steps } = await inf.stepMany(STEPS);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  await inf.kill();
  return steps / dt;
}

async function backstepHits(tracer: Tracer): Promise<number> {
  const bin = fixture('loop');
  const inf = await tracer.launch({ program: bin, args: [String(HITS)], stdio: [-1, -1, -1] });
  // PIE, ASLR off: the executable is loaded at 0x555555554000.
  const hot = 0x555555554000 + nmAddress(bin, 'hot');
  await inf.setBreakpoint(hot, { ignoreCount: Number.MAX_SAFE_INTEGER });
  const t0 = process.hrtime.bigint();
  const ev = await inf.cont();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (ev.kind !== 'exited') throw new Error(`unexpected stop ${ev.kind}`);
  return HITS / dt;
}

function cSteps(): number {
  const exe = buildC('steploop');
  return Number(execFileSync(exe, ['steps', String(STEPS), fixture('loop'), '100000000'], { encoding: 'utf8' }).trim());
}

function cHits(): number {
  const exe = buildC('steploop');
  const bin = fixture('loop');
  const off = nmAddress(bin, 'hot').toString(16);
  const out = execFileSync(exe, ['bphits', off, String(HITS), bin, String(HITS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const last = out.trim().split('\n').pop()!; // the traced program prints to the same stdout first
  return Number(last.split(' ')[0]);
}

function gdbSteps(): number {
  const dt = gdbTimed(['starti'], [`stepi ${GDB_STEPS}`], fixture('loop'), ['100000000']);
  return GDB_STEPS / dt;
}

function gdbHits(): number {
  const dt = gdbTimed(['break hot if counter < 0', 'starti'], ['continue'], fixture('loop'), [String(GDB_HITS)]);
  return GDB_HITS / dt;
}

export async function benchTarget(runs = 3): Promise<Row[]> {
  const tracer = await Tracer.create();
  const gdb = hasGdb();
  const s = { backstep: [] as number[], gdb: [] as number[], c: [] as number[] };
  const h = { backstep: [] as number[], gdb: [] as number[], c: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      s.backstep.push(await backstepSteps(tracer));
      s.c.push(cSteps());
      if (gdb) s.gdb.push(gdbSteps());
      h.backstep.push(await backstepHits(tracer));
      h.c.push(cHits());
      if (gdb) h.gdb.push(gdbHits());
    }
  } finally {
    await tracer.close();
  }
  return [
    {
      metric: 'single-step throughput',
      unit: 'steps/s',
      backstep: median(s.backstep),
      others: { gdb: gdb ? median(s.gdb) : undefined, 'bare C loop': median(s.c) },
      higherIsBetter: true,
      bars: [
        { against: 'gdb', ratio: 2 },
        { against: 'bare C loop', ratio: 0.9 },
      ],
    },
    {
      metric: 'breakpoint round trips (hit, step over, resume; gdb: condition false)',
      unit: 'hits/s',
      backstep: median(h.backstep),
      others: { gdb: gdb ? median(h.gdb) : undefined, 'bare C loop': median(h.c) },
      higherIsBetter: true,
      bars: [{ against: 'gdb', ratio: 6 }],
    },
  ];
}
