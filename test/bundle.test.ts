// Start-up through bundles (src/boot/bundle.ts, scripts/bundle.js): the front-ends run from
// dist/bundle/ when the bundle is up to date and from the separate modules otherwise, with the same
// observable behaviour; the V8 code cache is taken once and used by the next run; a bundle older than
// one of the files it was built from is not used.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixture, ROOT } from './helpers';
import { BACKSTEP_GDB, miTranscript, MiStep } from './mi-client';

const BACKSTEP_GDB_BIN = path.join(ROOT, 'bin', 'backstep-gdb');

jest.setTimeout(120000);

const BUNDLE_DIR = path.join(ROOT, 'dist', 'bundle');
const bundled = fs.existsSync(path.join(BUNDLE_DIR, 'backstep-gdb.inputs.json'));

/** What the loader says about bundle NAME in a run of backstep-gdb with `input` on stdin. */
function loaderReport(env: NodeJS.ProcessEnv, input: string): string {
  const r = spawnSync(process.execPath, [BACKSTEP_GDB, '--interpreter=mi2', '-nx', '-q', fixture('demo')], {
    input,
    env: { ...process.env, ...env, BACKSTEP_BUNDLE_DEBUG: '1' },
    encoding: 'utf8',
  });
  return r.stderr;
}

(bundled ? describe : describe.skip)('the bundled backstep-gdb', () => {
  test('runs from the bundle, and behaves as the modules do (an MI session compared line for line)', async () => {
    expect(loaderReport({}, '-gdb-exit\n')).toMatch(/^bundle backstep-gdb: code cache /m);
    expect(loaderReport({ BACKSTEP_NO_BUNDLE: '1' }, '-gdb-exit\n')).not.toMatch(/^bundle /m);
    const steps: MiStep[] = [
      { cmd: '-break-insert demo.c:16' },
      { cmd: '-exec-run', stop: true },
      { cmd: '-exec-next', stop: true },
      { cmd: '-stack-list-locals 1' },
      { cmd: '-data-evaluate-expression acct.balance' },
      { cmd: '-exec-continue', stop: true },
    ];
    const viaBundle = await miTranscript('backstep', [fixture('demo')], steps);
    process.env.BACKSTEP_NO_BUNDLE = '1';
    try {
      const viaModules = await miTranscript('backstep', [fixture('demo')], steps);
      expect(viaBundle).toEqual(viaModules);
    } finally {
      delete process.env.BACKSTEP_NO_BUNDLE;
    }
    expect(viaBundle[1].join('\n')).toMatch(/\*stopped,reason="breakpoint-hit".*line="16"/);
    expect(viaBundle[5].join('\n')).toMatch(/\*stopped,reason="exited(-normally)?"/);
  });

  test('--version names the package version (found from dist/bundle/ as from dist/src/mi/)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const out = execFileSync(process.execPath, [BACKSTEP_GDB, '--version'], { encoding: 'utf8' });
    expect(out.split('\n')[0]).toMatch(/^GNU gdb /);
    expect(out).toContain(`backstep ${pkg.version}`);
  });

  test('a session that ran the program leaves a code cache that the next run uses', () => {
    // The cache may already be there (an earlier test); either way, after one full session the next
    // run starts from a cache V8 accepts.
    loaderReport({}, '-break-insert main\n-exec-run\n-gdb-exit\n');
    const report = loaderReport({}, '-gdb-exit\n');
    expect(report).toMatch(/^bundle backstep-gdb: code cache used$/m);
    const caches = fs.readdirSync(BUNDLE_DIR).filter((f) => f.startsWith('backstep-gdb.') && f.endsWith('.v8cache'));
    expect(caches).toContain(`backstep-gdb.${process.version}.v8cache`);
  });
});

describe('bin/backstep-gdb (the npm bin)', () => {
  const BIN = path.join(ROOT, 'bin', 'backstep-gdb');

  test('sets NODE_EXTRA_CA_CERTS aside for Node only: `show environment` and the program see it as with gdb', () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/backstep-test.pem' };
    const input = '-interpreter-exec console "show environment NODE_EXTRA_CA_CERTS"\n-exec-run\n-gdb-exit\n';
    const run = (cmd: string) => spawnSync(cmd, ['--interpreter=mi2', '-nx', '-q', '/usr/bin/env'], { input, env, encoding: 'utf8' }).stdout;
    const ours = run(BIN);
    const gdbs = run('gdb');
    for (const out of [ours, gdbs]) {
      expect(out).toContain('~"NODE_EXTRA_CA_CERTS = /nonexistent/backstep-test.pem\\n"');
      // The program's own output (env prints its environment).
      expect(out).toMatch(/^NODE_EXTRA_CA_CERTS=\/nonexistent\/backstep-test\.pem$/m);
    }
    expect(ours).not.toMatch(/BACKSTEP_NODE_EXTRA_CA_CERTS/);
  });

  test('without the variable, nothing is added', () => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = spawnSync(BIN, ['--interpreter=mi2', '-nx', '-q', '/usr/bin/env'], { input: '-exec-run\n-gdb-exit\n', env, encoding: 'utf8' });
    expect(r.stdout).toMatch(/\*stopped,reason="exited-normally"/);
    expect(r.stdout).not.toMatch(/NODE_EXTRA_CA_CERTS/);
  });
});

describe('the bundle loader (src/boot/bundle.ts) on a bundle of its own', () => {
  // A miniature dist/: the loader, one bundle, and the file it was "built" from.
  let dist: string;
  const run = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ['-e', `if (!require(${JSON.stringify(path.join('DIST', 'src', 'boot', 'bundle.js'))}.replace('DIST', process.env.T)).runBundled('demo')) console.log('modules')`], {
      env: { ...process.env, T: dist, BACKSTEP_BUNDLE_DEBUG: '1', ...env },
      encoding: 'utf8',
    });

  beforeAll(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'backstep-bundle-'));
    fs.mkdirSync(path.join(dist, 'src', 'boot'), { recursive: true });
    fs.mkdirSync(path.join(dist, 'bundle'));
    fs.copyFileSync(path.join(ROOT, 'dist', 'src', 'boot', 'bundle.js'), path.join(dist, 'src', 'boot', 'bundle.js'));
    fs.writeFileSync(path.join(dist, 'src', 'input.js'), '// the source of the bundle\n');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dist, 'src', 'input.js'), old, old);
    fs.writeFileSync(
      path.join(dist, 'bundle', 'demo.js'),
      '#!/usr/bin/env node\nfunction answer(n) { return n * 6; }\nconsole.log("from bundle", answer(7), __filename.endsWith("demo.js"));\nglobalThis.__backstepBundle.takeCodeCache(true);\n',
    );
    fs.writeFileSync(path.join(dist, 'bundle', 'demo.inputs.json'), JSON.stringify({ builtMs: Date.now() - 1000, inputs: ['src/input.js'] }));
  });
  afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

  test('runs an up-to-date bundle, takes its code cache once, and uses it on the next run', () => {
    const first = run();
    expect(first.stdout).toBe('from bundle 42 true\n');
    expect(first.stderr).toBe('bundle demo: code cache none\n');
    expect(fs.existsSync(path.join(dist, 'bundle', `demo.${process.version}.v8cache`))).toBe(true);
    const second = run();
    expect(second.stdout).toBe('from bundle 42 true\n');
    expect(second.stderr).toBe('bundle demo: code cache used\n');
    // Under other V8 flags the cache is another file (V8 would reject this one).
    const other = run({ BACKSTEP_V8_FLAGS: '--no-lazy-feedback-allocation' });
    expect(other.stderr).toBe('bundle demo: code cache none\n');
  });

  test('a source file newer than the bundle (a later plain tsc) makes the loader fall back to the modules', () => {
    const now = new Date();
    fs.utimesSync(path.join(dist, 'src', 'input.js'), now, now);
    const r = run();
    expect(r.stdout).toBe('modules\n');
    expect(r.stderr).toBe('');
  });

  test('BACKSTEP_NO_BUNDLE=1 and a missing manifest also mean the modules', () => {
    expect(run({ BACKSTEP_NO_BUNDLE: '1' }).stdout).toBe('modules\n');
    fs.rmSync(path.join(dist, 'bundle', 'demo.inputs.json'));
    expect(run().stdout).toBe('modules\n');
  });
});

describe('resume ordering (the tracer holds the program until the front-end has announced the run)', () => {
  test('a `next` over fflush: ^running and *running come before the program\'s output, as with gdb', () => {
    // ckpt.c:28-29: printf, then fflush(stdout) (stdout is the MI pipe, so the line appears at the fflush).
    const input = ['-break-insert ckpt.c:28', '-exec-run', '-exec-next', '-exec-next', '-gdb-exit', ''].join('\n');
    const order = (cmd: string, args: string[]) => {
      const out = spawnSync(cmd, [...args, '--interpreter=mi2', '-nx', '-q', fixture('ckpt')], { input, encoding: 'utf8' }).stdout;
      const lines = out.split('\n');
      const printed = lines.findIndex((l) => /^0 -?\d+ /.test(l));
      // The last ^running before the output, and the *stopped after it.
      const running = lines.slice(0, printed).map((l, i) => (/^\d*\^running$/.test(l) ? i : -1)).filter((i) => i >= 0).pop() ?? -1;
      const stopped = lines.findIndex((l, i) => i > printed && l.startsWith('*stopped,reason="end-stepping-range"'));
      return { printed, running, stopped };
    };
    for (const [cmd, args] of [[BACKSTEP_GDB_BIN, []], ['gdb', []]] as [string, string[]][]) {
      const o = order(cmd, args);
      expect(o.printed).toBeGreaterThan(0);
      expect(o.running).toBeGreaterThan(0);
      expect(o.running).toBeLessThan(o.printed);
      expect(o.stopped).toBeGreaterThan(o.printed);
    }
  });
});
