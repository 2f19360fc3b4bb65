// MI variable objects (gdb/varobj.c semantics over the engine's evaluate/variables).
//
// A varobj remembers the expression that re-creates it (gdb's path expression, "(s).b", "*(argv)",
// "(arr)[3]") and the frame it is bound to (thread + function + CFA, so that it goes out of scope when
// that frame returns). Values are re-read on -var-update; children are listed lazily, as gdb does.
import type { EvaluateResult, FrameInfo, ValueFormat, Variable } from '../engine/api';
import { miValue } from './format';
import { ALL_REGISTER_NAMES } from './registers';
import { CommandContext, MiError, MiInterpreter, errorMessage } from './interpreter';
import { printValues } from './commands';
import { MiResults, MiTuple, MiValue, getopt } from './syntax';

type Format = 'natural' | 'binary' | 'decimal' | 'hexadecimal' | 'octal' | 'zero-hexadecimal';
const FORMATS: Format[] = ['natural', 'binary', 'decimal', 'hexadecimal', 'octal', 'zero-hexadecimal'];

interface FrameBinding {
  thread: number;
  function?: string;
  cfa?: number;
  level: number;
}

/** Register names an expression can use as `$name`. */
const REGISTER_SET = new Set([...ALL_REGISTER_NAMES.filter((n) => n), 'pc', 'sp', 'fp', 'ps']);

/** The engine's rendering of a value it could not read at all. */
function unreadable(value: string): boolean {
  return /^<error: [^>]*>$/.test(value);
}

/**
 * The virtual table pointer (`_vptr.Shape` from GCC, `_vptr$Shape` from clang): an artificial member
 * that `print` shows but gdb's varobjs leave out.
 */
function isArtificialMember(name: string): boolean {
  return /^_vptr[.$]/.test(name);
}

interface VarObj {
  name: string;
  /** What gdb shows as `exp`: the root expression, a member name, an index. */
  exp: string;
  /** Full expression that evaluates to this object (gdb's path expression). */
  path: string;
  parent?: VarObj;
  children?: VarObj[];
  type: string;
  numchild: number;
  value: string;
  /** Raw engine value (natural format) for change detection. */
  raw: string;
  format: Format;
  frozen: boolean;
  floating: boolean;
  frame?: FrameBinding;
  inScope: boolean;
  /** Next update reports it changed (after -var-assign). */
  forceChanged: boolean;
  /** Pointer to struct: the children are the pointee's members. */
  ptrToStruct: boolean;
  aggregate: 'struct' | 'array' | 'none';
  /** C++ (gdb's cplus varobj rules for path expressions), from the source file of its frame. */
  cplus?: boolean;
  /**
   * gdb's C++ access pseudo-child (`public`, `private`, `protected`): no type, value or path of its
   * own; its children are the members of its parent (a struct, or a pointer to one) with that access.
   */
  access?: Access;
  /** A child was deleted: the next listing re-creates it (the others are kept). */
  childrenStale?: boolean;
}

type Access = 'public' | 'private' | 'protected';
const CPLUS_FILE = /\.(cc|cpp|cxx|c\+\+|C|hh|hpp|hxx|h\+\+)$/;
const ACCESS_ORDER: Access[] = ['public', 'private', 'protected'];

/** A member's access as gdb's varobj sees it (no accessibility known: public). */
function accessOf(m: Variable): Access {
  return m.access ?? 'public';
}

function isBaseChild(m: Variable): boolean {
  return m.childKind === 'base' || /^<.*>$/.test(m.name) || (m.evaluateName !== undefined && m.evaluateName.startsWith(`((${m.name})`));
}

/**
 * Members in gdb's field order: the engine lists static members last, each knowing how many
 * non-static members precede it in the declaration.
 */
function fieldOrder(members: Variable[]): Variable[] {
  let i = 0;
  const keyed = members.map((m) => ({ m, key: m.childKind === 'static' && m.position !== undefined ? m.position * 2 : 2 * i++ + 1 }));
  return keyed.sort((a, b) => a.key - b.key).map((k) => k.m);
}

export class VarObjects {
  private readonly vars = new Map<string, VarObj>();
  private counter = 0;

  constructor(private readonly mi: MiInterpreter) {}

  invalidate(): void {
    /* values are re-read on demand; nothing cached across resumes except the last value */
  }

  clear(): void {
    for (const v of this.vars.values()) v.inScope = false;
  }

  get(name: string): VarObj {
    const v = this.vars.get(name);
    if (!v) throw new MiError('Variable object not found');
    return v;
  }

  // ------------------------------------------------------------------------------------------------

  private async frameFor(b: FrameBinding | undefined): Promise<FrameInfo | undefined> {
    const mi = this.mi;
    if (mi.pid === undefined || mi.engine.state !== 'stopped') return undefined;
    if (!b) return undefined;
    const pick = (frames: FrameInfo[]) =>
      b.cfa !== undefined ? frames.find((f) => f.cfa === b.cfa && f.function === b.function) : frames.find((f) => f.function === b.function && f.level >= b.level);
    // gdb's frame_find_by_id walks out from the innermost frame until it finds it: unwind in growing
    // steps, not the whole of a deep stack.
    try {
      for (let n = 64; ; n *= 8) {
        const s = await mi.stackPrefix(b.thread, n);
        const f = pick(s.frames);
        if (f || !s.more) return f;
      }
    } catch {
      return undefined;
    }
  }

  private async evalIn(expr: string, frame: FrameInfo | undefined, format?: ValueFormat): Promise<EvaluateResult> {
    return this.mi.engine.evaluate(expr, { frameId: frame?.id, context: 'variables', format });
  }

  /** Fills type/value/numchild of a varobj from an evaluation. */
  private async describe(v: VarObj, r: EvaluateResult, frame: FrameInfo | undefined): Promise<void> {
    v.type = r.type ?? '';
    // A reference stands for the object it refers to (gdb's varobjs coerce_ref): its value without
    // the `@0x…: ` prefix, its children the object's.
    v.raw = derefText(miValue(r.value));
    let t = v.type.trim();
    if (/[^&(]\s*&&?$/.test(t) && !/\)\s*&&?$/.test(t)) t = t.replace(/\s*&&?$/, '');
    const arr = /\[(\d+)\]$/.exec(t);
    v.ptrToStruct = false;
    if (arr) {
      v.aggregate = 'array';
      v.numchild = Number(arr[1]);
    } else if (!t.endsWith('*') && !t.endsWith('&') && (/^(struct|union|class)\b/.test(t) || (r.variablesReference > 0 && /^\{/.test(v.raw)) || v.raw === '{<No data fields>}')) {
      v.aggregate = 'struct';
      v.numchild = await this.countChildren(r, v.cplus);
    } else if (t.endsWith('*')) {
      v.aggregate = 'none';
      const target = t.slice(0, -1).trim();
      if (/^(void|.*\(.*\))$/.test(target) || /\(\*\)/.test(t)) v.numchild = 0;
      else {
        // Pointer to struct: the children are the members of the pointee.
        let deref: EvaluateResult | undefined;
        try {
          deref = await this.evalIn(`*(${v.path})`, frame);
        } catch {
          deref = undefined;
        }
        if (deref && (/^(struct|union|class)\b/.test(deref.type ?? '') || (/^\{/.test(deref.value) && deref.variablesReference > 0))) {
          v.ptrToStruct = true;
          v.numchild = await this.countChildren(deref, v.cplus);
        } else {
          v.numchild = 1;
        }
      }
    } else {
      v.aggregate = 'none';
      v.numchild = 0;
    }
    v.value = await this.display(v, frame);
  }

  /**
   * gdb's number of children of a struct: its members, or in C++ (cplus_number_of_children) its base
   * classes plus one access pseudo-child per access that has members.
   */
  private async countChildren(r: EvaluateResult, cplus?: boolean): Promise<number> {
    if (r.variablesReference <= 0) return 0;
    if (r.indexedVariables !== undefined && !r.namedVariables) return r.indexedVariables;
    const members = (await this.mi.engine.variables(r.variablesReference)).filter((m) => !isArtificialMember(m.name));
    if (!cplus) return members.length;
    const bases = members.filter(isBaseChild);
    const groups = new Set(members.filter((m) => !isBaseChild(m)).map(accessOf));
    return bases.length + groups.size;
  }

  /** The value string gdb shows for a varobj in its format. */
  private async display(v: VarObj, frame: FrameInfo | undefined, format: Format = v.format): Promise<string> {
    if (v.access) return '';
    if (v.aggregate === 'struct') return '{...}';
    if (v.aggregate === 'array') return `[${v.numchild}]`;
    // A value that cannot be read (`<error: Cannot access memory at address 0x0>` from the engine) is
    // an empty value in gdb's var objects.
    if (format === 'natural') return unreadable(v.raw) ? '' : v.raw;
    const r = await this.evalIn(v.path, frame, toValueFormat(format));
    let s = derefText(miValue(r.value));
    if (unreadable(s)) return '';
    if (format === 'zero-hexadecimal' && /^0x[0-9a-f]+$/.test(s)) {
      const size = typeSize(v.type);
      if (size) s = '0x' + s.slice(2).padStart(size * 2, '0');
    }
    return s;
  }

  // ------------------------------------------------------------------------------------------------
  // Commands

  async create(ctx: CommandContext, argv: string[]): Promise<MiTuple> {
    if (argv.length !== 3) throw new MiError('-var-create: Usage: NAME FRAME EXPRESSION.');
    let [name, frameSpec, expr] = argv;
    const mi = this.mi;
    if (name === '-') name = `var${++this.counter}`;
    else if (!/^[A-Za-z_][\w$]*$/.test(name)) throw new MiError('-var-create: name of object must begin with a letter');
    if (this.vars.has(name)) throw new MiError(`Duplicate variable object name`);
    const floating = frameSpec === '@';
    let frame: FrameInfo | undefined;
    let binding: FrameBinding | undefined;
    if (mi.pid !== undefined && mi.engine.state === 'stopped') {
      try {
        if (frameSpec === '*' || frameSpec === '@') frame = await mi.contextFrame(ctx);
        else {
          const a = Number(frameSpec);
          const s = await mi.stack(mi.currentThread(ctx));
          frame = s.frames.find((f) => f.cfa === a || f.pc === a) ?? s.frames[0];
        }
      } catch {
        frame = undefined;
      }
    }
    let r: EvaluateResult;
    try {
      if (mi.running) throw new Error('running');
      r = await this.evalIn(expr, frame);
    } catch (e) {
      void e;
      throw new MiError('-var-create: unable to create variable object');
    }
    // gdb binds a var object to its frame (and prints its thread-id) only when the expression names a
    // local variable or parameter; others (globals, `*(int *) 0`, `$rsp`) are evaluated wherever.
    if (frame && !floating && (await this.namesFrameSymbol(expr, frame))) {
      binding = { thread: mi.currentThread(ctx), function: frame.function, cfa: frame.cfa, level: frame.level };
    }
    const v: VarObj = {
      name,
      exp: expr,
      path: expr,
      type: '',
      numchild: 0,
      value: '',
      raw: '',
      format: 'natural',
      frozen: false,
      floating,
      frame: binding,
      inScope: true,
      forceChanged: false,
      ptrToStruct: false,
      aggregate: 'none',
      cplus: frame ? frame.file !== undefined && CPLUS_FILE.test(frame.file) : await this.programIsCplus(),
    };
    await this.describe(v, r, frame);
    this.vars.set(name, v);
    const t: MiTuple = { name, numchild: String(v.numchild), value: v.value, type: v.type };
    if (binding) t['thread-id'] = String(binding.thread);
    t.has_more = '0';
    return t;
  }

  private cplusProgram?: Promise<boolean>;

  /** Without a frame, gdb's current language is the one of `main`'s source file (set_initial_language). */
  private programIsCplus(): Promise<boolean> {
    this.cplusProgram ??= this.mi.engine
      .resolveLocation('main')
      .then((l) => l.length > 0 && CPLUS_FILE.test(l[0].file))
      .catch(() => false);
    return this.cplusProgram;
  }

  /** Whether an expression names one of the frame's locals or parameters (or `this`, implicitly in a method). */
  private async namesFrameSymbol(expr: string, frame: FrameInfo): Promise<boolean> {
    let names: Set<string>;
    try {
      const scopes = await this.mi.engine.scopes(frame.id);
      names = new Set<string>();
      for (const s of scopes.filter((x) => x.kind === 'locals' || x.kind === 'arguments')) {
        for (const v of await this.mi.engine.variables(s.variablesReference)) names.add(v.name);
      }
    } catch {
      return true;
    }
    if (names.has('this')) return true;
    // Registers are frame-bound too (gdb tracks them with the symbols); convenience variables are not.
    for (const m of expr.matchAll(/\$([A-Za-z_]\w*)/g)) if (REGISTER_SET.has(m[1])) return true;
    // Identifiers outside string and character literals, not members (`.x`, `->x`, `::x`) nor `$vars`.
    const text = expr
      .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
      .replace(/(->|::|\.)\s*[A-Za-z_]\w*/g, ' ')
      .replace(/\$\w*/g, ' ')
      .replace(/\b\d[\w.]*/g, ' ');
    for (const m of text.matchAll(/[A-Za-z_]\w*/g)) if (names.has(m[0])) return true;
    return false;
  }

  async listChildren(argv: string[]): Promise<[string, MiValue][]> {
    let pv = 0;
    const args = [...argv];
    if (args.length && /^(0|1|2|--no-values|--all-values|--simple-values)$/.test(args[0]) && args.length > 1) {
      pv = printValuesNum(args.shift()!);
    }
    if (args.length !== 1 && args.length !== 3) throw new MiError('-var-list-children: Usage: [PRINT_VALUES] NAME [FROM TO]');
    const v = this.get(args[0]);
    const kids = await this.children(v);
    let from = 0;
    let to = kids.length;
    if (args.length === 3) {
      from = Math.max(0, Number(args[1]));
      to = Math.min(kids.length, Number(args[2]));
    }
    const shown = kids.slice(from, Math.max(from, to));
    const out: [string, MiValue][] = [['numchild', String(shown.length)]];
    if (shown.length) {
      out.push([
        'children',
        new MiResults(
          shown.map((c) => {
            const t: MiTuple = { name: c.name, exp: c.exp, numchild: String(c.numchild) };
            if (pv === 1 || (pv === 2 && c.aggregate === 'none')) t.value = c.value;
            if (c.type) t.type = c.type;
            if (c.frame) t['thread-id'] = String(c.frame.thread);
            return ['child', t] as [string, MiValue];
          }),
        ),
      ]);
    }
    out.push(['has_more', to < kids.length ? '1' : '0']);
    return out;
  }

  private async children(v: VarObj): Promise<VarObj[]> {
    if (v.children && !v.childrenStale) return v.children;
    const kept = new Map((v.children ?? []).map((c) => [c.name, c]));
    v.childrenStale = false;
    const frame = await this.frameFor(v.frame);
    const kids: VarObj[] = [];
    const make = (exp: string, path: string): VarObj => ({
      name: `${v.name}.${exp}`,
      exp,
      path,
      parent: v,
      type: '',
      numchild: 0,
      value: '',
      raw: '',
      format: 'natural',
      frozen: false,
      floating: v.floating,
      frame: v.frame,
      inScope: true,
      forceChanged: false,
      ptrToStruct: false,
      aggregate: 'none',
      cplus: v.cplus,
    });
    if (v.numchild === 0) {
      v.children = [];
      return [];
    }
    if (v.aggregate === 'array') {
      for (let i = 0; i < v.numchild; i++) kids.push(make(String(i), `(${v.path})[${i}]`));
    } else if (v.aggregate === 'struct' || v.ptrToStruct || v.access) {
      // An access pseudo-child lists the members of its parent, the struct (or pointer to one).
      const owner = v.access ? v.parent! : v;
      const base = owner.ptrToStruct ? `*(${owner.path})` : owner.path;
      const r = await this.evalIn(base, frame);
      const members: Variable[] = (r.variablesReference > 0 ? await this.mi.engine.variables(r.variablesReference) : []).filter((m) => !isArtificialMember(m.name));
      const child = (m: Variable): VarObj => {
        // A base class: named by its type (`geo::Shape`, as gdb's varobj names it), with the engine's
        // cast expression to reach it (`((geo::Shape)r)`); older engines named it `<geo::Shape>`.
        const bracketed = /^<.*>$/.test(m.name);
        const isBase = isBaseChild(m);
        const exp = bracketed ? m.name.slice(1, -1) : m.name;
        let path: string;
        if (owner.cplus) {
          // gdb's cplus_describe_child: a base through a cast that always says `class`, members in
          // an extra pair of parentheses.
          const ptr = owner.ptrToStruct ? '*' : '';
          path = isBase ? `(${ptr}(class ${exp}${ptr}) ${owner.path})` : owner.ptrToStruct ? `((${owner.path})->${exp})` : `((${owner.path}).${exp})`;
        } else {
          path = isBase ? (m.evaluateName && !bracketed ? m.evaluateName : `((${exp})${base})`) : owner.ptrToStruct ? `(${owner.path})->${exp}` : `(${owner.path}).${exp}`;
        }
        const c = make(exp, path);
        if (isBase) (c as VarObj & { baseClass?: boolean }).baseClass = true;
        return c;
      };
      if (v.access) {
        for (const m of fieldOrder(members.filter((x) => !isBaseChild(x) && accessOf(x) === v.access))) kids.push(child(m));
      } else if (v.cplus) {
        // gdb's C++ varobjs: base classes, then one pseudo-child per access that has members, in the
        // order public, private, protected (cplus_describe_child).
        for (const m of members) if (isBaseChild(m)) kids.push(child(m));
        for (const a of ACCESS_ORDER) {
          const n = members.filter((x) => !isBaseChild(x) && accessOf(x) === a).length;
          if (!n) continue;
          const c = make(a, '');
          c.access = a;
          c.numchild = n;
          kids.push(c);
        }
      } else {
        for (const m of members) kids.push(child(m));
      }
    } else {
      kids.push(make(`*${v.exp}`, `*(${v.path})`));
    }
    for (let i = 0; i < kids.length; i++) {
      const old = kept.get(kids[i].name);
      if (old) kids[i] = old;
    }
    let frozenLine = false;
    for (let p: VarObj | undefined = v; p && !frozenLine; p = p.parent) frozenLine = p.frozen;
    for (const c of kids) {
      if (kept.has(c.name)) continue;
      if (c.access) {
        this.vars.set(c.name, c);
        continue;
      }
      try {
        await this.describe(c, await this.evalIn(c.path, frame), frame);
      } catch (e) {
        c.value = `<error: ${errorMessage(e)}>`;
        c.raw = c.value;
      }
      // gdb does not fetch the value of a new child of a frozen var object (install_new_value's
      // intentionally_not_fetched): it shows no value until an update asks for it.
      if (frozenLine && c.aggregate === 'none') {
        c.value = '';
        c.raw = '';
        c.forceChanged = true;
      }
      this.vars.set(c.name, c);
    }
    v.children = kids;
    return kids;
  }

  async evaluateExpression(argv: string[]): Promise<string> {
    const { options, rest } = getopt('-var-evaluate-expression', argv, [{ name: 'f', arg: true }]);
    if (rest.length !== 1) throw new MiError('Usage: [-f FORMAT] NAME');
    const v = this.get(rest[0]);
    const fmt = options.length ? parseFormat(options[0].arg!) : v.format;
    if (!v.inScope) return v.value;
    const frame = await this.frameFor(v.frame);
    return this.display(v, frame, fmt);
  }

  async assign(argv: string[]): Promise<string> {
    if (argv.length !== 2) throw new MiError('-var-assign: Usage: NAME EXPRESSION.');
    const v = this.get(argv[0]);
    if (v.aggregate !== 'none' || v.access) throw new MiError('-var-assign: Variable object is not editable');
    const frame = await this.frameFor(v.frame);
    try {
      await this.mi.engine.setExpression(v.path, argv[1], { frameId: frame?.id });
    } catch (e) {
      throw new MiError(errorMessage(e));
    }
    this.mi.invalidate();
    const r = await this.evalIn(v.path, frame);
    v.raw = miValue(r.value);
    v.value = await this.display(v, frame);
    v.forceChanged = true;
    return v.value;
  }

  async update(argv: string[]): Promise<MiValue> {
    let pv = 0;
    const args = [...argv];
    if (args.length === 2) pv = printValuesNum(args.shift()!);
    if (args.length !== 1) throw new MiError('-var-update: Usage: [PRINT_VALUES] VARIABLE_OBJECT.');
    const which = args[0];
    let roots: VarObj[];
    // gdb keeps its root list newest first (install_variable pushes to the front).
    if (which === '*' || which === '@') roots = [...this.vars.values()].filter((v) => !v.parent && (which === '*' || v.floating)).reverse();
    else roots = [this.get(which)];
    const changes: MiTuple[] = [];
    for (const r of roots) await this.updateTree(r, pv, changes, which !== '*' && which !== '@');
    return changes;
  }

  private async updateTree(v: VarObj, pv: number, out: MiTuple[], explicit: boolean): Promise<void> {
    if (v.frozen && !explicit) return;
    if (v.access) {
      // A pseudo-child has no value to change; its members are updated.
      for (const c of v.children ?? []) await this.updateTree(c, pv, out, false);
      return;
    }
    const mi = this.mi;
    const frame = await this.frameFor(v.frame);
    const wasInScope = v.inScope;
    if (v.frame && !frame) {
      if (v.inScope) {
        v.inScope = false;
        out.push({ name: v.name, in_scope: 'false', type_changed: 'false', has_more: '0' });
      }
      return;
    }
    if (mi.pid === undefined && v.frame) return;
    let r: EvaluateResult | undefined;
    try {
      r = await this.evalIn(v.path, frame);
    } catch {
      r = undefined;
    }
    if (!r) {
      if (v.inScope) {
        v.inScope = false;
        out.push({ name: v.name, in_scope: 'false', type_changed: 'false', has_more: '0' });
      }
      return;
    }
    v.inScope = true;
    const oldType = v.type;
    const oldRaw = v.raw;
    const oldNum = v.numchild;
    await this.describe(v, r, frame);
    const typeChanged = oldType !== v.type;
    if (typeChanged) {
      this.dropChildren(v);
    }
    const changed = v.forceChanged || !wasInScope || typeChanged || (v.aggregate === 'none' && oldRaw !== v.raw);
    v.forceChanged = false;
    if (changed) {
      const t: MiTuple = { name: v.name };
      if (pv === 1 || (pv === 2 && v.aggregate === 'none')) t.value = v.value;
      t.in_scope = 'true';
      t.type_changed = typeChanged ? 'true' : 'false';
      if (typeChanged) {
        t.new_type = v.type;
        t.new_num_children = String(v.numchild);
      } else if (oldNum !== v.numchild) t.new_num_children = String(v.numchild);
      t.has_more = '0';
      out.push(t);
    }
    if (v.children && !typeChanged) for (const c of v.children) await this.updateTree(c, pv, out, false);
  }

  private dropChildren(v: VarObj): number {
    let n = 0;
    for (const c of v.children ?? []) {
      n += this.dropChildren(c) + 1;
      this.vars.delete(c.name);
    }
    v.children = undefined;
    return n;
  }

  delete(argv: string[]): number {
    let onlyChildren = false;
    const args = [...argv];
    if (args[0] === '-c') {
      onlyChildren = true;
      args.shift();
    }
    if (args.length !== 1) throw new MiError('-var-delete: Usage: [-c] EXPRESSION.');
    const v = this.get(args[0]);
    let n = this.dropChildren(v);
    if (!onlyChildren) {
      this.vars.delete(v.name);
      n++;
      if (v.parent?.children) {
        v.parent.children = v.parent.children.filter((c) => c !== v);
        // gdb re-creates a deleted child the next time its parent's children are listed.
        v.parent.childrenStale = true;
      }
    }
    return n;
  }

  async setFormat(argv: string[]): Promise<MiTuple> {
    if (argv.length !== 2) throw new MiError('-var-set-format: Usage: NAME FORMAT.');
    const v = this.get(argv[0]);
    v.format = parseFormat(argv[1]);
    const frame = await this.frameFor(v.frame);
    if (v.inScope && (!v.frame || frame)) v.value = await this.display(v, frame);
    return { format: v.format, value: v.value };
  }

  showFormat(argv: string[]): string {
    if (argv.length !== 1) throw new MiError('-var-show-format: Usage: NAME.');
    return this.get(argv[0]).format;
  }

  infoType(argv: string[]): string {
    if (argv.length !== 1) throw new MiError('-var-info-type: Usage: NAME.');
    return this.get(argv[0]).type;
  }

  infoExpression(argv: string[]): MiTuple {
    if (argv.length !== 1) throw new MiError('-var-info-expression: Usage: NAME.');
    const v = this.get(argv[0]);
    return { lang: v.cplus ? 'C++' : 'C', exp: v.exp };
  }

  infoPathExpression(argv: string[]): string {
    if (argv.length !== 1) throw new MiError('Usage: NAME.');
    const v = this.get(argv[0]);
    return v.path;
  }

  async numChildren(argv: string[]): Promise<string> {
    if (argv.length !== 1) throw new MiError('-var-info-num-children: Usage: NAME.');
    return String(this.get(argv[0]).numchild);
  }

  showAttributes(argv: string[]): string {
    if (argv.length !== 1) throw new MiError('-var-show-attributes: Usage: NAME.');
    const v = this.get(argv[0]);
    return v.aggregate === 'none' && !v.access && v.inScope ? 'editable' : 'noneditable';
  }

  setFrozen(argv: string[]): void {
    if (argv.length !== 2) throw new MiError('-var-set-frozen: Usage: NAME FROZEN_FLAG.');
    const v = this.get(argv[0]);
    if (argv[1] !== '0' && argv[1] !== '1') throw new MiError('Invalid flag value');
    v.frozen = argv[1] === '1';
  }
}

/** The text of a reference's value without the `@0x7ffe…: ` that `print` puts before it. */
function derefText(value: string): string {
  return value.replace(/^@0x[0-9a-f]+: /, '');
}

/** PRINT_VALUES with the var-object commands' wording of the error (gdb's mi-cmd-var.c). */
function printValuesNum(a: string): number {
  return printValues(a, 'Unknown value for PRINT_VALUES\n. Must be: 0 or "--no-values", 1 or "--all-values", 2 or "--simple-values"');
}

function parseFormat(s: string): Format {
  const hit = FORMATS.filter((f) => f.startsWith(s) && s.length > 0);
  if (hit.includes(s as Format)) return s as Format;
  if (hit.length === 1) return hit[0];
  throw new MiError('Must specify the format as: "natural", "binary", "decimal", "hexadecimal", "octal" or "zero-hexadecimal"');
}

function toValueFormat(f: Format): ValueFormat | undefined {
  switch (f) {
    case 'binary':
      return { kind: 'binary' };
    case 'decimal':
      return { kind: 'decimal' };
    case 'hexadecimal':
    case 'zero-hexadecimal':
      return { kind: 'hex' };
    case 'octal':
      return { kind: 'octal' };
    default:
      return undefined;
  }
}

function typeSize(t: string): number | undefined {
  const s = t.replace(/\b(const|volatile|signed)\b/g, '').trim();
  if (s.endsWith('*')) return 8;
  const sizes: Record<string, number> = { char: 1, 'unsigned char': 1, short: 2, 'unsigned short': 2, int: 4, 'unsigned int': 4, unsigned: 4, long: 8, 'unsigned long': 8, 'long long': 8, 'unsigned long long': 8, _Bool: 1, bool: 1 };
  return sizes[s.replace(/\s+/g, ' ')];
}

export function registerVarCommands(mi: MiInterpreter): void {
  mi.varobjs = new VarObjects(mi);
  const V = () => mi.varobjs;
  mi.register('var-create', async (m, ctx, argv) => ({ fields: await V().create(ctx, argv) }));
  mi.register('var-delete', (m, _c, argv) => ({ fields: { ndeleted: String(V().delete(argv)) } }));
  mi.register('var-list-children', async (m, _c, argv) => ({ fields: await V().listChildren(argv) }));
  mi.register('var-evaluate-expression', async (m, _c, argv) => ({ fields: { value: await V().evaluateExpression(argv) } }));
  mi.register('var-assign', async (m, _c, argv) => ({ fields: { value: await V().assign(argv) } }));
  mi.register('var-update', async (m, _c, argv) => ({ fields: { changelist: await V().update(argv) } }));
  mi.register('var-set-format', async (m, _c, argv) => ({ fields: await V().setFormat(argv) }));
  mi.register('var-show-format', (m, _c, argv) => ({ fields: { format: V().showFormat(argv) } }));
  mi.register('var-info-type', (m, _c, argv) => ({ fields: { type: V().infoType(argv) } }));
  mi.register('var-info-expression', (m, _c, argv) => ({ fields: V().infoExpression(argv) }));
  mi.register('var-info-path-expression', (m, _c, argv) => ({ fields: { path_expr: V().infoPathExpression(argv) } }));
  mi.register('var-info-num-children', async (m, _c, argv) => ({ fields: { numchild: await V().numChildren(argv) } }));
  mi.register('var-show-attributes', (m, _c, argv) => ({ fields: { attr: V().showAttributes(argv) } }));
  mi.register('var-set-frozen', (m, _c, argv) => {
    V().setFrozen(argv);
  });
  mi.register('var-set-update-range', (m, _c, argv) => {
    if (argv.length !== 3) throw new MiError('-var-set-update-range: Usage: VAROBJ FROM TO');
    V().get(argv[0]);
  });
  mi.register('var-set-visualizer', (m, _c, argv) => {
    if (argv.length !== 2) throw new MiError('Usage: NAME VISUALIZER_FUNCTION.');
    V().get(argv[0]);
  });
}
