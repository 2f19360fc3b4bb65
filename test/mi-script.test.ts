// A whole MI script piped in at once, stdin closed right away (`backstep-gdb -i=mi < script`): as gdb
// in synchronous mode, the commands queued behind a running program run when it stops, and the
// session ends after the last one, not at EOF.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, normalize } from './mi-client';

jest.setTimeout(60000);

const SCRIPT = [
  '-break-insert grow',
  '-exec-run',
  '-data-evaluate-expression by',
  '-exec-continue',
  '-data-evaluate-expression by',
  '-break-delete',
  '-exec-continue',
  '-data-evaluate-expression 1+1',
];

async function run(which: 'gdb' | 'backstep'): Promise<{ records: string[]; code: number | null }> {
  const c = MiClient.start(which, [fixture('mi_cdt')]);
  c.write(SCRIPT.join('\n') + '\n');
  c.proc.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([c.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 30000)))]);
  clearTimeout(timer);
  await c.close();
  const records = c.lines.filter((l) => /^\^|^\*stopped/.test(l)).map((l) => normalize(l).replace(/,core="N"/, ''));
  return { records, code };
}

test('queued commands run after each stop; the session ends after the script', async () => {
  const g = await run('gdb');
  const b = await run('backstep');
  expect(b.records.filter((l) => l.startsWith('^done,value='))).toEqual(['^done,value="1"', '^done,value="2"', '^done,value="2"']);
  expect(b.records[b.records.length - 2]).toBe('*stopped,reason="exited",exit-code="016"');
  expect(b.code).toBe(0);
  expect(b).toEqual(g);
  expect(leftoverTracees()).toEqual([]);
});
