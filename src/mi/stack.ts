// Frame ranges of the MI stack commands, as gdb's mi/mi-cmd-stack.c walks them: numbers by C's atoi,
// and no more of the stack unwound than the range needs (a deep recursion's innermost frames cost
// what they cost in a shallow one).
import type { FrameInfo } from '../engine/api';
import { MiError, type MiInterpreter } from './interpreter';

/** C's atoi: leading blanks, a sign, the digits that follow; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = parseInt(m[1], 10);
  // int overflow is undefined in C; glibc's atoi (strtol, truncated) saturates in practice.
  return Math.max(-0x80000000, Math.min(0x7fffffff, n));
}

/**
 * Frames LOW..HIGH of a thread (`range`: [LOW, HIGH] as typed; absent: the whole stack), as gdb's
 * -stack-list-frames and -stack-list-arguments select them: HIGH -1 means to the outermost frame, a
 * LOW past the outermost frame is `CMD: Not enough frames in stack.`, LOW > HIGH an empty list.
 */
export async function frameRange(m: MiInterpreter, thread: number, range: string[] | undefined, cmd: string): Promise<FrameInfo[]> {
  if (!range) return (await m.stack(thread)).frames;
  const lo = Math.max(0, atoi(range[0]));
  const hi = atoi(range[1]);
  let frames: FrameInfo[];
  if (hi === -1) frames = (await m.stack(thread)).frames;
  else frames = (await m.stackPrefix(thread, Math.max(lo, hi) + 1)).frames;
  if (lo >= frames.length) throw new MiError(`${cmd}: Not enough frames in stack.`);
  return hi === -1 ? frames.slice(lo) : frames.slice(lo, hi + 1);
}
