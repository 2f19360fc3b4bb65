// Target level of checkpoints: injected system calls and fork checkpoints of real processes (dynamic,
// static, libc-less), compared with the kernel's view (/proc) and with the programs run natively.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { GPR_NAMES } from '../src/ptrace';
import { Tracer } from '../src/target';
import { fixture, isGoneOrZombie, leftoverTracees, procState, reap, waitUntil } from './helpers';
import { fdPos, launchTo, procLong, procMem, procStatusField, removeTmpFiles, runToExit, tmpFile } from './checkpoint-helpers';

let tracer: Tracer;
let tracerTid: number;

beforeAll(async () => {
  tracer = await Tracer.create();
  tracerTid = await tracer.tracerTid();
});

afterAll(async () => {
  await tracer.close();
  removeTmpFiles();
  expect(leftoverTracees()).toEqual([]);
});

/** The program run without a debugger: its exit code and output. */
function native(name: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(fixture(name), args, { encoding: 'utf8' });
  return { code: r.status!, out: r.stdout };
}

/** The byte the program file holds for a link-time address (from its program headers). */
function fileByte(bin: string, linkAddr: number): number {
  const elf = fs.readFileSync(bin);
  const phoff = Number(elf.readBigUInt64LE(32));
  const phnum = elf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * 56;
    if (elf.readUInt32LE(ph) !== 1) continue; // PT_LOAD
    const off = Number(elf.readBigUInt64LE(ph + 8));
    const vaddr = Number(elf.readBigUInt64LE(ph + 16));
    const filesz = Number(elf.readBigUInt64LE(ph + 32));
    if (linkAddr >= vaddr && linkAddr < vaddr + filesz) return elf[off + linkAddr - vaddr];
  }
  throw new Error('address not in the file');
}

describe('injected system calls', () => {
  test('getpid and getppid run in the program; registers and code are as before', async () => {
    const { inf, bp } = await launchTo(tracer, 'ckpt', 'tick', ['5'], [-1, fs.openSync('/dev/null', 'w'), -1]);
    const before = await inf.getRegisters();
    const code = procMem(inf.pid, bp - 4, 16);
    expect(await inf.injectSyscall(39)).toBe(BigInt(inf.pid)); // getpid
    expect(await inf.injectSyscall(110)).toBe(BigInt(process.pid)); // getppid: the debugger spawned it
    expect(await inf.injectSyscall(100000)).toBe(-38n); // ENOSYS
    const after = await inf.getRegisters();
    for (const r of GPR_NAMES) expect([r, after.get(r)]).toEqual([r, before.get(r)]);
    expect(procMem(inf.pid, bp - 4, 16)).toEqual(code); // the int3 of the breakpoint included
    // The breakpoint still works, and the program ends as it does without a debugger.
    const end = await runToExit(inf);
    expect(end).toEqual({ hits: 4, code: native('ckpt', ['5']).code });
  });

  test('lseek injected into the program moves the offset the kernel reports', async () => {
    const input = tmpFile('input.txt', 'abcdefghijklmnop');
    const { inf, global } = await launchTo(tracer, 'ckpt', 'tick', ['6', input], [-1, fs.openSync('/dev/null', 'w'), -1]);
    const fd = Number(procLong(inf.pid, global('input_fd')) & 0xffffffffn);
    expect(fdPos(inf.pid, fd)).toBe(1); // one byte read before the first tick
    expect(await inf.injectSyscall(8, [fd, 0, 1])).toBe(1n); // lseek(fd, 0, SEEK_CUR)
    expect(await inf.injectSyscall(8, [fd, 9, 0])).toBe(9n); // lseek(fd, 9, SEEK_SET)
    expect(fdPos(inf.pid, fd)).toBe(9);
    await inf.cont();
    // The program read on from offset 9: 'j'.
    expect(String.fromCharCode(Number(procLong(inf.pid, global('last_byte')) & 0xffn))).toBe('j');
    await inf.kill();
  });

  test('works at the exec stop, inside execve (the single-step trap comes at the syscall exit first)', async () => {
    const inf = await tracer.launch({ program: fixture('ckpt_nostdlib'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    expect(inf.lastStop.kind).toBe('entry');
    expect(await inf.injectSyscall(39)).toBe(BigInt(inf.pid));
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: native('ckpt_nostdlib', []).code });
  });
});

describe('fork checkpoints', () => {
  const cases: [string, string, string, 'auto' | 'pc'][] = [
    ['ckpt', 'tick', 'counter', 'auto'],
    ['ckpt', 'tick', 'counter', 'pc'],
    ['ckpt_static', 'tick', 'counter', 'auto'],
    ['ckpt_static', 'tick', 'counter', 'pc'],
    ['ckpt_nostdlib', 'step', 'total', 'auto'],
    ['ckpt_nostdlib', 'step', 'total', 'pc'],
  ];
  test.each(cases)('%s, checkpoint in %s (global %s, syscall site %s): a stopped, clean copy that restarts to the same state and end', async (name, fn, glob, site) => {
    const args = name === 'ckpt_nostdlib' ? [] : ['6'];
    const devnull = fs.openSync('/dev/null', 'w');
    const { inf, bin, bp, loc, global } = await launchTo(tracer, name, fn, args, [-1, devnull, -1]);
    await inf.cont(); // second hit: state worth keeping
    const g = global(glob);
    const atCheckpoint = procLong(inf.pid, g);
    const ck = await inf.forkCheckpoint({ site });
    expect(ck.pc).toBe(bp);
    expect(ck.site).toBe(site === 'pc' ? 'pc' : 'vdso');
    // Stopped by ptrace, traced by our worker, a child of this process (CLONE_PARENT), not the program's.
    expect(procStatusField(ck.pid, 'State')).toMatch(/^t/);
    expect(Number(procStatusField(ck.pid, 'TracerPid'))).toBe(tracerTid);
    expect(Number(procStatusField(ck.pid, 'PPid'))).toBe(process.pid);
    // The program's own byte where the breakpoint is (the program file as oracle), same variables.
    expect(procMem(ck.pid, bp, 1)[0]).toBe(fileByte(bin, loc.addr));
    expect(procMem(inf.pid, bp, 1)[0]).toBe(0xcc);
    expect(procLong(ck.pid, g)).toBe(atCheckpoint);
    const first = await runToExit(inf);
    expect(procLong(ck.pid, g)).toBe(atCheckpoint); // frozen: the program ran on, the copy did not
    expect(first.code).toBe(native(name, args).code);
    for (let round = 0; round < 3; round++) {
      const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid, { breakpoints: [{ addr: bp }] });
      expect(copy.lastStop).toMatchObject({ kind: 'paused', pc: bp });
      expect((await copy.getRegisters()).pc).toBe(bp);
      expect(procLong(copy.pid, g)).toBe(atCheckpoint);
      expect(await runToExit(copy)).toEqual(first);
    }
    await tracer.killCheckpoint(ck.pid);
    expect(isGoneOrZombie(ck.pid)).toBe(true);
    fs.closeSync(devnull);
  });

  test('a checkpoint at the exec stop restarts the whole program', async () => {
    const inf = await tracer.launch({ program: fixture('ckpt_static'), args: ['3'], stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const ck = await inf.forkCheckpoint();
    expect(await inf.cont()).toMatchObject({ kind: 'exited' });
    const { inferior } = await tracer.spawnFromCheckpoint(ck.pid);
    expect(await inferior.cont()).toMatchObject({ kind: 'exited', code: native('ckpt_static', ['3']).code });
    await tracer.killCheckpoint(ck.pid);
  });

  test('breakpoints and signal policy are copied from the live process when asked', async () => {
    const { inf, bp, global } = await launchTo(tracer, 'ckpt', 'tick', ['5'], [-1, fs.openSync('/dev/null', 'w'), -1]);
    const ck = await inf.forkCheckpoint();
    await inf.setSignalPolicy('SIGUSR1', { stop: false, pass: false });
    const { inferior: copy } = await tracer.spawnFromCheckpoint(ck.pid, { copyBreakpointsFrom: inf.pid });
    expect((await copy.breakpoints()).map((b) => [b.addr, b.hits])).toEqual([[bp, 1]]);
    // SIGUSR1 would kill the program; the copied policy swallows it without a stop.
    process.kill(copy.pid, 'SIGUSR1');
    expect(await copy.cont()).toMatchObject({ kind: 'breakpoint', pc: bp });
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: bp });
    // Taken at the first tick, before `iteration = 0`: at the second hit both say 0.
    expect(procLong(copy.pid, global('iteration'))).toBe(0n);
    expect(procLong(inf.pid, global('iteration'))).toBe(0n);
    expect((await copy.breakpoints())[0].hits).toBe(2);
    await copy.kill();
    await inf.kill();
    await tracer.killCheckpoint(ck.pid);
  });

  test('a multi-threaded program gets a clear error and keeps running normally', async () => {
    const { inf } = await launchTo(tracer, 'threads', 'worker', [], [-1, fs.openSync('/dev/null', 'w'), -1]);
    expect((await inf.threads()).length).toBeGreaterThan(1);
    await expect(inf.forkCheckpoint()).rejects.toThrow(
      'checkpoints of a multi-threaded program are not supported: fork copies only the calling thread',
    );
    for (const b of await inf.breakpoints()) await inf.removeBreakpoint(b.addr);
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 0 });
  });

  test('a running program cannot be checkpointed', async () => {
    const inf = await tracer.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const run = inf.cont();
    await expect(inf.forkCheckpoint()).rejects.toThrow(/running/);
    inf.pause();
    expect((await run).kind).toBe('paused');
    await inf.kill();
  });

  test('a checkpoint killed from outside gives a clear error at restart', async () => {
    const { inf } = await launchTo(tracer, 'ckpt', 'tick', ['3'], [-1, fs.openSync('/dev/null', 'w'), -1]);
    const ck1 = await inf.forkCheckpoint();
    const ck2 = await inf.forkCheckpoint();
    // Its end not yet seen by the tracer: the restart finds it dying.
    process.kill(ck1.pid, 'SIGKILL');
    await waitUntil(() => isGoneOrZombie(ck1.pid));
    await expect(tracer.spawnFromCheckpoint(ck1.pid)).rejects.toThrow(`Checkpoint process ${ck1.pid} no longer exists`);
    expect(procState(ck1.pid)).toBeUndefined(); // reaped
    // Its end seen while the program ran (kept for later by the tracer).
    process.kill(ck2.pid, 'SIGKILL');
    await waitUntil(() => isGoneOrZombie(ck2.pid));
    await runToExit(inf);
    expect(isGoneOrZombie(ck2.pid)).toBe(true); // reaped at the tracer's next wait, which may come later
    await expect(tracer.spawnFromCheckpoint(ck2.pid)).rejects.toThrow(`Checkpoint process ${ck2.pid} no longer exists`);
    await expect(tracer.killCheckpoint(ck2.pid)).rejects.toThrow(`Process ${ck2.pid} is not a checkpoint.`);
  });

  test('checkpoints die with the tracer (PTRACE_O_EXITKILL set on them)', async () => {
    const t = await Tracer.create();
    const { inf } = await launchTo(t, 'ckpt', 'tick', ['3'], [-1, fs.openSync('/dev/null', 'w'), -1]);
    const ck = await inf.forkCheckpoint();
    const { inferior: copy } = await t.spawnFromCheckpoint(ck.pid);
    await t.workerThread.terminate();
    // Their parent thread is gone: this process inherits them and sees how they ended.
    expect(await reap(ck.pid)).toEqual({ signal: 9 });
    expect(await reap(copy.pid)).toEqual({ signal: 9 });
    expect(await reap(inf.pid)).toEqual({ signal: 9 });
  });
});
