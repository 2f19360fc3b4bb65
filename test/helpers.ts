// Shared test helpers: fixture paths, oracles from binutils (nm/readelf) and /proc.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures', 'bin');

export function fixture(name: string): string {
  const p = path.join(FIXTURES, name);
  if (!fs.existsSync(p)) throw new Error(`fixture ${name} is not built: run npm run build`);
  return p;
}

/** The link-time address of a symbol, from nm (an oracle we did not write). */
export function nmAddress(binary: string, symbol: string): number {
  const out = execFileSync('nm', [binary], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.trim().split(/\s+/)[2] === symbol);
  if (!line) throw new Error(`nm: no symbol ${symbol} in ${binary}`);
  return parseInt(line.split(/\s+/)[0], 16);
}

/** Where the kernel mapped a file in a process: the start of its first mapping, minus that mapping's offset. */
export function loadBias(pid: number, binary: string): number {
  const real = fs.realpathSync(binary);
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  for (const line of maps) {
    const parts = line.trim().split(/\s+/);
    if (parts[5] === real) {
      const start = parseInt(parts[0].split('-')[0], 16);
      const offset = parseInt(parts[2], 16);
      const type = fs.readFileSync(real).readUInt16LE(16);
      return type === 3 ? start - offset : 0; // ET_DYN is relocated, ET_EXEC is not
    }
  }
  throw new Error(`${binary} is not mapped in ${pid}`);
}

/** The process state letter from /proc/PID/stat (R, S, T stopped, t tracing stop, Z zombie), or undefined if gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

export function isGoneOrZombie(pid: number): boolean {
  const s = procState(pid);
  return s === undefined || s === 'Z' || s === 'X';
}

export async function waitUntil(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Descendant processes of this test process that are in tracing stop or zombies (must be none). */
export function leftoverTracees(): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const tracer = Number(/TracerPid:\s*(\d+)/.exec(status)?.[1] ?? 0);
      const ppid = Number(/PPid:\s*(\d+)/.exec(status)?.[1] ?? 0);
      const state = /State:\s*(\S)/.exec(status)?.[1];
      if ((tracer !== 0 && isOurs(tracer)) || (ppid === process.pid && (state === 'Z' || state === 't'))) out.push(`${d} ${state}`);
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

function isOurs(tid: number): boolean {
  return fs.existsSync(`/proc/${process.pid}/task/${tid}`);
}

import koffi from 'koffi';
let libc: { prctl: (op: number, a: number, b: number, c: number, d: number) => number; waitpid: (pid: number, st: Int32Array, opt: number) => number } | undefined;
function c() {
  if (!libc) {
    const lib = koffi.load('libc.so.6');
    libc = {
      prctl: lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)'),
      waitpid: lib.func('int waitpid(int, _Out_ int *, int)') as never,
    };
  }
  return libc;
}

/** Makes this test process the reaper of orphaned descendants (PR_SET_CHILD_SUBREAPER), so they can be reaped. */
export function becomeSubreaper(): void {
  if (c().prctl(36, 1, 0, 0, 0) !== 0) throw new Error('prctl(PR_SET_CHILD_SUBREAPER) failed');
}

/** Waits for a child (or adopted orphan) and returns how it ended. */
export async function reap(pid: number, ms = 5000): Promise<{ exited?: number; signal?: number }> {
  const st = new Int32Array(1);
  const end = Date.now() + ms;
  for (;;) {
    const r = c().waitpid(pid, st, 0x40000000 | 1); // __WALL | WNOHANG
    if (r === pid) {
      const s = st[0];
      return (s & 0x7f) === 0 ? { exited: (s >> 8) & 0xff } : { signal: s & 0x7f };
    }
    // ECHILD until an orphan has been reparented to us: retry until the deadline.
    if (Date.now() > end) throw new Error(r < 0 ? `waitpid(${pid}): not our child` : `timed out waiting for ${pid} to exit`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Ends becomeSubreaper(): later orphans go to init again, not to this (test) process. */
export function stopBeingSubreaper(): void {
  if (c().prctl(36, 0, 0, 0, 0) !== 0) throw new Error('prctl(PR_SET_CHILD_SUBREAPER, 0) failed');
}
