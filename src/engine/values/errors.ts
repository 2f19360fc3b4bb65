// Errors a user can cause while evaluating or assigning: the message is gdb's wording.

export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}

/** gdb's message for an unreadable address. */
export function memoryError(addr: number | bigint): EvalError {
  const a = typeof addr === 'bigint' ? BigInt.asUintN(64, addr) : BigInt(addr);
  return new EvalError(`Cannot access memory at address 0x${a.toString(16)}`);
}

/** Any thrown thing as an EvalError (target errors already carry gdb's memory wording). */
export function asEvalError(e: unknown): EvalError {
  if (e instanceof EvalError) return e;
  if (e instanceof Error) return new EvalError(e.message);
  return new EvalError(String(e));
}
