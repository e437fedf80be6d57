import type pg from 'pg';
import os from 'node:os';
import type { FindingPlan } from '../plan/plan-model.js';
import type { PreparedFinding } from '../plan/prepare.js';
import { sqlHash } from './sql-hash.js';
import { EFFECTIVE_SEARCH_PATH } from '../../db/search-path.js';

/**
 * The journal lives in the database it describes, in the `pgmend` schema, written in the same
 * transaction as the changes: a run that rolled back leaves no half-written journal. A failed run
 * is recorded afterwards in its own small transaction, so `journal` shows it.
 */

export const JOURNAL_DDL = `
CREATE SCHEMA IF NOT EXISTS pgmend;
CREATE TABLE IF NOT EXISTS pgmend.runs (
  id bigserial PRIMARY KEY,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  status text NOT NULL CHECK (status IN ('running', 'committed', 'failed', 'rolled-back', 'interrupted')),
  mode text NOT NULL,
  maintenance_window text,
  plan_id text,
  plan_fingerprint text,
  db_role text NOT NULL DEFAULT current_user,
  application_name text DEFAULT current_setting('application_name'),
  os_user text,
  findings text[] NOT NULL DEFAULT '{}',
  rows_changed bigint NOT NULL DEFAULT 0,
  error text,
  snapshot_file text,
  rolled_back_at timestamptz,
  rolled_back_by text,
  plan jsonb,
  search_path text
);
CREATE TABLE IF NOT EXISTS pgmend.steps (
  run_id bigint NOT NULL REFERENCES pgmend.runs (id),
  seq int NOT NULL,
  step_key text NOT NULL,
  finding_id text NOT NULL,
  phase text NOT NULL,
  description text,
  sql text NOT NULL,
  lock_mode text,
  tables text[] NOT NULL DEFAULT '{}',
  rows bigint,
  ms numeric,
  status text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS pgmend.findings (
  run_id bigint NOT NULL REFERENCES pgmend.runs (id),
  finding_id text NOT NULL,
  playbook text NOT NULL,
  ord int NOT NULL,
  tables text[] NOT NULL DEFAULT '{}',
  sql_hash text NOT NULL,
  rollback text[] NOT NULL DEFAULT '{}',
  outcome text NOT NULL,
  review jsonb,
  PRIMARY KEY (run_id, finding_id)
);
CREATE TABLE IF NOT EXISTS pgmend.backups (
  run_id bigint NOT NULL REFERENCES pgmend.runs (id),
  finding_id text NOT NULL,
  source_table text NOT NULL,
  backup_table text NOT NULL,
  change text NOT NULL CHECK (change IN ('delete', 'update')),
  key_columns text[] NOT NULL DEFAULT '{}',
  txid xid8 NOT NULL,
  rows bigint NOT NULL
);
-- How rollback matches the rows back: {"kind": "primary-key" | "unique-key" | "whole-row", "columns", "set"}.
ALTER TABLE pgmend.backups ADD COLUMN IF NOT EXISTS match jsonb;
-- Who is applying (lease.ts): one row while an online apply runs.
CREATE TABLE IF NOT EXISTS pgmend.lease (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  holder text NOT NULL,
  run_id bigint,
  os_user text,
  host text,
  process_id int,
  db_role text NOT NULL DEFAULT current_user,
  acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);
`;

export async function ensureJournal(client: pg.Client): Promise<void> {
  await client.query(JOURNAL_DDL);
  // Journals made before a column existed get it (ALTER only when missing: it needs ownership),
  // found in one look at the catalog.
  const { rows } = await client.query<{ add: string }>(
    `SELECT format('ALTER TABLE pgmend.%I ADD COLUMN IF NOT EXISTS %I %s', t, c, ty) AS add
     FROM (VALUES ('findings', 'review', 'jsonb'), ('runs', 'search_path', 'text')) AS added(t, c, ty)
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('pgmend.%I', t)::regclass AND attname = c AND NOT attisdropped)`,
  );
  for (const r of rows) await client.query(r.add);
}

/** Each finding's sign-off recorded by a run: `{runId: {findingId: review}}`. */
export async function runReviews(client: pg.Client): Promise<Map<number, Record<string, unknown>>> {
  const out = new Map<number, Record<string, unknown>>();
  const { rows: has } = await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pgmend.findings') AND attname = 'review' AND NOT attisdropped`);
  if (!has.length) return out;
  const { rows } = await client.query(`SELECT run_id, finding_id, review FROM pgmend.findings WHERE review IS NOT NULL ORDER BY run_id, ord`);
  for (const r of rows) {
    const id = Number(r.run_id);
    out.set(id, { ...(out.get(id) ?? {}), [r.finding_id]: r.review });
  }
  return out;
}

/** The search_path a run's SQL was written against (null: a journal from before it was recorded). */
export async function runSearchPath(client: pg.Client, runId: number): Promise<string | null> {
  const { rows } = await client.query(`SELECT to_jsonb(r) ->> 'search_path' AS path FROM pgmend.runs r WHERE id = $1`, [runId]);
  return rows[0]?.path ?? null;
}

export async function journalExists(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query(`SELECT to_regclass('pgmend.runs') IS NOT NULL AS ok`);
  return rows[0].ok === true;
}

/**
 * Rows each finding of a run deleted and updated, as its steps reported them (the journal's step
 * rows, so a resumed online run counts its earlier attempts too). Backups are copies, not changes.
 */
export async function rowsChangedByFinding(client: pg.Client, runId: number): Promise<Map<string, { deleted: number; updated: number }>> {
  const { rows } = await client.query<{ finding_id: string; deleted: string; updated: string }>(
    `SELECT finding_id, coalesce(sum(rows) FILTER (WHERE sql ~* '^\\s*DELETE\\M'), 0) AS deleted, coalesce(sum(rows) FILTER (WHERE sql ~* '^\\s*UPDATE\\M'), 0) AS updated
     FROM pgmend.steps WHERE run_id = $1 AND status = 'done' GROUP BY finding_id`,
    [runId],
  );
  return new Map(rows.map((r) => [r.finding_id, { deleted: Number(r.deleted), updated: Number(r.updated) }]));
}

export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export interface RunRow {
  id: number;
  started_at: Date;
  finished_at: Date | null;
  status: string;
  mode: string;
  maintenance_window: string | null;
  plan_id: string | null;
  plan_fingerprint: string | null;
  db_role: string;
  application_name: string | null;
  os_user: string | null;
  findings: string[];
  rows_changed: number;
  error: string | null;
  snapshot_file: string | null;
  rolled_back_at: Date | null;
}

export async function listRuns(client: pg.Client): Promise<RunRow[]> {
  if (!(await journalExists(client))) return [];
  // A run left 'running' whose lease is gone (its process was killed and the lease expired) is interrupted.
  const { rows: lease } = await client.query(`SELECT to_regclass('pgmend.lease') IS NOT NULL AS ok`);
  const live = lease[0].ok ? `EXISTS (SELECT 1 FROM pgmend.lease l WHERE l.run_id = r.id AND l.expires_at > clock_timestamp())` : 'false';
  const { rows } = await client.query(
    `SELECT r.*, CASE WHEN r.status = 'running' AND r.mode = 'online' AND NOT ${live} THEN 'interrupted' ELSE r.status END AS status FROM pgmend.runs r ORDER BY r.id`,
  );
  return rows as RunRow[];
}

export async function startRun(
  client: pg.Client,
  run: { mode: string; window: string; planId: string; fingerprint: string; findings: string[]; snapshotFile?: string; status?: string; error?: string; plan?: unknown },
): Promise<number> {
  const { rows } = await client.query(
    `INSERT INTO pgmend.runs (started_at, status, mode, maintenance_window, plan_id, plan_fingerprint, os_user, findings, snapshot_file, error, finished_at, plan, search_path)
     VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $1 = 'running' THEN NULL ELSE clock_timestamp() END, $10, ${EFFECTIVE_SEARCH_PATH}) RETURNING id`,
    [run.status ?? 'running', run.mode, run.window, run.planId, run.fingerprint, osUser(), run.findings, run.snapshotFile ?? null, run.error ?? null, run.plan === undefined ? null : JSON.stringify(run.plan)],
  );
  return Number(rows[0].id);
}

/**
 * The run's findings, as the journal keeps them for rollback and for the record: window mode writes
 * them `applied` with its COMMIT; online mode writes them `pending` up front (an interrupted run can
 * be rolled back as well as resumed) and marks them applied when it completes.
 */
export async function recordFindings(client: pg.Client, runId: number, selected: FindingPlan[], prepared: PreparedFinding[], outcome: 'applied' | 'pending'): Promise<void> {
  for (const [ord, f] of selected.entries()) {
    await client.query(
      `INSERT INTO pgmend.findings (run_id, finding_id, playbook, ord, tables, sql_hash, rollback, outcome, review) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [runId, f.id, f.playbook, ord, prepared[ord]!.tables, sqlHash(f), f.rollback, outcome, f.finding.review ? JSON.stringify(f.finding.review) : null],
    );
  }
}
