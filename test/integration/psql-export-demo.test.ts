import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Mode, Plan } from '../../src/engine/plan/plan-model.js';
import type { Finding } from '../../src/findings/model.js';
import { backupTableName } from '../../src/engine/plan/row-changes.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli } from '../support/cli.js';
import { runPsqlFile } from '../support/psql.js';
import { ACTORHUB, loadFindings, planOf } from '../support/plan-engine.js';

/**
 * The whole demo fixed by the exported script alone: `plan --format sql` of findings-resolved.yaml
 * run with the real `psql -X -v ON_ERROR_STOP=1 -f`. Afterwards a fresh plan finds nothing left to
 * do, the constraints exist and are validated, and `pgmend` holds a copy of every changed row.
 */

const EXPECTED = JSON.parse(readFileSync(path.join(ACTORHUB, 'expected.json'), 'utf8')) as {
  findings: Record<string, { playbook: string; resolvedRows?: number; checks?: Record<string, { rows: number }> }>;
};
const RESOLVED_FILE = path.join(ACTORHUB, 'findings-resolved.yaml');
const PLAIN_FILE = path.join(ACTORHUB, 'findings.yaml');

/** Findings that touch the same rows: the first to run resolves them, the second finds none. */
const SAME_ROWS: [string, string][] = [
  ['AH-AV-01', 'AH-SM-01'],
  ['AH-AV-02', 'AH-SM-02'],
  ['AH-AV-03', 'AH-SM-03'],
];

interface Params {
  table: string;
  name?: string;
  column?: string;
  columns?: string[];
  onDelete?: string;
}

function constraintName(f: Finding): string {
  const p = f.params as unknown as Params;
  if (p.name) return p.name;
  if (f.playbook === 'allowed-values') return `${p.table}_${p.column}_check`;
  if (f.playbook === 'foreign-key') return `${p.table}_${p.columns!.join('_')}_fkey`;
  throw new Error(`no constraint name for ${f.id}`);
}

const DEL_CODE: Record<string, string> = { cascade: 'c', 'set-null': 'n', 'set-default': 'd', restrict: 'r', 'no-action': 'a' };

function describeScript(mode: Mode) {
  describe(`plan --format sql --mode ${mode}, run by psql`, () => {
    let db: TestDb;
    let dir: string;
    let script: string;
    let psql: { code: number; stdout: string; stderr: string };
    let after: Plan;
    let planId: string;
    let resolvedFindings: Finding[];

    beforeAll(async () => {
      db = await createTestDb('tpl_actorhub');
      dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-export-'));
      const file = path.join(dir, 'plan.sql');
      const r = await runCli(['plan', '--db', db.url, '--findings', RESOLVED_FILE, '--format', 'sql', '--mode', mode, '--out', file]);
      expect(r.code, r.stderr).toBe(0);
      script = await readFile(file, 'utf8');
      planId = /pgmend\.bk_([0-9a-f]+)_/.exec(script)![1]!;
      psql = await runPsqlFile(db.url, file);
      after = await planOf(db.url, { file: PLAIN_FILE });
      resolvedFindings = (await loadFindings({ file: RESOLVED_FILE })).filter((f) => f.resolution);
    }, 180_000);

    afterAll(async () => {
      await db?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('psql exits 0 and reaches the end', () => {
      expect(psql.stderr).not.toMatch(/ERROR/);
      expect(psql.code, psql.stderr).toBe(0);
      expect(psql.stdout).toMatch(mode === 'window' ? /pgmend: committed/ : /pgmend: done/);
      if (mode === 'online') expect(script).toMatch(/CREATE UNIQUE INDEX CONCURRENTLY/);
    });

    it('a new plan finds zero blocking rows, and every non-sql finding applied', () => {
      expect(after.findings).toHaveLength(76);
      for (const f of after.findings) {
        expect(f.error, f.id).toBeUndefined();
        for (const c of f.checks) if (c.blocking || c.id === 'drift') expect(c.rows, `${f.id} ${c.id}`).toBe(0);
        if (f.playbook !== 'sql') expect(f.status, `${f.id}: ${f.status}`).toBe('applied');
      }
    });

    it('constraints exist and are validated with the rules asked for', async () => {
      const findings = await loadFindings({ file: PLAIN_FILE });
      let n = 0;
      for (const f of findings.filter((x) => ['check', 'allowed-values', 'foreign-key'].includes(x.playbook))) {
        const p = f.params as unknown as Params;
        const { rows } = await db.query<{ contype: string; convalidated: boolean; confdeltype: string }>(
          'SELECT contype, convalidated, confdeltype FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2',
          [`public.${p.table}`, constraintName(f)],
        );
        expect(rows, f.id).toHaveLength(1);
        expect(rows[0]!.convalidated, f.id).toBe(true);
        expect(rows[0]!.contype, f.id).toBe(f.playbook === 'foreign-key' ? 'f' : 'c');
        if (f.playbook === 'foreign-key') expect(rows[0]!.confdeltype, f.id).toBe(DEL_CODE[p.onDelete!]);
        n++;
      }
      expect(n).toBe(17 + 21 + 5);
      // NOT NULL and the unique indexes too.
      const { rows: nn } = await db.query("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.licenses'::regclass AND attname = 'valid_from'");
      expect(nn[0]!.attnotnull).toBe(true);
      const { rows: uq } = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_index i WHERE i.indisunique AND i.indisvalid AND NOT i.indisprimary AND i.indrelid::regclass::text IN ('identities', 'listings', 'subscriptions', 'api_keys', 'payouts') AND indpred IS NOT NULL",
      );
      expect(Number(uq[0]!.n)).toBe(5);
    });

    it('backup tables in pgmend hold exactly the rows each resolution changed, as they were', async () => {
      const count = async (id: string) => {
        const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${backupTableName(planId, id)}`);
        return Number(rows[0]!.n);
      };
      const paired = new Set(SAME_ROWS.flat());
      expect(resolvedFindings).toHaveLength(35);
      for (const f of resolvedFindings) {
        if (paired.has(f.id)) continue;
        expect(await count(f.id), f.id).toBe(EXPECTED.findings[f.id]!.resolvedRows);
      }
      for (const [a, b] of SAME_ROWS) {
        // Whichever runs first backs up and changes all of them; the other finds none left.
        const counts = [await count(a), await count(b)].sort();
        expect(counts, `${a}/${b}`).toEqual([0, EXPECTED.findings[a]!.resolvedRows]);
      }

      // The backed-up rows are the old rows: deleted ones are gone, updated ones carry the new values now.
      for (const f of resolvedFindings) {
        const backup = backupTableName(planId, f.id);
        const p = f.params as unknown as Params;
        const live = `public.${p.table}`;
        const { rows: b } = await db.query<{ n: string; missing: string }>(
          `SELECT count(*) AS n, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM ${live} t WHERE t.id = b.id)) AS missing FROM ${backup} b`,
        );
        const n = Number(b[0]!.n);
        if (f.resolution!.strategy === 'delete') {
          expect(Number(b[0]!.missing), f.id).toBe(n);
          continue;
        }
        expect(Number(b[0]!.missing), f.id).toBe(0);
        if (f.resolution!.strategy === 'update') {
          for (const [col, value] of Object.entries(f.resolution!.set!)) {
            const { rows: c } = await db.query<{ changed: string }>(
              `SELECT count(*) FILTER (WHERE t.${col} IS NOT DISTINCT FROM CAST($1::text AS ${await columnType(p.table, col)})) AS changed
               FROM ${backup} b JOIN ${live} t ON t.id = b.id`,
              [value === null ? null : String(value)],
            );
            expect(Number(c[0]!.changed), `${f.id} ${col} now ${value}`).toBe(n);
          }
        }
        // Row by row, the backup differs from the live row in the resolved columns only.
        const { rows: pairs } = await db.query<{ was: Record<string, unknown>; now: Record<string, unknown> }>(
          `SELECT to_jsonb(b) - 'pgmend_row_id' - 'pgmend_txid' AS was, to_jsonb(t) AS now FROM ${backup} b JOIN ${live} t ON t.id = b.id`,
        );
        for (const { was, now } of pairs) {
          const changed = Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(was[k]));
          expect(changed.length, `${f.id} row ${String(now.id)} changed`).toBeGreaterThan(0);
          if (f.resolution!.strategy === 'update') expect(Object.keys(f.resolution!.set!), f.id).toEqual(expect.arrayContaining(changed));
          else for (const k of changed) expect(now[k], `${f.id} ${k} set to NULL`).toBeNull();
        }
      }
    });

    it('counter repairs are backed up too: every drifting row, each one changed by the repair', async () => {
      const findings = (await loadFindings({ file: RESOLVED_FILE })).filter((f) => f.playbook === 'counter');
      expect(findings).toHaveLength(7);
      for (const f of findings) {
        const p = f.params as unknown as Params;
        const { rows } = await db.query<{ n: string; changed: string }>(
          `SELECT count(*) AS n, count(*) FILTER (WHERE b.${p.column} IS DISTINCT FROM t.${p.column}) AS changed
           FROM ${backupTableName(planId, f.id)} b JOIN public.${p.table} t ON t.id = b.id`,
        );
        // Resolutions run first and may move a counter's target (AH-CHK-02 zeroes a completed
        // license's payout, so AH-CNT-03 repairs 7 rows, not the 6 drifting at plan time).
        expect(Number(rows[0]!.n), f.id).toBeGreaterThanOrEqual(EXPECTED.findings[f.id]!.checks!.drift!.rows);
        expect(Number(rows[0]!.changed), f.id).toBe(Number(rows[0]!.n));
      }
    });

    async function columnType(table: string, column: string): Promise<string> {
      const { rows } = await db.query<{ t: string }>(
        'SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2',
        [`public.${table}`, column],
      );
      return rows[0]!.t;
    }
  });
}

describeScript('window');
describeScript('online');
