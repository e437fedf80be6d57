import type { Resolution } from '../../findings/model.js';
import { ROW_SECURITY_OFF } from '../../db/row-security.js';
import type { Finding } from '../../findings/model.js';
import type { DbTarget } from '../../db/connection.js';
import type { PlaybookSet } from '../../playbooks/load.js';
import { withClient, withRollback } from '../../db/session.js';
import { loadCatalog } from '../../db/catalog.js';
import { ensureParser } from '../../playbooks/expression.js';
import { prepareFinding, rowsQuery } from './prepare.js';
import { resolutionSteps } from './row-changes.js';
import { flatSteps } from './steps.js';
import type { Mode, ResolutionPreview, Row } from './plan-model.js';
import { PgmendError } from '../../util/errors.js';
import { quoteIdent } from '../../db/quote.js';
import { rowOrder } from '../../db/row-order.js';
import { keepOrdering } from './keep-order.js';

/**
 * Before a reviewer chooses a resolution: recount the rows it would change and show exactly those
 * rows (for update / set-null, as they are now and as they would become). Read-only: the "after"
 * rows come from running the resolution inside a transaction that rolls back.
 */
export async function previewResolution(
  target: DbTarget,
  playbooks: PlaybookSet,
  finding: Finding,
  resolution: Resolution,
  opts: { mode: Mode; sampleSize: number; lockTimeoutMs: number },
): Promise<ResolutionPreview & { after: Row[] }> {
  await ensureParser();
  const f = { ...finding, resolution };
  return withClient(target, (client) =>
    withRollback(client, async () => {
      await client.query('SET CONSTRAINTS ALL IMMEDIATE');
      await client.query(`SET LOCAL lock_timeout = ${Math.round(opts.lockTimeoutMs)}`);
      await client.query(ROW_SECURITY_OFF);
      const catalog = await loadCatalog(client);
      const prepared = prepareFinding(catalog, playbooks, f, opts.mode, opts.sampleSize);
      if (!prepared.ok) throw new PgmendError(prepared.error);
      const p = prepared.value;
      const check = p.checks.find((c) => c.spec.blocking && rowsQuery(p, c));
      if (!check || !p.target) throw new PgmendError(`${finding.id}: this finding has no blocking rows to resolve`);
      const t = p.view.targetSql;
      const pk = rowOrder(p.target, t).join(', ');
      const rows = rowsQuery(p, check)!;
      const { rows: count } = await client.query(`SELECT count(*) AS n FROM (${rows}) AS pgmend_r`);
      const { rows: before } = await client.query(
        `WITH pgmend_rows AS MATERIALIZED (${rows}) SELECT * FROM ${t} WHERE (tableoid, ctid) IN (SELECT row_table, row_id FROM pgmend_rows) ORDER BY ${pk} LIMIT ${opts.sampleSize}`,
      );
      // Keeping one row per group: the first groups whole, ranked as the resolution ranks them
      // (read before the change below runs).
      const keeps = resolution.keep && check.ranked ? { ranked: (await client.query(check.ranked)).rows as Row[], ordering: keepOrdering(p.target, resolution.orderBy) } : {};
      // Run the real resolution steps (backup + change) and read the rows back, then roll back.
      let after: Row[] = [];
      if (resolution.strategy !== 'delete') {
        const keys = before.map((r) => p.target!.primaryKey.map((k) => r[k]));
        for (const s of flatSteps(resolutionSteps(catalog, p, resolution, 'pg_temp.pgmend_preview', [check.spec.id]))) await client.query(s.sql.replace(/CREATE SCHEMA IF NOT EXISTS pgmend/, 'SELECT 1'));
        if (p.target.primaryKey.length && keys.length) {
          const cond = p.target.primaryKey.map((k, i) => `${quoteIdent(k)} = $${i + 1}`).join(' AND ');
          for (const k of keys) after.push(...(await client.query(`SELECT * FROM ${t} WHERE ${cond}`, k)).rows);
        }
      }
      return { resolution, check: check.spec.id, table: p.target.qualified, rows: Number(count[0].n), sample: before, ...keeps, after };
    }),
  );
}
