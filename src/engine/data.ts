// The session's bridge to the value model and expression evaluator (src/engine/values, src/engine/expr):
// builds their FrameContext for each frame, hands out variable references (valid until the program
// resumes), and renders Values into the plain records of api.ts.

import type { Type } from '../symbols';
import { FpRegisters, GprName, XState } from '../ptrace/regs';
import { setVectorRegisterBytes, vectorRegisterBytes } from './registers';
import { EngineError, EvaluateOptions, EvaluateResult, FrameArgument, Scope, ScopeKind, ValueFormat, Variable, VariablesOptions } from './api';
import type { ReturnLocation } from './return-value';
import type { Session } from './session';
import { frameHasFloatVariables } from './values/variables';
import {
  args as argsOf,
  assign,
  children,
  childCount,
  evaluate as evalExpr,
  formatValue,
  globals as globalsOf,
  locals as localsOf,
  parseFormatSuffix,
  siginfoValue,
  EvalContext,
  FormatLetter,
  FrameContext,
  ModuleSymbols,
  TargetMemory,
  Value,
  ValueStore,
} from './values/api';
import { ptype as ptypeText, typeName } from '../symbols';
import { setFlagsFromString } from 'v8';

type Ref =
  | { kind: 'scope'; frameId: number; scope: ScopeKind }
  | { kind: 'value'; value: Value; expression: string; frameId?: number };

const DWARF_TO_GPR: Record<number, GprName> = {
  0: 'rax', 1: 'rdx', 2: 'rcx', 3: 'rbx', 4: 'rsi', 5: 'rdi', 6: 'rbp', 7: 'rsp', 8: 'r8', 9: 'r9', 10: 'r10',
  11: 'r11', 12: 'r12', 13: 'r13', 14: 'r14', 15: 'r15', 16: 'rip', 49: 'eflags', 50: 'es', 51: 'cs', 52: 'ss',
  53: 'ds', 54: 'fs', 55: 'gs', 58: 'fs_base', 59: 'gs_base',
};

const INT: Type = { kind: 'base', name: 'int', byteSize: 4, encoding: 'signed' };

/** A frame's FrameContext whose caller/callee contexts are computed on first use. */
class LazyFrameContext implements FrameContext {
  level: number;
  pc: number;
  lookupPc: number;
  regs: Map<number, bigint>;
  cfa?: number;
  module?: ModuleSymbols;
  inlineDepth?: number;
  memory: TargetMemory;
  regBytes?: (reg: number) => Buffer | undefined;
  setRegister?: (reg: number, value: bigint) => void;
  private callerCtx: FrameContext | null | undefined;
  private calleeCtx: FrameContext | null | undefined;

  constructor(
    f: { level: number; pc: number; lookupPc: number; regs: Map<number, bigint>; cfa?: number; module?: ModuleSymbols; inlineDepth: number; memory: TargetMemory },
    private readonly findCaller: () => FrameContext | undefined,
    private readonly findCallee: (() => FrameContext | undefined) | undefined,
  ) {
    this.level = f.level;
    this.pc = f.pc;
    this.lookupPc = f.lookupPc;
    this.regs = f.regs;
    this.cfa = f.cfa;
    this.module = f.module;
    this.inlineDepth = f.inlineDepth;
    this.memory = f.memory;
  }

  get caller(): FrameContext | undefined {
    if (this.callerCtx === undefined) this.callerCtx = this.findCaller() ?? null;
    return this.callerCtx ?? undefined;
  }

  get callee(): FrameContext | undefined {
    if (!this.findCallee) return undefined;
    if (this.calleeCtx === undefined) this.calleeCtx = this.findCallee() ?? null;
    return this.calleeCtx ?? undefined;
  }
}

export class DataBridge {
  readonly store = new ValueStore();
  private refs = new Map<number, Ref>();
  private nextRef = 1;
  private contexts = new Map<number, FrameContext>();
  /** Register writes requested by an evaluation (frame 0 of a thread), applied afterwards. */
  private pendingRegs: { tid: number; reg: number; value: bigint }[] = [];

  constructor(private readonly session: Session) {}

  /** Rendered Locals/Arguments of a frame at this stop (see variables). */
  private readonly scopeVars = new Map<string, Variable[]>();

  clear(): void {
    this.scopeVars.clear();
    this.refs.clear();
    this.contexts.clear();
    this.lightContexts.clear();
    this.fpCache.clear();
    this.xsCache.clear();
  }

  /** XSAVE areas (ymm, zmm, k...) of the threads whose vector registers an expression named at this stop. */
  private readonly xsCache = new Map<number, XState | undefined>();
  /** Threads whose XSAVE area an evaluation changed, written back by flushRegisters. */
  private readonly pendingXState = new Set<number>();

  /** FP/SSE registers of the threads whose `$xmmN` an expression read at this stop. */
  private readonly fpCache = new Map<number, FpRegisters>();

  /** Reads the thread's FP/SSE registers before an expression that names a vector register is evaluated. */
  private async loadVectorRegisters(expression: string, frameId: number | undefined): Promise<void> {
    if (frameId !== undefined) await this.prepareFrame(frameId);
    if (frameId === undefined || !/\$(?:[xyz]mm\d|k[0-7])/.test(expression)) return;
    const tid = this.session.frameEntry(frameId).tid;
    if (!this.fpCache.has(tid)) this.fpCache.set(tid, await this.session.fpRegs(tid));
    if (!this.xsCache.has(tid)) this.xsCache.set(tid, await this.session.xstate(tid));
  }

  /**
   * `$_siginfo`, a lazy internal variable in gdb: the siginfo of the current stop of the frame's
   * thread (a breakpoint's SIGTRAP too), void without a stopped process.
   */
  private async loadSiginfo(expression: string, frameId: number | undefined): Promise<void> {
    if (!expression.includes('$_siginfo')) return;
    const raw = frameId !== undefined ? await this.session.siginfo(this.session.frameEntry(frameId).tid).catch(() => undefined) : undefined;
    if (raw) this.store.setConvenience('_siginfo', siginfoValue(raw, this.memory()));
    else this.store.deleteConvenience('_siginfo');
  }

  private memory(): TargetMemory {
    const inf = this.session.inferior;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      get modules() {
        return self.modules();
      },
      read: (addr: number, len: number) => {
        if (!inf || inf.state === 'exited') throw new EngineError('The program is not being run.', 'not-running');
        return inf.readMemorySync(addr, len);
      },
      write: (addr: number, data: Buffer) => {
        if (!inf || inf.state === 'exited') throw new EngineError('The program is not being run.', 'not-running');
        self.scopeVars.clear();
        inf.writeMemorySync(addr, data);
      },
    };
  }

  /**
   * Reads the thread's FP/SSE registers (once per stop) when frame 0's function has floating-point
   * parameters or locals: optimised code keeps them in xmm registers (a `double` argument reads as
   * <optimized out> without them). Frames of other functions cost nothing.
   */
  async prepareFrame(frameId: number): Promise<void> {
    let e: ReturnType<Session['frameEntry']>;
    try {
      e = this.session.frameEntry(frameId);
    } catch {
      return;
    }
    if (e.ef.phys !== 0 || this.fpCache.has(e.tid) || !e.ef.module?.symbols.hasDebugInfo) return;
    if (!frameHasFloatVariables(this.frameContext(frameId))) return;
    try {
      this.fpCache.set(e.tid, await this.session.fpRegs(e.tid));
    } catch {
      /* registers unreadable: such variables stay <optimized out> */
    }
  }

  /** The last modules() answer and what it was computed from (rendering asks once per value). */
  private modulesMemo?: { key: object; count: number; maxId: number; list: ModuleSymbols[] };

  modules(): ModuleSymbols[] {
    const mods = this.session.moduleTable;
    if (mods) {
      // Module ids only grow, so the table object, its size and its largest id identify its contents.
      const list = mods.modules;
      let maxId = 0;
      for (const m of list) if (m.id > maxId) maxId = m.id;
      const memo = this.modulesMemo;
      if (memo && memo.key === mods && memo.count === list.length && memo.maxId === maxId) return memo.list;
      const out = [...list]
        .sort((a, b) => (a.kind === 'program' ? -1 : b.kind === 'program' ? 1 : a.id - b.id))
        .map((m) => ({ symbolFile: m.symbols, loadBias: m.bias }));
      this.modulesMemo = { key: mods, count: list.length, maxId, list: out };
      return out;
    }
    const prog = this.session.programObject;
    return prog ? [{ symbolFile: prog.symbols, loadBias: 0 }] : [];
  }

  /** The values engine's view of a frame. */
  frameContext(frameId: number): FrameContext {
    const hit = this.contexts.get(frameId);
    if (hit) return hit;
    const e = this.session.frameEntry(frameId);
    const ef = e.ef;
    const mem = this.memory();
    const tid = e.tid;
    const regs = new Map(ef.regs);
    // The caller (next physical frame) for entry values, and the callee (frame below) for registers of
    // caller frames, found when first asked for (getters of a class: a defineProperty on an object
    // literal would turn it into a slow dictionary object that every later lookup pays for).
    const ctx: FrameContext = new LazyFrameContext(
      {
        level: ef.level,
        pc: ef.pc,
        lookupPc: ef.lookupPc,
        regs,
        cfa: ef.cfa,
        module: ef.module && ef.module.symbols.hasDebugInfo ? { symbolFile: ef.module.symbols, loadBias: ef.module.bias } : undefined,
        inlineDepth: ef.inlineDepth + ef.hiddenInline,
        memory: mem,
      },
      () => this.physicalContext(tid, ef.phys + 1, frameId),
      ef.phys > 0 ? () => this.physicalContext(tid, ef.phys - 1, frameId) : undefined,
    );
    if (ef.phys === 0) {
      // xmm, ymm, zmm, k (src/engine/registers.ts VREG), when loaded for this stop (loadVectorRegisters).
      ctx.regBytes = (reg: number) => vectorRegisterBytes(reg, this.xsCache.get(tid), this.fpCache.get(tid));
      ctx.setRegisterBytes = (reg: number, bytes: Buffer) => {
        const xs = this.xsCache.get(tid);
        if (!xs) throw new Error('Attempt to assign to an unmodifiable value.');
        setVectorRegisterBytes(reg, bytes, xs);
        this.pendingXState.add(tid);
        this.scopeVars.clear();
      };
      ctx.setRegister = (reg: number, value: bigint) => {
        regs.set(reg, value);
        this.pendingRegs.push({ tid, reg, value });
        this.scopeVars.clear();
      };
    }
    this.contexts.set(frameId, ctx);
    return ctx;
  }

  /**
   * A context for physical frame `phys` of a thread: the registered frame when the whole stack is known,
   * else a lightweight one from a short unwind (no frame id).
   */
  private physicalContext(tid: number, phys: number, near: number): FrameContext | undefined {
    if (phys < 0) return undefined;
    const known = this.session.cachedStack(tid);
    if (known) {
      const idx = known.stack.frames.findIndex((f) => f.phys === phys && !f.tailcall);
      return idx >= 0 ? this.frameContext(known.ids[idx]) : undefined;
    }
    const key = `${tid}:${phys}`;
    const hit = this.lightContexts.get(key);
    if (hit) return hit;
    const f = this.session.physicalFrame(tid, phys);
    if (!f) return undefined;
    const mod = this.session.moduleTable?.find(f.lookupPc);
    // Its own caller and callee too: entry values of a caller's parameters (a DW_OP_entry_value in a
    // DW_AT_call_value) need the caller's caller.
    const ctx = new LazyFrameContext(
      {
        level: -1,
        pc: f.pc,
        lookupPc: f.lookupPc,
        regs: new Map(f.regs),
        cfa: f.cfa,
        module: mod && mod.symbols.hasDebugInfo ? { symbolFile: mod.symbols, loadBias: mod.bias } : undefined,
        inlineDepth: 0,
        memory: this.memory(),
      },
      () => this.physicalContext(tid, phys + 1, near),
      phys > 0 ? () => this.physicalContext(tid, phys - 1, near) : undefined,
    );
    this.lightContexts.set(key, ctx);
    return ctx;
  }

  /** Contexts of physical frames found by a short unwind (no frame id), by thread and depth, for this stop. */
  private lightContexts = new Map<string, FrameContext>();

  private evalContext(frameId: number | undefined): EvalContext {
    const frame = frameId !== undefined ? this.frameContext(frameId) : undefined;
    const inf = this.session.inferior;
    const live = inf && inf.state !== 'exited';
    return { frame, modules: this.modules(), memory: live ? this.memory() : undefined, store: this.store };
  }

  private async flushRegisters(): Promise<void> {
    const writes = this.pendingRegs;
    this.pendingRegs = [];
    const inf = this.session.inferior!;
    // Vector registers: the whole XSAVE area, at the size the kernel gave it (it accepts no other).
    for (const tid of [...this.pendingXState]) {
      this.pendingXState.delete(tid);
      const xs = this.xsCache.get(tid);
      if (xs) await inf.setXState(xs, tid);
    }
    if (!writes.length) return;
    const byTid = new Map<number, { reg: number; value: bigint }[]>();
    for (const w of writes) {
      let l = byTid.get(w.tid);
      if (!l) byTid.set(w.tid, (l = []));
      l.push(w);
    }
    for (const [tid, list] of byTid) {
      const regs = await inf.getRegisters(tid);
      for (const w of list) {
        const name = DWARF_TO_GPR[w.reg];
        if (name) regs.set(name, w.value);
      }
      await inf.setRegisters(regs, tid);
    }
  }

  private defaultFrame(opts: { frameId?: number }): Promise<number | undefined> | number | undefined {
    if (opts.frameId !== undefined) return opts.frameId;
    const inf = this.session.inferior;
    if (!inf || inf.state !== 'stopped') return undefined;
    return this.session.topFrameId().catch(() => undefined);
  }

  // ---------------------------------------------------------------- rendering
  private formatOf(f?: ValueFormat): FormatLetter | undefined {
    if (!f) return undefined;
    if (f.kind && f.kind !== 'natural') return f.kind as FormatLetter;
    if (f.hex) return 'hex';
    return undefined;
  }

  private render(v: Value, f?: FormatLetter, top = false): string {
    try {
      return formatValue(v, { format: f, topLevelPointerType: top, modules: this.modules() });
    } catch (e) {
      return `<error: ${(e as Error).message}>`;
    }
  }

  private toVariable(name: string, v: Value, expression: string, frameId: number | undefined, format?: FormatLetter): Variable {
    let n = 0;
    try {
      n = childCount(v);
    } catch {
      n = 0;
    }
    const ref = n > 0 ? this.addRef({ kind: 'value', value: v, expression, frameId }) : 0;
    let type: string | undefined;
    try {
      type = typeName(v.type);
    } catch {
      type = undefined;
    }
    const stripped = stripT(v.type);
    const indexed = stripped.kind === 'array' ? n : undefined;
    return {
      name,
      value: this.render(v, format),
      type,
      variablesReference: ref,
      namedVariables: indexed === undefined && n > 0 ? n : undefined,
      indexedVariables: indexed,
      evaluateName: expression,
      memoryReference: v.address,
      readOnly: !v.isLvalue || undefined,
      error: v.optimizedOut ? '<optimized out>' : undefined,
    };
  }

  private addRef(r: Ref): number {
    const id = this.nextRef++;
    this.refs.set(id, r);
    return id;
  }

  // ---------------------------------------------------------------- scopes and variables
  async scopes(frameId: number): Promise<Scope[]> {
    const e = this.session.frameEntry(frameId);
    const out: Scope[] = [];
    const hasDebug = !!e.ef.module?.symbols.hasDebugInfo && !!e.ef.fn;
    if (hasDebug) {
      out.push({ name: 'Locals', kind: 'locals', variablesReference: this.addRef({ kind: 'scope', frameId, scope: 'locals' }), expensive: false });
      out.push({ name: 'Arguments', kind: 'arguments', variablesReference: this.addRef({ kind: 'scope', frameId, scope: 'arguments' }), expensive: false });
    }
    if (e.ef.module?.symbols.hasDebugInfo) {
      out.push({ name: 'Globals', kind: 'globals', variablesReference: this.addRef({ kind: 'scope', frameId, scope: 'globals' }), expensive: true });
    }
    out.push({ name: 'Registers', kind: 'registers', variablesReference: this.addRef({ kind: 'scope', frameId, scope: 'registers' }), expensive: true });
    return out;
  }

  async variables(ref: number, opts: VariablesOptions = {}): Promise<Variable[]> {
    const r = this.refs.get(ref);
    if (!r) throw new EngineError(`Invalid variables reference ${ref} (references are valid until the program resumes).`, 'bad-id');
    const fmt = this.formatOf(opts.format);
    const page = <T>(list: T[]) => {
      const start = opts.start ?? 0;
      return opts.count ? list.slice(start, start + opts.count) : list.slice(start);
    };
    if (r.kind === 'scope') {
      if (r.scope === 'registers') {
        const regs = await this.session.registers(r.frameId);
        return page(regs).map((x) => ({
          name: x.name,
          value: x.unavailable ? '<not saved>' : fmt === 'hex' || x.natural === undefined ? `0x${x.value.toString(16)}` : x.natural,
          type: x.size === 16 ? 'vec128' : x.size === 32 ? 'builtin_type_vec256i' : x.size === 64 ? 'builtin_type_vec512i' : x.size === 10 ? 'i387_ext' : x.name === 'rip' ? 'void (*)()' : /^k[0-7]$/.test(x.name) ? 'uint64_t' : 'long',
          variablesReference: 0,
          evaluateName: `$${x.name}`,
        }));
      }
      // A scope's variables at this stop, rendered once (a client asks again for every new reference;
      // the DAP adapter asks ahead for the top frame's locals): dropped with everything else at a resume,
      // and at anything that may write (evaluate, set a variable or expression, memory, registers).
      const cacheKey = opts.start === undefined && opts.count === undefined && r.scope !== 'globals' ? `${r.frameId}:${r.scope}:${fmt ?? ''}` : undefined;
      const cached = cacheKey ? this.scopeVars.get(cacheKey) : undefined;
      if (cached) return cached.map((v) => ({ ...v }));
      await this.prepareFrame(r.frameId);
      const ctx = this.frameContext(r.frameId);
      let list: { name: string; value: Value; nested?: boolean; entry?: boolean; entryEqual?: boolean }[];
      if (r.scope === 'locals') list = localsOf(ctx);
      else if (r.scope === 'arguments') list = argsOf(ctx, { entryValues: true });
      else list = ctx.module ? globalsOf(ctx.module, this.evalContext(r.frameId)) : [];
      const vars = page(list).map((nv) => {
        const v = this.toVariable(nv.name, nv.value, nv.name, r.frameId, fmt);
        if (nv.nested) v.nestedBlock = true;
        if (nv.entry) {
          v.entryValue = true;
          v.readOnly = true;
        }
        if (nv.entryEqual) v.entryEqual = true;
        return v;
      });
      if (cacheKey) this.scopeVars.set(cacheKey, vars.map((v) => ({ ...v })));
      return vars;
    }
    const kids = children(r.value, r.expression, { start: opts.start, count: opts.count });
    return kids.map((c) => {
      const v = this.toVariable(c.name, c.value, c.expression, r.frameId, fmt);
      v.childKind = c.kind;
      if (c.access) v.access = c.access;
      if (c.position !== undefined) v.position = c.position;
      return v;
    });
  }

  async setVariable(ref: number, name: string, value: string, format?: ValueFormat): Promise<Variable> {
    const r = this.refs.get(ref);
    if (!r) throw new EngineError(`Invalid variables reference ${ref}.`, 'bad-id');
    let target: { value: Value; expression: string } | undefined;
    let frameId: number | undefined;
    if (r.kind === 'scope') {
      frameId = r.frameId;
      if (r.scope === 'registers') {
        if (/^(?:[xyz]mm\d+|k[0-7])$/.test(name)) {
          // Vector and opmask registers: gdb's assignment to `$name` (XSAVE area, src/engine/registers.ts).
          const res = await this.setExpression(`$${name}`, value, { frameId: r.frameId, format });
          return { name, value: res.value, type: res.type, variablesReference: res.variablesReference };
        }
        const v = parseBig(value);
        await this.session.setRegister(name, v, r.frameId);
        return { name, value: `0x${v.toString(16)}`, variablesReference: 0 };
      }
      const ctx = this.frameContext(r.frameId);
      const list = r.scope === 'locals' ? localsOf(ctx) : r.scope === 'arguments' ? argsOf(ctx) : ctx.module ? globalsOf(ctx.module, this.evalContext(r.frameId)) : [];
      const nv = list.find((x) => x.name === name && !x.shadowed) ?? list.find((x) => x.name === name);
      if (nv) target = { value: nv.value, expression: nv.name };
    } else {
      frameId = r.frameId;
      const c = children(r.value, r.expression).find((x) => x.name === name);
      if (c) target = { value: c.value, expression: c.expression };
    }
    if (!target) throw new EngineError(`No variable "${name}" here.`, 'bad-id');
    const ctx = this.evalContext(frameId);
    let nv: Value;
    try {
      nv = assign(target.value, value, ctx);
    } catch (e) {
      throw new EngineError((e as Error).message, 'bad-expression');
    }
    await this.flushRegisters();
    return this.toVariable(name, nv, target.expression, frameId, this.formatOf(format));
  }

  async evaluate(expression: string, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    const frameId = await this.defaultFrame(opts);
    const suffix = parseFormatSuffix(expression);
    const fmt = this.formatOf(opts.format) ?? suffix.format;
    let v: Value;
    await this.loadVectorRegisters(suffix.expression, frameId);
    await this.loadSiginfo(suffix.expression, frameId);
    try {
      v = evalExpr(suffix.expression, this.evalContext(frameId));
    } catch (e) {
      throw new EngineError((e as Error).message, 'bad-expression');
    }
    await this.flushRegisters();
    if (opts.context === 'repl') {
      try {
        this.store.record(v);
      } catch {
        /* unreadable: not recorded */
      }
    }
    const variable = this.toVariable(suffix.expression, v, suffix.expression, frameId, fmt);
    return {
      value: opts.context === 'repl' || opts.context === undefined ? this.render(v, fmt, true) : variable.value,
      type: variable.type,
      ptype: opts.ptype ? ptypeText(v.type) : undefined,
      variablesReference: variable.variablesReference,
      namedVariables: variable.namedVariables,
      indexedVariables: variable.indexedVariables,
      memoryReference: variable.memoryReference,
    };
  }

  async setExpression(expression: string, value: string, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    const frameId = await this.defaultFrame(opts);
    await this.loadVectorRegisters(expression, frameId);
    const ctx = this.evalContext(frameId);
    let nv: Value;
    try {
      const target = evalExpr(expression, ctx);
      nv = assign(target, value, ctx);
    } catch (e) {
      throw new EngineError((e as Error).message, 'bad-expression');
    }
    await this.flushRegisters();
    const variable = this.toVariable(expression, nv, expression, frameId, this.formatOf(opts.format));
    return { value: variable.value, type: variable.type, variablesReference: variable.variablesReference, memoryReference: variable.memoryReference };
  }

  // ---------------------------------------------------------------- for the session
  /**
   * A watchpoint's target: `expression` evaluated as an lvalue in memory (gdb's `watch` checks):
   * its address, size, type and current rendering. Throws gdb's messages for non-lvalues.
   */
  async watchTarget(expression: string, frameId?: number): Promise<{ address: number; size: number; type: Type; text: string; frameId?: number; scoped: boolean }> {
    const fid = await this.defaultFrame({ frameId });
    let v: Value;
    try {
      v = evalExpr(expression, this.evalContext(fid));
    } catch (e) {
      throw new EngineError((e as Error).message, 'bad-expression');
    }
    if (v.location.kind === 'computed') throw new EngineError(`Cannot watch constant value \`${expression}'.`, 'bad-expression');
    if (v.location.kind !== 'memory' || v.address === undefined) throw new EngineError('Attempt to take address of value not located in memory.', 'bad-expression');
    const size = v.bytes().length;
    // gdb's innermost block: the expression depends on the frame when, evaluated with globals only, it
    // fails or names other memory (a local, or a local shadowing a global).
    let scoped = false;
    if (fid !== undefined) {
      try {
        const g = evalExpr(expression, this.evalContext(undefined));
        scoped = g.location.kind !== 'memory' || g.address !== v.address;
      } catch {
        scoped = true;
      }
    }
    return { address: v.address, size, type: v.type, text: this.render(v, undefined, true), frameId: fid, scoped };
  }

  /** A watched value's current rendering (read from memory now). */
  renderAt(type: Type, address: number): string {
    return this.render(Value.atAddress(type, address, this.memory()), undefined, true);
  }

  /** Truth of a breakpoint condition in the top frame of a thread (throws gdb's message on errors). */
  async condition(expr: string, tid: number): Promise<boolean> {
    const st = await this.session.stackOf(tid, true);
    await this.prepareFrame(st.ids[0]);
    const ctx: EvalContext = { frame: this.frameContext(st.ids[0]), modules: this.modules(), memory: this.memory(), store: this.store };
    const v = evalExpr(expr, ctx);
    const t = stripT(v.type);
    if (t.kind === 'base' && t.encoding === 'float') return v.asNumber() !== 0;
    return v.asBigInt() !== 0n;
  }

  /** Logpoint text: {expression} parts replaced by their values. */
  async interpolate(template: string, tid: number): Promise<string> {
    let frame: FrameContext | undefined;
    try {
      frame = this.frameContext((await this.session.stackOf(tid, true)).ids[0]);
    } catch {
      frame = undefined;
    }
    return template.replace(/\{([^{}]+)\}/g, (_m, expr: string) => {
      try {
        const ctx: EvalContext = { frame, modules: this.modules(), memory: this.memory(), store: this.store };
        return this.render(evalExpr(expr, ctx));
      } catch (e) {
        return `<error: ${(e as Error).message}>`;
      }
    });
  }

  /**
   * A frame's arguments, entry values included, as the Arguments scope's variables have them (the
   * same rendered values, and whether each has children) without making variables of them: what a
   * stop report needs (MI's *stopped frame), ~3x cheaper. [] for a frame without debug information.
   */
  async frameArguments(frameId: number): Promise<FrameArgument[]> {
    const e = this.session.frameEntry(frameId);
    if (!e.ef.module?.symbols.hasDebugInfo || !e.ef.fn) return [];
    await this.prepareFrame(frameId);
    const list = argsOf(this.frameContext(frameId), { entryValues: true });
    return list.map((nv) => {
      let hasChildren = false;
      try {
        hasChildren = childCount(nv.value) > 0;
      } catch {
        hasChildren = false;
      }
      const a: FrameArgument = { name: nv.name, value: this.render(nv.value), hasChildren };
      if (nv.entry) a.entryValue = true;
      if (nv.entryEqual) a.entryEqual = true;
      return a;
    });
  }

  /** "acct=0x7ffe..., amount=10" for frame lines (gdb's `print frame-arguments scalars`). */
  frameArgsText(frameId: number): string {
    if (!eagerBaseline) eagerBaselineFromNowOn();
    try {
      return this.argsText(this.frameContext(frameId));
    } catch {
      return '';
    }
  }

  /**
   * gdb's console form with `print entry-values default`: `x=x@entry=5` when the current and entry
   * values are equal, `x=6, x@entry=5` when they differ (or x is optimized out), `x=5` when no entry
   * value is known.
   */
  private argsText(ctx: FrameContext): string {
    const list = argsOf(ctx, { entryValues: true });
    let out = '';
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      const t = stripT(a.value.type);
      const aggregate = t.kind === 'struct' || t.kind === 'class' || t.kind === 'union' || t.kind === 'array';
      const text = aggregate ? '...' : this.render(a.value, undefined, false);
      if (out) out += ', ';
      if (a.entryEqual && list[i + 1]?.entry) {
        out += `${a.name}=${a.name}@entry=${text}`;
        i++;
      } else out += `${a.name}=${text}`;
    }
    return out;
  }

  /** The value a function returned (finish), recorded in the value history. */
  returnValue(type: Type, loc: ReturnLocation, module: ModuleSymbols): { variable: Variable; text: string } {
    const mem = this.memory();
    const v = loc.kind === 'bytes' ? Value.fromBytes(type, loc.bytes, mem) : Value.atAddress(type, loc.address, mem);
    void module;
    let n = 0;
    try {
      n = this.store.record(v);
    } catch {
      n = 0;
    }
    const text = this.render(v, undefined, true);
    const variable = this.toVariable(n ? `$${n}` : 'Value returned', v, n ? `$${n}` : '$', undefined);
    return { variable, text: n ? `$${n} = ${text}` : text };
  }

  setExitCode(code: number | undefined): void {
    if (code === undefined) return;
    try {
      this.store.setConvenience('_exitcode', Value.fromBigInt(INT, BigInt(code)));
    } catch {
      /* values engine not ready */
    }
  }
}

/**
 * From the moment a program starts (Session.startProcess; or the first stop report of a session that
 * never started one), V8 compiles every function on its first call with its baseline compiler
 * (Sparkplug) instead of interpreting it until it has run a few thousand bytecodes. What a session
 * runs from then on (library events, the stops, stepping, unwinding at new pcs, symbolizing new lines,
 * rendering values, the front-end's replies) is mostly code first called then and called tens of
 * times, never enough to tier up by itself: a fresh session's `next` was 5-12% slower without
 * (docs/benchmarks.md). Not from the process start: loading the program and its symbols runs
 * once-only code, which a bundled start takes from its code cache (src/boot/bundle.ts) and which
 * compiling would cost 50-100 ms otherwise. The code cache is taken just before (functions from a
 * cache are never baseline-compiled by this flag). The flag is process-wide (the tracer worker's
 * code too) and changes no behaviour. BACKSTEP_NO_WARMUP=1 (or =jit) leaves it off, to measure the
 * cold case.
 */
let eagerBaseline = false;
export function eagerBaselineFromNowOn(): void {
  if (eagerBaseline) return;
  eagerBaseline = true;
  if (process.env.BACKSTEP_NO_WARMUP === '1' || process.env.BACKSTEP_NO_WARMUP === 'jit') return;
  try {
    globalThis.__backstepBundle?.takeCodeCache(); // before: see src/boot/bundle.ts
    setFlagsFromString('--always-sparkplug');
    // For the code cache of a bundled start (src/boot/bundle.ts), which must know the flags.
    (globalThis as { __backstepSparkplugOn?: boolean }).__backstepSparkplugOn = true;
  } catch {
    /* not this V8 */
  }
}

function stripT(t: Type): Type {
  for (let i = 0; i < 32; i++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'atomic') t = t.target;
    else break;
  }
  return t;
}

function parseBig(text: string): bigint {
  const s = text.trim();
  try {
    if (/^-/.test(s)) return BigInt.asUintN(64, BigInt(s));
    return BigInt(s);
  } catch {
    throw new EngineError(`Invalid number "${text}".`, 'bad-expression');
  }
}
