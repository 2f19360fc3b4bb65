// Watchpoints (gdb watch / rwatch / awatch) for the session: x86-64 debug registers when the value fits
// in the free ones, software watchpoints (single-stepping inside the tracer, comparing the bytes after
// every instruction) otherwise; watches on a frame's locals deleted when that frame returns (gdb's
// watchpoint-scope stop); conditions, ignore counts and DAP hit conditions; re-insertion after `run`
// and in a restarted checkpoint. The session (session.ts) keeps thin delegating methods and calls the
// hooks below from its run loop. See docs/watchpoints.md.

import type { Inferior, StopEvent } from '../target';
import { typeName } from '../symbols';
import type { Type } from '../symbols';
import type { Frame as UnwindFrame } from '../symbols/unwind';
import { Breakpoint, BreakpointChange, EngineError, Watchpoint, WatchpointChange, WatchpointSpec, WatchAccess, WatchHit } from './api';
import { BreakpointTable, parseHitCondition } from './breakpoints';
import type { DataBridge } from './data';

/** What the watchpoint manager needs from the session. */
export interface WatchHost {
  inferior(): Inferior | undefined;
  /** The session is running a command (watches cannot be changed). */
  busy(): boolean;
  requireStopped(): Inferior;
  readonly data: DataBridge;
  readonly bpTable: BreakpointTable;
  applyBreakpoints(): Promise<void>;
  /** Truth of a condition in the top frame of a thread (throws gdb's message). */
  condition(expr: string, tid: number): Promise<boolean>;
  /** The thread a frame id belongs to, and the index of its physical frame. */
  frameOf(frameId: number): { tid: number; phys: number };
  /** Physical frame `phys` of a thread, from an unwind of its current registers. */
  physicalFrame(tid: number, phys: number): Promise<UnwindFrame | undefined>;
  /** A console message (gdb's warnings). */
  note(text: string): void;
  pauseRequested(): boolean;
  /** Reverse execution records this process (run control goes through the recording's view). */
  recording(): boolean;
  /** A watch the engine deleted on its own, outside a scope stop (the process ended, a frame left unseen). */
  deleted(bp: Breakpoint): void;
  /** A watch's hit count changed without a stop (a trigger passed by its ignore count or hit condition). */
  changed(bp: Breakpoint): void;
}

interface WatchEntry {
  id: number;
  expression: string;
  access: WatchAccess;
  address: number;
  size: number;
  type: Type;
  /** The value as last read (gdb's "Old value"). */
  value: string;
  /** Debug registers (true) or single-stepping (false). */
  hardware: boolean;
  /** Start addresses of the debug-register slots inserted in the current process (aligned 1/2/4/8-byte pieces). */
  slots: number[];
  /** Watch on a frame's local: the frame (thread, CFA) and its caller's resume address. */
  scope?: { tid: number; cfa: number; resume: number };
  enabled: boolean;
  condition?: string;
  hitCondition?: string;
  ignoreCount: number;
  hitCount: number;
  warning?: string;
}

/** Owner name of a watch's scope breakpoint (an internal breakpoint at the caller's resume address). */
const SCOPE_OWNER = 'watch-scope:';
/** Instructions single-stepped per tracer request while a software watchpoint is set. */
const STEP_CHUNK = 200_000;

/** gdb's message when a local's frame is gone. */
export function scopeText(id: number): string {
  return `\nWatchpoint ${id} deleted because the program has left the block in\nwhich its expression is valid.\n`;
}

/** [addr, addr+size) as aligned 1/2/4/8-byte debug-register ranges. */
export function watchSlots(addr: number, size: number): { addr: number; len: 1 | 2 | 4 | 8 }[] {
  const out: { addr: number; len: 1 | 2 | 4 | 8 }[] = [];
  let a = addr;
  const end = addr + size;
  while (a < end) {
    const len = ([8, 4, 2, 1] as const).find((l) => a % l === 0 && a + l <= end)!;
    out.push({ addr: a, len });
    a += len;
  }
  return out;
}

function softwareWarning(expression: string, why: string): string {
  return `Watchpoint on \`${expression}' is a software watchpoint (${why}): the program is single-stepped while it is set, which is very slow.`;
}

/** gdb's name for a watchpoint kind ("Hardware watchpoint", "Watchpoint" for software ones). */
export function watchKind(access: WatchAccess, software?: boolean): string {
  if (software) return 'Watchpoint';
  return access === 'write' ? 'Hardware watchpoint' : access === 'read' ? 'Hardware read watchpoint' : 'Hardware access (read/write) watchpoint';
}

/** gdb's watchpoint stop text, before the frame line. */
export function watchText(h: WatchHit): string {
  const vals = h.oldValue !== undefined ? `Old value = ${h.oldValue}\nNew value = ${h.newValue}\n` : `Value = ${h.newValue}\n`;
  return `\n${watchKind(h.access, h.software)} ${h.id}: ${h.expression}\n\n${vals}`;
}

export class WatchManager {
  private readonly watches = new Map<number, WatchEntry>();
  /** The hits of the trap being reported (set by onTrap, taken by takeStop). */
  private pendingHits?: WatchHit[];
  private pendingErrors: string[] = [];
  /** Watches deleted by a scope check, for the stop being reported. */
  private pendingScope?: { id: number; expression: string }[];

  constructor(private readonly host: WatchHost) {}

  has(id: number): boolean {
    return this.watches.has(id);
  }

  get size(): number {
    return this.watches.size;
  }

  /** A software watchpoint is set: continuing single-steps (stepUntilChange) instead of running freely. */
  get stepping(): boolean {
    for (const w of this.watches.values()) if (w.enabled && !w.hardware) return true;
    return false;
  }

  // ------------------------------------------------------------------ set / remove / list

  async set(spec: WatchpointSpec): Promise<Watchpoint> {
    const inf = this.host.requireStopped();
    if (this.host.busy()) throw new EngineError('Cannot set a watchpoint while the target is running; pause first.', 'running');
    const access: WatchAccess = spec.access ?? 'write';
    if (spec.hitCondition?.trim()) parseHitCondition(spec.hitCondition);
    if (spec.condition?.trim()) await this.checkCondition(spec.condition, inf.currentTid);
    const t = await this.host.data.watchTarget(spec.expression, spec.frameId);
    if (t.size === 0) throw new EngineError(`Cannot watch \`${spec.expression}': it has no size.`, 'bad-expression');
    const w: WatchEntry = {
      id: 0,
      expression: spec.expression,
      access,
      address: t.address,
      size: t.size,
      type: t.type,
      value: t.text,
      hardware: true,
      slots: [],
      enabled: true,
      condition: spec.condition?.trim() || undefined,
      hitCondition: spec.hitCondition?.trim() || undefined,
      ignoreCount: Math.max(0, spec.ignoreCount ?? 0),
      hitCount: 0,
    };
    if (t.scoped && t.frameId !== undefined) w.scope = await this.scopeOf(t.frameId);
    const fits = await this.insertSlots(inf, w);
    if (!fits) {
      if (access !== 'write' || spec.hardware === true) {
        const n = watchSlots(t.address, t.size).length;
        const why = `\`${spec.expression}' needs ${n} debug register${n === 1 ? '' : 's'}; x86 has 4, shared by all watchpoints and hardware breakpoints`;
        throw new EngineError(
          access !== 'write' ? `Expression cannot be implemented with read/access watchpoint. (${why}.)` : `Hardware watchpoints used exceeds limit (${why}).`,
          'invalid',
        );
      }
      if (this.host.recording()) {
        throw new EngineError(`Hardware watchpoints used exceeds limit (\`${spec.expression}' does not fit in the free debug registers), and software watchpoints are not supported while the program is recorded.`, 'invalid');
      }
      if ((await inf.threads()).length > 1) {
        // Single-stepping one thread while the others stay stopped could wait forever on them.
        throw new EngineError(`Hardware watchpoints used exceeds limit (\`${spec.expression}' does not fit in the free debug registers), and software watchpoints are not supported in a multi-threaded program.`, 'invalid');
      }
      w.hardware = false;
      w.warning = softwareWarning(w.expression, watchSlots(t.address, t.size).length > 4 ? `${t.size} bytes do not fit in the 4 debug registers` : 'the debug registers are in use');
    }
    w.id = this.host.bpTable.allocateId();
    this.watches.set(w.id, w);
    if (w.scope) {
      this.host.bpTable.addInternal(w.scope.resume, SCOPE_OWNER + w.id);
      await this.host.applyBreakpoints();
    }
    return this.toPublic(w);
  }

  /**
   * gdb parses a condition when it is given ("No symbol \"x\" in current context."): evaluated once in
   * the selected thread's top frame, only unknown names are refused (a value not readable now may be later).
   * A condition with side effects (assignments, ++, --) is not evaluated here.
   */
  private async checkCondition(expr: string, tid: number): Promise<void> {
    if (/(^|[^=!<>])=(?!=)|\+\+|--/.test(expr)) return;
    try {
      await this.host.condition(expr, tid);
    } catch (e) {
      const msg = (e as Error).message;
      if (/^No symbol |syntax error/.test(msg)) throw new EngineError(msg, 'bad-expression');
    }
  }

  /** Inserts w's debug-register slots; false (nothing inserted) when they do not all fit. */
  private async insertSlots(inf: Inferior, w: WatchEntry): Promise<boolean> {
    const slots = watchSlots(w.address, w.size);
    if (slots.length > 4) return false;
    const inserted: number[] = [];
    try {
      for (const s of slots) {
        await inf.setWatchpoint(s.addr, s.len, w.access === 'write' ? 'write' : 'access');
        inserted.push(s.addr);
      }
    } catch (e) {
      for (const a of inserted) await inf.removeWatchpoint(a).catch(() => undefined);
      if (/exceeds limit/.test((e as Error).message)) return false;
      throw new EngineError((e as Error).message, 'target');
    }
    w.slots = inserted;
    return true;
  }

  private async removeSlots(w: WatchEntry): Promise<void> {
    const inf = this.host.inferior();
    const slots = w.slots;
    w.slots = [];
    if (inf && inf.state === 'stopped') for (const a of slots) await inf.removeWatchpoint(a).catch(() => undefined);
  }

  /** The frame a watch on a local belongs to: its thread, CFA and the caller's resume address. */
  private async scopeOf(frameId: number): Promise<WatchEntry['scope']> {
    const { tid, phys } = this.host.frameOf(frameId);
    const self = await this.host.physicalFrame(tid, phys);
    const caller = await this.host.physicalFrame(tid, phys + 1);
    if (!self || self.cfa === undefined || !caller) return undefined;
    return { tid, cfa: self.cfa, resume: caller.pc };
  }

  async remove(id: number): Promise<void> {
    const w = this.watches.get(id);
    if (!w) throw new EngineError(`No watchpoint number ${id}.`, 'bad-id');
    this.watches.delete(id);
    await this.removeSlots(w);
    if (w.scope) {
      this.host.bpTable.removeInternalOwner(SCOPE_OWNER + id);
      // Also at a stop inside a run command (a scope stop): the session applies only to a stopped process.
      await this.host.applyBreakpoints();
    }
  }

  list(): Watchpoint[] {
    return [...this.watches.values()].map((w) => this.toPublic(w));
  }

  /** gdb `condition N`, `ignore N`, `enable/disable N`; DAP conditions (other fields of the change are ignored). */
  async update(id: number, change: WatchpointChange): Promise<Watchpoint> {
    const w = this.watches.get(id);
    if (!w) throw new EngineError(`No watchpoint number ${id}.`, 'bad-id');
    if (change.hitCondition !== undefined && change.hitCondition.trim()) parseHitCondition(change.hitCondition);
    const inf0 = this.host.inferior();
    if (change.condition?.trim() && inf0 && inf0.state === 'stopped') await this.checkCondition(change.condition, inf0.currentTid);
    if ('condition' in change) w.condition = change.condition?.trim() || undefined;
    if ('hitCondition' in change) w.hitCondition = change.hitCondition?.trim() || undefined;
    if (change.ignoreCount !== undefined) w.ignoreCount = Math.max(0, change.ignoreCount);
    if (change.enabled !== undefined && change.enabled !== w.enabled) {
      const inf = this.host.inferior();
      const live = inf && inf.state === 'stopped' && !this.host.busy() ? inf : undefined;
      w.enabled = change.enabled;
      if (!w.enabled) await this.removeSlots(w);
      else if (live) {
        w.value = this.read(w);
        if (w.hardware && !(await this.insertSlots(live, w))) {
          if (w.access !== 'write') {
            w.enabled = false;
            throw new EngineError('Hardware watchpoints used exceeds limit (all 4 debug registers are in use).', 'invalid');
          }
          w.hardware = false;
          w.warning = softwareWarning(w.expression, 'the debug registers are in use');
        }
      }
    }
    return this.toPublic(w);
  }

  /** The Breakpoint-shaped view updateBreakpoint returns for a watch id. */
  asBreakpoint(id: number): Breakpoint {
    const w = this.watches.get(id)!;
    return {
      id: w.id,
      kind: 'address',
      original: w.expression,
      spec: { location: w.expression, condition: w.condition, hitCondition: w.hitCondition, ignoreCount: w.ignoreCount },
      verified: true,
      pending: false,
      locations: [],
      enabled: w.enabled,
      temporary: false,
      condition: w.condition,
      hitCondition: w.hitCondition,
      ignoreCount: w.ignoreCount,
      hitCount: w.hitCount,
    };
  }

  private toPublic(w: WatchEntry): Watchpoint {
    return {
      id: w.id,
      expression: w.expression,
      access: w.access,
      address: w.address,
      size: w.size,
      type: typeName(w.type),
      value: w.value,
      scoped: !!w.scope,
      hitCount: w.hitCount,
      software: !w.hardware,
      enabled: w.enabled,
      condition: w.condition,
      hitCondition: w.hitCondition,
      ignoreCount: w.ignoreCount,
      warning: w.warning,
    };
  }

  private read(w: WatchEntry): string {
    try {
      return this.host.data.renderAt(w.type, w.address);
    } catch (e) {
      return `<error: ${(e as Error).message}>`;
    }
  }

  // ------------------------------------------------------------------ the run loop's hooks

  /**
   * A debug-register trap (or a change seen by software stepping): decides which watches count as hit
   * and whether the program stops. Write watches (and software ones) hit when their value changed (gdb:
   * a write of the same value continues silently); read/access watches whose slot fired (DR6; all of them
   * when the target did not say) when no write watch changed. Then conditions, ignore counts and hit
   * conditions, as gdb applies them after the value check. True: report the stop (takeStop).
   */
  async onTrap(ev: { tid: number; addrs?: number[] }): Promise<boolean> {
    const hits: { w: WatchEntry; hit: WatchHit }[] = [];
    const readers: { w: WatchEntry; hit: WatchHit }[] = [];
    const fired = (w: WatchEntry) => !ev.addrs || w.slots.some((a) => ev.addrs!.includes(a));
    for (const w of this.watches.values()) {
      if (!w.enabled) continue;
      const now = this.read(w);
      const base = { id: w.id, expression: w.expression, access: w.access, software: w.hardware ? undefined : true };
      if (now !== w.value && w.access !== 'read') hits.push({ w, hit: { ...base, oldValue: w.value, newValue: now } });
      else if (now === w.value && w.access !== 'write' && fired(w)) readers.push({ w, hit: { ...base, newValue: now } });
      // A read watch whose value changed saw a write (x86 has no read-only debug register): not a hit.
      w.value = now;
    }
    const candidates = hits.length ? hits : readers;
    const out: WatchHit[] = [];
    const errors: string[] = [];
    for (const { w, hit } of candidates) {
      if (w.condition) {
        let ok: boolean;
        try {
          ok = await this.host.condition(w.condition, ev.tid);
        } catch (e) {
          errors.push(`Error in testing condition for watchpoint ${w.id}:\n${(e as Error).message}`);
          w.hitCount++;
          out.push(hit);
          continue;
        }
        if (!ok) continue;
      }
      w.hitCount++;
      if (w.ignoreCount > 0 || (w.hitCondition && !parseHitCondition(w.hitCondition)(w.hitCount))) {
        if (w.ignoreCount > 0) w.ignoreCount--;
        this.host.changed(this.asBreakpoint(w.id));
        continue;
      }
      out.push(hit);
    }
    if (!out.length) return false;
    this.pendingHits = out;
    this.pendingErrors = errors;
    return true;
  }

  /**
   * At a breakpoint stop: the watches on locals whose frame has returned (the pc is the caller's resume
   * address and the stack pointer is at or above the frame's CFA: a deeper recursive call returning to
   * the same address is not the end). They are deleted; true when the program stops for it.
   */
  async checkScope(tid: number, pc: number, owners: Set<string> | undefined): Promise<boolean> {
    if (!owners || ![...owners].some((o) => o.startsWith(SCOPE_OWNER))) return false;
    const inf = this.host.inferior()!;
    const sp = (await inf.getRegisters(tid)).sp;
    const gone = [...this.watches.values()].filter((w) => w.scope && w.scope.resume === pc && w.scope.tid === tid && sp >= w.scope.cfa);
    if (!gone.length) return false;
    for (const w of gone) await this.remove(w.id);
    this.pendingScope = gone.map((w) => ({ id: w.id, expression: w.expression }));
    return true;
  }

  /**
   * At any other stop of a thread: watches on its locals whose frame is gone although the scope
   * breakpoint was not reported (a step or finish that ended at the caller, a longjmp): deleted, with
   * gdb's message to put before the stop's text.
   */
  async dropGone(tid: number, sp: () => Promise<number>): Promise<string> {
    const mine = [...this.watches.values()].filter((w) => w.scope && w.scope.tid === tid);
    if (!mine.length) return '';
    const now = await sp();
    const gone = mine.filter((w) => now >= w.scope!.cfa);
    for (const w of gone) {
      const bp = this.asBreakpoint(w.id);
      await this.remove(w.id);
      this.host.deleted(bp);
    }
    return gone.map((w) => scopeText(w.id)).join('');
  }

  /** Owners of internal breakpoints that are scope breakpoints (the run loop does not stop for them by itself). */
  static isScopeOwner(owner: string): boolean {
    return owner.startsWith(SCOPE_OWNER);
  }

  /** The stop reason for the trap being reported. */
  get pendingReason(): 'watchpoint' | 'watchpoint-scope' {
    return this.pendingScope ? 'watchpoint-scope' : 'watchpoint';
  }

  /** The hits (or scope deletions) of the stop being reported, with gdb's text before the frame line. */
  async takeStop(tid: number): Promise<{ hits: WatchHit[]; ids: number[]; text: string }> {
    if (this.pendingScope) {
      const gone = this.pendingScope;
      this.pendingScope = undefined;
      return { hits: [], ids: gone.map((g) => g.id), text: gone.map((g) => scopeText(g.id)).join('') };
    }
    if (!this.pendingHits) await this.onTrap({ tid });
    const hits = this.pendingHits ?? [];
    const errors = this.pendingErrors;
    this.pendingHits = undefined;
    this.pendingErrors = [];
    return { hits, ids: hits.map((h) => h.id), text: errors.map((e) => e + '\n').join('') + hits.map(watchText).join('') };
  }

  /**
   * Continuing with a software watchpoint set: single-steps the current thread inside the tracer (in
   * chunks, so a pause is seen) until a watched value changes or something else stops it. Returns the
   * stop as cont() would report it: a change becomes a 'watchpoint' stop.
   */
  async stepUntilChange(inf: Inferior, signal: number | undefined, stopAt: number[]): Promise<StopEvent> {
    const ranges = this.softwareRanges();
    let sig = signal;
    for (;;) {
      const r = await inf.stepWatch(ranges, { tid: inf.currentTid, stopAt, maxSteps: STEP_CHUNK, signal: sig });
      sig = undefined;
      const ev = r.event;
      if (r.changed && ev.kind === 'step') return { kind: 'watchpoint', pid: ev.pid, tid: ev.tid, pc: ev.pc, dr6: 0, addrs: [], threads: ev.threads, regs: ev.regs };
      if (ev.kind !== 'step') return ev;
      if (this.host.pauseRequested()) return { kind: 'paused', pid: ev.pid, tid: ev.tid, pc: ev.pc, threads: ev.threads, regs: ev.regs };
    }
  }

  /** Values re-read where the program is now (after a reverse command moved it without triggers). */
  refreshValues(): void {
    for (const w of this.watches.values()) w.value = this.read(w);
  }

  /**
   * Range stepping (next/step within a line) with a software watchpoint set: the tracer's stepWatch
   * confined to [start, end), so a change inside the line stops the step at the writing instruction.
   */
  async stepRange(inf: Inferior, tid: number, start: number, end: number, stopAt: number[]): Promise<{ event: StopEvent; prevPc: number }> {
    const r = await inf.stepWatch(this.softwareRanges(), { tid, stopAt, maxSteps: 20_000, within: [start, end] });
    const ev = r.event;
    if (r.changed && ev.kind === 'step') return { event: { kind: 'watchpoint', pid: ev.pid, tid: ev.tid, pc: ev.pc, dr6: 0, addrs: [], threads: ev.threads, regs: ev.regs }, prevPc: r.prevPc };
    return { event: ev, prevPc: r.prevPc };
  }

  private softwareRanges(): { addr: number; len: number }[] {
    return [...this.watches.values()].filter((w) => w.enabled && !w.hardware).map((w) => ({ addr: w.address, len: w.size }));
  }

  // ------------------------------------------------------------------ process lifecycle

  /**
   * The process ended: watches on locals go (their frames are gone, as gdb deletes them), the others
   * stay, to be inserted again in the next process (reinsert).
   */
  processGone(): void {
    for (const w of [...this.watches.values()]) {
      w.slots = [];
      if (w.scope) {
        const bp = this.asBreakpoint(w.id);
        this.watches.delete(w.id);
        this.host.bpTable.removeInternalOwner(SCOPE_OWNER + w.id);
        this.host.deleted(bp);
      }
    }
    this.pendingHits = undefined;
    this.pendingScope = undefined;
  }

  /**
   * A new process to watch in: after `run` the expressions are evaluated again (as gdb does, a global
   * may have moved with the program); in a restarted checkpoint (same address space) the addresses are
   * kept. Debug registers are per thread and a fork does not copy them: they are set again either way.
   */
  async reinsert(how: 'run' | 'checkpoint'): Promise<void> {
    const inf = this.host.inferior();
    if (!inf || inf.state !== 'stopped') return;
    for (const w of this.watches.values()) {
      w.slots = [];
      if (how === 'run') {
        try {
          const t = await this.host.data.watchTarget(w.expression);
          w.address = t.address;
          w.size = t.size;
          w.type = t.type;
        } catch (e) {
          this.host.note(`warning: Watchpoint ${w.id} could not be inserted again: ${(e as Error).message}\n`);
          w.enabled = false;
          continue;
        }
      }
      w.value = this.read(w);
      if (!w.enabled) continue;
      // Debug registers first (a watch that went software because they were taken may fit now).
      if (await this.insertSlots(inf, w)) {
        w.hardware = true;
        w.warning = undefined;
      } else if (w.access === 'write') {
        if (w.hardware) w.warning = softwareWarning(w.expression, 'the debug registers are in use');
        w.hardware = false;
      } else {
        w.enabled = false;
        this.host.note(`warning: Could not insert hardware watchpoint ${w.id}.\n`);
      }
    }
  }
}
