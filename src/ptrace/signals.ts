// Signal numbers and names for Linux x86-64, and the default stop/pass policy (gdb's defaults).

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

const NAMES: string[] = [];
for (const [name, num] of Object.entries(SIGNALS)) NAMES[num] = name;

export function signalName(signo: number): string {
  if (NAMES[signo]) return NAMES[signo];
  if (signo >= 34 && signo <= 64) return signo === 34 ? 'SIGRTMIN' : `SIG${signo}`;
  return `SIG${signo}`;
}

/** gdb's descriptions, used in stop messages ("Program received signal SIGSEGV, Segmentation fault."). */
const DESCRIPTIONS: Record<number, string> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Arithmetic exception', 9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault',
  12: 'User defined signal 2', 13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated', 17: 'Child status changed',
  18: 'Continued', 19: 'Stopped (signal)', 20: 'Stopped (user)', 21: 'Stopped (tty input)', 22: 'Stopped (tty output)',
  23: 'Urgent I/O condition', 24: 'CPU time limit exceeded', 25: 'File size limit exceeded', 26: 'Virtual timer expired',
  27: 'Profiling timer expired', 28: 'Window size changed', 29: 'I/O possible', 30: 'Power fail/restart', 31: 'Bad system call',
};

export function signalDescription(signo: number): string {
  return DESCRIPTIONS[signo] ?? `Real-time event ${signo}`;
}

export function signalNumber(nameOrNumber: string | number): number {
  if (typeof nameOrNumber === 'number') return nameOrNumber;
  const upper = nameOrNumber.toUpperCase();
  const n = SIGNALS[upper] ?? SIGNALS['SIG' + upper];
  if (n !== undefined) return n;
  if (/^\d+$/.test(nameOrNumber)) return Number(nameOrNumber);
  throw new Error(`Unknown signal: ${nameOrNumber}`);
}

/** Signals the debugger passes to the program without stopping, as gdb does by default. */
export const DEFAULT_NOSTOP = new Set<number>([
  SIGNALS.SIGALRM, SIGNALS.SIGURG, SIGNALS.SIGCHLD, SIGNALS.SIGWINCH, SIGNALS.SIGVTALRM, SIGNALS.SIGPROF,
  SIGNALS.SIGIO, SIGNALS.SIGPWR, 32, 33, // glibc's internal SIGCANCEL/SIGSETXID
]);
