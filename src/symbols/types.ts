// Resolved type model built from type DIEs, and gdb-style type names (`whatis`) and descriptions
// (`ptype`). Types are cached per DIE; struct/union/class types are registered before their members
// are resolved, so self-referential types (struct node { struct node *next; }) work.

import { DW_AT, DW_ATE, DW_FORM, DW_LANG, DW_TAG } from './dwarf/constants';
import { isBlockForm } from './dwarf/forms';
import { Reader } from './reader';
import { Die, Unit } from './dwarf/unit';
import { qualifiedName } from './dwarf/unit-index';

export type BaseEncoding = 'signed' | 'unsigned' | 'signed-char' | 'unsigned-char' | 'float' | 'bool' | 'utf' | 'address' | 'complex' | 'decimal-float' | 'other';

export interface VoidType {
  kind: 'void';
}
export interface BaseType {
  kind: 'base';
  name: string;
  byteSize: number;
  encoding: BaseEncoding;
  /** DW_AT_bit_size of a base type (e.g. _BitInt), when set. */
  bitSize?: number;
}
export interface PointerType {
  kind: 'pointer' | 'reference' | 'rvalue-reference';
  target: Type;
  byteSize: number;
}
export interface QualifiedType {
  kind: 'const' | 'volatile' | 'restrict' | 'atomic';
  target: Type;
}
export interface TypedefType {
  kind: 'typedef';
  name: string;
  target: Type;
}
export interface Member {
  name?: string;
  type: Type;
  /** Byte offset of the member's storage from the start of the aggregate (0 for union members). */
  offset: number;
  /** For bit-fields: width in bits. */
  bitSize?: number;
  /** For bit-fields: offset in bits from the start of the aggregate (little-endian numbering). */
  bitOffset?: number;
  artificial: boolean;
  /** C++ access (DW_AT_accessibility, else DWARF's default for the containing type, as gdb decides it). */
  access?: Access;
}
/** C++ member access. */
export type Access = 'public' | 'private' | 'protected';
export interface BaseClass {
  type: Type;
  offset?: number;
  virtual: boolean;
}
export interface StructType {
  kind: 'struct' | 'class' | 'union';
  name?: string;
  byteSize: number;
  members: Member[];
  bases: BaseClass[];
  /** Only declared here (an incomplete type, or its definition lives elsewhere). */
  declaration: boolean;
  /** C++ (names print without the struct/class keyword). */
  cplus: boolean;
  /** C++ static data members (declarations inside the class), in declaration order. */
  statics?: StaticMember[];
}
export interface StaticMember {
  name: string;
  type: Type;
  /** The declaration DIE (its definition, if any, is a CU-level variable with DW_AT_specification to it). */
  die: Die;
  /** Number of (non-static) members declared before it, for printing in declaration order. */
  position: number;
  /** C++ access, as Member.access. */
  access?: Access;
}
export interface Enumerator {
  name: string;
  value: number | bigint;
}
export interface EnumType {
  kind: 'enum';
  name?: string;
  byteSize: number;
  enumerators: Enumerator[];
  signed: boolean;
  underlying?: Type;
  enumClass: boolean;
  declaration: boolean;
  cplus: boolean;
}
export interface ArrayType {
  kind: 'array';
  element: Type;
  /** Element count per dimension, outermost first; undefined = no bound (flexible/unknown). */
  dims: (number | undefined)[];
  /** GCC vector type (DW_AT_GNU_vector). */
  vector: boolean;
}
export interface FunctionType {
  kind: 'function';
  returnType: Type;
  params: Type[];
  varargs: boolean;
  prototyped: boolean;
}
export interface PtrToMemberType {
  kind: 'ptr-to-member';
  target: Type;
  containing?: Type;
}
export interface UnknownType {
  kind: 'unknown';
  name?: string;
  tag: number;
}

export type Type =
  | VoidType
  | BaseType
  | PointerType
  | QualifiedType
  | TypedefType
  | StructType
  | EnumType
  | ArrayType
  | FunctionType
  | PtrToMemberType
  | UnknownType;

export const VOID: VoidType = { kind: 'void' };

const ENCODINGS: Record<number, BaseEncoding> = {
  [DW_ATE.signed]: 'signed',
  [DW_ATE.unsigned]: 'unsigned',
  [DW_ATE.signed_char]: 'signed-char',
  [DW_ATE.unsigned_char]: 'unsigned-char',
  [DW_ATE.float]: 'float',
  [DW_ATE.boolean]: 'bool',
  [DW_ATE.UTF]: 'utf',
  [DW_ATE.address]: 'address',
  [DW_ATE.complex_float]: 'complex',
  [DW_ATE.decimal_float]: 'decimal-float',
};

function isCplus(unit: Unit): boolean {
  const l = unit.language;
  return l === DW_LANG.C_plus_plus || l === DW_LANG.C_plus_plus_03 || l === DW_LANG.C_plus_plus_11 || l === DW_LANG.C_plus_plus_14 || l === 0x2b /* C_plus_plus_17 */ || l === 0x2c /* C_plus_plus_20 */;
}

/** Resolves type DIEs to Type objects, caching per DIE. */
export class TypeResolver {
  private readonly cache = new Map<Unit, Map<number, Type>>();
  private readonly inProgress = new Set<Die>();

  resolve(die: Die | undefined): Type {
    if (!die) return VOID;
    let m = this.cache.get(die.unit);
    if (!m) {
      m = new Map();
      this.cache.set(die.unit, m);
    }
    const hit = m.get(die.offset);
    if (hit) return hit;
    if (this.inProgress.has(die)) return { kind: 'unknown', name: die.name, tag: die.tag }; // a cycle not broken by an aggregate
    this.inProgress.add(die);
    try {
      const t = this.build(die, m);
      m.set(die.offset, t);
      return t;
    } finally {
      this.inProgress.delete(die);
    }
  }

  private target(die: Die): Type {
    return this.resolve(declaredType(die));
  }

  private build(die: Die, cache: Map<number, Type>): Type {
    switch (die.tag) {
      case DW_TAG.base_type:
        return {
          kind: 'base',
          name: canonicalBaseName(die.name ?? '<unnamed>'),
          byteSize: die.num(DW_AT.byte_size) ?? 0,
          encoding: ENCODINGS[die.num(DW_AT.encoding) ?? -1] ?? 'other',
          ...(die.has(DW_AT.bit_size) ? { bitSize: die.num(DW_AT.bit_size) } : {}),
        };
      case DW_TAG.unspecified_type:
        return die.name === 'void' || die.name === undefined ? VOID : { kind: 'unknown', name: die.name, tag: die.tag };
      case DW_TAG.pointer_type:
        return { kind: 'pointer', target: this.target(die), byteSize: die.num(DW_AT.byte_size) ?? die.unit.addressSize };
      case DW_TAG.reference_type:
        return { kind: 'reference', target: this.target(die), byteSize: die.num(DW_AT.byte_size) ?? die.unit.addressSize };
      case DW_TAG.rvalue_reference_type:
        return { kind: 'rvalue-reference', target: this.target(die), byteSize: die.num(DW_AT.byte_size) ?? die.unit.addressSize };
      case DW_TAG.const_type:
        return qualify('const', this.target(die));
      case DW_TAG.volatile_type:
        return qualify('volatile', this.target(die));
      case DW_TAG.restrict_type:
        return { kind: 'restrict', target: this.target(die) };
      case DW_TAG.atomic_type:
        return { kind: 'atomic', target: this.target(die) };
      case DW_TAG.typedef:
        return { kind: 'typedef', name: typeDieName(die, isCplus(die.unit)) ?? '<unnamed>', target: this.target(die) };
      case DW_TAG.structure_type:
      case DW_TAG.class_type:
      case DW_TAG.union_type:
        return this.aggregate(die, cache);
      case DW_TAG.enumeration_type:
        return this.enumeration(die);
      case DW_TAG.array_type:
        return this.array(die);
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram:
        return this.func(die);
      case DW_TAG.ptr_to_member_type:
        return { kind: 'ptr-to-member', target: this.target(die), containing: die.has(DW_AT.containing_type) ? this.resolve(die.ref(DW_AT.containing_type)) : undefined };
      default:
        return { kind: 'unknown', name: die.name, tag: die.tag };
    }
  }

  private aggregate(die: Die, cache: Map<number, Type>): StructType {
    // A declaration with DW_AT_signature refers to the definition in a type unit.
    if (die.flag(DW_AT.declaration) && die.has(DW_AT.signature)) {
      const def = die.ref(DW_AT.signature);
      if (def && def !== die) {
        const t = this.resolve(def);
        if (t.kind === 'struct' || t.kind === 'class' || t.kind === 'union') return t;
      }
    }
    const t: StructType = {
      kind: die.tag === DW_TAG.union_type ? 'union' : die.tag === DW_TAG.class_type ? 'class' : 'struct',
      name: typeDieName(die, isCplus(die.unit)),
      byteSize: die.num(DW_AT.byte_size) ?? 0,
      members: [],
      bases: [],
      declaration: die.flag(DW_AT.declaration),
      cplus: isCplus(die.unit),
    };
    cache.set(die.offset, t);
    for (const c of die.children) {
      if (c.tag === DW_TAG.member || c.tag === DW_TAG.variable) {
        if (c.flag(DW_AT.declaration) || c.flag(DW_AT.external) || (c.tag === DW_TAG.variable && t.cplus)) {
          // static data member
          if (c.name !== undefined) (t.statics ??= []).push({ name: c.name, type: this.target(c), die: c, position: t.members.length, access: memberAccess(c, die) });
          continue;
        }
        const m = this.member(c, t.kind === 'union');
        m.access = memberAccess(c, die);
        t.members.push(m);
      } else if (c.tag === DW_TAG.inheritance) {
        t.bases.push({ type: this.target(c), offset: memberLocation(c), virtual: (c.num(DW_AT.virtuality) ?? 0) !== 0 });
      }
    }
    return t;
  }

  private member(c: Die, inUnion: boolean): Member {
    const type = this.target(c);
    const offset = memberLocation(c) ?? 0;
    const m: Member = { name: c.name, type, offset: inUnion && !c.has(DW_AT.data_member_location) ? 0 : offset, artificial: c.flag(DW_AT.artificial) };
    const bitSize = c.num(DW_AT.bit_size);
    if (bitSize !== undefined) {
      m.bitSize = bitSize;
      const dataBit = c.num(DW_AT.data_bit_offset);
      if (dataBit !== undefined) {
        m.bitOffset = dataBit;
      } else {
        // DWARF 2/3 DW_AT_bit_offset counts from the most significant bit of the storage unit.
        const storage = c.num(DW_AT.byte_size) ?? byteSizeOf(type);
        const bitOff = c.num(DW_AT.bit_offset) ?? 0;
        m.bitOffset = offset * 8 + storage * 8 - bitOff - bitSize;
      }
      m.offset = Math.floor(m.bitOffset / 8);
    }
    return m;
  }

  private enumeration(die: Die): EnumType | StructType {
    if (die.flag(DW_AT.declaration) && die.has(DW_AT.signature)) {
      const def = die.ref(DW_AT.signature);
      if (def && def !== die) {
        const t = this.resolve(def);
        if (t.kind === 'enum') return t;
      }
    }
    const underlying = die.has(DW_AT.type) ? this.target(die) : undefined;
    const ub = underlying ? stripTypedefs(underlying) : undefined;
    const byteSize = die.num(DW_AT.byte_size) ?? (ub ? byteSizeOf(ub) : 4);
    const values = die.children.filter((c) => c.tag === DW_TAG.enumerator).map((c) => ({ name: c.name ?? '', attr: c.attr(DW_AT.const_value) }));
    // Without an underlying type, a negative DW_FORM_sdata value marks the enum as signed.
    const signed = ub ? ub.kind === 'base' && (ub.encoding === 'signed' || ub.encoding === 'signed-char') : values.some((v) => v.attr?.form === DW_FORM.sdata && Number(v.attr.value) < 0);
    const enumerators: Enumerator[] = values.map(({ name, attr }) => {
      let value: number | bigint = attr && (typeof attr.value === 'number' || typeof attr.value === 'bigint') ? attr.value : 0;
      // Fixed-size forms carry the value's bits: sign-extend them for a signed enum.
      const bits = attr ? ({ [DW_FORM.data1]: 8, [DW_FORM.data2]: 16, [DW_FORM.data4]: 32, [DW_FORM.data8]: 64 } as Record<number, number>)[attr.form] : undefined;
      if (signed && bits) {
        const v = BigInt.asIntN(bits, BigInt(value));
        value = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      return { name, value };
    });
    return {
      kind: 'enum',
      name: typeDieName(die, isCplus(die.unit)),
      byteSize,
      enumerators,
      signed,
      underlying,
      enumClass: die.flag(DW_AT.enum_class),
      declaration: die.flag(DW_AT.declaration),
      cplus: isCplus(die.unit),
    };
  }

  private array(die: Die): ArrayType {
    const element = this.target(die);
    const dims: (number | undefined)[] = [];
    for (const c of die.children) {
      if (c.tag !== DW_TAG.subrange_type && c.tag !== DW_TAG.enumeration_type) continue;
      if (c.tag === DW_TAG.enumeration_type) {
        dims.push(c.children.filter((e) => e.tag === DW_TAG.enumerator).length);
        continue;
      }
      const count = constantOf(c, DW_AT.count);
      const upper = constantOf(c, DW_AT.upper_bound);
      const lower = constantOf(c, DW_AT.lower_bound) ?? 0;
      if (count !== undefined) dims.push(count);
      else if (upper !== undefined) dims.push(upper - lower + 1);
      else dims.push(undefined);
    }
    if (!dims.length) dims.push(undefined);
    return { kind: 'array', element, dims, vector: die.flag(DW_AT.GNU_vector) };
  }

  private func(die: Die): FunctionType {
    const params: Type[] = [];
    let varargs = false;
    for (const c of die.children) {
      if (c.tag === DW_TAG.formal_parameter) params.push(this.target(c));
      else if (c.tag === DW_TAG.unspecified_parameters) varargs = true;
    }
    // A concrete instance (DW_AT_abstract_origin) or a definition (DW_AT_specification) may carry
    // no parameter list of its own: use the declaration's.
    let proto = die;
    for (let i = 0; i < 8 && !proto.children.some((c) => c.tag === DW_TAG.formal_parameter || c.tag === DW_TAG.unspecified_parameters); i++) {
      const next = proto.ref(DW_AT.abstract_origin) ?? proto.ref(DW_AT.specification);
      if (!next) break;
      proto = next;
    }
    if (proto !== die) return this.func(proto);
    const prototyped = die.flag(DW_AT.prototyped) || isCplus(die.unit) || !!(die.ref(DW_AT.abstract_origin) ?? die.ref(DW_AT.specification))?.flag(DW_AT.prototyped);
    return { kind: 'function', returnType: this.target(die), params, varargs, prototyped };
  }
}

/**
 * gdb's spelling of C integer type names: GCC's `long unsigned int`, `short int`, `long long int`
 * are printed `unsigned long`, `short`, `long long` (gdb canonicalises them as C++ names).
 */
export function canonicalBaseName(name: string): string {
  const words = name.split(/\s+/);
  if (words.length < 2 || !words.every((w) => ['unsigned', 'signed', 'long', 'short', 'int', 'char'].includes(w))) return name;
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count('unsigned') > 0;
  const signed = count('signed') > 0;
  if (count('char')) return unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
  const core = count('short') ? 'short' : count('long') >= 2 ? 'long long' : count('long') === 1 ? 'long' : 'int';
  return unsigned ? `unsigned ${core}` : core;
}

/**
 * A cv-qualified type. As in C (6.7.3) and gdb's DWARF reader, qualifying an array qualifies its
 * elements: `const char [22]` is an array of const char, and `&x` is `const char (*)[22]`.
 */
function qualify(kind: 'const' | 'volatile', target: Type): Type {
  if (target.kind === 'array') return { ...target, element: qualify(kind, target.element) };
  return { kind, target };
}

/**
 * The DW_AT_type of a DIE, following DW_AT_abstract_origin (concrete instances of inlined or
 * out-of-line functions and their parameters) and DW_AT_specification (C++ definitions of declared
 * members and namespace variables). Undefined means void.
 */
export function declaredType(die: Die): Die | undefined {
  let d: Die | undefined = die;
  for (let i = 0; d && i < 8; i++) {
    if (d.has(DW_AT.type)) return d.type();
    d = d.ref(DW_AT.abstract_origin) ?? d.ref(DW_AT.specification);
  }
  return undefined;
}

/** Name of an aggregate/enum/typedef: qualified with namespaces and classes in C++. */
function typeDieName(die: Die, cplus: boolean): string | undefined {
  const name = die.name;
  if (name === undefined || !cplus) return name;
  return qualifiedName(die)?.name ?? name;
}

/** A constant bound/count attribute (exprloc or reference bounds are dynamic: undefined). */
function constantOf(d: Die, name: number): number | undefined {
  const a = d.attr(name);
  if (!a || typeof a.value !== 'number' || isBlockForm(a.form)) return undefined;
  if (a.form >= 0x10 && a.form <= 0x15) return undefined; // reference to a variable holding the bound
  return a.value;
}

/** DW_AT_data_member_location as a byte offset: a constant, or a DWARF 2 `DW_OP_plus_uconst N` block. */
function memberLocation(d: Die): number | undefined {
  const a = d.attr(DW_AT.data_member_location);
  if (!a) return undefined;
  if (typeof a.value === 'number') return a.value;
  if (Buffer.isBuffer(a.value)) {
    const r = new Reader(a.value, 'DW_AT_data_member_location');
    if (r.remaining > 0 && r.u8() === 0x23) {
      const v = r.uleb();
      if (r.atEnd) return v;
    }
  }
  return undefined;
}

/** Remove typedefs and cv-qualifiers. */
export function stripTypedefs(t: Type): Type {
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'atomic') t = t.target;
  return t;
}

/** Size in bytes of a value of type t (0 when unknown, e.g. void or a flexible array). */
export function byteSizeOf(t: Type): number {
  switch (t.kind) {
    case 'base':
    case 'pointer':
    case 'reference':
    case 'rvalue-reference':
    case 'struct':
    case 'class':
    case 'union':
    case 'enum':
      return t.byteSize;
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'atomic':
    case 'typedef':
      return byteSizeOf(t.target);
    case 'array': {
      let n = byteSizeOf(t.element);
      for (const d of t.dims) {
        if (d === undefined) return 0;
        n *= d;
      }
      return n;
    }
    case 'ptr-to-member':
      return 8;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------- names, as gdb prints them

function aggregateName(t: StructType | EnumType): string {
  const kw = t.kind === 'enum' ? 'enum' : t.kind === 'class' ? 'class' : t.kind;
  if (t.name === undefined) return `${kw} {...}`;
  return t.cplus ? t.name : `${kw} ${t.name}`;
}

function join(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}

function qualifiers(t: Type): { quals: string[]; rest: Type } {
  const quals: string[] = [];
  while (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'atomic') {
    const q = t.kind === 'atomic' ? '_Atomic' : t.kind;
    if (!quals.includes(q)) quals.push(q);
    t = t.target;
  }
  // gdb prints "const volatile" in that order.
  quals.sort((a, b) => ['const', 'volatile', 'restrict', '_Atomic'].indexOf(a) - ['const', 'volatile', 'restrict', '_Atomic'].indexOf(b));
  return { quals, rest: t };
}

function paramList(t: FunctionType): string {
  const ps = t.params.map((p) => typeName(p));
  if (t.varargs) ps.push('...');
  if (!ps.length) return t.prototyped ? 'void' : '';
  return ps.join(', ');
}

function render(t: Type, inner: string): string {
  switch (t.kind) {
    case 'void':
      return join('void', inner);
    case 'base':
    case 'typedef':
      return join(t.name, inner);
    case 'unknown':
      return join(t.name ?? '<unknown type>', inner);
    case 'struct':
    case 'class':
    case 'union':
    case 'enum':
      return join(aggregateName(t), inner);
    case 'pointer':
    case 'reference':
    case 'rvalue-reference': {
      const sym = t.kind === 'pointer' ? '*' : t.kind === 'reference' ? '&' : '&&';
      const target = t.target;
      const wrap = target.kind === 'array' || target.kind === 'function';
      return render(target, wrap ? `(${sym}${inner})` : `${sym}${inner}`);
    }
    case 'ptr-to-member': {
      const cls = t.containing ? typeName(t.containing) : '';
      const wrap = t.target.kind === 'function';
      return render(t.target, wrap ? `(${cls}::*${inner})` : `${cls}::*${inner}`);
    }
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'atomic': {
      const { quals, rest } = qualifiers(t);
      const q = quals.join(' ');
      if (rest.kind === 'pointer' || rest.kind === 'reference' || rest.kind === 'rvalue-reference') {
        const sym = rest.kind === 'pointer' ? '*' : rest.kind === 'reference' ? '&' : '&&';
        const wrap = rest.target.kind === 'array' || rest.target.kind === 'function';
        const decl = `${sym} ${q}${inner ? ' ' + inner : ''}`;
        return render(rest.target, wrap ? `(${decl})` : decl);
      }
      return `${q} ${render(rest, inner)}`;
    }
    case 'array': {
      const suffix = t.dims.map((d) => `[${d ?? ''}]`).join('');
      if (t.vector) return render(t.element, `${inner ? inner + ' ' : ''}__attribute__ ((vector_size(${t.dims[0] ?? 0})))`);
      return render(t.element, `${inner}${suffix}`);
    }
    case 'function':
      return render(t.returnType, `${inner}(${paramList(t)})`);
  }
}

/** The type's name as gdb's `whatis` prints it: `struct shape *`, `int [2][3]`, `int (*)(int, int)`. */
export function typeName(t: Type): string {
  return render(t, '');
}

/**
 * Members and enumerators spelled out, as gdb's `ptype` prints C types (c_type_print_base with `show`
 * 1): one level deep, anonymous members expanded one level more (deeper ones `struct {...}`).
 */
export function ptype(t: Type, indent = '', show = 1): string {
  let s = t;
  while (s.kind === 'typedef') s = s.target;
  const { quals, rest } = qualifiers(s);
  const prefix = quals.length ? quals.join(' ') + ' ' : '';
  if (rest.kind === 'enum') {
    const parts: string[] = [];
    let next: number | bigint = 0;
    for (const e of rest.enumerators) {
      parts.push(e.value == next ? e.name : `${e.name} = ${e.value}`);
      next = typeof e.value === 'bigint' ? e.value + 1n : e.value + 1;
    }
    return `${prefix}enum ${rest.name !== undefined ? rest.name + ' ' : ''}{${parts.join(', ')}}`;
  }
  if (rest.kind === 'struct' || rest.kind === 'class' || rest.kind === 'union') {
    const lines = [`${prefix}${rest.kind}${rest.name !== undefined ? ' ' + rest.name : ''} {`];
    for (const m of rest.members) {
      const mt = m.type;
      const anonymous = (mt.kind === 'struct' || mt.kind === 'union' || mt.kind === 'enum') && mt.name === undefined && show - 1 >= 0;
      const body = anonymous ? `${ptype(mt, indent + '    ', show - 1)}${m.name !== undefined ? ' ' + m.name : ''}` : render(mt, m.name ?? '');
      lines.push(`${indent}    ${body}${m.bitSize !== undefined ? ` : ${m.bitSize}` : ''};`);
    }
    lines.push(`${indent}}`);
    return lines.join('\n');
  }
  return typeName(s);
}

/**
 * A member's C++ access: DW_AT_accessibility (1 public, 2 protected, 3 private), else the default gdb's
 * dwarf2_default_access_attribute gives: DWARF 2 public; DWARF 3+ private in a class, public in a
 * struct or union.
 */
function memberAccess(c: Die, parent: Die): Access {
  const a = c.num(DW_AT.accessibility);
  if (a === 1) return 'public';
  if (a === 2) return 'protected';
  if (a === 3) return 'private';
  if (c.unit.version < 3) return 'public';
  return parent.tag === DW_TAG.class_type ? 'private' : 'public';
}
