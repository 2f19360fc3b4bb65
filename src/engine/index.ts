// Public entry point of the debugger engine (used by adapter/ and src/mi/).
export * from './api';
export { Session } from './session';
export type { SessionOptions, CheckpointProvider, ReverseProvider } from './session';
export { parseLocation, locationText } from './linespec';
export { frameText } from './frames';
export { completeExpression, baseExpression } from './complete';
export type { ExpressionCompletion, CompletionKind, CompleteOptions } from './complete';
export { frameDetailsOf } from './frame-details';
export type { FrameDetails } from './frame-details';

import type { Engine } from './api';
import { Session, SessionOptions } from './session';

/** A new debugger session (the Engine front-ends use). */
export function createEngine(options: SessionOptions = {}): Engine & Session {
  return new Session(options);
}
