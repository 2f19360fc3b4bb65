// Counting arrivals at code addresses during a replay, fast: inside the program.
//
// A trap costs ~20-40 us here, so counting millions of loop iterations by stopping at each one takes
// minutes. Instead each counted address b ("point") is patched with `jmp trampoline_b`; the trampoline
// (in a page mapped by an injected mmap) bumps b's counters in that page, optionally only when a
// register equals a value (a frame filter: rsp or rbp, so that only arrivals in one frame count),
// records a global sequence number (so the LAST arrival among all points is known), traps (int3) only
// when a counter reaches a target, then runs the original instructions (relocated by iced-x86's
// BlockEncoder, which fixes RIP-relative operands and branches) and jumps back. A point whose code
// cannot be patched safely (an instruction too short next to a branch target, an indirect call...)
// falls back to an int3 breakpoint counted by the debugger, one stop per arrival.
//
// Arrival semantics: arriving at b = the program counter becomes b, before b executes. The position a
// replay starts from is not an arrival. When a target is reached the process is left exactly at that
// arrival (pc = b, registers as the program had them) with the patches removed.
import { BlockEncoder, BlockEncoderOptions, Code, Decoder, DecoderOptions, FlowControl, Instruction } from 'iced-x86';
import * as fs from 'fs';
import { Inferior, StopEvent } from '../../target';

export interface CountPoint {
  addr: number;
  /** Count an arrival as a "match" only when this register has this value (a frame filter). */
  filter?: { reg: 'rsp' | 'rbp'; value: number };
  /** Counted by the debugger (an int3 stop per arrival), so that each arrival can be looked at. */
  trap?: boolean;
  /**
   * A state filter: an arrival matches only when every general register has this value (STATE_REGS
   * order; with `filter` too, both must hold). Finds a moment known by its registers (a checkpoint
   * taken where a run was interrupted) without a stop per arrival. An undefined slot matches any value.
   */
  state?: (bigint | undefined)[];
}

/** The registers of a state filter, in order (x86-64 register numbers for the encoding). */
export const STATE_REGS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

export interface PointCounters {
  /** Every arrival. */
  all: number;
  /** Arrivals where the filter held (= all without a filter). */
  match: number;
  /** Sequence number of the last matching arrival (0: none). Comparable across points. */
  lastSeq: number;
  /** `all` at the last matching arrival. */
  lastAll: number;
}

export type CountResult =
  | { kind: 'target'; point: number; watch?: StopEvent }
  /** `watch`: a debug-register watch fired during the step (the tracer reads DR6 after a step). */
  | { kind: 'step'; watch?: StopEvent }
  | { kind: 'event'; ev: StopEvent };

const PAGE = 4096;
const DATA_BASE = 64;
const DATA_SIZE = 64 + 8 * 16;
const CODE_SLOT = 512;
const F = { all: 0, match: 8, lastSeq: 16, lastAll: 24, tgtAll: 32, tgtMatch: 40, filt: 48, state: 64 } as const;

interface Tramp {
  page: number;
  data: number;
  code: number;
  /** Addresses of the int3s: target on all, target on match. */
  trapAll: number;
  trapMatch: number;
  window: number;
  original: Buffer;
  patch: Buffer;
}

interface PointState {
  p: CountPoint;
  tramp?: Tramp;
  /** Counted by the debugger (int3 breakpoint) or while single-stepping: kept here. */
  js: PointCounters;
  tgtAll: number;
  tgtMatch: number;
}

/** Direct branch and call targets in a stretch of machine code (linear sweep). */
export function branchTargets(code: Buffer, start: number): Set<number> {
  const out = new Set<number>();
  const d = new Decoder(64, code, DecoderOptions.None);
  d.ip = BigInt(start);
  while (d.canDecode) {
    const i = d.decode();
    const fc = i.flowControl;
    if (fc === FlowControl.ConditionalBranch || fc === FlowControl.UnconditionalBranch || fc === FlowControl.Call) {
      const t = Number(i.nearBranchTarget);
      if (t) out.add(t);
    }
    i.free();
  }
  d.free();
  return out;
}

/** A tiny emitter for the fixed trampoline template (RIP-relative fixups to absolute addresses). */
class Asm {
  readonly bytes: number[] = [];
  constructor(readonly base: number) {}
  get here(): number {
    return this.base + this.bytes.length;
  }
  raw(...b: number[]): void {
    this.bytes.push(...b);
  }
  /** opcode bytes followed by a rip-relative disp32 to absolute address `target`. */
  ripRel(op: number[], target: number): void {
    this.bytes.push(...op);
    const end = this.here + 4;
    this.d32(target - end);
  }
  d32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v, 0);
    this.bytes.push(...b);
  }
  /** jne rel32 with a fixup resolved by `label`. */
  jne(): number {
    this.bytes.push(0x0f, 0x85, 0, 0, 0, 0);
    return this.bytes.length;
  }
  label(fix: number): void {
    const rel = this.bytes.length - fix;
    Buffer.from(this.bytes.slice(fix - 4, fix));
    const b = Buffer.alloc(4);
    b.writeInt32LE(rel, 0);
    for (let k = 0; k < 4; k++) this.bytes[fix - 4 + k] = b[k];
  }
}

const INC = [0x48, 0xff, 0x05];
const MOV_RAX_M = [0x48, 0x8b, 0x05];
const MOV_M_RAX = [0x48, 0x89, 0x05];
const CMP_RAX_M = [0x48, 0x3b, 0x05];

/**
 * Whether a counting trampoline can be patched in at addr (else arrivals there are counted by an int3: a
 * stop per arrival). `code`: the bytes from addr (32 are enough).
 */
export function patchable(code: Buffer, addr: number, forbidden: Set<number>): boolean {
  const w = planWindow(code, addr, forbidden);
  if (typeof w === 'string') return false;
  for (const i of w.insns) i.free();
  return true;
}

/** Whether the instruction at the start of `code` only computes (no system call, trap or interrupt): safe to single-step ahead. */
export function plainInstruction(code: Buffer, addr: number): boolean {
  const d = new Decoder(64, code, DecoderOptions.None);
  d.ip = BigInt(addr);
  try {
    if (!d.canDecode) return false;
    const i = d.decode();
    const fc = i.flowControl;
    const ok = i.code !== Code.INVALID && i.code !== Code.Syscall && fc !== FlowControl.Interrupt && fc !== FlowControl.Exception && fc !== FlowControl.XbeginXabortXend && !i.hasRepPrefix && !i.hasRepePrefix && !i.hasRepnePrefix;
    i.free();
    return ok;
  } finally {
    d.free();
  }
}

/** Why a point cannot be patched, or its instructions and window length. */
function planWindow(code: Buffer, addr: number, forbidden: Set<number>): { insns: Instruction[]; len: number } | string {
  const d = new Decoder(64, code, DecoderOptions.None);
  d.ip = BigInt(addr);
  const insns: Instruction[] = [];
  let len = 0;
  try {
    while (len < 5) {
      if (!d.canDecode) return 'code ends';
      const i = d.decode();
      if (i.code === Code.INVALID) return 'invalid instruction';
      insns.push(i);
      len += i.length;
      const fc = i.flowControl;
      const last = len >= 5;
      if (fc === FlowControl.IndirectBranch || fc === FlowControl.IndirectCall || fc === FlowControl.Interrupt || fc === FlowControl.Exception || fc === FlowControl.XbeginXabortXend) {
        return 'control transfer that cannot move';
      }
      if (i.code === Code.Syscall) return 'system call';
      if (fc === FlowControl.Call && (!last || i.code !== Code.Call_rel32_64)) return 'call inside the window';
      if ((fc === FlowControl.UnconditionalBranch || fc === FlowControl.Return) && !last) return 'jump inside the window';
    }
    for (let a = addr + 1; a < addr + len; a++) if (forbidden.has(a)) return `branch target 0x${a.toString(16)} inside the window`;
    return { insns, len };
  } finally {
    d.free();
  }
}

function mapsOf(pid: number): { lo: number; hi: number; name: string }[] {
  return fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const parts = l.trim().split(/\s+/);
      const [lo, hi] = parts[0].split('-').map((x) => parseInt(x, 16));
      return { lo, hi, name: parts[5] ?? '' };
    });
}

const TWO_GB = 0x7fff0000;

/** A free, page-aligned address for `size` bytes within +-2 GiB of [lo, hi]. */
function pickPage(pid: number, lo: number, hi: number, size: number): number | undefined {
  const maps = mapsOf(pid);
  const stack = maps.find((m) => m.name === '[stack]');
  const exe = maps[0];
  const cands: number[] = [];
  if (stack) cands.push(stack.lo - 64 * 1024 * 1024);
  cands.push(lo - 16 * 1024 * 1024, lo - 4 * 1024 * 1024, lo - 1024 * 1024, hi + 256 * 1024 * 1024);
  if (exe) cands.push(exe.lo - 8 * 1024 * 1024);
  for (const c0 of cands) {
    const c = c0 - (c0 % PAGE);
    if (c < 0x100000) continue;
    if (Math.abs(c - lo) > TWO_GB - size || Math.abs(c + size - hi) > TWO_GB - size) continue;
    if (maps.some((m) => m.lo < c + size && c < m.hi)) continue;
    return c;
  }
  return undefined;
}

const SYS = { mmap: 9, munmap: 11 } as const;

export class CountingRun {
  private readonly st: PointState[];
  private pages: { addr: number; size: number }[] = [];
  private installed = false;
  private jsSeq = 0;
  private seqAddrs: number[] = [];
  /** Trap-based points: address -> indexes. */
  private readonly trapAt = new Map<number, number[]>();
  private insertedBps = new Set<number>();

  private constructor(
    readonly inf: Inferior,
    points: CountPoint[],
  ) {
    this.st = points.map((p) => ({ p, js: { all: 0, match: 0, lastSeq: 0, lastAll: 0 }, tgtAll: 0, tgtMatch: 0 }));
  }

  /** Watched ranges (a search for writes): compared around the single steps cont() makes itself. */
  watchRanges: { addr: number; size: number }[] | undefined;

  private watchSnapshot(): Buffer[] | undefined {
    if (!this.watchRanges) return undefined;
    try {
      return this.watchRanges.map((r) => this.inf.readMemorySync(r.addr, r.size));
    } catch {
      return undefined;
    }
  }

  /** Points that are counted inside the program (the others trap). */
  get trampolined(): number {
    return this.st.filter((s) => s.tramp).length;
  }

  /**
   * Prepares counting in a stopped, single-threaded process. forbidden: addresses that other code may
   * jump to (no patch window may cover one, except at its start). noTrampolines: trap everything.
   */
  static async create(inf: Inferior, points: CountPoint[], forbidden: Set<number>, opts: { noTrampolines?: boolean } = {}): Promise<CountingRun> {
    const run = new CountingRun(inf, points);
    await run.plan(forbidden, !!opts.noTrampolines);
    return run;
  }

  private async plan(forbidden: Set<number>, noTramp: boolean): Promise<void> {
    // Windows must not overlap each other: every point's address is forbidden inside another's window.
    const all = new Set(forbidden);
    for (const s of this.st) all.add(s.p.addr);
    const plans = new Map<number, { insns: Instruction[]; len: number }>();
    const seen = new Set<number>();
    if (!noTramp) {
      for (const s of this.st) {
        if (seen.has(s.p.addr)) continue;
        seen.add(s.p.addr);
        if (this.st.some((x) => x.p.addr === s.p.addr && x.p.trap)) continue;
        let code: Buffer;
        try {
          code = this.inf.readMemorySync(s.p.addr, 32);
        } catch {
          continue;
        }
        const w = planWindow(code, s.p.addr, all);
        if (typeof w !== 'string') plans.set(s.p.addr, w);
      }
    }
    // Pages, by region (+-2 GiB reach of rel32).
    const addrs = [...plans.keys()].sort((a, b) => a - b);
    const groups: number[][] = [];
    for (const a of addrs) {
      const g = groups[groups.length - 1];
      if (g && a - g[0] < 1024 * 1024 * 1024) g.push(a);
      else groups.push([a]);
    }
    for (const g of groups) {
      const idx = this.st.map((s, i) => (g.includes(s.p.addr) ? i : -1)).filter((i) => i >= 0);
      const size = Math.ceil((DATA_BASE + idx.length * DATA_SIZE + idx.length * CODE_SLOT) / PAGE) * PAGE;
      const hint = pickPage(this.inf.pid, g[0], g[g.length - 1], size);
      if (hint === undefined) continue;
      // MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, RWX.
      const r = await this.inf.injectSyscall(SYS.mmap, [hint, size, 7, 0x22 | 0x100000, -1, 0]);
      if (r !== BigInt(hint)) {
        if (r > 0n) await this.inf.injectSyscall(SYS.munmap, [r, size]);
        continue;
      }
      this.pages.push({ addr: hint, size });
      this.seqAddrs.push(hint);
      const codeBase = hint + Math.ceil((DATA_BASE + idx.length * DATA_SIZE) / 64) * 64;
      idx.forEach((i, k) => {
        const s = this.st[i];
        const plan = plans.get(s.p.addr)!;
        const data = hint + DATA_BASE + k * DATA_SIZE;
        const t = this.build(s, plan, hint, data, codeBase + k * CODE_SLOT);
        if (t) s.tramp = t;
      });
    }
    for (const p of plans.values()) for (const i of p.insns) i.free();
    // The rest trap.
    this.st.forEach((s, i) => {
      if (s.tramp) return;
      const l = this.trapAt.get(s.p.addr) ?? [];
      l.push(i);
      this.trapAt.set(s.p.addr, l);
    });
  }

  private build(s: PointState, plan: { insns: Instruction[]; len: number }, seq: number, data: number, code: number): Tramp | undefined {
    const a = new Asm(code);
    a.raw(0x48, 0x8d, 0x64, 0x24, 0x80); // lea rsp,[rsp-0x80]  (the red zone)
    a.raw(0x9c, 0x50); // pushfq; push rax
    a.ripRel(INC, data + F.all);
    a.ripRel(MOV_RAX_M, data + F.all);
    a.ripRel(CMP_RAX_M, data + F.tgtAll);
    const j1 = a.jne();
    const trapAll = a.here;
    a.raw(0xcc);
    a.label(j1);
    const jOuts: number[] = [];
    if (s.p.filter) {
      a.ripRel(MOV_RAX_M, data + F.filt);
      a.raw(0x48, 0x39, s.p.filter.reg === 'rbp' ? 0xe8 : 0xe0); // cmp rax, rbp|rsp
      jOuts.push(a.jne());
    }
    if (s.p.state) {
      // rax as the program had it (saved on the stack), then every other register against its value
      // (rsp's is stored minus the 0x90 this code moved it by).
      a.raw(0x48, 0x8b, 0x04, 0x24); // mov rax, [rsp]
      STATE_REGS.forEach((_, r) => {
        if (s.p.state![r] === undefined) return; // any value
        a.ripRel([0x48 | (r >= 8 ? 4 : 0), 0x3b, ((r & 7) << 3) | 5], data + F.state + 8 * r); // cmp r64, [rip+disp]
        jOuts.push(a.jne());
      });
    }
    a.ripRel(INC, data + F.match);
    a.ripRel(INC, seq);
    a.ripRel(MOV_RAX_M, seq);
    a.ripRel(MOV_M_RAX, data + F.lastSeq);
    a.ripRel(MOV_RAX_M, data + F.all);
    a.ripRel(MOV_M_RAX, data + F.lastAll);
    a.ripRel(MOV_RAX_M, data + F.match);
    a.ripRel(CMP_RAX_M, data + F.tgtMatch);
    const j2 = a.jne();
    const trapMatch = a.here;
    a.raw(0xcc);
    a.label(j2);
    for (const j of jOuts) a.label(j);
    a.raw(0x58, 0x9d); // pop rax; popfq
    a.raw(0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00); // lea rsp,[rsp+0x80]
    // The original instructions, moved; then back after the window.
    const relocAt = a.here;
    const be = new BlockEncoder(64, BlockEncoderOptions.None);
    const last = plan.insns[plan.insns.length - 1];
    let tail: number[] = [];
    for (const i of plan.insns) {
      if (i === last && i.code === Code.Call_rel32_64) {
        // call T from the window: push the ORIGINAL return address, then jump to T.
        const ret = BigInt(s.p.addr + plan.len);
        const target = i.nearBranchTarget;
        const pre = [0x48, 0x8d, 0x64, 0x24, 0xf8, 0x50, 0x48, 0xb8]; // lea rsp,[rsp-8]; push rax; mov rax, imm64
        const imm = Buffer.alloc(8);
        imm.writeBigUInt64LE(ret, 0);
        const post = [0x48, 0x89, 0x44, 0x24, 0x08, 0x58]; // mov [rsp+8],rax; pop rax
        tail = [...pre, ...imm, ...post];
        for (let o = 0; o < tail.length; o += 16) be.add(Instruction.createDeclareByte(Uint8Array.from(tail.slice(o, o + 16))));
        be.add(Instruction.createBranch(Code.Jmp_rel32_64, target));
        tail = [];
      } else {
        be.add(i);
      }
    }
    if (!(last.code === Code.Call_rel32_64) && last.flowControl !== FlowControl.UnconditionalBranch && last.flowControl !== FlowControl.Return) {
      be.add(Instruction.createBranch(Code.Jmp_rel32_64, BigInt(s.p.addr + plan.len)));
    }
    let moved: Uint8Array;
    try {
      moved = be.encode(BigInt(relocAt));
    } catch {
      return undefined;
    } finally {
      be.free();
    }
    const bytes = Buffer.concat([Buffer.from(a.bytes), Buffer.from(moved)]);
    if (bytes.length > CODE_SLOT) return undefined;
    this.inf.writeMemorySync(code, bytes);
    const zero = Buffer.alloc(DATA_SIZE);
    if (s.p.filter) zero.writeBigUInt64LE(BigInt.asUintN(64, BigInt(s.p.filter.value - (s.p.filter.reg === 'rsp' ? 0x90 : 0))), F.filt);
    s.p.state?.forEach((v, r) => {
      if (v !== undefined) zero.writeBigUInt64LE(BigInt.asUintN(64, STATE_REGS[r] === 'rsp' ? v - 0x90n : v), F.state + 8 * r);
    });
    this.inf.writeMemorySync(data, zero);
    const original = this.inf.readMemorySync(s.p.addr, plan.len);
    const patch = Buffer.alloc(plan.len, 0xcc);
    patch[0] = 0xe9;
    patch.writeInt32LE(code - (s.p.addr + 5), 1);
    return { page: seq, data, code, trapAll, trapMatch, window: plan.len, original, patch };
  }

  /** Sets the target of point i: stop at its n-th arrival (all) or n-th matching arrival; 0 clears. */
  async setTarget(i: number, n: number, on: 'all' | 'match'): Promise<void> {
    const s = this.st[i];
    if (on === 'all') s.tgtAll = n;
    else s.tgtMatch = n;
    if (s.tramp) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n), 0);
      this.inf.writeMemorySync(s.tramp.data + (on === 'all' ? F.tgtAll : F.tgtMatch), b);
    }
  }

  async clearTargets(): Promise<void> {
    for (let i = 0; i < this.st.length; i++) {
      if (this.st[i].tgtAll) await this.setTarget(i, 0, 'all');
      if (this.st[i].tgtMatch) await this.setTarget(i, 0, 'match');
    }
  }

  /** Counters of every point (inside-program and debugger-side counts added). */
  counters(): PointCounters[] {
    return this.st.map((s) => {
      if (!s.tramp) return { ...s.js };
      const b = this.inf.readMemorySync(s.tramp.data, 32);
      const c = {
        all: Number(b.readBigUInt64LE(F.all)) + s.js.all,
        match: Number(b.readBigUInt64LE(F.match)) + s.js.match,
        lastSeq: Number(b.readBigUInt64LE(F.lastSeq)),
        lastAll: Number(b.readBigUInt64LE(F.lastAll)),
      };
      if (s.js.lastSeq > c.lastSeq) {
        c.lastSeq = s.js.lastSeq;
        c.lastAll = s.js.lastAll;
      }
      return c;
    });
  }

  private nextSeq(): number {
    // One sequence for all: the pages' words hold it while the program runs.
    let v = this.jsSeq;
    for (const a of this.seqAddrs) v = Math.max(v, Number(this.inf.readMemorySync(a, 8).readBigUInt64LE(0)));
    v += 1;
    this.jsSeq = v;
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v), 0);
    for (const a of this.seqAddrs) this.inf.writeMemorySync(a, b);
    return v;
  }

  /** An arrival at `pc` seen by the debugger (a trap, or a single-step landing there). */
  private async arrive(pc: number, isTrapped: (i: number) => boolean): Promise<number | undefined> {
    let hit: number | undefined;
    let regs: { rsp: number; rbp: number } | undefined;
    for (let i = 0; i < this.st.length; i++) {
      const s = this.st[i];
      if (s.p.addr !== pc || !isTrapped(i)) continue;
      const allNow = this.totalAll(i) + 1;
      s.js.all++;
      if (s.tgtAll && allNow === s.tgtAll) hit ??= i;
      let match = true;
      if (s.p.filter) {
        if (!regs) {
          const r = await this.inf.getRegisters();
          regs = { rsp: r.sp, rbp: Number(r.get('rbp')) };
        }
        match = regs[s.p.filter.reg] === s.p.filter.value;
      }
      if (match && s.p.state) {
        const r = await this.inf.getRegisters();
        match = STATE_REGS.every((n, k) => s.p.state![k] === undefined || r.get(n) === BigInt.asUintN(64, s.p.state![k]!));
      }
      if (!match || hit !== undefined) continue;
      s.js.match++;
      s.js.lastSeq = this.nextSeq();
      s.js.lastAll = allNow;
      const m = this.totalMatch(i);
      if (s.tgtMatch && m === s.tgtMatch) hit = i;
    }
    return hit;
  }

  private totalAll(i: number): number {
    const s = this.st[i];
    if (!s.tramp) return s.js.all;
    return Number(this.inf.readMemorySync(s.tramp.data + F.all, 8).readBigUInt64LE(0)) + s.js.all;
  }

  private totalMatch(i: number): number {
    const s = this.st[i];
    if (!s.tramp) return s.js.match;
    return Number(this.inf.readMemorySync(s.tramp.data + F.match, 8).readBigUInt64LE(0)) + s.js.match;
  }

  private async install(): Promise<void> {
    if (!this.installed) {
      for (const s of this.st) if (s.tramp) await this.inf.writeMemory(s.p.addr, s.tramp.patch);
      this.installed = true;
    }
    for (const a of this.trapAt.keys()) {
      if (this.insertedBps.has(a)) continue;
      try {
        await this.inf.setBreakpoint(a, { hardware: false });
      } catch (e) {
        // Not mapped yet (a library the program loads later, e.g. a point named after its load): no
        // arrival there can happen before; inserted at a later cont, once it is.
        if (/Cannot access memory/.test((e as Error).message)) continue;
        throw e;
      }
      this.insertedBps.add(a);
    }
  }

  private async uninstallPatches(): Promise<void> {
    if (!this.installed) return;
    const done = new Set<number>();
    for (const s of this.st) {
      if (!s.tramp || done.has(s.p.addr)) continue;
      done.add(s.p.addr);
      await this.inf.writeMemory(s.p.addr, s.tramp.original);
    }
    this.installed = false;
  }

  /** The window of a trampolined point that contains pc (the patch cannot go in while pc is inside it). */
  private inWindow(pc: number): boolean {
    return this.st.some((s) => s.tramp && pc >= s.p.addr && pc < s.p.addr + s.tramp.window);
  }

  /**
   * Runs until a target is reached (the process is then at that arrival), or another stop (an
   * exit, a signal, a breakpoint of the caller's: `stopAt` tells which addresses are the caller's).
   */
  async cont(stopAt: Set<number> = new Set()): Promise<CountResult> {
    // Leave any patch window first, one instruction at a time (these steps count arrivals too).
    for (;;) {
      const regs = await this.inf.getRegisters();
      if (!this.inWindow(regs.pc)) break;
      const before = this.watchSnapshot();
      const r = await this.step();
      if (r.kind !== 'step') return r;
      // A single step hides a debug-register trap: a watched value it changed is a trigger.
      const after = this.watchSnapshot();
      if (before && after && after.some((b, i) => !b.equals(before[i]))) {
        const pc = (await this.inf.getRegisters()).pc;
        return { kind: 'event', ev: { kind: 'watchpoint', pid: this.inf.pid, tid: this.inf.pid, pc, dr6: 0xf, threads: [] } };
      }
    }
    await this.install();
    for (;;) {
      const ev = await this.inf.cont();
      if (ev.kind === 'signal' && ev.signo === 5) {
        const hit = this.trampolineTrap(ev.pc - 1);
        if (hit) {
          await this.rewind(hit.point);
          await this.uninstallPatches();
          return { kind: 'target', point: hit.point };
        }
      }
      if (ev.kind === 'breakpoint' && this.trapAt.has(ev.pc)) {
        const hit = await this.arrive(ev.pc, (i) => !this.st[i].tramp);
        if (hit !== undefined) {
          await this.uninstallPatches();
          return { kind: 'target', point: hit };
        }
        if (!stopAt.has(ev.pc)) continue;
      }
      await this.uninstallPatches();
      if (ev.kind === 'exited' || ev.kind === 'killed') this.installed = false;
      return { kind: 'event', ev };
    }
  }

  /**
   * The arrival at point i where a target stopped the run: counted as a matching arrival too (the
   * target trap comes before that bookkeeping), for when it is not the end of the search.
   */
  async recordArrival(i: number): Promise<void> {
    const s = this.st[i];
    if (s.p.filter) {
      const r = await this.inf.getRegisters();
      const v = s.p.filter.reg === 'rsp' ? r.sp : Number(r.get('rbp'));
      if (v !== s.p.filter.value) return;
    }
    s.js.match++;
    s.js.lastSeq = this.nextSeq();
    s.js.lastAll = this.totalAll(i);
  }

  /** One instruction, patches out; an arrival at a point is counted (unless count is false). */
  async step(count = true): Promise<CountResult> {
    await this.uninstallPatches();
    // One step through stepRange: the tracer reads DR6 after it when a watch slot is armed (a plain step
    // reports a watch that fired during it as an ordinary step).
    const ev = (await this.inf.stepRange(0, 0, { maxSteps: 1 })).event;
    // A watch that fired during the step still ends it at the next instruction (an arrival there).
    const watch = ev.kind === 'watchpoint' ? ev : undefined;
    if (ev.kind !== 'step' && ev.kind !== 'breakpoint' && !watch) return { kind: 'event', ev };
    if (!count) return { kind: 'step', watch };
    const hit = await this.arrive((ev as { pc: number }).pc, () => true);
    if (hit !== undefined) return { kind: 'target', point: hit, watch };
    return { kind: 'step', watch };
  }

  private trampolineTrap(pc: number): { point: number; on: 'all' | 'match' } | undefined {
    for (let i = 0; i < this.st.length; i++) {
      const t = this.st[i].tramp;
      if (!t) continue;
      if (t.trapAll === pc) return { point: i, on: 'all' };
      if (t.trapMatch === pc) return { point: i, on: 'match' };
    }
    return undefined;
  }

  /** Stopped on a trampoline's int3: put the program back exactly at its arrival at the point. */
  private async rewind(i: number): Promise<void> {
    const regs = await this.inf.getRegisters();
    const sp = regs.sp;
    const saved = this.inf.readMemorySync(sp, 16);
    regs.set('rax', saved.readBigUInt64LE(0));
    regs.set('eflags', saved.readBigUInt64LE(8));
    regs.set('rsp', BigInt(sp + 16 + 0x80));
    regs.pc = this.st[i].p.addr;
    await this.inf.setRegisters(regs);
  }

  /** Removes every trace of the counting from the process (patches, breakpoints, pages). */
  async dispose(): Promise<void> {
    if (this.inf.state === 'exited') return;
    await this.uninstallPatches();
    for (const a of this.insertedBps) await this.inf.removeBreakpoint(a).catch(() => undefined);
    this.insertedBps.clear();
    for (const p of this.pages) await this.inf.injectSyscall(SYS.munmap, [p.addr, p.size]);
    this.pages = [];
  }
}
