// Entry point of the tracer worker thread: owns the Tracer (and so every ptrace call), serves requests
// from the main thread one at a time. A request that resumes the inferior answers when it stops.
import { parentPort, workerData } from 'worker_threads';
import { gettid, pinToCpu } from '../ptrace';
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
const tracer = new Tracer(shared);

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
      return { tid: gettid() };
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

function toError(e: unknown): WorkerError {
  if (e instanceof Error) {
    const x = e as Error & { call?: string; errno?: number; code?: string };
    return { name: x.name, message: x.message, call: x.call, errno: x.errno, code: x.code };
  }
  return { name: 'Error', message: String(e) };
}

parentPort!.on('message', (msg: RequestMessage | { op: 'shutdown'; id: number }) => {
  let reply: ResponseMessage;
  if (msg.op === 'shutdown') {
    tracer.killAll();
    reply = { id: msg.id, ok: true, result: null };
    parentPort!.postMessage(reply);
    return;
  }
  try {
    reply = { id: msg.id, ok: true, result: serve(msg) };
  } catch (e) {
    reply = { id: msg.id, ok: false, error: toError(e) };
  }
  parentPort!.postMessage(reply);
});
