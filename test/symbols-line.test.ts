// Oracle test: the decoded line number matrix of every fixture must equal `objdump --dwarf=decodedline`.
import * as path from 'path';
import { ElfFile } from '../src/symbols/elf';
import { Dwarf } from '../src/symbols/dwarf/dwarf';
import { LineProgram, linePrograms } from '../src/symbols/dwarf/line';
import { allFixtures, BIN, hasTool, run } from './symbols-util';

interface OracleRow {
  name: string;
  line: string;
  address: string;
  view: string;
  stmt: boolean;
}

/** Parse objdump's decoded line rows: `%-35s  %11d  %#18x` + view (8 columns) + stmt (8 columns). */
function parseObjdump(text: string): { rows: OracleRow[]; headers: string[] } {
  const rows: OracleRow[] = [];
  const headers: string[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('File name ')) {
      inTable = true;
      continue;
    }
    if (!inTable || line.length < 68) {
      if (line.endsWith(':') && !line.includes('file format') && !line.startsWith('Contents of')) headers.push(line);
      continue;
    }
    const lineCol = line.slice(37, 48).trim();
    const addr = line.slice(50, 68).trim();
    if (!/^0x[0-9a-f]+$/.test(addr) || !/^(\d+|-)$/.test(lineCol)) continue;
    rows.push({ name: line.slice(0, 35).trimEnd(), line: lineCol, address: addr, view: line.slice(68, 76).trim(), stmt: line.slice(76, 84).trim() === 'x' });
  }
  return { rows, headers };
}

function decode(programs: LineProgram[]): OracleRow[] {
  const out: OracleRow[] = [];
  for (const p of programs) {
    for (const r of p.rows()) {
      let name = p.fileAt(r.file)?.name ?? '<corrupt>';
      if (name.length > 35) name = name.slice(name.length - 35);
      out.push({
        name,
        line: r.endSequence ? '-' : String(r.line),
        address: '0x' + r.address.toString(16),
        view: r.endSequence || r.view === 0 ? '' : String(r.view),
        stmt: !r.endSequence && r.isStmt,
      });
    }
  }
  return out;
}

const haveObjdump = hasTool('objdump');
const files = allFixtures();

describe('line programs vs objdump --dwarf=decodedline', () => {
  (haveObjdump ? test : test.skip).each(files)('%s', (name) => {
    const file = path.join(BIN, name);
    const elf = ElfFile.open(file);
    const lineSec = elf.sectionData('.debug_line');
    const oracle = parseObjdump(run('objdump', ['--dwarf=decodedline', file]));
    if (!lineSec) {
      expect(oracle.rows).toEqual([]);
      return;
    }
    const dwarf = Dwarf.fromElf(elf);
    // Walk the section program by program, as objdump does.
    const programs = [...linePrograms(lineSec, { str: dwarf.sections.str, lineStr: dwarf.sections.lineStr })];
    const mine = decode(programs);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(oracle.rows);
    // The same programs reached through the units' DW_AT_stmt_list decode identically.
    const viaUnits = dwarf
      .compileUnits()
      .map((u) => dwarf.lineProgram(u))
      .filter((p): p is LineProgram => !!p)
      .sort((a, b) => a.header.offset - b.header.offset);
    expect(decode(viaUnits)).toEqual(mine);
    // objdump's first header of each program names file_table[0].
    for (const p of programs) {
      const first = p.header.files[0]?.name;
      expect(oracle.headers).toContain(`${first}:`);
    }
  });
});
