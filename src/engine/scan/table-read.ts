import type pg from 'pg';
import type { Table } from '../../db/catalog.js';
import { tableSql } from './names.js';

/**
 * One read of a table for all its data rules. Rules register what they need:
 * - `inner(expr)`: a per-row expression over the table (alias `t`) and its joins;
 * - `agg(expr)`: an aggregate over those (`count(*) FILTER (WHERE p0)`, `min(p1)`…);
 * - `key(expr)`: a grouping key — its distinct values and their counts (NULL groups excluded).
 * All of it becomes one statement: one GROUPING SETS aggregate over one scan of the table (the
 * grand-total set carries the aggregates), bounded in what it returns by window functions over
 * the groups (per key: group count, duplicate groups and rows, and only the largest groups).
 */
export interface KeyStats {
  /** Distinct non-null values. */
  groups: number;
  /** Values held by more than one row, and the rows holding them. */
  dupGroups: number;
  dupRows: number;
  nonNullRows: number;
  /** The largest groups, largest first: value as text, rows. */
  top: { value: string; rows: number }[];
}

export interface ReadResult {
  /** Rows read (the sample's size when sampled). */
  rows: number;
  sampled: boolean;
  /** The table's row estimate (exact row count when not sampled). */
  tableRows: number;
  aggs: Map<string, unknown>;
  keys: Map<string, KeyStats>;
}

export class TableRead {
  private inners: string[] = [];
  private aggs: string[] = [];
  private keys: string[] = [];
  private ctes: string[] = [];
  private joins: string[] = [];

  constructor(readonly table: Table) {}

  inner(expr: string): string {
    let i = this.inners.indexOf(expr);
    if (i < 0) i = this.inners.push(expr) - 1;
    return `p${i}`;
  }

  /** An aggregate over inner() aliases (p0, p1…) only: the table itself is not in scope there. */
  agg(expr: string): string {
    let i = this.aggs.indexOf(expr);
    if (i < 0) i = this.aggs.push(expr) - 1;
    return `a${i}`;
  }

  /** A grouping key (its own grouping set). */
  key(expr: string): string {
    let i = this.keys.indexOf(expr);
    if (i < 0) i = this.keys.push(expr) - 1;
    return `k${i}`;
  }

  /** A CTE (`name AS (…)`) and a join using it; returns the alias to use in expressions. */
  join(cte: string, alias: string, on: string): string {
    const text = `LEFT JOIN ${alias} ON ${on}`;
    if (!this.ctes.includes(cte)) this.ctes.push(cte);
    if (!this.joins.includes(text)) this.joins.push(text);
    return alias;
  }

  get empty(): boolean {
    return this.aggs.length === 0 && this.keys.length === 0;
  }

  statement(samplePercent: number | null, topN: number): string {
    const inner = [...this.inners.map((e, i) => `(${e}) AS p${i}`), ...this.keys.map((e, i) => `(${e}) AS k${i}`)];
    // SYSTEM samples whole pages (the cost saving on a large table); on a table of a few pages it
    // may pick none, so tables under a million rows (sampled only with a low --sample-above-rows) get BERNOULLI.
    const method = (this.table.estimatedRows ?? 0) >= 1_000_000 ? 'SYSTEM' : 'BERNOULLI';
    const from = `${tableSql(this.table)} AS t${samplePercent === null ? '' : ` TABLESAMPLE ${method} (${samplePercent}) REPEATABLE (0)`}`;
    const sets = ['()', ...this.keys.map((_, i) => `(k${i})`)].join(', ');
    const grouped =
      // g: which set a row belongs to — the one key it is grouped by, -1 for the total.
      `SELECT ${this.keys.length === 0 ? '-1' : `CASE ${this.keys.map((_, i) => `WHEN GROUPING(k${i}) = 0 THEN ${i} `).join('')}ELSE -1 END`} AS g, ` +
      [...this.keys.map((_, i) => `k${i}`), 'count(*) AS n', ...this.aggs.map((a, i) => `${a} AS a${i}`)].join(', ') +
      `\n  FROM (SELECT ${inner.length ? inner.join(', ') : '1 AS pgmend_one'} FROM ${from}${this.joins.map((j) => `\n    ${j}`).join('')} OFFSET 0) AS r` +
      `\n  GROUP BY GROUPING SETS (${sets})`;
    // nn: the row is a group of one key (not the total) and that key is not NULL.
    const nn = this.keys.length === 0 ? 'false' : `CASE g ${this.keys.map((_, i) => `WHEN ${i} THEN k${i} IS NOT NULL`).join(' ')} ELSE false END`;
    return (
      `WITH ${[...this.ctes, `pgmend_groups AS (${grouped})`].join(',\n')}\n` +
      `SELECT * FROM (\n  SELECT g, ${[...this.keys.map((_, i) => `k${i}::text AS k${i}`), 'n', ...this.aggs.map((_, i) => `a${i}`)].join(', ')},\n` +
      `    count(*) FILTER (WHERE nn) OVER w AS groups, count(*) FILTER (WHERE nn AND n > 1) OVER w AS dup_groups,\n` +
      `    sum(n) FILTER (WHERE nn AND n > 1) OVER w AS dup_rows, sum(n) FILTER (WHERE nn) OVER w AS nonnull_rows,\n` +
      `    row_number() OVER (PARTITION BY g, nn ORDER BY n DESC) AS rank, nn\n` +
      `  FROM (SELECT *, ${nn} AS nn FROM pgmend_groups) AS x WINDOW w AS (PARTITION BY g)) AS y\n` +
      `WHERE g = -1 OR (nn AND rank <= ${topN})`
    );
  }

  async run(client: pg.Client, samplePercent: number | null, topN: number): Promise<ReadResult> {
    const { rows } = await client.query<Record<string, unknown>>(this.statement(samplePercent, topN));
    const total = rows.find((r) => Number(r.g) === -1);
    const aggs = new Map<string, unknown>(this.aggs.map((_, i) => [`a${i}`, total?.[`a${i}`] ?? null]));
    const keys = new Map<string, KeyStats>();
    this.keys.forEach((_, i) => {
      const mine = rows.filter((r) => Number(r.g) === i && r.nn === true);
      const first = mine[0];
      keys.set(`k${i}`, {
        groups: Number(first?.groups ?? 0),
        dupGroups: Number(first?.dup_groups ?? 0),
        dupRows: Number(first?.dup_rows ?? 0),
        nonNullRows: Number(first?.nonnull_rows ?? 0),
        top: mine.sort((a, b) => Number(a.rank) - Number(b.rank)).map((r) => ({ value: String(r[`k${i}`]), rows: Number(r.n) })),
      });
    });
    const read = Number(total?.n ?? 0);
    return { rows: read, sampled: samplePercent !== null, tableRows: samplePercent === null ? read : Math.max(read, Math.round(this.table.estimatedRows ?? read)), aggs, keys };
  }
}
