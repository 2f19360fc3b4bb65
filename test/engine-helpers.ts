// gdb as the oracle for the engine tests: runs gdb -batch with commands and reads frames and positions
// through its Python API (printed as @@ lines so program output cannot be mistaken for them).
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import type { FrameInfo, StopInfo } from '../src/engine/api';

export interface GdbFrame {
  func: string | null;
  file: string | null;
  line: number;
  pc: number;
  inline: boolean;
}

const PY_BT = [
  'python',
  'f = gdb.newest_frame()',
  'while f is not None:',
  '  sal = f.find_sal()',
  '  print("@@F|%s|%s|%d|%d|%d" % (f.name(), sal.symtab.filename if sal.symtab else "", sal.line, f.pc(), 1 if f.type() == gdb.INLINE_FRAME else 0))',
  '  f = f.older()',
  'print("@@END")',
  'end',
].join('\n');

const PY_POS = ['python', 'f = gdb.selected_frame()', 'sal = f.find_sal()', 'print("@@P|%s|%s|%d|%d" % (f.name(), sal.symtab.filename if sal.symtab else "", sal.line, f.pc()))', 'end'].join('\n');

/** Runs gdb in batch mode; `commands` may contain the markers 'BT' and 'POS' (frame dumps). */
export function gdb(program: string, args: string[], commands: string[]): string {
  const script: string[] = ['set pagination off', 'set confirm off', 'set breakpoint pending on', 'set backtrace past-main off', 'set width 0'];
  for (const c of commands) script.push(c === 'BT' ? PY_BT : c === 'POS' ? PY_POS : c);
  const fs = require('fs') as typeof import('fs');
  const os = require('os') as typeof import('os');
  const path = require('path') as typeof import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-gdb-'));
  const file = path.join(dir, 'cmds.gdb');
  fs.writeFileSync(file, script.join('\n') + '\n');
  try {
    return execFileSync('gdb', ['-batch', '-nx', '-x', file, '--args', program, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** glibc tunables keeping glibc off AVX2/AVX-512 code, which gdb 13's `record full` cannot step on this CPU. */
export const NO_AVX_TUNABLES = 'glibc.cpu.hwcaps=-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-EVEX';

/**
 * gdb -batch -nx on `bin` with the -ex commands `setup`, then for each of `cmds` an `@@` marker and the
 * commands perCmd(cmd) gives (the command alone by default); returns what gdb printed after each
 * marker, in order (when gdb exits with an error, what it printed up to then).
 */
export function gdbMarked(bin: string, setup: string[], cmds: string[], perCmd: (cmd: string) => string[] = (c) => [c]): string[] {
  const args = ['-batch', '-nx'];
  for (const s of setup) args.push('-ex', s);
  for (const c of cmds) {
    args.push('-ex', 'echo @@\\n');
    for (const x of perCmd(c)) args.push('-ex', x);
  }
  let out: string;
  try {
    out = execFileSync('gdb', [...args, bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? '';
  }
  return out.split('@@\n').slice(1);
}

/** Backtraces printed by BT markers, in order. */
export function parseBacktraces(out: string): GdbFrame[][] {
  const res: GdbFrame[][] = [];
  let cur: GdbFrame[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('@@F|')) {
      const [, func, file, ln, pc, inl] = line.split('|');
      cur.push({ func: func === 'None' ? null : func, file: file || null, line: Number(ln), pc: Number(pc), inline: inl === '1' });
    } else if (line.startsWith('@@END')) {
      res.push(cur);
      cur = [];
    }
  }
  return res;
}

/** Positions printed by POS markers, in order. */
export function parsePositions(out: string): { func: string | null; file: string | null; line: number; pc: number }[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('@@P|'))
    .map((l) => {
      const [, func, file, ln, pc] = l.split('|');
      return { func: func === 'None' ? null : func, file: file || null, line: Number(ln), pc: Number(pc) };
    });
}

/**
 * Runs gdb on `cmds` with a POS marker after every command that moves the program (those matching
 * `runs`); returns gdb's output and the positions (function, line, pc) it printed, in order.
 */
export function gdbPositionsAfter(program: string, args: string[], cmds: string[], runs: RegExp): { out: string; positions: { func: string | null; line: number; pc: number }[] } {
  const script: string[] = [];
  for (const c of cmds) {
    script.push(c);
    if (runs.test(c)) script.push('POS');
  }
  const out = gdb(program, args, script);
  return { out, positions: parsePositions(out).map((p) => ({ func: p.func, line: p.line, pc: p.pc })) };
}

/** A stop's position in the shape of parsePositions() (an exit: line -1). */
export interface Pos {
  func: string | null;
  line: number;
  pc: number;
}

/**
 * Runs gdb-style commands on a session (break [if], delete, run, next, step, finish, until, advance,
 * stepi, nexti, continue); returns the position of each stop and the values `finish` returned.
 */
export async function runGdbCommands(s: Session, program: string, args: string[] | undefined, cmds: string[]): Promise<{ pos: Pos[]; values: string[] }> {
  const pos: Pos[] = [];
  const values: string[] = [];
  for (const c of cmds) {
    const [verb, ...rest] = c.split(' ');
    const arg = rest.join(' ');
    let stop: StopInfo | undefined;
    switch (verb) {
      case 'break': {
        const m = /^(.*?) if (.*)$/.exec(arg);
        await s.setBreakpoint(m ? { location: m[1], condition: m[2] } : { location: arg }, { pending: true });
        break;
      }
      case 'delete':
        for (const b of s.breakpoints()) await s.removeBreakpoint(b.id);
        break;
      case 'run':
        stop = await s.launch({ program, args, stdio: 'pipe' });
        break;
      case 'next':
        stop = await s.next();
        break;
      case 'step':
        stop = await s.step();
        break;
      case 'finish':
        stop = await s.finish();
        if (stop.returnValue) values.push(stop.description.split('\n').pop()!.replace(/^Value returned is /, ''));
        break;
      case 'until':
        stop = arg ? await s.until({ location: arg }) : await s.until();
        break;
      case 'advance':
        stop = await s.advance(arg);
        break;
      case 'stepi':
        stop = await s.stepInstruction();
        break;
      case 'nexti':
        stop = await s.stepInstruction({ over: true });
        break;
      case 'continue':
        stop = await s.cont();
        break;
      default:
        throw new Error(`unknown command ${c}`);
    }
    if (stop) {
      if (stop.reason === 'exited' || stop.reason === 'killed') pos.push({ func: null, line: -1, pc: 0 });
      else pos.push({ func: stop.frame?.function ?? null, line: stop.frame?.line ?? 0, pc: stop.frame?.pc ?? 0 });
    }
  }
  return { pos, values };
}

/** Our frames in the same shape as gdb's (up to main, like gdb's `backtrace past-main off`). */
export function ourFrames(frames: FrameInfo[]): { func: string | null; file: string | null; line: number; pc: number }[] {
  return frames.map((f) => ({ func: f.function ?? null, file: f.file ?? null, line: f.line ?? 0, pc: f.pc }));
}

/** A session whose program output is collected instead of printed. */
export function newSession(): { s: Session; output: string[] } {
  const s = new Session();
  const output: string[] = [];
  s.on('output', (o) => output.push(o.text));
  return { s, output };
}
