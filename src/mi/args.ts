// gdb's command line, as far as MI front-ends and people use it (gdb/main.c, getopt_long_only: one
// or two dashes, `--opt=value` or `--opt value`).

export interface GdbArgs {
  version: boolean;
  help: boolean;
  /** 'console' when no --interpreter is given, else mi, mi2, mi3, mi4. */
  interpreter: string;
  quiet: boolean;
  batch: boolean;
  nx: boolean;
  /** -x FILE / -ex CMD in order (gdb runs them interleaved as given, after the program is loaded). */
  commands: { kind: 'file' | 'command'; value: string }[];
  /** -ix FILE / -iex CMD: run before the program is loaded. */
  initCommands: { kind: 'file' | 'command'; value: string }[];
  program?: string;
  programArgs: string[];
  /** --args was used (the rest of the command line is the program and its arguments). */
  argsMode: boolean;
  tty?: string;
  pid?: number;
  cd?: string;
  directories: string[];
  /** A second positional argument that is not a pid (a core file): not supported. */
  core?: string;
}

export class ArgsError extends Error {}

/** Options taking a value, by every name gdb accepts (without dashes). */
const WITH_VALUE: Record<string, string> = {
  interpreter: 'interpreter',
  i: 'interpreter',
  x: 'x',
  command: 'x',
  ex: 'ex',
  'eval-command': 'ex',
  iex: 'iex',
  'init-eval-command': 'iex',
  ix: 'ix',
  'init-command': 'ix',
  tty: 'tty',
  t: 'tty',
  p: 'pid',
  pid: 'pid',
  cd: 'cd',
  d: 'directory',
  directory: 'directory',
  se: 'se',
  s: 'symbols',
  symbols: 'symbols',
  e: 'exec',
  exec: 'exec',
  c: 'core',
  core: 'core',
  b: 'ignored',
  l: 'ignored',
  'data-directory': 'ignored',
  D: 'ignored',
};

const FLAGS: Record<string, string> = {
  version: 'version',
  v: 'version',
  help: 'help',
  h: 'help',
  q: 'quiet',
  quiet: 'quiet',
  silent: 'quiet',
  batch: 'batch',
  nx: 'nx',
  n: 'nx',
  nh: 'nh',
  'batch-silent': 'batch',
  'return-child-result': 'ignored',
  readnow: 'ignored',
  'readnever': 'ignored',
  write: 'ignored',
  statistics: 'ignored',
  async: 'ignored',
  noasync: 'ignored',
  nw: 'ignored',
  nowindows: 'ignored',
  w: 'ignored',
  windows: 'ignored',
  dbx: 'ignored',
  fullname: 'ignored',
  f: 'ignored',
  'early-init': 'ignored',
  tui: 'ignored',
  configuration: 'ignored',
  'use-deprecated-index-sections': 'ignored',
  'no-use-deprecated-index-sections': 'ignored',
};

export function parseArgs(argv: string[]): GdbArgs {
  const out: GdbArgs = {
    version: false,
    help: false,
    interpreter: 'console',
    quiet: false,
    batch: false,
    nx: false,
    commands: [],
    initCommands: [],
    programArgs: [],
    argsMode: false,
    directories: [],
  };
  const positional: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      positional.push(a);
      i++;
      continue;
    }
    const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
    if (body === 'args') {
      out.argsMode = true;
      const rest = argv.slice(i + 1);
      if (rest.length) {
        out.program = rest[0];
        out.programArgs = rest.slice(1);
      }
      break;
    }
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    const withValue = WITH_VALUE[name];
    if (withValue) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new ArgsError(`option '${a}' requires an argument`);
        value = argv[++i];
      }
      i++;
      switch (withValue) {
        case 'interpreter':
          out.interpreter = value;
          break;
        case 'x':
          out.commands.push({ kind: 'file', value });
          break;
        case 'ex':
          out.commands.push({ kind: 'command', value });
          break;
        case 'iex':
          out.initCommands.push({ kind: 'command', value });
          break;
        case 'ix':
          out.initCommands.push({ kind: 'file', value });
          break;
        case 'tty':
          out.tty = value;
          break;
        case 'pid': {
          const pid = Number(value);
          if (!Number.isInteger(pid) || pid <= 0) throw new ArgsError(`Illegal process-id: ${value}.`);
          out.pid = pid;
          break;
        }
        case 'cd':
          out.cd = value;
          break;
        case 'directory':
          out.directories.push(value);
          break;
        case 'se':
        case 'exec':
        case 'symbols':
          out.program = value;
          break;
        case 'core':
          out.core = value;
          break;
        default:
          break;
      }
      continue;
    }
    const flag = FLAGS[name];
    if (flag && value === undefined) {
      i++;
      switch (flag) {
        case 'version':
          out.version = true;
          break;
        case 'help':
          out.help = true;
          break;
        case 'quiet':
          out.quiet = true;
          break;
        case 'batch':
          out.batch = true;
          out.quiet = true;
          break;
        case 'nx':
          out.nx = true;
          break;
        default:
          break;
      }
      continue;
    }
    throw new ArgsError(`unrecognized option '${a}'`);
  }
  if (!out.argsMode) {
    if (positional.length) {
      if (out.program === undefined) out.program = positional.shift();
      if (positional.length) {
        const second = positional.shift()!;
        if (/^\d+$/.test(second)) out.pid = Number(second);
        else out.core = second;
      }
      if (positional.length) throw new ArgsError(`Excess command line arguments ignored. (${positional.join(' ')})`);
    }
  }
  if (!/^(console|mi|mi1|mi2|mi3|mi4)$/.test(out.interpreter)) throw new ArgsError(`Interpreter \`${out.interpreter}' unrecognized`);
  return out;
}

/** MI version number of an interpreter name ('mi' is the latest: 4 in gdb 13, with mi3's breakpoint forms). */
export function miVersion(interpreter: string): number {
  if (interpreter === 'mi') return 4;
  const m = /^mi(\d)$/.exec(interpreter);
  return m ? Number(m[1]) : 0;
}

export const GDB_VERSION = '13.1';

/** The banner: first line in the form MIEngine's and cdt-gdb-adapter's version parsers accept. */
export function versionText(backstepVersion: string): string {
  return [
    `GNU gdb (GDB) ${GDB_VERSION}`,
    `backstep ${backstepVersion}: a debugger with checkpoints and reverse execution, speaking the gdb/MI protocol`,
    'Copyright (C) 2023 Free Software Foundation, Inc. (gdb) and the backstep authors.',
    'License GPLv3+ (gdb interface) / MIT (backstep).',
    'This is free software: you are free to change and redistribute it.',
    'There is NO WARRANTY, to the extent permitted by law.',
    'This GDB was configured as "x86_64-linux-gnu".',
  ].join('\n') + '\n';
}

export const HELP_TEXT = `This is backstep-gdb, a GDB/MI-compatible front for the backstep debugger.
Usage:

    backstep-gdb [options] [executable-file [process-id]]
    backstep-gdb [options] --args executable-file [inferior-arguments ...]

Selection of debuggee and its files:

  --args             Arguments after executable-file are passed to inferior.
  --pid=PID, -p PID  Attach to running process PID.
  --cd=DIR           Change current directory to DIR.

Initial commands and command files:

  --command=FILE, -x Execute GDB commands from FILE.
  --eval-command=COMMAND, -ex
                     Execute a single GDB command.
  --init-command=FILE, -ix
                     Like -x but execute commands before loading inferior.
  --init-eval-command=COMMAND, -iex
                     Like -ex but before loading inferior.
  --nx, -n           Do not read any .gdbinit files.

Output and user interface control:

  --interpreter=INTERP
                     Select a specific interpreter / user interface: mi, mi2, mi3, mi4
                     or console.
  --tty=TTY          Use TTY for input/output by the program being debugged.
  -q, --quiet, --silent
                     Do not print version number on startup.
  --batch            Exit after processing options.

Operating modes:

  --help             Print this message and then exit.
  --version          Print version information and then exit.
`;
