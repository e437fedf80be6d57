import type pg from 'pg';
import type { PreparedFinding } from '../plan/prepare.js';
import { blockingLeft, type FindingPlan } from '../plan/plan-model.js';
import { runPrechecks } from '../checks/prechecks.js';
import { PgmendError } from '../../util/errors.js';

/**
 * After the fixes, in the transaction that made them: every verification query passes and no
 * blocking row is left. A count that fails here undoes only its own query (its own savepoint):
 * the fix stays for the COMMIT or the ROLLBACK the caller decides on.
 */
export async function verify(client: pg.Client, selected: Pick<FindingPlan, 'id' | 'verify'>[], prepared: PreparedFinding[]): Promise<void> {
  for (const f of selected) {
    for (const v of f.verify) {
      const { rows } = await client.query(v.sql);
      if (rows[0]?.ok !== true) throw new PgmendError(`${f.id}: verification failed: ${v.says} is not true`);
    }
  }
  const outcomes = await runPrechecks(client, prepared, { sampleSize: 0 });
  for (const p of prepared) {
    const o = outcomes.get(p.finding.id)!;
    if (!o.ok) throw new PgmendError(`${p.finding.id}: verification failed: ${o.error}`);
    const left = blockingLeft(o.checks);
    if (left.length) throw new PgmendError(`${p.finding.id}: verification failed: ${left.map((c) => `${c.rows} ${c.id}`).join(', ')} left`);
  }
}
