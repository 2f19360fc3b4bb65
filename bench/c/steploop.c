/* The baseline for backstep's single-step and breakpoint throughput: the same work as a bare C loop of
   ptrace calls, with the tracer and the tracee pinned to one CPU as backstep pins them.
   usage: steploop steps N PROGRAM ARGS...      -> prints steps/s
          steploop bphits ADDR_OFFSET N PROGRAM ARGS... (breakpoint at load base + offset) -> hits/s */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static pid_t start(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        personality(ADDR_NO_RANDOMIZE);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
    return pid;
}

int main(int argc, char **argv)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
    sched_setaffinity(0, sizeof set, &set);
    if (argc >= 4 && strcmp(argv[1], "steps") == 0) {
        long n = atol(argv[2]);
        pid_t pid = start(argv + 3);
        double t0 = now();
        int st;
        for (long i = 0; i < n; i++) {
            ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
            waitpid(pid, &st, __WALL);
        }
        double dt = now() - t0;
        printf("%.0f\n", n / dt);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "bphits") == 0) {
        unsigned long off = strtoul(argv[2], 0, 16);
        long n = atol(argv[3]);
        pid_t pid = start(argv + 4);
        /* PIE without ASLR: the executable is at 0x555555554000. */
        unsigned long addr = 0x555555554000UL + off;
        long orig = ptrace(PTRACE_PEEKTEXT, pid, addr, 0);
        long trap = (orig & ~0xffL) | 0xcc;
        ptrace(PTRACE_POKETEXT, pid, addr, trap);
        int st;
        long hits = 0;
        double t0 = now();
        for (;;) {
            ptrace(PTRACE_CONT, pid, 0, 0);
            waitpid(pid, &st, __WALL);
            if (!WIFSTOPPED(st)) break;
            struct user_regs_struct r;
            ptrace(PTRACE_GETREGS, pid, 0, &r);
            r.rip -= 1;
            ptrace(PTRACE_SETREGS, pid, 0, &r);
            ptrace(PTRACE_POKETEXT, pid, addr, orig);
            ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
            waitpid(pid, &st, __WALL);
            ptrace(PTRACE_POKETEXT, pid, addr, trap);
            hits++;
        }
        double dt = now() - t0;
        printf("%.0f %ld %ld\n", hits / dt, hits, n);
        return 0;
    }
    fprintf(stderr, "usage: steploop steps N PROG ARGS | bphits OFF N PROG ARGS\n");
    return 2;
}
