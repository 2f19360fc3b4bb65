// .debug_abbrev: abbreviation tables, parsed once per (offset, encoding) and cached by the Dwarf context.

import { DwarfError, Reader } from '../reader';
import { DW_FORM } from './constants';
import { Encoding, formFixedSize } from './forms';

export interface AttrSpec {
  readonly name: number;
  readonly form: number;
  /** The value of a DW_FORM_implicit_const attribute (stored in the abbreviation itself). */
  readonly implicitConst?: number | bigint;
}

export class Abbrev {
  /** Byte size of all attribute values when every form has a fixed size for the unit's encoding, else -1. */
  readonly fixedSize: number;
  /** For attribute i: its byte offset from the start of the DIE's attributes when all earlier forms are fixed, else -1. */
  readonly fixedOffsets: Int32Array;
  private readonly index = new Map<number, number>();

  constructor(
    readonly code: number,
    readonly tag: number,
    readonly hasChildren: boolean,
    readonly attrs: readonly AttrSpec[],
    enc: Encoding,
  ) {
    this.fixedOffsets = new Int32Array(attrs.length);
    let off = 0;
    for (let i = 0; i < attrs.length; i++) {
      this.fixedOffsets[i] = off;
      if (!this.index.has(attrs[i].name)) this.index.set(attrs[i].name, i);
      if (off >= 0) {
        const size = formFixedSize(attrs[i].form, enc);
        off = size < 0 ? -1 : off + size;
      }
    }
    this.fixedSize = off;
  }

  /** Position of the attribute `name` in `attrs`, or -1. */
  indexOf(name: number): number {
    return this.index.get(name) ?? -1;
  }

  has(name: number): boolean {
    return this.index.has(name);
  }
}

export class AbbrevTable {
  private readonly dense: (Abbrev | undefined)[] = [];
  private readonly sparse = new Map<number, Abbrev>();
  /** Offsets of entries walked past but not built yet (code -> offset of the entry's tag). */
  private readonly pending = new Map<number, number>();
  /** Where the walk continues (entries are found on demand, in order); undefined once the table's end was read. */
  private reader?: Reader;
  private buf?: Buffer;

  constructor(
    readonly offset: number,
    private readonly enc?: Encoding,
    buf?: Buffer,
  ) {
    if (buf) {
      this.buf = buf;
      this.reader = new Reader(buf, '.debug_abbrev', offset);
    }
  }

  add(a: Abbrev, r: Reader, at: number): void {
    if (this.lookup(a.code)) throw r.error(`duplicate abbreviation code ${a.code}`, at);
    this.store(a);
  }

  private store(a: Abbrev): void {
    if (a.code < 4096) this.dense[a.code] = a;
    else this.sparse.set(a.code, a);
  }

  /**
   * The abbreviation with `code`. The table is walked only up to the entry asked for, and only that
   * entry is decoded: reading a unit's root DIE costs one Abbrev, not the whole table.
   */
  get(code: number): Abbrev | undefined {
    const hit = this.lookup(code);
    if (hit) return hit;
    let at = this.pending.get(code);
    while (at === undefined && this.reader) at = this.walkOne(code);
    if (at === undefined) return undefined;
    this.pending.delete(code);
    const a = this.build(code, at);
    this.store(a);
    return a;
  }

  /** Decodes every entry (and reports the first malformed one). */
  parseAll(): this {
    while (this.reader) this.walkOne(-1);
    for (const code of [...this.pending.keys()]) this.get(code);
    return this;
  }

  private lookup(code: number): Abbrev | undefined {
    return code < 4096 ? this.dense[code] : this.sparse.get(code);
  }

  /** Steps over one entry, recording where it is; returns its position when its code is `want`. */
  private walkOne(want: number): number | undefined {
    const r = this.reader!;
    try {
      const at = r.pos;
      const code = r.uleb();
      if (code === 0) {
        this.reader = undefined;
        return undefined;
      }
      if (this.lookup(code) || this.pending.has(code)) throw r.error(`duplicate abbreviation code ${code}`, at);
      const body = r.pos;
      r.uleb(); // tag
      const children = r.u8();
      if (children > 1) throw r.error(`bad DW_CHILDREN value ${children}`, r.pos - 1);
      for (;;) {
        const name = r.uleb();
        const form = r.uleb();
        if (name === 0 && form === 0) break;
        if (form === DW_FORM.implicit_const) r.slebBig();
      }
      this.pending.set(code, body);
      return code === want ? body : undefined;
    } catch (e) {
      // A malformed entry ends the table: later lookups miss instead of re-reading garbage.
      this.reader = undefined;
      throw e;
    }
  }

  /** Decodes the entry of `code` whose tag is at `at` (already checked by walkOne). */
  private build(code: number, at: number): Abbrev {
    const r = new Reader(this.buf!, '.debug_abbrev', at);
    const tag = r.uleb();
    const children = r.u8();
    const attrs: AttrSpec[] = [];
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      if (form === DW_FORM.implicit_const) {
        const v = r.slebBig();
        const n = Number(v);
        attrs.push({ name, form, implicitConst: Number.isSafeInteger(n) ? n : v });
      } else {
        attrs.push({ name, form });
      }
    }
    return new Abbrev(code, tag, children === 1, attrs, this.enc!);
  }
}

/**
 * The abbreviation table at `offset` of .debug_abbrev. Entries are parsed when first looked up (in
 * table order), so errors in an entry surface when a DIE needs it or a later one.
 */
export function parseAbbrevTable(buf: Buffer, offset: number, enc: Encoding): AbbrevTable {
  if (offset >= buf.length) throw new DwarfError(`abbreviation table offset 0x${offset.toString(16)} outside section`, '.debug_abbrev', offset);
  return new AbbrevTable(offset, enc, buf);
}
