// Linux x86-64 ptrace, wait and signal constants (from <sys/ptrace.h>, <linux/ptrace.h>, <sys/wait.h>).

export const PTRACE = {
  TRACEME: 0,
  PEEKTEXT: 1,
  PEEKDATA: 2,
  PEEKUSER: 3,
  POKETEXT: 4,
  POKEDATA: 5,
  POKEUSER: 6,
  CONT: 7,
  KILL: 8,
  SINGLESTEP: 9,
  GETREGS: 12,
  SETREGS: 13,
  GETFPREGS: 14,
  SETFPREGS: 15,
  ATTACH: 16,
  DETACH: 17,
  SYSCALL: 24,
  SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201,
  GETSIGINFO: 0x4202,
  SETSIGINFO: 0x4203,
  GETREGSET: 0x4204,
  SETREGSET: 0x4205,
  SEIZE: 0x4206,
  INTERRUPT: 0x4207,
  LISTEN: 0x4208,
} as const;

export const PTRACE_O = {
  TRACESYSGOOD: 0x1,
  TRACEFORK: 0x2,
  TRACEVFORK: 0x4,
  TRACECLONE: 0x8,
  TRACEEXEC: 0x10,
  TRACEVFORKDONE: 0x20,
  TRACEEXIT: 0x40,
  TRACESECCOMP: 0x80,
  EXITKILL: 0x100000,
} as const;

export const PTRACE_EVENT = {
  FORK: 1,
  VFORK: 2,
  CLONE: 3,
  EXEC: 4,
  VFORK_DONE: 5,
  EXIT: 6,
  SECCOMP: 7,
  STOP: 128,
} as const;

export const WAIT = {
  WNOHANG: 0x1,
  WUNTRACED: 0x2,
  WNOTHREAD: 0x20000000,
  WALL: 0x40000000,
} as const;

/** NT_* register set numbers for PTRACE_GETREGSET. */
export const NT = { PRSTATUS: 1, PRFPREG: 2, X86_XSTATE: 0x202 } as const;

/** si_code values for SIGTRAP. */
export const TRAP_CODE = { BRKPT: 1, TRACE: 2, BRANCH: 3, HWBKPT: 4, SI_KERNEL: 0x80 } as const;

/** Offset of u_debugreg[0] in struct user (x86-64): where PTRACE_POKEUSER writes DR0..DR7. */
export const USER_DEBUGREG_OFFSET = 848;

export const ERRNO: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  7: 'E2BIG',
  8: 'ENOEXEC',
  9: 'EBADF',
  10: 'ECHILD',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  26: 'ETXTBSY',
  38: 'ENOSYS',
  40: 'ELOOP',
};

export function errnoName(errno: number): string {
  return ERRNO[errno] ?? `errno ${errno}`;
}
