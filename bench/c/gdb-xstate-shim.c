/* LD_PRELOAD shim for benchmarking gdb 13 on CPUs with AMX: gdb reads and writes the XSAVE register set
   (PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE) with a buffer smaller than the kernel's xstate size, and
   the kernel refuses a partial SETREGSET (EFAULT: "Couldn't write extended state status: Bad address"),
   which breaks every inferior function call, so `checkpoint` and `restart`. This shim reads the full set
   and merges gdb's shorter buffer into it, so gdb works as it does on other CPUs. Bench use only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NT_X86_XSTATE 0x202
#define FULL 65536

typedef long (*ptrace_fn)(int, pid_t, void *, void *);
static unsigned char full[FULL];

long ptrace(enum __ptrace_request request, ...)
{
    static ptrace_fn real;
    if (!real) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *);
    void *data = va_arg(ap, void *);
    va_end(ap);
    if ((request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE && data) {
        struct iovec *iov = data;
        struct iovec big = { full, FULL };
        long r = real(PTRACE_GETREGSET, pid, addr, &big);
        if (r < 0) return r;
        size_t n = iov->iov_len < big.iov_len ? iov->iov_len : big.iov_len;
        if (request == PTRACE_GETREGSET) {
            memcpy(iov->iov_base, full, n);
            iov->iov_len = n;
            return 0;
        }
        memcpy(full, iov->iov_base, n);
        return real(PTRACE_SETREGSET, pid, addr, &big);
    }
    return real(request, pid, addr, data);
}
