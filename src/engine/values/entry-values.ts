// Entry values of parameters, as gdb finds them (dwarf2/loc.c value_of_dwarf_reg_entry,
// dwarf_expr_reg_to_entry_parameter): a parameter whose location at its function's entry is a single
// register (DW_OP_regN) had, on entry, the value that the caller's DW_TAG_call_site for this call
// describes for that register (DW_TAG_call_site_parameter DW_AT_call_value, evaluated in the caller's
// frame). Used for `x@entry` in expressions, for the `x=x@entry=5` / `x@entry=5` forms of frame lines
// (gdb's `print entry-values default`) and for DW_OP_entry_value in location expressions.
//
// The call site is trusted only under gdb's conditions; otherwise there is no entry value (gdb's
// NO_ENTRY_VALUE_ERROR: silent in frame lines, the message of `print x@entry`):
// - the frame has a caller, whose pc (a return address) is the DW_AT_call_return_pc of a call site;
// - that call site's target (DW_AT_call_origin, or DW_AT_call_target evaluated in the caller) is the
//   frame's function;
// - the function cannot reach itself through tail calls (DW_AT_call_tail_call sites), every one of
//   which must have a known target;
// - the call site has a parameter for the register (or, for a parameter at DW_OP_fbreg N, for the
//   caller's outgoing stack slot DW_OP_breg7 N).
// When the caller's call site called another function that reached this one through tail calls, the
// call site is the last tail call (gdb's caller is then its tail-call frame). A reference parameter's
// entry value refers to the object's value on entry (DW_AT_call_data_value).

import { DW_AT, DW_TAG, Die, attributeLocation } from '../../symbols';
import { evaluate as evalDwarf, ExprContext, Location, OptimizedOut, DW_OP } from '../../symbols/dwarf-expr';
import type { Type } from '../../symbols/types';
import type { FrameContext, ModuleSymbols } from './api';
import { EvalError } from './errors';
import { symbolFor } from './symbolize';
import { strip } from './type-util';
import { bigintToBytes, Value } from './value';
import { exprContext, frameScope, listExpr, locationValue } from './variables';

const DW_AT_GNU_tail_call = 0x2115;
const DW_AT_GNU_call_site_target = 0x2113;
const DW_AT_GNU_call_site_value = 0x2111;
const DW_AT_GNU_call_site_data_value = 0x2112;

/** gdb's NO_ENTRY_VALUE_ERROR: no entry value is known (frame lines omit it; `print x@entry` shows the message). */
export class NoEntryValue extends EvalError {
  constructor(message: string) {
    super(message);
    this.name = 'NoEntryValue';
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** gdb's lookup_minimal_symbol_by_pc(...)->print_name (), or "???". */
function symName(frame: FrameContext, pc: number): string {
  try {
    return symbolFor(pc, frame.memory.modules ?? (frame.module ? [frame.module] : undefined))?.name ?? '???';
  } catch {
    return '???';
  }
}

// ---------------------------------------------------------------- call sites of a function

const siteMaps = new WeakMap<Die, Map<number, Die>>();

/** The call sites of a subprogram (nested blocks and inlined calls included), by link-time return pc. */
function callSitesOf(sub: Die): Map<number, Die> {
  let m = siteMaps.get(sub);
  if (m) return m;
  m = new Map();
  const visit = (d: Die, depth: number) => {
    if (depth > 64) return;
    for (const c of d.children) {
      if (c.tag === DW_TAG.call_site || c.tag === DW_TAG.GNU_call_site) {
        const rp = c.num(DW_AT.call_return_pc) ?? c.num(DW_AT.low_pc);
        if (rp !== undefined && !m!.has(rp)) m!.set(rp, c);
      } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) visit(c, depth + 1);
    }
  };
  try {
    visit(sub, 0);
  } catch {
    /* unreadable DIEs: no call sites */
  }
  siteMaps.set(sub, m);
  return m;
}

function isTailCall(site: Die): boolean {
  return site.flag(DW_AT.call_tail_call) || site.flag(DW_AT_GNU_tail_call);
}

/** The entry address (gdb's BLOCK_ENTRY_PC: start of the first range), link-time. */
function entryOf(d: Die): number | undefined {
  try {
    return d.ranges()[0]?.[0];
  } catch {
    return undefined;
  }
}

const entries = new WeakMap<Die, number | null>();
function entryOfCached(d: Die): number | undefined {
  let e = entries.get(d);
  if (e === undefined) entries.set(d, (e = entryOf(d) ?? null));
  return e ?? undefined;
}

/** Names a function DIE may be known by (linkage name first, through specification/origin). */
function namesOf(d: Die): string[] {
  const out: string[] = [];
  for (let x: Die | undefined = d, i = 0; x && i < 4; i++) {
    const ln = x.value(DW_AT.linkage_name) ?? x.value(DW_AT.MIPS_linkage_name);
    if (typeof ln === 'string') out.push(ln);
    if (x.name) out.push(x.name);
    x = x.ref(DW_AT.specification) ?? x.ref(DW_AT.abstract_origin);
  }
  return out;
}

/**
 * Run-time address of a call site's DW_AT_call_origin: the definition's entry (same module), else a
 * function of that name with debug info (gdb's FIELD_LOC_KIND_PHYSNAME lookup).
 */
function originAddress(origin: Die, module: ModuleSymbols, modules: ModuleSymbols[] | undefined, siteText: () => string): number {
  const own = entryOfCached(origin);
  if (own !== undefined && !origin.flag(DW_AT.declaration)) return own + module.loadBias;
  const names = namesOf(origin);
  for (const m of [module, ...(modules ?? []).filter((x) => x.symbolFile !== module.symbolFile)]) {
    for (const n of names) {
      const f = m.symbolFile.functionsByName(n).find((x) => x.name === n || x.linkageName === n);
      if (f) return f.entryPc + m.loadBias;
    }
  }
  for (const m of [module, ...(modules ?? [])]) {
    for (const n of names) {
      const s = m.symbolFile.elf.symbolByName(n);
      if (s && s.shndx !== 0 && (s.type === 'FUNC' || s.type === 'IFUNC')) return s.value + m.loadBias;
    }
  }
  throw new NoEntryValue(`Cannot find function "${names[0] ?? '?'}" for a call site target at ${siteText()}`);
}

/** The run-time address a call site calls (NoEntryValue when it cannot be known). */
function siteTarget(site: Die, module: ModuleSymbols, modules: ModuleSymbols[] | undefined, caller: ExprContext | undefined, siteText: () => string): number {
  const origin = site.ref(DW_AT.call_origin) ?? site.ref(DW_AT.abstract_origin);
  if (origin) return originAddress(origin, module, modules, siteText);
  const t = attributeLocation(site, DW_AT.call_target) ?? attributeLocation(site, DW_AT_GNU_call_site_target);
  if (!t || t.kind !== 'expr') throw new NoEntryValue(`DW_AT_call_target is not specified at ${siteText()}`);
  if (!caller) throw new NoEntryValue(`DW_AT_call_target DWARF block resolving requires known frame which is currently not available at ${siteText()}`);
  let loc: Location;
  try {
    loc = evalDwarf(t.expr, caller, { what: 'DW_AT_call_target' });
  } catch (e) {
    throw new NoEntryValue(e instanceof Error ? e.message : String(e));
  }
  if (loc.kind === 'memory') return Number(BigInt.asUintN(64, loc.address));
  if (loc.kind === 'value') return Number(BigInt.asUintN(64, loc.value));
  if (loc.kind === 'register') {
    const v = caller.readRegister?.(loc.reg);
    if (v !== undefined) return Number(v);
  }
  throw new NoEntryValue('value has been optimized out');
}

/** gdb's func_verify_no_selftailcall: the function must not reach itself through tail calls. */
const noSelfTail = new WeakMap<Die, true | string>();
function verifyNoSelfTailCall(sub: Die, module: ModuleSymbols, frame: FrameContext): void {
  const hit = noSelfTail.get(sub);
  if (hit === true) return;
  if (typeof hit === 'string') throw new NoEntryValue(hit);
  const start = entryOf(sub);
  if (start === undefined) return;
  const self = start + module.loadBias;
  const modules = frame.memory.modules ?? [module];
  const seen = new Set<number>();
  const todo: { sub: Die; module: ModuleSymbols }[] = [{ sub, module }];
  let message: string | undefined;
  try {
    for (let n = 0; todo.length && n < 4096; n++) {
      const cur = todo.pop()!;
      for (const site of callSitesOf(cur.sub).values()) {
        if (!isTailCall(site)) continue;
        const rp = site.num(DW_AT.call_return_pc) ?? site.num(DW_AT.low_pc) ?? 0;
        const target = siteTarget(site, cur.module, modules, undefined, () => `${hex(rp + cur.module.loadBias)} in ${symName(frame, rp + cur.module.loadBias)}`);
        if (target === self) {
          message = `DW_OP_entry_value resolving has found function "${symName(frame, self)}" at ${hex(self)} can call itself via tail calls`;
          break;
        }
        if (seen.has(target)) continue;
        seen.add(target);
        const next = functionDieAt(target, modules);
        if (!next) throw new NoEntryValue(`DW_TAG_call_site resolving failed to find function name for address ${hex(target)}`);
        todo.push(next);
      }
      if (message) break;
    }
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  noSelfTail.set(sub, message ?? true);
  if (message) throw new NoEntryValue(message);
}

/**
 * The tail call that reached the function at `funcAddr` from the one at `first` (through any chain of
 * tail calls), when every chain ends with the same one (gdb keeps the common callee-side part).
 */
function tailSiteTo(first: number, funcAddr: number, modules: ModuleSymbols[], frame: FrameContext): { site: Die; sub: Die; module: ModuleSymbols; returnPc: number } | undefined {
  const start = functionDieAt(first, modules);
  if (!start) return undefined;
  const finals = new Map<Die, { site: Die; sub: Die; module: ModuleSymbols; returnPc: number }>();
  const visiting = new Set<number>();
  let budget = 4096;
  const dfs = (cur: { sub: Die; module: ModuleSymbols }, addr: number, depth: number) => {
    if (depth > 16 || visiting.has(addr) || finals.size > 16) return;
    visiting.add(addr);
    for (const [rp, site] of callSitesOf(cur.sub)) {
      if (!isTailCall(site) || --budget < 0) continue;
      let t: number;
      try {
        t = siteTarget(site, cur.module, modules, undefined, () => `${hex(rp + cur.module.loadBias)} in ${symName(frame, rp + cur.module.loadBias)}`);
      } catch {
        continue;
      }
      if (t === funcAddr) finals.set(site, { site, sub: cur.sub, module: cur.module, returnPc: rp + cur.module.loadBias });
      else {
        const next = functionDieAt(t, modules);
        if (next) dfs(next, t, depth + 1);
      }
    }
    visiting.delete(addr);
  };
  dfs(start, first, 0);
  return finals.size === 1 ? [...finals.values()][0] : undefined;
}

/** The subprogram DIE whose entry is exactly `addr` (gdb's find_pc_function + entry check). */
function functionDieAt(addr: number, modules: ModuleSymbols[]): { sub: Die; module: ModuleSymbols } | undefined {
  for (const m of modules) {
    const link = addr - m.loadBias;
    const f = m.symbolFile.hasDebugInfo ? m.symbolFile.functionAt(link) : undefined;
    if (f && f.entryPc === link) return { sub: f.die, module: m };
  }
  return undefined;
}

// ---------------------------------------------------------------- the call site of a frame

export interface EntrySite {
  /** The caller frame, where DW_AT_call_value expressions are evaluated. */
  caller: FrameContext;
  /** Its expression context: registers the caller's unwind rules do not give are the frame's own (gdb's "same value"). */
  callerCtx: ExprContext;
  /** DW_AT_call_value blocks by parameter location: `r5` (DW_OP_reg5), `f8` (stack slot DW_OP_breg7 8). */
  params: Map<string, Buffer>;
  /** DW_AT_call_data_value blocks (the value of the object a reference/pointer argument points to). */
  dataValues: Map<string, Buffer>;
  /** "0x... at main" for messages. */
  where(): string;
}

const siteCache = new WeakMap<FrameContext, EntrySite | NoEntryValue>();

/**
 * The call site that called `frame`'s function, checked as gdb does. Throws NoEntryValue with gdb's
 * message when entry values cannot be known.
 */
export function entrySite(frame: FrameContext): EntrySite {
  const hit = siteCache.get(frame);
  if (hit instanceof NoEntryValue) throw hit;
  if (hit) return hit;
  let out: EntrySite | NoEntryValue;
  try {
    out = findEntrySite(frame);
  } catch (e) {
    out = e instanceof NoEntryValue ? e : new NoEntryValue(e instanceof Error ? e.message : String(e));
  }
  siteCache.set(frame, out);
  if (out instanceof NoEntryValue) throw out;
  return out;
}

function findEntrySite(frame: FrameContext): EntrySite {
  const scope = frameScope(frame);
  const sub = scope?.subprogram;
  const module = frame.module;
  if (!scope || !sub || !module) throw new NoEntryValue('DW_OP_entry_value resolving requires a function with debug info');
  const start = entryOfCached(sub);
  if (start === undefined) throw new NoEntryValue('DW_OP_entry_value resolving requires a function with debug info');
  const funcAddr = start + module.loadBias;
  // gdb's backtrace stops at main (`backtrace past-main off`): main has no caller for it.
  const caller = isMain(sub) ? undefined : frame.caller;
  if (!caller) throw new NoEntryValue(`DW_OP_entry_value resolving requires caller of ${hex(funcAddr)} (${symName(frame, funcAddr)})`);
  const cmod = caller.module;
  const cscope = cmod ? frameScope(caller) : undefined;
  let top: Die | undefined;
  if (cscope) for (const d of cscope.chain) if (d.tag === DW_TAG.subprogram) top = d;
  let site = top && cmod ? callSitesOf(top).get(caller.pc - cmod.loadBias) : undefined;
  if (!site || !cmod || !cscope) throw new NoEntryValue(`DW_OP_entry_value resolving cannot find DW_TAG_call_site ${hex(caller.pc)} in ${symName(caller, caller.pc - 1)}`);
  const inner = exprContext(cmod.symbolFile, cmod.loadBias, site.unit, caller, cscope.subprogram, caller.memory);
  let callerCtx = sameValueContext(inner, caller, frame);
  const target = siteTarget(site, cmod, caller.memory.modules, callerCtx, () => `${hex(caller.pc)} in ${symName(caller, caller.pc)}`);
  let wherePc = caller.pc;
  if (target !== funcAddr) {
    // The caller called another function that reached this one through tail calls: gdb's caller is
    // then the innermost tail-call frame (src/engine/tailcall.ts), whose pc is the tail call's return
    // address, and the call site is that tail call (its values read with the physical caller's
    // registers, as gdb's tail-call frames have them).
    const tail = tailSiteTo(target, funcAddr, caller.memory.modules ?? [cmod], frame);
    if (!tail) {
      throw new NoEntryValue(`DW_OP_entry_value resolving expects callee ${symName(frame, target)} at ${hex(target)} but the called frame is for ${symName(frame, funcAddr)} at ${hex(funcAddr)}`);
    }
    site = tail.site;
    wherePc = tail.returnPc;
    callerCtx = sameValueContext(exprContext(tail.module.symbolFile, tail.module.loadBias, site.unit, caller, tail.sub, caller.memory), caller, frame);
  }
  const where = () => `${hex(wherePc)} at ${symName(caller, wherePc)}`;
  verifyNoSelfTailCall(sub, module, frame);
  const params = new Map<string, Buffer>();
  const dataValues = new Map<string, Buffer>();
  for (const p of site.children) {
    if (p.tag !== DW_TAG.call_site_parameter && p.tag !== DW_TAG.GNU_call_site_parameter) continue;
    const loc = p.value(DW_AT.location);
    const val = p.value(DW_AT.call_value) ?? p.value(DW_AT_GNU_call_site_value);
    if (!Buffer.isBuffer(loc) || !Buffer.isBuffer(val)) continue;
    const reg = singleRegister(loc);
    // gdb's dwarf_block_to_sp_offset: an argument in the caller's stack at DW_OP_breg7 (rsp) N.
    const key = reg !== undefined ? `r${reg}` : loc[0] === DW_OP.breg0 + 7 ? spOffsetKey(loc) : undefined;
    if (key !== undefined && !params.has(key)) {
      params.set(key, val);
      const data = p.value(DW_AT.call_data_value) ?? p.value(DW_AT_GNU_call_site_data_value);
      if (Buffer.isBuffer(data)) dataValues.set(key, data);
    }
  }
  return { caller, callerCtx, params, dataValues, where };
}

/**
 * The caller's expression context where a register its unwind rules do not recover reads as in the
 * frames below (gdb's default for registers without a CFI rule: "same value").
 */
function sameValueContext(inner: ExprContext, caller: FrameContext, below: FrameContext): ExprContext {
  return new SameValueContext(inner, caller, below);
}

class SameValueContext implements ExprContext {
  readonly addressSize?: number;
  readonly offsetSize?: number;
  readonly version?: number;
  constructor(
    private readonly inner: ExprContext,
    private readonly caller: FrameContext,
    private readonly below: FrameContext,
  ) {
    this.addressSize = inner.addressSize;
    this.offsetSize = inner.offsetSize;
    this.version = inner.version;
  }
  readRegister(r: number): bigint | undefined {
    const v = this.caller.regs.get(r);
    if (v !== undefined) return v;
    for (let f: FrameContext | undefined = this.below, i = 0; f && i < 256; f = f.callee, i++) {
      const x = f.regs.get(r);
      if (x !== undefined) return x;
    }
    return undefined;
  }
  readMemory(a: bigint, n: number): Buffer | undefined {
    return this.inner.readMemory?.(a, n);
  }
  debugAddr(i: number): bigint {
    return this.inner.debugAddr!(i);
  }
  relocate(a: bigint): bigint {
    return this.inner.relocate!(a);
  }
  baseTypeSize(off: number): number | undefined {
    return this.inner.baseTypeSize?.(off);
  }
  callFrameCfa(): bigint {
    return this.inner.callFrameCfa!();
  }
  frameBase(): bigint {
    return this.inner.frameBase!();
  }
  tlsAddress(off: bigint): bigint {
    return this.inner.tlsAddress!(off);
  }
  callExpression(off: number, kind: 'cu' | 'info'): Buffer | undefined {
    return this.inner.callExpression?.(off, kind);
  }
  /** DW_OP_entry_value in a DW_AT_call_value: the caller's own entry values (its caller's call site). */
  get entryContext(): ExprContext | undefined {
    return this.inner.entryContext;
  }
}

function isMain(sub: Die): boolean {
  return sub.parent?.tag === DW_TAG.compile_unit && namesOf(sub)[0] === 'main';
}

/** DWARF register of a location that is exactly one DW_OP_regN / DW_OP_regx (gdb's dwarf_block_to_dwarf_reg). */
export function singleRegister(b: Buffer): number | undefined {
  if (b.length === 1 && b[0] >= DW_OP.reg0 && b[0] <= DW_OP.reg31) return b[0] - DW_OP.reg0;
  if (b[0] === DW_OP.regx) {
    let r = 0;
    let shift = 0;
    for (let i = 1; i < b.length; i++) {
      r |= (b[i] & 0x7f) << shift;
      shift += 7;
      if (!(b[i] & 0x80)) return i === b.length - 1 ? r : undefined;
    }
  }
  return undefined;
}

function sleb(b: Buffer, at: number): { v: number; end: number } | undefined {
  let r = 0n;
  let shift = 0n;
  for (let i = at; i < b.length; i++) {
    r |= BigInt(b[i] & 0x7f) << shift;
    shift += 7n;
    if (!(b[i] & 0x80)) {
      if (b[i] & 0x40) r -= 1n << shift;
      return { v: Number(r), end: i + 1 };
    }
  }
  return undefined;
}

function spOffsetKey(loc: Buffer): string | undefined {
  const n = sleb(loc, 1);
  return n && n.end === loc.length ? `f${n.v}` : undefined;
}

/** Where a parameter is at its function's entry, as a call-site parameter key: `r5`, or `f8` for DW_OP_fbreg 8. */
function entryKey(b: Buffer): string | undefined {
  const reg = singleRegister(b);
  if (reg !== undefined) return `r${reg}`;
  if (b[0] === DW_OP.fbreg) {
    const n = sleb(b, 1);
    if (n && n.end === b.length) return `f${n.v}`;
  }
  return undefined;
}

/** The value register `reg` had on entry to `frame`'s function (for DW_OP_entry_value); undefined when unknown. */
export function entryRegister(site: EntrySite, reg: number): bigint | undefined {
  const expr = site.params.get(`r${reg}`);
  if (!expr) return undefined;
  try {
    const loc = evalDwarf(expr, site.callerCtx, { what: 'DW_AT_call_value' });
    if (loc.kind === 'value') return loc.value;
    if (loc.kind === 'memory') return loc.address;
    if (loc.kind === 'register') return site.callerCtx.readRegister?.(loc.reg);
    return undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- a parameter's entry value

/**
 * The entry value of parameter `die` in `frame` (gdb's read_variable_at_entry): a computed Value, an
 * optimized-out Value (no location at the function's entry), or a thrown NoEntryValue / EvalError.
 */
export function parameterEntryValue(die: Die, module: ModuleSymbols, frame: FrameContext, type: Type): Value {
  const mem = frame.memory;
  const key = entryLocationOf(die, module, frame);
  if (key === 'optimized-out') return Value.optimizedOut(type, '<optimized out>', mem);
  if (key === undefined) throw new NoEntryValue('DWARF-2 expression error: DW_OP_entry_value is supported only for single DW_OP_reg* or for DW_OP_fbreg(*)');
  const site = entrySite(frame);
  const expr = site.params.get(key);
  if (!expr) throw new NoEntryValue(`Cannot find matching parameter at DW_TAG_call_site ${site.where()}`);
  const outer = callValue(expr, site, type, 'DW_AT_call_value');
  const t = strip(type);
  if (t.kind !== 'reference' && t.kind !== 'rvalue-reference') return outer;
  // A reference: gdb's entry value refers to the object's value on entry, DW_AT_call_data_value
  // (without it there is none: the reference itself would show the current object).
  const data = site.dataValues.get(key);
  if (!data) throw new NoEntryValue('Cannot resolve DW_AT_call_data_value');
  if (outer.optimizedOut) return outer;
  const target = callValue(data, site, t.target, 'DW_AT_call_data_value');
  const ref = Value.fromBytes(type, outer.bytes(), mem);
  ref.syntheticTarget = () => target;
  return ref;
}

/** A call-site expression's value as `type` (gdb evaluates it with DW_OP_stack_value appended). */
function callValue(expr: Buffer, site: EntrySite, type: Type, what: string): Value {
  const mem = site.caller.memory;
  let loc: Location;
  try {
    loc = evalDwarf(expr, site.callerCtx, { what });
  } catch (e) {
    if (e instanceof OptimizedOut) return Value.optimizedOut(type, '<optimized out>', mem);
    throw new EvalError(e instanceof Error ? e.message : String(e));
  }
  const size = sizeOfType(type);
  // The expression computes the value: a "memory" result is that number.
  if (loc.kind === 'memory') return Value.fromBytes(type, bigintToBytes(BigInt.asUintN(64, loc.address), Math.max(8, size)).subarray(0, Math.max(1, size)), mem);
  if (loc.kind === 'register') {
    const v = site.callerCtx.readRegister?.(loc.reg);
    if (v === undefined) return Value.optimizedOut(type, '<optimized out>', mem);
    return Value.fromBytes(type, bigintToBytes(v, Math.max(8, size)).subarray(0, Math.max(1, size)), mem);
  }
  return locationValue(type, loc, site.caller, mem);
}

function sizeOfType(t: Type): number {
  const s = strip(t) as { byteSize?: number };
  return typeof s.byteSize === 'number' ? s.byteSize : 8;
}

/**
 * Where a parameter is at its function's entry (the entry of the frame's function block, an inlined
 * call's included, as gdb's get_frame_func): `r5` for a single register, `f8` for DW_OP_fbreg 8;
 * 'optimized-out' when it has no location there, undefined when its location there is anything else.
 */
export function entryLocationOf(die: Die, module: ModuleSymbols, frame: FrameContext): string | 'optimized-out' | undefined {
  // Fixed per DIE: a parameter DIE belongs to one function block, whose entry it is looked up at.
  const hit = entryLocations.get(die);
  if (hit !== undefined) return hit ?? undefined;
  const k = computeEntryLocation(die, module, frame);
  entryLocations.set(die, k ?? null);
  return k;
}

const entryLocations = new WeakMap<Die, string | null>();

function computeEntryLocation(die: Die, module: ModuleSymbols, frame: FrameContext): string | 'optimized-out' | undefined {
  const at = attributeLocation(die);
  if (!at) return undefined;
  if (at.kind === 'expr') return entryKey(at.expr);
  const fn = die.parent ?? frameScope(frame)?.func;
  const start = fn ? entryOf(fn) : undefined;
  if (start === undefined) return 'optimized-out';
  let expr: Buffer | undefined;
  try {
    expr = listExpr(module.symbolFile, at, start);
  } catch {
    return undefined;
  }
  if (!expr) return 'optimized-out';
  return entryKey(expr);
}

// ---------------------------------------------------------------- frame lines

export interface ArgEntry {
  /** The entry value to show as `x@entry` (absent: none to show). */
  entry?: Value;
  /** The current value equals the entry value: gdb's console prints `x=x@entry=V` (the MI lists both). */
  equal: boolean;
}

/**
 * gdb's read_frame_arg for `print entry-values default`: whether a parameter's entry value is shown
 * next to its current value `val`, and whether they are equal.
 */
export function argEntry(die: Die, module: ModuleSymbols, frame: FrameContext, val: Value): ArgEntry {
  // Cheap test first: only parameters in a single register or a stack slot of the caller at the
  // function's entry can have one. The slots of -O0 code (negative offsets from the CFA: the
  // function's own frame) cannot be a caller's outgoing arguments: no call-site lookup for those.
  const key = entryLocationOf(die, module, frame);
  if (key === undefined || key === 'optimized-out' || (key[0] === 'f' && key[1] === '-')) return { equal: false };
  let entry: Value;
  try {
    entry = parameterEntryValue(die, module, frame, val.type);
  } catch (e) {
    if (e instanceof NoEntryValue) return { equal: false };
    const msg = e instanceof Error ? e.message : String(e);
    // The same error for the value and the entry value is shown once.
    if (valueError(val) === msg) return { equal: false };
    return { entry: Value.optimizedOut(val.type, `<error reading variable: ${msg}>`, frame.memory), equal: false };
  }
  if (entry.optimizedOut || (entry.availableBits && !entry.isAvailable())) return { equal: false };
  let equal = false;
  try {
    if (!val.optimizedOut && (!val.availableBits || val.isAvailable())) {
      const a = val.bytes();
      const b = entry.bytes();
      const n = sizeOfType(val.type);
      equal = a.length >= n && b.length >= n && a.subarray(0, n).equals(b.subarray(0, n));
      // A reference: the objects referred to must be equal too (the current one against the entry data).
      const t = strip(val.type);
      if (equal && (t.kind === 'reference' || t.kind === 'rvalue-reference') && entry.syntheticTarget) {
        const now = Value.atAddress(t.target, Number(bytesToBig(a.subarray(0, 8))), val.memory).bytes();
        const then = entry.syntheticTarget().bytes();
        const m = sizeOfType(t.target);
        equal = now.length >= m && then.length >= m && now.subarray(0, m).equals(then.subarray(0, m));
      }
    }
  } catch {
    equal = false;
  }
  return { entry, equal };
}

function bytesToBig(b: Buffer): bigint {
  let r = 0n;
  for (let i = b.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(b[i]);
  return r;
}

function valueError(v: Value): string | undefined {
  if (v.optimizedOut) return undefined;
  try {
    v.bytes();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
