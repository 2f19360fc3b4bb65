// Value history ($1, $, $$, $$N) and convenience variables ($foo, $_, $_exitcode): one per session.

import { Value } from './value';

export class ValueStore {
  private readonly history: Value[] = [];
  private readonly vars = new Map<string, Value>();

  /** Appends a value to the history (its contents are fetched now, as gdb does) and returns its number. */
  record(v: Value): number {
    const snap = v.fetch();
    this.history.push(snap);
    return this.history.length;
  }

  /** Number of values in the history. */
  get length(): number {
    return this.history.length;
  }

  /** `$N` (absolute, 1-based). Undefined when out of range. */
  historyAt(n: number): Value | undefined {
    return n >= 1 && n <= this.history.length ? this.history[n - 1] : undefined;
  }

  /** `$` (back = 0), `$$` (back = 1), `$$N` (back = N), relative to the last value. */
  historyBack(back: number): Value | undefined {
    return this.historyAt(this.history.length - back);
  }

  convenience(name: string): Value | undefined {
    return this.vars.get(name);
  }

  /** Sets `$name` (name without the `$`). */
  setConvenience(name: string, v: Value): void {
    this.vars.set(name, v.fetch());
  }

  deleteConvenience(name: string): void {
    this.vars.delete(name);
  }

  convenienceNames(): string[] {
    return [...this.vars.keys()];
  }
}
