// The Itanium C++ demangler against c++filt (binutils), which uses the same libiberty code gdb does:
// every mangled symbol of the system's libstdc++ and of the C++ fixtures, plus the return-type-free
// form gdb uses for functions with debug info.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { demangle } from '../src/engine/values/demangle';
import { fixture } from './helpers';

function mangledSymbols(file: string, dynamic: boolean): string[] {
  const out = execFileSync('nm', [...(dynamic ? ['-D'] : []), file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .map((s) => s.replace(/@.*$/, ''))
    .filter((s) => s.startsWith('_Z'));
}

function cxxfilt(names: string[]): string[] {
  return execFileSync('c++filt', { input: names.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').slice(0, names.length);
}

function libstdcxx(): string | undefined {
  for (const p of ['/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6']) if (fs.existsSync(p)) return p;
  return undefined;
}

describe('demangle', () => {
  test('every symbol of libstdc++ and the C++ fixtures demangles as c++filt does', () => {
    const lib = libstdcxx();
    const names = [...new Set([...(lib ? mangledSymbols(lib, true) : []), ...['classes', 'values_cpp', 'classes_O2'].flatMap((f) => mangledSymbols(fixture(f), false))])];
    expect(names.length).toBeGreaterThan(lib ? 3000 : 20);
    const want = cxxfilt(names);
    const bad = names.map((n, i) => [n, demangle(n), want[i]]).filter(([, got, w]) => got !== w);
    expect(bad.slice(0, 20)).toEqual([]);
  });

  test('hand-picked forms', () => {
    const cases = ['_ZN3geo4Rect4areaEv', '_ZNK3geo4Rect4areaEv', '_Z7measureRKN3geo5ShapeERi', '_ZTVN3geo4RectE', '_ZTIN3geo5ShapeE', '_ZTSN3geo5ShapeE',
      '_Z5twiceIiET_S0_', '_ZN3geo4RectC2Edd', '_ZN3geo5ShapeD0Ev', '_ZN5Multi9instancesE', '_ZZ4mainE5local', '_ZGVZ4mainE1x', '_Z1fPFivE', '_Z1fPA3_i',
      '_Z1fM1AFivE', '_Z1fM1Ai', '_ZN1AcviEv', '_ZplRK1AS1_', '_ZlsRSoRK1A', '_Z1fIJidEEvDpT_', '_Z1fILi3EEvv', '_Z1fILb1EEvv', '_ZN12_GLOBAL__N_11fEv',
      '_Z3foov.constprop.0', '_Z3foov.cold', '_ZN1A1fB5cxx11Ev', '_Z1fDn', '_Z1fPKc', '_Z1fRA10_Kc', '_ZThn8_N1C1fEv', '_Z1fU8__vectori'];
    const want = cxxfilt(cases);
    expect(cases.map((c) => demangle(c) ?? c)).toEqual(want);
  });

  test('functions with debug info print without a template return type (gdb physnames)', () => {
    expect(demangle('_Z5twiceIiET_S0_', { retDrop: true })).toBe('twice<int>(int)');
    expect(demangle('_Z5twiceIiET_S0_')).toBe('int twice<int>(int)');
    expect(demangle('main')).toBeUndefined();
    expect(demangle('_Zgarbage')).toBeUndefined();
  });
});
