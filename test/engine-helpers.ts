// gdb as the oracle for the engine tests: runs gdb -batch with commands and reads frames and positions
// through its Python API (printed as @@ lines so program output cannot be mistaken for them).
import { execFileSync } from 'child_process';
import { Session } from '../src/engine/session';
import type { FrameInfo } from '../src/engine/api';

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
