// The MI front-end's disassembly (-data-disassemble, `x/i`, `disassemble`): gdb's lines from the
// engine's shared disassembler (src/engine/disasm.ts, the same one the DAP server uses).
export { decode, disassemble } from '../engine/disasm';
export type { DisasmLine, Symbolizer } from '../engine/disasm';
