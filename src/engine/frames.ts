// Stack frames of a stopped thread: physical frames from the CFI unwinder (src/symbols/unwind.ts), each
// expanded into gdb's virtual frames for inlined calls, and symbolized (function, file, line, module).

import { Frame, unwindDetailed, UnwindMemory, StopReason as UnwindStop } from '../symbols/unwind';
import { DW_AT, Die, FunctionInfo } from '../symbols';
import type { FrameInfo } from './api';
import type { LoadedModule, ModuleTable } from './modules';
import { callSite, functionAt, inlineChain, inlineName, lineAt } from './symbolize';
import { tailCallFrames } from './tailcall';

/** One frame as gdb numbers them (inlined calls are frames of their own). */
export interface EngineFrame {
  level: number;
  /** Index of the physical frame in `Stack.physical`. */
  phys: number;
  /** 0 = the innermost virtual frame of its physical frame. */
  inlineDepth: number;
  /** Inlined calls at the pc hidden below this frame (frame 0 stopped at an inline site's entry). */
  hiddenInline: number;
  pc: number;
  lookupPc: number;
  cfa?: number;
  module?: LoadedModule;
  function?: string;
  functionStart?: number;
  /** DWARF function (the physical function, also for inline frames). */
  fn?: FunctionInfo;
  /** The inlined_subroutine DIE for inline frames. */
  inlineDie?: Die;
  file?: string;
  fullPath?: string;
  line?: number;
  column?: number;
  inlined: boolean;
  /** A frame gdb infers from call-site information for a tail call (no stack frame of its own). */
  tailcall?: boolean;
  signalTrampoline: boolean;
  how: string;
  /** Registers known in the physical frame (DWARF numbering). */
  regs: Map<number, bigint>;
}

export interface Stack {
  frames: EngineFrame[];
  physical: Frame[];
  stopReason: UnwindStop;
  complete: boolean;
}

/**
 * gdb hides inlined calls whose block starts at the stop pc (it shows the call site), except for the
 * function a user breakpoint was set on. `count` overrides the computed number (after `step` into an
 * inlined call, one level less is hidden).
 */
export interface InlineHiding {
  /** Show everything (stopped by a line/address breakpoint). */
  showAll?: boolean;
  /** Functions not to hide (stopped by a breakpoint on that function). */
  show?: Set<string>;
  count?: number;
}

export interface UnwindOptions {
  maxFrames?: number;
  /** Only the innermost physical frame's frames (its CFA still needs the caller's unwind). */
  topOnly?: boolean;
  /** How frame 0 treats inlined calls that start exactly at its pc (gdb's skip_inline_frames). */
  inline?: InlineHiding;
}

/** Unwinds a thread whose registers are `regs` and expands inline frames. */
export function buildStack(regs: Map<number, bigint>, mem: UnwindMemory, modules: ModuleTable, opts: UnwindOptions = {}): Stack {
  const res = unwindDetailed(regs, mem, (pc) => modules.find(pc)?.unwind, { maxFrames: opts.topOnly ? 2 : opts.maxFrames ?? 4096 });
  if (opts.maxFrames !== undefined && res.frames.length >= opts.maxFrames) res.stopReason = 'max-frames';
  const frames: EngineFrame[] = [];
  res.frames.forEach((f, i) => {
    if (opts.topOnly && i > 0) return;
    const mine = expandFrame(f, i, modules, i === 0 ? opts.inline ?? {} : undefined);
    for (const vf of mine) {
      vf.level = frames.length;
      frames.push(vf);
    }
    // Tail calls between this frame and its caller (the caller's pc must be a return address).
    const caller = res.frames[i + 1];
    const outer = mine[mine.length - 1];
    if (!opts.topOnly && caller && caller.lookupPc !== caller.pc && outer.fn && outer.module) {
      let tails: ReturnType<typeof tailCallFrames> = [];
      try {
        tails = tailCallFrames(modules, { mod: outer.module, fn: outer.fn }, caller.pc);
      } catch {
        tails = [];
      }
      for (const t of tails) {
        // gdb does not split a tail-call frame into inline frames: it is named after the innermost
        // function (inlined or not) holding the call.
        const fake: Frame = { pc: t.pc, lookupPc: t.pc - 1, cfa: f.cfa, regs: caller.regs, isSignalFrame: false, how: f.how, module: caller.module };
        const parts = expandFrame(fake, i, modules);
        const vf = { ...parts[parts.length - 1], function: parts[0].function, functionStart: parts[0].functionStart, inlineDie: parts[0].inlineDie };
        const line = lineAt(t.mod, t.pc - 1);
        Object.assign(vf, { file: line?.file, fullPath: line?.fullPath, line: line?.line, column: line?.column });
        vf.tailcall = true;
        vf.how = 'tailcall';
        vf.level = frames.length;
        frames.push(vf);
      }
    }
  });
  const complete = res.stopReason === 'outermost' || res.stopReason === 'pc-zero';
  return { frames, physical: res.frames, stopReason: res.stopReason, complete };
}

/** The virtual frames of one physical frame, innermost first. */
export function expandFrame(f: Frame, index: number, modules: ModuleTable, hideAtPc?: InlineHiding): EngineFrame[] {
  const mod = modules.find(f.isSignalFrame ? f.pc : f.lookupPc);
  const base: EngineFrame = {
    level: 0,
    phys: index,
    inlineDepth: 0,
    hiddenInline: 0,
    pc: f.pc,
    lookupPc: f.lookupPc,
    cfa: f.cfa,
    module: mod,
    inlined: false,
    signalTrampoline: f.isSignalFrame,
    how: f.how,
    regs: f.regs,
  };
  if (!mod) return [base];
  // A signal trampoline is named by its own pc (gdb's get_frame_address_in_block for SIGTRAMP frames).
  const at = f.isSignalFrame ? f.pc : f.lookupPc;
  const fnc = functionAt(mod, at);
  const line = lineAt(mod, at);
  const link = at - mod.bias;
  let chain = inlineChain(mod.symbols, link);
  const fullDepth = chain.length;
  if (hideAtPc && chain.length) {
    // At frame 0, gdb hides inlined calls that start exactly at the stop pc (it shows the call site).
    let n = hiddenAtEntry(chain, link, hideAtPc);
    if (hideAtPc.count !== undefined) n = Math.min(n, hideAtPc.count);
    chain = chain.slice(n);
  }
  base.hiddenInline = fullDepth - chain.length;
  const out: EngineFrame[] = [];
  // Position inside the innermost frame comes from the line table; each outer frame's from the call site
  // of the inlined call it contains.
  let pos: { file?: string; fullPath?: string; line?: number; column?: number } = line ? { file: line.file, fullPath: line.fullPath, line: line.line, column: line.column } : {};
  if (fullDepth > chain.length) {
    // Hidden inlined calls: the frame is at the call site of the outermost one (gdb's find_frame_sal).
    const all = inlineChain(mod.symbols, link);
    const cs = callSite(mod.symbols, all[fullDepth - chain.length - 1]);
    if (cs.line !== undefined) pos = cs;
  }
  for (let k = 0; k < chain.length; k++) {
    const d = chain[k];
    const entry = d.ranges()[0]?.[0];
    out.push({
      ...base,
      inlineDepth: k,
      function: inlineName(d),
      functionStart: entry !== undefined ? entry + mod.bias : undefined,
      fn: fnc?.fn,
      inlineDie: d,
      ...pos,
      inlined: true,
    });
    pos = callSite(mod.symbols, d);
  }
  out.push({
    ...base,
    inlineDepth: chain.length,
    function: fnc?.name,
    functionStart: fnc?.start,
    fn: fnc?.fn,
    ...pos,
  });
  return out;
}

export function toFrameInfo(f: EngineFrame, id: number, threadId: number): FrameInfo {
  return {
    id,
    threadId,
    level: f.level,
    pc: f.pc,
    cfa: f.cfa,
    function: f.function,
    functionStart: f.functionStart,
    file: f.file,
    fullPath: f.fullPath,
    line: f.line,
    column: f.column,
    module: f.module?.path,
    moduleName: f.module?.name,
    inlined: f.inlined || undefined,
    signalTrampoline: f.signalTrampoline || undefined,
    unwoundBy: f.how,
  };
}

/** gdb's one-line frame text: "main () at demo.c:12", "0x... in write () from /lib/.../libc.so.6". */
export function frameText(f: FrameInfo, opts: { withAddress?: boolean; args?: string } = {}): string {
  if (f.signalTrampoline) return '<signal handler called>';
  const fn = `${f.function ?? '??'} (${opts.args ?? ''})`;
  const addr = opts.withAddress ? `0x${f.pc.toString(16).padStart(16, '0')} in ` : '';
  if (f.file && f.line !== undefined) return `${addr}${fn} at ${f.file}:${f.line}`;
  if (f.module) return `${addr}${fn} from ${f.module}`;
  return `${addr}${fn}`;
}

/** The declared return type DIE of a function (undefined = void). */
export function returnTypeDie(fn: FunctionInfo): Die | undefined {
  let d: Die | undefined = fn.die;
  for (let i = 0; d && i < 4; i++) {
    if (d.has(DW_AT.type)) return d.type();
    d = d.ref(DW_AT.specification) ?? d.ref(DW_AT.abstract_origin);
  }
  return undefined;
}

/** Entry pc of an inlined block (gdb's BLOCK_ENTRY_PC: the start of its first range). */
export function blockEntry(d: Die): number | undefined {
  const r = d.ranges();
  if (!r.length) return undefined;
  return r.length === 1 ? r[0][0] : r[0][0];
}

/** Number of leading (innermost) inlined blocks that start at link-time pc `link` and gdb would hide. */
export function hiddenAtEntry(chain: Die[], link: number, h: InlineHiding): number {
  if (h.showAll) return 0;
  let n = 0;
  while (n < chain.length && blockEntry(chain[n]) === link && !(h.show && h.show.has(inlineName(chain[n])))) n++;
  return n;
}
