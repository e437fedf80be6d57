import type pg from 'pg';
import type { CheckResult, Row } from './plan-model.js';
import type { PreparedFinding } from './prepare.js';
import type { RenderedCheck } from '../playbooks/render.js';
import { quoteIdent } from '../db/quote.js';
import { errorMessage } from '../util/errors.js';

/**
 * Prechecks: exact counts of the rows that block each fix, and bounded samples. Every predicate
 * check of one table — across all findings — is counted in ONE scan of that table with
 * `count(*) FILTER (WHERE …)`; samples and value breakdowns are fetched only for checks that
 * found rows, with LIMIT.
 */

export interface PrecheckOptions {
  sampleSize: number;
  /** Called as each finding's checks complete, for progress display. */
  onFinding?: (id: string) => void;
}

export type PrecheckOutcome = { ok: true; checks: CheckResult[] } | { ok: false; error: string };

interface PendingCheck {
  p: PreparedFinding;
  check: RenderedCheck;
  result: CheckResult;
}

/** The columns of sample rows: primary key first, internal pgmend_* helpers dropped. */
function orderSample(p: PreparedFinding, rows: Row[]): Row[] {
  const pk = p.target?.primaryKey ?? [];
  return rows.map((r) => {
    const out: Row = {};
    for (const k of pk) if (k in r) out[k] = r[k];
    for (const [k, v] of Object.entries(r)) if (!(k in out) && (k === 'pgmend_group' || !k.startsWith('pgmend_'))) out[k] = v;
    return out;
  });
}

async function fillDetails(client: pg.Client, pending: PendingCheck, sampleSize: number): Promise<void> {
  const { p, check, result } = pending;
  if (result.rows === 0 || sampleSize <= 0) return;
  const t = p.view.table as string;
  const pk = p.target?.primaryKey.length ? p.target.primaryKey.map(quoteIdent).join(', ') : '1';
  if (check.sample) {
    // The playbook's sample bounds itself (duplicates: the first N whole groups); cap it anyway.
    const { rows } = await client.query(`${check.sample} LIMIT 1000`);
    result.sample = orderSample(p, rows);
  } else if (check.predicate) {
    const { rows } = await client.query(`SELECT * FROM ${t} WHERE ${check.predicate} ORDER BY ${pk} LIMIT ${sampleSize}`);
    result.sample = orderSample(p, rows);
  }
  if (check.values) {
    const { rows } = await client.query(`${check.values} LIMIT 50`);
    result.values = rows.map((r) => ({ value: r.value, rows: Number(r.rows) }));
  }
}

export async function runPrechecks(client: pg.Client, prepared: PreparedFinding[], opts: PrecheckOptions): Promise<Map<string, PrecheckOutcome>> {
  const outcomes = new Map<string, PrecheckOutcome>();
  const pendingByFinding = new Map<string, PendingCheck[]>();
  const byTable = new Map<string, PendingCheck[]>();
  const standalone: PendingCheck[] = [];

  for (const p of prepared) {
    const list: PendingCheck[] = [];
    for (const check of p.checks) {
      if (check.spec.extra) continue; // engine-computed (cascade), not a row count
      const pending: PendingCheck = { p, check, result: { id: check.spec.id, rows: 0, blocking: check.spec.blocking, sample: [] } };
      list.push(pending);
      if (check.predicate && !check.count) {
        const key = p.view.table as string;
        byTable.set(key, [...(byTable.get(key) ?? []), pending]);
      } else {
        standalone.push(pending);
      }
    }
    pendingByFinding.set(p.finding.id, list);
  }

  const failed = new Map<string, string>();
  // One scan per table for all its predicate checks. If the batch fails (one bad expression),
  // fall back to one query per check so only the faulty finding errors.
  for (const [table, checks] of byTable) {
    const filters = checks.map((c, i) => `count(*) FILTER (WHERE ${c.check.predicate}) AS c${i}`).join(',\n  ');
    try {
      const { rows } = await client.query(`SELECT\n  ${filters}\nFROM ${table}`);
      checks.forEach((c, i) => (c.result.rows = Number(rows[0][`c${i}`])));
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT pgmend_precheck').catch(() => {});
      for (const c of checks) {
        try {
          const { rows } = await client.query(`SELECT count(*) AS n FROM ${table} WHERE ${c.check.predicate}`);
          c.result.rows = Number(rows[0].n);
        } catch (e) {
          failed.set(c.p.finding.id, `check ${c.check.spec.id}: ${errorMessage(e)}`);
          await client.query('ROLLBACK TO SAVEPOINT pgmend_precheck').catch(() => {});
        }
      }
    }
  }
  for (const c of standalone) {
    try {
      const { rows } = await client.query(c.check.count!);
      c.result.rows = Number(rows[0].rows);
      if (rows[0].groups !== undefined) c.result.groups = Number(rows[0].groups);
    } catch (e) {
      failed.set(c.p.finding.id, `check ${c.check.spec.id}: ${errorMessage(e)}`);
      await client.query('ROLLBACK TO SAVEPOINT pgmend_precheck').catch(() => {});
    }
  }

  for (const p of prepared) {
    const id = p.finding.id;
    const list = pendingByFinding.get(id) ?? [];
    if (!failed.has(id)) {
      try {
        for (const c of list) await fillDetails(client, c, opts.sampleSize);
      } catch (e) {
        failed.set(id, `sample: ${errorMessage(e)}`);
        await client.query('ROLLBACK TO SAVEPOINT pgmend_precheck').catch(() => {});
      }
    }
    const error = failed.get(id);
    outcomes.set(id, error ? { ok: false, error } : { ok: true, checks: list.map((c) => c.result) });
    opts.onFinding?.(id);
  }
  return outcomes;
}
