// Shared by the watch-*.test.ts files: gdb's watchpoint stops parsed from a batch run with POS markers
// (engine-helpers' gdb()), and our stop descriptions in the same shape.
import type { StopInfo } from '../src/engine/api';
import type { Session } from '../src/engine/session';
import { leftoverTracees, waitUntil } from './helpers';
import { newSession } from './engine-helpers';

export interface GdbStop {
  /** gdb's lines from the watchpoint header (or "Watchpoint N deleted ...", "Breakpoint N, ...") to the frame line. */
  text: string[];
  func: string;
  line: number;
  pc: number;
}

const HEAD = /^((Hardware (read |access \(read\/write\) )?)?[Ww]atchpoint \d+(: | deleted )|Breakpoint \d+, |Error in testing condition)/;
const FRAME = /^(0x[0-9a-f]+ in )?[\w:~<>]+ \(.*\) at \S+:\d+$/;

/** gdb commands for n continues, each marked (CONT) and followed by a POS. */
export function continues(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push('echo @@C\\n', 'continue', 'POS');
  return out;
}

/** The stops of a gdb batch run whose commands are continues(n) (a marker before, a POS after each stop). */
export function gdbStops(out: string): GdbStop[] {
  const stops: GdbStop[] = [];
  let acc: string[] = [];
  for (const l of out.split('\n')) {
    if (l === '@@C') acc = [];
    else if (l.startsWith('@@P|')) {
      const [, func, , line, pc] = l.split('|');
      stops.push({ text: stopLines(acc), func, line: Number(line), pc: Number(pc) });
      acc = [];
    } else acc.push(l);
  }
  return stops;
}

function stopLines(lines: string[]): string[] {
  const from = lines.findIndex((l) => HEAD.test(l));
  if (from < 0) return [];
  if (/^Breakpoint \d+, .* at \S+:\d+$/.test(lines[from])) return [lines[from]];
  const to = lines.findIndex((l, i) => i > from && FRAME.test(l));
  return lines.slice(from, to < 0 ? undefined : to + 1);
}

/** Our stop's description in the same shape (from the first header to the frame line). */
export function ourLines(stop: StopInfo): string[] {
  return stopLines(stop.description.split('\n'));
}

/**
 * Sessions for a watch test file: each one is disposed in afterAll, which then checks that no tracee
 * is left (front-end processes, gdb and the MI/DAP servers, are reaped by Node shortly after they exit).
 */
export function watchSessions(program: string): { session: () => Session; stoppedAt: (where: string) => Promise<Session> } {
  const sessions: Session[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.dispose();
    await waitUntil(() => leftoverTracees().length === 0, 5000).catch(() => undefined);
    expect(leftoverTracees()).toEqual([]);
  });
  const session = (): Session => {
    const { s } = newSession();
    sessions.push(s);
    return s;
  };
  /** A new session on `program`, launched and stopped at a breakpoint on `where`. */
  const stoppedAt = async (where: string): Promise<Session> => {
    const s = session();
    await s.loadProgram(program);
    await s.setBreakpoint({ location: where });
    const first = await s.launch({ program, stdio: 'pipe' });
    expect(first.reason).toBe('breakpoint');
    return s;
  };
  return { session, stoppedAt };
}
