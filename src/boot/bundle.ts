// Start-up through a bundle with a V8 code cache. `npm run build` bundles each entry point (the MI
// front-end, the DAP adapter, the tracer worker) into one file under dist/bundle/ (scripts/bundle.js,
// esbuild); an entry loads its bundle from here when it is there and newer than every file it was
// built from, else the separate modules tsc wrote. The bundle is compiled with the code cache V8 made
// for it after an earlier run (`script.createCachedData()` once the code has run, so that it holds
// the functions a session compiled lazily, not only the top level), which saves parsing and bytecode
// compilation at each start and at each first call. docs/architecture.md, "Start-up".
//
// V8 checks a cache against the source and the V8 flags of the moment; the cache is keyed by Node's
// version and rebuilt (at the end of a run) whenever it is missing or was rejected.
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { isMainThread, threadId, workerData } from 'worker_threads';
import Module = require('module');

/** dist/ (this file is dist/src/boot/bundle.js). */
const DIST = path.resolve(__dirname, '..', '..');

interface Manifest {
  /** When the bundle was written (ms since the epoch). */
  builtMs: number;
  /** The files it was built from, relative to dist/. */
  inputs: string[];
}

export interface BundleState {
  /** dist/ of the running build (inside a bundle __dirname is dist/bundle for every module). */
  dist: string;
  /**
   * Takes the code cache now and writes it (once per run, and only when this run did not start
   * from a valid one). Called at the moment the functions compiled so far are the ones worth caching:
   * just before the engine turns on V8's --always-sparkplug (src/engine/data.ts, src/mi/gdb-main.ts),
   * since code compiled from a cache skips that baseline compilation; in the tracer worker, after
   * its first launch or attach. `sync` for a thread about to end; `atExit` for a run (or a worker)
   * ending without having got there, which leaves a partial cache (see runBundled).
   */
  takeCodeCache(sync?: boolean, atExit?: boolean): void;
}

declare global {
  // eslint-disable-next-line no-var
  var __backstepBundle: BundleState | undefined;
}

type ModuleInternals = typeof Module & { _nodeModulePaths(dir: string): string[]; wrap(src: string): string };

/** The bundle's file when it is there and up to date, else undefined. */
function freshBundle(name: string): { file: string; manifest: Manifest } | undefined {
  if (process.env.BACKSTEP_NO_BUNDLE === '1') return undefined;
  const dir = path.join(DIST, 'bundle');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, `${name}.inputs.json`), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  // A build of the modules after the bundle's (plain `tsc`) makes the bundle stale: use the modules.
  for (const rel of manifest.inputs) {
    const st = fs.statSync(path.join(DIST, rel), { throwIfNoEntry: false });
    if (!st || st.mtimeMs > manifest.builtMs) return undefined;
  }
  return { file: path.join(dir, `${name}.js`), manifest };
}

/**
 * Puts back what the `bin/` launchers set aside for Node's start (NODE_EXTRA_CA_CERTS, see
 * bin/backstep-gdb): the environment the debugged program inherits is the user's.
 */
export function restoreEnvironment(): void {
  const saved = process.env.BACKSTEP_NODE_EXTRA_CA_CERTS;
  if (saved === undefined) return;
  process.env.NODE_EXTRA_CA_CERTS = saved;
  delete process.env.BACKSTEP_NODE_EXTRA_CA_CERTS;
}

/**
 * Runs bundle `name` (dist/bundle/NAME.js) as this thread's entry point and returns true, or returns
 * false (and runs nothing) when there is no up-to-date bundle: the caller then loads its modules.
 */
export function runBundled(name: string): boolean {
  const found = freshBundle(name);
  if (!found) return false;
  const { file, manifest } = found;
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const v8 = require('v8') as typeof import('v8'); // eslint-disable-line @typescript-eslint/no-require-imports
  // BACKSTEP_V8_FLAGS: V8 flags for the whole run, set before anything is compiled (for measuring
  // tiering choices; a cache is only valid under the flags it was made with, so it gets its own).
  const flags = process.env.BACKSTEP_V8_FLAGS ?? '';
  if (flags) v8.setFlagsFromString(flags);
  // Whether --always-sparkplug was on at load (a worker started by a later session of the process):
  // the engine turns it on at a session's first stop and notes it in a global, which the tracer
  // passes to a worker thread it starts (src/target/target.ts). A cache made under it has its own file.
  const sparkplugAtLoad = isMainThread ? false : !!(workerData as { sparkplugOn?: boolean } | undefined)?.sparkplugOn;
  const key = (flags ? '-' + flags.replace(/[^A-Za-z0-9]+/g, '_') : '') + (sparkplugAtLoad ? '-sparkplug' : '');
  // Two caches: the one taken at the moment described at BundleState.takeCodeCache ("full"), and one
  // left at exit by a run that never got there ("partial": a front-end that quits before running
  // anything); a partial one is used until a full one replaces it.
  const cacheFile = (full: boolean) => path.join(path.dirname(file), `${name}.${process.version}${key}${full ? '' : '.partial'}.v8cache`);
  let cached: Buffer | undefined;
  let full = false;
  for (const f of [true, false]) {
    try {
      if (fs.statSync(cacheFile(f)).mtimeMs >= manifest.builtMs) {
        cached = fs.readFileSync(cacheFile(f));
        full = f;
        break;
      }
    } catch {
      /* none yet */
    }
  }
  const M = Module as ModuleInternals;
  const script = new vm.Script(M.wrap(source.replace(/^#!.*/, '')), { filename: file, cachedData: cached });
  const accepted = cached !== undefined && !script.cachedDataRejected;
  let taken = accepted && full;
  if (process.env.BACKSTEP_BUNDLE_DEBUG) process.stderr.write(`bundle ${name}: code cache ${cached ? (accepted ? 'used' : 'rejected') + (full ? '' : ' (partial)') : 'none'}\n`);
  const state: BundleState = {
    dist: DIST,
    takeCodeCache(sync = false, atExit = false) {
      if (taken || process.env.BACKSTEP_NO_CODE_CACHE === '1') return;
      if (atExit && accepted) return; // keep the partial cache this run started from
      taken = true;
      let data: Buffer;
      try {
        // V8 accepts a cache only under the flags it was made with, and --always-sparkplug is
        // process-wide: the main thread takes its cache just before turning it on, the worker while
        // the main thread waits for its launch reply, so that neither sees the other change it.
        data = script.createCachedData();
      } catch {
        return;
      }
      writeCache(cacheFile(!atExit), data, sync);
    },
  };
  globalThis.__backstepBundle = state;
  cacheDependency('iced-x86', file, flags);
  // A run that never got as far as the moment the cache is taken (see BundleState) leaves what it has.
  process.once('exit', () => state.takeCodeCache(true, true));
  const m = new Module(file, module);
  m.filename = file;
  m.paths = M._nodeModulePaths(path.dirname(file));
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  fn.call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
  return true;
}

/**
 * Writes a code cache beside its source: to a file of this thread's own, then renamed over `dest`
 * (runs started together never read a half-written cache). Failures (a read-only install) leave none.
 */
function writeCache(dest: string, data: Buffer, sync: boolean): void {
  const tmp = `${dest}.${process.pid}-${threadId}`;
  if (sync) {
    try {
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, dest);
    } catch {
      /* start without a cache */
    }
  } else {
    fs.writeFile(tmp, data, (e) => (e ? fs.rm(tmp, { force: true }, () => undefined) : fs.rename(tmp, dest, () => undefined)));
  }
}

/**
 * A dependency the bundle leaves in node_modules, compiled with a code cache of its own when this
 * thread first requires it: iced-x86's JavaScript (~18,000 lines of wasm-bindgen glue around its
 * WebAssembly decoder) took ~20 ms to parse at the first `next` of every session. The cache holds
 * its top level only (taken right after it ran): the functions a session calls are compiled as they
 * are first called, as without a cache. Keyed by the file's size and time, and V8's flags.
 */
function cacheDependency(id: string, bundleFile: string, flags: string): void {
  let target: string;
  try {
    target = Module.createRequire(bundleFile).resolve(id);
  } catch {
    return;
  }
  const proto = Module.prototype as unknown as { _compile(content: string, filename: string): unknown };
  const compile = proto._compile;
  proto._compile = function (this: Module, content: string, filename: string): unknown {
    if (filename !== target || process.env.BACKSTEP_NO_CODE_CACHE === '1') return compile.call(this, content, filename);
    proto._compile = compile; // once
    let cacheFile: string | undefined;
    let cached: Buffer | undefined;
    try {
      const st = fs.statSync(filename);
      const key = `${st.size}-${Math.floor(st.mtimeMs)}${flags ? '-' + flags.replace(/[^A-Za-z0-9]+/g, '_') : ''}`;
      cacheFile = path.join(path.dirname(bundleFile), `${id}.${process.version}-${key}.v8cache`);
      cached = fs.readFileSync(cacheFile);
    } catch {
      /* none yet */
    }
    const M = Module as ModuleInternals;
    const script = new vm.Script(M.wrap(content), { filename, cachedData: cached });
    const fn = script.runInThisContext() as (...a: unknown[]) => unknown;
    const r = fn.call(this.exports, this.exports, Module.createRequire(filename), this, filename, path.dirname(filename));
    if (cacheFile && (!cached || script.cachedDataRejected)) {
      try {
        writeCache(cacheFile, script.createCachedData(), false);
      } catch {
        /* no cache then */
      }
    }
    return r;
  };
}
