// Disassembly for -data-disassemble, `x/i` and `disassemble`, on iced-x86 (a maintained x86 decoder
// shipped as WebAssembly in the npm package: nothing native to build). Output is laid out as gdb
// prints AT&T syntax: `mov    -0x4(%rbp),%edx`, `call   0x555555555139 <add>`,
// `lea    0xe9c(%rip),%rax        # 0x555555556004 <greeting>`.
import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction } from 'iced-x86';
import type { Engine } from '../engine/api';

export interface DisasmLine {
  address: number;
  bytes: number[];
  text: string;
  function?: string;
  offset?: number;
}

const formatters = new Map<string, Formatter>();

function formatter(flavor: 'att' | 'intel'): Formatter {
  let f = formatters.get(flavor);
  if (f) return f;
  f = new Formatter(flavor === 'intel' ? FormatterSyntax.Intel : FormatterSyntax.Gas);
  f.ripRelativeAddresses = true;
  f.smallHexNumbersInDecimal = false;
  f.branchLeadingZeros = false;
  f.leadingZeros = false;
  f.displacementLeadingZeros = false;
  f.spaceAfterOperandSeparator = false;
  f.showBranchSize = false;
  f.hexPrefix = '0x';
  f.hexSuffix = '';
  f.uppercaseHex = false;
  f.firstOperandCharIndex = 7;
  f.showZeroDisplacements = false;
  f.signedImmediateOperands = false;
  if (flavor === 'intel') {
    f.memorySizeOptions = 1; // Always show "DWORD PTR".
    f.spaceAfterOperandSeparator = false;
  }
  formatters.set(flavor, f);
  return f;
}

export type Symbolizer = (address: number) => { function?: string; offset?: number } | undefined;

/** Decodes instructions in a buffer loaded at `address`. */
export function decode(bytes: Buffer, address: number, opts: { max?: number; flavor?: 'att' | 'intel'; symbolize?: Symbolizer; end?: number } = {}): DisasmLine[] {
  const out: DisasmLine[] = [];
  const f = formatter(opts.flavor ?? 'att');
  const decoder = new Decoder(64, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), DecoderOptions.None);
  decoder.ip = BigInt(address);
  const insn = new Instruction();
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const end = opts.end ?? address + bytes.length;
  try {
    let pos = 0;
    while (decoder.canDecode && out.length < max) {
      const ip = address + pos;
      if (ip >= end) break;
      decoder.decodeOut(insn);
      const len = insn.length;
      if (pos + len > bytes.length) break;
      const raw = [...bytes.subarray(pos, pos + len)];
      let text: string;
      if (insn.isInvalid) {
        text = '(bad)';
      } else {
        text = tidy(f.format(insn));
        const sym = opts.symbolize;
        const fc = insn.flowControl;
        if ((fc === FlowControl.Call || fc === FlowControl.UnconditionalBranch || fc === FlowControl.ConditionalBranch) && isNearImmediate(text)) {
          const target = Number(insn.nearBranchTarget);
          const s = sym?.(target);
          if (s?.function) text += ` <${s.function}${s.offset ? '+' + s.offset : ''}>`;
        } else if (insn.isIpRelMemoryOperand) {
          const target = Number(insn.ipRelMemoryAddress);
          const s = sym?.(target);
          text += `        # 0x${target.toString(16)}` + (s?.function ? ` <${s.function}${s.offset ? '+' + s.offset : ''}>` : '');
        }
      }
      const s = opts.symbolize?.(ip);
      out.push({ address: ip, bytes: raw, text, function: s?.function, offset: s?.function ? s.offset ?? 0 : undefined });
      pos += len;
    }
  } finally {
    insn.free();
    decoder.free();
  }
  return out;
}

function isNearImmediate(text: string): boolean {
  return /\s0x[0-9a-f]+$/.test(text);
}

/** iced and GNU objdump differ in a few spellings; this brings iced's output to gdb's. */
function tidy(t: string): string {
  // "mov    %eax,%eax" layout is already right; GNU prints "nopw   0x0(%rax,%rax,1)" with an explicit 0x0.
  t = t.replace(/(^|\s|,)\((%r[a-z0-9]+),(%r[a-z0-9]+),(\d)\)/, '$10x0($2,$3,$4)');
  // Trailing blanks after a bare mnemonic ("ret    ").
  return t.replace(/\s+$/, '');
}

/** Reads and decodes [start, end) (or `count` instructions from start) through the engine. */
export async function disassemble(engine: Engine, start: number, end: number, opts: { count?: number; flavor?: 'att' | 'intel' } = {}): Promise<DisasmLine[]> {
  const len = Math.max(0, end - start) + 15;
  const mem = await engine.readMemory(start, len);
  if (!mem.data.length) throw new Error(`Cannot access memory at address 0x${start.toString(16)}`);
  const symbolize: Symbolizer = (a) => {
    try {
      const i = engine.addressInfo(a);
      return i.function ? { function: i.function, offset: i.offset ?? 0 } : undefined;
    } catch {
      return undefined;
    }
  };
  return decode(mem.data, start, { max: opts.count, flavor: opts.flavor, symbolize, end: opts.count !== undefined ? Number.MAX_SAFE_INTEGER : end });
}
