// Children of a value for expandable views (DAP variables, MI -var-list-children), following gdb's
// varobj rules for C/C++: struct/union members (base classes first, C++ static members last),
// array elements (paged), the pointee of a pointer (for pointers to structs, the struct's members
// directly; none for void * and function pointers), and for references the referenced object's.

import type { StructType, Type } from '../../symbols/types';
import { typeName } from '../../symbols/types';
import type { ChildrenOptions, ValueChild } from './api';
import { arrayInfo, sizeOf, strip } from './type-util';
import { Value } from './value';
import { staticMemberValue } from './variables';

function isAggregate(t: Type): t is StructType {
  return t.kind === 'struct' || t.kind === 'class' || t.kind === 'union';
}

/** Wraps an expression in parentheses unless it is a simple access path. */
function paren(e: string): string {
  return /^[A-Za-z_$][\w$]*((\.|->|::)[A-Za-z_$~][\w$]*|\[[^\]]*\])*$/.test(e) ? e : `(${e})`;
}

/** The value a child list is taken from: references and pointers to aggregates are followed. */
function target(v: Value): { value: Value; viaPointer: boolean } | undefined {
  const t = strip(v.type);
  if (t.kind === 'reference' || t.kind === 'rvalue-reference') {
    if (v.syntheticTarget) return { value: v.syntheticTarget(), viaPointer: false };
    const addr = Number(v.asBigInt());
    return { value: Value.atAddress(t.target, addr, v.memory), viaPointer: false };
  }
  return { value: v, viaPointer: false };
}

export function childCount(v: Value): number {
  try {
    const tv = target(v);
    if (!tv) return 0;
    const t = strip(tv.value.type);
    if (isAggregate(t)) return t.bases.length + t.members.length + (t.statics?.length ?? 0);
    if (t.kind === 'array') {
      const info = arrayInfo(t)!;
      return info.length ?? 0;
    }
    if (t.kind === 'pointer') {
      const pt = strip(t.target);
      if (pt.kind === 'void' || pt.kind === 'function') return 0;
      if (isAggregate(pt)) return pt.bases.length + pt.members.length + (pt.statics?.length ?? 0);
      return 1;
    }
    return 0;
  } catch {
    return 0;
  }
}

export function hasChildren(v: Value): boolean {
  return childCount(v) > 0;
}

/**
 * The children of `v`, whose own expression is `expression`. Array elements are paged with
 * `start`/`count`. Never throws: a value that cannot be read still lists its children (their
 * values render as errors).
 */
export function children(v: Value, expression: string, opts: ChildrenOptions = {}): ValueChild[] {
  try {
    const tv = target(v);
    if (!tv) return [];
    const obj = tv.value;
    const t = strip(obj.type);
    if (isAggregate(t)) return structChildren(obj, t, (m) => `${paren(expression)}.${m}`, expression, opts);
    if (t.kind === 'array') {
      const info = arrayInfo(t)!;
      const len = info.length ?? 0;
      const start = Math.max(0, opts.start ?? 0);
      const end = Math.min(len, opts.count !== undefined ? start + opts.count : len);
      const out: ValueChild[] = [];
      for (let i = start; i < end; i++) {
        out.push({ name: `[${i}]`, index: i, value: obj.component(info.element, i * info.elementSize), expression: `${paren(expression)}[${i}]`, kind: 'element' });
      }
      return out;
    }
    if (t.kind === 'pointer') {
      const pt = strip(t.target);
      if (pt.kind === 'void' || pt.kind === 'function') return [];
      const addr = Number(obj.asBigInt());
      const pointee = obj.syntheticTarget ? obj.syntheticTarget() : Value.atAddress(t.target, addr, obj.memory);
      if (isAggregate(pt)) return structChildren(pointee, pt, (m) => `${paren(expression)}->${m}`, `*${paren(expression)}`, opts);
      return [{ name: `*${opts.name ?? expression}`, value: pointee, expression: `*${paren(expression)}`, kind: 'pointee' }];
    }
    return [];
  } catch {
    return [];
  }
}

function structChildren(obj: Value, t: StructType, memberExpr: (name: string) => string, objExpr: string, opts: ChildrenOptions): ValueChild[] {
  const out: ValueChild[] = [];
  for (const b of t.bases) {
    const bn = typeName(b.type);
    out.push({ name: bn, value: obj.component(b.type, b.offset ?? 0), expression: `((${bn})${paren(objExpr)})`, kind: 'base' });
  }
  t.members.forEach((m, i) => {
    const bf = m.bitSize !== undefined ? { bitOffset: (m.bitOffset ?? 0) - m.offset * 8, bitSize: m.bitSize } : undefined;
    const value = obj.component(m.type, m.offset, bf);
    if (m.name === undefined) {
      const mt = strip(m.type);
      const label = mt.kind === 'union' ? '<anonymous union>' : mt.kind === 'struct' || mt.kind === 'class' ? '<anonymous struct>' : `<anonymous ${i}>`;
      // The members of an anonymous struct/union are reached through the enclosing object.
      out.push({ name: label, value, expression: objExpr, kind: 'anonymous', access: m.access });
    } else out.push({ name: m.name, value, expression: memberExpr(m.name), kind: 'member', access: m.access });
  });
  for (const sm of t.statics ?? []) {
    let value: Value;
    try {
      value = staticMemberValue(t, sm, obj.memory?.modules, obj.memory);
    } catch (e) {
      value = Value.failed(sm.type, e instanceof Error ? e.message : String(e), obj.memory);
    }
    out.push({ name: sm.name, value, expression: `${t.name ?? ''}::${sm.name}`, kind: 'static', access: sm.access, position: sm.position });
  }
  void opts;
  void sizeOf;
  return out;
}
