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
