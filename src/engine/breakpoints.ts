// User breakpoints (gdb's breakpoint table): resolution of locations in every object (program and shared
// libraries, pending until a library that has them loads), conditions, hit counts, ignore counts, DAP hit
// conditions, logpoints, temporary breakpoints; and the set of addresses the inferior must hold, shared
// with the engine's internal breakpoints (solib events, step-resume, finish).

import { analyzeAmd64Prologue, CodeLocation, fileMatches } from '../symbols';
import type { Inferior } from '../target';
import { Breakpoint, BreakpointChange, BreakpointLocation, BreakpointSpec, EngineError } from './api';
import { locationText, parseLocation, ParsedLocation } from './linespec';
import type { ObjectFile } from './modules';
import { displayName, functionAt, lineAt, ModLike } from './symbolize';
import { pltSymbols } from './symbol-search';
import { isCplusUnit } from './values/variables';

/** An object the resolver can look into, with its load bias when it is loaded in a process. */
export interface ResolveTarget {
  obj: ObjectFile;
  /** Run-time minus link-time; undefined before the program runs (locations show link-time addresses). */
  bias: number | undefined;
  /** The module path used to match locations to loaded modules. */
  path: string;
}

export interface ResolveDefaults {
  /** File for a bare "LINE" (gdb's default source file: the current frame's, else main's). */
  file?: string;
  /** Current line for "+N" / "-N". */
  line?: number;
}

interface Loc {
  /** Object path, or undefined for an absolute address breakpoint. */
  objPath?: string;
  /** Link-time address in objPath, or the absolute address. */
  addr: number;
  file?: string;
  fullPath?: string;
  line?: number;
  column?: number;
  function?: string;
  enabled: boolean;
  /** The function's unit is C++. */
  cplus?: boolean;
  /**
   * A PLT stub standing in for a function no loaded object defines yet (gdb's solib trampoline
   * minimal symbol `NAME@plt`); replaced by the function's real locations when an object has them.
   */
  plt?: boolean;
}

export class UserBreakpoint {
  locs: Loc[] = [];
  hitCount = 0;
  pending = false;
  message?: string;
  requestedLine?: number;
  line?: number;
  enabled: boolean;
  temporary: boolean;
  condition?: string;
  hitCondition?: string;
  ignoreCount: number;
  logMessage?: string;
  threadId?: number;
  readonly kind: Breakpoint['kind'];
  readonly original: string;

  constructor(
    readonly id: number,
    readonly spec: BreakpointSpec,
    readonly parsed: ParsedLocation,
  ) {
    this.kind = parsed.kind;
    this.original = locationText(spec.location);
    this.enabled = spec.enabled ?? true;
    this.temporary = spec.temporary ?? false;
    this.condition = spec.condition?.trim() || undefined;
    this.hitCondition = spec.hitCondition?.trim() || undefined;
    this.ignoreCount = Math.max(0, spec.ignoreCount ?? 0);
    this.logMessage = spec.logMessage || undefined;
    this.threadId = spec.threadId;
    if (this.hitCondition) parseHitCondition(this.hitCondition); // validate early
  }

  /** Simple enough for the tracer to count ignored hits itself. */
  get delegable(): boolean {
    return !this.condition && !this.hitCondition && !this.logMessage && this.threadId === undefined && !this.temporary && this.locs.length === 1;
  }
}

/** gdb's ignore count and DAP hit conditions. */
export function parseHitCondition(text: string): (hits: number) => boolean {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) throw new EngineError(`Invalid hit condition "${text}": expected N, ==N, >N, >=N, <N, <=N or %N.`, 'bad-expression');
  const n = parseInt(m[2], 10);
  switch (m[1]) {
    case '==':
      return (h) => h === n;
    case '>':
      return (h) => h > n;
    case '>=':
      return (h) => h >= n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      if (n === 0) throw new EngineError('Invalid hit condition "%0".', 'bad-expression');
      return (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

export interface HitDecision {
  /** Breakpoints that stop the program. */
  stop: UserBreakpoint[];
  /** Logpoint messages to print (templates, to be interpolated by the caller). */
  logs: { bp: UserBreakpoint; template: string }[];
  /** A condition failed to evaluate: gdb stops and says so. */
  errors: { bp: UserBreakpoint; message: string }[];
}

export interface InsertOptions {
  hardware?: boolean | 'auto';
  ignoreCount?: number;
}

export class BreakpointTable {
  private readonly bps = new Map<number, UserBreakpoint>();
  private nextId = 1;
  /** Internal owners per run-time address. */
  private readonly internal = new Map<number, Set<string>>();
  /** What the inferior holds: address -> options it was inserted with. */
  /** Owners of internal breakpoints that are passed to each continue instead of being inserted. */
  private readonly transientOwners = new Set<string>();
  private inserted = new Map<number, { hardware: boolean | 'auto'; ignoreCount: number; delegated?: { bp: UserBreakpoint; base: number } }>();

  /** A number from the breakpoint sequence for something else gdb numbers with breakpoints (watchpoints). */
  allocateId(): number {
    return this.nextId++;
  }

  /** Whether `id` is a breakpoint of this table. */
  has(id: number): boolean {
    return this.bps.has(id);
  }

  all(): UserBreakpoint[] {
    return [...this.bps.values()];
  }

  get(id: number): UserBreakpoint {
    const bp = this.bps.get(id);
    if (!bp) throw new EngineError(`No breakpoint number ${id}.`, 'bad-id');
    return bp;
  }

  /** Creates a breakpoint resolved against `targets`. Throws gdb's message when nothing resolves and pending is off. */
  create(spec: BreakpointSpec, targets: ResolveTarget[], defaults: ResolveDefaults, pending: boolean, absoluteOk: (addr: number) => boolean): UserBreakpoint {
    const parsed = normalize(parseLocation(spec.location), defaults);
    const bp = new UserBreakpoint(this.nextId, spec, parsed);
    if (parsed.kind === 'address') {
      if (parsed.address === undefined) {
        // *SYMBOL: the symbol's entry address, no prologue skipping.
        for (const t of targets) {
          const s = t.obj.elfSymbol(parsed.symbol!);
          if (s && s.shndx !== 0) {
            bp.locs.push(this.describe(t, s.value));
            break;
          }
        }
        if (!bp.locs.length) throw new EngineError(`No symbol "${parsed.symbol}" in current context.`, 'bad-location');
      } else {
        if (!absoluteOk(parsed.address)) {
          // gdb accepts any address and fails at insertion; we check now for a clearer message.
          throw new EngineError(`Cannot access memory at address 0x${parsed.address.toString(16)}`, 'bad-location');
        }
        // The object holding the address (before the program runs, addresses are link-time ones).
        const t = targets.find((x) => parsed.address! >= x.obj.low + (x.bias ?? 0) && parsed.address! < x.obj.high + (x.bias ?? 0) && (x.bias !== undefined || x === targets[0]));
        const loc: Loc = t ? this.describe(t, parsed.address - (t.bias ?? 0)) : { addr: parsed.address, enabled: true };
        if (t) loc.objPath = undefined;
        loc.addr = parsed.address;
        bp.locs.push(loc);
      }
    } else {
      if (!targets.length && !pending) throw new EngineError('No symbol table is loaded.  Use the "file" command.', 'no-program');
      let firstError: string | undefined;
      for (const t of targets) {
        try {
          this.resolveIn(bp, t);
        } catch (e) {
          const msg = (e as Error).message;
          if (!firstError || (firstError.startsWith('No source file') && !msg.startsWith('No source file')) || (firstError.startsWith('Function') && !msg.startsWith('Function'))) firstError = msg;
        }
      }
      if (!bp.locs.length) {
        const msg = firstError ?? notFoundMessage(parsed);
        if (!pending) throw new EngineError(msg, 'bad-location');
        bp.pending = true;
        bp.message = msg;
      }
    }
    this.noteMoved(bp);
    this.bps.set(bp.id, bp);
    this.nextId++;
    return bp;
  }

  /** Adds the locations `bp` has in object `t` (throws the object's lookup error when none). */
  resolveIn(bp: UserBreakpoint, t: ResolveTarget): number {
    const p = bp.parsed;
    if (p.kind === 'address') return 0;
    const found: { link: number; loc?: CodeLocation; plt?: boolean }[] = [];
    const sym = t.obj.symbols;
    if (p.kind === 'line') {
      if (!sym.hasDebugInfo) throw new Error(`No source file named ${p.file}.`);
      const r = sym.addressesForLine(p.file!, p.line);
      for (const l of r.locations) found.push({ link: l.address, loc: l });
    } else {
      let locs = sym.hasDebugInfo ? sym.breakpointLocationsForFunction(p.name) : [];
      if (p.file) locs = locs.filter((l) => fileMatches(p.file!, l.file));
      for (const l of locs) found.push({ link: l.address, loc: l });
      if (!found.length && !p.file) {
        const s = t.obj.elfSymbol(p.name);
        if (s && s.shndx !== 0 && (s.type === 'FUNC' || s.type === 'IFUNC')) found.push({ link: analyzeAmd64Prologue(t.obj.elf, s.value) });
      }
      // gdb: a function only a shared library defines, called through this object's PLT, resolves to
      // the PLT stub (`NAME@plt`, no prologue skipping) until an object that defines it is loaded;
      // a real location anywhere replaces the stubs (see below).
      if (!found.length && !p.file && !bp.locs.some((l) => !l.plt)) {
        const stub = pltSymbols(t.obj).find((x) => x.name === `${p.name}@plt`);
        if (stub) found.push({ link: stub.address, plt: true });
      }
      if (!found.length) throw new Error(p.file ? `Function "${p.name}" not defined in "${p.file}".` : `Function "${p.name}" not defined.`);
    }
    let added = 0;
    if (found.some((f) => !f.plt) && bp.locs.some((l) => l.plt)) {
      // The function itself was found: its PLT stubs are dropped, as gdb re-sets the breakpoint.
      bp.locs = bp.locs.filter((l) => !l.plt);
      added++;
    }
    for (const f of found) {
      if (bp.locs.some((l) => l.objPath === t.path && l.addr === f.link)) continue;
      const loc = this.describe(t, f.link, f.loc);
      if (f.plt) loc.plt = true;
      bp.locs.push(loc);
      added++;
    }
    bp.locs.sort((a, b) => (a.objPath === b.objPath ? a.addr - b.addr : 0));
    if (bp.locs.length) {
      bp.pending = false;
      if (bp.message && !bp.message.startsWith('Breakpoint moved')) bp.message = undefined;
    }
    this.noteMoved(bp);
    return added;
  }

  private describe(t: ResolveTarget, link: number, cl?: CodeLocation): Loc {
    const mod: ModLike = { obj: t.obj, bias: 0, symbols: t.obj.symbols };
    const line = lineAt(mod, link);
    const fn = functionAt(mod, link);
    let file = line?.file;
    let fullPath = line?.fullPath;
    if (cl && cl.file) {
      fullPath = cl.file;
      const unit = t.obj.symbols.unitForAddress(link);
      file = unit ? displayName(t.obj.symbols, unit, cl.file) : cl.file;
    }
    return {
      objPath: t.path,
      addr: link,
      file,
      fullPath,
      line: cl?.line ?? line?.line,
      column: line?.column,
      function: cl?.function ?? fn?.name,
      enabled: true,
      cplus: fn?.fn ? isCplusUnit(fn.fn.unit) : undefined,
    };
  }

  private noteMoved(bp: UserBreakpoint): void {
    if (bp.parsed.kind !== 'line') return;
    bp.requestedLine = bp.parsed.line;
    const lines = bp.locs.map((l) => l.line).filter((l): l is number => l !== undefined);
    bp.line = lines.length ? Math.min(...lines) : undefined;
    if (bp.line !== undefined && bp.line !== bp.requestedLine) bp.message = `Breakpoint moved from line ${bp.requestedLine} to ${bp.line}.`;
  }

  /** A module was unloaded: its locations go; breakpoints without any become pending again. */
  dropObject(objPath: string): UserBreakpoint[] {
    const changed: UserBreakpoint[] = [];
    for (const bp of this.bps.values()) {
      const before = bp.locs.length;
      bp.locs = bp.locs.filter((l) => l.objPath !== objPath);
      if (bp.locs.length !== before) {
        changed.push(bp);
        if (!bp.locs.length && bp.kind !== 'address') {
          bp.pending = true;
          bp.message = notFoundMessage(bp.parsed);
        }
      }
    }
    return changed;
  }

  remove(id: number): UserBreakpoint {
    const bp = this.get(id);
    this.bps.delete(id);
    return bp;
  }

  update(id: number, change: BreakpointChange): UserBreakpoint {
    const bp = this.get(id);
    if (change.hitCondition !== undefined && change.hitCondition.trim()) parseHitCondition(change.hitCondition);
    if ('condition' in change) bp.condition = change.condition?.trim() || undefined;
    if ('hitCondition' in change) bp.hitCondition = change.hitCondition?.trim() || undefined;
    if ('logMessage' in change) bp.logMessage = change.logMessage || undefined;
    if (change.ignoreCount !== undefined) bp.ignoreCount = Math.max(0, change.ignoreCount);
    if (change.enabled !== undefined) bp.enabled = change.enabled;
    if ('threadId' in change) bp.threadId = change.threadId;
    return bp;
  }

  /** Run-time address of a location (link-time before the program runs). */
  static address(l: Loc, biasOf: (objPath: string) => number | undefined): number | undefined {
    if (l.objPath === undefined) return l.addr;
    const b = biasOf(l.objPath);
    return b === undefined ? undefined : l.addr + b;
  }

  toPublic(bp: UserBreakpoint, biasOf: (objPath: string) => number | undefined, running: boolean): Breakpoint {
    const locations: BreakpointLocation[] = [];
    bp.locs.forEach((l, i) => {
      const addr = BreakpointTable.address(l, biasOf) ?? (running ? undefined : l.addr);
      if (addr === undefined) return;
      locations.push({
        id: `${bp.id}.${i + 1}`,
        address: addr,
        file: l.file,
        fullPath: l.fullPath,
        line: l.line,
        column: l.column,
        function: l.function,
        module: l.objPath,
        enabled: l.enabled,
        cplus: l.cplus,
      });
    });
    return {
      id: bp.id,
      kind: bp.kind,
      original: bp.original,
      spec: bp.spec,
      verified: locations.length > 0,
      pending: bp.pending,
      message: bp.message,
      requestedLine: bp.requestedLine,
      line: bp.line,
      locations,
      enabled: bp.enabled,
      temporary: bp.temporary,
      condition: bp.condition,
      hitCondition: bp.hitCondition,
      ignoreCount: bp.ignoreCount,
      logMessage: bp.logMessage,
      threadId: bp.threadId,
      hitCount: bp.hitCount,
    };
  }

  // ------------------------------------------------------------------ internal breakpoints

  /**
   * An internal breakpoint (owner: what it is for). A transient one is not inserted by apply(): it lives
   * only during continues, which pass it to the tracer (see transientAddresses).
   */
  addInternal(addr: number, owner: string, transient = false): void {
    let s = this.internal.get(addr);
    if (!s) this.internal.set(addr, (s = new Set()));
    s.add(owner);
    if (transient) this.transientOwners.add(owner);
  }

  /** Internal breakpoints whose owners are all transient and that are not inserted for another reason. */
  transientAddresses(): number[] {
    const out: number[] = [];
    for (const [addr, owners] of this.internal) {
      if (this.inserted.has(addr)) continue;
      if ([...owners].every((o) => this.transientOwners.has(o))) out.push(addr);
    }
    return out;
  }

  private isTransientOnly(addr: number): boolean {
    const owners = this.internal.get(addr);
    return !!owners && [...owners].every((o) => this.transientOwners.has(o));
  }

  removeInternal(addr: number, owner: string): void {
    const s = this.internal.get(addr);
    if (!s) return;
    s.delete(owner);
    if (!s.size) this.internal.delete(addr);
  }

  removeInternalOwner(owner: string): void {
    this.transientOwners.delete(owner);
    for (const [addr, s] of this.internal) {
      s.delete(owner);
      if (!s.size) this.internal.delete(addr);
    }
  }

  internalOwners(addr: number): Set<string> | undefined {
    return this.internal.get(addr);
  }

  /** User breakpoints with an enabled location at a run-time address. */
  userAt(addr: number, biasOf: (objPath: string) => number | undefined): UserBreakpoint[] {
    const out: UserBreakpoint[] = [];
    for (const bp of this.bps.values()) {
      if (!bp.enabled) continue;
      if (bp.locs.some((l) => l.enabled && BreakpointTable.address(l, biasOf) === addr)) out.push(bp);
    }
    return out;
  }

  isDelegated(addr: number): boolean {
    return this.inserted.get(addr)?.delegated !== undefined;
  }

  /**
   * Decides what a hit at `addr` by thread `tid` does. `evalCondition` returns the condition's truth or
   * throws with gdb's message.
   */
  async decide(addr: number, tid: number, biasOf: (objPath: string) => number | undefined, evalCondition: (expr: string) => Promise<boolean>): Promise<HitDecision> {
    const d: HitDecision = { stop: [], logs: [], errors: [] };
    const delegated = this.inserted.get(addr)?.delegated;
    for (const bp of this.userAt(addr, biasOf)) {
      if (bp.threadId !== undefined && bp.threadId !== tid) continue;
      if (delegated && delegated.bp === bp) {
        // The tracer counted this hit (and the ignored ones) already: see syncDelegated.
        d.stop.push(bp);
        continue;
      }
      if (bp.condition) {
        let ok: boolean;
        try {
          ok = await evalCondition(bp.condition);
        } catch (e) {
          d.errors.push({ bp, message: `Error in testing condition for breakpoint ${bp.id}:\n${(e as Error).message}` });
          bp.hitCount++;
          d.stop.push(bp);
          continue;
        }
        if (!ok) continue;
      }
      bp.hitCount++;
      if (bp.ignoreCount > 0) {
        bp.ignoreCount--;
        continue;
      }
      if (bp.hitCondition && !parseHitCondition(bp.hitCondition)(bp.hitCount)) continue;
      if (bp.logMessage) {
        d.logs.push({ bp, template: bp.logMessage });
        continue;
      }
      d.stop.push(bp);
    }
    return d;
  }

  /** After a stop: hit counts and remaining ignore counts of breakpoints the tracer counted. */
  async syncDelegated(inf: Inferior): Promise<void> {
    const del = [...this.inserted.entries()].filter(([, v]) => v.delegated);
    if (!del.length || inf.state === 'exited') return;
    const infos = await inf.breakpoints();
    for (const [addr, v] of del) {
      const info = infos.find((i) => i.addr === addr);
      if (!info || !v.delegated) continue;
      v.delegated.bp.hitCount = v.delegated.base + info.hits;
      v.delegated.bp.ignoreCount = info.ignoreCount;
      v.ignoreCount = info.ignoreCount;
    }
  }

  /** Makes the inferior hold exactly the addresses wanted now. */
  async apply(inf: Inferior, biasOf: (objPath: string) => number | undefined, readable: (addr: number) => boolean): Promise<string[]> {
    const want = new Map<number, { hardware: boolean | 'auto'; ignoreCount: number; delegated?: { bp: UserBreakpoint; base: number } }>();
    const owners = new Map<number, UserBreakpoint[]>();
    for (const bp of this.bps.values()) {
      if (!bp.enabled) continue;
      for (const l of bp.locs) {
        if (!l.enabled) continue;
        const a = BreakpointTable.address(l, biasOf);
        if (a === undefined) continue;
        let list = owners.get(a);
        if (!list) owners.set(a, (list = []));
        list.push(bp);
      }
    }
    for (const [a, list] of owners) {
      const hw = list.some((b) => b.spec.hardware) ? true : 'auto';
      const only = list.length === 1 && !this.internal.has(a) ? list[0] : undefined;
      if (only && only.delegable && only.ignoreCount > 0) {
        const prev = this.inserted.get(a);
        const keep = prev?.delegated?.bp === only && prev.ignoreCount === only.ignoreCount;
        want.set(a, { hardware: hw, ignoreCount: only.ignoreCount, delegated: keep ? prev!.delegated : { bp: only, base: only.hitCount } });
      } else {
        want.set(a, { hardware: hw, ignoreCount: 0 });
      }
    }
    for (const a of this.internal.keys()) if (!want.has(a) && !this.isTransientOnly(a)) want.set(a, { hardware: false, ignoreCount: 0 });
    const problems: string[] = [];
    for (const [a, cur] of this.inserted) {
      const w = want.get(a);
      if (!w || w.hardware !== cur.hardware) {
        try {
          await inf.removeBreakpoint(a);
        } catch {
          /* gone with its library */
        }
        this.inserted.delete(a);
      }
    }
    for (const [a, w] of want) {
      const cur = this.inserted.get(a);
      if (cur && cur.ignoreCount === w.ignoreCount && cur.delegated?.bp === w.delegated?.bp) continue;
      if (!cur && !readable(a)) {
        problems.push(`Cannot insert breakpoint at 0x${a.toString(16)}: Cannot access memory at address 0x${a.toString(16)}`);
        continue;
      }
      try {
        if (cur && cur.delegated && w.delegated && cur.delegated.bp === w.delegated.bp) {
          // Same breakpoint, new ignore count: reset the tracer's counter base.
          w.delegated = { bp: w.delegated.bp, base: w.delegated.bp.hitCount };
        }
        if (cur) {
          await inf.removeBreakpoint(a);
          this.inserted.delete(a);
        }
        await inf.setBreakpoint(a, { ignoreCount: w.ignoreCount, hardware: w.hardware === true ? true : w.ignoreCount > 0 ? 'auto' : false });
        this.inserted.set(a, w);
      } catch (e) {
        problems.push(`Cannot insert breakpoint at 0x${a.toString(16)}: ${(e as Error).message}`);
      }
    }
    return problems;
  }

  /** The process is gone: nothing is inserted any more. */
  forgetInserted(): void {
    this.inserted.clear();
  }
}

function normalize(p: ParsedLocation, defaults: ResolveDefaults): ParsedLocation {
  if (p.kind !== 'line') return p;
  if (p.offset) {
    if (defaults.line === undefined || !defaults.file) throw new EngineError('No default source file; use FILE:LINE.', 'bad-location');
    const line = p.offset === 'plus' ? defaults.line + p.line : defaults.line - p.line;
    if (line <= 0) throw new EngineError(`Line number ${line} out of range.`, 'bad-location');
    return { kind: 'line', file: defaults.file, line };
  }
  if (!p.file) {
    if (!defaults.file) throw new EngineError('No symbol table is loaded.  Use the "file" command.', 'bad-location');
    return { kind: 'line', file: defaults.file, line: p.line };
  }
  return p;
}

function notFoundMessage(p: ParsedLocation): string {
  if (p.kind === 'line') return `No source file named ${p.file}.`;
  if (p.kind === 'function') return `Function "${p.name}" not defined.`;
  return 'Cannot resolve address.';
}
