// The session: launch modes and errors, exit, program output, kill/restart, pause, threads, attach and
// detach, signals, registers, memory, modules, and the data bridge (scopes, variables, evaluate,
// setVariable) — with gdb as the oracle where it has an answer.
import { execSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { fixture, leftoverTracees, procState, waitUntil } from './helpers';
import { gdb, newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';
import { EngineError } from '../src/engine/api';

jest.setTimeout(120000);

const sessions: Session[] = [];
const children: number[] = [];
afterAll(async () => {
  for (const s of sessions) await s.dispose();
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  expect(leftoverTracees()).toEqual([]);
});

function session() {
  const r = newSession();
  sessions.push(r.s);
  return r;
}

describe('launch', () => {
  test('a missing program and a non-ELF file give clear errors; the session keeps working', async () => {
    const { s } = session();
    await expect(s.launch({ program: '/nonexistent/prog' })).rejects.toThrow('/nonexistent/prog: No such file or directory.');
    const src = fixture('../src/demo.c');
    const err = await s.launch({ program: src }).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.message).toMatch(/not in executable format: file format not recognized/);
    const stop = await s.launch({ program: fixture('loop'), args: ['3'], stdio: 'pipe' });
    expect(stop.reason).toBe('exited');
    expect(stop.exitCode).toBe(9);
    // gdb prints the exit code in octal.
    expect(stop.description).toMatch(/^\[Inferior 1 \(process \d+\) exited with code 11\]$/);
  });

  test('stopAt entry stops at the first instruction, in the dynamic linker (as gdb starti)', async () => {
    const program = fixture('demo');
    const out = gdb(program, [], ['starti', 'python print("@@PC|%d" % gdb.selected_frame().pc())']);
    const pc = Number(/@@PC\|(\d+)/.exec(out)![1]);
    const { s } = session();
    const stop = await s.launch({ program, stopAt: 'entry', stdio: 'pipe' });
    expect(stop.reason).toBe('entry');
    expect(stop.frame?.pc).toBe(pc);
    expect(stop.frame?.function).toBe('_start');
    expect(stop.frame?.moduleName).toBe('ld-linux-x86-64.so.2');
    // Libraries are not loaded yet; a breakpoint in libc is pending until they are.
    expect(s.modules().map((m) => m.name)).not.toContain('libc.so.6');
    const bp = await s.setBreakpoint({ location: 'puts' }, { pending: true });
    void bp;
    const next = await s.cont();
    expect(next.reason).toBe('exited');
  });

  test('stopOnEntry (stopAt main) stops at main as gdb start', async () => {
    const program = fixture('classes');
    const out = gdb(program, [], ['start', 'python print("@@L|%d|%d" % (gdb.selected_frame().find_sal().line, gdb.selected_frame().pc()))']);
    const [, line, pc] = /@@L\|(\d+)\|(\d+)/.exec(out)!;
    const { s } = session();
    const stop = await s.launch({ program, stopOnEntry: true, stdio: 'pipe' });
    expect(stop.reason).toBe('entry');
    expect(stop.frame?.function).toBe('main');
    expect(stop.frame?.line).toBe(Number(line));
    expect(stop.frame?.pc).toBe(Number(pc));
    // The internal start breakpoint is gone: nothing listed, and the program runs to its end.
    expect(s.breakpoints()).toEqual([]);
    const end = await s.cont();
    expect(end.reason).toBe('exited');
    expect(end.exitCode).toBe(0);
  });

  test('program output and stdin through pipes; output arrives before exited', async () => {
    const { s, output } = session();
    const order: string[] = [];
    s.on('output', (o) => order.push(o.category));
    s.on('exited', () => order.push('exited'));
    const stop = await s.launch({ program: fixture('echo'), stdio: 'pipe', stdin: 'hello\nworld\n' });
    expect(stop.reason).toBe('exited');
    expect(stop.exitCode).toBe(3);
    expect(output.join('')).toContain('HELLO\nWORLD\n');
    expect(output.join('')).toContain('lines=2\n');
    expect(order[order.length - 1]).toBe('exited');
    expect(order).toContain('stderr');
  });

  test('env, cwd and args reach the program', async () => {
    const { s } = session();
    await s.loadProgram(fixture('loop'));
    await s.setBreakpoint({ location: 'main' });
    await s.launch({ program: fixture('loop'), args: ['7'], cwd: '/tmp', env: { BACKSTEP_TEST: 'yes', PATH: '/usr/bin:/bin' }, stdio: 'pipe' });
    const environ = fs.readFileSync(`/proc/${s.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('BACKSTEP_TEST=yes');
    expect(fs.readlinkSync(`/proc/${s.pid}/cwd`)).toBe('/tmp');
    expect((await s.evaluate('argv[1]')).value).toContain('"7"');
    await s.kill();
  });
});

describe('process control', () => {
  test('kill, then commands say the program is not running; restart keeps breakpoints', async () => {
    const { s } = session();
    const events: string[] = [];
    s.on('exited', () => events.push('exited'));
    s.on('terminated', (t) => events.push(`terminated${t.restart ? ' restart' : ''}`));
    await s.loadProgram(fixture('demo'));
    await s.setBreakpoint({ location: 'deposit' });
    const first = await s.launch({ program: fixture('demo'), stdio: 'pipe' });
    const pid1 = s.pid!;
    expect(first.reason).toBe('breakpoint');
    const again = await s.restart();
    expect(again.reason).toBe('breakpoint');
    expect(again.frame?.function).toBe('deposit');
    expect(s.pid).not.toBe(pid1);
    expect(events).toEqual(['exited', 'terminated restart']);
    await s.kill();
    expect(s.state).toBe('exited');
    await expect(s.next()).rejects.toThrow('The program is not being run.');
    await expect(s.stackTrace()).rejects.toThrow('The program is not being run.');
    expect(events).toEqual(['exited', 'terminated restart', 'exited', 'terminated']);
  });

  test('pause interrupts a running program; continue after it', async () => {
    const { s } = session();
    const running = s.cont.bind(s);
    const stop0 = await s.launch({ program: fixture('spin'), stdopt: undefined, stdio: 'pipe', stopAt: 'main' } as never);
    expect(stop0.reason).toBe('entry');
    const p = running();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.state).toBe('running');
    await expect(s.stackTrace()).rejects.toThrow(/running/);
    await s.pause();
    const stop = await p;
    expect(stop.reason).toBe('pause');
    expect(stop.frame?.function).toBe('main');
    expect(stop.description).toMatch(/^Program received signal SIGINT, Interrupt\./);
    const p2 = s.cont();
    await new Promise((r) => setTimeout(r, 20));
    await s.pause();
    expect((await p2).reason).toBe('pause');
    await s.kill();
  });

  test('a pause sent while launch is starting the program stops it instead of letting it run to the end', async () => {
    const { s } = session();
    const launched = s.launch({ program: fixture('loop'), stdio: 'pipe' });
    await s.pause();
    const stop = await launched;
    expect(stop.reason).toBe('pause');
    expect(s.state).toBe('stopped');
    expect(procState(s.pid!)).toBe('t');
    const end = await s.cont();
    expect(end.reason).toBe('exited');
    // The same exit status as the program run natively.
    expect(end.exitCode).toBe(spawnSync(fixture('loop'), { stdio: 'ignore' }).status);
  });

  test('attach to a running process, backtrace, detach leaves it running', async () => {
    // Not a child of this process: libuv reaps its own children's wait statuses (SIGCHLD), which would
    // race with the tracer's waitpid for a process we both spawned and trace.
    const pid = Number(execSync(`sh -c '${fixture('spin')} >/dev/null 2>&1 & echo $!'`, { encoding: 'utf8' }).trim());
    children.push(pid);
    await waitUntil(() => procState(pid) === 'R', 5000, 'spin to run');
    const child = { pid, kill: (sig: NodeJS.Signals) => process.kill(pid, sig) };
    const { s } = session();
    const stop = await s.attach({ pid: child.pid! });
    expect(stop.reason).toBe('pause');
    expect(procState(child.pid!)).toBe('t');
    const st = await s.stackTrace();
    expect(st.frames[st.frames.length - 1].function).toBe('main');
    expect(s.modules().map((m) => m.name)).toEqual(expect.arrayContaining(['spin', 'libc.so.6', 'ld-linux-x86-64.so.2']));
    await s.detach();
    await waitUntil(() => procState(child.pid!) === 'R', 5000, 'the detached process to run');
    expect(s.state).toBe('exited');
    child.kill('SIGKILL');
  });

  test('threads: list, names, per-thread stacks, thread events', async () => {
    const { s } = session();
    const started: number[] = [];
    s.on('thread', (t) => t.reason === 'started' && started.push(t.threadId));
    await s.loadProgram(fixture('threads'));
    await s.setBreakpoint({ location: 'worker' });
    const stop = await s.launch({ program: fixture('threads'), stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    expect(stop.frame?.function).toBe('worker');
    const threads = await s.threads();
    expect(threads.length).toBeGreaterThanOrEqual(2);
    expect(threads.find((t) => t.current)?.id).toBe(stop.threadId);
    expect(threads.map((t) => t.id)).toContain(s.pid);
    expect(started).toContain(stop.threadId);
    for (const t of threads) {
      expect(t.targetId).toMatch(/^Thread 0x[0-9a-f]+ \(LWP \d+\)$/);
      const st = await s.stackTrace(t.id);
      expect(st.frames.length).toBeGreaterThan(0);
    }
    const mainTrace = await s.stackTrace(s.pid);
    expect(mainTrace.frames.some((f) => f.function === 'main')).toBe(true);
    await s.removeBreakpoint(1);
    const end = await s.cont();
    expect(end.reason).toBe('exited');
    expect(end.exitCode).toBe(0);
  });

  test('signal handling: SIGUSR1 passed without stopping reaches the handler', async () => {
    const { s } = session();
    await s.setSignalHandling('SIGUSR1', { stop: false, print: false, pass: true });
    expect(s.signalHandling('SIGUSR1')).toEqual({ stop: false, print: false, pass: true });
    await s.loadProgram(fixture('unwind'));
    await s.setBreakpoint({ location: 'handler_leaf' });
    const stop = await s.launch({ program: fixture('unwind'), args: ['raise'], stdio: 'pipe' });
    expect(stop.reason).toBe('breakpoint');
    const st = await s.stackTrace();
    expect(st.frames[1].function).toBe('on_signal');
    expect(st.frames[2].signalTrampoline).toBe(true);
    await s.kill();
  });

  test('finish in the outermost frame is refused as by gdb', async () => {
    const { s } = session();
    await s.launch({ program: fixture('demo'), stopOnEntry: true, stdio: 'pipe' });
    await expect(s.finish()).rejects.toThrow('"finish" not meaningful in the outermost frame.');
    // Still usable.
    expect((await s.next()).frame?.line).toBe(16);
    await s.kill();
  });
});

describe('state at a stop', () => {
  test('registers match gdb info registers; eflags rendering', async () => {
    const program = fixture('loop');
    const out = gdb(program, [], ['break hot', 'run', 'info registers rip rsp rdi eflags']);
    const reg = (n: string) => new RegExp(`^${n}\\s+(0x[0-9a-f]+)\\s+(.*)$`, 'm').exec(out)!;
    const { s } = session();
    await s.loadProgram(program);
    await s.setBreakpoint({ location: 'hot' });
    await s.launch({ program, stdio: 'pipe' });
    const regs = await s.registers();
    const get = (n: string) => regs.find((r) => r.name === n)!;
    expect(`0x${get('rip').value.toString(16)}`).toBe(reg('rip')[1]);
    expect(get('rip').natural).toBe(reg('rip')[2].trim());
    expect(get('rdi').value).toBe(BigInt(reg('rdi')[1]));
    expect(get('eflags').natural).toBe(reg('eflags')[2].trim());
    // Caller frame: rip is the return address, caller-saved registers are not known.
    const st = await s.stackTrace();
    const callerRegs = await s.registers(st.frames[1].id);
    expect(callerRegs.find((r) => r.name === 'rip')!.value).toBe(BigInt(st.frames[1].pc));
    expect(callerRegs.find((r) => r.name === 'rdi')!.unavailable).toBe(true);
    await s.kill();
  });

  test('memory read/write, partial reads at the end of a mapping', async () => {
    const { s } = session();
    await s.loadProgram(fixture('loop'));
    await s.setBreakpoint({ location: 'hot' });
    await s.launch({ program: fixture('loop'), stdio: 'pipe' });
    const addr = Number((await s.evaluate('&counter')).value.match(/0x[0-9a-f]+/)![0]);
    await s.writeMemory(addr, Buffer.from([42, 0, 0, 0]));
    expect((await s.evaluate('counter')).value).toBe('42');
    const r = await s.readMemory(addr, 4);
    expect(r.data.readInt32LE(0)).toBe(42);
    await expect(s.readMemory(0, 16)).rejects.toThrow('Cannot access memory at address 0x0');
    await s.kill();
  });

  test('scopes, expandable variables, setVariable, setExpression, evaluate', async () => {
    const { s } = session();
    await s.loadProgram(fixture('demo'));
    await s.setBreakpoint({ location: 'deposit' });
    const stop = await s.launch({ program: fixture('demo'), stdio: 'pipe' });
    const scopes = await s.scopes(stop.frame!.id);
    expect(scopes.map((x) => x.name)).toEqual(['Locals', 'Arguments', 'Globals', 'Registers']);
    const args = await s.variables(scopes[1].variablesReference);
    expect(args.map((a) => a.name)).toEqual(['acct', 'amount']);
    expect(args[1].value).toBe('10');
    // Set the argument: the function returns 100 + 1000.
    const set = await s.setVariable(scopes[1].variablesReference, 'amount', '1000');
    expect(set.value).toBe('1000');
    const fin = await s.finish();
    expect(fin.description).toMatch(/Value returned is \$\d+ = 1100$/);
    // main's locals: acct is a struct with children.
    const mainScopes = await s.scopes(fin.frame!.id);
    const locals = await s.variables(mainScopes[0].variablesReference);
    const acct = locals.find((v) => v.name === 'acct')!;
    expect(acct.variablesReference).toBeGreaterThan(0);
    const members = await s.variables(acct.variablesReference);
    expect(members.map((m) => m.name)).toEqual(['owner', 'balance', 'deposits']);
    expect(members.find((m) => m.name === 'balance')!.value).toBe('1100');
    const r = await s.setExpression('acct.deposits', '7');
    expect(r.value).toBe('7');
    expect((await s.evaluate('acct.deposits * 2')).value).toBe('14');
    await expect(s.evaluate('nosuch + 1')).rejects.toThrow('No symbol "nosuch" in current context.');
    await s.kill();
  });

  test('modules as gdb info sharedlibrary (From/To of .text)', async () => {
    const program = fixture('uselib');
    const out = gdb(program, [], ['break main', 'run', 'info sharedlibrary']);
    const rows = [...out.matchAll(/^(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+Yes\s+(\S+)$/gm)].map((m) => ({ from: Number(m[1]), to: Number(m[2]), path: m[3] }));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const { s } = session();
    await s.loadProgram(program);
    await s.setBreakpoint({ location: 'main' });
    await s.launch({ program, stdio: 'pipe' });
    const mods = s.modules();
    for (const r of rows) {
      const m = mods.find((x) => x.kind !== 'vdso' && fs.realpathSync(x.path) === fs.realpathSync(r.path));
      expect(m).toBeDefined();
      expect({ path: r.path, from: m!.textStart, to: m!.textEnd }).toEqual({ path: r.path, from: r.from, to: r.to });
    }
    expect(mods.find((m) => m.kind === 'program')?.name).toBe('uselib');
    expect(mods.find((m) => m.kind === 'vdso')?.name).toBe('[vdso]');
    await s.kill();
  });
});
