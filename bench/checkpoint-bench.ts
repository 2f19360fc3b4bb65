// Issue [4] benchmarks: checkpoint creation and restart latency, backstep's CheckpointManager beside gdb's
// `checkpoint` / `restart 1` on the same fixture and the same stop, measured in one run.
//
// gdb 13 cannot write the XSAVE register set on CPUs with AMX (its buffer is shorter than the kernel's
// xstate size, and a partial PTRACE_SETREGSET fails with EFAULT), which breaks its inferior calls and so
// `checkpoint` ("Couldn't write extended state status: Bad address") and `restart` (internal error).
// On such CPUs gdb runs with bench/c/gdb-xstate-shim.c preloaded, which completes its buffer: gdb then
// works as it does elsewhere. The row names say when the shim was used.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { CheckpointManager } from '../src/engine/checkpoints';
import { Inferior, Tracer } from '../src/target';
import { buildC, fixture, hasGdb, median, nmAddress, Row } from './common';

const RUNS = 30;
const GDB_RUNS = 5;

/** gdb's post-prologue breakpoint address for fn (link-time), from gdb itself. */
function gdbBreakAddr(bin: string, fn: string): number {
  const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `break ${fn}`, bin], { encoding: 'utf8' });
  const m = /Breakpoint 1 at 0x([0-9a-f]+)/.exec(out);
  return m ? parseInt(m[1], 16) : nmAddress(bin, fn);
}

function needsXstateShim(): boolean {
  try {
    return /\bamx_tile\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** Like common.gdbTimed, with an environment (the shim) and the seconds of each marked section. */
function gdbSections(setup: string[], sections: string[][], program: string, args: string[], env: NodeJS.ProcessEnv): number[] {
  const cmds = ['set pagination off', 'set confirm off', ...setup];
  sections.forEach((timed, i) => {
    cmds.push('python import time; __t0 = time.time()', ...timed, `python print("ELAPSED${i} %.6f" % (time.time() - __t0))`);
  });
  const argv = ['-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c]), '--args', program, ...args];
  const out = execFileSync('gdb', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env, maxBuffer: 64 << 20 });
  return sections.map((_, i) => {
    const m = new RegExp(`ELAPSED${i} ([\\d.]+)`).exec(out);
    if (!m) throw new Error(`gdb printed no timing for section ${i}:\n${out.slice(-2000)}`);
    return Number(m[1]);
  });
}

async function launchAt(tracer: Tracer, name: string, fn: string, args: string[], hits: number): Promise<Inferior> {
  const bin = fixture(name);
  const inf = await tracer.launch({ program: bin, args, stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
  // Position-independent fixtures load at 0x555555554000 with ASLR off, as under gdb.
  const bias = fs.readFileSync(bin).readUInt16LE(16) === 3 ? 0x555555554000 : 0;
  await inf.setBreakpoint(bias + gdbBreakAddr(bin, fn), { hardware: false });
  for (let i = 0; i < hits; i++) {
    const ev = await inf.cont();
    if (ev.kind !== 'breakpoint') throw new Error(`${name}: expected a breakpoint, got ${ev.kind}`);
  }
  return inf;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Median create and restart latencies (ms), one checkpoint at a time as a user would. */
async function backstep(tracer: Tracer, name: string, fn: string, args: string[]): Promise<{ create: number; restart: number }> {
  const create: number[] = [];
  const restart: number[] = [];
  let current = await launchAt(tracer, name, fn, args, 3);
  const mgr = new CheckpointManager(tracer);
  try {
    for (let i = 0; i < RUNS; i++) {
      let t0 = process.hrtime.bigint();
      const ck = await mgr.create(current);
      create.push(ms(t0));
      t0 = process.hrtime.bigint();
      const r = await mgr.restart(ck.id, current);
      restart.push(ms(t0));
      current = r.inferior;
      // Untimed: back to one process and no checkpoint, as at the start of the round.
      await mgr.deleteAll();
    }
  } finally {
    await current.kill().catch(() => undefined);
    await mgr.dispose();
  }
  return { create: median(create), restart: median(restart) };
}

function gdb(name: string, fn: string, args: string[], env: NodeJS.ProcessEnv): { create: number; restart: number } {
  const create: number[] = [];
  const restart: number[] = [];
  for (let i = 0; i < GDB_RUNS; i++) {
    const [c, r] = gdbSections([`break ${fn}`, 'run', 'continue', 'continue'], [['checkpoint'], ['restart 1']], fixture(name), args, env);
    create.push(c * 1000);
    restart.push(r * 1000);
  }
  return { create: median(create), restart: median(restart) };
}

/** Extra memory per untouched checkpoint of a 256 MiB heap (MemAvailable, KiB), backstep only. */
async function memoryPerCheckpoint(tracer: Tracer): Promise<number> {
  const inf = await launchAt(tracer, 'bigheap', 'ready', ['256', '1'], 1);
  const mgr = new CheckpointManager(tracer);
  const avail = () => Number(/^MemAvailable:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]);
  try {
    const before = avail();
    for (let i = 0; i < 50; i++) await mgr.create(inf);
    return (before - avail()) / 50;
  } finally {
    await mgr.dispose();
    await inf.kill();
  }
}

export async function benchCheckpoints(): Promise<Row[]> {
  const tracer = await Tracer.create();
  const haveGdb = hasGdb();
  const shim = needsXstateShim();
  const env = { ...process.env };
  if (shim) env.LD_PRELOAD = buildC('gdb-xstate-shim', ['-shared', '-fPIC', '-ldl']);
  const gdbName = shim ? 'gdb (xstate shim)' : 'gdb';
  let small: { create: number; restart: number };
  let big: { create: number; restart: number };
  let mem: number;
  try {
    small = await backstep(tracer, 'ckpt', 'tick', ['1000000']);
    big = await backstep(tracer, 'bigheap', 'ready', ['256', '1000000']);
    mem = await memoryPerCheckpoint(tracer);
  } finally {
    await tracer.close();
  }
  const gSmall = haveGdb ? gdb('ckpt', 'tick', ['1000000'], env) : undefined;
  const gBig = haveGdb ? gdb('bigheap', 'ready', ['256', '1000000'], env) : undefined;
  return [
    {
      metric: 'checkpoint (small program, stopped at a breakpoint)',
      unit: 'ms',
      backstep: small.create,
      others: { [gdbName]: gSmall?.create },
      higherIsBetter: false,
      bars: [{ against: gdbName, ratio: 20 }],
    },
    {
      metric: 'restart 1 (switch to a fresh copy of the checkpoint; the process left is kept)',
      unit: 'ms',
      backstep: small.restart,
      others: { [gdbName]: gSmall?.restart },
      higherIsBetter: false,
      bars: [{ against: gdbName, ratio: 10 }],
    },
    {
      metric: 'checkpoint of a process with 256 MiB of touched heap (4 KiB pages)',
      unit: 'ms',
      backstep: big.create,
      others: { [gdbName]: gBig?.create },
      higherIsBetter: false,
    },
    {
      metric: 'restart 1 of that process',
      unit: 'ms',
      backstep: big.restart,
      others: { [gdbName]: gBig?.restart },
      higherIsBetter: false,
    },
    {
      metric: 'memory per untouched checkpoint of that process (MemAvailable drop over 50)',
      unit: 'KiB',
      backstep: mem,
      others: {},
      higherIsBetter: false,
    },
  ];
}
