// Stack frames of a stopped thread: physical frames from the CFI unwinder (src/symbols/unwind.ts), each
// expanded into gdb's virtual frames for inlined calls, and symbolized (function, file, line, module).

import { Frame, unwindDetailed, UnwindMemory, UnwindResult, StopReason as UnwindStop } from '../symbols/unwind';
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
  /**
   * End the stack at the program's `main` (gdb's default backtrace limit): the frames beyond it are
   * unwound (cheap, CFI) but not symbolized, so a stop in the program never needs the debug info of
   * the C library that called main. The stack is then `complete`.
   */
  stopAtMain?: boolean;
}

/** The frame gdb ends a backtrace at (past-main off): the program's own, non-inlined main. */
export function isMainFrame(f: EngineFrame): boolean {
  return f.function === 'main' && !f.inlined && f.module?.kind === 'program';
}

/** Whether a physical frame's outermost virtual frame is the program's main (see isMainFrame). */
function isMainPhysical(f: Frame, modules: ModuleTable): boolean {
  const at = f.isSignalFrame ? f.pc : f.lookupPc;
  const mod = modules.find(at);
  return mod?.kind === 'program' && pcSymbols(mod, at).fnc?.name === 'main';
}

/**
 * The last unwind of a thread's innermost frame and its caller made by the stepping code (unwindTop),
 * with the registers, module table and memory reads it was computed from. A `next` unwinds the frame it
 * stops in to compare CFAs, and the stop report unwinds the same frame again right after (~50 µs at a
 * pc not seen before): buildStack(topOnly) takes this one instead when it would compute the very same
 * thing: same register values, same module table, and the memory it read still holding the same bytes
 * (read again through the caller's memory: page-cached at a stop). One use; anything else recomputes.
 */
let sharedTop: { regs: Map<number, bigint>; modules: ModuleTable; reads: { addr: number; len: number; bytes: Buffer | undefined }[]; res: UnwindResult } | undefined;

/** unwindDetailed of the innermost frame and its caller (maxFrames 2), kept for the next buildStack(topOnly). */
export function unwindTop(regs: Map<number, bigint>, mem: UnwindMemory, modules: ModuleTable): UnwindResult {
  const reads: { addr: number; len: number; bytes: Buffer | undefined }[] = [];
  const recording: UnwindMemory = {
    read(addr: number, len: number): Buffer | undefined {
      const b = mem.read(addr, len);
      reads.push({ addr, len, bytes: b ? Buffer.from(b) : undefined });
      return b;
    },
  };
  const res = unwindDetailed(regs, recording, (pc) => modules.find(pc)?.unwind, { maxFrames: 2 });
  sharedTop = { regs, modules, reads, res };
  return res;
}

function takeSharedTop(regs: Map<number, bigint>, mem: UnwindMemory, modules: ModuleTable): UnwindResult | undefined {
  const t = sharedTop;
  sharedTop = undefined;
  if (!t || t.modules !== modules || t.regs.size !== regs.size) return undefined;
  for (const [k, v] of regs) if (t.regs.get(k) !== v) return undefined;
  for (const r of t.reads) {
    const b = mem.read(r.addr, r.len);
    if (b === undefined || r.bytes === undefined ? b !== r.bytes : !r.bytes.equals(b)) return undefined;
  }
  return t.res;
}

/**
 * The most physical frames a whole-stack unwind walks. gdb has no limit (`set backtrace limit
 * unlimited`); the unwinder already stops when the stack pointer does not grow, so this only bounds
 * the work on a runaway recursion: an 8 MiB stack of 16-byte frames has 524,288.
 */
export const MAX_STACK_FRAMES = 1 << 19;

/** Unwinds a thread whose registers are `regs` and expands inline frames. */
export function buildStack(regs: Map<number, bigint>, mem: UnwindMemory, modules: ModuleTable, opts: UnwindOptions = {}): Stack {
  // Past main nothing is shown: stop unwinding one frame above it (main's CFA needs its caller).
  const until = opts.stopAtMain && !opts.topOnly ? (fs: readonly Frame[]) => fs.length >= 2 && isMainPhysical(fs[fs.length - 2], modules) : undefined;
  const shared = opts.topOnly && opts.maxFrames === undefined ? takeSharedTop(regs, mem, modules) : undefined;
  const res = shared ?? unwindDetailed(regs, mem, (pc) => modules.find(pc)?.unwind, { maxFrames: opts.topOnly ? 2 : opts.maxFrames ?? MAX_STACK_FRAMES, until });
  if (opts.maxFrames !== undefined && res.frames.length >= opts.maxFrames) res.stopReason = 'max-frames';
  const frames: EngineFrame[] = [];
  let atMain = false;
  res.frames.forEach((f, i) => {
    if ((opts.topOnly && i > 0) || atMain) return;
    const mine = expandFrame(f, i, modules, i === 0 ? opts.inline ?? {} : undefined);
    for (const vf of mine) {
      vf.level = frames.length;
      frames.push(vf);
      if (opts.stopAtMain && isMainFrame(vf)) {
        atMain = true;
        break;
      }
    }
    if (atMain) return;
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
        if (opts.stopAtMain && isMainFrame(vf)) {
          atMain = true;
          break;
        }
      }
    }
  });
  // Stopped at main with frames beyond it: what gdb shows is all there is.
  const complete = (atMain && res.frames.length > frames[frames.length - 1].phys + 1) || res.stopReason === 'outermost' || res.stopReason === 'pc-zero';
  return { frames, physical: res.frames, stopReason: res.stopReason, complete };
}

interface PcSymbols {
  fnc: ReturnType<typeof functionAt>;
  line: ReturnType<typeof lineAt>;
  /** Inlined calls containing the pc, innermost first, and the call site of each. */
  chain: Die[];
  callSites: ReturnType<typeof callSite>[];
}

const PC_CACHE_MAX = 4096;
const pcCache = new WeakMap<LoadedModule, Map<number, PcSymbols>>();

/**
 * What a frame at a run-time pc of a loaded module shows (function, line, inline chain, call sites):
 * fixed for the module's lifetime, so computed once per pc (a loop's frames recur at every stop).
 */
function pcSymbols(mod: LoadedModule, at: number): PcSymbols {
  let m = pcCache.get(mod);
  if (!m) pcCache.set(mod, (m = new Map()));
  let e = m.get(at);
  if (!e) {
    const chain = inlineChain(mod.symbols, at - mod.bias);
    e = { fnc: functionAt(mod, at), line: lineAt(mod, at), chain, callSites: chain.map((d) => callSite(mod.symbols, d)) };
    if (m.size >= PC_CACHE_MAX) m.clear();
    m.set(at, e);
  }
  return e;
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
  const { fnc, line, chain: all, callSites } = pcSymbols(mod, at);
  const link = at - mod.bias;
  let chain = all;
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
    const cs = callSites[fullDepth - chain.length - 1];
    if (cs.line !== undefined) pos = cs;
  }
  for (let k = 0; k < chain.length; k++) {
    const d = chain[k];
    const entry = d.ranges()[0]?.[0];
    out.push(virtualFrame(base, k, inlineName(d), entry !== undefined ? entry + mod.bias : undefined, fnc?.fn, pos, d));
    pos = callSites[fullDepth - chain.length + k];
  }
  out.push(virtualFrame(base, chain.length, fnc?.name, fnc?.start, fnc?.fn, pos));
  return out;
}

/**
 * One virtual frame of a physical frame. Built field by field: an object spread followed by
 * overriding properties takes V8's slow path (measured ~7 µs per frame, against ~0.3 µs).
 */
function virtualFrame(
  base: EngineFrame,
  inlineDepth: number,
  fnName: string | undefined,
  functionStart: number | undefined,
  fn: FunctionInfo | undefined,
  pos: { file?: string; fullPath?: string; line?: number; column?: number },
  inlineDie?: Die,
): EngineFrame {
  const f: EngineFrame = {
    level: base.level,
    phys: base.phys,
    inlineDepth,
    hiddenInline: base.hiddenInline,
    pc: base.pc,
    lookupPc: base.lookupPc,
    cfa: base.cfa,
    module: base.module,
    function: fnName,
    functionStart,
    fn,
    inlineDie,
    file: pos.file,
    fullPath: pos.fullPath,
    line: pos.line,
    column: pos.column,
    inlined: inlineDie !== undefined,
    signalTrampoline: base.signalTrampoline,
    how: base.how,
    regs: base.regs,
  };
  return f;
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
