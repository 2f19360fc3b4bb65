// Shared helpers for the symbol-reader tests: fixture paths and running the binutils/gdb oracles.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'fixtures', 'bin');

let built = false;

/** Path of a fixture binary, building the fixtures first if needed (cheap when up to date). */
export function fixture(name: string): string {
  if (!built) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-fixtures.js')], { stdio: 'inherit' });
    built = true;
  }
  const p = path.join(BIN, name);
  if (!fs.existsSync(p)) throw new Error(`fixture ${name} missing`);
  return p;
}

/** Every fixture the build script makes (not whatever else lands in fixtures/bin, such as a core dump). */
export function allFixtures(): string[] {
  fixture('loop');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { FIXTURES } = require(path.join(BIN, '..', '..', 'scripts', 'build-fixtures.js')) as { FIXTURES: Record<string, unknown> };
  return Object.keys(FIXTURES)
    .filter((f) => fs.existsSync(path.join(BIN, f)))
    .sort();
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
}

export function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run gdb in batch mode on a file with the given commands and return stdout+stderr. */
export function gdb(file: string, commands: string[]): string {
  const args = ['-nx', '-batch', ...commands.flatMap((c) => ['-ex', c]), file];
  const res = spawnSync('gdb', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  return (res.stdout ?? '') + (res.stderr ?? '');
}

/** One location of a gdb breakpoint. */
export interface GdbLocation {
  address: number;
  file: string;
  line: number;
}

/** Parse gdb's `info breakpoints`: breakpoint number -> its locations. */
export function parseBreakpoints(out: string): Map<number, GdbLocation[]> {
  const map = new Map<number, GdbLocation[]>();
  for (const line of out.split('\n')) {
    const m = /^(\d+)(?:\.\d+)?\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+)\s+in .* at (\S+):(\d+)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    if (!map.has(n)) map.set(n, []);
    map.get(n)!.push({ address: parseInt(m[2], 16), file: m[3], line: Number(m[4]) });
  }
  return map;
}
