// backstep-gdb: a drop-in `gdb` for GDB/MI front-ends (cppdbg's miDebuggerPath, cdt-gdb-adapter's
// `gdb`, Native Debug, Emacs gud/gdb-mi). Accepts gdb's command line, speaks MI on stdin/stdout
// (which may be FIFOs), ends on EOF or -gdb-exit (killing the program, or detaching from an attached
// one), and turns SIGINT to the debugger into an interrupt of the program.
import * as fs from 'fs';
import * as path from 'path';
import { ArgsError, GdbArgs, HELP_TEXT, miVersion, parseArgs, versionText } from './args';
import type { MiInterpreter } from './interpreter';

function backstepVersion(): string {
  try {
    // dist/src/mi/ or, bundled, dist/bundle/: the package root is the first directory up with a package.json.
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0';
  } catch {
    return '0';
  }
}

async function main(): Promise<void> {
  let args: GdbArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    const msg = (e as Error).message;
    if (e instanceof ArgsError && msg.startsWith('Interpreter')) process.stderr.write(msg + '\n');
    else process.stderr.write(`backstep-gdb: ${msg}\nUse \`backstep-gdb --help' for a complete list of options.\n`);
    process.exit(1);
  }
  const version = backstepVersion();
  if (args.version) {
    process.stdout.write(versionText(version));
    return;
  }
  if (args.help) {
    process.stdout.write(HELP_TEXT);
    return;
  }
  if (args.cd) {
    try {
      process.chdir(args.cd);
    } catch {
      process.stderr.write(`${args.cd}: No such file or directory.\n`);
    }
  }
  const mv = miVersion(args.interpreter);
  if (mv === 0) {
    process.stderr.write('backstep-gdb speaks GDB/MI: start it with --interpreter=mi (or mi2, mi3, mi4).\n');
    process.exit(1);
  }
  // Loaded only now: front-ends run `gdb --version` before every session (cdt-gdb-adapter does), and
  // that answer should not wait for the whole engine to load.
  const { Session } = require('../engine/session') as typeof import('../engine/session'); // eslint-disable-line @typescript-eslint/no-require-imports
  const { createInterpreter } = require('./index') as typeof import('./index'); // eslint-disable-line @typescript-eslint/no-require-imports
  const engine = new Session();
  // The engine turns on V8's baseline compilation for everything compiled once a program starts
  // (eagerBaselineFromNowOn in src/engine/data.ts).
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    flush();
    // Let stdout drain before leaving.
    process.stdout.write('', () => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  };
  // BACKSTEP_MI_TRACE=<file>: every input line and output record with a µs timestamp (for profiling
  // what a front-end sends per stop and how long each command takes).
  const traceFile = process.env.BACKSTEP_MI_TRACE;
  const t0 = process.hrtime.bigint();
  const trace = traceFile
    ? (dir: string, text: string) => fs.appendFileSync(traceFile, `${(Number(process.hrtime.bigint() - t0) / 1e3).toFixed(0).padStart(10)} ${dir} ${text.length > 200 ? text.slice(0, 200) + '...' : text}\n`)
    : undefined;
  // Output: the records a command or a stop produces go out in one write (one pipe write, one wake-up
  // of the front-end), not one per line, and never wait for a timer: a batch ends at the prompt or at
  // the end of the current synchronous stretch (a microtask), whichever comes first. A resume's batch
  // (^running, *running, prompt) must be out before the program runs: a program writing to the same
  // terminal or pipe prints after it, as with gdb.
  let out: string[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (!out.length) return;
    const text = out.length === 1 ? out[0] : out.join('');
    out = [];
    try {
      process.stdout.write(text);
    } catch {
      /* the front-end went away */
    }
  };
  const mi: MiInterpreter = createInterpreter(engine, {
    miVersion: mv,
    version,
    write: (t) => {
      trace?.('>', t.replace(/\n$/, ''));
      out.push(t);
      // A prompt ends a batch; anything else (async records with mi-async on, notifications from the
      // program's events) goes out when the current synchronous stretch of work ends.
      if (t === '(gdb) \n') flush();
      else if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    },
    onExit: exit,
  });
  process.stdout.on('error', () => void mi.shutdown(0));

  await mi.startup(args);

  // SIGINT to the debugger interrupts the program (cdt-gdb-adapter in sync mode, a terminal's ^C).
  process.on('SIGINT', () => {
    if (mi.running) void mi.engine.pause();
  });
  process.on('SIGTERM', () => void mi.shutdown(0));
  process.on('SIGHUP', () => void mi.shutdown(0));

  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      trace?.('<', line);
      mi.input(line);
    }
  });
  process.stdin.on('end', () => {
    if (buf) mi.input(buf);
    buf = '';
    // EOF: gdb quits, killing (or detaching from) the program, after the commands already sent: in
    // synchronous mode those queued behind a running program run once it stops, as gdb reads them
    // then (a script piped into backstep-gdb runs to its end). A running program with nothing queued
    // behind it (or with mi-async on) is not waited for.
    if (mi.running && (mi.async || !mi.hasQueuedInput)) void mi.shutdown(0);
    else void mi.idle().then(() => mi.shutdown(0));
  });
}

main().catch((e) => {
  process.stderr.write(`backstep-gdb: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
