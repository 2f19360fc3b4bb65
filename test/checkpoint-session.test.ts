// Checkpoints through the engine session (what DAP and MI use): checkpoint, info, restart (values back,
// the session's breakpoints working in the copy, the 'checkpoint' stop), restart after exit, delete.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { Session } from '../src/engine/session';
import type { StopInfo } from '../src/engine/api';
import { fixture, isGoneOrZombie, leftoverTracees } from './helpers';
import { gdbBreakLocation } from './checkpoint-helpers';

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('checkpoint, restart, breakpoints in the copy, restart after exit, delete', async () => {
  const s = new Session();
  const console: string[] = [];
  const stops: StopInfo[] = [];
  s.on('output', (o) => o.category === 'console' && console.push(o.text));
  s.on('stopped', (st) => stops.push(st));
  const bin = fixture('ckpt');
  const loc = gdbBreakLocation(bin, 'tick');
  try {
    await s.loadProgram(bin);
    await s.setBreakpoint({ location: 'tick' });
    const first = await s.launch({ program: bin, args: ['6'], stdio: [-1, fs.openSync('/dev/null', 'w'), -1] });
    expect(first).toMatchObject({ reason: 'breakpoint', frame: { function: 'tick', line: loc.line } });
    const mainPid = s.pid!;

    const ck = await s.checkpoint();
    expect(ck).toMatchObject({ id: 1, current: false, function: 'tick', line: loc.line, file: loc.file });
    expect(ck.description).toBe(`  1 process ${ck.pid} at 0x${ck.pc.toString(16)}, file ${loc.file}, line ${loc.line}`);
    const counterAtCheckpoint = (await s.evaluate('counter')).value;
    await s.cont();
    await s.cont();
    expect((await s.evaluate('iteration')).value).toBe('1');

    const r = await s.restartCheckpoint(1);
    expect(r).toMatchObject({ reason: 'checkpoint', checkpointId: 1, frame: { function: 'tick', line: loc.line } });
    expect(stops[stops.length - 1]).toBe(r);
    const pid = s.pid!;
    expect(pid).not.toBe(mainPid);
    expect(r.description.split('\n')[0]).toMatch(new RegExp(`^Switching to Thread 0x[0-9a-f]+ \\(LWP ${pid}\\)$`));
    expect(r.description.split('\n')[1]).toMatch(/^#0  tick \(i=0\) at .*ckpt\.c:17$/);
    expect((await s.evaluate('iteration')).value).toBe('-1');
    expect((await s.evaluate('counter')).value).toBe(counterAtCheckpoint);
    expect(s.checkpoints().map((c) => [c.id, c.pid, c.current])).toEqual([
      [0, mainPid, false],
      [1, pid, true],
    ]);
    expect((await s.threads()).map((t) => t.id)).toEqual([pid]);

    // The session's breakpoint works in the copy.
    const hit = await s.cont();
    expect(hit).toMatchObject({ reason: 'breakpoint', breakpointIds: [1], frame: { function: 'tick' } });
    expect((await s.evaluate('iteration')).value).toBe('0');
    await s.removeBreakpoint(1);
    const end = await s.cont();
    expect(end).toMatchObject({ reason: 'exited', exitCode: spawnSync(bin, ['6']).status });

    // After the exit: the checkpoint is still there.
    const again = await s.restartCheckpoint(1);
    expect(again.reason).toBe('checkpoint');
    expect((await s.evaluate('counter')).value).toBe(counterAtCheckpoint);
    expect(s.state).toBe('stopped');

    await expect(s.deleteCheckpoint(1)).rejects.toThrow('Please switch to another checkpoint before deleting the current one');
    await s.deleteCheckpoint(0);
    expect(console).toContain(`Killed process ${mainPid}\n`);
    expect(isGoneOrZombie(mainPid)).toBe(true);
    await expect(s.restartCheckpoint(7)).rejects.toThrow('Not found: checkpoint id 7');
  } finally {
    await s.dispose();
  }
});
