// Source-and-assembly disassembly as gdb 13's disasm.c lays it out, for the console `disassemble /m`
// and `/s` and -data-disassemble modes 1, 3 (/m) and 4, 5 (/s):
// - /m (do_mixed_source_and_assembly_deprecated): the linetable items of the symtab holding the start
//   address, sorted by line when out of order, each line's ranges under it (source order; code of
//   other files, e.g. inlined header functions, is not shown);
// - /s (do_mixed_source_and_assembly): address order, a new group whenever the line changes, the file
//   name when the symtab changes, and the lines without code of their own before a line (a function's
//   opening brace) printed with it.
// Both produce the same items for the console (text, source lines, instructions) and MI
// (src_and_asm_line tuples; MI ignores the text items).
import { decode, type DisasmLine, type Symbolizer } from './disasm';
import type { MiInterpreter } from './interpreter';

/** A source line as gdb's print_source_lines names it (undefined line: no source info for the pc). */
export interface SourceRef {
  file: string;
  fullPath: string;
  line: number;
}

export type MixedItem =
  /** Console-only text (file names, blank separators). */
  | { kind: 'text'; text: string }
  /** One src_and_asm_line: a source line and the instructions under it. */
  | { kind: 'src'; src?: SourceRef; insns: DisasmLine[] };

export interface MixedOptions {
  mode: 'source' | 'deprecated';
  /** Instructions at most (MI -n), counted as gdb's dump_insns counts them. */
  howMany?: number;
  flavor: 'att' | 'intel';
  symbolize: Symbolizer;
  /** Reads code (the process, or before `run` the object files). */
  read: (address: number, count: number) => Promise<Buffer>;
}

/** Code bytes read once for a window of addresses and decoded on demand. */
class Code {
  private base = 0;
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly opts: MixedOptions,
  ) {}

  private async ensure(start: number, end: number): Promise<void> {
    if (start >= this.base && end + 15 <= this.base + this.buf.length) return;
    const lo = Math.min(start, this.buf.length ? this.base : start);
    const hi = Math.max(end + 15, this.base + this.buf.length);
    try {
      this.buf = await this.opts.read(lo, hi - lo);
    } catch (e) {
      // The slack for an instruction straddling `end` may leave the section (before `run`, the
      // executable's sections are all there is): read the range itself.
      if (hi - lo <= end - lo) throw e;
      this.buf = await this.opts.read(lo, end - lo);
    }
    this.base = lo;
  }

  /** gdb's dump_insns: instructions from `start` while below `end` (at most `max`). */
  async insns(start: number, end: number, max?: number): Promise<DisasmLine[]> {
    if (end <= start) return [];
    await this.ensure(start, end);
    const out = decode(this.buf.subarray(start - this.base), start, { flavor: this.opts.flavor, symbolize: this.opts.symbolize, end, max });
    return out;
  }
}

/** The items of a source-and-assembly disassembly of [low, high), or undefined when gdb would print assembly only (no line table there). */
export async function mixedSourceAndAssembly(m: MiInterpreter, low: number, high: number, opts: MixedOptions): Promise<MixedItem[] | undefined> {
  const symtab = m.engine.symtabAt(low);
  if (!symtab || !symtab.rows.length) return undefined;
  const code = new Code(opts);
  return opts.mode === 'deprecated' ? deprecated(m, symtab, low, high, code, opts.howMany) : bySource(m, symtab, low, high, code, opts.howMany);
}

type Symtab = NonNullable<ReturnType<MiInterpreter['engine']['symtabAt']>>;

async function deprecated(m: MiInterpreter, symtab: Symtab, low: number, high: number, code: Code, howMany?: number): Promise<MixedItem[]> {
  const le = symtab.rows;
  const n = le.length;
  const mle: { line: number; start: number; end: number }[] = [];
  let outOfOrder = false;
  let i = 0;
  while (i < n - 1 && le[i].address < low) i++;
  for (; i < n - 1 && le[i].address < high; i++) {
    if (le[i].line === le[i + 1].line && le[i].address === le[i + 1].address) continue;
    if (le[i].line === 0) continue;
    if (le[i].line > le[i + 1].line) outOfOrder = true;
    mle.push({ line: le[i].line, start: le[i].address, end: le[i + 1].address });
  }
  if (i === n - 1 && le[i].address < high) {
    mle.push({ line: le[i].line, start: le[i].address, end: m.engine.lineRangeAt(le[i].address)?.end ?? 0 });
  }
  if (outOfOrder) {
    mle.sort((a, b) => {
      if (a.line === 0 || b.line === 0) return a.start !== b.start ? a.start - b.start : a.line - b.line;
      return a.line !== b.line ? a.line - b.line : a.start - b.start;
    });
  }
  const src = (line: number): SourceRef => ({ file: symtab.file, fullPath: symtab.fullPath, line });
  const out: MixedItem[] = [];
  let open: { kind: 'src'; src?: SourceRef; insns: DisasmLine[] } | undefined;
  let nextLine = 0;
  let shown = 0;
  for (i = 0; i < mle.length; i++) {
    if (mle[i].line >= nextLine) {
      if (nextLine !== 0 && nextLine !== mle[i].line) {
        // Several source lines without code of their own.
        for (; nextLine < mle[i].line; nextLine++) out.push({ kind: 'src', src: src(nextLine), insns: [] });
      }
      open = { kind: 'src', src: src(mle[i].line), insns: [] };
      out.push(open);
      nextLine = mle[i].line + 1;
    }
    // dump_insns limits each range to howMany on its own; the total is checked after it.
    const insns = await code.insns(mle[i].start, mle[i].end, howMany !== undefined && howMany >= 0 ? howMany : undefined);
    open?.insns.push(...insns);
    shown += insns.length;
    if (i === mle.length - 1 || mle[i + 1].line > mle[i].line) {
      open = undefined;
      out.push({ kind: 'text', text: '\n' });
    }
    if (howMany !== undefined && howMany >= 0 && shown >= howMany) break;
  }
  return out;
}

async function bySource(m: MiInterpreter, main: Symtab, low: number, high: number, code: Code, howMany?: number): Promise<MixedItem[]> {
  const le = main.rows;
  let i = 0;
  while (i < le.length && le[i].address < low) i++;
  const firstLe = i < le.length && le[i].address < high ? le[i] : undefined;
  // First pass: the (symtab, line) pairs that have code in the range.
  const withCode = new Set<string>();
  const key = (fullPath: string, line: number) => `${line}\0${fullPath}`;
  for (const insn of await code.insns(low, high)) {
    const sal = m.engine.lineRangeAt(insn.address);
    if (sal) withCode.add(key(sal.fullPath, sal.line));
  }
  const out: MixedItem[] = [];
  let open: { kind: 'src'; src?: SourceRef; insns: DisasmLine[] } | undefined;
  let lastSymtab: string | undefined;
  let lastLine = 0;
  let shown = 0;
  let pc = low;
  while (pc < high) {
    const sal = m.engine.lineRangeAt(pc);
    const symtab = sal?.fullPath;
    let startPreceding = 0;
    let endPreceding = 0;
    let newSourceLine = false;
    if (symtab !== lastSymtab) {
      newSourceLine = true;
      if (lastLine === 0 && firstLe && sal && firstLe.line < sal.line) {
        startPreceding = firstLe.line;
        endPreceding = sal.line;
      }
    } else if (sal) {
      if (sal.line > lastLine + 1 && lastLine !== 0) {
        let l: number;
        // Several preceding source lines: the trailing ones no code printed later belongs to.
        for (l = sal.line - 1; l > lastLine; --l) if (withCode.has(key(sal.fullPath, l))) break;
        if (l < sal.line - 1) {
          startPreceding = l + 1;
          endPreceding = sal.line;
        }
      }
      if (sal.line !== lastLine) newSourceLine = true;
    }
    if (newSourceLine) {
      if (pc > low) out.push({ kind: 'text', text: '\n' });
      if (symtab !== lastSymtab) out.push({ kind: 'text', text: `${sal ? sal.file : 'unknown'}:\n` });
      if (startPreceding > 0 && sal) {
        for (let l = startPreceding; l < endPreceding; ++l) out.push({ kind: 'src', src: { file: sal.file, fullPath: sal.fullPath, line: l }, insns: [] });
      }
      open = { kind: 'src', src: sal ? { file: sal.file, fullPath: sal.fullPath, line: sal.line } : undefined, insns: [] };
      out.push(open);
    } else if (!open) {
      open = { kind: 'src', insns: [] };
      out.push(open);
    }
    const end = sal?.end ? Math.min(sal.end, high) : pc + 1;
    const insns = await code.insns(pc, end, howMany !== undefined && howMany >= 0 ? howMany : undefined);
    open.insns.push(...insns);
    shown += insns.length;
    if (!insns.length) break;
    const lastInsn = insns[insns.length - 1];
    pc = lastInsn.address + lastInsn.bytes.length;
    if (howMany !== undefined && howMany >= 0 && shown >= howMany) break;
    lastSymtab = symtab;
    lastLine = sal?.line ?? 0;
  }
  return out;
}
