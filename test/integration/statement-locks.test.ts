import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import pg from 'pg';
import { loadCatalog } from '../../src/db/catalog.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import { statementLocks } from '../../src/playbooks/statement-locks.js';
import { heldLocks, takenBetween } from '../../src/engine/plan/observed-locks.js';
import { mergeLocks, undeclared, type TableLocks } from '../../src/playbooks/lock-modes.js';
import { LOCK_CORPUS, LOCK_SCHEMA } from '../support/lock-corpus.js';

/**
 * Each corpus statement runs in its own rolled-back transaction; pg_locks of the session before and
 * after it say what PostgreSQL took. The declaration (parse tree + catalog) must never be weaker
 * than that, nor miss a table. Statements whose code the parser cannot see (DO, functions,
 * triggers) are declared from what rehearsal observes, as the plan does. Statements that cannot run
 * in a transaction block must be declared so — and PostgreSQL must refuse them in one.
 */

let db: TestDb;
let client: pg.Client;

beforeAll(async () => {
  await ensureParser();
  db = await createTestDb();
  await db.query(LOCK_SCHEMA);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

interface Outcome {
  sql: string;
  declared: TableLocks;
  taken: TableLocks;
  opaque: boolean;
  transactional: boolean;
  error?: string;
}

async function run(sql: string): Promise<Outcome> {
  await client.query('BEGIN');
  try {
    const catalog = await loadCatalog(client);
    const info = statementLocks(sql, catalog);
    if (!info.transactional) {
      const refused = await client.query(sql).then(
        () => 'ran',
        (e: { code?: string }) => e.code,
      );
      expect(refused, `${sql}: declared non-transactional`).toBe('25001');
      return { sql, declared: info.locks, taken: {}, opaque: info.opaque, transactional: false };
    }
    const before = await heldLocks(client, catalog);
    const error = await client.query(sql).then(() => undefined, (e: Error) => e.message);
    if (error) return { sql, declared: info.locks, taken: {}, opaque: info.opaque, transactional: true, error };
    const taken = takenBetween(before, await heldLocks(client, catalog));
    return { sql, declared: info.locks, taken, opaque: info.opaque, transactional: true };
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('declared locks against pg_locks', () => {
  it(`${LOCK_CORPUS.length} statements: no declared lock weaker than PostgreSQL's, no locked table missing`, async () => {
    expect(LOCK_CORPUS.length).toBeGreaterThanOrEqual(100);
    // MERGE exists from PostgreSQL 15 on; older servers run the rest of the corpus.
    const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    const corpus = version >= 150000 ? LOCK_CORPUS : LOCK_CORPUS.filter((sql) => !/^\s*MERGE\b/i.test(sql));
    const outcomes: Outcome[] = [];
    for (const sql of corpus) outcomes.push(await run(sql));
    const errors = outcomes.filter((o) => o.error).map((o) => `${o.sql}: ${o.error}`);
    expect(errors, errors.join('\n')).toEqual([]);
    // Opaque statements: the plan declares what rehearsal observed on top of the rules.
    const failures = outcomes
      .map((o) => ({ o, missing: undeclared(o.opaque ? mergeLocks(o.declared, o.taken) : o.declared, o.taken) }))
      .filter((x) => x.missing.length > 0)
      .map(({ o, missing }) => `${o.sql}\n    declared ${JSON.stringify(o.declared)}\n    took     ${JSON.stringify(o.taken)} (short on ${missing.join(', ')})`);
    expect(failures, failures.join('\n')).toEqual([]);

    const judged = outcomes.filter((o) => o.transactional && !o.opaque);
    const exact = judged.filter((o) => JSON.stringify(Object.entries(o.declared).sort()) === JSON.stringify(Object.entries(o.taken).sort()));
    const over = judged.filter((o) => !exact.includes(o)).map((o) => `${o.sql}: declared ${JSON.stringify(o.declared)} took ${JSON.stringify(o.taken)}`);
    const outside = outcomes.filter((o) => !o.transactional).length;
    console.log(`[locks] ${outcomes.length} statements: ${judged.length} judged by the rules, ${exact.length} declared exactly per table; ${outside} outside a transaction; ${outcomes.length - judged.length - outside} opaque (observed)\n  declared more than taken:\n  ${over.join('\n  ')}`);
    // Bodies the parser cannot see are still observed: the DO block's ALTER TABLE is seen.
    const doBlock = outcomes.find((o) => o.sql.startsWith('DO '))!;
    expect(doBlock.taken['public.t']).toBe('ACCESS EXCLUSIVE');
  }, 120_000);

  it('a mixed-case table is declared under its own name', async () => {
    const o = await run('COMMENT ON TABLE "InvoiceLine" IS \'x\'');
    expect(o.declared).toEqual({ 'public.InvoiceLine': 'SHARE UPDATE EXCLUSIVE' });
    expect(o.taken).toEqual(o.declared);
  });
});
