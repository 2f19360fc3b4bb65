// Test helpers for the unwinder: run a fixture under gdb to a stop, record gdb's own view of every
// thread's frames (pc and sp of each frame, via gdb's Python API, which is what `bt` prints), and
// write a core file that the tests then unwind without gdb.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CoreFile, coreModules } from '../src/symbols/core-file';
import { ModuleMap, unwindDetailed, UnwindResult } from '../src/symbols/unwind';
import { ElfFile } from '../src/symbols/elf';

export const ROOT = path.join(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'fixtures', 'bin');

let built = false;
/** Builds the fixtures (incrementally) once per test file. */
export function ensureFixtures(...names: string[]): void {
  if (built) return;
  execFileSync('node', [path.join(ROOT, 'scripts', 'build-fixtures.js'), ...names], { stdio: 'inherit' });
  built = true;
}

export interface GdbFrame {
  level: number;
  pc: number;
  sp: number;
  /** gdb frame type: normal, inline, tailcall, sigtramp... */
  type: string;
  name: string;
}

export interface GdbThread {
  lwp: number;
  frames: GdbFrame[];
  /** gdb's reason for stopping the unwind (frame_stop_reason_string of the outermost frame). */
  stopReason: string;
}

export interface GdbStop {
  corePath: string;
  /** The thread gdb stopped in (its LWP id). */
  selectedLwp: number;
  threads: GdbThread[];
  /** gdb's own `bt` text for the selected thread, for diagnostics. */
  bt: string;
  rawOutput: string;
  cleanup(): void;
}

const WALK_PY = `
import gdb
TYPES = {gdb.NORMAL_FRAME: 'normal', gdb.INLINE_FRAME: 'inline', gdb.SIGTRAMP_FRAME: 'sigtramp',
         gdb.DUMMY_FRAME: 'dummy', gdb.TAILCALL_FRAME: 'tailcall', gdb.ARCH_FRAME: 'arch'}
sel = gdb.selected_thread()
print("BSSELECTED %d" % sel.ptid[1])
for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    t.switch()
    print("BSTHREAD %d" % t.ptid[1])
    f = gdb.newest_frame()
    i = 0
    last = f
    while f is not None and i < 200:
        sp = int(f.read_register('rsp')) & 0xffffffffffffffff
        print("BSFRAME %d 0x%x 0x%x %s %s" % (i, f.pc(), sp, TYPES.get(f.type(), str(f.type())), f.name()))
        last = f
        f = f.older()
        i += 1
    print("BSSTOP %s" % gdb.frame_stop_reason_string(last.unwind_stop_reason()))
sel.switch()
`;

/**
 * Runs `binary args` under gdb with `setup` commands (breakpoints, signal handling) and `run`,
 * records gdb's frames for every thread, and writes a core file. `afterRun` commands run after the
 * stop (e.g. `finish`, `stepi`) before anything is recorded.
 */
export function gdbStop(binary: string, args: string[], setup: string[], afterRun: string[] = [], extraPython = ''): GdbStop {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-unwind-'));
  const corePath = path.join(dir, 'stop.core');
  const py = path.join(dir, 'walk.py');
  fs.writeFileSync(py, WALK_PY + extraPython);
  const cmds = [
    'set pagination off',
    'set confirm off',
    'set width 0',
    'set breakpoint pending on',
    'set backtrace past-main on',
    'set backtrace past-entry on',
    // Argument printing at -O2 makes gdb resolve entry values, which is slow in deep recursion.
    'set print frame-arguments none',
    'set print entry-values no',
    ...setup,
    `run ${args.map((a) => `'${a}'`).join(' ')}`,
    ...afterRun,
    'echo BSBT-BEGIN\\n',
    'bt',
    'echo BSBT-END\\n',
    `source ${py}`,
    `generate-core-file ${corePath}`,
    'kill',
  ];
  const gdbArgs = ['-nx', '-batch', ...cmds.flatMap((c) => ['-ex', c]), binary];
  let out: string;
  try {
    out = execFileSync('gdb', gdbArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`gdb failed: ${err.stderr ?? ''}\n${err.stdout ?? ''}`);
  }
  const threads: GdbThread[] = [];
  let selectedLwp = 0;
  for (const line of out.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^BSSELECTED (\d+)/))) selectedLwp = Number(m[1]);
    else if ((m = line.match(/^BSTHREAD (\d+)/))) threads.push({ lwp: Number(m[1]), frames: [], stopReason: '' });
    else if ((m = line.match(/^BSFRAME (\d+) 0x([0-9a-f]+) 0x([0-9a-f]+) (\S+) (.*)$/))) {
      threads[threads.length - 1].frames.push({
        level: Number(m[1]),
        pc: parseInt(m[2], 16),
        sp: parseInt(m[3], 16),
        type: m[4],
        name: m[5],
      });
    } else if ((m = line.match(/^BSSTOP (.*)$/))) threads[threads.length - 1].stopReason = m[1];
  }
  const bt = out.slice(out.indexOf('BSBT-BEGIN') + 11, out.indexOf('BSBT-END'));
  if (!fs.existsSync(corePath) || !threads.length) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`gdb did not stop/dump as expected:\n${out}`);
  }
  return {
    corePath,
    selectedLwp,
    threads,
    bt,
    rawOutput: out,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** gdb frames that correspond to real stack frames (inline and tail-call frames are virtual). */
export function realFrames(frames: GdbFrame[]): GdbFrame[] {
  return frames.filter((f) => f.type === 'normal' || f.type === 'sigtramp');
}

export interface CoreUnwind {
  core: CoreFile;
  modules: ModuleMap;
  unwind(lwp: number, options?: Parameters<typeof unwindDetailed>[3]): UnwindResult;
  /** `name+0xoff` for a pc, from the ELF symbol tables (for readable failures). */
  describe(pc: number): string;
}

export function loadCore(corePath: string): CoreUnwind {
  const core = CoreFile.open(corePath);
  const elfs = new Map<string, ElfFile | undefined>();
  const open = (p: string) => {
    if (!elfs.has(p)) {
      try {
        elfs.set(p, ElfFile.open(p));
      } catch {
        elfs.set(p, undefined);
      }
    }
    return elfs.get(p);
  };
  const modules = coreModules(core, open);
  return {
    core,
    modules,
    unwind(lwp, options) {
      const t = core.thread(lwp);
      if (!t) throw new Error(`no thread ${lwp} in core`);
      return unwindDetailed(t.regs, core, (pc) => modules.find(pc), options);
    },
    describe(pc) {
      const m = modules.find(pc);
      if (!m) return `0x${pc.toString(16)}`;
      const elf = m.path === '[vdso]' ? undefined : open(m.path);
      const sym = elf?.symbolAt(pc - m.loadBias);
      const base = path.basename(m.path);
      return sym ? `${sym.name}+0x${(pc - m.loadBias - sym.value).toString(16)} (${base})` : `0x${pc.toString(16)} (${base})`;
    },
  };
}

export const hex = (n: number) => `0x${n.toString(16)}`;

// ---- readelf --debug-dump=info as an oracle for DIEs and their location attributes -------------

export interface RDie {
  offset: number;
  depth: number;
  tag: string;
  attrs: Map<string, string>;
  parent?: RDie;
  children: RDie[];
  cu: RUnit;
}

export interface RUnit {
  offset: number;
  version: number;
  addressSize: number;
  root?: RDie;
}

/** Parses `readelf --debug-dump=info` output into a DIE tree (attribute values as readelf prints them). */
export function readelfDies(file: string): { units: RUnit[]; byOffset: Map<number, RDie> } {
  const res = spawnSync('readelf', ['--debug-dump=info', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const units: RUnit[] = [];
  const byOffset = new Map<number, RDie>();
  let unit: RUnit | undefined;
  const stack: RDie[] = [];
  let cur: RDie | undefined;
  for (const line of res.stdout.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^\s+Compilation Unit @ offset (0x[0-9a-f]+|\d+):/))) {
      unit = { offset: parseInt(m[1]), version: 0, addressSize: 8 };
      units.push(unit);
      stack.length = 0;
      cur = undefined;
    } else if (unit && (m = line.match(/^\s+Version:\s+(\d+)/))) unit.version = Number(m[1]);
    else if (unit && (m = line.match(/^\s+Pointer Size:\s+(\d+)/))) unit.addressSize = Number(m[1]);
    else if (unit && (m = line.match(/^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?/))) {
      const depth = Number(m[1]);
      if (m[3] === '0') {
        cur = undefined;
        continue;
      }
      stack.length = depth;
      const die: RDie = { offset: parseInt(m[2], 16), depth, tag: m[4] ?? '', attrs: new Map(), children: [], cu: unit, parent: depth ? stack[depth - 1] : undefined };
      die.parent?.children.push(die);
      if (depth === 0) unit.root = die;
      stack[depth] = die;
      byOffset.set(die.offset, die);
      cur = die;
    } else if (cur && (m = line.match(/^\s+<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s?(.*)$/))) {
      cur.attrs.set(m[1], m[2].trim());
    }
  }
  return { units, byOffset };
}

/** A name as readelf prints it: "(indirect string, offset: 0x10d): inspect" -> "inspect". */
export function attrName(die: RDie, byOffset: Map<number, RDie>): string | undefined {
  let v = die.attrs.get('DW_AT_name');
  if (v === undefined) {
    const origin = die.attrs.get('DW_AT_abstract_origin');
    const m = origin?.match(/<0x([0-9a-f]+)>/);
    const o = m ? byOffset.get(parseInt(m[1], 16)) : undefined;
    return o ? attrName(o, byOffset) : undefined;
  }
  const i = v.lastIndexOf('): ');
  if (v.startsWith('(indirect') && i >= 0) v = v.slice(i + 3);
  return v;
}

/** A numeric attribute ("0x1220", "42", "(index: 0x1): 0x44 (location list)" -> 0x44). */
export function attrNumber(die: RDie, name: string): number | undefined {
  const v = die.attrs.get(name);
  if (v === undefined) return undefined;
  const m = v.match(/(?:^|: )(0x[0-9a-f]+|\d+)(?: \(location list\))?$/) ?? v.match(/^(0x[0-9a-f]+|\d+)/);
  return m ? parseInt(m[1]) : undefined;
}

export type RLocation =
  | { kind: 'expr'; bytes: Buffer; text: string }
  | { kind: 'list'; offset: number; index?: number };

/** A location-class attribute: an expression block, or a location list (offset, or index + offset). */
export function attrLocation(die: RDie, name: string): RLocation | undefined {
  const v = die.attrs.get(name);
  if (v === undefined) return undefined;
  let m = v.match(/^\d+ byte block: ((?:[0-9a-f]{1,2} ?)*)\s*\((.*)\)$/);
  if (m) {
    const bytes = Buffer.from(m[1].trim() ? m[1].trim().split(/\s+/).map((b) => parseInt(b, 16)) : []);
    return { kind: 'expr', bytes, text: m[2] };
  }
  if ((m = v.match(/^\(index: (0x[0-9a-f]+|\d+)\): (0x[0-9a-f]+) \(location list\)$/))) return { kind: 'list', index: parseInt(m[1]), offset: parseInt(m[2]) };
  if ((m = v.match(/^(0x[0-9a-f]+) \(location list\)$/))) return { kind: 'list', offset: parseInt(m[1]) };
  return undefined;
}

/** The subprogram DIE (with low_pc/high_pc) covering a link-time pc. */
export function functionAt(dies: { units: RUnit[] }, pc: number): RDie | undefined {
  const visit = (d: RDie): RDie | undefined => {
    if (d.tag === 'DW_TAG_subprogram') {
      const low = attrNumber(d, 'DW_AT_low_pc');
      const high = attrNumber(d, 'DW_AT_high_pc');
      if (low !== undefined && high !== undefined) {
        // DWARF 4+ gives high_pc as a length (readelf prints both forms in hex): a value below low_pc is one.
        const end = high >= low ? high : low + high;
        if (pc >= low && pc < end) return d;
      }
    }
    for (const c of d.children) {
      const r = visit(c);
      if (r) return r;
    }
    return undefined;
  };
  for (const u of dies.units) {
    const r = u.root && visit(u.root);
    if (r) return r;
  }
  return undefined;
}
