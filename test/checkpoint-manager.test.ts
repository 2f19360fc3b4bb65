// The engine's CheckpointManager on real processes: gdb's wording (a gdb 13 transcript as oracle), values
// and file offsets put back by restart (nm, /proc/PID/fdinfo and the program run natively as oracles),
// restarting one checkpoint again and again, restart after exit, the process left kept, limits, errors.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { EngineError } from '../src/engine/api';
import { CheckpointManager, checkpointMessage, MULTI_THREADED_ERROR, parseCheckpointId } from '../src/engine/checkpoints';
import { SymbolFile } from '../src/symbols';
import { Inferior, Tracer } from '../src/target';
import { fixture, isGoneOrZombie, leftoverTracees } from './helpers';
import { fdPos, launchTo, Launched, procLong, removeTmpFiles, runToExit, tmpFile } from './checkpoint-helpers';

const TRANSCRIPT = fs.readFileSync('/work/shared/reference/gdb-13.1-mi-transcripts/ckpt.log', 'utf8');
/** What gdb 13 printed (console stream records of the transcript, unescaped). */
const GDB_LINES = [...TRANSCRIPT.matchAll(/^<- [~&]"(.*)\\n"$/gm)].map((m) => m[1].replace(/\\"/g, '"'));

/** Text gdb printed word for word in the transcript: returns it, failing if gdb never said it. */
function gdbSaid(text: string): string {
  expect(GDB_LINES).toContain(text);
  return text;
}

/** The shape of a line: numbers, addresses and file names abstracted away. */
function shape(line: string): string {
  return line
    .replace(/0x[0-9a-f]+/g, '0xA')
    .replace(/(process|LWP|pid|checkpoint|id,?) \d+/g, '$1 N')
    .replace(/file [^,]+/, 'file F')
    .replace(/line \d+/, 'line L')
    .replace(/^([* ]) \d /, '$1 N ')
    // gdb 13 prints the current main process "at 0x0" (it never reads its pc); we print where it is.
    .replace(/^(\* N .*\(main process\) at 0xA), file F, line L$/, '$1');
}

/** Our line has the shape of a line gdb printed. */
function expectGdbShape(line: string): void {
  expect(GDB_LINES.map(shape)).toContain(shape(line));
}

let tracer: Tracer;

beforeAll(async () => {
  tracer = await Tracer.create();
});

afterAll(async () => {
  await tracer.close();
  removeTmpFiles();
  expect(leftoverTracees()).toEqual([]);
});

function locator(l: Launched): (pc: number) => { function?: string; file?: string; line?: number } | undefined {
  const sym = SymbolFile.open(l.bin);
  return (pc) => {
    const line = sym.lineFor(pc - l.bias);
    return line ? { file: line.file, line: line.line, function: sym.functionAt(pc - l.bias)?.name } : undefined;
  };
}

function devnull(): number {
  return fs.openSync('/dev/null', 'w');
}

async function fsBase(inf: Inferior): Promise<string> {
  return (await inf.getRegisters()).get('fs_base').toString(16);
}

describe('gdb wording', () => {
  test('checkpoint, info checkpoints, errors, delete, numbering', async () => {
    const l = await launchTo(tracer, 'ckpt', 'tick', ['8'], [-1, devnull(), -1]);
    const mgr = new CheckpointManager(tracer, { locate: locator(l) });
    const { inf } = l;
    expect(mgr.format(inf)).toBe(gdbSaid('No checkpoints.') + '\n');

    const c1 = await mgr.create(inf);
    expect(c1.id).toBe(1);
    expect(checkpointMessage(c1)).toBe(`checkpoint 1: fork returned pid ${c1.pid}.`);
    expectGdbShape(checkpointMessage(c1));
    await inf.cont();
    const c2 = await mgr.create(inf);
    expect(c2.id).toBe(2);

    // Locations as gdb resolves the breakpoint (gdb's own output is the oracle for file and line).
    const at = `at 0x${l.bp.toString(16)}, file ${l.loc.file}, line ${l.loc.line}`;
    const rows = mgr.format(inf).split('\n').filter(Boolean);
    expect(rows).toEqual([
      `* 0 Thread 0x${await fsBase(inf)} (LWP ${inf.pid}) (main process) ${at}`,
      `  1 process ${c1.pid} ${at}`,
      `  2 process ${c2.pid} ${at}`,
    ]);
    rows.forEach(expectGdbShape);
    expect(mgr.format(inf, 1)).toBe(`  1 process ${c1.pid} ${at}\n`);
    expect(mgr.format(inf, 7)).toBe(gdbSaid('No checkpoint number 7.') + '\n');
    const list = mgr.list(inf);
    expect(list.map((e) => [e.id, e.pid, e.current, e.function, e.line])).toEqual([
      [0, inf.pid, true, 'tick', l.loc.line],
      [1, c1.pid, false, 'tick', l.loc.line],
      [2, c2.pid, false, 'tick', l.loc.line],
    ]);
    expect(list[1].memory!.rssKb).toBeGreaterThan(0);
    expect(list[1].takenAt).toBeLessThanOrEqual(list[2].takenAt!);

    await expect(mgr.restart(9, inf)).rejects.toThrow(gdbSaid('Not found: checkpoint id 9'));
    expect(() => parseCheckpointId('', 'restart')).toThrow(gdbSaid('Requires argument (checkpoint id to restart)'));
    expect(() => parseCheckpointId(undefined, 'delete')).toThrow(gdbSaid('Requires argument (checkpoint id to delete)'));
    expect(parseCheckpointId(' 2 ', 'delete')).toBe(2);
    await expect(mgr.delete(0, inf)).rejects.toThrow(gdbSaid('Please switch to another checkpoint before deleting the current one'));
    await expect(mgr.delete(5, inf)).rejects.toThrow(gdbSaid('No such checkpoint id, 5'));
    await expect(mgr.delete(5, inf)).rejects.toMatchObject({ code: 'bad-id' });

    const killed = await mgr.delete(2, inf);
    expect(killed).toBe(`Killed process ${c2.pid}`);
    expectGdbShape(killed);
    expect(isGoneOrZombie(c2.pid)).toBe(true);
    await mgr.delete(1, inf);
    expect(mgr.format(inf)).toBe('No checkpoints.\n');
    // gdb numbers from 1 again once no checkpoint is left.
    expect((await mgr.create(inf)).id).toBe(1);

    await inf.kill();
    await expect(mgr.create(inf)).rejects.toThrow(gdbSaid('The program is not being run.'));
    await expect(mgr.create(undefined)).rejects.toMatchObject({ code: 'not-running' });
    await mgr.dispose();
    expect(mgr.size).toBe(0);
  });

  test('a static program is "process N" (no libthread_db), as gdb shows it', async () => {
    const l = await launchTo(tracer, 'ckpt_static', 'tick', ['4'], [-1, devnull(), -1]);
    const mgr = new CheckpointManager(tracer, { locate: locator(l) });
    const c1 = await mgr.create(l.inf);
    const r = await mgr.restart(1, l.inf);
    expect(r.message).toBe(`Switching to process ${r.inferior.pid}`);
    expect(mgr.format(r.inferior).split('\n')[1]).toBe(`* 1 process ${r.inferior.pid} at 0x${l.bp.toString(16)}, file ${l.loc.file}, line ${l.loc.line}`);
    expect(c1.pid).not.toBe(r.inferior.pid);
    await r.inferior.kill();
    await mgr.dispose();
  });
});

describe('restart', () => {
  test('puts variables and file offsets back; three restarts give the same state and output; works after exit', async () => {
    const input = tmpFile('input.txt', 'abcdefghijklmnopqrstuvwxyz');
    const outPath = tmpFile('out.txt');
    const out = fs.openSync(outPath, 'w+');
    const args = ['9', input];
    // stdin and stderr explicitly /dev/null: inherited ones may be regular files (CI logs) and would be
    // listed among the checkpoint's files.
    const devnull = fs.openSync('/dev/null', 'r+');
    const l = await launchTo(tracer, 'ckpt', 'tick', args, [devnull, out, devnull]);
    const { inf } = l;
    await inf.cont();
    await inf.cont(); // third tick: i = 2, three bytes read, two lines written
    const inFd = Number(procLong(inf.pid, l.global('input_fd')) & 0xffffffffn);
    const globals = ['counter', 'iteration', 'last_byte'].map((g) => l.global(g));
    const state = (pid: number) => ({ vars: globals.map((a) => procLong(pid, a)), inPos: fdPos(pid, inFd), outPos: fdPos(pid, 1) });
    const atCheckpoint = state(inf.pid);
    expect(atCheckpoint.inPos).toBe(3);

    const mgr = new CheckpointManager(tracer, { locate: locator(l) });
    const ck = await mgr.create(inf);
    expect(ck.files.map((f) => [f.fd, f.pos, f.path])).toEqual([
      [1, atCheckpoint.outPos, fs.realpathSync(outPath)],
      [inFd, 3, fs.realpathSync(input)],
    ]);
    const first = await runToExit(inf);
    const fullOutput = fs.readFileSync(outPath, 'utf8');
    // The oracle: the program run without a debugger.
    const nat = spawnSync(fixture('ckpt'), args, { encoding: 'utf8' });
    expect(fullOutput).toBe(nat.stdout);
    expect(first.code).toBe(nat.status);

    let current: Inferior = inf;
    for (let round = 0; round < 3; round++) {
      const r = await mgr.restart(ck.id, current);
      expect(r.checkpoint).toBe(ck);
      expect(r.left).toBeUndefined(); // the program had exited: nothing to keep
      current = r.inferior;
      expect(current.state).toBe('stopped');
      expect(r.seekFailures).toEqual([]);
      expect(state(current.pid)).toEqual(atCheckpoint);
      expect((await current.getRegisters()).pc).toBe(l.bp);
      expect(await runToExit(current)).toEqual(first);
      expect(fs.readFileSync(outPath, 'utf8')).toBe(fullOutput);
    }
    fs.closeSync(out);
    await mgr.dispose();
    expect(isGoneOrZombie(ck.pid)).toBe(true);
  });

  test('keeps the process it leaves (the main one as 0), never changes a checkpoint, and refuses to delete the current one', async () => {
    const l = await launchTo(tracer, 'ckpt', 'tick', ['12'], [-1, devnull(), -1]);
    const mgr = new CheckpointManager(tracer, { locate: locator(l) });
    const iteration = l.global('iteration');
    const counter = l.global('counter');
    const main = l.inf;
    const c1 = await mgr.create(main); // at tick(0)
    const c1Counter = procLong(c1.pid, counter);
    await main.cont();
    await main.cont(); // tick(2)
    const mainCounter = procLong(main.pid, counter);
    expect(procLong(main.pid, iteration)).toBe(1n);

    const r1 = await mgr.restart(1, main);
    expect(r1.left).toMatchObject({ pid: main.pid, kept: { id: 0, pid: main.pid, automatic: false } });
    expect(main.state).toBe('exited');
    expect(main.retired).toBe(true);
    const q1 = r1.inferior;
    expect(r1.message).toBe(`Switching to Thread 0x${await fsBase(q1)} (LWP ${q1.pid})`);
    expectGdbShape(r1.message);
    expect(procLong(q1.pid, iteration)).toBe(-1n);
    expect(procLong(q1.pid, counter)).toBe(c1Counter);
    // The breakpoints of the process left came along.
    expect((await q1.breakpoints()).map((b) => b.addr)).toEqual([l.bp]);
    const at = `at 0x${l.bp.toString(16)}, file ${l.loc.file}, line ${l.loc.line}`;
    expect(mgr.format(q1).split('\n').filter(Boolean)).toEqual([
      `  0 process ${main.pid} (main process) ${at}`,
      `* 1 Thread 0x${await fsBase(q1)} (LWP ${q1.pid}) ${at}`,
    ]);
    mgr.format(q1).split('\n').filter(Boolean).forEach(expectGdbShape);
    await expect(mgr.delete(1, q1)).rejects.toThrow('Please switch to another checkpoint before deleting the current one');

    // Run the copy on: the checkpoint itself does not change.
    for (let i = 0; i < 4; i++) await q1.cont();
    expect(procLong(q1.pid, iteration)).toBe(3n);
    expect(procLong(c1.pid, counter)).toBe(c1Counter);

    const r0 = await mgr.restart(0, q1);
    const q0 = r0.inferior;
    expect(r0.left?.kept).toMatchObject({ id: 2, pid: q1.pid, automatic: true, from: 1 });
    expect(procLong(q0.pid, counter)).toBe(mainCounter);
    expect(procLong(q0.pid, iteration)).toBe(1n);
    expect(mgr.list(q0).map((e) => [e.id, e.pid, e.current, e.automatic])).toEqual([
      [0, q0.pid, true, false],
      [1, c1.pid, false, false],
      [2, q1.pid, false, true],
    ]);

    // Checkpoint 1 again: its state, though a copy of it ran on meanwhile; and 2 is the copy as it was left.
    const again = await mgr.restart(1, q0);
    expect(procLong(again.inferior.pid, counter)).toBe(c1Counter);
    const r2 = await mgr.restart(2, again.inferior);
    expect(procLong(r2.inferior.pid, iteration)).toBe(3n);
    // The copy left at last runs the program to its normal end.
    expect((await runToExit(r2.inferior)).code).toBe(spawnSync(fixture('ckpt'), ['12']).status);

    const pids = mgr.all().map((c) => c.pid);
    await mgr.dispose();
    for (const pid of pids) expect(isGoneOrZombie(pid)).toBe(true);
  });
});

describe('limits and errors', () => {
  test('at the limit the oldest automatic checkpoint goes; with none, a clear error', async () => {
    const l = await launchTo(tracer, 'ckpt', 'tick', ['20'], [-1, devnull(), -1]);
    const mgr = new CheckpointManager(tracer, { maxCheckpoints: 3 });
    const a = await mgr.create(l.inf, { automatic: true });
    await mgr.create(l.inf);
    await mgr.create(l.inf);
    const d = await mgr.create(l.inf);
    expect(mgr.all().map((c) => c.id)).toEqual([2, 3, 4]);
    expect(d.id).toBe(4);
    expect(isGoneOrZombie(a.pid)).toBe(true);
    const err = await mgr.create(l.inf).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.message).toBe('Too many checkpoints: the limit is 3. Delete some with "delete checkpoint ID" first.');
    // A restart at the limit cannot keep the process it leaves: it is killed, and says why.
    const main = l.inf;
    const r = await mgr.restart(2, main);
    expect(r.left).toMatchObject({ pid: main.pid, killed: 'not kept: the limit of 3 checkpoints is reached' });
    expect(isGoneOrZombie(main.pid)).toBe(true);
    expect(mgr.all().map((c) => c.id)).toEqual([2, 3, 4]);
    await r.inferior.kill();
    await mgr.dispose();
  });

  test('a multi-threaded program: clear error, nothing dropped; a running one: clear error', async () => {
    const l = await launchTo(tracer, 'threads', 'worker', [], [-1, devnull(), -1]);
    const mgr = new CheckpointManager(tracer);
    const err = await mgr.create(l.inf).catch((e) => e);
    expect(err).toMatchObject({ message: MULTI_THREADED_ERROR, code: 'unsupported' });
    expect(MULTI_THREADED_ERROR).toBe('checkpoints of a multi-threaded program are not supported: fork copies only the calling thread');
    await l.inf.kill();

    const spin = await tracer.launch({ program: fixture('spin'), stdio: [-1, devnull(), -1] });
    const c = await mgr.create(spin);
    const run = spin.cont();
    await expect(mgr.create(spin)).rejects.toMatchObject({ code: 'running', message: 'Cannot execute this command while the target is running.' });
    await expect(mgr.restart(c.id, spin)).rejects.toMatchObject({ code: 'running' });
    spin.pause();
    await run;
    await spin.kill();
    await mgr.dispose();
  });
});
