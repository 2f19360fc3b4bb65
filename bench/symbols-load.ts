// Measures SymbolFile on a generated multi-unit C program (~2 MB with -g): open, the first
// file:line lookup, pc -> line, the first name query (builds the name index), and type resolution.
// Usage: npx tsc -p tsconfig.json && node dist/bench/symbols-load.js [--units N] [--functions N]
// The program is generated and compiled into bench/bin/ (not committed) when missing.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SymbolFile } from '../src/symbols/symbol-file';
import { typeName } from '../src/symbols/types';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', 'bin', 'symbols-big');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const UNITS = arg('--units', 50);
const FUNCS = arg('--functions', 90);

/** One generated unit: a struct type, a file-level table, and FUNCS functions with locals and loops. */
function unitSource(u: number): string {
  const lines: string[] = [`/* generated unit ${u} */`, '#include "big.h"', ''];
  lines.push(`struct rec${u} { int id; double weight; const char *label; struct pair p[3]; unsigned flags : 5; };`);
  lines.push(`static struct rec${u} table${u}[8];`, `int counter${u};`, '');
  for (let f = 0; f < FUNCS; f++) {
    lines.push(`int u${u}_f${f}(int a, int b)`, '{');
    lines.push(`    struct rec${u} *r = &table${u}[(a + ${f}) & 7];`);
    lines.push('    int acc = pair_sum(&r->p[a & 1]);');
    lines.push(`    for (int i = 0; i < b; i++) {`);
    lines.push(`        acc += (i * ${f + 1}) ^ a;`);
    lines.push(`        if (acc > ${1000 + f}) acc -= b;`);
    lines.push('    }');
    lines.push(`    counter${u} += acc;`);
    lines.push(f > 0 ? `    return acc + u${u}_f${f - 1}(b, a & 3);` : '    return acc;');
    lines.push('}', '');
  }
  return lines.join('\n');
}

function build(): void {
  const dir = path.join(ROOT, 'bench', 'bin', 'symbols-big-src');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'big.h'),
    'struct pair { int left; int right; };\nstatic inline int pair_sum(const struct pair *p) { return p->left + p->right; }\n' +
      Array.from({ length: UNITS }, (_, u) => `int u${u}_f${FUNCS - 1}(int a, int b);`).join('\n') +
      '\n',
  );
  const sources: string[] = [];
  for (let u = 0; u < UNITS; u++) {
    const f = path.join(dir, `unit${u}.c`);
    fs.writeFileSync(f, unitSource(u));
    sources.push(f);
  }
  const main = path.join(dir, 'main.c');
  fs.writeFileSync(main, `#include "big.h"\nint main(int argc, char **argv)\n{\n    int t = 0;\n${Array.from({ length: UNITS }, (_, u) => `    t += u${u}_f${FUNCS - 1}(argc, 2);`).join('\n')}\n    return t & 1;\n}\n`);
  sources.push(main);
  execFileSync('gcc', ['-g', '-O0', '-o', OUT, ...sources], { stdio: 'inherit' });
}

function time<T>(label: string, fn: () => T, results: [string, number][]): T {
  const t0 = process.hrtime.bigint();
  const v = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  results.push([label, ms]);
  return v;
}

function main(): void {
  if (!fs.existsSync(OUT) || process.argv.includes('--rebuild')) build();
  const size = fs.statSync(OUT).size;
  const results: [string, number][] = [];
  const sf = time('SymbolFile.open', () => SymbolFile.open(OUT), results);
  const mid = Math.floor(UNITS / 2);
  const bp = time(`addressesForLine(unit${mid}.c:20) (first query)`, () => sf.addressesForLine(`unit${mid}.c`, 20), results);
  time('addressesForLine(big.h:2) (inline helper in every unit)', () => sf.addressesForLine('big.h', 2), results);
  time(`lineFor(${bp.addresses.length} address)`, () => sf.lineFor(bp.addresses[0]), results);
  const total = time('first functionByName (builds the name index)', () => sf.functionByName(`u${UNITS - 1}_f3`), results);
  time('functionByName (indexed)', () => sf.functionByName(`u0_f${FUNCS - 1}`), results);
  time('breakpointAddressForFunction', () => sf.breakpointAddressForFunction('main'), results);
  time('scopeAt', () => sf.scopeAt(bp.addresses[0]), results);
  time('type of every global', () => sf.globals().map((g) => typeName(sf.typeOf(g.die))), results);
  const text = sf.elf.sectionByName('.text')!;
  time('lineFor over .text (every 16 bytes)', () => {
    for (let a = text.addr; a < text.addr + text.size; a += 16) sf.lineFor(a);
  }, results);

  const openPlusLine = results[0][1] + results[1][1];
  console.log(`${path.relative(ROOT, OUT)}: ${(size / 1e6).toFixed(2)} MB, ${sf.dwarf.compileUnits().length} units, ${sf.functions().length} functions (found ${total?.name})`);
  for (const [label, ms] of results) console.log(`  ${label.padEnd(58)} ${ms.toFixed(2).padStart(8)} ms`);
  console.log(`  ${'open + first addressesForLine'.padEnd(58)} ${openPlusLine.toFixed(2).padStart(8)} ms`);
}

main();
