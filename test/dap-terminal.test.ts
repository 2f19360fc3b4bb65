// Where the program's stdio goes: console integratedTerminal (the adapter sends runInTerminal; the test
// client plays the terminal by running the requested command with pipes and typing into it), stdio
// redirection to files, and the internal console (output events). The echo fixture upper-cases its
// input, reports the line count on stderr and exits with 3.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from './dap-client';
import { fixture, waitUntil } from './helpers';

jest.setTimeout(60000);

const ECHO = fixture('echo');

describe('DAP program stdio', () => {
  test('integratedTerminal: runInTerminal runs the helper in a terminal; the program reads and writes it', async () => {
    const native = spawnSync(ECHO, { input: 'hello\nterminal world\n', encoding: 'utf8' });
    const c = new Client();
    let term: ChildProcess | undefined;
    let screen = '';
    let request: { kind?: string; args?: string[]; cwd?: string; title?: string } = {};
    c.onReverseRequest('runInTerminal', (args) => {
      request = args;
      // The test plays the terminal: util-linux script(1) runs the command on a new pty.
      const cmd = (args.args as string[]).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      term = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: args.cwd, stdio: ['pipe', 'pipe', 'ignore'] });
      term.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
      return { processId: term.pid };
    });
    await c.start();
    try {
      await c.launchWith({ program: ECHO, console: 'integratedTerminal', cwd: os.tmpdir() }, undefined, { supportsRunInTerminalRequest: true });
      expect(request.kind).toBe('integrated');
      expect(request.cwd).toBe(os.tmpdir());
      expect(path.basename(request.args![1])).toBe('terminal-helper.js');
      // Type two lines, then end of input (Ctrl-D at the start of a line).
      term!.stdin!.write('hello\nterminal world\n');
      await waitUntil(() => screen.includes('TERMINAL WORLD'), 10000, 'the program to answer in the terminal');
      term!.stdin!.write('\x04');
      const exited = await c.nextEvent('exited', () => true, 15000, 0);
      expect(exited.body.exitCode).toBe(native.status);
      await waitUntil(() => screen.includes('[program exited with code 3]'), 5000, 'the exit note in the terminal');
      // The terminal shows the echo of what was typed and the program's output (CRLF on a tty).
      const lines = screen.replace(/\r\n/g, '\n');
      for (const l of native.stdout.split('\n').filter(Boolean)) expect(lines).toContain(l + '\n');
      expect(lines).toContain(native.stderr);
      // Nothing of the program went to the debug console.
      expect(c.stdoutText).toBe('');
      expect(c.stderrText).toBe('');
    } finally {
      await c.finish();
    }
    // The adapter closed its connection: the helper (the terminal's command) has ended.
    if (term!.exitCode === null) await new Promise((r) => term!.once('exit', r));
    expect(term!.exitCode).toBe(0);
  });

  test('a client without runInTerminal gets a clear error for console integratedTerminal', async () => {
    const c = new Client();
    await c.start();
    try {
      await expect(c.launchWith({ program: ECHO, console: 'integratedTerminal' })).rejects.toThrow(/cannot run programs in a terminal/);
    } finally {
      await c.finish();
    }
  });

  test('stdio redirection to files (CodeLLDB style), stderr to the debug console', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dap-stdio-'));
    try {
      fs.writeFileSync(path.join(dir, 'in.txt'), 'abc\ndef\n');
      const native = spawnSync(ECHO, { input: 'abc\ndef\n', encoding: 'utf8' });
      const c = new Client();
      await c.start();
      try {
        await c.launchWith({ program: ECHO, cwd: dir, stdio: ['in.txt', 'out.txt', null] });
        const exited = await c.nextEvent('exited', () => true, 15000, 0);
        expect(exited.body.exitCode).toBe(native.status);
        expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe(native.stdout);
        expect(c.stderrText).toBe(native.stderr);
        expect(c.stdoutText).toBe('');
      } finally {
        await c.finish();
      }
      // stdout and stderr to one file: both land there, neither overwrites the other.
      const c3 = new Client();
      await c3.start();
      try {
        await c3.launchWith({ program: ECHO, cwd: dir, stdio: { stdin: 'in.txt', stdout: 'both.txt', stderr: 'both.txt' } });
        await c3.nextEvent('exited', () => true, 15000, 0);
        expect(fs.readFileSync(path.join(dir, 'both.txt'), 'utf8')).toBe(native.stdout + native.stderr);
      } finally {
        await c3.finish();
      }
      // A redirection that cannot be opened is a launch error.
      const c2 = new Client();
      await c2.start();
      try {
        await expect(c2.launchWith({ program: ECHO, cwd: dir, stdio: { stdin: 'missing.txt' } })).rejects.toThrow(/stdin redirection .*missing\.txt.*No such file/);
      } finally {
        await c2.finish();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('internal console: stdout and stderr as output events, in order, before exited', async () => {
    const c = new Client();
    await c.start();
    try {
      await c.launchWith({ program: ECHO, args: [] });
      const exited = await c.nextEvent('exited', () => true, 15000, 0);
      // stdin is /dev/null: no lines.
      expect(exited.body.exitCode).toBe(3);
      expect(c.stderrText).toBe('lines=0\n');
      const idx = c.events.findIndex((e) => e.event === 'output' && e.body.category === 'stderr');
      expect(idx).toBeGreaterThanOrEqual(0);
      expect(idx).toBeLessThan(c.events.findIndex((e) => e.seq === exited.seq));
    } finally {
      await c.finish();
    }
  });
});
