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

  constructor(readonly offset: number) {}

  add(a: Abbrev, r: Reader, at: number): void {
    if (this.get(a.code)) throw r.error(`duplicate abbreviation code ${a.code}`, at);
    if (a.code < 4096) this.dense[a.code] = a;
    else this.sparse.set(a.code, a);
  }

  get(code: number): Abbrev | undefined {
    return code < 4096 ? this.dense[code] : this.sparse.get(code);
  }
}

/** Parse the abbreviation table at `offset` of .debug_abbrev. */
export function parseAbbrevTable(buf: Buffer, offset: number, enc: Encoding): AbbrevTable {
  if (offset >= buf.length) throw new DwarfError(`abbreviation table offset 0x${offset.toString(16)} outside section`, '.debug_abbrev', offset);
  const r = new Reader(buf, '.debug_abbrev', offset);
  const table = new AbbrevTable(offset);
  for (;;) {
    const at = r.pos;
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const children = r.u8();
    if (children > 1) throw r.error(`bad DW_CHILDREN value ${children}`, r.pos - 1);
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
    table.add(new Abbrev(code, tag, children === 1, attrs, enc), r, at);
  }
  return table;
}
