import type { Catalog, Table } from '../../db/catalog.js';
import type { Finding } from '../../findings/model.js';
import type { Playbook } from '../../playbooks/model.js';
import type { PlaybookSet } from '../../playbooks/load.js';
import { buildView, type View } from '../../playbooks/view.js';
import { renderChecks, renderRollback, renderSteps, renderVerify, type RenderedCheck } from '../../playbooks/render.js';
import type { Mode, PlanStep } from './plan-model.js';
import { errorMessage } from '../../util/errors.js';
import { AggregateJoins } from '../checks/decorrelate.js';

/** A finding rendered against the catalog: everything the prechecks, rehearsal and apply run. */
export interface PreparedFinding {
  finding: Finding;
  playbook: Playbook;
  view: View;
  target: Table | undefined;
  checks: RenderedCheck[];
  fixSteps: PlanStep[];
  rollback: string[];
  verify: { sql: string; says: string }[];
  /** Tables whose DDL the diff and fingerprint cover. */
  tables: string[];
}

export type Prepared = { ok: true; value: PreparedFinding } | { ok: false; finding: Finding; error: string };

export function prepareFinding(catalog: Catalog, playbooks: PlaybookSet, finding: Finding, mode: Mode, sampleSize = 5): Prepared {
  const playbook = playbooks.get(finding.playbook);
  if (!playbook) return { ok: false, finding, error: `unknown playbook "${finding.playbook}"` };
  try {
    const view = buildView(catalog, playbook, finding, { resolution: finding.resolution, sampleSize });
    const tables = [...new Set(Object.values(view.tableNames).flat())];
    return {
      ok: true,
      value: {
        finding,
        playbook,
        view,
        target: view.target,
        checks: renderChecks(playbook, view),
        fixSteps: renderSteps(playbook, view, mode),
        rollback: renderRollback(playbook, view),
        verify: renderVerify(playbook, view),
        tables,
      },
    };
  } catch (e) {
    return { ok: false, finding, error: errorMessage(e) };
  }
}

/** The rows a blocking check would have a resolution change: `row_table` (tableoid) and `row_id` (ctid). */
export function rowsQuery(p: PreparedFinding, check: RenderedCheck): string | undefined {
  if (check.rows) return check.rows;
  if (!check.predicate || !p.view.targetSql) return undefined;
  const t = p.view.targetSql;
  // A correlated aggregate (a counter's expression) is read by one grouped scan, not once per row.
  const joins = new AggregateJoins(p.target ? { schema: p.target.schema, name: p.target.name } : { schema: '', name: '' });
  const predicate = joins.rewrite(check.predicate);
  if (predicate === check.predicate) return `SELECT tableoid AS row_table, ctid AS row_id FROM ${t} WHERE ${check.predicate}`;
  return `${joins.with()}SELECT ${t}.tableoid AS row_table, ${t}.ctid AS row_id FROM ${t}${joins.joins()} WHERE ${predicate}`;
}
