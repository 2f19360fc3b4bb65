// Expression evaluator benchmarks (issue [7]): the cost of evaluating and printing a member chain,
// of evaluating a breakpoint condition, and the hit rate of a conditional breakpoint whose condition
// is evaluated by backstep on every hit — each beside gdb doing the same in the same run.
import * as fs from 'fs';
import { SymbolFile } from '../src/symbols';
import { dwarfRegsFromUserRegRecord, MappedFile, ModuleMap, unwind } from '../src/symbols/unwind';
import { ElfFile } from '../src/symbols/elf';
import { Inferior, Tracer } from '../src/target';
import { evaluate, formatValue, FrameContext, ModuleSymbols, TargetMemory, Value, ValueStore } from '../src/engine/values/api';
import { fixture, gdbTimed, hasGdb, median, Row } from './common';

const EVALS = 20_000;
const GDB_EVALS = 5_000;
const COND_HITS = 5_000;
const GDB_COND_HITS = 5_000;

function mappings(pid: number): MappedFile[] {
  const out: MappedFile[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p.length < 6 || !p[5].startsWith('/')) continue;
    const [s, e] = p[0].split('-').map((x) => parseInt(x, 16));
    out.push({ start: s, end: e, fileOffset: parseInt(p[2], 16), path: p[5] });
  }
  return out;
}

/** What a session keeps per process: the module table and the executable's symbols. */
class Target {
  readonly maps: ModuleMap;
  readonly sf: SymbolFile;
  readonly module: ModuleSymbols;
  readonly memory: TargetMemory;

  constructor(readonly inf: Inferior, binary: string) {
    this.maps = new ModuleMap(mappings(inf.pid), (p) => {
      try {
        return ElfFile.open(p);
      } catch {
        return undefined;
      }
    });
    const real = fs.realpathSync(binary);
    this.sf = SymbolFile.open(real);
    const m = this.maps.modules.find((x) => x.path === real)!;
    this.module = { symbolFile: this.sf, loadBias: m.loadBias };
    this.memory = { read: (a, n) => inf.readMemorySync(a, n), write: (a, d) => inf.writeMemorySync(a, d), modules: [this.module] };
  }

  /** Frame 0 of the stopped thread, as the session builds it (registers, CFA from CFI). */
  async frame0(): Promise<FrameContext> {
    const regs = dwarfRegsFromUserRegRecord((await this.inf.getRegisters()).toObject());
    const mem = { read: (a: number, n: number) => {
      try {
        return this.inf.readMemorySync(a, n);
      } catch {
        return undefined;
      }
    } };
    const f = unwind(regs, mem, (pc) => this.maps.find(pc), 2)[0];
    return { level: 0, pc: f.pc, lookupPc: f.lookupPc, regs: f.regs, cfa: f.cfa, module: this.module, memory: this.memory };
  }
}

async function stopAt(tracer: Tracer, binary: string, fn: string, args: string[]): Promise<Target> {
  const inf = await tracer.launch({ program: binary, args, stdio: [-1, -1, -1] });
  const t = new Target(inf, binary);
  const addr = t.sf.breakpointAddressForFunction(fn)!.address + t.module.loadBias;
  await inf.setBreakpoint(addr);
  const ev = await inf.cont();
  if (ev.kind !== 'breakpoint') throw new Error(`expected a breakpoint, got ${ev.kind}`);
  return t;
}

/** Microseconds per `print global_shape.corners[1].y` (parse, evaluate, read memory, format). */
async function backstepMemberChain(tracer: Tracer): Promise<number> {
  const t = await stopAt(tracer, fixture('types'), 'inspect', []);
  const frame = await t.frame0();
  const store = new ValueStore();
  let text = '';
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < EVALS; i++) {
    const v = evaluate('global_shape.corners[1].y', { frame, modules: [t.module], store });
    text = formatValue(v.fetch());
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / EVALS;
  if (text !== '4') throw new Error(`unexpected value ${text}`);
  await t.inf.kill();
  return us;
}

function gdbMemberChain(): number {
  const loop = `python\nfor i in range(${GDB_EVALS}): gdb.execute('print global_shape.corners[1].y', to_string=True)\nend`;
  const dt = gdbTimed(['break inspect', 'run'], [loop], fixture('types'));
  return (dt * 1e6) / GDB_EVALS;
}

/** Microseconds per evaluation of the condition `x == 999 && counter > 0` at a stop in hot(). */
async function backstepCondition(tracer: Tracer): Promise<number> {
  const t = await stopAt(tracer, fixture('loop'), 'hot', ['10']);
  const frame = await t.frame0();
  let truth = true;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < EVALS; i++) truth = evaluate('x == 999 && counter > 0', { frame, modules: [t.module] }).asBigInt() !== 0n;
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / EVALS;
  if (truth) throw new Error('condition should be false');
  await t.inf.kill();
  return us;
}

function gdbCondition(): number {
  const loop = `python\nfor i in range(${GDB_EVALS}): bool(gdb.parse_and_eval('x == 999 && counter > 0'))\nend`;
  const dt = gdbTimed(['break hot', 'run'], [loop], fixture('loop'), ['10']);
  return (dt * 1e6) / GDB_EVALS;
}

/**
 * Hits per second of `break hot if x < 0` (never true): every hit stops the program, the
 * condition is evaluated in the stopped frame, and the program continues.
 */
async function backstepConditionalHits(tracer: Tracer): Promise<number> {
  const bin = fixture('loop');
  const inf = await tracer.launch({ program: bin, args: [String(COND_HITS)], stdio: [-1, -1, -1] });
  const t = new Target(inf, bin);
  await inf.setBreakpoint(t.sf.breakpointAddressForFunction('hot')!.address + t.module.loadBias);
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (;;) {
    const ev = await inf.cont();
    if (ev.kind !== 'breakpoint') break;
    hits++;
    const frame = await t.frame0();
    const v: Value = evaluate('x < 0', { frame, modules: [t.module] });
    if (v.asBigInt() !== 0n) throw new Error('condition should be false');
  }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (hits !== COND_HITS) throw new Error(`expected ${COND_HITS} hits, got ${hits}`);
  return hits / dt;
}

function gdbConditionalHits(): number {
  const dt = gdbTimed(['break hot if x < 0', 'starti'], ['continue'], fixture('loop'), [String(GDB_COND_HITS)]);
  return GDB_COND_HITS / dt;
}

export async function benchExpr(runs = 3): Promise<Row[]> {
  const tracer = await Tracer.create();
  const gdb = hasGdb();
  try {
    const chain: number[] = [];
    const cond: number[] = [];
    const hits: number[] = [];
    const gChain: number[] = [];
    const gCond: number[] = [];
    const gHits: number[] = [];
    for (let i = 0; i < runs; i++) {
      chain.push(await backstepMemberChain(tracer));
      cond.push(await backstepCondition(tracer));
      hits.push(await backstepConditionalHits(tracer));
      if (gdb) {
        gChain.push(gdbMemberChain());
        gCond.push(gdbCondition());
        gHits.push(gdbConditionalHits());
      }
    }
    return [
      { metric: 'print global_shape.corners[1].y', unit: 'µs', backstep: median(chain), others: { gdb: gdb ? median(gChain) : undefined }, higherIsBetter: false },
      { metric: 'evaluate condition x == 999 && counter > 0', unit: 'µs', backstep: median(cond), others: { gdb: gdb ? median(gCond) : undefined }, higherIsBetter: false },
      { metric: 'conditional breakpoint (false) hit rate', unit: 'hits/s', backstep: median(hits), others: { gdb: gdb ? median(gHits) : undefined }, higherIsBetter: true },
    ];
  } finally {
    await tracer.close();
  }
}

if (require.main === module) {
  benchExpr(1)
    .then((rows) => {
      for (const r of rows) console.log(`${r.metric}: backstep ${r.backstep.toFixed(2)} ${r.unit}, gdb ${r.others.gdb?.toFixed(2) ?? '-'} ${r.unit}`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
