// Completion of C expressions at a cursor, as gdb's `complete` command does for `print EXPR`: the word
// before the cursor is completed with the names in scope at a frame (locals, arguments), the program's
// and libraries' globals and functions (DWARF where the module has it, ELF symbol tables for every
// loaded object: gdb's full and minimal symbols), or, after `.` / `->`, the members of the struct or
// union the expression on the left evaluates to. Front-ends (the DAP `completions` request, MI
// -complete) add their own command-name completion on top.
//
// Built on the Engine interface (scopes, variables, evaluate, stackTrace) plus, when the engine is the
// Session, its module table for symbol names.
import type { Engine } from './api';
import type { ModuleTable, ObjectFile } from './modules';

export type CompletionKind = 'variable' | 'function' | 'field';

export interface ExpressionCompletion {
  /** Offset in the text where the completed word starts (the cursor is the end of the text). */
  start: number;
  /** The partial word being completed (text.slice(start)). */
  word: string;
  /** Sorted, de-duplicated candidates that start with `word`. */
  candidates: { name: string; kind: CompletionKind }[];
}

export interface CompleteOptions {
  /** Frame whose scope is used (default: the top frame of the current thread, when stopped). */
  frameId?: number;
  /** Only function names (for linespecs: `break fu`). */
  functionsOnly?: boolean;
  /** At most this many candidates (default 1000). */
  max?: number;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Completes the identifier at the end of `text` (the cursor). */
export async function completeExpression(engine: Engine, text: string, opts: CompleteOptions = {}): Promise<ExpressionCompletion> {
  const m = /[A-Za-z_$][\w$]*$/.exec(text);
  const word = m ? m[0] : '';
  const start = text.length - word.length;
  // A number ("12", "0x1f") is not a name.
  if (/[0-9]$/.test(text.slice(0, start))) return { start: text.length, word: '', candidates: [] };
  const max = opts.max ?? 1000;
  const out = new Map<string, CompletionKind>();
  const add = (name: string, kind: CompletionKind) => {
    if (name.startsWith(word) && IDENT.test(name) && !out.has(name)) out.set(name, kind);
  };
  const frameId = await frameOf(engine, opts.frameId);
  const member = /(\.|->)\s*$/.exec(text.slice(0, start));
  if (member && !opts.functionsOnly) {
    const opAt = start - member[0].length;
    const base = baseExpression(text, opAt);
    if (base) {
      for (const n of await memberNames(engine, member[1] === '->' ? `*(${base})` : `(${base})`, frameId)) add(n, 'field');
    }
  } else if (!member) {
    if (!opts.functionsOnly && frameId !== undefined) {
      for (const s of await engine.scopes(frameId).catch(() => [])) {
        if (s.kind !== 'locals' && s.kind !== 'arguments') continue;
        for (const v of await engine.variables(s.variablesReference).catch(() => [])) add(v.name, 'variable');
      }
    }
    for (const obj of objects(engine)) {
      const names = symbolNames(obj);
      for (const n of names.functions) add(n, 'function');
      if (!opts.functionsOnly) for (const n of names.variables) add(n, 'variable');
    }
  }
  const candidates = [...out.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([name, kind]) => ({ name, kind }));
  return { start, word, candidates };
}

/** The frame to complete in: the one given, else the current thread's top frame when stopped. */
async function frameOf(engine: Engine, frameId: number | undefined): Promise<number | undefined> {
  if (engine.state !== 'stopped') return undefined;
  if (frameId !== undefined) {
    try {
      engine.frame(frameId);
      return frameId;
    } catch {
      return undefined;
    }
  }
  try {
    const st = await engine.stackTrace(engine.currentThreadId, 0, 1);
    return st.frames[0]?.id;
  } catch {
    return undefined;
  }
}

/**
 * The postfix expression that ends at `end` (exclusive): names, `.`, `->`, balanced `[...]` and
 * `(...)`. "p s->corners[0]" with end at the end gives "s->corners[0]".
 */
export function baseExpression(text: string, end: number): string | undefined {
  let i = end;
  while (i > 0 && /\s/.test(text[i - 1])) i--;
  const stop = i;
  while (i > 0) {
    const ch = text[i - 1];
    if (/[\w$]/.test(ch) || ch === '.') {
      i--;
      continue;
    }
    if (ch === '>' && text[i - 2] === '-') {
      i -= 2;
      continue;
    }
    if (ch === ']' || ch === ')') {
      const open = ch === ']' ? '[' : '(';
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        if (text[j] === ch) depth++;
        else if (text[j] === open && --depth === 0) break;
      }
      if (j < 0) return undefined;
      i = j;
      continue;
    }
    break;
  }
  const base = text.slice(i, stop).trim();
  return base ? base : undefined;
}

/** Member names of the struct/union `expr` evaluates to; anonymous members are flattened, as gdb completes them. */
async function memberNames(engine: Engine, expr: string, frameId: number | undefined): Promise<string[]> {
  let ref: number;
  try {
    ref = (await engine.evaluate(expr, { frameId, context: 'watch' })).variablesReference;
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = async (r: number, depth: number) => {
    if (!r || depth > 3) return;
    for (const v of await engine.variables(r).catch(() => [])) {
      if (IDENT.test(v.name)) out.push(v.name);
      else if (/^<anonymous/.test(v.name) || /^\{/.test(v.name)) await walk(v.variablesReference, depth + 1);
    }
  };
  await walk(ref, 0);
  return out;
}

/** The loaded objects (or the program alone before it runs), when the engine exposes them. */
function objects(engine: Engine): ObjectFile[] {
  const s = engine as unknown as { moduleTable?: ModuleTable; programObject?: ObjectFile };
  const mods = s.moduleTable?.modules;
  if (mods?.length) return mods.map((m) => m.obj);
  return s.programObject ? [s.programObject] : [];
}

const namesCache = new WeakMap<ObjectFile, { functions: string[]; variables: string[] }>();

/**
 * Function and variable names of an object: its DWARF functions and globals when the DWARF is the
 * object's own (the program; a library's separate debug file is not indexed just to complete), and the
 * defined FUNC/IFUNC/OBJECT symbols of its symbol tables.
 */
function symbolNames(obj: ObjectFile): { functions: string[]; variables: string[] } {
  let n = namesCache.get(obj);
  if (n) return n;
  const functions = new Set<string>();
  const variables = new Set<string>();
  if (obj.hasDebugInfo && !obj.debugFile) {
    try {
      for (const f of obj.symbols.functions()) if (f.name) functions.add(f.name);
      for (const g of obj.symbols.globals()) if (g.name) variables.add(g.name);
    } catch {
      /* damaged DWARF: the ELF symbols below still count */
    }
  }
  const tables = obj.symbols.elf === obj.elf ? [obj.elf] : [obj.symbols.elf, obj.elf];
  for (const t of tables) {
    for (const s of t.symbols()) {
      if (!s.name || s.shndx === 0) continue;
      const name = s.name.replace(/@.*$/, '');
      if (s.type === 'FUNC' || s.type === 'IFUNC') functions.add(name);
      else if (s.type === 'OBJECT') variables.add(name);
    }
  }
  n = { functions: [...functions], variables: [...variables] };
  namesCache.set(obj, n);
  return n;
}
