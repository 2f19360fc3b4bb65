// Helpers shared by the checkpoint tests: breakpoint locations from gdb (an oracle we did not write),
// process memory read straight from /proc/PID/mem, fdinfo offsets, and launching a fixture to a function.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Inferior, Tracer } from '../src/target';
import { fixture, loadBias, nmAddress } from './helpers';

export interface GdbLocation {
  /** Link-time address gdb puts the breakpoint at (after the prologue). */
  addr: number;
  file: string;
  line: number;
}

const gdbCache = new Map<string, GdbLocation>();

/** gdb -batch 'break FN': "Breakpoint 1 at 0x1181: file /…/ckpt.c, line 17." */
export function gdbBreakLocation(bin: string, fn: string): GdbLocation {
  const key = `${bin}:${fn}`;
  const hit = gdbCache.get(key);
  if (hit) return hit;
  const out = execFileSync('gdb', ['-batch', '-nx', '-ex', `break ${fn}`, bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /Breakpoint 1 at 0x([0-9a-f]+): file (.+), line (\d+)\./.exec(out);
  if (!m) throw new Error(`gdb gave no breakpoint location for ${fn} in ${bin}:\n${out}`);
  const loc = { addr: parseInt(m[1], 16), file: m[2], line: Number(m[3]) };
  gdbCache.set(key, loc);
  return loc;
}

/** Reads a process's memory through /proc/PID/mem (no debugger code involved). */
export function procMem(pid: number, addr: number, len: number): Buffer {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, addr);
    if (n !== len) throw new Error(`short read of ${pid} at 0x${addr.toString(16)}`);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export function procLong(pid: number, addr: number): bigint {
  return procMem(pid, addr, 8).readBigInt64LE(0);
}

/** The file offset of fd in pid, as the kernel reports it. */
export function fdPos(pid: number, fd: number): number {
  return Number(/^pos:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]);
}

export function procStatusField(pid: number, field: string): string | undefined {
  try {
    return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim();
  } catch {
    return undefined;
  }
}

const tmpDirs: string[] = [];

/** A file in a fresh temporary directory (removed by removeTmpFiles). */
export function tmpFile(name: string, content?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-ckpt-'));
  tmpDirs.push(dir);
  const p = path.join(dir, name);
  if (content !== undefined) fs.writeFileSync(p, content);
  return p;
}

export function removeTmpFiles(): void {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface Launched {
  inf: Inferior;
  bin: string;
  bias: number;
  /** Run-time address of the breakpoint gdb would set at fn. */
  bp: number;
  loc: GdbLocation;
  /** Run-time address of a global (nm). */
  global(name: string): number;
}

/** Launches a fixture, breaks at fn (where gdb would) and runs to its first hit. */
export async function launchTo(
  tracer: Tracer,
  name: string,
  fn: string,
  args: string[] = [],
  stdio: [number, number, number] = [-1, -1, -1],
): Promise<Launched> {
  const bin = fixture(name);
  const inf = await tracer.launch({ program: bin, args, stdio });
  const bias = loadBias(inf.pid, bin);
  const loc = gdbBreakLocation(bin, fn);
  const bp = bias + loc.addr;
  await inf.setBreakpoint(bp, { hardware: false });
  const ev = await inf.cont();
  if (ev.kind !== 'breakpoint' || ev.pc !== bp) throw new Error(`expected a breakpoint at ${fn}, got ${JSON.stringify(ev)}`);
  return { inf, bin, bias, bp, loc, global: (g) => bias + nmAddress(bin, g) };
}

/** Continues until the program exits, counting breakpoint hits. */
export async function runToExit(inf: Inferior): Promise<{ hits: number; code: number | undefined }> {
  let hits = 0;
  for (;;) {
    const ev = await inf.cont();
    if (ev.kind === 'breakpoint') {
      hits++;
      continue;
    }
    if (ev.kind === 'exited') return { hits, code: ev.code };
    throw new Error(`unexpected stop ${JSON.stringify(ev)}`);
  }
}
