// MI input parsing and output syntax, compared with stock gdb on the same input (no program running):
// unknown commands, bad options, unbalanced quotes, settings, CLI echo, error wording. Also the
// command line (--version, --args, -ex) and a few thousand random lines that must each get a result
// record while the interpreter keeps serving.
import { spawnSync } from 'child_process';
import { cstring, parseInput, splitArgs } from '../src/mi/syntax';
import { parseArgs, miVersion } from '../src/mi/args';
import { fixture } from './helpers';
import { BACKSTEP_GDB, MiClient, comparable, normalize } from './mi-client';

jest.setTimeout(60000);

/** Runs the same lines through gdb and backstep-gdb; returns both transcripts (results and streams). */
async function both(lines: string[], extra: string[] = []): Promise<{ gdb: string[][]; bs: string[][] }> {
  const out: { gdb: string[][]; bs: string[][] } = { gdb: [], bs: [] };
  for (const which of ['gdb', 'backstep'] as const) {
    const c = MiClient.start(which, extra);
    try {
      await c.ready();
      let tok = 1;
      for (const l of lines) out[which === 'gdb' ? 'gdb' : 'bs'].push((await c.send(tok++, l)).filter(comparable).map(normalize));
    } finally {
      await c.close();
    }
  }
  return out;
}

describe('MI syntax (unit)', () => {
  test('c-strings are escaped as gdb does', () => {
    expect(cstring('a"b\\c\n\t')).toBe('"a\\"b\\\\c\\n\\t"');
    expect(cstring('\x1b\x07\x01')).toBe('"\\e\\a\\001"');
    // Bytes >= 0x80 as three octal digits (UTF-8 encoded).
    expect(cstring('é')).toBe('"\\303\\251"');
  });

  test('input lines: tokens, CLI commands, global options', () => {
    expect(parseInput('0-gdb-show host-charset', () => true)).toMatchObject({ kind: 'mi', token: '0', operation: 'gdb-show', args: 'host-charset' });
    expect(parseInput('12p sum', () => true)).toEqual({ kind: 'cli', token: '12', command: 'p sum' });
    expect(parseInput('-stack-list-variables --thread 1 --frame 0 --simple-values', () => true)).toMatchObject({ thread: 1, frame: 0, args: '--simple-values' });
    expect(parseInput('-exec-continue --thread -1', () => true)).toMatchObject({ thread: undefined });
    expect(() => parseInput('7-a', (op) => op !== 'a')).toThrow('Undefined MI command: a');
    expect(splitArgs('a "b c" "d\\"e" \\n')).toEqual(['a', 'b c', 'd"e', '\\n']);
    expect(splitArgs('"abc')).toBeUndefined();
    expect(splitArgs('"a"b')).toBeUndefined();
  });

  test('command line: gdb flags', () => {
    const a = parseArgs(['--interpreter', 'mi', '-q', '-nx', '--tty=/dev/pts/3', '-ex', 'break main', '-iex', 'set pagination off', '--args', '/bin/prog', 'a', '-x']);
    expect(a).toMatchObject({ interpreter: 'mi', quiet: true, nx: true, tty: '/dev/pts/3', program: '/bin/prog', programArgs: ['a', '-x'] });
    expect(a.commands).toEqual([{ kind: 'command', value: 'break main' }]);
    expect(a.initCommands).toEqual([{ kind: 'command', value: 'set pagination off' }]);
    expect(parseArgs(['-p', '123']).pid).toBe(123);
    expect(parseArgs(['prog', '456']).pid).toBe(456);
    expect(miVersion('mi')).toBe(4);
    expect(miVersion('mi2')).toBe(2);
    expect(() => parseArgs(['--interpreter=mi9'])).toThrow("Interpreter `mi9' unrecognized");
  });

  test('--version starts with the line version parsers accept', () => {
    const out = spawnSync(process.execPath, [BACKSTEP_GDB, '--version'], { encoding: 'utf8' }).stdout;
    const first = out.split('\n')[0];
    // MIEngine's regular expression and cdt-gdb-adapter's.
    expect(/GNU gdb(?: \(GDB\))?(?: \(Cygwin [^)]*\)| \(Intel[^)]*\))? ([\d.]+)/.exec(first)?.[1]).toBe('13.1');
    expect(/ gdb( \(.*?\))? (\D* )*\(?(\d*(\.\d*)*)/.exec(first)?.[3]).toBe('13.1');
    expect(out).toMatch(/backstep/);
  });
});

describe('MI protocol against gdb 13', () => {
  test('errors and settings without a program match gdb byte for byte', async () => {
    const lines = [
      '-a',
      '-foo-bar',
      '-data-evaluate-expression "abc',
      '-break-insert "main',
      '-data-evaluate-expression "a"b',
      '-data-evaluate-expression a b',
      '-exec-next --thread 2',
      '-data-evaluate-expression --thread 3 1',
      '-list-features --frame 3',
      '-list-features --thread',
      '-gdb-show mi-async',
      '-gdb-set mi-async on',
      '-gdb-show mi-async',
      '-gdb-show foo',
      '-gdb-set pagination maybe',
      '-gdb-show pagination',
      '-gdb-show print elements',
      '-gdb-show host-charset',
      '-gdb-show disassembly-flavor',
      '-gdb-set disassembly-flavor foo',
      '-gdb-show stop-on-solib-events',
      '-gdb-show breakpoint pending',
      '-gdb-show non-stop',
      '-gdb-show language',
      '-gdb-set',
      '-list-target-features',
      '-interpreter-exec console "show architecture"',
      '-interpreter-exec console "show pagination"',
      '-interpreter-exec console "set pagination off"',
      '-interpreter-exec console "set pagination off"',
      '-interpreter-exec console "show print elements"',
      '-interpreter-exec console "set output-radix 16"',
      '-gdb-show output-radix',
      '-interpreter-exec console "nosuchcommand"',
      '-interpreter-exec console "echo a\\\\tb\\\\n"',
      '-interpreter-exec console "info checkpoints"',
      '-interpreter-exec console "checkpoint"',
      '-interpreter-exec console "restart"',
      '-interpreter-exec console "restart 9"',
      '-interpreter-exec console "delete checkpoint"',
      '-exec-continue',
      '-exec-run',
      '-stack-list-frames',
      '-stack-select-frame 1',
      '-thread-select 5',
      '-var-update 1 nosuch',
      '-var-delete nosuch',
      '-break-insert nosuchfunc',
      '-break-insert -f nosuchfunc',
      '-break-insert -t -r hot',
      '-break-list',
      '-break-info 1',
      '-break-condition 1 x > 1',
      '-break-after 1 2',
      '-break-disable 1',
      '-break-enable 1',
      '-break-delete 7',
      '-break-delete 1',
      '-thread-info',
      'show version',
      'p 1 + 2',
      '  p 3',
      '-gdb-show version',
      '-environment-cd /does/not/exist',
      '-file-exec-and-symbols /does/not/exist',
      '-target-select native',
      '-interpreter-exec console "kill"',
      '-data-list-register-values',
      '-info-gdb-mi-command break-insert',
      '-info-gdb-mi-command nosuch',
      '-exec-arguments a1 "a 2"',
      '-gdb-show args',
    ];
    // Not compared: the banner (distribution tag), and commands whose answer gdb computes from its
    // own build (p/print use gdb's evaluator without a program; both must still answer).
    const { gdb, bs } = await both(lines);
    const skip = new Set(['show version', '-gdb-show version', 'p 1 + 2', '  p 3']);
    const diffs: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (skip.has(lines[i])) {
        expect(bs[i][bs[i].length - 1]).toMatch(/^\d+\^done/);
        continue;
      }
      if (JSON.stringify(bs[i]) !== JSON.stringify(gdb[i])) diffs.push({ cmd: lines[i], backstep: bs[i], gdb: gdb[i] });
    }
    expect(diffs).toEqual([]);
  });

  test('a CLI command typed at the MI prompt is echoed on the log stream', async () => {
    const c = MiClient.start('backstep');
    try {
      await c.ready();
      expect(await c.send(5, 'p 1 + 2')).toEqual(['&"p 1 + 2\\n"', '~"$1 = 3\\n"', '5^done']);
      expect(await c.send(6, 'echo hi\\n')).toEqual(['&"echo hi\\\\n\\n"', '~"hi\\n"', '6^done']);
      // Prompt after every result.
      const i = c.lines.lastIndexOf('6^done');
      await c.waitFor((l) => l === '(gdb) ', 5000, i);
    } finally {
      await c.close();
    }
  });

  test('thousands of random lines each get a result record and the interpreter keeps serving', async () => {
    const c = MiClient.start('backstep', [fixture('demo')]);
    try {
      await c.ready();
      // Deterministic pseudo-random input mixing MI commands, options, quotes and garbage.
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const ops = ['-break-insert', '-var-create', '-var-update', '-data-evaluate-expression', '-stack-list-frames', '-thread-select', '-gdb-set', '-gdb-show', '-exec-next', '-data-read-memory-bytes', '-symbol-list-lines', '-list-features', '-break-delete', '-break-condition', '-var-list-children', '-data-disassemble', '-nosuch', 'info', 'print', 'frame', 'x/4x', 'list', 'bt', 'set var'];
      const words = ['main', '"', '""', '"a b"', '-f', '--thread', '1', '--frame', '0', '*', '-', '@', '0x0', '$pc', '--', '-s', '-e', 'var1', 'demo.c:5', '\\', '\\"', '{', '}', 'x', '--all', '99999999999999999999', '-1', '"unterminated', 'é', '\t'];
      const N = 2000;
      let text = '';
      for (let i = 0; i < N; i++) {
        let l = ops[rnd(ops.length)];
        const n = rnd(5);
        for (let j = 0; j < n; j++) l += ' ' + words[rnd(words.length)];
        text += `${100 + i}${l}\n`;
      }
      const from = c.mark();
      c.write(text);
      await c.waitFor((l) => l.startsWith(`${100 + N - 1}^`), 60000, from);
      const results = c.lines.slice(from).filter((l) => /^\d+\^/.test(l));
      const tokens = new Set(results.map((l) => Number(/^(\d+)/.exec(l)![1])));
      for (let i = 0; i < N; i++) expect(tokens.has(100 + i)).toBe(true);
      // Every result is one of gdb's result classes; errors carry a message.
      for (const r of results) expect(r).toMatch(/^\d+\^(done|error,msg="|running)/);
      // Still serving.
      expect(await c.result(1, '-gdb-show mi-async')).toBe('1^done,value="off"');
      expect(await c.result(2, '-list-features')).toMatch(/^2\^done,features=\["frozen-varobjs"/);
    } finally {
      await c.close();
    }
  });
});
