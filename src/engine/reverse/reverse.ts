// Reverse run control with gdb's semantics (reverse-stepi, reverse-step, reverse-next, reverse-finish,
// reverse-continue, and "who last wrote this?"), on the recorded timeline (timeline.ts): each command
// is a search (a replay counting arrivals at well-chosen addresses inside the program) that names the
// answer as a position, then a second replay that stops there. See docs/reverse.md.
//
// gdb's reverse-next/step (gdb 13 infrun.c with `record full`, the oracle of test/reverse-commands.test.ts):
// stepping back in the current frame, calls are invisible; the step range is one line-table entry of
// gdb's table; reaching the start of the step range stops; leaving it for the middle of another entry
// makes that entry the step range; leaving it for the start of an entry stops if that entry's line
// differs, else makes it the step range (see walkStep). Ranked by the last arrival of each entry address
// and mid-entry branch target in the frame (a sequence number kept by the counting trampolines), the walk
// is a scan of the ranking. Stepping back past the function's entry continues in the caller.
import { Decoder, DecoderOptions, FlowControl } from 'iced-x86';
import type { StopInfo, StepOptions, RunOptions, StopReason } from '../api';
import { EngineError } from '../api';
import type { LoadedModule } from '../modules';
import type { ReverseProvider, Session } from '../session';
import { CountPoint, PointCounters } from './counting';
import { Hop, Position, ReverseError, Timeline } from './timeline';

const DW_RSP = 7;
const DW_RBP = 6;

/** A line-table entry start in a function, with what a frame filter needs. */
interface Entry {
  addr: number;
  line: number;
  file: number;
}

/** A line-table entry's address range in a function; `line` is line * 1000 + file index. */
interface LineRange {
  start: number;
  end: number;
  line: number;
  /** A visit entering at start leaves after the first instruction (one-instruction range, or a jump). */
  single: boolean;
  /** The first instruction is a conditional branch: its fall-through, whose arrival right after one at
   *  start tells a visit that went on into the range. */
  fall?: number;
}

interface FrameRef {
  pc: number;
  cfa: number;
  fnStart: number;
  fnEnd: number;
  mod: LoadedModule;
}

type Found = { pos: Position; point: number; seq: number };

export interface ReverseOptions {
  maxCheckpoints?: number;
  memoryBudgetKb?: number;
}

export class ReverseEngine implements ReverseProvider {
  timeline: Timeline | undefined;
  private listening = false;

  constructor(
    private readonly session: Session,
    private readonly opts: ReverseOptions = {},
  ) {}

  /** gdb `record full`: starts recording the stopped program (its history begins here). */
  async startRecording(): Promise<void> {
    if (this.timeline) return;
    const raw = this.session.inferior;
    const tracer = this.session.tracerInstance;
    if (!raw || !tracer || raw.state !== 'stopped') throw new EngineError('The program is not being run.', 'not-running');
    try {
      this.timeline = await Timeline.start(tracer, raw, { ...this.opts, jumpTargets: (addrs) => this.jumpTargets(addrs) });
    } catch (e) {
      throw new EngineError((e as Error).message, 'unsupported');
    }
    this.session.setInferiorView(this.timeline.view);
    if (!this.listening) {
      this.listening = true;
      this.session.on('stopped', () => this.timeline?.noteUserStop());
      this.session.on('exited', () => void this.stopRecording());
    }
  }

  /** gdb `record stop`: history is dropped; the program goes on where it is (the present). */
  async stopRecording(): Promise<void> {
    const tl = this.timeline;
    if (!tl) return;
    this.timeline = undefined;
    if (tl.inPast) await tl.backToPresent().catch(() => undefined);
    await tl.close();
    if (tl.live.state !== 'exited') this.session.setInferiorView(tl.live);
  }

  get recording(): boolean {
    return this.timeline !== undefined;
  }

  private tl(): Timeline {
    if (!this.timeline) {
      throw new EngineError('Target native does not support this command. (Start recording first: gdb "record full", or launch with record: true.)', 'unsupported');
    }
    return this.timeline;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  reverseStepInstruction(opts: StepOptions & { over?: boolean } = {}): Promise<StopInfo> {
    return this.command(opts.count ?? 1, async (tl) => {
      let p = await tl.position();
      if (!p.hops.length && p.ckpt > 0) p = { ckpt: p.ckpt - 1, hops: tl.segmentHops(p.ckpt - 1) };
      const last = p.hops[p.hops.length - 1];
      if (last && last.kind === 'steps' && last.n >= 1) {
        const hops = p.hops.slice(0, -1);
        if (last.n > 1) hops.push({ kind: 'steps', n: last.n - 1 });
        await tl.materialize({ ckpt: p.ckpt, hops });
        return 'step';
      }
      return this.stepBackOneInstruction(tl, p);
    });
  }

  reverseNext(opts: StepOptions = {}): Promise<StopInfo> {
    return this.command(opts.count ?? 1, (tl) => this.lineBack(tl, false));
  }

  reverseStep(opts: StepOptions = {}): Promise<StopInfo> {
    return this.command(opts.count ?? 1, (tl) => this.lineBack(tl, true));
  }

  reverseFinish(opts: RunOptions = {}): Promise<StopInfo> {
    void opts;
    return this.command(1, (tl) => this.finishBack(tl));
  }

  reverseContinue(opts: RunOptions = {}): Promise<StopInfo> {
    void opts;
    return this.command(1, (tl) => this.continueBack(tl));
  }

  /** Reverse-continue with a write watchpoint on [addr, addr+len): the last write before now. */
  reverseToLastWrite(addr: number, len: 1 | 2 | 4 | 8): Promise<StopInfo> {
    return this.command(1, (tl) => this.lastWrite(tl, addr, len));
  }

  private async command(count: number, one: (tl: Timeline) => Promise<StopReason | { reason: StopReason; bps?: number[] }>): Promise<StopInfo> {
    const tl = this.tl();
    return this.session.runReverse(async () => {
      await tl.checkUsable();
      let r: StopReason | { reason: StopReason; bps?: number[] } = 'step';
      for (let i = 0; i < Math.max(1, count); i++) {
        try {
          r = await one(tl);
        } catch (e) {
          if (e instanceof ReverseError) throw new EngineError(e.message, 'invalid');
          throw e;
        }
        if ((typeof r === 'string' ? r : r.reason) === 'no-history') break;
      }
      const regs = await tl.view.getRegisters();
      const mod = this.session.moduleTable?.find(regs.pc);
      const entry = mod ? this.entriesOf(mod, regs.pc)?.entries.find((e) => e.addr === regs.pc) : undefined;
      return typeof r === 'string' ? { reason: r, midLine: !entry } : { reason: r.reason, breakpointIds: r.bps, midLine: !entry };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Symbols

  /** Line-table entry starts (is_stmt) of the function holding pc, and its bounds. */
  private entriesOf(mod: LoadedModule, pc: number): { entries: Entry[]; start: number; end: number } | undefined {
    const sym = mod.obj.symbols;
    if (!sym.hasDebugInfo) return undefined;
    const link = pc - mod.bias;
    const fn = sym.functionAt(link);
    const unit = sym.unitForAddress(link);
    if (!fn || !unit) return undefined;
    const table = sym.lineTable(unit);
    if (!table) return undefined;
    const lo = fn.lowPc;
    const hi = fn.highPc;
    const byAddr = new Map<number, Entry>();
    table.entries.forEach((list, file) => {
      for (const e of list) {
        if (e.address < lo || e.address >= hi || e.line === 0 || !e.isStmt) continue;
        if (!byAddr.has(e.address)) byAddr.set(e.address, { addr: e.address + mod.bias, line: e.line, file });
      }
    });
    const entries = [...byAddr.values()].sort((a, b) => a.addr - b.addr);
    return { entries, start: lo + mod.bias, end: hi + mod.bias };
  }

  /** All line-table entry starts of every function with line info in the module (for reverse-step). */
  private allEntries(mod: LoadedModule, except: { start: number; end: number }): Entry[] {
    const out: Entry[] = [];
    const sym = mod.obj.symbols;
    if (!sym.hasDebugInfo) return out;
    for (const fn of sym.functions()) {
      const start = fn.lowPc + mod.bias;
      if (start >= except.start && start < except.end) continue;
      const e = this.entriesOf(mod, start);
      if (e) out.push(...e.entries);
    }
    return out;
  }

  /** The frame filter at addr for a frame whose CFA is cfa: rsp or rbp value, from the CFI. */
  private filterAt(mod: LoadedModule, addr: number, cfa: number): CountPoint['filter'] {
    const row = mod.obj.cfi?.rowAt(addr - mod.bias);
    if (!row || row.cfa.kind !== 'reg-offset') return undefined;
    if (row.cfa.reg === DW_RSP) return { reg: 'rsp', value: cfa - row.cfa.offset };
    if (row.cfa.reg === DW_RBP) return { reg: 'rbp', value: cfa - row.cfa.offset };
    return undefined;
  }

  private readonly targetCache = new Map<number, Set<number>>();

  /** Branch targets, return addresses and line starts of the functions holding addrs (cached). */
  private jumpTargets(addrs: number[]): Set<number> {
    const out = new Set<number>();
    for (const a of addrs) {
      const mod = this.session.moduleTable?.find(a);
      if (!mod) continue;
      const link = a - mod.bias;
      const fn = mod.obj.symbols.hasDebugInfo ? mod.obj.symbols.functionAt(link) : undefined;
      let start: number;
      let end: number;
      if (fn) {
        start = fn.lowPc + mod.bias;
        end = fn.highPc + mod.bias;
      } else {
        const b = mod.unwind.functionBounds?.(link);
        if (!b) continue;
        start = b.start + mod.bias;
        end = b.end + mod.bias;
      }
      let set = this.targetCache.get(start);
      if (!set) {
        set = this.forbiddenFor([{ mod, start, end }]);
        this.targetCache.set(start, set);
      }
      for (const x of set) out.add(x);
    }
    return out;
  }

  /** Addresses code may jump to near these functions: no patch window may hide one. */
  private forbiddenFor(mods: { mod: LoadedModule; start: number; end: number }[]): Set<number> {
    const out = new Set<number>();
    const raw = this.session.inferior!;
    for (const { mod, start, end } of mods) {
      let code: Buffer;
      try {
        code = this.session.inferior!.readMemorySync(start, end - start);
      } catch {
        continue;
      }
      void raw;
      const d = new Decoder(64, code, DecoderOptions.None);
      d.ip = BigInt(start);
      while (d.canDecode) {
        const i = d.decode();
        const fc = i.flowControl;
        if (fc === FlowControl.ConditionalBranch || fc === FlowControl.UnconditionalBranch || fc === FlowControl.Call) {
          const t = Number(i.nearBranchTarget);
          if (t) out.add(t);
        }
        if (fc === FlowControl.Call) out.add(Number(i.nextIP)); // return addresses
        i.free();
      }
      d.free();
      const e = this.entriesOf(mod, start);
      for (const x of e?.entries ?? []) out.add(x.addr);
    }
    return out;
  }

  private async frames(): Promise<FrameRef[]> {
    const st = await this.session.reverseFrames(2);
    const out: FrameRef[] = [];
    for (const f of st.frames) {
      const mod = this.session.moduleTable?.find(f.pc);
      if (!mod || f.cfa === undefined) break;
      const e = this.entriesOf(mod, f.level === 0 ? f.pc : f.pc - 1);
      out.push({ pc: f.pc, cfa: f.cfa, fnStart: e?.start ?? f.functionStart ?? f.pc, fnEnd: e?.end ?? f.pc + 1, mod });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Searching back

  /**
   * Scans segments backwards from `pos` with `points`: in each, a replay from its checkpoint up to pos
   * (or the segment's end) counting arrivals; `decide` picks the answer from the counters or asks for
   * the previous segment. Returns undefined when the trail's start is reached.
   */
  private async scanBack(
    tl: Timeline,
    pos: Position,
    points: CountPoint[],
    forbidden: Set<number>,
    decide: (c: PointCounters[], hopStarts: number[]) => { point: number } | 'earlier' | 'none',
  ): Promise<Found | undefined> {
    let ckpt = pos.ckpt;
    let hops = pos.hops;
    // A position at a trail point is the end of the previous segment: search that one first.
    let endsAtPos = true;
    if (!hops.length && ckpt > 0) {
      ckpt--;
      hops = tl.segmentHops(ckpt);
    }
    for (;;) {
      const inf = await tl.spawnAt(ckpt);
      let found: Found | undefined;
      let verdict: { point: number } | 'earlier' | 'none';
      try {
        const r = await tl.runCounting(inf, hops, points, forbidden, !endsAtPos);
        verdict = decide(r.end.slice(0, points.length), r.startSeq);
        if (typeof verdict === 'object') {
          const c = r.end[verdict.point];
          // Which hop the arrival fell in, and its count from that hop's start.
          let k = hops.length - 1;
          while (k > 0 && r.startSeq[k] >= c.lastSeq) k--;
          const stepAt = r.stepSeqs.get(c.lastSeq);
          let newHops: Hop[];
          if (stepAt) newHops = [...hops.slice(0, stepAt.hop), { kind: 'steps', n: stepAt.step }];
          else {
            const base = hops.length ? r.starts[k][verdict.point].all : 0;
            newHops = [...hops.slice(0, hops.length ? k : 0), { kind: 'at', addr: points[verdict.point].addr, n: c.lastAll - base }];
          }
          found = { pos: { ckpt, hops: newHops }, point: verdict.point, seq: c.lastSeq };
        }
        await r.run.dispose().catch(() => undefined);
      } finally {
        await inf.kill().catch(() => undefined);
      }
      if (found) return found;
      endsAtPos = false;
      if (verdict === 'none' || ckpt === 0) return undefined;
      if (tl.segmentOpaque(ckpt - 1)) {
        throw new ReverseError('Reverse execution cannot go back across the point where the program was interrupted (its position in time is not known exactly).');
      }
      ckpt--;
      hops = tl.segmentHops(ckpt);
    }
  }

  private async noHistory(tl: Timeline): Promise<StopReason> {
    await tl.materialize({ ckpt: 0, hops: [] });
    return 'no-history';
  }

  /**
   * gdb's line ranges of a function: one per line-table entry of gdb's symtab line table (where only
   * consecutive rows of a line with a non-zero discriminator are merged, src/symbols/dwarf/line-table.ts),
   * each ending at the next entry, with how a visit entering at its start goes on (LineRange). `mids`:
   * the branch targets that land in the middle of a range (a loop condition placed after the body).
   */
  private rangesOf(mod: LoadedModule, pc: number): { ranges: LineRange[]; mids: { addr: number; range: number }[]; start: number; end: number } | undefined {
    const info = this.entriesOf(mod, pc);
    if (!info || !info.entries.length) return undefined;
    const ranges: LineRange[] = info.entries.map((e, i) => ({
      start: e.addr,
      end: i + 1 < info.entries.length ? info.entries[i + 1].addr : info.end,
      line: e.line * 1000 + e.file,
      single: false,
    }));
    for (const r of ranges) Object.assign(r, this.firstInstruction(r.start, r.end));
    const targets = this.jumpTargets([info.start]);
    const mids: { addr: number; range: number }[] = [];
    for (const t of targets) {
      const ri = ranges.findIndex((r) => t > r.start && t < r.end);
      if (ri >= 0) mids.push({ addr: t, range: ri });
    }
    return { ranges, mids, start: info.start, end: info.end };
  }

  /** How flow entering [start, end) at start goes on after the first instruction (LineRange). */
  private firstInstruction(start: number, end: number): { single: boolean; fall?: number } {
    let code: Buffer;
    try {
      code = this.session.inferior!.readMemorySync(start, Math.min(15, end - start));
    } catch {
      return { single: false };
    }
    const d = new Decoder(64, code, DecoderOptions.None);
    d.ip = BigInt(start);
    const i = d.decode();
    const fc = i.flowControl;
    let out: { single: boolean; fall?: number } = { single: false };
    if (i.isInvalid) out = { single: false };
    else if (i.length >= end - start || fc === FlowControl.UnconditionalBranch || fc === FlowControl.IndirectBranch || fc === FlowControl.Return) out = { single: true };
    else if (fc === FlowControl.ConditionalBranch) out = { single: false, fall: start + i.length };
    i.free();
    d.free();
    return out;
  }

  /**
   * Count points for a frame's ranges: each start, each mid-range branch target, and each conditional
   * branch's fall-through at a range start; `fallOf` maps a range to the point of its fall-through.
   */
  private rangePoints(
    info: { ranges: LineRange[]; mids: { addr: number; range: number }[] },
    mod: LoadedModule,
    cfa: number,
    points: CountPoint[],
    kinds: ({ kind: 'start' | 'mid' | 'fall'; range: number } | { kind: 'entry'; range?: number } | { kind: 'callee'; line: number })[],
    entryAt?: number,
  ): Map<number, number> {
    info.ranges.forEach((r, i) => {
      points.push({ addr: r.start, filter: this.filterAt(mod, r.start, cfa) });
      kinds.push(r.start === entryAt ? { kind: 'entry', range: i } : { kind: 'start', range: i });
    });
    for (const m of info.mids) {
      points.push({ addr: m.addr, filter: this.filterAt(mod, m.addr, cfa) });
      kinds.push({ kind: 'mid', range: m.range });
    }
    const fallOf = new Map<number, number>();
    info.ranges.forEach((r, i) => {
      if (r.fall === undefined) return;
      let idx = points.findIndex((p) => p.addr === r.fall);
      if (idx < 0) {
        points.push({ addr: r.fall, filter: this.filterAt(mod, r.fall, cfa) });
        kinds.push({ kind: 'fall', range: i });
        idx = points.length - 1;
      }
      fallOf.set(i, idx);
    });
    return fallOf;
  }

  /** Whether the visit of range ri that began with the arrival at its start (seq) left after it. */
  private visitSingle(ranges: LineRange[], ri: number, seq: number, c: PointCounters[], fallOf: Map<number, number>): boolean {
    const fi = fallOf.get(ri);
    if (fi === undefined) return ranges[ri].single;
    return c[fi].lastSeq !== seq + 1;
  }

  /**
   * One event of gdb 13's reverse stepping (infrun.c, process_event_stop_test), replayed over the
   * arrivals in the frame ranked latest first. The walk's state is the step range R (a line-table entry)
   * and the line L being stepped from (gdb's current_line). Stepping back, gdb
   * - stops when it reaches the start of R (unless it is the function's entry: then on to the caller);
   * - on leaving R for an instruction in the middle of an entry, makes that entry R and its line L
   *   (set_step_info) and keeps going: here, an arrival at a mid-range branch target, which the walk
   *   passes through after walking back over the visit it began;
   * - on leaving R for the start of an entry (a visit of one instruction), stops if its line differs
   *   from L (and it is a statement), else makes it R and keeps going (same line: no stop).
   * A visit of a longer entry that began at its start is walked back from its middle, then its start
   * stops. So consecutive entries of one line are separate stops unless the earlier ones are visited
   * one instruction at a time (gdb 13 has no "same line" merging beyond its line table's).
   * Returns true to stop at the arrival.
   */
  private walkStep(ranges: LineRange[], st: { R: number; L: number }, k: { kind: 'start' | 'mid' | 'fall'; range: number }, single: boolean): boolean {
    if (k.kind === 'fall') return false; // only tells how a visit went on (visitSingle)
    const r = ranges[k.range];
    if (k.kind === 'mid') {
      if (k.range !== st.R) {
        st.R = k.range;
        st.L = r.line;
      }
      return false;
    }
    if (k.range === st.R) return true;
    if (!single || r.line !== st.L) return true;
    st.R = k.range;
    return false;
  }

  /**
   * reverse-next / reverse-step, as gdb's reverse stepping walks back instruction by instruction (see
   * walkStep). Ranked by last arrival (counting in the frame only), the walk is a scan of the ranking.
   */
  private async lineBack(tl: Timeline, into: boolean): Promise<StopReason> {
    const pos = await tl.position();
    const fr = await this.frames();
    const f = fr[0];
    if (!f) return this.stepBackOneInstruction(tl, pos);
    const info = this.rangesOf(f.mod, f.pc);
    if (!info) return this.stepBackOneInstruction(tl, pos);
    type Kind = { kind: 'start' | 'mid' | 'fall'; range: number } | { kind: 'callee'; line: number } | { kind: 'entry'; range?: number };
    const points: CountPoint[] = [];
    const kinds: Kind[] = [];
    const fallOf = this.rangePoints(info, f.mod, f.cfa, points, kinds, info.start);
    // The frame's entry (the function's first instruction, rsp = cfa - 8): earlier arrivals belong to
    // another call of the function.
    let entryIdx = points.findIndex((p) => p.addr === info.start);
    if (entryIdx < 0) {
      points.push({ addr: info.start, filter: { reg: 'rsp', value: f.cfa - 8 } });
      kinds.push({ kind: 'entry' });
      entryIdx = points.length - 1;
    }
    if (into) {
      for (const e of this.allEntries(f.mod, info)) {
        if (points.some((p) => p.addr === e.addr)) continue;
        points.push({ addr: e.addr });
        kinds.push({ kind: 'callee', line: e.line });
      }
    }
    const pRange = info.ranges.findIndex((r) => f.pc >= r.start && f.pc < r.end);
    const forbidden = this.jumpTargets([info.start]);
    // Whether the entry arrival found is a stop there (a one-instruction first range of another line).
    let entryStops = false;
    let lineAtEntry = -1;
    const found = await this.scanBack(tl, pos, points, forbidden, (c) => {
      const entrySeq = c[entryIdx].lastSeq;
      const ranked = c
        .map((x, i) => ({ i, seq: x.lastSeq }))
        .filter((x) => x.seq > 0 && x.seq >= entrySeq)
        .sort((a, b) => b.seq - a.seq);
      const st = { R: pRange, L: pRange >= 0 ? info.ranges[pRange].line : -1 };
      entryStops = false;
      for (const x of ranked) {
        const k = kinds[x.i];
        if (k.kind === 'callee') {
          if (x.seq > entrySeq) return { point: x.i }; // reverse-step: into the function that returned
          continue;
        }
        if (k.kind === 'entry') {
          // At the function's entry as the start of the step range gdb keeps going, to the caller.
          const r = k.range !== undefined ? info.ranges[k.range] : undefined;
          entryStops = !!r && k.range !== st.R && this.visitSingle(info.ranges, k.range!, x.seq, c, fallOf) && r.line !== st.L;
          lineAtEntry = r && k.range !== st.R ? r.line : st.L;
          return { point: x.i };
        }
        if (this.walkStep(info.ranges, st, k, this.visitSingle(info.ranges, k.range, x.seq, c, fallOf))) return { point: x.i };
      }
      lineAtEntry = st.L;
      return entrySeq > 0 ? { point: entryIdx } : 'earlier';
    });
    if (!found) return this.noHistory(tl);
    if (kinds[found.point].kind === 'entry' && !entryStops) {
      // Back at the function's entry: gdb goes on to the line of the call in the caller.
      await tl.materialize(found.pos);
      const caller = fr[1];
      if (!caller) return 'step';
      return this.callerLineBack(tl, found.pos, caller, lineAtEntry);
    }
    await tl.materialize(found.pos);
    return 'step';
  }

  /**
   * From a function's entry (position `pos`), back into the caller: at the call instruction gdb's walk
   * goes on with the caller's entry holding the call as its step range (the call is in its middle) and
   * that entry's line, and stops as walkStep says. A call that is the first instruction of an entry of
   * a line other than `calleeLine` stops at once (gdb: the start of a different line).
   */
  private async callerLineBack(tl: Timeline, pos: Position, caller: FrameRef, calleeLine: number): Promise<StopReason> {
    const info = this.rangesOf(caller.mod, caller.pc - 1);
    if (!info) return this.stepBackOneInstruction(tl, pos);
    const callAddr = this.callBefore(caller.pc);
    const callRange = info.ranges.findIndex((r) => caller.pc - 1 >= r.start && caller.pc - 1 < r.end);
    if (callAddr !== undefined && callRange >= 0 && info.ranges[callRange].start === callAddr && info.ranges[callRange].line !== calleeLine) {
      return this.stepBackOneInstruction(tl, pos);
    }
    const points: CountPoint[] = [];
    const kinds: { kind: 'start' | 'mid' | 'fall'; range: number }[] = [];
    const fallOf = this.rangePoints(info, caller.mod, caller.cfa, points, kinds);
    const forbidden = this.jumpTargets([info.start]);
    const found = await this.scanBack(tl, pos, points, forbidden, (c) => {
      const ranked = c
        .map((x, i) => ({ i, seq: x.lastSeq }))
        .filter((x) => x.seq > 0)
        .sort((a, b) => b.seq - a.seq);
      const st = { R: callRange, L: callRange >= 0 ? info.ranges[callRange].line : -1 };
      for (const x of ranked) {
        const k = kinds[x.i];
        if (this.walkStep(info.ranges, st, k, this.visitSingle(info.ranges, k.range, x.seq, c, fallOf))) return { point: x.i };
      }
      return 'earlier';
    });
    if (!found) return this.noHistory(tl);
    await tl.materialize(found.pos);
    return 'step';
  }

  /** reverse-finish: to the call instruction of the current frame, in the caller. */
  private async finishBack(tl: Timeline): Promise<StopReason> {
    const pos = await tl.position();
    const fr = await this.frames();
    const f = fr[0];
    const caller = fr[1];
    if (!f || !caller) throw new ReverseError('"finish" not meaningful in the outermost frame.');
    const callAddr = this.callBefore(caller.pc);
    if (callAddr === undefined) throw new ReverseError(`Cannot find the call instruction before 0x${caller.pc.toString(16)}.`);
    // At the call, rsp is the callee's CFA (the return address is pushed by the call).
    const points: CountPoint[] = [{ addr: callAddr, filter: { reg: 'rsp', value: f.cfa } }];
    const forbidden = this.forbiddenFor([{ mod: caller.mod, start: caller.fnStart, end: caller.fnEnd }]);
    const found = await this.scanBack(tl, pos, points, forbidden, (c) => (c[0].lastSeq > 0 ? { point: 0 } : 'earlier'));
    if (!found) return this.noHistory(tl);
    await tl.materialize(found.pos);
    return 'step'; // gdb: "Run back to call of #0 ..." then the caller's frame, at the call instruction
  }

  /** The address of the call instruction that returns to ra. */
  private callBefore(ra: number): number | undefined {
    const tl = this.tl();
    for (const len of [5, 2, 3, 6, 7, 4, 8]) {
      let code: Buffer;
      try {
        code = tl.view.readMemorySync(ra - len, len);
      } catch {
        continue;
      }
      const d = new Decoder(64, code, DecoderOptions.None);
      d.ip = BigInt(ra - len);
      const i = d.decode();
      const ok = (i.flowControl === FlowControl.Call || i.flowControl === FlowControl.IndirectCall) && i.length === len;
      i.free();
      d.free();
      if (ok) return ra - len;
    }
    return undefined;
  }

  /** reverse-continue: the most recent earlier hit of a user breakpoint. */
  private async continueBack(tl: Timeline): Promise<StopReason | { reason: StopReason; bps: number[] }> {
    const pos = await tl.position();
    const bps = this.session.breakpoints().filter((b) => b.enabled);
    const addrs = new Map<number, number[]>();
    for (const b of bps) {
      for (const l of b.locations) {
        if (!l.enabled) continue;
        const ids = addrs.get(l.address) ?? [];
        ids.push(b.id);
        addrs.set(l.address, ids);
      }
    }
    const list = [...addrs.keys()];
    if (!list.length) return this.noHistory(tl);
    const points: CountPoint[] = list.map((addr) => ({ addr }));
    const found = await this.scanBack(tl, pos, points, new Set(), (c) => {
      let best = -1;
      c.forEach((x, i) => {
        if (x.lastSeq > 0 && (best < 0 || x.lastSeq > c[best].lastSeq)) best = i;
      });
      return best >= 0 ? { point: best } : 'earlier';
    });
    if (!found) return this.noHistory(tl);
    await tl.materialize(found.pos);
    return { reason: 'breakpoint', bps: addrs.get(list[found.point]) ?? [] };
  }

  /**
   * reverse-stepi when the position does not end with single steps: find the last arrival at a line
   * entry (any function with line info in the module) or at the current pc before now, then step
   * forward from there to one instruction before now.
   */
  private async stepBackOneInstruction(tl: Timeline, pos: Position): Promise<StopReason> {
    const target = await tl.view.getRegisters();
    const mod = this.session.moduleTable?.find(target.pc);
    const points: CountPoint[] = [{ addr: target.pc }];
    if (mod) {
      const here = this.entriesOf(mod, target.pc);
      for (const e of here?.entries ?? []) if (e.addr !== target.pc) points.push({ addr: e.addr });
      for (const e of this.allEntries(mod, here ?? { start: 0, end: 0 })) if (e.addr !== target.pc) points.push({ addr: e.addr });
    }
    const found = await this.scanBack(tl, pos, points, new Set(), (c) => {
      let best = -1;
      c.forEach((x, i) => {
        if (x.lastSeq > 0 && (best < 0 || x.lastSeq > c[best].lastSeq)) best = i;
      });
      return best >= 0 ? { point: best } : 'earlier';
    });
    const start: Position = found ? found.pos : { ckpt: 0, hops: [] };
    if (!found) {
      // No anchor in the whole history: from the very beginning (bounded).
      const first = await tl.position();
      if (first.ckpt === 0 && first.hops.length === 0) return this.noHistory(tl);
    }
    await tl.materialize(start);
    // Step forward until the state is the one we came from; the answer is one instruction earlier.
    const view = tl.view;
    const same = async () => {
      const r = await view.getRegisters();
      return ['rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'].every(
        (n) => r.get(n as 'rip') === target.get(n as 'rip'),
      );
    };
    const base = await tl.position();
    let k = 0;
    const limit = 2_000_000;
    const inf = tl.cur;
    while (!(await same())) {
      const ev = await inf.step();
      k++;
      if (ev.kind === 'exited' || ev.kind === 'killed' || k > limit) throw new ReverseError('Cannot find the previous instruction: the replay did not come back to the current position.');
    }
    if (k === 0) return this.noHistory(tl);
    const hops = base.hops.map((h) => ({ ...h }));
    if (k - 1 > 0) hops.push({ kind: 'steps', n: k - 1 });
    await tl.materialize({ ckpt: base.ckpt, hops });
    return 'step';
  }

  /** The last write to [addr, addr+len) before now (a hardware write watchpoint during the replay). */
  private async lastWrite(tl: Timeline, addr: number, len: 1 | 2 | 4 | 8): Promise<StopReason> {
    const start = await tl.position();
    let pos = start;
    for (;;) {
      const inf = await tl.spawnAt(pos.ckpt);
      let result: Position | undefined;
      try {
        // Triggers per hop: run each hop with the watchpoint armed, counting triggers.
        await inf.setWatchpoint(addr, len, 'write');
        const hops = pos.hops;
        let last: { hop: number; nth: number } | undefined;
        const { CountingRun } = await import('./counting');
        const points: CountPoint[] = [];
        for (const h of hops) if (h.kind === 'at' && !points.some((p) => p.addr === h.addr)) points.push({ addr: h.addr });
        const run = await CountingRun.create(inf, points, new Set(), { noTrampolines: false });
        for (let k = 0; k < hops.length; k++) {
          const h = hops[k];
          let nth = 0;
          if (h.kind === 'at') {
            const pi = points.findIndex((p) => p.addr === h.addr);
            const c = run.counters();
            await run.setTarget(pi, c[pi].all + h.n, 'all');
            for (;;) {
              const r = await run.cont();
              if (r.kind === 'target') break;
              if (r.kind === 'event' && r.ev.kind === 'watchpoint') {
                nth++;
                last = { hop: k, nth };
                continue;
              }
              throw new ReverseError('Replay diverged while looking for the last write.');
            }
            await run.setTarget(pi, 0, 'all');
          } else if (h.kind === 'steps') {
            for (let s = 0; s < h.n; s++) {
              const r = await run.step();
              if (r.kind === 'event' && r.ev.kind === 'watchpoint') {
                // A write by this very step: name it as "steps up to here".
                last = { hop: k, nth: -(s + 1) };
              }
            }
          } else {
            const r = await run.cont();
            // The last hop's trigger is where we are now, not an earlier write.
            if (r.kind === 'event' && r.ev.kind === 'watchpoint' && (k < hops.length - 1 || pos !== start)) last = { hop: k, nth: 1 };
          }
        }
        await run.dispose();
        if (last) {
          const prefix = hops.slice(0, last.hop);
          const h = hops[last.hop];
          if (last.nth < 0) result = { ckpt: pos.ckpt, hops: [...prefix, { kind: 'steps', n: -last.nth }] };
          else if (h.kind === 'event') result = { ckpt: pos.ckpt, hops: [...prefix, h] };
          else result = { ckpt: pos.ckpt, hops: [...prefix, ...Array.from({ length: last.nth }, () => ({ kind: 'event', expect: 'watchpoint', pc: 0, watch: { addr, len } }) as Hop)] };
        }
      } finally {
        await inf.kill().catch(() => undefined);
      }
      if (result) {
        await this.materializeWatched(tl, result, addr, len);
        return 'watchpoint';
      }
      if (pos.ckpt === 0) return this.noHistory(tl);
      pos = { ckpt: pos.ckpt - 1, hops: tl.segmentHops(pos.ckpt - 1) };
    }
  }

  /** Materializes a position whose last hops are watchpoint triggers (armed only for those). */
  private async materializeWatched(tl: Timeline, pos: Position, addr: number, len: 1 | 2 | 4 | 8): Promise<void> {
    let first = pos.hops.findIndex((h) => h.kind === 'event' && h.expect === 'watchpoint');
    if (first < 0) first = pos.hops.length;
    await tl.materialize({ ckpt: pos.ckpt, hops: pos.hops.slice(0, first) });
    const rest = pos.hops.slice(first);
    if (!rest.length) return;
    const inf = tl.cur;
    await inf.setWatchpoint(addr, len, 'write');
    for (let i = 0; i < rest.length; i++) {
      const ev = await inf.cont();
      if (ev.kind !== 'watchpoint') throw new ReverseError('Replay diverged while going to the last write.');
    }
    await inf.removeWatchpoint(addr);
    await tl.adoptCurrentPosition({ ckpt: pos.ckpt, hops: pos.hops.map((h) => ({ ...h })) });
  }
}
