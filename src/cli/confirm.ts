import { input } from '@inquirer/prompts';

/**
 * Typed confirmation outside the TUI (never while Ink is mounted): the database name, exactly.
 * Anything else — an empty answer, a typo, Esc or Ctrl-C — cancels.
 */
export async function confirmDatabaseName(database: string, what: string): Promise<boolean> {
  process.stderr.write(`About to ${what}.\n`);
  try {
    const answer = await input({ message: `Type the database name (${database}) to confirm, anything else cancels:`, default: '' }, { output: process.stderr });
    return answer === database;
  } catch {
    return false;
  }
}
