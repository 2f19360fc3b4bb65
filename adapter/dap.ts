// backstep-dap: the Debug Adapter Protocol server. Speaks DAP on stdin/stdout by default (how VS Code,
// nvim-dap and dape start an adapter), or listens on TCP with --port N (bound to 127.0.0.1 unless
// --host says otherwise), serving one debug session per connection.
import * as net from 'net';
import { BackstepDebugSession } from './session';

interface Options {
  port?: number;
  host: string;
  logFile?: string;
  once: boolean;
}

const USAGE = `usage: backstep-dap [--port N [--host ADDR] [--once]] [--log FILE]
  (no options)   speak DAP on stdin/stdout
  --port N       listen for DAP clients on TCP port N (0 picks a free port; the port is printed on stdout)
  --host ADDR    address to bind with --port (default 127.0.0.1)
  --once         with --port: exit after the first client disconnects
  --log FILE     append a trace of every DAP message to FILE (also: BACKSTEP_DAP_LOG=FILE)`;

export function parseArgs(argv: string[]): Options {
  const o: Options = { host: '127.0.0.1', once: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--port':
      case '--server': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535) throw new Error(`invalid port '${v}'`);
        o.port = n;
        break;
      }
      case '--host':
        o.host = value();
        break;
      case '--log':
        o.logFile = value();
        break;
      case '--once':
        o.once = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option '${a}'`);
    }
  }
  return o;
}

/** Sessions alive in this process, ended gracefully on SIGTERM/SIGHUP/SIGINT. */
const live = new Set<BackstepDebugSession>();

function onSignals(): void {
  let ending = false;
  const end = (sig: NodeJS.Signals) => {
    if (ending) process.exit(1);
    ending = true;
    // Kill launched programs, detach from attached ones (a plain exit would kill both: the tracer sets
    // PTRACE_O_EXITKILL), then go.
    const timeout = new Promise((r) => setTimeout(r, 3000).unref());
    void Promise.race([Promise.all([...live].map((s) => s.shutdown())), timeout]).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as NodeJS.Signals[]) process.on(sig, () => end(sig));
}

function serveStdio(o: Options): void {
  const session = new BackstepDebugSession({
    logFile: o.logFile,
    // Exit once everything written so far (the disconnect response) has reached the client.
    onEnd: () => process.stdout.write('', () => process.exit(0)),
  });
  live.add(session);
  session.start(process.stdin, process.stdout);
}

function serveTcp(o: Options): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const session: BackstepDebugSession = new BackstepDebugSession({
      logFile: o.logFile,
      onEnd: () => {
        live.delete(session);
        socket.end();
        if (o.once) server.close(() => process.exit(0));
      },
    });
    socket.on('error', () => socket.destroy());
    live.add(session);
    session.start(socket, socket);
  });
  server.on('error', (e) => {
    process.stderr.write(`backstep-dap: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(o.port, o.host, () => {
    const a = server.address() as net.AddressInfo;
    // Whoever asked for port 0 reads the chosen port from this line.
    process.stdout.write(`backstep-dap listening on ${a.address}:${a.port}\n`);
  });
}

export function main(): void {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`backstep-dap: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  onSignals();
  if (o.port === undefined) {
    // stdout carries the protocol: nothing else may write there.
    console.log = console.error;
    console.info = console.error;
    console.warn = console.error;
    serveStdio(o);
  } else {
    serveTcp(o);
  }
}

