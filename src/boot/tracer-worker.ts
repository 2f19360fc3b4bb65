// The tracer worker's entry point when the front-end runs bundled (src/target/target.ts picks it):
// the worker's own bundle when up to date, else its modules.
import { runBundled } from './bundle';

if (!runBundled('tracer-worker')) require('../target/tracer-worker'); // eslint-disable-line @typescript-eslint/no-require-imports
