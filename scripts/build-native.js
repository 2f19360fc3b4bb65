#!/usr/bin/env node
// Builds native-shims/libbackstep.so with the system C compiler. Runs on `npm install` and before
// `npm test`/`npm start`; rebuilds only when a source file is newer than the library.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', 'native-shims');
const out = path.join(dir, 'libbackstep.so');
const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => path.join(dir, f));
const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) process.exit(0);
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-fPIC', '-shared', '-o', out, ...sources], { stdio: 'inherit' });
} catch (e) {
  console.error(`backstep: building the native shim with '${cc}' failed; a C compiler is required (apt-get install gcc).`);
  process.exit(1);
}
