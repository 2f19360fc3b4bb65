// Console (CLI) commands as front-ends send them through -interpreter-exec console "..." or typed at
// the MI prompt: gdb's wording for output and errors, the common abbreviations.
import * as child from 'child_process';
import * as fs from 'fs';
import type { FrameInfo } from '../engine/api';
import { completeExpression } from '../engine/complete';
import { searchSymbols } from '../engine/symbol-search';
import {
  assignExpression,
  checkFinish,
  deleteBreakpoint,
  enableBreakpoint,
  evalAddress,
  evaluate,
  frameVariables,
  insertBreakpoint,
  jump,
  loadProgram,
  parseBreakpointNumber,
  readCode,
  asmSymbolizer,
  resume,
  reverseRun,
  run,
  setCommand,
  setCondition,
  setIgnore,
  splitShellArgs,
  watch,
} from './commands';
import { decode, type DisasmLine } from './disasm';
import { mixedSourceAndAssembly } from './disasm-source';
import { addr16, breakpointSetText, frameArgsLine, frameLine, frameTuple, hex, sourceLines, sourceLine } from './format';
import { CommandContext, CommandResult, MiError, MiInterpreter, errorMessage } from './interpreter';
import { REGISTER_NAMES, currentRegisterNames, formatRegister, registerValues } from './registers';
import { MiRaw } from './syntax';

type CliHandler = (mi: MiInterpreter, ctx: CommandContext, args: string, name: string) => Promise<CommandResult | void> | CommandResult | void;

interface CliCommand {
  names: string[];
  handler: CliHandler;
  /** Minimum unique prefix length accepted for the first name (gdb allows unambiguous prefixes). */
  help?: string;
}

const COMMANDS: CliCommand[] = [];

function def(names: string[], handler: CliHandler, help?: string): void {
  COMMANDS.push({ names, handler, help });
}

/** Finds a command: exact name/alias first, then a unique prefix of a full name. */
function lookup(word: string): CliCommand | undefined {
  for (const c of COMMANDS) if (c.names.includes(word)) return c;
  const hits = COMMANDS.filter((c) => c.names[0].startsWith(word));
  if (hits.length === 1) return hits[0];
  return undefined;
}

export async function runCliCommand(mi: MiInterpreter, ctx: CommandContext, line: string): Promise<CommandResult | void> {
  const text = line.trim();
  if (!text) return;
  if (text.startsWith('#')) return;
  // Two-word commands first ("info locals", "delete checkpoint", "reverse-next" is one word).
  const m = /^([A-Za-z_][\w-]*|!)(.*)$/s.exec(text);
  if (!m) throw new MiError(`Undefined command: "${text.split(/\s/)[0]}".  Try "help".`);
  const word = m[1];
  let args = m[2];
  // gdb accepts p/x, x/4xw: the slash starts the arguments.
  const cmd = lookup(word);
  if (!cmd) throw new MiError(`Undefined command: "${word}".  Try "help".`);
  if (args.startsWith(' ')) args = args.slice(1);
  return cmd.handler(mi, ctx, args.trim() === '' ? '' : args, word);
}

// ==================================================================================================
// Helpers

async function printFrame(mi: MiInterpreter, f: FrameInfo, withSource: boolean, prefix = true): Promise<void> {
  const args = await mi.frameArgs(f);
  const withAddr = f.level > 0 && !!f.file;
  mi.console(`${prefix ? `#${String(f.level).padEnd(2)} ` : ''}${frameLine(f, args, withAddr)}\n`);
  if (withSource) {
    const src = sourceLine(f);
    if (src) mi.console(src + '\n');
  }
}

/**
 * Selects and prints frame `level` (unwound as far as it, as gdb). `how`: `frame N` (a level past the
 * outermost is `No frame at level N.`), or `up`/`down` with an explicit count (`clamp`: as far as the
 * stack goes, as gdb's find_relative_frame) or without (past either end is an error).
 */
async function selectFrame(mi: MiInterpreter, ctx: CommandContext, level: number, how: 'frame' | 'move' | 'clamp' = 'move'): Promise<void> {
  mi.requireFrames();
  const t = mi.currentThread(ctx);
  if (level < 0) {
    if (how === 'frame') throw new MiError(`No frame at level ${level}.`);
    if (how !== 'clamp') throw new MiError('Bottom (innermost) frame selected; you cannot go down.');
    level = 0;
  }
  const s = await mi.stackPrefix(t, level + 1);
  if (level >= s.frames.length) {
    if (how === 'frame') throw new MiError(`No frame at level ${level}.`);
    if (how !== 'clamp' || !s.frames.length) throw new MiError('Initial frame selected; you cannot go up.');
    level = s.frames.length - 1;
  }
  mi.selectedThread = t;
  mi.selectedFrame = level;
  const f = s.frames[level];
  await printFrame(mi, f, true);
  mi.notify('thread-selected', { id: String(t), frame: frameTuple(f, { level: true, args: await mi.frameArgs(f) }) });
}

/** gdb's print format letters. */
function formatKind(letter: string | undefined): import('../engine/api').ValueFormat | undefined {
  switch (letter) {
    case 'x':
      return { kind: 'hex' };
    case 'd':
      return { kind: 'decimal' };
    case 'u':
      return { kind: 'unsigned' };
    case 'o':
      return { kind: 'octal' };
    case 't':
      return { kind: 'binary' };
    case 'c':
      return { kind: 'char' };
    case 'a':
      return { kind: 'address' };
    case 'f':
      return { kind: 'float' };
    default:
      return undefined;
  }
}

function parseSlash(args: string): { fmt?: string; rest: string } {
  const m = /^\/(\S*)\s*(.*)$/s.exec(args);
  if (!m) return { rest: args };
  return { fmt: m[1], rest: m[2] };
}

function needArg(args: string, what: string): void {
  if (!args.trim()) throw new MiError(`Argument required (${what}).`);
}

// ==================================================================================================
// Commands

// ---------------------------------------------------------------- status and settings
def(['show'], async (mi, ctx, args) => {
  const words = args.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new MiError('"show" must be followed by the name of a show command.');
  const w = words[0];
  if (w === 'version') {
    for (const l of mi.versionBanner()) mi.console(l);
    return;
  }
  if (w === 'architecture' || w === 'arch') {
    // gdb only knows the architecture once a program is loaded.
    mi.console(`The target architecture is set to "auto" (currently "${mi.programPath ? 'i386:x86-64' : 'i386'}").\n`);
    return;
  }
  if (w === 'args') {
    mi.console(`Argument list to give program being debugged when it is started is "${mi.programArgsText}".\n`);
    return;
  }
  if (w === 'environment' || w === 'env') {
    const env = { ...process.env } as Record<string, string | undefined>;
    for (const [k, v] of Object.entries(mi.envOverrides)) env[k] = v ?? undefined;
    if (words[1]) {
      const v = env[words[1]];
      mi.console(v === undefined ? `Environment variable "${words[1]}" not defined.\n` : `${words[1]} = ${v}\n`);
    } else for (const [k, v] of Object.entries(env)) if (v !== undefined) mi.console(`${k}=${v}\n`);
    return;
  }
  if (w === 'cwd') {
    mi.console(mi.cwd ? `Current working directory that will be used when starting the inferior is "${mi.cwd}".\n` : 'You have not set the inferior\'s current working directory.\nThe inferior will inherit GDB\'s cwd if native debugging, or the remote\nserver\'s cwd if remote debugging.\n');
    return;
  }
  if (w === 'exec-direction') {
    mi.console(mi.settings.get('exec-direction') === 'forward' ? 'Forward.\n' : 'Reverse.\n');
    return;
  }
  if (w === 'convenience' || w === 'conv') {
    mi.console('No debugger convenience values now defined.\nConvenience variables have names starting with "$";\nuse "set" as in "set $foo = 5" to define them.\n');
    return;
  }
  const hit = mi.settings.lookup(words);
  if (!hit) throw new MiError(`Undefined show command: "${words.join(' ')}".  Try "help show".`);
  mi.console(mi.settings.showText(hit.def) + '\n');
  void ctx;
});
def(['set'], async (mi, ctx, args) => {
  await setCommand(mi, ctx, args, true);
});
def(['unset'], (mi, _c, args) => {
  const m = /^(?:env|environment)\s+(\S+)/.exec(args.trim());
  if (!m) {
    if (/^(env|environment)\s*$/.test(args.trim())) {
      for (const k of Object.keys(process.env)) mi.envOverrides[k] = null;
      return;
    }
    throw new MiError('"unset" must be followed by the name of an unset subcommand.');
  }
  mi.envOverrides[m[1]] = null;
});
def(['echo'], (mi, _c, args) => {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === '\\' && i + 1 < args.length) {
      const n = args[++i];
      const map: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', a: '\x07', e: '\x1b', r: '\r' };
      if (n in map) out += map[n];
      else if (/[0-7]/.test(n)) {
        let s = n;
        while (s.length < 3 && /[0-7]/.test(args[i + 1] ?? '')) s += args[++i];
        out += String.fromCharCode(parseInt(s, 8));
      } else out += n;
    } else if (c === '\\') {
      /* trailing backslash: gdb ignores it */
    } else out += c;
  }
  mi.console(out);
});
def(['shell', '!'], (mi, _c, args) => {
  // gdb runs the command with the debugger's stdio: its output goes to the same place as MI's.
  const r = child.spawnSync('/bin/sh', ['-c', args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: mi.cwd });
  // Through the interpreter's output, which batches MI records: the output keeps its place among them.
  if (r.stdout?.length) mi.opts.write(r.stdout.toString());
  if (r.stderr?.length) process.stderr.write(r.stderr);
});
def(['pwd'], (mi) => {
  mi.console(`Working directory ${process.cwd()}.\n`);
});
def(['cd'], (mi, _c, args) => {
  const dir = args.trim() || process.env.HOME || '/';
  try {
    process.chdir(dir);
  } catch {
    throw new MiError(`${dir}: No such file or directory.`);
  }
  mi.cwd = process.cwd();
  mi.console(`Working directory ${process.cwd()}.\n`);
});
def(['help', 'h'], (mi, _c, args) => {
  if (args.trim()) {
    const c = lookup(args.trim().split(/\s+/)[0]);
    if (!c) throw new MiError(`Undefined command: "${args.trim()}".  Try "help".`);
    mi.console((c.help ?? `${c.names[0]}: see gdb's documentation; backstep implements the common form.`) + '\n');
    return;
  }
  mi.console('List of classes of commands:\n\n');
  for (const l of [
    'aliases -- User-defined aliases of other commands.',
    'breakpoints -- Making program stop at certain points.',
    'data -- Examining data.',
    'files -- Specifying and examining files.',
    'running -- Running the program.',
    'stack -- Examining the stack.',
    'status -- Status inquiries.',
    'support -- Support facilities.',
  ])
    mi.console(l + '\n');
  mi.console('\nType "help" followed by a class name for a list of commands in that class.\n');
  mi.console('Command name abbreviations are allowed if unambiguous.\n');
});
def(['file', 'exec-file', 'symbol-file'], async (mi, _c, args) => {
  const f = args.trim();
  if (!f) {
    mi.programPath = undefined;
    mi.console('No executable file now.\nNo symbol file now.\n');
    return;
  }
  await loadProgram(mi, f);
  mi.console(`Reading symbols from ${f}...\n`);
  if (mi.engine.program && !mi.engine.program.hasDebugInfo) mi.console(`(No debugging symbols found in ${f})\n`);
});
def(['sharedlibrary'], () => undefined);
def(['directory', 'dir'], (mi) => {
  mi.console('Source directories searched: $cdir:$cwd\n');
});
def(['source'], async (mi, ctx, args) => {
  const f = args.trim();
  let text: string;
  try {
    text = fs.readFileSync(f, 'utf8');
  } catch {
    throw new MiError(`${f}: No such file or directory.`);
  }
  for (const l of text.split('\n')) {
    if (!l.trim() || l.trim().startsWith('#')) continue;
    await runCliCommand(mi, ctx, l);
  }
});
def(['handle'], async (mi, _c, args) => {
  const words = args.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new MiError('Argument required (signal for which to change handling).');
  const sig = words[0];
  const h: Partial<import('../engine/api').SignalHandling> = {};
  for (const w of words.slice(1)) {
    if (w === 'stop') Object.assign(h, { stop: true, print: true });
    else if (w === 'nostop') h.stop = false;
    else if (w === 'print') h.print = true;
    else if (w === 'noprint') Object.assign(h, { print: false, stop: false });
    else if (w === 'pass' || w === 'noignore') h.pass = true;
    else if (w === 'nopass' || w === 'ignore') h.pass = false;
    else throw new MiError(`Unrecognized or ambiguous flag word: "${w}".`);
  }
  const r = await mi.engine.setSignalHandling(sig, h);
  mi.console('Signal        Stop\tPrint\tPass to program\tDescription\n');
  mi.console(`${sig.padEnd(14)}${r.stop ? 'Yes' : 'No'}\t${r.print ? 'Yes' : 'No'}\t${r.pass ? 'Yes' : 'No'}\t\t${sig}\n`);
});

// ---------------------------------------------------------------- info
def(['info', 'i', 'inf'], async (mi, ctx, args, ) => {
  const words = args.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new MiError('List of info subcommands:\n\n"info" must be followed by the name of an info command.');
  const sub = words[0];
  const rest = args.trim().slice(sub.length).trim();
  const is = (full: string, min: number) => sub.length >= min && full.startsWith(sub);
  if (is('locals', 2)) return infoVars(mi, ctx, 'locals');
  if (is('args', 2)) return infoVars(mi, ctx, 'arguments');
  if (is('breakpoints', 1) || is('watchpoints', 3)) return infoBreakpoints(mi, rest);
  if (is('threads', 2)) return infoThreads(mi, ctx);
  if (is('frame', 1)) return infoFrame(mi, ctx);
  if (is('registers', 1)) return infoRegisters(mi, ctx, rest);
  if (is('all-registers', 2)) return infoRegisters(mi, ctx, rest, true);
  if (is('sharedlibrary', 2) || sub === 'dll') return infoSharedLibrary(mi);
  if (is('checkpoints', 2)) return infoCheckpoints(mi, rest);
  if (is('line', 2)) return infoLine(mi, ctx, rest);
  if (is('symbol', 2)) return infoSymbol(mi, ctx, rest);
  if (is('source', 2)) return infoSource(mi, ctx);
  if (is('inferiors', 3)) {
    mi.console('  Num  Description       Connection           Executable        \n');
    mi.console(`* 1    ${mi.pid !== undefined ? `process ${mi.pid}`.padEnd(17) : '<null>           '} ${mi.pid !== undefined ? '1 (native)'.padEnd(20) : ''.padEnd(20)} ${mi.programPath ?? ''} \n`);
    return;
  }
  if (is('program', 3)) {
    if (mi.pid === undefined) mi.console('The program being debugged is not being run.\n');
    else mi.console(`\tUsing the running image of child process ${mi.pid}.\nProgram stopped at ${hex((await mi.contextFrame(ctx)).pc)}.\n`);
    return;
  }
  if (is('signals', 3) || is('handle', 1)) {
    mi.console('Signal        Stop\tPrint\tPass to program\tDescription\n\n');
    for (const s of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCHLD']) {
      const h = mi.engine.signalHandling(s);
      mi.console(`${s.padEnd(14)}${h.stop ? 'Yes' : 'No'}\t${h.print ? 'Yes' : 'No'}\t${h.pass ? 'Yes' : 'No'}\t\t${s}\n`);
    }
    return;
  }
  if (is('record', 3)) {
    mi.console(mi.reverseRecording ? 'Active record target: backstep (checkpoints).\n' : 'No recording is currently active.\n');
    return;
  }
  if (is('display', 1)) {
    mi.console('There are no auto-display expressions now.\n');
    return;
  }
  throw new MiError(`Undefined info command: "${args.trim()}".  Try "help info".`);
});

async function infoVars(mi: MiInterpreter, ctx: CommandContext, kind: 'locals' | 'arguments'): Promise<void> {
  const f = await mi.contextFrame(ctx).catch(() => {
    throw new MiError('No frame selected.');
  });
  // `info args` shows the values only, without gdb's frame-line entry values (`x@entry`).
  const vars = (await frameVariables(mi, f, kind)).filter((v) => !v.entry);
  if (!vars.length) {
    mi.console(kind === 'locals' ? 'No locals.\n' : 'No arguments.\n');
    return;
  }
  for (const v of vars) mi.console(`${v.name} = ${v.value}\n`);
}

async function infoBreakpoints(mi: MiInterpreter, rest: string): Promise<void> {
  let metas = [...mi.breakpointMeta.values()];
  if (rest) {
    const want = rest.split(/\s+/).map(Number);
    metas = metas.filter((m) => want.includes(m.number));
  }
  if (!metas.length) {
    mi.console(rest ? `No breakpoint or watchpoint matching '${rest}'.\n` : 'No breakpoints or watchpoints.\n');
    return;
  }
  mi.console('Num     Type           Disp Enb Address            What\n');
  for (const meta of metas) {
    const bp = mi.engineBreakpoint(meta);
    mi.syncMeta(meta, bp);
    const head = `${String(meta.number).padEnd(8)}${meta.type.padEnd(15)}${(meta.temporary ? 'del' : 'keep').padEnd(5)}${(meta.enabled ? 'y' : 'n').padEnd(4)}`;
    const locs = bp?.locations ?? [];
    if (meta.type.includes('watchpoint')) mi.console(`${head}${''.padEnd(19)}${meta.exp}\n`);
    else if (!locs.length) mi.console(`${head}${'<PENDING>'.padEnd(19)}${meta.original}\n`);
    else if (locs.length === 1) {
      const l = locs[0];
      mi.console(`${head}${addr16(l.address)} ${l.file ? `in ${mi.printName(l) ?? l.function} at ${l.file}:${l.line}` : mi.symbolAt(l.address) ?? ''}\n`);
    } else {
      mi.console(`${head}${'<MULTIPLE>'.padEnd(19)}\n`);
    }
    if (meta.cond) mi.console(`\tstop only if ${meta.cond}\n`);
    if (meta.times) mi.console(`\tbreakpoint already hit ${meta.times} time${meta.times === 1 ? '' : 's'}\n`);
    if (meta.ignore) mi.console(`\tWill ignore next ${meta.ignore} crossings of breakpoint.\n`);
    if (locs.length > 1) {
      locs.forEach((l, i) => {
        mi.console(`${`${meta.number}.${i + 1}`.padEnd(28)}${(l.enabled ? 'y' : 'n').padEnd(4)}${addr16(l.address)} ${l.file ? `in ${mi.printName(l) ?? l.function} at ${l.file}:${l.line}` : ''}\n`);
      });
    }
  }
}

async function infoThreads(mi: MiInterpreter, ctx: CommandContext): Promise<void> {
  const ts = await mi.threadList();
  if (!ts.length) {
    mi.console('No threads.\n');
    return;
  }
  const cur = mi.currentThread(ctx);
  const rows: string[][] = [];
  for (const t of ts) {
    const n = mi.threadNumber(t.id);
    const f = t.frame ?? (await mi.frameAt(n, 0).catch(() => undefined));
    rows.push([n === cur ? '*' : ' ', String(n), `${t.targetId} "${t.name}"`, f ? frameLine({ ...f, level: 0 }, await mi.frameArgs(f), f.level === 0 && !!f.file ? false : true) : '']);
  }
  const w = Math.max(9, ...rows.map((r) => r[2].length));
  mi.console(`  Id   ${'Target Id'.padEnd(w)} Frame \n`);
  for (const r of rows) mi.console(`${r[0]} ${r[1].padEnd(4)} ${r[2].padEnd(w)} ${r[3]}\n`);
}

async function infoFrame(mi: MiInterpreter, ctx: CommandContext): Promise<void> {
  const f = await mi.contextFrame(ctx).catch(() => {
    throw new MiError('No stack.');
  });
  const s = await mi.stackPrefix(mi.currentThread(ctx), f.level + 2);
  const caller = s.frames[f.level + 1];
  const callee = f.level > 0 ? s.frames[f.level - 1] : undefined;
  mi.console(`Stack level ${f.level}, frame at ${f.cfa !== undefined ? hex(f.cfa) : '<unknown>'}:\n`);
  mi.console(` rip = ${hex(f.pc)}${f.function ? ` in ${f.function}` : ''}${f.file ? ` (${f.file}:${f.line})` : ''}; saved rip = ${caller ? hex(caller.pc) : '<not saved>'}\n`);
  if (caller) mi.console(` called by frame at ${caller.cfa !== undefined ? hex(caller.cfa) : '<unknown>'}\n`);
  if (callee) mi.console(` caller of frame at ${callee.cfa !== undefined ? hex(callee.cfa) : '<unknown>'}\n`);
  if (f.file) mi.console(` source language ${/\.(cc|cpp|cxx|C|hpp)$/.test(f.file) ? 'c++' : 'c'}.\n`);
  // gdb prints them as frame lines do (`print frame-arguments scalars`: `s=...` for a struct).
  const args = await mi.frameArgs(f, 'scalars');
  mi.console(` Arglist at ${f.cfa !== undefined ? hex(f.cfa - 16) : 'unknown address'}, args: ${frameArgsLine(args)}\n`);
}

/**
 * gdb's `all` register group on amd64 Linux, in register-number order: the general and x87 registers,
 * mxcsr, and the widest view of the vector registers only (zmm with AVX-512, else ymm, else xmm), with
 * k0-k7; not fs_base, gs_base, orig_rax nor the raw halves and sub-registers.
 */
function allGroup(names: string[]): string[] {
  const avx512 = names.includes('zmm0');
  const avx = names.includes('ymm0');
  return names.filter((n, i) => {
    if (!n) return false;
    if (i < 40 || n === 'mxcsr' || /^k\d$/.test(n) || /^zmm\d+$/.test(n)) return true;
    if (/^xmm\d+$/.test(n)) return !avx;
    if (/^ymm\d+$/.test(n)) return !avx512;
    return false;
  });
}

async function infoRegisters(mi: MiInterpreter, ctx: CommandContext, rest: string, all = false): Promise<void> {
  const f = await mi.contextFrame(ctx).catch(() => {
    throw new MiError('The program has no registers now.');
  });
  const vals = await registerValues(mi.engine, f.id);
  // gdb's general group: rax..gs, then k0-k7 when the CPU has AVX-512 (fs_base/gs_base are in `system`).
  let names = rest
    ? rest.split(/\s+/).map((n) => n.replace(/^\$/, ''))
    : all
      ? allGroup(currentRegisterNames(mi.engine)).filter((n) => vals.has(n))
      : REGISTER_NAMES.slice(0, 24).concat(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']).filter((n) => vals.has(n));
  if (rest === 'pc') names = ['rip'];
  for (const n of names) {
    const nn = n === 'pc' ? 'rip' : n === 'sp' ? 'rsp' : n === 'fp' ? 'rbp' : n;
    const v = vals.get(nn);
    if (!v) throw new MiError(`Invalid register \`${n}'`);
    const rawHex = formatRegister(nn, v, 'x');
    // Vector registers (unions and arrays): gdb prints the hex form only.
    if (/^(?:[xyz]mm\d+|zmm\d+h)$/.test(nn)) {
      mi.console(`${nn.padEnd(15)}${rawHex}\n`);
      continue;
    }
    const nat = formatRegister(nn, v, 'N');
    if (/^st\d$/.test(nn)) {
      // x87 registers: the value, then the raw 80 bits.
      mi.console(`${nn.padEnd(15)}${nat.length >= 20 ? nat + ' ' : nat.padEnd(20)}(raw ${formatRegister(nn, v, 'z')})\n`);
      continue;
    }
    // gdb pads the raw column to 19 characters, with at least one space after it.
    mi.console(`${nn.padEnd(15)}${rawHex.length >= 20 ? rawHex + ' ' : rawHex.padEnd(20)}${nat}\n`);
  }
}

function infoSharedLibrary(mi: MiInterpreter): void {
  const mods = mi.pid === undefined ? [] : mi.engine.modules().filter((m) => m.kind === 'library' || m.kind === 'interpreter');
  if (!mods.length) {
    mi.console('No shared libraries loaded at this time.\n');
    return;
  }
  mi.console('From                To                  Syms Read   Shared Object Library\n');
  for (const m of mods) {
    const from = m.textStart !== undefined ? addr16(m.textStart) : ''.padEnd(18);
    const to = m.textEnd !== undefined ? addr16(m.textEnd) : ''.padEnd(18);
    mi.console(`${from}  ${to}  ${m.symbolsLoaded ? 'Yes' : 'No '}${m.symbolsLoaded && !m.hasDebugInfo ? ' (*)' : '    '}     ${m.path}\n`.replace('Yes     ', 'Yes         ').replace('Yes (*)     ', 'Yes (*)     '));
  }
  if (mods.some((m) => m.symbolsLoaded && !m.hasDebugInfo)) mi.console('(*): Shared library is missing debugging information.\n');
}

/** gdb's `print_address`: `0x1169 <main>`, `0x115f <hot+22>`, the bare address outside any symbol. */
function printAddress(mi: MiInterpreter, a: number): string {
  const s = mi.engine.addressSymbol(a, { linkageNames: true });
  return s ? `${hex(a)} <${s.name}${s.offset ? `+${s.offset}` : ''}>` : hex(a);
}

/** State `info line` keeps (gdb's last_line_listed): a repeated `info line` shows the next line. */
type InfoLineState = MiInterpreter & { infoLineNext?: { file: string; line: number; stop: unknown }; listLast?: { file: string; line: number } };

/** The default source file of a bare line number (gdb's current source symtab). */
async function defaultSourceFile(mi: MiInterpreter, ctx: CommandContext): Promise<string> {
  const st = mi as InfoLineState;
  if (st.infoLineNext && st.infoLineNext.stop === mi.lastStop) return st.infoLineNext.file;
  if (st.listLast) return st.listLast.file;
  const f = mi.pid !== undefined && mi.engine.state === 'stopped' ? await mi.contextFrame(ctx).catch(() => undefined) : undefined;
  if (f?.file) return f.fullPath ?? f.file;
  const l = (await mi.engine.resolveLocation('main').catch(() => []))[0];
  if (!l) throw new MiError('No symbol table is loaded.  Use the "file" command.');
  return l.fullPath;
}

/**
 * `info line [LOCATION]` as gdb's info_line_command: a line (`FILE:LINE`, `LINE`) is looked up in
 * list mode (its first statement entry, or where the code after it starts: "but contains no code");
 * `*ADDR` and a function name take the line-table entry holding the address; a variable names its
 * declaration line. Without an argument: the stop's line, then the line after the last one shown.
 */
async function infoLine(mi: MiInterpreter, ctx: CommandContext, rest: string): Promise<void> {
  const st = mi as InfoLineState;
  const loc = rest.trim();
  const byLine = (fullPath: string, line: number): void => {
    let r;
    try {
      r = mi.engine.lineCode(fullPath, line);
    } catch (e) {
      throw new MiError(errorMessage(e));
    }
    if ('outOfRange' in r) {
      mi.console(`Line number ${line} is out of range for "${r.outOfRange}".\n`);
      return;
    }
    if (r.start === r.end) mi.console(`Line ${line} of "${r.file}" is at address ${printAddress(mi, r.start)} but contains no code.\n`);
    else mi.console(`Line ${line} of "${r.file}" starts at address ${printAddress(mi, r.start)} and ends at ${printAddress(mi, r.end)}.\n`);
    st.infoLineNext = { file: r.fullPath, line: line + 1, stop: mi.lastStop };
  };
  const byAddress = (a: number): void => {
    const r = mi.engine.lineRangeAt(a);
    if (!r) {
      mi.console(`No line number information available for address ${printAddress(mi, a)}\n`);
      return;
    }
    const end = r.end ?? r.start;
    if (r.start === end) mi.console(`Line ${r.line} of "${r.file}" is at address ${printAddress(mi, r.start)} but contains no code.\n`);
    else mi.console(`Line ${r.line} of "${r.file}" starts at address ${printAddress(mi, r.start)} and ends at ${printAddress(mi, end)}.\n`);
    st.infoLineNext = { file: r.fullPath, line: r.line + 1, stop: mi.lastStop };
  };
  if (!loc) {
    // A stop makes the stop's line the current one again (gdb's current source line).
    if (st.infoLineNext && st.infoLineNext.stop === mi.lastStop) return byLine(st.infoLineNext.file, st.infoLineNext.line);
    const f = mi.pid !== undefined && mi.engine.state === 'stopped' ? await mi.contextFrame(ctx).catch(() => undefined) : undefined;
    if (f?.file && f.line) return byLine(f.fullPath ?? f.file, f.line);
    return byLine(await defaultSourceFile(mi, ctx), 1);
  }
  if (loc.startsWith('*')) return byAddress(await evalAddress(mi, ctx, loc.slice(1)));
  const m = /^(?:(.+):)?(\d+)$/.exec(loc);
  if (m) return byLine(m[1] ?? (await defaultSourceFile(mi, ctx)), Number(m[2]));
  // FUNCTION or FILE:FUNCTION (a variable names its declaration line).
  const name = loc.replace(/^[^:]*\.[A-Za-z+]+:/, '');
  let a: number | undefined;
  try {
    const r = await mi.engine.evaluate(`&${name}`, { context: 'repl' });
    const hexAddr = /0x[0-9a-f]+/.exec(r.value);
    if (hexAddr) a = Number(hexAddr[0]);
  } catch {
    a = undefined;
  }
  if (a === undefined) throw new MiError(`Function "${name}" not defined.`);
  const info = mi.engine.addressInfo(a);
  if (info.function && (info.offset ?? 0) === 0) return byAddress(a);
  const v = searchSymbols(mi.engine, { kind: 'variable', name: `^${name.replace(/[.[\]*^$\\]/g, '\\$&')}$` }).debug[0];
  if (!v?.line) throw new MiError(`Function "${name}" not defined.`);
  mi.console(`Line ${v.line} of "${v.file}" is at address ${printAddress(mi, a)} but contains no code.\n`);
  st.infoLineNext = { file: v.fullPath, line: v.line + 1, stop: mi.lastStop };
}

/**
 * `info symbol ADDR` as gdb's info_symbol_command: for each object and allocated section holding the
 * address, its minimal symbol (`main + 8 in section .text`), naming the object (`of /lib/.../libc.so.6`)
 * once the program space has more than one.
 */
async function infoSymbol(mi: MiInterpreter, ctx: CommandContext, rest: string): Promise<void> {
  needArg(rest, 'address');
  const a = await evalAddress(mi, ctx, rest);
  const hits = mi.engine.sectionSymbols(a);
  if (!hits.length) {
    mi.console(`No symbol matches ${rest}.\n`);
    return;
  }
  const multi = mi.pid !== undefined && mi.engine.modules().length > 1;
  for (const h of hits) mi.console(`${h.offset ? `${h.name} + ${h.offset}` : h.name} in section ${h.section}${multi ? ` of ${h.objfile}` : ''}\n`);
}

async function infoSource(mi: MiInterpreter, ctx: CommandContext): Promise<void> {
  const f = await mi.contextFrame(ctx).catch(() => undefined);
  if (!f?.file) {
    mi.console('No current source file.\n');
    return;
  }
  mi.console(`Current source file is ${f.file}\nLocated in ${f.fullPath ?? f.file}\n`);
  const lines = sourceLines(f.fullPath ?? f.file);
  if (lines) mi.console(`Contains ${lines.length} lines.\n`);
  mi.console(`Source language is ${/\.(cc|cpp|cxx|C)$/.test(f.file) ? 'c++' : 'c'}.\nProducer is unknown.\nCompiled with DWARF debugging format.\nDoes not include preprocessor macro info.\n`);
}

function infoCheckpoints(mi: MiInterpreter, rest: string): void {
  const cps = mi.engine.checkpoints();
  const want = rest.trim() ? Number(rest.trim()) : undefined;
  // gdb lists nothing while only the original process exists.
  if (!cps.some((c) => c.id !== 0)) {
    mi.console('No checkpoints.\n');
    return;
  }
  const shown = want === undefined ? cps : cps.filter((c) => c.id === want);
  if (!shown.length) {
    mi.console(`No checkpoint number ${rest.trim()}.\n`);
    return;
  }
  for (const c of shown) mi.console(`${/^[* ] /.test(c.description) ? c.description : `${c.current ? '*' : ' '} ${c.description}`}\n`);
}

// ---------------------------------------------------------------- data
def(['print', 'p', 'inspect', 'call', 'output'], async (mi, ctx, args, name) => {
  const { fmt, rest } = parseSlash(args);
  const expr = rest.trim();
  if (!expr) {
    if (name === 'output') throw new MiError('Argument required (expression to compute).');
    if (mi.valueHistory === 0) {
      mi.console('$1 = <error: History is empty.>\n');
      return;
    }
  }
  const letter = fmt ? fmt.replace(/\d+/g, '')[0] : undefined;
  if (letter && !formatKind(letter) && !'sizwgbh'.includes(letter)) throw new MiError(`Undefined output format "${fmt}".`);
  const v = await evaluate(mi, ctx, expr || '$', formatKind(letter), name !== 'output');
  if (name === 'output') {
    mi.console(v);
    return;
  }
  if (name === 'call' && v === '') return;
  const n = ++mi.valueHistory;
  mi.console(`$${n} = ${v}\n`);
});
def(['ptype', 'whatis'], async (mi, ctx, args, name) => {
  needArg(args, 'one or more choice items');
  const frameId = mi.pid !== undefined && mi.engine.state === 'stopped' ? (await mi.contextFrame(ctx).catch(() => undefined))?.id : undefined;
  const r = await mi.engine.evaluate(args.trim(), { frameId, ptype: name.startsWith('pt') }).catch((e) => {
    throw new MiError(errorMessage(e));
  });
  // One console record per line, as gdb's MI console stream flushes them.
  for (const line of `type = ${(name.startsWith('pt') ? r.ptype : undefined) ?? r.type ?? '<unknown>'}`.split('\n')) mi.console(line + '\n');
});
def(['x'], async (mi, ctx, args) => {
  const { fmt, rest } = parseSlash(args);
  const m = /^(\d*)([a-z]*)$/.exec(fmt ?? '');
  const count = m && m[1] ? Number(m[1]) : 1;
  let letter = 'x';
  let size = 4;
  for (const ch of m?.[2] ?? '') {
    if ('bhwg'.includes(ch)) size = { b: 1, h: 2, w: 4, g: 8 }[ch as 'b' | 'h' | 'w' | 'g'];
    else letter = ch;
  }
  needArg(rest, 'starting display address');
  const a = await evalAddress(mi, ctx, rest);
  if (letter === 'i') {
    const mem = await readCode(mi, a, count * 15 + 15);
    const lines = decode(mem.data, a, { max: count, flavor: mi.settings.get('disassembly-flavor') === 'intel' ? 'intel' : 'att', symbolize: asmSymbolizer(mi) });
    const cur = await mi.contextFrame(ctx).catch(() => undefined);
    for (const l of lines) mi.console(`${cur && cur.pc === l.address ? '=> ' : '   '}${hex(l.address)}${l.function ? ` <${l.function}${l.offset ? `+${l.offset}` : ''}>` : ''}:\t${l.text}\n`);
    return;
  }
  if (letter === 's') {
    const mem = await readCode(mi, a, 256);
    const z = mem.data.indexOf(0);
    const s = mem.data.subarray(0, z < 0 ? mem.data.length : z).toString('latin1');
    const at = mi.engine.addressSymbol(a, { linkageNames: true });
    mi.console(`${hex(a)}${at ? ` <${at.name}${at.offset ? `+${at.offset}` : ''}>` : ''}:\t"${s.replace(/[\\"]/g, (c) => '\\' + c)}"\n`);
    return;
  }
  if (letter === 'c') size = 1;
  const mem = await readCode(mi, a, count * size).catch(() => ({ address: a, data: Buffer.alloc(0) }));
  // gdb prints the words it could read, then the error after the unreadable word's tab.
  const readable = Math.floor(mem.data.length / size);
  const label = asmSymbolizer(mi);
  const perLine = letter === 'c' || size === 1 ? 8 : size === 2 ? 8 : size === 4 ? 4 : 2;
  for (let i = 0; i < count; i += perLine) {
    const lineAddr = a + i * size;
    const s = label(lineAddr);
    let line = `${hex(lineAddr)}${s ? ` <${s.function}${s.offset ? `+${s.offset}` : ''}>` : ''}:`;
    for (let j = i; j < Math.min(count, i + perLine); j++) {
      if (j >= readable) {
        mi.console(line + '\t');
        throw new MiError(`Cannot access memory at address ${hex(a + j * size)}`);
      }
      let v = 0n;
      for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(mem.data[j * size + k]);
      line += '\t' + xWord(v, letter, size);
    }
    mi.console(line + '\n');
  }
});

function xWord(v: bigint, letter: string, size: number): string {
  switch (letter) {
    case 'x':
      return '0x' + v.toString(16).padStart(size * 2, '0');
    case 'd':
      return BigInt.asIntN(size * 8, v).toString();
    case 'u':
      return v.toString();
    case 'o':
      return v === 0n ? '0' : '0' + v.toString(8);
    case 't':
      return v.toString(2).padStart(size * 8, '0');
    case 'c': {
      const n = Number(BigInt.asIntN(8, v));
      const ch = n >= 32 && n < 127 ? String.fromCharCode(n) : '\\' + (n & 0xff).toString(8).padStart(3, '0');
      return `${n} '${ch}'`;
    }
    case 'a':
      return '0x' + v.toString(16);
    default:
      return '0x' + v.toString(16).padStart(size * 2, '0');
  }
}

def(['list', 'l'], async (mi, ctx, args) => {
  const size = Number(mi.settings.get('listsize')) || 10;
  let file: string | undefined;
  let center: number | undefined;
  const a = args.trim();
  const st = mi as MiInterpreter & { listLast?: { file: string; line: number } };
  if (!a) {
    if (st.listLast) {
      file = st.listLast.file;
      center = st.listLast.line + Math.floor(size / 2) + 1;
      if (center - Math.floor(size / 2) < 1) center = 1;
    } else {
      const f = mi.pid !== undefined && mi.engine.state === 'stopped' ? await mi.contextFrame(ctx).catch(() => undefined) : undefined;
      if (f?.file) {
        file = f.fullPath ?? f.file;
        center = f.line!;
      } else {
        const l = (await mi.engine.resolveLocation('main').catch(() => []))[0];
        if (!l) throw new MiError('No symbol table is loaded.  Use the "file" command.');
        file = l.fullPath;
        center = l.line + 1;
      }
    }
  } else {
    const lines = await mi.engine.resolveLocation(a).catch((e) => {
      throw new MiError(errorMessage(e));
    });
    if (!lines.length) throw new MiError(`Function "${a}" not defined.`);
    file = lines[0].fullPath;
    center = lines[0].line;
  }
  const src = sourceLines(file!);
  if (!src) throw new MiError(`${center}\tin ${file}`);
  let first = Math.max(1, center! - Math.floor(size / 2));
  const last = Math.min(src.length, first + size - 1);
  if (first > src.length) throw new MiError(`Line number ${first} out of range; "${file}" has ${src.length} lines.`);
  for (let i = first; i <= last; i++) mi.console(`${i}\t${src[i - 1]}\n`);
  st.listLast = { file: file!, line: last - Math.floor(size / 2) };
  first = last;
});
/**
 * `disassemble [/m|/s] [/r|/b] [ADDR | START,END | START,+LENGTH]` as gdb's disassemble_command: the
 * function around the frame's pc or ADDR ("Dump of assembler code for function NAME:", `<+off>`), or
 * a range ("from START to END:", `<name+off>`); `=>` marks the frame's pc; /m and /s interleave the
 * source as gdb 13 does (src/mi/disasm-source.ts). Before `run` it reads the executable's sections at
 * link-time addresses.
 */
def(['disassemble'], async (mi, ctx, args) => {
  const { fmt, rest } = parseSlash(args);
  const mods = new Set<string>();
  if (fmt !== undefined) {
    if (fmt === '') throw new MiError('Missing modifier.');
    for (const c of fmt) {
      if (!'mrbs'.includes(c)) throw new MiError('Invalid disassembly modifier.');
      mods.add(c);
    }
    if (mods.has('m') && mods.has('s')) throw new MiError('Cannot specify both /m and /s.');
  }
  const arg = rest.trim();
  const f = arg ? await mi.contextFrame(ctx).catch(() => undefined) : await mi.contextFrame(ctx).catch(() => {
    throw new MiError('No frame selected.');
  });
  const sym = asmSymbolizer(mi);
  const flavor = mi.settings.get('disassembly-flavor') === 'intel' ? 'intel' : 'att';
  // x86 opcodes are single bytes: /b prints them as /r does.
  const raw = (bytes: number[]) => (mods.has('r') || mods.has('b') ? '\t' + bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(19) : '');
  const source = mods.has('m') ? 'deprecated' : mods.has('s') ? 'source' : undefined;
  const comma = arg.indexOf(',');
  let low: number;
  let high: number;
  let insnText: (l: DisasmLine) => string;
  let lines: DisasmLine[] | undefined;
  if (comma >= 0) {
    low = await evalAddress(mi, ctx, arg.slice(0, comma));
    const second = arg.slice(comma + 1).trim();
    high = second.startsWith('+') ? low + (await evalAddress(mi, ctx, second.slice(1))) : await evalAddress(mi, ctx, second);
    mi.console(`Dump of assembler code from ${hex(low)} to ${hex(high)}:\n`);
    insnText = (l) => {
      const s = sym(l.address);
      return `${l.address === f?.pc ? '=> ' : '   '}${addr16(l.address)}${s ? ` <${s.function}+${s.offset}>` : ''}:${raw(l.bytes)}\t${l.text}\n`;
    };
    if (high > low && !source) {
      const mem = await readCode(mi, low, high - low + 15);
      lines = decode(mem.data, low, { flavor, symbolize: sym, end: high });
    }
  } else {
    const at = arg ? await evalAddress(mi, ctx, arg) : f!.pc;
    const info = mi.engine.addressInfo(at);
    if (!info.function || info.offset === undefined) throw new MiError('No function contains specified address.');
    const start = at - info.offset;
    const fn = sym(start);
    const mem = await readCode(mi, start, 4096 + 15).catch(async () => readCode(mi, start, 256));
    // The function's instructions: those the symbolizer puts in the same function.
    lines = decode(mem.data, start, { flavor, symbolize: sym, end: start + mem.data.length }).filter((l) => {
      const s = sym(l.address);
      return s !== undefined && s.function === fn?.function && l.address - s.offset === start;
    });
    low = start;
    const last = lines[lines.length - 1];
    high = last ? last.address + last.bytes.length : start;
    mi.console(`Dump of assembler code for function ${fn?.function ?? info.function}:\n`);
    insnText = (l) => {
      const s = sym(l.address);
      const off = s && l.address - s.offset === start ? s.offset : l.address - start;
      return `${l.address === f?.pc ? '=> ' : '   '}${addr16(l.address)} <+${off}>:${raw(l.bytes)}\t${l.text}\n`;
    };
  }
  const items = source && high > low ? await mixedSourceAndAssembly(mi, low, high, { mode: source, flavor, symbolize: sym, read: async (a, n) => (await readCode(mi, a, n)).data }) : undefined;
  if (items) {
    for (const it of items) {
      if (it.kind === 'text') mi.console(it.text);
      else {
        if (!it.src) mi.console('--- no source info for this pc ---\n');
        else {
          const text = sourceLine({ fullPath: it.src.fullPath, line: it.src.line });
          mi.console(text !== undefined ? text + '\n' : `${it.src.line}\tin ${it.src.file}\n`);
        }
        for (const l of it.insns) mi.console(insnText(l));
      }
    }
  } else {
    if (!lines && high > low) {
      const mem = await readCode(mi, low, high - low + 15);
      lines = decode(mem.data, low, { flavor, symbolize: sym, end: high });
    }
    for (const l of lines ?? []) mi.console(insnText(l));
  }
  mi.console('End of assembler dump.\n');
});

// ---------------------------------------------------------------- stack
def(['backtrace', 'bt', 'where'], async (mi, ctx, args) => {
  mi.requireFrames();
  const t = mi.currentThread(ctx);
  const n = Number(args.trim().split(/\s+/).find((w) => /^-?\d+$/.test(w)) ?? NaN);
  // `bt N` unwinds N frames (and one more to know whether more follow), not the whole stack.
  const s = Number.isInteger(n) && n > 0 ? await mi.stackPrefix(t, n + 1) : { frames: (await mi.stack(t)).frames, more: false };
  let frames = s.frames;
  if (Number.isInteger(n)) frames = n >= 0 ? frames.slice(0, n) : frames.slice(n);
  for (const f of frames) await printFrame(mi, f, false);
  if (Number.isInteger(n) && n > 0 && s.frames.length > n) mi.console('(More stack frames follow...)\n');
});
def(['frame', 'f'], async (mi, ctx, args) => {
  const a = args.trim().replace(/^level\s+/, '');
  if (!a) {
    const f = await mi.contextFrame(ctx).catch(() => {
      throw new MiError('No stack.');
    });
    await printFrame(mi, f, true);
    return;
  }
  // gdb's level_command: the level is an expression (`frame abc`: `No symbol "abc" in current context.`).
  let level = /^\d+$/.test(a) ? Number(a) : NaN;
  if (Number.isNaN(level)) {
    const frameId = (await mi.contextFrame(ctx).catch(() => undefined))?.id;
    const r = await mi.engine.evaluate(a, { frameId, context: 'watch' }).catch((e) => {
      throw new MiError(errorMessage(e));
    });
    level = Number.parseInt(r.value, r.value.startsWith('0x') ? 16 : 10);
    if (!Number.isInteger(level)) throw new MiError('Invalid number "' + a + '".');
  }
  await selectFrame(mi, ctx, level, 'frame');
});
/** `up [N]` / `down [N]`: N frames (1 by default; an explicit N stops at the end of the stack). */
const relativeFrame = async (mi: MiInterpreter, ctx: CommandContext, args: string, dir: 1 | -1): Promise<void> => {
  const a = args.trim();
  const n = a ? Number(a) : 1;
  if (!Number.isInteger(n)) throw new MiError(`No symbol "${a}" in current context.`);
  await selectFrame(mi, ctx, mi.currentFrameLevel(ctx) + dir * n, a ? 'clamp' : 'move');
};
def(['up'], async (mi, ctx, args) => relativeFrame(mi, ctx, args, 1));
def(['down'], async (mi, ctx, args) => relativeFrame(mi, ctx, args, -1));
def(['thread', 't'], async (mi, ctx, args) => {
  const a = args.trim();
  if (!a) {
    if (mi.pid === undefined) throw new MiError('No thread selected');
    const n = mi.currentThread(ctx);
    const t = (await mi.threadList()).find((x) => mi.threadNumber(x.id) === n);
    mi.console(`[Current thread is ${n} (${t?.targetId ?? ''})]\n`);
    return;
  }
  const n = Number(a);
  await mi.threadList();
  if (!Number.isInteger(n) || !mi.knownThreadNumbers().includes(n)) throw new MiError(`Invalid thread ID: ${a}`);
  mi.selectedThread = n;
  mi.selectedFrame = 0;
  mi.engine.selectThread(mi.engineThread(n));
  const t = (await mi.threadList()).find((x) => mi.threadNumber(x.id) === n);
  const f = await mi.frameAt(n, 0);
  mi.console(`[Switching to thread ${n} (${t?.targetId ?? ''})]\n`);
  await printFrame(mi, f, true);
  mi.notify('thread-selected', { id: String(n), frame: frameTuple(f, { level: true, args: await mi.frameArgs(f) }) });
});

// ---------------------------------------------------------------- breakpoints
for (const [names, opts] of [
  [['break', 'b', 'br', 'bre', 'brea'], {}],
  [['tbreak', 'tb'], { temporary: true }],
  [['hbreak'], { hardware: true }],
  [['thbreak'], { hardware: true, temporary: true }],
] as const) {
  def([...names], async (mi, ctx, args) => {
    let a = args.trim();
    let condition: string | undefined;
    let thread: number | undefined;
    const ci = a.search(/(^|\s)if(\s|\(|$)/);
    if (ci >= 0) {
      condition = a.slice(ci).replace(/^\s*if/, '').trim();
      a = a.slice(0, ci).trim();
    }
    const tm = /(^|\s)thread\s+(\d+)\s*$/.exec(a);
    if (tm) {
      thread = Number(tm[2]);
      a = a.slice(0, tm.index).trim();
    }
    const pendingSetting = mi.settings.get('breakpoint pending');
    const { meta } = await insertBreakpoint(mi, { ...opts, location: a || undefined, condition, thread, pending: pendingSetting !== 'off' });
    const bp = mi.engineBreakpoint(meta);
    if (meta.pending !== undefined && pendingSetting === 'auto') {
      mi.console('Make breakpoint pending on future shared library load? (y or [n]) [answered Y; input not from terminal]\n');
    }
    mi.console(breakpointSetText(meta, bp) + '\n');
    mi.write(`=breakpoint-created,bkpt=${new MiRaw(mi.bkptText(meta)).text}`);
  });
}
def(['dprintf'], async (mi, ctx, args) => {
  const m = /^([^,]+),(.*)$/.exec(args.trim());
  if (!m) throw new MiError('Format string required');
  const { meta } = await insertBreakpoint(mi, { location: m[1].trim(), dprintf: m[2].trim() });
  mi.console(`Dprintf ${meta.number} at ${breakpointSetText(meta, mi.engineBreakpoint(meta)).replace(/^Breakpoint \d+ at /, '')}\n`);
  mi.write(`=breakpoint-created,bkpt=${mi.bkptText(meta)}`);
});
def(['watch', 'rwatch', 'awatch'], async (mi, _c, args, name) => {
  needArg(args, 'expression to compute');
  const r = await watch(mi, args.trim(), name === 'rwatch' ? 'read' : name === 'awatch' ? 'access' : 'write');
  const kind = r.software ? 'Watchpoint' : name === 'rwatch' ? 'Hardware read watchpoint' : name === 'awatch' ? 'Hardware access (read/write) watchpoint' : 'Hardware watchpoint';
  mi.console(`${kind} ${r.meta.number}: ${r.meta.exp}\n`);
  mi.write(`=breakpoint-created,bkpt=${mi.bkptText(r.meta)}`);
});
def(['delete', 'd'], async (mi, _c, args) => {
  const a = args.trim();
  if (/^checkpoint\b/.test(a)) return deleteCheckpoint(mi, a.slice(10).trim());
  const rest = a.replace(/^(breakpoints|br)\b/, '').trim();
  if (!rest) {
    for (const meta of [...mi.breakpointMeta.values()]) await deleteBreakpoint(mi, meta, true);
    return;
  }
  for (const w of expandRanges(rest)) {
    const meta = mi.breakpointMeta.get(w);
    if (!meta) {
      mi.log(`No breakpoint number ${w}.\n`);
      continue;
    }
    await deleteBreakpoint(mi, meta, true);
  }
});
def(['clear'], async (mi, ctx, args) => {
  const lines = await mi.engine.resolveLocation(args.trim() || `*${hex((await mi.contextFrame(ctx)).pc)}`).catch((e) => {
    throw new MiError(errorMessage(e));
  });
  const addrs = new Set(lines.flatMap((l) => l.addresses));
  const hit = [...mi.breakpointMeta.values()].filter((m) => mi.engineBreakpoint(m)?.locations.some((l) => addrs.has(l.address)));
  if (!hit.length) throw new MiError(`No breakpoint at ${args.trim()}.`);
  for (const m of hit) await deleteBreakpoint(mi, m, true);
  mi.console(`Deleted breakpoint${hit.length > 1 ? 's' : ''} ${hit.map((m) => m.number).join(' ')} \n`);
});
for (const [name, on] of [
  ['enable', true],
  ['disable', false],
] as const) {
  def([name, ...(name === 'disable' ? ['dis', 'disa'] : ['en'])], async (mi, _c, args) => {
    let a = args.trim().replace(/^(breakpoints|br)\b/, '').trim();
    let once = false;
    if (/^once\b/.test(a)) {
      once = true;
      a = a.slice(4).trim();
    }
    void once;
    const metas = a ? expandRanges(a).map((n) => parseBreakpointNumber(mi, String(n))) : [...mi.breakpointMeta.values()];
    for (const meta of metas) await enableBreakpoint(mi, meta, on, true);
  });
}
def(['condition'], async (mi, _c, args) => {
  const m = /^(\d+)\s*(.*)$/.exec(args.trim());
  if (!m) throw new MiError('Argument required (breakpoint number).');
  const meta = parseBreakpointNumber(mi, m[1]);
  await setCondition(mi, meta, m[2] || undefined, true);
  if (!m[2]) mi.console(`Breakpoint ${meta.number} now unconditional.\n`);
});
def(['ignore'], async (mi, _c, args) => {
  const m = /^(\d+)\s+(\d+)$/.exec(args.trim());
  if (!m) throw new MiError('Argument required (a breakpoint number).');
  const meta = parseBreakpointNumber(mi, m[1]);
  const n = Number(m[2]);
  await setIgnore(mi, meta, n, true);
  mi.console(n === 0 ? `Will stop next time breakpoint ${meta.number} is reached.\n` : n === 1 ? `Will ignore next crossing of breakpoint ${meta.number}.\n` : `Will ignore next ${n} crossings of breakpoint ${meta.number}.\n`);
});

function expandRanges(s: string): number[] {
  const out: number[] = [];
  for (const w of s.split(/\s+/)) {
    const r = /^(\d+)-(\d+)$/.exec(w);
    if (r) for (let i = Number(r[1]); i <= Number(r[2]); i++) out.push(i);
    else if (/^\d+$/.test(w)) out.push(Number(w));
    else throw new MiError(`Convenience variable must have integer value.\nArgs must be numbers or '$' variables.`);
  }
  return out;
}

// ---------------------------------------------------------------- running
def(['run', 'r'], async (mi, ctx, args) => {
  if (args.trim()) {
    mi.programArgs = splitShellArgs(args);
    mi.programArgsText = args.trim();
  }
  mi.console(`Starting program: ${mi.programPath ?? ''} ${mi.programArgs.join(' ')}\n`);
  return run(mi, ctx, 'none');
});
def(['start'], async (mi, ctx, args) => {
  if (args.trim()) {
    mi.programArgs = splitShellArgs(args);
    mi.programArgsText = args.trim();
  }
  return run(mi, ctx, 'main');
});
def(['starti'], async (mi, ctx) => {
  if (!mi.programPath) throw new MiError('No executable file specified.\nUse the "file" or "exec-file" command.');
  return mi.startRun(ctx, 'starti', () => mi.engine.launch({ program: mi.programPath!, args: mi.programArgs, cwd: mi.cwd, envOverrides: mi.envOverrides, stopAt: 'entry' }));
});
def(['continue', 'c', 'cont', 'fg'], (mi, ctx, args) => {
  mi.requireStopped();
  const n = Number(args.trim());
  if (mi.settings.get('exec-direction') === 'reverse') return reverseRun(mi, ctx, 'continue');
  return resume(mi, ctx, 'continue', (tid) => mi.engine.cont({ threadId: tid, ignoreCurrent: Number.isInteger(n) && n > 1 ? n : undefined }), 'Continuing.\n');
});
for (const [names, kind] of [
  [['next', 'n'], 'next'],
  [['step', 's'], 'step'],
  [['nexti', 'ni'], 'nexti'],
  [['stepi', 'si'], 'stepi'],
] as const) {
  def([...names], (mi, ctx, args) => {
    mi.requireStopped();
    const count = args.trim() ? Number(args.trim()) : undefined;
    if (mi.settings.get('exec-direction') === 'reverse') return reverseRun(mi, ctx, kind);
    const e = mi.engine;
    return resume(mi, ctx, kind, (tid) =>
      kind === 'next' ? e.next({ threadId: tid, count }) : kind === 'step' ? e.step({ threadId: tid, count }) : e.stepInstruction({ threadId: tid, count, over: kind === 'nexti' }),
    );
  });
}
def(['finish', 'fin'], async (mi, ctx) => {
  const f = await checkFinish(mi, ctx);
  if (mi.settings.get('exec-direction') === 'reverse') return reverseRun(mi, ctx, 'finish');
  const args = await mi.frameArgs(f);
  return resume(mi, ctx, 'finish', (tid) => mi.engine.finish({ threadId: tid, frameId: f.id }), `Run till exit from #${f.level}  ${frameLine(f, args)}\n`);
});
def(['until', 'u'], (mi, ctx, args) => resume(mi, ctx, 'until', (tid) => mi.engine.until({ threadId: tid, location: args.trim() || undefined })));
def(['advance'], (mi, ctx, args) => {
  needArg(args, 'a location');
  return resume(mi, ctx, 'until', (tid) => mi.engine.advance(args.trim(), { threadId: tid }));
});
def(['jump', 'j'], async (mi, ctx, args) => {
  needArg(args, 'starting address');
  return jump(mi, ctx, args.trim());
});
def(['signal'], (mi, ctx, args) => {
  needArg(args, 'signal number');
  const s = args.trim();
  return resume(mi, ctx, 'continue', (tid) => mi.engine.cont({ threadId: tid, signal: /^\d+$/.test(s) ? Number(s) : s }), `Continuing with signal ${s}.\n`);
});
def(['interrupt'], async (mi) => {
  if (mi.running) await mi.engine.pause();
});
def(['kill', 'k'], async (mi) => {
  if (mi.pid === undefined) throw new MiError('The program is not being run.');
  const pid = mi.pid;
  mi.console('Kill the program being debugged? (y or n) [answered Y; input not from terminal]\n');
  await mi.engine.kill();
  mi.onProcessGone(undefined, { killed: true });
  mi.console(`[Inferior 1 (process ${pid}) killed]\n`);
});
def(['detach'], async (mi, _c, args) => {
  const a = args.trim();
  if (/^checkpoint\b/.test(a)) return detachCheckpoint(mi, a.slice(10).trim());
  if (mi.pid === undefined) throw new MiError('The program is not being run.');
  const pid = mi.pid;
  await mi.engine.detach();
  mi.console(`[Inferior 1 (process ${pid}) detached]\n`);
  mi.onProcessGone(undefined, { killed: true });
});
def(['attach'], async (mi, ctx, args) => {
  needArg(args, 'process-id to attach');
  const r = await mi.commands.get('target-attach')!.handler(mi, ctx, [args.trim()]);
  return r ?? undefined;
});
def(['quit', 'q', 'exit'], () => ({ cls: 'exit' }));

// ---------------------------------------------------------------- checkpoints
def(['checkpoint'], async (mi) => {
  if (mi.pid === undefined) throw new MiError('The program is not being run.');
  mi.requireStopped();
  const c = await mi.engine.checkpoint().catch((e) => {
    throw new MiError(errorMessage(e));
  });
  mi.console(`checkpoint ${c.id}: fork returned pid ${c.pid}.\n`);
});
def(['restart'], async (mi, ctx, args) => {
  const a = args.trim();
  if (!a) throw new MiError('Requires argument (checkpoint id to restart)');
  const id = Number(a);
  if (!mi.engine.checkpoints().some((c) => c.id === id)) throw new MiError(`Not found: checkpoint id ${a}`);
  mi.requireStopped();
  // The checkpoint is another process: its threads keep gdb's numbers (thread 1 stays thread 1).
  mi.suppressThreadEvents = true;
  let stop;
  try {
    stop = await mi.engine.restartCheckpoint(id);
  } catch (e) {
    throw new MiError(errorMessage(e));
  } finally {
    mi.suppressThreadEvents = false;
  }
  mi.renumberThreads(stop.threadId);
  mi.invalidate();
  const cp = mi.engine.checkpoints().find((c) => c.id === id);
  const tnum = mi.currentThread();
  const threads = await mi.threadList();
  const t = threads.find((x) => mi.threadNumber(x.id) === tnum) ?? threads[0];
  mi.console(`Switching to ${t?.targetId ?? `process ${cp?.pid ?? ''}`}\n`);
  const f = stop.frame ?? (await mi.frameAt(tnum, 0));
  await printFrame(mi, { ...f, level: 0 }, true);
  // gdb prints no *stopped here; backstep adds =thread-selected so front-ends refresh their views.
  mi.selectedFrame = 0;
  mi.notify('thread-selected', { id: String(tnum), frame: frameTuple(f, { level: true, args: await mi.frameArgs(f) }) });
  void ctx;
});
async function deleteCheckpoint(mi: MiInterpreter, a: string): Promise<void> {
  if (!a) throw new MiError('Requires argument (checkpoint id to delete)');
  const id = Number(a);
  const cp = mi.engine.checkpoints().find((c) => c.id === id);
  if (!cp) throw new MiError(`No such checkpoint id, ${a}`);
  if (cp.current) throw new MiError('Please switch to another checkpoint before deleting the current one');
  // The engine reports gdb's "Killed process N" on the console stream itself.
  await mi.engine.deleteCheckpoint(id).catch((e) => {
    throw new MiError(errorMessage(e));
  });
}
async function detachCheckpoint(mi: MiInterpreter, a: string): Promise<void> {
  if (!a) throw new MiError('Requires argument (checkpoint id to detach)');
  const id = Number(a);
  const cp = mi.engine.checkpoints().find((c) => c.id === id);
  if (!cp) throw new MiError(`No such checkpoint id, ${a}`);
  if (cp.current) throw new MiError('Please switch to another checkpoint before detaching the current one');
  const e = mi.engine as unknown as { detachCheckpoint?: (id: number) => Promise<void> };
  if (typeof e.detachCheckpoint === 'function') await e.detachCheckpoint(id);
  else throw new MiError('backstep cannot detach a checkpoint yet.');
  mi.console(`Detached process ${cp.pid}\n`);
}

// ---------------------------------------------------------------- reverse execution
for (const [names, kind] of [
  [['reverse-next', 'rn'], 'next'],
  [['reverse-step', 'rs'], 'step'],
  [['reverse-continue', 'rc'], 'continue'],
  [['reverse-finish'], 'finish'],
  [['reverse-stepi', 'rsi'], 'stepi'],
  [['reverse-nexti', 'rni'], 'nexti'],
] as const) {
  def([...names], async (mi, ctx) => {
    if (mi.pid === undefined) throw new MiError('The program is not being run.');
    if (kind === 'finish') await checkFinish(mi, ctx);
    return reverseRun(mi, ctx, kind);
  });
}
def(['record', 'rec'], async (mi, _c, args) => {
  const a = args.trim();
  if (a === 'stop' || a === 's') {
    if (!mi.reverseRecording) throw new MiError('No recording is currently active.\nUse the "record full" or "record btrace" command first.');
    mi.reverseRecording = false;
    const e = mi.engine as unknown as { stopRecording?: () => Promise<void> };
    if (typeof e.stopRecording === 'function') await e.stopRecording().catch(() => undefined);
    mi.console('Process record is stopped and all execution logs are deleted.\n');
    mi.notify('record-stopped', { 'thread-group': 'i1' });
    return;
  }
  if (a === '' || a === 'full') {
    if (mi.pid === undefined) throw new MiError('The program is not being run.');
    if (mi.reverseRecording) throw new MiError('The process is already being recorded.  Use "record stop" to stop recording first.');
    // Accepted for compatibility; recording starts when the engine offers it (its reverse commands
    // say so otherwise).
    const e = mi.engine as unknown as { startRecording?: () => Promise<void> };
    if (typeof e.startRecording === 'function') {
      try {
        await e.startRecording();
      } catch (err) {
        throw new MiError(errorMessage(err));
      }
      mi.reverseRecording = true;
    }
    mi.notify('record-started', { 'thread-group': 'i1', method: 'full' });
    return;
  }
  if (a.startsWith('btrace')) throw new MiError('Target does not support branch tracing.');
  throw new MiError(`Undefined record command: "${a}".  Try "help record".`);
});

// ---------------------------------------------------------------- completion

/** gdb's -complete: command names, then symbols in scope for the commands that take expressions. */
export async function complete(mi: MiInterpreter, text: string): Promise<{ completion: string; matches: string[] }> {
  const sp = text.search(/\s/);
  let matches: string[];
  if (sp < 0) {
    const names = new Set<string>();
    for (const c of COMMANDS) for (const n of c.names) if (n.startsWith(text) && n.length > 1) names.add(n);
    matches = [...names].sort();
  } else {
    // Names in scope, globals, functions, members after . / -> (shared with the DAP console).
    let frameId: number | undefined;
    if (mi.pid !== undefined && mi.engine.state === 'stopped') frameId = await mi.contextFrame().then((f) => f.id, () => undefined);
    const r = await completeExpression(mi.engine, text, { frameId });
    matches = r.candidates.map((c) => text.slice(0, r.start) + c.name);
  }
  const max = Number(mi.settings.get('max-completions')) || 200;
  matches = matches.slice(0, max);
  let completion = text;
  if (matches.length) {
    let lcp = matches[0];
    for (const x of matches) while (!x.startsWith(lcp)) lcp = lcp.slice(0, -1);
    if (lcp.length > completion.length) completion = lcp;
    if (matches.length === 1 && sp < 0) completion = matches[0] + ' ';
  }
  return { completion, matches };
}
