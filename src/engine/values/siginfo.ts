// `$_siginfo`: gdb's synthesized siginfo type for x86-64 Linux (linux-tdep.c linux_get_siginfo_type),
// so that `print $_siginfo` shows exactly what gdb shows.

import type { Member, StructType, Type } from '../../symbols/types';
import type { TargetMemory } from './api';
import { base, makeArray, makePointer, T } from './type-util';
import { Value } from './value';

function typedef(name: string, target: Type): Type {
  return { kind: 'typedef', name, target };
}

function struct(kind: 'struct' | 'union', members: [string, Type, number][], byteSize: number, name?: string): StructType {
  const ms: Member[] = members.map(([n, type, offset]) => ({ name: n, type, offset, artificial: false }));
  return { kind, name, byteSize, members: ms, bases: [], declaration: false, cplus: false };
}

let cached: Type | undefined;

/** gdb's `$_siginfo` type (128 bytes). */
export function siginfoType(): Type {
  if (cached) return cached;
  const int = T.int;
  const voidp = makePointer(T.void);
  const pid = typedef('__pid_t', int);
  const uid = typedef('__uid_t', base('unsigned int', 4, 'unsigned'));
  const clock = typedef('__clock_t', T.long);
  // A union named sigval_t in gdb, not a typedef (whatis in a C frame: `union sigval_t`).
  const sigval = struct('union', [['sival_int', int, 0], ['sival_ptr', voidp, 0]], 8, 'sigval_t');
  const fields = struct(
    'union',
    [
      // A vector in gdb (init_vector_type): ptype shows `int _pad __attribute__ ((vector_size(28)))`.
      ['_pad', { ...makeArray(int, 28), vector: true }, 0],
      ['_kill', struct('struct', [['si_pid', pid, 0], ['si_uid', uid, 4]], 8), 0],
      ['_timer', struct('struct', [['si_tid', int, 0], ['si_overrun', int, 4], ['si_sigval', sigval, 8]], 16), 0],
      ['_rt', struct('struct', [['si_pid', pid, 0], ['si_uid', uid, 4], ['si_sigval', sigval, 8]], 16), 0],
      ['_sigchld', struct('struct', [['si_pid', pid, 0], ['si_uid', uid, 4], ['si_status', int, 8], ['si_utime', clock, 16], ['si_stime', clock, 24]], 32), 0],
      ['_sigfault', struct('struct', [['si_addr', voidp, 0], ['_addr_lsb', T.short, 8], ['_addr_bnd', struct('struct', [['_lower', voidp, 0], ['_upper', voidp, 8]], 16), 16]], 32), 0],
      ['_sigpoll', struct('struct', [['si_band', T.long, 0], ['si_fd', int, 8]], 16), 0],
      ['_sigsys', struct('struct', [['_call_addr', voidp, 0], ['_syscall', int, 8], ['_arch', base('unsigned int', 4, 'unsigned'), 12]], 16), 0],
    ],
    112,
  );
  // `struct siginfo`, not a typedef (whatis $_siginfo: `struct siginfo`).
  cached = struct('struct', [['si_signo', int, 0], ['si_errno', int, 4], ['si_code', int, 8], ['_sifields', fields, 16]], 128, 'siginfo');
  return cached;
}

/** A `$_siginfo` value from the kernel's 128-byte siginfo (PTRACE_GETSIGINFO). */
export function siginfoValue(raw: Buffer, memory?: TargetMemory): Value {
  const b = Buffer.alloc(128);
  raw.copy(b, 0, 0, Math.min(128, raw.length));
  return Value.fromBytes(siginfoType(), b, memory);
}

/** A siginfo built from the fields a stop reports (signal, code, fault address, sender). */
export function siginfoFromFields(f: { signo: number; errno?: number; code?: number; addr?: number; pid?: number; uid?: number; status?: number }): Buffer {
  const b = Buffer.alloc(128);
  b.writeInt32LE(f.signo, 0);
  b.writeInt32LE(f.errno ?? 0, 4);
  b.writeInt32LE(f.code ?? 0, 8);
  if (f.addr !== undefined) b.writeBigUInt64LE(BigInt(f.addr), 16);
  else {
    b.writeInt32LE(f.pid ?? 0, 16);
    b.writeUInt32LE(f.uid ?? 0, 20);
    if (f.status !== undefined) b.writeInt32LE(f.status, 24);
  }
  return b;
}
