// .debug_line: line number program headers (v2-v5) and the line state machine.

import * as path from 'path';
import { DwarfError, Reader, stringAt } from '../reader';
import { DW_FORM, DW_LNCT, DW_LNE, DW_LNS } from './constants';
import { Attribute, FormContext, formFixedSize, readAttr, skipForm } from './forms';

export interface LineFileEntry {
  /** The name as recorded (may be relative to its directory). */
  name: string;
  /** Index into the program's directory table (v5 semantics: 0 = compilation directory). */
  dirIndex: number;
  mtime?: number;
  size?: number;
  /** DW_LNCT_MD5 (16 bytes), when present. */
  md5?: Buffer;
}

export interface LineRow {
  address: number;
  opIndex: number;
  /** File register (v5: 0-based index into files; v2-v4: 1-based). Use program.fileAt(). */
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  basicBlock: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  epilogueBegin: boolean;
  isa: number;
  discriminator: number;
  /**
   * Location view number (the GNU "view" extension as binutils computes it): reset to 0 when the
   * address advances, incremented after each row.
   */
  view: number;
}

export interface LineProgramHeader {
  offset: number;
  /** Offset just past this program. */
  end: number;
  version: number;
  offsetSize: 4 | 8;
  addressSize?: number;
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardOpcodeLengths: number[];
  /** Directory table; index 0 is the compilation directory (for v2-v4 it is DW_AT_comp_dir). */
  directories: string[];
  /** File table in the program's own indexing: v5 0-based, v2-v4 files[0] is file register 1. */
  files: LineFileEntry[];
  programStart: number;
}

/** Context for a line program: strings and the owning unit's defaults. */
export interface LineContext {
  str?: Buffer;
  lineStr?: Buffer;
  /** DW_AT_comp_dir of the owning unit (directory 0 for v2-v4). */
  compDir?: string;
  /** Address size of the owning unit (v2-v4 headers do not record it). */
  addressSize?: number;
  /** The owning unit, for DW_FORM_strx entries in v5 headers. */
  unit?: FormContext;
}

const SECTION = '.debug_line';

export class LineProgram {
  private rowCache?: LineRow[];

  constructor(
    readonly buf: Buffer,
    readonly header: LineProgramHeader,
    private readonly ctx: LineContext,
  ) {}

  /** Parse the header of the line program at `offset` of `.debug_line`. */
  static parse(buf: Buffer, offset: number, ctx: LineContext = {}): LineProgram {
    return new LineProgram(buf, parseHeader(buf, offset, ctx), ctx);
  }

  get version(): number {
    return this.header.version;
  }

  /** The file entry for a file register value (handles v5 0-based vs v2-v4 1-based indexing). */
  fileAt(index: number): LineFileEntry | undefined {
    return this.header.version >= 5 ? this.header.files[index] : this.header.files[index - 1];
  }

  /** Directory of a file entry (undefined when the index is out of range). */
  directoryOf(file: LineFileEntry): string | undefined {
    return this.header.directories[file.dirIndex];
  }

  /** Full path of a file register value: directory joined (and made absolute with comp_dir when relative). */
  filePath(index: number): string | undefined {
    const f = this.fileAt(index);
    return f ? this.fullPath(f) : undefined;
  }

  fullPath(f: LineFileEntry): string {
    if (path.isAbsolute(f.name)) return path.normalize(f.name);
    let dir = this.header.directories[f.dirIndex] ?? '';
    if (!path.isAbsolute(dir) && this.ctx.compDir) dir = path.join(this.ctx.compDir, dir);
    return dir ? path.join(dir, f.name) : f.name;
  }

  /** All rows of the line number matrix, in program order (decoded once). */
  rows(): LineRow[] {
    if (!this.rowCache) this.rowCache = runProgram(this.buf, this.header);
    return this.rowCache;
  }

  /** Rows split into sequences (each ends with an end_sequence row). */
  sequences(): LineRow[][] {
    const out: LineRow[][] = [];
    let cur: LineRow[] = [];
    for (const r of this.rows()) {
      cur.push(r);
      if (r.endSequence) {
        out.push(cur);
        cur = [];
      }
    }
    if (cur.length) out.push(cur);
    return out;
  }
}

function parseHeader(buf: Buffer, offset: number, ctx: LineContext): LineProgramHeader {
  const r = new Reader(buf, SECTION, offset);
  const length = r.initialLength();
  const end = r.pos + length;
  if (end > buf.length) throw r.error(`line program length 0x${length.toString(16)} runs past the end of the section`, offset);
  r.end = end;
  const version = r.u16();
  if (version < 2 || version > 5) throw r.error(`unsupported line table version ${version}`, offset + (r.offsetSize === 8 ? 12 : 4));
  let addressSize: number | undefined;
  if (version >= 5) {
    addressSize = r.u8();
    const segSel = r.u8();
    if (segSel !== 0) throw r.error(`segment selectors are not supported (size ${segSel})`, r.pos - 1);
  }
  const headerLength = r.offset();
  const programStart = r.pos + headerLength;
  if (programStart > end) throw r.error(`header length 0x${headerLength.toString(16)} runs past the end of the program`, r.pos - r.offsetSize);
  const minInstLength = r.u8();
  const maxOpsPerInst = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRangeAt = r.pos;
  const lineRange = r.u8();
  if (lineRange === 0) throw r.error('line_range is 0', lineRangeAt);
  if (maxOpsPerInst === 0) throw r.error('maximum_operations_per_instruction is 0', lineRangeAt - 3);
  const opcodeBase = r.u8();
  if (opcodeBase === 0) throw r.error('opcode_base is 0', r.pos - 1);
  const standardOpcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(r.u8());

  const directories: string[] = [];
  const files: LineFileEntry[] = [];
  if (version >= 5) {
    const fctx = formContext(r, ctx, addressSize ?? ctx.addressSize ?? 8);
    const dirFormats = readEntryFormats(r);
    const dirCount = r.uleb();
    for (let i = 0; i < dirCount; i++) {
      const e = readEntry(r, dirFormats, fctx);
      directories.push(e.name);
    }
    const fileFormats = readEntryFormats(r);
    const fileCount = r.uleb();
    for (let i = 0; i < fileCount; i++) files.push(readEntry(r, fileFormats, fctx));
  } else {
    directories.push(ctx.compDir ?? '');
    for (;;) {
      const d = r.cstring();
      if (d === '') break;
      directories.push(d);
    }
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      files.push({ name, dirIndex: r.uleb(), mtime: r.uleb(), size: r.uleb() });
    }
  }
  return {
    offset,
    end,
    version,
    offsetSize: r.offsetSize,
    addressSize,
    minInstLength,
    maxOpsPerInst,
    defaultIsStmt,
    lineBase,
    lineRange,
    opcodeBase,
    standardOpcodeLengths,
    directories,
    files,
    programStart,
  };
}

function readEntryFormats(r: Reader): { type: number; form: number }[] {
  const count = r.u8();
  const out: { type: number; form: number }[] = [];
  for (let i = 0; i < count; i++) out.push({ type: r.uleb(), form: r.uleb() });
  return out;
}

function formContext(r: Reader, ctx: LineContext, addressSize: number): FormContext {
  const str = (sec: Buffer | undefined, name: string, off: number, at: number) => {
    if (!sec) throw r.error(`string form without a ${name} section`, at);
    return stringAt(sec, off, name);
  };
  return {
    version: 5,
    addressSize,
    offsetSize: r.offsetSize,
    offset: 0,
    str: (off, at) => str(ctx.str, '.debug_str', off, at),
    lineStr: (off, at) => str(ctx.lineStr, '.debug_line_str', off, at),
    strx: (index, at) => {
      if (!ctx.unit) throw r.error('DW_FORM_strx in a line table header without a unit', at);
      return ctx.unit.strx(index, at);
    },
    addrx: (_index, at) => {
      throw r.error('address index form in a line table header', at);
    },
  };
}

function readEntry(r: Reader, formats: { type: number; form: number }[], fctx: FormContext): LineFileEntry {
  const e: LineFileEntry = { name: '', dirIndex: 0 };
  for (const { type, form } of formats) {
    const at = r.pos;
    const a: Attribute = readAttr(r, type, form, fctx);
    const v = a.value;
    switch (type) {
      case DW_LNCT.path:
        if (typeof v !== 'string') throw r.error(`DW_LNCT_path with non-string form 0x${form.toString(16)}`, at);
        e.name = v;
        break;
      case DW_LNCT.directory_index:
        if (typeof v !== 'number') throw r.error(`DW_LNCT_directory_index with non-constant form 0x${form.toString(16)}`, at);
        e.dirIndex = v;
        break;
      case DW_LNCT.timestamp:
        if (typeof v === 'number') e.mtime = v;
        break;
      case DW_LNCT.size:
        if (typeof v === 'number') e.size = v;
        break;
      case DW_LNCT.MD5:
        if (form === DW_FORM.data16) e.md5 = r.buf.subarray(at, at + 16);
        else if (Buffer.isBuffer(v)) e.md5 = v;
        break;
      default:
        break; // vendor content types are skipped
    }
  }
  return e;
}

function runProgram(buf: Buffer, h: LineProgramHeader): LineRow[] {
  const r = new Reader(buf, SECTION, h.programStart, h.end, h.offsetSize);
  const rows: LineRow[] = [];
  const minInst = h.minInstLength;
  const maxOps = h.maxOpsPerInst;
  const lineRange = h.lineRange;
  const lineBase = h.lineBase;
  const opcodeBase = h.opcodeBase;

  let address = 0;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = h.defaultIsStmt;
  let basicBlock = false;
  let prologueEnd = false;
  let epilogueBegin = false;
  let isa = 0;
  let discriminator = 0;
  let view = 0;

  const reset = () => {
    address = 0;
    opIndex = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = h.defaultIsStmt;
    basicBlock = false;
    prologueEnd = false;
    epilogueBegin = false;
    isa = 0;
    discriminator = 0;
    view = 0;
  };

  const advance = (operationAdvance: number) => {
    if (maxOps === 1) {
      const delta = minInst * operationAdvance;
      address += delta;
      if (delta !== 0) view = 0;
    } else {
      const total = opIndex + operationAdvance;
      const delta = minInst * Math.floor(total / maxOps);
      address += delta;
      opIndex = total % maxOps;
      if (delta !== 0) view = 0;
    }
  };

  const emit = (endSequence: boolean) => {
    rows.push({ address, opIndex, file, line, column, isStmt, basicBlock, endSequence, prologueEnd, epilogueBegin, isa, discriminator, view });
    view++;
    basicBlock = false;
    prologueEnd = false;
    epilogueBegin = false;
    discriminator = 0;
  };

  while (r.pos < r.end) {
    const opAt = r.pos;
    const op = r.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      advance(Math.floor(adj / lineRange));
      line += lineBase + (adj % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        if (len === 0) throw r.error('extended opcode with length 0', opAt);
        const start = r.pos;
        if (start + len > r.end) throw r.error(`extended opcode length ${len} runs past the end of the program`, opAt);
        const sub = r.u8();
        switch (sub) {
          case DW_LNE.end_sequence:
            emit(true);
            reset();
            break;
          case DW_LNE.set_address: {
            const size = len - 1;
            if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw r.error(`DW_LNE_set_address with operand size ${size}`, opAt);
            address = r.uN(size);
            opIndex = 0;
            view = 0;
            break;
          }
          case DW_LNE.define_file: {
            const name = r.cstring();
            h.files.push({ name, dirIndex: r.uleb(), mtime: r.uleb(), size: r.uleb() });
            break;
          }
          case DW_LNE.set_discriminator:
            discriminator = r.uleb();
            break;
          default:
            break; // unknown/vendor extended opcodes are skipped by length
        }
        r.pos = start + len;
        break;
      }
      case DW_LNS.copy:
        emit(false);
        break;
      case DW_LNS.advance_pc:
        advance(r.uleb());
        break;
      case DW_LNS.advance_line:
        line += r.sleb();
        break;
      case DW_LNS.set_file:
        file = r.uleb();
        break;
      case DW_LNS.set_column:
        column = r.uleb();
        break;
      case DW_LNS.negate_stmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.set_basic_block:
        basicBlock = true;
        break;
      case DW_LNS.const_add_pc:
        advance(Math.floor((255 - opcodeBase) / lineRange));
        break;
      case DW_LNS.fixed_advance_pc:
        address += r.u16();
        opIndex = 0;
        break;
      case DW_LNS.set_prologue_end:
        prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        epilogueBegin = true;
        break;
      case DW_LNS.set_isa:
        isa = r.uleb();
        break;
      default: {
        // An opcode this reader does not know: skip its ULEB operands as the header describes.
        const n = h.standardOpcodeLengths[op - 1];
        for (let i = 0; i < n; i++) r.uleb();
      }
    }
  }
  return rows;
}

/** Walk .debug_line program by program (as objdump does), without any unit information. */
export function* linePrograms(buf: Buffer, ctx: LineContext = {}): Generator<LineProgram> {
  let off = 0;
  while (off < buf.length) {
    const p = LineProgram.parse(buf, off, ctx);
    yield p;
    if (p.header.end <= off) throw new DwarfError('line program does not advance', SECTION, off);
    off = p.header.end;
  }
}

/** How a header records a file name: inline, or as an offset into .debug_str / .debug_line_str. */
export type LineFileNameKind = 'string' | 'strp' | 'line_strp';

/**
 * Reads only the file names of the line-program header at `offset` (for a quick "which files does this
 * object name" scan of a whole .debug_line): `visit(kind, value)` gets the name for 'string', else the
 * string-section offset, so a name shared by many headers is decoded once by the caller. Returns the
 * offset just past the program. Throws DwarfError on malformed headers, and for name forms that need
 * the owning unit (strx).
 */
export function scanLineHeaderFileNames(buf: Buffer, offset: number, visit: (kind: LineFileNameKind, value: string | number) => void): number {
  const r = new Reader(buf, SECTION, offset);
  const length = r.initialLength();
  const end = r.pos + length;
  if (end > buf.length) throw r.error(`line program length 0x${length.toString(16)} runs past the end of the section`, offset);
  r.end = end;
  const version = r.u16();
  if (version < 2 || version > 5) throw r.error(`unsupported line table version ${version}`, offset);
  let addressSize = 8;
  if (version >= 5) {
    addressSize = r.u8();
    if (r.u8() !== 0) throw r.error('segment selectors are not supported', r.pos - 1);
  }
  r.offset(); // header_length
  r.skip(version >= 4 ? 5 : 4); // minimum_instruction_length [maximum_operations_per_instruction] default_is_stmt line_base line_range
  const opcodeBase = r.u8();
  if (opcodeBase > 0) r.skip(opcodeBase - 1);
  if (version < 5) {
    while (r.cstring() !== '');
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      visit('string', name);
      r.uleb();
      r.uleb();
      r.uleb();
    }
    return end;
  }
  const enc = { version: 5, addressSize, offsetSize: r.offsetSize };
  const dirFormats = readEntryFormats(r);
  const dirCount = r.uleb();
  for (let i = 0; i < dirCount; i++) for (const f of dirFormats) skipForm(r, f.form, enc);
  const fileFormats = readEntryFormats(r);
  // Per field: -1 = the path, else its fixed size (or -2: variable, skipped form by form).
  const n = fileFormats.length;
  const sizes = new Int32Array(n);
  let pathForm = -1;
  for (let j = 0; j < n; j++) {
    const f = fileFormats[j];
    if (f.type === DW_LNCT.path) {
      sizes[j] = -1;
      pathForm = f.form;
      if (pathForm !== DW_FORM.string && pathForm !== DW_FORM.line_strp && pathForm !== DW_FORM.strp) throw r.error(`DW_LNCT_path with form 0x${pathForm.toString(16)} needs its unit`, r.pos);
    } else {
      const size = formFixedSize(f.form, enc);
      sizes[j] = size >= 0 ? size : -2;
    }
  }
  const fileCount = r.uleb();
  for (let i = 0; i < fileCount; i++) {
    for (let j = 0; j < n; j++) {
      const size = sizes[j];
      if (size >= 0) r.skip(size);
      else if (size === -2) skipForm(r, fileFormats[j].form, enc);
      else if (pathForm === DW_FORM.string) visit('string', r.cstring());
      else visit(pathForm === DW_FORM.line_strp ? 'line_strp' : 'strp', r.offset());
    }
  }
  return end;
}
