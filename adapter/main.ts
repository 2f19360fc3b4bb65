#!/usr/bin/env node
// backstep-dap's entry point: the bundled build when there is an up-to-date one (src/boot/bundle.ts),
// else the modules. The adapter's command line and transports are in dap.ts.
import { restoreEnvironment, runBundled } from '../src/boot/bundle';

restoreEnvironment();
if (!runBundled('backstep-dap')) (require('./dap') as typeof import('./dap')).main(); // eslint-disable-line @typescript-eslint/no-require-imports
