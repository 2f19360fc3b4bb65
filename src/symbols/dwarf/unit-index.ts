// Per-unit symbol index, built by one scan() over the unit's entries (no DIE tree is materialised):
// functions with code, CU/namespace-level variables, named types, inlined-subroutine instances, and
// whether any variable uses a location list (gdb's "locations valid" heuristic for prologue skipping).
// C++ names are qualified from the enclosing namespaces/classes; DIEs without a name get it through
// DW_AT_specification / DW_AT_abstract_origin.

import { DW_AT, DW_FORM, DW_TAG } from './constants';
import { Attribute } from './forms';
import { Range } from './ranges';
import { Die, EntryCursor, Unit } from './unit';

export interface IndexedFunction {
  /** Qualified name (`geo::Rect::area`; plain C names are unchanged). */
  name: string;
  /** DW_AT_name (`area`). */
  plainName: string;
  linkageName?: string;
  external: boolean;
  unit: Unit;
  offset: number;
  /** Code ranges in DW_AT_ranges order (the first one starts at the entry point). */
  ranges: Range[];
}

export interface IndexedVariable {
  name: string;
  plainName: string;
  linkageName?: string;
  external: boolean;
  unit: Unit;
  offset: number;
}

export interface IndexedInline {
  /** Qualified name of the inlined function. */
  name: string;
  plainName: string;
  unit: Unit;
  offset: number;
  ranges: Range[];
}

export interface IndexedType {
  name: string;
  tag: number;
  declaration: boolean;
  unit: Unit;
  offset: number;
}

export interface UnitIndex {
  functions: IndexedFunction[];
  variables: IndexedVariable[];
  inlines: IndexedInline[];
  types: IndexedType[];
  /** True when some variable or parameter has a location list (gdb's cu->has_loclist). */
  hasLoclist: boolean;
}

interface NameRec {
  name?: string;
  plain?: string;
  linkage?: string;
  external?: boolean;
  ref?: Attribute;
}

const SCOPE_TAGS = new Set<number>([DW_TAG.structure_type, DW_TAG.class_type, DW_TAG.union_type, DW_TAG.enumeration_type, DW_TAG.interface_type]);
const TYPE_TAGS = new Set<number>([...SCOPE_TAGS, DW_TAG.typedef, DW_TAG.base_type, DW_TAG.unspecified_type, DW_TAG.template_alias]);

function str(a: Attribute | undefined): string | undefined {
  return a && typeof a.value === 'string' ? a.value : undefined;
}

function flagOf(e: EntryCursor, name: number): boolean {
  if (!e.has(name)) return false;
  const v = e.value(name);
  return v === true || (typeof v === 'number' && v !== 0);
}

/** gdb's attribute::form_is_section_offset: a location given as a list rather than an expression. */
function isListLocation(a: Attribute | undefined): boolean {
  return !!a && (a.form === DW_FORM.sec_offset || a.form === DW_FORM.loclistx || a.form === DW_FORM.data4 || a.form === DW_FORM.data8);
}

export function indexUnit(unit: Unit): UnitIndex {
  const dwarf = unit.dwarf;
  const functions: (IndexedFunction & { rec: NameRec })[] = [];
  const variables: (IndexedVariable & { rec: NameRec })[] = [];
  const inlines: (IndexedInline & { origin: Attribute })[] = [];
  const types: (IndexedType & { rec: NameRec })[] = [];
  const names = new Map<number, NameRec>();
  const prefixAt: string[] = ['', ''];
  let fnDepth = -1;
  let hasLoclist = false;

  unit.scan((e) => {
    const d = e.depth;
    if (fnDepth >= 0 && d <= fnDepth) fnDepth = -1;
    const prefix = prefixAt[d] ?? '';
    let childPrefix = prefix;
    const tag = e.tag;
    if (tag === DW_TAG.namespace) {
      childPrefix = `${prefix}${str(e.attr(DW_AT.name)) ?? '(anonymous namespace)'}::`;
    } else if (TYPE_TAGS.has(tag)) {
      const rec = nameRec(e, prefix);
      if (rec.name !== undefined || rec.ref) {
        names.set(e.offset, rec);
        if (SCOPE_TAGS.has(tag) && rec.name !== undefined) childPrefix = `${rec.name}::`;
        if (fnDepth < 0) types.push({ name: '', tag, declaration: flagOf(e, DW_AT.declaration), unit, offset: e.offset, rec });
      }
    } else if (tag === DW_TAG.subprogram) {
      const rec = nameRec(e, prefix);
      names.set(e.offset, rec);
      if (e.has(DW_AT.low_pc) || e.has(DW_AT.ranges)) {
        const ranges = dwarf.dieRanges(e).filter((r) => r[0] !== 0);
        if (ranges.length) functions.push({ name: '', plainName: '', external: false, unit, offset: e.offset, ranges, rec });
      }
      if (fnDepth < 0) fnDepth = d;
    } else if (tag === DW_TAG.variable || tag === DW_TAG.formal_parameter) {
      if (e.has(DW_AT.location) && isListLocation(e.attr(DW_AT.location))) hasLoclist = true;
      if (tag === DW_TAG.variable && fnDepth < 0) {
        const rec = nameRec(e, prefix);
        names.set(e.offset, rec);
        if (!flagOf(e, DW_AT.declaration)) {
          variables.push({ name: '', plainName: '', external: false, unit, offset: e.offset, rec });
        }
      }
    } else if (tag === DW_TAG.inlined_subroutine) {
      const origin = e.attr(DW_AT.abstract_origin);
      const ranges = dwarf.dieRanges(e).filter((r) => r[0] !== 0);
      if (origin && ranges.length) inlines.push({ name: '', plainName: '', unit, offset: e.offset, ranges, origin });
    }
    prefixAt[d + 1] = childPrefix;
  });

  const resolve = (rec: NameRec, depth = 0): NameRec => {
    if (rec.name !== undefined || !rec.ref || depth > 8) return rec;
    const target = refRec(rec.ref, depth);
    return { ...target, linkage: rec.linkage ?? target.linkage, external: rec.external || target.external };
  };
  const refRec = (ref: Attribute, depth: number): NameRec => {
    const off = ref.value;
    if (typeof off !== 'number') return {};
    const local = ref.form !== DW_FORM.ref_addr || (off >= unit.dataStart && off < unit.end) ? names.get(off) : undefined;
    if (local) return resolve(local, depth + 1);
    const die = ref.form === DW_FORM.ref_addr ? dwarf.dieAt(off) : unit.dieAt(off);
    if (!die) return {};
    const q = qualifiedName(die);
    return q ? { name: q.name, plain: q.plain, external: die.flag(DW_AT.external) } : {};
  };
  for (const f of functions) {
    const r = resolve(f.rec);
    f.name = r.name ?? `<0x${f.offset.toString(16)}>`;
    f.plainName = r.plain ?? f.name;
    f.linkageName = r.linkage;
    f.external = !!r.external;
  }
  for (const v of variables) {
    const r = resolve(v.rec);
    v.name = r.name ?? `<0x${v.offset.toString(16)}>`;
    v.plainName = r.plain ?? v.name;
    v.linkageName = r.linkage;
    v.external = !!r.external;
  }
  for (const t of types) t.name = resolve(t.rec).name ?? '';
  for (const i of inlines) {
    const r = refRec(i.origin, 0);
    i.name = r.name ?? `<0x${i.offset.toString(16)}>`;
    i.plainName = r.plain ?? i.name;
  }
  return {
    functions: functions.map(({ rec: _r, ...f }) => f),
    variables: variables.map(({ rec: _r, ...v }) => v),
    inlines: inlines.map(({ origin: _o, ...i }) => i),
    types: types.filter((t) => t.name !== '').map(({ rec: _r, ...t }) => t),
    hasLoclist,
  };
}

function nameRec(e: EntryCursor, prefix: string): NameRec {
  const name = str(e.attr(DW_AT.name));
  const linkage = str(e.attr(DW_AT.linkage_name)) ?? str(e.attr(DW_AT.MIPS_linkage_name));
  const external = flagOf(e, DW_AT.external);
  // A definition placed outside its scope names its declaration with DW_AT_specification.
  const spec = e.attr(DW_AT.specification);
  if (spec) return { ref: spec, linkage, external };
  if (name !== undefined) return { name: prefix + name, plain: name, linkage, external };
  return { ref: e.attr(DW_AT.abstract_origin), linkage, external };
}

/**
 * Qualified name of a DIE from the tree (enclosing namespaces, classes, structs, unions), following
 * DW_AT_specification / DW_AT_abstract_origin for DIEs without a name.
 */
export function qualifiedName(die: Die): { name: string; plain: string } | undefined {
  let d: Die | undefined = die;
  for (let i = 0; d && i < 8; i++) {
    const plain = d.name;
    if (plain !== undefined && !d.has(DW_AT.specification)) {
      const parts: string[] = [plain];
      for (let p = d.parent; p; p = p.parent) {
        if (p.tag === DW_TAG.namespace) parts.unshift(p.name ?? '(anonymous namespace)');
        else if (SCOPE_TAGS.has(p.tag) && p.name !== undefined) parts.unshift(p.name);
        else if (p.tag === DW_TAG.subprogram || p.tag === DW_TAG.compile_unit || p.tag === DW_TAG.partial_unit || p.tag === DW_TAG.type_unit) break;
      }
      return { name: parts.join('::'), plain };
    }
    // References resolve through the target unit's tree, so the result has its parent links.
    d = d.ref(DW_AT.specification) ?? d.ref(DW_AT.abstract_origin);
  }
  return undefined;
}
