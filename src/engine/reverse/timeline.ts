// The recorded history of one program, and the process the session looks at in it.
//
// Positions without instruction counters. A point in time is named by how the program got there from a
// checkpoint of the trail: a list of hops, each deterministic thanks to system-call replay:
//   at(addr, n)  run until the n-th arrival at addr (counted from the hop's start, which is excluded),
//   steps(n)     single-step n instructions,
//   event(...)   run until the first stop the target reports (a signal, a watchpoint trigger).
// The live program's run-control requests (cont, step, stepMany: whatever the session's next/step/finish
// do) are turned into hops as they happen: a cont that ends at a breakpoint hit is at(pc, hits of that
// breakpoint during the cont), counted by the tracer. So every stop is a position, with no replay.
//
// The trail: a checkpoint (a forked, frozen copy) at user-visible stops, thinned as it grows; segment i
// is the hops from checkpoint i to checkpoint i+1 (the last one ends at the live program). A position
// is (checkpoint index, hops). Materializing it forks the checkpoint again, makes the copy replay the
// system-call log from the checkpoint's entry, and runs the hops (counting inside the program, see
// counting.ts). A search runs the same replay with more counting points and reads, at the end, which
// point was reached last (and how many times), which names the answer as another position.
//
// The session holds one Inferior: a Proxy (`view`) that forwards to the current process (the live one
// or a replay copy) under the live program's identity (pid, thread id), so frames, memory and
// breakpoints work the same in the past. Forward execution in the past replays; when it reaches the
// recorded present (same registers, same system-call count, same memory), the copy is dropped and the
// live program goes on.
import * as crypto from 'crypto';
import * as fs from 'fs';
import { Registers } from '../../ptrace';
import { Inferior, StopEvent, TargetError, Tracer } from '../../target';
import { RecordingInfo } from '../../target/recording';
import { recordingInfo, startRecording, startReplay } from '../../target/recording-setup';
import { CountingRun, CountPoint, CountResult, PointCounters, STATE_REGS, patchable, plainInstruction } from './counting';

export type Hop =
  | { kind: 'at'; addr: number; n: number }
  | { kind: 'steps'; n: number }
  | { kind: 'event'; expect: StopEvent['kind']; pc: number; watch?: WatchSlot[] };

/** A debug-register watch range (aligned 1/2/4/8 bytes); 'access' also triggers on reads. */
export interface WatchSlot {
  addr: number;
  len: 1 | 2 | 4 | 8;
  kind?: 'write' | 'access';
}

/**
 * Watching data during a search replay (runCounting): `slots` are armed in the copy for the whole run
 * (before any hop's own watch slots, so debug register i is slots[i]); `onTrigger` is told of every
 * trigger of one of them with where it fell: during hop `hop` (a cont: its `nth` trigger of these
 * slots since the hop's start) or at single step `step` of a steps hop (found by comparing `bytes`
 * ranges before and after the step, since a single step hides the debug-register trap).
 */
/**
 * Looking at arrivals during a search replay (runCounting): every arrival at `points` (indexes into the
 * run's points, which must be trap points) before the run's end is reported with its position, named
 * from the run's start (hops), and its sequence number (comparable with the counters' lastSeq).
 */
export interface ArrivalHook {
  points: Set<number>;
  onArrival: (point: number, hops: Hop[], seq: number) => Promise<void>;
}

export interface SearchWatch {
  slots: WatchSlot[];
  bytes: { addr: number; size: number }[];
  onTrigger: (t: { hop: number; nth?: number; step?: number; seqBefore: number }) => void;
}

export interface Position {
  /** Index in the trail. */
  ckpt: number;
  hops: Hop[];
}

interface TrailPoint {
  /** The checkpoint process (frozen). */
  pid: number;
  /** System-call log entries before it. */
  cursor: number;
  pc: number;
  /** Hops from the previous trail point to this one (empty for the first). */
  seg: Hop[];
  /** Segment ends with a stop that cannot be named (an interruption): searches cannot cross it. */
  opaque?: boolean;
  /**
   * A periodic checkpoint, taken where a long run was interrupted (a moment no hop names): the segment
   * ending here is "the first moment after the previous trail point with exactly this state" (pc, all
   * general registers, system-call count, and the memory of this checkpoint), resolved into a hop
   * (at(pc, n)) by one replay when a search first needs it (resolve()). `seg` is empty meanwhile.
   */
  anchor?: {
    pc: number;
    regs: (bigint | undefined)[];
    /** Named hops the live program made after the previous trail point before the interrupted run
     *  (e.g. its stops where libraries were loaded): the search starts after them. */
    prefix?: Hop[];
  };
  takenAt: number;
  /** CPU time (ms) the live program had used when it was taken (bounds an anchor's resolution). */
  cpuMs?: number;
  /** Made at a user-visible stop. */
  user: boolean;
}

export interface TimelineOptions {
  /** At most this many checkpoints kept (default 48). */
  maxCheckpoints?: number;
  /** Memory the checkpoints may hold (private dirty pages, default 512 MiB). */
  memoryBudgetKb?: number;
  /**
   * A periodic checkpoint every this many ms of an uninterrupted forward run (default 250; 0: none),
   * so that a reverse command after a long run replays from a recent point.
   */
  periodicMs?: number;
  /**
   * Addresses other code may jump to around these addresses (branch targets, return addresses, line
   * starts of the functions holding them): no counting patch may cover one.
   */
  jumpTargets?: (addrs: number[]) => Set<number>;
  /** Memory the kernel writes by itself in a process (the rseq area): ignored when comparing moments. */
  volatileMemory?: (inf: Inferior) => Promise<{ addr: number; len: number }[]>;
}

export class ReverseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReverseError';
  }
}

function addHop(list: Hop[], h: Hop): void {
  const last = list[list.length - 1];
  if (h.kind === 'steps' && last?.kind === 'steps') last.n += h.n;
  else if (!(h.kind === 'steps' && h.n === 0)) list.push({ ...h });
}

const NO_WRITE_IN_PAST =
  'Because the program is replaying its recorded history, it cannot be changed here (that would make the recording unusable). Go forward to the present first.';

export class Timeline {
  readonly trail: TrailPoint[] = [];
  /** Process the session looks at: `live`, or a replay copy. */
  cur: Inferior;
  /** Position of `cur` when it is a copy (hops appended as it runs). */
  private curPos: Position | undefined;
  /** Hops the live program made since the last trail point. */
  private liveHops: Hop[] = [];
  private logId = 0;
  private dirty = false;
  private trailWork: Promise<void> = Promise.resolve();
  /** User breakpoints (address -> options), mirrored to whichever process is current. */
  private readonly bps = new Map<number, { ignoreCount?: number; hardware?: boolean | 'auto' }>();
  /** Breakpoint hit counts of the current process, as of its last stop. */
  private hits = new Map<number, number>();
  /** Watchpoints set through the view (address -> range). */
  private readonly watches = new Map<number, WatchSlot>();
  readonly view: Inferior;
  private broken: string | undefined;
  private closed = false;

  private constructor(
    readonly tracer: Tracer,
    readonly live: Inferior,
    private readonly opts: TimelineOptions,
  ) {
    this.cur = live;
    this.view = this.makeView();
  }

  /** Starts recording a stopped, single-threaded program; the first checkpoint is taken here. */
  static async start(tracer: Tracer, live: Inferior, opts: TimelineOptions = {}): Promise<Timeline> {
    const tl = new Timeline(tracer, live, opts);
    const info = await startRecording(live);
    tl.logId = info.log!;
    for (const b of await live.breakpoints()) {
      tl.hits.set(b.addr, b.hits);
      tl.bps.set(b.addr, { hardware: b.hardware ? true : 'auto' });
    }
    await tl.takeTrailPoint(true);
    return tl;
  }

  get inPast(): boolean {
    return this.cur !== this.live;
  }

  get recordingLog(): number {
    return this.logId;
  }

  /** The position of the current process. */
  async position(): Promise<Position> {
    await this.trailWork;
    if (this.pastInterrupted) await this.namePastInterruption();
    if (this.curPos) return { ckpt: this.curPos.ckpt, hops: this.curPos.hops.map((h) => ({ ...h })) };
    return { ckpt: this.trail.length - 1, hops: this.liveHops.map((h) => ({ ...h })) };
  }

  /**
   * The copy was interrupted (a pause while replaying forward in the past): its stop has no name yet.
   * Noted at the interruption (`at`: where in curPos.hops the unnamed stretch goes; the copy's pc, all
   * its general registers, system-call count and a digest of its memory), named by namePastInterruption
   * when a reverse command needs the position (one replay, as an anchor is resolved).
   */
  private pastInterrupted: boolean | { at: number; pc: number; regs: bigint[]; cursor: number; regions: { lo: number; hi: number }[]; digest: string } | 'unnamed' = false;

  private async notePastInterruption(): Promise<StopEvent | undefined> {
    const inf = this.cur;
    this.pastInterrupted = 'unnamed';
    const moved = await this.stepToPatchable(inf, this.watches.size > 0);
    if (moved) return moved;
    const regs = await inf.getRegisters();
    if (!this.curPos || !stateIsNameable(inf, regs)) return undefined;
    const info = await recordingInfo(inf);
    const regions = writableRegions(inf.pid, regs.sp);
    const digest = memoryDigest(inf, regions, (await this.opts.volatileMemory?.(inf)) ?? []);
    this.pastInterrupted = { at: this.curPos.hops.length, pc: regs.pc, regs: STATE_REGS.map((n) => regs.get(n)), cursor: info.cursor, regions, digest };
    return undefined;
  }

  /**
   * Names the interrupted stretch of the current copy's position: a replay from its checkpoint runs the
   * hops before it, then to the first arrival at the interruption's pc with its registers (a state
   * filter, no stop per arrival), system-call count and memory: at(pc, n), spliced into the hops.
   */
  private async namePastInterruption(): Promise<void> {
    const pi = this.pastInterrupted;
    const pos = this.curPos;
    if (!pi || !pos) {
      this.pastInterrupted = false;
      return;
    }
    const unnamed = () =>
      new ReverseError('Reverse execution cannot go back from here: the replay was interrupted at a point whose position in time could not be found again. Go forward to the present first.');
    if (pi === true || pi === 'unnamed') throw unnamed();
    // A safety net against a replay that never comes back, in CPU time as for anchors: 100x what the
    // interrupted copy used, plus 5 s.
    const budgetMs = 100 * (cpuMsOf(this.cur.pid) ?? 0) + 5_000;
    const inf = await this.spawnAt(pos.ckpt);
    const cpu0 = cpuMsOf(inf.pid) ?? 0;
    try {
      const before = pos.hops.slice(0, pi.at);
      const r = await this.runCounting(inf, before, [{ addr: pi.pc, state: pi.regs }], new Set(), true);
      const run = r.run;
      try {
        // The interrupted command may not have moved at all.
        const now = await inf.getRegisters();
        if (
          now.pc === pi.pc &&
          STATE_REGS.every((n, k) => now.get(n) === pi.regs[k]) &&
          (await recordingInfo(inf)).cursor === pi.cursor &&
          memoryDigest(inf, pi.regions, (await this.opts.volatileMemory?.(inf)) ?? []) === pi.digest
        ) {
          this.pastInterrupted = false;
          return;
        }
        const p0 = r.pointOf(pi.pc);
        const start = run.counters()[p0].all;
        for (let want = run.counters()[p0].match + 1; ; want++) {
          await run.setTarget(p0, want, 'match');
          const timer = setInterval(() => {
            if ((cpuMsOf(inf.pid) ?? 0) - cpu0 > budgetMs) inf.pause();
          }, 200);
          let c;
          try {
            c = await run.cont();
          } catch {
            throw unnamed();
          } finally {
            clearInterval(timer);
          }
          if (c.kind !== 'target') throw unnamed();
          const info = await recordingInfo(inf);
          if (info.cursor > pi.cursor) throw unnamed();
          if (info.cursor === pi.cursor && memoryDigest(inf, pi.regions, (await this.opts.volatileMemory?.(inf)) ?? []) === pi.digest) {
            const n = run.counters()[p0].all - start;
            const hops = before.map((h) => ({ ...h }));
            addHop(hops, { kind: 'at', addr: pi.pc, n });
            for (const h of pos.hops.slice(pi.at)) addHop(hops, h);
            pos.hops = hops;
            this.pastInterrupted = false;
            return;
          }
        }
      } finally {
        await run.dispose().catch(() => undefined);
      }
    } finally {
      await inf.kill().catch(() => undefined);
    }
  }

  /** Why reverse execution cannot be trusted any more, if so. */
  async checkUsable(): Promise<void> {
    if (this.broken) throw new ReverseError(`Reverse execution is not possible: ${this.broken}.`);
    const info = (await recordingInfo(this.live).catch(() => undefined)) as RecordingInfo | undefined;
    if (info?.broken) {
      this.broken = info.broken;
      throw new ReverseError(`Reverse execution is not possible: ${info.broken}.`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The trail

  /** A checkpoint of the live program where it is now (user: at a user-visible stop). */
  async takeTrailPoint(user: boolean): Promise<void> {
    if (this.closed || this.live.state !== 'stopped') return;
    const last = this.trail[this.trail.length - 1];
    if (last && this.liveHops.length === 0 && !this.dirty) return; // nothing ran since
    const info = await recordingInfo(this.live);
    if (info.broken) {
      this.broken = info.broken;
      return;
    }
    let ck;
    try {
      ck = await this.live.forkCheckpoint();
    } catch (e) {
      this.broken = `checkpoint failed: ${(e as Error).message}`;
      return;
    }
    this.trail.push({ pid: ck.pid, cursor: info.cursor, pc: ck.pc, seg: this.liveHops, takenAt: Date.now(), cpuMs: cpuMsOf(this.live.pid), user, opaque: this.liveOpaque });
    this.liveHops = [];
    this.liveOpaque = false;
    this.dirty = false;
    await this.thin();
  }
  private liveOpaque = false;

  /** Schedules a trail point at a user-visible stop (the next resume waits for it). */
  noteUserStop(): void {
    if (this.inPast || this.closed) return;
    this.trailWork = this.trailWork.then(() => this.takeTrailPoint(true)).catch(() => undefined);
  }

  /** Keeps at most maxCheckpoints, and within the memory budget: older ones thinned out exponentially. */
  private async thin(): Promise<void> {
    const max = this.opts.maxCheckpoints ?? 48;
    const budget = this.opts.memoryBudgetKb ?? 512 * 1024;
    for (;;) {
      const n = this.trail.length;
      let over = n > max;
      if (!over && n > 4 && n % 8 === 0) over = this.checkpointMemoryKb() > budget;
      if (!over || n <= 2) return;
      // Keep the first, the last 8 dense; among the others drop the one whose neighbours are closest
      // (in trail order the spacing doubles with age).
      const dropIdx = this.pickDrop();
      if (dropIdx === undefined) return;
      await this.dropTrailPoint(dropIdx);
    }
  }

  private pickDrop(): number | undefined {
    const n = this.trail.length;
    const dense = 8;
    const cands: number[] = [];
    for (let i = 1; i < n - dense; i++) {
      const p = this.trail[i];
      const next = this.trail[i + 1];
      if (p.opaque || next?.opaque) continue;
      // An unresolved point can go only when the next one is unresolved too (an anchor is found from
      // any earlier point; hops named from this one are not).
      if (p.anchor && !next?.anchor) continue;
      if ((p.anchor || this.pastInterrupted) && this.curPos?.ckpt === i) continue;
      cands.push(i);
    }
    if (!cands.length) return undefined;
    // Exponential spacing: older points are kept at distances 1, 2, 4, ... from the dense tail;
    // drop the candidate with the smallest gap to its successor relative to its age.
    let best = cands[0];
    let bestScore = Infinity;
    for (const i of cands) {
      const age = n - i;
      const gap = this.trail[i + 1].takenAt - this.trail[i - 1].takenAt + 1;
      const score = gap / age;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }

  private async dropTrailPoint(i: number): Promise<void> {
    const p = this.trail[i];
    const next = this.trail[i + 1];
    if (next?.anchor) {
      // The anchor is now found from the point before p: after p's hops, when they are known.
      const prefix = p.anchor ? [] : p.seg.map((h) => ({ ...h }));
      if (!p.anchor) for (const h of next.anchor.prefix ?? []) addHop(prefix, h);
      next.anchor.prefix = prefix;
      next.seg = [];
    } else if (next) next.seg = [...p.seg.map((h) => ({ ...h })), ...next.seg];
    else {
      const merged = p.seg.map((h) => ({ ...h }));
      for (const h of this.liveHops) addHop(merged, h);
      this.liveHops = merged;
    }
    this.trail.splice(i, 1);
    if (this.curPos && this.curPos.ckpt >= i) {
      if (this.curPos.ckpt === i) {
        const hops = p.seg.map((h) => ({ ...h }));
        for (const h of this.curPos.hops) addHop(hops, h);
        this.curPos = { ckpt: i - 1, hops };
      } else this.curPos.ckpt--;
    }
    await this.tracer.killCheckpoint(p.pid).catch(() => undefined);
  }

  /** kB of private dirty memory the checkpoints hold (what keeping them costs). */
  checkpointMemoryKb(): number {
    let kb = 0;
    for (const p of this.trail) {
      try {
        const t = fs.readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8');
        kb += Number(/Private_Dirty:\s+(\d+)/.exec(t)?.[1] ?? 0);
      } catch {
        /* gone */
      }
    }
    return kb;
  }

  // ---------------------------------------------------------------------------------------------
  // Replays

  /** A fresh copy of trail point i, replaying the log from there, with no breakpoint. */
  async spawnAt(i: number): Promise<Inferior> {
    const p = this.trail[i];
    const { inferior } = await this.tracer.spawnFromCheckpoint(p.pid);
    await startReplay(inferior, this.logId, p.cursor);
    return inferior;
  }

  /** Hops from trail point i up to the end of its segment (the next trail point, or the present). */
  segmentHops(i: number): Hop[] {
    if (i + 1 < this.trail.length) return this.trail[i + 1].seg.map((h) => ({ ...h }));
    return this.liveHops.map((h) => ({ ...h }));
  }

  /** segmentHops, after resolving an unresolved periodic checkpoint at the segment's end (one replay). */
  async segment(i: number): Promise<Hop[]> {
    if (this.trail[i + 1]?.anchor) await this.resolve(i + 1);
    return this.segmentHops(i);
  }

  /**
   * Names periodic checkpoint i as a hop from checkpoint i-1: a replay from there with a counting
   * trampoline at its pc whose filter is all its registers (no stop per arrival) runs to the first
   * arrival with that state; the system-call count and the memory (compared with checkpoint i's process)
   * confirm it. The arrivals counted name it: at(pc, n).
   */
  private async resolve(i: number): Promise<void> {
    const p = this.trail[i];
    const a = p.anchor;
    if (!a) return;
    // A safety net against a replay that never comes back: CPU time, not wall time (a loaded machine
    // slows both alike), 100x what the live program used between the two checkpoints (a counted replay
    // runs up to ~40x slower) plus 5 s.
    const prev = this.trail[i - 1];
    const liveCpu = p.cpuMs !== undefined && prev.cpuMs !== undefined ? p.cpuMs - prev.cpuMs : p.takenAt - prev.takenAt;
    const budgetMs = 100 * Math.max(0, liveCpu) + 5_000;
    const inf = await this.spawnAt(i - 1);
    const cpu0 = cpuMsOf(inf.pid) ?? 0;
    const fail = (why: string) =>
      new ReverseError(`Reverse execution cannot go back across the checkpoint taken at 0x${a.pc.toString(16)} during a long run: ${why}.`);
    try {
      const more = this.opts.jumpTargets?.([a.pc]) ?? new Set<number>();
      // The prefix first (the anchor's code may be mapped only after it), then the counting from there.
      const prefix = a.prefix ?? [];
      if (prefix.length) await (await this.runCounting(inf, prefix, [], new Set())).run.dispose();
      const run = await CountingRun.create(inf, [{ addr: a.pc, state: a.regs }], more);
      const pi = 0;
      const start = 0;
      try {
        for (let want = 1; ; want++) {
          await run.setTarget(pi, want, 'match');
          const timer = setInterval(() => {
            if ((cpuMsOf(inf.pid) ?? 0) - cpu0 > budgetMs) inf.pause();
          }, 200);
          let r;
          try {
            r = await run.cont();
          } finally {
            clearInterval(timer);
          }
          if (r.kind !== 'target') throw fail(r.kind === 'event' ? `the replay reached ${describeEvent(r.ev)} first` : 'the replay did not come back to it');
          const info = await recordingInfo(inf);
          if (info.cursor === p.cursor && sameMemory(p.pid, inf, a.regs[4]!, (await this.opts.volatileMemory?.(inf)) ?? [])) {
            const n = run.counters()[pi].all - start;
            p.seg = prefix.map((h) => ({ ...h }));
            addHop(p.seg, { kind: 'at', addr: a.pc, n });
            p.anchor = undefined;
            return;
          }
          if (info.cursor > p.cursor) throw fail('the replay went past it');
        }
      } finally {
        await run.dispose().catch(() => undefined);
      }
    } finally {
      await inf.kill().catch(() => undefined);
    }
  }

  segmentOpaque(i: number): boolean {
    return i + 1 < this.trail.length ? !!this.trail[i + 1].opaque : this.liveOpaque;
  }

  /**
   * Runs `hops` in copy `inf` (started at trail point `ckpt`) counting `points` (observation points; the
   * hops' own addresses are added as unfiltered points when not among them). Returns the counters at
   * the start of every hop and at the end, and for arrivals met while single-stepping, their step index.
   * `stopEarly(counters)` may end the run at a hop boundary.
   */
  async runCounting(
    inf: Inferior,
    hops: Hop[],
    points: CountPoint[],
    forbidden: Set<number>,
    /** The run's end is not the position searched from: its last arrival counts as one before it. */
    countEnd = false,
    watch?: SearchWatch,
    hook?: ArrivalHook,
  ): Promise<{ run: CountingRun; starts: PointCounters[][]; startSeq: number[]; end: PointCounters[]; stepSeqs: Map<number, { hop: number; step: number }>; pointOf: (addr: number) => number }> {
    const all = points.map((p) => ({ ...p }));
    const hopPoint = new Map<number, number>();
    for (const h of hops) {
      if (h.kind !== 'at' || hopPoint.has(h.addr)) continue;
      let idx = all.findIndex((p) => p.addr === h.addr);
      if (idx < 0) {
        all.push({ addr: h.addr });
        idx = all.length - 1;
      }
      hopPoint.set(h.addr, idx);
    }
    const more = this.opts.jumpTargets?.(all.map((p) => p.addr));
    const run = await CountingRun.create(inf, all, more ? new Set([...forbidden, ...more]) : forbidden);
    const starts: PointCounters[][] = [];
    const startSeq: number[] = [];
    const stepSeqs = new Map<number, { hop: number; step: number }>();
    const maxSeq = (c: PointCounters[]) => c.reduce((m, x) => Math.max(m, x.lastSeq), 0);
    // Search watch: armed first, so that debug register i is watch.slots[i] (a fresh copy has none).
    const armed: WatchSlot[] = [];
    if (watch) {
      for (const w of watch.slots) {
        await inf.setWatchpoint(w.addr, w.len, w.kind ?? 'write');
        armed.push(w);
      }
    }
    if (watch) run.watchRanges = watch.bytes;
    const ours = (dr6: number) => armed.some((_, i) => (dr6 & (1 << i)) !== 0);
    const readBytes = () => (watch ? watch.bytes.map((b) => inf.readMemorySync(b.addr, b.size)) : []);
    // Arrival hook: its points stop the run (they trap); each arrival is reported with its name.
    const hookAddrs = new Set<number>([...(hook?.points ?? [])].map((i) => all[i].addr));
    const report = async (k: number, pc: number, name: (pi: number) => Hop) => {
      if (!hook) return;
      const c = run.counters();
      for (const pi of hook.points) {
        if (all[pi].addr !== pc) continue;
        await hook.onArrival(pi, [...hops.slice(0, k).map((x) => ({ ...x })), name(pi)], c[pi].lastSeq);
      }
    };
    /** cont, reporting watch triggers and hook arrivals on the way, until another stop. */
    const contHop = async (k: number, counter: { nth: number }, isEnd?: (r: CountResult) => boolean): Promise<CountResult> => {
      for (;;) {
        const r = await run.cont(hookAddrs);
        if (isEnd?.(r)) return r;
        if (watch && r.kind === 'event' && r.ev.kind === 'watchpoint' && ours(r.ev.dr6)) {
          watch.onTrigger({ hop: k, nth: ++counter.nth, seqBefore: maxSeq(run.counters()) });
          continue;
        }
        if (hook && r.kind === 'event' && r.ev.kind === 'breakpoint' && hookAddrs.has(r.ev.pc)) {
          await report(k, r.ev.pc, (pi) => ({ kind: 'at', addr: all[pi].addr, n: run.counters()[pi].all - starts[k][pi].all }));
          continue;
        }
        return r;
      }
    };
    for (let k = 0; k < hops.length; k++) {
      const h = hops[k];
      const c = run.counters();
      starts.push(c);
      startSeq.push(maxSeq(c));
      const counter = { nth: 0 };
      if (h.kind === 'at') {
        const pi = hopPoint.get(h.addr)!;
        await run.setTarget(pi, c[pi].all + h.n, 'all');
        const r = await contHop(k, counter);
        await run.setTarget(pi, 0, 'all');
        if (r.kind !== 'target' || r.point !== pi) {
          throw new ReverseError(`Replay diverged: expected arrival #${h.n} at 0x${h.addr.toString(16)}, got ${r.kind === 'event' ? describeEvent(r.ev) : 'another stop'}.`);
        }
        if (k < hops.length - 1 || countEnd) {
          await run.recordArrival(pi);
          if (hook?.points.has(pi)) await report(k, h.addr, (q) => ({ kind: 'at', addr: all[q].addr, n: run.counters()[q].all - starts[k][q].all }));
        }
      } else if (h.kind === 'steps') {
        let prev = readBytes();
        for (let s = 0; s < h.n; s++) {
          const before = maxSeq(run.counters());
          const r = await run.step(countEnd || k < hops.length - 1 || s < h.n - 1);
          if (r.kind === 'event' && (r.ev.kind === 'exited' || r.ev.kind === 'killed')) throw new ReverseError('Replay diverged: the program ended while single-stepping.');
          const after = maxSeq(run.counters());
          for (let q = before + 1; q <= after; q++) stepSeqs.set(q, { hop: k, step: s + 1 });
          if (hook && after > before) {
            const pc = (await inf.getRegisters()).pc;
            if (hookAddrs.has(pc)) await report(k, pc, () => ({ kind: 'steps', n: s + 1 }));
          }
          if (watch) {
            // The tracer reports a slot that fired during the step (DR6); the bytes compared besides.
            const now = readBytes();
            const w = r.kind === 'step' || r.kind === 'target' ? r.watch : undefined;
            const fired = w?.kind === 'watchpoint' && ours(w.dr6);
            if (fired || now.some((b, i) => !b.equals(prev[i]))) watch.onTrigger({ hop: k, step: s + 1, seqBefore: before });
            prev = now;
          }
        }
      } else {
        // The hop's own watch slots, besides the search's (a slot both watch is armed once).
        const own: WatchSlot[] = [];
        for (const w of h.watch ?? []) {
          const i = armed.findIndex((a) => a.addr === w.addr && a.len === w.len);
          if (i >= 0) own.push(armed[i]);
          else {
            await inf.setWatchpoint(w.addr, w.len, w.kind ?? 'write');
            armed.push(w);
            own.push(w);
          }
        }
        const isOwn = (dr6: number) => own.some((w) => (dr6 & (1 << armed.indexOf(w))) !== 0);
        // A trigger of the hop's own slots ends it (reported first when the search watches them too).
        const r = await contHop(k, counter, (x) => {
          if (!(x.kind === 'event' && x.ev.kind === 'watchpoint' && h.expect === 'watchpoint' && isOwn(x.ev.dr6))) return false;
          if (watch && ours(x.ev.dr6)) watch.onTrigger({ hop: k, nth: ++counter.nth, seqBefore: maxSeq(run.counters()) });
          return true;
        });
        for (const w of own) {
          if (watch && watch.slots.includes(w)) continue;
          await inf.removeWatchpoint(w.addr);
          armed.splice(armed.indexOf(w), 1);
        }
        if (r.kind !== 'event' || r.ev.kind !== h.expect) throw new ReverseError(`Replay diverged: expected a ${h.expect} stop.`);
      }
    }
    const end = run.counters();
    return { run, starts, startSeq, end, stepSeqs, pointOf: (addr) => all.findIndex((p) => p.addr === addr) };
  }

  /**
   * Makes the current process a fresh copy at `pos` (the previous copy is dropped; the live program
   * stays where it is). User breakpoints are inserted in it.
   */
  async materialize(pos: Position): Promise<void> {
    const inf = await this.spawnAt(pos.ckpt);
    try {
      const { run } = await this.runCounting(inf, pos.hops, [], new Set());
      await run.dispose();
    } catch (e) {
      await inf.kill().catch(() => undefined);
      throw e;
    }
    await this.switchTo(inf, { ckpt: pos.ckpt, hops: pos.hops.map((h) => ({ ...h })) });
  }

  /** Runs `fn` with `inf` (a search copy) as the process the view shows, e.g. to evaluate a condition there. */
  async withCurrent<T>(inf: Inferior, fn: () => Promise<T>): Promise<T> {
    const old = this.cur;
    this.cur = inf;
    try {
      return await fn();
    } finally {
      this.cur = old;
    }
  }

  /** The current copy was moved to `pos` by the caller (reverse.ts). */
  async adoptCurrentPosition(pos: Position): Promise<void> {
    this.curPos = pos;
    this.pastInterrupted = false;
    await this.refreshHits(this.cur);
  }

  /** Makes `inf` (a copy at `pos`) the current process. */
  private async switchTo(inf: Inferior, pos: Position): Promise<void> {
    const old = this.cur;
    this.cur = inf;
    this.curPos = pos;
    this.pastInterrupted = false;
    await this.applyBreakpoints(inf);
    if (old !== this.live && old !== inf) await old.kill().catch(() => undefined);
  }

  /** Back to the live program (the present): the copy goes. */
  async backToPresent(): Promise<void> {
    const old = this.cur;
    if (old === this.live) return;
    this.cur = this.live;
    this.curPos = undefined;
    this.pastInterrupted = false;
    await old.kill().catch(() => undefined);
    await this.syncLive();
    await this.refreshHits(this.live);
  }

  /** Watchpoints inserted in the live program (set through the view while it was current). */
  private readonly liveWatches = new Map<number, WatchSlot>();

  /**
   * Breakpoints and watchpoints set or removed while in the past went to the copy only: the live program
   * gets the same set when it becomes current again.
   */
  private async syncLive(): Promise<void> {
    const live = this.live;
    if (live.state !== 'stopped') return;
    const have = await live.breakpoints().catch(() => []);
    for (const b of have) if (!this.bps.has(b.addr)) await live.removeBreakpoint(b.addr).catch(() => undefined);
    for (const [addr, o] of this.bps) {
      if (!have.some((b) => b.addr === addr)) await live.setBreakpoint(addr, { ...o }).catch(() => undefined);
    }
    for (const [addr, w] of [...this.liveWatches]) {
      const want = this.watches.get(addr);
      if (want && want.len === w.len && want.kind === w.kind) continue;
      await live.removeWatchpoint(addr).catch(() => undefined);
      this.liveWatches.delete(addr);
    }
    for (const [addr, w] of this.watches) {
      if (this.liveWatches.has(addr)) continue;
      try {
        await live.setWatchpoint(addr, w.len, w.kind ?? 'write');
        this.liveWatches.set(addr, { ...w });
      } catch {
        /* no free slot: as when set */
      }
    }
  }

  /**
   * A user breakpoint at the pc a copy was materialized at: inserted only once the copy has stepped off
   * it (a program stopped at a breakpoint location continues past it, as gdb does; the tracer steps off
   * only a breakpoint it reported).
   */
  private deferredBp: number | undefined;

  private async applyBreakpoints(inf: Inferior): Promise<void> {
    for (const w of this.watches.values()) await inf.setWatchpoint(w.addr, w.len, w.kind ?? 'write').catch(() => undefined);
    const pc = (await inf.getRegisters()).pc;
    this.deferredBp = undefined;
    for (const [addr, o] of this.bps) {
      if (addr === pc && inf !== this.live) {
        this.deferredBp = addr;
        continue;
      }
      try {
        await inf.setBreakpoint(addr, { ...o, ignoreCount: 0 });
      } catch {
        /* not mapped in that copy */
      }
    }
    await this.refreshHits(inf);
  }

  private async refreshHits(inf: Inferior): Promise<void> {
    this.hits = new Map((await inf.breakpoints()).map((b) => [b.addr, b.hits]));
  }

  // ---------------------------------------------------------------------------------------------
  // Run control through the view

  private hopsOfCurrent(): Hop[] {
    return this.curPos ? this.curPos.hops : this.liveHops;
  }

  private async beforeResume(): Promise<void> {
    await this.trailWork;
    if (this.cur === this.live && this.dirty) await this.takeTrailPoint(false);
  }

  /** Records what a cont did as a hop. Returns the stop to report instead of ev, when taking the note moved the program (see takeAnchor). */
  private async noteCont(ev: StopEvent, temporary?: number[]): Promise<StopEvent> {
    const hops = this.hopsOfCurrent();
    const inf = this.cur;
    if (ev.kind === 'breakpoint') {
      const before = this.hits.get(ev.pc) ?? 0;
      await this.refreshHits(inf);
      const n = (this.hits.get(ev.pc) ?? 0) - before;
      // A run-to breakpoint the tracer inserted for this cont only (next, finish: `temporary`) stops it
      // at its first hit: the first arrival there.
      if (n <= 0 && temporary?.includes(ev.pc)) addHop(hops, { kind: 'at', addr: ev.pc, n: 1 });
      else addHop(hops, n > 0 ? { kind: 'at', addr: ev.pc, n } : { kind: 'event', expect: 'breakpoint', pc: ev.pc });
    } else if (ev.kind === 'watchpoint') {
      addHop(hops, { kind: 'event', expect: ev.kind, pc: ev.pc, watch: [...this.watches.values()].map((w) => ({ ...w })) });
    } else if (ev.kind === 'signal') {
      addHop(hops, { kind: 'event', expect: ev.kind, pc: ev.pc });
    } else if (ev.kind === 'paused') {
      // An interruption (pause, Ctrl-C) lands at a moment no hop names. Like a periodic checkpoint, the
      // checkpoint taken here is an anchor, named by its exact state (resolved by one replay when a search
      // first goes back across it). Where no arrival has that state (inside a system call, part-way
      // through a string instruction) the segment cannot be crossed (opaque).
      if (this.cur === this.live) {
        const a = await this.takeAnchor(true);
        if (typeof a === 'object') return a;
        if (!a) {
          this.liveOpaque = true;
          this.dirty = true;
        }
      } else {
        const moved = await this.notePastInterruption();
        if (moved) return moved;
      }
      const pc = (await this.cur.getRegisters()).pc;
      if (pc !== ev.pc) return { ...ev, pc };
    }
    return ev;
  }

  private async viewCont(opts: { signal?: number | string; temporary?: number[] } = {}): Promise<StopEvent> {
    await this.beforeResume();
    if (this.inPast) return this.pastCont(opts);
    const ev = await this.liveCont(opts);
    return this.translate(await this.noteCont(ev, opts.temporary));
  }

  /** A pause the user asked for (not one of ours for a periodic checkpoint). */
  private userPause = false;

  /**
   * cont of the live program, with a periodic checkpoint every periodicMs of running: a timer pauses the
   * program, a checkpoint is taken where it is (unless that is inside a system call or a string
   * instruction: then none this time), and the cont goes on.
   */
  private async liveCont(opts: { signal?: number | string; temporary?: number[] }): Promise<StopEvent> {
    const every = this.opts.periodicMs ?? Number(process.env.BACKSTEP_PERIODIC_MS ?? 250);
    if (!every || this.closed) return this.live.cont(opts);
    let o: Record<string, unknown> = { ...opts };
    for (;;) {
      let ours = false;
      // Only while the program is running in user space (state R): a pause that interrupts a blocking
      // system call makes the kernel restart it, which the system-call recording does not model (and
      // a program blocked in the kernel makes no progress worth a checkpoint). Checked at each tick.
      const timer = setInterval(() => {
        if (ours || this.live.state !== 'running' || this.userPause) return;
        if (!runningInUserSpace(this.live.pid)) return;
        ours = true;
        this.live.pause();
      }, every);
      let ev: StopEvent;
      try {
        ev = await this.live.cont(o);
      } finally {
        clearInterval(timer);
      }
      if (ev.kind !== 'paused' || !ours || this.userPause) {
        this.userPause = false;
        return ev;
      }
      const a = await this.takeAnchor(false);
      if (typeof a === 'object') return a;
      o = { ...o, signal: undefined };
    }
  }

  /**
   * A moment named by its state (an anchor, an interruption in the past) is found again by a counting
   * trampoline at its pc; where none can be patched in (an instruction shorter than a jump, before a
   * branch target or a line start) that would cost a stop per arrival. A few single steps ahead (plain
   * instructions only; not with watchpoints set, not onto a breakpoint) reach a pc where one can: an
   * interruption lands anywhere anyway. Returns a stop other than a step, if one happened.
   */
  private async stepToPatchable(inf: Inferior, watching: boolean): Promise<StopEvent | undefined> {
    if (watching) return undefined;
    for (let k = 0; k < 16; k++) {
      const regs = await inf.getRegisters();
      if (this.bps.has(regs.pc) || !stateIsNameable(inf, regs)) return undefined;
      let code: Buffer;
      try {
        code = inf.readMemorySync(regs.pc, 32);
      } catch {
        return undefined;
      }
      if (patchable(code, regs.pc, this.opts.jumpTargets?.([regs.pc]) ?? new Set())) return undefined;
      if (!plainInstruction(code, regs.pc)) return undefined;
      const ev = await inf.step();
      if (ev.kind !== 'step') return ev;
    }
    return undefined;
  }

  /**
   * A checkpoint where the live program was interrupted (see TrailPoint.anchor): by our timer (a periodic
   * checkpoint) or by the user (`user`: a pause, which is a user-visible stop). Returns whether it was
   * taken (not inside a system call or a string instruction).
   */
  private async takeAnchor(user: boolean): Promise<boolean | StopEvent> {
    // Inside a system call the kernel will restart (a user pause; the timer avoids system calls, and one
    // it lands in gets no checkpoint): named by the moment before its `syscall` instruction.
    const inCall = user ? restartPoint(this.live, await this.live.getRegisters()) : undefined;
    const moved = inCall ? undefined : await this.stepToPatchable(this.live, this.liveWatches.size > 0);
    if (moved) {
      // Something happened (a fault): the program stopped for a reason of its own, at no named point.
      this.liveOpaque = true;
      this.dirty = true;
      return moved;
    }
    const regs = await this.live.getRegisters();
    // Inside another system call (one that will not be restarted) or a string instruction part-way: no
    // arrival ever has that state.
    if (!inCall && !stateIsNameable(this.live, regs)) return false;
    // The anchor is found from the checkpoint before it by counting at its pc: that code must be mapped
    // there already (not a library loaded since, e.g. libc after a checkpoint at the program's start).
    // After named hops (the stops where libraries were loaded, say) the search starts after them.
    const prev = this.trail[this.trail.length - 1];
    if (prev && !this.liveHops.length && !mappedIn(prev.pid, inCall ? inCall.pc : regs.pc)) return false;
    const info = await recordingInfo(this.live);
    if (info.broken) {
      this.broken = info.broken;
      return false;
    }
    let ck;
    try {
      ck = await this.live.forkCheckpoint();
    } catch {
      return false;
    }
    this.trail.push({
      pid: ck.pid,
      cursor: info.cursor,
      pc: ck.pc,
      seg: [],
      anchor: { ...(inCall ?? { pc: regs.pc, regs: STATE_REGS.map((n) => regs.get(n)) }), prefix: this.liveHops.map((h) => ({ ...h })) },
      takenAt: Date.now(),
      cpuMs: cpuMsOf(this.live.pid),
      user,
      opaque: this.liveOpaque,
    });
    this.liveHops = [];
    this.liveOpaque = false;
    this.dirty = false;
    await this.refreshHits(this.live);
    await this.thin();
    return true;
  }

  /** Inserts the deferred breakpoint (after the step off its address). */
  private async insertDeferred(inf: Inferior): Promise<void> {
    const addr = this.deferredBp;
    this.deferredBp = undefined;
    if (addr === undefined || inf !== this.cur || !this.bps.has(addr) || inf.state !== 'stopped') return;
    try {
      await inf.setBreakpoint(addr, { ...this.bps.get(addr), ignoreCount: 0 });
      this.hits.set(addr, 0);
    } catch {
      /* not mapped */
    }
  }

  private async viewStep(tid?: number): Promise<StopEvent> {
    void tid;
    await this.beforeResume();
    const inf = this.cur;
    const ev = await inf.step();
    addHop(this.hopsOfCurrent(), { kind: 'steps', n: 1 });
    if (this.deferredBp !== undefined && inf !== this.live) await this.insertDeferred(inf);
    const out = this.translate(ev);
    if (this.inPast) await this.checkPresent();
    return out;
  }

  private async viewStepMany(count: number, tid?: number): Promise<{ steps: number; event: StopEvent }> {
    void tid;
    await this.beforeResume();
    if (this.inPast) {
      // One at a time: the present may come on the way.
      let steps = 0;
      let ev: StopEvent = this.cur.lastStop;
      while (steps < count) {
        ev = await this.viewStep();
        if (ev.kind !== 'step') break;
        steps++;
      }
      return { steps, event: ev };
    }
    const r = await this.live.stepMany(count);
    addHop(this.liveHops, { kind: 'steps', n: r.steps + (r.event.kind === 'step' ? 0 : 1) });
    return { steps: r.steps, event: this.translate(r.event) };
  }

  /** Single-steps while the pc stays in [start, end) (the target's stepRange), recorded as steps. */
  private async viewStepRange(start: number, end: number, o: { tid?: number; stopAt?: number[]; maxSteps?: number }): Promise<{ event: StopEvent; prevPc: number; steps: number }> {
    await this.beforeResume();
    if (!this.inPast) {
      const r = await this.live.stepRange(start, end, { ...o, tid: undefined });
      addHop(this.liveHops, { kind: 'steps', n: r.steps });
      return { ...r, event: this.translate(r.event) };
    }
    // In the past, one step at a time: the present may come on the way.
    const max = o.maxSteps ?? 100_000;
    let prevPc = (await this.cur.getRegisters()).pc;
    let ev = await this.viewStep();
    let steps = 1;
    while (ev.kind === 'step' && ev.pc >= start && ev.pc < end && steps < max) {
      if (this.bps.has(ev.pc) || (o.stopAt ?? []).includes(ev.pc)) break;
      prevPc = ev.pc;
      ev = await this.viewStep();
      steps++;
    }
    return { event: ev, prevPc, steps };
  }

  /**
   * cont in the past: the copy runs with the user's breakpoints, plus a trap at the present's pc; an
   * arrival there that is the present (same system-call count, registers and memory) hands over to the
   * live program, which continues the cont.
   */
  private async pastCont(opts: { signal?: number | string; temporary?: number[] }): Promise<StopEvent> {
    const temporary = opts.temporary;
    if (this.deferredBp !== undefined) {
      // Off the breakpoint location first (one step), then the breakpoint goes in.
      const at = this.deferredBp;
      if ((await this.cur.getRegisters()).pc === at) {
        const ev = await this.viewStep();
        if (ev.kind !== 'step') return ev;
        if (temporary?.includes(ev.pc)) return { ...ev, kind: 'breakpoint' } as StopEvent;
        if (!this.inPast) return this.viewCont({ temporary });
      } else await this.insertDeferred(this.cur);
    }
    const present = await this.presentState();
    const presentPc = present.pc;
    const liveInfo = await recordingInfo(this.live);
    const inf = this.cur;
    const guard = !this.bps.has(presentPc);
    if (guard) await inf.setBreakpoint(presentPc, { hardware: 'auto' });
    let sig = opts.signal;
    try {
      for (;;) {
        const ev = await inf.cont(sig === undefined ? { temporary } : { signal: sig, temporary });
        sig = undefined;
        if (ev.kind === 'breakpoint' && ev.pc === presentPc) {
          const info = await recordingInfo(inf);
          if (info.cursor === liveInfo.cursor && (await this.samePresent(inf, present))) {
            if (guard) await inf.removeBreakpoint(presentPc).catch(() => undefined);
            await this.backToPresent();
            if (!guard) return this.translate({ ...ev, pid: this.live.pid, tid: this.live.pid });
            // Continue the cont in the live program.
            const lev = await this.liveCont({ temporary });
            return this.translate(await this.noteCont(lev, temporary));
          }
          if (guard) continue;
        }
        if (guard && ev.kind !== 'exited' && ev.kind !== 'killed') await inf.removeBreakpoint(presentPc).catch(() => undefined);
        if (ev.kind === 'exited' || ev.kind === 'killed') {
          throw new ReverseError('The replay ended the program before reaching the present: the recording does not match.');
        }
        return this.translate(await this.noteCont(ev, temporary));
      }
    } catch (e) {
      if (guard && this.cur === inf && inf.state === 'stopped') await inf.removeBreakpoint(presentPc).catch(() => undefined);
      throw e;
    }
  }

  /** After a step in the past: at the present? Then the live program takes over. */
  private async checkPresent(): Promise<void> {
    const inf = this.cur;
    const present = await this.presentState();
    const r = await inf.getRegisters();
    if (r.pc !== present.pc) return;
    const info = await recordingInfo(inf);
    const liveInfo = await recordingInfo(this.live);
    if (info.cursor !== liveInfo.cursor) return;
    if (await this.samePresent(inf, present)) await this.backToPresent();
  }

  /**
   * The moment a replay copy meets the present at: where the live program is, or, when it is stopped
   * inside a system call the kernel will restart (a pause), the arrival at that call's `syscall`
   * instruction (see restartPoint): the replay cannot run the call, whose result is not recorded yet.
   */
  private async presentState(): Promise<{ pc: number; regs: (bigint | undefined)[] }> {
    const regs = await this.live.getRegisters();
    return restartPoint(this.live, regs) ?? { pc: regs.pc, regs: STATE_REGS.map((n) => regs.get(n)) };
  }

  /** Whether copy `inf` is exactly at the present (presentState): registers, then writable memory. */
  private async samePresent(inf: Inferior, present: { pc: number; regs: (bigint | undefined)[] }): Promise<boolean> {
    const r = await inf.getRegisters();
    if (r.pc !== present.pc) return false;
    if (!STATE_REGS.every((n, k) => present.regs[k] === undefined || r.get(n) === present.regs[k])) return false;
    return sameWritableMemory(this.live, inf, r.sp, (await this.opts.volatileMemory?.(inf)) ?? []);
  }

  private translate(ev: StopEvent): StopEvent {
    if (this.cur === this.live) return ev;
    const out = { ...ev, pid: this.live.pid } as StopEvent;
    if ('tid' in out) (out as { tid: number }).tid = this.live.pid;
    return out;
  }

  private makeView(): Inferior {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tl = this;
    const tidOf = (tid?: number) => (tid === undefined || tid === tl.live.pid ? tl.cur.pid : tid);
    const overrides: Record<string, unknown> = {
      cont: (opts?: { signal?: number | string; temporary?: number[] }) => tl.viewCont(opts),
      step: (tid?: number) => tl.viewStep(tid),
      stepMany: (count: number, tid?: number) => tl.viewStepMany(count, tid),
      stepRange: (start: number, end: number, o: { tid?: number; stopAt?: number[]; maxSteps?: number } = {}) => tl.viewStepRange(start, end, o),
      setBreakpoint: async (addr: number, o: { ignoreCount?: number; hardware?: boolean | 'auto' } = {}) => {
        tl.bps.set(addr, { ...o });
        const info = await tl.cur.setBreakpoint(addr, o);
        tl.hits.set(addr, info.hits);
        return info;
      },
      removeBreakpoint: async (addr: number) => {
        tl.bps.delete(addr);
        tl.hits.delete(addr);
        await tl.cur.removeBreakpoint(addr);
      },
      setWatchpoint: async (addr: number, len: 1 | 2 | 4 | 8, kind: 'write' | 'access' = 'write') => {
        await tl.cur.setWatchpoint(addr, len, kind);
        tl.watches.set(addr, { addr, len, kind });
        if (!tl.inPast) tl.liveWatches.set(addr, { addr, len, kind });
      },
      removeWatchpoint: async (addr: number) => {
        tl.watches.delete(addr);
        if (!tl.inPast) tl.liveWatches.delete(addr);
        await tl.cur.removeWatchpoint(addr);
      },
      writeMemory: async (addr: number, data: Buffer) => {
        if (tl.inPast) throw new TargetError(NO_WRITE_IN_PAST);
        tl.dirty = true;
        return tl.live.writeMemory(addr, data);
      },
      writeMemorySync: (addr: number, data: Buffer) => {
        if (tl.inPast) throw new TargetError(NO_WRITE_IN_PAST);
        tl.dirty = true;
        return tl.live.writeMemorySync(addr, data);
      },
      setRegisters: async (regs: Registers, tid?: number) => {
        if (tl.inPast) throw new TargetError(NO_WRITE_IN_PAST);
        tl.dirty = true;
        return tl.live.setRegisters(regs, tidOf(tid));
      },
      setFpRegisters: async (regs: never, tid?: number) => {
        if (tl.inPast) throw new TargetError(NO_WRITE_IN_PAST);
        tl.dirty = true;
        return tl.live.setFpRegisters(regs, tidOf(tid));
      },
      getRegisters: (tid?: number) => tl.cur.getRegisters(tidOf(tid)),
      getFpRegisters: (tid?: number) => tl.cur.getFpRegisters(tidOf(tid)),
      getXState: (tid?: number) => tl.cur.getXState(tidOf(tid)),
      setXState: async (regs: never, tid?: number) => {
        if (tl.inPast) throw new TargetError(NO_WRITE_IN_PAST);
        tl.dirty = true;
        return tl.live.setXState(regs, tidOf(tid));
      },
      injectSyscall: (nr: number, args: (number | bigint)[] = [], tid?: number) => tl.cur.injectSyscall(nr, args, tidOf(tid)),
      threads: async () => (await tl.cur.threads()).map((t) => ({ ...t, tid: t.tid === tl.cur.pid ? tl.live.pid : t.tid })),
      pause: () => {
        if (!tl.inPast && tl.live.state === 'running') tl.userPause = true;
        return tl.cur.pause();
      },
      forkCheckpoint: (o?: never) => {
        if (tl.inPast) throw new TargetError('Cannot take a checkpoint while replaying the recorded history.');
        return tl.live.forkCheckpoint(o);
      },
      kill: async () => {
        await tl.close();
        return tl.live.kill();
      },
      detach: async () => {
        if (tl.inPast) await tl.backToPresent();
        await tl.close();
        return tl.live.detach();
      },
    };
    return new Proxy(this.live, {
      get(_target, prop, _receiver) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop];
        if (prop === 'pid') return tl.live.pid;
        if (prop === 'currentTid') return tl.live.pid;
        if (prop === 'lastStop') return tl.translate(tl.cur.lastStop);
        if (prop === 'attached') return tl.live.attached;
        const v = Reflect.get(tl.cur, prop, tl.cur);
        return typeof v === 'function' ? v.bind(tl.cur) : v;
      },
    });
  }

  /** Drops every copy and checkpoint; the live program stays (stops being recorded only when it ends). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.trailWork.catch(() => undefined);
    if (this.cur !== this.live) await this.cur.kill().catch(() => undefined);
    this.cur = this.live;
    this.curPos = undefined;
    for (const p of this.trail) await this.tracer.killCheckpoint(p.pid).catch(() => undefined);
    this.trail.length = 0;
  }
}

export function describeEvent(ev: StopEvent): string {
  switch (ev.kind) {
    case 'exited':
      return `the program exited with code ${ev.code}`;
    case 'killed':
      return `the program was killed by ${ev.signame}`;
    case 'signal':
      return `signal ${ev.signame} at 0x${ev.pc.toString(16)}`;
    default:
      return `a ${ev.kind} stop at 0x${ev.pc.toString(16)}`;
  }
}

/** Compares the writable private memory of two processes with the same layout. */
function sameWritableMemory(a: Inferior, b: Inferior, sp: number, ignore: { addr: number; len: number }[] = []): boolean {
  let maps: string[];
  let exe = '';
  try {
    exe = fs.readlinkSync(`/proc/${a.pid}/exe`);
    maps = fs.readFileSync(`/proc/${a.pid}/maps`, 'utf8').split('\n').filter(Boolean);
  } catch {
    return false;
  }
  for (const line of maps) {
    const parts = line.trim().split(/\s+/);
    const perms = parts[1];
    const name = parts[5] ?? '';
    if (!perms.startsWith('rw')) continue;
    // The program's own state: its stack above sp, its data, its heap and anonymous memory. Libraries'
    // private state (ld.so keeps process-specific values) does not tell two moments apart.
    if (name && name !== '[stack]' && name !== '[heap]' && name !== exe) continue;
    const [lo0, hi] = parts[0].split('-').map((x) => parseInt(x, 16));
    // Below the stack pointer is scratch (signal frames, the counting trampolines' saves).
    const lo = name === '[stack]' ? Math.max(lo0, sp) : lo0;
    for (let at = lo; at < hi; at += 1 << 20) {
      const len = Math.min(1 << 20, hi - at);
      let x: Buffer;
      let y: Buffer;
      try {
        x = a.readMemorySync(at, len);
        y = b.readMemorySync(at, len);
      } catch {
        continue;
      }
      if (x.equals(y)) continue;
      // Bytes the kernel writes on its own (the rseq area's cpu ids) do not tell two moments apart.
      for (const v of ignore) {
        const from = Math.max(v.addr, at);
        const to = Math.min(v.addr + v.len, at + len);
        if (from < to) {
          x.fill(0, from - at, to - at);
          y.fill(0, from - at, to - at);
        }
      }
      if (!x.equals(y)) return false;
    }
  }
  return true;
}

/**
 * Whether copy `b` has the memory of frozen checkpoint process `pid` (its program's writable private
 * memory: stack above sp, data, heap, anonymous), read through /proc/PID/mem.
 */
function sameMemory(pid: number, b: Inferior, sp: bigint, ignore: { addr: number; len: number }[]): boolean {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  } catch {
    return false;
  }
  try {
    const a = {
      pid,
      readMemorySync: (addr: number, len: number) => {
        const buf = Buffer.alloc(len);
        const n = fs.readSync(fd, buf, 0, len, addr);
        if (n !== len) throw new Error('short read');
        return buf;
      },
    } as unknown as Inferior;
    return sameWritableMemory(a, b, Number(BigInt.asUintN(64, sp)), ignore);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A stop inside a system call that the kernel restarts when the program resumes (rax -ERESTARTSYS,
 * -ERESTARTNOINTR, -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK: a pause delivers no signal): named by the
 * arrival at its `syscall` instruction (rip - 2) with the registers it had then — rax = orig_rax, the
 * others as now except rcx and r11, which the instruction overwrote (any value).
 */
function restartPoint(inf: Inferior, regs: Registers): { pc: number; regs: (bigint | undefined)[] } | undefined {
  const orig = regs.get('orig_rax');
  if (orig === 0xffffffffffffffffn || orig === -1n) return undefined;
  const rax = BigInt.asIntN(64, regs.get('rax'));
  if (rax !== -512n && rax !== -513n && rax !== -514n && rax !== -516n) return undefined;
  try {
    const code = inf.readMemorySync(regs.pc - 2, 2);
    if (code[0] !== 0x0f || code[1] !== 0x05) return undefined;
  } catch {
    return undefined;
  }
  return { pc: regs.pc - 2, regs: STATE_REGS.map((n) => (n === 'rax' ? orig : n === 'rcx' || n === 'r11' ? undefined : regs.get(n))) };
}

/** Whether addr is mapped in process pid (/proc/PID/maps). */
function mappedIn(pid: number, addr: number): boolean {
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
      if (m && addr >= parseInt(m[1], 16) && addr < parseInt(m[2], 16)) return true;
    }
  } catch {
    /* gone */
  }
  return false;
}

/** Whether an arrival can have this state: not inside a system call, not part-way through a string instruction. */
function stateIsNameable(inf: Inferior, regs: Registers): boolean {
  if (regs.get('orig_rax') !== 0xffffffffffffffffn && regs.get('orig_rax') !== -1n) return false;
  try {
    const code = inf.readMemorySync(regs.pc, 4);
    return ![...code].slice(0, 3).some((b) => b === 0xf2 || b === 0xf3);
  } catch {
    return false;
  }
}

/** The memory sameWritableMemory compares (the program's stack above sp, data, heap, anonymous), as ranges. */
function writableRegions(pid: number, sp: bigint | number): { lo: number; hi: number }[] {
  const spn = typeof sp === 'bigint' ? Number(BigInt.asUintN(64, sp)) : sp;
  const out: { lo: number; hi: number }[] = [];
  try {
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter(Boolean)) {
      const parts = line.trim().split(/\s+/);
      const name = parts[5] ?? '';
      if (!parts[1].startsWith('rw')) continue;
      if (name && name !== '[stack]' && name !== '[heap]' && name !== exe) continue;
      const [lo0, hi] = parts[0].split('-').map((x) => parseInt(x, 16));
      out.push({ lo: name === '[stack]' ? Math.max(lo0, spn) : lo0, hi });
    }
  } catch {
    /* gone */
  }
  return out;
}

/**
 * A digest of `regions` of a process's memory (the kernel's own bytes in `ignore` zeroed). Regions are
 * given, not read from the process's maps: a replay copy has the counting trampolines' page besides.
 */
function memoryDigest(inf: Inferior, regions: { lo: number; hi: number }[], ignore: { addr: number; len: number }[]): string {
  const h = crypto.createHash('sha1');
  for (const { lo, hi } of regions) {
    for (let at = lo; at < hi; at += 1 << 20) {
      const len = Math.min(1 << 20, hi - at);
      let x: Buffer;
      try {
        x = inf.readMemorySync(at, len);
      } catch {
        continue;
      }
      for (const v of ignore) {
        const from = Math.max(v.addr, at);
        const to = Math.min(v.addr + v.len, at + len);
        if (from < to) x.fill(0, from - at, to - at);
      }
      h.update(`${at.toString(16)}:`);
      h.update(x);
    }
  }
  return h.digest('hex');
}

/** Whether the process is running, not blocked in the kernel (/proc/PID/stat state R, no system call). */
function runningInUserSpace(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'R') return false;
    return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith('running');
  } catch {
    return false;
  }
}

/** CPU time (user + system, ms) a process has used (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}
