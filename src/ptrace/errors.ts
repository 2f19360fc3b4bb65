import { errnoName } from './constants';

/** A failed system call: names the call, the errno and what it was done to. */
export class SyscallError extends Error {
  readonly call: string;
  readonly errno: number;
  readonly code: string;
  constructor(call: string, errno: number, detail?: string) {
    const name = errnoName(errno);
    super(`${call}${detail ? ` (${detail})` : ''} failed: ${name}${strerror(errno)}`);
    this.name = 'SyscallError';
    this.call = call;
    this.errno = errno;
    this.code = name;
  }
}

/** A ptrace request that failed. `request` is the PTRACE_* name. */
export class PtraceError extends SyscallError {
  readonly request: string;
  readonly pid: number;
  constructor(request: string, pid: number, errno: number) {
    super(`ptrace(${request})`, errno, `pid ${pid}`);
    this.name = 'PtraceError';
    this.request = request;
    this.pid = pid;
  }
}

function strerror(errno: number): string {
  const text: Record<number, string> = {
    1: 'Operation not permitted',
    2: 'No such file or directory',
    3: 'No such process',
    5: 'Input/output error',
    10: 'No child processes',
    13: 'Permission denied',
    14: 'Bad address',
    22: 'Invalid argument',
  };
  return text[errno] ? ` (${text[errno]})` : '';
}
