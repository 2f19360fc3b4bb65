// Parser for gdb's C/C++ expression language: precedence as in gdb's c-exp.y (comma, assignment,
// ?:, || && | ^ &, equality, relational, shifts, `@`, additive, multiplicative, unary, postfix).
// Type names (casts, sizeof, `{type} addr`) are recognised with a callback, as gdb's lexer
// classifies names by looking them up.

import { EvalError } from '../values/errors';
import { Token, tokenize } from './lexer';

export interface TypeSpec {
  /** Keywords (unsigned, long, int, const...) in order. */
  keywords: string[];
  /** A named type: `shape`, `geo::Rect`, with its tag keyword if written (`struct shape`). */
  name?: string;
  tag?: 'struct' | 'union' | 'enum' | 'class';
  /** Declarator operations, applied to the base type in order. */
  ops: TypeOp[];
  /** Source text (for messages). */
  text: string;
}

export type TypeOp =
  | { op: 'pointer'; quals: string[] }
  | { op: 'reference'; rvalue: boolean }
  | { op: 'array'; length?: number }
  | { op: 'function'; params: TypeSpec[]; varargs: boolean };

export type Node =
  | { k: 'int'; value: bigint; unsigned: boolean; longs: number; decimal: boolean; text: string }
  | { k: 'float'; value: number; suffix: string; text: string }
  | { k: 'char'; value: bigint; prefix: string }
  | { k: 'string'; bytes: Buffer; prefix: string }
  | { k: 'bool'; value: boolean }
  | { k: 'ident'; name: string; global: boolean }
  | { k: 'dollar'; name: string }
  | { k: 'this' }
  | { k: 'unary'; op: string; e: Node }
  | { k: 'postfix'; op: '++' | '--'; e: Node }
  | { k: 'binary'; op: string; l: Node; r: Node }
  | { k: 'assign'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | { k: 'comma'; l: Node; r: Node }
  | { k: 'cast'; type: TypeSpec; e: Node }
  | { k: 'brace'; type: TypeSpec; e: Node }
  | { k: 'sizeof'; type?: TypeSpec; e?: Node; align?: boolean }
  | { k: 'member'; e: Node; name: string; arrow: boolean }
  | { k: 'index'; e: Node; i: Node }
  | { k: 'call'; f: Node; args: Node[] }
  | { k: 'at'; l: Node; r: Node }
  /** `x@entry`: the value parameter x had on entry to the selected frame's function. */
  | { k: 'entry'; name: string }
  | { k: 'typeexpr'; type: TypeSpec };

export interface ParseEnv {
  /** True when `name` (possibly qualified) names a type rather than a variable or function. */
  isTypeName(name: string): boolean;
  /** True when `name` names something (for template names like `twice<int>`). */
  isKnownName?(name: string): boolean;
  /** C++ (true/false/this are keywords). */
  cplus: boolean;
}

const TYPE_KEYWORDS = new Set([
  'int', 'char', 'short', 'long', 'signed', 'unsigned', 'float', 'double', 'void', '_Bool', 'bool', '__int128',
  'const', 'volatile', 'restrict', '__restrict', '_Complex', 'wchar_t', 'char16_t', 'char32_t',
]);
const TAGS = new Set(['struct', 'union', 'enum', 'class']);
const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=']);

const BINARY_LEVELS: string[][] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['<<', '>>'],
  ['@'],
  ['+', '-'],
  ['*', '/', '%'],
];

export class Parser {
  private toks: Token[];
  private i = 0;

  constructor(private readonly input: string, private readonly env: ParseEnv) {
    this.toks = tokenize(input);
  }

  private get t(): Token {
    return this.toks[this.i];
  }
  private atEof(): boolean {
    return this.toks[this.i].kind === 'eof';
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)];
  }
  private is(text: string): boolean {
    const t = this.t;
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private eat(text: string): boolean {
    if (this.is(text)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(text: string): void {
    if (!this.eat(text)) this.fail();
  }
  fail(at: Token = this.t): never {
    throw new EvalError(`A syntax error in expression, near \`${this.input.slice(at.pos)}'.`);
  }

  parse(): Node {
    if (this.atEof()) this.fail();
    // A bare type is accepted (for sizeof/whatis/ptype): `struct shape`, `int *`.
    if (this.startsType()) {
      const save = this.i;
      const type = this.typeSpec();
      if (this.atEof()) return { k: 'typeexpr', type };
      this.i = save;
    }
    const e = this.comma();
    if (!this.atEof()) {
      // gdb's lexer ends an expression at an unbalanced ')' (for `if (cond) ...`): junk follows.
      if (this.t.kind === 'punct' && this.t.text === ')') throw new EvalError('Junk after end of expression.');
      this.fail();
    }
    return e;
  }

  private comma(): Node {
    let l = this.assign();
    while (this.eat(',')) l = { k: 'comma', l, r: this.assign() };
    return l;
  }

  private assign(): Node {
    const l = this.cond();
    if (this.t.kind === 'punct' && ASSIGN_OPS.has(this.t.text)) {
      const op = this.t.text;
      this.i++;
      return { k: 'assign', op, l, r: this.assign() };
    }
    return l;
  }

  private cond(): Node {
    const c = this.binary(0);
    if (this.eat('?')) {
      const t = this.comma();
      this.expect(':');
      const f = this.cond();
      return { k: 'cond', c, t, f };
    }
    return c;
  }

  private binary(level: number): Node {
    if (level >= BINARY_LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    const ops = BINARY_LEVELS[level];
    while (this.t.kind === 'punct' && ops.includes(this.t.text)) {
      const op = this.t.text;
      // `@entry` is one token for gdb, valid only after a parameter's name.
      if (op === '@' && this.peek().kind === 'ident' && this.peek().text === 'entry') this.fail();
      this.i++;
      const r = this.binary(level + 1);
      l = op === '@' ? { k: 'at', l, r } : { k: 'binary', op, l, r };
    }
    return l;
  }

  private unary(): Node {
    const t = this.t;
    if (t.kind === 'punct') {
      switch (t.text) {
        case '-':
        case '+':
        case '!':
        case '~':
        case '*':
        case '&':
          this.i++;
          return { k: 'unary', op: t.text, e: this.unary() };
        case '++':
        case '--':
          this.i++;
          return { k: 'unary', op: t.text, e: this.unary() };
        case '(':
          if (this.startsType(1)) {
            this.i++;
            const type = this.typeSpec();
            this.expect(')');
            return { k: 'cast', type, e: this.unary() };
          }
          break;
        case '{':
          if (this.startsType(1)) {
            this.i++;
            const type = this.typeSpec();
            this.expect('}');
            return { k: 'brace', type, e: this.unary() };
          }
          break;
      }
    }
    if (t.kind === 'ident' && (t.text === 'sizeof' || t.text === 'alignof' || t.text === '_Alignof')) {
      this.i++;
      const align = t.text !== 'sizeof';
      if (this.is('(') && this.startsType(1)) {
        this.i++;
        const type = this.typeSpec();
        this.expect(')');
        return { k: 'sizeof', type, align };
      }
      return { k: 'sizeof', e: this.unary(), align };
    }
    return this.postfix();
  }

  private postfix(): Node {
    let e = this.primary();
    for (;;) {
      if (this.eat('[')) {
        const i = this.comma();
        this.expect(']');
        e = { k: 'index', e, i };
      } else if (this.is('(')) {
        this.i++;
        const args: Node[] = [];
        if (!this.eat(')')) {
          do args.push(this.assign());
          while (this.eat(','));
          this.expect(')');
        }
        e = { k: 'call', f: e, args };
      } else if (this.is('.') || this.is('->')) {
        const arrow = this.t.text === '->';
        this.i++;
        const n = this.t;
        if (n.kind !== 'ident') this.fail();
        this.i++;
        e = { k: 'member', e, name: n.text, arrow };
      } else if (this.is('++') || this.is('--')) {
        const op = this.t.text as '++' | '--';
        this.i++;
        e = { k: 'postfix', op, e };
      } else return e;
    }
  }

  private primary(): Node {
    const t = this.t;
    switch (t.kind) {
      case 'int':
        this.i++;
        return { k: 'int', value: t.int!, unsigned: !!t.unsigned, longs: t.longs ?? 0, decimal: !!t.decimal, text: t.text };
      case 'float':
        this.i++;
        return { k: 'float', value: t.float!, suffix: t.floatSuffix ?? '', text: t.text };
      case 'char':
        this.i++;
        return { k: 'char', value: t.int!, prefix: t.charPrefix ?? '' };
      case 'string':
        this.i++;
        return { k: 'string', bytes: t.bytes!, prefix: t.charPrefix ?? '' };
      case 'dollar':
        this.i++;
        return { k: 'dollar', name: t.text };
      case 'ident': {
        if (this.env.cplus && (t.text === 'true' || t.text === 'false')) {
          this.i++;
          return { k: 'bool', value: t.text === 'true' };
        }
        if (this.env.cplus && t.text === 'this') {
          this.i++;
          return { k: 'this' };
        }
        if (TYPE_KEYWORDS.has(t.text) || TAGS.has(t.text) || t.text === 'sizeof') this.fail();
        return this.qualifiedIdent(false);
      }
      case 'punct':
        if (t.text === '(') {
          this.i++;
          const e = this.comma();
          this.expect(')');
          return e;
        }
        if (t.text === '::' && this.peek().kind === 'ident') {
          this.i++;
          return this.qualifiedIdent(true);
        }
        return this.fail();
      default:
        return this.fail();
    }
  }

  private qualifiedIdent(global: boolean): Node {
    let name = this.t.text;
    this.i++;
    name += this.templateSuffix(name);
    while (this.is('::') && (this.peek().kind === 'ident' || (this.peek().kind === 'punct' && this.peek().text === '~'))) {
      this.i++;
      if (this.eat('~')) name += '::~' + this.t.text;
      else name += '::' + this.t.text;
      this.i++;
      name += this.templateSuffix(name);
    }
    // gdb's lexer reads `@entry` after a name as one token (c-exp.y ENTRY).
    if (!global && this.is('@') && this.peek().kind === 'ident' && this.peek().text === 'entry') {
      this.i += 2;
      return { k: 'entry', name };
    }
    return { k: 'ident', name, global };
  }

  /** `<args>` after a name when name<args> names a template instance (else ''); consumes it. */
  private templateSuffix(name: string, asType = false): string {
    const t = scanTemplate(this.toks, this.i);
    if (!t) return '';
    const full = name + t.text;
    const known = asType ? this.env.isTypeName(full) : this.env.isKnownName?.(full) || this.env.isTypeName(full);
    if (!known) return '';
    this.i = t.next;
    return t.text;
  }

  // ------------------------------------------------------------ type names

  /** Does a type name start at token offset `ahead`? */
  private startsType(ahead = 0): boolean {
    const t = this.peek(ahead);
    if (t.kind !== 'ident') {
      if (t.kind === 'punct' && t.text === '::' && this.peek(ahead + 1).kind === 'ident') return this.env.isTypeName(this.peekQualified(ahead + 1));
      return false;
    }
    if (TYPE_KEYWORDS.has(t.text) || TAGS.has(t.text) || t.text === 'typename') return true;
    if (this.env.cplus && (t.text === 'this' || t.text === 'true' || t.text === 'false')) return false;
    return this.env.isTypeName(this.peekQualified(ahead));
  }

  private peekQualified(ahead: number): string {
    let n = this.peek(ahead).text;
    let k = ahead + 1;
    const tmpl = () => {
      const t = scanTemplate(this.toks, this.i + k);
      if (t && this.env.isTypeName(n + t.text)) {
        n += t.text;
        k = t.next - this.i;
      }
    };
    tmpl();
    while (this.peek(k).text === '::' && this.peek(k + 1).kind === 'ident') {
      n += '::' + this.peek(k + 1).text;
      k += 2;
      tmpl();
    }
    return n;
  }

  typeSpec(): TypeSpec {
    const startTok = this.t;
    const keywords: string[] = [];
    let name: string | undefined;
    let tag: TypeSpec['tag'];
    for (;;) {
      const t = this.t;
      if (t.kind !== 'ident' && !(t.kind === 'punct' && t.text === '::' && !name && !keywords.some(isBaseKeyword))) break;
      if (t.kind === 'ident' && TYPE_KEYWORDS.has(t.text)) {
        keywords.push(t.text === '__restrict' ? 'restrict' : t.text);
        this.i++;
        continue;
      }
      if (t.kind === 'ident' && TAGS.has(t.text)) {
        if (name || tag) this.fail();
        tag = t.text as TypeSpec['tag'];
        this.i++;
        if (this.t.kind !== 'ident' && !this.is('::')) this.fail();
        name = this.typeNameTokens();
        continue;
      }
      if (t.kind === 'ident' && t.text === 'typename') {
        this.i++;
        continue;
      }
      // A typedef / class name (only one, and not after base keywords like int).
      if (name || keywords.some(isBaseKeyword)) break;
      name = this.typeNameTokens();
    }
    if (!name && !keywords.some(isBaseKeyword)) this.fail(startTok);
    const ops = this.abstractDeclarator();
    const end = this.t.pos;
    return { keywords, name, tag, ops, text: this.input.slice(startTok.pos, end).trim() };
  }

  private typeNameTokens(): string {
    let n = '';
    if (this.eat('::')) n = '';
    if (this.t.kind !== 'ident') this.fail();
    n += this.t.text;
    this.i++;
    while (this.is('::') && this.peek().kind === 'ident') {
      this.i++;
      n += '::' + this.t.text;
      this.i++;
    }
    // Template arguments: `Box<int>`, as DWARF names the instance.
    const t = scanTemplate(this.toks, this.i);
    if (t) {
      n += t.text;
      this.i = t.next;
    }
    return n;
  }

  /** Abstract declarator: returns operations to apply to the base type, in order. */
  private abstractDeclarator(): TypeOp[] {
    const ptrs: TypeOp[] = [];
    for (;;) {
      if (this.eat('*')) {
        const quals: string[] = [];
        while (this.is('const') || this.is('volatile') || this.is('restrict') || this.is('__restrict')) {
          quals.push(this.t.text === '__restrict' ? 'restrict' : this.t.text);
          this.i++;
        }
        ptrs.push({ op: 'pointer', quals });
      } else if (this.eat('&')) ptrs.push({ op: 'reference', rvalue: false });
      else if (this.eat('&&')) ptrs.push({ op: 'reference', rvalue: true });
      else break;
    }
    let inner: TypeOp[] = [];
    // A parenthesised declarator: ( * ) ... — but not a function parameter list.
    if (this.is('(') && (this.peek().text === '*' || this.peek().text === '&' || (this.peek().text === '(' && false))) {
      this.i++;
      inner = this.abstractDeclarator();
      this.expect(')');
    }
    const suffixes: TypeOp[] = [];
    for (;;) {
      if (this.eat('[')) {
        let length: number | undefined;
        if (this.t.kind === 'int') {
          length = Number(this.t.int);
          this.i++;
        }
        this.expect(']');
        suffixes.push({ op: 'array', length });
      } else if (this.is('(') && (this.peek().text === ')' || this.startsType(1) || this.peek().text === '...')) {
        this.i++;
        const params: TypeSpec[] = [];
        let varargs = false;
        if (!this.eat(')')) {
          do {
            if (this.eat('...')) {
              varargs = true;
              break;
            }
            params.push(this.typeSpec());
          } while (this.eat(','));
          this.expect(')');
        }
        // (void) means no parameters.
        if (params.length === 1 && params[0].keywords.join(' ') === 'void' && !params[0].name && !params[0].ops.length) params.length = 0;
        suffixes.push({ op: 'function', params, varargs });
      } else break;
    }
    // Suffixes bind tighter than the pointer prefixes: int *[3] is an array of pointers.
    // Arrays nest right to left: int [2][3] is array 2 of array 3.
    const out: TypeOp[] = [...ptrs];
    for (let k = suffixes.length - 1; k >= 0; k--) out.push(suffixes[k]);
    out.push(...inner);
    return out;
  }
}

/**
 * Balanced template arguments starting at token `at` (a `<`), rendered as GCC names template
 * instances: `<int>`, `<int, char>`, `<Box<int> >`, `<char const*>` kept as written. Undefined when
 * the tokens do not form a balanced argument list.
 */
export function scanTemplate(toks: Token[], at: number): { text: string; next: number } | undefined {
  if (toks[at]?.text !== '<' || toks[at].kind !== 'punct') return undefined;
  let depth = 0;
  let text = '';
  let k = at;
  for (; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'eof') return undefined;
    let x = t.text;
    if (t.kind === 'punct' && x === '>>') {
      // Two closing brackets.
      text += depth >= 2 ? '> >' : '>';
      depth -= 2;
      if (depth <= 0) return depth === 0 ? { text, next: k + 1 } : undefined;
      continue;
    }
    if (t.kind === 'punct' && (x === '(' || x === ')' || x === ';' || x === '{' || x === '}' || x === '=' || x === '?')) return undefined;
    if (t.kind === 'punct' && x === '<') depth++;
    if (t.kind === 'punct' && x === '>') {
      depth--;
      if (text.endsWith('>')) x = ' >';
    }
    if (t.kind === 'punct' && x === ',') x = ', ';
    else if (text && /[A-Za-z0-9_]$/.test(text) && /^[A-Za-z0-9_]/.test(x)) x = ' ' + x;
    text += x;
    if (depth === 0) return { text, next: k + 1 };
  }
  return undefined;
}

function isBaseKeyword(k: string): boolean {
  return k !== 'const' && k !== 'volatile' && k !== 'restrict' && k !== '_Complex';
}

export function parseExpression(input: string, env: ParseEnv): Node {
  return new Parser(input, env).parse();
}

/** Parses a type name on its own (`struct shape *`), for casts requested by front-ends. */
export function parseTypeName(input: string, env: ParseEnv): TypeSpec {
  const p = new Parser(input, env);
  const t = p.typeSpec();
  return t;
}
