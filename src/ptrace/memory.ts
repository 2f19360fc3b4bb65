// Reading and writing another process's memory from any thread: process_vm_readv/writev first (one
// system call, no ptrace-stop needed), then /proc/PID/mem for what they cannot do (the kernel lets a
// tracer write read-only pages such as program text through it, and read PROT_NONE ones).
import * as fs from 'fs';
import { processVmRead, processVmWrite } from './libc';

/** The error gdb prints, naming the first address that could not be accessed. */
export class MemoryAccessError extends Error {
  constructor(readonly address: number) {
    super(`Cannot access memory at address 0x${address.toString(16)}`);
    this.name = 'MemoryAccessError';
  }
}

export class ProcessMemory {
  private fd = -1;
  constructor(readonly pid: number) {}

  /** Fills buf from addr, or throws MemoryAccessError at the first byte that cannot be read. */
  read(addr: number, buf: Buffer): void {
    let got = 0;
    try {
      got = processVmRead(this.pid, addr, buf);
    } catch {
      got = 0;
    }
    if (got < buf.length) {
      let n = 0;
      try {
        n = fs.readSync(this.memFd(), buf, got, buf.length - got, addr + got);
      } catch {
        n = 0;
      }
      if (got + n < buf.length) throw new MemoryAccessError(addr + got + n);
    }
  }

  /** Writes data at addr (read-only pages included), or throws MemoryAccessError. */
  write(addr: number, data: Buffer): void {
    let done = 0;
    try {
      done = processVmWrite(this.pid, addr, data);
    } catch {
      done = 0; // a read-only page, such as program text
    }
    if (done < data.length) {
      let n = 0;
      try {
        n = fs.writeSync(this.memFd(), data, done, data.length - done, addr + done);
      } catch {
        n = 0;
      }
      if (done + n < data.length) throw new MemoryAccessError(addr + done + n);
    }
  }

  /** Writes through /proc/PID/mem directly: for program text, where process_vm_writev always fails. */
  writeText(addr: number, data: Buffer): void {
    let n = 0;
    try {
      n = fs.writeSync(this.memFd(), data, 0, data.length, addr);
    } catch {
      n = 0;
    }
    if (n < data.length) throw new MemoryAccessError(addr + n);
  }

  /** Closes /proc/PID/mem (after exec it names the old address space; after exit, nothing). */
  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already gone */
      }
      this.fd = -1;
    }
  }

  private memFd(): number {
    if (this.fd < 0) this.fd = fs.openSync(`/proc/${this.pid}/mem`, 'r+');
    return this.fd;
  }
}
