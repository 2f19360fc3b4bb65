// `$_siginfo` against gdb 13 over MI: at SIGSEGV (si_addr 0x10), SIGFPE (si_addr the faulting
// instruction), SIGABRT (abort: SI_TKILL from the process itself) and SIGUSR1 (kill: SI_USER) stops,
// `print`, a member path, `ptype`, `whatis` and -data-evaluate-expression give gdb's text; at a
// breakpoint it is the SIGTRAP's siginfo as in gdb; before `run` and after `kill` it is void. The DAP
// debug console evaluates it too.
import { Client } from './dap-client';
import { fixture } from './helpers';
import { miTranscript, MiStep } from './mi-client';

jest.setTimeout(120000);

const SIGNALS = fixture('signals');
const keep = (l: string) => !/^[=*]|^\^running/.test(l);

/** Fields that hold the sender's pid (and their overlays in the other union members): differ per run. */
const maskPid = (l: string) =>
  l
    .replace(/(si_pid|si_tid|si_band) = \d+/g, '$1 = PID')
    .replace(/_pad = \{\d+,/g, '_pad = {PID,')
    .replace(/(si_addr|_call_addr) = 0x[0-9a-f]+/g, '$1 = PIDUID')
    .replace(/\(void \*\) 0x[0-9a-f]+/g, '(void *) PIDUID')
    .replace(/value="0x[0-9a-f]+"/g, 'value="PIDUID"');

function steps(whatis: boolean): MiStep[] {
  return [
    { cmd: 'print $_siginfo' },
    { cmd: '-exec-run', stop: true },
    { cmd: 'print $_siginfo' },
    { cmd: 'p $_siginfo._sifields._sigfault.si_addr' },
    { cmd: 'p $_siginfo.si_signo' },
    { cmd: 'ptype $_siginfo' },
    ...(whatis ? [{ cmd: 'whatis $_siginfo' }, { cmd: 'ptype $_siginfo._sifields._rt' }, { cmd: 'whatis $_siginfo._sifields._rt.si_sigval' }] : []),
    { cmd: 'ptype $_siginfo._sifields._sigfault' },
    { cmd: 'whatis $_siginfo._sifields._pad' },
    { cmd: '-data-evaluate-expression $_siginfo' },
    { cmd: '-data-evaluate-expression $_siginfo._sifields._sigfault.si_addr' },
    { cmd: 'kill' },
    { cmd: 'print $_siginfo' },
    { cmd: '-data-evaluate-expression $_siginfo' },
  ];
}

describe('$_siginfo as gdb', () => {
  test.each([
    ['segv', 11, '0x10'],
    ['fpe', 8, undefined],
    ['abort', 6, undefined],
    ['usr1', 10, undefined],
  ] as const)('%s', async (mode, signo, addr) => {
    // The stop in kill() is in an assembly frame, where gdb's whatis names types without `struct`.
    const s = steps(mode !== 'usr1');
    const g = await miTranscript('gdb', ['--args', SIGNALS, mode], s, keep);
    const b = await miTranscript('backstep', ['--args', SIGNALS, mode], s, keep);
    const pidless = mode === 'abort' || mode === 'usr1';
    const norm = (t: string[][]) => t.map((lines) => lines.map((l) => (pidless ? maskPid(l) : l)));
    // What the oracle says at the stop (checks the fixture too).
    expect(g[2].join('')).toContain(`{si_signo = ${signo}, `);
    if (addr) expect(g[3].join('')).toContain(`(void *) ${addr}`);
    expect(g[0].join('')).toContain('= void');
    expect(g[g.length - 2].join('')).toContain('= void');
    // The signal stop (its frame line with the pc when mid-line; in libc, where the frame line's
    // function alias and @entry arguments are other work, the signal line) and everything after it.
    if (pidless) expect(b[1].filter((l) => /received signal/.test(l))).toEqual(g[1].filter((l) => /received signal/.test(l)));
    else expect(b[1]).toEqual(g[1]);
    expect(norm(b).slice(2)).toEqual(norm(g).slice(2));
    expect(b[0]).toEqual(g[0]);
    if (pidless) {
      // The sender is the program itself: its pid in every overlay of the kill fields.
      const text = b[2].join('');
      const pid = /_kill = \{si_pid = (\d+), si_uid = (\d+)\}/.exec(text)!;
      expect(Number(pid[1])).toBeGreaterThan(1);
      expect(Number(pid[2])).toBe(process.getuid!());
      expect(text).toContain(`_pad = {${pid[1]},`);
      expect(text).toContain(`_rt = {si_pid = ${pid[1]}, si_uid = ${pid[2]}, `);
    }
  });

  test('at a breakpoint: the SIGTRAP siginfo', async () => {
    const s: MiStep[] = [{ cmd: '-break-insert do_fpe' }, { cmd: '-exec-run', stop: true }, { cmd: 'print $_siginfo' }, { cmd: '-data-evaluate-expression $_siginfo.si_code' }];
    const g = await miTranscript('gdb', ['--args', SIGNALS, 'fpe'], s, keep);
    const b = await miTranscript('backstep', ['--args', SIGNALS, 'fpe'], s, keep);
    expect(g[3]).toEqual(['^done,value="128"']);
    expect(b).toEqual(g);
  });
});

describe('$_siginfo in the DAP debug console', () => {
  test('SIGSEGV: the fault address and signal number', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: SIGNALS, args: ['segv'] });
      const s = await c.stopped('exception');
      const st = await c.stackTraceRequest({ threadId: s.body.threadId! });
      const frameId = st.body.stackFrames[0].id;
      expect(await c.repl('p $_siginfo._sifields._sigfault.si_addr', frameId)).toBe('(void *) 0x10');
      const r = await c.evaluateRequest({ expression: '$_siginfo.si_signo', context: 'watch', frameId });
      expect(r.body.result).toBe('11');
    } finally {
      await c.finish();
    }
  });
});
