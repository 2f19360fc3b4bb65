// `npm start`: a real debugging session on the bundled demo program (fixtures/src/demo.c), printed as it
// happens, through the same engine the DAP adapter and the MI interpreter use: a breakpoint by
// file:line, a backtrace and local variables, stepping, a checkpoint, running on, restarting the
// checkpoint (the old values are back), finish with its return value, and stepping back in time.
import * as fs from 'fs';
import * as path from 'path';
import { createEngine, Engine, FrameInfo, StopInfo, Variable } from '../engine';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROGRAM = path.join(ROOT, 'fixtures', 'bin', 'demo');

const out = (text: string) => process.stdout.write(text + '\n');
const cmd = (text: string) => out(`\n(backstep) ${text}`);

const sources = new Map<string, string[]>();
function sourceLine(file: string | undefined, line: number | undefined): string {
  if (!file || !line) return '';
  if (!sources.has(file)) sources.set(file, fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []);
  return `${line}\t${sources.get(file)![line - 1] ?? ''}`;
}

function frameLine(f: FrameInfo): string {
  const where = f.file ? ` at ${path.basename(f.file)}:${f.line}` : f.moduleName ? ` from ${f.moduleName}` : '';
  const pc = f.level > 0 ? `0x${f.pc.toString(16).padStart(16, '0')} in ` : '';
  return `#${f.level}  ${pc}${f.function ?? '??'} ()${where}`;
}

async function show(engine: Engine, stop: StopInfo): Promise<void> {
  out(stop.description);
  if (stop.frame?.line) out(sourceLine(stop.frame.fullPath, stop.frame.line));
}

async function locals(engine: Engine, frameId: number): Promise<Variable[]> {
  const scopes = await engine.scopes(frameId);
  const vars: Variable[] = [];
  for (const s of scopes.filter((x) => x.kind === 'arguments' || x.kind === 'locals')) vars.push(...(await engine.variables(s.variablesReference)));
  return vars;
}

async function print(engine: Engine, expr: string): Promise<void> {
  cmd(`print ${expr}`);
  const r = await engine.evaluate(expr, { context: 'repl' });
  out(`${r.value}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: run 'npm run build' first`);
  out(`backstep demo: debugging ${path.relative(process.cwd(), PROGRAM) || PROGRAM} (source: fixtures/src/demo.c)`);
  const engine = createEngine();
  engine.on('output', (e) => process.stdout.write(e.category === 'stdout' || e.category === 'stderr' ? `  [program ${e.category}] ${e.text}` : e.text));
  try {
    const info = await engine.loadProgram(PROGRAM);
    out(`Reading symbols from ${info.path}... (${info.hasDebugInfo ? 'with' : 'no'} debugging symbols)`);

    cmd('break demo.c:8');
    const bp = await engine.setBreakpoint({ location: 'demo.c:8' });
    const loc = bp.locations[0];
    out(`Breakpoint ${bp.id} at 0x${loc.address.toString(16)}: file ${path.basename(loc.file ?? '?')}, line ${loc.line}.`);

    cmd('run');
    let stop = await engine.launch({ program: PROGRAM, stdio: 'pipe', record: true });
    await show(engine, stop);

    cmd('backtrace');
    const bt = await engine.stackTrace();
    for (const f of bt.frames) out(frameLine(f));

    cmd('info args / info locals   (frame #1, main)');
    for (const v of await locals(engine, bt.frames[1].id)) out(`${v.name} = ${v.value}`);

    cmd('next');
    stop = await engine.next();
    await show(engine, stop);
    await print(engine, 'acct->balance');

    cmd('next   (x2: to the end of deposit)');
    for (let i = 0; i < 2; i++) {
      stop = await engine.next();
      await show(engine, stop);
    }
    await print(engine, 'acct->deposits');
    // Stepping back: the program was launched with `record: true`, so it can go back in time.
    cmd('reverse-next   (back one line)');
    stop = await engine.reverseNext();
    await show(engine, stop);
    cmd('reverse-step   (back again: line 9 has not run yet, so the counter is back to 0)');
    stop = await engine.reverseStep();
    await show(engine, stop);
    await print(engine, 'acct->deposits');
    cmd('next   (x2, forward again: replayed from the recording up to the present, then live)');
    for (let i = 0; i < 2; i++) {
      stop = await engine.next();
      await show(engine, stop);
    }
    await print(engine, 'acct->deposits');

    cmd('checkpoint');
    const ck = await engine.checkpoint();
    out(`checkpoint ${ck.id}: fork returned pid ${ck.pid}.`);

    cmd('continue   (x2: two more deposits)');
    for (let i = 0; i < 2; i++) {
      stop = await engine.cont();
      await show(engine, stop);
    }
    await print(engine, 'acct->balance');
    await print(engine, 'acct->deposits');

    cmd('info checkpoints');
    for (const c of engine.checkpoints()) out(c.description);

    cmd(`restart ${ck.id}`);
    stop = await engine.restartCheckpoint(ck.id);
    out(stop.description);
    out('(the program is back where the checkpoint was taken: the values are the old ones)');
    await print(engine, 'acct->balance');
    await print(engine, 'acct->deposits');

    cmd('finish');
    stop = await engine.finish();
    out(stop.description); // ends with gdb's "Value returned is $N = ..."

    cmd('stepi   (x3)');
    for (let i = 0; i < 3; i++) {
      stop = await engine.stepInstruction();
      const f = stop.frame!;
      out(`0x${f.pc.toString(16)}\t${f.function ?? '??'} () at ${path.basename(f.file ?? '?')}:${f.line}`);
    }
    cmd(`delete ${bp.id}`);
    await engine.removeBreakpoint(bp.id);
    cmd('continue');
    stop = await engine.cont();
    out(stop.description);
  } finally {
    await engine.dispose();
  }
}

main().catch((e) => {
  console.error(`backstep demo failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
  process.exit(1);
});
