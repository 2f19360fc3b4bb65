export * from './protocol';
export * from './errors';
export { Tracer, Inferior, TracerOptions, TracerRequestError, InferiorState } from './target';
