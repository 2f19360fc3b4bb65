// `info line`, -symbol-list-lines, `info symbol` and disassembly before and after `run`, against stock
// gdb 13 with the same input: gdb's line-table answers (a line's first statement entry and the end of
// its range, "is at address ... but contains no code" for a line without code, "out of range", the
// line after the last one shown for a bare `info line`, a variable's declaration line), the symtab's
// line table item by item (end markers as line 0), minimal symbols with their real section
// (`.text`, `.data`, `.bss`, `.rodata`, `of /lib/.../libc.so.6` once libraries are loaded), C++
// linkage names in addresses (`<main()+9>`, `<_ZNK5Mixed4peekEv>`), and disassembly read from the
// executable at link-time (PIE) addresses before the program runs.
import { fixture, leftoverTracees } from './helpers';
import { MiClient, comparable, normalize } from './mi-client';

jest.setTimeout(90000);

const LOOP = fixture('loop');
const ACCESS = fixture('access');

const cli = (c: string) => `-interpreter-exec console ${JSON.stringify(c)}`;

const LOOP_BEFORE = [
  cli('info line main'),
  cli('info line loop.c:12'),
  cli('info line loop.c:1'),
  cli('info line 3'),
  cli('info line'),
  cli('info line'),
  cli('info line *main'),
  cli('info line *0x1170'),
  cli('info line *0x1'),
  cli('info line loop.c:200'),
  cli('info line nosuch'),
  cli('info line hot'),
  cli('info line loop.c:24'),
  cli('info line counter'),
  cli('info symbol main'),
  cli('info symbol &counter'),
  cli('info symbol &greeting'),
  cli('info symbol 0'),
  cli('info symbol 0x1000'),
  // PLT stubs and GOT slots (gdb's synthetic minimal symbols) and the PLT header (none).
  cli('info symbol 0x1030'),
  cli('info symbol 0x1034'),
  cli('info symbol 0x4000'),
  cli('info symbol 0x1020'),
  '-symbol-list-lines loop.c',
  '-symbol-list-lines nosuch.c',
  '-symbol-list-lines',
  '-data-disassemble -s 0x1149 -e 0x1160 -- 0',
  '-data-disassemble -s 0x1149 -e 0x1160 -- 2',
  '-data-disassemble -f loop.c -l 12 -n 3 -- 0',
  '-data-disassemble -f loop.c -l 11 -- 1',
  '-data-disassemble -a hot -- 0',
  '-data-disassemble -a main -- 0',
  '-data-disassemble -s 0x10 -e 0x20 -- 0',
  cli('disassemble hot'),
  cli('disassemble /r main'),
  cli('disassemble 0x1149,0x1155'),
  cli('disassemble 0x1149,+8'),
  cli('disassemble 0x10'),
  cli('disassemble'),
  cli('x/3i hot'),
  cli('x/s greeting'),
  // Data from the executable: .bss reads as zeros, the words before an unreadable one are printed.
  cli('print counter'),
  cli('x/2xw &counter'),
  cli('info symbol counter'),
  cli('x/3xg 0x3ff8'),
  cli('x/4xb 0x10'),
];

const LOOP_AFTER = [
  cli('info line'),
  cli('info line'),
  cli('info line *$pc'),
  cli('info line printf'),
  cli('info symbol $pc'),
  cli('info symbol &counter'),
  cli('info symbol (char*)&counter+2'),
  cli('info symbol &greeting'),
  cli('info symbol puts'),
  cli('info symbol &_IO_2_1_stdout_'),
  // A variable libc's DWARF only declares: found through the ELF symbol (once recursed without end).
  cli('info symbol &environ'),
  '-data-evaluate-expression &environ',
  cli('info symbol (char*)&_IO_2_1_stdout_+8'),
  cli('info symbol $sp'),
  cli('info symbol 0x1149'),
  cli('info line *0x1149'),
  '-symbol-list-lines loop.c',
  cli('disassemble'),
  cli('disassemble /r $pc,+8'),
  cli('x/4i $pc'),
  cli('x/4xw &counter'),
  cli('x/4xb 0x10'),
  '-data-disassemble -s $pc -e "$pc + 20" -- 0',
  '-data-disassemble -a main -- 0',
  '-data-disassemble -f loop.c -l 20 -n 4 -- 1',
];

const ACCESS_BEFORE = [
  '-symbol-list-lines access.cpp',
  cli('info line main'),
  cli('info line access.cpp:50'),
  cli('info line 48'),
  cli('info line'),
  cli('info line'),
  cli('info line Mixed::peek'),
  cli('info line global_counter'),
  cli('info line Account::opened'),
  cli('info symbol main'),
  cli('info symbol &global_counter'),
  cli('info symbol &global_init'),
  cli('info symbol &Account::opened'),
  cli('info symbol (char*)&global_init+3'),
  '-data-disassemble -s 0x123e -e 0x1246 -- 0',
  '-data-disassemble -s 0x1139 -e 0x1142 -- 0',
  cli('disassemble 0x123e,0x1246'),
  cli('disassemble /r 0x123e,0x1240'),
  cli('disassemble Mixed::peek'),
  cli('x/2i 0x123e'),
];

const ACCESS_AFTER = [
  cli('info line'),
  cli('info line'),
  cli('info symbol $pc'),
  cli('info symbol &Account::opened'),
  cli('info line access.cpp:56'),
  '-symbol-list-lines access.cpp',
  cli('disassemble $pc,+6'),
];

async function session(which: 'gdb' | 'backstep', program: string, before: string[], bkpt: string, after: string[]): Promise<string[]> {
  const c = MiClient.start(which, [program]);
  try {
    await c.ready();
    let tok = 1;
    const out: string[] = [];
    const run = async (cmd: string) => {
      for (const l of await c.send(tok++, cmd)) if (comparable(l) && /^[~&^]/.test(l)) out.push(`${cmd} => ${normalize(l).replace(/^\d+/, '')}`);
    };
    for (const cmd of before) await run(cmd);
    await c.result(tok++, `-break-insert ${bkpt}`);
    const at = c.mark();
    await c.send(tok++, '-exec-run');
    await c.stoppedAndPrompt(at);
    for (const cmd of after) await run(cmd);
    return out;
  } finally {
    await c.close();
  }
}

describe('line tables, symbols and disassembly over MI, as gdb', () => {
  afterAll(() => expect(leftoverTracees()).toEqual([]));

  test('a C program before and after run', async () => {
    const g = await session('gdb', LOOP, LOOP_BEFORE, 'hot', LOOP_AFTER);
    const b = await session('backstep', LOOP, LOOP_BEFORE, 'hot', LOOP_AFTER);
    expect(b).toContain(`${cli('info line loop.c:12')} => ~"Line 12 of \\"/work/main/fixtures/src/loop.c\\" starts at address 0x115f <hot+22> and ends at 0x1164 <hot+27>.\\n"`.replace('/work/main', LOOP.replace(/\/fixtures\/bin\/loop$/, '')));
    expect(b.filter((l) => l.includes('in section .bss'))).toHaveLength(4);
    expect(b.some((l) => /0x0000555555555[0-9a-f]{3}/.test(l))).toBe(true);
    expect(b).toEqual(g);
  });

  test('a C++ program: linkage names in addresses, print names in info symbol', async () => {
    const g = await session('gdb', ACCESS, ACCESS_BEFORE, 'access.cpp:56', ACCESS_AFTER);
    const b = await session('backstep', ACCESS, ACCESS_BEFORE, 'access.cpp:56', ACCESS_AFTER);
    expect(b.some((l) => l.includes('<_ZNK5Mixed4peekEv>'))).toBe(true);
    expect(b.some((l) => l.includes('Account::opened in section .data'))).toBe(true);
    expect(b).toEqual(g);
  });
});
