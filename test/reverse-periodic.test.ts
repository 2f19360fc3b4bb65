// Periodic checkpoints during long forward runs (src/engine/reverse/timeline.ts): a long uninterrupted
// run gets checkpoints where a timer interrupted it, named later by the state the program had there
// (resolved by one replay when a search first needs to cross one). Checked: a reverse command after the
// long run starts from the last of them, a search back across all of them lands where it must, and
// going forward again reaches the same end. Oracle: the program's own arithmetic (rx_hot prints the
// final sum, and sum(i + 1) = sum(i) + (i ^ (sum(i) >> 3)) in 64-bit wrapping arithmetic).
import { Session } from '../src/engine/session';
import { ReverseEngine } from '../src/engine/reverse/reverse';
import { fixture, leftoverTracees } from './helpers';

jest.setTimeout(120_000);

const N = 30_000_000;

/** rx_hot's sum after k iterations (the fixture's loop, in 64-bit two's complement). */
function sumAfter(k: number): bigint {
  let sum = 0n;
  for (let i = 0n; i < BigInt(k); i++) sum = BigInt.asIntN(64, sum + (i ^ (sum >> 3n)));
  return sum;
}

let s: Session | undefined;
afterEach(async () => {
  await s?.dispose().catch(() => undefined);
  s = undefined;
});
afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('a long run gets periodic checkpoints; reverse-next starts from the last one, reverse-continue crosses them all', async () => {
  s = new Session();
  const bin = fixture('rx_hot');
  (s.reverseProvider as ReverseEngine).configure({ periodicMs: 20 });
  await s.loadProgram(bin);
  await s.setBreakpoint({ location: 'rx_hot.c:14' });
  const out: string[] = [];
  s.on('output', (o) => {
    if (o.category === 'stdout') out.push(o.text);
  });
  const first = await s.launch({ program: bin, args: [String(N)], record: true, stdio: 'pipe' });
  expect(first.frame?.line).toBe(14);
  const tl = (s.reverseProvider as ReverseEngine).timeline!;
  const anchors = tl.trail.filter((p) => p.anchor).length;
  // The run takes well over 20 ms (30 million iterations, traced): several periodic checkpoints.
  expect(anchors).toBeGreaterThanOrEqual(2);
  const final = BigInt((await s.evaluate('sum')).value);
  // reverse-next: the last iteration's i++ (line 11, the body done), then its body (line 12, sum before it).
  let st = await s.reverseNext();
  expect(st.frame?.line).toBe(11);
  expect((await s.evaluate('i')).value).toBe(String(N - 1));
  expect(BigInt((await s.evaluate('sum')).value)).toBe(final);
  st = await s.reverseNext();
  expect(st.frame?.line).toBe(12);
  expect((await s.evaluate('i')).value).toBe(String(N - 1));
  const before = BigInt((await s.evaluate('sum')).value);
  expect(BigInt.asIntN(64, before + (BigInt(N - 1) ^ (before >> 3n)))).toBe(final);
  // Only the last segments were searched: the older periodic checkpoints are not resolved yet (the last
  // one may have been, when the timer stopped the program in the loop's last iteration).
  expect(tl.trail.filter((p) => p.anchor).length).toBeGreaterThanOrEqual(anchors - 1);
  // A breakpoint before the loop: the search goes back across every periodic checkpoint (resolving each).
  const b = await s.setBreakpoint({ location: 'rx_hot.c:10' });
  st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b.id]);
  expect(st.frame?.line).toBe(10);
  expect((await s.evaluate('n')).value).toBe(String(N));
  expect(tl.trail.filter((p) => p.anchor).length).toBe(0);
  // Forward from there to an iteration: the replay from the start gives the program's own values.
  const c = await s.setBreakpoint({ location: 'rx_hot.c:12', condition: 'i == 12345' });
  st = await s.cont();
  expect(st.breakpointIds).toEqual([c.id]);
  expect(BigInt((await s.evaluate('sum')).value)).toBe(sumAfter(12345));
  await s.removeBreakpoint(c.id);
  // Forward again, replayed up to the present: the same end.
  await s.removeBreakpoint(b.id);
  st = await s.cont();
  expect(st.frame?.line).toBe(14);
  expect(BigInt((await s.evaluate('sum')).value)).toBe(final);
  st = await s.cont();
  expect(st.reason).toBe('exited');
  await new Promise((r) => setTimeout(r, 100));
  expect(out.join('').trim()).toBe(String(final));
});

test('thinning drops periodic checkpoints (consecutive anchors merge) and the history stays searchable', async () => {
  s = new Session();
  const bin = fixture('rx_hot');
  (s.reverseProvider as ReverseEngine).configure({ periodicMs: 5, maxCheckpoints: 12 });
  await s.loadProgram(bin);
  await s.setBreakpoint({ location: 'rx_hot.c:14' });
  await s.launch({ program: bin, args: [String(N / 2)], record: true, stdio: 'pipe' });
  const tl = (s.reverseProvider as ReverseEngine).timeline!;
  // Many more than 12 pauses happened (5 ms apart); the trail kept at most 12 checkpoints.
  expect(tl.trail.length).toBeLessThanOrEqual(12);
  expect(tl.trail.filter((p) => p.anchor).length).toBeGreaterThanOrEqual(3);
  const final = BigInt((await s.evaluate('sum')).value);
  const b = await s.setBreakpoint({ location: 'rx_hot.c:10' });
  let st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b.id]);
  expect((await s.evaluate('n')).value).toBe(String(N / 2));
  await s.removeBreakpoint(b.id);
  st = await s.cont();
  expect(st.frame?.line).toBe(14);
  expect(BigInt((await s.evaluate('sum')).value)).toBe(final);
});

test('a program blocked in a recorded system call is not interrupted by the periodic timer (the recording stays replayable)', async () => {
  s = new Session();
  const bin = fixture('rx_sleep');
  (s.reverseProvider as ReverseEngine).configure({ periodicMs: 10 });
  await s.loadProgram(bin);
  await s.setBreakpoint({ location: 'rx_sleep.c:19' });
  await s.launch({ program: bin, record: true, stdio: 'pipe' });
  const tl = (s.reverseProvider as ReverseEngine).timeline!;
  const acc = (await s.evaluate('acc')).value;
  // Back before the sleep (across it and the periodic checkpoints around it), then forward again.
  const b = await s.setBreakpoint({ location: 'rx_sleep.c:16' });
  let st = await s.reverseContinue();
  expect(st.breakpointIds).toEqual([b.id]);
  expect((await s.evaluate('acc')).value).toBe('0');
  expect(tl.trail.filter((p) => p.anchor).length).toBe(0);
  await s.removeBreakpoint(b.id);
  st = await s.cont();
  expect(st.frame?.line).toBe(19);
  expect((await s.evaluate('acc')).value).toBe(acc);
  st = await s.cont();
  expect(st.reason).toBe('exited');
  expect(st.exitCode).toBe(Number(BigInt(acc) & 0x7fn));
});

test('without periodic checkpoints (periodicMs 0) the same run has one segment, and the same answers', async () => {
  s = new Session();
  const bin = fixture('rx_hot');
  (s.reverseProvider as ReverseEngine).configure({ periodicMs: 0 });
  await s.loadProgram(bin);
  await s.setBreakpoint({ location: 'rx_hot.c:14' });
  await s.launch({ program: bin, args: [String(N / 10)], record: true, stdio: 'pipe' });
  const tl = (s.reverseProvider as ReverseEngine).timeline!;
  expect(tl.trail.filter((p) => p.anchor).length).toBe(0);
  await s.reverseNext();
  const st = await s.reverseNext();
  expect(st.frame?.line).toBe(12);
  expect((await s.evaluate('i')).value).toBe(String(N / 10 - 1));
  expect(BigInt((await s.evaluate('sum')).value)).toBe(sumAfter(N / 10 - 1));
});
