// DWARF expression evaluator (DWARF 2–5 plus the GNU extensions GCC emits), used for variable
// locations (DW_AT_location, DW_AT_frame_base, location-list entries) and for CFI rules
// (DW_CFA_def_cfa_expression, DW_CFA_expression, DW_CFA_val_expression).
//
// Values on the stack are unsigned 64-bit `bigint`s (the DWARF "generic type", masked to the
// address size). Signed operations (div, shra, abs, neg, comparisons) reinterpret them as two's
// complement. Everything the evaluator needs from the outside world (registers, memory, the frame
// base, .debug_addr, TLS, entry values) comes through `ExprContext` callbacks, so the same code
// serves live processes, core files and tests.

/** A small little-endian byte cursor over a Buffer; errors name the section and absolute offset. */
export class DwarfCursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    /** Section name for error messages (e.g. ".eh_frame"). */
    readonly section: string,
    /** Offset of `buf[0]` within that section, so messages give section offsets. */
    readonly base = 0,
    start = 0,
  ) {
    this.pos = start;
  }
  get offset(): number {
    return this.base + this.pos;
  }
  get eof(): boolean {
    return this.pos >= this.buf.length;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  fail(msg: string, at = this.offset): never {
    throw new DwarfFormatError(`${this.section}+0x${at.toString(16)}: ${msg}`, this.section, at);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`unexpected end of data (need ${n} byte(s), ${this.remaining} left)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  /** Unsigned value of `size` bytes (1, 2, 4 or 8). */
  uN(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.u8());
      case 2: return BigInt(this.u16());
      case 4: return BigInt(this.u32());
      case 8: return this.u64();
      default: return this.fail(`unsupported field size ${size}`);
    }
  }
  /** Signed value of `size` bytes (1, 2, 4 or 8). */
  sN(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.i8());
      case 2: return BigInt(this.i16());
      case 4: return BigInt(this.i32());
      case 8: return this.i64();
      default: return this.fail(`unsupported field size ${size}`);
    }
  }
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }
  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }
  /** ULEB128 as a number; fails when it does not fit exactly. */
  uleb(): number {
    const at = this.offset;
    const v = this.ulebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`ULEB128 value 0x${v.toString(16)} too large`, at);
    return Number(v);
  }
  sleb(): number {
    const at = this.offset;
    const v = this.slebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`SLEB128 value ${v} too large`, at);
    return Number(v);
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) this.fail('unterminated string');
    const s = this.buf.toString('latin1', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

/** Malformed DWARF data (truncated section, bad length, unknown encoding...). */
export class DwarfFormatError extends Error {
  constructor(message: string, readonly section: string, readonly sectionOffset: number) {
    super(message);
    this.name = 'DwarfFormatError';
  }
}

/** An expression that cannot be evaluated: bad opcode, stack underflow, unreadable memory... */
export class DwarfExprError extends Error {
  constructor(message: string, readonly opcode: number | undefined, readonly exprOffset: number) {
    super(message);
    this.name = 'DwarfExprError';
  }
}

/** Thrown by a context callback (or internally) when a value is not available in this frame. */
export class OptimizedOut extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OptimizedOut';
  }
}

export const DW_OP = {
  addr: 0x03, deref: 0x06, const1u: 0x08, const1s: 0x09, const2u: 0x0a, const2s: 0x0b, const4u: 0x0c,
  const4s: 0x0d, const8u: 0x0e, const8s: 0x0f, constu: 0x10, consts: 0x11, dup: 0x12, drop: 0x13,
  over: 0x14, pick: 0x15, swap: 0x16, rot: 0x17, xderef: 0x18, abs: 0x19, and: 0x1a, div: 0x1b,
  minus: 0x1c, mod: 0x1d, mul: 0x1e, neg: 0x1f, not: 0x20, or: 0x21, plus: 0x22, plus_uconst: 0x23,
  shl: 0x24, shr: 0x25, shra: 0x26, xor: 0x27, bra: 0x28, eq: 0x29, ge: 0x2a, gt: 0x2b, le: 0x2c,
  lt: 0x2d, ne: 0x2e, skip: 0x2f, lit0: 0x30, lit31: 0x4f, reg0: 0x50, reg31: 0x6f, breg0: 0x70,
  breg31: 0x8f, regx: 0x90, fbreg: 0x91, bregx: 0x92, piece: 0x93, deref_size: 0x94,
  xderef_size: 0x95, nop: 0x96, push_object_address: 0x97, call2: 0x98, call4: 0x99, call_ref: 0x9a,
  form_tls_address: 0x9b, call_frame_cfa: 0x9c, bit_piece: 0x9d, implicit_value: 0x9e,
  stack_value: 0x9f, implicit_pointer: 0xa0, addrx: 0xa1, constx: 0xa2, entry_value: 0xa3,
  const_type: 0xa4, regval_type: 0xa5, deref_type: 0xa6, xderef_type: 0xa7, convert: 0xa8,
  reinterpret: 0xa9, GNU_push_tls_address: 0xe0, GNU_uninit: 0xf0, GNU_encoded_addr: 0xf1,
  GNU_implicit_pointer: 0xf2, GNU_entry_value: 0xf3, GNU_const_type: 0xf4, GNU_regval_type: 0xf5,
  GNU_deref_type: 0xf6, GNU_convert: 0xf7, GNU_reinterpret: 0xf9, GNU_parameter_ref: 0xfa,
  GNU_addr_index: 0xfb, GNU_const_index: 0xfc, GNU_variable_value: 0xfd,
} as const;

const OP_NAMES: Map<number, string> = (() => {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(DW_OP)) m.set(v, `DW_OP_${k}`);
  for (let i = 0; i < 32; i++) {
    m.set(0x30 + i, `DW_OP_lit${i}`);
    m.set(0x50 + i, `DW_OP_reg${i}`);
    m.set(0x70 + i, `DW_OP_breg${i}`);
  }
  return m;
})();

export function opName(op: number): string {
  return OP_NAMES.get(op) ?? `DW_OP_<0x${op.toString(16)}>`;
}

const X86_64_REG_NAMES = [
  'rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
];
/** Name of an x86-64 DWARF register number (rax, ..., rip, xmm0.., st0.., rflags, fs.base...). */
export function dwarfRegName(reg: number): string {
  if (reg < X86_64_REG_NAMES.length) return X86_64_REG_NAMES[reg];
  if (reg >= 17 && reg <= 32) return `xmm${reg - 17}`;
  if (reg >= 33 && reg <= 40) return `st${reg - 33}`;
  if (reg >= 41 && reg <= 48) return `mm${reg - 41}`;
  if (reg === 49) return 'rflags';
  if (reg >= 50 && reg <= 55) return ['es', 'cs', 'ss', 'ds', 'fs', 'gs'][reg - 50];
  if (reg === 58) return 'fs.base';
  if (reg === 59) return 'gs.base';
  return `r${reg}`;
}

/** Where a value lives, as computed by an expression. */
export type Location =
  | { kind: 'memory'; address: bigint }
  | { kind: 'register'; reg: number }
  /** DW_OP_stack_value: the value itself (generic type, address-sized). */
  | { kind: 'value'; value: bigint }
  /** DW_OP_implicit_value: the bytes of the value. */
  | { kind: 'implicit'; bytes: Buffer }
  /** DW_OP_implicit_pointer: a pointer to the value of DIE `die` (a .debug_info offset), plus `offset`. */
  | { kind: 'implicit-pointer'; die: number; offset: bigint }
  | { kind: 'composite'; pieces: Piece[] }
  | { kind: 'optimized-out'; reason: string };

/** One part of a composite location. `location` is never composite. */
export interface Piece {
  location: Exclude<Location, { kind: 'composite' }>;
  /** Size of this piece in bits (DW_OP_piece n gives n*8). */
  sizeBits: number;
  /** DW_OP_bit_piece offset: bits to skip in the source location (0 for DW_OP_piece). */
  offsetBits: number;
}

/** Everything the evaluator may need from its environment. All members are optional. */
export interface ExprContext {
  /** Address size in bytes (8 on x86-64; 4 for 32-bit targets). */
  addressSize?: number;
  /** Size of a .debug_info offset (4 for 32-bit DWARF, 8 for DWARF64). */
  offsetSize?: number;
  /** DWARF version of the unit (affects DW_OP_call_ref / implicit_pointer operand size in v2). */
  version?: number;
  /** Value of a DWARF register in the frame being examined; undefined = not available. */
  readRegister?(reg: number): bigint | undefined;
  /** Reads target memory; undefined = unreadable. */
  readMemory?(address: bigint, size: number): Buffer | undefined;
  /** Reads memory in an address space (DW_OP_xderef*). Defaults to readMemory when space is 0. */
  readMemorySpace?(space: bigint, address: bigint, size: number): Buffer | undefined;
  /** The function's frame base (value of DW_AT_frame_base, see `frameBaseValue`). */
  frameBase?(): bigint;
  /** Canonical frame address of the frame being examined (DW_OP_call_frame_cfa). */
  callFrameCfa?(): bigint;
  /** Entry `index` of .debug_addr for this unit (DW_OP_addrx, DW_OP_constx, GNU_addr_index...). */
  debugAddr?(index: number): bigint;
  /** Relocates a TLS offset for the current thread (DW_OP_form_tls_address / GNU_push_tls_address). */
  tlsAddress?(offset: bigint): bigint;
  /** The object address for DW_OP_push_object_address. */
  objectAddress?: bigint;
  /**
   * Evaluation context for DW_OP_entry_value: registers/memory as they were on entry to the current
   * function (typically the caller frame's registers at the call). Absent = entry values are
   * reported as optimized out.
   */
  entryContext?: ExprContext;
  /** Value of a formal parameter at the call site (DW_OP_GNU_parameter_ref; CU-relative DIE offset). */
  parameterRef?(dieOffset: number): bigint | undefined;
  /** DW_AT_location expression of the DIE at `dieOffset` for DW_OP_call2/call4/call_ref. */
  callExpression?(dieOffset: number, kind: 'cu' | 'info'): Buffer | undefined;
  /** Byte size of the base type DIE at CU-relative `dieOffset` (typed-stack ops). */
  baseTypeSize?(dieOffset: number): number | undefined;
  /** Value of the variable DIE (DW_OP_GNU_variable_value). */
  variableValue?(dieOffset: number): bigint | undefined;
  /**
   * Relocates a link-time address from DW_OP_addr / DW_OP_addrx (adds the object's load bias for
   * PIEs and shared libraries). DW_OP_constx values are not relocated.
   */
  relocate?(address: bigint): bigint;
}

export interface EvaluateOptions {
  /** Values pushed before evaluation (e.g. the CFA for DW_CFA_expression rules). */
  initialStack?: bigint[];
  /** Name used in error messages (e.g. "DW_AT_location of 'x'"). */
  what?: string;
  /** Offset of the expression within its section, added to error offsets. */
  baseOffset?: number;
  /** Safety limit on executed operations (guards against branch loops). */
  maxSteps?: number;
}

const MASK64 = (1n << 64n) - 1n;

function toSigned(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v);
}

/** Internal per-evaluation state. */
class Machine {
  stack: bigint[] = [];
  readonly mask: bigint;
  readonly bits: number;
  readonly addrSize: number;
  constructor(readonly ctx: ExprContext, readonly what: string, readonly baseOffset: number) {
    this.addrSize = ctx.addressSize ?? 8;
    this.bits = this.addrSize * 8;
    this.mask = this.addrSize >= 8 ? MASK64 : (1n << BigInt(this.bits)) - 1n;
  }
  err(msg: string, op: number | undefined, at: number): never {
    const where = op === undefined ? '' : `${opName(op)} `;
    throw new DwarfExprError(
      `${this.what}: ${where}at offset ${at + this.baseOffset}: ${msg}`,
      op,
      at + this.baseOffset,
    );
  }
  push(v: bigint): void {
    this.stack.push(v & this.mask);
  }
  pop(op: number, at: number): bigint {
    const v = this.stack.pop();
    if (v === undefined) this.err('stack underflow', op, at);
    return v;
  }
  peek(op: number, at: number, depth = 0): bigint {
    const i = this.stack.length - 1 - depth;
    if (i < 0) this.err(`stack underflow (needs ${depth + 1} entries, has ${this.stack.length})`, op, at);
    return this.stack[i];
  }
  signed(v: bigint): bigint {
    return toSigned(v, this.bits);
  }
  reg(ctx: ExprContext, r: number): bigint {
    const v = ctx.readRegister?.(r);
    if (v === undefined) throw new OptimizedOut(`register ${dwarfRegName(r)} is not available in this frame`);
    return v;
  }
  mem(ctx: ExprContext, addr: bigint, size: number, op: number, at: number, space?: bigint): bigint {
    let b: Buffer | undefined;
    if (space !== undefined) {
      if (ctx.readMemorySpace) b = ctx.readMemorySpace(space, addr, size);
      else if (space === 0n) b = ctx.readMemory?.(addr, size);
      else this.err(`address space ${space} is not supported`, op, at);
    } else {
      if (!ctx.readMemory) this.err('no memory available to dereference', op, at);
      b = ctx.readMemory(addr, size);
    }
    if (!b || b.length < size) this.err(`cannot read ${size} byte(s) of memory at 0x${addr.toString(16)}`, op, at);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  }
}

type SimpleLocation = Exclude<Location, { kind: 'composite' }>;

/**
 * Evaluates a DWARF expression and returns the location it describes.
 * Throws DwarfExprError for malformed/unsupported expressions (naming the opcode and offset).
 * Unavailable inputs (registers unknown in this frame, entry values without a caller) give
 * `{ kind: 'optimized-out' }` (or an optimized-out piece in a composite).
 */
export function evaluate(expr: Buffer, ctx: ExprContext = {}, options: EvaluateOptions = {}): Location {
  if (!options.initialStack?.length) {
    const fast = evaluateSimple(expr, ctx);
    if (fast) return fast;
  }
  const m = new Machine(ctx, options.what ?? 'DWARF expression', options.baseOffset ?? 0);
  for (const v of options.initialStack ?? []) m.push(v);
  const pieces: Piece[] = [];
  try {
    return run(m, ctx, expr, pieces, options.maxSteps ?? 100000, 0);
  } catch (e) {
    if (e instanceof OptimizedOut) return { kind: 'optimized-out', reason: e.reason };
    throw e;
  }
}

/**
 * The two expressions that locate nearly every variable and frame base of unoptimised code,
 * `DW_OP_fbreg N` and `DW_OP_call_frame_cfa`, evaluated without the machine (same results as `run`;
 * anything else, or a context lacking what they need, returns undefined for the general path).
 */
function evaluateSimple(expr: Buffer, ctx: ExprContext): Location | undefined {
  const op = expr[0];
  let fbreg: boolean;
  let off = 0;
  if (op === DW_OP.call_frame_cfa && expr.length === 1 && ctx.callFrameCfa) {
    fbreg = false;
  } else if (op === DW_OP.fbreg && ctx.frameBase && expr.length >= 2 && expr.length <= 7) {
    // SLEB128 operand (at most 6 bytes: exact in a double) that must end the expression.
    let mul = 1;
    let i = 1;
    let byte = 0;
    for (; i < expr.length; i++) {
      byte = expr[i];
      off += (byte & 0x7f) * mul;
      mul *= 128;
      if ((byte & 0x80) === 0) break;
    }
    if (i !== expr.length - 1) return undefined;
    if (byte & 0x40) off -= mul;
    fbreg = true;
  } else {
    return undefined;
  }
  try {
    const base = fbreg ? ctx.frameBase!() + BigInt(off) : ctx.callFrameCfa!();
    const addrSize = ctx.addressSize ?? 8;
    return { kind: 'memory', address: base & (addrSize >= 8 ? MASK64 : (1n << BigInt(addrSize * 8)) - 1n) };
  } catch (e) {
    if (e instanceof OptimizedOut) return { kind: 'optimized-out', reason: e.reason };
    if (e instanceof DwarfFormatError) return undefined; // the general path words this one
    throw e;
  }
}

/** Evaluates an expression and returns its final stack, bottom first (for tests and diagnostics). */
export function evaluateStack(expr: Buffer, ctx: ExprContext = {}, options: EvaluateOptions = {}): bigint[] {
  const m = new Machine(ctx, options.what ?? 'DWARF expression', options.baseOffset ?? 0);
  for (const v of options.initialStack ?? []) m.push(v);
  run(m, ctx, expr, [], options.maxSteps ?? 100000, 0);
  return m.stack;
}

/**
 * Evaluates an expression whose result is a value: the CFA for DW_CFA_def_cfa_expression, a
 * register's saved address for DW_CFA_expression, a value for DW_CFA_val_expression, a frame base.
 * Memory locations give their address, stack values their value, register locations the register's
 * contents. Throws OptimizedOut when inputs are unavailable, DwarfExprError otherwise.
 */
export function evaluateValue(expr: Buffer, ctx: ExprContext = {}, options: EvaluateOptions = {}): bigint {
  const loc = evaluate(expr, ctx, options);
  return locationAsValue(loc, ctx, options.what ?? 'DWARF expression');
}

/** The value a (non-composite) location stands for when used as an address/frame base. */
export function locationAsValue(loc: Location, ctx: ExprContext, what = 'DWARF expression'): bigint {
  switch (loc.kind) {
    case 'memory': return loc.address;
    case 'value': return loc.value;
    case 'register': {
      const v = ctx.readRegister?.(loc.reg);
      if (v === undefined) throw new OptimizedOut(`register ${dwarfRegName(loc.reg)} is not available in this frame`);
      return v;
    }
    case 'optimized-out': throw new OptimizedOut(loc.reason);
    case 'implicit': {
      let v = 0n;
      for (let i = Math.min(loc.bytes.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(loc.bytes[i]);
      return v;
    }
    default:
      throw new DwarfExprError(`${what}: a ${loc.kind} location cannot be used as a value`, undefined, 0);
  }
}

/**
 * Computes a function's frame base from its DW_AT_frame_base expression: DW_OP_call_frame_cfa gives
 * the CFA, DW_OP_reg6 gives rbp's value, DW_OP_breg7 8 gives rsp+8, and so on.
 */
export function frameBaseValue(expr: Buffer, ctx: ExprContext): bigint {
  return evaluateValue(expr, ctx, { what: 'DW_AT_frame_base' });
}

function run(m: Machine, ctx: ExprContext, expr: Buffer, pieces: Piece[], maxSteps: number, depth: number): Location {
  if (depth > 16) m.err('DW_OP_call nesting too deep', undefined, 0);
  const c = new DwarfCursor(expr, 'expression');
  let regLoc: number | undefined;
  let implicit: Buffer | undefined;
  let implicitPtr: { die: number; offset: bigint } | undefined;
  let isStackValue = false;
  /** Set when a value in the current piece turned out unavailable: skip to the next piece. */
  let pieceOut: string | undefined;
  let steps = 0;
  const addrSize = m.addrSize;
  const offsetSize = ctx.offsetSize ?? 4;
  const refSize = (ctx.version ?? 4) <= 2 ? addrSize : offsetSize;

  const takePiece = (op: number, at: number): SimpleLocation => {
    let loc: SimpleLocation;
    if (pieceOut !== undefined) loc = { kind: 'optimized-out', reason: pieceOut };
    else if (regLoc !== undefined) loc = { kind: 'register', reg: regLoc };
    else if (implicit) loc = { kind: 'implicit', bytes: implicit };
    else if (implicitPtr) loc = { kind: 'implicit-pointer', ...implicitPtr };
    else if (isStackValue) loc = { kind: 'value', value: m.pop(op, at) };
    else if (m.stack.length === 0) loc = { kind: 'optimized-out', reason: 'piece has no location' };
    else loc = { kind: 'memory', address: m.pop(op, at) };
    regLoc = undefined;
    implicit = undefined;
    implicitPtr = undefined;
    isStackValue = false;
    pieceOut = undefined;
    return loc;
  };
  /** Ops that end a simple location must be followed by a piece op or the end of the expression. */
  const terminal = (op: number, at: number): void => {
    if (c.eof) return;
    const next = expr[c.pos];
    if (next !== DW_OP.piece && next !== DW_OP.bit_piece) {
      m.err(`must be the last operation or be followed by DW_OP_piece (found ${opName(next)})`, op, at);
    }
  };

  while (!c.eof) {
    if (++steps > maxSteps) m.err(`evaluation exceeded ${maxSteps} steps (loop?)`, undefined, c.pos);
    const at = c.pos;
    const op = c.u8();
    try {
      // In a piece whose value is unavailable, only decode (skip) operations up to the next piece.
      if (pieceOut !== undefined && op !== DW_OP.piece && op !== DW_OP.bit_piece) {
        skipOperands(m, c, op, at, addrSize, refSize);
        continue;
      }
      if (op >= DW_OP.lit0 && op <= DW_OP.lit31) {
        m.push(BigInt(op - DW_OP.lit0));
        continue;
      }
      if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
        regLoc = op - DW_OP.reg0;
        terminal(op, at);
        continue;
      }
      if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
        const off = c.slebBig();
        m.push(m.reg(ctx, op - DW_OP.breg0) + off);
        continue;
      }
      switch (op) {
        case DW_OP.addr: {
          const a = c.uN(addrSize);
          m.push(ctx.relocate ? ctx.relocate(a) : a);
          break;
        }
        case DW_OP.deref: m.push(m.mem(ctx, m.pop(op, at), addrSize, op, at)); break;
        case DW_OP.deref_size: {
          const size = c.u8();
          if (size < 1 || size > addrSize) m.err(`bad size ${size}`, op, at);
          m.push(m.mem(ctx, m.pop(op, at), size, op, at));
          break;
        }
        case DW_OP.xderef: {
          const addr = m.pop(op, at);
          const space = m.pop(op, at);
          m.push(m.mem(ctx, addr, addrSize, op, at, space));
          break;
        }
        case DW_OP.xderef_size: {
          const size = c.u8();
          if (size < 1 || size > addrSize) m.err(`bad size ${size}`, op, at);
          const addr = m.pop(op, at);
          const space = m.pop(op, at);
          m.push(m.mem(ctx, addr, size, op, at, space));
          break;
        }
        case DW_OP.const1u: m.push(BigInt(c.u8())); break;
        case DW_OP.const1s: m.push(BigInt(c.i8())); break;
        case DW_OP.const2u: m.push(BigInt(c.u16())); break;
        case DW_OP.const2s: m.push(BigInt(c.i16())); break;
        case DW_OP.const4u: m.push(BigInt(c.u32())); break;
        case DW_OP.const4s: m.push(BigInt(c.i32())); break;
        case DW_OP.const8u: m.push(c.u64()); break;
        case DW_OP.const8s: m.push(c.i64()); break;
        case DW_OP.constu: m.push(c.ulebBig()); break;
        case DW_OP.consts: m.push(c.slebBig()); break;
        case DW_OP.dup: m.push(m.peek(op, at)); break;
        case DW_OP.drop: m.pop(op, at); break;
        case DW_OP.over: m.push(m.peek(op, at, 1)); break;
        case DW_OP.pick: {
          const idx = c.u8();
          m.push(m.peek(op, at, idx));
          break;
        }
        case DW_OP.swap: {
          const a = m.pop(op, at);
          const b = m.pop(op, at);
          m.push(a);
          m.push(b);
          break;
        }
        case DW_OP.rot: {
          // Top three entries: [.., third, second, top] -> [.., top, third, second].
          const top = m.pop(op, at);
          const second = m.pop(op, at);
          const third = m.pop(op, at);
          m.push(top);
          m.push(third);
          m.push(second);
          break;
        }
        case DW_OP.abs: {
          const v = m.signed(m.pop(op, at));
          m.push(v < 0n ? -v : v);
          break;
        }
        case DW_OP.neg: m.push(-m.signed(m.pop(op, at))); break;
        case DW_OP.not: m.push(~m.pop(op, at)); break;
        case DW_OP.and:
        case DW_OP.or:
        case DW_OP.xor:
        case DW_OP.plus:
        case DW_OP.minus:
        case DW_OP.mul:
        case DW_OP.div:
        case DW_OP.mod:
        case DW_OP.shl:
        case DW_OP.shr:
        case DW_OP.shra:
        case DW_OP.eq:
        case DW_OP.ne:
        case DW_OP.lt:
        case DW_OP.le:
        case DW_OP.gt:
        case DW_OP.ge: {
          const b = m.pop(op, at); // top
          const a = m.pop(op, at); // second
          m.push(binary(m, op, a, b, at));
          break;
        }
        case DW_OP.plus_uconst: m.push(m.pop(op, at) + c.ulebBig()); break;
        case DW_OP.skip: {
          const delta = c.i16();
          const target = c.pos + delta;
          if (target < 0 || target > expr.length) m.err(`branch target ${target} outside the expression`, op, at);
          c.pos = target;
          break;
        }
        case DW_OP.bra: {
          const delta = c.i16();
          if (m.pop(op, at) !== 0n) {
            const target = c.pos + delta;
            if (target < 0 || target > expr.length) m.err(`branch target ${target} outside the expression`, op, at);
            c.pos = target;
          }
          break;
        }
        case DW_OP.regx:
          regLoc = c.uleb();
          terminal(op, at);
          break;
        case DW_OP.fbreg: {
          const off = c.slebBig();
          if (!ctx.frameBase) m.err('no frame base available', op, at);
          m.push(ctx.frameBase() + off);
          break;
        }
        case DW_OP.bregx: {
          const r = c.uleb();
          const off = c.slebBig();
          m.push(m.reg(ctx, r) + off);
          break;
        }
        case DW_OP.piece: {
          const size = c.uleb();
          pieces.push({ location: takePiece(op, at), sizeBits: size * 8, offsetBits: 0 });
          break;
        }
        case DW_OP.bit_piece: {
          const size = c.uleb();
          const offset = c.uleb();
          pieces.push({ location: takePiece(op, at), sizeBits: size, offsetBits: offset });
          break;
        }
        case DW_OP.nop: break;
        case DW_OP.push_object_address:
          if (ctx.objectAddress === undefined) m.err('no object address available', op, at);
          m.push(ctx.objectAddress);
          break;
        case DW_OP.call2:
        case DW_OP.call4:
        case DW_OP.call_ref: {
          const die = op === DW_OP.call2 ? c.u16() : op === DW_OP.call4 ? c.u32() : Number(c.uN(refSize));
          if (!ctx.callExpression) m.err('no DIE lookup available', op, at);
          const sub = ctx.callExpression(die, op === DW_OP.call_ref ? 'info' : 'cu');
          // A DIE without DW_AT_location is a no-op call.
          if (sub && sub.length) {
            const r = run(m, ctx, sub, pieces, maxSteps - steps, depth + 1);
            // The callee may only manipulate the stack; a location result would end the evaluation.
            if (r.kind !== 'memory' && r.kind !== 'optimized-out') m.err('called expression produced a non-stack location', op, at);
          }
          break;
        }
        case DW_OP.form_tls_address:
        case DW_OP.GNU_push_tls_address: {
          const off = m.pop(op, at);
          if (!ctx.tlsAddress) m.err('no thread-local storage support available', op, at);
          m.push(ctx.tlsAddress(off));
          break;
        }
        case DW_OP.call_frame_cfa:
          if (!ctx.callFrameCfa) m.err('no CFA available', op, at);
          m.push(ctx.callFrameCfa());
          break;
        case DW_OP.implicit_value: {
          const len = c.uleb();
          implicit = Buffer.from(c.bytes(len));
          terminal(op, at);
          break;
        }
        case DW_OP.stack_value:
          m.peek(op, at);
          isStackValue = true;
          terminal(op, at);
          break;
        case DW_OP.implicit_pointer:
        case DW_OP.GNU_implicit_pointer: {
          const die = Number(c.uN(refSize));
          const off = c.slebBig();
          implicitPtr = { die, offset: off };
          terminal(op, at);
          break;
        }
        case DW_OP.addrx:
        case DW_OP.constx:
        case DW_OP.GNU_addr_index:
        case DW_OP.GNU_const_index: {
          const idx = c.uleb();
          if (!ctx.debugAddr) m.err('no .debug_addr resolver available', op, at);
          const a = ctx.debugAddr(idx);
          const isAddress = op === DW_OP.addrx || op === DW_OP.GNU_addr_index;
          m.push(isAddress && ctx.relocate ? ctx.relocate(a) : a);
          break;
        }
        case DW_OP.entry_value:
        case DW_OP.GNU_entry_value: {
          const len = c.uleb();
          const inner = c.bytes(len);
          if (!ctx.entryContext) throw new OptimizedOut('entry value not available (caller frame unknown)');
          m.push(entryValue(m, ctx.entryContext, inner, op, at));
          break;
        }
        case DW_OP.GNU_parameter_ref: {
          const die = c.u32();
          const v = ctx.parameterRef?.(die);
          if (v === undefined) throw new OptimizedOut(`parameter value at call site not available (DIE 0x${die.toString(16)})`);
          m.push(v);
          break;
        }
        case DW_OP.GNU_variable_value: {
          const die = Number(c.uN(refSize));
          const v = ctx.variableValue?.(die);
          if (v === undefined) throw new OptimizedOut(`value of variable DIE 0x${die.toString(16)} not available`);
          m.push(v);
          break;
        }
        case DW_OP.const_type:
        case DW_OP.GNU_const_type: {
          c.uleb(); // base type DIE
          const size = c.u8();
          const bytes = c.bytes(size);
          let v = 0n;
          for (let i = Math.min(size, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
          m.push(v);
          break;
        }
        case DW_OP.regval_type:
        case DW_OP.GNU_regval_type: {
          const r = c.uleb();
          const type = c.uleb();
          let v = m.reg(ctx, r);
          const size = ctx.baseTypeSize?.(type);
          if (size !== undefined && size < 8) v &= (1n << BigInt(size * 8)) - 1n;
          m.push(v);
          break;
        }
        case DW_OP.deref_type:
        case DW_OP.GNU_deref_type: {
          const size = c.u8();
          c.uleb(); // base type DIE
          if (size < 1 || size > 8) m.err(`unsupported typed dereference of ${size} bytes`, op, at);
          m.push(m.mem(ctx, m.pop(op, at), size, op, at));
          break;
        }
        case DW_OP.xderef_type: {
          const size = c.u8();
          c.uleb();
          if (size < 1 || size > 8) m.err(`unsupported typed dereference of ${size} bytes`, op, at);
          const addr = m.pop(op, at);
          const space = m.pop(op, at);
          m.push(m.mem(ctx, addr, size, op, at, space));
          break;
        }
        case DW_OP.convert:
        case DW_OP.GNU_convert:
        case DW_OP.reinterpret:
        case DW_OP.GNU_reinterpret: {
          const type = c.uleb();
          // Type 0 means "the generic type". Truncate to the base type's size when known.
          const size = type === 0 ? undefined : ctx.baseTypeSize?.(type);
          if (size !== undefined && size < 8) m.push(m.pop(op, at) & ((1n << BigInt(size * 8)) - 1n));
          break;
        }
        case DW_OP.GNU_uninit:
          break;
        case DW_OP.GNU_encoded_addr:
          m.err('DW_OP_GNU_encoded_addr is not supported', op, at);
          break;
        default:
          m.err(`unknown opcode 0x${op.toString(16)}`, op, at);
      }
    } catch (e) {
      if (e instanceof OptimizedOut) {
        // Outside a composite the whole value is unavailable; inside one, only this piece.
        if (pieces.length === 0 && !hasPieceAfter(m, expr, c.pos, addrSize, refSize)) throw e;
        pieceOut = e.reason;
        continue;
      }
      if (e instanceof DwarfFormatError) m.err(`truncated operands (${e.message})`, op, at);
      throw e;
    }
  }

  if (pieces.length) {
    if (regLoc !== undefined || implicit || implicitPtr || isStackValue || pieceOut !== undefined) {
      m.err('location operations after the last DW_OP_piece', undefined, expr.length);
    }
    return { kind: 'composite', pieces };
  }
  if (depth > 0) return { kind: 'memory', address: m.stack.length ? m.stack[m.stack.length - 1] : 0n };
  if (pieceOut !== undefined) return { kind: 'optimized-out', reason: pieceOut };
  if (regLoc !== undefined) return { kind: 'register', reg: regLoc };
  if (implicit) return { kind: 'implicit', bytes: implicit };
  if (implicitPtr) return { kind: 'implicit-pointer', ...implicitPtr };
  if (isStackValue) return { kind: 'value', value: m.peek(DW_OP.stack_value, expr.length) };
  if (m.stack.length === 0) return { kind: 'optimized-out', reason: 'empty location expression' };
  return { kind: 'memory', address: m.stack[m.stack.length - 1] };
}

function binary(m: Machine, op: number, a: bigint, b: bigint, at: number): bigint {
  const sa = () => m.signed(a);
  const sb = () => m.signed(b);
  switch (op) {
    case DW_OP.and: return a & b;
    case DW_OP.or: return a | b;
    case DW_OP.xor: return a ^ b;
    case DW_OP.plus: return a + b;
    case DW_OP.minus: return a - b;
    case DW_OP.mul: return a * b;
    case DW_OP.div:
      if (b === 0n) m.err('division by zero', op, at);
      return sa() / sb(); // BigInt division truncates toward zero, like C
    case DW_OP.mod:
      if (b === 0n) m.err('division by zero', op, at);
      return a % b; // unsigned modulo of the generic type
    case DW_OP.shl: return b >= BigInt(m.bits) ? 0n : a << b;
    case DW_OP.shr: return b >= BigInt(m.bits) ? 0n : a >> b;
    case DW_OP.shra: return sa() >> (b >= BigInt(m.bits) ? BigInt(m.bits - 1) : b);
    case DW_OP.eq: return a === b ? 1n : 0n;
    case DW_OP.ne: return a !== b ? 1n : 0n;
    case DW_OP.lt: return sa() < sb() ? 1n : 0n;
    case DW_OP.le: return sa() <= sb() ? 1n : 0n;
    case DW_OP.gt: return sa() > sb() ? 1n : 0n;
    case DW_OP.ge: return sa() >= sb() ? 1n : 0n;
    default: return m.err('not a binary operation', op, at);
  }
}

/** DW_OP_entry_value: a register (its value on entry) or an expression evaluated in the entry context. */
function entryValue(m: Machine, ectx: ExprContext, inner: Buffer, op: number, at: number): bigint {
  if (inner.length === 0) m.err('empty entry-value expression', op, at);
  const first = inner[0];
  if (first >= DW_OP.reg0 && first <= DW_OP.reg31 && inner.length === 1) return m.reg(ectx, first - DW_OP.reg0);
  if (first === DW_OP.regx) {
    const c = new DwarfCursor(inner, 'expression', 0, 1);
    const r = c.uleb();
    if (c.eof) return m.reg(ectx, r);
  }
  const loc = evaluate(inner, { ...ectx, addressSize: m.addrSize }, { what: `${m.what} (entry value)` });
  if (loc.kind === 'optimized-out') throw new OptimizedOut(loc.reason);
  if (loc.kind === 'memory') {
    // A DWARF expression block in DW_OP_entry_value computes a value: "memory" here is the stack top.
    return loc.address;
  }
  return locationAsValue(loc, ectx, m.what);
}

/** True if a DW_OP_piece/bit_piece follows `pos` (used to localise optimized-out values). */
function hasPieceAfter(m: Machine, expr: Buffer, pos: number, addrSize: number, refSize: number): boolean {
  const c = new DwarfCursor(expr, 'expression', 0, pos);
  try {
    while (!c.eof) {
      const at = c.pos;
      const op = c.u8();
      if (op === DW_OP.piece || op === DW_OP.bit_piece) return true;
      skipOperands(m, c, op, at, addrSize, refSize);
    }
  } catch {
    return false;
  }
  return false;
}

/** Advances the cursor past the operands of `op` without executing it. */
function skipOperands(m: Machine, c: DwarfCursor, op: number, at: number, addrSize: number, refSize: number): void {
  if (op >= DW_OP.lit0 && op <= DW_OP.reg31) return;
  if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
    c.slebBig();
    return;
  }
  switch (op) {
    case DW_OP.addr: c.bytes(addrSize); return;
    case DW_OP.const1u: case DW_OP.const1s: case DW_OP.pick: case DW_OP.deref_size: case DW_OP.xderef_size: c.bytes(1); return;
    case DW_OP.const2u: case DW_OP.const2s: case DW_OP.skip: case DW_OP.bra: case DW_OP.call2: c.bytes(2); return;
    case DW_OP.const4u: case DW_OP.const4s: case DW_OP.call4: case DW_OP.GNU_parameter_ref: c.bytes(4); return;
    case DW_OP.const8u: case DW_OP.const8s: c.bytes(8); return;
    case DW_OP.constu: case DW_OP.plus_uconst: case DW_OP.regx: case DW_OP.piece: case DW_OP.addrx: case DW_OP.constx:
    case DW_OP.GNU_addr_index: case DW_OP.GNU_const_index: case DW_OP.convert: case DW_OP.GNU_convert:
    case DW_OP.reinterpret: case DW_OP.GNU_reinterpret:
      c.ulebBig(); return;
    case DW_OP.consts: case DW_OP.fbreg: c.slebBig(); return;
    case DW_OP.bregx: c.ulebBig(); c.slebBig(); return;
    case DW_OP.bit_piece: c.ulebBig(); c.ulebBig(); return;
    case DW_OP.call_ref: case DW_OP.GNU_variable_value: c.bytes(refSize); return;
    case DW_OP.implicit_pointer: case DW_OP.GNU_implicit_pointer: c.bytes(refSize); c.slebBig(); return;
    case DW_OP.implicit_value: case DW_OP.entry_value: case DW_OP.GNU_entry_value: c.bytes(c.uleb()); return;
    case DW_OP.const_type: case DW_OP.GNU_const_type: c.ulebBig(); c.bytes(c.u8()); return;
    case DW_OP.regval_type: case DW_OP.GNU_regval_type: c.ulebBig(); c.ulebBig(); return;
    case DW_OP.deref_type: case DW_OP.GNU_deref_type: case DW_OP.xderef_type: c.u8(); c.ulebBig(); return;
    case DW_OP.deref: case DW_OP.dup: case DW_OP.drop: case DW_OP.over: case DW_OP.swap: case DW_OP.rot:
    case DW_OP.xderef: case DW_OP.abs: case DW_OP.and: case DW_OP.div: case DW_OP.minus: case DW_OP.mod:
    case DW_OP.mul: case DW_OP.neg: case DW_OP.not: case DW_OP.or: case DW_OP.plus: case DW_OP.shl:
    case DW_OP.shr: case DW_OP.shra: case DW_OP.xor: case DW_OP.eq: case DW_OP.ge: case DW_OP.gt:
    case DW_OP.le: case DW_OP.lt: case DW_OP.ne: case DW_OP.nop: case DW_OP.push_object_address:
    case DW_OP.form_tls_address: case DW_OP.GNU_push_tls_address: case DW_OP.call_frame_cfa:
    case DW_OP.stack_value: case DW_OP.GNU_uninit:
      return;
    default:
      m.err(`unknown opcode 0x${op.toString(16)}`, op, at);
  }
}

/**
 * Renders an expression the way readelf/objdump do ("DW_OP_fbreg: -20; DW_OP_deref"), for
 * diagnostics and for comparing against `readelf --debug-dump` in tests.
 */
export function disassemble(expr: Buffer, addressSize = 8, refSize = 4): string {
  const c = new DwarfCursor(expr, 'expression');
  const out: string[] = [];
  while (!c.eof) {
    const op = c.u8();
    const name = opName(op);
    const start = c.pos;
    if (op >= DW_OP.lit0 && op <= DW_OP.lit31) { out.push(name); continue; }
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) { out.push(`${name} (${dwarfRegName(op - DW_OP.reg0)})`); continue; }
    if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
      out.push(`${name} (${dwarfRegName(op - DW_OP.breg0)}): ${c.slebBig()}`);
      continue;
    }
    switch (op) {
      case DW_OP.addr: out.push(`${name}: ${c.uN(addressSize).toString(16)}`); continue;
      case DW_OP.fbreg: case DW_OP.consts: out.push(`${name}: ${c.slebBig()}`); continue;
      case DW_OP.constu: case DW_OP.plus_uconst: case DW_OP.piece: case DW_OP.addrx: case DW_OP.constx:
        out.push(`${name}: ${c.ulebBig()}`); continue;
      case DW_OP.const1u: out.push(`${name}: ${c.u8()}`); continue;
      case DW_OP.const1s: out.push(`${name}: ${c.i8()}`); continue;
      case DW_OP.const2u: out.push(`${name}: ${c.u16()}`); continue;
      case DW_OP.const2s: out.push(`${name}: ${c.i16()}`); continue;
      case DW_OP.const4u: out.push(`${name}: ${c.u32()}`); continue;
      case DW_OP.const4s: out.push(`${name}: ${c.i32()}`); continue;
      case DW_OP.const8u: out.push(`${name}: ${c.u64()}`); continue;
      case DW_OP.const8s: out.push(`${name}: ${c.i64()}`); continue;
      case DW_OP.regx: { const r = c.uleb(); out.push(`${name}: ${r} (${dwarfRegName(r)})`); continue; }
      case DW_OP.bregx: { const r = c.uleb(); out.push(`${name}: ${r} (${dwarfRegName(r)}) ${c.slebBig()}`); continue; }
      case DW_OP.bit_piece: out.push(`${name}: size: ${c.ulebBig()} offset: ${c.ulebBig()}`); continue;
      case DW_OP.deref_size: case DW_OP.xderef_size: case DW_OP.pick: out.push(`${name}: ${c.u8()}`); continue;
      case DW_OP.skip: case DW_OP.bra: out.push(`${name}: ${c.i16()}`); continue;
      case DW_OP.implicit_value: { const n = c.uleb(); out.push(`${name} ${n} byte block: ${[...c.bytes(n)].map((b) => b.toString(16)).join(' ')}`); continue; }
      case DW_OP.entry_value: case DW_OP.GNU_entry_value: {
        const n = c.uleb();
        out.push(`${name}: (${disassemble(Buffer.from(c.bytes(n)), addressSize, refSize)})`);
        continue;
      }
      default: {
        // Generic: skip operands and show them raw.
        const fake = new Machine({ addressSize }, 'disassemble', 0);
        skipOperands(fake, c, op, start - 1, addressSize, refSize);
        const raw = expr.subarray(start, c.pos);
        out.push(raw.length ? `${name} <${[...raw].map((b) => b.toString(16).padStart(2, '0')).join(' ')}>` : name);
      }
    }
  }
  return out.join('; ');
}

/** Where `readLocationBytes` gets register and memory contents. */
export interface LocationReader {
  /** 64-bit value of a general register; undefined = not available in this frame. */
  readRegister(reg: number): bigint | undefined;
  /** Raw contents of a register wider than 8 bytes (xmm, st); optional. */
  readRegisterBytes?(reg: number): Buffer | undefined;
  readMemory(address: bigint, size: number): Buffer | undefined;
}

/**
 * Reads the `size` bytes of an object at a location: memory, the low bytes of a register, a
 * stack value, implicit bytes, or the concatenation of a composite's pieces (bit pieces
 * included). Returns undefined when any part is optimized out or unavailable. Implicit pointers
 * have no bytes of their own and throw.
 */
export function readLocationBytes(loc: Location, size: number, r: LocationReader): Buffer | undefined {
  const simple = (l: Exclude<Location, { kind: 'composite' }>, bytes: number): Buffer | undefined => {
    switch (l.kind) {
      case 'memory': return r.readMemory(l.address, bytes);
      case 'register': {
        if (bytes > 8) {
          const raw = r.readRegisterBytes?.(l.reg);
          return raw && raw.length >= bytes ? raw.subarray(0, bytes) : undefined;
        }
        const v = r.readRegister(l.reg);
        if (v === undefined) return undefined;
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(v & MASK64);
        return b.subarray(0, bytes);
      }
      case 'value': {
        const b = Buffer.alloc(Math.max(8, bytes));
        b.writeBigUInt64LE(l.value & MASK64);
        if (l.value < 0n || (l.value >> 63n) & 1n) b.fill(bytes > 8 ? 0xff : 0, 8); // sign-extend a negative generic value
        return b.subarray(0, bytes);
      }
      case 'implicit': {
        const b = Buffer.alloc(bytes);
        l.bytes.copy(b, 0, 0, Math.min(bytes, l.bytes.length));
        return b;
      }
      case 'optimized-out': return undefined;
      case 'implicit-pointer':
        throw new DwarfExprError('an implicit pointer has no bytes; dereference it through its DIE', undefined, 0);
    }
  };
  if (loc.kind !== 'composite') return simple(loc, size);
  const out = Buffer.alloc(size);
  let bitPos = 0;
  for (const p of loc.pieces) {
    const srcBytes = Math.ceil((p.offsetBits + p.sizeBits) / 8);
    const src = simple(p.location, srcBytes);
    if (!src) return undefined;
    for (let i = 0; i < p.sizeBits && bitPos < size * 8; i++, bitPos++) {
      const sb = p.offsetBits + i;
      const bit = (src[Math.floor(sb / 8)] >> (sb % 8)) & 1;
      if (bit) out[Math.floor(bitPos / 8)] |= 1 << (bitPos % 8);
    }
  }
  return out;
}
