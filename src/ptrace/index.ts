export * from './constants';
export * from './errors';
export * from './libc';
export * from './wait-status';
export * from './regs';
export * from './signals';
export * from './memory';
