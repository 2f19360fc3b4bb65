#!/usr/bin/env node
// Builds the C/C++ fixtures into fixtures/bin/. Called by `npm run build` (and so by `npm test`).
// Rebuilds a fixture only when its sources are newer than the binary.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', 'fixtures');
const src = path.join(root, 'src');
const bin = path.join(root, 'bin');

/** name -> { sources, flags, cxx?, libs? } */
const FIXTURES = {
  loop: { sources: ['loop.c'], flags: ['-g', '-O0'] },
  loop_O2: { sources: ['loop.c'], flags: ['-g', '-O2'] },
  crash: { sources: ['crash.c'], flags: ['-g', '-O0'] },
  // Signal stops for `$_siginfo` (test/mi-leftovers-siginfo.test.ts).
  signals: { sources: ['signals.c'], flags: ['-g', '-O0'] },
  echo: { sources: ['echo.c'], flags: ['-g', '-O0'] },
  threads: { sources: ['threads.c'], flags: ['-g', '-O0', '-pthread'] },
  sigstop: { sources: ['sigstop.c'], flags: ['-g', '-O0'] },
  spin: { sources: ['spin.c'], flags: ['-g', '-O0'] },
  demo: { sources: ['demo.c'], flags: ['-g', '-O0'] },
  types: { sources: ['types.c'], flags: ['-g', '-O0'] },
  types_O2: { sources: ['types.c'], flags: ['-g', '-O2'] },
  types_dwarf4: { sources: ['types.c'], flags: ['-gdwarf-4', '-O0'] },
  loop_nodebug: { sources: ['loop.c'], flags: ['-O0'] },
  classes: { sources: ['classes.cpp'], flags: ['-g', '-O0'], cxx: true },
  // MI access pseudo-children, `info line`/`info symbol`/-symbol-list-lines (test/mi-access.test.ts, test/mi-lines.test.ts).
  access: { sources: ['access.cpp'], flags: ['-g', '-O0'], cxx: true },
  'libshape.so': { sources: ['libshape.c'], flags: ['-g', '-O0', '-shared', '-fPIC'] },
  uselib: { sources: ['uselib.c'], flags: ['-g', '-O0', '-L' + bin, '-lshape', '-ldl', '-Wl,-rpath,$ORIGIN'], after: ['libshape.so'] },
  // A second copy of libshape for dlopen (`uselib path/libshape_dl.so`): a library loaded after start-up
  // (pending breakpoints, test/engine-*.test.ts).
  'libshape_dl.so': { sources: ['libshape.c'], flags: ['-g', '-O0', '-shared', '-fPIC'] },
  // Symbol-reader coverage: several units sharing a header, compressed sections, type units
  // (DWARF 5 in .debug_info, DWARF 4 in .debug_types), DWARF 2, and optimised C++.
  multi: { sources: ['multi_main.c', 'multi_util.c'], flags: ['-g', '-O0'] },
  loop_gz: { sources: ['loop.c'], flags: ['-g', '-O0', '-gz'] },
  loop_dwarf2: { sources: ['loop.c'], flags: ['-gdwarf-2', '-O2'] },
  classes_O2: { sources: ['classes.cpp'], flags: ['-g', '-O2'], cxx: true },
  classes_types: { sources: ['classes.cpp'], flags: ['-g', '-O0', '-fdebug-types-section'], cxx: true },
  classes_dwarf4: { sources: ['classes.cpp'], flags: ['-gdwarf-4', '-O0', '-fdebug-types-section'], cxx: true },
  // Unwinder tests: nested calls, recursion, noreturn calls, signal handlers (test/unwind-core.test.ts).
  unwind: { sources: ['unwind.c'], flags: ['-g', '-O0'] },
  unwind_O2: { sources: ['unwind.c'], flags: ['-g', '-O2', '-fomit-frame-pointer'] },
  // Its own functions have CFI only in .debug_frame (no .eh_frame entries).
  unwind_debug_frame: { sources: ['unwind.c'], flags: ['-g', '-O2', '-fomit-frame-pointer', '-fno-asynchronous-unwind-tables'] },
  // DWARF 4 location lists (.debug_loc) for test/unwind-loclists.test.ts.
  types_O2_dwarf4: { sources: ['types.c'], flags: ['-gdwarf-4', '-O2'] },
  // Checkpoints (test/checkpoint-*.test.ts): dynamic, static and libc-less variants, and a big heap.
  ckpt: { sources: ['ckpt.c'], flags: ['-g', '-O0'] },
  ckpt_static: { sources: ['ckpt.c'], flags: ['-g', '-O0', '-static'] },
  ckpt_nostdlib: { sources: ['ckpt_nostdlib.c'], flags: ['-g', '-O0', '-static', '-nostdlib', '-fno-stack-protector', '-fno-pie', '-no-pie'] },
  bigheap: { sources: ['bigheap.c'], flags: ['-g', '-O0'] },
  // Reverse execution (test/reverse-*.test.ts, bench/reverse-bench.ts): nondeterministic system calls,
  // a loop with calls and printf, a 5-million-iteration loop, a system-call-heavy loop.
  rx_nondet: { sources: ['rx_nondet.c'], flags: ['-g', '-O0'] },
  rx_loop: { sources: ['rx_loop.c'], flags: ['-g', '-O0'] },
  rx_hot: { sources: ['rx_hot.c'], flags: ['-g', '-O0'] },
  rx_lines: { sources: ['rx_lines.c'], flags: ['-g', '-O0'] },
  rx_sys: { sources: ['rx_sys.c'], flags: ['-g', '-O0'] },
  // Reverse-continue with watchpoints: silent writes, writes during single steps (test/reverse-watch.test.ts).
  rx_watch: { sources: ['rx_watch.c'], flags: ['-g', '-O0'] },
  // Periodic checkpoints around a blocking system call (test/reverse-periodic.test.ts).
  rx_sleep: { sources: ['rx_sleep.c'], flags: ['-g', '-O0'] },
  rx_block: { sources: ['rx_block.c'], flags: ['-g', '-O0'] },
  // Value rendering and expressions (test/values-*.test.ts, test/expr-*.test.ts): strings, enums, unions,
  // bit-fields, wide characters, special floats; C++ inheritance, references, static members.
  values: { sources: ['values.c'], flags: ['-g', '-O0'] },
  values_O2: { sources: ['values.c'], flags: ['-g', '-O2'] },
  values_cpp: { sources: ['values_cpp.cpp'], flags: ['-g', '-O0'], cxx: true },
  // Entry values of parameters (`x@entry`, `x=x@entry=5`: test/entry-values.test.ts): -O2 call sites with DW_AT_call_value.
  entryvals: { sources: ['entryvals.c'], flags: ['-g', '-O2'] },
  // Known xmm0-xmm2 contents at stop_here (test/dap-registers.test.ts).
  xmm: { sources: ['xmm.c'], flags: ['-g', '-O0'] },
  // Watchpoints (test/watch-*.test.ts): a local going out of scope, recursion, a struct too large for the
  // debug registers.
  watchscope: { sources: ['watchscope.c'], flags: ['-g', '-O0'] },
  // The cdt-gdb-adapter session (test/mi-cdt.test.ts) and the `mi` bench.
  mi_cdt: { sources: ['mi_cdt.c'], flags: ['-g', '-O0'] },
  // -data-list-register-values against gdb (test/mi-registers.test.ts).
  mi_regs: { sources: ['mi_regs.c'], flags: ['-g', '-O0', '-lm'] },
  // ymm/zmm/k registers with known values, read back after writes (test/registers-avx.test.ts).
  avx: { sources: ['avx.c'], flags: ['-g', '-O0'] },
  // Split DWARF (test/symbols-split*.test.ts): built in fixtures/bin (`cwd: 'bin'`) so DW_AT_dwo_name is
  // relative to DW_AT_comp_dir, as a build does. DWARF 5 skeletons at -O0 and -O2 (loclistx, rnglistx),
  // DWARF 4 GNU extensions, and a DWARF 4 package (.dwp, from binutils `dwp`; its .dwo files removed).
  multi_split: { sources: ['multi_main.c', 'multi_util.c'], flags: ['-g', '-O0', '-gsplit-dwarf'], cwd: 'bin' },
  multi_split_O2: { sources: ['multi_main.c', 'multi_util.c'], flags: ['-g', '-O2', '-gsplit-dwarf'], cwd: 'bin' },
  multi_split_dwarf4: { sources: ['multi_main.c', 'multi_util.c'], flags: ['-gdwarf-4', '-O2', '-gsplit-dwarf'], cwd: 'bin' },
  multi_split_dwp: { sources: ['multi_main.c', 'multi_util.c'], flags: ['-gdwarf-4', '-O2', '-gsplit-dwarf'], cwd: 'bin', dwp: true },
};

function build(name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const f = FIXTURES[name];
  for (const dep of f.after || []) build(dep, seen);
  const out = path.join(bin, name);
  const inputs = f.sources.map((s) => path.join(src, s));
  const newest = Math.max(...inputs.map((s) => fs.statSync(s).mtimeMs), fs.statSync(__filename).mtimeMs);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) return;
  const cc = f.cxx ? process.env.CXX || 'g++' : process.env.CC || 'gcc';
  // -fdebug-prefix-map keeps DW_AT_comp_dir stable; sources are referred to by their real paths.
  const cwd = f.cwd === 'bin' ? bin : undefined;
  const args = [...f.flags, '-o', cwd ? name : out, ...inputs];
  // Libraries must follow the sources for the linker.
  const libsIdx = args.findIndex((a) => a.startsWith('-L'));
  const ordered = libsIdx >= 0 ? [...args.filter((a, i) => !(a.startsWith('-L') || a.startsWith('-l') || a.startsWith('-Wl,'))), ...args.filter((a) => a.startsWith('-L') || a.startsWith('-l') || a.startsWith('-Wl,'))] : args;
  execFileSync(cc, ordered, { stdio: 'inherit', cwd });
  if (f.dwp) {
    // Package the .dwo files (gcc names them <output>-<source>.dwo) and remove them: the .dwp alone.
    const dwos = fs.readdirSync(bin).filter((x) => x.startsWith(name + '-') && x.endsWith('.dwo'));
    try {
      execFileSync('dwp', ['-e', name, '-o', name + '.dwp'], { stdio: 'inherit', cwd: bin });
    } catch (e) {
      // No binutils `dwp`: leave this fixture out (its tests report it missing) rather than fail the build.
      console.warn(`build-fixtures: ${name}: dwp failed (${e.code || e.message}); fixture left out`);
      fs.rmSync(out, { force: true });
      return;
    }
    for (const x of dwos) fs.rmSync(path.join(bin, x), { force: true }); // a concurrent build may have removed them
  }
}

module.exports = { FIXTURES, bin };

if (require.main === module) {
  fs.mkdirSync(bin, { recursive: true });
  const only = process.argv.slice(2);
  for (const name of only.length ? only : Object.keys(FIXTURES)) build(name);
}
