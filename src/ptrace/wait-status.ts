// Decoding of waitpid statuses for traced processes (see ptrace(2), "Stopped states").
import { PTRACE_EVENT } from './constants';

export type WaitStatus =
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signo: number; core: boolean }
  | { kind: 'stopped'; signo: number; event: number; syscall: boolean };

export function decodeStatus(s: number): WaitStatus {
  if ((s & 0x7f) === 0) return { kind: 'exited', code: (s >> 8) & 0xff };
  if ((s & 0xff) === 0x7f) {
    const sig = (s >> 8) & 0xff;
    // With PTRACE_O_TRACESYSGOOD a syscall stop reports SIGTRAP|0x80.
    if (sig === (5 | 0x80)) return { kind: 'stopped', signo: 5, event: 0, syscall: true };
    return { kind: 'stopped', signo: sig, event: (s >> 16) & 0xffff, syscall: false };
  }
  return { kind: 'killed', signo: s & 0x7f, core: (s & 0x80) !== 0 };
}

export function isGroupStopSignal(signo: number): boolean {
  return signo === 19 || signo === 20 || signo === 21 || signo === 22; // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
}

export { PTRACE_EVENT };
