// MI watchpoints against gdb 13 with the same input: -break-watch (write, -r, -a), the
// watchpoint-trigger / read-watchpoint-trigger / access-watchpoint-trigger *stopped records with
// their values, the console text before them, and the console `watch` command.
import { fixture, leftoverTracees } from './helpers';
import { MiStep, miTranscript } from './mi-client';

jest.setTimeout(120000);

const LOOP = fixture('loop');

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

/** The result record of each command, and for running commands the console lines and *stopped before the prompt. */
function drive(which: 'gdb' | 'backstep', cmds: MiStep[]): Promise<string[][]> {
  return miTranscript(which, ['--args', LOOP, '3'], cmds, (l) => !l.startsWith('*running') && !l.startsWith('=thread') && !l.startsWith('=breakpoint-modified') && !l.startsWith('&'));
}

test('-break-watch / -r / -a and their *stopped records match gdb', async () => {
  const cmds = [
    { cmd: '-break-insert main' },
    { cmd: '-exec-run', stop: true },
    { cmd: '-break-watch counter' },
    { cmd: '-break-watch -r counter' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-break-delete 2' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-break-watch -a counter' },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-exec-continue', stop: true },
    { cmd: '-interpreter-exec console "watch total"' },
  ];
  const g = await drive('gdb', cmds);
  const b = await drive('backstep', cmds);
  // The watch commands and every stop after the first (the run's own stop differs in thread-group noise).
  for (const i of [2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    const pick = (t: string[]) => t.filter((l) => l.startsWith('^') || l.startsWith('*stopped') || l.startsWith('~'));
    expect({ cmd: cmds[i].cmd, out: pick(b[i]) }).toEqual({ cmd: cmds[i].cmd, out: pick(g[i]) });
  }
  expect(g[5].some((l) => l.startsWith('*stopped,reason="watchpoint-trigger",wpt={number="2",exp="counter"},value={old="0",new="1"}'))).toBe(true);
  // `watch total` in main's frame: a local, accepted by both.
  expect(b[11].filter((l) => l.startsWith('~"Hardware watchpoint'))).toEqual(g[11].filter((l) => l.startsWith('~"Hardware watchpoint')));
});
