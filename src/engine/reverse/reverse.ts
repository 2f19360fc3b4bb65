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
import { hiddenAtEntry } from '../frames';
import { watchSlots } from '../watchpoints';
import { callSite, inlineChain } from '../symbolize';
import type { ReverseProvider, Session } from '../session';
import { CountPoint, PointCounters } from './counting';
import { ArrivalHook, Hop, Position, ReverseError, SearchWatch, Timeline, WatchSlot } from './timeline';
import type { PointCounters as Counters } from './counting';

const DW_RSP = 7;
/** reverse-step counts the line starts of another module only up to this many (see calleeEntries). */
const CALLEE_ENTRY_LIMIT = 5000;
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
  /** A statement entry (is_stmt); gdb makes a non-statement entry a step range without stopping at its start. */
  stmt: boolean;
  /** Inside an inlined call made from the frame (not at its entry): gdb steps through it (`next`). */
  inInline?: boolean;
  /** The entry of an inlined call from the frame (gdb hides the inlined frame there): its call line. */
  inlineCallLine?: number;
  /** When stepping from inside an inlined call: a range of that call (inCur), or its entry (curEntry). */
  inCur?: boolean;
  curEntry?: boolean;
}

interface FrameRef {
  pc: number;
  cfa: number;
  fnStart: number;
  fnEnd: number;
  mod: LoadedModule;
}

type Found = { pos: Position; point: number; seq: number };

/** A breakpoint reverse-continue must look at each arrival of (a condition, an ignore count). */
interface CondBp {
  id: number;
  condition?: string;
  ignore: number;
}

export interface ReverseOptions {
  maxCheckpoints?: number;
  memoryBudgetKb?: number;
  /** A periodic checkpoint every this many ms of a long forward run (default 250; 0: none). */
  periodicMs?: number;
}

export class ReverseEngine implements ReverseProvider {
  timeline: Timeline | undefined;
  private listening = false;

  constructor(
    private readonly session: Session,
    private opts: ReverseOptions = {},
  ) {}

  /** Options for the next recording (startRecording / launch with record). */
  configure(opts: ReverseOptions): void {
    this.opts = { ...this.opts, ...opts };
  }

  /** gdb `record full`: starts recording the stopped program (its history begins here). */
  async startRecording(): Promise<void> {
    if (this.timeline) return;
    const raw = this.session.inferior;
    const tracer = this.session.tracerInstance;
    if (!raw || !tracer || raw.state !== 'stopped') throw new EngineError('The program is not being run.', 'not-running');
    try {
      this.timeline = await Timeline.start(tracer, raw, { ...this.opts, jumpTargets: (addrs) => this.jumpTargets(addrs), volatileMemory: (inf) => this.rseqArea(inf) });
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

  /**
   * The thread's rseq area (glibc 2.35+: at fs_base + __rseq_offset, 32 bytes), where the kernel writes
   * the cpu the thread runs on: two copies of one moment differ there.
   */
  private async rseqArea(inf: { getRegisters(): Promise<{ get(n: 'fs_base'): bigint }>; readMemorySync(a: number, n: number): Buffer }): Promise<{ addr: number; len: number }[]> {
    for (const mod of this.session.moduleTable?.modules ?? []) {
      const sym = mod.obj.elfSymbol('__rseq_offset');
      if (!sym || !sym.value) continue;
      try {
        const off = inf.readMemorySync(sym.value + mod.bias, 8).readBigInt64LE(0);
        const fs = (await inf.getRegisters()).get('fs_base');
        return [{ addr: Number(fs + off), len: 32 }];
      } catch {
        return [];
      }
    }
    return [];
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
      if (!p.hops.length && p.ckpt > 0) p = { ckpt: p.ckpt - 1, hops: await tl.segment(p.ckpt - 1) };
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
    return this.command(1, async (tl) => this.writeBack(tl, await tl.position(), new Map(), [{ addr, size: len }], false));
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
  private entriesOf(mod: LoadedModule, pc: number, withNonStmt = false): { entries: (Entry & { stmt: boolean })[]; start: number; end: number } | undefined {
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
    const byAddr = new Map<number, Entry & { stmt: boolean }>();
    table.entries.forEach((list, file) => {
      for (const e of list) {
        if (e.address < lo || e.address >= hi || e.line === 0 || !e.isStmt) continue;
        if (!byAddr.has(e.address)) byAddr.set(e.address, { addr: e.address + mod.bias, line: e.line, file, stmt: true });
      }
    });
    if (withNonStmt) {
      // Addresses with only non-statement entries: gdb's find_pc_line takes the last one there.
      table.entries.forEach((list, file) => {
        for (const e of list) {
          if (e.address < lo || e.address >= hi || e.line === 0 || e.isStmt) continue;
          const had = byAddr.get(e.address);
          if (!had || !had.stmt) byAddr.set(e.address, { addr: e.address + mod.bias, line: e.line, file, stmt: false });
        }
      });
    }
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

  /**
   * reverse-step's callee line starts: every function with line info in the frame's module and in the
   * other loaded modules with line info (a shared library's function that returned is stepped into, as
   * gdb does), except modules with more than CALLEE_ENTRY_LIMIT of them (a libc with debug info: counting
   * that many addresses would cost more than it is worth; its functions are stepped over).
   */
  private calleeEntries(mod: LoadedModule, except: { start: number; end: number }): Entry[] {
    const out = this.allEntries(mod, except);
    for (const m of this.session.moduleTable?.modules ?? []) {
      if (m === mod || !m.obj.symbols.hasDebugInfo) continue;
      let list = this.calleeCache.get(m);
      if (!list) {
        list = this.allEntries(m, { start: 0, end: 0 });
        this.calleeCache.set(m, list);
      }
      if (list.length <= CALLEE_ENTRY_LIMIT) out.push(...list);
    }
    return out;
  }

  private readonly calleeCache = new WeakMap<LoadedModule, Entry[]>();

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
    let { ckpt, hops } = await searchStart(tl, pos);
    let endsAtPos = true;
    for (;;) {
      const inf = await tl.spawnAt(ckpt);
      let found: Found | undefined;
      let verdict: { point: number } | 'earlier' | 'none';
      try {
        const r = await tl.runCounting(inf, hops, points, forbidden, !endsAtPos);
        verdict = decide(r.end.slice(0, points.length), r.startSeq);
        if (typeof verdict === 'object') found = nameArrival(ckpt, hops, points, r, verdict.point);
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
      hops = await tl.segment(ckpt);
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
    const info = this.entriesOf(mod, pc, true);
    if (!info || !info.entries.length) return undefined;
    const ranges: LineRange[] = info.entries.map((e, i) => ({
      start: e.addr,
      end: i + 1 < info.entries.length ? info.entries[i + 1].addr : info.end,
      line: e.line * 1000 + e.file,
      single: false,
      stmt: e.stmt,
    }));
    for (const r of ranges) Object.assign(r, this.firstInstruction(r.start, r.end));
    // Inlined calls made from the function (when pc is in the function itself, not in an inlined call).
    const sym = mod.obj.symbols;
    const chainAt = (a: number) => inlineChain(sym, a - mod.bias);
    const here = chainAt(pc);
    const hereHidden = hiddenAtEntry(here, pc - mod.bias, {});
    // The innermost inlined call pc is visibly in (stepping from inside it), if any.
    const cur = hereHidden < here.length ? here[hereHidden] : undefined;
    for (const r of ranges) {
      const chain = chainAt(r.start);
      if (!chain.length) continue;
      const hidden = hiddenAtEntry(chain, r.start - mod.bias, {});
      const ci = cur ? chain.indexOf(cur) : -1;
      if (ci >= 0) {
        // In the call being stepped: its own ranges are the frame's; its entry is where the walk leaves
        // it for the function; calls inlined in it are stepped through.
        if (hidden > ci) r.curEntry = true;
        else if (hidden === ci) r.inCur = true;
        else r.inInline = true;
        continue;
      }
      if (hidden < chain.length) r.inInline = true;
      else r.inlineCallLine = callSite(sym, chain[hidden - 1]).line ?? 0;
    }
    const targets = this.jumpTargets([info.start]);
    const mids: { addr: number; range: number }[] = [];
    for (const t of targets) {
      const ri = ranges.findIndex((r) => t > r.start && t < r.end);
      if (ri >= 0 && !ranges[ri].inInline) mids.push({ addr: t, range: ri });
    }
    return { ranges, mids, start: info.start, end: info.end };
  }

  /**
   * The instructions through which flow leaves the inlined calls among `ranges` (inInline): the last one
   * of a stretch that falls through out of it, and jumps to outside it.
   */
  private inlineExits(ranges: LineRange[]): number[] {
    const inside = (a: number) => ranges.some((r) => r.inInline && a >= r.start && a < r.end);
    const out: number[] = [];
    for (const r of ranges) {
      if (!r.inInline) continue;
      let code: Buffer;
      try {
        code = this.session.inferior!.readMemorySync(r.start, r.end - r.start);
      } catch {
        continue;
      }
      const d = new Decoder(64, code, DecoderOptions.None);
      d.ip = BigInt(r.start);
      while (d.canDecode) {
        const i = d.decode();
        const next = Number(i.nextIP);
        const fc = i.flowControl;
        const t = Number(i.nearBranchTarget);
        if (next >= r.end && !inside(next) && fc !== FlowControl.UnconditionalBranch && fc !== FlowControl.Return) out.push(Number(i.ip));
        else if ((fc === FlowControl.ConditionalBranch || fc === FlowControl.UnconditionalBranch) && t && !inside(t)) out.push(Number(i.ip));
        i.free();
      }
      d.free();
    }
    return out;
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
    kinds: ({ kind: 'start' | 'mid' | 'fall'; range: number } | { kind: 'entry'; range?: number } | { kind: 'callee'; line: number } | { kind: 'inlExit' })[],
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
  private walkStep(ranges: LineRange[], st: { R: number; L: number; out?: boolean }, k: { kind: 'start' | 'mid' | 'fall'; range: number }, single: boolean, into = false): boolean {
    if (k.kind === 'fall') return false; // only tells how a visit went on (visitSingle)
    const r = ranges[k.range];
    if (k.kind === 'start' && k.range === st.R && !(into && r.curEntry)) return true;
    // Back at the entry of the inlined call being stepped from: the frame becomes the function's. gdb's
    // `step` (whose step range requires the same frame) does not stop at the start of its range there;
    // the entry's line becomes the current one unless it is another statement line (a stop).
    if (k.kind === 'start' && r.curEntry && !st.out) {
      st.out = true;
      if (into) {
        if (r.line !== st.L && r.stmt && k.range !== st.R) return true;
        st.R = k.range;
        st.L = r.line;
        return false;
      }
    }
    // Inside an inlined call from the frame: gdb's "stepping through inlined function" (`next` goes on;
    // `step` stopped already where the walk came into it, see lineBack's inline exits).
    if (r.inInline || (st.out && r.inCur)) return false;
    if (k.kind === 'mid') {
      if (k.range !== st.R) {
        st.R = k.range;
        st.L = r.line;
      }
      return false;
    }
    // At the entry of an inlined call (gdb's "calls to inlined functions, part one"): `step` stops,
    // `next` stops when the call is on another line than the one stepped from.
    if (r.inlineCallLine !== undefined) {
      if (into || r.inlineCallLine !== Math.floor(st.L / 1000)) return true;
      return false;
    }
    if (!single) return true;
    if (r.line !== st.L) {
      if (r.stmt) return true;
      // Not a statement: it becomes the step range, the line stepped from stays (gdb's refresh_step_info).
      st.R = k.range;
      return false;
    }
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
    type Kind = { kind: 'start' | 'mid' | 'fall'; range: number } | { kind: 'callee'; line: number } | { kind: 'entry'; range?: number } | { kind: 'inlExit' };
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
      // Where a walk back comes into an inlined call from the frame: the last instruction it ran (one
      // falling through out of the call, or a jump out of it). gdb's `step` stops there ("stepped into
      // an inlined function", part two).
      for (const x of this.inlineExits(info.ranges)) {
        if (points.some((p) => p.addr === x)) continue;
        points.push({ addr: x, filter: this.filterAt(f.mod, x, f.cfa) });
        kinds.push({ kind: 'inlExit' });
      }
      for (const e of this.calleeEntries(f.mod, info)) {
        if (points.some((p) => p.addr === e.addr)) continue;
        points.push({ addr: e.addr });
        kinds.push({ kind: 'callee', line: e.line });
      }
    }
    const pRange = info.ranges.findIndex((r) => f.pc >= r.start && f.pc < r.end);
    // At the entry of an inlined call (its frame hidden), the line stepped from is the call's.
    const callLine = pRange >= 0 && info.ranges[pRange].start === f.pc ? info.ranges[pRange].inlineCallLine : undefined;
    const L0 = pRange < 0 ? -1 : callLine !== undefined ? callLine * 1000 + (info.ranges[pRange].line % 1000) : info.ranges[pRange].line;
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
      const st = { R: pRange, L: L0 };
      entryStops = false;
      for (const x of ranked) {
        const k = kinds[x.i];
        if (k.kind === 'inlExit') return { point: x.i };
        if (k.kind === 'callee') {
          if (x.seq > entrySeq) return { point: x.i }; // reverse-step: into the function that returned
          continue;
        }
        if (k.kind === 'entry') {
          // At the function's entry as the start of the step range gdb keeps going, to the caller.
          const r = k.range !== undefined ? info.ranges[k.range] : undefined;
          entryStops = !!r && k.range !== st.R && this.visitSingle(info.ranges, k.range!, x.seq, c, fallOf) && r.line !== st.L && r.stmt;
          lineAtEntry = r && k.range !== st.R ? r.line : st.L;
          return { point: x.i };
        }
        if (this.walkStep(info.ranges, st, k, this.visitSingle(info.ranges, k.range, x.seq, c, fallOf), into)) return { point: x.i };
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

  /**
   * reverse-continue: the most recent earlier stop of a user breakpoint (its condition true, its ignore
   * count used up, as gdb's record full) or of a watchpoint (a write that changed the value).
   */
  private async continueBack(tl: Timeline): Promise<StopReason | { reason: StopReason; bps: number[] }> {
    const pos = await tl.position();
    const bps = this.session.breakpoints().filter((b) => b.enabled);
    const plain = new Map<number, number[]>();
    const cond = new Map<number, CondBp[]>();
    for (const b of bps) {
      for (const l of b.locations) {
        if (!l.enabled) continue;
        if (b.condition || b.ignoreCount > 0) {
          const list = cond.get(l.address) ?? [];
          list.push({ id: b.id, condition: b.condition, ignore: b.ignoreCount });
          cond.set(l.address, list);
        } else {
          const ids = plain.get(l.address) ?? [];
          ids.push(b.id);
          plain.set(l.address, ids);
        }
      }
    }
    // An address with an unconditional breakpoint stops at every arrival anyway.
    for (const a of plain.keys()) cond.delete(a);
    // Watchpoints (gdb's record-full reverse-continue stops at the most recent earlier write that
    // changed a watched value; a read watch does not stop when going back).
    const watches = this.session.watchpoints().filter((w) => w.access !== 'read' && (w as { enabled?: boolean }).enabled !== false);
    if (watches.length || cond.size) {
      return this.writeBack(tl, pos, plain, watches.map((w) => ({ addr: w.address, size: w.size })), true, cond);
    }
    const list = [...plain.keys()];
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
    return { reason: 'breakpoint', bps: plain.get(list[found.point]) ?? [] };
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

  /**
   * reverse-continue with watched data: the most recent earlier stop among the breakpoint hits (`bps`:
   * address -> breakpoint ids) and the writes to `ranges` (with `changedOnly`, only writes that changed
   * a value, as gdb's watchpoints). A write stops at its writing instruction with the state before it
   * (as gdb shows a watchpoint when going back). Segments are searched from the newest, each by a replay
   * with the user's breakpoint addresses counted and the ranges' debug registers armed.
   */
  private async writeBack(
    tl: Timeline,
    pos: Position,
    bps: Map<number, number[]>,
    ranges: { addr: number; size: number }[],
    changedOnly: boolean,
    cond: Map<number, CondBp[]> = new Map(),
  ): Promise<StopReason | { reason: StopReason; bps: number[] }> {
    const slots: WatchSlot[] = ranges.flatMap((r) => watchSlots(r.addr, r.size)).map((x) => ({ ...x, kind: 'write' as const }));
    if (slots.length > 4) throw new ReverseError(`Hardware watchpoints used exceeds limit (x86 has 4 debug registers; going back over these watchpoints needs ${slots.length}).`);
    const list = [...bps.keys()];
    const points: CountPoint[] = list.map((addr) => ({ addr }));
    // Conditional breakpoints, and those with an ignore count: every arrival is looked at (a trap).
    const condAddrs = [...cond.keys()];
    const condIdx = new Set<number>();
    for (const a of condAddrs) {
      condIdx.add(points.length);
      points.push({ addr: a, trap: true });
    }
    const ignoreLeft = new Map<number, number>();
    for (const l of cond.values()) for (const b of l) ignoreLeft.set(b.id, b.ignore);
    let { ckpt, hops } = await searchStart(tl, pos);
    let endsAtPos = true;
    for (;;) {
      const inf = await tl.spawnAt(ckpt);
      let bpFound: Found | undefined;
      let bpIds: number[] = [];
      const last: { trig?: { hop: number; nth?: number; step?: number; seqBefore: number } } = {};
      // Arrivals at conditional breakpoints where a condition held, oldest first.
      const cands: { seq: number; hops: Hop[]; ids: number[] }[] = [];
      try {
        const read = () => ranges.map((r) => inf.readMemorySync(r.addr, r.size));
        let prev = read();
        const watch: SearchWatch = {
          slots,
          bytes: ranges,
          onTrigger: (t) => {
            if (changedOnly) {
              const now = read();
              const changed = now.some((b, i) => !b.equals(prev[i]));
              prev = now;
              if (!changed) return;
            }
            last.trig = t;
          },
        };
        const hook: ArrivalHook | undefined = condIdx.size
          ? {
              points: condIdx,
              onArrival: async (pi, name, seq) => {
                const ids: number[] = [];
                for (const b of cond.get(points[pi].addr) ?? []) {
                  let ok = true;
                  if (b.condition) {
                    // gdb stops when the condition cannot be evaluated.
                    ok = await tl.withCurrent(inf, () => this.session.reverseCondition(b.condition!)).catch(() => true);
                  }
                  if (ok) ids.push(b.id);
                }
                if (ids.length) cands.push({ seq, hops: name, ids });
              },
            }
          : undefined;
        const r = await tl.runCounting(inf, hops, points, new Set(), !endsAtPos, slots.length ? watch : undefined, hook);
        // The stops of this segment, latest first: the last arrival at each plain breakpoint address,
        // each conditional arrival, and the last write (after the arrivals numbered up to seqBefore).
        type Stop = { at: number; kind: 'bp'; point: number } | { at: number; kind: 'cond'; c: (typeof cands)[number] } | { at: number; kind: 'write' };
        const stops: Stop[] = [];
        r.end.slice(0, list.length).forEach((x, i) => {
          if (x.lastSeq > 0) stops.push({ at: x.lastSeq, kind: 'bp', point: i });
        });
        for (const c of cands) stops.push({ at: c.seq, kind: 'cond', c });
        if (last.trig) stops.push({ at: last.trig.seqBefore + 0.5, kind: 'write' });
        stops.sort((a, b) => b.at - a.at);
        let chosen: Stop | undefined;
        for (const st of stops) {
          if (st.kind === 'cond') {
            // gdb's ignore count: that many hits (condition true) pass before one stops.
            const stopIds = st.c.ids.filter((id) => {
              const left = ignoreLeft.get(id) ?? 0;
              if (left > 0) ignoreLeft.set(id, left - 1);
              return left === 0;
            });
            if (!stopIds.length) continue;
            st.c.ids = stopIds;
          }
          chosen = st;
          break;
        }
        if (chosen?.kind === 'bp') {
          bpFound = nameArrival(ckpt, hops, points, r, chosen.point);
          bpIds = bps.get(list[chosen.point]) ?? [];
        } else if (chosen?.kind === 'cond') {
          bpFound = { pos: { ckpt, hops: chosen.c.hops }, point: -1, seq: chosen.at };
          bpIds = chosen.c.ids;
        }
        if (chosen?.kind !== 'write') last.trig = undefined;
        await r.run.dispose().catch(() => undefined);
      } finally {
        await inf.kill().catch(() => undefined);
      }
      if (bpFound) {
        await tl.materialize(bpFound.pos);
        await this.updateIgnoreCounts(cond, ignoreLeft);
        return { reason: 'breakpoint', bps: bpIds };
      }
      const t = last.trig;
      if (t) {
        await this.beforeWrite(tl, ckpt, hops.slice(0, t.hop), t, slots, ranges);
        await this.updateIgnoreCounts(cond, ignoreLeft);
        return 'watchpoint';
      }
      endsAtPos = false;
      if (ckpt === 0) {
        await this.updateIgnoreCounts(cond, ignoreLeft);
        return this.noHistory(tl);
      }
      if (tl.segmentOpaque(ckpt - 1)) {
        throw new ReverseError('Reverse execution cannot go back across the point where the program was interrupted (its position in time is not known exactly).');
      }
      ckpt--;
      hops = await tl.segment(ckpt);
    }
  }

  /** The ignore counts used up going back, as gdb's (they count down in either direction). */
  private async updateIgnoreCounts(cond: Map<number, CondBp[]>, left: Map<number, number>): Promise<void> {
    for (const l of cond.values()) {
      for (const b of l) {
        const n = left.get(b.id);
        if (n !== undefined && n !== b.ignore) await this.session.updateBreakpoint(b.id, { ignoreCount: n }).catch(() => undefined);
      }
    }
  }

  /**
   * Makes the current process the state just before a write found by writeBack: `prefix` then, for a
   * write during a run, the triggers before it, then the arrivals at the writing instruction up to the
   * one that wrote (counted in one more replay); for a write during single steps, one step fewer.
   */
  private async beforeWrite(
    tl: Timeline,
    ckpt: number,
    prefix: Hop[],
    t: { nth?: number; step?: number },
    slots: WatchSlot[],
    ranges: { addr: number; size: number }[],
  ): Promise<void> {
    if (t.step !== undefined) {
      const hops = prefix.map((h) => ({ ...h }));
      if (t.step > 1) hops.push({ kind: 'steps', n: t.step - 1 });
      await tl.materialize({ ckpt, hops });
      return;
    }
    const trigger = (): Hop => ({ kind: 'event', expect: 'watchpoint', pc: 0, watch: slots.map((x) => ({ ...x })) });
    const base: Hop[] = [...prefix.map((h) => ({ ...h })), ...Array.from({ length: (t.nth ?? 1) - 1 }, trigger)];
    // Where the write is: run to the trigger once (it stops after the writing instruction).
    let writer: number | undefined;
    {
      const inf = await tl.spawnAt(ckpt);
      try {
        const r = await tl.runCounting(inf, base, [], new Set(), false, { slots, bytes: ranges, onTrigger: () => undefined });
        await r.run.dispose();
        const ev = await inf.cont();
        if (ev.kind === 'watchpoint') writer = this.writerBefore(inf, ev.pc);
      } finally {
        await inf.kill().catch(() => undefined);
      }
    }
    if (writer === undefined) {
      // Not a plain instruction before the trap (a string instruction mid-way, a call): one instruction back.
      const after: Position = { ckpt, hops: [...base, trigger()] };
      await tl.materialize(after);
      await this.stepBackOneInstruction(tl, after);
      return;
    }
    // Arrivals at the writing instruction between the previous trigger and this one: the last one wrote.
    let m = 0;
    {
      const inf = await tl.spawnAt(ckpt);
      try {
        const r = await tl.runCounting(inf, base, [{ addr: writer }], new Set(), false, { slots, bytes: ranges, onTrigger: () => undefined });
        const wi = r.pointOf(writer);
        const c0 = r.run.counters()[wi].all;
        const ev = await r.run.cont();
        if (ev.kind !== 'event' || ev.ev.kind !== 'watchpoint') throw new ReverseError('Replay diverged while going to the write.');
        m = r.run.counters()[wi].all - c0;
        await r.run.dispose().catch(() => undefined);
      } finally {
        await inf.kill().catch(() => undefined);
      }
    }
    const hops = m > 0 ? [...base, { kind: 'at', addr: writer, n: m } as Hop] : base;
    await tl.materialize({ ckpt, hops });
  }

  /** The instruction that ends at pcAfter (decoded from its function's start), when it ran straight into it. */
  private writerBefore(inf: { readMemorySync(a: number, n: number): Buffer }, pcAfter: number): number | undefined {
    const mod = this.session.moduleTable?.find(pcAfter);
    if (!mod) return undefined;
    const link = pcAfter - mod.bias;
    const fn = mod.obj.symbols.hasDebugInfo ? mod.obj.symbols.functionAt(link) : undefined;
    const b = fn ? { start: fn.lowPc, end: fn.highPc } : mod.unwind.functionBounds?.(link);
    if (!b) return undefined;
    const start = b.start + mod.bias;
    if (pcAfter <= start) return undefined;
    let code: Buffer;
    try {
      code = inf.readMemorySync(start, pcAfter - start + 16);
    } catch {
      return undefined;
    }
    const d = new Decoder(64, code, DecoderOptions.None);
    d.ip = BigInt(start);
    let found: number | undefined;
    let repAtPc = false;
    while (d.canDecode) {
      const i = d.decode();
      const ip = Number(i.ip);
      if (ip === pcAfter) {
        repAtPc = i.hasRepPrefix || i.hasRepePrefix || i.hasRepnePrefix;
        i.free();
        break;
      }
      if (Number(i.nextIP) === pcAfter && i.flowControl === FlowControl.Next) found = ip;
      i.free();
      if (ip > pcAfter) break;
    }
    d.free();
    return repAtPc ? undefined : found;
  }
}

/** The position of the last matching arrival at points[point] in a counting run of `hops` from checkpoint ckpt. */
function nameArrival(
  ckpt: number,
  hops: Hop[],
  points: CountPoint[],
  r: { starts: Counters[][]; startSeq: number[]; end: Counters[]; stepSeqs: Map<number, { hop: number; step: number }> },
  point: number,
): Found {
  const c = r.end[point];
  // Which hop the arrival fell in, and its count from that hop's start.
  let k = hops.length - 1;
  while (k > 0 && r.startSeq[k] >= c.lastSeq) k--;
  const stepAt = r.stepSeqs.get(c.lastSeq);
  let newHops: Hop[];
  if (stepAt) newHops = [...hops.slice(0, stepAt.hop), { kind: 'steps', n: stepAt.step }];
  else {
    const base = hops.length ? r.starts[k][point].all : 0;
    newHops = [...hops.slice(0, hops.length ? k : 0), { kind: 'at', addr: points[point].addr, n: c.lastAll - base }];
  }
  return { pos: { ckpt, hops: newHops }, point, seq: c.lastSeq };
}

/**
 * Where a backward search starts: the position itself, or, for a position at a trail point (no hops),
 * the end of the previous segment, which is searched first.
 */
async function searchStart(tl: Timeline, pos: Position): Promise<{ ckpt: number; hops: Hop[] }> {
  if (!pos.hops.length && pos.ckpt > 0) return { ckpt: pos.ckpt - 1, hops: await tl.segment(pos.ckpt - 1) };
  return { ckpt: pos.ckpt, hops: pos.hops };
}
