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
import * as fs from 'fs';
import { Registers } from '../../ptrace';
import { Inferior, StopEvent, TargetError, Tracer } from '../../target';
import { RecordingInfo } from '../../target/recording';
import { recordingInfo, startRecording, startReplay } from '../../target/recording-setup';
import { CountingRun, CountPoint, PointCounters } from './counting';

export type Hop =
  | { kind: 'at'; addr: number; n: number }
  | { kind: 'steps'; n: number }
  | { kind: 'event'; expect: StopEvent['kind']; pc: number; watch?: { addr: number; len: 1 | 2 | 4 | 8 } };

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
  takenAt: number;
  /** Made at a user-visible stop. */
  user: boolean;
}

export interface TimelineOptions {
  /** At most this many checkpoints kept (default 48). */
  maxCheckpoints?: number;
  /** Memory the checkpoints may hold (private dirty pages, default 512 MiB). */
  memoryBudgetKb?: number;
  /**
   * Addresses other code may jump to around these addresses (branch targets, return addresses, line
   * starts of the functions holding them): no counting patch may cover one.
   */
  jumpTargets?: (addrs: number[]) => Set<number>;
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
  /** Watchpoints set through the view (address -> length). */
  private readonly watches = new Map<number, { addr: number; len: 1 | 2 | 4 | 8 }>();
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
    if (this.curPos) return { ckpt: this.curPos.ckpt, hops: this.curPos.hops.map((h) => ({ ...h })) };
    return { ckpt: this.trail.length - 1, hops: this.liveHops.map((h) => ({ ...h })) };
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
    this.trail.push({ pid: ck.pid, cursor: info.cursor, pc: ck.pc, seg: this.liveHops, takenAt: Date.now(), user, opaque: this.liveOpaque });
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
    for (let i = 1; i < n - dense; i++) if (!this.trail[i].opaque && !this.trail[i + 1]?.opaque) cands.push(i);
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
    if (next) next.seg = [...p.seg.map((h) => ({ ...h })), ...next.seg];
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
    for (let k = 0; k < hops.length; k++) {
      const h = hops[k];
      const c = run.counters();
      starts.push(c);
      startSeq.push(maxSeq(c));
      if (h.kind === 'at') {
        const pi = hopPoint.get(h.addr)!;
        await run.setTarget(pi, c[pi].all + h.n, 'all');
        const r = await run.cont();
        await run.setTarget(pi, 0, 'all');
        if (r.kind !== 'target' || r.point !== pi) {
          throw new ReverseError(`Replay diverged: expected arrival #${h.n} at 0x${h.addr.toString(16)}, got ${r.kind === 'event' ? describeEvent(r.ev) : 'another stop'}.`);
        }
        if (k < hops.length - 1 || countEnd) await run.recordArrival(pi);
      } else if (h.kind === 'steps') {
        for (let s = 0; s < h.n; s++) {
          const before = maxSeq(run.counters());
          const r = await run.step(countEnd || k < hops.length - 1 || s < h.n - 1);
          if (r.kind === 'event' && (r.ev.kind === 'exited' || r.ev.kind === 'killed')) throw new ReverseError('Replay diverged: the program ended while single-stepping.');
          const after = maxSeq(run.counters());
          for (let q = before + 1; q <= after; q++) stepSeqs.set(q, { hop: k, step: s + 1 });
        }
      } else {
        if (h.watch) await inf.setWatchpoint(h.watch.addr, h.watch.len, 'write');
        const r = await run.cont();
        if (h.watch) await inf.removeWatchpoint(h.watch.addr);
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

  /** The current copy was moved to `pos` by the caller (reverse.ts). */
  async adoptCurrentPosition(pos: Position): Promise<void> {
    this.curPos = pos;
    await this.refreshHits(this.cur);
  }

  /** Makes `inf` (a copy at `pos`) the current process. */
  private async switchTo(inf: Inferior, pos: Position): Promise<void> {
    const old = this.cur;
    this.cur = inf;
    this.curPos = pos;
    await this.applyBreakpoints(inf);
    if (old !== this.live && old !== inf) await old.kill().catch(() => undefined);
  }

  /** Back to the live program (the present): the copy goes. */
  async backToPresent(): Promise<void> {
    const old = this.cur;
    if (old === this.live) return;
    this.cur = this.live;
    this.curPos = undefined;
    await old.kill().catch(() => undefined);
    await this.refreshHits(this.live);
  }

  private async applyBreakpoints(inf: Inferior): Promise<void> {
    for (const w of this.watches.values()) await inf.setWatchpoint(w.addr, w.len, 'write').catch(() => undefined);
    for (const [addr, o] of this.bps) {
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

  /** Records what a cont did as a hop. */
  private async noteCont(ev: StopEvent): Promise<void> {
    const hops = this.hopsOfCurrent();
    const inf = this.cur;
    if (ev.kind === 'breakpoint') {
      const before = this.hits.get(ev.pc) ?? 0;
      await this.refreshHits(inf);
      const n = (this.hits.get(ev.pc) ?? 0) - before;
      addHop(hops, n > 0 ? { kind: 'at', addr: ev.pc, n } : { kind: 'event', expect: 'breakpoint', pc: ev.pc });
    } else if (ev.kind === 'watchpoint') {
      const w = [...this.watches.values()][0];
      addHop(hops, { kind: 'event', expect: ev.kind, pc: ev.pc, watch: this.watches.size === 1 ? w : undefined });
    } else if (ev.kind === 'signal') {
      addHop(hops, { kind: 'event', expect: ev.kind, pc: ev.pc });
    } else if (ev.kind === 'paused') {
      // An interruption lands anywhere: a position nobody can name. A checkpoint here starts a new
      // segment; reverse execution cannot go back across it.
      if (this.cur === this.live) {
        this.liveOpaque = true;
        this.dirty = true;
      }
    }
  }

  private async viewCont(opts: { signal?: number | string } = {}): Promise<StopEvent> {
    await this.beforeResume();
    if (this.inPast) return this.pastCont(opts);
    const ev = await this.live.cont(opts);
    await this.noteCont(ev);
    return this.translate(ev);
  }

  private async viewStep(tid?: number): Promise<StopEvent> {
    void tid;
    await this.beforeResume();
    const inf = this.cur;
    const ev = await inf.step();
    addHop(this.hopsOfCurrent(), { kind: 'steps', n: 1 });
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
  private async pastCont(opts: { signal?: number | string }): Promise<StopEvent> {
    const presentRegs = await this.live.getRegisters();
    const presentPc = presentRegs.pc;
    const liveInfo = await recordingInfo(this.live);
    const inf = this.cur;
    const guard = !this.bps.has(presentPc);
    if (guard) await inf.setBreakpoint(presentPc, { hardware: 'auto' });
    let sig = opts.signal;
    try {
      for (;;) {
        const ev = await inf.cont(sig === undefined ? {} : { signal: sig });
        sig = undefined;
        if (ev.kind === 'breakpoint' && ev.pc === presentPc) {
          const info = await recordingInfo(inf);
          if (info.cursor === liveInfo.cursor && (await this.samePresent(inf, presentRegs))) {
            if (guard) await inf.removeBreakpoint(presentPc).catch(() => undefined);
            await this.backToPresent();
            if (!guard) return this.translate({ ...ev, pid: this.live.pid, tid: this.live.pid });
            // Continue the cont in the live program.
            const lev = await this.live.cont();
            await this.noteCont(lev);
            return this.translate(lev);
          }
          if (guard) continue;
        }
        if (guard && ev.kind !== 'exited' && ev.kind !== 'killed') await inf.removeBreakpoint(presentPc).catch(() => undefined);
        if (ev.kind === 'exited' || ev.kind === 'killed') {
          throw new ReverseError('The replay ended the program before reaching the present: the recording does not match.');
        }
        await this.noteCont(ev);
        return this.translate(ev);
      }
    } catch (e) {
      if (guard && this.cur === inf && inf.state === 'stopped') await inf.removeBreakpoint(presentPc).catch(() => undefined);
      throw e;
    }
  }

  /** After a step in the past: at the present? Then the live program takes over. */
  private async checkPresent(): Promise<void> {
    const inf = this.cur;
    const presentRegs = await this.live.getRegisters();
    const r = await inf.getRegisters();
    if (r.pc !== presentRegs.pc) return;
    const info = await recordingInfo(inf);
    const liveInfo = await recordingInfo(this.live);
    if (info.cursor !== liveInfo.cursor) return;
    if (await this.samePresent(inf, presentRegs)) await this.backToPresent();
  }

  /** Whether copy `inf` is exactly where the live program is: registers, then writable memory. */
  private async samePresent(inf: Inferior, presentRegs: Registers): Promise<boolean> {
    const r = await inf.getRegisters();
    for (const name of ['rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const) {
      if (r.get(name) !== presentRegs.get(name)) return false;
    }
    return sameWritableMemory(this.live, inf, r.sp);
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
      cont: (opts?: { signal?: number | string }) => tl.viewCont(opts),
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
        tl.watches.set(addr, { addr, len });
      },
      removeWatchpoint: async (addr: number) => {
        tl.watches.delete(addr);
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
      injectSyscall: (nr: number, args: (number | bigint)[] = [], tid?: number) => tl.cur.injectSyscall(nr, args, tidOf(tid)),
      threads: async () => (await tl.cur.threads()).map((t) => ({ ...t, tid: t.tid === tl.cur.pid ? tl.live.pid : t.tid })),
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
function sameWritableMemory(a: Inferior, b: Inferior, sp: number): boolean {
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
      if (!x.equals(y)) return false;
    }
  }
  return true;
}
