// The stack unwinder: turns the registers of a stopped thread into a list of frames, using DWARF
// CFI (.eh_frame / .debug_frame) where it covers the pc, recognising the x86-64 Linux signal
// trampoline, and falling back to the frame-pointer (rbp) chain elsewhere.
//
// It is independent of how memory and registers are obtained: a live process (ptrace) and a core
// file both provide an `UnwindMemory` and a module lookup.

import { CfiTable, CfiSection, UnwindRow, RegisterRule } from './cfi';
import { ExprContext, evaluateValue, OptimizedOut, DwarfExprError, DwarfFormatError } from './dwarf-expr';

/** DWARF register numbers on x86-64 (System V psABI, figure 3.36). */
export const DwarfReg = {
  rax: 0, rdx: 1, rcx: 2, rbx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
  rip: 16, rflags: 49, es: 50, cs: 51, ss: 52, ds: 53, fs: 54, gs: 55, fsBase: 58, gsBase: 59,
} as const;

/** Registers a callee must preserve: their values carry over to the caller unless CFI says otherwise. */
const CALLEE_SAVED = [DwarfReg.rbx, DwarfReg.rbp, DwarfReg.r12, DwarfReg.r13, DwarfReg.r14, DwarfReg.r15];
/** Per-thread registers that are the same in every frame. */
const THREAD_REGS = [DwarfReg.es, DwarfReg.cs, DwarfReg.ss, DwarfReg.ds, DwarfReg.fs, DwarfReg.gs, DwarfReg.fsBase, DwarfReg.gsBase];

/** Field names of the kernel's `struct user_regs_struct` (x86-64), in order. */
export const USER_REGS_FIELDS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type UserRegName = (typeof USER_REGS_FIELDS)[number];

const USER_TO_DWARF: Partial<Record<UserRegName, number>> = {
  rax: 0, rdx: 1, rcx: 2, rbx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7, r8: 8, r9: 9, r10: 10, r11: 11,
  r12: 12, r13: 13, r14: 14, r15: 15, rip: 16, eflags: 49, es: 50, cs: 51, ss: 52, ds: 53, fs: 54,
  gs: 55, fs_base: 58, gs_base: 59,
};

/** Decodes a `struct user_regs_struct` (27 little-endian u64s) into DWARF-numbered registers. */
export function dwarfRegsFromUserRegs(buf: Buffer, offset = 0): Map<number, bigint> {
  const regs = new Map<number, bigint>();
  const at = buf.byteOffset + offset;
  // An aligned buffer is read through a BigUint64Array view: one element read per register, where
  // readBigUInt64LE combines two halves with BigInt arithmetic (~1 µs each in code not yet optimized).
  const words = at % 8 === 0 && buf.length >= offset + USER_REGS_FIELDS.length * 8 ? new BigUint64Array(buf.buffer, at, USER_REGS_FIELDS.length) : undefined;
  for (const [i, d] of USER_DWARF_PAIRS) regs.set(d, words ? words[i] : buf.readBigUInt64LE(offset + i * 8));
  return regs;
}

/** [index in user_regs_struct, DWARF register number] for the fields the unwinder knows. */
const USER_DWARF_PAIRS: [number, number][] = USER_REGS_FIELDS.flatMap((name, i) => {
  const d = USER_TO_DWARF[name];
  return d === undefined ? [] : [[i, d] as [number, number]];
});

/** DWARF-numbered registers from user_regs_struct fields by name (e.g. a core file's NT_PRSTATUS). */
export function dwarfRegsFromUserRegRecord(rec: Partial<Record<UserRegName, bigint>>): Map<number, bigint> {
  const regs = new Map<number, bigint>();
  for (const name of USER_REGS_FIELDS) {
    const d = USER_TO_DWARF[name];
    const v = rec[name];
    if (d !== undefined && v !== undefined) regs.set(d, v);
  }
  return regs;
}

/** Target memory as seen by the unwinder. */
export interface UnwindMemory {
  /** Reads `len` bytes at `addr`; undefined when (part of) the range is unreadable. */
  read(addr: number, len: number): Buffer | undefined;
}

/** A loaded object (executable, shared library, vDSO) with its CFI. */
export interface UnwindModule {
  path: string;
  /** Runtime address minus link-time address. */
  loadBias: number;
  /** Runtime extent of the object's mappings. */
  start: number;
  end: number;
  /** CFI of the object (link-time addresses), typically built lazily by a getter; undefined = none. */
  readonly cfi: CfiTable | undefined;
  /**
   * Start and end (link-time) of the function containing `pc`, from the symbol table, if known.
   * Used only where no CFI covers pc, for prologue analysis.
   */
  functionBounds?(pc: number): { start: number; end: number } | undefined;
}

/**
 * How a frame was recovered from the one below it: 'cfi' (DWARF CFI), 'frame-pointer' (rbp chain),
 * 'prologue' (stopped inside a push %rbp; mov %rsp,%rbp prologue), 'frameless' (no CFI, return
 * address at rsp), 'signal-trampoline' (rt_sigframe read at the recognised __restore_rt code).
 */
export type FrameHow = 'innermost' | 'cfi' | 'frame-pointer' | 'prologue' | 'frameless' | 'signal-trampoline';

export interface Frame {
  /** The frame's pc: the stop address for frame 0 and interrupted frames, else the return address. */
  pc: number;
  /** Canonical frame address (the caller's rsp before the call), when it could be computed. */
  cfa: number | undefined;
  /** DWARF registers known in this frame (rip = pc; caller-saved registers are unknown above frame 0). */
  regs: Map<number, bigint>;
  /** True for a signal trampoline frame (__restore_rt): the frame above it was interrupted, not calling. */
  isSignalFrame: boolean;
  /** How this frame was recovered from the one below it. */
  how: FrameHow;
  /** Module containing pc, if any. */
  module?: UnwindModule;
  /** The pc used to look up unwind info and symbols: pc - 1 for return addresses, else pc. */
  lookupPc: number;
}

export type StopReason =
  | 'outermost' // the return address is undefined in CFI (e.g. _start, thread start)
  | 'pc-zero'
  | 'max-frames'
  | 'until' // the caller's `until` option ended the unwind
  | 'unreadable-memory'
  | 'stack-not-increasing'
  | 'no-unwind-info'
  | 'no-pc'
  | 'bad-return-address';

export interface UnwindResult {
  frames: Frame[];
  stopReason: StopReason;
  /** Human-readable detail for the stop (e.g. the CFI error that forced a fallback). */
  detail?: string;
  /** Non-fatal problems met on the way (malformed CFI where the frame pointer took over...). */
  warnings: string[];
}

export interface UnwindOptions {
  maxFrames?: number;
  /** Disable the frame-pointer fallback (for testing CFI alone). */
  noFramePointer?: boolean;
  /** Disable use of CFI (forces the frame-pointer/trampoline paths; for testing). */
  noCfi?: boolean;
  /**
   * Called with the frames so far after each new frame; true ends the unwind there (stop reason
   * 'until'). The last frame's caller is then not computed (its `cfa` stays undefined).
   */
  until?: (frames: readonly Frame[]) => boolean;
}

const MAX_ADDR = 2 ** 47 * 512; // anything past 2^56 is certainly not a user address
const MAX_ADDR_BIG = BigInt(MAX_ADDR);

function toAddr(v: bigint | undefined): number | undefined {
  if (v === undefined || v < 0n || v >= MAX_ADDR_BIG) return undefined;
  return Number(v);
}

function readU64(mem: UnwindMemory, addr: number): bigint | undefined {
  if (!Number.isFinite(addr) || addr < 0) return undefined;
  const b = mem.read(addr, 8);
  if (!b || b.length < 8) return undefined;
  return b.readBigUInt64LE(0);
}

/**
 * Unwinds the stack of a thread whose registers (DWARF numbering, rip = 16, rsp = 7) are `regs`.
 * Returns the frames, innermost first.
 */
export function unwind(
  regs: Map<number, bigint>,
  mem: UnwindMemory,
  findModule: (pc: number) => UnwindModule | undefined,
  maxFrames = 256,
): Frame[] {
  return unwindDetailed(regs, mem, findModule, { maxFrames }).frames;
}

/** Like `unwind`, also saying why unwinding stopped. */
export function unwindDetailed(
  regs: Map<number, bigint>,
  mem: UnwindMemory,
  findModule: (pc: number) => UnwindModule | undefined,
  options: UnwindOptions = {},
): UnwindResult {
  const maxFrames = options.maxFrames ?? 256;
  const warnings: string[] = [];
  const frames: Frame[] = [];
  const pc0 = toAddr(regs.get(DwarfReg.rip));
  if (pc0 === undefined) return { frames, stopReason: 'no-pc', warnings };

  let cur: Frame = { pc: pc0, cfa: undefined, regs: new Map(regs), isSignalFrame: false, how: 'innermost', lookupPc: pc0 };
  for (;;) {
    const mod = findModule(cur.pc);
    cur.module = mod;
    frames.push(cur);
    if (frames.length >= maxFrames) return { frames, stopReason: 'max-frames', warnings };
    if (options.until?.(frames)) return { frames, stopReason: 'until', warnings };

    const step = unwindOne(cur, mem, mod, findModule, options, warnings);
    if ('stop' in step) return { frames, stopReason: step.stop, detail: step.detail, warnings };
    const next = step.next;
    const prevSp = toAddr(cur.regs.get(DwarfReg.rsp));
    const nextSp = toAddr(next.regs.get(DwarfReg.rsp));
    if (next.pc === 0) return { frames, stopReason: 'pc-zero', warnings };
    // The stack grows down: the caller's frame must be above the callee's. Frames above a signal
    // frame are exempt (the handler may have run on an alternate signal stack).
    if (!cur.isSignalFrame && prevSp !== undefined && nextSp !== undefined && nextSp <= prevSp) {
      return { frames, stopReason: 'stack-not-increasing', detail: `sp 0x${nextSp.toString(16)} <= 0x${prevSp.toString(16)}`, warnings };
    }
    if (next.pc === cur.pc && nextSp === prevSp) {
      return { frames, stopReason: 'stack-not-increasing', detail: 'unwinding loops on the same frame', warnings };
    }
    cur = next;
  }
}

type StepResult = { next: Frame } | { stop: StopReason; detail?: string };

/** Computes the caller of `frame` (and fills in `frame.cfa` / `frame.isSignalFrame`). */
function unwindOne(
  frame: Frame,
  mem: UnwindMemory,
  mod: UnwindModule | undefined,
  findModule: (pc: number) => UnwindModule | undefined,
  options: UnwindOptions,
  warnings: string[],
): StepResult {
  // 1. DWARF CFI.
  let row: UnwindRow | undefined;
  if (mod && mod.cfi && !options.noCfi) {
    try {
      row = mod.cfi.rowAt(frame.lookupPc - mod.loadBias);
    } catch (e) {
      if (!(e instanceof DwarfFormatError)) throw e;
      warnings.push(`${mod.path}: ${e.message}`);
    }
  }
  if (row) {
    const r = unwindWithCfi(frame, row, mem, mod!);
    if ('next' in r || r.stop === 'outermost') return r;
    warnings.push(`frame at pc 0x${frame.pc.toString(16)}: CFI unwinding failed (${r.detail ?? r.stop})`);
    if (options.noFramePointer) return r;
  }
  // 2. The signal trampoline, recognised by its code when it has no CFI.
  const tramp = sigtrampFrame(frame, mem);
  if (tramp) return tramp;
  if (options.noFramePointer) return { stop: 'no-unwind-info', detail: `no CFI covers pc 0x${frame.pc.toString(16)}` };
  // 3. Prologue analysis / the frame-pointer chain / a frameless frame.
  return unwindWithoutCfi(frame, mem, mod, findModule);
}

function exprContext(frame: Frame, mem: UnwindMemory): ExprContext {
  return {
    addressSize: 8,
    readRegister: (r) => frame.regs.get(r),
    readMemory: (addr, size) => {
      const a = toAddr(addr);
      return a === undefined ? undefined : mem.read(a, size);
    },
  };
}

function unwindWithCfi(frame: Frame, row: UnwindRow, mem: UnwindMemory, mod: UnwindModule): StepResult {
  const ctx = exprContext(frame, mem);
  const where = () => `${mod.path}: FDE at ${row.fde.section}+0x${row.fde.offset.toString(16)}`;
  frame.isSignalFrame = row.isSignalFrame;
  // CFA.
  let cfa: bigint;
  try {
    if (row.cfa.kind === 'reg-offset') {
      const base = frame.regs.get(row.cfa.reg);
      if (base === undefined) return { stop: 'no-unwind-info', detail: `${where()}: CFA register r${row.cfa.reg} is unknown` };
      cfa = (base + BigInt(row.cfa.offset)) & 0xffffffffffffffffn;
    } else {
      cfa = evaluateValue(row.cfa.expr, ctx, { what: `${where()}: DW_CFA_def_cfa_expression`, baseOffset: row.cfa.offset });
    }
  } catch (e) {
    if (e instanceof OptimizedOut || e instanceof DwarfExprError) return { stop: 'unreadable-memory', detail: e.message };
    throw e;
  }
  const cfaNum = toAddr(cfa);
  if (cfaNum === undefined) return { stop: 'unreadable-memory', detail: `${where()}: CFA 0x${cfa.toString(16)} is not an address` };
  frame.cfa = cfaNum;

  const ruleValue = (reg: number, rule: RegisterRule): bigint | undefined | 'unreadable' => {
    switch (rule.kind) {
      case 'undefined': return undefined;
      case 'same-value': return frame.regs.get(reg);
      case 'offset': return readU64(mem, cfaNum + rule.offset) ?? 'unreadable';
      case 'val-offset': return (cfa + BigInt(rule.offset)) & 0xffffffffffffffffn;
      case 'register': return frame.regs.get(rule.reg);
      case 'expression':
      case 'val-expression': {
        try {
          const v = evaluateValue(rule.expr, ctx, {
            initialStack: [cfa],
            what: `${where()}: rule for r${reg}`,
            baseOffset: rule.offset,
          });
          if (rule.kind === 'val-expression') return v;
          const a = toAddr(v);
          return a === undefined ? 'unreadable' : readU64(mem, a) ?? 'unreadable';
        } catch (e) {
          if (e instanceof OptimizedOut) return undefined;
          if (e instanceof DwarfExprError) return 'unreadable';
          throw e;
        }
      }
    }
  };

  // Return address first: undefined means this is the outermost frame.
  const raRule = row.regs.get(row.raReg);
  if (!raRule || raRule.kind === 'undefined') return { stop: 'outermost' };
  const ra = ruleValue(row.raReg, raRule);
  if (ra === 'unreadable') return { stop: 'unreadable-memory', detail: `${where()}: return address unreadable (CFA 0x${cfaNum.toString(16)})` };
  if (ra === undefined) return { stop: 'outermost' };

  const next = new Map<number, bigint>();
  for (const r of CALLEE_SAVED) {
    const v = frame.regs.get(r);
    if (v !== undefined) next.set(r, v);
  }
  for (const r of THREAD_REGS) {
    const v = frame.regs.get(r);
    if (v !== undefined) next.set(r, v);
  }
  next.set(DwarfReg.rsp, cfa);
  for (const [reg, rule] of row.regs) {
    if (reg === row.raReg) continue;
    const v = ruleValue(reg, rule);
    if (v === undefined || v === 'unreadable') next.delete(reg);
    else next.set(reg, v);
  }
  next.set(DwarfReg.rip, ra);
  const pc = toAddr(ra);
  if (pc === undefined) return { stop: 'bad-return-address', detail: `${where()}: return address 0x${ra.toString(16)}` };
  // A return address points after the call; the call itself (pc - 1) identifies the caller's
  // context. After a signal frame, pc is the exact interrupted instruction.
  return {
    next: { pc, cfa: undefined, regs: next, isSignalFrame: false, how: 'cfi', lookupPc: row.isSignalFrame ? pc : pc - 1 },
  };
}

// ---- signal trampoline ----------------------------------------------------------------------

/** `mov $0xf,%rax; syscall` (rt_sigreturn), the body of glibc's and musl's __restore_rt. */
const SIGTRAMP_CODE = Buffer.from([0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05]);

/** True when `pc` is at the start of the rt_sigreturn trampoline or at its syscall instruction. */
export function isSigtrampAt(mem: UnwindMemory, pc: number): boolean {
  const at = mem.read(pc, SIGTRAMP_CODE.length);
  if (at && at.equals(SIGTRAMP_CODE)) return true;
  if (pc >= 7) {
    const before = mem.read(pc - 7, SIGTRAMP_CODE.length);
    if (before && before.equals(SIGTRAMP_CODE)) return true;
  }
  return false;
}

/**
 * Offsets in the kernel's `struct rt_sigframe` as seen from rsp inside __restore_rt (the handler's
 * `ret` has popped `pretcode`): ucontext at rsp, uc_mcontext (struct sigcontext) at +40.
 */
export const SIGCONTEXT_OFFSET = 40;
/** struct sigcontext (x86-64) field order, 8 bytes each: DWARF register numbers. */
const SIGCONTEXT_REGS: number[] = [
  DwarfReg.r8, DwarfReg.r9, DwarfReg.r10, DwarfReg.r11, DwarfReg.r12, DwarfReg.r13, DwarfReg.r14, DwarfReg.r15,
  DwarfReg.rdi, DwarfReg.rsi, DwarfReg.rbp, DwarfReg.rbx, DwarfReg.rdx, DwarfReg.rax, DwarfReg.rcx, DwarfReg.rsp,
  DwarfReg.rip, DwarfReg.rflags,
];

function sigtrampFrame(frame: Frame, mem: UnwindMemory): StepResult | undefined {
  if (!isSigtrampAt(mem, frame.pc)) return undefined;
  const sp = toAddr(frame.regs.get(DwarfReg.rsp));
  if (sp === undefined) return undefined;
  const mc = mem.read(sp + SIGCONTEXT_OFFSET, SIGCONTEXT_REGS.length * 8);
  if (!mc) return { stop: 'unreadable-memory', detail: `signal frame at 0x${sp.toString(16)} unreadable` };
  frame.isSignalFrame = true;
  const next = new Map<number, bigint>();
  for (const r of THREAD_REGS) {
    const v = frame.regs.get(r);
    if (v !== undefined) next.set(r, v);
  }
  SIGCONTEXT_REGS.forEach((reg, i) => next.set(reg, mc.readBigUInt64LE(i * 8)));
  const pc = toAddr(next.get(DwarfReg.rip));
  if (pc === undefined) return { stop: 'bad-return-address', detail: 'interrupted pc in signal frame is not an address' };
  // Same convention as glibc's CFI for __restore_rt: the CFA is the interrupted rsp.
  frame.cfa = toAddr(next.get(DwarfReg.rsp));
  return { next: { pc, cfa: undefined, regs: next, isSignalFrame: false, how: 'signal-trampoline', lookupPc: pc } };
}

// ---- fallback without CFI: prologue analysis, frame pointer, frameless ---------------------

/**
 * True when the bytes before `ra` end with a call instruction, as they must for a real return
 * address: call rel32 (e8), call *disp32(%rip) (ff 15), and the register/memory forms of ff /2
 * with optional REX prefix and 0/1/4-byte displacements.
 */
export function looksLikeReturnAddress(mem: UnwindMemory, ra: number): boolean {
  if (ra < 8) return false;
  const b = mem.read(ra - 7, 7);
  if (!b) return false;
  const at = (back: number) => b[7 - back];
  if (at(5) === 0xe8) return true; // call rel32
  // ff /2 with modrm at `ra - len + 1` (after an optional REX 0x40-0x4f before the ff).
  const isCallModrm = (back: number, dispLen: number, withSib: boolean): boolean => {
    // back = bytes from the opcode 0xff to ra.
    if (at(back) !== 0xff) return false;
    const modrm = at(back - 1);
    if ((modrm & 0x38) !== 0x10) return false;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    const hasSib = mod !== 3 && rm === 4;
    if (hasSib !== withSib) return false;
    if (mod === 3) return dispLen === 0;
    if (mod === 0) return rm === 5 ? dispLen === 4 : dispLen === 0;
    if (mod === 1) return dispLen === 1;
    return dispLen === 4;
  };
  for (const dispLen of [0, 1, 4]) {
    for (const sib of [false, true]) {
      const len = 2 + (sib ? 1 : 0) + dispLen;
      if (isCallModrm(len, dispLen, sib)) return true;
      if (len + 1 <= 7 && at(len + 1) >= 0x40 && at(len + 1) <= 0x4f && isCallModrm(len, dispLen, sib)) return true;
    }
  }
  return false;
}

interface PrologueInfo {
  /** Address of `push %rbp`, if the function starts with one (after an optional endbr64). */
  pushAt?: number;
  /** Address just after `mov %rsp,%rbp`, if present. */
  movEnd?: number;
}

/** Recognises the classic `[endbr64] push %rbp; mov %rsp,%rbp` prologue at a function start. */
function analyzePrologue(mem: UnwindMemory, start: number): PrologueInfo {
  const code = mem.read(start, 12);
  if (!code) return {};
  let i = 0;
  if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) i = 4; // endbr64
  if (code[i] !== 0x55) return {};
  const pushAt = start + i;
  i += 1;
  // mov %rsp,%rbp: 48 89 e5 or 48 8b ec
  if ((code[i] === 0x48 && code[i + 1] === 0x89 && code[i + 2] === 0xe5) || (code[i] === 0x48 && code[i + 1] === 0x8b && code[i + 2] === 0xec)) {
    return { pushAt, movEnd: start + i + 3 };
  }
  return { pushAt };
}

function callerFrom(
  frame: Frame,
  cfa: number,
  raAddr: number,
  savedRbpAddr: number | undefined,
  how: FrameHow,
  mem: UnwindMemory,
): StepResult {
  const ra = readU64(mem, raAddr);
  if (ra === undefined) return { stop: 'unreadable-memory', detail: `return address at 0x${raAddr.toString(16)} unreadable` };
  const pc = toAddr(ra);
  if (pc === undefined) return { stop: 'bad-return-address', detail: `return address 0x${ra.toString(16)}` };
  if (pc === 0) return { stop: 'pc-zero' };
  const next = new Map<number, bigint>();
  for (const r of THREAD_REGS) {
    const v = frame.regs.get(r);
    if (v !== undefined) next.set(r, v);
  }
  if (savedRbpAddr !== undefined) {
    const rbp = readU64(mem, savedRbpAddr);
    if (rbp === undefined) return { stop: 'unreadable-memory', detail: `saved rbp at 0x${savedRbpAddr.toString(16)} unreadable` };
    next.set(DwarfReg.rbp, rbp);
  } else {
    // rbp was not touched by a frameless function, nor the other callee-saved registers we know.
    for (const r of CALLEE_SAVED) {
      const v = frame.regs.get(r);
      if (v !== undefined) next.set(r, v);
    }
  }
  frame.cfa = cfa;
  next.set(DwarfReg.rsp, BigInt(cfa));
  next.set(DwarfReg.rip, ra);
  return { next: { pc, cfa: undefined, regs: next, isSignalFrame: false, how, lookupPc: pc - 1 } };
}

/**
 * Unwinds a frame no CFI covers, like gdb's amd64 prologue analyser: with the function's start
 * known, a `push %rbp; mov %rsp,%rbp` prologue tells whether rbp is the frame pointer yet (else
 * the function is taken to be frameless); without it, the rbp chain is tried, then a frameless
 * frame, each only if the return address found is preceded by a call instruction.
 */
function unwindWithoutCfi(
  frame: Frame,
  mem: UnwindMemory,
  mod: UnwindModule | undefined,
  findModule: (pc: number) => UnwindModule | undefined,
): StepResult {
  const sp = toAddr(frame.regs.get(DwarfReg.rsp));
  const rbp = toAddr(frame.regs.get(DwarfReg.rbp));
  if (sp === undefined) return { stop: 'no-unwind-info', detail: 'rsp unknown' };
  const exact = frame.lookupPc === frame.pc; // innermost or interrupted: pc is the next instruction to run
  const bounds = mod?.functionBounds?.(frame.lookupPc - mod.loadBias);
  const plausible = (raAddr: number): boolean => {
    const ra = readU64(mem, raAddr);
    const pc = toAddr(ra);
    return pc !== undefined && pc !== 0 && findModule(pc) !== undefined && looksLikeReturnAddress(mem, pc);
  };
  const viaRbp = (): StepResult => callerFrom(frame, rbp! + 16, rbp! + 8, rbp!, 'frame-pointer', mem);

  if (bounds && mod) {
    const start = bounds.start + mod.loadBias;
    const p = analyzePrologue(mem, start);
    if (p.pushAt !== undefined) {
      // Only the innermost/interrupted frame can be stopped inside its own prologue.
      if (exact && frame.pc <= p.pushAt) return callerFrom(frame, sp + 8, sp, undefined, 'prologue', mem);
      if (exact && p.movEnd !== undefined && frame.pc < p.movEnd) return callerFrom(frame, sp + 16, sp + 8, sp, 'prologue', mem);
      if (rbp !== undefined && rbp !== 0 && rbp >= sp) return viaRbp();
      return { stop: 'no-unwind-info', detail: `rbp 0x${(rbp ?? 0).toString(16)} is not a frame pointer at pc 0x${frame.pc.toString(16)}` };
    }
    // A function without a frame-pointer prologue: frameless, return address at rsp.
    if (exact || plausible(sp)) return callerFrom(frame, sp + 8, sp, undefined, 'frameless', mem);
  }
  // _start clears rbp to mark the outermost frame.
  if (rbp === 0) return { stop: 'outermost', detail: 'rbp is 0 (outermost frame by ABI convention)' };
  if (rbp !== undefined && rbp >= sp && rbp % 8 === 0 && plausible(rbp + 8)) return viaRbp();
  if (plausible(sp)) return callerFrom(frame, sp + 8, sp, undefined, 'frameless', mem);
  return { stop: 'no-unwind-info', detail: `no CFI covers pc 0x${frame.pc.toString(16)} and no frame pointer or return address was found` };
}

// ---- modules --------------------------------------------------------------------------------

/** One file-backed mapping of the target (from /proc/PID/maps or a core file's NT_FILE note). */
export interface MappedFile {
  start: number;
  end: number;
  /** Offset in the file of the mapping's first byte. */
  fileOffset: number;
  path: string;
}

/** The parts of an ELF file the unwinder needs (structurally matches ElfFile from ./elf). */
export interface ElfLike {
  sections: ReadonlyArray<{ name: string; type: number; addr: number; offset: number; size: number }>;
  segments: ReadonlyArray<{ type: number; offset: number; vaddr: number; filesz: number; memsz: number }>;
  sectionData(name: string): Buffer | undefined;
  /** Symbol lookup (ElfFile.symbolAt); used for function bounds where CFI is missing. */
  symbolAt?(addr: number): { value: number; size: number; type: string } | undefined;
}

const SHT_NOBITS = 8;
const PT_LOAD = 1;

function sectionOf(elf: ElfLike, name: string): CfiSection | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.type === SHT_NOBITS) return undefined;
  const data = elf.sectionData(name);
  return data ? { data, addr: s.addr } : undefined;
}

/** Builds the CFI table of an ELF object from its .eh_frame, .eh_frame_hdr and .debug_frame. */
export function cfiFromElf(elf: ElfLike, name = 'object'): CfiTable {
  const got = elf.sections.find((s) => s.name === '.got.plt') ?? elf.sections.find((s) => s.name === '.got');
  const text = elf.sections.find((s) => s.name === '.text');
  return new CfiTable({
    name,
    ehFrame: sectionOf(elf, '.eh_frame'),
    ehFrameHdr: sectionOf(elf, '.eh_frame_hdr'),
    debugFrame: sectionOf(elf, '.debug_frame'),
    textAddr: text?.addr,
    dataAddr: got?.addr,
    // No readPointer: DW_EH_PE_indirect slots (personality routines) hold values the dynamic
    // linker relocates, so the file's bytes are not the answer; the slot address is kept instead.
  });
}

/**
 * Load bias of an ELF object from one of its mappings: the PT_LOAD segment whose file offset
 * (page-aligned) is the mapping's offset gives the link-time address of the mapping's start.
 */
export function loadBiasFor(elf: ElfLike, mapping: MappedFile, pageSize = 4096): number | undefined {
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD) continue;
    const segOff = seg.offset - (seg.offset % pageSize);
    if (segOff !== mapping.fileOffset) continue;
    const segVaddr = seg.vaddr - (seg.vaddr % pageSize);
    return mapping.start - segVaddr;
  }
  return undefined;
}

/**
 * A module table built from file mappings: groups mappings by path, computes load biases from
 * program headers, and builds each module's CFI lazily on first use.
 */
export class ModuleMap {
  readonly modules: UnwindModule[] = [];

  constructor(mappings: MappedFile[], open: (path: string) => ElfLike | undefined) {
    const byPath = new Map<string, MappedFile[]>();
    for (const m of mappings) {
      if (!m.path || m.path.startsWith('[')) continue;
      let list = byPath.get(m.path);
      if (!list) byPath.set(m.path, (list = []));
      list.push(m);
    }
    for (const [path, maps] of byPath) {
      let elf: ElfLike | undefined;
      try {
        elf = open(path);
      } catch {
        elf = undefined;
      }
      if (!elf) continue;
      let bias: number | undefined;
      for (const m of maps) {
        bias = loadBiasFor(elf, m);
        if (bias !== undefined) break;
      }
      if (bias === undefined) continue;
      this.add(path, elf, bias, Math.min(...maps.map((m) => m.start)), Math.max(...maps.map((m) => m.end)));
    }
    this.modules.sort((a, b) => a.start - b.start);
  }

  /** Adds an object loaded at `loadBias` (e.g. the vDSO read from memory). */
  add(path: string, elf: ElfLike, loadBias: number, start: number, end: number): UnwindModule {
    let table: CfiTable | undefined;
    const mod: UnwindModule = {
      path, loadBias, start, end,
      get cfi() {
        if (!table) table = cfiFromElf(elf, path);
        return table;
      },
      functionBounds(pc: number) {
        const sym = elf.symbolAt?.(pc);
        // Only a symbol that really covers pc (a stripped object's nearest symbol could be far off).
        if (!sym || (sym.type !== 'FUNC' && sym.type !== 'IFUNC') || sym.size === 0) return undefined;
        if (pc < sym.value || pc >= sym.value + sym.size) return undefined;
        return { start: sym.value, end: sym.value + sym.size };
      },
    };
    this.modules.push(mod);
    this.modules.sort((a, b) => a.start - b.start);
    return mod;
  }

  find(pc: number): UnwindModule | undefined {
    for (const m of this.modules) if (pc >= m.start && pc < m.end) return m;
    return undefined;
  }
}
