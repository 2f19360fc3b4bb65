// What checkpoints cost in memory, measured by the kernel (/proc/meminfo MemAvailable and
// /proc/PID/smaps_rollup): copy-on-write makes an untouched checkpoint cost page tables only.
import * as fs from 'fs';
import { CheckpointManager, memoryUsage } from '../src/engine/checkpoints';
import { Tracer } from '../src/target';
import { isGoneOrZombie, leftoverTracees } from './helpers';
import { launchTo } from './checkpoint-helpers';

let tracer: Tracer;

beforeAll(async () => {
  tracer = await Tracer.create();
});

afterAll(async () => {
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

function memAvailableKb(): number {
  return Number(/^MemAvailable:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]);
}

test('200 checkpoints of a process with 256 MiB of touched heap cost a few MiB each while untouched', async () => {
  const l = await launchTo(tracer, 'bigheap', 'ready', ['256', '1'], [-1, fs.openSync('/dev/null', 'w'), -1]);
  const mainRss = memoryUsage(l.inf.pid)!;
  expect(mainRss.rssKb).toBeGreaterThan(256 * 1024); // the heap is really there
  const mgr = new CheckpointManager(tracer, { maxCheckpoints: 256 });
  const before = memAvailableKb();
  for (let i = 0; i < 200; i++) await mgr.create(l.inf);
  const after = memAvailableKb();
  const perCheckpointKb = (before - after) / 200;
  // Page tables for 256 MiB of 4 KiB pages are 512 KiB; "a few MiB" is the bar (other tests run meanwhile).
  expect(perCheckpointKb).toBeLessThan(4 * 1024);
  const entries = mgr.list(l.inf);
  expect(entries).toHaveLength(201); // the current process and 200 checkpoints
  for (const e of entries.filter((x) => !x.current)) {
    // Each holds the whole heap (shared with the others) and almost nothing of its own.
    expect(e.memory!.rssKb).toBeGreaterThan(256 * 1024);
    expect(e.memory!.privateDirtyKb).toBeLessThan(1024);
  }
  const pids = mgr.all().map((c) => c.pid);
  await mgr.dispose();
  for (const pid of pids) expect(isGoneOrZombie(pid)).toBe(true);
  await l.inf.kill();
}, 120_000);

test('pages the program rewrites after a checkpoint become the checkpoint\'s own (reported per checkpoint)', async () => {
  // 32 MiB touched, then 16 MiB rewritten before the second ready().
  const l = await launchTo(tracer, 'bigheap', 'ready', ['32', '2', '16'], [-1, fs.openSync('/dev/null', 'w'), -1]);
  const mgr = new CheckpointManager(tracer);
  const ck = await mgr.create(l.inf);
  const fresh = mgr.list(l.inf).find((e) => e.id === ck.id)!.memory!;
  expect(fresh.privateDirtyKb).toBeLessThan(1024);
  expect(await l.inf.cont()).toMatchObject({ kind: 'breakpoint' });
  const later = mgr.list(l.inf).find((e) => e.id === ck.id)!.memory!;
  // The old copies of the 16 MiB stay with the checkpoint alone (the rewrites already happened once before
  // the first ready(), so the heap was already the program's own).
  expect(later.privateDirtyKb).toBeGreaterThanOrEqual(16 * 1024);
  expect(later.privateDirtyKb).toBeLessThan(16 * 1024 + 2048);
  await mgr.dispose();
  await l.inf.kill();
});
