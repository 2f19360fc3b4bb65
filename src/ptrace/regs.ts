// x86-64 register sets as the kernel lays them out: struct user_regs_struct (PTRACE_GETREGS, 27 u64s)
// and struct user_fpregs_struct (PTRACE_GETFPREGS, 512 bytes, the FXSAVE area).

export const GPR_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;

export type GprName = (typeof GPR_NAMES)[number];
export const GPR_SIZE = GPR_NAMES.length * 8;
export const FPREGS_SIZE = 512;

const OFFSETS = new Map<string, number>(GPR_NAMES.map((n, i) => [n, i * 8]));

export function gprOffset(name: GprName): number {
  return OFFSETS.get(name)!;
}

/** A snapshot of the general registers: values are unsigned 64-bit bigints. */
export class Registers {
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    if (buf.length !== GPR_SIZE) throw new Error(`register buffer must be ${GPR_SIZE} bytes, got ${buf.length}`);
    this.buf = buf;
  }
  get(name: GprName): bigint {
    return this.buf.readBigUInt64LE(gprOffset(name));
  }
  set(name: GprName, value: bigint): void {
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), gprOffset(name));
  }
  /** rip as a number (user-space addresses fit exactly in a double). */
  get pc(): number {
    return Number(this.get('rip'));
  }
  set pc(v: number) {
    this.set('rip', BigInt(v));
  }
  get sp(): number {
    return Number(this.get('rsp'));
  }
  toObject(): Record<GprName, bigint> {
    const o = {} as Record<GprName, bigint>;
    for (const n of GPR_NAMES) o[n] = this.get(n);
    return o;
  }
  clone(): Registers {
    return new Registers(Buffer.from(this.buf));
  }
}

/** The FXSAVE area: x87 control/status, MXCSR, st0-7 (80-bit in 16-byte slots), xmm0-15. */
export class FpRegisters {
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    if (buf.length !== FPREGS_SIZE) throw new Error(`fp register buffer must be ${FPREGS_SIZE} bytes`);
    this.buf = buf;
  }
  get fcw(): number {
    return this.buf.readUInt16LE(0);
  }
  get fsw(): number {
    return this.buf.readUInt16LE(2);
  }
  get mxcsr(): number {
    return this.buf.readUInt32LE(24);
  }
  /** 16 raw bytes of xmm register n (0-15). */
  xmm(n: number): Buffer {
    return this.buf.subarray(160 + n * 16, 176 + n * 16);
  }
  setXmm(n: number, bytes: Buffer): void {
    bytes.copy(this.buf, 160 + n * 16, 0, 16);
  }
  /** 10 raw bytes of st(n) (physical register order of FXSAVE). */
  st(n: number): Buffer {
    return this.buf.subarray(32 + n * 16, 42 + n * 16);
  }
  xmmAsDoubles(n: number): [number, number] {
    const b = this.xmm(n);
    return [b.readDoubleLE(0), b.readDoubleLE(8)];
  }
  xmmAsFloats(n: number): number[] {
    const b = this.xmm(n);
    return [0, 4, 8, 12].map((o) => b.readFloatLE(o));
  }
}

// ---------------------------------------------------------------- the XSAVE area (NT_X86_XSTATE)

/**
 * XSAVE state components (bit numbers of XCR0 / XSTATE_BV) and their offsets in the *standard*
 * (non-compacted) format, which is what PTRACE_GETREGSET NT_X86_XSTATE returns: the kernel converts
 * its own (possibly compacted) buffer to the user ABI layout. Those offsets are what CPUID leaf 0xD
 * reports for user state components, and they are architectural for these components on every x86-64
 * CPU that has them (Intel and AMD alike); the kernel's own size and XCR0 are checked on every read.
 */
export const XFEATURE = { X87: 0, SSE: 1, AVX: 2, BNDREGS: 3, BNDCSR: 4, OPMASK: 5, ZMM_HI256: 6, HI16_ZMM: 7, PKRU: 9 } as const;
export const XSTATE_OFFSET = { AVX: 576, OPMASK: 1088, ZMM_HI256: 1152, HI16_ZMM: 1664, PKRU: 2688 } as const;
/** Where the header's XSTATE_BV lives, and where the kernel puts XCR0 (in FXSAVE's sw_reserved bytes). */
export const XSTATE_BV_OFFSET = 512;
export const XSTATE_XCR0_OFFSET = 464;
/** Legacy area + header: the smallest buffer the kernel can return. */
export const XSTATE_MIN_SIZE = 576;
/** More than any kernel's user xstate so far (AMX: 11008 bytes); the kernel returns the size it used. */
export const XSTATE_MAX_SIZE = 16384;

const AVX512_MASK = (1 << XFEATURE.OPMASK) | (1 << XFEATURE.ZMM_HI256) | (1 << XFEATURE.HI16_ZMM);

/**
 * A thread's XSAVE area as PTRACE_GETREGSET NT_X86_XSTATE returns it (standard format; the buffer is
 * exactly the size the kernel reported, which PTRACE_SETREGSET requires back: the kernel refuses any
 * other length with EFAULT). The first 512 bytes are the FXSAVE area (x87, MXCSR, xmm0-15).
 *
 * A component whose XSTATE_BV bit is clear is in its initial state (all zeros) whatever the bytes say;
 * the accessors honour that, and the setters set the bit of every component they touch, so that the
 * kernel (which initialises components whose bit is clear on SETREGSET) keeps the new value.
 */
export class XState {
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    if (buf.length < XSTATE_MIN_SIZE) throw new Error(`xstate buffer must be at least ${XSTATE_MIN_SIZE} bytes, got ${buf.length}`);
    this.buf = buf;
  }
  /** The features the kernel enabled (XCR0), from the software-reserved bytes of the FXSAVE area. */
  get xcr0(): bigint {
    return this.buf.readBigUInt64LE(XSTATE_XCR0_OFFSET);
  }
  /** Which components are not in their initial state. */
  get xstateBv(): bigint {
    return this.buf.readBigUInt64LE(XSTATE_BV_OFFSET);
  }
  private enabled(bit: number, end: number): boolean {
    return ((this.xcr0 >> BigInt(bit)) & 1n) === 1n && this.buf.length >= end;
  }
  /** AVX (ymm0-15 upper halves) present. */
  get hasAvx(): boolean {
    return this.enabled(XFEATURE.AVX, XSTATE_OFFSET.AVX + 256);
  }
  /** AVX-512 (k0-7, zmm0-15 upper halves, zmm16-31) present. */
  get hasAvx512(): boolean {
    return (Number(this.xcr0 & BigInt(AVX512_MASK)) === AVX512_MASK) && this.buf.length >= XSTATE_OFFSET.HI16_ZMM + 1024;
  }
  get hasPkru(): boolean {
    return this.enabled(XFEATURE.PKRU, XSTATE_OFFSET.PKRU + 8);
  }
  private inUse(bit: number): boolean {
    return ((this.xstateBv >> BigInt(bit)) & 1n) === 1n;
  }
  private markInUse(...bits: number[]): void {
    let bv = this.xstateBv;
    for (const b of bits) bv |= 1n << BigInt(b);
    this.buf.writeBigUInt64LE(bv, XSTATE_BV_OFFSET);
  }
  private part(bit: number, off: number, len: number): Buffer {
    return this.inUse(bit) ? Buffer.from(this.buf.subarray(off, off + len)) : Buffer.alloc(len);
  }
  /** Copies a component out of its initial state before part of it is written. */
  private materialise(bit: number, off: number, len: number): void {
    if (!this.inUse(bit)) this.buf.fill(0, off, off + len);
  }
  private requireVector(n: number, width: 128 | 256 | 512): void {
    const max = this.hasAvx512 ? 32 : 16;
    if (!Number.isInteger(n) || n < 0 || n >= max) throw new Error(`no register ${width === 128 ? 'xmm' : width === 256 ? 'ymm' : 'zmm'}${n} on this target`);
    if (width === 256 && !this.hasAvx) throw new Error(`no register ymm${n} on this target`);
    if (width === 512 && !this.hasAvx512) throw new Error(`no register zmm${n} on this target`);
  }
  /** The FXSAVE part (x87, MXCSR, xmm0-15) as an FpRegisters view sharing this buffer. */
  fp(): FpRegisters {
    return new FpRegisters(this.buf.subarray(0, FPREGS_SIZE));
  }
  /** The low `width` bits of vector register n (xmm/ymm/zmm n), little-endian bytes. */
  vector(n: number, width: 128 | 256 | 512): Buffer {
    this.requireVector(n, width);
    const out = Buffer.alloc(width / 8);
    if (n < 16) {
      // xmm0-15 live in the legacy area; the SSE bit only says whether they are in init state.
      this.part(XFEATURE.SSE, 160 + n * 16, 16).copy(out, 0);
      if (width >= 256) this.part(XFEATURE.AVX, XSTATE_OFFSET.AVX + n * 16, 16).copy(out, 16);
      if (width === 512) this.part(XFEATURE.ZMM_HI256, XSTATE_OFFSET.ZMM_HI256 + n * 32, 32).copy(out, 32);
    } else {
      this.part(XFEATURE.HI16_ZMM, XSTATE_OFFSET.HI16_ZMM + (n - 16) * 64, width / 8).copy(out, 0);
    }
    return out;
  }
  /** Writes the low `bytes.length` (16, 32 or 64) bytes of vector register n; the rest is kept. */
  setVector(n: number, bytes: Buffer): void {
    const width = (bytes.length * 8) as 128 | 256 | 512;
    if (width !== 128 && width !== 256 && width !== 512) throw new Error(`vector register value must be 16, 32 or 64 bytes, got ${bytes.length}`);
    this.requireVector(n, width);
    if (n < 16) {
      this.materialise(XFEATURE.SSE, 160, 256);
      bytes.copy(this.buf, 160 + n * 16, 0, 16);
      const bits: number[] = [XFEATURE.SSE];
      if (width >= 256) {
        this.materialise(XFEATURE.AVX, XSTATE_OFFSET.AVX, 256);
        bytes.copy(this.buf, XSTATE_OFFSET.AVX + n * 16, 16, 32);
        bits.push(XFEATURE.AVX);
      }
      if (width === 512) {
        this.materialise(XFEATURE.ZMM_HI256, XSTATE_OFFSET.ZMM_HI256, 512);
        bytes.copy(this.buf, XSTATE_OFFSET.ZMM_HI256 + n * 32, 32, 64);
        bits.push(XFEATURE.ZMM_HI256);
      }
      this.markInUse(...bits);
    } else {
      this.materialise(XFEATURE.HI16_ZMM, XSTATE_OFFSET.HI16_ZMM, 1024);
      bytes.copy(this.buf, XSTATE_OFFSET.HI16_ZMM + (n - 16) * 64);
      this.markInUse(XFEATURE.HI16_ZMM);
    }
  }
  /** Bits 128-255 of ymm n (gdb's raw ymmNh), 16 bytes. */
  ymmh(n: number): Buffer {
    return this.vector(n, 256).subarray(16, 32);
  }
  /** Bits 256-511 of zmm n (gdb's raw zmmNh), 32 bytes. */
  zmmh(n: number): Buffer {
    return this.vector(n, 512).subarray(32, 64);
  }
  /** Opmask register k0-k7. */
  k(n: number): bigint {
    if (!this.hasAvx512 || !Number.isInteger(n) || n < 0 || n > 7) throw new Error(`no register k${n} on this target`);
    return this.inUse(XFEATURE.OPMASK) ? this.buf.readBigUInt64LE(XSTATE_OFFSET.OPMASK + n * 8) : 0n;
  }
  setK(n: number, v: bigint): void {
    if (!this.hasAvx512 || !Number.isInteger(n) || n < 0 || n > 7) throw new Error(`no register k${n} on this target`);
    this.materialise(XFEATURE.OPMASK, XSTATE_OFFSET.OPMASK, 64);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), XSTATE_OFFSET.OPMASK + n * 8);
    this.markInUse(XFEATURE.OPMASK);
  }
  pkru(): number {
    if (!this.hasPkru) throw new Error('no register pkru on this target');
    return this.inUse(XFEATURE.PKRU) ? this.buf.readUInt32LE(XSTATE_OFFSET.PKRU) : 0;
  }
  clone(): XState {
    return new XState(Buffer.from(this.buf));
  }
}
