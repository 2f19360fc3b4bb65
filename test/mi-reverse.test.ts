// Reverse execution over MI: `record`, then `-exec-next --reverse` and console `reverse-next`, driven
// through backstep-gdb and stock gdb 13 (record full) with the same input; the stops (reason, function,
// line) and the values read at each stop must agree.
import { fixture, leftoverTracees } from './helpers';
import { MiClient } from './mi-client';

jest.setTimeout(120000);

const DEMO = fixture('demo');

const LINES = [
  `-file-exec-and-symbols ${DEMO}`,
  '-break-insert deposit',
  '-exec-run',
  '-interpreter-exec console "record"',
  '-exec-next',
  '-exec-next',
  '-data-evaluate-expression acct->deposits',
  '-exec-next --reverse',
  '-data-evaluate-expression acct->deposits',
  '-interpreter-exec console "reverse-next"',
  '-data-evaluate-expression acct->balance',
  '-interpreter-exec console "reverse-next"',
  '-exec-next',
  '-data-evaluate-expression acct->balance',
];

/** For each command: the stop it caused (reason func:line) or the value it printed. */
async function run(which: 'gdb' | 'backstep'): Promise<string[]> {
  const c = MiClient.start(which, []);
  const out: string[] = [];
  try {
    await c.ready();
    let tok = 1;
    for (const l of LINES) {
      const { res, stop } = await c.exec(tok++, l);
      const last = res[res.length - 1];
      if (stop !== undefined) {
        const reason = /reason="([^"]+)"/.exec(stop)?.[1];
        const func = /func="([^"]+)"/.exec(stop)?.[1];
        const line = /line="(\d+)"/.exec(stop)?.[1];
        out.push(`${l} -> ${reason} ${func}:${line}`);
      } else {
        const v = /\^done,value="([^"]*)"/.exec(last)?.[1];
        out.push(v !== undefined ? `${l} -> ${v}` : `${l} -> ${last.replace(/^\d+/, '')}`);
      }
    }
  } finally {
    await c.close();
  }
  return out;
}

afterAll(() => {
  expect(leftoverTracees()).toEqual([]);
});

test('record, reverse-next and forward again: the same stops and values as gdb record full', async () => {
  const gdb = await run('gdb');
  const bs = await run('backstep');
  // Sanity: the oracle really went backwards (deposits back to 0 after one reverse-next).
  expect(gdb[8]).toBe('-data-evaluate-expression acct->deposits -> 0');
  expect(bs).toEqual(gdb);
});
