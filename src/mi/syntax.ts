// GDB/MI syntax: the input line parser and the output record builders, following gdb 13's
// mi-parse.c / mi-out.c byte for byte (see docs/mi.md).
//
// Output values are built from plain data:
//   string             -> a c-string            "..."
//   MiValue[]          -> a list of values      [..., ...]
//   MiResults          -> a list of results     [name=..., name=...]   (names may repeat)
//   object             -> a tuple               {name=..., ...}        (undefined fields are skipped)
//   MiRaw              -> emitted verbatim (gdb's mi2 multi-location `bkpt={...},{...}` quirk)

export class MiResults {
  constructor(readonly items: [string, MiValue][]) {}
}

export class MiRaw {
  constructor(readonly text: string) {}
}

export type MiTuple = { [name: string]: MiValue | undefined };
export type MiValue = string | MiValue[] | MiResults | MiRaw | MiTuple;

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\x00-\x1f\x7f-\uffff"\\]/;

/** A c-string as gdb writes it (printchar in gdb/utils.c with MI's seven-bit strings). Works on UTF-8 bytes. */
export function cstring(s: string): string {
  let out = '"';
  // Fast path for plain ASCII (a native regexp scan: this runs for every string of every record,
  // mostly before the JIT has compiled it).
  if (!NEEDS_ESCAPE.test(s)) return out + s + '"';
  const bytes = Buffer.from(s, 'utf8');
  for (const c of bytes) out += escapeByte(c);
  return out + '"';
}

/** Like cstring() for raw bytes (program output that need not be UTF-8). */
export function cstringBytes(b: Buffer): string {
  let out = '"';
  for (const c of b) out += escapeByte(c);
  return out + '"';
}

function escapeByte(c: number): string {
  if (c < 0x20 || c >= 0x7f) {
    switch (c) {
      case 0x0a:
        return '\\n';
      case 0x08:
        return '\\b';
      case 0x09:
        return '\\t';
      case 0x0c:
        return '\\f';
      case 0x0d:
        return '\\r';
      case 0x1b:
        return '\\e';
      case 0x07:
        return '\\a';
      default:
        return '\\' + ((c >> 6) & 7).toString() + ((c >> 3) & 7).toString() + (c & 7).toString();
    }
  }
  if (c === 0x22) return '\\"';
  if (c === 0x5c) return '\\\\';
  return String.fromCharCode(c);
}

export function formatValue(v: MiValue): string {
  if (typeof v === 'string') return cstring(v);
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(',') + ']';
  if (v instanceof MiResults) return '[' + formatResults(v.items) + ']';
  if (v instanceof MiRaw) return v.text;
  return '{' + formatTuple(v) + '}';
}

export function formatTuple(t: MiTuple): string {
  const parts: string[] = [];
  for (const k of Object.keys(t)) {
    const v = t[k];
    if (v === undefined) continue;
    parts.push(k + '=' + formatValue(v));
  }
  return parts.join(',');
}

export function formatResults(items: [string, MiValue][]): string {
  return items.map(([k, v]) => (v instanceof MiRaw ? k + '=' + v.text : k + '=' + formatValue(v))).join(',');
}

/** Top-level results of a record: a tuple's fields or explicit pairs. */
export type MiFields = MiTuple | [string, MiValue][];

export function formatFields(f: MiFields | undefined): string {
  if (!f) return '';
  const s = Array.isArray(f) ? formatResults(f) : formatTuple(f);
  return s ? ',' + s : '';
}

// ------------------------------------------------------------------------------------------------
// Input

export type ParsedInput =
  | { kind: 'cli'; token: string; command: string }
  | {
      kind: 'mi';
      token: string;
      /** Operation without the leading '-'. */
      operation: string;
      /** The argument text after the global options. */
      args: string;
      thread?: number;
      frame?: number;
      threadGroup?: number;
      language?: string;
      all: boolean;
    };

export class MiParseError extends Error {
  constructor(
    message: string,
    readonly token: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

function skipSpaces(s: string, i: number): number {
  while (i < s.length && isSpace(s[i])) i++;
  return i;
}

/** strtol(…, 10) at s[i]: returns [value, end]. Leading blanks and a sign are accepted; no digits gives 0. */
function strtol(s: string, i: number): [number, number] {
  let j = skipSpaces(s, i);
  let neg = false;
  if (s[j] === '+' || s[j] === '-') {
    neg = s[j] === '-';
    j++;
  }
  const start = j;
  while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
  if (j === start) return [0, i];
  const v = parseInt(s.slice(start, j), 10);
  return [neg ? -v : v, j];
}

/**
 * Parses one input line as gdb's mi_parse does. `known(op)` says whether an MI operation exists (gdb
 * checks before reading the global options). Throws MiParseError with gdb's wording.
 */
export function parseInput(line: string, known: (op: string) => boolean): ParsedInput {
  let i = 0;
  while (i < line.length && line[i] >= '0' && line[i] <= '9') i++;
  const token = line.slice(0, i);
  if (line[i] !== '-') {
    return { kind: 'cli', token, command: line.slice(skipSpaces(line, i)) };
  }
  const opStart = i + 1;
  while (i < line.length && !isSpace(line[i])) i++;
  const operation = line.slice(opStart, i);
  if (!known(operation)) throw new MiParseError(`Undefined MI command: ${operation}`, token, 'undefined-command');
  i = skipSpaces(line, i);
  const out: Extract<ParsedInput, { kind: 'mi' }> = { kind: 'mi', token, operation, args: '', all: false };
  for (;;) {
    let option = '';
    const rest = line.slice(i);
    if (rest.startsWith('--all ')) {
      out.all = true;
      i += 6;
    }
    if (line.slice(i) === '--all') {
      out.all = true;
      i = line.length;
    }
    const r = line.slice(i);
    if (r.startsWith('--thread-group ')) {
      option = '--thread-group';
      if (out.threadGroup !== undefined) throw new MiParseError("Duplicate '--thread-group' option", token);
      i += 15;
      if (line[i] !== 'i') throw new MiParseError('Invalid thread group id', token);
      i++;
      [out.threadGroup, i] = strtol(line, i);
    } else if (r.startsWith('--thread ')) {
      option = '--thread';
      if (out.thread !== undefined) throw new MiParseError("Duplicate '--thread' option", token);
      i += 9;
      [out.thread, i] = strtol(line, i);
      // gdb stores "not given" as -1, so `--thread -1` means the current thread.
      if (out.thread === -1) out.thread = undefined;
    } else if (r.startsWith('--frame ')) {
      option = '--frame';
      if (out.frame !== undefined) throw new MiParseError("Duplicate '--frame' option", token);
      i += 8;
      [out.frame, i] = strtol(line, i);
      if (out.frame === -1) out.frame = undefined;
    } else if (r.startsWith('--language ')) {
      option = '--language';
      i += 11;
      const [arg, end] = extractArg(line, i);
      i = end;
      if (!['c', 'c++', 'minimal', 'asm', 'local', 'unknown', 'auto'].includes(arg) || arg === 'auto' || arg === 'unknown' || arg === 'local') {
        throw new MiParseError(`Invalid --language argument: ${arg}`, token);
      }
      out.language = arg;
    } else {
      break;
    }
    if (i < line.length && !isSpace(line[i])) throw new MiParseError(`Invalid value for the '${option}' option`, token);
    i = skipSpaces(line, i);
  }
  out.args = line.slice(i);
  return out;
}

/** gdb's extract_arg: the next blank-delimited word. */
function extractArg(s: string, i: number): [string, number] {
  i = skipSpaces(s, i);
  const start = i;
  while (i < s.length && !isSpace(s[i])) i++;
  return [s.slice(start, i), i];
}

/**
 * Splits MI arguments into words as mi_parse_argv does: blank-separated words or c-strings (with C
 * escapes). Returns undefined for a malformed line (unterminated string, text glued after a string),
 * which gdb reports as "Problem parsing arguments: OP ARGS".
 */
export function splitArgs(args: string): string[] | undefined {
  const argv: string[] = [];
  let i = 0;
  for (;;) {
    i = skipSpaces(args, i);
    if (i >= args.length) return argv;
    if (args[i] === '"') {
      i++;
      const bytes: number[] = [];
      while (i < args.length && args[i] !== '"') {
        if (args[i] === '\\') {
          i++;
          const r = parseEscape(args, i);
          if (!r) return undefined;
          bytes.push(...r.bytes);
          i = r.end;
        } else {
          const cp = args.codePointAt(i)!;
          const ch = String.fromCodePoint(cp);
          bytes.push(...Buffer.from(ch, 'utf8'));
          i += ch.length;
        }
      }
      if (args[i] !== '"') return undefined;
      if (i + 1 < args.length && !isSpace(args[i + 1])) return undefined;
      argv.push(Buffer.from(bytes).toString('utf8'));
      i++;
    } else {
      const start = i;
      while (i < args.length && !isSpace(args[i])) i++;
      argv.push(args.slice(start, i));
    }
  }
}

/** C escape after a backslash (gdb parse_escape): returns the bytes and the index after it. */
export function parseEscape(s: string, i: number): { bytes: number[]; end: number } | undefined {
  const c = s[i];
  if (c === undefined) return undefined;
  if (c >= '0' && c <= '7') {
    let v = 0;
    let n = 0;
    while (n < 3 && s[i] >= '0' && s[i] <= '7') {
      v = v * 8 + (s.charCodeAt(i) - 48);
      i++;
      n++;
    }
    return { bytes: [v & 0xff], end: i };
  }
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, '"': 34, "'": 39, '?': 63 };
  if (c in simple) return { bytes: [simple[c]], end: i + 1 };
  if (c === 'x') {
    let j = i + 1;
    let v = 0;
    const start = j;
    while (j < s.length && /[0-9a-fA-F]/.test(s[j])) {
      v = (v * 16 + parseInt(s[j], 16)) & 0xff;
      j++;
    }
    if (j === start) return undefined;
    return { bytes: [v], end: j };
  }
  if (c === '\n') return undefined;
  // gdb keeps unknown escapes as the character itself.
  const cp = s.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  return { bytes: [...Buffer.from(ch, 'utf8')], end: i + ch.length };
}

// ------------------------------------------------------------------------------------------------
// Option parsing for MI commands (gdb's mi_getopt)

export interface MiOpt {
  name: string;
  /** Takes an argument. */
  arg: boolean;
}

/**
 * mi_getopt: options are words starting with '-' at the front of argv, up to "--" or the first
 * non-option. Returns the options in order and the remaining parameters. Errors use gdb's wording:
 * "-break-insert: Unknown option ``r''".
 */
export function getopt(prefix: string, argv: string[], opts: MiOpt[], allowUnknown = false): { options: { name: string; arg?: string }[]; rest: string[] } {
  const options: { name: string; arg?: string }[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a[0] !== '-') break;
    if (a === '--') {
      i++;
      break;
    }
    const name = a.slice(1);
    const o = opts.find((x) => x.name === name);
    if (!o) {
      if (allowUnknown) break;
      throw new Error(`${prefix}: Unknown option \`\`${name}''`);
    }
    if (o.arg) {
      if (i + 1 >= argv.length) throw new Error(`${prefix}: Option ${a} requires an argument`);
      options.push({ name, arg: argv[i + 1] });
      i += 2;
    } else {
      options.push({ name });
      i++;
    }
  }
  return { options, rest: argv.slice(i) };
}
