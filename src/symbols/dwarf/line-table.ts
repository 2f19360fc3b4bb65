// A per-unit line table built from a line program the way gdb builds its symtab line tables, so that
// pc -> line and line -> pc lookups give the answers a gdb user expects:
// - one table per source file ("subfile"), sorted by address, with end markers (line 0) where a run
//   of code for that file stops (end of sequence, or the program switching to another file);
// - an end marker removes the entries of its file at the same address;
// - consecutive rows for the same line are merged only when the line has a non-zero discriminator;
// - a non-statement row for a new file at an address that already has a statement row is dropped;
// - lookups by pc prefer an is_stmt entry among entries at the same address.

import { LineProgram, LineRow } from './line';

export interface LineTableEntry {
  address: number;
  /** 0 marks the end of a run of code for this file. */
  line: number;
  column: number;
  isStmt: boolean;
  prologueEnd: boolean;
  /** Index into LineTable.files. */
  file: number;
}

export interface LineLookup {
  entry: LineTableEntry;
  /** Full path of the entry's file. */
  file: string;
  /** First address past this line entry's range (next entry of any file), when known. */
  end?: number;
}

export class LineTable {
  /** Full paths of the files that have entries (gdb's subfiles), primary file first. */
  readonly files: string[] = [];
  /** Entries per file (same indexing as `files`), sorted by address. */
  readonly entries: LineTableEntry[][] = [];
  /** Lowest and highest (exclusive) address covered by any sequence. */
  low = Infinity;
  high = 0;

  private readonly fileIndex = new Map<string, number>();
  /** Lookup order over `files` (gdb's symtab order). */
  private order: number[] = [];

  constructor(program: LineProgram, primaryFile?: string) {
    const order: number[] = [];
    const pathOf = new Map<number, number>();
    const subfileOf = (reg: number): number => {
      let s = pathOf.get(reg);
      if (s === undefined) {
        const p = program.filePath(reg) ?? `<file ${reg}>`;
        s = this.fileIndex.get(p);
        if (s === undefined) {
          s = this.files.length;
          this.files.push(p);
          this.entries.push([]);
          this.fileIndex.set(p, s);
          order.push(s);
        }
        pathOf.set(reg, s);
      }
      return s;
    };
    for (const seq of program.sequences()) this.addSequence(seq, subfileOf);
    for (const list of this.entries) sortEntries(list);
    this.reorder(primaryFile, order);
  }

  private addSequence(seq: LineRow[], subfileOf: (reg: number) => number): void {
    // A sequence at address 0 belongs to code the linker discarded (--gc-sections, COMDAT).
    if (seq.length === 0 || seq[0].address === 0) return;
    let lastFile = -1;
    let lastLine = 0;
    let lastAddress = -1;
    let stmtAtAddress = false;
    let lineHasDiscriminator = false;
    let prevRowLine = -1;
    for (const row of seq) {
      if (row.endSequence) {
        if (lastFile >= 0) this.record(lastFile, 0, row.address, 0, true, false);
        if (row.address > this.high) this.high = row.address;
        break;
      }
      if (row.address < this.low) this.low = row.address;
      if (row.opIndex !== 0) continue;
      const file = subfileOf(row.file);
      lineHasDiscriminator = row.line !== prevRowLine ? row.discriminator !== 0 : lineHasDiscriminator || row.discriminator !== 0;
      prevRowLine = row.line;
      const fileChanged = file !== lastFile;
      const ignore = (fileChanged && lastAddress === row.address && !row.isStmt && stmtAtAddress) || row.line === 0;
      if (fileChanged && !ignore && lastFile >= 0) this.record(lastFile, 0, row.address, 0, true, false);
      if (!ignore) {
        if (fileChanged || row.line !== lastLine || !lineHasDiscriminator) {
          this.record(file, row.line, row.address, row.column, row.isStmt, row.prologueEnd);
        }
        lastFile = file;
        lastLine = row.line;
      }
      if (lastAddress !== row.address) {
        stmtAtAddress = false;
        lastAddress = row.address;
      }
      stmtAtAddress = stmtAtAddress || row.isStmt;
    }
  }

  private record(file: number, line: number, address: number, column: number, isStmt: boolean, prologueEnd: boolean): void {
    const list = this.entries[file];
    if (line === 0) {
      let lastLine: number | undefined;
      while (list.length) {
        const last = list[list.length - 1];
        lastLine = last.line;
        if (last.address !== address) break;
        list.pop();
      }
      if (lastLine === undefined || lastLine === 0) return;
    }
    list.push({ address, line, column, isStmt, prologueEnd, file });
  }

  /** gdb's symtab order: the primary file first, then the others newest first. */
  private reorder(primaryFile: string | undefined, creation: number[]): void {
    const primary = primaryFile !== undefined ? this.fileIndex.get(primaryFile) : undefined;
    this.order = [...(primary !== undefined ? [primary] : []), ...creation.filter((i) => i !== primary).reverse()];
  }

  /** Index of a file (full path) in `files`, or -1. */
  indexOf(file: string): number {
    return this.fileIndex.get(file) ?? -1;
  }

  /**
   * The line entry for `pc` (gdb's find_pc_sect_line): over all files, the last entry at or before
   * pc (a file whose last entry there is an end marker does not count); among entries at the same
   * address an is_stmt one is preferred. `end` is the address of the next entry of any file.
   */
  lookup(pc: number): LineLookup | undefined {
    let best: LineTableEntry | undefined;
    let bestEnd = 0;
    let alt: LineTableEntry | undefined;
    for (const fi of this.order) {
      const items = this.entries[fi];
      if (!items.length) continue;
      if (items[0].address > pc && (!alt || items[0].address < alt.address)) alt = items[0];
      const idx = upperBound(items, pc);
      const prev = idx > 0 ? idx - 1 : -1;
      if (prev >= 0 && items[prev].line !== 0 && (!best || items[prev].address > best.address)) {
        let b = prev;
        if (!items[b].isStmt) {
          let t = b;
          while (t > 0 && items[t - 1].address === items[t].address && items[t - 1].line !== 0 && !items[t].isStmt) t--;
          if (items[t].isStmt) b = t;
        }
        best = items[b];
        if (bestEnd <= best.address) bestEnd = 0;
      }
      if (best && idx < items.length && items[idx].address > best.address && (bestEnd === 0 || bestEnd > items[idx].address)) bestEnd = items[idx].address;
    }
    if (!best) return undefined;
    const end = bestEnd && (!alt || bestEnd < alt.address) ? bestEnd : alt?.address;
    return { entry: best, file: this.files[best.file], end };
  }

  /** Entries of the file of `entry`, for walks along one file's table (gdb's per-symtab linetable). */
  fileEntries(file: number): readonly LineTableEntry[] {
    return this.entries[file] ?? [];
  }

  /**
   * Statement entries of `file` for `line` (gdb's find_pcs_for_symtab_line): the exact matches in
   * address order, or when there are none the smallest later line that has a statement entry.
   */
  pcsForLine(file: number, line: number): { pcs: number[]; bestLine?: number } {
    const pcs: number[] = [];
    let bestLine: number | undefined;
    for (const e of this.entries[file] ?? []) {
      if (!e.isStmt || e.line === 0) continue;
      if (e.line === line) pcs.push(e.address);
      else if (e.line > line && (bestLine === undefined || e.line < bestLine)) bestLine = e.line;
    }
    return pcs.length ? { pcs } : { pcs, bestLine };
  }

  /** The first entry with a prologue_end flag in [low, high), if the producer emitted any. */
  prologueEnd(low: number, high: number): LineTableEntry | undefined {
    let found: LineTableEntry | undefined;
    for (const list of this.entries) {
      for (let i = lowerBound(list, low); i < list.length && list[i].address < high; i++) {
        if (list[i].prologueEnd && list[i].line !== 0 && (!found || list[i].address < found.address)) found = list[i];
      }
    }
    return found;
  }
}

function sortEntries(list: LineTableEntry[]): void {
  // Stable sort by address; at equal addresses end markers come first.
  const indexed = list.map((e, i) => ({ e, i }));
  indexed.sort((a, b) => a.e.address - b.e.address || (a.e.line === 0 ? 0 : 1) - (b.e.line === 0 ? 0 : 1) || a.i - b.i);
  for (let i = 0; i < list.length; i++) list[i] = indexed[i].e;
}

/** First index whose address is > pc. */
function upperBound(items: LineTableEntry[], pc: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].address <= pc) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose address is >= pc. */
function lowerBound(items: LineTableEntry[], pc: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].address < pc) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
