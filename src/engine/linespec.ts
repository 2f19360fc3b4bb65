// gdb linespecs: "file.c:12", "12", "+2", "-1", "func", "file.c:func", "Class::method", "*0x401136".

import { EngineError, LocationSpec } from './api';

export type ParsedLocation =
  | { kind: 'line'; file?: string; line: number; offset?: 'plus' | 'minus' }
  | { kind: 'function'; name: string; file?: string }
  | { kind: 'address'; address?: number; symbol?: string };

/** Parses a location spec; throws EngineError('bad-location') for malformed input. */
export function parseLocation(spec: LocationSpec): ParsedLocation {
  if (typeof spec !== 'string') {
    if ('address' in spec) {
      if (!Number.isSafeInteger(spec.address) || spec.address < 0) throw new EngineError(`Invalid address ${spec.address}.`, 'bad-location');
      return { kind: 'address', address: spec.address };
    }
    if ('line' in spec) {
      if (!Number.isInteger(spec.line) || spec.line <= 0) throw new EngineError(`Line number ${spec.line} out of range.`, 'bad-location');
      return { kind: 'line', file: spec.file, line: spec.line };
    }
    if (!spec.function) throw new EngineError('Empty function name.', 'bad-location');
    return { kind: 'function', name: spec.function, file: spec.file };
  }
  const s = spec.trim();
  if (!s) throw new EngineError('Empty location.', 'bad-location');
  if (s.startsWith('*')) {
    const e = s.slice(1).trim();
    if (/^0x[0-9a-f]+$/i.test(e)) return { kind: 'address', address: parseInt(e, 16) };
    if (/^\d+$/.test(e)) return { kind: 'address', address: parseInt(e, 10) };
    if (/^0[0-7]+$/.test(e)) return { kind: 'address', address: parseInt(e, 8) };
    if (/^[A-Za-z_][\w:.]*$/.test(e)) return { kind: 'address', symbol: e };
    throw new EngineError(`Invalid address expression "${e}".`, 'bad-location');
  }
  if (/^[+-]\d+$/.test(s)) return { kind: 'line', line: Math.abs(parseInt(s, 10)), offset: s[0] === '+' ? 'plus' : 'minus' };
  if (/^\d+$/.test(s)) {
    const line = parseInt(s, 10);
    if (line <= 0) throw new EngineError(`Line number ${line} out of range.`, 'bad-location');
    return { kind: 'line', line };
  }
  // FILE:LINE or FILE:FUNC, where the colon is not part of a C++ '::'.
  const colon = findFileColon(s);
  if (colon > 0) {
    const file = s.slice(0, colon).trim();
    const rest = s.slice(colon + 1).trim();
    if (/^\d+$/.test(rest)) {
      const line = parseInt(rest, 10);
      if (line <= 0) throw new EngineError(`Line number ${line} out of range.`, 'bad-location');
      return { kind: 'line', file, line };
    }
    if (rest) return { kind: 'function', file, name: rest };
    throw new EngineError(`Malformed location "${s}".`, 'bad-location');
  }
  return { kind: 'function', name: s };
}

function findFileColon(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ':') continue;
    if (s[i + 1] === ':') {
      i++;
      continue;
    }
    if (i > 0 && s[i - 1] === ':') continue;
    return i;
  }
  return -1;
}

/** The location as gdb shows it ("demo.c:12", "main", "*0x401136"). */
export function locationText(spec: LocationSpec): string {
  if (typeof spec === 'string') return spec.trim();
  if ('address' in spec) return `*0x${spec.address.toString(16)}`;
  if ('line' in spec) return `${spec.file}:${spec.line}`;
  return spec.file ? `${spec.file}:${spec.function}` : spec.function;
}
