// Formatting helpers shared by the MI commands: addresses, frames, breakpoints, exit codes, and the
// console sentences gdb prints for stops.
import * as fs from 'fs';
import * as path from 'path';
import type { Breakpoint, FrameInfo, SignalInfo } from '../engine/api';
import { MiRaw, MiResults, MiTuple, MiValue, formatTuple, formatValue } from './syntax';

/** gdb's 16-digit address field ("0x0000555555555187"). */
export function addr16(a: number): string {
  return '0x' + a.toString(16).padStart(16, '0');
}

/** gdb's plain address ("0x555555555187"). */
export function hex(a: number | bigint): string {
  return '0x' + a.toString(16);
}

/** gdb prints exit codes in octal with a leading 0 ("01", "0144"); 0 is "0". */
export function exitCodeOctal(code: number): string {
  return code === 0 ? '0' : '0' + (code >>> 0).toString(8);
}

export const ARCH = 'i386:x86-64';

export interface FrameArg {
  name: string;
  value?: string;
  type?: string;
  /** `x@entry` (gdb's `print entry-values default`): listed as is in MI frames, merged by frameArgsLine. */
  entry?: boolean;
  /** Equal to the entry value that follows: the console shows `x=x@entry=5`. */
  entryEqual?: boolean;
}

/**
 * A frame tuple: level (when given), addr, func, args (when given), file/fullname/line or from, arch.
 * gdb prints `from` for frames without line info and `func="??"` for unknown functions.
 */
export function frameTuple(f: FrameInfo, opts: { level?: boolean; args?: FrameArg[]; addrField?: boolean } = {}): MiTuple {
  const t: MiTuple = {};
  if (opts.level) t.level = String(f.level);
  t.addr = addr16(f.pc);
  t.func = f.function ?? '??';
  if (opts.args) t.args = opts.args.map(argTuple);
  if (f.file && f.line !== undefined) {
    t.file = f.file;
    t.fullname = f.fullPath ?? f.file;
    t.line = String(f.line);
  } else if (f.module && !f.signalTrampoline) {
    t.from = f.module;
  }
  t.arch = ARCH;
  return t;
}

/** Arguments as gdb's console frame lines show them: `x=x@entry=5` when the entry value equals the value. */
export function frameArgsLine(args: FrameArg[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (x.entryEqual && args[i + 1]?.entry) {
      out.push(`${x.name}=${x.name}@entry=${x.value ?? '...'}`);
      i++;
    } else out.push(`${x.name}=${x.value ?? '...'}`);
  }
  return out.join(', ');
}

function argTuple(a: FrameArg): MiTuple {
  const t: MiTuple = { name: a.name };
  if (a.type !== undefined) t.type = a.type;
  if (a.value !== undefined) t.value = a.value;
  return t;
}

/** "main (argc=1, argv=0x7ffe...) at t.c:8" — the frame line of gdb's stop and `frame` output. */
export function frameLine(f: FrameInfo, args: FrameArg[] | undefined, withAddr = false): string {
  const a = args ? `(${frameArgsLine(args)})` : '()';
  const pre = withAddr || !f.file ? `${addr16(f.pc)} in ` : '';
  if (f.signalTrampoline) return '<signal handler called>';
  if (f.file && f.line !== undefined) return `${pre}${f.function ?? '??'} ${a} at ${f.file}:${f.line}`;
  return `${addr16(f.pc)} in ${f.function ?? '??'} ${f.function ? a : '()'}${f.module ? ` from ${f.module}` : ''}`;
}

// ------------------------------------------------------------------------------------------------
// Source lines

const sourceCache = new Map<string, { mtime: number; lines: string[] }>();

export function sourceLines(file: string): string[] | undefined {
  try {
    const st = fs.statSync(file);
    const c = sourceCache.get(file);
    if (c && c.mtime === st.mtimeMs) return c.lines;
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    sourceCache.set(file, { mtime: st.mtimeMs, lines });
    return lines;
  } catch {
    return undefined;
  }
}

/** "8\t    sum = add(sum, i);" or undefined when the file cannot be read. */
export function sourceLine(f: { file?: string; fullPath?: string; line?: number }): string | undefined {
  if (f.line === undefined) return undefined;
  const p = f.fullPath ?? f.file;
  if (!p) return undefined;
  const lines = sourceLines(p);
  if (!lines || f.line < 1 || f.line > lines.length) return undefined;
  return `${f.line}\t${lines[f.line - 1]}`;
}

// ------------------------------------------------------------------------------------------------
// Breakpoints

export interface MiBreakpointMeta {
  /** MI/gdb number. */
  number: number;
  /** gdb's original-location text for this breakpoint. */
  original: string;
  type: 'breakpoint' | 'hw breakpoint' | 'watchpoint' | 'hw watchpoint' | 'read watchpoint' | 'acc watchpoint' | 'dprintf';
  /** Watchpoint expression. */
  exp?: string;
  /** -break-insert -p THREAD (gdb number). */
  thread?: number;
  /** Engine breakpoint id (undefined for MI-only pending breakpoints). */
  engineId?: number;
  /** Pending text (location not found yet). */
  pending?: string;
  times: number;
  /** Condition text as given. */
  cond?: string;
  ignore?: number;
  enabled: boolean;
  temporary: boolean;
  /** Commands attached (-break-commands). */
  script?: string[];
}

/** What a breakpoint tuple shows of a location. */
export interface BreakLocation {
  address: number;
  function?: string;
  file?: string;
  fullPath?: string;
  line?: number;
}

/** Tuple fields of one breakpoint location (mi2 trailing tuples / mi3 `locations`). */
export function locationTuple(id: string, l: BreakLocation & { enabled: boolean }, funcOf?: (l: BreakLocation) => string | undefined): MiTuple {
  const t: MiTuple = { number: id, enabled: l.enabled ? 'y' : 'n', addr: addr16(l.address) };
  if (l.function) t.func = funcOf?.(l) ?? l.function;
  if (l.file && l.line !== undefined) {
    t.file = l.file;
    t.fullname = l.fullPath ?? l.file;
    t.line = String(l.line);
  }
  t['thread-groups'] = ['i1'];
  return t;
}

/**
 * The `bkpt={...}` value of a breakpoint, in the form of the MI version (mi2: extra location tuples
 * after the main one; mi3+: a `locations` list). Returns an MiRaw so that the mi2 quirk survives.
 */
export function bkptValue(
  meta: MiBreakpointMeta,
  bp: Breakpoint | undefined,
  miVersion: number,
  addrOf?: (a: number) => string | undefined,
  funcOf?: (l: BreakLocation) => string | undefined,
): MiRaw {
  const t: MiTuple = { number: String(meta.number), type: meta.type, disp: meta.temporary ? 'del' : 'keep', enabled: meta.enabled ? 'y' : 'n' };
  const locs = bp?.locations ?? [];
  let extra: MiTuple[] = [];
  if (meta.type.includes('watchpoint')) {
    t.what = meta.exp;
  } else if (!bp || meta.pending !== undefined || locs.length === 0) {
    t.addr = '<PENDING>';
    t.pending = meta.pending ?? meta.original;
  } else if (locs.length === 1) {
    const l = locs[0];
    t.addr = addr16(l.address);
    if (l.function && l.file && l.line !== undefined) {
      t.func = funcOf?.(l) ?? l.function;
      t.file = l.file;
      t.fullname = l.fullPath ?? l.file;
      t.line = String(l.line);
    } else {
      const at = addrOf?.(l.address);
      if (at) t.at = at;
    }
    t['thread-groups'] = ['i1'];
  } else {
    t.addr = '<MULTIPLE>';
    extra = locs.map((l, i) => locationTuple(`${meta.number}.${i + 1}`, l, funcOf));
  }
  if (meta.type.includes('watchpoint') || (bp && locs.length === 1 && meta.pending === undefined)) t['thread-groups'] = ['i1'];
  if (meta.thread !== undefined) {
    // gdb 13 prints the thread field twice (a known quirk kept for byte compatibility).
    const rest: [string, MiValue][] = [];
    for (const k of Object.keys(t)) rest.push([k, t[k]!]);
    rest.push(['thread', String(meta.thread)], ['thread', String(meta.thread)]);
    return finish(rest, meta, extra, miVersion);
  }
  const pairs: [string, MiValue][] = Object.keys(t).map((k) => [k, t[k]!]);
  return finish(pairs, meta, extra, miVersion);
}

function finish(pairs: [string, MiValue][], meta: MiBreakpointMeta, extra: MiTuple[], miVersion: number): MiRaw {
  if (meta.cond !== undefined) pairs.push(['cond', meta.cond]);
  pairs.push(['times', String(meta.times)]);
  if (meta.ignore) pairs.push(['ignore', String(meta.ignore)]);
  if (meta.script && meta.script.length) pairs.push(['script', meta.script]);
  pairs.push(['original-location', meta.original]);
  if (extra.length && miVersion >= 3) pairs.push(['locations', extra]);
  const main = '{' + pairs.map(([k, v]) => `${k}=${formatValue(v)}`).join(',') + '}';
  if (extra.length && miVersion < 3) return new MiRaw(main + ',' + extra.map((e) => '{' + formatTuple(e) + '}').join(','));
  return new MiRaw(main);
}

/** gdb's CLI "Breakpoint 1 at 0x1149: file t.c, line 3." sentence. */
export function breakpointSetText(meta: MiBreakpointMeta, bp: Breakpoint | undefined): string {
  const kind = meta.type === 'hw breakpoint' ? 'Hardware assisted breakpoint' : meta.temporary ? 'Temporary breakpoint' : 'Breakpoint';
  if (!bp || meta.pending !== undefined || bp.locations.length === 0) return `${kind} ${meta.number} (${meta.original}) pending.`;
  if (bp.locations.length > 1) return `${kind} ${meta.number} at ${hex(bp.locations[0].address)}: ${meta.original}. (${bp.locations.length} locations)`;
  const l = bp.locations[0];
  if (l.file && l.line !== undefined) return `${kind} ${meta.number} at ${hex(l.address)}: file ${l.file}, line ${l.line}.`;
  return `${kind} ${meta.number} at ${hex(l.address)}`;
}

// ------------------------------------------------------------------------------------------------
// Signals

const SIGNAL_MEANINGS: Record<string, string> = {
  SIGHUP: 'Hangup',
  SIGINT: 'Interrupt',
  SIGQUIT: 'Quit',
  SIGILL: 'Illegal instruction',
  SIGTRAP: 'Trace/breakpoint trap',
  SIGABRT: 'Aborted',
  SIGBUS: 'Bus error',
  SIGFPE: 'Arithmetic exception',
  SIGKILL: 'Killed',
  SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault',
  SIGUSR2: 'User defined signal 2',
  SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock',
  SIGTERM: 'Terminated',
  SIGSTKFLT: 'Stack fault',
  SIGCHLD: 'Child status changed',
  SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)',
  SIGTSTP: 'Stopped (user)',
  SIGTTIN: 'Stopped (tty input)',
  SIGTTOU: 'Stopped (tty output)',
  SIGURG: 'Urgent I/O condition',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'File size limit exceeded',
  SIGVTALRM: 'Virtual timer expired',
  SIGPROF: 'Profiling timer expired',
  SIGWINCH: 'Window size changed',
  SIGIO: 'I/O possible',
  SIGPWR: 'Power fail/restart',
  SIGSYS: 'Bad system call',
};

export function signalMeaning(s: SignalInfo | undefined): string {
  if (!s) return 'Unknown signal';
  return SIGNAL_MEANINGS[s.name] ?? s.description ?? s.name;
}

export function basename(p: string): string {
  return path.basename(p);
}

/**
 * MI shows pointers without the `(type *) ` prefix `print` uses ("0x7ffe...", not
 * "(struct s *) 0x7ffe..."). Strips it from a rendered value.
 */
export function miValue(v: string): string {
  if (!v.startsWith('(')) return v;
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '(') depth++;
    else if (v[i] === ')') {
      depth--;
      if (depth === 0) {
        const rest = v.slice(i + 1);
        if (/^ 0x[0-9a-f]+/.test(rest) && /[*)&\]]\s*$/.test(v.slice(1, i))) return rest.slice(1);
        return v;
      }
    }
  }
  return v;
}
