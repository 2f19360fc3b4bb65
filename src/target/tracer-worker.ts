// Entry point of the tracer worker thread: owns the Tracer (and so every ptrace call), serves requests
// from the main thread one at a time. A request that resumes the inferior answers when it stops.
import { parentPort, workerData } from 'worker_threads';
import { cpuAffinity, gettid, pinToCpu } from '../ptrace';
import { RequestMessage, ResponseMessage, StopEvent, WorkerError } from './protocol';
import { Tracer } from './tracer';

const shared = new Int32Array(workerData.shared as SharedArrayBuffer);
const cpu = workerData.cpu as number | undefined;
if (cpu !== undefined && cpu >= 0) {
  // The tracer thread and its tracees on one CPU: ptrace stops cost ~3.5x less (see docs/architecture.md).
  try {
    pinToCpu(0, cpu);
  } catch {
    /* not fatal: just slower */
  }
}
// The CPU the tracer (and so every program it starts) is pinned to, when pinning worked: long continues
// leave it and come back (SHARED.RUN_STATE).
let pinned: number | undefined;
if (cpu !== undefined && cpu >= 0) {
  try {
    pinned = cpuAffinity(0).length === 1 ? cpu : undefined;
  } catch {
    pinned = undefined;
  }
}
const tracer = new Tracer(shared, pinned);

function toBuf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * Stops come back with the stopped thread's registers: the main thread would ask for them next, and a
 * GETREGS here costs ~2 µs against a worker round trip of tens of µs.
 */
function withRegs<T>(r: T, ev: StopEvent | undefined): T {
  if (ev && 'tid' in ev) {
    try {
      ev.regs = tracer.getRegs(ev.tid);
    } catch {
      /* thread gone or running: the main thread asks when it needs them */
    }
  }
  return r;
}

function serve(msg: RequestMessage): unknown {
  switch (msg.op) {
    case 'ping':
      return { tid: gettid(), pinned };
    case 'launch':
      return tracer.launch(msg.opts);
    case 'attach':
      return tracer.attach(msg.pid);
    case 'detach':
      return tracer.detach(msg.pid);
    case 'kill':
      return tracer.kill(msg.pid);
    case 'cont': {
      const ev = tracer.cont(msg.pid, msg.signal, msg.temporary);
      return withRegs(ev, ev);
    }
    case 'step': {
      const ev = tracer.step(msg.pid, msg.tid, msg.signal);
      return withRegs(ev, ev);
    }
    case 'stepMany': {
      const r = tracer.stepMany(msg.pid, msg.tid, msg.count);
      return withRegs(r, r.event);
    }
    case 'stepRange': {
      const r = tracer.stepRange(msg.pid, msg.tid, msg.start, msg.end, msg.stopAt, msg.maxSteps);
      return withRegs(r, r.event);
    }
    case 'stepWatch': {
      const r = tracer.stepWatch(msg.pid, msg.tid, msg.ranges, msg.stopAt, msg.maxSteps, msg.signal, msg.within);
      return withRegs(r, r.event);
    }
    case 'stepOver': {
      const r = tracer.stepOver(msg.pid, msg.tid, msg.start, msg.end, msg.stopAt, msg.maxSteps, msg.frameCfa, msg.temporary);
      return withRegs(r, r.event);
    }
    case 'setBreakpoint':
      return tracer.setBreakpoint(msg.pid, msg.addr, msg.ignoreCount, msg.hardware);
    case 'removeBreakpoint':
      return tracer.removeBreakpoint(msg.pid, msg.addr);
    case 'breakpoints':
      return tracer.breakpoints(msg.pid);
    case 'getRegs':
      return tracer.getRegs(msg.tid);
    case 'setRegs':
      return tracer.setRegs(msg.tid, toBuf(msg.regs));
    case 'getFpRegs':
      return tracer.getFpRegs(msg.tid);
    case 'setFpRegs':
      return tracer.setFpRegs(msg.tid, toBuf(msg.regs));
    case 'getXState':
      return tracer.getXState(msg.tid);
    case 'getSiginfo':
      return tracer.getSiginfo(msg.tid);
    case 'setXState':
      return tracer.setXState(msg.tid, toBuf(msg.regs));
    case 'readMemory':
      return tracer.readMemory(msg.pid, msg.addr, msg.len);
    case 'writeMemory':
      return tracer.writeMemory(msg.pid, msg.addr, toBuf(msg.data));
    case 'threads':
      return tracer.threads(msg.pid);
    case 'setSignalPolicy':
      return tracer.setSignalPolicy(msg.pid, msg.signo, msg.policy);
    case 'injectSyscall':
      return tracer.injectSyscall(msg.pid, msg.tid, msg.nr, msg.args);
    case 'checkpointFork':
      return tracer.checkpointFork(msg.pid, msg.site);
    case 'checkpointSpawn':
      return tracer.checkpointSpawn(msg.pid, msg.opts);
    case 'checkpointRetire':
      return tracer.checkpointRetire(msg.pid);
    case 'checkpointKill':
      return tracer.checkpointKill(msg.pid);
    case 'setWatchpoint':
      return tracer.setWatchpoint(msg.pid, msg.addr, msg.len, msg.rw);
    case 'removeWatchpoint':
      return tracer.removeWatchpoint(msg.pid, msg.addr);
    case 'recording':
      return tracer.recorder.control(msg.pid, msg.req);
    default:
      throw new Error(`unknown tracer request ${(msg as { op: string }).op}`);
  }
}

/**
 * Warm-up while idle: the first `next` range-steps with the x86 decoder (iced-x86, WebAssembly), which
 * tracer.ts loads lazily (~30-40 ms to load and compile it and set up its first Decoder, paid by the
 * session's first `next`). Once a program has been started, the worker does that itself in two parts
 * (loading the module: 20-45 ms; decoding a few instructions through the API the tracer uses: 5-15 ms),
 * each only after no request has come for WARM_IDLE_MS: typically while the user looks at the first
 * stop. Not sooner: a launch sends its requests in bursts with gaps of 10-60 ms while the main thread
 * loads symbols, and a request arriving during a warm-up step waits for it (with a 15 ms threshold a
 * launch's `cont` was seen waiting ~45 ms). The module cache then makes the tracer's own require()
 * immediate. Failures are left to the tracer (it single-steps without a decoder). BACKSTEP_NO_WARMUP=1
 * (or =iced) leaves it out, to measure the cold case.
 */
const WARM_IDLE_MS = 80;
let warmStage: 'off' | 'armed' | 'loaded' | 'done' = process.env.BACKSTEP_NO_WARMUP === '1' || process.env.BACKSTEP_NO_WARMUP === 'iced' ? 'done' : 'off';
let warmTimer: NodeJS.Timeout | undefined;
let icedMod: typeof import('iced-x86') | undefined;

function warmUpStep(): void {
  warmTimer = undefined;
  try {
    if (warmStage === 'armed') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      icedMod = require('iced-x86') as typeof import('iced-x86');
      warmStage = 'loaded';
      warmUpWhenIdle();
      return;
    }
    if (warmStage === 'loaded' && icedMod) {
      warmStage = 'done';
      const { Decoder, DecoderOptions, FlowControl, Instruction } = icedMod;
      // endbr64; mov $1,%eax; call .+5; nop; ret
      const code = new Uint8Array([0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x90, 0xc3]);
      const decoder = new Decoder(64, code, DecoderOptions.None);
      decoder.ip = 0x401000n;
      const insn = new Instruction();
      try {
        let n = 0;
        while (decoder.canDecode) {
          decoder.decodeOut(insn);
          if (!insn.isInvalid && insn.flowControl !== FlowControl.Next && insn.isCallNear) n += Number(insn.nearBranchTarget) & 1;
          n += insn.length;
        }
        void n;
      } finally {
        insn.free();
        decoder.free();
      }
    }
  } catch {
    warmStage = 'done'; // no decoder: the tracer finds out itself
  }
}

/** (Re)starts the idle timer of a pending warm-up step: called after each answer. */
function warmUpWhenIdle(): void {
  if (warmStage !== 'armed' && warmStage !== 'loaded') return;
  if (warmTimer) clearTimeout(warmTimer);
  warmTimer = setTimeout(warmUpStep, WARM_IDLE_MS);
}

function toError(e: unknown): WorkerError {
  if (e instanceof Error) {
    const x = e as Error & { call?: string; errno?: number; code?: string };
    return { name: x.name, message: x.message, call: x.call, errno: x.errno, code: x.code };
  }
  return { name: 'Error', message: String(e) };
}

parentPort!.on('message', (msg: RequestMessage | { op: 'shutdown'; id: number }) => {
  if (warmTimer) {
    clearTimeout(warmTimer);
    warmTimer = undefined;
  }
  let reply: ResponseMessage;
  if (msg.op === 'shutdown') {
    tracer.killAll();
    // Started from a bundle without a code cache: leave one for the next session (src/boot/bundle.ts).
    globalThis.__backstepBundle?.takeCodeCache(true, true);
    reply = { id: msg.id, ok: true, result: null };
    parentPort!.postMessage(reply);
    return;
  }
  try {
    reply = { id: msg.id, ok: true, result: serve(msg) };
  } catch (e) {
    reply = { id: msg.id, ok: false, error: toError(e) };
  }
  // Started from a bundle without a code cache: take it now, before the reply lets the main thread
  // change V8's flags (src/boot/bundle.ts).
  if (reply.ok && (msg.op === 'launch' || msg.op === 'attach')) globalThis.__backstepBundle?.takeCodeCache();
  parentPort!.postMessage(reply);
  if (warmStage === 'off' && reply.ok && (msg.op === 'launch' || msg.op === 'attach')) warmStage = 'armed';
  warmUpWhenIdle();
});
