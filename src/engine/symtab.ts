// gdb's find_pc_line_symtab with the symtab's line table, for the front-ends' source-and-assembly
// disassembly (`disassemble /m` walks the linetable of the symtab holding the start address; `/s`
// starts from its first entry in the range).
import type { LineTarget, SourceLineRow } from './lines';
import { displayName } from './symbolize';

/** A symtab (one source file of one compilation unit) and its linetable items in address order. */
export interface SymtabLines {
  /** The file name as gdb displays it (as the producer recorded it), and the full path. */
  file: string;
  fullPath: string;
  /** Every item, non-statement rows and end markers (line 0) included, at run-time addresses. */
  rows: SourceLineRow[];
}

/** The symtab of the line-table entry holding `address` (undefined: no line information there). */
export function symtabAt(targets: LineTarget[], address: number): SymtabLines | undefined {
  for (const t of targets) {
    const bias = t.bias ?? 0;
    const link = address - bias;
    if (link < t.obj.low || link >= t.obj.high) continue;
    const symbols = t.obj.symbols;
    if (!symbols.hasDebugInfo) return undefined;
    const unit = symbols.unitForAddress(link);
    if (!unit) return undefined;
    const table = symbols.lineTable(unit);
    const hit = table?.lookup(link);
    if (!table || !hit || hit.entry.line === 0) return undefined;
    return {
      file: displayName(symbols, unit, hit.file),
      fullPath: hit.file,
      rows: table.fileEntries(hit.entry.file).map((e) => ({ address: e.address + bias, line: e.line, isStmt: e.isStmt })),
    };
  }
  return undefined;
}
