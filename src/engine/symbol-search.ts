// Symbol search as gdb's `info functions/variables REGEXP` and MI -symbol-info-functions/-variables do:
// debug symbols (functions with code, CU-level variables) whose name matches a regular expression,
// with their declaration file and line, type and declaration text, sorted as gdb sorts them (file,
// then globals before file statics, then name); and, when asked, the non-debugging (ELF) symbols of the
// same kind that no debug symbol describes, by address.
//
// Built on the Engine interface plus, when the engine is the Session, its module table (as
// complete.ts): the program's DWARF and the DWARF libraries carry themselves are searched; a library's
// separate debug file (libc's) is not indexed for a search. C names are exact; C++ names are the
// qualified DWARF names (gdb prints C++ functions with their parameter lists).
import type { Engine } from './api';
import type { ModuleTable, ObjectFile } from './modules';
import type { ElfSymbol } from '../symbols/elf';
import type { SymbolFile } from '../symbols/symbol-file';
import type { Die } from '../symbols/dwarf/unit';
import { DW_AT } from '../symbols/dwarf/constants';
import { typeName } from '../symbols/types';
import { demangle } from './values/demangle';

/** DW_LANG codes of C++ (names are qualified, linkage names mangled). */
const CPLUS_LANGS = new Set([0x04, 0x19, 0x1a, 0x21, 0x2b, 0x2c]);

/** A minimal symbol's name as gdb prints it (demangled, as with `set demangle on`). */
function msymbolName(name: string): string {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const d = base.startsWith('_Z') ? demangle(base, { retDrop: true }) : undefined;
  return d ? d + (at >= 0 ? name.slice(at) : '') : name;
}

export interface SymbolQuery {
  kind: 'function' | 'variable';
  /** Regular expression the name must match (anywhere, as gdb's regexec); all names when absent. */
  name?: string;
  /** Regular expression the type text must match. */
  type?: string;
  includeNondebug?: boolean;
  maxResults?: number;
}

export interface DebugSymbolMatch {
  /** File name as the debug info records it, and the full path. */
  file: string;
  fullPath: string;
  line?: number;
  name: string;
  /** gdb's type text: `int (struct shape *, int)`, `const int`. */
  type: string;
  /** gdb's declaration text: `static int area(const struct shape *);`, `int sizes[4];`. */
  description: string;
  /** A file static (gdb's STATIC_BLOCK), listed after the globals of its file. */
  isStatic: boolean;
}

export interface NondebugSymbolMatch {
  address: number;
  name: string;
}

export interface SymbolSearchResult {
  debug: DebugSymbolMatch[];
  nondebug: NondebugSymbolMatch[];
}

function objects(engine: Engine): ObjectFile[] {
  const s = engine as unknown as { moduleTable?: ModuleTable; programObject?: ObjectFile };
  const mods = s.moduleTable?.modules;
  if (mods?.length) return mods.map((m) => m.obj);
  return s.programObject ? [s.programObject] : [];
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  xdigit: '0-9a-fA-F',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/**
 * A POSIX basic regular expression (what gdb compiles symbol-search patterns as, with GNU's escapes):
 * `+ ? | ( ) { }` are literal, `\( \) \| \+ \? \{ \}` are the operators; a leading `*` is literal; in a
 * bracket expression a backslash is literal and [:class:] names work. Errors use glibc's wording.
 */
export function posixBasicRegExp(p: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[++i];
      if (n === undefined) throw new Error('Trailing backslash');
      if (n === '(') depth++;
      if (n === ')' && --depth < 0) throw new Error('Unmatched ) or \\)');
      out += '()|+?{}'.includes(n) ? n : '\\' + n;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (p[j] === '^') {
        cls += '^';
        j++;
      }
      if (p[j] === ']') {
        cls += '\\]';
        j++;
      }
      let closed = false;
      for (; j < p.length; j++) {
        const b = p[j];
        if (b === ']') {
          closed = true;
          break;
        }
        const named = b === '[' && p[j + 1] === ':' ? /^\[:([a-z]+):\]/.exec(p.slice(j)) : null;
        if (named) {
          const r = POSIX_CLASSES[named[1]];
          if (r === undefined) throw new Error('Invalid character class name');
          cls += r;
          j += named[0].length - 1;
        } else cls += b === '\\' || b === '[' ? '\\' + b : b;
      }
      if (!closed) throw new Error('Unmatched [ or [^');
      out += cls + ']';
      i = j;
      continue;
    }
    if (c === '*' && (out === '' || out.endsWith('(') || out === '^' || out.endsWith('|'))) out += '\\*';
    else if ('()|+?{}'.includes(c)) out += '\\' + c;
    else out += c;
  }
  if (depth > 0) throw new Error('Unmatched ( or \\(');
  try {
    return new RegExp(out);
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

/** A declarator: `int` + `x` = `int x`, `int [4]` + `a` = `int a[4]`, `int (*)(int)` + `f` = `int (*f)(int)`. */
export function declaration(type: string, name: string): string {
  const fp = type.indexOf('(*');
  if (fp >= 0) return `${type.slice(0, fp + 2)}${name}${type.slice(fp + 2)}`;
  const arr = type.indexOf(' [');
  if (arr >= 0) return `${type.slice(0, arr)}${type[arr - 1] === '*' ? '' : ' '}${name}${type.slice(arr + 1)}`.replace(/\* (\w)/, '*$1');
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}

/** The DIE that carries the declaration position: a definition's DW_AT_specification / abstract origin. */
function declDie(d: Die): Die {
  let cur = d;
  for (let i = 0; i < 4 && cur.num(DW_AT.decl_line) === undefined; i++) {
    const next = cur.ref(DW_AT.specification) ?? cur.ref(DW_AT.abstract_origin);
    if (!next) break;
    cur = next;
  }
  return cur;
}

function declFile(sf: SymbolFile, d: Die): { file: string; fullPath: string } {
  const idx = d.num(DW_AT.decl_file);
  const prog = idx !== undefined ? sf.dwarf.lineProgram(d.unit) : undefined;
  const p = idx !== undefined ? prog?.filePath(idx) : undefined;
  const cu = d.unit.root().name ?? '';
  const file = p ?? cu;
  return { file, fullPath: file };
}

/** Searches the debug and (optionally) non-debugging symbols of the loaded objects. */
export function searchSymbols(engine: Engine, q: SymbolQuery): SymbolSearchResult {
  const nameRe = q.name !== undefined ? posixBasicRegExp(q.name) : undefined;
  const typeRe = q.type !== undefined ? posixBasicRegExp(q.type) : undefined;
  const debug: DebugSymbolMatch[] = [];
  const nondebug: NondebugSymbolMatch[] = [];
  const describedNames = new Set<string>();
  const objs = objects(engine);
  for (const obj of objs) {
    if (!obj.hasDebugInfo || obj.debugFile) continue;
    const sf = obj.symbols;
    try {
      const list = q.kind === 'function' ? sf.functions() : sf.globals();
      for (const s of list) {
        describedNames.add(s.linkageName ?? s.name);
        describedNames.add(s.name);
        if (!s.name) continue;
        const cplus = CPLUS_LANGS.has(s.unit.language ?? -1);
        // C names are matched as they are; C++ functions by their print name (below).
        if (nameRe && !(cplus && q.kind === 'function') && !nameRe.test(s.name)) continue;
        const die = s.die;
        const t = q.kind === 'function' ? sf.typeFromDie(die) : sf.typeOf(die);
        const type = typeName(t);
        if (typeRe && !typeRe.test(type)) continue;
        const decl = declDie(die);
        const { file, fullPath } = declFile(sf, decl);
        const isStatic = !s.external;
        let description: string;
        let name = s.name;
        if (q.kind === 'function' && t.kind === 'function') {
          const ret = typeName(t.returnType);
          const sp = ret.endsWith('*') || ret.endsWith('&') ? '' : ' ';
          if (cplus) {
            // gdb's C++ print name: the demangled linkage name (`geo::Rect::area() const`), or the
            // name with an empty parameter list (`main()`).
            const dm = s.linkageName ? demangle(s.linkageName, { retDrop: true }) : undefined;
            name = dm ?? (t.params.length === 0 ? `${s.name}()` : s.name);
            if (nameRe && !nameRe.test(name)) continue;
            description = `${isStatic ? 'static ' : ''}${ret}${sp}${name};`;
          } else {
            const params = t.params.map(typeName);
            if (t.varargs) params.push('...');
            const list2 = params.length ? params.join(', ') : t.prototyped ? 'void' : '';
            description = `${isStatic ? 'static ' : ''}${ret}${sp}${s.name}(${list2});`;
          }
        } else {
          description = `${isStatic ? 'static ' : ''}${declaration(type, s.name)};`;
        }
        debug.push({ file, fullPath, line: decl.num(DW_AT.decl_line), name, type, description, isStatic });
      }
    } catch {
      /* damaged DWARF: nothing from this object */
    }
  }
  // gdb's order: by file name, then the global block before the static one, then by name; the same
  // declaration found in several units (a static inline function of a header) is listed once.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  debug.sort((a, b) => cmp(a.file, b.file) || Number(a.isStatic) - Number(b.isStatic) || cmp(a.name, b.name) || (a.line ?? 0) - (b.line ?? 0));
  for (let i = debug.length - 1; i > 0; i--) {
    const a = debug[i - 1];
    const b = debug[i];
    if (a.file === b.file && a.isStatic === b.isStatic && a.name === b.name && a.line === b.line && a.description === b.description) debug.splice(i, 1);
  }
  if (q.includeNondebug) {
    for (const obj of objs) {
      const secs = obj.elf.sections;
      const seen = new Set<string>();
      const tables = obj.symbols.elf === obj.elf ? [obj.elf] : [obj.symbols.elf, obj.elf];
      for (const t of tables) {
        for (const s of t.symbols() as ElfSymbol[]) {
          if (!s.name || s.shndx === 0 || s.type === 'SECTION' || s.type === 'FILE') continue;
          const key = `${s.name}@${s.value}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const sec = s.shndx < 0xff00 ? secs[s.shndx] : undefined;
          // SHF_ALLOC = 2, SHF_EXECINSTR = 4.
          const code = sec !== undefined && (sec.flags & 4) !== 0;
          const data = s.shndx === 0xfff1 || (sec !== undefined && (sec.flags & 2) !== 0 && (sec.flags & 4) === 0);
          if (q.kind === 'function' ? !code : !data) continue;
          if (describedNames.has(s.name)) continue;
          const shown = msymbolName(s.name);
          if (nameRe && !nameRe.test(shown)) continue;
          if (q.kind === 'function' && objs[0] && obj === objs[0] && obj.hasDebugInfo && obj.symbols.functionAt(s.value)) continue;
          nondebug.push({ address: s.value, name: shown });
        }
      }
      // BFD's synthetic `name@plt` symbols for the PLT stubs.
      if (q.kind === 'function') {
        for (const p of pltSymbols(obj)) {
          const shown = msymbolName(p.name);
          if (!nameRe || nameRe.test(shown)) nondebug.push({ address: p.address, name: shown });
        }
      }
    }
    nondebug.sort((a, b) => a.address - b.address || cmp(a.name, b.name));
  }
  if (q.maxResults !== undefined) {
    debug.splice(q.maxResults);
    nondebug.splice(Math.max(0, q.maxResults - debug.length));
  }
  return { debug, nondebug };
}

/**
 * The PLT stubs of an object as BFD's synthetic symbols (`puts@plt`): each stub of .plt, .plt.sec and
 * .plt.got jumps through a GOT slot (`jmp *slot(%rip)`, ff 25, optionally bnd-prefixed) whose
 * relocation names the function.
 */
export function pltSymbols(obj: ObjectFile): (NondebugSymbolMatch & { size: number })[] {
  const plt = obj.plt();
  if (!plt) return [];
  const out: (NondebugSymbolMatch & { size: number })[] = [];
  for (const sec of obj.elf.sections) {
    if (sec.name !== '.plt' && sec.name !== '.plt.sec' && sec.name !== '.plt.got') continue;
    const data = obj.elf.sectionData(sec.name);
    if (!data) continue;
    const entry = sec.name === '.plt.got' && sec.size % 16 !== 0 ? 8 : 16;
    for (let off = 0; off + entry <= data.length; off += entry) {
      for (let i = off; i + 6 <= off + entry; i++) {
        if (data[i] !== 0xff || data[i + 1] !== 0x25) continue;
        const target = sec.addr + i + 6 + data.readInt32LE(i + 2);
        const name = plt.slots.get(target);
        if (name) out.push({ address: sec.addr + off, name: `${name}@plt`, size: entry });
        break;
      }
    }
  }
  return out;
}

