// The session's checkpoint commands (Engine.checkpoint / checkpoints / restartCheckpoint /
// deleteCheckpoint), on top of CheckpointManager. Installed by Session as its checkpointProvider.
//
// Breakpoints belong to the session: a restarted copy comes without any, and the session inserts its own
// (Session.switchToCheckpointProcess), with symbols and module list re-read for the copy. A new `run`
// leaves the checkpoints of the previous run behind: they are killed, as gdb does.

import type { Inferior } from '../target';
import { CheckpointInfo, EngineError, StopInfo } from './api';
import { CheckpointManager, PcLocation } from './checkpoints';
import type { ModuleTable } from './modules';
import type { CheckpointProvider, Session } from './session';
import { functionAt, lineAt } from './symbolize';

export interface SessionCheckpointOptions {
  /** Most checkpoints kept at once (CheckpointManager's default when absent). */
  maxCheckpoints?: number;
}

export class SessionCheckpoints implements CheckpointProvider {
  private mgr?: CheckpointManager;
  private mgrTracer?: unknown;
  /** pids of the processes of the run the checkpoints belong to (the main one and every restarted copy). */
  private readonly lineage = new Set<number>();
  /** The modules of the last live process: symbols for the listing after the program exited. */
  private lastMods?: ModuleTable;

  constructor(
    private readonly session: Session,
    private readonly options: SessionCheckpointOptions = {},
  ) {}

  /** The manager (for the reverse-execution engine, which takes automatic checkpoints). */
  get manager(): CheckpointManager | undefined {
    return this.mgr;
  }

  async checkpoint(): Promise<CheckpointInfo> {
    const inf = this.current();
    this.requireNotRunning();
    await this.forgetOtherRun(inf);
    const mgr = this.ensureManager();
    const ck = await mgr.create(inf);
    this.lineage.add(inf!.pid);
    const entry = mgr.list(inf, { memory: false }).find((e) => e.id === ck.id)!;
    return entry;
  }

  checkpoints(): CheckpointInfo[] {
    const inf = this.current();
    if (!this.mgr || this.isOtherRun(inf)) return [];
    const top = this.session.lastStopInfo?.frame;
    return this.mgr.list(inf, { pc: inf && inf.state !== 'exited' ? top?.pc : undefined });
  }

  async restartCheckpoint(id: number): Promise<StopInfo> {
    const inf = this.current();
    this.requireNotRunning();
    await this.forgetOtherRun(inf);
    if (!this.mgr) throw new EngineError(`Not found: checkpoint id ${id}`, 'bad-id');
    const previousPid = inf && inf.state !== 'exited' ? inf.pid : undefined;
    const r = await this.mgr.restart(id, inf, { breakpoints: [] });
    this.lineage.add(r.inferior.pid);
    return this.session.switchToCheckpointProcess(r.inferior, id, r.message, previousPid);
  }

  async deleteCheckpoint(id: number): Promise<void> {
    const inf = this.current();
    if (!this.mgr || this.isOtherRun(inf)) throw new EngineError(`No such checkpoint id, ${id}`, 'bad-id');
    const text = await this.mgr.delete(id, inf);
    this.session.emit('output', { category: 'console', text: text + '\n' });
  }

  /** Kills every checkpoint (session end, `kill`). */
  async dispose(): Promise<void> {
    await this.mgr?.dispose();
    this.lineage.clear();
  }

  // ---------------------------------------------------------------------------------------------------

  private ensureManager(): CheckpointManager {
    const tracer = this.session.tracerInstance;
    if (!tracer) throw new EngineError('The program is not being run.', 'not-running');
    if (!this.mgr || this.mgrTracer !== tracer) {
      this.mgr = new CheckpointManager(tracer, { maxCheckpoints: this.options.maxCheckpoints, locate: (pc) => this.locate(pc) });
      this.mgrTracer = tracer;
      this.lineage.clear();
    }
    return this.mgr;
  }

  private current(): Inferior | undefined {
    const inf = this.session.inferior;
    if (inf && inf.state !== 'exited') this.lastMods = this.session.moduleTable ?? this.lastMods;
    return inf;
  }

  private requireNotRunning(): void {
    if (this.session.state === 'running') throw new EngineError('Cannot execute this command while the target is running.', 'running');
  }

  /** A live process that is none of the run the checkpoints were taken in (the program was run again). */
  private isOtherRun(inf: Inferior | undefined): boolean {
    return !!inf && inf.state !== 'exited' && this.lineage.size > 0 && !this.lineage.has(inf.pid);
  }

  private async forgetOtherRun(inf: Inferior | undefined): Promise<void> {
    if (this.isOtherRun(inf)) await this.dispose();
  }

  private locate(pc: number): PcLocation | undefined {
    const mod = (this.session.moduleTable ?? this.lastMods)?.find(pc);
    if (!mod) return undefined;
    const line = lineAt(mod, pc);
    const fn = functionAt(mod, pc);
    return { function: fn?.name, file: line?.file, line: line?.line };
  }
}
