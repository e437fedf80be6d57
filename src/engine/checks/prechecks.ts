import type pg from 'pg';
import type { CatalogAnswer, CheckResult, Row } from '../plan/plan-model.js';
import type { PreparedFinding } from '../plan/prepare.js';
import type { RenderedCheck } from '../../playbooks/render.js';
import { quoteIdent } from '../../db/quote.js';
import { rowOrder } from '../../db/row-order.js';
import { errorMessage } from '../../util/errors.js';
import { AggregateJoins, type UniqueKeys } from './decorrelate.js';
import { readFused, type GroupedRead, type TableBatch } from './fused-scans.js';
import { batchCountSelect } from './batch-count.js';
import { constraintsOf, findTable, indexesOf, type Catalog } from '../../db/catalog.js';
import { catalogAnswers } from './catalog-answers.js';
import { querySafely, withSavepoint } from '../../db/session.js';

/**
 * Prechecks: exact counts of the rows that block each fix, and bounded samples. Every predicate
 * check of one table — across all findings — is counted in ONE scan of that table with
 * `count(*) FILTER (WHERE …)`; where that scan fuses (fused-scans.ts) it also gives the value
 * breakdowns, the counters' sample rows and the grouped reads the caller asks for (the cascade's).
 * Other samples and breakdowns are fetched only for checks that found rows, with LIMIT.
 */

export interface PrecheckOptions {
  sampleSize: number;
  /** Lets orphan checks join their parent by its unique key instead of probing it per row. */
  catalog?: Catalog;
  /** For a check that ran out of lock_timeout: the tables other sessions held when the plan began, and the timeout. */
  heldTables?: string[];
  lockTimeoutMs?: number;
  /** Called as each finding's checks complete, for progress display. */
  onFinding?: (id: string) => void;
  /** Called as soon as every count of a finding is known (its tables' scans ended), before samples: the counts so far. */
  onCounted?: (id: string, checks: CheckResult[]) => void;
  /** Grouped reads another stage needs (the cascade's counts), answered by the scans that count their tables where they fuse. */
  groupedReads?: GroupedRead[];
  /** Each grouped read answered, by its index in groupedReads (the others are left to their own query). */
  onGroupedRead?: (index: number, row: Record<string, unknown>) => void;
  /**
   * Checks that join grouped scans (a counter's drift) list the ids of up to this many of their
   * rows in the fused statement, with their sample: window rehearsal backs up exactly those rows
   * instead of finding them again (plan/listed-rows.ts). 0: samples only.
   */
  listRowsUpTo?: number;
}

/** A lock another session holds past lock_timeout is said as such (the server says only "canceling statement"). */
export function queryError(e: unknown, opts: Pick<PrecheckOptions, "heldTables" | "lockTimeoutMs">): string {
  if ((e as { code?: string }).code !== '55P03') return errorMessage(e);
  const held = opts.heldTables?.length ? ` (held now: ${opts.heldTables.join(', ')})` : '';
  const after = opts.lockTimeoutMs ? `lock_timeout ${opts.lockTimeoutMs} ms` : 'lock_timeout';
  return `a table it reads is locked by another session${held}: gave up after ${after}, not waited for — retry once that session has finished, or raise --lock-timeout`;
}

export type PrecheckOutcome =
  | {
      ok: true;
      checks: CheckResult[];
      /** Per check id: every row it counted, as `tableoid:ctid` in the prechecks' snapshot (only where the list is complete). */
      rowIds?: Record<string, string[]>;
    }
  | { ok: false; error: string };

interface PendingCheck {
  p: PreparedFinding;
  check: RenderedCheck;
  result: CheckResult;
  /** Every row it counted (`tableoid:ctid`), where its sample query listed them (listRowsUpTo). */
  ids?: string[];
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


/** Whether fillDetails runs a query for this check (else it only copies what the scan already gave). */
function queriesDetails(pending: PendingCheck, sampleSize: number, presampled?: Row[], values?: { value: unknown; rows: number }[]): boolean {
  const { check, result } = pending;
  if (result.rows === 0 || sampleSize <= 0) return false;
  return (!presampled && Boolean(check.sample || check.predicate)) || (!values && Boolean(check.values));
}

async function fillDetails(client: pg.Client, pending: PendingCheck, sampleSize: number, presampled?: Row[], values?: { value: unknown; rows: number }[], listUpTo = 0): Promise<void> {
  const { p, check, result } = pending;
  if (result.rows === 0 || sampleSize <= 0) return;
  const t = p.view.targetSql;
  const pk = rowOrder(p.target, t).join(', ');
  if (presampled) {
    result.sample = orderSample(p, presampled);
  } else if (check.sample) {
    // The playbook's sample bounds itself (duplicates: the first N whole groups); cap it anyway.
    const { rows } = await client.query(`${check.sample} LIMIT 1000`);
    result.sample = orderSample(p, rows);
  } else if (check.predicate) {
    const joins = aggregateJoins(p);
    const predicate = joins.rewrite(check.predicate);
    // The rows a row change of the finding repairs, if few: listed whole by the same query (it reads them all anyway to sort).
    const list = listUpTo > 0 && result.rows <= listUpTo && p.fixSteps.some((s) => s.rowsOf === check.spec.id);
    const id = list ? `, ${t}.tableoid::oid::text || ':' || ${t}.ctid::text AS pgmend_id` : '';
    const { rows } = await client.query(`${joins.with()}SELECT ${t}.*${id} FROM ${t}${joins.joins()} WHERE ${predicate} ORDER BY ${pk} LIMIT ${list ? Math.max(sampleSize, result.rows) : sampleSize}`);
    result.sample = orderSample(p, rows.slice(0, sampleSize));
    if (list) pending.ids = rows.map((r) => String(r.pgmend_id));
  }
  if (values) {
    result.values = values;
  } else if (check.values) {
    const { rows } = await client.query(`${check.values} LIMIT 50`);
    result.values = rows.map((r) => ({ value: r.value, rows: Number(r.rows) }));
  }
}

/** The checks whose every counted row the fused statement listed (ids no more than its limit, as many as the count). */
function fusedRowLists(byTable: Map<string, PendingCheck[]>, picked: Map<number, Map<number, string[]>> = new Map()): Map<PendingCheck, string[]> {
  const out = new Map<PendingCheck, string[]>();
  [...byTable.values()].forEach((checks, b) => {
    for (const [i, list] of picked.get(b) ?? []) if (checks[i] && list.length === checks[i].result.rows) out.set(checks[i], list);
  });
  return out;
}

/**
 * Samples of a table's checks that read grouped child tables (counters): one query for all of
 * them, so each child table is grouped once rather than once per check. Each check gets the rows
 * its own query would (`ORDER BY pk LIMIT n` among its matches). On any error, nothing: the
 * per-check queries run instead.
 */
async function groupedSamples(
  client: pg.Client,
  byTable: Map<string, PendingCheck[]>,
  failed: Map<string, string>,
  n: number,
  picked: Map<number, Map<number, string[]>> = new Map(),
): Promise<Map<PendingCheck, Row[]>> {
  const out = new Map<PendingCheck, Row[]>();
  for (const [b, [table, checks]] of [...byTable].entries()) {
    const ids = picked.get(b);
    if (!ids) continue;
    // The statement may list more ids than the sample shows (listRowsUpTo): the first n, in row order.
    const wanted = [...ids].filter(([i]) => checks[i]!.result.rows > 0 && !failed.has(checks[i]!.p.finding.id)).map(([i, list]) => [i, list.slice(0, n)] as const);
    if (wanted.length === 0) continue;
    const all = [...new Set(wanted.flatMap(([, list]) => list))];
    // The rows by their ids in this snapshot: a TID scan, not a read of the table.
    const id = `${table}.tableoid::oid::text || ':' || ${table}.ctid::text`;
    try {
      const { rows } = await withSavepoint(client, () =>
        client.query(`SELECT ${table}.*, ${id} AS pgmend_id FROM ${table} WHERE ${table}.ctid = ANY($1::tid[]) AND ${id} = ANY($2::text[]) ORDER BY ${rowOrder(checks[0]!.p.target, table).join(", ")}`, [all.map((x) => x.slice(x.indexOf(':') + 1)), all]),
      );
      for (const [i, list] of wanted) out.set(checks[i]!, rows.filter((r) => list.includes(r.pgmend_id as string)));
    } catch {
      // the sample queries below run instead
    }
  }
  for (const [table, checks] of byTable) {
    const joins = aggregateJoins(checks[0]!.p);
    const grouped = checks
      .filter((c) => c.result.rows > 0 && !c.check.sample && !failed.has(c.p.finding.id) && !out.has(c))
      .map((c) => ({ c, predicate: joins.rewrite(c.check.predicate!) }))
      .filter((g) => g.predicate !== g.c.check.predicate);
    if (grouped.length < 2) continue;
    const order = rowOrder(grouped[0]!.c.p.target, table);
    const pk = order.join(', ');
    // The outer ORDER BY reads the subquery's columns: the order comes along as pgmend_ helpers.
    const cols = [
      ...order.map((o, i) => `${o} AS pgmend_o${i}`),
      ...grouped.map((g, i) => `(${g.predicate}) AS pgmend_s${i}, CASE WHEN (${g.predicate}) THEN row_number() OVER (PARTITION BY (${g.predicate}) IS TRUE ORDER BY ${pk}) END AS pgmend_r${i}`),
    ];
    const wanted = grouped.map((_, i) => `(pgmend_s${i} AND pgmend_r${i} <= ${n})`).join(' OR ');
    try {
      const { rows } = await querySafely(client, `${joins.with()}SELECT * FROM (SELECT ${table}.*, ${cols.join(', ')} FROM ${table}${joins.joins()}) AS pgmend_x WHERE ${wanted} ORDER BY ${order.map((_, i) => `pgmend_o${i}`).join(', ')}`);
      grouped.forEach((g, i) => out.set(g.c, rows.filter((r) => r[`pgmend_s${i}`] === true && Number(r[`pgmend_r${i}`]) <= n)));
    } catch {
      // the per-check sample queries run instead
    }
  }
  return out;
}

/**
 * The value breakdown of each check that says what it groups by (`value`), as a grouped read of the
 * scan that counts it: the table grouped by the value among the check's rows (NULL for the others),
 * the check's count per group summed per value — what `values` returns (`ORDER BY 2 DESC, 1 LIMIT 50`).
 */
function breakdownReads(byTable: Map<string, PendingCheck[]>, batches: TableBatch[]): { check: PendingCheck; read: GroupedRead }[] {
  return [...byTable.values()].flatMap((checks, b) =>
    checks.flatMap((c, k) => {
      if (!c.check.value || !c.check.values || c.check.sample) return [];
      const batch = batches[b]!;
      const read: GroupedRead = {
        target: batch.target,
        batch: b,
        predicate: k,
        keys: [`CASE WHEN (${batch.predicates[k]}) THEN (${c.check.value}) END`],
        splits: `(${c.check.value})`,
        answer: (g) =>
          `SELECT json_agg(json_build_array(value::text, rows, pg_typeof(value)::oid) ORDER BY rows DESC, value) AS breakdown FROM (SELECT pgmend_k0 AS value, sum(pgmend_m) AS rows FROM ${g} AS pgmend_g GROUP BY 1 HAVING sum(pgmend_m) > 0 ORDER BY 2 DESC, 1 LIMIT 50) AS pgmend_b`,
      };
      return [{ check: c, read }];
    }),
  );
}

/** A breakdown read's values, each parsed as the driver parses that type in a query's result. */
function breakdownOf(client: pg.Client, row: Record<string, unknown>): { value: unknown; rows: number }[] {
  const list = (row.breakdown ?? []) as [string | null, number, number][];
  const parse = client as unknown as { getTypeParser: (oid: number, format: string) => (text: string) => unknown };
  return list.map(([text, rows, oid]) => ({ value: text === null ? null : parse.getTypeParser(oid, 'text')(text), rows: Number(rows) }));
}

/** Correlated aggregate subqueries of the finding's table, answered by one grouped scan each (see decorrelate.ts). */
function aggregateJoins(p: PreparedFinding, catalog?: Catalog, prefix?: string): AggregateJoins {
  return new AggregateJoins(p.target ? { schema: p.target.schema, name: p.target.name } : { schema: '', name: '' }, catalog && uniqueKeys(catalog), prefix);
}

/** Primary keys, unique constraints and plain unique indexes (valid, no predicate, no expression). */
function uniqueKeys(catalog: Catalog): UniqueKeys {
  return ({ schema, name }) => {
    const t = findTable(catalog, schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name));
    if (!t) return undefined;
    const keys = constraintsOf(catalog, t).filter((c) => c.type === 'p' || c.type === 'u').map((c) => c.columns);
    for (const i of indexesOf(catalog, t)) {
      if (i.unique && i.valid && i.predicate === null && i.columns.every((c) => c !== null)) keys.push(i.columns as string[]);
    }
    return keys;
  };
}

export async function runPrechecks(client: pg.Client, prepared: PreparedFinding[], opts: PrecheckOptions): Promise<Map<string, PrecheckOutcome>> {
  const outcomes = new Map<string, PrecheckOutcome>();
  const pendingByFinding = new Map<string, PendingCheck[]>();
  const byTable = new Map<string, PendingCheck[]>();
  const standalone: PendingCheck[] = [];
  const none = new Map<string, Map<string, CatalogAnswer>>();
  // Should the two catalog reads fail, every check is counted as before.
  const answered = opts.catalog
    ? await withSavepoint(client, () => catalogAnswers(client, opts.catalog!, prepared)).catch(() => none)
    : none;

  for (const p of prepared) {
    const list: PendingCheck[] = [];
    for (const check of p.checks) {
      if (check.spec.extra) continue; // engine-computed (cascade), not a row count
      const pending: PendingCheck = { p, check, result: { id: check.spec.id, rows: 0, blocking: check.spec.blocking, sample: [] } };
      list.push(pending);
      const answer = answered.get(p.finding.id)?.get(check.spec.id);
      if (answer) {
        // Proved zero by a constraint or index: nothing to read (a duplicates count still says its groups).
        pending.result.answeredBy = answer;
        if (check.count && p.playbook.name === 'unique') pending.result.groups = 0;
      } else if (check.predicate && !check.count) {
        const key = p.view.targetSql;
        byTable.set(key, [...(byTable.get(key) ?? []), pending]);
      } else {
        standalone.push(pending);
      }
    }
    pendingByFinding.set(p.finding.id, list);
  }

  const failed = new Map<string, string>();
  // Counts reported per finding as soon as its last table's scan ends (the TUI shows them then).
  const uncounted = new Map<string, number>();
  for (const [id, list] of pendingByFinding) uncounted.set(id, list.filter((c) => !c.result.answeredBy).length);
  const counted = (done: PendingCheck[]) => {
    for (const c of done) {
      const id = c.p.finding.id;
      const left = (uncounted.get(id) ?? 0) - 1;
      uncounted.set(id, left);
      if (left === 0 && !failed.has(id)) opts.onCounted?.(id, pendingByFinding.get(id)!.map((x) => ({ ...x.result })));
    }
  };
  for (const [id, left] of uncounted) if (left === 0) opts.onCounted?.(id, pendingByFinding.get(id)!.map((x) => ({ ...x.result })));
  // One scan per table for all its predicate checks; tables that counters of other tables count
  // are read once for both (fused-scans.ts). If a table's batch fails (one bad expression), fall
  // back to one query per check so only the faulty finding errors.
  const batches: TableBatch[] = [...byTable].map(([table, checks], i) => {
    const p = checks[0]!.p;
    const joins = aggregateJoins(p, opts.catalog, `pgmend_t${i}_d`);
    const predicates = checks.map((c) => joins.rewrite(c.check.predicate!));
    // Checks that join grouped scans or parents pick their sample rows in the fused statement too.
    const listed = Math.max(opts.sampleSize, opts.listRowsUpTo ?? 0);
    const sampled = listed > 0 ? predicates.flatMap((x, k) => (x !== checks[k]!.check.predicate && !checks[k]!.check.sample ? [k] : [])) : [];
    return {
      table,
      target: { schema: p.target?.schema ?? '', name: p.target?.name ?? '' },
      joins,
      predicates,
      ...(sampled.length ? { samples: { predicates: sampled, orderBy: rowOrder(p.target, table).join(", "), n: listed } } : {}),
    };
  });
  const asked = opts.groupedReads ?? [];
  const breakdowns = opts.sampleSize > 0 ? breakdownReads(byTable, batches) : [];
  const fusedRead = opts.catalog ? await readFused(client, batches, opts.catalog, [...asked, ...breakdowns.map((b) => b.read)]) : undefined;
  const fused = fusedRead?.counts ?? new Map<number, number[]>();
  const broken = new Map<PendingCheck, { value: unknown; rows: number }[]>();
  for (const [i, row] of fusedRead?.reads ?? []) {
    if (i < asked.length) opts.onGroupedRead?.(i, row);
    else broken.set(breakdowns[i - asked.length]!.check, breakdownOf(client, row));
  }
  for (const [b, [table, checks]] of [...byTable].entries()) {
    const fusedCounts = fused.get(b);
    if (fusedCounts) {
      checks.forEach((c, i) => (c.result.rows = fusedCounts[i]!));
      counted(checks);
      continue;
    }
    const { joins, predicates } = batches[b]!;
    const sql = joins.with() + batchCountSelect(table, joins, predicates);
    try {
      const { rows } = await querySafely(client, sql);
      checks.forEach((c, i) => (c.result.rows = Number(rows[0][`c${i}`])));
    } catch {
      for (const c of checks) {
        try {
          const { rows } = await querySafely(client, `SELECT count(*) AS n FROM ${table} WHERE ${c.check.predicate}`);
          c.result.rows = Number(rows[0].n);
        } catch (e) {
          failed.set(c.p.finding.id, `check ${c.check.spec.id}: ${queryError(e, opts)}`);
        }
      }
    }
    counted(checks);
  }
  for (const c of standalone) {
    try {
      const { rows } = await querySafely(client, c.check.count!);
      c.result.rows = Number(rows[0].rows);
      if (rows[0].groups !== undefined) c.result.groups = Number(rows[0].groups);
    } catch (e) {
      failed.set(c.p.finding.id, `check ${c.check.spec.id}: ${queryError(e, opts)}`);
    }
    counted([c]);
  }

  const presampled = opts.sampleSize > 0 ? await groupedSamples(client, byTable, failed, opts.sampleSize, fusedRead?.samples) : new Map<PendingCheck, Row[]>();
  const fusedLists = fusedRowLists(byTable, fusedRead?.samples);
  for (const p of prepared) {
    const id = p.finding.id;
    const list = pendingByFinding.get(id) ?? [];
    if (!failed.has(id)) {
      const fill = async () => {
        for (const c of list) await fillDetails(client, c, opts.sampleSize, presampled.get(c), broken.get(c), opts.listRowsUpTo);
      };
      try {
        // A savepoint only around queries: most findings query nothing (no rows, or their samples and breakdowns came with the scan).
        if (list.some((c) => queriesDetails(c, opts.sampleSize, presampled.get(c), broken.get(c)))) await withSavepoint(client, fill);
        else await fill();
      } catch (e) {
        failed.set(id, `sample: ${queryError(e, opts)}`);
      }
    }
    const error = failed.get(id);
    const listed = (c: PendingCheck) => fusedLists.get(c) ?? (c.ids?.length === c.result.rows ? c.ids : undefined);
    const rowIds = Object.fromEntries(list.flatMap((c) => (listed(c) ? [[c.result.id, listed(c)!]] : [])));
    outcomes.set(id, error ? { ok: false, error } : { ok: true, checks: list.map((c) => c.result), ...(Object.keys(rowIds).length ? { rowIds } : {}) });
    opts.onFinding?.(id);
  }
  return outcomes;
}
