// Pausing a recorded program while it is blocked in a recorded system call (src/target/recording.ts).
// The pause (a SIGSTOP the tracer swallows) interrupts the call: the kernel answers -ERESTART_RESTARTBLOCK
// (nanosleep, relative clock_nanosleep: resumed as restart_syscall) or -ERESTARTNOHAND (absolute
// clock_nanosleep) or -ERESTARTSYS (read of a pipe: the syscall instruction runs again). The recording
// must hold each call once, with the result the program got, and the checkpoint taken at the pause
// (inside the interrupted call) must replay. Oracles: what the program printed live (its own view of
// the results), /proc/PID/syscall (which call it is blocked in), and the kernel's return values.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { Tracer } from '../src/target';
import { recordingInfo, startRecording, startReplay } from '../src/target/recording-setup';
import { ReverseEngine } from '../src/engine/reverse/reverse';
import type { StopInfo } from '../src/engine/api';
import { fixture, leftoverTracees, loadBias, nmAddress, procState, waitUntil } from './helpers';

jest.setTimeout(120_000);

const SRC = 'rx_block.c';
const SOURCE = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'src', SRC), 'utf8').split('\n');
/** The line of rx_block.c marked with `L:name`. */
function L(name: string): number {
  const i = SOURCE.findIndex((l) => l.includes(`/* L:${name} */`));
  if (i < 0) throw new Error(`no marker ${name}`);
  return i + 1;
}

let s: Session | undefined;
const fds: number[] = [];
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-block-'));
});
afterEach(async () => {
  await s?.dispose().catch(() => undefined);
  s = undefined;
  for (const fd of fds.splice(0)) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
  }
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  expect(leftoverTracees()).toEqual([]);
});

/** A pipe (a FIFO) for the program's stdin: [read end for the program (blocking), write end for us]. */
function stdinPipe(): [number, number] {
  const p = path.join(dir, `in-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', ['-m', '600', p]);
  const rw = fs.openSync(p, fs.constants.O_RDWR); // so that the blocking opens below do not wait
  const r = fs.openSync(p, fs.constants.O_RDONLY);
  const w = fs.openSync(p, fs.constants.O_WRONLY);
  fs.closeSync(rw);
  fs.unlinkSync(p);
  fds.push(r, w);
  return [r, w];
}

/** The program's stdio: stdin from a new stdinPipe() (inW: our end), stdout to the file `name` in dir, no stderr. */
function programStdio(name: string): { inW: number; outPath: string; stdio: [number, number, number] } {
  const [inR, inW] = stdinPipe();
  const outPath = path.join(dir, name);
  const outFd = fs.openSync(outPath, 'w');
  fds.push(outFd);
  return { inW, outPath, stdio: [inR, outFd, -1] };
}

/** The system call number the process is blocked in (/proc/PID/syscall), or undefined when it runs. */
function blockedIn(pid: number): number | undefined {
  try {
    const t = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8');
    if (t.startsWith('running')) return undefined;
    const nr = Number(t.split(' ')[0]);
    return nr >= 0 ? nr : undefined;
  } catch {
    return undefined;
  }
}

interface Entry {
  nr: number;
  args: string[];
  ret: string;
  out: { addr: number; data: Buffer | { type: 'Buffer'; data: number[] } }[];
}

async function logEntries(sess: Session): Promise<Entry[]> {
  const live = (sess.reverseProvider as ReverseEngine).timeline!.live;
  const info = (await live.recording({ action: 'info' })) as { log: number; length: number };
  return (await live.recording({ action: 'entries', log: info.log, from: 0, to: info.length })) as Entry[];
}

/**
 * Continues and pauses while the program is blocked in system call `nr` (state S), `times` times
 * (continuing after each pause); then lets the last continue run to its stop.
 */
async function pauseWhileBlocked(sess: Session, pid: number, nr: number, times: number): Promise<StopInfo> {
  let run = sess.cont();
  for (let i = 0; i < times; i++) {
    // After a pause the kernel resumes a sleep as restart_syscall (219).
    await waitUntil(() => (blockedIn(pid) === nr || (i > 0 && blockedIn(pid) === 219)) && procState(pid) === 'S', 10_000, `blocked in ${nr}`);
    await sess.pause();
    const st = await run;
    expect(st.reason).toBe('pause');
    run = sess.cont();
  }
  return run;
}

async function value(sess: Session, expr: string): Promise<string> {
  return (await sess.evaluate(expr)).value;
}

test('pauses inside nanosleep, clock_nanosleep (relative and absolute) and read: one log entry per call, replays agree', async () => {
  s = new Session();
  const bin = fixture('rx_block');
  const { inW, outPath, stdio } = programStdio('out-1');
  await s.loadProgram(bin);
  const l35 = await s.setBreakpoint({ location: `${SRC}:${L('after-nanosleep')}` });
  const l37 = await s.setBreakpoint({ location: `${SRC}:${L('after-clock_nanosleep')}` });
  const l40 = await s.setBreakpoint({ location: `${SRC}:${L('read')}` });
  const l44 = await s.setBreakpoint({ location: `${SRC}:${L('end')}` });
  const first = await s.launch({ program: bin, record: true, stdio, stopAt: 'main' });
  expect(first.reason).not.toBe('exited');
  const pid = (s.reverseProvider as ReverseEngine).timeline!.live.pid;

  // nanosleep (35), paused twice: the second pause interrupts the restart_syscall that resumed it.
  let st = await pauseWhileBlocked(s, pid, 35, 2);
  expect(st.breakpointIds).toEqual([l35.id]);
  expect(await value(s, 'r1')).toBe('0');
  const remLive = await value(s, 'rem.tv_nsec');
  // The kernel wrote the time left into rem at the interruption (tv_sec 0 instead of the 7 put there).
  expect(await value(s, 'rem.tv_sec')).toBe('0');
  // Back one instruction (a replay from the checkpoint taken inside the interrupted nanosleep), forward again.
  st = await s.reverseStepInstruction();
  expect(st.reason).not.toBe('exited');
  expect(await value(s, 'rem.tv_nsec')).toBe(remLive);
  st = await s.stepInstruction();
  expect(st.frame?.line).toBe(L('after-nanosleep'));
  expect(await value(s, 'r1')).toBe('0');

  // clock_nanosleep relative (230, restart_syscall again) then absolute (230, -ERESTARTNOHAND: re-executed).
  st = await pauseWhileBlocked(s, pid, 230, 1);
  expect(st.breakpointIds).toEqual([l37.id]);
  expect(await value(s, 'r2')).toBe('0');
  st = await pauseWhileBlocked(s, pid, 230, 2);
  expect(st.breakpointIds).toEqual([l40.id]);
  expect(await value(s, 'r3')).toBe('0');

  // read(0) of an empty pipe (-ERESTARTSYS: the syscall instruction runs again), paused twice, then fed.
  let run = s.cont();
  for (let i = 0; i < 2; i++) {
    await waitUntil(() => blockedIn(pid) === 0 && procState(pid) === 'S', 10_000);
    await s.pause();
    expect((await run).reason).toBe('pause');
    run = s.cont();
  }
  await waitUntil(() => blockedIn(pid) === 0, 10_000);
  fs.writeSync(inW, 'hello\n');
  st = await run;
  expect(st.breakpointIds).toEqual([l44.id]);

  // What the program printed live is the oracle.
  const printed = fs.readFileSync(outPath, 'utf8');
  const m = /r1=(-?\d+) r2=(-?\d+) r3=(-?\d+) rem=(\d+)\.(\d+) got=(-?\d+) buf=hello\n acc=(-?\d+)/.exec(printed);
  expect(m).not.toBeNull();
  const [, r1, r2, r3, remSec, remNsec, got, acc] = m!;
  expect([r1, r2, r3, got]).toEqual(['0', '0', '0', '6']);
  expect(remSec).toBe('0');
  expect(Number(remNsec)).toBe(Number(remLive));
  expect(await value(s, 'got')).toBe(got);
  expect(await value(s, 'acc')).toBe(acc);

  // The log: each call once, with the result the program got (never an -ERESTART* value).
  const entries = await logEntries(s);
  const calls = entries.filter((e) => [35, 230, 219].includes(e.nr) || (e.nr === 0 && e.args[0] === '0'));
  expect(calls.map((e) => [e.nr, e.ret])).toEqual([
    [35, '0'],
    [230, '0'],
    [230, '0'],
    [0, '6'],
  ]);
  expect(entries.every((e) => BigInt(e.ret) > -512n || BigInt(e.ret) < -516n)).toBe(true);

  // Back over the end of main's work (replayed from the checkpoint taken inside the interrupted read):
  // the values the program read and computed are the ones it printed.
  st = await s.reverseNext();
  expect(st.frame?.line).toBe(L('end') - 1);
  const l42 = await s.setBreakpoint({ location: `${SRC}:${L('after-read')}` });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([l42.id]);
  expect(st.frame?.line).toBe(L('after-read'));
  await s.removeBreakpoint(l42.id);
  expect(await value(s, 'got')).toBe('6');
  expect(await value(s, 'buf')).toMatch(/^"hello\\n/);
  // Further back is before the pause inside read: either the pause's checkpoint is crossed (the read's
  // line, replayed from an earlier checkpoint through the interrupted read), or the command says it
  // cannot go back across the interruption; never a divergence.
  let crossed = false;
  try {
    st = await s.reverseNext();
    crossed = true;
  } catch (e) {
    expect(String(e)).not.toMatch(/diverged|past the end/);
    expect(String(e)).toMatch(/interrupted/);
  }
  if (crossed) {
    expect(st.frame?.line).toBe(L('read'));
    st = await s.next();
    expect(st.frame?.line).toBe(L('after-read'));
    expect(await value(s, 'got')).toBe('6');
  }
  // Forward again (replayed), then live: the second read gets exactly the second input.
  st = await s.next();
  expect(st.frame?.line).toBe(L('after-read') + 1);
  st = await s.cont();
  expect(st.breakpointIds).toEqual([l44.id]);
  expect(await value(s, 'acc')).toBe(acc);
  fs.writeSync(inW, 'world\n');
  st = await s.cont();
  expect(st.reason).toBe('exited');
  await waitUntil(() => /got2=/.test(fs.readFileSync(outPath, 'utf8')), 5_000);
  const all = fs.readFileSync(outPath, 'utf8');
  expect(all.match(/r1=/g)?.length).toBe(1); // printed once: replays did not write again
  expect(all).toContain('got2=6 buf2=world\n');
});

/** The address of the first row of `line` in rx_block's line table (objdump's decoded line table). */
function lineAddress(bin: string, line: number): number {
  const text = execFileSync('objdump', ['--dwarf=decodedline', bin], { encoding: 'utf8' });
  const m = new RegExp(`^rx_block\\.c\\s+${line}\\s+(0x[0-9a-f]+)`, 'm').exec(text);
  if (!m) throw new Error(`no line ${line} in ${bin}`);
  return Number(m[1]);
}

test('a replay from before the pauses crosses the restarted calls without diverging (target layer)', async () => {
  const tracer = await Tracer.create();
  const bin = fixture('rx_block');
  const { inW, outPath, stdio } = programStdio('out-2');
  const inf = await tracer.launch({ program: bin, stdio });
  try {
    await startRecording(inf);
    const ck = await inf.forkCheckpoint();
    const bias = loadBias(inf.pid, bin);
    const end = bias + lineAddress(bin, L('end'));
    const accAddr = bias + nmAddress(bin, 'acc');
    const bufAddr = bias + nmAddress(bin, 'buf');
    await inf.setBreakpoint(end);
    // Pauses while blocked: nanosleep twice (the second in its restart_syscall), each clock_nanosleep
    // once, read twice; then the input.
    const plan: [number, number][] = [
      [35, 1],
      [219, 1],
      [230, 2],
      [0, 2],
    ];
    let run = inf.cont();
    for (const [nr, times] of plan) {
      for (let i = 0; i < times; i++) {
        await waitUntil(() => blockedIn(inf.pid) === nr && procState(inf.pid) === 'S', 10_000, `blocked in ${nr}`);
        inf.pause();
        expect((await run).kind).toBe('paused');
        run = inf.cont();
      }
    }
    await waitUntil(() => blockedIn(inf.pid) === 0, 10_000);
    fs.writeSync(inW, 'hello\n');
    expect(await run).toMatchObject({ kind: 'breakpoint', pc: end });
    const liveAcc = inf.readMemorySync(accAddr, 8).readBigInt64LE(0);
    const liveBuf = inf.readMemorySync(bufAddr, 8).toString('latin1');
    expect(liveBuf).toBe('hello\n\0\0');
    // acc = got * 1000 + r1 + r2 + r3 + rem.tv_sec + buf[0]: every call returned 0, rem.tv_sec is 0.
    expect(liveAcc).toBe(6000n + 104n);
    const live = await recordingInfo(inf);

    // The copy replays everything from the start: the interrupted calls are single entries.
    const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid);
    try {
      await startReplay(copy, live.log!, 0);
      await copy.setBreakpoint(end);
      expect(await copy.cont()).toMatchObject({ kind: 'breakpoint', pc: end });
      expect(copy.readMemorySync(accAddr, 8).readBigInt64LE(0)).toBe(liveAcc);
      expect(copy.readMemorySync(bufAddr, 8).toString('latin1')).toBe(liveBuf);
      expect(await recordingInfo(copy)).toMatchObject({ mode: 'replay', cursor: live.length });
    } finally {
      await copy.kill().catch(() => undefined);
    }
    // The live program reads the next input, not the first again (the copy consumed nothing).
    fs.writeSync(inW, 'world\n');
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 0 });
    const text = fs.readFileSync(outPath, 'utf8');
    expect(text).toContain('got=6 buf=hello\n');
    expect(text).toContain('got2=6 buf2=world\n');
    expect(text.match(/r1=/g)?.length).toBe(1);
    await tracer.killCheckpoint(ck.pid);
  } finally {
    if (inf.state !== 'exited') await inf.kill().catch(() => undefined);
    await tracer.close();
  }
});

test('periodic checkpoints every 2 ms around repeated short sleeps: every sleep logged once, history replays', async () => {
  s = new Session();
  const bin = fixture('rx_block');
  const ROUNDS = 60;
  (s.reverseProvider as ReverseEngine).configure({ periodicMs: 2 });
  await s.loadProgram(bin);
  const endBp = await s.setBreakpoint({ location: `${SRC}:${L('loop-end')}` });
  const out: string[] = [];
  s.on('output', (o) => {
    if (o.category === 'stdout') out.push(o.text);
  });
  let st = await s.launch({ program: bin, args: ['loop', String(ROUNDS)], record: true, stdio: 'pipe' });
  expect(st.breakpointIds).toEqual([endBp.id]);
  const acc = await value(s, 'acc');
  const entries = await logEntries(s);
  // glibc's nanosleep is clock_nanosleep: one entry per round, each returning 0.
  const sleeps = entries.filter((e) => e.nr === 230);
  expect(sleeps).toHaveLength(ROUNDS);
  expect(sleeps.every((e) => e.ret === '0')).toBe(true);
  // Back to the start of the loop (across every periodic checkpoint), then forward to the end again.
  const startBp = await s.setBreakpoint({ location: `${SRC}:${L('loop-start')}` });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([startBp.id]);
  expect(await value(s, 'acc')).toBe('0');
  await s.removeBreakpoint(startBp.id);
  st = await s.cont();
  expect(st.breakpointIds).toEqual([endBp.id]);
  expect(await value(s, 'acc')).toBe(acc);
  st = await s.cont();
  expect(st.reason).toBe('exited');
  await waitUntil(() => out.join('').includes('acc='), 5_000);
  expect(out.join('').trim()).toBe(`acc=${acc}`);
});

test('a handler without SA_RESTART ends an interrupted nanosleep with EINTR (logged so); an SA_RESTART read is logged once', async () => {
  const tracer = await Tracer.create();
  const bin = fixture('rx_block');
  const { inW, outPath, stdio } = programStdio('out-3');
  const inf = await tracer.launch({ program: bin, args: ['signals'], stdio });
  try {
    await startRecording(inf);
    const ck = await inf.forkCheckpoint();
    const bias = loadBias(inf.pid, bin);
    const end = bias + lineAddress(bin, L('signals-end'));
    const accAddr = bias + nmAddress(bin, 'acc');
    await inf.setBreakpoint(end);
    let run = inf.cont();
    await waitUntil(() => blockedIn(inf.pid) === 35 && procState(inf.pid) === 'S', 10_000, 'blocked in nanosleep');
    process.kill(inf.pid, 'SIGUSR1');
    expect(await run).toMatchObject({ kind: 'signal', signame: 'SIGUSR1' });
    run = inf.cont(); // delivered: the handler runs, nanosleep returns EINTR
    await waitUntil(() => blockedIn(inf.pid) === 0 && procState(inf.pid) === 'S', 10_000, 'blocked in read');
    process.kill(inf.pid, 'SIGUSR2');
    expect(await run).toMatchObject({ kind: 'signal', signame: 'SIGUSR2' });
    run = inf.cont(); // the handler runs, the read is restarted
    await waitUntil(() => blockedIn(inf.pid) === 0 && procState(inf.pid) === 'S', 10_000, 'blocked in read again');
    fs.writeSync(inW, 'hello\n');
    expect(await run).toMatchObject({ kind: 'breakpoint', pc: end });
    const liveAcc = inf.readMemorySync(accAddr, 8).readBigInt64LE(0);
    // r1 == -1, errno EINTR (4), 6 bytes read, 0 < rem.tv_sec < 30, buf[0] == 'h'.
    expect(liveAcc).toBe(1000000n + 40000n + 600n + 10n + 1n);
    const live = await recordingInfo(inf);
    const entries = (await inf.recording({ action: 'entries', log: live.log!, from: 0, to: live.length })) as Entry[];
    expect(entries.filter((e) => e.nr === 35).map((e) => e.ret)).toEqual(['-4']);
    expect(entries.filter((e) => e.nr === 0 && e.args[0] === '0').map((e) => e.ret)).toEqual(['6']);

    // The copy gets no signal, but the same results: nanosleep -1/EINTR with the time left in rem.
    const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid);
    try {
      await startReplay(copy, live.log!, 0);
      await copy.setBreakpoint(end);
      expect(await copy.cont()).toMatchObject({ kind: 'breakpoint', pc: end });
      expect(copy.readMemorySync(accAddr, 8).readBigInt64LE(0)).toBe(liveAcc);
    } finally {
      await copy.kill().catch(() => undefined);
    }
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 0 });
    expect(fs.readFileSync(outPath, 'utf8')).toMatch(/^r1=-1 e1=4 got=6 rem=\d+ acc=1040611\n$/);
    await tracer.killCheckpoint(ck.pid);
  } finally {
    if (inf.state !== 'exited') await inf.kill().catch(() => undefined);
    await tracer.close();
  }
});
