// Tokens of gdb's C/C++ expression language, with gdb's lexer errors
// (`Invalid number "08".`, `Invalid character '#' in expression.`, `Unmatched single quote.`,
// `Unterminated string in expression.`).

import { EvalError } from '../values/errors';

export type TokenKind = 'int' | 'float' | 'char' | 'string' | 'ident' | 'dollar' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token in the input. */
  pos: number;
  /** int/char: value; */
  int?: bigint;
  /** int literal suffix flags. */
  unsigned?: boolean;
  longs?: number;
  /** Literal base (int): decimal literals follow C's signed-type preference. */
  decimal?: boolean;
  float?: number;
  /** float suffix: 'f', 'l' or '' (double). */
  floatSuffix?: string;
  /** Raw bytes of a string literal (without the terminating NUL) / char width prefix. */
  bytes?: Buffer;
  charPrefix?: string;
}

const PUNCTS = [
  '<<=', '>>=', '...', '->*',
  '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '::', '.*',
  '.', ',', '?', ':', ';', '(', ')', '[', ']', '{', '}', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '=', '@',
];

function isIdentStart(c: string): boolean {
  const x = c.charCodeAt(0);
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95;
}
function isIdentChar(c: string): boolean {
  const x = c.charCodeAt(0);
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95 || (x >= 48 && x <= 57);
}
function isDigit(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  return x >= 48 && x <= 57;
}

/** Decodes one escape sequence at s[i] (just after the backslash). Returns [value, next index]. */
function escape(s: string, i: number): [number, number] {
  const c = s[i];
  switch (c) {
    case 'n': return [10, i + 1];
    case 't': return [9, i + 1];
    case 'r': return [13, i + 1];
    case 'a': return [7, i + 1];
    case 'b': return [8, i + 1];
    case 'f': return [12, i + 1];
    case 'v': return [11, i + 1];
    case 'e': return [27, i + 1];
    case '\\': return [92, i + 1];
    case "'": return [39, i + 1];
    case '"': return [34, i + 1];
    case '?': return [63, i + 1];
    case 'x': {
      let j = i + 1;
      let v = 0;
      if (!/[0-9a-fA-F]/.test(s[j] ?? '')) throw new EvalError('\\x escape without a following hex digit');
      while (j < s.length && /[0-9a-fA-F]/.test(s[j])) v = v * 16 + parseInt(s[j++], 16);
      return [v, j];
    }
    default:
      if (c !== undefined && /[0-7]/.test(c)) {
        let j = i;
        let v = 0;
        while (j < s.length && j < i + 3 && /[0-7]/.test(s[j])) v = v * 8 + parseInt(s[j++], 8);
        return [v, j];
      }
      if (c === undefined) throw new EvalError('Unmatched single quote.');
      return [c.charCodeAt(0), i + 1];
  }
}

function parseNumber(text: string, pos: number): Token {
  const invalid = () => new EvalError(`Invalid number "${text}".`);
  let t = text;
  const lower = t.toLowerCase();
  const isHex = lower.startsWith('0x');
  const isBin = lower.startsWith('0b') && !/[.e]/.test(lower.slice(2));
  const looksFloat = !isHex && !isBin && (/[.]/.test(t) || /e/i.test(t.replace(/[fFlL]+$/, '')));
  if (isHex && /p/i.test(t)) {
    // Hex float: 0x1.8p3
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)([fl]?)$/i.exec(t);
    if (!m) throw invalid();
    const mant = parseInt((m[1] || '0') + (m[2] ?? ''), 16) / 16 ** (m[2]?.length ?? 0);
    return { kind: 'float', text, pos, float: mant * 2 ** parseInt(m[3], 10), floatSuffix: m[4].toLowerCase() };
  }
  if (looksFloat) {
    let suffix = '';
    const sm = /([fFlL])$/.exec(t);
    if (sm) {
      suffix = sm[1].toLowerCase();
      t = t.slice(0, -1);
    }
    if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d*)?$/i.test(t)) throw invalid();
    return { kind: 'float', text, pos, float: parseFloat(t), floatSuffix: suffix };
  }
  // Integer with suffixes.
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$/.exec(t);
  if (!m) throw invalid();
  // gdb takes any mix of u and l suffixes: one l is long, more are long long.
  const suffix = m[2].toLowerCase();
  const us = (suffix.match(/u/g) ?? []).length;
  const ls = Math.min(2, (suffix.match(/l/g) ?? []).length);
  const digits = m[1];
  let value: bigint;
  let decimal = false;
  if (/^0[xX]/.test(digits)) value = BigInt(digits);
  else if (/^0[bB]/.test(digits)) value = BigInt('0b' + digits.slice(2));
  else if (digits.length > 1 && digits[0] === '0') {
    if (/[89]/.test(digits)) throw invalid();
    value = BigInt('0o' + digits.slice(1));
  } else {
    value = BigInt(digits);
    decimal = true;
  }
  if (value >= 1n << 64n) throw new EvalError('Numeric constant too large.');
  return { kind: 'int', text, pos, int: value, unsigned: us > 0, longs: ls, decimal };
}

export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const s = input;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    // Numbers (including .5)
    if (isDigit(c) || (c === '.' && isDigit(s[i + 1]))) {
      // gdb's scan: letters and digits, one '.', an exponent (e/p) with its sign.
      let j = i;
      let hex = false;
      if (c === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
        j += 2;
        hex = true;
      }
      let gotDot = false;
      let gotE = false;
      let gotP = false;
      for (; j < s.length; j++) {
        const ch = s[j];
        if (!hex && !gotE && !gotP && (ch === 'e' || ch === 'E')) gotDot = gotE = true;
        else if (!gotE && !gotP && (ch === 'p' || ch === 'P')) gotDot = gotP = true;
        else if (!gotDot && ch === '.') gotDot = true;
        else if (((gotE && (s[j - 1] === 'e' || s[j - 1] === 'E')) || (gotP && (s[j - 1] === 'p' || s[j - 1] === 'P'))) && (ch === '-' || ch === '+')) continue;
        else if (!isIdentChar(ch) || ch === '_') break;
      }
      out.push(parseNumber(s.slice(i, j), start));
      i = j;
      continue;
    }
    // Character literals, possibly prefixed (L'x', u'x', U'x', u8'x').
    const pm = c === "'" || c === '"' || c === 'L' || c === 'u' || c === 'U' ? /^(L|u8|u|U)?(['"])/.exec(s.slice(i, i + 3)) : null;
    if (pm && (pm[1] === undefined || !isIdentChar(s[i - 1] ?? ' '))) {
      const prefix = pm[1] ?? '';
      const quote = pm[2];
      let j = i + prefix.length + 1;
      const vals: number[] = [];
      for (;;) {
        if (j >= s.length) throw new EvalError(quote === "'" ? 'Unmatched single quote.' : 'Unterminated string in expression.');
        const ch = s[j];
        if (ch === quote) {
          j++;
          break;
        }
        if (ch === '\\') {
          const [v, n] = escape(s, j + 1);
          vals.push(v);
          j = n;
        } else {
          vals.push(ch.charCodeAt(0));
          j++;
        }
      }
      if (quote === "'") {
        if (vals.length === 0) throw new EvalError('A character constant must contain at least one character.');
        if (vals.length > 1) throw new EvalError('Invalid character constant.');
        out.push({ kind: 'char', text: s.slice(i, j), pos: start, int: BigInt(vals[0]), charPrefix: prefix });
      } else {
        const width = prefix === '' || prefix === 'u8' ? 1 : prefix === 'u' ? 2 : 4;
        const b = Buffer.alloc(vals.length * width);
        vals.forEach((v, k) => {
          if (width === 1) b[k] = v & 0xff;
          else if (width === 2) b.writeUInt16LE(v & 0xffff, k * 2);
          else b.writeUInt32LE(v >>> 0, k * 4);
        });
        // Adjacent string literals concatenate.
        const prev = out[out.length - 1];
        if (prev && prev.kind === 'string' && (prev.charPrefix ?? '') === prefix) {
          prev.bytes = Buffer.concat([prev.bytes!, b]);
          prev.text += s.slice(i, j);
        } else out.push({ kind: 'string', text: s.slice(i, j), pos: start, bytes: b, charPrefix: prefix });
      }
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < s.length && isIdentChar(s[j])) j++;
      out.push({ kind: 'ident', text: s.slice(i, j), pos: start });
      i = j;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      if (s[j] === '$') {
        j++;
        while (j < s.length && /[0-9]/.test(s[j])) j++;
      } else {
        while (j < s.length && isIdentChar(s[j])) j++;
      }
      out.push({ kind: 'dollar', text: s.slice(i, j), pos: start });
      i = j;
      continue;
    }
    const p = PUNCTS.find((x) => s.startsWith(x, i));
    if (p) {
      out.push({ kind: 'punct', text: p, pos: start });
      i += p.length;
      continue;
    }
    throw new EvalError(`Invalid character '${c}' in expression.`);
  }
  out.push({ kind: 'eof', text: '', pos: s.length });
  return out;
}
