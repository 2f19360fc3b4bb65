import type { ChildrenOptions, ValueChild } from './api';
import { Value } from './value';
export function children(v: Value, expression: string, opts: ChildrenOptions = {}): ValueChild[] {
  void v; void expression; void opts;
  return [];
}
export function childCount(v: Value): number {
  void v;
  return 0;
}
export function hasChildren(v: Value): boolean {
  return childCount(v) > 0;
}
