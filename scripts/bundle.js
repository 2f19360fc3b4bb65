#!/usr/bin/env node
// Bundles the entry points tsc compiled into dist/ into one file each under dist/bundle/ (esbuild),
// for a faster start (src/boot/bundle.ts loads them with a V8 code cache; docs/architecture.md,
// "Start-up"). Writes, per bundle, NAME.inputs.json: the files it was built from, so that a later
// plain `tsc` makes the bundle stale (the entry points then load the modules). Without esbuild
// (a production install without devDependencies) it says so and leaves the modules to run.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'bundle');

const ENTRIES = [
  // name, entry source (relative to dist/), how it starts
  ['backstep-gdb', 'src/mi/gdb-main.js', "require('./gdb-main');"],
  ['backstep-dap', 'adapter/dap.js', "require('./dap').main();"],
  ['tracer-worker', 'src/target/tracer-worker.js', "require('./tracer-worker');"],
];

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    process.stderr.write('bundle: esbuild is not installed; backstep will start from its separate modules (slower start).\n');
    fs.rmSync(OUT, { recursive: true, force: true });
    return;
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  for (const [name, entry, start] of ENTRIES) {
    const outfile = path.join(OUT, `${name}.js`);
    const result = await esbuild.build({
      stdin: { contents: start, resolveDir: path.join(DIST, path.dirname(entry)), sourcefile: `${name}-entry.js`, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // Native code (koffi) and the x86 decoder's WebAssembly module load from node_modules.
      external: ['koffi', 'iced-x86'],
      outfile,
      metafile: true,
      logLevel: 'warning',
    });
    const inputs = Object.keys(result.metafile.inputs)
      .filter((f) => !f.startsWith('<') && path.basename(f) !== `${name}-entry.js`)
      .map((f) => path.relative(DIST, path.resolve(process.cwd(), f)));
    // Anything written after this moment (a later tsc) is newer than the bundle.
    const builtMs = fs.statSync(outfile).mtimeMs;
    fs.writeFileSync(path.join(OUT, `${name}.inputs.json`), JSON.stringify({ builtMs, inputs }) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`bundle: ${e.stack || e}\n`);
  process.exit(1);
});
