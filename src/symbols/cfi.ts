// Call frame information: parses .eh_frame (with its optional .eh_frame_hdr search table) and
// .debug_frame into CIEs/FDEs, and executes DW_CFA_* programs to produce the unwind row (CFA rule
// plus register rules) in force at a given pc.
//
// All addresses here are link-time (unrelocated) addresses of the object the sections come from;
// the unwinder subtracts the module's load bias before asking. Addresses are JS numbers (exact
// below 2^53); 64-bit wrap-around from pc-relative encodings is done in bigint.

import { DwarfCursor, DwarfFormatError } from './dwarf-expr';

/** DW_EH_PE_* pointer encodings (LSB Core spec, "DWARF Extensions"). */
export const DW_EH_PE = {
  absptr: 0x00, uleb128: 0x01, udata2: 0x02, udata4: 0x03, udata8: 0x04, sleb128: 0x09, sdata2: 0x0a,
  sdata4: 0x0b, sdata8: 0x0c, signed: 0x08,
  pcrel: 0x10, textrel: 0x20, datarel: 0x30, funcrel: 0x40, aligned: 0x50,
  indirect: 0x80, omit: 0xff,
} as const;

export const DW_CFA = {
  advance_loc: 0x40, offset: 0x80, restore: 0xc0,
  nop: 0x00, set_loc: 0x01, advance_loc1: 0x02, advance_loc2: 0x03, advance_loc4: 0x04,
  offset_extended: 0x05, restore_extended: 0x06, undefined: 0x07, same_value: 0x08, register: 0x09,
  remember_state: 0x0a, restore_state: 0x0b, def_cfa: 0x0c, def_cfa_register: 0x0d,
  def_cfa_offset: 0x0e, def_cfa_expression: 0x0f, expression: 0x10, offset_extended_sf: 0x11,
  def_cfa_sf: 0x12, def_cfa_offset_sf: 0x13, val_offset: 0x14, val_offset_sf: 0x15,
  val_expression: 0x16, MIPS_advance_loc8: 0x1d, GNU_window_save: 0x2d, GNU_args_size: 0x2e,
  GNU_negative_offset_extended: 0x2f,
} as const;

const CFA_NAMES = new Map<number, string>(Object.entries(DW_CFA).map(([k, v]) => [v, `DW_CFA_${k}`]));

/** One input section: its bytes and its link-time address (sh_addr; 0 for non-allocated sections). */
export interface CfiSection {
  data: Buffer;
  addr: number;
}

export interface CfiTableOptions {
  ehFrame?: CfiSection;
  ehFrameHdr?: CfiSection;
  debugFrame?: CfiSection;
  /** Base for DW_EH_PE_textrel (address of .text). */
  textAddr?: number;
  /** Base for DW_EH_PE_datarel in .eh_frame (the GOT address, as on i386). */
  dataAddr?: number;
  /** Address size in bytes (default 8). */
  addressSize?: number;
  /** Reads a pointer stored in the object at a link-time address (DW_EH_PE_indirect). */
  readPointer?(addr: number): number | undefined;
  /** Name of the object, used in error messages. */
  name?: string;
}

export type CfiSectionName = '.eh_frame' | '.debug_frame';

export interface Cie {
  section: CfiSectionName;
  /** Offset of the CIE's length field within its section. */
  offset: number;
  version: number;
  augmentation: string;
  addressSize: number;
  segmentSize: number;
  codeAlign: number;
  dataAlign: number;
  /** Return-address column (16 = rip on x86-64). */
  raReg: number;
  /** DW_EH_PE encoding of FDE addresses ('R'); absptr by default. */
  fdeEncoding: number;
  /** DW_EH_PE encoding of the LSDA pointer ('L'); omit by default. */
  lsdaEncoding: number;
  /** Personality routine address ('P'), if any. */
  personality?: number;
  /** True when the personality pointer was DW_EH_PE_indirect and could not be resolved. */
  personalityIndirect?: boolean;
  /** 'S' augmentation: FDEs using this CIE describe signal trampolines. */
  isSignalFrame: boolean;
  /** 'z' augmentation: FDEs carry an augmentation-data block. */
  hasAugmentationData: boolean;
  initialInstructions: Buffer;
  /** Section offset of initialInstructions[0]. */
  instructionsOffset: number;
  /** 4 for 32-bit DWARF, 8 for 64-bit. */
  offsetSize: number;
}

export interface Fde {
  section: CfiSectionName;
  offset: number;
  cie: Cie;
  /** First pc covered (link-time address). */
  start: number;
  /** One past the last pc covered. */
  end: number;
  /** Language-specific data area address ('L'), if any. */
  lsda?: number;
  instructions: Buffer;
  instructionsOffset: number;
}

/** How to compute the canonical frame address. */
export type CfaRule =
  | { kind: 'reg-offset'; reg: number; offset: number }
  | { kind: 'expression'; expr: Buffer; offset: number };

/** How to recover a register of the caller frame. `offset` on expressions is the section offset. */
export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same-value' }
  /** Saved at CFA+offset. */
  | { kind: 'offset'; offset: number }
  /** The value is CFA+offset. */
  | { kind: 'val-offset'; offset: number }
  /** Saved in another register of this frame. */
  | { kind: 'register'; reg: number }
  /** Saved at the address computed by expr (with the CFA pushed first). */
  | { kind: 'expression'; expr: Buffer; offset: number }
  /** The value is computed by expr (with the CFA pushed first). */
  | { kind: 'val-expression'; expr: Buffer; offset: number };

/** The unwind rules in force for pcs in [start, end). */
export interface UnwindRow {
  start: number;
  end: number;
  cfa: CfaRule;
  /** Rules of registers mentioned by the CIE/FDE programs; others follow the ABI default. */
  regs: Map<number, RegisterRule>;
  /** DW_CFA_GNU_args_size: bytes of outgoing arguments pushed at this pc. */
  argsSize: number;
  raReg: number;
  isSignalFrame: boolean;
  fde: Fde;
}

interface RuleState {
  cfa: CfaRule | undefined;
  regs: Map<number, RegisterRule>;
  argsSize: number;
}

function cloneState(s: RuleState): RuleState {
  return { cfa: s.cfa, regs: new Map(s.regs), argsSize: s.argsSize };
}

const U64 = 1n << 64n;

/**
 * CFI of one object file. FDE lookups use the .eh_frame_hdr binary-search table when present,
 * otherwise a sorted index built on first use; .debug_frame is consulted after .eh_frame.
 */
const ROW_CACHE_MAX = 4096;

export class CfiTable {
  readonly addressSize: number;
  readonly name: string;
  private readonly cies = new Map<string, Cie>();
  private ehIndex: Fde[] | undefined;
  private debugIndex: Fde[] | undefined;
  private hdr: { tableEnc: number; count: number; tableStart: number } | undefined | null;

  constructor(readonly options: CfiTableOptions) {
    this.addressSize = options.addressSize ?? 8;
    this.name = options.name ?? 'object';
  }

  /** A table with no CFI at all (every lookup misses). */
  static empty(name = 'object'): CfiTable {
    return new CfiTable({ name });
  }

  get hasCfi(): boolean {
    return !!(this.options.ehFrame?.data.length || this.options.debugFrame?.data.length);
  }

  /** The FDE covering `pc` (link-time address), from .eh_frame first, then .debug_frame. */
  findFde(pc: number): Fde | undefined {
    const eh = this.options.ehFrame;
    if (eh && eh.data.length) {
      const hdr = this.hdrTable();
      if (hdr) {
        const fde = this.lookupHdr(hdr, pc);
        if (fde) return fde;
      } else {
        const fde = searchSorted(this.ehFdes(), pc);
        if (fde) return fde;
      }
    }
    if (this.options.debugFrame && this.options.debugFrame.data.length) {
      return searchSorted(this.debugFdes(), pc);
    }
    return undefined;
  }

  /** The unwind row in force at `pc` (link-time address), or undefined when no FDE covers it. */
  rowAt(pc: number): UnwindRow | undefined {
    // The same pcs come back at every stop (the return addresses of a loop's callers): rows are
    // computed once per pc. Rows are never modified by their users.
    const hit = this.rowCache.get(pc);
    if (hit !== undefined) return hit ?? undefined;
    const fde = this.findFde(pc);
    const row = fde ? computeRow(fde, pc, this) : undefined;
    if (this.rowCache.size >= ROW_CACHE_MAX) this.rowCache.clear();
    this.rowCache.set(pc, row ?? null);
    return row;
  }

  private readonly rowCache = new Map<number, UnwindRow | null>();

  /** All FDEs of .eh_frame, sorted by start address. */
  ehFdes(): Fde[] {
    if (!this.ehIndex) this.ehIndex = this.parseAll('.eh_frame');
    return this.ehIndex;
  }

  /** All FDEs of .debug_frame, sorted by start address. */
  debugFdes(): Fde[] {
    if (!this.debugIndex) this.debugIndex = this.parseAll('.debug_frame');
    return this.debugIndex;
  }

  /** Every CIE/FDE entry of a section, in section order (for dumps and tests). */
  entries(section: CfiSectionName): Array<Cie | Fde> {
    const sec = section === '.eh_frame' ? this.options.ehFrame : this.options.debugFrame;
    const out: Array<Cie | Fde> = [];
    if (!sec) return out;
    let off = 0;
    while (off < sec.data.length) {
      const e = this.parseEntry(section, off);
      if (!e) break;
      if (e.entry) out.push(e.entry);
      off = e.next;
    }
    return out;
  }

  // ---- .eh_frame_hdr ------------------------------------------------------------------------

  private hdrTable(): { tableEnc: number; count: number; tableStart: number } | undefined {
    if (this.hdr !== undefined) return this.hdr ?? undefined;
    this.hdr = null;
    const h = this.options.ehFrameHdr;
    if (!h || h.data.length < 4) return undefined;
    const c = new DwarfCursor(h.data, '.eh_frame_hdr');
    const version = c.u8();
    if (version !== 1) c.fail(`unsupported .eh_frame_hdr version ${version}`, 0);
    const ehPtrEnc = c.u8();
    const countEnc = c.u8();
    const tableEnc = c.u8();
    const ctx: PointerContext = { sectionAddr: h.addr, dataAddr: h.addr, textAddr: this.options.textAddr };
    const ehPtr = readEncoded(c, ehPtrEnc, ctx, this.addressSize, this.options.readPointer);
    if (ehPtr !== undefined && this.options.ehFrame && ehPtr !== this.options.ehFrame.addr) {
      c.fail(`eh_frame_ptr 0x${ehPtr.toString(16)} does not match .eh_frame at 0x${this.options.ehFrame.addr.toString(16)}`, 4);
    }
    if (countEnc === DW_EH_PE.omit || tableEnc === DW_EH_PE.omit) return undefined;
    const count = readEncoded(c, countEnc, ctx, this.addressSize, this.options.readPointer);
    if (count === undefined || count === 0) return undefined;
    // Only fixed-size table encodings can be binary-searched.
    const size = fixedSize(tableEnc, this.addressSize);
    if (size === undefined) return undefined;
    if (c.pos + count * 2 * size > h.data.length) c.fail(`search table of ${count} entries overruns the section`);
    this.hdr = { tableEnc, count, tableStart: c.pos };
    return this.hdr;
  }

  private lookupHdr(hdr: { tableEnc: number; count: number; tableStart: number }, pc: number): Fde | undefined {
    const h = this.options.ehFrameHdr!;
    const eh = this.options.ehFrame!;
    const size = fixedSize(hdr.tableEnc, this.addressSize)!;
    const ctx: PointerContext = { sectionAddr: h.addr, dataAddr: h.addr, textAddr: this.options.textAddr };
    const entryAt = (i: number, field: 0 | 1): number => {
      const c = new DwarfCursor(h.data, '.eh_frame_hdr', 0, hdr.tableStart + i * 2 * size + field * size);
      return readEncoded(c, hdr.tableEnc, ctx, this.addressSize)!;
    };
    let lo = 0;
    let hi = hdr.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (entryAt(mid, 0) <= pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const fdeAddr = entryAt(found, 1);
    const off = fdeAddr - eh.addr;
    if (off < 0 || off >= eh.data.length) {
      throw new DwarfFormatError(
        `.eh_frame_hdr+0x${(hdr.tableStart + found * 2 * size).toString(16)}: FDE address 0x${fdeAddr.toString(16)} is outside .eh_frame`,
        '.eh_frame_hdr',
        hdr.tableStart + found * 2 * size,
      );
    }
    const e = this.parseEntry('.eh_frame', off);
    const fde = e?.entry;
    if (!fde || !('cie' in fde)) {
      throw new DwarfFormatError(`.eh_frame+0x${off.toString(16)}: .eh_frame_hdr points at something that is not an FDE`, '.eh_frame', off);
    }
    return pc >= fde.start && pc < fde.end ? fde : undefined;
  }

  // ---- entry parsing ------------------------------------------------------------------------

  private parseAll(section: CfiSectionName): Fde[] {
    const out: Fde[] = [];
    for (const e of this.entries(section)) if ('cie' in e && e.end > e.start) out.push(e);
    out.sort((a, b) => a.start - b.start);
    return out;
  }

  /** Parses the CIE or FDE at `off`; undefined at an .eh_frame terminator. */
  private parseEntry(section: CfiSectionName, off: number): { entry: Cie | Fde | undefined; next: number } | undefined {
    const sec = section === '.eh_frame' ? this.options.ehFrame! : this.options.debugFrame!;
    const c = new DwarfCursor(sec.data, section, 0, off);
    let length = c.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) {
      const l = c.u64();
      if (l > BigInt(sec.data.length)) c.fail(`entry length 0x${l.toString(16)} exceeds the section`, off);
      length = Number(l);
      offsetSize = 8;
    }
    if (length === 0) {
      // .eh_frame terminator; in .debug_frame a zero-length entry is padding.
      return section === '.eh_frame' ? undefined : { entry: undefined, next: c.pos };
    }
    const idPos = c.pos;
    const end = idPos + length;
    if (end > sec.data.length) c.fail(`entry length 0x${length.toString(16)} overruns the section (size 0x${sec.data.length.toString(16)})`, off);
    const id = c.uN(offsetSize);
    const isCie = section === '.eh_frame' ? id === 0n : id === (offsetSize === 4 ? 0xffffffffn : 0xffffffffffffffffn);
    if (isCie) return { entry: this.cieAt(section, off), next: end };
    const cieOff = section === '.eh_frame' ? idPos - Number(id) : Number(id);
    if (cieOff < 0 || cieOff >= sec.data.length) c.fail(`FDE refers to CIE at 0x${cieOff.toString(16)}, outside the section`, off);
    const cie = this.cieAt(section, cieOff);
    return { entry: this.parseFde(section, sec, c, off, end, cie), next: end };
  }

  private cieAt(section: CfiSectionName, off: number): Cie {
    const key = `${section}:${off}`;
    let cie = this.cies.get(key);
    if (!cie) {
      cie = this.parseCie(section, off);
      this.cies.set(key, cie);
    }
    return cie;
  }

  private parseCie(section: CfiSectionName, off: number): Cie {
    const sec = section === '.eh_frame' ? this.options.ehFrame! : this.options.debugFrame!;
    const c = new DwarfCursor(sec.data, section, 0, off);
    let length = c.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) {
      length = Number(c.u64());
      offsetSize = 8;
    }
    const end = c.pos + length;
    if (end > sec.data.length) c.fail(`CIE length overruns the section`, off);
    const id = c.uN(offsetSize);
    const expectId = section === '.eh_frame' ? 0n : offsetSize === 4 ? 0xffffffffn : 0xffffffffffffffffn;
    if (id !== expectId) c.fail(`expected a CIE, found an FDE`, off);
    const version = c.u8();
    if (version !== 1 && version !== 3 && version !== 4) c.fail(`unsupported CIE version ${version}`, off);
    const augmentation = c.cstring();
    let addressSize = this.addressSize;
    let segmentSize = 0;
    if (augmentation.includes('eh')) c.bytes(this.addressSize); // ancient GCC "eh" data
    if (version >= 4) {
      addressSize = c.u8();
      segmentSize = c.u8();
    }
    const codeAlign = c.uleb();
    const dataAlign = c.sleb();
    const raReg = version === 1 ? c.u8() : c.uleb();
    const cie: Cie = {
      section, offset: off, version, augmentation, addressSize, segmentSize, codeAlign, dataAlign, raReg,
      fdeEncoding: DW_EH_PE.absptr, lsdaEncoding: DW_EH_PE.omit, isSignalFrame: false,
      hasAugmentationData: false, initialInstructions: Buffer.alloc(0), instructionsOffset: 0, offsetSize,
    };
    if (augmentation.startsWith('z')) {
      cie.hasAugmentationData = true;
      const augLen = c.uleb();
      const augEnd = c.pos + augLen;
      if (augEnd > end) c.fail(`augmentation data overruns the CIE`);
      for (const ch of augmentation.slice(1)) {
        switch (ch) {
          case 'L': cie.lsdaEncoding = c.u8(); break;
          case 'R': cie.fdeEncoding = c.u8(); break;
          case 'P': {
            const enc = c.u8();
            const p = readEncodedRaw(c, enc, this.ptrCtx(sec), addressSize);
            if (p) {
              if (p.indirect) {
                const v = this.options.readPointer?.(p.value);
                if (v === undefined) {
                  cie.personality = p.value;
                  cie.personalityIndirect = true;
                } else cie.personality = v;
              } else cie.personality = p.value;
            }
            break;
          }
          case 'S': cie.isSignalFrame = true; break;
          case 'B': case 'G': break; // AArch64 pointer authentication / MTE: no data
          default:
            // Unknown letters: the augmentation length lets us skip the rest safely.
            c.pos = augEnd;
        }
        if (c.pos >= augEnd) break;
      }
      // 'S'/'B'/'G' may follow the data-carrying letters; record 'S' even if data ended.
      if (augmentation.includes('S')) cie.isSignalFrame = true;
      c.pos = augEnd;
    } else if (augmentation !== '' && augmentation !== 'eh') {
      c.fail(`unknown augmentation "${augmentation}" without 'z' (cannot locate the instructions)`, off);
    }
    cie.instructionsOffset = c.pos;
    cie.initialInstructions = sec.data.subarray(c.pos, end);
    return cie;
  }

  private ptrCtx(sec: CfiSection): PointerContext {
    return { sectionAddr: sec.addr, textAddr: this.options.textAddr, dataAddr: this.options.dataAddr };
  }

  private parseFde(section: CfiSectionName, sec: CfiSection, c: DwarfCursor, off: number, end: number, cie: Cie): Fde {
    let start: number;
    let range: number;
    if (section === '.eh_frame' || cie.hasAugmentationData) {
      const ctx = this.ptrCtx(sec);
      const enc = cie.fdeEncoding;
      const s = readEncoded(c, enc, ctx, cie.addressSize, this.options.readPointer);
      if (s === undefined) c.fail(`FDE initial location uses the 'omit' encoding`);
      start = s;
      // The range is a plain value in the same format, without pc-relative adjustment.
      const r = readEncoded(c, enc & 0x0f, ctx, cie.addressSize);
      range = r ?? 0;
    } else {
      if (cie.segmentSize) c.bytes(cie.segmentSize);
      start = Number(c.uN(cie.addressSize));
      range = Number(c.uN(cie.addressSize));
    }
    let lsda: number | undefined;
    if (cie.hasAugmentationData) {
      const augLen = c.uleb();
      const augEnd = c.pos + augLen;
      if (augEnd > end) c.fail(`FDE augmentation data overruns the entry`);
      if (cie.lsdaEncoding !== DW_EH_PE.omit && augLen > 0) {
        lsda = readEncoded(c, cie.lsdaEncoding, { ...this.ptrCtx(sec), funcAddr: start }, cie.addressSize, this.options.readPointer);
      }
      c.pos = augEnd;
    }
    if (c.pos > end) c.fail(`FDE header overruns the entry`, off);
    return {
      section, offset: off, cie, start, end: start + range, lsda,
      instructions: sec.data.subarray(c.pos, end), instructionsOffset: c.pos,
    };
  }
}

function searchSorted(fdes: Fde[], pc: number): Fde | undefined {
  let lo = 0;
  let hi = fdes.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fdes[mid].start <= pc) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Overlapping FDEs are rare but possible; scan back a little for one that covers pc.
  for (let i = found; i >= 0 && i > found - 8; i--) if (pc >= fdes[i].start && pc < fdes[i].end) return fdes[i];
  return undefined;
}

// ---- pointer encodings --------------------------------------------------------------------

export interface PointerContext {
  /** Link-time address of the section the cursor reads (for pcrel). */
  sectionAddr: number;
  textAddr?: number;
  dataAddr?: number;
  funcAddr?: number;
}

function fixedSize(enc: number, addressSize: number): number | undefined {
  switch (enc & 0x0f) {
    case DW_EH_PE.absptr: return addressSize;
    case DW_EH_PE.udata2: case DW_EH_PE.sdata2: return 2;
    case DW_EH_PE.udata4: case DW_EH_PE.sdata4: return 4;
    case DW_EH_PE.udata8: case DW_EH_PE.sdata8: return 8;
    default: return undefined;
  }
}

/**
 * Reads a DW_EH_PE-encoded pointer at the cursor. Returns the raw (pre-indirection) value and
 * whether it is indirect; undefined for DW_EH_PE_omit.
 */
export function readEncodedRaw(
  c: DwarfCursor,
  enc: number,
  ctx: PointerContext,
  addressSize = 8,
): { value: number; indirect: boolean } | undefined {
  if (enc === DW_EH_PE.omit) return undefined;
  const at = c.offset;
  const app = enc & 0x70;
  if (app === DW_EH_PE.aligned) {
    const addr = ctx.sectionAddr + c.pos;
    const pad = (addressSize - (addr % addressSize)) % addressSize;
    c.bytes(pad);
  }
  const fieldAddr = ctx.sectionAddr + c.pos;
  let v: bigint;
  switch (enc & 0x0f) {
    case DW_EH_PE.absptr: v = c.uN(addressSize); break;
    case DW_EH_PE.uleb128: v = c.ulebBig(); break;
    case DW_EH_PE.udata2: v = BigInt(c.u16()); break;
    case DW_EH_PE.udata4: v = BigInt(c.u32()); break;
    case DW_EH_PE.udata8: v = c.u64(); break;
    case DW_EH_PE.sleb128: v = c.slebBig(); break;
    case DW_EH_PE.sdata2: v = BigInt(c.i16()); break;
    case DW_EH_PE.sdata4: v = BigInt(c.i32()); break;
    case DW_EH_PE.sdata8: v = c.i64(); break;
    default: return c.fail(`unknown pointer encoding 0x${enc.toString(16)}`, at);
  }
  let base = 0;
  switch (app) {
    case DW_EH_PE.absptr: case DW_EH_PE.aligned: break;
    case DW_EH_PE.pcrel: base = fieldAddr; break;
    case DW_EH_PE.textrel:
      if (ctx.textAddr === undefined) c.fail(`DW_EH_PE_textrel pointer but the text base is unknown`, at);
      base = ctx.textAddr;
      break;
    case DW_EH_PE.datarel:
      if (ctx.dataAddr === undefined) c.fail(`DW_EH_PE_datarel pointer but the data base is unknown`, at);
      base = ctx.dataAddr;
      break;
    case DW_EH_PE.funcrel:
      if (ctx.funcAddr === undefined) c.fail(`DW_EH_PE_funcrel pointer outside an FDE`, at);
      base = ctx.funcAddr;
      break;
    default: return c.fail(`unknown pointer encoding application 0x${app.toString(16)}`, at);
  }
  let r = (v + BigInt(base)) % U64;
  if (r < 0n) r += U64;
  if (addressSize < 8) r &= (1n << BigInt(addressSize * 8)) - 1n;
  if (r > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`pointer 0x${r.toString(16)} is not a valid address`, at);
  return { value: Number(r), indirect: (enc & DW_EH_PE.indirect) !== 0 };
}

/**
 * Reads a DW_EH_PE-encoded pointer, following DW_EH_PE_indirect through `readPointer` when given
 * (undefined result for omit; an indirect pointer that cannot be followed yields its slot address).
 */
export function readEncoded(
  c: DwarfCursor,
  enc: number,
  ctx: PointerContext,
  addressSize = 8,
  readPointer?: (addr: number) => number | undefined,
): number | undefined {
  const r = readEncodedRaw(c, enc, ctx, addressSize);
  if (!r) return undefined;
  if (r.indirect && readPointer) {
    const v = readPointer(r.value);
    if (v === undefined) c.fail(`cannot follow indirect pointer at 0x${r.value.toString(16)}`);
    return v;
  }
  return r.value;
}

// ---- CFA program execution ----------------------------------------------------------------

/**
 * Executes the CIE's initial instructions and the FDE's instructions up to `pc` and returns the
 * row in force at `pc`. Throws DwarfFormatError (naming section and offset) for bad programs.
 */
export function computeRow(fde: Fde, pc: number, table?: CfiTable): UnwindRow {
  const cie = fde.cie;
  const initial: RuleState = { cfa: undefined, regs: new Map(), argsSize: 0 };
  const ctx = { sectionAddr: sectionAddrOf(table, fde.section), textAddr: table?.options.textAddr, dataAddr: table?.options.dataAddr, funcAddr: fde.start };
  run(cie.initialInstructions, cie.instructionsOffset, cie, undefined, initial, undefined, Infinity, fde.start, ctx, table?.options.readPointer);
  const state = cloneState(initial);
  const span = run(fde.instructions, fde.instructionsOffset, cie, fde, state, initial, pc, fde.start, ctx, table?.options.readPointer);
  if (!state.cfa) {
    throw new DwarfFormatError(
      `${fde.section}+0x${fde.offset.toString(16)}: FDE for 0x${fde.start.toString(16)} defines no CFA rule at pc 0x${pc.toString(16)}`,
      fde.section,
      fde.offset,
    );
  }
  return {
    start: span.start, end: Math.min(span.end, fde.end), cfa: state.cfa, regs: state.regs,
    argsSize: state.argsSize, raReg: cie.raReg, isSignalFrame: cie.isSignalFrame, fde,
  };
}

/** An invalid CFA instruction (as opposed to truncated data). */
class CfaProgramError extends DwarfFormatError {}

function sectionAddrOf(table: CfiTable | undefined, section: CfiSectionName): number {
  const sec = section === '.eh_frame' ? table?.options.ehFrame : table?.options.debugFrame;
  return sec?.addr ?? 0;
}

/**
 * Runs one CFA program. Stops before the first location advance past `pc`.
 * Returns the [start, end) span of the row reached.
 */
function run(
  code: Buffer,
  codeOffset: number,
  cie: Cie,
  fde: Fde | undefined,
  state: RuleState,
  initial: RuleState | undefined,
  pc: number,
  startLoc: number,
  ptrCtx: PointerContext,
  readPointer: ((addr: number) => number | undefined) | undefined,
): { start: number; end: number } {
  const section = cie.section;
  // The cursor's buffer is the program; base makes messages give section offsets.
  const c = new DwarfCursor(code, section, codeOffset);
  const stack: RuleState[] = [];
  let loc = startLoc;
  const endLoc = fde ? fde.end : Infinity;
  const at = () => c.offset;
  const fail: (op: number, msg: string, where: number) => never = (op, msg, where) => {
    throw new CfaProgramError(
      `${section}+0x${where.toString(16)}: ${CFA_NAMES.get(op) ?? `DW_CFA_<0x${op.toString(16)}>`}: ${msg}`,
      section,
      where,
    );
  };
  const advance = (delta: number): boolean => {
    const next = loc + delta * cie.codeAlign;
    if (next > pc) return false;
    loc = next;
    return true;
  };
  const restoreRule = (reg: number) => {
    const r = initial?.regs.get(reg);
    if (r) state.regs.set(reg, r);
    else state.regs.delete(reg);
  };
  const reqCfaRegOffset = (op: number, where: number): { reg: number; offset: number } => {
    if (!state.cfa || state.cfa.kind !== 'reg-offset') return fail(op, 'the current CFA rule is not register+offset', where);
    return state.cfa;
  };

  while (!c.eof) {
    const where = at();
    let op = c.u8();
    try {
      const high = op & 0xc0;
      if (high === DW_CFA.advance_loc) {
        if (!advance(op & 0x3f)) return { start: loc, end: loc + (op & 0x3f) * cie.codeAlign };
        continue;
      }
      if (high === DW_CFA.offset) {
        const reg = op & 0x3f;
        op = DW_CFA.offset;
        state.regs.set(reg, { kind: 'offset', offset: c.uleb() * cie.dataAlign });
        continue;
      }
      if (high === DW_CFA.restore) {
        const reg = op & 0x3f;
        op = DW_CFA.restore;
        if (!initial) fail(op, 'not allowed in a CIE', where);
        restoreRule(reg);
        continue;
      }
      switch (op) {
        case DW_CFA.nop: break;
        case DW_CFA.set_loc: {
          // The cursor's positions are relative to the program; pcrel needs the section address.
          const target = readEncoded(c, cie.fdeEncoding, { ...ptrCtx, sectionAddr: ptrCtx.sectionAddr + codeOffset }, cie.addressSize, readPointer);
          if (target === undefined) fail(op, 'bad address encoding', where);
          if (target < loc) fail(op, `moves backwards (0x${target.toString(16)} < 0x${loc.toString(16)})`, where);
          if (target > pc) return { start: loc, end: target };
          loc = target;
          break;
        }
        case DW_CFA.advance_loc1: { const d = c.u8(); if (!advance(d)) return { start: loc, end: loc + d * cie.codeAlign }; break; }
        case DW_CFA.advance_loc2: { const d = c.u16(); if (!advance(d)) return { start: loc, end: loc + d * cie.codeAlign }; break; }
        case DW_CFA.advance_loc4: { const d = c.u32(); if (!advance(d)) return { start: loc, end: loc + d * cie.codeAlign }; break; }
        case DW_CFA.MIPS_advance_loc8: {
          const d = Number(c.u64());
          if (!advance(d)) return { start: loc, end: loc + d * cie.codeAlign };
          break;
        }
        case DW_CFA.offset_extended: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'offset', offset: c.uleb() * cie.dataAlign });
          break;
        }
        case DW_CFA.offset_extended_sf: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'offset', offset: c.sleb() * cie.dataAlign });
          break;
        }
        case DW_CFA.GNU_negative_offset_extended: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'offset', offset: -c.uleb() * cie.dataAlign });
          break;
        }
        case DW_CFA.val_offset: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'val-offset', offset: c.uleb() * cie.dataAlign });
          break;
        }
        case DW_CFA.val_offset_sf: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'val-offset', offset: c.sleb() * cie.dataAlign });
          break;
        }
        case DW_CFA.restore_extended:
          if (!initial) fail(op, 'not allowed in a CIE', where);
          restoreRule(c.uleb());
          break;
        case DW_CFA.undefined: state.regs.set(c.uleb(), { kind: 'undefined' }); break;
        case DW_CFA.same_value: state.regs.set(c.uleb(), { kind: 'same-value' }); break;
        case DW_CFA.register: {
          const reg = c.uleb();
          state.regs.set(reg, { kind: 'register', reg: c.uleb() });
          break;
        }
        case DW_CFA.remember_state: stack.push(cloneState(state)); break;
        case DW_CFA.restore_state: {
          const s = stack.pop();
          if (!s) fail(op, 'no remembered state', where);
          // The CFA rule and args size are part of the remembered state, as in GCC's unwinder.
          state.cfa = s.cfa;
          state.regs = s.regs;
          state.argsSize = s.argsSize;
          break;
        }
        case DW_CFA.def_cfa: {
          const reg = c.uleb();
          state.cfa = { kind: 'reg-offset', reg, offset: c.uleb() };
          break;
        }
        case DW_CFA.def_cfa_sf: {
          const reg = c.uleb();
          state.cfa = { kind: 'reg-offset', reg, offset: c.sleb() * cie.dataAlign };
          break;
        }
        case DW_CFA.def_cfa_register: {
          const reg = c.uleb();
          const cur = reqCfaRegOffset(op, where);
          state.cfa = { kind: 'reg-offset', reg, offset: cur.offset };
          break;
        }
        case DW_CFA.def_cfa_offset: {
          const off = c.uleb();
          const cur = reqCfaRegOffset(op, where);
          state.cfa = { kind: 'reg-offset', reg: cur.reg, offset: off };
          break;
        }
        case DW_CFA.def_cfa_offset_sf: {
          const off = c.sleb() * cie.dataAlign;
          const cur = reqCfaRegOffset(op, where);
          state.cfa = { kind: 'reg-offset', reg: cur.reg, offset: off };
          break;
        }
        case DW_CFA.def_cfa_expression: {
          const len = c.uleb();
          const offset = c.offset;
          state.cfa = { kind: 'expression', expr: c.bytes(len), offset };
          break;
        }
        case DW_CFA.expression: {
          const reg = c.uleb();
          const len = c.uleb();
          const offset = c.offset;
          state.regs.set(reg, { kind: 'expression', expr: c.bytes(len), offset });
          break;
        }
        case DW_CFA.val_expression: {
          const reg = c.uleb();
          const len = c.uleb();
          const offset = c.offset;
          state.regs.set(reg, { kind: 'val-expression', expr: c.bytes(len), offset });
          break;
        }
        case DW_CFA.GNU_args_size: state.argsSize = c.uleb(); break;
        case DW_CFA.GNU_window_save:
          fail(op, 'SPARC register windows / AArch64 return-address signing are not supported on x86-64', where);
          break;
        default:
          fail(op, `unknown CFA instruction 0x${op.toString(16)}`, where);
      }
    } catch (e) {
      if (e instanceof DwarfFormatError && !(e instanceof CfaProgramError)) {
        fail(op, `truncated operands (${e.message})`, where);
      }
      throw e;
    }
  }
  return { start: loc, end: endLoc };
}

/** Human-readable rendering of a row (for diagnostics). */
export function formatRow(row: UnwindRow): string {
  const cfa = row.cfa.kind === 'reg-offset' ? `r${row.cfa.reg}+${row.cfa.offset}` : 'expr';
  const regs = [...row.regs.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([r, rule]) => {
      switch (rule.kind) {
        case 'offset': return `r${r}=c${rule.offset >= 0 ? '+' : ''}${rule.offset}`;
        case 'val-offset': return `r${r}=val c${rule.offset >= 0 ? '+' : ''}${rule.offset}`;
        case 'register': return `r${r}=r${rule.reg}`;
        case 'undefined': return `r${r}=u`;
        case 'same-value': return `r${r}=s`;
        case 'expression': return `r${r}=exp`;
        case 'val-expression': return `r${r}=vexp`;
      }
    });
  return `0x${row.start.toString(16)}: cfa=${cfa} ${regs.join(' ')}`;
}
