// MI commands: session and settings, breakpoints, execution, stack and threads, data, symbols.
// Variable objects are in varobj.ts, console commands in cli.ts.
import * as fs from 'fs';
import * as path from 'path';
import type { Engine, LaunchConfig, LocationSpec, StopInfo } from '../engine/api';
import { searchSymbols, type SymbolSearchResult } from '../engine/symbol-search';
import { ARCH, MiBreakpointMeta, addr16, bkptValue, frameTuple, hex, miValue } from './format';
import { CommandContext, CommandResult, MiError, MiInterpreter, errorMessage } from './interpreter';
import { disassemble, DisasmLine } from './disasm';
import { atoi, frameRange } from './stack';
import { mixedSourceAndAssembly } from './disasm-source';
import { currentRegisterNames, formatRegister, registerValues } from './registers';
import { MiRaw, MiResults, MiTuple, MiValue, getopt } from './syntax';

const FEATURES = [
  'frozen-varobjs',
  'pending-breakpoints',
  'thread-info',
  'data-read-memory-bytes',
  'breakpoint-notifications',
  'language-option',
  'info-gdb-mi-command',
  'undefined-command-error-code',
  'exec-run-start-option',
  'data-disassemble-a-option',
];

export function registerCommands(mi: MiInterpreter): void {
  // ---------------------------------------------------------------- session
  mi.register('gdb-exit', () => ({ cls: 'exit' }));
  mi.register('gdb-version', (m) => {
    for (const l of m.versionBanner()) m.console(l);
  });
  mi.register('list-features', (_m, _c, argv) => {
    if (argv.length) throw new MiError('-list-features should be passed no arguments');
    return { fields: { features: FEATURES } };
  });
  mi.register('list-target-features', (m) => {
    const f: string[] = [];
    if (m.pid !== undefined || m.targetConnected) f.push('async');
    if (m.pid !== undefined && m.reverseRecording) f.push('reverse');
    return { fields: { features: f } };
  });
  mi.register('gdb-set', {
    raw: true,
    handler: async (m, ctx) => {
      await setCommand(m, ctx, ctx.args, false);
    },
  });
  mi.register('gdb-show', {
    raw: true,
    handler: (m, ctx) => {
      const words = ctx.args.trim().split(/\s+/).filter(Boolean);
      if (!words.length) throw new MiError('Argument required (name of the parameter to show).');
      if (words[0] === 'version') {
        for (const l of m.versionBanner()) m.console(l);
        return;
      }
      const hit = m.settings.lookup(words);
      if (!hit) throw new MiError(`Undefined show command: "${words.join(' ')}".  Try "help show".`);
      let value = hit.def.value;
      if (hit.def.name === 'args') value = m.programArgsText;
      if (hit.def.name === 'cwd') value = m.cwd ?? '';
      if (hit.def.name === 'inferior-tty') value = m.inferiorTty ?? '';
      return { fields: { value } };
    },
  });
  mi.register('enable-pretty-printing', () => undefined);
  mi.register('enable-frame-filters', () => undefined);
  mi.register('enable-timings', () => undefined);
  mi.register('info-gdb-mi-command', (m, _c, argv) => {
    if (argv.length !== 1) throw new MiError('Usage: -info-gdb-mi-command MI_COMMAND_NAME');
    const name = argv[0].replace(/^-/, '');
    return { fields: { command: { exists: m.commands.has(name) ? 'true' : 'false' } } };
  });
  mi.register('file-exec-and-symbols', async (m, _c, argv) => {
    if (argv.length === 0) {
      m.programPath = undefined;
      return;
    }
    await loadProgram(m, argv[0]);
  });
  mi.register('file-exec-file', async (m, _c, argv) => {
    if (!argv.length) throw new MiError('-file-exec-file: Usage: FILE_NAME');
    await loadProgram(m, argv[0]);
  });
  mi.register('file-symbol-file', async (m, _c, argv) => {
    if (!argv.length) return;
    await loadProgram(m, argv[0]);
  });
  mi.register('environment-cd', (m, _c, argv) => {
    if (argv.length !== 1) throw new MiError('-environment-cd: Usage DIRECTORY');
    const dir = path.resolve(m.cwd ?? process.cwd(), expandHome(argv[0]));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new MiError(`${argv[0]}: No such file or directory.`);
    m.cwd = dir;
    try {
      process.chdir(dir);
    } catch {
      throw new MiError(`${argv[0]}: No such file or directory.`);
    }
  });
  mi.register('environment-pwd', (m) => ({ fields: { cwd: process.cwd() } }));
  mi.register('environment-directory', () => ({ fields: { 'source-path': '$cdir:$cwd' } }));
  mi.register('environment-path', () => ({ fields: { path: process.env.PATH ?? '' } }));
  mi.register('exec-arguments', {
    raw: true,
    handler: (m, ctx) => {
      m.programArgs = splitShellArgs(ctx.args);
      m.programArgsText = ctx.args.trim();
    },
  });
  mi.register('inferior-tty-set', (m, _c, argv) => {
    m.inferiorTty = argv[0];
  });
  mi.register('inferior-tty-show', (m) => ({ fields: m.inferiorTty ? { inferior_tty_terminal: m.inferiorTty } : {} }));
  mi.register('target-select', async (m, _c, argv) => {
    if (!argv.length) throw new MiError('-target-select: Usage TARGET_TYPE [PARAMS]');
    if (argv[0] !== 'native') throw new MiError(`Undefined target command: "${argv[0]}".  Try "help target".`);
    m.targetConnected = true;
    return { cls: 'connected' };
  });
  mi.register('target-attach', async (m, ctx, argv) => {
    if (argv.length !== 1) throw new MiError('-target-attach: Usage PID');
    await attach(m, ctx, argv[0]);
  });
  mi.register('target-detach', async (m, _c, argv) => {
    void argv;
    await detach(m);
  });
  mi.register('target-disconnect', async (m) => {
    await detach(m);
  });
  mi.register('list-thread-groups', async (m, _c, argv) => {
    const { options, rest } = getopt('-list-thread-groups', argv, [
      { name: '-available', arg: false },
      { name: '-recurse', arg: true },
    ]);
    void options;
    if (rest.length) {
      const ts = await m.threadList();
      const threads = [];
      for (const t of ts) threads.push(await threadTuple(m, t));
      return { fields: { threads } };
    }
    const g: MiTuple = { id: 'i1', type: 'process' };
    if (m.pid !== undefined) g.pid = String(m.pid);
    if (m.programPath) g.executable = m.programPath;
    return { fields: { groups: [g] } };
  });
  mi.register('add-inferior', () => {
    throw new MiError('backstep debugs one program per session: -add-inferior is not supported.');
  });
  mi.register('interpreter-exec', async (m, ctx, argv) => {
    if (argv.length < 2) throw new MiError('-interpreter-exec: Usage: -interpreter-exec interp command');
    const interp = argv[0];
    if (interp === 'console' || interp === 'cli') {
      const sub: CommandContext = { ...ctx, fromCli: true, args: '' };
      for (const cmd of argv.slice(1)) {
        let r: CommandResult | void;
        try {
          r = await m.runCli(sub, cmd);
        } catch (e) {
          // gdb shows a console command's error on the log stream too.
          m.log(errorMessage(e) + '\n');
          throw e;
        }
        if (r && r.cls === 'running') return r;
        if (r && r.cls === 'exit') return r;
      }
      return;
    }
    if (/^mi\d?$/.test(interp)) {
      for (const cmd of argv.slice(1)) m.input(cmd);
      return;
    }
    throw new MiError(`-interpreter-exec: could not find interpreter "${interp}"`);
  });
  mi.register('exec-show-arguments', (m) => ({ fields: { value: m.programArgs.join(' ') } }));

  // ---------------------------------------------------------------- breakpoints
  mi.register('break-insert', async (m, ctx, argv) => breakInsert(m, ctx, argv, false));
  mi.register('dprintf-insert', async (m, ctx, argv) => breakInsert(m, ctx, argv, true));
  mi.register('break-list', (m) => ({ fields: breakTable(m, [...m.breakpointMeta.values()]) }));
  mi.register('break-info', (m, _c, argv) => {
    if (argv.length !== 1) throw new MiError('Usage: -break-info BREAKPOINT');
    const n = Number(argv[0]);
    const meta = m.breakpointMeta.get(n);
    if (!meta) throw new MiError(`Bad breakpoint argument: '${argv[0]}'`);
    return { fields: breakTable(m, [meta]) };
  });
  mi.register('break-delete', async (m, _c, argv) => {
    if (!argv.length) {
      for (const meta of [...m.breakpointMeta.values()]) await deleteBreakpoint(m, meta);
      return;
    }
    for (const a of argv) {
      if (/^\d+$/.test(a) && !m.breakpointMeta.has(Number(a))) {
        m.console(`No breakpoint number ${a}.\n`);
        continue;
      }
      const meta = parseBreakpointNumber(m, a);
      await deleteBreakpoint(m, meta);
    }
  });
  mi.register('break-enable', async (m, _c, argv) => {
    for (const meta of argv.length ? argv.map((a) => parseBreakpointNumber(m, a)) : [...m.breakpointMeta.values()]) await enableBreakpoint(m, meta, true, false);
  });
  mi.register('break-disable', async (m, _c, argv) => {
    for (const meta of argv.length ? argv.map((a) => parseBreakpointNumber(m, a)) : [...m.breakpointMeta.values()]) await enableBreakpoint(m, meta, false, false);
  });
  mi.register('break-condition', {
    raw: true,
    handler: async (m, ctx) => {
      let args = ctx.args.trim();
      let force = false;
      if (args.startsWith('--force ') || args === '--force') {
        force = true;
        args = args.slice(7).trim();
      }
      void force;
      const mm = /^(\S+)\s*(.*)$/.exec(args);
      if (!mm) throw new MiError('-break-condition: Usage: NUMBER EXPRESSION');
      const meta = parseBreakpointNumber(m, mm[1]);
      await setCondition(m, meta, mm[2].trim() || undefined, false);
    },
  });
  mi.register('break-after', async (m, _c, argv) => {
    if (argv.length !== 2) throw new MiError('-break-after: Usage: NUMBER COUNT');
    const meta = parseBreakpointNumber(m, argv[0]);
    const count = Number(argv[1]);
    if (!Number.isInteger(count) || count < 0) throw new MiError(`Invalid number "${argv[1]}".`);
    await setIgnore(m, meta, count, false);
  });
  mi.register('break-commands', (m, _c, argv) => {
    if (!argv.length) throw new MiError('USAGE: -break-commands <BREAKPOINT> [<COMMAND> [...]]');
    const meta = parseBreakpointNumber(m, argv[0]);
    meta.script = argv.slice(1);
  });
  mi.register('break-passcount', () => {
    throw new MiError('No tracepoint number 0.');
  });
  mi.register('break-watch', async (m, _c, argv) => {
    const { options, rest } = getopt('-break-watch', argv, [
      { name: 'r', arg: false },
      { name: 'a', arg: false },
    ]);
    if (rest.length !== 1) throw new MiError('-break-watch: Missing <expression>');
    const kind = options.some((o) => o.name === 'a') ? 'access' : options.some((o) => o.name === 'r') ? 'read' : 'write';
    return watch(m, rest[0], kind);
  });

  // ---------------------------------------------------------------- execution
  mi.register('exec-run', async (m, ctx, argv) => {
    const { options } = getopt('-exec-run', argv, [
      { name: '-all', arg: false },
      { name: '-thread-group', arg: true },
      { name: '-start', arg: false },
    ]);
    return run(m, ctx, options.some((o) => o.name === '-start') ? 'main' : 'none');
  });
  mi.register('exec-continue', (m, ctx, argv) => {
    const { options } = getopt('-exec-continue', argv, [
      { name: '-reverse', arg: false },
      { name: '-all', arg: false },
      { name: '-thread-group', arg: true },
    ]);
    if (options.some((o) => o.name === '-reverse') || reverseMode(m)) return reverseRun(m, ctx, 'continue');
    return resume(m, ctx, 'continue', (tid) => m.engine.cont({ threadId: tid }));
  });
  for (const [op, kind] of [
    ['exec-next', 'next'],
    ['exec-step', 'step'],
    ['exec-next-instruction', 'nexti'],
    ['exec-step-instruction', 'stepi'],
  ] as const) {
    mi.register(op, (m, ctx, argv) => {
      const { options, rest } = getopt(`-${op}`, argv, [{ name: '-reverse', arg: false }]);
      if (rest.length > 1) throw new MiError(`-${op}: Usage: [--reverse] [COUNT]`);
      const count = rest.length ? Number(rest[0]) : undefined;
      if (count !== undefined && !Number.isInteger(count)) throw new MiError(`No symbol table is loaded.  Use the "file" command.`);
      if (options.length || reverseMode(m)) return reverseRun(m, ctx, kind);
      return resume(m, ctx, kind, (tid) => stepFn(m, kind, tid, count));
    });
  }
  mi.register('exec-finish', async (m, ctx, argv) => {
    const { options } = getopt('-exec-finish', argv, [{ name: '-reverse', arg: false }]);
    if (options.length || reverseMode(m)) {
      await checkFinish(m, ctx);
      return reverseRun(m, ctx, 'finish');
    }
    const frame = await checkFinish(m, ctx);
    return resume(m, ctx, 'finish', (tid) => m.engine.finish({ threadId: tid, frameId: frame.id }));
  });
  mi.register('exec-until', async (m, ctx, argv) => {
    const loc = argv.length ? argv.join(' ') : undefined;
    return resume(m, ctx, 'until', (tid) => m.engine.until({ threadId: tid, location: loc }));
  });
  mi.register('exec-jump', async (m, ctx, argv) => {
    if (argv.length !== 1) throw new MiError('-exec-jump: Usage: LOCATION');
    return jump(m, ctx, argv[0]);
  });
  mi.register('exec-interrupt', async (m, ctx, argv) => {
    void argv;
    void ctx;
    if (m.pid === undefined) throw new MiError('The program is not being run.');
    if (!m.running) return;
    await m.engine.pause();
  });
  mi.register('exec-return', () => {
    throw new MiError('backstep cannot pop frames (-exec-return) yet.');
  });
  mi.register('exec-abort', () => {
    throw new MiError('-exec-abort is not implemented.');
  });

  // ---------------------------------------------------------------- threads and stack
  mi.register('thread-info', async (m, ctx, argv) => {
    const ts = await m.threadList();
    const want = argv[0] !== undefined ? Number(argv[0]) : undefined;
    const threads: MiTuple[] = [];
    for (const t of ts) {
      const num = m.threadNumber(t.id);
      if (want !== undefined && num !== want) continue;
      threads.push(await threadTuple(m, t));
    }
    threads.sort((a, b) => Number(a.id) - Number(b.id));
    const f: MiTuple = { threads };
    if (ts.length) f['current-thread-id'] = String(m.currentThread());
    void ctx;
    return { fields: f };
  });
  mi.register('thread-list-ids', async (m) => {
    const ts = await m.threadList();
    const nums = ts.map((t) => m.threadNumber(t.id)).sort((a, b) => a - b);
    const f: [string, MiValue][] = [['thread-ids', new MiResults(nums.map((n) => ['thread-id', String(n)] as [string, MiValue]))]];
    if (nums.length) f.push(['current-thread-id', String(m.currentThread())]);
    f.push(['number-of-threads', String(nums.length)]);
    return { fields: f };
  });
  mi.register('thread-select', async (m, _c, argv) => {
    if (argv.length !== 1) throw new MiError('-thread-select: USAGE: threadnum.');
    const n = Number(argv[0]);
    await m.threadList();
    if (!Number.isInteger(n) || !m.knownThreadNumbers().includes(n)) throw new MiError(`Thread ID ${argv[0]} not known.`);
    m.selectedThread = n;
    m.selectedFrame = 0;
    m.engine.selectThread(m.engineThread(n));
    const f = await m.frameAt(n, 0);
    return { fields: { 'new-thread-id': String(n), frame: frameTuple(f, { level: true, args: await m.frameArgs(f) }) } };
  });
  mi.register('stack-select-frame', async (m, ctx, argv) => {
    if (argv.length !== 1) throw new MiError('-stack-select-frame: Usage: FRAME_SPEC');
    m.requireFrames();
    const t = m.currentThread(ctx);
    const lvl = Number(argv[0]);
    // Unwound as far as the frame, as gdb.
    const s = Number.isInteger(lvl) && lvl >= 0 ? await m.stackPrefix(t, lvl + 1) : undefined;
    if (!s || lvl >= s.frames.length) throw new MiError('No frame at level ' + argv[0] + '.');
    m.selectedThread = t;
    m.selectedFrame = lvl;
  });
  mi.register('stack-info-depth', async (m, ctx, argv) => {
    if (argv.length > 1) throw new MiError('-stack-info-depth: Usage: [MAX_DEPTH]');
    m.requireFrames();
    const t = m.currentThread(ctx);
    // gdb's mi_cmd_stack_info_depth: MAX by atoi, -1 (or none) unlimited; it unwinds no further than MAX.
    const max = argv.length ? atoi(argv[0]) : -1;
    if (max === -1) return { fields: { depth: String((await m.stack(t)).frames.length) } };
    if (max <= 0) return { fields: { depth: '0' } };
    return { fields: { depth: String((await m.stackPrefix(t, max)).frames.length) } };
  });
  mi.register('stack-info-frame', async (m, ctx) => {
    const f = await m.contextFrame(ctx);
    return { fields: { frame: frameTuple(f, { level: true }) } };
  });
  mi.register('stack-list-frames', async (m, ctx, argv) => {
    const { rest } = getopt('-stack-list-frames', argv, [{ name: '-no-frame-filters', arg: false }]);
    if (rest.length !== 0 && rest.length !== 2) throw new MiError('-stack-list-frames: Usage: [--no-frame-filters] [FRAME_LOW FRAME_HIGH]');
    m.requireFrames();
    const frames = await frameRange(m, m.currentThread(ctx), rest.length === 2 ? rest : undefined, '-stack-list-frames');
    return { fields: { stack: new MiResults(frames.map((f) => ['frame', frameTuple(f, { level: true })] as [string, MiValue])) } };
  });
  mi.register('stack-list-arguments', async (m, ctx, argv) => {
    const { rest } = getopt(
      '-stack-list-arguments',
      argv,
      [
        { name: '-no-frame-filters', arg: false },
        { name: '-skip-unavailable', arg: false },
      ],
      true,
    );
    if (rest.length !== 1 && rest.length !== 3) throw new MiError('-stack-list-arguments: Usage: PRINT_VALUES [FRAME_LOW FRAME_HIGH]');
    const pv = printValues(rest[0]);
    m.requireFrames();
    const frames = await frameRange(m, m.currentThread(ctx), rest.length === 3 ? rest.slice(1) : undefined, '-stack-list-arguments');
    const out: [string, MiValue][] = [];
    for (const f of frames) {
      const vars = await frameVariables(m, f, 'arguments');
      out.push(['frame', { level: String(f.level), args: varList(vars, pv, false) }]);
    }
    return { fields: { 'stack-args': new MiResults(out) } };
  });
  mi.register('stack-list-locals', async (m, ctx, argv) => {
    const { rest } = getopt(
      '-stack-list-locals',
      argv,
      [
        { name: '-no-frame-filters', arg: false },
        { name: '-skip-unavailable', arg: false },
      ],
      true,
    );
    if (rest.length !== 1) throw new MiError('-stack-list-locals: Usage: PRINT_VALUES');
    const pv = printValues(rest[0]);
    const f = await m.contextFrame(ctx);
    return { fields: { locals: varList(await frameVariables(m, f, 'locals'), pv, false) } };
  });
  mi.register('stack-list-variables', async (m, ctx, argv) => {
    const { rest } = getopt(
      '-stack-list-variables',
      argv,
      [
        { name: '-no-frame-filters', arg: false },
        { name: '-skip-unavailable', arg: false },
      ],
      true,
    );
    if (rest.length !== 1) throw new MiError('-stack-list-variables: Usage: PRINT_VALUES');
    const pv = printValues(rest[0]);
    const f = await m.contextFrame(ctx);
    // gdb walks the blocks from the innermost out: locals of nested blocks, then the function's
    // outermost block, where the parameters come before its locals.
    const a = (await frameVariables(m, f, 'arguments')).map((v) => ({ ...v, arg: true }));
    const l = await frameVariables(m, f, 'locals');
    const inner = l.filter((v) => v.nested);
    const outer = l.filter((v) => !v.nested);
    return { fields: { variables: varList([...inner, ...a, ...outer], pv, true) } };
  });

  // ---------------------------------------------------------------- data
  mi.register('data-evaluate-expression', async (m, ctx, argv) => {
    if (argv.length !== 1) throw new MiError('-data-evaluate-expression: Usage: -data-evaluate-expression expression');
    const r = await evaluate(m, ctx, argv[0]);
    return { fields: { value: r } };
  });
  mi.register('data-read-memory-bytes', async (m, ctx, argv) => {
    const { options, rest } = getopt('-data-read-memory-bytes', argv, [{ name: 'o', arg: true }]);
    if (rest.length !== 2) throw new MiError('Usage: [ -o OFFSET ] ADDR LENGTH.');
    const base = await evalAddress(m, ctx, rest[0]);
    const off = options.length ? Number(options[0].arg) : 0;
    const len = Number(rest[1]);
    if (!Number.isInteger(len) || len < 0) throw new MiError(`Invalid number "${rest[1]}".`);
    const start = base + off;
    m.requireProcess();
    const r = await m.engine.readMemory(start, len).catch(() => undefined);
    if (!r || r.data.length === 0) throw new MiError('Unable to read memory.');
    const blocks: MiTuple[] = [
      { begin: addr16(start), offset: addr16(0), end: addr16(start + r.data.length), contents: r.data.toString('hex') },
    ];
    return { fields: { memory: blocks } };
  });
  mi.register('data-read-memory', async (m, ctx, argv) => dataReadMemory(m, ctx, argv));
  mi.register('data-write-memory-bytes', async (m, ctx, argv) => {
    if (argv.length < 2 || argv.length > 3) throw new MiError('Usage: ADDR DATA [COUNT].');
    const a = await evalAddress(m, ctx, argv[0]);
    const hexs = argv[1];
    if (hexs.length % 2) throw new MiError('Hex-encoded \'' + hexs + '\' must have an even number of characters.');
    if (!/^[0-9a-fA-F]*$/.test(hexs)) throw new MiError('Invalid hex digit');
    let data = Buffer.from(hexs, 'hex');
    if (argv[2] !== undefined) {
      const count = Number(argv[2]);
      if (count > data.length) {
        const b = Buffer.alloc(count);
        for (let i = 0; i < count; i++) b[i] = data[i % data.length];
        data = b;
      }
    }
    m.requireStopped();
    await m.engine.writeMemory(a, data);
    m.varobjs.invalidate();
  });
  mi.register('data-write-memory', async (m, ctx, argv) => {
    const { rest } = getopt('-data-write-memory', argv, [{ name: 'o', arg: true }]);
    if (rest.length !== 4) throw new MiError('-data-write-memory: Usage: [-o COLUMN_OFFSET] ADDR FORMAT WORD-SIZE VALUE.');
    const a = await evalAddress(m, ctx, rest[0]);
    const size = Number(rest[2]);
    const v = BigInt.asUintN(size * 8, BigInt(await evaluate(m, ctx, rest[3])));
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    m.requireStopped();
    await m.engine.writeMemory(a, b);
  });
  mi.register('data-list-register-names', async (m, ctx, argv) => {
    const names = await availableRegisterNames(m, ctx);
    if (!argv.length) return { fields: { 'register-names': names } };
    const out: string[] = [];
    for (const a of argv) {
      const n = Number(a);
      if (!Number.isInteger(n) || n < 0 || n >= names.length) throw new MiError('bad register number');
      out.push(names[n]);
    }
    return { fields: { 'register-names': out } };
  });
  mi.register('data-list-register-values', async (m, ctx, argv) => {
    const { rest } = getopt('-data-list-register-values', argv, [{ name: '-skip-unavailable', arg: false }]);
    if (!rest.length) throw new MiError('-data-list-register-values: Usage: -data-list-register-values [--skip-unavailable] <format> [<regnum1>...<regnumN>]');
    const fmt = rest[0];
    if (!/^[xotdrNnzu]$/.test(fmt)) throw new MiError(`Unknown format character: ${fmt}`);
    m.requireFrames();
    const f = await m.contextFrame(ctx);
    const vals = await registerValues(m.engine, f.id);
    const names = currentRegisterNames(m.engine);
    let nums: number[];
    if (rest.length > 1) {
      nums = rest.slice(1).map((a) => {
        const n = Number(a);
        if (!Number.isInteger(n) || n < 0 || n >= names.length || !names[n] || !vals.has(names[n])) throw new MiError('bad register number');
        return n;
      });
    } else {
      nums = names.map((n, i) => (n && vals.has(n) ? i : -1)).filter((i) => i >= 0);
    }
    const out = nums.map((n) => ({ number: String(n), value: formatRegister(names[n], vals.get(names[n])!, fmt) }));
    return { fields: { 'register-values': out } };
  });
  mi.register('data-list-changed-registers', async (m, ctx) => {
    m.requireFrames();
    // gdb: the registers of the selected frame now, against those of the previous call (all of them
    // at the first call).
    const f = await m.contextFrame(ctx);
    const vals = await registerValues(m.engine, f.id);
    const prev = m.previousRegisters;
    const cur = new Map([...vals].map(([n, v]) => [n, v.value]));
    m.previousRegisters = cur;
    const out: string[] = [];
    currentRegisterNames(m.engine).forEach((n, i) => {
      if (!n || !vals.has(n)) return;
      const base = vals.get(n)!;
      if (!prev) out.push(String(i));
      else {
        const root = base.root ?? n;
        if (prev.get(root) !== cur.get(root)) out.push(String(i));
      }
    });
    return { fields: { 'changed-registers': out } };
  });
  mi.register('data-disassemble', async (m, ctx, argv) => dataDisassemble(m, ctx, argv));

  // ---------------------------------------------------------------- symbols
  mi.register('symbol-list-lines', async (m, _c, argv) => {
    if (argv.length !== 1) throw new MiError('-symbol-list-lines: Usage: SOURCE_FILENAME');
    return { fields: { lines: await symbolListLines(m, argv[0]) } };
  });
  mi.register('symbol-info-functions', async (m, _c, argv) => symbolInfo(m, argv, 'functions'));
  mi.register('symbol-info-variables', async (m, _c, argv) => symbolInfo(m, argv, 'variables'));
  mi.register('symbol-info-types', async (m, _c, argv) => symbolInfo(m, argv, 'types'));
  mi.register('file-list-exec-source-files', async (m) => {
    const srcs = await m.engine.sources().catch(() => []);
    return { fields: { files: srcs.map((s) => ({ file: s.path, fullname: s.fullPath })) } };
  });
  mi.register('file-list-exec-source-file', async (m) => {
    const lines = await m.engine.resolveLocation('main').catch(() => []);
    const l = lines[0];
    if (!l) throw new MiError('No symbol table is loaded.  Use the "file" command.');
    return { fields: { line: String(l.line), file: l.file, fullname: l.fullPath, 'macro-info': '0' } };
  });
  mi.register('complete', {
    raw: true,
    handler: async (m, ctx) => {
      let text = ctx.args.trim();
      if (text.startsWith('"')) {
        const a = (await import('./syntax')).splitArgs(text);
        text = a?.[0] ?? '';
      }
      const { complete } = await import('./cli');
      const r = await complete(m, text);
      return { fields: [['completion', r.completion], ['matches', r.matches], ['max_completions_reached', '0']] as [string, MiValue][] };
    },
  });
}

// ==================================================================================================
// Helpers

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(process.env.HOME ?? '/', p.slice(2)) : p;
}

/** gdb splits -exec-arguments like a shell would (quotes kept for the shell it starts the program with). */
export function splitShellArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export async function loadProgram(m: MiInterpreter, file: string): Promise<void> {
  const p = path.resolve(m.cwd ?? process.cwd(), expandHome(file));
  if (!fs.existsSync(p)) throw new MiError(`${file}: No such file or directory.`);
  try {
    await m.engine.loadProgram(p);
  } catch (e) {
    throw new MiError(errorMessage(e));
  }
  m.programPath = p;
  // A run usually follows: start the engine's tracer thread now (~0.1 s), while the front-end is still
  // sending its settings and breakpoints (the DAP adapter does the same at launch).
  (m.engine as { prestartTracer?: () => void }).prestartTracer?.();
}

async function attach(m: MiInterpreter, ctx: CommandContext, arg: string): Promise<CommandResult> {
  const pid = Number(arg);
  if (!Number.isInteger(pid) || pid <= 0) throw new MiError(`Illegal process-id: ${arg}.`);
  if (m.pid !== undefined) throw new MiError('A program is being debugged already.');
  let stop: StopInfo;
  try {
    stop = await m.engine.attach({ pid, program: m.programPath });
  } catch (e) {
    throw new MiError(errorMessage(e));
  }
  m.attached = true;
  void ctx;
  // gdb: ^done, then the stop (no reason) when the attach completes.
  setImmediate(() => void m.handleStop({ ...stop, reason: 'checkpoint' }, { token: ctx.token, fromCli: true, kind: 'attach', announced: true } as never));
  return {};
}

async function detach(m: MiInterpreter): Promise<void> {
  if (m.pid === undefined) throw new MiError('The program is not being run.');
  const pid = m.pid;
  await m.engine.detach();
  m.console(`[Inferior 1 (process ${pid}) detached]\n`);
  for (const n of m.knownThreadNumbers()) m.notify('thread-exited', { id: String(n), 'group-id': 'i1' });
  m.notify('thread-group-exited', { id: 'i1' });
  m.onProcessGone(undefined, { killed: true });
}

function reverseMode(m: MiInterpreter): boolean {
  return m.settings.get('exec-direction') === 'reverse';
}

/** Reverse execution: routed to the engine's reverse calls (which say when they are unavailable). */
export function reverseRun(m: MiInterpreter, ctx: CommandContext, kind: string): CommandResult {
  m.requireStopped();
  const e = m.engine;
  return resume(m, ctx, 'reverse-' + kind, (tid) => {
    switch (kind) {
      case 'continue':
        return e.reverseContinue({ threadId: tid });
      case 'next':
        return e.reverseNext({ threadId: tid });
      case 'step':
        return e.reverseStep({ threadId: tid });
      case 'finish':
        return e.reverseFinish({ threadId: tid });
      case 'stepi':
        return e.reverseStepInstruction({ threadId: tid });
      default:
        return e.reverseStepInstruction({ threadId: tid, over: true });
    }
  });
}

function stepFn(m: MiInterpreter, kind: string, tid: number, count?: number): Promise<StopInfo> {
  const e = m.engine;
  switch (kind) {
    case 'next':
      return e.next({ threadId: tid, count });
    case 'step':
      return e.step({ threadId: tid, count });
    case 'nexti':
      return e.stepInstruction({ threadId: tid, count, over: true });
    default:
      return e.stepInstruction({ threadId: tid, count });
  }
}

/** A resume command on the current (or --thread) thread. */
export function resume(m: MiInterpreter, ctx: CommandContext, kind: string, fn: (engineTid: number) => Promise<StopInfo>, cliText?: string): CommandResult {
  m.requireStopped();
  const t = m.currentThread(ctx);
  const tid = m.engineThread(t);
  // A console step prints its stop by where it started (SRC_LINE or SRC_AND_LOC): note the frame.
  const stepping = ctx.fromCli && /^(reverse-)?(next|step|nexti|stepi)$/.test(kind);
  return m.startRun(ctx, kind === 'stepi' || kind === 'nexti' ? 'stepi' : kind, () => fn(tid), {
    cliText,
    startFrame: stepping ? async () => (await m.engine.partialStack(tid, 1)).frames[0] : undefined,
  });
}

export async function checkFinish(m: MiInterpreter, ctx: CommandContext) {
  m.requireStopped();
  const t = m.currentThread(ctx);
  const lvl = m.currentFrameLevel(ctx);
  // The frame and its caller: no more of the stack.
  const s = await m.stackPrefix(t, lvl + 2);
  if (s.frames.length < lvl + 2) throw new MiError('"finish" not meaningful in the outermost frame.');
  return s.frames[lvl];
}

export async function jump(m: MiInterpreter, ctx: CommandContext, loc: string): Promise<CommandResult> {
  m.requireStopped();
  const lines = await m.engine.resolveLocation(loc);
  if (!lines.length || !lines[0].addresses.length) throw new MiError(`No line ${loc} in the current file.`);
  const target = lines[0].addresses[0];
  const f = await m.contextFrame(ctx);
  await m.engine.setRegister('rip', BigInt(target), f.id);
  m.invalidate();
  return resume(m, ctx, 'continue', (tid) => m.engine.cont({ threadId: tid }));
}

/** -exec-run / run / start. */
export async function run(m: MiInterpreter, ctx: CommandContext, stopAt: 'none' | 'main', cliText?: string): Promise<CommandResult> {
  if (!m.programPath) throw new MiError('No executable file specified.\nUse the "file" or "exec-file" command.');
  if (m.pid !== undefined) {
    await m.engine.kill().catch(() => undefined);
    m.onProcessGone(undefined, { killed: true });
  }
  const config: LaunchConfig = {
    program: m.programPath,
    args: m.programArgs,
    cwd: m.cwd,
    envOverrides: m.envOverrides,
    stopAt,
  };
  const solib = stopAt === 'none' && Number(m.settings.get('stop-on-solib-events')) !== 0;
  if (solib) config.stopAt = 'entry';
  const tty = m.inferiorTty;
  if (tty) {
    try {
      const fd = fs.openSync(tty, 'r+');
      config.stdio = [fd, fd, fd];
    } catch (e) {
      throw new MiError(`${tty}: ${errorMessage(e)}`);
    }
  } else if (!process.stdin.isTTY) {
    // The MI channel is our stdin: the program must not read it.
    const fd = fs.openSync('/dev/null', 'r');
    config.stdio = [fd, -1, -1];
  }
  return m.startRun(ctx, solib ? 'solib-event' : stopAt === 'main' ? 'start' : 'run', () => m.engine.launch(config), { cliText });
}

// ---------------------------------------------------------------- breakpoints

const BREAK_OPTS = [
  { name: 't', arg: false },
  { name: 'h', arg: false },
  { name: 'f', arg: false },
  { name: 'd', arg: false },
  { name: 'a', arg: false },
  { name: 'c', arg: true },
  { name: 'i', arg: true },
  { name: 'p', arg: true },
  { name: 'g', arg: true },
  { name: '-source', arg: true },
  { name: '-function', arg: true },
  { name: '-label', arg: true },
  { name: '-line', arg: true },
  { name: '-qualified', arg: false },
];

export interface BreakRequest {
  temporary?: boolean;
  hardware?: boolean;
  pending?: boolean;
  disabled?: boolean;
  condition?: string;
  ignore?: number;
  thread?: number;
  location?: string;
  source?: string;
  function?: string;
  line?: string;
  label?: string;
  dprintf?: string;
}

async function breakInsert(m: MiInterpreter, ctx: CommandContext, argv: string[], dprintf: boolean): Promise<CommandResult> {
  const { options, rest } = getopt(dprintf ? '-dprintf-insert' : '-break-insert', argv, BREAK_OPTS);
  const req: BreakRequest = {};
  for (const o of options) {
    switch (o.name) {
      case 't':
        req.temporary = true;
        break;
      case 'h':
        req.hardware = true;
        break;
      case 'f':
        req.pending = true;
        break;
      case 'd':
        req.disabled = true;
        break;
      case 'c':
        req.condition = o.arg;
        break;
      case 'i':
        req.ignore = Number(o.arg);
        break;
      case 'p':
        req.thread = Number(o.arg);
        break;
      case '-source':
        req.source = o.arg;
        break;
      case '-function':
        req.function = o.arg;
        break;
      case '-line':
        req.line = o.arg;
        break;
      case '-label':
        req.label = o.arg;
        break;
      default:
        break;
    }
  }
  if (dprintf) {
    if (!rest.length) throw new MiError('-dprintf-insert: Missing <location>');
    req.location = rest[0];
    req.dprintf = rest.slice(1).join(',');
  } else {
    if (rest.length > 1) throw new MiError('-break-insert: Garbage following <location>');
    req.location = rest[0];
  }
  const explicit = req.source !== undefined || req.function !== undefined || req.line !== undefined || req.label !== undefined;
  if (explicit && req.location !== undefined) throw new MiError('-break-insert: Garbage following explicit location');
  if (!explicit && req.location === undefined) {
    if (m.pid === undefined) throw new MiError('No default breakpoint location now selected.');
  }
  if (req.thread !== undefined) m.checkThreadOption(req.thread);
  void ctx;
  const { meta } = await insertBreakpoint(m, req);
  return { fields: [['bkpt', new MiRaw(m.bkptText(meta))]] };
}

/** gdb's original-location text for a request. */
async function originalLocation(m: MiInterpreter, req: BreakRequest): Promise<string> {
  if (req.source !== undefined || req.function !== undefined || req.line !== undefined || req.label !== undefined) {
    const parts: string[] = [];
    let src = req.source;
    if (src === undefined && req.line !== undefined && req.function === undefined) src = await defaultSourceFile(m);
    if (src !== undefined) parts.push(`-source ${src}`);
    if (req.function !== undefined) parts.push(`-function ${req.function}`);
    if (req.label !== undefined) parts.push(`-label ${req.label}`);
    if (req.line !== undefined) parts.push(`-line ${req.line}`);
    return parts.join(' ');
  }
  const loc = req.location ?? '';
  if (/^\d+$/.test(loc)) {
    const f = await defaultSourceFile(m);
    if (f) return `${f}:${loc}`;
  }
  return loc;
}

async function defaultSourceFile(m: MiInterpreter): Promise<string | undefined> {
  try {
    if (m.pid !== undefined && m.engine.state === 'stopped') {
      const f = await m.contextFrame();
      if (f.file) return f.file;
    }
  } catch {
    /* fall back to main's file */
  }
  try {
    const l = await m.engine.resolveLocation('main');
    return l[0]?.file;
  } catch {
    return undefined;
  }
}

function locationSpec(req: BreakRequest, original: string): LocationSpec {
  if (req.source !== undefined || req.function !== undefined || req.line !== undefined) {
    if (req.line !== undefined && /^\d+$/.test(req.line)) {
      if (req.function !== undefined) return `${req.source ? req.source + ':' : ''}${req.function}`;
      if (req.source !== undefined) return { file: req.source, line: Number(req.line) };
      return original.replace(/^-source (.*) -line (\d+)$/, '$1:$2');
    }
    if (req.function !== undefined) return req.source !== undefined ? { function: req.function, file: req.source } : { function: req.function };
    if (req.line !== undefined) return `${req.source ? req.source + ':' : ''}${req.line}`;
  }
  const loc = req.location ?? '';
  return loc;
}

export async function insertBreakpoint(m: MiInterpreter, req: BreakRequest): Promise<{ meta: MiBreakpointMeta }> {
  const original = req.location === undefined && !(req.source || req.function || req.line) ? await currentLocationText(m) : await originalLocation(m, req);
  const spec = locationSpec(req, original);
  const hasSymbols = m.programPath !== undefined;
  const threadId = req.thread !== undefined ? m.engineThread(req.thread) : undefined;
  let bp;
  let pendingText: string | undefined;
  try {
    if (!hasSymbols && !String(original).startsWith('*')) throw new MiError('No symbol table is loaded.  Use the "file" command.');
    bp = await m.engine.setBreakpoint(
      {
        location: spec,
        condition: req.condition,
        ignoreCount: req.ignore,
        temporary: req.temporary,
        enabled: !req.disabled,
        threadId,
        hardware: req.hardware,
        logMessage: req.dprintf,
      },
      { pending: req.pending },
    );
    if (bp.pending && bp.message) m.log(bp.message + '\n');
  } catch (e) {
    if (!req.pending) throw new MiError(errorMessage(e));
    // A pending breakpoint the engine cannot hold (no program yet): kept by MI and created on load.
    m.log(errorMessage(e) + '\n');
    pendingText = original;
  }
  const meta: MiBreakpointMeta = {
    number: m.nextBreakpointNumber++,
    original,
    type: req.dprintf !== undefined ? 'dprintf' : req.hardware ? 'hw breakpoint' : 'breakpoint',
    thread: req.thread,
    engineId: bp?.id,
    pending: pendingText ?? (bp && bp.locations.length === 0 ? original : undefined),
    times: 0,
    cond: req.condition,
    ignore: req.ignore,
    enabled: !req.disabled,
    temporary: !!req.temporary,
  };
  if (!bp) (meta as MiBreakpointMeta & { request?: BreakRequest }).request = req;
  m.breakpointMeta.set(meta.number, meta);
  await m.learnPrintNames(bp);
  m.noteBreakpointModified(meta, bp, false);
  return { meta };
}

async function currentLocationText(m: MiInterpreter): Promise<string> {
  const f = await m.contextFrame();
  return `*${hex(f.pc)}`;
}

/** Re-creates MI-only pending breakpoints once a program is loaded. */
export async function resolvePendingBreakpoints(m: MiInterpreter): Promise<void> {
  for (const meta of m.breakpointMeta.values()) {
    const req = (meta as MiBreakpointMeta & { request?: BreakRequest }).request;
    if (meta.engineId !== undefined || !req) continue;
    try {
      const bp = await m.engine.setBreakpoint(
        { location: locationSpec(req, meta.original), condition: meta.cond, ignoreCount: meta.ignore, temporary: meta.temporary, enabled: meta.enabled, hardware: req.hardware },
        { pending: true },
      );
      meta.engineId = bp.id;
      if (bp.locations.length) meta.pending = undefined;
      await m.learnPrintNames(bp);
      m.noteBreakpointModified(meta, bp, true);
    } catch {
      /* stays pending */
    }
  }
}

function breakTable(m: MiInterpreter, metas: MiBreakpointMeta[]): [string, MiValue][] {
  const body: [string, MiValue][] = [];
  let wide = false;
  for (const meta of metas) {
    const bp = m.engineBreakpoint(meta);
    if (bp && bp.locations.length && meta.pending === undefined) wide = true;
    // gdb: a hardware watchpoint's location is the watched address (a software one has none).
    if (meta.type.includes('watchpoint') && meta.type !== 'watchpoint') wide = true;
    body.push(['bkpt', new MiRaw(bkptValue(meta, bp, m.miVersion, (a) => m.symbolAt(a), (l) => m.printName(l)).text)]);
  }
  const hdr = [
    { width: '7', alignment: '-1', col_name: 'number', colhdr: 'Num' },
    { width: '14', alignment: '-1', col_name: 'type', colhdr: 'Type' },
    { width: '4', alignment: '-1', col_name: 'disp', colhdr: 'Disp' },
    { width: '3', alignment: '-1', col_name: 'enabled', colhdr: 'Enb' },
    { width: wide ? '18' : '10', alignment: '-1', col_name: 'addr', colhdr: 'Address' },
    { width: '40', alignment: '2', col_name: 'what', colhdr: 'What' },
  ];
  return [['BreakpointTable', { nr_rows: String(metas.length), nr_cols: '6', hdr, body: new MiResults(body) }]];
}

export function parseBreakpointNumber(m: MiInterpreter, a: string): MiBreakpointMeta {
  const n = Number(a);
  if (!/^\d+$/.test(a)) throw new MiError(`Bad breakpoint number '${a}'`);
  const meta = m.breakpointMeta.get(n);
  if (!meta) throw new MiError(`No breakpoint number ${n}.`);
  return meta;
}

export async function deleteBreakpoint(m: MiInterpreter, meta: MiBreakpointMeta, notify = false): Promise<void> {
  m.breakpointMeta.delete(meta.number);
  m.forgetBreakpoint(meta.number);
  if (meta.engineId !== undefined) await m.engine.removeBreakpoint(meta.engineId).catch(() => undefined);
  if (notify) m.notify('breakpoint-deleted', { id: String(meta.number) });
}

export async function enableBreakpoint(m: MiInterpreter, meta: MiBreakpointMeta, on: boolean, notify: boolean): Promise<void> {
  meta.enabled = on;
  if (meta.engineId !== undefined) await m.engine.updateBreakpoint(meta.engineId, { enabled: on });
  m.noteBreakpointModified(meta, undefined, notify);
}

export async function setCondition(m: MiInterpreter, meta: MiBreakpointMeta, cond: string | undefined, notify: boolean): Promise<void> {
  if (meta.engineId !== undefined) {
    try {
      await m.engine.updateBreakpoint(meta.engineId, { condition: cond ?? '' });
    } catch (e) {
      throw new MiError(errorMessage(e));
    }
  }
  meta.cond = cond;
  m.noteBreakpointModified(meta, undefined, notify);
}

export async function setIgnore(m: MiInterpreter, meta: MiBreakpointMeta, count: number, notify: boolean): Promise<void> {
  if (meta.engineId !== undefined) await m.engine.updateBreakpoint(meta.engineId, { ignoreCount: count });
  meta.ignore = count;
  m.noteBreakpointModified(meta, undefined, notify);
}

export async function watch(m: MiInterpreter, text: string, kind: 'write' | 'read' | 'access'): Promise<CommandResult & { meta: MiBreakpointMeta; software: boolean }> {
  // gdb's `watch EXPR if COND`.
  const split = /^(.*?)\s+if(?:\s+(.*)|\s*)$/.exec(text);
  const expr = split ? split[1].trim() : text;
  const cond = split ? split[2]?.trim() : undefined;
  if (split && !cond) throw new MiError('Argument required (boolean expression).');
  const wp = await m.engine.setWatchpoint({ expression: expr, access: kind === 'access' ? 'readWrite' : kind, condition: cond });
  // A software watchpoint is slower by orders of magnitude: say so on the log stream.
  if (wp.warning) m.log(`warning: ${wp.warning}\n`);
  const meta: MiBreakpointMeta = {
    number: m.nextBreakpointNumber++,
    original: expr,
    type: wp.software ? 'watchpoint' : kind === 'write' ? 'hw watchpoint' : kind === 'read' ? 'read watchpoint' : 'acc watchpoint',
    exp: expr,
    cond,
    engineId: wp.id,
    times: 0,
    enabled: true,
    temporary: false,
  };
  m.breakpointMeta.set(meta.number, meta);
  m.noteBreakpointModified(meta, undefined, false); // as created: not "modified" at the next run
  const name = kind === 'write' ? 'wpt' : kind === 'read' ? 'hw-rwpt' : 'hw-awpt';
  return { fields: { [name]: { number: String(meta.number), exp: expr } }, meta, software: !!wp.software };
}

// ---------------------------------------------------------------- threads

export async function threadTuple(m: MiInterpreter, t: { id: number; name: string; targetId: string; frame?: import('../engine/api').FrameInfo }): Promise<MiTuple> {
  const num = m.threadNumber(t.id);
  const tup: MiTuple = { id: String(num), 'target-id': t.targetId, name: t.name };
  let f = t.frame;
  if (!f) f = await m.frameAt(num, 0).catch(() => undefined);
  if (f) tup.frame = frameTuple({ ...f, level: 0 }, { level: true, args: await m.frameArgs(f) });
  tup.state = m.running ? 'running' : 'stopped';
  tup.core = m.coreOf(t.id);
  return tup;
}

// ---------------------------------------------------------------- variables

export type PrintValues = 0 | 1 | 2;

/**
 * PRINT_VALUES of the stack and var-object commands. gdb words the error differently in its stack
 * commands (mi-cmd-stack.c) and its var-object commands (mi-cmd-var.c): `badValue` is the caller's.
 */
export function printValues(a: string, badValue = 'Unknown value for PRINT_VALUES: must be: 0 or "--no-values", 1 or "--all-values", 2 or "--simple-values"'): PrintValues {
  switch (a) {
    case '0':
    case '--no-values':
      return 0;
    case '1':
    case '--all-values':
      return 1;
    case '2':
    case '--simple-values':
      return 2;
    default:
      throw new MiError(badValue);
  }
}

interface FrameVar {
  name: string;
  value: string;
  type?: string;
  aggregate: boolean;
  arg?: boolean;
  /** A local of a nested lexical block (see -stack-list-variables). */
  nested?: boolean;
  /** `x@entry`: a parameter's value on entry (gdb lists it only when values are printed). */
  entry?: boolean;
}

export async function frameVariables(m: MiInterpreter, f: import('../engine/api').FrameInfo, kind: 'arguments' | 'locals'): Promise<FrameVar[]> {
  const scopes = await m.engine.scopes(f.id);
  const out: FrameVar[] = [];
  for (const s of scopes.filter((x) => x.kind === kind)) {
    for (const v of await m.engine.variables(s.variablesReference)) {
      out.push({ name: v.name, value: miValue(v.value), type: v.type, aggregate: isAggregateType(v.type, v.value), nested: v.nestedBlock, entry: v.entryValue });
    }
  }
  return out;
}

/** gdb's --simple-values: arrays, structs, unions and classes are not simple; pointers are. */
export function isAggregateType(type: string | undefined, value: string): boolean {
  if (type) {
    if (/\[\d*\]$/.test(type)) return true;
    if (/\*$/.test(type.trim()) || /&$/.test(type.trim())) return false;
    if (/^(struct|union|class)\b/.test(type)) return true;
  }
  return /^\{/.test(value);
}

function varList(vars: FrameVar[], pv: PrintValues, withArgFlag: boolean): MiValue {
  // gdb reads entry values only with the values it prints (not for --simple-values of an aggregate).
  if (vars.some((v) => v.entry)) vars = vars.filter((v) => !v.entry || pv === 1 || (pv === 2 && !v.aggregate));
  if (pv === 0 && !withArgFlag) return new MiResults(vars.map((v) => ['name', v.name] as [string, MiValue]));
  return vars.map((v) => {
    const t: MiTuple = { name: v.name };
    if (withArgFlag && v.arg) t.arg = '1';
    if (pv === 2) {
      t.type = v.type;
      if (!v.aggregate) t.value = v.value;
    } else if (pv === 1) {
      t.value = v.value;
    }
    return t;
  });
}

// ---------------------------------------------------------------- evaluation

export async function evalFrameId(m: MiInterpreter, ctx?: CommandContext): Promise<number | undefined> {
  if (m.pid === undefined || m.engine.state !== 'stopped') return undefined;
  try {
    return (await m.contextFrame(ctx)).id;
  } catch {
    return undefined;
  }
}

export async function evaluate(m: MiInterpreter, ctx: CommandContext | undefined, expr: string, format?: import('../engine/api').ValueFormat, printStyle = false): Promise<string> {
  if (m.running) throw new MiError('Cannot execute this command while the target is running.\nUse the "interrupt" command to stop the target\nand then try again.');
  const frameId = await evalFrameId(m, ctx);
  try {
    const r = await m.engine.evaluate(expr, { frameId, context: 'repl', format });
    // A value that cannot be read at all is an error for gdb (`Cannot access memory at address 0x0`).
    const whole = /^<error: ([^>]*)>$/.exec(r.value);
    if (whole) throw new MiError(whole[1]);
    return printStyle ? r.value : miValue(r.value);
  } catch (e) {
    throw new MiError(errorMessage(e));
  }
}

/** Evaluates an address expression ("$pc", "0x401000", "&x", "(0x1234)+16"). */
export async function evalAddress(m: MiInterpreter, ctx: CommandContext | undefined, expr: string): Promise<number> {
  const t = expr.trim();
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return Number(t);
  let v = await evaluate(m, ctx, t);
  // An array stands for its address (gdb's value_as_address coerces it to a pointer).
  if (/^["{]/.test(v.trim())) v = await evaluate(m, ctx, `&(${t})[0]`).catch(() => v);
  const mm = /^(?:\{[^}]*\}\s*)?(?:\([^)]*\)\s*)?(0x[0-9a-fA-F]+|-?\d+)/.exec(v.trim());
  if (!mm) throw new MiError(`Invalid number "${v}".`);
  const n = mm[1].startsWith('-') ? Number(BigInt.asUintN(64, BigInt(mm[1]))) : Number(mm[1]);
  return n;
}

// ---------------------------------------------------------------- memory

/** Whether memory reads go to the object files (no process yet: gdb reads the executable's sections). */
function fromFiles(m: MiInterpreter): boolean {
  return m.pid === undefined || m.engine.state === 'empty' || m.engine.state === 'loaded' || m.engine.state === 'exited';
}

/**
 * Memory for disassembly and `x`: the process's, or before `run` the object files' sections at
 * their link-time addresses (as gdb shows a PIE then). Throws gdb's `Cannot access memory at address`.
 */
export async function readCode(m: MiInterpreter, address: number, count: number): Promise<{ address: number; data: Buffer }> {
  if (!fromFiles(m)) return m.engine.readMemory(address, count);
  const data = m.engine.readFileMemory(address, count);
  if (!data || !data.length) throw new MiError(`Cannot access memory at address ${hex(address)}`);
  return { address, data };
}

/**
 * Symbols in disassembly as gdb's print_address shows them (`set print asm-demangle off`): linkage
 * names (`main()`, `_ZNK5Mixed4peekEv`), data symbols in comments (`# 0x4024 <counter>`), BFD's
 * `puts@plt` stubs.
 */
export function asmSymbolizer(m: MiInterpreter): (a: number) => { function: string; offset: number } | undefined {
  return (a) => {
    try {
      const s = m.engine.addressSymbol(a, { linkageNames: true });
      if (s) return { function: s.name, offset: s.offset };
      // BFD's synthetic PLT symbols, which the ELF symbol tables do not have.
      const i = m.engine.addressInfo(a);
      return i.function && i.function.includes('@') ? { function: i.function, offset: i.offset ?? 0 } : undefined;
    } catch {
      return undefined;
    }
  };
}

/** The engine, reading memory as readCode does (for the shared disassembler). */
export function codeSource(m: MiInterpreter): Engine {
  if (!fromFiles(m)) return m.engine;
  const engine = m.engine;
  return {
    readMemory: async (address: number, count: number) => ({ ...(await readCode(m, address, count)), unreadableBytes: 0 }),
    addressInfo: (a: number) => engine.addressInfo(a),
  } as unknown as Engine;
}

async function dataReadMemory(m: MiInterpreter, ctx: CommandContext, argv: string[]): Promise<CommandResult> {
  const { options, rest } = getopt('-data-read-memory', argv, [{ name: 'o', arg: true }]);
  if (rest.length < 5 || rest.length > 6) throw new MiError('-data-read-memory: Usage: ADDR WORD-FORMAT WORD-SIZE NR-ROWS NR-COLS [ASCHAR].');
  const base = (await evalAddress(m, ctx, rest[0])) + (options.length ? Number(options[0].arg) : 0);
  const fmt = rest[1];
  const size = Number(rest[2]);
  const rows = Number(rest[3]);
  const cols = Number(rest[4]);
  const aschar = rest[5];
  if (![1, 2, 4, 8].includes(size)) throw new MiError('-data-read-memory: invalid word size');
  if (rows < 1) throw new MiError('-data-read-memory: invalid number of rows.');
  if (cols < 1) throw new MiError('-data-read-memory: invalid number of columns.');
  m.requireProcess();
  const total = size * rows * cols;
  const r = await m.engine.readMemory(base, total);
  if (!r.data.length) throw new MiError('Unable to read memory.');
  const memory: MiTuple[] = [];
  for (let row = 0; row < rows; row++) {
    const data: string[] = [];
    let ascii = '';
    for (let c = 0; c < cols; c++) {
      const off = (row * cols + c) * size;
      if (off + size > r.data.length) {
        data.push('N/A');
        continue;
      }
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.data[off + i]);
      data.push(formatWord(v, fmt, size));
      if (aschar) for (let i = 0; i < size; i++) ascii += r.data[off + i] >= 0x20 && r.data[off + i] < 0x7f ? String.fromCharCode(r.data[off + i]) : aschar;
    }
    const t: MiTuple = { addr: addr16(base + row * cols * size), data };
    if (aschar) t.ascii = ascii;
    memory.push(t);
  }
  return {
    fields: {
      addr: addr16(base),
      'nr-bytes': String(Math.min(total, r.data.length)),
      'total-bytes': String(total),
      'next-row': addr16(base + cols * size),
      'prev-row': addr16(base - cols * size),
      'next-page': addr16(base + total),
      'prev-page': addr16(base - total),
      memory,
    },
  };
}

function formatWord(v: bigint, fmt: string, size: number): string {
  const bits = BigInt(size * 8);
  switch (fmt) {
    case 'x':
      return '0x' + v.toString(16).padStart(size * 2, '0');
    case 'o':
      return '0' + v.toString(8);
    case 't':
      return v.toString(2).padStart(size * 8, '0');
    case 'd':
      return BigInt.asIntN(Number(bits), v).toString();
    case 'c': {
      const n = Number(BigInt.asIntN(8, v));
      return `${n} '${String.fromCharCode(Number(v & 0xffn))}'`;
    }
    case 'a':
      return '0x' + v.toString(16);
    default:
      return v.toString();
  }
}

// ---------------------------------------------------------------- registers

async function availableRegisterNames(m: MiInterpreter, ctx: CommandContext): Promise<string[]> {
  // gdb answers from the target description of the current (or last) run: ymm/zmm/k when the CPU has them.
  if (m.engine.state === 'stopped') await m.contextFrame(ctx).then((f) => registerValues(m.engine, f.id)).catch(() => undefined);
  return currentRegisterNames(m.engine);
}

// ---------------------------------------------------------------- disassembly

const DISASSEMBLE_USAGE = '-data-disassemble: Usage: ( -f filename -l linenum [-n howmany] | -s startaddr -e endaddr | -a addr ) [ --opcodes mode ] [ --source ] [ [--] mode ].';

/**
 * -data-disassemble as gdb 13's mi_cmd_disassemble: options in order (addresses evaluated as they
 * come), one of `-f/-l [-n]`, `-s/-e`, `-a`; MODE optional (0), read with atoi; `--opcodes
 * none|display|bytes` and `--source` (mode 0 only) override the mode's opcodes and source layout;
 * `-f/-l` and `-a` disassemble the whole function holding the address, `-n` instructions at most.
 */
async function dataDisassemble(m: MiInterpreter, ctx: CommandContext, argv: string[]): Promise<CommandResult> {
  const { options, rest } = getopt('-data-disassemble', argv, [
    { name: 'f', arg: true },
    { name: 'l', arg: true },
    { name: 'n', arg: true },
    { name: 's', arg: true },
    { name: 'e', arg: true },
    { name: 'a', arg: true },
    { name: '-opcodes', arg: true },
    { name: '-source', arg: false },
  ]);
  const seen = new Set<string>();
  let file = '';
  let lineNum = -1;
  let howMany = -1;
  let start = 0;
  let end = 0;
  let addr = 0;
  let opcodesMode: 'default' | 'none' | 'display' | 'bytes' = 'default';
  for (const o of options) {
    seen.add(o.name);
    const arg = o.arg ?? '';
    switch (o.name) {
      case 'f':
        file = arg;
        break;
      case 'l':
        lineNum = atoi(arg);
        break;
      case 'n':
        howMany = atoi(arg);
        break;
      case 's':
        start = await evalAddress(m, ctx, arg);
        break;
      case 'e':
        end = await evalAddress(m, ctx, arg);
        break;
      case 'a':
        addr = await evalAddress(m, ctx, arg);
        break;
      case '-opcodes':
        if (arg !== 'none' && arg !== 'display' && arg !== 'bytes') throw new MiError('-data-disassemble: unknown value for -opcodes argument');
        opcodesMode = arg;
        break;
    }
  }
  const has = (n: string) => seen.has(n);
  const byLine = has('l') && has('f') && !has('s') && !has('e') && !has('a');
  const byRange = !has('l') && !has('f') && !has('n') && has('s') && has('e') && !has('a');
  const byAddr = !has('l') && !has('f') && !has('n') && !has('s') && !has('e') && has('a');
  if (!(byLine || byRange || byAddr) || rest.length > 1) throw new MiError(DISASSEMBLE_USAGE);
  const mode = rest.length === 1 ? atoi(rest[0]) : 0;
  if (mode < 0 || mode > 5) throw new MiError('-data-disassemble: Mode argument must be in the range 0-5.');
  if (mode !== 0 && (has('-source') || has('-opcodes'))) throw new MiError('-data-disassemble: --opcodes and --source can only be used with mode 0');
  // x86 opcodes are bytes: `display` and `bytes` print them alike.
  const opcodes = opcodesMode !== 'default' ? opcodesMode !== 'none' : mode === 2 || mode === 3 || mode === 5;
  const sourceMode: 'source' | 'deprecated' | undefined = has('-source') ? 'source' : mode === 1 || mode === 3 ? 'deprecated' : mode === 4 || mode === 5 ? 'source' : undefined;
  const functionRange = async (a: number): Promise<void> => {
    const info = m.engine.addressInfo(a);
    if (!info.function || info.offset === undefined) throw new MiError('-data-disassemble: No function contains specified address');
    start = a - info.offset;
    end = await functionEnd(m, start, info.function);
  };
  if (byLine) {
    // find_line_pc: the line's code, or the next line's that has some.
    let r: ReturnType<MiInterpreter['engine']['lineCode']>;
    try {
      r = m.engine.lineCode(file, lineNum);
    } catch {
      throw new MiError('-data-disassemble: Invalid filename.');
    }
    if ('outOfRange' in r || lineNum <= 0) throw new MiError('-data-disassemble: Invalid line number');
    await functionRange(r.start);
  } else if (byAddr) {
    await functionRange(addr);
  }
  const count = howMany >= 0 ? howMany : undefined;
  if (end <= start) return { fields: { asm_insns: [] } };
  const all = await disassemble(codeSource(m), start, end, { symbolize: asmSymbolizer(m), flavor: m.settings.get('disassembly-flavor') === 'intel' ? 'intel' : 'att' });
  const lines = count !== undefined ? all.slice(0, count) : all;
  const withSource = sourceMode !== undefined;
  const insn = (l: DisasmLine): MiTuple => {
    const t: MiTuple = { address: addr16(l.address) };
    if (l.function) {
      t['func-name'] = l.function;
      t.offset = String(l.offset ?? 0);
    }
    if (opcodes) t.opcodes = l.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    t.inst = l.text;
    return t;
  };
  if (!withSource) return { fields: { asm_insns: lines.map(insn) } };
  // gdb's do_mixed_source_and_assembly(_deprecated) over the same range (src/mi/disasm-source.ts).
  const items = await mixedSourceAndAssembly(m, start, end, {
    mode: sourceMode,
    howMany: count,
    flavor: m.settings.get('disassembly-flavor') === 'intel' ? 'intel' : 'att',
    symbolize: asmSymbolizer(m),
    read: async (a, n) => (await readCode(m, a, n)).data,
  });
  if (!items) return { fields: { asm_insns: lines.map(insn) } };
  const out: [string, MiValue][] = [];
  for (const it of items) {
    if (it.kind !== 'src') continue;
    const t: MiTuple = {};
    if (it.src) {
      t.line = String(it.src.line);
      t.file = it.src.file;
      t.fullname = it.src.fullPath;
    }
    t.line_asm_insn = it.insns.map(insn);
    out.push(['src_and_asm_line', t]);
  }
  return { fields: { asm_insns: new MiResults(out) } };
}

async function functionEnd(m: MiInterpreter, start: number, name: string): Promise<number> {
  void name;
  // Walk forward until the address leaves the function (its symbol's size, as gdb's
  // find_pc_partial_function bounds it), bounded.
  const sym = asmSymbolizer(m);
  const inside = (x: number) => {
    const s = sym(x);
    return s !== undefined && x - s.offset === start;
  };
  let a = start;
  const step = 16;
  for (let i = 0; i < 4096; i++) {
    if (!inside(a + step)) break;
    a += step;
  }
  // Refine to the byte.
  let e = a + 1;
  while (e < a + step + 1) {
    if (!inside(e)) break;
    e++;
  }
  return e;
}

// ---------------------------------------------------------------- symbols

/**
 * -symbol-list-lines FILE: the line table of the first symtab named FILE, item by item as gdb's
 * mi_cmd_symbol_list_lines prints it (address order; every line-table row gdb keeps, end-of-sequence
 * rows as `line="0"`), at link-time addresses before `run` and run-time ones after.
 */
async function symbolListLines(m: MiInterpreter, file: string): Promise<MiTuple[]> {
  let rows: { address: number; line: number }[];
  try {
    rows = await m.engine.lineTable(file);
  } catch {
    throw new MiError('-symbol-list-lines: Unknown source file name.');
  }
  return rows.map((r) => ({ pc: addr16(r.address), line: String(r.line) }));
}

async function symbolInfo(m: MiInterpreter, argv: string[], what: 'functions' | 'variables' | 'types'): Promise<CommandResult> {
  const { options } = getopt(`-symbol-info-${what}`, argv, [
    { name: '-name', arg: true },
    { name: '-type', arg: true },
    { name: '-include-nondebug', arg: false },
    { name: '-max-results', arg: true },
  ]);
  const name = options.find((o) => o.name === '-name')?.arg;
  const typeRe = options.find((o) => o.name === '-type')?.arg;
  const max = options.find((o) => o.name === '-max-results')?.arg;
  if (max !== undefined && !/^\d+$/.test(max)) throw new MiError(`Invalid value for --max-results: ${max}`);
  if (what === 'types') return { fields: { symbols: {} } };
  let found: SymbolSearchResult;
  try {
    found = searchSymbols(m.engine, {
      kind: what === 'functions' ? 'function' : 'variable',
      name,
      type: typeRe,
      includeNondebug: options.some((o) => o.name === '-include-nondebug'),
      maxResults: max !== undefined ? Number(max) : undefined,
    });
  } catch (e) {
    throw new MiError(`Invalid regexp: ${errorMessage(e)}`);
  }
  const byFile = new Map<string, MiTuple & { symbols: MiTuple[] }>();
  for (const s of found.debug) {
    let g = byFile.get(s.fullPath);
    if (!g) {
      g = { filename: s.file, fullname: s.fullPath, symbols: [] };
      byFile.set(s.fullPath, g);
    }
    const t: MiTuple = {};
    if (s.line !== undefined) t.line = String(s.line);
    t.name = s.name;
    t.type = s.type;
    t.description = s.description;
    g.symbols.push(t);
  }
  const symbols: MiTuple = {};
  if (byFile.size) symbols.debug = [...byFile.values()];
  if (found.nondebug.length) symbols.nondebug = found.nondebug.map((n) => ({ address: addr16(n.address), name: n.name }));
  return { fields: { symbols } };
}

// ---------------------------------------------------------------- set

/** `set ...` / `-gdb-set ...`: parameters, `set var`, `set env`, `set args`. */
export async function setCommand(m: MiInterpreter, ctx: CommandContext, text: string, fromCli: boolean): Promise<void> {
  const t = text.trim();
  if (!t) throw new MiError('Argument required (expression to compute).');
  const words = t.split(/\s+/);
  const w0 = words[0];
  if (w0 === 'var' || w0 === 'variable') {
    await assignExpression(m, ctx, t.slice(w0.length).trim());
    return;
  }
  if (w0 === 'env' || w0 === 'environment') {
    const rest = t.slice(w0.length).trim();
    const mm = /^([^\s=]+)\s*(?:=\s*|\s+)?(.*)$/.exec(rest);
    if (!mm) throw new MiError('Argument required (environment variable and value).');
    m.envOverrides[mm[1]] = mm[2];
    return;
  }
  if (w0 === 'args') {
    m.programArgs = splitShellArgs(t.slice(4));
    m.programArgsText = t.slice(4).trim();
    return;
  }
  if (w0 === 'cwd') {
    m.cwd = t.slice(3).trim() || undefined;
    return;
  }
  if (w0 === 'inferior-tty') {
    m.inferiorTty = t.slice(12).trim() || undefined;
    return;
  }
  if (w0 === 'exec-direction') {
    const v = (words[1] ?? '').trim();
    if (v.startsWith('r') && 'reverse'.startsWith(v)) {
      if (!m.reverseRecording && m.pid === undefined) throw new MiError('Target does not support this operation.');
    }
  }
  const hit = m.settings.lookup(words);
  if (!hit) {
    if (/=/.test(t)) {
      await assignExpression(m, ctx, t);
      return;
    }
    if (!m.programPath) throw new MiError('No symbol table is loaded.  Use the "file" command.');
    throw new MiError(`No symbol "${w0}" in current context.`);
  }
  const value = hit.rest.join(' ');
  const changed = m.settings.set(hit.def, value);
  if (hit.def.name === 'output-radix' && fromCli) {
    const n = Number(hit.def.value);
    m.console(`Output radix now set to decimal ${n}, hex ${n.toString(16)}, octal ${n.toString(8)}.\n`);
  }
  if (fromCli && changed) m.notify('cmd-param-changed', { param: hit.def.name, value: hit.def.value });
}

/** `set var LHS = RHS`: assignment through the engine; gdb reports the written range as =memory-changed. */
export async function assignExpression(m: MiInterpreter, ctx: CommandContext | undefined, expr: string): Promise<void> {
  const split = splitAssignment(expr);
  if (!split) {
    await evaluate(m, ctx, expr);
    return;
  }
  if (!m.programPath) throw new MiError('No symbol table is loaded.  Use the "file" command.');
  const frameId = await evalFrameId(m, ctx);
  let where: { addr: number; len: number } | undefined;
  try {
    const a = await m.engine.evaluate(`&(${split.lhs})`, { frameId });
    const s = await m.engine.evaluate(`sizeof(${split.lhs})`, { frameId });
    const am = /0x[0-9a-f]+/.exec(a.value);
    if (am) where = { addr: Number(am[0]), len: Number(s.value) };
  } catch {
    /* a register or convenience variable */
  }
  try {
    await m.engine.setExpression(split.lhs, split.rhs, { frameId });
  } catch (e) {
    throw new MiError(errorMessage(e));
  }
  m.invalidate();
  if (where && m.pid !== undefined) m.notify('memory-changed', { 'thread-group': 'i1', addr: addr16(where.addr), len: hex(where.len) });
}

function splitAssignment(expr: string): { lhs: string; rhs: string } | undefined {
  let depth = 0;
  let q: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = undefined;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '=' && depth === 0) {
      const prev = expr[i - 1];
      // Compound assignments (+=, <<=, ...) are evaluated whole.
      if (prev && '+-*/%&|^'.includes(prev)) return undefined;
      if ((prev === '<' || prev === '>') && expr[i - 2] === prev) return undefined;
      const next = expr[i + 1];
      if (next === '=' || prev === '=' || prev === '!' || prev === '<' || prev === '>') {
        if (next === '=') i++;
        continue;
      }
      return { lhs: expr.slice(0, i).trim(), rhs: expr.slice(i + 1).trim() };
    }
  }
  return undefined;
}

export { ARCH };
