// `npm start`: a real debugging session on the bundled demo program (fixtures/src/demo.c), printed as it
// happens. It launches the program under the tracer, sets a breakpoint by file:line, single-steps
// instructions and shows registers and source lines.
import * as fs from 'fs';
import * as path from 'path';
import { SymbolFile } from '../symbols';
import { Inferior, StopEvent, Tracer } from '../target';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROGRAM = path.join(ROOT, 'fixtures', 'bin', 'demo');

function say(text: string): void {
  process.stdout.write(text + '\n');
}

function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** PIE programs are loaded at a bias: the start of the first mapping of the file in /proc/PID/maps. */
function loadBias(pid: number, file: string): number {
  const real = fs.realpathSync(file);
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[5] === real) return parseInt(parts[0].split('-')[0], 16) - parseInt(parts[2], 16);
  }
  throw new Error(`${file} is not mapped in process ${pid}`);
}

class Demo {
  private sources = new Map<string, string[]>();
  constructor(
    private readonly syms: SymbolFile,
    private readonly inf: Inferior,
    private readonly bias: number,
  ) {}

  sourceLine(file: string, line: number): string {
    let lines = this.sources.get(file);
    if (!lines) {
      lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
      this.sources.set(file, lines);
    }
    return lines[line - 1] ?? '';
  }

  where(pc: number): string {
    const link = pc - this.bias;
    const fn = this.syms.functionAt(link);
    const l = this.syms.lineFor(link);
    const name = fn?.name ?? this.syms.elfSymbolAt(link)?.name ?? '??';
    return l ? `${name} () at ${path.basename(l.file)}:${l.line}` : `${name} ()`;
  }

  showLine(pc: number): void {
    const l = this.syms.lineFor(pc - this.bias);
    if (l) say(`${String(l.line).padEnd(6)}${this.sourceLine(l.file, l.line)}`);
  }

  describe(ev: StopEvent): string {
    switch (ev.kind) {
      case 'exited':
        return `[Inferior 1 (process ${ev.pid}) exited ${ev.code === 0 ? 'normally' : `with code ${ev.code.toString(8).padStart(2, '0')}`}]`;
      case 'killed':
        return `Program terminated with signal ${ev.signame}.`;
      case 'signal':
        return `Program received signal ${ev.signame}.`;
      default:
        return `${ev.kind} at ${hex(ev.pc)} in ${this.where(ev.pc)}`;
    }
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: run 'npm run build' first`);
  say(`backstep demo: debugging ${path.relative(process.cwd(), PROGRAM) || PROGRAM}\n`);
  const t0 = process.hrtime.bigint();
  const syms = SymbolFile.open(PROGRAM);
  const tracer = await Tracer.create();
  try {
    const out = fs.openSync('/dev/null', 'w');
    const inf = await tracer.launch({ program: PROGRAM, stdio: [-1, out, -1] });
    const bias = loadBias(inf.pid, PROGRAM);
    const demo = new Demo(syms, inf, bias);
    say(`(backstep) run`);
    say(`Starting program: ${PROGRAM}  [process ${inf.pid}, stopped at its first instruction ${hex(inf.lastStop.kind === 'entry' ? inf.lastStop.pc : 0)}]`);
    say(`symbols loaded in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms; load bias ${hex(bias)}\n`);

    // break demo.c:8 (the first line of deposit()'s body)
    const bp = syms.addressesForLine('demo.c', 8);
    const addr = bias + bp.addresses[0];
    await inf.setBreakpoint(addr);
    say(`(backstep) break demo.c:8`);
    say(`Breakpoint 1 at ${hex(addr)}: file demo.c, line ${bp.line}.`);
    say(`(backstep) continue`);
    let ev = await inf.cont();
    say(`Breakpoint 1, ${demo.where(ev.kind === 'breakpoint' ? ev.pc : 0)}`);
    demo.showLine(addr);

    say(`\n(backstep) info registers rip rsp rdi rsi`);
    let regs = await inf.getRegisters();
    for (const r of ['rip', 'rsp', 'rdi', 'rsi'] as const) say(`${r.padEnd(8)}${hex(regs.get(r)).padEnd(20)}${regs.get(r)}`);
    // deposit(struct account *acct, int amount): amount is in esi, acct->balance at *(rdi+8).
    const acct = Number(regs.get('rdi'));
    say(`acct->balance = ${inf.readMemorySync(acct + 8, 4).readInt32LE(0)}, amount = ${Number(regs.get('rsi') & 0xffffffffn)}`);

    say(`\n(backstep) stepi  (x6, one machine instruction each)`);
    let line = syms.lineFor(addr - bias)?.line;
    for (let i = 0; i < 6; i++) {
      ev = await inf.step();
      if (ev.kind !== 'step') break;
      const l = syms.lineFor(ev.pc - bias);
      say(`${hex(ev.pc)}\t${demo.where(ev.pc)}${l && l.line !== line ? '   <- new line' : ''}`);
      if (l && l.line !== line) demo.showLine(ev.pc);
      line = l?.line;
    }
    regs = await inf.getRegisters();
    say(`acct->balance is now ${inf.readMemorySync(acct + 8, 4).readInt32LE(0)} (rip ${hex(regs.pc)})`);

    say(`\n(backstep) continue   (the breakpoint is hit once per deposit)`);
    let hits = 1;
    for (;;) {
      ev = await inf.cont();
      if (ev.kind !== 'breakpoint') break;
      hits++;
      const r = await inf.getRegisters();
      say(`Breakpoint 1, ${demo.where(ev.pc)}   amount=${Number(r.get('rsi') & 0xffffffffn)} balance=${inf.readMemorySync(Number(r.get('rdi')) + 8, 4).readInt32LE(0)}`);
    }
    say(demo.describe(ev));
    say(`\nbreakpoint 1 was hit ${hits} times.`);
  } finally {
    await tracer.close();
  }
}

main().catch((e) => {
  console.error(`backstep demo failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
