import { errorMessage, PgmendError } from '../util/errors.js';

/**
 * Wraps a command's action: its result becomes the exit code, any error one line on stderr
 * (the stack only with --debug). Commands never call process.exit themselves.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      process.stderr.write(`pgmend: ${errorMessage(e)}\n`);
      if (process.argv.includes('--debug') && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
      process.exitCode = e instanceof PgmendError ? e.exitCode : 1;
    }
  };
}
