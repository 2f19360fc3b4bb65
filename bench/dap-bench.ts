// DAP benchmarks ([3]): one DAP session driven the same way against backstep's adapter and LLVM's
// lldb-vscode / lldb-dap (Debian's `lldb` package), on the same generated large program: time from
// starting the adapter to the first breakpoint, the median `next` round trip (request to `stopped`),
// and the median stackTrace + scopes + variables round trip at a stop.
// When no lldb DAP adapter is installed, the bench installs Debian's `lldb` with apt-get (and says so);
// if that fails, the lldb column is left out.
// Usage: npx tsc -p tsconfig.json && node dist/bench/run.js dap   (or node dist/bench/dap-bench.js)
// Profiling: DAP_BENCH_ONLY=backstep leaves lldb out, DAP_BENCH_NODE_FLAGS passes node flags to the
// adapter (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), DAP_BENCH_INSPECTS changes the number of
// inspections per session, DAP_BENCH_NEXTS the number of measured `next`s per session (25), DAP_BENCH_RUNS
// the number of interleaved sessions per side (3), DAP_BENCH_DUMP=1 prints every sample.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { BENCH_BIN, buildGenerated, median, ROOT, Row } from './common';

const UNITS = 160;
const FUNCS = 60;
const NEXTS = Number(process.env.DAP_BENCH_NEXTS) || 25; // more for profiling
const INSPECTS = Number(process.env.DAP_BENCH_INSPECTS) || 25; // more for profiling

const SRC_DIR = path.join(BENCH_BIN, 'dap-big-src');
const PROGRAM = path.join(BENCH_BIN, 'dap-big');
const MAIN_C = path.join(SRC_DIR, 'main.c');

// ------------------------------------------------------------------ the program

function unitSource(u: number): string {
  const l: string[] = [`/* generated unit ${u} */`, '#include "big.h"', ''];
  l.push(`struct rec${u} { int id; double weight; const char *label; struct pair p[3]; unsigned flags : 5; };`);
  l.push(`static struct rec${u} table${u}[8];`, `int counter${u};`, '');
  for (let f = 0; f < FUNCS; f++) {
    l.push(`int u${u}_f${f}(int a, int b)`, '{');
    l.push(`    struct rec${u} *r = &table${u}[(a + ${f}) & 7];`);
    l.push('    int acc = pair_sum(&r->p[a & 1]);');
    l.push('    for (int i = 0; i < b; i++) {');
    l.push(`        acc += (i * ${f + 1}) ^ a;`);
    l.push(`        if (acc > ${1000 + f}) acc -= b;`);
    l.push('    }');
    l.push(`    counter${u} += acc;`);
    l.push(f > 0 ? `    return acc + u${u}_f${f - 1}(b, a & 3);` : '    return acc;');
    l.push('}', '');
  }
  return l.join('\n');
}

/** main.c: a loop of plain lines to `next` through, with locals worth inspecting. Returns the breakpoint line. */
function mainSource(): { text: string; bpLine: number } {
  const l: string[] = ['#include "big.h"', '#include <stdio.h>', ''];
  l.push('struct point { int x; int y; };', 'struct state { struct point pos; double speed; int history[16]; const char *name; };', '');
  l.push('int simulate(struct state *s, int steps)', '{', '    int total = 0;', '    int scratch[8] = { 0 };', '    for (int i = 0; i < steps; i++) {');
  const bpLine = l.length + 1;
  l.push('        s->pos.x += i;');
  for (let k = 0; k < 12; k++) l.push(`        s->pos.y += (i ^ ${k}) & 3;`, `        scratch[${k % 8}] += s->pos.x - ${k};`);
  l.push('        s->history[i & 15] = s->pos.x + s->pos.y;', '        total += s->history[i & 15];', '    }', '    return total;', '}', '');
  l.push('int main(int argc, char **argv)', '{', '    struct state st = { { 1, 2 }, 1.5, { 0 }, "probe" };', '    int t = simulate(&st, 1000);');
  for (let u = 0; u < UNITS; u++) l.push(`    t += u${u}_f${FUNCS - 1}(argc, 2);`);
  l.push('    printf("%d\\n", t);', '    return t & 1;', '}', '');
  return { text: l.join('\n'), bpLine };
}

export function buildProgram(): number {
  const { text, bpLine } = mainSource();
  const header =
    'struct pair { int left; int right; };\nstatic inline int pair_sum(const struct pair *p) { return p->left + p->right; }\n' +
    Array.from({ length: UNITS }, (_, u) => `int u${u}_f${FUNCS - 1}(int a, int b);`).join('\n') +
    '\n';
  buildGenerated(SRC_DIR, PROGRAM, text, UNITS, unitSource, { 'big.h': header });
  return bpLine;
}

// ------------------------------------------------------------------ a minimal DAP client

interface Msg {
  type: string;
  seq: number;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  arguments?: unknown;
}

class Dap extends EventEmitter {
  readonly proc: ChildProcess;
  private seq = 1;
  private buf = Buffer.alloc(0);
  private readonly pending = new Map<number, (m: Msg) => void>();

  constructor(command: string, args: string[]) {
    super();
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = this.buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const len = Number(/Content-Length:\s*(\d+)/i.exec(this.buf.subarray(0, h).toString())![1]);
      if (this.buf.length < h + 4 + len) return;
      const m = JSON.parse(this.buf.subarray(h + 4, h + 4 + len).toString('utf8')) as Msg;
      this.buf = this.buf.subarray(h + 4 + len);
      if (m.type === 'response') this.pending.get(m.request_seq!)?.(m);
      else if (m.type === 'event') this.emit(m.event!, m);
      else if (m.type === 'request') this.write({ type: 'response', seq: this.seq++, request_seq: m.seq, command: m.command, success: false, message: 'not supported' });
    }
  }

  private write(m: Msg): void {
    const json = JSON.stringify(m);
    this.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  }

  request(command: string, args: unknown = {}): Promise<Msg> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, (m) => {
        this.pending.delete(seq);
        if (m.success) resolve(m);
        else reject(new Error(`${command}: ${m.message}`));
      });
      this.write({ type: 'request', seq, command, arguments: args });
    });
  }

  next(event: string, ms = 120000): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${event} event within ${ms} ms`)), ms);
      this.once(event, (m: Msg) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => (this.proc.exitCode !== null || this.proc.signalCode !== null ? r(undefined) : this.proc.once('exit', r)));
    await Promise.race([this.request('disconnect', { terminateDebuggee: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
    // Let the adapter exit by itself (a profiled adapter writes its profile on exit), then make sure.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    this.proc.kill('SIGKILL');
  }
}

// ------------------------------------------------------------------ one measured session

interface Sample {
  launchMs: number;
  nextMs: number[];
  inspectMs: number[];
}

export async function session(command: string, args: string[], bpLine: number, extraLaunch: Record<string, unknown>): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  const dap = new Dap(command, args);
  try {
    await dap.request('initialize', { adapterID: 'bench', clientID: 'bench', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const initialized = dap.next('initialized');
    const launched = dap.request('launch', { program: PROGRAM, args: [], cwd: BENCH_BIN, stopOnEntry: false, ...extraLaunch });
    launched.catch(() => undefined);
    await initialized;
    const stopped = dap.next('stopped');
    await dap.request('setBreakpoints', { source: { path: MAIN_C }, breakpoints: [{ line: bpLine }] });
    await dap.request('configurationDone');
    await launched;
    const first = await stopped;
    const launchMs = ms(t0);
    const threadId = first.body.threadId as number;
    const top = async () => (await dap.request('stackTrace', { threadId, startFrame: 0, levels: 1 })).body.stackFrames[0] as { line: number; name: string };
    const at = await top();
    if (at.line !== bpLine) throw new Error(`${command}: first stop at line ${at.line}, expected ${bpLine}`);
    // The breakpoint is in a loop: stop following it so `next` steps lines.
    await dap.request('setBreakpoints', { source: { path: MAIN_C }, breakpoints: [] });
    const nextMs: number[] = [];
    for (let i = 0; i < NEXTS; i++) {
      const s = dap.next('stopped');
      const t = process.hrtime.bigint();
      await dap.request('next', { threadId });
      await s;
      nextMs.push(ms(t));
    }
    const after = await top();
    if (after.line === bpLine || !/simulate/.test(after.name)) throw new Error(`${command}: ${NEXTS} nexts ended at ${after.name}:${after.line}`);
    const inspectMs: number[] = [];
    for (let i = 0; i < INSPECTS; i++) {
      const t = process.hrtime.bigint();
      const st = await dap.request('stackTrace', { threadId, startFrame: 0, levels: 20 });
      const frameId = st.body.stackFrames[0].id;
      const sc = await dap.request('scopes', { frameId });
      const locals = sc.body.scopes.find((s: { name: string }) => /local/i.test(s.name)) ?? sc.body.scopes[0];
      const vars = await dap.request('variables', { variablesReference: locals.variablesReference });
      if (!vars.body.variables.length) throw new Error(`${command}: no locals at the stop`);
      inspectMs.push(ms(t));
      // Resume-free re-inspection is cached by some adapters: step once so every round trip is fresh.
      const s = dap.next('stopped');
      await dap.request('next', { threadId });
      await s;
    }
    // DAP_BENCH_DUMP=1 prints each session's samples (warm-up shows as the first ones being slower).
    if (process.env.DAP_BENCH_DUMP) console.log(`${path.basename(command)} next ${nextMs.map((x) => x.toFixed(2)).join(' ')}\n  inspect ${inspectMs.map((x) => x.toFixed(2)).join(' ')}`);
    return { launchMs, nextMs, inspectMs };
  } finally {
    await dap.close();
  }
}

// ------------------------------------------------------------------ lldb's adapter

function findLldbDap(): string | undefined {
  const names = ['lldb-dap', 'lldb-vscode', ...[19, 18, 17, 16, 15, 14].flatMap((v) => [`lldb-dap-${v}`, `lldb-vscode-${v}`])];
  for (const n of names) {
    for (const dir of ['/usr/bin', '/usr/local/bin']) {
      const p = path.join(dir, n);
      if (fs.existsSync(p)) return p;
    }
  }
  for (const v of [19, 18, 17, 16, 15, 14]) {
    for (const n of ['lldb-dap', 'lldb-vscode']) {
      const p = `/usr/lib/llvm-${v}/bin/${n}`;
      if (fs.existsSync(p)) return p;
    }
  }
  return undefined;
}

function lldbDap(): string | undefined {
  let p = findLldbDap();
  if (p) return p;
  console.log('dap bench: no lldb DAP adapter found; installing Debian package lldb with apt-get (for the comparison column)');
  try {
    execFileSync('apt-get', ['install', '-y', '-q', 'lldb'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600000 });
  } catch {
    try {
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300000 });
      execFileSync('apt-get', ['install', '-y', '-q', 'lldb'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600000 });
    } catch (e) {
      console.log(`dap bench: could not install lldb (${(e as Error).message.split('\n')[0]}); the lldb column is left out`);
      return undefined;
    }
  }
  p = findLldbDap();
  if (!p) console.log('dap bench: lldb installed but no lldb-dap/lldb-vscode binary found; the lldb column is left out');
  return p;
}

// ------------------------------------------------------------------ the suite

export async function benchDap(runs = Number(process.env.DAP_BENCH_RUNS) || 3): Promise<Row[]> {
  const bpLine = buildProgram();
  const adapter = path.join(ROOT, 'dist', 'adapter', 'main.js');
  const BIN = path.join(ROOT, 'bin', 'backstep-dap');
  // DAP_BENCH_NODE_FLAGS: extra node flags for backstep's adapter (e.g. --cpu-prof); DAP_BENCH_ONLY=backstep
  // leaves lldb out (profiling).
  const nodeFlags = (process.env.DAP_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const lldb = process.env.DAP_BENCH_ONLY === 'backstep' ? undefined : lldbDap();
  // DAP_BENCH_ALT=<another build's dist/adapter/main.js, or an executable>: a third column, interleaved
  // (A/B of a change).
  const alt = process.env.DAP_BENCH_ALT;
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  const alts: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    // As a DAP client that runs the `backstep-dap` command starts it (bin/backstep-dap); with node
    // flags (profiling), node itself.
    ours.push(nodeFlags.length ? await session(process.execPath, [...nodeFlags, adapter], bpLine, {}) : await session(BIN, [], bpLine, {}));
    if (alt) alts.push(alt.endsWith('.js') ? await session(process.execPath, [...nodeFlags, alt], bpLine, {}) : await session(alt, [], bpLine, {}));
    if (lldb) theirs.push(await session(lldb, [], bpLine, {}));
  }
  const name = lldb ? path.basename(lldb) : 'lldb-dap';
  const col = (f: (s: Sample) => number) => (theirs.length ? median(theirs.map(f)) : undefined);
  const withAlt = (others: Record<string, number | undefined>, f: (xs: Sample[]) => number) => (alt ? { ...others, alt: f(alts) } : others);
  const size = (fs.statSync(PROGRAM).size / 1e6).toFixed(1);
  return [
    {
      metric: `launch to first breakpoint (${size} MB program, ${UNITS + 1} units)`,
      unit: 'ms',
      backstep: median(ours.map((s) => s.launchMs)),
      others: withAlt({ [name]: col((s) => s.launchMs) }, (xs) => median(xs.map((s) => s.launchMs))),
      higherIsBetter: false,
    },
    {
      metric: '`next` round trip (median of request to stopped)',
      unit: 'ms',
      backstep: median(ours.flatMap((s) => s.nextMs)),
      others: withAlt({ [name]: theirs.length ? median(theirs.flatMap((s) => s.nextMs)) : undefined }, (xs) => median(xs.flatMap((s) => s.nextMs))),
      higherIsBetter: false,
    },
    {
      // The session's first `next`: what is loaded or compiled on first use (the tracer's x86 decoder...).
      metric: 'first `next` round trip after the breakpoint (median over sessions)',
      unit: 'ms',
      backstep: median(ours.map((s) => s.nextMs[0])),
      others: withAlt({ [name]: col((s) => s.nextMs[0]) }, (xs) => median(xs.map((s) => s.nextMs[0]))),
      higherIsBetter: false,
    },
    {
      metric: 'stackTrace + scopes + variables round trip (median)',
      unit: 'ms',
      backstep: median(ours.flatMap((s) => s.inspectMs)),
      others: withAlt({ [name]: theirs.length ? median(theirs.flatMap((s) => s.inspectMs)) : undefined }, (xs) => median(xs.flatMap((s) => s.inspectMs))),
      higherIsBetter: false,
    },
  ];
}

if (require.main === module) {
  void (async () => {
    const { printRows } = await import('./common');
    printRows('DAP ([3] DAP server)', await benchDap());
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
