import type pg from 'pg';
import { tableByLabel, type Catalog } from '../../db/catalog.js';
import { quoteQualified } from '../../db/quote.js';
import { statementTarget } from '../../playbooks/statement-locks.js';
import { createdNames } from '../../playbooks/created-names.js';
import { withSavepoint } from '../../db/session.js';
import { lockRank, type TableLocks } from '../../playbooks/lock-modes.js';
import type { AnsweredValidation, CatalogAnswer, PlanStep } from './plan-model.js';
import { catalogAnswerText } from '../checks/catalog-answers.js';
import { answeringFkNow, notTheSameKey, type AnsweringFk } from './catalog-answered-fk.js';

/**
 * Window-mode rehearsal of a validating step without validating: `ADD CONSTRAINT … NOT VALID`, or
 * a unique index built `WHERE false`, takes the same locks, fires the same event triggers, needs
 * the same privileges and parses the same SQL as the step — what only execution shows — but reads
 * no row. That is sound only where the prechecks' count already is the validation:
 *
 * - the count is real (a query counted the rows) and zero — or see "answered by the key it
 *   replaces" below;
 * - it describes the rows the step would read: no earlier step of this rehearsal took a
 *   row-changing lock (ROW EXCLUSIVE or stronger) on the step's tables, and no transaction
 *   committed on the server since the count's snapshot (checked under the step's own lock, which
 *   keeps writers out from then on) — so the rehearsal sees exactly the count's snapshot;
 * - the count and the validation read the same rows: no plain table of the step has inheritance
 *   children (an FK validates `ONLY` its parent, the orphan count reads the children too);
 * - PostgreSQL accepts the form (15 refuses NOT VALID foreign keys on partitioned tables);
 * - a unique index's build can fail only on duplicates: a key of plain fixed-width columns (a
 *   variable-width key can exceed the btree's row size, a collatable one depends on collation).
 *
 * Answered by the key it replaces. An orphan count the catalog answered (a validated foreign key,
 * its triggers enabled, same columns to the same parent columns) counted nothing, so by itself it
 * answers no validation. It does for the step that replaces that very key (`DROP CONSTRAINT x,
 * ADD CONSTRAINT x FOREIGN KEY …` with another ON DELETE rule): the new key validates exactly what
 * the old one enforces, and PostgreSQL itself trusts `convalidated` so (it removes joins and skips
 * SET NOT NULL's scan on a validated constraint's word). What can make the old key's word wrong:
 * its triggers disabled (ALTER TABLE … DISABLE TRIGGER ALL, superuser only) or a session in
 * session_replication_role = replica (superuser, or granted) writing rows, then everything put back:
 * the catalog cannot show that, before the plan or since. So the key is read again inside the
 * rehearsal, right before the step drops it (catalog-answered-fk.ts: still there, validated, every
 * trigger enabled — not merely as the plan read it), and the NOT VALID form is kept only if the
 * constraints the step creates are foreign keys from the same table to the same parent on the same
 * column pairs, and no transaction committed on the server between that read and the step's lock
 * (which keeps writers and ALTER TABLE out from then on): a key whose triggers were disabled while
 * the plan ran, or now, is validated in full. The conditions above, for this answer: the count's
 * snapshot does not matter (the key's triggers checked every row committed since it was
 * validated: its state at the lock is what counts, hence the new snapshot); an earlier row-changing
 * step still makes it run in full (it may write behind the key inside this very transaction —
 * triggers disabled and enabled again — which no commit check sees); inheritance children still do (the catalog
 * answer is not given for them, the check stays for the same reason as above). A wrong word — rows
 * written behind a validated key by a superuser — is what PostgreSQL trusts too, and costs no
 * data: apply counts the orphans for real before it runs anything (a count above the plan's
 * refuses the plan as stale), and runs the step itself, whose validation reads every row and
 * rolls the whole transaction back on an orphan.
 *
 * Otherwise the step runs in full, and the plan says why. Apply always runs the step itself.
 */

export interface CountedCheck {
  id: string;
  rows: number;
  answeredBy?: CatalogAnswer;
}

/** `fk`: the key that answered it, as read under the step's lock (the rollback re-adds it: rollback-answered.ts). */
export type Answer = { answered: AnsweredValidation; fk?: AnsweringFk } | { inFull: string };

/** Why the step cannot be answered before running anything; undefined: try its rehearsal form. */
export function whyNotAnswerable(step: PlanStep, checks: CountedCheck[], countedIn: string | undefined, changed: TableLocks): string | undefined {
  const form = step.rehearse!;
  const check = checks.find((c) => c.id === form.check);
  if (!check) return `no ${form.check} count in this plan`;
  // Only a foreign key answers for the key replacing it (rehearseAnswered checks that it is that key).
  if (check.answeredBy && check.answeredBy.kind !== 'foreign key') return `${form.check} ${catalogAnswerText(check.answeredBy)}, which counts no rows; only the validation reads them`;
  if (check.rows > 0) return `the prechecks counted ${check.rows} ${form.check}`;
  if (!countedIn && !check.answeredBy) return 'the count\'s snapshot is not known';
  const touched = Object.keys(step.locks ?? {}).filter((t) => changed[t] && lockRank(changed[t]) >= lockRank('ROW EXCLUSIVE'));
  if (touched.length) return `an earlier step may have changed rows of ${touched.join(', ')} since the count`;
  return undefined;
}

/** Codes PostgreSQL answers a NOT VALID form it does not support with (15: partitioned FK → 42809). */
const REFUSED = new Set(['42809', '0A000']);

class InFull extends Error {}

/** A question about the form that fails (a privilege, a timeout) leaves the step to run in full, not failed. */
async function unlessUnknown<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (e) {
    throw new InFull(`could not tell whether the count answers it (${(e as Error).message})`);
  }
}

/**
 * Runs the step's rehearsal form in a savepoint and keeps it when the count answers the step;
 * otherwise rolls it back (its locks too) and says why, for the caller to run the step in full.
 * An error of the form itself (a lock not granted, a privilege, a trigger) is the step's error.
 */
export async function rehearseAnswered(client: pg.Client, catalog: Catalog, step: PlanStep, index: number, countedIn: string | undefined, run: (sql: string) => Promise<number>, answeredBy?: CatalogAnswer): Promise<Answer> {
  const form = step.rehearse!;
  const noRows = createdNames(form.sql).index !== undefined;
  let fk: AnsweringFk | undefined;
  try {
    await withSavepoint(client, async () => {
      const inherited = await unlessUnknown(() => inheritanceParents(client, catalog, Object.keys(step.locks ?? {})));
      if (inherited) throw new InFull(`${inherited} has inheritance children, which the count reads and the validation does not (or the other way round)`);
      if (answeredBy) {
        // The last look at the key before the step drops it: it must still answer (catalog-answered-fk.ts).
        const now = await unlessUnknown(() => answeringFkNow(client, answeredBy));
        if ('not' in now) throw new InFull(`${now.not} (the plan ${catalogAnswerText(answeredBy)})`);
        fk = now;
      }
      try {
        await run(form.sql);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code && REFUSED.has(code)) throw new InFull(`PostgreSQL refuses the ${noRows ? 'empty' : 'NOT VALID'} form here (${(e as Error).message})`);
        throw e;
      }
      if (noRows) {
        const wide = await unlessUnknown(() => notFixedWidth(client, catalog, form.sql));
        if (wide) throw new InFull(wide);
      }
      if (fk) {
        const other = await unlessUnknown(() => notTheSameKey(client, fk!, createdNames(form.sql).constraints));
        if (other) throw new InFull(`${other}: ${fk.name} answers only for itself`);
      }
      // Under the step's lock no writer (nor ALTER TABLE) can reach its tables any more: has one committed since the count, or since the key was read?
      const since = await unlessUnknown(() => (fk ? committedSince(client, fk.snapshot, `${fk.name} was read`) : committedSince(client, countedIn!)));
      if (since) throw new InFull(since);
    });
  } catch (e) {
    if (e instanceof InFull) return { inFull: e.message };
    throw e;
  }
  const answered: AnsweredValidation = { step: index, check: form.check, rows: 0, form: noRows ? 'no-rows' : 'not-valid', ...(answeredBy ? { answeredBy } : {}) };
  return fk ? { answered, fk } : { answered };
}

/** A plain table among these with inheritance children, as SQL names it. */
async function inheritanceParents(client: pg.Client, catalog: Catalog, tables: string[]): Promise<string | undefined> {
  const oids = catalog.tables.filter((t) => tables.includes(t.qualified) && t.kind === 'table').map((t) => t.oid);
  if (!oids.length) return undefined;
  const { rows } = await client.query<{ t: string | null }>(
    `SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY 1) AS t FROM pg_class c
     WHERE c.oid = ANY($1) AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)`,
    [oids],
  );
  return rows[0]?.t ?? undefined;
}

/** The index just built over no rows: why a full build could fail where no duplicate count can see it. */
async function notFixedWidth(client: pg.Client, catalog: Catalog, sql: string): Promise<string | undefined> {
  const name = createdNames(sql).index;
  const label = statementTarget(sql, catalog);
  const table = label ? tableByLabel(catalog, label) : undefined;
  if (!name || !table) return 'the index built could not be found';
  const { rows } = await client.query<{ exprs: boolean; wide: string | null }>(
    `SELECT i.indexprs IS NOT NULL AS exprs,
            (SELECT string_agg(format('%s %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = i.indexrelid AND a.attnum > 0 AND (t.typlen < 0 OR t.typcollation <> 0)) AS wide
     FROM pg_index i WHERE i.indexrelid = to_regclass($1)`,
    [quoteQualified(table.schema, name)],
  );
  const r = rows[0];
  if (!r) return 'the index built could not be found';
  if (r.exprs) return 'an expression key: a build evaluates it on rows the duplicate count skips';
  if (r.wide) return `a variable-width or collatable key (${r.wide}): a build can fail on an index row too large for a btree page, or by collation, which no duplicate count sees`;
  return undefined;
}

/** Most transactions looked up one by one; more since the count are taken as a change. */
const MAX_XIDS = 100_000;

/**
 * Whether a transaction committed on the server since `snapshot` (pg_current_snapshot() text of the
 * prechecks): one still running then, or one started since. Cluster-wide — clog does not say which
 * database a transaction wrote — so a busy server makes every step run in full. Our own rehearsal's
 * subtransactions are in progress or rolled back.
 */
export async function committedSince(client: pg.Client, snapshot: string, read = "the count's snapshot"): Promise<string | undefined> {
  const { rows } = await client.query<{ from: string; to: string }>(`SELECT pg_snapshot_xmax($1::pg_snapshot)::text AS from, pg_snapshot_xmax(pg_current_snapshot())::text AS to`, [snapshot]);
  const from = BigInt(rows[0]!.from);
  const to = BigInt(rows[0]!.to);
  if (to - from > BigInt(MAX_XIDS)) return `${to - from} transactions started on the server since ${read}`;
  const { rows: hit } = await client.query<{ x: string }>(
    `SELECT x::text FROM (SELECT pg_snapshot_xip($1::pg_snapshot) AS x
                          UNION ALL SELECT g::text::xid8 FROM generate_series($2::bigint, $3::bigint - 1) AS g) AS xs
     WHERE pg_xact_status(x) = 'committed' LIMIT 1`,
    [snapshot, from.toString(), to.toString()],
  );
  const may = read === "the count's snapshot" ? 'its rows may differ from the ones counted' : 'it may have changed the key or written rows behind it';
  return hit.length ? `transaction ${hit[0]!.x} committed on the server since ${read} (${may})` : undefined;
}

/**
 * The catalog after the rehearsal as the step itself would leave it: the constraint added NOT VALID
 * validated, the index built WHERE false without that predicate — so the diff, and "already
 * applied", show the fix, not its rehearsal form.
 */
export function asApplied(before: Catalog, after: Catalog, steps: PlanStep[], answered: AnsweredValidation[]): Catalog {
  if (!answered.length) return after;
  let out = after;
  for (const a of answered) {
    if (a.form === 'listed-rows') continue; // rows, not schema
    const sql = steps[a.step]!.rehearse!.sql;
    if (a.form === 'not-valid') {
      const names = createdNames(sql).constraints;
      const wasNotValid = (c: Catalog['constraints'][number]) => before.constraints.some((b) => b.tableOid === c.tableOid && b.name === c.name && !b.validated);
      out = { ...out, constraints: out.constraints.map((c) => (names.includes(c.name) && !c.validated && !wasNotValid(c) ? { ...c, validated: true, definition: c.definition.replace(/\s+NOT VALID$/, '') } : c)) };
    } else {
      const n = createdNames(sql).index;
      const existed = (oid: number) => before.indexes.some((i) => i.oid === oid);
      out = { ...out, indexes: out.indexes.map((i) => (i.name === n && !existed(i.oid) ? { ...i, predicate: null, definition: i.definition.replace(/ WHERE false$/, '') } : i)) };
    }
  }
  return out;
}
