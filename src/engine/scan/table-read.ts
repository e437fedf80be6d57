import type pg from 'pg';
import type { Table } from '../../db/catalog.js';
import { tableSql } from './names.js';

/**
 * One read of a table for all its data rules. Rules register what they need:
 * - `inner(expr)`: a per-row expression over the table (alias `t`) and its joins;
 * - `countIf(pred)`: how many rows satisfy a per-row predicate (an inner() alias);
 * - `key(expr)`: a grouping key over inner() aliases — its distinct values and their counts (NULL groups excluded);
 *   `all` returns every group (up to that many: the counts a parent's counters compare with),
 *   `range` adds the least and greatest value;
 * - `param(value)`: a bound parameter (`$n`), e.g. counts another table's read returned.
 * All of it becomes one statement: one GROUPING SETS over one scan of the table whose only
 * aggregate is count(*) — the predicates are packed eight to a small integer key, so no group
 * carries per-predicate state and every set can be hashed on a narrow row — bounded in what it
 * returns by window functions over the groups (per key: group count, duplicate groups and rows,
 * and only the largest groups).
 */
export interface KeyStats {
  /** Distinct non-null values. */
  groups: number;
  /** Values held by more than one row, and the rows holding them. */
  dupGroups: number;
  dupRows: number;
  nonNullRows: number;
  /** The largest groups, largest first: value as text, rows (all of them for an `all` key, if `complete`). */
  top: { value: string; rows: number }[];
  /** An `all` key: every group is in `top`. */
  complete: boolean;
  /** A `range` key: least and greatest value, as text. */
  lo?: string;
  hi?: string;
}

export interface ReadResult {
  /** Rows read (the sample's size when sampled). */
  rows: number;
  sampled: boolean;
  /** The table's row estimate (exact row count when not sampled). */
  tableRows: number;
  counts: Map<string, number>;
  keys: Map<string, KeyStats>;
}

interface KeySpec {
  expr: string;
  all: number;
  range: boolean;
}

/** Predicates per packed key: a key of at most 256 groups. */
const BITS = 8;

export class TableRead {
  private inners: string[] = [];
  private preds: string[] = [];
  private keys: KeySpec[] = [];
  private ctes: string[] = [];
  private joins: string[] = [];
  private params: unknown[] = [];

  constructor(readonly table: Table) {}

  inner(expr: string): string {
    let i = this.inners.indexOf(expr);
    if (i < 0) i = this.inners.push(expr) - 1;
    return `p${i}`;
  }

  /** Rows where `pred` (an inner() alias, or an expression over them) is true. */
  countIf(pred: string): string {
    let i = this.preds.indexOf(pred);
    if (i < 0) i = this.preds.push(pred) - 1;
    return `c${i}`;
  }

  /** A grouping key (its own grouping set). */
  key(expr: string, opts: { all?: number; range?: boolean } = {}): string {
    let i = this.keys.findIndex((k) => k.expr === expr);
    if (i < 0) i = this.keys.push({ expr, all: 0, range: false }) - 1;
    const k = this.keys[i]!;
    k.all = Math.max(k.all, opts.all ?? 0);
    k.range ||= opts.range ?? false;
    return `k${i}`;
  }

  /** A CTE (`name AS (…)`) and a join using it; returns the alias to use in expressions. */
  /** Whether a join of that alias is there already (a second probe reuses it). */
  joined(alias: string): boolean {
    return this.joins.some((j) => j.startsWith(`LEFT JOIN ${alias} ON `));
  }

  join(cte: string, alias: string, on: string): string {
    const text = `LEFT JOIN ${alias} ON ${on}`;
    if (!this.ctes.includes(cte)) this.ctes.push(cte);
    if (!this.joins.includes(text)) this.joins.push(text);
    return alias;
  }

  param(value: unknown): string {
    return `$${this.params.push(value)}`;
  }

  get empty(): boolean {
    return this.preds.length === 0 && this.keys.length === 0;
  }

  /** Keys as grouped: the rules' keys, then one packed key per eight predicates. */
  private groupedKeys(): KeySpec[] {
    const packed: KeySpec[] = [];
    for (let c = 0; c * BITS < this.preds.length; c++) {
      const bits = this.preds.slice(c * BITS, (c + 1) * BITS).map((p, b) => `CASE WHEN ${p} THEN ${1 << b} ELSE 0 END`);
      packed.push({ expr: bits.join(' + '), all: 1 << BITS, range: false });
    }
    return [...this.keys, ...packed];
  }

  statement(samplePercent: number | null, topN: number): string {
    const keys = this.groupedKeys();
    // SYSTEM samples whole pages (the cost saving on a large table); on a table of a few pages it
    // may pick none, so tables under a million rows (sampled only with a low --sample-above-rows) get BERNOULLI.
    const method = (this.table.estimatedRows ?? 0) >= 1_000_000 ? 'SYSTEM' : 'BERNOULLI';
    const from = `${tableSql(this.table)} AS t${samplePercent === null ? '' : ` TABLESAMPLE ${method} (${samplePercent}) REPEATABLE (0)`}`;
    // Keys are over inner() aliases: each per-row expression is computed once a row, below them.
    const rowExprs = this.inners.map((e, i) => `(${e}) AS p${i}`);
    const scan =
      `SELECT ${keys.map((k, i) => `(${k.expr}) AS k${i}`).join(', ') || '1 AS pgmend_one'}` +
      `\n  FROM (SELECT ${rowExprs.join(', ') || '1 AS pgmend_one'} FROM ${from}${this.joins.map((j) => `\n    ${j}`).join('')} OFFSET 0) AS r`;
    const sets = ['()', ...keys.map((_, i) => `(k${i})`)].join(', ');
    const grouped =
      // g: which set a row belongs to — the one key it is grouped by, -1 for the total.
      `SELECT ${keys.length === 0 ? '-1' : `CASE ${keys.map((_, i) => `WHEN GROUPING(k${i}) = 0 THEN ${i} `).join('')}ELSE -1 END`} AS g, ` +
      [...keys.map((_, i) => `k${i}`), 'count(*) AS n'].join(', ') +
      `\n  FROM (${scan} OFFSET 0) AS s` +
      `\n  GROUP BY GROUPING SETS (${sets})`;
    // nn: the row is a group of one key (not the total) and that key is not NULL.
    const nn = keys.length === 0 ? 'false' : `CASE g ${keys.map((_, i) => `WHEN ${i} THEN k${i} IS NOT NULL`).join(' ')} ELSE false END`;
    const ranges = keys.flatMap((k, i) => (k.range ? [`min(k${i}) OVER w AS lo${i}`, `max(k${i}) OVER w AS hi${i}`] : []));
    const limit = keys.some((k) => k.all > 0) ? `CASE g ${keys.flatMap((k, i) => (k.all > 0 ? [`WHEN ${i} THEN ${Math.max(k.all + 1, topN)}`] : [])).join(' ')} ELSE ${topN} END` : String(topN);
    const value = keys.length === 0 ? 'NULL::text' : `CASE g ${keys.map((_, i) => `WHEN ${i} THEN k${i}::text`).join(' ')} END`;
    return (
      `WITH ${[...this.ctes, `pgmend_groups AS (${grouped})`].join(',\n')}\n` +
      `SELECT g, ${value} AS v, n, groups, dup_groups, dup_rows, nonnull_rows, rank, nn${keys.flatMap((k, i) => (k.range ? [`, lo${i}::text AS lo${i}, hi${i}::text AS hi${i}`] : [])).join('')} FROM (\n` +
      `  SELECT *,\n` +
      `    count(*) FILTER (WHERE nn) OVER w AS groups, count(*) FILTER (WHERE nn AND n > 1) OVER w AS dup_groups,\n` +
      `    sum(n) FILTER (WHERE nn AND n > 1) OVER w AS dup_rows, sum(n) FILTER (WHERE nn) OVER w AS nonnull_rows,\n` +
      `    ${ranges.length ? `${ranges.join(', ')},\n    ` : ''}row_number() OVER (PARTITION BY g, nn ORDER BY n DESC) AS rank\n` +
      `  FROM (SELECT *, ${nn} AS nn FROM pgmend_groups) AS x WINDOW w AS (PARTITION BY g, nn)) AS y\n` +
      `WHERE g = -1 OR (nn AND rank <= ${limit})`
    );
  }

  async run(client: pg.Client, samplePercent: number | null, topN: number): Promise<ReadResult> {
    const keys = this.groupedKeys();
    const { rows } = await client.query<Record<string, unknown>>(this.statement(samplePercent, topN), this.params);
    const total = rows.find((r) => Number(r.g) === -1);
    const stats = new Map<string, KeyStats>();
    keys.forEach((k, i) => {
      const mine = rows.filter((r) => Number(r.g) === i && r.nn === true).sort((a, b) => Number(a.rank) - Number(b.rank));
      const first = mine[0];
      const groups = Number(first?.groups ?? 0);
      const top = mine.map((r) => ({ value: String(r.v), rows: Number(r.n) }));
      stats.set(`k${i}`, {
        groups,
        dupGroups: Number(first?.dup_groups ?? 0),
        dupRows: Number(first?.dup_rows ?? 0),
        nonNullRows: Number(first?.nonnull_rows ?? 0),
        top: k.all > 0 ? top.slice(0, k.all) : top,
        complete: k.all > 0 && groups <= k.all,
        ...(k.range && first ? { lo: String(first[`lo${i}`]), hi: String(first[`hi${i}`]) } : {}),
      });
    });
    const counts = new Map<string, number>();
    this.preds.forEach((_, j) => {
      const packed = stats.get(`k${this.keys.length + Math.floor(j / BITS)}`)!;
      const bit = 1 << j % BITS;
      counts.set(`c${j}`, packed.top.reduce((sum, g) => sum + ((Number(g.value) & bit) !== 0 ? g.rows : 0), 0));
    });
    const read = Number(total?.n ?? 0);
    return { rows: read, sampled: samplePercent !== null, tableRows: samplePercent === null ? read : Math.max(read, Math.round(this.table.estimatedRows ?? read)), counts, keys: stats };
  }
}
