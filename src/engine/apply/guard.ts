import type pg from 'pg';
import type { Catalog } from '../../db/catalog.js';
import { refuseHiddenRows } from '../../db/row-security.js';
import { prepareFinding, type PreparedFinding } from '../plan/prepare.js';
import { checkRowMatching } from '../plan/row-match.js';
import type { FindingPlan, Plan } from '../plan/plan-model.js';
import type { ApplyOptions } from './apply-model.js';
import { liveLeaseHolder, type LeaseHolder } from './lease.js';
import { checkPrivileges } from './privileges.js';
import { staleReasons } from './stale.js';
import { planDrift } from './plan-integrity.js';
import { Refusal } from '../../util/errors.js';
import { searchPathText } from '../../db/search-path.js';

/**
 * What every apply (window or online) and every rollback checks before it changes anything:
 * pgmend's advisory lock, the findings still rendering against the live catalog, privileges, row
 * matching, row security, and a plan neither stale nor edited. Each says why it refuses.
 */

export const ADVISORY_KEY = 'pgmend.apply';

/**
 * Takes pgmend's advisory lock for this transaction (never for the session: through a transaction
 * pooler a session lock stays on a backend other clients then use), or says who holds it: the live
 * lease's pgmend process when there is one; else the backend, and an idle backend holding it is an
 * orphaned pooled connection (a session lock left by an older pgmend or taken by hand).
 */
export async function takeAdvisoryLock(client: pg.Client, me?: LeaseHolder): Promise<void> {
  const { rows } = await client.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [ADVISORY_KEY]);
  if (rows[0].ok === true) return;
  const lease = await liveLeaseHolder(client, me).catch(() => undefined);
  if (lease) throw new Refusal(`another pgmend apply is running: ${lease}`, 'wait for it to finish; two applies never run at once');
  const { rows: holders } = await client.query(
    `SELECT a.pid, a.application_name, a.state, round(extract(epoch FROM now() - coalesce(a.xact_start, a.state_change)))::int AS secs
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (hashtext($1)::bigint & 4294967295)::oid AND a.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, // advisory keys are per database
    [ADVISORY_KEY],
  );
  const h = holders[0];
  if (h?.state === 'idle') {
    throw new Refusal(
      `pgmend's lock is held by backend pid ${h.pid}, idle for ${h.secs} s — an orphaned pooled connection (a session-level lock left by an older pgmend or taken by hand; application_name "${h.application_name}" is only whoever used that backend last)`,
      `no pgmend is running there; clear it with: SELECT pg_terminate_backend(${h.pid});`,
    );
  }
  throw new Refusal(`another pgmend apply is running${h ? ` (pid ${h.pid}, application_name "${h.application_name}")` : ''}`, 'wait for it to finish; two applies never run at once');
}

/** Waits for pgmend's advisory lock (an online step's transaction: the run's own lease keeps others out). */
export async function waitForAdvisoryLock(client: pg.Client): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ADVISORY_KEY]);
}

export function prepareAll(catalog: Catalog, opts: ApplyOptions, selected: FindingPlan[]): PreparedFinding[] {
  return selected.map((f) => {
    const p = prepareFinding(catalog, opts.playbooks, f.finding, opts.plan.mode, 0);
    if (!p.ok) throw new Refusal(`${f.id} no longer renders against the database: ${p.error}`, 'run plan again');
    return p.value;
  });
}

/** Privileges, row matching and row security — before the lease, which lives in a schema this role may not read. */
export async function checkTargets(client: pg.Client, catalog: Catalog, selected: FindingPlan[], tables: string[]): Promise<void> {
  await checkPrivileges(client, catalog, selected);
  checkRowMatching(catalog, selected);
  await refuseHiddenRows(client, catalog, tables);
}

/** The blocking counts and schema still what the plan says, and its SQL what its findings render to. */
/**
 * A plan's unqualified names meant tables along the search_path it was made with; a session that
 * looks them up along another (another role's "$user", a changed default) would apply the same SQL
 * to other tables. Refused rather than adopted: the path in a plan file is as untrusted as the rest.
 */
export function refuseOtherSearchPath(catalog: Catalog, plan: Plan): void {
  const planned = plan.database.searchPath;
  if (!planned || planned.join('\0') === catalog.searchPath.join('\0')) return;
  throw new Refusal(
    `the plan looked names up along search_path ${searchPathText(planned)}, this session along ${searchPathText(catalog.searchPath)}: the same SQL could reach other tables`,
    'connect as the role that planned (or with the same search_path), or run plan again in this session',
  );
}

export async function refuseStaleOrEdited(client: pg.Client, catalog: Catalog, opts: ApplyOptions, selected: FindingPlan[], prepared: PreparedFinding[]): Promise<void> {
  const stale = await staleReasons(client, catalog, opts.plan, selected, prepared, opts.playbooks);
  if (stale.length) throw new Refusal(`the plan is stale — ${stale.join('; ')}`, 'run plan again and review the new counts');
  const drift = planDrift(catalog, opts.plan, selected, prepared);
  if (drift.length) throw new Refusal(`the plan's SQL is not what its findings render to — ${drift.join('; ')}`, 'the plan file was edited (or made by another version); run plan again');
}
