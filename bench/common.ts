// Shared pieces of the benchmarks: fixtures, gdb runs, timing and the printed table.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures', 'bin');
export const BENCH_BIN = path.join(ROOT, 'bench', 'bin');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Compiles a C helper from bench/c into bench/bin (once). */
export function buildC(name: string, extra: string[] = []): string {
  fs.mkdirSync(BENCH_BIN, { recursive: true });
  const src = path.join(ROOT, 'bench', 'c', `${name}.c`);
  const out = path.join(BENCH_BIN, name);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', out, src, ...extra], { stdio: 'inherit' });
  }
  return out;
}

/**
 * A generated C program (gcc -g -O0): `main` as main.c, unit0.c .. unit<units-1>.c from `unit(u)`, and
 * `extra` files (headers) in srcDir. Rebuilt only when the program is missing or main.c's text changed.
 */
export function buildGenerated(srcDir: string, program: string, main: string, units: number, unit: (u: number) => string, extra: Record<string, string> = {}): void {
  fs.mkdirSync(srcDir, { recursive: true });
  const mainC = path.join(srcDir, 'main.c');
  if (fs.existsSync(program) && fs.existsSync(mainC) && fs.readFileSync(mainC, 'utf8') === main) return;
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(srcDir, name), text);
  const sources = [mainC];
  fs.writeFileSync(mainC, main);
  for (let u = 0; u < units; u++) {
    const f = path.join(srcDir, `unit${u}.c`);
    fs.writeFileSync(f, unit(u));
    sources.push(f);
  }
  execFileSync('gcc', ['-g', '-O0', '-o', program, ...sources], { stdio: 'inherit' });
}

export function hasGdb(): boolean {
  try {
    execFileSync('gdb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs gdb in batch mode and returns the seconds between two python time marks placed around `timed`
 * (so gdb's own start-up and symbol loading are not counted unless asked for).
 */
export function gdbTimed(setup: string[], timed: string[], program: string, args: string[] = []): number {
  const cmds = [
    'set pagination off',
    'set confirm off',
    ...setup,
    'python import time; __t0 = time.time()',
    ...timed,
    'python print("ELAPSED %.6f" % (time.time() - __t0))',
  ];
  const argv = ['-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c]), '--args', program, ...args];
  const out = execFileSync('gdb', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const m = /ELAPSED ([\d.]+)/.exec(out);
  if (!m) throw new Error(`gdb printed no timing:\n${out.slice(-2000)}`);
  return Number(m[1]);
}

/** Times each of `count` runs of one gdb command separately (ms each), after the setup commands. */
export function gdbTimedEach(setup: string[], command: string, count: number, program: string, args: string[] = []): number[] {
  const loop =
    'python\nimport time\n__ts = []\n' +
    `for __i in range(${count}):\n    __t = time.time()\n    gdb.execute(${JSON.stringify(command)}, to_string=True)\n    __ts.append(time.time() - __t)\n` +
    'print("EACH " + " ".join("%.7f" % x for x in __ts))\nend';
  const script = ['set pagination off', 'set confirm off', ...setup, loop].join('\n') + '\n';
  const file = path.join(os.tmpdir(), `backstep-bench-${process.pid}.gdb`);
  fs.writeFileSync(file, script);
  try {
    const out = execFileSync('gdb', ['-batch', '-nx', '-x', file, '--args', program, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    const m = /EACH ([\d. ]+)/.exec(out);
    if (!m) throw new Error(`gdb printed no timing:\n${out.slice(-2000)}`);
    return m[1].trim().split(/\s+/).map((x) => 1000 * Number(x));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function nmAddress(binary: string, symbol: string): number {
  const out = execFileSync('nm', [binary], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.trim().split(/\s+/)[2] === symbol);
  if (!line) throw new Error(`nm: no symbol ${symbol} in ${binary}`);
  return parseInt(line.split(/\s+/)[0], 16);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface Row {
  metric: string;
  unit: string;
  backstep: number;
  others: Record<string, number | undefined>;
  /** Whether bigger is better (rates) or smaller (latencies). */
  higherIsBetter: boolean;
  /** The bar, as text, with the ratio it needs: e.g. { against: 'gdb', ratio: 2 }. */
  bars?: { against: string; ratio: number }[];
}

export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  for (const r of rows) {
    const parts = [`${r.metric}: backstep ${fmt(r.backstep)} ${r.unit}`];
    for (const [name, v] of Object.entries(r.others)) {
      if (v === undefined) {
        parts.push(`${name} n/a`);
        continue;
      }
      const ratio = r.higherIsBetter ? r.backstep / v : v / r.backstep;
      parts.push(`${name} ${fmt(v)} ${r.unit} (backstep ${ratio.toFixed(2)}x ${r.higherIsBetter ? 'the rate' : 'faster'})`);
    }
    console.log('- ' + parts.join('; '));
    for (const bar of r.bars ?? []) {
      const v = r.others[bar.against];
      if (v === undefined) continue;
      const ratio = r.higherIsBetter ? r.backstep / v : v / r.backstep;
      console.log(`  bar: >= ${bar.ratio}x ${bar.against}: ${ratio >= bar.ratio ? 'MET' : 'NOT MET'} (${ratio.toFixed(2)}x)`);
    }
  }
}
