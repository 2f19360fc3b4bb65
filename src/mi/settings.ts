// gdb's `set`/`show` parameters that front-ends touch, with gdb 13's defaults, value checking and
// `show` sentences. Unknown parameters are reported with gdb's wording by the caller.

export type SettingKind = 'bool' | 'auto-bool' | 'enum' | 'uint' | 'zuint-unlimited' | 'string' | 'int';

export interface SettingDef {
  name: string;
  kind: SettingKind;
  value: string;
  values?: string[];
  /** `show NAME` sentence; %s is the value. */
  doc?: string;
}

const DEFS: SettingDef[] = [
  { name: 'mi-async', kind: 'bool', value: 'off', doc: 'Whether MI is in asynchronous mode is %s.' },
  { name: 'target-async', kind: 'bool', value: 'off', doc: 'Whether MI is in asynchronous mode is %s.' },
  { name: 'non-stop', kind: 'bool', value: 'off', doc: 'Controlling the inferior in non-stop mode is %s.' },
  { name: 'pagination', kind: 'bool', value: 'on', doc: 'State of pagination is %s.' },
  { name: 'confirm', kind: 'bool', value: 'on', doc: 'Whether to confirm potentially dangerous operations is %s.' },
  { name: 'verbose', kind: 'bool', value: 'off', doc: 'Verbosity is %s.' },
  { name: 'width', kind: 'zuint-unlimited', value: 'unlimited', doc: 'Number of characters gdb thinks are in a line is %s.' },
  { name: 'height', kind: 'zuint-unlimited', value: 'unlimited', doc: 'Number of lines gdb thinks are in a page is %s.' },
  { name: 'host-charset', kind: 'string', value: 'auto', doc: 'The host character set is "auto; currently UTF-8".' },
  { name: 'target-charset', kind: 'string', value: 'auto', doc: 'The target character set is "auto; currently UTF-8".' },
  { name: 'target-wide-charset', kind: 'string', value: 'auto', doc: 'The target wide character set is "auto; currently UTF-32".' },
  { name: 'charset', kind: 'string', value: 'auto' },
  { name: 'print pretty', kind: 'bool', value: 'off', doc: 'Pretty formatting of structures is %s.' },
  { name: 'print elements', kind: 'zuint-unlimited', value: '200', doc: 'Limit on string chars or array elements to print is %s.' },
  { name: 'print repeats', kind: 'zuint-unlimited', value: '10', doc: 'Threshold for repeated print elements is %s.' },
  { name: 'print max-depth', kind: 'zuint-unlimited', value: '20', doc: 'Maximum print depth is %s.' },
  { name: 'print object', kind: 'bool', value: 'off', doc: 'Printing of C++ virtual function tables is %s.' },
  { name: 'print static-members', kind: 'bool', value: 'on', doc: 'Printing of C++ static members is %s.' },
  { name: 'print vtbl', kind: 'bool', value: 'off', doc: 'Printing of C++ virtual function tables is %s.' },
  { name: 'print demangle', kind: 'bool', value: 'on', doc: 'Demangling of encoded C++/ObjC names when displaying symbols is %s.' },
  { name: 'print asm-demangle', kind: 'bool', value: 'off', doc: 'Demangling of C++/ObjC names in disassembly listings is %s.' },
  { name: 'print sevenbit-strings', kind: 'bool', value: 'on', doc: 'Printing of 8-bit characters in strings as \\nnn is %s.' },
  { name: 'print null-stop', kind: 'bool', value: 'off', doc: 'Printing of char arrays to stop at first null char is %s.' },
  { name: 'print address', kind: 'bool', value: 'on', doc: 'Printing of addresses is %s.' },
  { name: 'print symbol', kind: 'bool', value: 'on', doc: 'Printing of symbol names when printing pointers is %s.' },
  { name: 'print union', kind: 'bool', value: 'on', doc: 'Printing of unions interior to structures is %s.' },
  { name: 'print array', kind: 'bool', value: 'off', doc: 'Pretty formatting of arrays is %s.' },
  { name: 'print array-indexes', kind: 'bool', value: 'off', doc: 'Printing of array indexes is %s.' },
  { name: 'print frame-arguments', kind: 'enum', value: 'scalars', values: ['all', 'scalars', 'none', 'presence'], doc: 'Printing of non-scalar frame arguments is "%s".' },
  { name: 'print entry-values', kind: 'enum', value: 'default', values: ['no', 'only', 'preferred', 'if-needed', 'both', 'compact', 'default'] },
  { name: 'print inferior-events', kind: 'bool', value: 'on', doc: 'Printing of inferior events is %s.' },
  { name: 'print thread-events', kind: 'bool', value: 'on', doc: 'Printing of thread events is %s.' },
  { name: 'print finish', kind: 'bool', value: 'on', doc: 'Whether `finish\' prints the return value is %s.' },
  { name: 'breakpoint pending', kind: 'auto-bool', value: 'auto', doc: 'Debugger\'s behavior regarding pending breakpoints is %s.' },
  { name: 'disassembly-flavor', kind: 'enum', value: 'att', values: ['att', 'intel'], doc: 'The disassembly flavor is "%s".' },
  { name: 'disassemble-next-line', kind: 'auto-bool', value: 'off', doc: 'Debugger\'s willingness to use disassemble-next-line is %s.' },
  { name: 'stop-on-solib-events', kind: 'int', value: '0', doc: 'Stopping for shared library events is %s.' },
  { name: 'auto-solib-add', kind: 'bool', value: 'on', doc: 'Autoloading of shared library symbols is %s.' },
  { name: 'debuginfod enabled', kind: 'enum', value: 'ask', values: ['on', 'off', 'ask'], doc: 'Debuginfod functionality is currently set to "%s".' },
  { name: 'language', kind: 'enum', value: 'auto', values: ['auto', 'local', 'unknown', 'c', 'c++', 'asm', 'minimal', 'd', 'fortran', 'go', 'objective-c', 'opencl', 'pascal', 'rust', 'modula-2', 'ada'], doc: 'The current source language is "%s".' },
  { name: 'output-radix', kind: 'uint', value: '10' },
  { name: 'input-radix', kind: 'uint', value: '10' },
  { name: 'exec-direction', kind: 'enum', value: 'forward', values: ['forward', 'reverse'] },
  { name: 'scheduler-locking', kind: 'enum', value: 'replay', values: ['off', 'on', 'step', 'replay'], doc: 'Mode for locking scheduler during execution is "%s".' },
  { name: 'schedule-multiple', kind: 'bool', value: 'off' },
  { name: 'detach-on-fork', kind: 'bool', value: 'on', doc: 'Whether gdb will detach the child of a fork is %s.' },
  { name: 'follow-fork-mode', kind: 'enum', value: 'parent', values: ['parent', 'child'], doc: 'Debugger response to a program call of fork or vfork is "%s".' },
  { name: 'follow-exec-mode', kind: 'enum', value: 'same', values: ['new', 'same'] },
  { name: 'disable-randomization', kind: 'bool', value: 'on', doc: 'Disabling randomization of debuggee\'s virtual address space is %s.' },
  { name: 'startup-with-shell', kind: 'bool', value: 'on', doc: 'Use of shell to start subprocesses is %s.' },
  { name: 'step-mode', kind: 'bool', value: 'off', doc: 'Mode of the step operation is %s.' },
  { name: 'can-use-hw-watchpoints', kind: 'int', value: '1', doc: 'Debugger\'s willingness to use watchpoint hardware is %s.' },
  { name: 'unwindonsignal', kind: 'bool', value: 'off' },
  { name: 'print static', kind: 'bool', value: 'on' },
  { name: 'complaints', kind: 'int', value: '0' },
  { name: 'listsize', kind: 'zuint-unlimited', value: '10', doc: 'Number of source lines gdb will list by default is %s.' },
  { name: 'max-completions', kind: 'zuint-unlimited', value: '200', doc: 'Maximum number of completion candidates is %s.' },
  { name: 'args', kind: 'string', value: '', doc: 'Argument list to give program being debugged when it is started is "%s".' },
  { name: 'cwd', kind: 'string', value: '' },
  { name: 'inferior-tty', kind: 'string', value: '', doc: 'Terminal for future runs of program being debugged is "%s".' },
  { name: 'solib-search-path', kind: 'string', value: '', doc: 'The search path for loading non-absolute shared library symbol files is %s.' },
  { name: 'sysroot', kind: 'string', value: 'target:', doc: 'The current system root is "%s".' },
  { name: 'solib-absolute-prefix', kind: 'string', value: 'target:' },
  { name: 'auto-load safe-path', kind: 'string', value: '$debugdir:$datadir/auto-load' },
  { name: 'auto-load gdb-scripts', kind: 'bool', value: 'on' },
  { name: 'auto-load python-scripts', kind: 'bool', value: 'on' },
  { name: 'auto-load local-gdbinit', kind: 'bool', value: 'on' },
  { name: 'python print-stack', kind: 'enum', value: 'message', values: ['none', 'message', 'full'] },
  { name: 'logging enabled', kind: 'bool', value: 'off' },
  { name: 'logging file', kind: 'string', value: 'gdb.txt' },
  { name: 'logging overwrite', kind: 'bool', value: 'off' },
  { name: 'logging redirect', kind: 'bool', value: 'off' },
  { name: 'remotetimeout', kind: 'int', value: '2' },
  { name: 'osabi', kind: 'string', value: 'auto' },
  { name: 'architecture', kind: 'string', value: 'auto' },
  { name: 'prompt', kind: 'string', value: '(gdb) ' },
  { name: 'editing', kind: 'bool', value: 'off' },
  { name: 'filename-display', kind: 'enum', value: 'relative', values: ['basename', 'relative', 'absolute'] },
  { name: 'backtrace limit', kind: 'zuint-unlimited', value: 'unlimited' },
  { name: 'backtrace past-main', kind: 'bool', value: 'off' },
  { name: 'backtrace past-entry', kind: 'bool', value: 'off' },
  { name: 'record full insn-number-max', kind: 'zuint-unlimited', value: '200000' },
  { name: 'record full stop-at-limit', kind: 'bool', value: 'on' },
  { name: 'debug-file-directory', kind: 'string', value: '/usr/lib/debug' },
  { name: 'substitute-path', kind: 'string', value: '' },
  { name: 'directories', kind: 'string', value: '$cdir:$cwd' },
  { name: 'index-cache enabled', kind: 'bool', value: 'off' },
  { name: 'suppress-cli-notifications', kind: 'bool', value: 'off' },
  { name: 'style enabled', kind: 'bool', value: 'on' },
  { name: 'case-sensitive', kind: 'enum', value: 'auto', values: ['on', 'off', 'auto'] },
  { name: 'opaque-type-resolution', kind: 'bool', value: 'on' },
  { name: 'may-call-functions', kind: 'bool', value: 'on' },
  { name: 'max-value-size', kind: 'zuint-unlimited', value: '65536' },
  { name: 'trace-commands', kind: 'bool', value: 'off' },
  { name: 'history save', kind: 'bool', value: 'off' },
  { name: 'history size', kind: 'zuint-unlimited', value: '256' },
  { name: 'interactive-mode', kind: 'auto-bool', value: 'auto' },
];

/** gdb's parse_cli_boolean_value: on/off/yes/no/enable/disable (unique prefixes), 1/0; empty is on. */
export function parseBool(v: string): boolean | undefined {
  const l = v.trim().toLowerCase();
  if (l === '' || l === '1') return true;
  if (l === '0') return false;
  if (l.length >= 2 && 'on'.startsWith(l)) return true;
  if (l.length >= 2 && 'off'.startsWith(l)) return false;
  if ('yes'.startsWith(l) || 'enable'.startsWith(l)) return true;
  if ('no'.startsWith(l) || 'disable'.startsWith(l)) return false;
  return undefined;
}

export class SettingError extends Error {}

export class Settings {
  private readonly defs = new Map<string, SettingDef>();

  constructor() {
    for (const d of DEFS) this.defs.set(d.name, { ...d });
  }

  /**
   * Finds the longest known parameter name at the start of `words` (gdb allows unique prefixes of
   * each word: `set print elem 4`). Returns the definition and the index of the first value word.
   */
  lookup(words: string[]): { def: SettingDef; rest: string[] } | undefined {
    for (let n = Math.min(4, words.length); n >= 1; n--) {
      const name = words.slice(0, n).join(' ');
      const exact = this.defs.get(name);
      if (exact) return { def: exact, rest: words.slice(n) };
      // Unique prefix match word by word.
      const cands = [...this.defs.values()].filter((d) => {
        const parts = d.name.split(' ');
        if (parts.length !== n) return false;
        return parts.every((p, i) => p.startsWith(words[i]));
      });
      if (cands.length === 1) return { def: cands[0], rest: words.slice(n) };
    }
    return undefined;
  }

  get(name: string): string {
    return this.defs.get(name)?.value ?? '';
  }

  isOn(name: string): boolean {
    return this.get(name) === 'on';
  }

  /** Checks and stores a value; returns whether it changed. Throws SettingError with gdb's wording. */
  set(def: SettingDef, raw: string): boolean {
    const v = raw.trim();
    let nv: string;
    switch (def.kind) {
      case 'bool': {
        const b = parseBool(v);
        if (b === undefined) throw new SettingError('"on" or "off" expected.');
        nv = b ? 'on' : 'off';
        break;
      }
      case 'auto-bool':
        if (v === 'auto' || v === '-1') nv = 'auto';
        else {
          const b = parseBool(v);
          if (b === undefined) throw new SettingError('"on", "off" or "auto" expected.');
          nv = b ? 'on' : 'off';
        }
        break;
      case 'enum': {
        if (v === '') throw new SettingError(`Requires an argument. Valid arguments are ${def.values!.join(', ')}.`);
        const m = def.values!.filter((x) => x.startsWith(v));
        const exact = def.values!.find((x) => x === v);
        if (exact) nv = exact;
        else if (m.length === 1) nv = m[0];
        else if (m.length > 1) throw new SettingError(`Ambiguous item "${v}".`);
        else throw new SettingError(`Undefined item: "${v}".`);
        break;
      }
      case 'uint':
      case 'int':
        if (v === '') throw new SettingError('Argument required (integer to set it to.).');
        if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(v)) throw new SettingError(`No symbol table is loaded.  Use the "file" command.`);
        nv = String(Number(v));
        break;
      case 'zuint-unlimited':
        if (v === '') throw new SettingError('Argument required (integer to set it to, or "unlimited".).');
        if (v === 'unlimited' || v === '0') nv = def.name === 'print elements' || def.name === 'print repeats' || def.name === 'width' || def.name === 'height' || def.name.endsWith('limit') ? 'unlimited' : v === '0' ? '0' : 'unlimited';
        else if (/^\d+$/.test(v)) nv = String(Number(v));
        else if (/^-1$/.test(v)) throw new SettingError('only -1 is allowed to set as unlimited');
        else throw new SettingError(`No symbol table is loaded.  Use the "file" command.`);
        break;
      default:
        nv = v;
        break;
    }
    const changed = def.value !== nv;
    def.value = nv;
    if (def.name === 'mi-async' || def.name === 'target-async') {
      this.defs.get('mi-async')!.value = nv;
      this.defs.get('target-async')!.value = nv;
    }
    return changed;
  }

  /** The `show NAME` sentence. */
  showText(def: SettingDef): string {
    if (def.name === 'output-radix' || def.name === 'input-radix') {
      const n = Number(def.value);
      const what = def.name === 'output-radix' ? 'Output' : 'Input';
      return `${what} radix for printing values is ${n === 16 ? 'hex' : n === 8 ? 'octal' : 'decimal'} ${n}.`;
    }
    if (def.doc) return def.doc.replace('%s', def.value);
    return `The current value of '${def.name}' is "${def.value}".`;
  }

  all(): SettingDef[] {
    return [...this.defs.values()];
  }
}
