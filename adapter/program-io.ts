// Where the debugged program's stdin/stdout/stderr go, per launch:
// - `stdio` redirections as CodeLLDB takes them: a string (all three), an array [stdin, stdout, stderr]
//   or an object {stdin, stdout, stderr}; each entry a file path, or null for the console default;
// - console 'internalConsole' (default): stdout/stderr are piped to the adapter and forwarded to the
//   client as 'output' events (categories stdout/stderr); stdin is /dev/null;
// - console 'integratedTerminal' / 'externalTerminal': the streams of a helper running in the client's
//   terminal (see terminal.ts).
// The program never inherits the adapter's own stdio: in stdio mode that is the protocol channel.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { StringDecoder } from 'string_decoder';

export type StdioSpec = [string | null, string | null, string | null];

export class ConfigError extends Error {}

/** Normalises the `stdio` launch attribute to [stdin, stdout, stderr]. */
export function parseStdio(v: unknown): StdioSpec {
  if (v === undefined || v === null) return [null, null, null];
  const entry = (x: unknown, what: string): string | null => {
    if (x === undefined || x === null) return null;
    if (typeof x !== 'string') throw new ConfigError(`stdio: ${what} must be a file path or null`);
    return x;
  };
  if (typeof v === 'string') return [v, v, v];
  if (Array.isArray(v)) {
    if (v.length > 3) throw new ConfigError('stdio: at most three entries (stdin, stdout, stderr)');
    return [entry(v[0], 'stdin'), entry(v[1], 'stdout'), entry(v[2], 'stderr')];
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['stdin', 'stdout', 'stderr'].includes(k)) throw new ConfigError(`stdio: unknown stream '${k}'`);
    return [entry(o.stdin, 'stdin'), entry(o.stdout, 'stdout'), entry(o.stderr, 'stderr')];
  }
  throw new ConfigError('stdio must be a string, an array [stdin, stdout, stderr] or an object {stdin, stdout, stderr}');
}

export type OutputSink = (category: 'stdout' | 'stderr', text: string) => void;

/** The file descriptors of one run of the program, and the forwarding of its output. */
export class ProgramIo {
  /** fds in this process, for LaunchConfig.stdio. */
  readonly fds: [number, number, number] = [-1, -1, -1];
  /** fds to close once the program has them (write ends of our pipes, opened files). */
  private readonly toClose: number[] = [];
  private readonly readers: net.Socket[] = [];
  private readonly ended: Promise<void>[] = [];
  private tmpDir: string | undefined;

  private constructor() {}

  /**
   * Opens the streams. `terminalPid`: the pid of a terminal helper whose fds 0/1/2 stand in for the
   * console. Paths are resolved against cwd.
   */
  static open(spec: StdioSpec, cwd: string, sink: OutputSink, terminalPid?: number): ProgramIo {
    const io = new ProgramIo();
    // One open file per distinct path, shared by the streams that name it (as `cmd >f 2>&1` does), so
    // that stdout and stderr to one file do not overwrite each other and stdin is not truncated.
    const paths = spec.map((f) => (f === null ? null : path.resolve(cwd, f)));
    const opened = new Map<string, number>();
    try {
      for (let i = 0; i < 3; i++) {
        const p = paths[i];
        if (p !== null) {
          let fd = opened.get(p);
          if (fd === undefined) {
            const reads = paths[0] === p;
            const writes = paths[1] === p || paths[2] === p;
            try {
              fd = fs.openSync(p, reads && writes ? 'r+' : reads ? 'r' : 'w', 0o644);
            } catch (e) {
              throw new ConfigError(`Cannot open ${['stdin', 'stdout', 'stderr'][i]} redirection '${p}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
            }
            opened.set(p, fd);
            io.toClose.push(fd);
          }
          io.fds[i] = fd;
        } else if (terminalPid !== undefined) {
          let fd: number;
          try {
            fd = fs.openSync(`/proc/${terminalPid}/fd/${i}`, i === 0 ? 'r' : 'w');
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw new ConfigError(
              code === 'ENXIO'
                ? `The terminal's ${['stdin', 'stdout', 'stderr'][i]} is a socket, which cannot be handed to the program: run the helper on a terminal or a pipe.`
                : `Cannot open the terminal's ${['stdin', 'stdout', 'stderr'][i]}: ${(e as Error).message}`,
            );
          }
          io.fds[i] = fd;
          io.toClose.push(fd);
        } else if (i === 0) {
          const fd = fs.openSync('/dev/null', 'r');
          io.fds[i] = fd;
          io.toClose.push(fd);
        } else {
          io.fds[i] = io.pipe(i === 1 ? 'stdout' : 'stderr', sink);
        }
      }
    } catch (e) {
      io.dispose();
      throw e;
    }
    return io;
  }

  /** A FIFO whose read end we forward to the client and whose write end the program gets. */
  private pipe(category: 'stdout' | 'stderr', sink: OutputSink): number {
    this.tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-io-'));
    const p = path.join(this.tmpDir, category);
    execFileSync('mkfifo', ['-m', '600', p]);
    // Read end first and non-blocking, so opening the write end does not wait; the write end stays
    // blocking (its flags are shared with the program).
    const rfd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const wfd = fs.openSync(p, fs.constants.O_WRONLY);
    fs.unlinkSync(p);
    this.toClose.push(wfd);
    const sock = new net.Socket({ fd: rfd, readable: true, writable: false });
    const dec = new StringDecoder('utf8');
    sock.on('data', (d: Buffer) => {
      const s = dec.write(d);
      if (s) sink(category, s);
    });
    this.ended.push(
      new Promise((resolve) => {
        const done = () => {
          const s = dec.end();
          if (s) sink(category, s);
          resolve();
        };
        sock.once('end', done);
        sock.once('error', done);
        sock.once('close', done);
      }),
    );
    this.readers.push(sock);
    return wfd;
  }

  /** The program has its copies: close ours, so its exit ends our readers. */
  releaseProgramEnds(): void {
    for (const fd of this.toClose.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch {
        /* closed */
      }
    }
    if (this.tmpDir) {
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
      this.tmpDir = undefined;
    }
  }

  /**
   * Resolves when everything the program wrote has been forwarded (end of file on every pipe), or after
   * `ms` when something else (a child of the program) still holds a pipe open.
   */
  async drain(ms = 300): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.ended), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  dispose(): void {
    this.releaseProgramEnds();
    for (const r of this.readers) r.destroy();
    this.readers.length = 0;
  }
}
