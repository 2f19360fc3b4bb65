// A pause (engine pause(), what Ctrl-C, DAP pause and MI -exec-interrupt call) of a recorded program is an
// ordinary point of its history: the checkpoint taken there is named by its exact state (as a periodic
// checkpoint), so reverse-next / reverse-continue from after it go back across it and forward execution
// replays across it. A pause while replaying forward in the past is named the same way when a reverse
// command needs it. Oracle: the program itself — rx_hot run natively with argument k prints its sum after
// k iterations, and each iteration is sum += i ^ (sum >> 3) (64-bit wrapping), which checks neighbouring
// stops; the live run's own output at the end.
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import { ReverseEngine } from '../src/engine/reverse/reverse';
import type { StopInfo } from '../src/engine/api';
import { fixture, leftoverTracees, nmAddress } from './helpers';

jest.setTimeout(180_000);

const N = 400_000_000;
const bin = () => fixture('rx_hot');

/** The program's own sum after k iterations (a native run of rx_hot with argument k). */
const nativeCache = new Map<number, bigint>();
function sumAfter(k: number): bigint {
  let v = nativeCache.get(k);
  if (v === undefined) {
    v = BigInt(execFileSync(bin(), [String(k)], { encoding: 'utf8' }).trim());
    nativeCache.set(k, v);
  }
  return v;
}

const step = (sum: bigint, i: bigint) => BigInt.asIntN(64, sum + (i ^ (sum >> 3n)));

let s: Session | undefined;
afterEach(async () => {
  await s?.dispose().catch(() => undefined);
  s = undefined;
});
afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

interface Stop {
  line: number | undefined;
  i: bigint;
  sum: bigint;
}

async function here(st: StopInfo): Promise<Stop> {
  return { line: st.frame?.line, i: BigInt((await s!.evaluate('i')).value), sum: BigInt((await s!.evaluate('sum')).value) };
}

/** A stop of the loop at a line start agrees with the program: line 12 starts iteration i (sum after i
 *  iterations); line 11 is i++ of iteration i (sum after i + 1). */
function checkStop(x: Stop): void {
  expect([11, 12]).toContain(x.line);
  const k = x.line === 12 ? x.i : x.i + 1n;
  expect(x.sum).toBe(sumAfter(Number(k)));
}

async function pauseAfter(ms: number): Promise<StopInfo> {
  const run = s!.cont();
  await new Promise((r) => setTimeout(r, ms));
  await s!.pause();
  return run;
}

test('reverse-next and reverse-continue go back across a pause, and forward again replays across it', async () => {
  s = new Session();
  const rev = s.reverseProvider as ReverseEngine;
  // No periodic checkpoint: the pause is the only checkpoint inside the loop.
  rev.configure({ periodicMs: 0 });
  await s.loadProgram(bin());
  const b10 = await s.setBreakpoint({ location: 'rx_hot.c:10' });
  const out: string[] = [];
  s.on('output', (o) => {
    if (o.category === 'stdout') out.push(o.text);
  });
  let st = await s.launch({ program: bin(), args: [String(N)], record: true, stdio: 'pipe' });
  expect(st.frame?.line).toBe(10);
  await s.updateBreakpoint(b10.id, { enabled: false });
  st = await pauseAfter(80);
  expect(st.reason).toBe('pause');
  const tl = rev.timeline!;
  // The pause made a checkpoint named by its state (not a barrier).
  const last = tl.trail[tl.trail.length - 1];
  expect(last.anchor).toBeDefined();
  expect(last.user).toBe(true);
  expect(tl.trail.some((p) => p.opaque)).toBe(false);
  const paused = await here(st);
  expect(paused.i > 0n && paused.i < BigInt(N)).toBe(true);
  // Forward from the pause, live: four line stops.
  const fwd: Stop[] = [];
  for (let k = 0; k < 4; k++) fwd.push(await here(await s.next()));
  for (const x of fwd) checkStop(x);
  // Back: the same stops in reverse order, then on across the pause point (each agrees with the program).
  const back: Stop[] = [];
  for (let k = 0; k < 8; k++) back.push(await here(await s.reverseNext()));
  expect(back.slice(0, 3)).toEqual(fwd.slice(0, 3).reverse());
  for (const x of back) checkStop(x);
  // The lines alternate (12: body, 11: i++) and i goes down by one every two stops.
  for (let k = 1; k < back.length; k++) {
    expect(back[k].line).not.toBe(back[k - 1].line);
    // Line 12 of iteration i, then (one stop later in time) line 11 of the same iteration: one sum step.
    if (back[k].line === 12) {
      expect(back[k - 1].i).toBe(back[k].i);
      expect(back[k - 1].sum).toBe(step(back[k].sum, back[k].i));
    }
  }
  expect(back[back.length - 1].i < paused.i).toBe(true);
  expect(tl.trail.filter((p) => p.anchor).length).toBe(0); // the pause's checkpoint was resolved
  // Forward again, replaying across the pause point: the same stops as going back, then the present's.
  const again: Stop[] = [];
  for (let k = 0; k < back.length - 1; k++) again.push(await here(await s.next()));
  expect(again).toEqual(back.slice(0, -1).reverse());
  // On to the end: the replay hands over to the live program, which ends with the program's own sum.
  const b14 = await s.setBreakpoint({ location: 'rx_hot.c:14' });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b14.id]);
  const final = BigInt((await s.evaluate('sum')).value);
  expect(final).toBe(sumAfter(N));
  // reverse-continue across the pause, to before the loop.
  await s.updateBreakpoint(b10.id, { enabled: true });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b10.id]);
  expect((await s.evaluate('n')).value).toBe(String(N));
  await s.updateBreakpoint(b10.id, { enabled: false });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b14.id]);
  expect(BigInt((await s.evaluate('sum')).value)).toBe(final);
  st = await s.cont();
  expect(st.reason).toBe('exited');
  await new Promise((r) => setTimeout(r, 100));
  expect(out.join('').trim()).toBe(String(final));
});

test('a pause among periodic checkpoints, and a pause while replaying in the past, are both crossed', async () => {
  s = new Session();
  const rev = s.reverseProvider as ReverseEngine;
  rev.configure({ periodicMs: 40 });
  await s.loadProgram(bin());
  const b10 = await s.setBreakpoint({ location: 'rx_hot.c:10' });
  let st = await s.launch({ program: bin(), args: [String(N / 4)], record: true, stdio: 'pipe' });
  expect(st.frame?.line).toBe(10);
  await s.updateBreakpoint(b10.id, { enabled: false });
  st = await pauseAfter(40);
  expect(st.reason).toBe('pause');
  const b14 = await s.setBreakpoint({ location: 'rx_hot.c:14' });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b14.id]);
  const final = BigInt((await s.evaluate('sum')).value);
  expect(final).toBe(sumAfter(N / 4));
  // Back to before the loop, across the periodic checkpoints and the pause.
  await s.updateBreakpoint(b10.id, { enabled: true });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b10.id]);
  await s.updateBreakpoint(b10.id, { enabled: false });
  // Forward in the past (a replay), interrupted: the stop has no name until a reverse command needs one.
  st = await pauseAfter(40);
  expect(st.reason).toBe('pause');
  const p = await here(st);
  expect(p.i > 0n && p.i < BigInt(N / 4)).toBe(true);
  // reverse-next from there: the last line starts before the interruption, as the program computed them.
  const back: Stop[] = [];
  for (let k = 0; k < 3; k++) back.push(await here(await s.reverseNext()));
  for (const x of back) checkStop(x);
  expect(back[0].i === p.i || back[0].i === p.i - 1n).toBe(true);
  // Forward to the end: the same end as the live run.
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b14.id]);
  expect(BigInt((await s.evaluate('sum')).value)).toBe(final);
});

test('a pause inside a blocked system call is crossed too (named by the moment before its syscall instruction)', async () => {
  s = new Session();
  const bin = fixture('rx_sleep');
  const rev = s.reverseProvider as ReverseEngine;
  rev.configure({ periodicMs: 0 });
  await s.loadProgram(bin);
  const b16 = await s.setBreakpoint({ location: 'rx_sleep.c:16' });
  let st = await s.launch({ program: bin, record: true, stdio: 'pipe' });
  expect(st.breakpointIds).toEqual([b16.id]);
  await s.updateBreakpoint(b16.id, { enabled: false });
  // spin() takes a few ms; then the program sleeps 300 ms: the pause lands inside nanosleep.
  st = await pauseAfter(150);
  expect(st.reason).toBe('pause');
  const tl = rev.timeline!;
  const last = tl.trail[tl.trail.length - 1];
  expect(last.anchor).toBeDefined();
  expect(tl.trail.some((p) => p.opaque)).toBe(false);
  const regs = await tl.live.getRegisters();
  expect(regs.get('orig_rax')).not.toBe(0xffffffffffffffffn); // stopped inside the call
  // Back across it, from the pause itself, to before the first spin().
  await s.updateBreakpoint(b16.id, { enabled: true });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b16.id]);
  expect((await s.evaluate('acc')).value).toBe('0');
  // Forward: the replay meets the present just before the interrupted call, and the live program
  // continues from inside it.
  await s.updateBreakpoint(b16.id, { enabled: false });
  const b19 = await s.setBreakpoint({ location: 'rx_sleep.c:19' });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b19.id]);
  expect(tl.inPast).toBe(false);
  const acc = (await s.evaluate('acc')).value;
  // And back across the pause again, from after it, then forward to the end.
  await s.updateBreakpoint(b16.id, { enabled: true });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b16.id]);
  expect((await s.evaluate('acc')).value).toBe('0');
  await s.updateBreakpoint(b16.id, { enabled: false });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b19.id]);
  expect((await s.evaluate('acc')).value).toBe(acc);
  st = await s.cont();
  expect(st.reason).toBe('exited');
  expect(st.exitCode).toBe(Number(BigInt(acc) & 0x7fn));
});

test('a pause inside a blocked call of a library loaded after the last checkpoint (from the first instruction)', async () => {
  s = new Session();
  const bin = fixture('rx_sleep');
  const rev = s.reverseProvider as ReverseEngine;
  rev.configure({ periodicMs: 0 });
  await s.loadProgram(bin);
  let st = await s.launch({ program: bin, record: true, stdio: 'pipe', stopAt: 'entry' });
  expect(st.frame?.function).not.toBe('main'); // in the dynamic linker: libc is not mapped yet
  st = await pauseAfter(150);
  expect(st.reason).toBe('pause');
  expect(st.frame?.function ?? '').toMatch(/nanosleep/);
  const tl = rev.timeline!;
  const last = tl.trail[tl.trail.length - 1];
  // Found from the first checkpoint after the stops where the libraries were loaded (named hops).
  expect(last.anchor?.prefix?.length).toBeGreaterThan(0);
  expect(tl.trail.some((p) => p.opaque)).toBe(false);
  const b16 = await s.setBreakpoint({ location: 'rx_sleep.c:16' });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b16.id]);
  expect((await s.evaluate('acc')).value).toBe('0');
  await s.removeBreakpoint(b16.id);
  const b19 = await s.setBreakpoint({ location: 'rx_sleep.c:19' });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b19.id]);
  const acc = (await s.evaluate('acc')).value;
  st = await s.cont();
  expect(st.reason).toBe('exited');
  expect(st.exitCode).toBe(Number(BigInt(acc) & 0x7fn));
});

// Not about pauses (docs/reverse.md's last "left" item, same owner): a write during a single-stepped
// stretch of history that stores the value already there is found by reverseToLastWrite (the tracer
// reports the debug-register hit of a single step). rx_watch: set_level(i / 3) stores 1 at i = 3, 4, 5;
// at i = 4 the value is already 1. Oracle: the program's own data (hist[4] is 4 once iteration 4 ran).
test('reverseToLastWrite finds a write of the same value made while single-stepping', async () => {
  s = new Session();
  const bin = fixture('rx_watch');
  await s.loadProgram(bin);
  const b = await s.setBreakpoint({ location: 'rx_watch.c:9', condition: 'v == 1' });
  let st = await s.launch({ program: bin, record: true, stdio: 'pipe' });
  expect(st.breakpointIds).toEqual([b.id]);
  expect((await s.evaluate('hist[3]')).value).toBe('3'); // i = 3: level goes from 0 to 1
  st = await s.cont();
  expect(st.breakpointIds).toEqual([b.id]);
  expect((await s.evaluate('hist[4]')).value).toBe('4'); // i = 4: level is 1 already
  expect((await s.evaluate('level')).value).toBe('1');
  await s.removeBreakpoint(b.id);
  // The store of i = 4 runs single-stepped (next inside set_level).
  st = await s.next();
  expect(st.frame?.line).toBe(10);
  const addr = Number(/0x[0-9a-f]+/.exec((await s.evaluate('&level')).value)![0]);
  const rev = s.reverseProvider as unknown as { reverseToLastWrite(a: number, l: number): Promise<StopInfo> };
  st = await rev.reverseToLastWrite(addr, 4);
  expect(st.frame?.line).toBe(9);
  // That store (iteration 4, hist[4] already 4), not iteration 3's.
  expect((await s.evaluate('hist[4]')).value).toBe('4');
  expect((await s.evaluate('v')).value).toBe('1');
  // At the storing instruction (objdump: set_level's store to <level>), before it ran.
  const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' });
  const body = dis.slice(dis.indexOf('<set_level>:'));
  const store = parseInt(/^\s*([0-9a-f]+):\s+mov\s+%eax,.*<level>/m.exec(body)![1], 16);
  expect(st.frame!.pc - st.frame!.functionStart!).toBe(store - nmAddress(bin, 'set_level'));
});
