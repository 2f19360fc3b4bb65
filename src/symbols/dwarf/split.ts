// Split DWARF: finding the split unit of a skeleton unit, in a .dwo file or in the program's .dwp
// package, the way gdb 13 looks for them.
//
// - gcc -gsplit-dwarf (DWARF 5) leaves a DW_UT_skeleton unit in the program (DW_AT_dwo_name,
//   DW_AT_comp_dir, the dwo_id in its header, DW_AT_addr_base, DW_AT_low_pc/high_pc or DW_AT_ranges,
//   DW_AT_stmt_list) and writes the DIEs to a .dwo beside the object (.debug_info.dwo, .debug_abbrev.dwo,
//   .debug_str.dwo, .debug_str_offsets.dwo, .debug_loclists.dwo, .debug_rnglists.dwo, .debug_line.dwo);
//   with -gdwarf-4 the same is expressed with GNU extensions (DW_AT_GNU_dwo_name, DW_AT_GNU_dwo_id,
//   DW_AT_GNU_addr_base, DW_AT_GNU_ranges_base, DW_FORM_GNU_addr_index/str_index, .debug_loc.dwo).
// - A .dwp (binutils `dwp`) packs the .dwo files of a program; .debug_cu_index maps each dwo_id to its
//   contribution to each section (index versions 2 and 5).
//
// Lookup order: the program's .dwp (`<program>.dwp`, gdb's name; then under /usr/lib/debug); then the
// .dwo: DW_AT_dwo_name when absolute, else DW_AT_comp_dir/DW_AT_dwo_name, then the program's directory
// (the name, then its basename), then the current directory, then /usr/lib/debug (name, basename).

import * as fs from 'fs';
import * as path from 'path';
import { ElfFile } from '../elf';
import { DwarfError, Reader } from '../reader';
import type { DwarfSections } from './dwarf';
import { Dwarf } from './dwarf';
import { DW_UT } from './constants';
import type { Unit } from './unit';

/** gdb's default debug-file-directory. */
const DEBUG_DIR = '/usr/lib/debug';

/** Section names of a .dwo / .dwp, by DwarfSections key. */
export const DWO_SECTION_NAMES: Partial<Record<keyof DwarfSections, string>> = {
  info: '.debug_info.dwo',
  abbrev: '.debug_abbrev.dwo',
  str: '.debug_str.dwo',
  strOffsets: '.debug_str_offsets.dwo',
  line: '.debug_line.dwo',
  loc: '.debug_loc.dwo',
  loclists: '.debug_loclists.dwo',
  rnglists: '.debug_rnglists.dwo',
  types: '.debug_types.dwo',
};

/** Per-program state: the opened .dwo files and the .dwp, shared by the skeletons of one Dwarf. */
export class SplitLocator {
  private readonly dwos = new Map<string, Dwarf | null>();
  private dwp?: DwpFile | null;

  constructor(
    /** Path of the file holding the skeleton units (the program or library, or its debug file). */
    readonly programPath: string,
  ) {}

  /** The split unit of `skel` (undefined when not found: the caller reports it). */
  find(skel: Unit): Unit | undefined {
    const id = skel.splitId;
    if (id === undefined) return undefined;
    const fromDwp = this.package()?.unit(id);
    if (fromDwp) return fromDwp;
    const name = skel.dwoName;
    if (name === undefined) return undefined;
    let problem: string | undefined;
    for (const file of this.candidates(name, skel.compDir)) {
      const dwarf = this.open(file);
      if (!dwarf) continue;
      try {
        const u = dwarf.units.find((x) => !x.isTypeUnit && x.splitId === id);
        if (u) return u;
      } catch (e) {
        // A malformed .dwo: keep looking, and say why if nothing else has the unit.
        problem ??= `${file}: ${(e as Error).message}`;
      }
    }
    if (problem) throw new Error(problem);
    return undefined;
  }

  /** Where a .dwo named `name` is looked for, in order. */
  candidates(name: string, compDir: string | undefined): string[] {
    const out: string[] = [];
    const add = (p: string) => {
      const n = path.normalize(p);
      if (!out.includes(n)) out.push(n);
    };
    if (path.isAbsolute(name)) add(name);
    else if (compDir) add(path.join(compDir, name));
    const dir = path.dirname(this.programPath);
    if (!path.isAbsolute(name)) add(path.join(dir, name));
    add(path.join(dir, path.basename(name)));
    if (!path.isAbsolute(name)) add(path.resolve(name));
    // gdb's debug-file-directory (its default, /usr/lib/debug): the name, then its basename.
    if (!path.isAbsolute(name)) add(path.join(DEBUG_DIR, name));
    add(path.join(DEBUG_DIR, path.basename(name)));
    return out;
  }

  private open(file: string): Dwarf | undefined {
    let d = this.dwos.get(file);
    if (d === undefined) {
      d = null;
      try {
        if (fs.existsSync(file)) {
          const elf = ElfFile.open(file);
          if (elf.sectionByName('.debug_info.dwo')) d = Dwarf.fromDwo(elf);
        }
      } catch {
        d = null;
      }
      this.dwos.set(file, d);
    }
    return d ?? undefined;
  }

  private package(): DwpFile | undefined {
    if (this.dwp === undefined) {
      this.dwp = null;
      // gdb: <program>.dwp (also under the program's real path), then in the debug-file-directory.
      const names = [this.programPath + '.dwp'];
      try {
        names.push(fs.realpathSync(this.programPath) + '.dwp');
      } catch {
        /* keep the name given */
      }
      names.push(path.join(DEBUG_DIR, path.basename(this.programPath) + '.dwp'));
      for (const file of names) {
        try {
          if (!fs.existsSync(file)) continue;
          this.dwp = new DwpFile(ElfFile.open(file));
          this.dwpPath = file;
          break;
        } catch {
          this.dwp = null;
        }
      }
    }
    return this.dwp ?? undefined;
  }

  private dwpPath?: string;

  /** Path of the .dwp used, if any. */
  get packagePath(): string | undefined {
    return this.package() ? this.dwpPath : undefined;
  }
}

/** DW_SECT_* column ids of the unit index, by DwarfSections key, for index versions 2 and 5. */
const DW_SECT_V2: Record<number, keyof DwarfSections> = { 1: 'info', 2: 'types', 3: 'abbrev', 4: 'line', 5: 'loc', 6: 'strOffsets' };
const DW_SECT_V5: Record<number, keyof DwarfSections> = { 1: 'info', 3: 'abbrev', 4: 'line', 5: 'loclists', 6: 'strOffsets', 8: 'rnglists' };

/** A DWARF package: its compilation-unit index and a Dwarf per unit made of that unit's contributions. */
export class DwpFile {
  private readonly rows = new Map<bigint, Map<keyof DwarfSections, [number, number]>>();
  private readonly dwarfs = new Map<bigint, Dwarf | null>();

  constructor(readonly elf: ElfFile) {
    const idx = elf.sectionData('.debug_cu_index');
    if (!idx) throw new DwarfError('no .debug_cu_index', '.debug_cu_index', 0);
    const r = new Reader(idx, '.debug_cu_index', 0);
    let version = r.u32();
    // Version 5: a 2-byte version and 2 bytes of padding.
    if ((version & 0xffff) === 5) version = 5;
    if (version !== 2 && version !== 5) throw new DwarfError(`unsupported unit index version ${version}`, '.debug_cu_index', 0);
    const ids = version === 5 ? DW_SECT_V5 : DW_SECT_V2;
    const ncols = r.u32();
    const nunits = r.u32();
    const nslots = r.u32();
    const sigs: bigint[] = [];
    for (let i = 0; i < nslots; i++) sigs.push(r.u64big());
    const rowOf: number[] = [];
    for (let i = 0; i < nslots; i++) rowOf.push(r.u32());
    const cols: (keyof DwarfSections | undefined)[] = [];
    for (let c = 0; c < ncols; c++) cols.push(ids[r.u32()]);
    const offsetsAt = r.pos;
    const sizesAt = offsetsAt + nunits * ncols * 4;
    for (let i = 0; i < nslots; i++) {
      const row = rowOf[i];
      if (row === 0) continue;
      if (row > nunits) throw new DwarfError(`row ${row} past the ${nunits} units of the index`, '.debug_cu_index', 16 + i * 8);
      const m = new Map<keyof DwarfSections, [number, number]>();
      for (let c = 0; c < ncols; c++) {
        const key = cols[c];
        if (!key) continue;
        const o = new Reader(idx, '.debug_cu_index', offsetsAt + ((row - 1) * ncols + c) * 4).u32();
        const s = new Reader(idx, '.debug_cu_index', sizesAt + ((row - 1) * ncols + c) * 4).u32();
        m.set(key, [o, s]);
      }
      this.rows.set(sigs[i], m);
    }
  }

  /** The split compilation unit with this dwo_id, if the package has it. */
  unit(id: bigint): Unit | undefined {
    let d = this.dwarfs.get(id);
    if (d === undefined) {
      d = null;
      const row = this.rows.get(id);
      if (row) {
        const sections: DwarfSections = {};
        for (const [key, name] of Object.entries(DWO_SECTION_NAMES) as [keyof DwarfSections, string][]) {
          const data = this.elf.sectionData(name);
          if (!data || !data.length) continue;
          const contrib = row.get(key);
          if (key === 'str') sections.str = data;
          else if (contrib) sections[key] = data.subarray(contrib[0], contrib[0] + contrib[1]);
        }
        d = new Dwarf(sections, { splitFile: true, name: this.elf.path });
      }
      this.dwarfs.set(id, d);
    }
    return d?.units.find((u) => !u.isTypeUnit && (u.unitType === DW_UT.split_compile || u.version < 5) && u.splitId === id);
  }
}
