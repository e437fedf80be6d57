#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCommands } from './commands.js';

/** The version of the package this file was installed from (dist/cli/ → package.json). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('pgmend')
  .description('Guided, previewed, reversible fixes for PostgreSQL data-integrity findings')
  .version(version, '-V, --version', 'print the version')
  .option('--debug', 'print stack traces on errors')
  // Commander's own errors (unknown option, invalid choice…) as pgmend's: one line, what to do.
  .configureOutput({ outputError: (text, write) => write(`pgmend: ${text.trim().replace(/^error: /, '').replace(/\.$/, '')} — run pgmend --help for usage\n`) })
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander already printed its message; --help/--version exit 0, anything else is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    throw e;
  }
}
