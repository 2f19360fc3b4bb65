// What gdb's `info frame` reports about a frame beyond its FrameInfo: the caller's and callee's frame
// addresses, the saved pc, the source language, gdb's frame base ("Arglist at", from amd64's prologue
// analysis, which gdb uses for it even when CFI unwinds the frame) and where the frame's caller saved
// its registers (the CFI rules of the frame's pc). Read-only; front-ends print it (the DAP console's
// `info frame`).
import type { Engine, FrameInfo } from './api';
import { EngineError } from './api';
import type { Session } from './session';
import { analyzeAmd64Prologue } from '../symbols';

export interface FrameDetails {
  frame: FrameInfo;
  /** The caller's frame (level + 1), when the stack goes on. */
  caller?: FrameInfo;
  /** The callee's frame (level - 1). */
  callee?: FrameInfo;
  /** gdb's "saved rip": the pc the frame returns to (the caller's pc). */
  savedPc?: number;
  /** gdb's language name: "c", "c++", "rust", "asm", ... (undefined: no debug information). */
  language?: string;
  /** gdb's frame base for "Arglist at" / "Locals at" (amd64_frame_base); undefined: unknown. */
  baseAddress?: number;
  /** Registers saved by this frame's function, with where, in gdb's register order. */
  savedRegisters: { name: string; address: number }[];
  /** A frame gdb infers for a tail call (no stack frame of its own). */
  tailcall: boolean;
  inlined: boolean;
}

/** DWARF register numbers -> gdb's amd64 names, in gdb's register order. */
const GDB_ORDER: [number, string][] = [
  [0, 'rax'], [3, 'rbx'], [2, 'rcx'], [1, 'rdx'], [4, 'rsi'], [5, 'rdi'], [6, 'rbp'], [7, 'rsp'],
  [8, 'r8'], [9, 'r9'], [10, 'r10'], [11, 'r11'], [12, 'r12'], [13, 'r13'], [14, 'r14'], [15, 'r15'], [16, 'rip'],
];

/** DW_LANG_* -> gdb's `show language` names. */
function languageName(lang: number | undefined): string | undefined {
  if (lang === undefined) return undefined;
  if ([0x1, 0x2, 0xc, 0x1d, 0x2c].includes(lang)) return 'c';
  if ([0x4, 0x19, 0x1a, 0x21, 0x2b].includes(lang)) return 'c++';
  if (lang === 0x1c) return 'rust';
  if (lang === 0x16) return 'go';
  if ([0x7, 0x8, 0xe, 0x22, 0x23].includes(lang)) return 'fortran';
  if (lang === 0x8001) return 'asm';
  return 'minimal';
}

export async function frameDetails(session: Session, frameId: number): Promise<FrameDetails> {
  const frame = session.frame(frameId);
  const entry = session.frameEntry(frameId);
  const ef = entry.ef;
  const st = await session.stackTrace(frame.threadId);
  const caller = st.frames.find((f) => f.level === frame.level + 1);
  const callee = frame.level > 0 ? st.frames.find((f) => f.level === frame.level - 1) : undefined;
  const out: FrameDetails = {
    frame,
    caller,
    callee,
    savedPc: caller?.pc,
    language: languageName(ef.fn?.unit.language),
    savedRegisters: [],
    tailcall: !!ef.tailcall,
    inlined: frame.inlined === true,
  };
  if (ef.tailcall || ef.inlined) return out;
  const mod = ef.module;
  const rsp = ef.regs.get(7);
  // gdb's amd64_frame_cache: past `push %rbp; mov %rsp,%rbp` the base is rbp, else rsp - 8 (+8 once
  // the push ran).
  if (mod && frame.functionStart !== undefined) {
    const start = frame.functionStart - mod.bias;
    const code = mod.obj.elf.bytesAt(start, 8);
    const p = code && code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa ? 4 : 0; // endbr64
    const pc = ef.pc - mod.bias;
    const pushed = !!code && code[p] === 0x55 && pc > start + p;
    const framed = analyzeAmd64Prologue(mod.obj.elf, start) > start && pc > start + p + 1;
    if (framed) out.baseAddress = ef.regs.has(6) ? Number(ef.regs.get(6)) : undefined;
    else if (rsp !== undefined) out.baseAddress = Number(rsp) - 8 + (pushed ? 8 : 0);
  }
  // Saved registers: the CFI rules of the frame's pc (offset(N) from the CFA).
  const row = mod?.obj.cfi?.rowAt(ef.lookupPc - mod.bias);
  if (row && ef.cfa !== undefined) {
    for (const [reg, name] of GDB_ORDER) {
      const rule = row.regs.get(reg === 16 ? row.raReg : reg);
      if (rule?.kind === 'offset') out.savedRegisters.push({ name, address: ef.cfa + rule.offset });
    }
  }
  // The saved pc past the stack's last frame (gdb shows it for main too: backtrace past-main is off).
  const ripAt = out.savedRegisters.find((r) => r.name === 'rip');
  if (out.savedPc === undefined && ripAt) {
    const m = await session.readMemory(ripAt.address, 8).catch(() => undefined);
    if (m && m.data.length === 8) out.savedPc = Number(m.data.readBigUInt64LE(0));
  }
  return out;
}

/** frameDetails for an Engine that is the Session (the only implementation); clear error otherwise. */
export async function frameDetailsOf(engine: Engine, frameId: number): Promise<FrameDetails> {
  const s = engine as Engine & Partial<Session>;
  if (typeof s.frameEntry !== 'function') throw new EngineError('Frame details are not available from this engine.', 'unsupported');
  return frameDetails(s as Session, frameId);
}
