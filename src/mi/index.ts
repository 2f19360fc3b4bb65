// The GDB/MI interpreter: public entry points.
import * as fs from 'fs';
import type { Engine } from '../engine/api';
import type { GdbArgs } from './args';
import { runCliCommand } from './cli';
import { loadProgram, registerCommands, resolvePendingBreakpoints } from './commands';
import { errorMessage, MiInterpreter, MiInterpreterOptions } from './interpreter';
import { registerVarCommands } from './varobj';

export { MiInterpreter } from './interpreter';
export { parseArgs, miVersion } from './args';
export { cstring, parseInput, splitArgs } from './syntax';

/** An interpreter with every MI and console command registered. */
export function createInterpreter(engine: Engine, opts: MiInterpreterOptions): MiInterpreter {
  const mi = new MiInterpreter(engine, opts);
  registerCommands(mi);
  registerVarCommands(mi);
  mi.cli = runCliCommand;
  return mi;
}

declare module './interpreter' {
  interface MiInterpreter {
    /** What gdb does between starting and its first prompt: banner, program, -ex/-x commands. */
    startup(args: GdbArgs): Promise<void>;
  }
}

MiInterpreter.prototype.startup = async function startup(this: MiInterpreter, args: GdbArgs): Promise<void> {
  this.notify('thread-group-added', { id: 'i1' });
  if (!args.quiet) for (const l of this.versionBanner()) this.console(l);
  const runLines = async (list: { kind: 'file' | 'command'; value: string }[]) => {
    for (const c of list) {
      const lines = c.kind === 'command' ? [c.value] : readCommandFile(this, c.value);
      for (const l of lines) {
        try {
          await this.runCli({ token: '', operation: '', all: false, fromCli: true, args: l }, l);
        } catch (e) {
          this.log(errorMessage(e) + '\n');
        }
      }
    }
  };
  await runLines(args.initCommands);
  if (args.tty) this.inferiorTty = args.tty;
  if (args.program) {
    this.programArgs = args.programArgs;
    this.programArgsText = args.programArgs.map((a) => (/[\s"'\\]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
    try {
      this.console(`Reading symbols from ${args.program}...\n`);
      await loadProgram(this, args.program);
      if (this.engine.program && !this.engine.program.hasDebugInfo) this.console(`(No debugging symbols found in ${args.program})\n`);
      await resolvePendingBreakpoints(this);
    } catch (e) {
      this.log(errorMessage(e) + '\n');
    }
  }
  if (args.core) this.log(`backstep cannot debug core files: "${args.core}" ignored.\n`);
  if (args.pid !== undefined) {
    try {
      await this.commands.get('target-attach')!.handler(this, { token: '', operation: 'target-attach', all: false, fromCli: true, args: '' }, [String(args.pid)]);
    } catch (e) {
      this.log(errorMessage(e) + '\n');
    }
  }
  await runLines(args.commands);
  if (args.batch) {
    await this.shutdown(0);
    return;
  }
  this.prompt();
};

function readCommandFile(mi: MiInterpreter, file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
  } catch {
    mi.log(`${file}: No such file or directory.\n`);
    return [];
  }
}
