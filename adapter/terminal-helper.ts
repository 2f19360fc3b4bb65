#!/usr/bin/env node
// Runs in the terminal that the client opened for the program (DAP runInTerminal, console
// integratedTerminal/externalTerminal): `node dist/adapter/terminal-helper.js <socket>`.
//
// It connects back to the adapter over a Unix socket and reports its pid and terminal; the adapter
// opens the helper's stdin/stdout/stderr through /proc/<pid>/fd/{0,1,2} (the terminal itself, or
// whatever the client connected) and starts the program on them. The helper never reads its stdin (the
// program owns the terminal) and stays alive while the adapter keeps the connection open, so the
// terminal stays attached; it exits when the adapter closes the connection (the program ended) or
// when the adapter goes away.
import * as fs from 'fs';
import * as net from 'net';

function ttyName(fd: number): string | undefined {
  try {
    const p = fs.readlinkSync(`/proc/self/fd/${fd}`);
    return p.startsWith('/dev/') ? p : undefined;
  } catch {
    return undefined;
  }
}

function main(): void {
  const socketPath = process.argv[2];
  if (!socketPath) {
    process.stderr.write('usage: terminal-helper <socket>\n');
    process.exit(2);
  }
  const conn = net.createConnection(socketPath);
  conn.on('connect', () => {
    conn.write(JSON.stringify({ pid: process.pid, tty: ttyName(0) }) + '\n');
  });
  let buffered = '';
  conn.on('data', (d) => {
    // The adapter may send notes for the user (e.g. "Process exited with code 0").
    buffered += d.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const msg = JSON.parse(line) as { note?: string };
        if (msg.note) process.stderr.write(msg.note + '\n');
      } catch {
        /* not for us */
      }
    }
  });
  conn.on('error', (e) => {
    process.stderr.write(`backstep: cannot reach the debug adapter: ${e.message}\n`);
    process.exit(1);
  });
  conn.on('close', () => process.exit(0));
  // The program runs in its own process group, so Ctrl-C in this terminal reaches the helper (the
  // terminal's foreground group): pass it on as a request to interrupt the program, as gdb does.
  process.on('SIGINT', () => {
    if (!conn.destroyed) conn.write(JSON.stringify({ interrupt: true }) + '\n');
  });
}

main();
