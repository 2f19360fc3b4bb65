#!/usr/bin/env node
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
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
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
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // Let stdout drain before leaving.
    process.stdout.write('', () => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  };
  const mi: MiInterpreter = createInterpreter(engine, {
    miVersion: mv,
    version,
    write: (t) => {
      try {
        process.stdout.write(t);
      } catch {
        /* the front-end went away */
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
