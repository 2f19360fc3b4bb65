// The MI front-end's disassembly (-data-disassemble, `x/i`, `disassemble`): gdb's lines from the
// engine's shared disassembler (src/engine/disasm.ts, the same one the DAP server uses). Loaded on
// first use: it pulls in the x86 decoder (iced-x86, WebAssembly, ~25 ms), which a session that never
// disassembles should not pay for at startup.
import type * as Disasm from '../engine/disasm';
export type { DisasmLine, Symbolizer } from '../engine/disasm';

let mod: typeof Disasm | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = (): typeof Disasm => (mod ??= require('../engine/disasm') as typeof Disasm);

export const decode: typeof Disasm.decode = (...a) => lib().decode(...a);
export const disassemble: typeof Disasm.disassemble = (...a) => lib().disassemble(...a);
