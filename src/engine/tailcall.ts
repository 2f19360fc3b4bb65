// gdb's tail-call frames (dwarf2/frame-tailcall.c): when a function's caller called some other function
// that reached this one through tail calls (jmp), the call-site information (DW_TAG_call_site with
// DW_AT_call_origin / DW_AT_call_tail_call) names the functions in between; gdb shows each as a frame.
//
// For a callee frame and its caller's return address: find the caller's call site at that return
// address; if its target is not the callee's function, search the chains of tail calls from the target
// to the callee. A unique chain gives the frames; several chains give their common parts (gdb keeps the
// common prefix from the caller's side and the common suffix on the callee's side).

import { DW_AT, DW_TAG, Die, FunctionInfo, SymbolFile } from '../symbols';
import type { LoadedModule, ModuleTable } from './modules';

const DW_AT_GNU_tail_call = 0x2115;
const DW_AT_abstract_origin = DW_AT.abstract_origin;

interface CallSite {
  /** Link-time return address (the instruction after the call / jmp). */
  returnPc: number;
  tail: boolean;
  /** Target function DIE (declaration or definition), when the call is direct. */
  target?: Die;
}

const siteCache = new WeakMap<FunctionInfo, CallSite[]>();

function callSites(fn: FunctionInfo): CallSite[] {
  let out = siteCache.get(fn);
  if (out) return out;
  out = [];
  const walk = (d: Die) => {
    for (const c of d.children) {
      if (c.tag === DW_TAG.call_site || c.tag === DW_TAG.GNU_call_site) {
        const ret = c.num(DW_AT.call_return_pc) ?? c.num(DW_AT.low_pc);
        if (ret !== undefined) {
          out!.push({
            returnPc: ret,
            tail: c.flag(DW_AT.call_tail_call) || c.flag(DW_AT_GNU_tail_call),
            target: c.ref(DW_AT.call_origin) ?? c.ref(DW_AT_abstract_origin),
          });
        }
      } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) walk(c);
    }
  };
  try {
    walk(fn.die);
  } catch {
    /* unreadable DIEs: no call sites */
  }
  siteCache.set(fn, out);
  return out;
}

/** Names a target DIE may be known by (its name and linkage name, through specification/origin). */
function targetNames(d: Die): string[] {
  const names: string[] = [];
  for (let x: Die | undefined = d, i = 0; x && i < 4; i++) {
    const ln = x.value(DW_AT.linkage_name);
    if (typeof ln === 'string') names.push(ln);
    if (x.name) names.push(x.name);
    x = x.ref(DW_AT.specification) ?? x.ref(DW_AT_abstract_origin);
  }
  return names;
}

interface Resolved {
  mod: LoadedModule;
  fn: FunctionInfo;
}

function resolveTarget(d: Die, from: LoadedModule, modules: ModuleTable): Resolved | undefined {
  const names = targetNames(d);
  if (!names.length) return undefined;
  // The same module first (static functions), then the others.
  const order = [from, ...modules.modules.filter((m) => m !== from)];
  for (const m of order) {
    if (!m.symbols.hasDebugInfo) continue;
    for (const n of names) {
      const fns = m.symbols.functionsByName(n);
      const exact = fns.find((f) => f.name === n || f.linkageName === n);
      if (exact) return { mod: m, fn: exact };
    }
  }
  return undefined;
}

function same(a: Resolved, b: Resolved): boolean {
  return a.mod === b.mod && a.fn.offset === b.fn.offset && a.fn.unit === b.fn.unit;
}

export interface TailFrame {
  mod: LoadedModule;
  fn: FunctionInfo;
  /** Run-time return address of the tail call (the frame's pc). */
  pc: number;
}

/**
 * The tail-call frames between a callee (whose function is `callee`) and its caller frame at run-time
 * return address `callerPc`, innermost first. Empty when there are none or they cannot be determined.
 */
export function tailCallFrames(modules: ModuleTable, callee: Resolved, callerPc: number): TailFrame[] {
  const cmod = modules.find(callerPc - 1);
  if (!cmod || !cmod.symbols.hasDebugInfo) return [];
  const link = callerPc - cmod.bias;
  const callerFn = cmod.symbols.functionAt(link - 1);
  if (!callerFn) return [];
  const site = callSites(callerFn).find((s) => s.returnPc === link && !s.tail);
  if (!site?.target) return [];
  const first = resolveTarget(site.target, cmod, modules);
  if (!first || same(first, callee)) return [];
  // Depth-first search of tail-call chains from `first` to the callee.
  const chains: TailFrame[][] = [];
  const path: TailFrame[] = [];
  const visiting: Resolved[] = [];
  const dfs = (cur: Resolved, depth: number) => {
    if (chains.length > 16 || depth > 16) return;
    if (visiting.some((v) => same(v, cur))) return;
    visiting.push(cur);
    for (const s of callSites(cur.fn)) {
      if (!s.tail || !s.target) continue;
      const next = resolveTarget(s.target, cur.mod, modules);
      if (!next) continue;
      path.push({ mod: cur.mod, fn: cur.fn, pc: s.returnPc + cur.mod.bias });
      if (same(next, callee)) chains.push([...path]);
      else dfs(next, depth + 1);
      path.pop();
    }
    visiting.pop();
  };
  dfs(first, 0);
  if (!chains.length) return [];
  // Common prefix (caller side) and suffix (callee side) of all chains.
  const eq = (a: TailFrame, b: TailFrame) => a.mod === b.mod && a.fn === b.fn && a.pc === b.pc;
  let prefix = chains[0].length;
  for (const c of chains) {
    let i = 0;
    while (i < prefix && i < c.length && eq(c[i], chains[0][i])) i++;
    prefix = i;
  }
  let suffix = chains[0].length;
  for (const c of chains) {
    let i = 0;
    while (i < suffix && i < c.length && eq(c[c.length - 1 - i], chains[0][chains[0].length - 1 - i])) i++;
    suffix = i;
  }
  const base = chains[0];
  let frames: TailFrame[];
  if (prefix === base.length && chains.every((c) => c.length === base.length)) frames = base;
  else {
    const head = base.slice(0, prefix);
    const tail = base.slice(Math.max(prefix, base.length - suffix));
    frames = [...head, ...tail];
  }
  // Innermost (the function that tail-called the callee) first.
  return frames.reverse();
}

export type { Resolved as TailCallee };
export function calleeOf(mod: LoadedModule, fn: FunctionInfo): Resolved {
  return { mod, fn };
}

export function symbolsOf(m: LoadedModule): SymbolFile {
  return m.symbols;
}
