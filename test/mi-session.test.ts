// Front-end sessions driven through backstep-gdb and stock gdb 13 with the SAME input, compared after
// normalising pids/stack addresses: cdt-gdb-adapter's launch → breakpoints → step → variables →
// registers → memory → disassemble → exit, and MIEngine's (cppdbg) launch order with the solib-event
// stop, a `kill -5` pause and `-exec-interrupt`.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, comparable, normalize } from './mi-client';

jest.setTimeout(120000);

const DEMO = fixture('demo');
const DEMO_SRC = DEMO.replace(/bin\/demo$/, 'src/demo.c');

type Step = string | { cmd: string; stop?: boolean; compare?: 'full' | 'result' | 'none'; check?: (out: string[], c: MiClient) => void };

interface Transcript {
  cmd: string;
  out: string[];
  stop?: string[];
}

/** Runs the steps; a step with stop waits for the *stopped that ends it and records the records before it. */
async function drive(which: 'gdb' | 'backstep', steps: Step[], extra: string[] = []): Promise<Transcript[]> {
  const c = MiClient.start(which, extra);
  const out: Transcript[] = [];
  try {
    await c.ready();
    let tok = 1;
    // Every line belongs to exactly one step: records a debugger writes right after *stopped (gdb's
    // =breakpoint-deleted of a temporary breakpoint) go to the next step whether or not they came in
    // the same read of the pipe as *stopped.
    let from = c.mark();
    for (const s of steps) {
      const st = typeof s === 'string' ? { cmd: s } : s;
      const token = tok++;
      await c.send(token, st.cmd);
      const re = new RegExp(`^${token}\\^`);
      const resultAt = c.lines.findIndex((l, i) => i >= from && re.test(l));
      const res = c.lines.slice(from, resultAt + 1).filter((l) => l !== '(gdb) ');
      const t: Transcript = { cmd: st.cmd, out: res.filter(comparable).map(normalize) };
      let next = resultAt + 1;
      if (st.stop) {
        await c.stopped(from, 30000);
        const end = c.lines.findIndex((l, i) => i >= from && l.startsWith('*stopped'));
        next = end + 1;
        t.stop = c.lines.slice(from, end + 1).filter((l) => comparable(l) && !/^\d+\^/.test(l) && l !== '(gdb) ' && !l.startsWith('*running') && !l.startsWith('=thread-group-started') && !l.startsWith('=thread-created') && !l.startsWith('=breakpoint-modified')).map(normalize);
        t.out = t.out.filter((l) => !l.startsWith('*stopped') && !l.startsWith('~') && !l.startsWith('=breakpoint-modified'));
      }
      st.check?.(t.out, c);
      out.push(t);
      from = next;
    }
  } finally {
    await c.close();
  }
  return out;
}

function compare(steps: Step[], gdb: Transcript[], bs: Transcript[]): unknown[] {
  const diffs: unknown[] = [];
  steps.forEach((s, i) => {
    const mode = typeof s === 'string' ? 'full' : s.compare ?? 'full';
    if (mode === 'none') return;
    const a = mode === 'result' ? bs[i].out.slice(-1) : bs[i].out;
    const b = mode === 'result' ? gdb[i].out.slice(-1) : gdb[i].out;
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push({ cmd: gdb[i].cmd, backstep: a, gdb: b });
    if (gdb[i].stop && JSON.stringify(bs[i].stop) !== JSON.stringify(gdb[i].stop)) diffs.push({ cmd: gdb[i].cmd, backstepStop: bs[i].stop, gdbStop: gdb[i].stop });
  });
  return diffs;
}

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('cdt-gdb-adapter launch session: same records as gdb', async () => {
  const steps: Step[] = [
    '-gdb-show host-charset',
    '-interpreter-exec console "show host-charset"',
    '-gdb-set non-stop off',
    '-gdb-set mi-async on',
    `-file-exec-and-symbols "${DEMO}"`,
    '-enable-pretty-printing',
    '-target-select native ',
    '-list-target-features',
    '-break-list',
    `-break-insert --source "${DEMO_SRC}" --line 8`,
    '-break-insert -t --function main',
    '-break-insert -f nosuchfunc',
    '-break-insert demo.c:9999',
    '-break-condition 1 amount > 15',
    '-break-list',
    { cmd: '-exec-run', stop: true },
    '-list-target-features',
    '-thread-info',
    '-stack-info-depth --thread 1 100',
    '-stack-list-frames --thread 1 0 19',
    '-stack-list-variables --thread 1 --frame 0 --simple-values',
    '-stack-list-locals 1',
    '-stack-list-arguments 2 0 0',
    '-var-create --thread 1 --frame 0 - * "now"',
    '-var-create --thread 1 --frame 0 - * "i"',
    '-var-create - * "amounts"',
    '-var-show-attributes var3',
    '-var-info-num-children var3',
    '-var-info-type var3',
    '-var-set-format var2 hexadecimal',
    '-var-show-format var2',
    '-var-evaluate-expression -f decimal var2',
    { cmd: '-exec-continue --thread 1', stop: true },
    '-break-delete 1',
    `-break-insert --source "${DEMO_SRC}" --line 8`,
    { cmd: '-exec-continue --thread 1', stop: true },
    '-stack-list-arguments 1',
    '-data-evaluate-expression "acct->balance + amount"',
    '-data-evaluate-expression "&(acct->deposits)"',
    '-data-evaluate-expression "sizeof(*acct)"',
    '-data-evaluate-expression nosuchvar',
    '-var-create - * "acct->owner"',
    '-stack-info-frame',
    { cmd: '-exec-next --thread 1', stop: true },
    { cmd: '-exec-next --thread 1', stop: true },
    '-var-create - * "acct->balance"',
    { cmd: '-exec-finish --thread 1 --frame 0', stop: true },
    { cmd: '-exec-step --thread 1', stop: true },
    { cmd: '-exec-step-instruction --thread 1', stop: true },
    { cmd: '-exec-next-instruction --thread 1', stop: true },
    '-stack-select-frame 0',
    '-thread-select 1',
    '-interpreter-exec --thread 1 --frame 0 console "p i"',
    '-gdb-set var i=4',
    '-data-evaluate-expression i',
    '-exec-interrupt',
    '-break-delete',
    { cmd: '-exec-continue --thread 1', stop: true },
    '-thread-info',
    '-list-target-features',
  ];
  const gdb = await drive('gdb', steps);
  const bs = await drive('backstep', steps);
  expect(compare(steps, gdb, bs)).toEqual([]);
});

test('data: registers, memory and disassembly agree with gdb', async () => {
  const pcRegs: Record<string, string> = {};
  const changed: string[] = [];
  const mains: string[] = [];
  const steps: Step[] = [
    '-gdb-set mi-async on',
    `-file-exec-and-symbols ${DEMO}`,
    '-break-insert deposit',
    { cmd: '-exec-run', stop: true },
    { cmd: '-data-list-register-names 0 1 16 17 24 40 56 152 191', compare: 'full' },
    { cmd: '-data-list-register-values x 16', compare: 'full' },
    { cmd: '-data-list-register-values N 16 7 17', compare: 'result', check: (o) => void (pcRegs.v = o[o.length - 1]) },
    { cmd: '-data-list-register-values d 17 195 179 159', compare: 'full' },
    { cmd: '-data-list-register-values t 17', compare: 'full' },
    { cmd: '-data-list-register-values o 17', compare: 'full' },
    { cmd: '-data-list-register-values z 17', compare: 'full' },
    { cmd: '-data-list-register-values r 16', compare: 'full' },
    '-data-list-register-values x 999',
    '-data-read-memory-bytes $pc 8',
    '-data-read-memory-bytes -o 2 $pc 4',
    '-data-read-memory-bytes 0 4',
    '-data-read-memory $pc x 1 2 4',
    '-data-disassemble -s $pc -e "$pc + 16" -- 0',
    '-data-disassemble -s $pc -e "$pc + 16" -- 2',
    '-data-disassemble -s $pc -e "$pc + 12" -- 5',
    '-data-disassemble -a deposit -- 0',
    // main calls printf through the PLT: gdb names the stub <printf@plt>, and so does backstep.
    { cmd: '-data-disassemble -a main -- 0', compare: 'none', check: (o) => mains.push(o[o.length - 1]) },
    '-data-disassemble -s 0 -e 4 -- 9',
    '-interpreter-exec console "x/1xw &amount"',
    '-interpreter-exec console "x/4xb &amount"',
    '-interpreter-exec console "x/2dh &amount"',
    '-interpreter-exec console "info registers rip"',
    '-interpreter-exec console "x/2i $pc"',
    '-data-write-memory-bytes &amount 2a000000',
    '-data-evaluate-expression amount',
    { cmd: '-data-list-changed-registers', compare: 'none', check: (o) => changed.push(o[o.length - 1]) },
    { cmd: '-exec-next', stop: true },
    { cmd: '-data-list-changed-registers', compare: 'none', check: (o) => expect(o[0]).toMatch(/changed-registers=\[.*"16"/) },
  ];
  const gdb = await drive('gdb', steps);
  const bs = await drive('backstep', steps);
  expect(compare(steps, gdb, bs)).toEqual([]);
  expect(mains).toHaveLength(2);
  expect(mains[0]).toContain('<printf@plt>');
  expect(mains[1]).toBe(mains[0]);
  expect(pcRegs.v).toMatch(/\{number="16",value="0x[0-9a-f]+ <deposit\+11>"\}/);
  // First -data-list-changed-registers: everything is new; backstep lists a subset of gdb's numbers
  // (registers it cannot show are blank in its numbering).
  const nums = (l: string) => [...l.matchAll(/"(\d+)"/g)].map((m) => Number(m[1]));
  const [g, b] = [nums(changed[0]), nums(changed[1])];
  expect(b.length).toBeGreaterThan(50);
  for (const n of b) expect(g).toContain(n);
});

test('MIEngine (cppdbg) launch: solib-event stop without a frame, kill -5 pause, -exec-interrupt', async () => {
  const loop = fixture('spin');
  for (const which of ['backstep', 'gdb'] as const) {
    const c = MiClient.start(which, [], { interpreter: 'mi' });
    try {
      await c.ready();
      let t = 1001;
      expect(await c.result(t++, '-gdb-set mi-async on')).toBe('1001^done');
      expect(await c.send(t++, '-interpreter-exec console "set pagination off"')).toEqual(['=cmd-param-changed,param="pagination",value="off"', '1002^done']);
      expect(await c.result(t++, '-gdb-set auto-solib-add on')).toBe('1003^done');
      expect(await c.result(t++, '-gdb-set stop-on-solib-events 1')).toBe('1004^done');
      expect(await c.result(t++, `-file-exec-and-symbols ${loop}`)).toBe('1005^done');
      expect(await c.send(t++, '-interpreter-exec console "show architecture"')).toEqual(['~"The target architecture is set to \\"auto\\" (currently \\"i386:x86-64\\").\\n"', '1006^done']);
      expect(await c.result(t++, '-break-insert -f main')).toMatch(/^1007\^done,bkpt=\{number="1",type="breakpoint",disp="keep",enabled="y",addr="0x[0-9a-f]{16}",func="main"/);
      let from = c.mark();
      expect(await c.result(t++, '-exec-run')).toBe('1008^running');
      const solib = await c.stopped(from);
      // No frame: cppdbg treats this stop as a module load.
      expect(solib).toMatch(/^\*stopped,reason="solib-event",thread-id="1",stopped-threads="all",core="\d+"$/);
      expect(await c.result(t++, '-gdb-set stop-on-solib-events 0')).toBe('1009^done');
      const libs = await c.send(t++, '-interpreter-exec console "info sharedlibrary"');
      expect(libs[0]).toBe('~"From                To                  Syms Read   Shared Object Library\\n"');
      expect(libs.some((l) => /ld-linux-x86-64\.so\.2\\n"$/.test(l))).toBe(true);
      from = c.mark();
      expect(await c.result(t++, '-exec-continue')).toBe('1011^running');
      expect(await c.stopped(from)).toMatch(/^\*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",frame=\{addr="0x[0-9a-f]+",func="main",args=\[\],file=".*spin.c",fullname=".*spin.c",line="\d+",arch="i386:x86-64"\},thread-id="1"/);
      const info = await c.result(t++, '-thread-info');
      expect(info).toMatch(/target-id="Thread 0x[0-9a-f]+ \(LWP (\d+)\)",name="spin",frame=\{level="0"/);
      const pid = Number(/LWP (\d+)/.exec(info)![1]);
      expect(await c.result(t++, '-break-delete 1')).toBe('1013^done');
      from = c.mark();
      expect(await c.result(t++, '-exec-continue')).toBe('1014^running');
      await new Promise((r) => setTimeout(r, 200));
      process.kill(pid, 'SIGTRAP');
      expect(await c.stopped(from)).toMatch(/^\*stopped,reason="signal-received",signal-name="SIGTRAP",signal-meaning="Trace\/breakpoint trap",frame=\{addr=.*thread-id="1",stopped-threads="all"/);
      // The pause signal is not passed to the program on resume.
      from = c.mark();
      expect(await c.result(t++, '-exec-continue')).toBe('1015^running');
      await new Promise((r) => setTimeout(r, 200));
      expect(await c.result(t++, '-exec-interrupt')).toBe('1016^done');
      expect(await c.stopped(from)).toMatch(/^\*stopped,reason="signal-received",signal-name="SIGINT",signal-meaning="Interrupt",frame=\{/);
      const kill = await c.send(t++, '-interpreter-exec console "kill"');
      expect(kill).toEqual([
        '~"Kill the program being debugged? (y or n) [answered Y; input not from terminal]\\n"',
        '=thread-exited,id="1",group-id="i1"',
        '=thread-group-exited,id="i1"',
        `~"[Inferior 1 (process ${pid}) killed]\\n"`,
        '1017^done',
      ]);
      expect(await c.result(t++, '-gdb-exit')).toBe('1018^exit');
      expect(await c.exited).toBe(0);
    } finally {
      await c.close();
    }
  }
});

test('EOF on stdin ends the session and kills the program', async () => {
  const c = MiClient.start('backstep', [fixture('spin')]);
  await c.ready();
  const from = c.mark();
  await c.send(1, '-exec-run');
  await c.waitFor((l) => l.startsWith('=thread-group-started'), 15000, from);
  const pid = Number(/pid="(\d+)"/.exec(c.lines.find((l) => l.startsWith('=thread-group-started'))!)![1]);
  c.proc.stdin!.end();
  expect(await c.exited).toBe(0);
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      alive = false;
    }
  }
  expect(alive).toBe(false);
});
