// Test helpers for the value model and expression evaluator: stop a fixture at a location under gdb
// (the oracle) and under our tracer, with the same environment and arguments (so stack and heap
// addresses agree: both run without ASLR), and build FrameContexts for our stop.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DW_TAG, SymbolFile } from '../src/symbols';
import { dwarfRegsFromUserRegRecord, ModuleMap, MappedFile, unwind } from '../src/symbols/unwind';
import { ElfFile } from '../src/symbols/elf';
import { Inferior, Tracer } from '../src/target';
import type { FrameContext, ModuleSymbols, TargetMemory } from '../src/engine/values/api';
import { fixture } from './helpers';

export interface GdbResult {
  /** Text after `$N = `, when print succeeded. */
  value?: string;
  /** gdb's error message. */
  error?: string;
}

export interface GdbStep {
  /** Frame to select (gdb's `frame N`) before the expressions. */
  frame?: number;
  exprs: string[];
  /** Also capture `info args` and `info locals`. */
  info?: boolean;
}

export interface GdbRun {
  env: Record<string, string>;
  args: string[];
  results: GdbResult[][];
  info: ({ args: string; locals: string } | undefined)[];
}

function parseEnviron(buf: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of buf.toString('latin1').split('\0')) {
    if (!kv) continue;
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/**
 * Runs `binary` under gdb to `location` (a `break` argument), then for each step selects the frame
 * and prints each expression through gdb's Python API. Also returns the inferior's environment.
 */
export function gdbPrint(binary: string, location: string, steps: GdbStep[], opts: { args?: string[]; setup?: string[]; hits?: number } = {}): GdbRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-values-'));
  try {
    const spec = path.join(dir, 'steps.json');
    fs.writeFileSync(spec, JSON.stringify(steps));
    const out = path.join(dir, 'out.json');
    const py = path.join(dir, 'run.py');
    fs.writeFileSync(
      py,
      `
import gdb, json
steps = json.load(open(${JSON.stringify(spec)}))
pid = gdb.selected_inferior().pid
env = open('/proc/%d/environ' % pid, 'rb').read().decode('latin1')
res = []
info = []
for st in steps:
    if st.get('frame') is not None:
        gdb.execute('frame %d' % st['frame'], to_string=True)
    if st.get('info'):
        info.append({'args': gdb.execute('info args', to_string=True), 'locals': gdb.execute('info locals', to_string=True)})
    else:
        info.append(None)
    r = []
    for e in st['exprs']:
        try:
            s = gdb.execute('print' + (e if e.startswith('/') else ' ' + e), to_string=True)
            i = s.find(' = ')
            r.append({'value': s[i + 3:].rstrip('\\n') if i >= 0 else s.rstrip('\\n')})
        except gdb.error as ex:
            r.append({'error': str(ex)})
    res.append(r)
json.dump({'env': env, 'results': res, 'info': info}, open(${JSON.stringify(out)}, 'w'))
`,
    );
    const args = opts.args ?? [];
    execFileSync(
      'gdb',
      ['-batch', '-nx', '-ex', 'set startup-with-shell off', '-ex', 'set debuginfod enabled off', ...(opts.setup ?? []).flatMap((c) => ['-ex', c]), '-ex', `break ${location}`, ...(opts.hits && opts.hits > 1 ? ['-ex', `ignore 1 ${opts.hits - 1}`] : []), '-ex', 'run', '-ex', `source ${py}`, '-ex', 'kill', '--args', binary, ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 },
    );
    if (!fs.existsSync(out)) throw new Error(`gdb did not stop at ${location} in ${binary}`);
    const j = JSON.parse(fs.readFileSync(out, 'utf8')) as { env: string; results: GdbResult[][]; info: GdbRun['info'] };
    return { env: parseEnviron(Buffer.from(j.env, 'latin1')), args, results: j.results, info: j.info.map((x) => x ?? undefined) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints expressions with gdb on a program that is not running (constants, globals from the file). */
export function gdbPrintStatic(binary: string, exprs: string[], setup: string[] = [], command = 'print'): GdbResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-values-'));
  try {
    const spec = path.join(dir, 'exprs.json');
    fs.writeFileSync(spec, JSON.stringify(exprs));
    const out = path.join(dir, 'out.json');
    const py = path.join(dir, 'run.py');
    fs.writeFileSync(
      py,
      `
import gdb, json
res = []
for e in json.load(open(${JSON.stringify(spec)})):
    try:
        s = gdb.execute(${JSON.stringify(command)} + (e if e.startswith('/') else ' ' + e), to_string=True)
        i = s.find(' = ')
        res.append({'value': s[i + 3:].rstrip('\\n') if i >= 0 else s.rstrip('\\n')})
    except gdb.error as ex:
        res.append({'error': str(ex)})
json.dump(res, open(${JSON.stringify(out)}, 'w'))
`,
    );
    execFileSync('gdb', ['-batch', '-nx', ...setup.flatMap((c) => ['-ex', c]), '-ex', `source ${py}`, binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as GdbResult[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const symbolFiles = new Map<string, SymbolFile | null>();
export function symbolFileFor(p: string): SymbolFile | undefined {
  if (!symbolFiles.has(p)) {
    try {
      const sf = SymbolFile.open(p);
      symbolFiles.set(p, sf.hasDebugInfo ? sf : null);
    } catch {
      symbolFiles.set(p, null);
    }
  }
  return symbolFiles.get(p) ?? undefined;
}

export interface LiveStop {
  inferior: Inferior;
  frames: FrameContext[];
  modules: ModuleSymbols[];
  memory: TargetMemory;
  /** Applies register writes recorded by evaluations (frame 0). */
  flushRegisters(): Promise<void>;
  kill(): Promise<void>;
}

/** Where `break LOCATION` stops, at link time (a function name or FILE:LINE). */
function breakAddress(sf: SymbolFile, location: string): number {
  const m = /^(.*):(\d+)$/.exec(location);
  if (m) return sf.addressesForLine(m[1], parseInt(m[2], 10)).addresses[0];
  const loc = sf.breakpointAddressForFunction(location);
  if (!loc) throw new Error(`no function ${location}`);
  return loc.address;
}

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

/** Launches `binary` with our tracer and runs it to `location`; builds a FrameContext per frame. */
export async function stopAt(tracer: Tracer, binary: string, location: string, opts: { args?: string[]; env?: Record<string, string>; hits?: number } = {}): Promise<LiveStop> {
  const devnull = fs.openSync('/dev/null', 'r+');
  const inf = await tracer.launch({ program: binary, args: opts.args ?? [], env: opts.env, stdio: [devnull, devnull, devnull] });
  fs.closeSync(devnull);
  const real = fs.realpathSync(binary);
  const sf = symbolFileFor(real)!;
  const exeMap = mappings(inf.pid).filter((m) => m.path === real);
  const elf = sf.elf;
  const { loadBiasFor } = await import('../src/symbols/unwind');
  let bias = 0;
  for (const m of exeMap) {
    const b = loadBiasFor(elf, m);
    if (b !== undefined) {
      bias = b;
      break;
    }
  }
  let addr: number;
  const inExe = /:\d+$/.test(location) || sf.breakpointAddressForFunction(location);
  if (inExe) addr = breakAddress(sf, location) + bias;
  else {
    // A function in a shared library: run to main (libraries are mapped by then) and look there.
    const mainAddr = breakAddress(sf, 'main') + bias;
    await inf.setBreakpoint(mainAddr);
    const ev = await inf.cont();
    if (ev.kind !== 'breakpoint') throw new Error(`expected a breakpoint stop at main, got ${ev.kind}`);
    await inf.removeBreakpoint(mainAddr);
    const libs = new ModuleMap(mappings(inf.pid), (p) => {
      try {
        return ElfFile.open(p);
      } catch {
        return undefined;
      }
    });
    let found: number | undefined;
    for (const m of libs.modules) {
      const ls = symbolFileFor(m.path);
      const loc = ls?.breakpointAddressForFunction(location);
      if (loc) {
        found = loc.address + m.loadBias;
        break;
      }
    }
    if (found === undefined) throw new Error(`no function ${location}`);
    addr = found;
  }
  await inf.setBreakpoint(addr);
  for (let i = 0; i < (opts.hits ?? 1); i++) {
    const ev = await inf.cont();
    if (ev.kind !== 'breakpoint') throw new Error(`expected a breakpoint stop, got ${ev.kind}`);
  }
  await inf.removeBreakpoint(addr);
  const ur = (await inf.getRegisters()).toObject();
  const regs = dwarfRegsFromUserRegRecord(ur);
  regs.set(4096, ur.orig_rax);
  const fp = await inf.getFpRegisters();
  const mem = {
    read: (a: number, n: number) => inf.readMemorySync(a, n),
    write: (a: number, d: Buffer) => inf.writeMemorySync(a, d),
  } as TargetMemory;
  const maps = new ModuleMap(mappings(inf.pid), (p) => {
    try {
      return ElfFile.open(p);
    } catch {
      return undefined;
    }
  });
  const unwMem = {
    read: (a: number, n: number) => {
      try {
        return inf.readMemorySync(a, n);
      } catch {
        return undefined;
      }
    },
  };
  const phys = unwind(regs, unwMem, (pc) => maps.find(pc), 64);
  const modules: ModuleSymbols[] = [];
  const seen = new Set<string>();
  for (const m of [maps.modules.find((x) => x.path === real)!, ...maps.modules]) {
    if (!m || seen.has(m.path)) continue;
    seen.add(m.path);
    const s = symbolFileFor(m.path);
    if (s) modules.push({ symbolFile: s, loadBias: m.loadBias });
  }
  mem.modules = modules;
  const pending: { reg: number; value: bigint }[] = [];
  // gdb's frames: each physical frame expanded into one frame per inlined call at its pc.
  const frames: FrameContext[] = [];
  const physIndex: number[] = [];
  phys.forEach((f, i) => {
    const s = f.module ? symbolFileFor(f.module.path) : undefined;
    const bias = f.module?.loadBias ?? 0;
    const inlines = s ? s.scopeAt(f.lookupPc - bias).filter((d) => d.tag === DW_TAG.inlined_subroutine).length : 0;
    for (let depth = 0; depth <= inlines; depth++) {
      const ctx: FrameContext = {
        level: frames.length,
        pc: f.pc,
        lookupPc: f.lookupPc,
        regs: new Map(f.regs),
        cfa: f.cfa,
        module: s ? { symbolFile: s, loadBias: bias } : undefined,
        inlineDepth: depth,
        memory: mem,
      };
      if (i === 0) {
        ctx.regBytes = (r: number) => (r >= 17 && r <= 32 ? Buffer.from(fp.xmm(r - 17)) : r >= 33 && r <= 40 ? Buffer.from(fp.st(r - 33)) : undefined);
        ctx.setRegister = (reg, value) => {
          pending.push({ reg, value });
          for (const other of frames) if (other !== ctx && physIndex[frames.indexOf(other)] === 0) other.regs.set(reg, value);
        };
      }
      frames.push(ctx);
      physIndex.push(i);
    }
  });
  frames.forEach((f, i) => {
    // caller: the next physical frame (entry values); callee: the frame below.
    f.caller = frames.find((g, j) => j > i && physIndex[j] === physIndex[i] + 1);
    f.callee = frames[i - 1];
  });
  const DW_TO_GPR: Record<number, string> = {
    0: 'rax', 1: 'rdx', 2: 'rcx', 3: 'rbx', 4: 'rsi', 5: 'rdi', 6: 'rbp', 7: 'rsp', 8: 'r8', 9: 'r9', 10: 'r10', 11: 'r11',
    12: 'r12', 13: 'r13', 14: 'r14', 15: 'r15', 16: 'rip', 49: 'eflags',
  };
  return {
    inferior: inf,
    frames,
    modules,
    memory: mem,
    async flushRegisters() {
      if (!pending.length) return;
      const r = await inf.getRegisters();
      for (const p of pending.splice(0)) {
        const n = DW_TO_GPR[p.reg];
        if (n) r.set(n as Parameters<typeof r.set>[0], p.value);
      }
      await inf.setRegisters(r);
    },
    async kill() {
      if (inf.state !== 'exited') await inf.kill();
    },
  };
}

export { fixture };
