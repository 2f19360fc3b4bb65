// Oracle tests for the unwinder: each test runs a fixture under gdb to a stop, records gdb's frames
// (what `bt` prints, with `backtrace past-main`, read through gdb's Python API so every frame's pc
// and sp are exact), writes a core file, and checks that unwinding the core file's registers and
// memory with our CFI/frame-pointer/trampoline code gives the same pcs and sps.
import * as path from 'path';
import { CfiTable } from '../src/symbols/cfi';
import { ElfFile } from '../src/symbols/elf';
import { Frame, UnwindModule, unwindDetailed, DwarfReg, isSigtrampAt } from '../src/symbols/unwind';
import { BIN, ensureFixtures, gdbStop, GdbFrame, GdbStop, hex, loadCore, realFrames, CoreUnwind } from './unwind-helpers';

beforeAll(() => ensureFixtures());
jest.setTimeout(120000);

const QUIET_SIGNALS = ['SIGUSR1', 'SIGALRM', 'SIGSEGV'].map((s) => `handle ${s} nostop noprint pass`);

function renderMine(cu: CoreUnwind, frames: Frame[]): string[] {
  return frames.map((f) => `${hex(f.pc)} sp=${hex(Number(f.regs.get(DwarfReg.rsp) ?? -1n))} ${cu.describe(f.pc)}`);
}
function renderGdb(cu: CoreUnwind, frames: GdbFrame[]): string[] {
  return frames.map((f) => `${hex(f.pc)} sp=${hex(f.sp)} ${cu.describe(f.pc)}`);
}

interface Checked {
  stop: GdbStop;
  cu: CoreUnwind;
  frames: Frame[];
  gdbFrames: GdbFrame[];
}

/** Stops under gdb, then checks our unwind of the stopped thread against gdb's frames. */
function withStop(
  binary: string,
  args: string[],
  setup: string[],
  body: (c: Checked) => void,
  afterRun: string[] = [],
): void {
  const stop = gdbStop(path.join(BIN, binary), args, setup, afterRun);
  try {
    const cu = loadCore(stop.corePath);
    const t = stop.threads.find((x) => x.lwp === stop.selectedLwp)!;
    const gdbFrames = realFrames(t.frames);
    const result = cu.unwind(t.lwp);
    expect(renderMine(cu, result.frames)).toEqual(renderGdb(cu, gdbFrames));
    // gdb stopped because the outermost frame's return address is undefined; so must we.
    expect(t.stopReason).toBe('outermost');
    expect(result.stopReason).toBe('outermost');
    body({ stop, cu, frames: result.frames, gdbFrames });
  } catch (e) {
    (e as Error).message += `\n--- gdb bt ---\n${stop.bt}`;
    throw e;
  } finally {
    stop.cleanup();
  }
}

function names(cu: CoreUnwind, frames: Frame[]): string[] {
  // Name frames by lookupPc (pc - 1 for return addresses) so a call ending a function is attributed to it.
  return frames.map((f) => cu.describe(f.lookupPc).split('+')[0]);
}

describe('unwinding core files matches gdb', () => {
  test('-O0 fixture stopped in a nested call (crash: break read_value)', () => {
    withStop('crash', [], ['break read_value'], ({ cu, frames }) => {
      expect(names(cu, frames).slice(0, 2)).toEqual(['read_value', 'main']);
      expect(frames.every((f, i) => (i === 0 ? f.how === 'innermost' : f.how === 'cfi'))).toBe(true);
      // The CFA of each frame is the sp of its caller.
      for (let i = 0; i + 1 < frames.length; i++) expect(frames[i].cfa).toBe(Number(frames[i + 1].regs.get(DwarfReg.rsp)));
    });
  });

  test('-O0 recursion, 12 levels deep', () => {
    withStop('unwind', ['recurse', '12'], ['break leaf'], ({ cu, frames }) => {
      const n = names(cu, frames);
      expect(n.filter((x) => x === 'recurse')).toHaveLength(13);
      expect(n.slice(0, 2)).toEqual(['leaf', 'recurse']);
      expect(n).toContain('run_recurse');
    });
  });

  test('-O0 stopped at the first instruction of a function (before push %rbp)', () => {
    withStop('unwind', ['recurse', '3'], ['break *leaf'], ({ cu, frames }) => {
      expect(names(cu, frames).slice(0, 2)).toEqual(['leaf', 'recurse']);
    });
  });

  test('-O2 -fomit-frame-pointer recursion', () => {
    withStop('unwind_O2', ['recurse', '20'], ['break leaf'], ({ cu, frames }) => {
      // leaf is reached by a tail call from the innermost recurse, which therefore has no frame.
      const n = names(cu, frames);
      expect(n[0]).toBe('leaf');
      expect(n.filter((x) => x === 'recurse')).toHaveLength(20);
      // CFI alone (no frame-pointer fallback) must give the same answer.
      const t = cu.core.threads[0];
      const cfiOnly = unwindDetailed(t.regs, cu.core, (pc) => cu.modules.find(pc), { noFramePointer: true });
      expect(cfiOnly.frames.map((f) => f.pc)).toEqual(frames.map((f) => f.pc));
    });
  });

  test('-O2 stops at every CFI row boundary of a function (prologue, epilogue, remember/restore_state)', () => {
    const elf = ElfFile.open(path.join(BIN, 'unwind_O2'));
    const sym = elf.symbolByName('recurse')!;
    const cfi = new CfiTable({
      ehFrame: { data: elf.sectionData('.eh_frame')!, addr: elf.sectionByName('.eh_frame')!.addr },
    });
    const fde = cfi.findFde(sym.value)!;
    const starts = new Set<number>();
    for (let pc = fde.start; pc < fde.end; pc++) starts.add(cfi.rowAt(pc)!.start);
    expect(starts.size).toBeGreaterThanOrEqual(4);
    for (const start of starts) {
      withStop('unwind_O2', ['recurse', '4'], [`break *recurse+${start - sym.value}`], ({ frames }) => {
        expect(frames[0].pc - (frames[0].module?.loadBias ?? 0)).toBe(start);
      });
    }
  });

  test('-O2 noreturn call that ends its caller: the return address is past the caller\'s FDE', () => {
    withStop('unwind_O2', ['noreturn'], ['break leaf'], ({ cu, frames }) => {
      const n = names(cu, frames);
      expect(n.slice(0, 4)).toEqual(['leaf', 'finish', 'run_noreturn', 'main']);
      // The return address into run_noreturn is outside its FDE; only the pc - 1 lookup finds it.
      const f = frames[2];
      const fde = f.module!.cfi!.findFde(f.pc - f.module!.loadBias);
      expect(fde === undefined || fde.start > f.lookupPc - f.module!.loadBias).toBe(true);
    });
  });

  test('.debug_frame-only code (-fno-asynchronous-unwind-tables)', () => {
    withStop('unwind_debug_frame', ['recurse', '6'], ['break leaf'], ({ cu, frames }) => {
      const exe = frames[0].module!;
      expect(exe.cfi!.findFde(frames[0].pc - exe.loadBias)!.section).toBe('.debug_frame');
      expect(names(cu, frames).filter((x) => x === 'recurse')).toHaveLength(6);
    });
  });

  test('stopped at the entry of write() inside libc, unwinding through glibc\'s CFI to main', () => {
    withStop('unwind', ['write'], ['break write'], ({ cu, frames }) => {
      const n = names(cu, frames);
      expect(n[0]).toMatch(/write/);
      expect(n).toContain('run_write');
      expect(n).toContain('main');
      expect(frames[0].module!.path).toMatch(/libc\.so/);
    });
  });

  test('stopped at the write syscall (catch syscall) inside printf', () => {
    withStop('unwind_O2', ['write'], ['catch syscall write'], ({ cu, frames }) => {
      expect(names(cu, frames)).toContain('run_write');
    });
  });

  test('stopped inside the vDSO (its CFI is read from the image in the core\'s memory)', () => {
    withStop('unwind_O2', ['vdso'], ['break __vdso_clock_gettime'], ({ cu, frames }) => {
      expect(frames[0].module?.path).toBe('[vdso]');
      expect(frames[0].module!.cfi!.findFde(frames[0].pc - frames[0].module!.loadBias)).toBeDefined();
      expect(names(cu, frames)).toContain('run_vdso');
    });
  });

  test('signal handler via raise(): through __restore_rt into libc and back to main', () => {
    withStop('unwind', ['raise'], [...QUIET_SIGNALS, 'break handler_leaf'], ({ cu, frames, gdbFrames }) => {
      const n = names(cu, frames);
      expect(n.slice(0, 2)).toEqual(['handler_leaf', 'on_signal']);
      const sig = frames.findIndex((f) => f.isSignalFrame);
      expect(sig).toBe(2);
      expect(gdbFrames[2].type).toBe('sigtramp');
      // libc.so.6 is stripped of __restore_rt's name; recognise it by its code instead.
      expect(isSigtrampAt(cu.core, frames[2].pc)).toBe(true);
      // The frame above the trampoline was interrupted, not calling: its pc is used as is.
      expect(frames[3].lookupPc).toBe(frames[3].pc);
      expect(n).toContain('run_raise');
    });
  });

  test('signal handler interrupting user code (SIGALRM during a loop in main, -O0)', () => {
    withStop('unwind', ['alarm'], [...QUIET_SIGNALS, 'break handler_leaf'], ({ cu, frames }) => {
      const n = names(cu, frames);
      expect(n.slice(0, 2)).toEqual(['handler_leaf', 'on_signal']);
      expect(frames[2].isSignalFrame).toBe(true);
      expect(n[3]).toBe('main');
    });
  });

  test('signal handler on a sigaltstack (the stack pointer jumps across the signal frame)', () => {
    withStop('unwind_O2', ['altstack'], [...QUIET_SIGNALS, 'break handler_leaf'], ({ frames }) => {
      const sig = frames.findIndex((f) => f.isSignalFrame);
      expect(sig).toBeGreaterThan(0);
      // The handler ran on the alternate stack (in .bss); the interrupted code on the main stack.
      const altSp = Number(frames[sig].regs.get(DwarfReg.rsp));
      const mainSp = Number(frames[sig + 1].regs.get(DwarfReg.rsp));
      expect(Math.abs(mainSp - altSp)).toBeGreaterThan(1 << 20);
    });
  });

  test('SIGSEGV handler for a faulting store (-O2): the faulting frame is above the trampoline', () => {
    withStop('unwind_O2', ['fault'], [...QUIET_SIGNALS, 'break handler_leaf'], ({ cu, frames }) => {
      const n = names(cu, frames);
      const sig = frames.findIndex((f) => f.isSignalFrame);
      expect(n[sig + 1]).toBe('run_fault');
      // main tail-calls run_fault at -O2, so libc's __libc_start_call_main follows.
      expect(frames[sig + 2].module!.path).toMatch(/libc\.so/);
    });
  });

  test('crash fixture stopped by SIGSEGV', () => {
    withStop('crash', [], [], ({ cu, frames }) => {
      expect(names(cu, frames).slice(0, 2)).toEqual(['read_value', 'main']);
      expect(cu.core.threads[0].signal).toBe(11);
      expect(cu.core.siginfo?.signo).toBe(11);
      expect(cu.core.siginfo?.addr).toBe(0);
    });
  });

  test('every thread of a multi-threaded process (threads ending in clone3)', () => {
    const stop = gdbStop(path.join(BIN, 'threads'), [], ['break worker']);
    try {
      const cu = loadCore(stop.corePath);
      expect(cu.core.threads.length).toBe(stop.threads.length);
      expect(stop.threads.length).toBeGreaterThan(1);
      for (const t of stop.threads) {
        const mine = cu.unwind(t.lwp);
        // A thread caught in clone3 before its child path has CFI shows, in gdb, a last frame with
        // pc 0 (the zeroed return slot of the new stack); we stop before it.
        const theirs = realFrames(t.frames).filter((f, i, all) => !(f.pc === 0 && i === all.length - 1));
        expect(renderMine(cu, mine.frames)).toEqual(renderGdb(cu, theirs));
        if (t.stopReason === 'outermost') expect(mine.stopReason).toBe('outermost');
      }
    } finally {
      stop.cleanup();
    }
  });
});

describe('fallbacks, checked against the same gdb oracle', () => {
  /** Wraps a module finder so that some modules' CFI is hidden or filtered. */
  function filtered(cu: CoreUnwind, hide: (m: UnwindModule, fdeIsSignal: boolean) => boolean) {
    const cache = new Map<UnwindModule, UnwindModule>();
    return (pc: number): UnwindModule | undefined => {
      const m = cu.modules.find(pc);
      if (!m) return m;
      let w = cache.get(m);
      if (!w) {
        const inner = m.cfi!;
        const table = Object.create(inner) as CfiTable;
        table.rowAt = (p: number) => {
          const row = inner.rowAt(p);
          return row && hide(m, row.isSignalFrame) ? undefined : row;
        };
        w = { path: m.path, loadBias: m.loadBias, start: m.start, end: m.end, cfi: table };
        cache.set(m, w);
      }
      return w;
    };
  }

  test('a libc without CFI for __restore_rt: the trampoline is recognised by its code', () => {
    const stop = gdbStop(path.join(BIN, 'unwind'), ['raise'], [...QUIET_SIGNALS, 'break handler_leaf']);
    try {
      const cu = loadCore(stop.corePath);
      const t = stop.threads.find((x) => x.lwp === stop.selectedLwp)!;
      const find = filtered(cu, (_m, isSignal) => isSignal);
      const r = unwindDetailed(cu.core.threads[0].regs, cu.core, find);
      expect(renderMine(cu, r.frames)).toEqual(renderGdb(cu, realFrames(t.frames)));
      const sig = r.frames.findIndex((f) => f.isSignalFrame);
      expect(sig).toBe(2);
      expect(r.frames[sig + 1].how).toBe('signal-trampoline');
    } finally {
      stop.cleanup();
    }
  });

  test('an executable without CFI (-O0, frame pointers): the rbp chain gives the same frames', () => {
    const stop = gdbStop(path.join(BIN, 'unwind'), ['recurse', '5'], ['break leaf']);
    try {
      const cu = loadCore(stop.corePath);
      const t = stop.threads.find((x) => x.lwp === stop.selectedLwp)!;
      const exe = path.join(BIN, 'unwind');
      const find = filtered(cu, (m) => m.path === exe);
      const r = unwindDetailed(cu.core.threads[0].regs, cu.core, find);
      expect(renderMine(cu, r.frames)).toEqual(renderGdb(cu, realFrames(t.frames)));
      const hows = r.frames.map((f) => f.how);
      expect(hows.filter((h) => h === 'frame-pointer').length).toBeGreaterThanOrEqual(7);
      expect(r.stopReason).toBe('outermost');
    } finally {
      stop.cleanup();
    }
  });

  test('maxFrames limits the walk', () => {
    const stop = gdbStop(path.join(BIN, 'unwind'), ['recurse', '8'], ['break leaf']);
    try {
      const cu = loadCore(stop.corePath);
      const r = cu.unwind(cu.core.threads[0].tid, { maxFrames: 3 });
      expect(r.frames).toHaveLength(3);
      expect(r.stopReason).toBe('max-frames');
    } finally {
      stop.cleanup();
    }
  });
});
