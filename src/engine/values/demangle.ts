// Itanium C++ ABI demangler producing the text of libiberty's cplus_demangle (DMGL_PARAMS |
// DMGL_ANSI), which gdb prints for C++ symbols: `geo::Rect::area() const`, `vtable for geo::Rect`,
// `twice<int>(int)`, `measure(geo::Shape const&, int&)`. Covers what GCC and Clang emit for ordinary
// code: nested and local names, templates (type, literal and pack arguments), substitutions,
// constructors/destructors, operators, cv/ref qualifiers, function/array/member pointer types,
// special names (vtable, VTT, typeinfo, guard variables, thunks), ABI tags and clone suffixes.
// Anything it does not understand yields undefined (callers keep the mangled name).

type Node =
  | { k: 'name'; s: string }
  | { k: 'nested'; parts: Node[] }
  | { k: 'template'; name: Node; args: Node[] }
  | { k: 'qual'; inner: Node; quals: string } // const / volatile / restrict suffix
  | { k: 'ptr'; inner: Node; sym: '*' | '&' | '&&' }
  | { k: 'func'; ret?: Node; params: Node[]; quals: string; ref: string }
  | { k: 'array'; inner: Node; dim: string }
  | { k: 'memptr'; cls: Node; member: Node }
  | { k: 'literal'; s: string }
  | { k: 'special'; prefix: string; inner: Node }
  | { k: 'pack'; items: Node[] }
  | { k: 'abi'; inner: Node; tag: string }
  | { k: 'vendor'; inner: Node; q: string };

const BUILTIN: Record<string, string> = {
  v: 'void', w: 'wchar_t', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
  i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long', n: '__int128',
  o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', g: '__float128', z: '...',
};
const BUILTIN_D: Record<string, string> = {
  d: 'decimal64', e: 'decimal128', f: 'decimal32', h: 'half', i: 'char32_t', s: 'char16_t', u: 'char8_t', a: 'auto', c: 'decltype(auto)', n: 'decltype(nullptr)',
};
const OPERATORS: Record<string, string> = {
  nw: 'new', na: 'new[]', dl: 'delete', da: 'delete[]', ps: '+', ng: '-', ad: '&', de: '*', co: '~', pl: '+', mi: '-', ml: '*',
  dv: '/', rm: '%', an: '&', or: '|', eo: '^', aS: '=', pL: '+=', mI: '-=', mL: '*=', dV: '/=', rM: '%=', aN: '&=', oR: '|=',
  eO: '^=', ls: '<<', rs: '>>', lS: '<<=', rS: '>>=', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', ss: '<=>', nt: '!',
  aa: '&&', oo: '||', pp: '++', mm: '--', cm: ',', pm: '->*', pt: '->', cl: '()', ix: '[]', qu: '?',
};
const STD_SUBS: Record<string, string> = {
  t: 'std', a: 'std::allocator', b: 'std::basic_string', s: 'std::string', i: 'std::istream', o: 'std::ostream', d: 'std::iostream',
};

class Fail extends Error {}

class Demangler {
  private i = 0;
  private subs: Node[] = [];
  private templateArgs: Node[] = [];

  constructor(private readonly s: string, private readonly retDrop = false) {}

  private peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }
  private next(): string {
    if (this.i >= this.s.length) throw new Fail();
    return this.s[this.i++];
  }
  private eat(str: string): boolean {
    if (this.s.startsWith(str, this.i)) {
      this.i += str.length;
      return true;
    }
    return false;
  }
  private number(): number {
    let neg = false;
    if (this.eat('n')) neg = true;
    const m = /^\d+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    this.i += m[0].length;
    return neg ? -parseInt(m[0], 10) : parseInt(m[0], 10);
  }
  private seqId(): number {
    // [<seq-id>] _ : base-36 digits and uppercase letters, empty = 0, else value + 1.
    if (this.eat('_')) return 0;
    let v = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') return v + 1;
      if (/[0-9]/.test(c)) v = v * 36 + (c.charCodeAt(0) - 48);
      else if (/[A-Z]/.test(c)) v = v * 36 + (c.charCodeAt(0) - 55);
      else throw new Fail();
    }
  }

  run(): string {
    if (!this.eat('_Z')) throw new Fail();
    const out = this.encoding(true);
    let text = this.str(out);
    // Clone suffixes: .constprop.0, .isra.0, .cold, .part.0
    while (this.i < this.s.length && this.peek() === '.') {
      const m = /^\.[A-Za-z_]+(\.\d+)*|^\.\d+/.exec(this.s.slice(this.i));
      if (!m) throw new Fail();
      text += ` [clone ${m[0]}]`;
      this.i += m[0].length;
    }
    if (this.i !== this.s.length) throw new Fail();
    return text;
  }

  private encoding(top: boolean): Node {
    if (this.peek() === 'T' || (this.peek() === 'G' && /[VRT]/.test(this.peek(1)))) return this.specialName();
    const saveTA = this.templateArgs;
    const name = this.name();
    if (this.i >= this.s.length || this.peek() === 'E' || this.peek() === '.') return name;
    // A function: template functions carry their return type first.
    const isTemplate = name.k === 'template' || (name.k === 'nested' && name.parts[name.parts.length - 1].k === 'template');
    const isCtorDtor = (() => {
      let last: Node = name;
      for (;;) {
        if (last.k === 'nested') last = last.parts[last.parts.length - 1];
        else if (last.k === 'template') last = last.name;
        else if (last.k === 'abi') last = last.inner;
        else break;
      }
      return last.k === 'name' && (last.s.startsWith('~') || (last as { ctor?: boolean }).ctor === true);
    })();
    let ret: Node | undefined;
    if (isTemplate && !isCtorDtor) ret = this.type();
    const params = this.bareFunctionType();
    void top;
    void saveTA;
    const fn: Node = { k: 'func', ret, params, quals: this.pendingQuals, ref: this.pendingRef };
    this.pendingQuals = '';
    this.pendingRef = '';
    return { k: 'special', prefix: '', inner: { k: 'template', name, args: [fn] } as Node, fnEncoding: true } as Node;
  }

  private pendingQuals = '';
  private typeDepth = 0;
  private argDepth = 0;
  private pendingRef = '';

  private bareFunctionType(): Node[] {
    const params: Node[] = [];
    while (this.i < this.s.length && this.peek() !== 'E' && this.peek() !== '.') params.push(this.type());
    if (params.length === 1 && params[0].k === 'name' && params[0].s === 'void') return [];
    return params;
  }

  private specialName(): Node {
    if (this.eat('TV')) return { k: 'special', prefix: 'vtable for ', inner: this.type() };
    if (this.eat('TT')) return { k: 'special', prefix: 'VTT for ', inner: this.type() };
    if (this.eat('TI')) return { k: 'special', prefix: 'typeinfo for ', inner: this.type() };
    if (this.eat('TS')) return { k: 'special', prefix: 'typeinfo name for ', inner: this.type() };
    if (this.eat('GV')) return { k: 'special', prefix: 'guard variable for ', inner: this.name() };
    if (this.eat('GR')) {
      const n = this.name();
      if (this.peek() !== undefined && this.peek() !== '') this.seqIdOptional();
      return { k: 'special', prefix: 'reference temporary #0 for ', inner: n };
    }
    if (this.eat('Th')) {
      this.number();
      if (!this.eat('_')) throw new Fail();
      return { k: 'special', prefix: 'non-virtual thunk to ', inner: this.encoding(false) };
    }
    if (this.eat('Tv')) {
      this.number();
      if (!this.eat('_')) throw new Fail();
      this.number();
      if (!this.eat('_')) throw new Fail();
      return { k: 'special', prefix: 'virtual thunk to ', inner: this.encoding(false) };
    }
    if (this.eat('GTt')) return { k: 'special', prefix: 'transaction clone for ', inner: this.encoding(false) };
    if (this.eat('TH')) return { k: 'special', prefix: 'TLS init function for ', inner: this.name() };
    if (this.eat('TW')) return { k: 'special', prefix: 'TLS wrapper function for ', inner: this.name() };
    throw new Fail();
  }

  private seqIdOptional(): void {
    while (this.i < this.s.length && /[0-9A-Z_]/.test(this.peek())) {
      if (this.next() === '_') break;
    }
  }

  // ------------------------------------------------------------ names

  private name(): Node {
    const c = this.peek();
    if (c === 'N') return this.nestedName();
    if (c === 'Z') return this.localName();
    if (c === 'S' && this.peek(1) === 't') {
      this.i += 2;
      const n = this.unqualifiedName();
      let node: Node = { k: 'nested', parts: [{ k: 'name', s: 'std' }, n] };
      if (this.peek() === 'I') {
        this.subs.push(node);
        node = { k: 'template', name: node, args: this.templateArgsList() };
      }
      return node;
    }
    let n: Node;
    if (c === 'S') {
      n = this.substitution();
      if (this.peek() !== 'I') throw new Fail();
    } else {
      n = this.unqualifiedName();
      if (this.peek() === 'I') this.subs.push(n);
    }
    if (this.peek() === 'I') {
      const args = this.templateArgsList();
      n = { k: 'template', name: n, args };
    }
    return n;
  }

  private nestedName(): Node {
    this.next(); // N
    let quals = '';
    let ref = '';
    for (;;) {
      if (this.eat('r')) quals += ' restrict';
      else if (this.eat('V')) quals += ' volatile';
      else if (this.eat('K')) quals += ' const';
      else break;
    }
    if (this.eat('R')) ref = ' &';
    else if (this.eat('O')) ref = ' &&';
    const parts: Node[] = [];
    let cur: Node | undefined;
    while (!this.eat('E')) {
      const c = this.peek();
      if (c === 'S' && (parts.length === 0)) {
        if (this.peek(1) === 't') {
          this.i += 2;
          parts.push({ k: 'name', s: 'std' });
          continue;
        }
        const sub = this.substitution(true);
        parts.push(sub);
        cur = { k: 'nested', parts: [...parts] };
        continue;
      }
      if (c === 'I') {
        if (!parts.length) throw new Fail();
        const last = parts.pop()!;
        const t: Node = { k: 'template', name: last, args: this.templateArgsList() };
        parts.push(t);
        cur = { k: 'nested', parts: [...parts] };
        if (this.peek() !== 'E') this.subs.push(cur);
        continue;
      }
      if (c === 'T') {
        parts.push(this.templateParam());
        cur = { k: 'nested', parts: [...parts] };
        this.subs.push(cur);
        continue;
      }
      if (c === 'D' && (this.peek(1) === 't' || this.peek(1) === 'T')) {
        parts.push(this.type());
        cur = { k: 'nested', parts: [...parts] };
        this.subs.push(cur);
        continue;
      }
      if (c === 'M') {
        this.next();
        continue;
      }
      let prevName: string | undefined;
      const lastPart = parts[parts.length - 1];
      if (lastPart) prevName = baseName(lastPart);
      const n = this.unqualifiedName(prevName);
      parts.push(n);
      cur = { k: 'nested', parts: [...parts] };
      if (this.peek() !== 'E') this.subs.push(cur);
    }
    if (!cur) throw new Fail();
    this.pendingQuals = quals;
    this.pendingRef = ref;
    return parts.length === 1 ? parts[0] : { k: 'nested', parts };
  }

  private localName(): Node {
    this.next(); // Z
    const fn = this.encoding(false);
    if (!this.eat('E')) throw new Fail();
    if (this.eat('s')) {
      this.discriminator();
      return { k: 'nested', parts: [fn, { k: 'name', s: 'string literal' }] };
    }
    const saveQ = this.pendingQuals;
    const saveR = this.pendingRef;
    const entity = this.name();
    this.pendingQuals = saveQ;
    this.pendingRef = saveR;
    this.discriminator();
    return { k: 'nested', parts: [fn, entity] };
  }

  private discriminator(): void {
    if (this.eat('_')) {
      if (this.eat('_')) {
        this.number();
        this.eat('_');
      } else this.number();
    }
  }

  private unqualifiedName(prev?: string): Node {
    const c = this.peek();
    let n: Node;
    if (/[0-9]/.test(c)) n = this.sourceName();
    else if (c === 'C' && /[123I]/.test(this.peek(1))) {
      this.i += 2;
      if (this.s[this.i - 1] === 'I') this.type();
      n = { k: 'name', s: prev ?? '?', ctor: true } as Node;
    } else if (c === 'D' && /[0125]/.test(this.peek(1))) {
      this.i += 2;
      n = { k: 'name', s: '~' + (prev ?? '?') };
    } else if (c === 'U' && this.peek(1) === 't') {
      this.i += 2;
      const num = this.peek() === '_' ? 1 : this.number() + 2;
      this.eat('_');
      n = { k: 'name', s: `{unnamed type#${num}}` };
    } else if (c === 'U' && this.peek(1) === 'l') {
      this.i += 2;
      const params = this.bareFunctionTypeUntil('E');
      this.eat('E');
      const num = this.peek() === '_' ? 1 : this.number() + 2;
      this.eat('_');
      n = { k: 'name', s: `{lambda(${params.map((p) => this.str(p)).join(', ')})#${num}}` };
    } else if (c === 'L') {
      this.next();
      n = this.sourceName();
      this.discriminator();
    } else n = this.operatorName();
    while (this.peek() === 'B') {
      this.next();
      const tag = this.sourceName();
      n = { k: 'abi', inner: n, tag: (tag as { s: string }).s };
    }
    return n;
  }

  private bareFunctionTypeUntil(end: string): Node[] {
    const params: Node[] = [];
    while (this.peek() !== end) params.push(this.type());
    if (params.length === 1 && params[0].k === 'name' && params[0].s === 'void') return [];
    return params;
  }

  private sourceName(): Node {
    const len = this.number();
    const id = this.s.slice(this.i, this.i + len);
    if (id.length !== len) throw new Fail();
    this.i += len;
    if (id.startsWith('_GLOBAL_') && /^_GLOBAL_[._$]N/.test(id)) return { k: 'name', s: '(anonymous namespace)' };
    return { k: 'name', s: id };
  }

  private operatorName(): Node {
    const two = this.s.slice(this.i, this.i + 2);
    if (two === 'cv') {
      this.i += 2;
      const t = this.type();
      return { k: 'name', s: `operator ${this.str(t)}` };
    }
    if (two === 'li') {
      this.i += 2;
      const n = this.sourceName() as { s: string };
      return { k: 'name', s: `operator"" ${n.s}` };
    }
    if (two[0] === 'v' && /[0-9]/.test(two[1])) {
      this.i += 2;
      const n = this.sourceName() as { s: string };
      return { k: 'name', s: `operator ${n.s}` };
    }
    const op = OPERATORS[two];
    if (!op) throw new Fail();
    this.i += 2;
    const sp = /^[a-z]/.test(op) ? ' ' : '';
    return { k: 'name', s: `operator${sp}${op}` };
  }

  private substitution(prefix = false): Node {
    if (!this.eat('S')) throw new Fail();
    const c = this.peek();
    if (c && STD_SUBS[c] && !/[0-9A-Z_]/.test(c)) {
      this.next();
      // libiberty: the full expansion where the substitution prefixes a nested name.
      const full: Record<string, string> = {
        s: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
        i: 'std::basic_istream<char, std::char_traits<char> >',
        o: 'std::basic_ostream<char, std::char_traits<char> >',
        d: 'std::basic_iostream<char, std::char_traits<char> >',
      };
      const n: Node = { k: 'name', s: full[c] ?? STD_SUBS[c] };
      if (full[c]) (n as { ctorName?: string }).ctorName = { s: 'basic_string', i: 'basic_istream', o: 'basic_ostream', d: 'basic_iostream' }[c];
      return n;
    }
    const id = this.seqId();
    const n = this.subs[id];
    if (!n) throw new Fail();
    return n;
  }

  private templateParam(): Node {
    if (!this.eat('T')) throw new Fail();
    const id = this.seqId();
    const a = this.templateArgs[id];
    if (!a) return { k: 'name', s: `T${id}` };
    return a;
  }

  private templateArgsList(): Node[] {
    if (!this.eat('I')) throw new Fail();
    const args: Node[] = [];
    this.argDepth++;
    try {
      while (!this.eat('E')) args.push(this.templateArg());
    } finally {
      this.argDepth--;
    }
    // Template parameters (T_) refer to the arguments of the entity being named, not to those of
    // templates appearing in its parameter types.
    if (this.typeDepth === 0 && this.argDepth === 0) this.templateArgs = args;
    return args;
  }

  private templateArg(): Node {
    const c = this.peek();
    if (c === 'L') return this.exprPrimary();
    if (c === 'X') {
      this.next();
      // expression: not supported beyond trivial forms
      throw new Fail();
    }
    if (c === 'J') {
      this.next();
      const items: Node[] = [];
      while (!this.eat('E')) items.push(this.templateArg());
      return { k: 'pack', items };
    }
    return this.type();
  }

  private exprPrimary(): Node {
    this.next(); // L
    if (this.eat('_Z')) {
      const e = this.encoding(false);
      this.eat('E');
      return e;
    }
    const t = this.type();
    const tn = this.str(t);
    let v = '';
    while (this.peek() !== 'E') v += this.next();
    this.next();
    if (v.startsWith('n')) v = '-' + v.slice(1);
    if (tn === 'bool') return { k: 'literal', s: v === '0' ? 'false' : 'true' };
    if (tn === 'int') return { k: 'literal', s: v };
    if (tn === 'unsigned int') return { k: 'literal', s: v + 'u' };
    if (tn === 'long') return { k: 'literal', s: v + 'l' };
    if (tn === 'unsigned long') return { k: 'literal', s: v + 'ul' };
    if (tn === 'long long') return { k: 'literal', s: v + 'll' };
    if (tn === 'unsigned long long') return { k: 'literal', s: v + 'ull' };
    return { k: 'literal', s: `(${tn})${v}` };
  }

  // ------------------------------------------------------------ types

  private type(): Node {
    this.typeDepth++;
    try {
      return this.type1();
    } finally {
      this.typeDepth--;
    }
  }

  private type1(): Node {
    const c = this.peek();
    if (BUILTIN[c]) {
      this.next();
      return { k: 'name', s: BUILTIN[c] };
    }
    switch (c) {
      case 'u': {
        this.next();
        const n = this.sourceName();
        return n;
      }
      case 'U': {
        // Vendor extended qualifier: U <name> <type>
        this.next();
        const q = this.sourceName() as { s: string };
        const inner = this.type();
        const n: Node = { k: 'vendor', inner, q: q.s };
        this.subs.push(n);
        return n;
      }
      case 'D': {
        const d = this.peek(1);
        if (BUILTIN_D[d]) {
          this.i += 2;
          return { k: 'name', s: BUILTIN_D[d] };
        }
        if (d === 'p') {
          this.i += 2;
          const t = this.type();
          // A pack expansion of a template parameter pack lists the pack's elements.
          const n: Node = t.k === 'pack' ? t : { k: 'name', s: this.str(t) + '...' };
          this.subs.push(n);
          return n;
        }
        if (d === 'F') {
          this.i += 2;
          const bits = this.number();
          this.eat('_');
          return { k: 'name', s: `_Float${bits}` };
        }
        if (d === 'v') {
          this.i += 2;
          const dim = this.number();
          this.eat('_');
          const t = this.type();
          const n: Node = { k: 'name', s: `${this.str(t)} __vector(${dim})` };
          this.subs.push(n);
          return n;
        }
        throw new Fail();
      }
      case 'r':
      case 'V':
      case 'K': {
        let quals = '';
        for (;;) {
          if (this.eat('r')) quals = ' restrict' + quals;
          else if (this.eat('V')) quals = ' volatile' + quals;
          else if (this.eat('K')) quals = ' const' + quals;
          else break;
        }
        // libiberty orders them const volatile restrict
        const order = ['const', 'volatile', 'restrict'].filter((q) => quals.includes(q)).map((q) => ' ' + q).join('');
        const inner = this.type();
        const n: Node = inner.k === 'func' ? { ...inner, quals: order } : { k: 'qual', inner, quals: order };
        this.subs.push(n);
        return n;
      }
      case 'P':
      case 'R':
      case 'O': {
        this.next();
        const inner = this.type();
        const n: Node = { k: 'ptr', inner, sym: c === 'P' ? '*' : c === 'R' ? '&' : '&&' };
        this.subs.push(n);
        return n;
      }
      case 'F': {
        this.next();
        this.eat('Y');
        const ret = this.type();
        const params: Node[] = [];
        let ref = '';
        for (;;) {
          if (this.eat('E')) break;
          if (this.peek() === 'R' && this.peek(1) === 'E') {
            this.i += 2;
            ref = ' &';
            break;
          }
          if (this.peek() === 'O' && this.peek(1) === 'E') {
            this.i += 2;
            ref = ' &&';
            break;
          }
          params.push(this.type());
        }
        const ps = params.length === 1 && params[0].k === 'name' && params[0].s === 'void' ? [] : params;
        const n: Node = { k: 'func', ret, params: ps, quals: '', ref };
        this.subs.push(n);
        return n;
      }
      case 'A': {
        this.next();
        let dim = '';
        if (this.peek() !== '_') {
          if (/[0-9]/.test(this.peek())) dim = String(this.number());
          else throw new Fail();
        }
        if (!this.eat('_')) throw new Fail();
        const inner = this.type();
        const n: Node = { k: 'array', inner, dim };
        this.subs.push(n);
        return n;
      }
      case 'M': {
        this.next();
        const cls = this.type();
        const member = this.type();
        const n: Node = { k: 'memptr', cls, member };
        this.subs.push(n);
        return n;
      }
      case 'T': {
        const p = this.templateParam();
        this.subs.push(p);
        if (this.peek() === 'I') {
          const n: Node = { k: 'template', name: p, args: this.templateArgsList() };
          this.subs.push(n);
          return n;
        }
        return p;
      }
      case 'S': {
        if (this.peek(1) === 't') {
          const n = this.name();
          this.subs.push(n);
          return n;
        }
        const sub = this.substitution();
        if (this.peek() === 'I') {
          const n: Node = { k: 'template', name: sub, args: this.templateArgsList() };
          this.subs.push(n);
          return n;
        }
        return sub;
      }
      case 'N':
      case 'Z': {
        const saveQ = this.pendingQuals;
        const saveR = this.pendingRef;
        const n = this.name();
        this.pendingQuals = saveQ;
        this.pendingRef = saveR;
        this.subs.push(n);
        return n;
      }
      default: {
        if (/[0-9]/.test(c)) {
          const n = this.name();
          this.subs.push(n);
          return n;
        }
        throw new Fail();
      }
    }
  }

  // ------------------------------------------------------------ printing

  str(n: Node): string {
    switch (n.k) {
      case 'name':
        return n.s;
      case 'literal':
        return n.s;
      case 'abi':
        return `${this.str(n.inner)}[abi:${n.tag}]`;
      case 'vendor':
        return `${this.str(n.inner)} ${n.q}`;
      case 'pack':
        return n.items.map((x) => this.str(x)).join(', ');
      case 'nested':
        return n.parts.map((p) => this.str(p)).join('::');
      case 'template': {
        if ((n as { fnEncoding?: boolean }).fnEncoding) return this.str(n.name);
        const args = n.args.map((a) => this.str(a)).join(', ');
        const base = this.str(n.name);
        return `${base}${base.endsWith('<') ? ' ' : ''}<${args}${args.endsWith('>') ? ' ' : ''}>`;
      }
      case 'special': {
        if ((n as { fnEncoding?: boolean }).fnEncoding) {
          const t = n.inner as Extract<Node, { k: 'template' }>;
          const fn = t.args[0] as Extract<Node, { k: 'func' }>;
          const name = this.str(t.name);
          const params = fn.params.map((p) => this.str(p)).join(', ');
          const ret = fn.ret && !this.retDrop ? this.str(fn.ret) + ' ' : '';
          return `${ret}${name}(${params})${fn.quals}${fn.ref}`;
        }
        return n.prefix + this.str(n.inner);
      }
      default:
        return this.declarator(n, '');
    }
  }

  /** C declarator syntax around `inner` (pointers to functions and arrays parenthesised). */
  private declarator(n: Node, inner: string): string {
    switch (n.k) {
      case 'qual':
        if (n.inner.k === 'ptr' || n.inner.k === 'memptr') return this.declarator(n.inner, `${n.quals.trim()}${inner ? ' ' + inner : ''}`.replace(/^/, ' ').trimEnd()).replace(/ +$/, '');
        return this.declarator(n.inner, '') + n.quals + (inner ? inner : '');
      case 'ptr': {
        const t = n.inner;
        if (t.k === 'func' || t.k === 'array') return this.declarator(t, `(${n.sym}${inner})`);
        return this.declarator(t, '') + n.sym + inner;
      }
      case 'func': {
        const params = n.params.map((p) => this.str(p)).join(', ');
        const ret = n.ret ? this.str(n.ret) : '';
        return `${ret}${inner ? ' ' + inner : ''}(${params})${n.quals}${n.ref}`;
      }
      case 'array':
        return `${this.declarator(n.inner, '')} ${inner ? inner + ' ' : ''}[${n.dim}]`;
      case 'memptr': {
        const cls = this.str(n.cls);
        if (n.member.k === 'func') {
          const f = n.member;
          const params = f.params.map((p) => this.str(p)).join(', ');
          return `${f.ret ? this.str(f.ret) : ''} (${cls}::*${inner})(${params})${f.quals}${f.ref}`;
        }
        return `${this.str(n.member)} ${cls}::*${inner}`;
      }
      default:
        return this.str(n) + inner;
    }
  }
}

function baseName(n: Node): string | undefined {
  if (n.k === 'name') return (n as { ctorName?: string }).ctorName ?? n.s.replace(/^std::/, '');
  if (n.k === 'template') return baseName(n.name);
  if (n.k === 'abi') return baseName(n.inner);
  if (n.k === 'nested') return baseName(n.parts[n.parts.length - 1]);
  return undefined;
}

const cache = new Map<string, string | undefined>();

/** The demangled form of an Itanium-mangled name, or undefined when `name` is not one we can read. */
export function demangle(name: string, opts: { retDrop?: boolean } = {}): string | undefined {
  if (!name.startsWith('_Z')) return undefined;
  const key = opts.retDrop ? '\0' + name : name;
  if (cache.has(key)) return cache.get(key);
  let out: string | undefined;
  try {
    out = new Demangler(name, !!opts.retDrop).run();
  } catch {
    out = undefined;
  }
  cache.set(key, out);
  return out;
}
