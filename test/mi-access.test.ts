// C++ var objects' access pseudo-children against stock gdb 13 with the same input: a class with
// public, private and protected members lists `public`/`private`/`protected` children (no type, an
// empty value, an empty path expression) whose children are the members of that access in
// declaration order (static members included); a struct with default access and a union show one
// `public` child; a base class comes first and has its own pseudo-children; a pointer to a class
// groups the pointee's members; path expressions of the members are gdb's; -var-info-expression
// says lang="C++"; -var-delete of a pseudo-child deletes its members; -var-update reports nothing
// for them.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, normalize } from './mi-client';

jest.setTimeout(60000);

const PROGRAM = fixture('access');
const COMMANDS = [
  '-var-create p * p',
  '-var-list-children --all-values p',
  '-var-list-children --all-values p.public',
  '-var-create a * a',
  '-var-list-children --all-values a',
  '-var-list-children --all-values a.public',
  '-var-list-children --simple-values a.protected',
  '-var-list-children 2 a.private',
  '-var-info-path-expression a.public',
  '-var-info-path-expression a.private.pin',
  '-var-info-path-expression a.public.opened',
  '-var-info-expression a.private.pin',
  '-var-info-expression a.public',
  '-var-info-num-children a.public',
  '-var-evaluate-expression a.public',
  '-var-show-attributes a.public',
  '-var-show-attributes a.private.pin',
  '-var-info-type a.public',
  '-var-list-children --simple-values a',
  '-var-list-children --no-values a 1 3',
  '-var-create m * m',
  '-var-list-children 1 m',
  '-var-list-children 1 m.private',
  '-var-list-children 1 m.public',
  '-var-create s * s',
  '-var-list-children 1 s',
  '-var-list-children 1 s.Account',
  '-var-info-path-expression s.Account',
  '-var-list-children 1 s.Account.public',
  '-var-info-path-expression s.Account.public.id',
  '-var-list-children 1 s.Account.protected',
  '-var-info-path-expression s.Account.protected.balance',
  '-var-list-children 1 s.public',
  '-var-create w * w',
  '-var-list-children 1 w',
  '-var-list-children 1 w.public',
  '-var-info-path-expression w.public.f',
  '-var-create pa * &a',
  '-var-list-children 1 pa',
  '-var-list-children 1 pa.private',
  '-var-info-path-expression pa.private.pin',
  '-var-assign a.private.pin 4321',
  '-var-update --all-values *',
  '-var-update *',
  '-var-delete a.public',
  '-var-list-children 1 a',
];

// Pseudo-children of a frozen var object, their members (not fetched until updated, as gdb), and
// var objects made before `run` (a global in .bss reads as 0 from the executable).
const BEFORE_RUN = ['-var-create g * global_counter', '-var-create gi * global_init', '-var-create - * p'];
const FROZEN = [
  '-var-create a * a',
  '-var-list-children a',
  '-var-set-format a.public hexadecimal',
  '-var-evaluate-expression -f x a.public',
  '-var-assign a.public 1',
  '-var-update a.public',
  '-var-update --all-values a',
  '-var-show-format a.public',
  '-var-info-num-children a.private',
  '-var-set-frozen a.public 1',
  '-var-list-children --all-values a.public 0 1',
  '-var-update a.public.id',
  '-var-update a.public.id',
  '-var-set-frozen a.public 0',
  '-var-update *',
  '-var-create s * s',
  '-var-list-children --simple-values s',
  '-var-list-children --all-values s.Account',
  '-var-delete -c a',
  '-var-list-children a',
];

// References (to a class: its pseudo-children; to an int: the value without `@0x…: `), several and
// empty base classes, a template instance, a class with only private members (values_cpp fixture).
const REFERENCES = [
  '-var-create m * m',
  '-var-list-children --all-values m',
  '-var-list-children --all-values m.Base1',
  '-var-list-children --all-values m.public',
  '-var-info-path-expression m.public.own',
  '-var-info-path-expression m.Base2',
  '-var-create pm * pm',
  '-var-list-children --all-values pm',
  '-var-list-children --all-values pm.public',
  '-var-info-path-expression pm.public.own',
  '-var-info-path-expression pm.Base2',
  '-var-create h * h',
  '-var-list-children --all-values h',
  '-var-list-children --all-values h.public',
  '-var-create c * c',
  '-var-list-children --all-values c',
  '-var-list-children c.private',
  '-var-create ab * asBase',
  '-var-list-children --all-values ab',
  '-var-create ib * ibox',
  '-var-list-children --all-values ib',
  '-var-list-children --all-values ib.public',
  '-var-create f * consume',
];

async function run(which: 'gdb' | 'backstep', commands = COMMANDS, before: string[] = [], program = PROGRAM, bkpt = 'access.cpp:56'): Promise<string[]> {
  const c = MiClient.start(which, [program]);
  try {
    await c.ready();
    let tok = 1;
    const out: string[] = [];
    for (const cmd of before) out.push(...(await c.send(tok++, cmd)).map((l) => `${cmd} => ${normalize(l).replace(/^\d+/, '')}`));
    tok = await c.runTo(tok, bkpt);
    for (const cmd of commands) out.push(...(await c.send(tok++, cmd)).map((l) => `${cmd} => ${normalize(l).replace(/^\d+/, '')}`));
    return out;
  } finally {
    await c.close();
  }
}

test('C++ var objects: access pseudo-children, as gdb', async () => {
  const g = await run('gdb');
  const b = await run('backstep');
  expect(b).toContain('-var-list-children --all-values a => ^done,numchild="3",children=[child={name="a.public",exp="public",numchild="2",value="",thread-id="1"},child={name="a.private",exp="private",numchild="2",value="",thread-id="1"},child={name="a.protected",exp="protected",numchild="1",value="",thread-id="1"}],has_more="0"');
  expect(b).toContain('-var-info-path-expression pa.private.pin => ^done,path_expr="((&a)->pin)"');
  expect(b).toEqual(g);
  expect(leftoverTracees()).toEqual([]);
});

test('frozen pseudo-children and var objects before run, as gdb', async () => {
  const g = await run('gdb', FROZEN, BEFORE_RUN);
  const b = await run('backstep', FROZEN, BEFORE_RUN);
  expect(b).toContain('-var-create g * global_counter => ^done,name="g",numchild="0",value="0",type="int",has_more="0"');
  expect(b).toContain('-var-list-children --all-values a.public 0 1 => ^done,numchild="1",children=[child={name="a.public.id",exp="id",numchild="0",value="",type="int",thread-id="1"}],has_more="1"');
  expect(b).toEqual(g);
  expect(leftoverTracees()).toEqual([]);
});

test('references, bases and templates in C++ var objects, as gdb', async () => {
  // Before `run` the language is main's (C++): a global struct has its `public` child.
  const before = ['-var-create gb * ibox', '-var-list-children --all-values gb', '-var-list-children --all-values gb.public', '-var-info-path-expression gb.public.value', '-var-info-expression gb'];
  const g = await run('gdb', REFERENCES, before, fixture('values_cpp'), 'consume');
  const b = await run('backstep', REFERENCES, before, fixture('values_cpp'), 'consume');
  expect(b).toContain('-var-info-expression gb => ^done,lang="C++",exp="ibox"');
  expect(b).toContain('-var-create m * m => ^done,name="m",numchild="3",value="{...}",type="Multi &",thread-id="1",has_more="0"');
  expect(b).toEqual(g);
  expect(leftoverTracees()).toEqual([]);
});
