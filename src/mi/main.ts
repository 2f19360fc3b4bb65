#!/usr/bin/env node
// backstep-gdb's entry point: the bundled build when there is an up-to-date one (src/boot/bundle.ts),
// else the modules. The program itself is gdb-main.ts.
import { restoreEnvironment, runBundled } from '../boot/bundle';

restoreEnvironment();
if (!runBundled('backstep-gdb')) require('./gdb-main'); // eslint-disable-line @typescript-eslint/no-require-imports
