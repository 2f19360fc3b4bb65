// System-call recording and replay in the target layer (src/target/recording.ts): a copy of the program
// resumed from a checkpoint sees exactly what the live program saw (stdin, time, random bytes, pid),
// does not consume input again, does not print again, and a divergence is reported.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Inferior, Tracer } from '../src/target';
import { RecordingInfo } from '../src/target/recording';
import { recordingInfo, startRecording, startReplay, vdsoRange, vdsoSymbols } from '../src/target/recording-setup';
import { fixture, leftoverTracees, loadBias, nmAddress } from './helpers';

let tracer: Tracer;
let dir: string;

beforeAll(async () => {
  tracer = await Tracer.create();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-rec-'));
});

afterAll(async () => {
  await tracer.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(leftoverTracees()).toEqual([]);
});

const BIN = () => fixture('rx_nondet');

interface Results {
  input: string;
  nread: number;
  t: number;
  tsSec: number;
  tsNsec: number;
  tvSec: number;
  tvUsec: number;
  rnd: number;
  pid: number;
}

function readResults(inf: Inferior, addr: number): Results {
  const b = inf.readMemorySync(addr, 64 + 8 * 7 + 8);
  return {
    input: b.toString('latin1', 0, 64).replace(/\0.*$/s, ''),
    nread: Number(b.readBigInt64LE(64)),
    t: Number(b.readBigInt64LE(72)),
    tsSec: Number(b.readBigInt64LE(80)),
    tsNsec: Number(b.readBigInt64LE(88)),
    tvSec: Number(b.readBigInt64LE(96)),
    tvUsec: Number(b.readBigInt64LE(104)),
    rnd: b.readUInt32LE(112),
    pid: b.readInt32LE(116),
  };
}

async function launchRecorded(tag: string): Promise<{ inf: Inferior; out: string; info: RecordingInfo; stdinFd: number; outFd: number }> {
  const inPath = path.join(dir, `${tag}.in`);
  fs.writeFileSync(inPath, 'hello\n');
  const out = path.join(dir, `${tag}.out`);
  const stdinFd = fs.openSync(inPath, 'r');
  const outFd = fs.openSync(out, 'w');
  const inf = await tracer.launch({ program: BIN(), stdio: [stdinFd, outFd, -1] });
  const info = await startRecording(inf);
  return { inf, out, info, stdinFd, outFd };
}

test('the vDSO time functions are found in the program and patched into system calls', async () => {
  const inf = await tracer.launch({ program: BIN(), stdio: [-1, -1, -1] });
  const range = vdsoRange(inf.pid)!;
  expect(range).toBeDefined();
  const syms = vdsoSymbols(inf.readMemorySync(range[0], range[1] - range[0]), range[0]);
  const cg = syms.get('__vdso_clock_gettime')!;
  expect(cg).toBeGreaterThanOrEqual(range[0]);
  expect(cg).toBeLessThan(range[1]);
  await startRecording(inf);
  // mov $228, %eax; syscall; ret
  expect([...inf.readMemorySync(cg, 8)]).toEqual([0xb8, 228, 0, 0, 0, 0x0f, 0x05, 0xc3]);
  await inf.kill();
});

test('a replayed copy sees the same input, times, random bytes and pid, and neither reads nor prints again', async () => {
  const { inf, out, info, stdinFd, outFd } = await launchRecorded('same');
  expect(info).toMatchObject({ mode: 'record', cursor: 0 });
  const ck = await inf.forkCheckpoint();
  const bias = loadBias(inf.pid, BIN());
  const done = bias + nmAddress(BIN(), 'done');
  const resAddr = bias + nmAddress(BIN(), 'res');
  await inf.setBreakpoint(done);
  expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: done });
  const live = readResults(inf, resAddr);
  expect(live.input).toBe('hello\n');
  expect(live.nread).toBe(6);
  expect(live.pid).toBe(inf.pid);
  expect(Math.abs(live.t - Date.now() / 1000)).toBeLessThan(60);
  const liveInfo = await recordingInfo(inf);
  expect(liveInfo.length).toBeGreaterThan(5);
  // What was recorded: the read of stdin with its bytes, getrandom, getpid, the time calls.
  const entries = (await inf.recording({ action: 'entries', log: liveInfo.log!, from: 0, to: liveInfo.length })) as {
    nr: number;
    ret: string;
    out: { addr: number; data: Uint8Array }[];
  }[];
  const readOfStdin = entries.find((e) => e.nr === 0 && e.ret === '6');
  expect(readOfStdin).toBeDefined();
  expect(Buffer.from(readOfStdin!.out[0].data).toString()).toBe('hello\n');
  for (const nr of [201, 228, 96, 318, 39]) expect(entries.some((e) => e.nr === nr)).toBe(true);

  // Let time move on, then replay from the checkpoint.
  await new Promise((r) => setTimeout(r, 1100));
  const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid);
  await startReplay(copy, liveInfo.log!, 0);
  await copy.setBreakpoint(done);
  expect(await copy.cont()).toMatchObject({ kind: 'breakpoint', pc: done });
  const replayed = readResults(copy, resAddr);
  expect(replayed).toEqual(live);
  expect(copy.pid).not.toBe(inf.pid);
  const rinfo = await recordingInfo(copy);
  expect(rinfo).toMatchObject({ mode: 'replay', cursor: liveInfo.length });
  expect(rinfo.suppressedWrites).toBeGreaterThanOrEqual(1);
  // The copy ran to the end without printing; the live program's one line is all there is.
  expect(await copy.cont()).toMatchObject({ kind: 'exited', code: 0 });
  expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 0 });
  const text = fs.readFileSync(out, 'utf8');
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text).toContain(`rnd=${live.rnd} pid=${live.pid}`);
  await tracer.killCheckpoint(ck.pid);
  fs.closeSync(stdinFd);
  fs.closeSync(outFd);
});

test('single-stepping through replayed system calls gives the recorded values', async () => {
  const { inf, stdinFd, outFd } = await launchRecorded('step');
  const bias = loadBias(inf.pid, BIN());
  const main = bias + nmAddress(BIN(), 'main');
  const done = bias + nmAddress(BIN(), 'done');
  const resAddr = bias + nmAddress(BIN(), 'res');
  await inf.setBreakpoint(main);
  expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: main });
  await inf.removeBreakpoint(main);
  const ck = await inf.forkCheckpoint();
  const li = await recordingInfo(inf);
  await inf.setBreakpoint(done);
  await inf.cont();
  const live = readResults(inf, resAddr);
  const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid);
  await startReplay(copy, li.log!, li.cursor);
  // Through read(), time(), clock_gettime() and more one instruction at a time.
  // (The first call of each libc function goes through the dynamic linker's lazy binding.)
  let mid = await recordingInfo(copy);
  for (let i = 0; i < 40 && mid.cursor < li.cursor + 3; i++) {
    const { steps, event } = await copy.stepMany(500);
    expect(event.kind).toBe('step');
    expect(steps).toBe(500);
    mid = await recordingInfo(copy);
  }
  expect(mid.cursor).toBeGreaterThanOrEqual(li.cursor + 3);
  await copy.setBreakpoint(done);
  expect(await copy.cont()).toMatchObject({ kind: 'breakpoint', pc: done });
  expect(readResults(copy, resAddr)).toEqual(live);
  await copy.kill();
  await inf.kill();
  await tracer.killCheckpoint(ck.pid);
  fs.closeSync(stdinFd);
  fs.closeSync(outFd);
});

test('a divergence from the recording is reported, naming the system call', async () => {
  const { inf, stdinFd, outFd } = await launchRecorded('div');
  const ck = await inf.forkCheckpoint();
  const bias = loadBias(inf.pid, BIN());
  const done = bias + nmAddress(BIN(), 'done');
  await inf.setBreakpoint(done);
  await inf.cont();
  const li = await recordingInfo(inf);
  const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid);
  // Replaying from the wrong place in the log: the first call does not match entry #1.
  await startReplay(copy, li.log!, 1);
  await expect(copy.cont()).rejects.toThrow(/Replay diverged from the recording at system call #1: the program called \w+\(/);
  await copy.kill();
  // Past the end: a copy told that every entry is used up.
  const { inferior: copy2 } = await tracer.spawnFromCheckpoint(ck.pid);
  await startReplay(copy2, li.log!, li.length);
  await expect(copy2.cont()).rejects.toThrow(/past the end of the recorded history/);
  await copy2.kill();
  await inf.kill();
  await tracer.killCheckpoint(ck.pid);
  fs.closeSync(stdinFd);
  fs.closeSync(outFd);
});
