/*
 * backstep native shim: the only C in the debugger.
 *
 * Spawning a traced child needs code that runs between fork() and execve(), and JavaScript cannot run
 * there (V8's heap is MADV_DONTFORK, so a forked Node child dies at once). Everything else, including
 * ptrace itself, is called from TypeScript through koffi.
 *
 * Protocol (all on the tracer thread):
 *   1. bs_spawn_prepare() forks. The child resets what Node changed (signal dispositions and mask,
 *      FD_CLOEXEC on stdio), wires stdio, chdir()s, joins its own process group (or session), disables
 *      ASLR if asked, then blocks reading the "go" pipe.
 *   2. The tracer PTRACE_SEIZEs the child with its options (EXITKILL, TRACECLONE, TRACEEXEC, ...), so the
 *      child is traced before it runs a single instruction of the new program, and PTRACE_INTERRUPT works.
 *   3. bs_spawn_release() writes the go byte. The child execve()s; the exec closes the CLOEXEC error pipe
 *      (EOF: success) or the child writes errno into it and _exit(127)s. The tracer then sees the
 *      PTRACE_EVENT_EXEC stop.
 * If the tracer dies before step 3, the child reads EOF on the go pipe and exits without exec'ing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BS_SETPGID 1   /* child gets its own process group */
#define BS_NO_ASLR 2   /* personality(ADDR_NO_RANDOMIZE) */
#define BS_SETSID 4    /* new session; stdin (a terminal) becomes its controlling terminal */

static void child_fail(int err_fd, int stage_errno)
{
    int e = stage_errno;
    ssize_t r = write(err_fd, &e, sizeof e);
    (void)r;
    _exit(127);
}

static void wire_fd(int from, int to, int err_fd)
{
    if (from >= 0 && from != to) {
        if (dup2(from, to) < 0) child_fail(err_fd, errno);
    }
    /* Node marks 0-2 close-on-exec; dup2(i, i) does not clear the flag, F_SETFD does. */
    int fl = fcntl(to, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(to, F_SETFD, fl & ~FD_CLOEXEC);
}

/*
 * Forks a child that will execve(path, argv, envp) once released. stdio_fds[i] < 0 means inherit the
 * debugger's fd i. Returns the child's pid (and the two pipe ends through go_fd/err_fd) or -errno.
 */
int bs_spawn_prepare(const char *path, char *const argv[], char *const envp[], const char *cwd,
                     const int stdio_fds[3], int flags, int *go_fd, int *err_fd)
{
    int go[2], er[2];
    if (pipe2(go, O_CLOEXEC) < 0) return -errno;
    if (pipe2(er, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        return -e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(go[0]); close(go[1]); close(er[0]); close(er[1]);
        return -e;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here on. */
        close(go[1]);
        close(er[0]);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < 65; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            sigaction(s, &dfl, NULL); /* fails harmlessly for numbers that are not signals */
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (flags & BS_SETSID) {
            if (setsid() < 0) child_fail(er[1], errno);
        } else if (flags & BS_SETPGID) {
            if (setpgid(0, 0) < 0) child_fail(er[1], errno);
        }
        for (int i = 0; i < 3; i++) wire_fd(stdio_fds[i], i, er[1]);
        if ((flags & BS_SETSID) && isatty(0)) ioctl(0, TIOCSCTTY, 0);
        if (cwd && cwd[0] && chdir(cwd) < 0) child_fail(er[1], errno);
        if (flags & BS_NO_ASLR) personality(ADDR_NO_RANDOMIZE);
        char c;
        ssize_t n;
        do {
            n = read(go[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(126); /* the tracer went away before releasing us */
        close(go[0]);
        execve(path, argv, envp);
        child_fail(er[1], errno);
    }
    close(go[0]);
    close(er[1]);
    *go_fd = go[1];
    *err_fd = er[0];
    return pid;
}

/*
 * Lets the child execve. Returns 0 when the exec succeeded, or the child's errno (exec failed: the child
 * has exited with 127 and must still be reaped by the caller). Closes both pipe ends.
 */
int bs_spawn_release(int go_fd, int err_fd)
{
    char c = 'g';
    ssize_t w;
    do {
        w = write(go_fd, &c, 1);
    } while (w < 0 && errno == EINTR);
    close(go_fd);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(err_fd, &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(err_fd);
    return n == (ssize_t)sizeof child_errno ? child_errno : 0;
}
