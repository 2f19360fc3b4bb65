// console integratedTerminal / externalTerminal: the adapter asks the client (runInTerminal reverse
// request) to run terminal-helper.js in a terminal; the helper connects back over a Unix socket and
// reports its pid, and the program is started on the helper's stdin/stdout/stderr (ProgramIo opens
// /proc/<pid>/fd/N). The connection stays open for the life of the session; closing it lets the helper
// (and so the terminal's command) end.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface TerminalHandle {
  pid: number;
  tty?: string;
  /** Shows a line in the terminal (through the helper's stderr). */
  note(text: string): void;
  /** Called when the user presses Ctrl-C in the terminal. */
  onInterrupt(cb: () => void): void;
  /** Called when the helper goes away (the user closed the terminal). */
  onClose(cb: () => void): void;
  close(): void;
}

export type RunInTerminal = (args: {
  kind: 'integrated' | 'external';
  title: string;
  cwd: string;
  args: string[];
  env?: Record<string, string | null>;
}) => Promise<void>;

export function helperScript(): string {
  // Bundled (dist/bundle/), the helper is still the separate dist/adapter/terminal-helper.js.
  const bundle = globalThis.__backstepBundle;
  return bundle ? path.join(bundle.dist, 'adapter', 'terminal-helper.js') : path.join(__dirname, 'terminal-helper.js');
}

/** Starts the helper through the client and waits (up to timeoutMs) for it to connect. */
export async function openTerminal(run: RunInTerminal, kind: 'integrated' | 'external', title: string, cwd: string, timeoutMs = 30000): Promise<TerminalHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-tty-'));
  const sockPath = path.join(dir, 'sock');
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });
  const cleanup = () => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const connected = new Promise<{ conn: net.Socket; hello: { pid: number; tty?: string }; rest: string }>((resolve, reject) => {
      server.once('connection', (conn) => {
        let buf = '';
        const onData = (d: Buffer) => {
          buf += d.toString('utf8');
          const nl = buf.indexOf('\n');
          if (nl < 0) return;
          conn.off('data', onData);
          try {
            const hello = JSON.parse(buf.slice(0, nl)) as { pid: number; tty?: string };
            if (!Number.isInteger(hello.pid)) throw new Error('no pid');
            resolve({ conn, hello, rest: buf.slice(nl + 1) });
          } catch {
            reject(new Error('The terminal helper sent a malformed greeting.'));
          }
        };
        conn.on('data', onData);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`The terminal did not start the program helper within ${timeoutMs / 1000} s.`)), timeoutMs);
    });
    try {
      await Promise.race([
        run({ kind, title, cwd, args: [process.execPath, helperScript(), sockPath] }).then(() => connected),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    const { conn, hello } = await connected;
    const interruptCbs: (() => void)[] = [];
    const closeCbs: (() => void)[] = [];
    let buf = '';
    conn.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          if ((JSON.parse(line) as { interrupt?: boolean }).interrupt) for (const cb of interruptCbs) cb();
        } catch {
          /* ignore */
        }
      }
    });
    conn.on('close', () => {
      for (const cb of closeCbs) cb();
    });
    conn.on('error', () => undefined);
    return {
      pid: hello.pid,
      tty: hello.tty,
      note: (text) => {
        if (!conn.destroyed) conn.write(JSON.stringify({ note: text }) + '\n');
      },
      onInterrupt: (cb) => interruptCbs.push(cb),
      onClose: (cb) => closeCbs.push(cb),
      close: () => conn.end(),
    };
  } finally {
    // The socket file is only needed until the helper has connected.
    cleanup();
  }
}
