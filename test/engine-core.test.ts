// The CPU a stopped thread last ran on (MI's `core`): the engine's answer without /proc (a launched
// program runs pinned to the tracer's CPU) must be the kernel's, field 39 of /proc/PID/task/TID/stat,
// at every kind of stop: a breakpoint, `next`s, a long continue that ran unpinned, and after the
// program changed its own affinity (then the engine does not claim to know).
import * as fs from 'fs';
import { fixture, leftoverTracees } from './helpers';
import { newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

function kernelCore(pid: number, tid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
}

describe('threadCore', () => {
  let s: Session;
  afterEach(async () => {
    await s?.dispose();
  });
  afterAll(() => expect(leftoverTracees()).toEqual([]));

  test('equals the kernel\'s processor field at a breakpoint, after nexts and after a long (unpinned) run', async () => {
    ({ s } = newSession());
    await s.loadProgram(fixture('rx_hot'));
    await s.setBreakpoint({ location: 'rx_hot.c:9' });
    const first = await s.launch({ program: fixture('rx_hot'), args: ['300000000'] });
    const pid = s.pid!;
    // Every answer the engine gives is the kernel's; a run that took longer than the unpinning delay
    // (5 ms: the first `next` loads the x86 decoder) may leave it unknown.
    let known = 0;
    const check = (tid: number) => {
      const core = s.threadCore(tid);
      if (core === undefined) return;
      known++;
      expect(core).toBe(kernelCore(pid, tid));
    };
    check(first.threadId!);
    for (let i = 0; i < 6; i++) check((await s.next()).threadId!);
    // (A `next` slower than 5 ms, as under a loaded machine, leaves its stop unknown.)
    expect(known).toBeGreaterThanOrEqual(1);
    // A breakpoint after the hot loop: the run takes long enough to be spread over all CPUs.
    await s.setBreakpoint({ location: 'rx_hot.c:14' });
    const after = await s.cont();
    expect(after.frame?.line).toBe(14);
    // Spread over the CPUs for that run (on a machine with more than one): unknown then, or the kernel's.
    const c = s.threadCore(after.threadId!);
    if (c !== undefined) expect(c).toBe(kernelCore(pid, after.threadId!));
    // The next steps run pinned again.
    known = 0;
    for (let i = 0; i < 3; i++) check((await s.next()).threadId!);
    expect(known).toBeGreaterThanOrEqual(1);
  });
});
