// CPU pinning of a running program (docs/architecture.md, "CPU pinning"): a continue that computes
// without stopping for a while is spread over the debugger's CPUs; one that keeps stopping (here a
// breakpoint hit thousands of times under its ignore count, handled inside the tracer) stays on the
// tracer's CPU, where each of those stops is ~3.5x cheaper. Observed as the kernel shows the running
// program's threads (Cpus_allowed_list of /proc/PID/status) while the continue is in flight.
import * as fs from 'fs';
import * as os from 'os';
import { Tracer } from '../src/target';
import { fixture, leftoverTracees, loadBias, nmAddress } from './helpers';

jest.setTimeout(120000);

function allowedCpus(pid: number): string {
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tracer: Tracer;
beforeAll(async () => {
  tracer = await Tracer.create();
});
afterAll(async () => {
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

const multiCpu = os.cpus().length > 1;

(multiCpu ? test : test.skip)('a long computation is spread over the CPUs, a run of frequent stops stays pinned', async () => {
  const pinned = tracer.pinnedCpu;
  expect(pinned).toBeDefined();
  const bin = fixture('loop');

  // No breakpoint: one long computation.
  const busy = await tracer.launch({ program: bin, args: ['2000000000'], stdio: [-1, -1, -1] });
  expect(allowedCpus(busy.pid)).toBe(String(pinned));
  const running = busy.cont();
  // Spread after 5 ms without a stop (allowing a loaded machine's timer delays).
  const t0 = Date.now();
  while (allowedCpus(busy.pid) === String(pinned) && Date.now() - t0 < 2000) await sleep(10);
  expect(allowedCpus(busy.pid)).not.toBe(String(pinned));
  await busy.kill();
  await running.catch(() => undefined);

  // A breakpoint in the loop's callee, hit on every iteration and passed by the tracer (ignore count).
  // (A machine loaded enough to hold the tracer off the CPU for 5 ms spreads the run too: tried up
  // to three times, one run must stay pinned.)
  let stayedPinned = false;
  for (let attempt = 0; attempt < 3 && !stayedPinned; attempt++) {
    const hits = await tracer.launch({ program: bin, args: ['20000'], stdio: [-1, -1, -1] });
    const hot = loadBias(hits.pid, bin) + nmAddress(bin, 'hot');
    await hits.setBreakpoint(hot, { ignoreCount: Number.MAX_SAFE_INTEGER });
    const run = hits.cont();
    await sleep(60);
    stayedPinned = allowedCpus(hits.pid) === String(pinned);
    const ev = await run;
    expect(ev.kind).toBe('exited');
  }
  expect(stayedPinned).toBe(true);
});
