/**
 * Errors that reach the user. Each says what is wrong and what to do, on one line; the CLI prints
 * the message and exits with `exitCode` (1 refused/failed, 2 usage). Anything else is a bug and is
 * printed as one line too, with the stack only under --debug.
 */
export class PgmendError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PgmendError';
  }

  /** The single line the CLI prints. */
  line(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

/** Bad command line or input file: exit 2. */
export class UsageError extends PgmendError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
    this.name = 'UsageError';
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof PgmendError) return e.line();
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * pgmend declined to act — a stale plan, outside the window, another apply running, a missing
 * privilege — before changing anything. A type, so callers tell it from a failure without reading
 * the message; the message still begins with "refused:" for the user.
 */
export class Refusal extends PgmendError {
  constructor(message: string, hint?: string) {
    super(`refused: ${message}`, 1, hint);
    this.name = 'Refusal';
  }
}
