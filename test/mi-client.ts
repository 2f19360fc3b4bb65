// A small GDB/MI client for the MI tests: spawns backstep-gdb or the real gdb with the same arguments,
// sends commands, collects records, and normalises what legitimately differs between two runs
// (pids, stack addresses, cores, library ranges).
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { ROOT } from './helpers';

export const BACKSTEP_GDB = path.join(ROOT, 'dist', 'src', 'mi', 'main.js');

export type Debugger = 'backstep' | 'gdb';

export class MiClient {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  private buf = '';
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  private closed = false;
  readonly exited: Promise<number | null>;

  constructor(
    readonly which: Debugger,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    const cmd = which === 'gdb' ? 'gdb' : process.execPath;
    const argv = which === 'gdb' ? args : [BACKSTEP_GDB, ...args];
    this.proc = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => this.onData(d));
    this.proc.stderr!.on('data', () => undefined);
    this.exited = new Promise((r) => this.proc.on('exit', (code) => {
      this.closed = true;
      r(code);
    }));
  }

  static start(which: Debugger, extra: string[] = [], opts: { cwd?: string; interpreter?: string } = {}): MiClient {
    return new MiClient(which, [`--interpreter=${opts.interpreter ?? 'mi2'}`, '-nx', '-q', ...extra], { cwd: opts.cwd });
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.pred(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  /** Resolves with the first line (from `from` on) matching pred. */
  waitFor(pred: (l: string) => boolean, ms = 15000, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== res);
        reject(new Error(`${this.which}: timed out; last lines:\n${this.lines.slice(-15).join('\n')}`));
      }, ms);
      const res = (l: string) => {
        clearTimeout(t);
        resolve(l);
      };
      this.waiters.push({ pred, resolve: res });
    });
  }

  async ready(): Promise<void> {
    await this.waitFor((l) => l === '(gdb) ');
  }

  /**
   * Sends a command line with a token and resolves with every line written from the send up to and
   * including its result record.
   */
  async send(token: number | string, command: string, ms = 15000): Promise<string[]> {
    const from = this.lines.length;
    this.proc.stdin!.write(`${token}${command}\n`);
    const re = new RegExp(`^${token}\\^`);
    await this.waitFor((l) => re.test(l), ms, from);
    // Let the prompt that follows arrive.
    await new Promise((r) => setImmediate(r));
    const end = this.lines.findIndex((l, i) => i >= from && re.test(l));
    // Prompts are checked separately (they may arrive in either order with async records).
    return this.lines.slice(from, end + 1).filter((l) => l !== '(gdb) ');
  }

  /** The result record of a command. */
  async result(token: number, command: string, ms?: number): Promise<string> {
    const out = await this.send(token, command, ms);
    return out[out.length - 1];
  }

  /** Waits for the next *stopped record after line index `from`. */
  async stopped(from: number, ms = 15000): Promise<string> {
    return this.waitFor((l) => l.startsWith('*stopped'), ms, from);
  }

  /**
   * Waits for the next *stopped record and the prompt that follows it (mi-async off: gdb and backstep
   * both print one), so records written right after *stopped (e.g. =breakpoint-deleted) belong to this
   * command even when they arrive in a later read of the pipe.
   */
  async stoppedAndPrompt(from: number, ms = 15000): Promise<string> {
    const stop = await this.stopped(from, ms);
    const at = this.lines.findIndex((l, i) => i >= from && l.startsWith('*stopped'));
    await this.waitFor((l) => l === '(gdb) ', ms, at + 1);
    return stop;
  }

  /**
   * -break-insert `location` (token `tok`) and -exec-run (token tok + 1), then waits for the stop and
   * the prompt after it; returns the next free token.
   */
  async runTo(tok: number, location: string): Promise<number> {
    await this.result(tok, `-break-insert ${location}`);
    const at = this.mark();
    await this.send(tok + 1, '-exec-run');
    await this.stoppedAndPrompt(at);
    return tok + 2;
  }

  /**
   * Sends a command; when its result is ^running, also waits for the *stopped record and the prompt
   * after it. Returns the command's lines (up to its result) and the *stopped line, if any.
   */
  async exec(token: number, command: string): Promise<{ res: string[]; stop?: string }> {
    const from = this.mark();
    const res = await this.send(token, command);
    if (!res[res.length - 1].endsWith('^running')) return { res };
    return { res, stop: await this.stoppedAndPrompt(from) };
  }

  mark(): number {
    return this.lines.length;
  }

  write(raw: string): void {
    this.proc.stdin!.write(raw);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.proc.stdin!.end();
    } catch {
      /* gone */
    }
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Replaces what differs between two runs of the same program: pids, stack and heap addresses, cores. */
export function normalize(line: string): string {
  return line
    .replace(/pid="\d+"/g, 'pid="PID"')
    .replace(/process \d+/g, 'process PID')
    .replace(/LWP \d+/g, 'LWP PID')
    .replace(/Thread 0x[0-9a-f]+/g, 'Thread 0xTHREAD')
    .replace(/core="\d+"/g, 'core="N"')
    .replace(/0x00007ff[0-9a-f]{9}/g, '0x00007ffSTACK')
    .replace(/0x7ff[0-9a-f]{9}/g, '0x7ffSTACK');
}

/** Lines that only one of the two debuggers prints, for reasons outside the MI protocol. */
export function comparable(line: string): boolean {
  return !/^=library-loaded|^~"\[Thread debugging|^~"Using host libthread_db|^=library-unloaded/.test(line);
}

/** One command of an MI transcript; `stop` waits for its *stopped record and the prompt after it. */
export interface MiStep {
  cmd: string;
  stop?: boolean;
}

/**
 * Runs the same commands in gdb or backstep-gdb (started with `extra` arguments, e.g. ['--args', prog])
 * and returns, per command, the lines it produced up to its result (and for a stop, up to the prompt
 * after *stopped): only comparable() lines that `keep` accepts, prompts dropped, normalize()d, with the
 * command's token taken off its result record (`^done`, not `3^done`).
 */
export async function miTranscript(which: Debugger, extra: string[], cmds: MiStep[], keep: (line: string) => boolean = () => true): Promise<string[][]> {
  const c = MiClient.start(which, extra);
  const out: string[][] = [];
  try {
    await c.ready();
    let tok = 1;
    for (const s of cmds) {
      const from = c.mark();
      await c.send(tok++, s.cmd);
      if (s.stop) await c.stoppedAndPrompt(from, 30000);
      out.push(
        c.lines
          .slice(from)
          .filter((l) => comparable(l) && l !== '(gdb) ' && keep(l))
          .map((l) => normalize(l).replace(/^\d+\^/, '^')),
      );
    }
  } finally {
    c.write('-gdb-exit\n');
    await c.close();
  }
  return out;
}
