// Engine benchmarks ([2]): `next` latency over source lines, and launch-to-first-breakpoint by file:line
// on a big real program (SQLite built -g -O0), backstep beside gdb on the same program in the same run.
//
// The SQLite amalgamation comes from the better-sqlite3 npm package (it ships deps/sqlite3/sqlite3.c):
// `npm pack` into a temporary directory, extract, compile into bench/bin/sqlite-big. Without network or a
// compiler it falls back to the fixtures' demo program (the row says which).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Session } from '../src/engine/session';
import { BENCH_BIN, fixture, gdbTimed, gdbTimedEach, hasGdb, mean, median, Row } from './common';

const SQLITE_PKG = 'better-sqlite3@13.2.0';

const DRIVER = `/* Drives SQLite so that a debugger has real code to stop in. */
#include <stdio.h>
#include "sqlite3.h"

static int row(void *arg, int n, char **vals, char **names)
{
    int *count = arg;
    (void)n; (void)vals; (void)names;
    *count += 1;
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    int count = 0;
    int rows = argc > 1 ? 1000 : 10;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    sqlite3_exec(db, "create table t(a integer primary key, b text)", 0, 0, 0);
    for (int i = 0; i < rows; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "insert into t(b) values('row %d')", i);
        sqlite3_exec(db, sql, 0, 0, 0);
    }
    sqlite3_exec(db, "select * from t where a % 3 = 0", row, &count, 0);
    printf("rows=%d\\n", count);
    sqlite3_close(db);
    return 0;
}
`;

/** Builds bench/bin/sqlite-big (once); undefined when the source or a compiler is not available. */
export function sqliteProgram(): { program: string; file: string; line: number } | undefined {
  const out = path.join(BENCH_BIN, 'sqlite-big');
  const srcDir = path.join(BENCH_BIN, 'sqlite-big-src');
  const driver = path.join(srcDir, 'driver.c');
  // A breakpoint target deep in SQLite: the first line of sqlite3_exec's body.
  const target = () => {
    const lines = fs.readFileSync(path.join(srcDir, 'sqlite3.c'), 'utf8').split('\n');
    // The definition (not the prototype in the embedded header): a '{' comes before any ';'.
    for (let i = 0; i < lines.length; i++) {
      if (!/^SQLITE_API int sqlite3_exec\($/.test(lines[i])) continue;
      let j = i + 1;
      while (j < lines.length && !lines[j].replace(/\/\*.*?\*\//g, '').match(/[;{]/)) j++;
      if (lines[j]?.replace(/\/\*.*?\*\//g, '').includes('{')) return j + 2; // 1-based line after the brace
    }
    throw new Error('sqlite3_exec not found in sqlite3.c');
  };
  if (fs.existsSync(out) && fs.existsSync(path.join(srcDir, 'sqlite3.c'))) return { program: out, file: 'sqlite3.c', line: target() };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-sqlite-'));
  try {
    execFileSync('npm', ['pack', SQLITE_PKG, '--silent'], { cwd: tmp, stdio: ['ignore', 'pipe', 'ignore'], timeout: 120000 });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) return undefined;
    execFileSync('tar', ['xzf', tgz, 'package/deps/sqlite3/sqlite3.c', 'package/deps/sqlite3/sqlite3.h'], { cwd: tmp });
    fs.mkdirSync(srcDir, { recursive: true });
    for (const f of ['sqlite3.c', 'sqlite3.h']) fs.copyFileSync(path.join(tmp, 'package', 'deps', 'sqlite3', f), path.join(srcDir, f));
    fs.writeFileSync(driver, DRIVER);
    execFileSync('cc', ['-g', '-O0', '-DSQLITE_THREADSAFE=0', '-DSQLITE_OMIT_LOAD_EXTENSION', '-o', out, driver, path.join(srcDir, 'sqlite3.c'), '-lm'], { stdio: 'inherit', timeout: 600000 });
    return { program: out, file: 'sqlite3.c', line: target() };
  } catch {
    return undefined;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Launch to the first breakpoint hit by file:line (symbols loaded from scratch each run). */
async function ourLaunchToBreakpoint(program: string, location: string): Promise<number> {
  const s = new Session();
  try {
    const t0 = process.hrtime.bigint();
    await s.loadProgram(program);
    await s.setBreakpoint({ location });
    const stop = await s.launch({ program, stdio: 'pipe' });
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (stop.reason !== 'breakpoint') throw new Error(`launch ended with ${stop.reason}: ${stop.description}`);
    await s.kill();
    return dt;
  } finally {
    await s.dispose();
  }
}

function gdbLaunchToBreakpoint(program: string, location: string): number {
  // Timed from before `file` (symbol loading) to the stop, as ours; gdb starts without the program.
  const cmds = ['set pagination off', 'set confirm off', 'python import time; __t0 = time.time()', `file ${program}`, `break ${location}`, 'run', 'python print("ELAPSED %.6f" % (time.time() - __t0))', 'kill'];
  const out = execFileSync('gdb', ['-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const m = /ELAPSED ([\d.]+)/.exec(out);
  if (!m) throw new Error(`gdb printed no timing:\n${out.slice(-2000)}`);
  return 1000 * Number(m[1]);
}

/** Each `next`'s latency (ms) over the loop fixture, from a fresh session stopped at main. */
async function ourNext(count: number): Promise<number[]> {
  const s = new Session();
  try {
    await s.loadProgram(fixture('loop'));
    await s.setBreakpoint({ location: 'main' });
    await s.launch({ program: fixture('loop'), args: ['1000000'], stdio: 'pipe' });
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      const st = await s.next();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (st.reason !== 'step') throw new Error(`next ended with ${st.reason}`);
    }
    await s.kill();
    return times;
  } finally {
    await s.dispose();
  }
}

/** The same in gdb: each `next` timed by gdb's own Python around gdb.execute. */
function gdbNext(count: number): number[] {
  return gdbTimedEach(['break main', 'run'], 'next', count, fixture('loop'), ['1000000']);
}

export async function benchEngine(runs = 3): Promise<Row[]> {
  const gdb = hasGdb();
  const rows: Row[] = [];
  const N = 200;
  const ourMed: number[] = [];
  const ourMean: number[] = [];
  const gdbMed: number[] = [];
  const gdbMean: number[] = [];
  for (let i = 0; i < runs; i++) {
    const o = await ourNext(N);
    ourMed.push(median(o));
    ourMean.push(mean(o));
    if (gdb) {
      const g = gdbNext(N);
      gdbMed.push(median(g));
      gdbMean.push(mean(g));
    }
  }
  rows.push({ metric: `\`next\` latency, median of ${N} (loop: over hot() and loop lines)`, unit: 'ms', backstep: median(ourMed), others: { gdb: gdb ? median(gdbMed) : undefined }, higherIsBetter: false });
  rows.push({ metric: `\`next\` latency, mean of ${N} from a fresh session (first-use costs included)`, unit: 'ms', backstep: median(ourMean), others: { gdb: gdb ? median(gdbMean) : undefined }, higherIsBetter: false });

  const big = sqliteProgram();
  const prog = big ?? { program: fixture('demo'), file: 'demo.c', line: 18 };
  const loc = `${prog.file}:${prog.line}`;
  const size = (fs.statSync(prog.program).size / 1e6).toFixed(1);
  const ourL: number[] = [];
  const gdbL: number[] = [];
  for (let i = 0; i < runs; i++) {
    ourL.push(await ourLaunchToBreakpoint(prog.program, loc));
    if (gdb) gdbL.push(gdbLaunchToBreakpoint(prog.program, loc));
  }
  rows.push({
    metric: `launch to first breakpoint at ${loc} (${path.basename(prog.program)}, ${size} MB -g -O0)`,
    unit: 'ms',
    backstep: median(ourL),
    others: { gdb: gdb ? median(gdbL) : undefined },
    higherIsBetter: false,
  });
  return rows;
}

if (require.main === module) {
  benchEngine()
    .then((rows) => {
      for (const r of rows) console.log(`${r.metric}: backstep ${r.backstep.toFixed(2)} ${r.unit}, gdb ${r.others.gdb?.toFixed(2) ?? '-'} ${r.unit}`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
