// The target layer against real processes: breakpoints, stepping, memory, signals, exit codes, attach,
// pause, and the guarantee that no process is left behind.
import { spawn, execFileSync } from 'child_process';
import * as fs from 'fs';
import { Tracer } from '../src/target';
import { becomeSubreaper, stopBeingSubreaper, fixture, isGoneOrZombie, leftoverTracees, loadBias, nmAddress, procState, reap, waitUntil } from './helpers';

let tracer: Tracer;

beforeAll(async () => {
  tracer = await Tracer.create();
});

afterAll(async () => {
  await tracer.close();
  expect(leftoverTracees()).toEqual([]);
});

describe('launch and run', () => {
  test('stops at the exec entry point, and the exit code is reported', async () => {
    const inf = await tracer.launch({ program: fixture('loop'), args: ['5'], stdio: [-1, -1, -1] });
    expect(inf.lastStop.kind).toBe('entry');
    // The entry stop is at the dynamic loader's entry point (AT_ENTRY of ld.so), in ld.so's mapping.
    const maps = fs.readFileSync(`/proc/${inf.pid}/maps`, 'utf8');
    const ld = maps.split('\n').find((l) => l.includes('ld-linux'))!;
    const ldStart = parseInt(ld.split('-')[0], 16);
    const ldEntry = parseInt(/Entry point address:\s+0x([0-9a-f]+)/.exec(execFileSync('readelf', ['-h', ld.trim().split(/\s+/)[5]], { encoding: 'utf8' }))![1], 16);
    expect(inf.lastStop.kind === 'entry' && inf.lastStop.pc).toBe(ldStart + ldEntry);
    const ev = await inf.cont();
    // total = sum(2i+1, i<5) = 25
    expect(ev).toMatchObject({ kind: 'exited', code: 25 });
    expect(inf.state).toBe('exited');
  });

  test('a breakpoint at a function is hit once per call with the argument in rdi', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['4'], stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot);
    const args: bigint[] = [];
    for (;;) {
      const ev = await inf.cont();
      if (ev.kind !== 'breakpoint') {
        expect(ev).toMatchObject({ kind: 'exited', code: 16 });
        break;
      }
      expect(ev.pc).toBe(hot);
      const regs = await inf.getRegisters();
      expect(regs.pc).toBe(hot);
      args.push(regs.get('rdi'));
    }
    expect(args).toEqual([0n, 1n, 2n, 3n]);
  });

  test('an ignore count skips hits inside the tracer and counts them', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['1000'], stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot, { ignoreCount: 997 });
    const ev = await inf.cont();
    expect(ev.kind).toBe('breakpoint');
    expect((await inf.getRegisters()).get('rdi')).toBe(997n);
    expect((await inf.breakpoints())[0]).toMatchObject({ addr: hot, hits: 998, ignoreCount: 0 });
    await inf.removeBreakpoint(hot);
    expect(await inf.cont()).toMatchObject({ kind: 'exited' });
  });

  test('single-step moves rip by the length of one instruction', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['1'], stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot);
    await inf.cont();
    // objdump tells the instruction boundaries of hot(): each step must land on the next one.
    const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' });
    const body = dis.split(/\n\n/).find((b) => b.includes('<hot>:'))!;
    const addrs = body
      .split('\n')
      .map((l) => /^\s+([0-9a-f]+):/.exec(l)?.[1])
      .filter((a): a is string => !!a)
      .map((a) => parseInt(a, 16) + loadBias(inf.pid, bin));
    for (let i = 1; i < 4; i++) {
      const ev = await inf.step();
      expect(ev).toMatchObject({ kind: 'step', pc: addrs[i] });
      expect((await inf.getRegisters()).pc).toBe(addrs[i]);
    }
    await inf.kill();
  });

  test('range stepping runs a whole function in the tracer and stops at the return address', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['2'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const hot = bias + nmAddress(bin, 'hot');
    // hot()'s extent and its last instruction (ret), from objdump.
    const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' });
    const body = dis.split(/\n\n/).find((b) => b.includes('<hot>:'))!;
    const insns = body
      .split('\n')
      .map((l) => /^\s+([0-9a-f]+):\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ addr: parseInt(m[1], 16) + bias, op: m[2] }));
    const ret = insns[insns.length - 1];
    expect(ret.op).toBe('ret');
    await inf.setBreakpoint(hot);
    await inf.cont();
    const regs = await inf.getRegisters();
    const returnAddress = Number(inf.readMemorySync(regs.sp, 8).readBigUInt64LE(0));
    const r = await inf.stepRange(hot, ret.addr + 1);
    expect(r.event).toMatchObject({ kind: 'step', pc: returnAddress });
    expect(r.prevPc).toBe(ret.addr);
    expect(r.steps).toBe(insns.length); // every instruction of hot() once: it has no branches
    // A stop address inside the range ends it early.
    await inf.cont(); // second call
    const early = await inf.stepRange(hot, ret.addr + 1, { stopAt: [insns[3].addr] });
    expect(early.event).toMatchObject({ kind: 'step', pc: insns[3].addr });
    expect(early.steps).toBe(3);
    await inf.kill();
  });

  test('memory reads match the ELF file, and breakpoints are invisible in them', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    // greeting[] lives in .rodata: compare with the file's bytes at the symbol's file offset.
    const greet = nmAddress(bin, 'greeting');
    const mem = await inf.readMemory(bias + greet, 22);
    expect(mem.toString('latin1')).toBe('backstep-fixture-data\0');
    const hot = bias + nmAddress(bin, 'hot');
    const before = await inf.readMemory(hot, 16);
    await inf.setBreakpoint(hot);
    expect(await inf.readMemory(hot, 16)).toEqual(before);
    // ...but the int3 really is there: /proc/PID/mem shows it.
    const fd = fs.openSync(`/proc/${inf.pid}/mem`, 'r');
    const raw = Buffer.alloc(1);
    fs.readSync(fd, raw, 0, 1, hot);
    fs.closeSync(fd);
    expect(raw[0]).toBe(0xcc);
    await inf.kill();
  });

  test('memory and register writes change what the program computes', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['3'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const hot = bias + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot);
    await inf.cont();
    // counter = 1000 before the first increment; hot(x) returns 2x+1: make x = 100 for this call.
    const counter = bias + nmAddress(bin, 'counter');
    const b = Buffer.alloc(4);
    b.writeInt32LE(1000);
    await inf.writeMemory(counter, b);
    const regs = await inf.getRegisters();
    regs.set('rdi', 100n);
    await inf.setRegisters(regs);
    expect((await inf.readMemory(counter, 4)).readInt32LE(0)).toBe(1000);
    await inf.removeBreakpoint(hot);
    // total = 201 + 3 + 5 = 209
    const ev = await inf.cont();
    expect(ev).toMatchObject({ kind: 'exited', code: 209 & 0xff });
  });

  test('synchronous reads and writes from the main thread agree with the tracer', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['2'], stdio: [-1, -1, -1] });
    const bias = loadBias(inf.pid, bin);
    const hot = bias + nmAddress(bin, 'hot');
    const before = inf.readMemorySync(hot, 8);
    await inf.setBreakpoint(hot);
    expect(inf.readMemorySync(hot, 8)).toEqual(before); // the int3 is hidden here too
    expect(() => inf.writeMemorySync(hot, Buffer.from([0x90]))).toThrow(/holds a breakpoint/);
    const counter = bias + nmAddress(bin, 'counter');
    inf.writeMemorySync(counter, Buffer.from([100, 0, 0, 0]));
    expect((await inf.readMemory(counter, 4)).readInt32LE(0)).toBe(100);
    expect(() => inf.readMemorySync(0x10, 4)).toThrow('Cannot access memory at address 0x10');
    await inf.kill();
  });

  test('writing into program text (read-only pages) works', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    const orig = await inf.readMemory(hot, 4);
    await inf.writeMemory(hot, Buffer.from([0x90, 0x90, 0x90, 0x90]));
    expect(await inf.readMemory(hot, 4)).toEqual(Buffer.from([0x90, 0x90, 0x90, 0x90]));
    await inf.writeMemory(hot, orig);
    expect(await inf.readMemory(hot, 4)).toEqual(orig);
    await inf.kill();
  });

  test('floating point registers are readable', async () => {
    const inf = await tracer.launch({ program: fixture('loop'), stdio: [-1, -1, -1] });
    const fp = await inf.getFpRegisters();
    expect(fp.fcw).toBe(0x37f); // the x87 control word every process starts with
    expect(fp.mxcsr).toBe(0x1f80); // the default MXCSR
    await inf.kill();
  });
});

describe('hardware breakpoints', () => {
  test('a debug-register breakpoint is hit once per call, and an ignore count is honoured', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['6'], stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    const info = await inf.setBreakpoint(hot, { hardware: true, ignoreCount: 2 });
    expect(info.hardware).toBe(true);
    // No int3 in memory: the code is untouched.
    const fd = fs.openSync(`/proc/${inf.pid}/mem`, 'r');
    const raw = Buffer.alloc(1);
    fs.readSync(fd, raw, 0, 1, hot);
    fs.closeSync(fd);
    expect(raw[0]).not.toBe(0xcc);
    const seen: bigint[] = [];
    let ev = await inf.cont();
    while (ev.kind === 'breakpoint') {
      expect(ev.pc).toBe(hot);
      seen.push((await inf.getRegisters()).get('rdi'));
      ev = await inf.cont();
    }
    expect(seen).toEqual([2n, 3n, 4n, 5n]);
    expect(ev).toMatchObject({ kind: 'exited', code: 36 });
  });

  test('single-stepping from a hardware breakpoint moves on, and removing it stops the hits', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, args: ['3'], stdio: [-1, -1, -1] });
    const hot = loadBias(inf.pid, bin) + nmAddress(bin, 'hot');
    await inf.setBreakpoint(hot, { hardware: true });
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: hot });
    const st = await inf.step();
    expect(st.kind === 'step' && st.pc).toBeGreaterThan(hot);
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: hot });
    // Stepping onto the breakpoint's address and continuing runs the instruction (no instant re-hit).
    await inf.removeBreakpoint(hot);
    const st2 = await inf.step();
    const next = st2.kind === 'step' ? st2.pc : 0;
    expect((await inf.getRegisters()).get('rdi')).toBe(1n);
    await inf.setBreakpoint(next, { hardware: true });
    // The hit comes from the next call (rdi 2), not at once from where the thread already stands.
    expect(await inf.cont()).toMatchObject({ kind: 'breakpoint', pc: next });
    expect((await inf.getRegisters()).get('rdi')).toBe(2n);
    await inf.removeBreakpoint(next);
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 9 });
  });

  test('a fifth hardware breakpoint is refused with a clear error', async () => {
    const bin = fixture('loop');
    const inf = await tracer.launch({ program: bin, stdio: [-1, -1, -1] });
    const base = loadBias(inf.pid, bin) + nmAddress(bin, 'main');
    for (let i = 0; i < 4; i++) await inf.setBreakpoint(base + i, { hardware: true });
    await expect(inf.setBreakpoint(base + 4, { hardware: true })).rejects.toThrow(/all 4 debug registers/);
    // 'auto' falls back to an int3 when the slots are taken.
    expect((await inf.setBreakpoint(base + 8, { ignoreCount: 5 })).hardware).toBe(false);
    await inf.kill();
  });

  test('threads created later get the debug registers too', async () => {
    const bin = fixture('threads');
    const inf = await tracer.launch({ program: bin, stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const worker = loadBias(inf.pid, bin) + nmAddress(bin, 'worker');
    await inf.setBreakpoint(worker, { hardware: true });
    const tids = new Set<number>();
    let ev = await inf.cont();
    while (ev.kind === 'breakpoint') {
      tids.add(ev.tid);
      ev = await inf.cont();
    }
    expect(tids.size).toBe(4);
    expect(ev).toMatchObject({ kind: 'exited', code: 0 });
  });
});

describe('signals', () => {
  test('a crash is reported as SIGSEGV with the faulting address', async () => {
    const bin = fixture('crash');
    const inf = await tracer.launch({ program: bin, stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const ev = await inf.cont();
    expect(ev).toMatchObject({ kind: 'signal', signo: 11, signame: 'SIGSEGV', faultAddr: 0 });
    // The pc is inside read_value (nm's address range for it).
    const readValue = loadBias(inf.pid, bin) + nmAddress(bin, 'read_value');
    expect(ev.kind === 'signal' && ev.pc - readValue).toBeGreaterThanOrEqual(0);
    expect(ev.kind === 'signal' && ev.pc - readValue).toBeLessThan(32);
    // Continuing delivers the signal: the program dies of it.
    expect(await inf.cont()).toMatchObject({ kind: 'killed', signo: 11, signame: 'SIGSEGV' });
  });

  test('signals the user did not ask to stop on are passed through', async () => {
    const bin = fixture('crash');
    const inf = await tracer.launch({ program: bin, stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    await inf.setSignalPolicy('SIGSEGV', { stop: false, pass: true });
    expect(await inf.cont()).toMatchObject({ kind: 'killed', signo: 11 });
  });

  test('a program that stops itself with SIGSTOP stays stopped until SIGCONT (group-stop, PTRACE_LISTEN)', async () => {
    const dir = fs.mkdtempSync('/tmp/backstep-');
    const out = fs.openSync(`${dir}/out`, 'w');
    const inf = await tracer.launch({ program: fixture('sigstop'), stdio: [-1, out, -1] });
    await inf.setSignalPolicy('SIGSTOP', { stop: false, pass: true });
    await inf.setSignalPolicy('SIGCONT', { stop: false, pass: true });
    let settled = false;
    const done = inf.cont().finally(() => (settled = true));
    await waitUntil(() => fs.readFileSync(`${dir}/out`, 'utf8') === 'stopping\n', 5000, 'the program to stop itself');
    // It stays stopped: no progress, and the debugger still considers it running (not a debugger stop).
    await new Promise((r) => setTimeout(r, 200));
    expect(fs.readFileSync(`${dir}/out`, 'utf8')).toBe('stopping\n');
    expect(settled).toBe(false);
    expect(inf.state).toBe('running');
    process.kill(inf.pid, 'SIGCONT');
    expect(await done).toMatchObject({ kind: 'exited', code: 7 });
    expect(fs.readFileSync(`${dir}/out`, 'utf8')).toBe('stopping\ncontinued\n');
    fs.closeSync(out);
    fs.rmSync(dir, { recursive: true });
  });

  test('pause works on a program that stopped itself, which stays stopped until SIGCONT afterwards', async () => {
    const inf = await tracer.launch({ program: fixture('sigstop'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    await inf.setSignalPolicy('SIGSTOP', { stop: false, pass: true });
    await inf.setSignalPolicy('SIGCONT', { stop: false, pass: true });
    const running = inf.cont();
    await new Promise((r) => setTimeout(r, 200));
    inf.pause();
    expect((await running).kind).toBe('paused');
    expect((await inf.threads())[0].groupStopped).toBe(true);
    let settled = false;
    const again = inf.cont().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    process.kill(inf.pid, 'SIGCONT');
    expect(await again).toMatchObject({ kind: 'exited', code: 7 });
  });

  test('SIGSTOP is reported by default, like gdb', async () => {
    const inf = await tracer.launch({ program: fixture('sigstop'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    expect(await inf.cont()).toMatchObject({ kind: 'signal', signame: 'SIGSTOP' });
    await inf.kill();
  });
});

describe('stdio', () => {
  test('stdin and stdout can be wired to pipes', async () => {
    const dir = fs.mkdtempSync('/tmp/backstep-');
    fs.writeFileSync(`${dir}/in`, 'hello\nworld\n');
    const inFd = fs.openSync(`${dir}/in`, 'r');
    const outFd = fs.openSync(`${dir}/out`, 'w');
    const errFd = fs.openSync(`${dir}/err`, 'w');
    const inf = await tracer.launch({ program: fixture('echo'), stdio: [inFd, outFd, errFd] });
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 3 });
    expect(fs.readFileSync(`${dir}/out`, 'utf8')).toBe('HELLO\nWORLD\n');
    expect(fs.readFileSync(`${dir}/err`, 'utf8')).toBe('lines=2\n');
    for (const fd of [inFd, outFd, errFd]) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true });
  });

  test('args, env and cwd reach the program', async () => {
    const dir = fs.mkdtempSync('/tmp/backstep-');
    const outFd = fs.openSync(`${dir}/out`, 'w');
    const inf = await tracer.launch({ program: '/bin/sh', args: ['-c', 'echo "$1:$FOO:$(pwd)"', 'sh', 'arg1'], env: { FOO: 'bar', PATH: '/usr/bin:/bin' }, cwd: dir, stdio: [-1, outFd, -1] });
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 0 });
    expect(fs.readFileSync(`${dir}/out`, 'utf8')).toBe(`arg1:bar:${fs.realpathSync(dir)}\n`);
    fs.closeSync(outFd);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('threads', () => {
  test('new threads are traced, all stop together at a breakpoint, and the program completes', async () => {
    const bin = fixture('threads');
    const inf = await tracer.launch({ program: bin, stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const worker = loadBias(inf.pid, bin) + nmAddress(bin, 'worker');
    await inf.setBreakpoint(worker);
    const created = new Set<number>();
    const hitTids = new Set<number>();
    let ev = await inf.cont();
    while (ev.kind === 'breakpoint') {
      for (const n of ev.threads) if (n.kind === 'created') created.add(n.tid);
      hitTids.add(ev.tid);
      const threads = await inf.threads();
      // All-stop: every thread is in tracing stop while we look.
      for (const t of threads) expect(procState(t.tid) ?? 't').toMatch(/t|Z|X/);
      const stopTid = ev.tid;
      expect(threads.some((t) => t.tid === stopTid)).toBe(true);
      ev = await inf.cont();
    }
    expect(ev).toMatchObject({ kind: 'exited', code: 0 });
    expect(hitTids.size).toBe(4);
    for (const tid of hitTids) expect(created.has(tid)).toBe(true);
  });
});

describe('pause, attach, detach', () => {
  test('pause interrupts a busy loop', async () => {
    const inf = await tracer.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const running = inf.cont();
    await new Promise((r) => setTimeout(r, 100));
    expect(inf.state).toBe('running');
    inf.pause();
    const ev = await running;
    expect(ev.kind).toBe('paused');
    expect(procState(inf.pid)).toBe('t');
    // It continues normally afterwards (the SIGSTOP was never delivered).
    const again = inf.cont();
    await new Promise((r) => setTimeout(r, 50));
    expect(procState(inf.pid)).toBe('R');
    inf.pause();
    expect((await again).kind).toBe('paused');
    await inf.kill();
  });

  test('attach to a running process, read its state, detach: it keeps running', async () => {
    // The target must not be a child_process child of this Node process: libuv's SIGCHLD handler would
    // waitpid() it from the main thread and could consume the tracer's ptrace stops (same thread group).
    // So it is started by a shell that exits at once, and adopted by this process as a subreaper.
    becomeSubreaper();
    try {
      const sh = spawn('sh', ['-c', `${fixture('spin')} &`], { stdio: ['ignore', 'pipe', 'ignore'] });
      const pid: number = await new Promise((r) => sh.stdout!.once('data', (d) => r(Number(String(d).trim()))));
      const bin = fixture('spin');
      const inf = await tracer.attach(pid);
      expect(inf.lastStop.kind).toBe('paused');
      expect(procState(pid)).toBe('t');
      const spins = loadBias(pid, bin) + nmAddress(bin, 'spins');
      const a = (await inf.readMemory(spins, 8)).readBigUInt64LE(0);
      // Stopped means stopped: the counter does not move while we look.
      await new Promise((r) => setTimeout(r, 50));
      expect((await inf.readMemory(spins, 8)).readBigUInt64LE(0)).toBe(a);
      await inf.detach();
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/TracerPid:\s*0/.test(status)).toBe(true);
      // It keeps running: the counter moves on (read through /proc, no debugger attached).
      const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
      const read = () => {
        const b = Buffer.alloc(8);
        fs.readSync(fd, b, 0, 8, spins);
        return b.readBigUInt64LE(0);
      };
      await waitUntil(() => read() > a, 5000, 'the detached process to run on');
      fs.closeSync(fd);
      process.kill(pid, 'SIGKILL');
      expect(await reap(pid)).toEqual({ signal: 9 });
    } finally {
      stopBeingSubreaper(); // scoped: orphans of later tests in this worker are not ours
    }
  });

  test('clear errors for a pid that does not exist and one we may not trace', async () => {
    await expect(tracer.attach(999999999)).rejects.toThrow(/no such process/);
    await expect(tracer.attach(-4)).rejects.toThrow(/not a process id/);
    // A process already traced (by us) cannot be traced twice.
    const inf = await tracer.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    await expect(tracer.attach(inf.pid)).rejects.toThrow(/already/);
    // Our own process: the kernel refuses to let a thread trace its own thread group.
    await expect(tracer.attach(process.pid)).rejects.toThrow(/not permitted|Operation not permitted/);
    await inf.kill();
  });
});

describe('bad input', () => {
  test('missing program, directory, non-ELF file, non-executable', async () => {
    await expect(tracer.launch({ program: '/nonexistent/prog' })).rejects.toThrow('/nonexistent/prog: No such file or directory.');
    await expect(tracer.launch({ program: '/tmp' })).rejects.toThrow(/is a directory/);
    const dir = fs.mkdtempSync('/tmp/backstep-');
    fs.writeFileSync(`${dir}/script.txt`, 'hello there, not an elf\n', { mode: 0o755 });
    await expect(tracer.launch({ program: `${dir}/script.txt` })).rejects.toThrow(/not in executable format/);
    fs.copyFileSync(fixture('loop'), `${dir}/noexec`);
    fs.chmodSync(`${dir}/noexec`, 0o644);
    // root may execute nothing without an x bit: execve itself says EACCES.
    await expect(tracer.launch({ program: `${dir}/noexec` })).rejects.toThrow(/Permission denied|EACCES/);
    await expect(tracer.launch({ program: fixture('loop'), cwd: '/nonexistent-dir' })).rejects.toThrow(/working directory/);
    fs.rmSync(dir, { recursive: true });
    // The tracer keeps working after all that.
    const inf = await tracer.launch({ program: fixture('loop'), args: ['2'], stdio: [-1, -1, -1] });
    expect(await inf.cont()).toMatchObject({ kind: 'exited', code: 4 });
  });

  test('operations on an exited process say so', async () => {
    const inf = await tracer.launch({ program: fixture('loop'), args: ['1'], stdio: [-1, -1, -1] });
    await inf.cont();
    await expect(inf.cont()).rejects.toThrow(/not being run/);
    await expect(inf.readMemory(0x1000, 4)).rejects.toThrow(/not being run/);
  });

  test('unreadable memory gives gdb\'s message', async () => {
    const inf = await tracer.launch({ program: fixture('loop'), stdio: [-1, -1, -1] });
    await expect(inf.readMemory(0x10, 8)).rejects.toThrow('Cannot access memory at address 0x10');
    await inf.kill();
  });
});

describe('no process is left behind', () => {
  test('closing a tracer kills its stopped and running inferiors', async () => {
    const t = await Tracer.create();
    const a = await t.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    const b = await t.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    void b.cont();
    await t.close();
    await waitUntil(() => isGoneOrZombie(a.pid) && isGoneOrZombie(b.pid), 3000, 'inferiors to die');
  });

  test('terminating the tracer worker kills the inferior (PTRACE_O_EXITKILL)', async () => {
    const t = await Tracer.create();
    const inf = await t.launch({ program: fixture('spin'), stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    await t.workerThread.terminate();
    // Its parent thread is gone: the process (this test) inherits it and can see how it ended.
    expect(await reap(inf.pid)).toEqual({ signal: 9 });
  });

  test('killing the debugger process kills its inferior, even while it runs', async () => {
    becomeSubreaper(); // orphans come to us, not to a PID 1 that may never reap them
    try {
      const script = `
        const { Tracer } = require(${JSON.stringify(require.resolve('../src/target'))});
        (async () => {
          const t = await Tracer.create();
          const inf = await t.launch({ program: ${JSON.stringify(fixture('spin'))}, stdio: [-1, -1, -1] });
          console.log('PID ' + inf.pid);
          inf.cont();
          setInterval(() => {}, 1000);
        })();`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const pid: number = await new Promise((resolve) =>
        child.stdout!.on('data', (d) => {
          out += String(d);
          const m = /PID (\d+)\n(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        }),
      );
      expect(procState(pid)).toBe('R');
      child.kill('SIGKILL');
      expect(await reap(pid)).toEqual({ signal: 9 });
    } finally {
      stopBeingSubreaper(); // scoped: orphans of later tests in this worker are not ours
    }
  });
});
