// Creates the engine session the adapter drives (one per DAP session).
import type { EngineEmitter } from '../src/engine';
import { Session } from '../src/engine/session';

export async function createEngine(): Promise<EngineEmitter> {
  return new Session();
}
