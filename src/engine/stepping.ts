// Source-level stepping with gdb's semantics (infrun.c's process_event_stop_test, simplified to what an
// all-stop x86-64 Linux target needs):
//
// - The step range is the address range of the line-table entry holding the pc. The thread is single-
//   stepped while the pc stays in it. Leaving it:
//   * into a called function (the return address just pushed points right after the previous pc): `next`
//     runs to the return address with a step-resume breakpoint that only counts when the stack pointer
//     shows the call has returned (recursion); `step` goes into functions that have line info (to their
//     post-prologue address; through PLT stubs to the real function) and steps over the others;
//   * in the same frame (same CFA): at the start of an is_stmt entry of a different line, stop; else take
//     the new entry's range and keep going (same line, or the middle of a line);
//   * into the caller (the frame returned): take the caller's line range and keep going, so the step ends
//     at the start of the caller's next line, as gdb does; a caller without line info stops there.
// - `until` is `next` whose range starts at the function's entry (loop back-edges run through).
// - `finish` runs to the caller's resume address (with the same stack check) and reads the return value.

import { Registers } from '../ptrace/regs';
import { dwarfRegsFromUserRegs, UnwindMemory } from '../symbols/unwind';
import type { Inferior, StopEvent } from '../target';
import { EngineError } from './api';
import { BreakpointTable, HitDecision } from './breakpoints';
import type { LoadedModule, ModuleTable } from './modules';
import { callSite, functionAt, inlineChain, lineAt, PcLine } from './symbolize';
import { hiddenAtEntry, unwindTop } from './frames';
import type { Die } from '../symbols';

function blockKey(d: Die): string {
  return `${d.unit.key}:${d.offset}`; // unit.key: split units of different .dwo files share offsets
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A stop as the run-control code sees it. */
export type Ev =
  | { kind: 'step'; tid: number; pc: number; ev: StopEvent }
  /** A breakpoint address was reached: user breakpoints that stop (decision) and internal owners. */
  | { kind: 'bp'; tid: number; pc: number; ev: StopEvent; decision: HitDecision; internal?: Set<string> }
  /** Anything else the user must see: signal, exit, pause, exec, watchpoint. */
  | { kind: 'other'; ev: StopEvent };

/** What the stepping code needs from the session. */
export interface StepHost {
  readonly inf: Inferior;
  readonly modules: ModuleTable;
  readonly bps: BreakpointTable;
  readonly mem: UnwindMemory;
  /** One instruction in one thread, classified (landing on a user breakpoint counts as a hit). */
  singleStep(tid: number): Promise<Ev>;
  /**
   * Instructions in one thread while the pc stays in [start, end) (range stepping inside the tracer),
   * classified like singleStep; prevPc is the last instruction executed. Stops early on breakpoint
   * addresses and on the addresses in stopAt.
   */
  singleStepRange?(tid: number, start: number, end: number, stopAt: number[]): Promise<{ ev: Ev; prevPc: number }>;
  /**
   * Range stepping that runs over calls inside the tracer (one request per `next` in the common case;
   * Tracer.stepOver in src/target/tracer.ts). frameCfa: the stepping frame's CFA. `over` is set when the
   * stop came while running over a call (return address ra, stack pointer minSp back there): reached
   * false, a stop on the way (ev is classified like continueAll's, a 'step' when it is not one to show:
   * keep running to ra); reached true, the arrival at ra (ev a 'bp' when ra holds a breakpoint).
   * Absent when it cannot be used (a recorded program: its hops are counted from steps and conts).
   */
  stepOverRange?(
    tid: number,
    start: number,
    end: number,
    stopAt: number[],
    frameCfa: number | undefined,
  ): Promise<{ ev: Ev; prevPc: number; over?: { ra: number; minSp: number; reached: boolean } }>;
  /** Continues all threads until a stop that is not handled internally (solib events, logpoints, false conditions). */
  continueAll(): Promise<Ev>;
  /** Inserts/removes inferior breakpoints after internal-breakpoint changes. */
  applyBreakpoints(): Promise<void>;
  /** Registers of a stopped thread (cached until the next resume). */
  regs(tid: number): Promise<Registers>;
  /** Set by pause(): stepping loops stop at the next instruction boundary. */
  readonly pauseRequested: boolean;
  note(text: string): void;
}

export type StepResult =
  /** The step completed at a new position (reason 'step', or 'breakpoint' when a user breakpoint is there). */
  | { kind: 'done'; tid: number; pc: number; decision?: HitDecision; hidden?: number }
  /** Interrupted by another event. */
  | { kind: 'event'; ev: Ev }
  | { kind: 'paused'; tid: number; pc: number };

let ownerSeq = 0;

let currentHost: StepHost | undefined;

export async function regsOf(inf: Inferior, tid: number): Promise<Registers> {
  if (currentHost && currentHost.inf === inf) return currentHost.regs(tid);
  return inf.getRegisters(tid);
}

/** Makes regsOf use the host's register cache. */
export function useHost(h: StepHost): StepHost {
  currentHost = h;
  return h;
}

function readU64(mem: UnwindMemory, addr: number): number | undefined {
  const b = mem.read(addr, 8);
  if (!b) return undefined;
  const v = b.readBigUInt64LE(0);
  return v < 2n ** 53n ? Number(v) : undefined;
}

/** CFA of the innermost frame and (when known) the caller's resume pc and CFA. */
export function frameOf(host: StepHost, regs: Registers): { cfa?: number; callerPc?: number; callerCfa?: number } {
  // (unwindTop: the stop report that follows a step reuses this unwind when nothing changed.)
  const r = unwindTop(dwarfRegsFromUserRegs(regs.buf), host.mem, host.modules);
  const f0 = r.frames[0];
  const f1 = r.frames[1];
  return { cfa: f0?.cfa, callerPc: f1?.pc, callerCfa: f1?.cfa };
}

function isStop(ev: Ev): boolean {
  return ev.kind === 'other' || (ev.kind === 'bp' && (ev.decision.stop.length > 0 || ev.decision.errors.length > 0));
}

/**
 * Runs all threads until thread `tid` reaches `addr` with its stack pointer at or above `minSp` (the
 * frame that will resume there is live again), or until something else stops the program.
 */
export async function runTo(host: StepHost, tid: number, addrs: number[], minSp: number | undefined, opts: { anyThread?: boolean } = {}): Promise<{ reached: boolean; at?: number; ev: Ev }> {
  const owner = `run-to-${++ownerSeq}`;
  // Transient: the tracer inserts them for each continue and removes them before it answers.
  for (const a of addrs) host.bps.addInternal(a, owner, true);
  await host.applyBreakpoints();
  try {
    for (;;) {
      const ev = await host.continueAll();
      if (ev.kind === 'bp' && ev.internal?.has(owner) && (opts.anyThread || ev.tid === tid)) {
        let ok = true;
        if (minSp !== undefined) {
          const regs = await regsOf(host.inf, ev.tid);
          ok = regs.sp >= minSp;
        }
        if (ok) return { reached: true, at: ev.pc, ev };
      }
      if (isStop(ev)) return { reached: false, ev };
      // Our breakpoint in another frame or thread, or another internal breakpoint: keep going.
    }
  } finally {
    host.bps.removeInternalOwner(owner);
    if (host.inf.state !== 'exited') await host.applyBreakpoints();
  }
}

interface Range {
  start: number;
  end: number;
}

function inRange(pc: number, r: Range): boolean {
  return pc >= r.start && pc < r.end;
}

/** Where `step` should stop when entering the function at pc: its post-prologue address (undefined = no line info: step over). */
export function stepIntoTarget(host: StepHost, pc: number): number | undefined {
  const mod = host.modules.find(pc);
  if (!mod) return undefined;
  const plt = pltTarget(host, mod, pc);
  if (plt !== undefined) return plt;
  const f = functionAt(mod, pc);
  if (!f?.fn || !lineAt(mod, pc)) return undefined;
  const post = mod.symbols.postPrologueAddress(f.fn) + mod.bias;
  return Math.max(post, pc);
}

/** A PLT stub's destination function (post-prologue), when it has line info. */
function pltTarget(host: StepHost, mod: LoadedModule, pc: number): number | undefined {
  const plt = mod.obj.plt();
  const link = pc - mod.bias;
  if (!plt || !plt.ranges.some(([lo, hi]) => link >= lo && link < hi)) return undefined;
  // The stub: [endbr64] [bnd] jmp *disp32(%rip).
  const code = host.mem.read(pc, 16);
  if (!code) return undefined;
  let p = 0;
  if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) p = 4;
  if (code[p] === 0xf2) p++;
  if (code[p] !== 0xff || code[p + 1] !== 0x25) return undefined;
  const disp = code.readInt32LE(p + 2);
  const slot = pc + p + 6 + disp;
  const name = plt.slots.get(slot - mod.bias);
  if (!name) return undefined;
  // The symbol as the dynamic linker binds it: the first loaded object defining it (program first).
  const ordered = [...host.modules.modules].sort((a, b) => order(a) - order(b));
  for (const m of ordered) {
    const sym = m.obj.elfSymbol(name) ?? m.obj.elf.symbolByName(name);
    if (!sym || sym.shndx === 0 || sym.type !== 'FUNC') continue;
    const addr = sym.value + m.bias;
    if (m === mod && plt.ranges.some(([lo, hi]) => sym.value >= lo && sym.value < hi)) continue;
    const f = functionAt(m, addr);
    if (!f?.fn || !lineAt(m, addr)) return undefined;
    return Math.max(m.symbols.postPrologueAddress(f.fn) + m.bias, addr);
  }
  return undefined;
}

function order(m: LoadedModule): number {
  return m.kind === 'program' ? 0 : m.kind === 'library' ? 1 + m.id : 10000 + m.id;
}

export type LineStepMode = 'next' | 'step' | 'until';

/**
 * One `next` / `step` / `until` in thread tid. startCfa: the CFA of the frame being stepped when the
 * caller knows it already (the stop's own frame 0), saving an unwind.
 */
export async function stepLine(host: StepHost, tid: number, mode: LineStepMode, startHidden = 0, startCfa?: { cfa: number | undefined }): Promise<StepResult> {
  let regs = await regsOf(host.inf, tid);
  let pc = regs.pc;
  let mod = host.modules.find(pc);
  let stepCfa = startCfa ? startCfa.cfa : frameOf(host, regs).cfa;
  let range: Range;
  let curLine = 0;
  let curFile: string | undefined;
  const line = mod ? lineAt(mod, pc) : undefined;
  const fn = mod ? functionAt(mod, pc) : undefined;
  // Inlined calls: the frame being stepped is the innermost visible one at the start.
  const chain0 = mod ? inlineChain(mod.symbols, pc - mod.bias) : [];
  const hidden0 = Math.min(startHidden, chain0.length);
  if (mode === 'step' && hidden0 > 0) {
    // gdb: `step` at the call site of an inlined function enters it without running ("down").
    return { kind: 'done', tid, pc, hidden: hidden0 - 1 };
  }
  const visible0 = chain0.slice(hidden0).map(blockKey);
  if (!line) {
    if (!fn || !mod) throw new EngineError('Cannot find bounds of current function', 'invalid');
    const end = functionEnd(mod, fn.start);
    if (end === undefined) throw new EngineError('Cannot find bounds of current function', 'invalid');
    host.note(`Single stepping until exit from function ${fn.name},\nwhich has no line number information.\n`);
    range = { start: fn.start, end };
  } else {
    range = { start: line.address, end: line.end ?? line.address + 1 };
    curLine = line.line;
    curFile = line.fullPath;
    if (hidden0 > 0 && mod) {
      // At a hidden inlined call site: the position is the call site, the range ends with the block.
      const outer = chain0[hidden0 - 1];
      const cs = callSite(mod.symbols, outer);
      if (cs.line !== undefined) {
        curLine = cs.line;
        curFile = cs.fullPath;
      }
      const link = pc - mod.bias;
      const r = outer.ranges().find(([lo, hi]) => link >= lo && link < hi);
      if (r && r[1] + mod.bias < range.end) range.end = r[1] + mod.bias;
    }
    if (mode === 'until' && fn) range.start = Math.min(range.start, fn.start);
  }
  const fnStart = fn?.start;
  for (;;) {
    if (host.pauseRequested) return { kind: 'paused', tid, pc };
    let prevPc = pc;
    let ev: Ev;
    // Back from a call the tracer ran over (the call test is done).
    let returnedTo: number | undefined;
    if (mode !== 'step' && host.stepOverRange && inRange(pc, range)) {
      const r = await host.stepOverRange(tid, range.start, range.end, mode === 'until' && fnStart !== undefined ? [fnStart] : [], stepCfa);
      ev = r.ev;
      prevPc = r.prevPc;
      if (r.over) {
        const { ra, minSp } = r.over;
        if (r.over.reached) {
          if (isStop(ev)) return resultOf(ev);
        } else {
          // Stopped on the way to the return address: what runTo would do with that stop.
          if (isStop(ev)) return resultOf(ev);
          const back = await runTo(host, tid, [ra], minSp);
          if (!back.reached) return resultOf(back.ev);
          if (back.ev.kind === 'bp' && back.ev.decision.stop.length) return { kind: 'done', tid, pc: ra, decision: back.ev.decision };
        }
        pc = ra;
        if (inRange(pc, range)) continue;
        returnedTo = ra;
      }
    } else if (host.singleStepRange && inRange(pc, range)) {
      const r = await host.singleStepRange(tid, range.start, range.end, mode === 'until' && fnStart !== undefined ? [fnStart] : []);
      ev = r.ev;
      prevPc = r.prevPc;
    } else {
      ev = await host.singleStep(tid);
    }
    if (returnedTo !== undefined) {
      regs = await regsOf(host.inf, tid);
    } else {
      if (ev.kind !== 'step') {
        if (ev.kind === 'bp' && !isStop(ev)) {
          pc = ev.pc;
        } else return ev.kind === 'bp' ? { kind: 'done', tid, pc: ev.pc, decision: ev.decision } : { kind: 'event', ev };
      } else pc = ev.pc;
      if (inRange(pc, range) && !(mode === 'until' && pc === fnStart)) continue;

      regs = await regsOf(host.inf, tid);
      const sp = regs.sp;
      // A call: the return address just pushed is right after the previous instruction.
      const ra = readU64(host.mem, sp);
      const called = ra !== undefined && ra > prevPc && ra <= prevPc + 16 && (stepCfa === undefined || sp < stepCfa);
      if (called) {
        const r = await overOrInto(host, tid, mode, pc, ra!, sp + 8);
        if (r) return r;
        pc = ra!;
        if (inRange(pc, range)) continue;
        regs = await regsOf(host.inf, tid);
      }
    }
    const fr = frameOf(host, regs);
    mod = host.modules.find(pc);
    if (stepCfa !== undefined && fr.cfa !== undefined && fr.cfa < stepCfa) {
      // Deeper without a call we recognised (a signal handler, an unusual call): run back out of it.
      if (fr.callerPc === undefined) return { kind: 'done', tid, pc };
      const r = await overOrInto(host, tid, mode === 'step' ? 'next' : mode, pc, fr.callerPc, fr.cfa);
      if (r) return r;
      pc = (await regsOf(host.inf, tid)).pc;
      if (inRange(pc, range)) continue;
      regs = await regsOf(host.inf, tid);
      const f2 = frameOf(host, regs);
      fr.cfa = f2.cfa;
    }
    const returned = stepCfa !== undefined && fr.cfa !== undefined && fr.cfa > stepCfa;
    const pcLine = mod ? lineAt(mod, pc) : undefined;
    if (!pcLine) return { kind: 'done', tid, pc };
    if (!returned && mod) {
      // gdb's "calls" to inlined functions (infrun.c, parts one and two).
      const link = pc - mod.bias;
      const chain = inlineChain(mod.symbols, link);
      const atEntry = hiddenAtEntry(chain, link, {});
      const visible = chain.slice(atEntry).map(blockKey);
      if (atEntry > 0 && sameKeys(visible, visible0)) {
        // Entered an inlined call at its first instruction.
        const cs = callSite(mod.symbols, chain[atEntry - 1]);
        const sameLine = cs.line === curLine && cs.fullPath === curFile;
        if (mode === 'step') return { kind: 'done', tid, pc, hidden: sameLine ? atEntry - 1 : atEntry };
        if (sameLine) continue;
        return { kind: 'done', tid, pc, hidden: atEntry };
      }
      if (visible.length > visible0.length && sameKeys(visible.slice(visible.length - visible0.length), visible0)) {
        // Inside an inlined call made from the frame being stepped.
        if (mode === 'step') return { kind: 'done', tid, pc, hidden: atEntry };
        continue;
      }
    }
    if (returned) {
      // Back in the caller: continue to the start of its next line.
      stepCfa = fr.cfa;
      if (pc === pcLine.address && (pcLine.line !== curLine || pcLine.fullPath !== curFile) && pcLine.isStmt) return { kind: 'done', tid, pc };
      ({ range, curLine, curFile } = refresh(pcLine));
      continue;
    }
    if (pc === pcLine.address && (pcLine.line !== curLine || pcLine.fullPath !== curFile)) {
      if (pcLine.isStmt) return { kind: 'done', tid, pc };
      continue; // not a statement start: keep stepping without refreshing the line
    }
    ({ range, curLine, curFile } = refresh(pcLine));
  }
}

function refresh(l: PcLine): { range: Range; curLine: number; curFile: string } {
  return { range: { start: l.address, end: l.end ?? l.address + 1 }, curLine: l.line, curFile: l.fullPath };
}

/**
 * Entered a called function at pc (return address ra, stack pointer after the return minSp): step into
 * it (`step`, when it has line info) or run until it returns. Returns a result to end the step with, or
 * undefined when back at ra in the stepping frame.
 */
async function overOrInto(host: StepHost, tid: number, mode: LineStepMode, pc: number, ra: number, minSp: number): Promise<StepResult | undefined> {
  if (mode === 'step') {
    const target = stepIntoTarget(host, pc);
    if (target !== undefined) {
      if (target === pc) return { kind: 'done', tid, pc };
      const r = await runTo(host, tid, [target, ra], undefined);
      if (!r.reached) return resultOf(r.ev);
      if (r.at === target) return { kind: 'done', tid, pc: target, decision: r.ev.kind === 'bp' ? r.ev.decision : undefined };
      // Came back to ra first (target never reached): check it is our frame returning.
      const sp = (await regsOf(host.inf, tid)).sp;
      if (sp >= minSp) return undefined;
      const again = await runTo(host, tid, [ra], minSp);
      return again.reached ? undefined : resultOf(again.ev);
    }
  }
  const r = await runTo(host, tid, [ra], minSp);
  if (!r.reached) return resultOf(r.ev);
  if (r.ev.kind === 'bp' && r.ev.decision.stop.length) return { kind: 'done', tid, pc: ra, decision: r.ev.decision };
  return undefined;
}

function resultOf(ev: Ev): StepResult {
  if (ev.kind === 'bp') return { kind: 'done', tid: ev.tid, pc: ev.pc, decision: ev.decision };
  return { kind: 'event', ev };
}

/** End of the function starting at `start` (DWARF high pc, else the ELF symbol's size). */
export function functionEnd(mod: LoadedModule, start: number): number | undefined {
  const link = start - mod.bias;
  const fn = mod.symbols.hasDebugInfo ? mod.symbols.functionAt(link) : undefined;
  if (fn) {
    const r = fn.ranges.find(([lo, hi]) => link >= lo && link < hi);
    if (r) return r[1] + mod.bias;
  }
  const sym = mod.obj.elfSymbolAt(link);
  if (sym && sym.value === link && sym.size > 0) return link + sym.size + mod.bias;
  return undefined;
}

/** `stepi` / `nexti` (over: step over a call instruction). */
export async function stepInstruction(host: StepHost, tid: number, over: boolean): Promise<StepResult> {
  const before = over ? await regsOf(host.inf, tid) : undefined;
  const ev = await host.singleStep(tid);
  if (ev.kind !== 'step') return resultOf(ev);
  if (over && before) {
    const regs = await regsOf(host.inf, tid);
    const ra = readU64(host.mem, regs.sp);
    if (regs.sp === before.sp - 8 && ra !== undefined && ra > before.pc && ra <= before.pc + 16) {
      const r = await runTo(host, tid, [ra], regs.sp + 8);
      if (!r.reached) return resultOf(r.ev);
      return { kind: 'done', tid, pc: ra, decision: r.ev.kind === 'bp' ? r.ev.decision : undefined };
    }
  }
  return { kind: 'done', tid, pc: ev.pc };
}
