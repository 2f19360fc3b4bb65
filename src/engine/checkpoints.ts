// Fork-based checkpoints of one debugged program (gdb's `checkpoint`, `info checkpoints`, `restart N`,
// `delete checkpoint N`), on top of the target layer's injected clone() (Inferior.forkCheckpoint,
// Tracer.spawnFromCheckpoint; see docs/checkpoints.md).
//
// Model. A checkpoint is a frozen process: a copy of the program, stopped, never resumed. Restarting
// checkpoint N forks a FRESH copy of it and makes that copy the program being debugged, so N itself never
// changes and can be restarted again and again. The process being left is kept as a checkpoint of its
// own (the main process as id 0, as gdb shows it; any other as a new, "automatic" id), unless it cannot
// be (multi-threaded) or is not wanted. Ids follow gdb: checkpoints count from 1, 0 is the main process,
// and numbering starts again at 1 once no checkpoint is left.
//
// The manager is stateless about which process is current: every call takes the session's current
// Inferior (or undefined when no process runs) and restart() returns the Inferior to switch to.

import * as fs from 'fs';
import { CheckpointBreakpoint, Inferior, StopEvent, Tracer } from '../target';
import { EngineError, EngineErrorCode } from './api';

/** Where a pc is, for `info checkpoints` (the session's symbolizer supplies it). */
export interface PcLocation {
  function?: string;
  /** File name as gdb shows it. */
  file?: string;
  line?: number;
}

/** The offset of a regular file open in the program when a checkpoint was taken (from /proc/PID/fdinfo). */
export interface FileOffset {
  fd: number;
  pos: number;
  /** What the descriptor named then (/proc/PID/fd link). */
  path: string;
  /** open() flags (octal in fdinfo). */
  flags: number;
}

/** What a process costs, from /proc/PID/smaps_rollup (kB). */
export interface MemoryUsage {
  rssKb: number;
  pssKb: number;
  /** Pages only this process holds, written since the fork: what keeping the checkpoint really costs. */
  privateDirtyKb: number;
  sharedDirtyKb: number;
}

export interface Checkpoint {
  readonly id: number;
  readonly pid: number;
  readonly pc: number;
  /** Date.now() when it was taken. */
  readonly takenAt: number;
  /** Made by the debugger (a process left by restart, a reverse-execution trail point), not by the user: the first dropped at the limit. */
  readonly automatic: boolean;
  /** Offsets of the regular files open then: put back at each restart. */
  readonly files: FileOffset[];
  /** The stop the program was at. */
  readonly stop: StopEvent;
  /** fs_base of the copy (glibc's thread pointer; 0 without TLS). */
  readonly fsBase: number;
  /** Breakpoints inserted then: used at a restart when no live process has the current ones. */
  readonly breakpoints: CheckpointBreakpoint[];
  /** For a process kept by restart: the checkpoint it had been restarted from (undefined: the main process line). */
  readonly from?: number;
}

/** One line of `info checkpoints` (a superset of the engine API's CheckpointInfo). */
export interface CheckpointEntry {
  id: number;
  pid: number;
  pc: number;
  function?: string;
  file?: string;
  line?: number;
  /** The process the session runs (a live copy of checkpoint `id`, or the main process for id 0). */
  current: boolean;
  /** gdb's line: "  1 process 12363 at 0x555555555187, file t.c, line 8". */
  description: string;
  main: boolean;
  automatic: boolean;
  /** When the checkpoint was taken (absent for a current process that was never frozen). */
  takenAt?: number;
  /** Memory the frozen process holds (absent for the current process, or when not asked for). */
  memory?: MemoryUsage;
}

export interface RestartResult {
  /** The new current process: a fresh copy of the checkpoint, stopped where it was taken. */
  inferior: Inferior;
  checkpoint: Checkpoint;
  /** What became of the process that was current (absent when none was alive). */
  left?: { pid: number; kept?: Checkpoint; killed?: string };
  /** gdb's "Switching to Thread 0x7ffff7dd2740 (LWP 12363)". */
  message: string;
  /** Descriptors whose offset could not be put back, and breakpoints that could not be inserted. */
  seekFailures: number[];
  breakpointFailures: number[];
}

export interface CheckpointManagerOptions {
  /** Most frozen checkpoints kept at once (default 128). At the limit the oldest automatic one goes; with none, creating one is an error. */
  maxCheckpoints?: number;
  /** pc -> function, file, line for the listing (the session's symbolizer). */
  locate?: (pc: number) => PcLocation | undefined;
  /** gdb's name of the current process ("Thread 0x7ffff7dd2740 (LWP 12360)"); default from fs_base and the presence of libc. */
  threadLabel?: (inf: Inferior) => string | undefined;
}

export const MULTI_THREADED_ERROR = 'checkpoints of a multi-threaded program are not supported: fork copies only the calling thread';
const NOT_RUNNING = 'The program is not being run.';
const RUNNING = 'Cannot execute this command while the target is running.';

export class CheckpointManager {
  private readonly frozen = new Map<number, Checkpoint>();
  /** pid of a process made by restart -> the checkpoint id it is a copy of. Other processes are the main line (0). */
  private readonly origins = new Map<number, number>();
  private readonly fsBases = new Map<number, number>();
  private readonly libcUsers = new Set<number>();
  private nextId = 1;
  private lastBreakpoints: CheckpointBreakpoint[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  readonly maxCheckpoints: number;

  constructor(
    private readonly tracer: Tracer,
    private readonly options: CheckpointManagerOptions = {},
  ) {
    this.maxCheckpoints = options.maxCheckpoints ?? 128;
    if (!(this.maxCheckpoints >= 1)) throw new EngineError('The maximum number of checkpoints must be at least 1.', 'invalid');
  }

  /** Number of frozen checkpoints (the main process, when kept, included). */
  get size(): number {
    return this.frozen.size;
  }

  get(id: number): Checkpoint | undefined {
    return this.frozen.get(id);
  }

  /** All frozen checkpoints, by id. */
  all(): Checkpoint[] {
    return [...this.frozen.values()].sort((a, b) => a.id - b.id);
  }

  /** The checkpoint id the given process stands for: what it was restarted from, or 0 (the main process). */
  originOf(inf: Inferior): number {
    return this.origins.get(inf.pid) ?? 0;
  }

  /**
   * Takes a checkpoint of the stopped current process (gdb `checkpoint`). automatic: made by the
   * debugger itself (dropped first at the limit).
   */
  create(current: Inferior | undefined, opts: { automatic?: boolean } = {}): Promise<Checkpoint> {
    return this.serial(async () => {
      const inf = requireStopped(current);
      if (this.frozen.size >= this.maxCheckpoints) {
        // Do not drop anything for a checkpoint that cannot be taken.
        if ((await inf.threads()).length > 1) throw new EngineError(MULTI_THREADED_ERROR, 'unsupported');
        if (!(await this.dropOldestAutomatic(current))) {
          throw new EngineError(
            `Too many checkpoints: the limit is ${this.maxCheckpoints}. Delete some with "delete checkpoint ID" first.`,
            'invalid',
          );
        }
      }
      const files = readFileOffsets(inf.pid);
      const breakpoints = toSpecs(await inf.breakpoints());
      this.lastBreakpoints = breakpoints;
      const fork = await targetCall(() => inf.forkCheckpoint());
      this.fsBases.set(inf.pid, fork.fsBase);
      const ck: Checkpoint = {
        id: this.nextId++,
        pid: fork.pid,
        pc: fork.pc,
        takenAt: Date.now(),
        automatic: opts.automatic ?? false,
        files,
        stop: inf.lastStop,
        fsBase: fork.fsBase,
        breakpoints,
      };
      this.frozen.set(ck.id, ck);
      return ck;
    });
  }

  /**
   * Switches to a fresh copy of checkpoint id (gdb `restart N`): the copy gets the checkpoint's file
   * offsets back and the breakpoints of the current process (or opts.breakpoints); the current process
   * is kept as a checkpoint (opts.keepCurrent false: killed). Works after the program exited.
   */
  restart(
    id: number,
    current: Inferior | undefined,
    opts: { keepCurrent?: boolean; breakpoints?: CheckpointBreakpoint[] } = {},
  ): Promise<RestartResult> {
    return this.serial(async () => {
      const target = Number.isInteger(id) ? this.frozen.get(id) : undefined;
      if (!target) throw new EngineError(`Not found: checkpoint id ${id}`, 'bad-id');
      if (current?.state === 'running') throw new EngineError(RUNNING, 'running');
      const alive = isAlive(current) ? current : undefined;
      let leftFiles: FileOffset[] = [];
      let leftPc = 0;
      let leftFsBase = 0;
      let leftBreakpoints: CheckpointBreakpoint[] = [];
      if (alive) {
        // Before the new copy's lseeks move the offsets it shares with the process being left.
        leftFiles = readFileOffsets(alive.pid);
        const regs = await alive.getRegisters();
        leftPc = regs.pc;
        leftFsBase = Number(regs.get('fs_base'));
        leftBreakpoints = toSpecs(await alive.breakpoints());
        this.lastBreakpoints = leftBreakpoints;
      }
      const spawned = await targetCall(() =>
        this.tracer.spawnFromCheckpoint(target.pid, {
          seeks: target.files.map((f) => ({ fd: f.fd, pos: f.pos })),
          copyBreakpointsFrom: alive && !opts.breakpoints ? alive.pid : undefined,
          breakpoints: opts.breakpoints ?? (alive ? undefined : this.lastBreakpoints),
        }),
      );
      const inf = spawned.inferior;
      this.origins.set(inf.pid, target.id);
      this.fsBases.set(inf.pid, spawned.fsBase);
      let left: RestartResult['left'];
      if (alive) {
        left = { pid: alive.pid };
        const origin = this.originOf(alive);
        const keepAs = origin === 0 && !this.frozen.has(0) ? 0 : undefined;
        let why: string | undefined;
        if (opts.keepCurrent === false) why = 'not kept (keepCurrent false)';
        else if (this.frozen.size >= this.maxCheckpoints && !(await this.dropOldestAutomatic(inf, target.id))) {
          why = `not kept: the limit of ${this.maxCheckpoints} checkpoints is reached`;
        }
        if (!why) {
          try {
            await alive.retireToCheckpoint();
            const kept: Checkpoint = {
              id: keepAs ?? this.nextId++,
              pid: alive.pid,
              pc: leftPc,
              takenAt: Date.now(),
              automatic: keepAs === undefined,
              files: leftFiles,
              stop: alive.lastStop,
              fsBase: leftFsBase,
              breakpoints: leftBreakpoints,
              from: keepAs === undefined ? origin : undefined,
            };
            this.frozen.set(kept.id, kept);
            left.kept = kept;
          } catch (e) {
            why = `not kept: ${errorText(e)}`;
          }
        }
        if (why) {
          left.killed = why;
          if (alive.state !== 'exited') await alive.kill().catch(() => undefined);
        }
        this.origins.delete(alive.pid);
      }
      return {
        inferior: inf,
        checkpoint: target,
        left,
        message: `Switching to ${this.labelOf(inf, spawned.fsBase)}`,
        seekFailures: spawned.seekFailures,
        breakpointFailures: spawned.breakpointFailures,
      };
    });
  }

  /** Kills checkpoint id (gdb `delete checkpoint N`); resolves with gdb's "Killed process N". */
  delete(id: number, current: Inferior | undefined): Promise<string> {
    return this.serial(async () => {
      if (isAlive(current) && this.originOf(current) === id) {
        throw new EngineError('Please switch to another checkpoint before deleting the current one', 'invalid');
      }
      const ck = Number.isInteger(id) ? this.frozen.get(id) : undefined;
      if (!ck) throw new EngineError(`No such checkpoint id, ${id}`, 'bad-id');
      await this.kill(ck);
      this.afterDelete();
      return `Killed process ${ck.pid}`;
    });
  }

  /** Kills every checkpoint (the current process stays, and becomes the main process again). */
  deleteAll(): Promise<void> {
    return this.serial(async () => {
      for (const ck of this.all()) await this.kill(ck);
      this.afterDelete();
    });
  }

  /** Session end, `kill`, a new `run`: every checkpoint goes. */
  dispose(): Promise<void> {
    return this.deleteAll();
  }

  /**
   * `info checkpoints` as data: one entry per id, the current process (when alive) standing for the
   * checkpoint it is a copy of. Empty when there are no checkpoints (gdb: "No checkpoints.").
   */
  list(current: Inferior | undefined, opts: { memory?: boolean; pc?: number } = {}): CheckpointEntry[] {
    if (this.frozen.size === 0) return [];
    const alive = isAlive(current) ? current : undefined;
    const curId = alive ? this.originOf(alive) : undefined;
    const ids = new Set([...this.frozen.keys()]);
    if (curId !== undefined) ids.add(curId);
    const out: CheckpointEntry[] = [];
    for (const id of [...ids].sort((a, b) => a - b)) {
      const ck = this.frozen.get(id);
      if (id === curId && alive) {
        const pc = opts.pc ?? ('pc' in alive.lastStop ? alive.lastStop.pc : 0);
        out.push(this.entry(id, alive.pid, pc, true, ck, this.labelOf(alive, this.fsBases.get(alive.pid) ?? 0), undefined));
      } else if (ck) {
        const memory = opts.memory === false ? undefined : memoryUsage(ck.pid);
        out.push(this.entry(id, ck.pid, ck.pc, false, ck, `process ${ck.pid}`, memory));
      }
    }
    return out;
  }

  /** gdb's `info checkpoints [N]` text. verbose adds when each was taken and what it holds in memory. */
  format(current: Inferior | undefined, requested?: number, opts: { verbose?: boolean } = {}): string {
    const rows = this.list(current, { memory: !!opts.verbose }).filter((e) => requested === undefined || e.id === requested);
    if (rows.length === 0) return requested !== undefined && requested > 0 ? `No checkpoint number ${requested}.\n` : 'No checkpoints.\n';
    return rows
      .map((e) => {
        let line = e.description;
        if (opts.verbose) {
          const extra: string[] = [];
          if (e.takenAt !== undefined) extra.push(`taken ${new Date(e.takenAt).toISOString().slice(11, 23)}`);
          if (e.automatic) extra.push('automatic');
          if (e.memory) extra.push(`${e.memory.privateDirtyKb} kB private`);
          if (extra.length) line += ` [${extra.join(', ')}]`;
        }
        return line + '\n';
      })
      .join('');
  }

  // ---------------------------------------------------------------------------------------------------

  private entry(
    id: number,
    pid: number,
    pc: number,
    current: boolean,
    ck: Checkpoint | undefined,
    label: string,
    memory: MemoryUsage | undefined,
  ): CheckpointEntry {
    const loc = this.options.locate?.(pc);
    let description = `${current ? '* ' : '  '}${id} ${label}${id === 0 ? ' (main process)' : ''} at 0x${pc.toString(16)}`;
    if (loc?.file) description += `, file ${loc.file}`;
    if (loc?.line) description += `, line ${loc.line}`;
    if (!loc?.file && !loc?.line && loc?.function) description += `, <${loc.function}>`;
    return {
      id,
      pid,
      pc,
      function: loc?.function,
      file: loc?.file,
      line: loc?.line,
      current,
      description,
      main: id === 0,
      automatic: !current && (ck?.automatic ?? false),
      takenAt: current ? undefined : ck?.takenAt,
      memory,
    };
  }

  /** gdb's target_pid_to_str for a process we switch to: "Thread 0x... (LWP n)" once glibc runs (libthread_db), else "process n". */
  private labelOf(inf: Inferior, fsBase: number): string {
    const custom = this.options.threadLabel?.(inf);
    if (custom) return custom;
    if (fsBase !== 0 && this.usesLibc(inf.pid)) return `Thread 0x${fsBase.toString(16)} (LWP ${inf.pid})`;
    return `process ${inf.pid}`;
  }

  private usesLibc(pid: number): boolean {
    if (this.libcUsers.has(pid)) return true;
    try {
      if (/\/libc[.-][^/\n]*\.so|\/libc\.so/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'))) {
        this.libcUsers.add(pid);
        return true;
      }
    } catch {
      /* gone */
    }
    return false;
  }

  /** Makes room by killing the oldest automatic checkpoint (never the one `current` is a copy of). */
  private async dropOldestAutomatic(current: Inferior | undefined, keepId?: number): Promise<boolean> {
    const curId = isAlive(current) ? this.originOf(current) : undefined;
    const victim = [...this.frozen.values()]
      .filter((c) => c.automatic && c.id !== curId && c.id !== keepId)
      .sort((a, b) => a.takenAt - b.takenAt || a.id - b.id)[0];
    if (!victim) return false;
    await this.kill(victim);
    return true;
  }

  private async kill(ck: Checkpoint): Promise<void> {
    this.frozen.delete(ck.id);
    this.fsBases.delete(ck.pid);
    this.libcUsers.delete(ck.pid);
    try {
      await this.tracer.killCheckpoint(ck.pid);
    } catch {
      /* already gone (killed from outside, or the tracer closed) */
    }
  }

  /** gdb: once no checkpoint is left, the current process is the main process again and ids restart at 1. */
  private afterDelete(): void {
    if (this.frozen.size > 0) return;
    this.nextId = 1;
    this.origins.clear();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** gdb's text for a checkpoint just taken. */
export function checkpointMessage(ck: Checkpoint): string {
  return `checkpoint ${ck.id}: fork returned pid ${ck.pid}.`;
}

/**
 * The id argument of `restart` / `delete checkpoint` as gdb parses it: missing -> "Requires argument
 * (checkpoint id to restart)".
 */
export function parseCheckpointId(arg: string | undefined, command: 'restart' | 'delete'): number {
  const text = (arg ?? '').trim();
  if (!text) throw new EngineError(`Requires argument (checkpoint id to ${command})`, 'invalid');
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n)) throw new EngineError(`Invalid checkpoint id "${text}"`, 'invalid');
  return n;
}

// -----------------------------------------------------------------------------------------------------
// /proc readers

/** Offsets of the regular files a process has open (fdinfo "pos:"), for putting them back at restart. */
export function readFileOffsets(pid: number): FileOffset[] {
  const out: FileOffset[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const name of names) {
    const fd = Number(name);
    try {
      if (!fs.statSync(`/proc/${pid}/fd/${fd}`).isFile()) continue;
      const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const pos = Number(/^pos:\s*(\d+)/m.exec(info)?.[1] ?? NaN);
      const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8);
      if (!Number.isFinite(pos) || flags & 0o10000000 /* O_PATH: cannot seek */) continue;
      out.push({ fd, pos, flags, path: fs.readlinkSync(`/proc/${pid}/fd/${fd}`) });
    } catch {
      /* closed meanwhile, or not ours to look at */
    }
  }
  return out.sort((a, b) => a.fd - b.fd);
}

/** A process's memory figures from /proc/PID/smaps_rollup (undefined when it is gone). */
export function memoryUsage(pid: number): MemoryUsage | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: kb('Rss'), pssKb: kb('Pss'), privateDirtyKb: kb('Private_Dirty'), sharedDirtyKb: kb('Shared_Dirty') };
}

// -----------------------------------------------------------------------------------------------------

function isAlive(inf: Inferior | undefined): inf is Inferior {
  return !!inf && inf.state !== 'exited' && !inf.retired;
}

function requireStopped(inf: Inferior | undefined): Inferior {
  if (!isAlive(inf)) throw new EngineError(NOT_RUNNING, 'not-running');
  if (inf.state === 'running') throw new EngineError(RUNNING, 'running');
  return inf;
}

function toSpecs(bps: { addr: number; ignoreCount: number; hardware: boolean; hits: number }[]): CheckpointBreakpoint[] {
  return bps.map((b) => ({ addr: b.addr, ignoreCount: b.ignoreCount, hardware: b.hardware, hits: b.hits }));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Target errors become engine errors with the code the front-ends expect. */
async function targetCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    const msg = errorText(e);
    let code: EngineErrorCode = 'target';
    if (msg === MULTI_THREADED_ERROR) code = 'unsupported';
    else if (msg === NOT_RUNNING) code = 'not-running';
    else if (/is running\.$/.test(msg)) code = 'running';
    throw new EngineError(msg, code);
  }
}
