// gdb-style commands typed in the client's debug console (DAP evaluate with context 'repl'), routed to
// the engine session. What is not a command is evaluated as an expression. Output follows gdb's layout
// so that it reads the same as a gdb session.
import * as path from 'path';
import { completeExpression, frameDetailsOf } from '../src/engine';
import type { Breakpoint, CompletionKind, Engine, EvaluateResult, FrameInfo, ValueFormatKind, Variable } from '../src/engine';
import { Disassembler, MAX_INSN, withLabels } from '../src/engine/disasm';
import type { Labeler } from './labels';

export class ReplError extends Error {}

export interface ReplContext {
  engine: Engine;
  /** The frame the client evaluates in (its selected stack frame), if any. */
  frameId?: number;
  /** The thread of that frame / the current thread. */
  threadId?: number;
  disassembler: () => Disassembler;
  /** gdb's <symbol+off> labels for code and data addresses. */
  labeler: Labeler;
}

export interface ReplOutput {
  /** Text to show (no trailing newline). */
  text: string;
  /** A structured value the client can expand (print). */
  result?: EvaluateResult;
  /** The command changed program state: the client should refetch variables. */
  invalidate?: boolean;
}

type Handler = (ctx: ReplContext, rest: string, cmd: string) => Promise<ReplOutput>;

/** A completion of the console line before the cursor (DAP `completions`). */
export interface ReplCompletion {
  /** Offset in the line where the replaced word starts; the word runs to the cursor. */
  start: number;
  items: { label: string; type: 'keyword' | 'variable' | 'function' | 'field' | 'property' }[];
}

/** Commands that take an expression (completed with the names in scope). */
const EXPRESSION_COMMANDS = new Set(['p', 'print', 'output', 'call', 'x', 'whatis']);
/** Commands that print/evaluate but are parsed before the command table (see run()). */
const PARSED_COMMANDS = ['print', 'output', 'call', 'x'];
/** `info` subcommands, as run() accepts them. */
const INFO_SUBCOMMANDS = ['all-registers', 'args', 'breakpoints', 'checkpoints', 'frame', 'locals', 'registers', 'sharedlibrary', 'threads', 'watchpoints'];

const FORMAT_LETTERS: Record<string, ValueFormatKind> = {
  x: 'hex',
  d: 'decimal',
  u: 'unsigned',
  o: 'octal',
  t: 'binary',
  c: 'char',
  a: 'address',
  f: 'float',
  z: 'hex',
};

const HELP = `Commands (gdb syntax; anything else is evaluated as a C expression):
  bt | backtrace | where [N]          stack of the current thread
  p | print[/FMT] EXPR                 value of EXPR (FMT: x d u o t c a f)
  x/NFU ADDR                           examine memory (F: x d u o t a c f s i; U: b h w g)
  set var LVALUE = EXPR                assign
  whatis EXPR                          type of EXPR
  info locals | args                   variables of the selected frame
  info registers [REG...]              registers of the selected frame (info all-registers: all)
  info breakpoints | threads | sharedlibrary | checkpoints
  break | tbreak LOCATION [if COND]    set a breakpoint (LOCATION: file.c:12, func, *0xADDR)
  delete | disable | enable [N...]     breakpoints by number
  handle SIGNAL [no]stop [no]print [no]pass
  checkpoint                           fork a checkpoint of the program
  restart N                            switch to checkpoint N
  delete checkpoint N                  drop checkpoint N
  Prefix with '-exec ' or '\`' to force a command when a variable has a command's name.`;

/**
 * A vector register as gdb shows it in `info registers`: the vec128 union (v8_bfloat16 ... uint128) in
 * hex, expandable into its views (the engine's `$xmmN`).
 */
export async function vectorValue(engine: Engine, name: string, frameId: number | undefined): Promise<EvaluateResult> {
  return engine.evaluate(`$${name}`, { frameId, context: 'watch', format: { kind: 'hex' } });
}

function itemType(k: CompletionKind): 'variable' | 'function' | 'field' {
  return k;
}

/** Splits "print/x foo" into ["print", "/x", "foo"]. */
function splitCommand(line: string): { cmd: string; slash: string; rest: string } | undefined {
  const m = /^\s*([a-zA-Z][a-zA-Z-]*)(\/[a-zA-Z0-9]*)?(?:\s+(.*))?\s*$/s.exec(line);
  if (!m) return undefined;
  return { cmd: m[1], slash: m[2] ?? '', rest: (m[3] ?? '').trim() };
}

export class Repl {
  private readonly commands = new Map<string, Handler>();

  constructor() {
    const add = (names: string[], h: Handler) => names.forEach((n) => this.commands.set(n, h));
    add(['bt', 'backtrace', 'where'], (c, r) => this.backtrace(c, r));
    add(['info', 'i'], (c, r) => this.info(c, r));
    add(['checkpoint'], (c) => this.checkpoint(c));
    add(['restart'], (c, r) => this.restart(c, r));
    add(['delete', 'd'], (c, r) => this.delete(c, r));
    add(['disable', 'enable'], (c, r, cmd) => this.enable(c, r, cmd === 'enable'));
    add(['break', 'b', 'br', 'tbreak'], (c, r, cmd) => this.breakCmd(c, r, cmd === 'tbreak'));
    add(['set'], (c, r) => this.set(c, r));
    add(['whatis'], (c, r) => this.whatis(c, r));
    add(['handle'], (c, r) => this.handle(c, r));
    add(['help', 'h'], async () => ({ text: HELP }));
  }

  /** Names of the console's commands (aliases of one letter left out, as gdb's completer does). */
  commandNames(): string[] {
    return [...new Set([...this.commands.keys(), ...PARSED_COMMANDS])].filter((n) => n.length > 1).sort();
  }

  /**
   * Completes the console line `text` (up to the cursor) as gdb's `complete` does: a command name in
   * first position, `info` subcommands and register names, function names after `break`, and
   * expressions (names in scope at the frame, struct members after `.` / `->`) after the commands that
   * take one. A line that is not a command is an expression.
   */
  async complete(text: string, ctx: ReplContext): Promise<ReplCompletion> {
    const lead = /^\s*(?:-exec\s+|`\s*)?/.exec(text)![0];
    const forced = lead.trim() !== '';
    const line = text.slice(lead.length);
    const expr = async (offset: number, functionsOnly = false): Promise<ReplCompletion> => {
      const r = await completeExpression(ctx.engine, text.slice(offset), { frameId: ctx.frameId, functionsOnly });
      return { start: offset + r.start, items: r.candidates.map((c) => ({ label: c.name, type: itemType(c.kind) })) };
    };
    const first = /^[A-Za-z][A-Za-z-]*$/.exec(line);
    if (first || line === '') {
      const names = this.commandNames().filter((n) => n.startsWith(line));
      const items: ReplCompletion['items'] = names.map((n) => ({ label: n, type: 'keyword' }));
      if (!forced && line !== '') {
        const e = await expr(lead.length);
        const seen = new Set(names);
        items.push(...e.items.filter((i) => !seen.has(i.label)));
      }
      return { start: lead.length, items };
    }
    const cmd = /^([A-Za-z][A-Za-z-]*)(\/\w*)?\s+/.exec(line) ?? /^([A-Za-z][A-Za-z-]*)(\/\w*)$/.exec(line);
    const name = cmd?.[1];
    const known = name !== undefined && (EXPRESSION_COMMANDS.has(name) || this.commands.has(name));
    if (!cmd || !known) return forced ? { start: text.length, items: [] } : expr(lead.length);
    const restAt = lead.length + cmd[0].length;
    const rest = text.slice(restAt);
    if (!/\s$/.test(cmd[0])) return { start: text.length, items: [] }; // in `p/x`: a format letter, not a name
    if (EXPRESSION_COMMANDS.has(name!)) return expr(restAt);
    if (name === 'set') {
      const v = /^(?:var|variable)\s+/.exec(rest);
      if (v) return expr(restAt + v[0].length);
      if (/^[a-z]*$/.test(rest)) {
        const items = ['var', 'variable'].filter((n) => n.startsWith(rest)).map((label) => ({ label, type: 'keyword' as const }));
        const e = await expr(restAt);
        return { start: restAt, items: [...items, ...e.items] };
      }
      return expr(restAt);
    }
    if (name === 'info' || name === 'i') {
      const sub = /^(\S*)$/.exec(rest);
      if (sub) return { start: restAt, items: INFO_SUBCOMMANDS.filter((n) => n.startsWith(sub[1])).map((label) => ({ label, type: 'keyword' })) };
      const regs = /^(\S+)\s+(?:\S+\s+)*\$?([\w]*)$/.exec(rest);
      if (regs && regs[1].length >= 1 && ('registers'.startsWith(regs[1]) || ('all-registers'.startsWith(regs[1]) && regs[1].length >= 2))) {
        const word = regs[2];
        let names: string[] = [];
        try {
          names = (await ctx.engine.registers(ctx.frameId)).map((r) => r.name);
        } catch {
          names = [];
        }
        return { start: text.length - word.length, items: names.filter((n) => n.startsWith(word)).map((label) => ({ label, type: 'property' })) };
      }
      return { start: text.length, items: [] };
    }
    if (name === 'break' || name === 'b' || name === 'br' || name === 'tbreak') {
      const cond = /\sif\s/.exec(rest);
      if (cond) return expr(restAt + cond.index + cond[0].length);
      if (/^[A-Za-z_$][\w$]*$|^$/.test(rest)) return expr(restAt, true);
      return { start: text.length, items: [] };
    }
    return { start: text.length, items: [] };
  }

  /** Runs `line` if it is a command; undefined when it should be evaluated as an expression. */
  async run(line: string, ctx: ReplContext): Promise<ReplOutput | undefined> {
    let forced = false;
    let text = line.trim();
    if (text.startsWith('-exec ')) {
      text = text.slice(6).trim();
      forced = true;
    } else if (text.startsWith('`')) {
      text = text.slice(1).trim();
      forced = true;
    }
    const parts = splitCommand(text);
    if (parts) {
      if (parts.cmd === 'p' || parts.cmd === 'print' || parts.cmd === 'output' || parts.cmd === 'call') return this.print(ctx, parts.slash, parts.rest);
      if (parts.cmd === 'x') return this.examine(ctx, parts.slash, parts.rest);
      const h = this.commands.get(parts.cmd);
      if (h && !parts.slash) return h(ctx, parts.rest, parts.cmd);
    }
    if (forced) throw new ReplError(`Undefined command: "${text.split(/\s+/)[0]}".  Try "help".`);
    return undefined;
  }

  // ------------------------------------------------------------------ print, x, set, whatis

  private async print(ctx: ReplContext, slash: string, expr: string): Promise<ReplOutput> {
    let kind: ValueFormatKind | undefined;
    if (slash) {
      const letter = slash.slice(1);
      kind = FORMAT_LETTERS[letter];
      if (!kind || letter.length !== 1) throw new ReplError(`Undefined output format "${letter}".`);
    }
    if (!expr) throw new ReplError('Argument required (expression to compute).');
    const r = await ctx.engine.evaluate(expr, { frameId: ctx.frameId, context: 'repl', format: kind ? { kind } : undefined });
    return { text: r.value, result: r };
  }

  private async whatis(ctx: ReplContext, expr: string): Promise<ReplOutput> {
    if (!expr) throw new ReplError('Argument required (expression to compute).');
    const r = await ctx.engine.evaluate(expr, { frameId: ctx.frameId, context: 'repl' });
    return { text: `type = ${r.type ?? '?'}` };
  }

  private async set(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    const m = /^(?:var|variable)\s+(.*)$/s.exec(rest);
    const assign = m ? m[1] : rest;
    const eq = topLevelAssign(assign);
    if (eq < 0) throw new ReplError(m ? 'Argument required (expression to compute).' : `Undefined set command: "${rest}".  Try "help set".`);
    const lhs = assign.slice(0, eq).trim();
    const rhs = assign.slice(eq + 1).trim();
    if (!lhs || !rhs) throw new ReplError('A syntax error in expression, near `\'.');
    await ctx.engine.setExpression(lhs, rhs, { frameId: ctx.frameId, context: 'repl' });
    return { text: '', invalidate: true };
  }

  private async examine(ctx: ReplContext, slash: string, expr: string): Promise<ReplOutput> {
    const m = /^\/(\d*)([xduotacfsiz]?)([bhwg]?)([xduotacfsiz]?)$/.exec(slash || '/');
    if (!m) throw new ReplError(`Invalid format '${slash.slice(1)}' in x command.`);
    const count = m[1] ? Number(m[1]) : 1;
    const fmt = m[2] || m[4] || 'x';
    let unit = m[3] || (fmt === 'a' || fmt === 'g' ? 'g' : fmt === 'c' ? 'b' : 'w');
    if (fmt === 'a') unit = 'g';
    if (!expr) throw new ReplError('Argument required (starting display address).');
    const addr = await this.addressOf(ctx, expr);
    if (fmt === 'i') return { text: await this.examineInstructions(ctx, addr, count) };
    if (fmt === 's') return { text: await this.examineStrings(ctx, addr, count) };
    const size = { b: 1, h: 2, w: 4, g: 8 }[unit as 'b' | 'h' | 'w' | 'g'];
    const perLine = fmt === 'c' ? 8 : size === 8 ? 2 : size === 4 ? 4 : 8;
    const total = count * size;
    const mem = await ctx.engine.readMemory(addr, total);
    const lines: string[] = [];
    let line = '';
    for (let i = 0; i < count; i++) {
      const a = addr + i * size;
      if (i % perLine === 0) {
        if (line) lines.push(line);
        line = `${hex(a)}${await label(ctx, a)}:`;
      }
      if ((i + 1) * size > mem.data.length) {
        if (line) lines.push(line);
        lines.push(`Cannot access memory at address ${hex(a)}`);
        line = '';
        break;
      }
      line += '\t' + (await formatUnit(mem.data, i * size, size, fmt, ctx));
    }
    if (line) lines.push(line);
    return { text: lines.join('\n') };
  }

  private async addressOf(ctx: ReplContext, expr: string): Promise<number> {
    const r = await ctx.engine.evaluate(expr, { frameId: ctx.frameId, context: 'repl', format: { kind: 'hex' } });
    // Arrays and functions examine their own storage (as gdb's x does); pointers and integers their value.
    const isArrayOrFunc = r.type !== undefined && (/\[\d*\]$/.test(r.type) || /\)\s*\(.*\)$/.test(r.type));
    if (isArrayOrFunc && r.memoryReference !== undefined) return r.memoryReference;
    const v = /^(?:\([^)]*\)\s*)?(-?0x[0-9a-fA-F]+|-?\d+)\b/.exec(r.value.trim());
    if (v) {
      const n = Number(BigInt.asUintN(64, BigInt(v[1])));
      return n;
    }
    if (r.memoryReference !== undefined) return r.memoryReference;
    throw new ReplError(`Cannot take the address of '${expr}' (value ${r.value}).`);
  }

  private async examineInstructions(ctx: ReplContext, addr: number, count: number): Promise<string> {
    let pc: number | undefined;
    try {
      if (ctx.frameId !== undefined) pc = ctx.engine.frame(ctx.frameId).pc;
    } catch {
      pc = undefined;
    }
    const mem = await ctx.engine.readMemory(addr, count * MAX_INSN);
    const insns = ctx.disassembler().decode(mem.data, addr, { max: count });
    const resolve = await ctx.labeler.resolver(insns.flatMap((i) => [i.address, i.target, i.dataRef].filter((x): x is number => x !== undefined)));
    const out = insns.map((i) => {
      const l = resolve(i.address);
      return `${i.address === pc ? '=> ' : '   '}${hex(i.address)}${l ? ` <${l}>` : ''}:\t${withLabels(i, resolve)}`;
    });
    if (insns.length < count) out.push(`Cannot access memory at address ${hex(addr + mem.data.length)}`);
    return out.join('\n');
  }

  private async examineStrings(ctx: ReplContext, addr: number, count: number): Promise<string> {
    const out: string[] = [];
    let a = addr;
    for (let n = 0; n < count; n++) {
      const bytes: number[] = [];
      let done = false;
      while (!done && bytes.length < 200) {
        const mem = await ctx.engine.readMemory(a + bytes.length, 64);
        if (mem.data.length === 0) {
          if (bytes.length === 0) {
            out.push(`${hex(a)}:\t<error: Cannot access memory at address ${hex(a)}>`);
            return out.join('\n');
          }
          break;
        }
        for (const b of mem.data) {
          if (b === 0) {
            done = true;
            break;
          }
          bytes.push(b);
        }
      }
      out.push(`${hex(a)}${await label(ctx, a)}:\t${cString(Buffer.from(bytes))}${done ? '' : '...'}`);
      a += bytes.length + 1;
    }
    return out.join('\n');
  }

  // ------------------------------------------------------------------ stack and info

  private async backtrace(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    const m = /^(?:full\s+)?(-?\d+)?\s*$/.exec(rest);
    if (!m) throw new ReplError(`No symbol "${rest.split(/\s+/)[0]}" in current context.`);
    const limit = m[1] ? Number(m[1]) : undefined;
    const threadId = ctx.threadId ?? ctx.engine.currentThreadId;
    const st = await ctx.engine.stackTrace(threadId, 0, limit && limit > 0 ? limit : undefined);
    const lines: string[] = [];
    for (const f of st.frames) lines.push(await frameLine(ctx.engine, f));
    if (limit && limit > 0 && (st.totalFrames === undefined || st.totalFrames > st.frames.length)) lines.push('(More stack frames follow...)');
    return { text: lines.join('\n') };
  }

  private async info(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    const [sub, ...args] = rest.split(/\s+/).filter(Boolean);
    if (!sub) throw new ReplError('List of info subcommands: locals, args, registers, all-registers, breakpoints, threads, sharedlibrary, checkpoints, frame.');
    const is = (full: string, min: number) => sub.length >= min && full.startsWith(sub);
    if (is('locals', 2)) return { text: await this.scopeVars(ctx, 'locals', 'No locals.') };
    if (is('args', 2)) return { text: await this.scopeVars(ctx, 'arguments', 'No arguments.') };
    if (is('registers', 1)) return { text: await this.registers(ctx, args, false) };
    if (is('all-registers', 2)) return { text: await this.registers(ctx, args, true) };
    if (is('breakpoints', 1) || sub === 'break' || sub === 'watchpoints') return { text: breakpointTable(ctx.engine.breakpoints()) };
    if (is('threads', 2)) return { text: await this.threads(ctx) };
    if (is('sharedlibrary', 2) || sub === 'dll') return { text: this.sharedLibraries(ctx) };
    if (is('checkpoints', 2)) return { text: this.checkpointList(ctx) };
    if (is('frame', 1)) return { text: await this.frameInfo(ctx) };
    throw new ReplError(`Undefined info command: "${sub}".  Try "help info".`);
  }

  private requireFrame(ctx: ReplContext): number {
    if (ctx.frameId !== undefined) return ctx.frameId;
    throw new ReplError('No frame selected.');
  }

  private async scopeVars(ctx: ReplContext, kind: 'locals' | 'arguments', none: string): Promise<string> {
    const scopes = await ctx.engine.scopes(this.requireFrame(ctx));
    const s = scopes.find((x) => x.kind === kind);
    if (!s) return none;
    // `info args` shows the values only, without the entry values (`x@entry`) of the Arguments scope.
    const vars = (await ctx.engine.variables(s.variablesReference)).filter((v: Variable) => !v.entryValue);
    if (vars.length === 0) return none;
    return vars.map((v: Variable) => `${v.name} = ${v.value}`).join('\n');
  }

  private async registers(ctx: ReplContext, names: string[], all: boolean): Promise<string> {
    const regs = await ctx.engine.registers(ctx.frameId);
    let shown = regs;
    if (names.length) {
      const want = names.map((n) => n.replace(/^\$/, ''));
      shown = [];
      for (const n of want) {
        let r = regs.find((x) => x.name === n);
        const half = /^(ymm\d+)h$/.exec(n);
        const root = !r && half ? regs.find((x) => x.name === half[1]) : undefined;
        if (root) {
          // gdb's raw ymmNh (bits 128-255 of ymmN), a uint128_t.
          const v = root.value >> 128n;
          r = { name: n, value: v, size: 16, group: 'vector', natural: v.toString() };
        }
        if (!r) throw new ReplError(`Invalid register \`${n}'`);
        shown.push(r);
      }
    } else if (!all) {
      // gdb's general group on x86-64: the integer registers, rip, eflags and the segment selectors.
      shown = regs.filter((r) => r.group === 'general' || r.group === 'flags' || r.group === 'segment');
    } else {
      // gdb's `all` group, in register-number order: rax..gs, the x87 registers, then the widest vector
      // view only (xmm0-15 and mxcsr; or mxcsr, k0-7 and ymm/zmm); not fs_base, gs_base, orig_rax.
      const widest = regs.some((r) => r.name === 'zmm0') ? 'zmm' : regs.some((r) => r.name === 'ymm0') ? 'ymm' : 'xmm';
      const vec = regs.filter((r) => new RegExp(`^${widest}\\d+$`).test(r.name));
      const mxcsr = regs.filter((r) => r.name === 'mxcsr');
      shown = [
        ...regs.filter((r) => (r.group === 'general' && !/^k\d$/.test(r.name)) || r.group === 'flags' || r.group === 'segment' || r.group === 'float'),
        ...(widest === 'xmm' ? [...vec, ...mxcsr] : [...mxcsr, ...regs.filter((r) => /^k\d$/.test(r.name)), ...vec]),
      ];
    }
    const lines: string[] = [];
    for (const r of shown) {
      if (r.unavailable) {
        lines.push(`${r.name.padEnd(15)}<not saved>`);
        continue;
      }
      const raw = '0x' + r.value.toString(16);
      // Vector registers: gdb prints the vec128 union of views in hex (what `p/x $xmm0` prints).
      if (/^[xyz]mm\d+$/.test(r.name)) {
        lines.push(`${r.name.padEnd(15)}${(await vectorValue(ctx.engine, r.name, ctx.frameId)).value}`);
        continue;
      }
      const natural = r.natural ?? (r.group === 'general' && r.name !== 'rip' ? BigInt.asIntN(64, r.value).toString() : raw);
      // gdb pads the raw column to 19 characters, with at least one space after it.
      lines.push(`${r.name.padEnd(15)}${raw.length >= 20 ? raw + ' ' : raw.padEnd(20)}${natural}`);
    }
    return lines.join('\n');
  }

  private async threads(ctx: ReplContext): Promise<string> {
    const ts = await ctx.engine.threads();
    // gdb sizes the Target Id column to its longest entry, plus one space.
    const ids = ts.map((t) => `${t.targetId} "${t.name}"`);
    const width = Math.max('Target Id'.length, ...ids.map((x) => x.length)) + 1;
    const lines = [`  Id   ${'Target Id'.padEnd(width)}Frame `];
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const where = t.frame ? (await frameLine(ctx.engine, t.frame)).replace(/^#\d+\s+/, '') : '(running)';
      lines.push(`${t.current ? '*' : ' '} ${String(i + 1).padEnd(4)} ${ids[i].padEnd(width)}${where}`);
    }
    return lines.join('\n');
  }

  private sharedLibraries(ctx: ReplContext): string {
    // The dynamic linker first, as gdb lists it (it is loaded before the libraries).
    const all = ctx.engine.modules();
    const mods = [...all.filter((m) => m.kind === 'interpreter'), ...all.filter((m) => m.kind === 'library')];
    if (mods.length === 0) return 'No shared libraries loaded at this time.';
    const lines = ['From                To                  Syms Read   Shared Object Library'];
    for (const m of mods) {
      const from = m.textStart !== undefined ? hex16(m.textStart) : ''.padEnd(18);
      const to = m.textEnd !== undefined ? hex16(m.textEnd) : ''.padEnd(18);
      lines.push(`${from}  ${to}  ${(m.symbolsLoaded ? 'Yes' : 'No').padEnd(3)}${m.hasDebugInfo ? '' : ' (*)'}`.padEnd(52) + m.path);
    }
    if (mods.some((m) => !m.hasDebugInfo)) lines.push('(*): Shared library is missing debugging information.');
    return lines.join('\n');
  }

  /** gdb's `info frame` (amd64): frame addresses, saved pc, language, frame base, saved registers. */
  private async frameInfo(ctx: ReplContext): Promise<string> {
    const d = await frameDetailsOf(ctx.engine, this.requireFrame(ctx));
    const f = d.frame;
    const lines = [`Stack level ${f.level}, frame at ${f.cfa !== undefined ? hex(f.cfa) : '<unknown>'}:`];
    let rip = ` rip = ${hex(f.pc)}`;
    if (f.function) rip += ` in ${f.function}`;
    if (f.file) rip += ` (${f.file}:${f.line})`;
    if (d.savedPc !== undefined) rip += `; saved rip = ${hex(d.savedPc)}`;
    lines.push(rip);
    let rel = '';
    if (d.caller) rel = d.tailcall ? ' tail call frame' : d.inlined ? ` inlined into frame ${d.caller.level}` : ` called by frame at ${d.caller.cfa !== undefined ? hex(d.caller.cfa) : '<unknown>'}`;
    if (d.callee) rel += `${d.caller ? ',' : ''} caller of frame at ${d.callee.cfa !== undefined ? hex(d.callee.cfa) : '<unknown>'}`;
    if (rel) lines.push(rel);
    if (d.language) lines.push(` source language ${d.language}.`);
    const args = await ctx.engine.frameArgsText(f.id);
    if (d.baseAddress === undefined) lines.push(' Arglist at unknown address.');
    else lines.push(` Arglist at ${hex(d.baseAddress)}, args: ${args}`);
    const locals = d.baseAddress === undefined ? ' Locals at unknown address,' : ` Locals at ${hex(d.baseAddress)},`;
    lines.push(`${locals} Previous frame's sp ${f.cfa !== undefined && !d.tailcall ? `is ${hex(f.cfa)}` : 'in rsp'}`);
    if (d.savedRegisters.length) lines.push(' Saved registers:', `  ${d.savedRegisters.map((r) => `${r.name} at ${hex(r.address)}`).join(', ')}`);
    return lines.join('\n');
  }

  // ------------------------------------------------------------------ breakpoints

  private async breakCmd(ctx: ReplContext, rest: string, temporary: boolean): Promise<ReplOutput> {
    let location = rest;
    let condition: string | undefined;
    const m = /^(.*?)\s+if\s+(.*)$/s.exec(rest);
    if (m) {
      location = m[1];
      condition = m[2];
    }
    if (!location) {
      const f = ctx.frameId !== undefined ? ctx.engine.frame(ctx.frameId) : undefined;
      if (!f) throw new ReplError('No default breakpoint address now.');
      location = `*0x${f.pc.toString(16)}`;
    }
    const bp = await ctx.engine.setBreakpoint({ location, condition, temporary });
    const loc = bp.locations[0];
    const where = loc ? `at ${hex(loc.address)}${loc.file ? `: file ${loc.file}, line ${loc.line}.` : ''}` : `(${bp.original}) pending.`;
    return { text: `${temporary ? 'Temporary breakpoint' : 'Breakpoint'} ${bp.id} ${where}` };
  }

  private async delete(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    const m = /^(?:checkpoint|ch)\s+(\S+)$/.exec(rest);
    if (m) {
      const id = parseId(m[1], 'checkpoint');
      await ctx.engine.deleteCheckpoint(id);
      return { text: `Killed checkpoint ${id}.` };
    }
    const ids = rest.replace(/^(?:breakpoints?|br)\s*/, '').split(/\s+/).filter(Boolean);
    if (ids.length === 0) {
      for (const b of ctx.engine.breakpoints()) await ctx.engine.removeBreakpoint(b.id);
      return { text: '' };
    }
    for (const s of ids) await ctx.engine.removeBreakpoint(parseId(s, 'breakpoint'));
    return { text: '' };
  }

  private async enable(ctx: ReplContext, rest: string, enabled: boolean): Promise<ReplOutput> {
    const ids = rest.split(/\s+/).filter(Boolean);
    const targets = ids.length ? ids.map((s) => parseId(s, 'breakpoint')) : ctx.engine.breakpoints().map((b) => b.id);
    for (const id of targets) await ctx.engine.updateBreakpoint(id, { enabled });
    return { text: '' };
  }

  private async handle(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    const [sig, ...acts] = rest.split(/\s+/).filter(Boolean);
    if (!sig) throw new ReplError('Argument required (signal and action to apply).');
    const change: { stop?: boolean; print?: boolean; pass?: boolean } = {};
    for (const a of acts) {
      const on = !a.startsWith('no');
      const what = on ? a : a.slice(2);
      if (what === 'stop') {
        change.stop = on;
        if (on) change.print = true;
      } else if (what === 'print') {
        change.print = on;
        if (!on) change.stop = false;
      } else if (what === 'pass' || what === 'noignore') change.pass = on;
      else if (what === 'ignore') change.pass = !on;
      else throw new ReplError(`Unrecognized or ambiguous flag word: "${a}".`);
    }
    const h = await ctx.engine.setSignalHandling(sig, change);
    const yn = (b: boolean) => (b ? 'Yes' : 'No');
    return { text: `Signal        Stop\tPrint\tPass to program\tDescription\n${sig.toUpperCase().padEnd(14)}${yn(h.stop)}\t${yn(h.print)}\t${yn(h.pass)}` };
  }

  // ------------------------------------------------------------------ checkpoints

  private async checkpoint(ctx: ReplContext): Promise<ReplOutput> {
    const c = await ctx.engine.checkpoint();
    return { text: `checkpoint ${c.id}: fork returned pid ${c.pid}.` };
  }

  private checkpointList(ctx: ReplContext): string {
    const list = ctx.engine.checkpoints();
    if (list.length === 0) return 'No checkpoints.';
    return list.map((c) => c.description).join('\n');
  }

  private async restart(ctx: ReplContext, rest: string): Promise<ReplOutput> {
    if (!rest) throw new ReplError('Argument required (checkpoint id to restart).');
    const id = parseId(rest, 'checkpoint');
    const stop = await ctx.engine.restartCheckpoint(id);
    const pid = ctx.engine.pid;
    const lines = [`Switching to process ${pid ?? '?'}`];
    if (stop.frame) lines.push(await frameLine(ctx.engine, stop.frame));
    return { text: lines.join('\n'), invalidate: true };
  }
}

// ------------------------------------------------------------------ formatting helpers

function parseId(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new ReplError(`Invalid ${what} number '${s}': expected a non-negative integer.`);
  return Number(s);
}

/** Index of the assignment '=' at nesting depth 0 (not part of ==, <=, >=, !=), or -1. */
export function topLevelAssign(s: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '=' && depth === 0) {
      const prev = s[i - 1];
      const next = s[i + 1];
      if (next === '=') {
        i++;
        continue;
      }
      if (prev === '<' || prev === '>' || prev === '!' || prev === '=') continue;
      return i;
    }
  }
  return -1;
}

export function hex(n: number): string {
  return '0x' + n.toString(16);
}

function hex16(n: number): string {
  return '0x' + n.toString(16).padStart(16, '0');
}

async function label(ctx: ReplContext, addr: number): Promise<string> {
  const l = await ctx.labeler.label(addr);
  return l ? ` <${l}>` : '';
}

async function formatUnit(buf: Buffer, off: number, size: number, fmt: string, ctx: ReplContext): Promise<string> {
  const u = size === 8 ? buf.readBigUInt64LE(off) : BigInt(size === 4 ? buf.readUInt32LE(off) : size === 2 ? buf.readUInt16LE(off) : buf[off]);
  const bits = size * 8;
  switch (fmt) {
    case 'x':
    case 'z':
      return '0x' + u.toString(16).padStart(size * 2, '0');
    case 'd':
      return BigInt.asIntN(bits, u).toString();
    case 'u':
      return u.toString();
    case 'o':
      return u === 0n ? '0' : '0' + u.toString(8);
    case 't':
      return u.toString(2).padStart(bits, '0');
    case 'c': {
      const v = Number(BigInt.asIntN(8, u & 0xffn));
      return `${v} ${cChar(v & 0xff)}`;
    }
    case 'a': {
      const n = Number(u);
      return hex(n) + (await label(ctx, n));
    }
    case 'f':
      if (size === 8) return String(buf.readDoubleLE(off));
      if (size === 4) return String(buf.readFloatLE(off));
      return BigInt.asIntN(bits, u).toString();
    default:
      return '0x' + u.toString(16);
  }
}

function cChar(b: number): string {
  const esc: Record<number, string> = { 0: '\\000', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\033', 39: "\\'", 92: '\\\\' };
  if (esc[b] !== undefined) return `'${esc[b]}'`;
  if (b >= 32 && b < 127) return `'${String.fromCharCode(b)}'`;
  return `'\\${b.toString(8).padStart(3, '0')}'`;
}

function cString(b: Buffer): string {
  let s = '"';
  for (const c of b) {
    if (c === 34) s += '\\"';
    else if (c === 92) s += '\\\\';
    else if (c === 10) s += '\\n';
    else if (c === 9) s += '\\t';
    else if (c >= 32 && c < 127) s += String.fromCharCode(c);
    else s += '\\' + c.toString(8).padStart(3, '0');
  }
  return s + '"';
}

/** gdb's backtrace line: "#1  0x000055555555517e in main (argc=1, argv=0x7ffe...) at loop.c:20". */
export async function frameLine(engine: Engine, f: FrameInfo): Promise<string> {
  // gdb's frame-line form: scalars only (`s=...`), entry values (`x=x@entry=5`).
  const args = await engine.frameArgsText(f.id);
  const fn = f.function ?? '??';
  const addr = f.level > 0 || !f.line ? `${hex16(f.pc)} in ` : '';
  const where = f.file ? ` at ${f.file}:${f.line}` : f.module ? ` from ${f.module}` : '';
  if (f.signalTrampoline) return `#${String(f.level).padEnd(3)}<signal handler called>`;
  return `#${String(f.level).padEnd(3)}${addr}${fn} (${args})${where}`;
}

function breakpointTable(bps: Breakpoint[]): string {
  if (bps.length === 0) return 'No breakpoints or watchpoints.';
  const lines = ['Num     Type           Disp Enb Address            What'];
  for (const b of bps) {
    const disp = b.temporary ? 'del ' : 'keep';
    const enb = b.enabled ? 'y' : 'n';
    const multi = b.locations.length > 1;
    const first = b.locations[0];
    const addr = b.pending || !first ? '<PENDING> ' : multi ? '<MULTIPLE>' : hex16(first.address);
    const what = b.pending || !first ? b.original : multi ? '' : locWhat(first);
    lines.push(`${String(b.id).padEnd(8)}${'breakpoint'.padEnd(15)}${disp} ${enb}   ${addr.padEnd(18)} ${what}`.trimEnd());
    if (b.condition) lines.push(`\tstop only if ${b.condition}`);
    if (b.hitCondition) lines.push(`\tstop only when hit count ${b.hitCondition}`);
    if (b.logMessage) lines.push(`\tlog message: ${b.logMessage}`);
    if (b.hitCount > 0) lines.push(`\tbreakpoint already hit ${b.hitCount} time${b.hitCount === 1 ? '' : 's'}`);
    if (b.ignoreCount > 0) lines.push(`\tWill ignore next ${b.ignoreCount} crossings of breakpoint.`);
    if (multi) {
      for (const l of b.locations) lines.push(`${l.id.padEnd(24)}${l.enabled ? 'y' : 'n'}   ${hex16(l.address)} ${locWhat(l)}`);
    }
  }
  return lines.join('\n');
}

function locWhat(l: { function?: string; file?: string; line?: number; module?: string }): string {
  const parts: string[] = [];
  if (l.function) parts.push(`in ${l.function}`);
  if (l.file) parts.push(`at ${path.basename(l.file) === l.file ? l.file : l.file}:${l.line}`);
  else if (l.module) parts.push(`in ${l.module}`);
  return parts.join(' ');
}
