// x86-64 disassembly shared by both front-ends (DAP `disassemble` and the console's `x/i`; MI
// -data-disassemble, `x/i` and `disassemble`), on iced-x86 (a maintained decoder written in Rust and
// shipped as WebAssembly: no native build, no download at install time). Output is AT&T syntax laid
// out as gdb prints it: `mov    0x2ece(%rip),%eax        # 0x555555558024 <counter>` and
// `call   0x555555555149 <hot>`, checked against GNU objdump (libopcodes, what gdb uses) instruction by
// instruction over whole .text sections; Intel syntax on request (objdump -M intel's spelling).
import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction, MemorySizeOptions } from 'iced-x86';
import type { Engine } from './api';

export type Flavor = 'att' | 'intel';

export interface DecodedInstruction {
  address: number;
  length: number;
  bytes: Buffer;
  /** Mnemonic and operands, gdb layout, with symbolic targets when a resolver is given. */
  text: string;
  /** The same without symbolic labels (see withLabels). */
  plain: string;
  /** RIP-relative memory operand's address (shown as `# 0xADDR <sym>`). */
  dataRef?: number;
  /** The bytes do not decode to an instruction (shown as `(bad)`, as objdump does). */
  invalid: boolean;
  /** Direct branch or call target. */
  target?: number;
  isCall: boolean;
  /** Any control transfer (jumps, calls, returns, interrupts). */
  isBranch: boolean;
}

/** Gives the `<symbol+offset>` label of an address, or undefined. */
export type SymbolResolver = (address: number) => string | undefined;

/** Longest x86 instruction. */
export const MAX_INSN = 15;

export class Disassembler {
  private readonly formatter: Formatter;

  constructor(readonly flavor: Flavor = 'att') {
    this.formatter = new Formatter(flavor === 'intel' ? FormatterSyntax.Intel : FormatterSyntax.Gas);
    const f = this.formatter;
    f.ripRelativeAddresses = true;
    f.smallHexNumbersInDecimal = false;
    f.branchLeadingZeros = false;
    f.leadingZeros = false;
    f.spaceAfterOperandSeparator = false;
    if (flavor === 'intel') f.memorySizeOptions = MemorySizeOptions.Always;
    f.showBranchSize = false;
    f.hexPrefix = '0x';
    f.hexSuffix = '';
    f.uppercaseHex = false;
    // As objdump/gdb print: explicit zero displacements and scales, segment prefixes on nops.
    f.showZeroDisplacements = true;
    f.alwaysShowScale = false; // "(%rip,)" otherwise; scale 1 with an index is added back in gasLike()
    f.showUselessPrefixes = true;
    f.gasShowMnemonicSizeSuffix = false;
    f.showBranchSize = false;
  }

  /**
   * Decodes instructions from `bytes` loaded at `address`. Stops at `max` instructions or when the
   * remaining bytes cannot hold a whole instruction (unless `partialTail` is false: then the tail is
   * decoded as far as it goes and reported invalid).
   */
  decode(bytes: Buffer, address: number, opts: { max?: number; resolve?: SymbolResolver; stopShort?: boolean } = {}): DecodedInstruction[] {
    const out: DecodedInstruction[] = [];
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const decoder = new Decoder(64, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), DecoderOptions.None);
    decoder.ip = BigInt(address);
    const insn = new Instruction();
    try {
      let pos = 0;
      while (decoder.canDecode && out.length < max) {
        // An instruction cut off by the end of the buffer would decode as invalid: leave it to the caller.
        if (opts.stopShort && bytes.length - pos < MAX_INSN) {
          const probe = this.fits(bytes.subarray(pos), address + pos);
          if (!probe) break;
        }
        decoder.decodeOut(insn);
        const len = insn.length;
        const at = address + pos;
        out.push(this.describe(insn, at, bytes.subarray(pos, pos + len), opts.resolve));
        pos += len;
      }
    } finally {
      insn.free();
      decoder.free();
    }
    return out;
  }

  /** Whether the first instruction in `bytes` is complete (decodes without running out of bytes). */
  private fits(bytes: Buffer, address: number): boolean {
    const d = new Decoder(64, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), DecoderOptions.None);
    d.ip = BigInt(address);
    const i = d.decode();
    // iced reports an instruction truncated by the end of the data as invalid with length = bytes left.
    const ok = !i.isInvalid || i.length < bytes.length;
    i.free();
    d.free();
    return ok;
  }

  private describe(insn: Instruction, address: number, bytes: Buffer, resolve?: SymbolResolver): DecodedInstruction {
    const invalid = insn.isInvalid;
    const fc = insn.flowControl;
    const isCall = fc === FlowControl.Call || fc === FlowControl.IndirectCall;
    const isBranch = fc !== FlowControl.Next && fc !== FlowControl.XbeginXabortXend && fc !== FlowControl.Exception;
    let target: number | undefined;
    if (insn.isCallNear || insn.isJmpShortOrNear || insn.isJccShortOrNear || fc === FlowControl.ConditionalBranch || fc === FlowControl.UnconditionalBranch || fc === FlowControl.Call) {
      const t = Number(insn.nearBranchTarget);
      if (t !== 0) target = t;
    }
    let plain: string;
    let dataRef: number | undefined;
    if (invalid) {
      plain = '(bad)';
    } else {
      plain = this.layout(this.flavor === 'att' ? gasLike(this.formatter.format(insn), bytes) : intelLike(this.formatter.format(insn), bytes));
      if (target === undefined && insn.isIpRelMemoryOperand) dataRef = Number(insn.ipRelMemoryAddress);
    }
    const d: DecodedInstruction = { address, length: insn.length, bytes: Buffer.from(bytes), text: plain, plain, invalid, target, dataRef, isCall, isBranch };
    d.text = withLabels(d, resolve);
    return d;
  }

  /** gdb/objdump pad the mnemonic (with its prefixes) to 6 columns plus a space. */
  private layout(s: string): string {
    // Prefixes (rep, lock, notrack, bnd, data16...) stay attached to the mnemonic.
    const m = /^((?:(?:rep|repe|repz|repne|repnz|lock|notrack|bnd|xacquire|xrelease|data16|addr32|cs|ds|es|ss|fs|gs)\s+)*\S+)(?:\s+(.*))?$/.exec(s);
    if (!m || m[2] === undefined) return s;
    return m[1].padEnd(6) + ' ' + m[2];
  }

  dispose(): void {
    this.formatter.free();
  }
}

/**
 * The instruction text with gdb's symbolic annotations: `call   0x1149 <hot>` for direct branches,
 * `mov    0x2ece(%rip),%eax        # 0x4024 <counter>` for RIP-relative operands (libopcodes puts the
 * effective address after 8 spaces, with or without a symbol).
 */
export function withLabels(i: Pick<DecodedInstruction, 'plain' | 'target' | 'dataRef' | 'invalid'>, resolve?: SymbolResolver): string {
  if (i.invalid) return i.plain;
  if (i.target !== undefined) {
    const label = resolve?.(i.target);
    return label ? `${i.plain} <${label}>` : i.plain;
  }
  if (i.dataRef !== undefined) {
    const label = resolve?.(i.dataRef);
    return `${i.plain}        # 0x${i.dataRef.toString(16)}` + (label ? ` <${label}>` : '');
  }
  return i.plain;
}

/**
 * Brings iced's GAS output in line with GNU objdump/gdb (libopcodes), the reference users compare with:
 * scale 1 shown with an index register, no `q` suffix on indirect call/jmp, segment prefixes of
 * padding nops written as prefixes, and the implicit count of shift-by-one forms (D0/D1) left out.
 */
function gasLike(s: string, bytes: Buffer): string {
  let t = s.replace(/\((%\w+)?,(%\w+)\)/g, '($1,$2,1)');
  t = t.replace(/^(call|jmp)q(\s)/, '$1$2');
  const seg = /^(nop\w*)\s+%(cs|ds|es|ss|fs|gs):(.*)$/.exec(t);
  if (seg) {
    let d16 = 0;
    while (bytes[d16] === 0x66) d16++;
    t = `${'data16 '.repeat(Math.max(0, d16 - 1))}${seg[2]} ${seg[1]} ${seg[3]}`;
  }
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x66 || bytes[i] === 0x67 || bytes[i] === 0xf2 || bytes[i] === 0xf3 || bytes[i] === 0x2e || bytes[i] === 0x3e || (bytes[i] >= 0x40 && bytes[i] <= 0x4f))) i++;
  const op = bytes[i];
  // String instructions (movs cmps stos lods scas ins outs) name their implicit segments.
  if (op >= 0xa4 && op <= 0xaf && op !== 0xa8 && op !== 0xa9) {
    t = t.replace(/(^|[\s,])\((%[er]di)\)/, '$1%es:($2)').replace(/(^|[\s,])\((%[er]si)\)/, '$1%ds:($2)');
  } else if (op >= 0x6c && op <= 0x6f) {
    t = t.replace(/(^|[\s,])\((%[er]di)\)/, '$1%es:($2)').replace(/(^|[\s,])\((%[er]si)\)/, '$1%ds:($2)');
  }
  // Memory push/pop need no suffix in 64-bit mode.
  t = t.replace(/^(push|pop)q(\s)/, '$1$2');
  // Three-operand imul with the same source and destination.
  const imul = /^(imul\s+)(\$[^,]+),(%\w+)$/.exec(t);
  if (imul) t = `${imul[1]}${imul[2]},${imul[3]},${imul[3]}`;
  // x87 forms with implicit operands.
  if (/^f(add|mul|sub|subr|div|divr)p$/.test(t)) t += ' %st,%st(1)';
  else if (t === 'fxch' || t === 'fucom' || t === 'fucomp' || t === 'fcom' || t === 'fcomp') t += ' %st(1)';
  if (t === 'rep ret') t = 'repz ret';
  if ((op === 0xd0 || op === 0xd1) && /^\w+\s+\$0x1,/.test(t)) t = t.replace('$0x1,', '');
  return t;
}

/** iced's Intel syntax spelled as objdump -M intel / gdb `set disassembly-flavor intel` write it. */
function intelLike(s: string, bytes: Buffer): string {
  let t = s.replace(/\b(byte|word|dword|qword|tbyte|fword|oword|xmmword|ymmword|zmmword|mmword) ptr\b/g, (_m, w: string) => `${w.toUpperCase()} PTR`);
  // Scale 1 is written out with an index register; an absolute address names its segment (ds by default).
  t = t.replace(/\[(\w+)\+([a-z][a-z0-9]*)(?=[\]+-])/, '[$1+$2*1');
  t = t.replace(/\b(cs|ds|es|ss|fs|gs):\[(0x[0-9a-f]+)\]/, '$1:$2').replace(/(^|[\s,])\[(0x[0-9a-f]+)\]/, '$1ds:$2');
  // libopcodes writes a negative RIP-relative displacement as its 64-bit two's complement.
  t = t.replace(/\[rip-0x([0-9a-f]+)\]/, (_m, h: string) => `[rip+0x${(2n ** 64n - BigInt('0x' + h)).toString(16)}]`);
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x66 || bytes[i] === 0x67 || bytes[i] === 0xf2 || bytes[i] === 0xf3 || bytes[i] === 0x2e || bytes[i] === 0x3e || (bytes[i] >= 0x40 && bytes[i] <= 0x4f))) i++;
  const op = bytes[i];
  const rexW = i > 0 && bytes[i - 1] >= 0x48 && bytes[i - 1] <= 0x4f;
  // mov with a 64-bit immediate or absolute address is movabs.
  if (rexW && ((op >= 0xb8 && op <= 0xbf) || (op >= 0xa0 && op <= 0xa3))) t = t.replace(/^mov\s+/, 'movabs ');
  // String instructions with their implicit operands and segments.
  const str = /^((?:rep\w*\s+)?)(movs|cmps|stos|lods|scas)([bwdq])\b/.exec(t);
  if (str && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf))) {
    const size = { b: 'BYTE', w: 'WORD', d: 'DWORD', q: 'QWORD' }[str[3] as 'b' | 'w' | 'd' | 'q'];
    const reg = { b: 'al', w: 'ax', d: 'eax', q: 'rax' }[str[3] as 'b' | 'w' | 'd' | 'q'];
    const a32 = bytes.subarray(0, i).includes(0x67);
    const di = `${size} PTR es:[${a32 ? 'edi' : 'rdi'}]`;
    const si = `${size} PTR ds:[${a32 ? 'esi' : 'rsi'}]`;
    const ops = { movs: `${di},${si}`, cmps: `${si},${di}`, stos: `${di},${reg}`, lods: `${reg},${si}`, scas: `${reg},${di}` }[str[2] as 'movs'];
    t = `${str[1]}${str[2]} ${ops}`;
  }
  // x87 one-operand forms: the implicit st is not written.
  const x87 = /^(fld|fst|fstp|fild|fist|fistp|fisttp|fbld|fbstp|fxch|fcom|fcomp|fucom|fucomp)\s+(.*)$/.exec(t);
  if (x87) t = `${x87[1]} ${x87[2].replace(/^st,(?=.)/, '').replace(/,st$/, '')}`;
  // x87 memory arithmetic has st as implicit destination; the popping forms and fxch name their registers.
  t = t.replace(/^(fadd|fmul|fsub|fsubr|fdiv|fdivr|fcom|fcomp)\s+st,(?=\w+ PTR)/, '$1 ');
  if (/^f(add|mul|sub|subr|div|divr)p$/.test(t)) t += ' st(1),st';
  else if (t === 'fxch' || t === 'fucom' || t === 'fucomp' || t === 'fcom' || t === 'fcomp') t += ' st(1)';
  if (t === 'rep ret') t = 'repz ret';
  // Three-operand imul with the same source and destination.
  const imul = /^(imul\s+)(\w+),(0x[0-9a-f]+)$/.exec(t);
  if (imul) t = `${imul[1]}${imul[2]},${imul[2]},${imul[3]}`;
  // Segment prefixes of padding nops are written as prefixes (and extra 0x66 bytes as data16).
  const seg = /^(nop\w*)\s+(.*)\b(cs|ds|es|ss|fs|gs):(.*)$/.exec(t);
  if (seg) {
    let d16 = 0;
    while (bytes[d16] === 0x66) d16++;
    t = `${'data16 '.repeat(Math.max(0, d16 - 1))}${seg[3]} ${seg[1]} ${seg[2]}${seg[4]}`;
  }
  return t;
}

/** Hex bytes as gdb's `disassemble /r` prints them: "55 48 89 e5". */
export function hexBytes(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

// ------------------------------------------------------------------ gdb's disassembly lines (MI)

/** One line of gdb's disassembly: the instruction and the function it is in (`<main+4>`). */
export interface DisasmLine {
  address: number;
  bytes: number[];
  /** Mnemonic and operands with gdb's symbolic labels. */
  text: string;
  function?: string;
  offset?: number;
}

export type Symbolizer = (address: number) => { function?: string; offset?: number } | undefined;

const shared = new Map<Flavor, Disassembler>();

/** A process-wide disassembler of a flavor (formatters are WebAssembly objects: made once, kept). */
export function disassembler(flavor: Flavor = 'att'): Disassembler {
  let d = shared.get(flavor);
  if (!d) shared.set(flavor, (d = new Disassembler(flavor)));
  return d;
}

/**
 * Decodes instructions in a buffer loaded at `address`, up to `max` instructions or the address `end`;
 * an instruction cut off by the end of the buffer is left out.
 */
export function decode(bytes: Buffer, address: number, opts: { max?: number; flavor?: Flavor; symbolize?: Symbolizer; end?: number } = {}): DisasmLine[] {
  const sym = opts.symbolize;
  const label = (a: number) => {
    const s = sym?.(a);
    return s?.function ? `${s.function}${s.offset ? '+' + s.offset : ''}` : undefined;
  };
  const end = opts.end ?? address + bytes.length;
  const out: DisasmLine[] = [];
  for (const i of disassembler(opts.flavor ?? 'att').decode(bytes, address, { max: opts.max, resolve: label, stopShort: true })) {
    if (i.address >= end) break;
    const s = sym?.(i.address);
    out.push({ address: i.address, bytes: [...i.bytes], text: i.text, function: s?.function, offset: s?.function ? s.offset ?? 0 : undefined });
  }
  return out;
}

/** Reads and decodes [start, end) (or `count` instructions from start) through the engine. */
export async function disassemble(engine: Engine, start: number, end: number, opts: { count?: number; flavor?: Flavor; symbolize?: Symbolizer } = {}): Promise<DisasmLine[]> {
  const len = Math.max(0, end - start) + MAX_INSN;
  const mem = await engine.readMemory(start, len);
  if (!mem.data.length) throw new Error(`Cannot access memory at address 0x${start.toString(16)}`);
  const symbolize: Symbolizer = opts.symbolize ?? ((a) => {
    try {
      const i = engine.addressInfo(a);
      return i.function ? { function: i.function, offset: i.offset ?? 0 } : undefined;
    } catch {
      return undefined;
    }
  });
  return decode(mem.data, start, { max: opts.count, flavor: opts.flavor, symbolize, end: opts.count !== undefined ? Number.MAX_SAFE_INTEGER : end });
}
