import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One transaction seam: every BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE pgmend sends goes through
 * src/db/session.ts (withTransaction, withRollback, withSavepoint, withRolledBackSavepoint), so a
 * savepoint name is never shared and a failure always ends what it began. A query whose SQL starts
 * with transaction control anywhere else in src/ fails this test, naming file and line.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SEAM = 'src/db/session.ts';

/** `.query(` (generic arguments allowed) whose first argument is a string literal opening with transaction control. */
const TRANSACTION_CONTROL = /\.query\s*(?:<.*?>)?\s*\(\s*[`'"]\s*(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ABORT|ROLLBACK|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/gi;

function controlLines(source: string): number[] {
  return [...source.matchAll(TRANSACTION_CONTROL)].map((m) => source.slice(0, m.index).split('\n').length);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.tsx?$/.test(e.name) ? [rel] : [];
  });
}

describe('transaction seam', () => {
  it('the pattern finds transaction control however the query is written, and not SQL that only contains the words', () => {
    expect(controlLines(`await client.query('BEGIN');`)).toEqual([1]);
    expect(controlLines(`x;\nawait c.query(\n  "ROLLBACK TO SAVEPOINT p"\n).catch(() => {});`)).toEqual([2]);
    expect(controlLines('client.query<{ n: number }>(`SAVEPOINT ${name}`)')).toEqual([1]);
    expect(controlLines(`other.query('  commit')`)).toEqual([1]);
    expect(controlLines(`client.query(\`CREATE FUNCTION f() AS $$ BEGIN RETURN; END $$\`)`)).toEqual([]);
    expect(controlLines(`lines.push('BEGIN;')`)).toEqual([]);
  });

  it(`no hand-written BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE outside ${SEAM}`, () => {
    const files = sourceFiles('src');
    expect(files).toContain(SEAM);
    // The seam itself is where they are: the pattern is not vacuous on real code.
    expect(controlLines(readFileSync(path.join(ROOT, SEAM), 'utf8')).length).toBeGreaterThanOrEqual(5);
    const outside = files
      .filter((f) => f !== SEAM)
      .flatMap((f) => controlLines(readFileSync(path.join(ROOT, f), 'utf8')).map((line) => `${f}:${line}`));
    expect(outside, 'route these through src/db/session.ts').toEqual([]);
  });
});
