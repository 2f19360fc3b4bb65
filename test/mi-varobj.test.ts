// Var objects against stock gdb 13 with the same input: which are bound to the frame (a thread-id,
// as gdb prints it only for expressions naming a local, a parameter or a register), unreadable values
// (an empty value; an error for -data-evaluate-expression and print), pointers to arrays; and
// `info symbol`, which names the object file once a process has libraries.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, normalize } from './mi-client';

jest.setTimeout(60000);

const PROGRAM = fixture('mi_cdt');
const COMMANDS = [
  '-var-create - * "*(int*)0"',
  '-var-evaluate-expression var1',
  '-var-create - * total',
  '-var-create - * "sizeof(sq)"',
  '-var-create - * "sq.corner[1].x + 0x10"',
  '-var-create - * $rsp',
  '-var-create - * "$pc"',
  '-var-create - * sizes',
  '-var-list-children var7',
  '-var-create - * "(char)65"',
  '-var-create - @ total',
  '-var-create - * "\\"total\\""',
  '-data-evaluate-expression "*(int*)0"',
  '-data-evaluate-expression "&(sizes)"',
  '-interpreter-exec console "print *(int*)8"',
  '-var-update *',
  '-interpreter-exec console "info symbol $pc"',
];

async function run(which: 'gdb' | 'backstep'): Promise<string[]> {
  const c = MiClient.start(which, [PROGRAM]);
  try {
    await c.ready();
    let tok = await c.runTo(1, 'mi_cdt.c:29');
    const out: string[] = [];
    for (const cmd of COMMANDS) out.push(...(await c.send(tok++, cmd)).map((l) => normalize(l).replace(/^\d+/, '')));
    return out;
  } finally {
    await c.close();
  }
}

test('var objects: frame binding, unreadable values, pointers to arrays, as gdb', async () => {
  const g = await run('gdb');
  const b = await run('backstep');
  expect(b).toContain('^done,name="var1",numchild="0",value="",type="int",has_more="0"');
  expect(b).toContain('^done,name="var2",numchild="0",value="0",type="int",thread-id="1",has_more="0"');
  expect(b).toContain('^error,msg="Cannot access memory at address 0x0"');
  expect(b).toEqual(g);
  expect(leftoverTracees()).toEqual([]);
});
