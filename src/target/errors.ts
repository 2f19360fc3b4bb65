import * as fs from 'fs';
import * as path from 'path';

/** An error the user can act on (bad program path, unknown process, running inferior...). */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/**
 * Resolves and validates the program to launch: it must exist, be a regular file we may execute, and be
 * a 64-bit x86-64 ELF executable. Returns the absolute path. Errors say exactly what is wrong.
 */
export function checkExecutable(program: string): string {
  if (!program) throw new TargetError('No program given to launch.');
  let file = program;
  if (!program.includes('/')) {
    const found = (process.env.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => path.join(dir, program))
      .find((p) => fs.existsSync(p));
    file = found ?? path.resolve(program);
  } else {
    file = path.resolve(program);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new TargetError(`${program}: No such file or directory.`);
  }
  if (st.isDirectory()) throw new TargetError(`${program}: is a directory, not a program.`);
  if (!st.isFile()) throw new TargetError(`${program}: not a regular file.`);
  const head = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (n < 20 || head.readUInt32BE(0) !== 0x7f454c46) {
    throw new TargetError(`${program}: not in executable format: file format not recognized (not an ELF file).`);
  }
  if (head[4] !== 2 || head[5] !== 1 || head.readUInt16LE(18) !== 62) {
    throw new TargetError(`${program}: not a 64-bit little-endian x86-64 ELF file; backstep debugs x86-64 programs only.`);
  }
  const type = head.readUInt16LE(16);
  if (type !== 2 && type !== 3) throw new TargetError(`${program}: an ELF file but not an executable (type ${type}).`);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new TargetError(`${program}: Permission denied (not executable).`);
  }
  return file;
}
