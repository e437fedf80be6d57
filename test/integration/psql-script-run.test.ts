import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { planToPsql } from '../../src/export/psql-script.js';
import type { FindingPlan, Mode, Plan } from '../../src/engine/plan/plan-model.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { runPsqlFile } from '../support/psql.js';
import { backupAndDelete, findingPlan, step } from '../support/sample-plan.js';

/**
 * Scripts from planToPsql run by the real psql against a real database: the steps are built by
 * hand here (the engine's shape: backup, then change the backed-up rows; then the fix).
 */

const ORPHANS = 'SELECT p.ctid FROM public.posts p WHERE p.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.users u WHERE u.id = p.user_id)';
const TRICKY_COMMENT = "has $pgmend_verify$, :USER, :'DBNAME' and `echo hi`";

let db: TestDb;
let dir: string;

beforeEach(async () => {
  db = await createTestDb();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-psql-'));
  await db.query(`
    CREATE TABLE users (id int PRIMARY KEY, email text);
    CREATE TABLE posts (id int PRIMARY KEY, user_id int, title text);
    INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com');
    INSERT INTO posts VALUES (1, 1, 'fine'), (2, 2, 'fine'), (3, 99, 'orphan'), (4, NULL, 'no author');
  `);
});

afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function fkVerify(code: 'c' | 'r') {
  return {
    sql: `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'public.posts'::regclass AND conname = 'posts_user_id_fkey' AND convalidated AND confdeltype = '${code}') AS ok`,
    says: `foreign key validated, ON DELETE ${code === 'c' ? 'CASCADE' : 'RESTRICT'}`,
  };
}

/** A resolved FK: back up and delete the orphan, then add the key. */
function fkFinding(mode: Mode, verifyCode: 'c' | 'r' = 'c'): FindingPlan {
  const fix =
    mode === 'window'
      ? [step('ALTER TABLE public.posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE', { tables: ['public.posts', 'public.users'] })]
      : [
          step('ALTER TABLE public.posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE NOT VALID', { tables: ['public.posts', 'public.users'] }),
          step('ALTER TABLE public.posts VALIDATE CONSTRAINT posts_user_id_fkey', { lock: 'SHARE UPDATE EXCLUSIVE', tables: ['public.posts'] }),
        ];
  return findingPlan({
    id: 'FK-01',
    title: "posts.user_id references users, but nothing says so (it's missing)",
    severity: 'high',
    playbook: 'foreign-key',
    table: 'public.posts',
    status: 'resolved',
    params: { table: 'posts', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' },
    resolution: { strategy: 'delete' },
    checks: [{ id: 'orphans', rows: 1, blocking: true, sample: [{ id: 3, user_id: 99 }] }],
    steps: [...backupAndDelete('public.posts', 'bk_it_fk_01', ORPHANS), ...fix],
    rollback: ['ALTER TABLE public.posts DROP CONSTRAINT IF EXISTS posts_user_id_fkey'],
    verify: [fkVerify(verifyCode)],
  });
}

/** Findings whose steps must never run: each would fail or destroy something. */
function neverRun(): FindingPlan[] {
  const base = { severity: 'critical' as const, playbook: 'sql', params: {}, verify: [{ sql: 'SELECT false AS ok', says: 'never' }] };
  return [
    findingPlan({ ...base, id: 'B-1', title: 'blocked', status: 'blocked', checks: [{ id: 'x', rows: 3, blocking: true, sample: [] }], steps: [step('DROP TABLE public.users CASCADE')] }),
    findingPlan({ ...base, id: 'A-1', title: 'applied', status: 'applied', appliedReason: 'already there', steps: [step('SELECT 1/0')] }),
    findingPlan({ ...base, id: 'E-1', title: 'error', status: 'error', error: 'bad params', steps: [step('DROP TABLE public.posts')] }),
  ];
}

function planOf(mode: Mode, findings: FindingPlan[]): Plan {
  return {
    version: 1,
    id: 'it01',
    createdAt: '2025-10-20T08:00:00.000Z',
    mode,
    database: { host: '127.0.0.1', port: 5432, name: db.name, server: '18' },
    fingerprint: 'fp-it',
    findings,
  };
}

async function run(plan: Plan) {
  const file = path.join(dir, 'plan.sql');
  await writeFile(file, planToPsql(plan, { lockTimeoutMs: 2000, statementTimeoutMs: 60_000 }));
  return runPsqlFile(db.url, file);
}

async function state() {
  const posts = await db.query<{ id: number }>('SELECT id FROM posts ORDER BY id');
  const fk = await db.query<{ convalidated: boolean }>("SELECT convalidated FROM pg_constraint WHERE conname = 'posts_user_id_fkey'");
  const schema = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'pgmend'");
  const comment = await db.query<{ c: string | null }>("SELECT obj_description('public.posts'::regclass, 'pg_class') AS c");
  const users = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return {
    posts: posts.rows.map((r) => r.id),
    fkValidated: fk.rows[0]?.convalidated ?? null,
    pgmendSchema: schema.rowCount === 1,
    comment: comment.rows[0]!.c,
    users: users.rows[0]!.n,
  };
}

describe('psql scripts from planToPsql, run by the real psql', () => {
  it('window mode: resolves, fixes and verifies in one transaction, skipping blocked, applied and failed findings', async () => {
    const tricky = findingPlan({
      id: 'S-1',
      title: 'comment the table',
      severity: 'low',
      playbook: 'sql',
      status: 'ready',
      params: {},
      steps: [step(`COMMENT ON TABLE public.posts IS '${TRICKY_COMMENT.replace(/'/g, "''")}'`, { tables: ['public.posts'] })],
      verify: [{ sql: "SELECT obj_description('public.posts'::regclass, 'pg_class') LIKE 'has $pgmend_verify$%' AS ok", says: "it's commented" }],
    });
    const r = await run(planOf('window', [fkFinding('window'), ...neverRun(), tricky]));

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[1/6] FK-01 step 1/5 (resolution)');
    expect(r.stdout).toContain('[6/6] S-1 step 1/1 (fix)');
    expect(r.stdout).toContain("verify FK-01: foreign key validated, ON DELETE CASCADE");
    expect(r.stdout).toContain('pgmend: committed');
    expect(await state()).toEqual({ posts: [1, 2, 4], fkValidated: true, pgmendSchema: true, comment: TRICKY_COMMENT, users: 2 });
    // The deleted orphan was backed up whole, in the same transaction.
    const backup = await db.query('SELECT id, user_id, title FROM pgmend.bk_it_fk_01');
    expect(backup.rows).toEqual([{ id: 3, user_id: 99, title: 'orphan' }]);
  });

  it('window mode: a failed verification stops psql non-zero and rolls everything back', async () => {
    const r = await run(planOf('window', [fkFinding('window', 'r'), ...neverRun()]));

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('verification failed: FK-01: foreign key validated, ON DELETE RESTRICT');
    expect(r.stdout).not.toContain('pgmend: committed');
    expect(await state()).toEqual({ posts: [1, 2, 3, 4], fkValidated: null, pgmendSchema: false, comment: null, users: 2 });
  });

  it('online mode: backup and delete commit together, NOT VALID then VALIDATE, and CREATE INDEX CONCURRENTLY runs bare', async () => {
    const index = findingPlan({
      id: 'IDX-01',
      title: 'posts.user_id is unindexed',
      severity: 'medium',
      playbook: 'index',
      status: 'ready',
      params: { table: 'posts', columns: ['user_id'] },
      steps: [
        step('CREATE INDEX CONCURRENTLY posts_user_id_idx ON public.posts (user_id)', {
          lock: 'SHARE UPDATE EXCLUSIVE',
          tables: ['public.posts'],
          transactional: false,
          progress: 'create-index',
        }),
      ],
      verify: [{ sql: "SELECT indisvalid AS ok FROM pg_index WHERE indexrelid = 'public.posts_user_id_idx'::regclass", says: 'index is valid' }],
    });
    const r = await run(planOf('online', [fkFinding('online'), index, ...neverRun()]));

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pgmend: done');
    expect(await state()).toMatchObject({ posts: [1, 2, 4], fkValidated: true, pgmendSchema: true, users: 2 });
    const idx = await db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.posts_user_id_idx'::regclass");
    expect(idx.rows).toEqual([{ indisvalid: true }]);
  });

  it('online mode: a verification returning no row fails, after the steps have committed', async () => {
    const index = findingPlan({
      id: 'IDX-02',
      title: 'posts.title is unindexed',
      severity: 'low',
      playbook: 'index',
      status: 'ready',
      params: {},
      steps: [step('CREATE INDEX CONCURRENTLY posts_title_idx ON public.posts (title)', { lock: 'SHARE UPDATE EXCLUSIVE', transactional: false })],
      verify: [{ sql: "SELECT true AS ok FROM pg_class WHERE relname = 'no_such_index'", says: 'index is named no_such_index' }],
    });
    const r = await run(planOf('online', [index]));

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('verification failed: IDX-02: index is named no_such_index');
    expect(r.stdout).not.toContain('pgmend: done');
    const idx = await db.query("SELECT 1 FROM pg_class WHERE relname = 'posts_title_idx'");
    expect(idx.rowCount).toBe(1);
  });
});
