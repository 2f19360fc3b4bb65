// gdb's `<symbol+offset>` labels for addresses (x command, disassembly operands), for code and data:
// the engine's value printer symbolizes a pointer as gdb's print_address_symbolic does, so a label is
// what printing `(void *) ADDR` shows. Cached per process (cleared when modules change).
import type { Engine } from '../src/engine';

export class Labeler {
  private readonly cache = new Map<number, string | null>();

  constructor(private readonly engine: () => Engine | undefined) {}

  clear(): void {
    this.cache.clear();
  }

  async label(addr: number): Promise<string | undefined> {
    const hit = this.cache.get(addr);
    if (hit !== undefined) return hit ?? undefined;
    const engine = this.engine();
    let label: string | undefined;
    if (engine) {
      try {
        const r = await engine.evaluate(`(void *) 0x${addr.toString(16)}`, { context: 'repl' });
        label = /<([^<>]+)>\s*$/.exec(r.value)?.[1];
      } catch {
        label = undefined;
      }
      if (!label) {
        try {
          const a = engine.addressInfo(addr);
          if (a.function) label = a.offset ? `${a.function}+${a.offset}` : a.function;
        } catch {
          label = undefined;
        }
      }
    }
    this.cache.set(addr, label ?? null);
    return label;
  }

  /** Labels of many addresses (deduplicated), as a synchronous resolver. */
  async resolver(addrs: Iterable<number>): Promise<(addr: number) => string | undefined> {
    const map = new Map<number, string | undefined>();
    for (const a of new Set(addrs)) map.set(a, await this.label(a));
    return (a) => map.get(a);
  }
}
