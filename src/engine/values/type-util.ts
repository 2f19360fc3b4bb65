// Small helpers over the symbols Type model used by values, formatting and the evaluator.

import { byteSizeOf, stripTypedefs, Type, BaseType, StructType, EnumType, PointerType, ArrayType, FunctionType, typeName } from '../../symbols/types';

export { byteSizeOf, stripTypedefs, typeName };

/** The type without typedefs and qualifiers. */
export function strip(t: Type): Type {
  return stripTypedefs(t);
}

export function sizeOf(t: Type): number {
  return byteSizeOf(t);
}

export function isIntegral(t: Type): boolean {
  const s = strip(t);
  if (s.kind === 'enum') return true;
  if (s.kind !== 'base') return false;
  return s.encoding !== 'float' && s.encoding !== 'complex' && s.encoding !== 'decimal-float';
}

export function isFloat(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'base' && (s.encoding === 'float' || s.encoding === 'decimal-float');
}

export function isArithmetic(t: Type): boolean {
  return isIntegral(t) || isFloat(t);
}

export function isPointer(t: Type): t is PointerType {
  return strip(t).kind === 'pointer';
}

export function isReference(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'reference' || s.kind === 'rvalue-reference';
}

export function isScalar(t: Type): boolean {
  const s = strip(t);
  return isArithmetic(s) || s.kind === 'pointer' || s.kind === 'ptr-to-member';
}

export function isAggregate(t: Type): t is StructType {
  const s = strip(t);
  return s.kind === 'struct' || s.kind === 'class' || s.kind === 'union';
}

/** Signedness of an integer-like type (pointers are unsigned). */
export function isSigned(t: Type): boolean {
  const s = strip(t);
  if (s.kind === 'enum') return s.signed;
  if (s.kind === 'base') return s.encoding === 'signed' || s.encoding === 'signed-char' || s.encoding === 'float';
  return false;
}

export function isBool(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'base' && s.encoding === 'bool';
}

/** A character type: char, signed/unsigned char, char8/16/32_t, wchar_t. */
export function isCharType(t: Type): boolean {
  const s = strip(t);
  if (s.kind !== 'base') return false;
  if (s.encoding === 'signed-char' || s.encoding === 'unsigned-char' || s.encoding === 'utf') return true;
  return s.name === 'wchar_t';
}

/** A single-byte character type (strings of these print as "..."). */
export function isByteChar(t: Type): boolean {
  const s = strip(t);
  return isCharType(s) && s.kind === 'base' && s.byteSize === 1;
}

export function pointerTarget(t: Type): Type | undefined {
  const s = strip(t);
  return s.kind === 'pointer' || s.kind === 'reference' || s.kind === 'rvalue-reference' ? s.target : undefined;
}

export function arrayInfo(t: Type): { element: Type; length: number | undefined; elementSize: number } | undefined {
  const s = strip(t);
  if (s.kind !== 'array') return undefined;
  const element: Type = s.dims.length > 1 ? { ...s, dims: s.dims.slice(1) } : s.element;
  return { element, length: s.dims[0], elementSize: sizeOf(element) };
}

export function makeArray(element: Type, length: number | undefined): ArrayType {
  return { kind: 'array', element, dims: [length], vector: false };
}

export function makePointer(target: Type): PointerType {
  return { kind: 'pointer', target, byteSize: 8 };
}

export function base(name: string, byteSize: number, encoding: BaseType['encoding']): BaseType {
  return { kind: 'base', name, byteSize, encoding };
}

// The C types the evaluator creates (names and sizes of x86-64 LP64).
export const T = {
  int: base('int', 4, 'signed'),
  uint: base('unsigned int', 4, 'unsigned'),
  long: base('long', 8, 'signed'),
  ulong: base('unsigned long', 8, 'unsigned'),
  longlong: base('long long', 8, 'signed'),
  ulonglong: base('unsigned long long', 8, 'unsigned'),
  short: base('short', 2, 'signed'),
  ushort: base('unsigned short', 2, 'unsigned'),
  char: base('char', 1, 'signed-char'),
  schar: base('signed char', 1, 'signed-char'),
  uchar: base('unsigned char', 1, 'unsigned-char'),
  bool: base('bool', 1, 'bool'),
  float: base('float', 4, 'float'),
  double: base('double', 8, 'float'),
  longdouble: base('long double', 16, 'float'),
  int128: base('__int128', 16, 'signed'),
  uint128: base('unsigned __int128', 16, 'unsigned'),
  // gdb's register types
  int64: base('int64_t', 8, 'signed'),
  int32: base('int32_t', 4, 'signed'),
  int16: base('int16_t', 2, 'signed'),
  int8: base('int8_t', 1, 'signed'),
  uint64: base('uint64_t', 8, 'unsigned'),
  void: { kind: 'void' } as Type,
} as const;

export const VOID_PTR: PointerType = makePointer({ kind: 'void' });

export function sameType(a: Type, b: Type): boolean {
  return a === b || typeName(a) === typeName(b);
}

export type { BaseType, StructType, EnumType, PointerType, ArrayType, FunctionType };
