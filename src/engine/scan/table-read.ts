import type pg from 'pg';
import type { Table } from '../../db/catalog.js';
import { tableSql } from './names.js';

/**
 * One read of a table for all its data rules. Rules register what they need:
 * - `inner(expr)`: a per-row expression over the table (alias `t`) and its joins;
 * - `countIf(pred)`: how many rows satisfy a per-row predicate (an inner() alias);
 * - `countWhere(alias, pred)`: the same for a predicate of one inner() alias's value alone — a
 *   combined read that groups by that alias anyway tests it once per combination, not per row;
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

/** How a read groups its rows first (TableRead.statement). */
export type Combine = 'none' | 'columns';

/** Predicates per packed key: a key of at most 256 groups. */
const BITS = 8;

export class TableRead {
  private inners: string[] = [];
  private preds: string[] = [];
  /** Per predicate (by index) registered with countWhere: the alias and the predicate of its value. */
  private valuePreds = new Map<number, { alias: string; pred: (v: string) => string }>();
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

  /**
   * Rows where `pred(alias)` is true, `pred` depending only on the alias's value (IS NULL, its
   * presence among a parent's keys) as the grouping sees it (equal values, one group). Per row
   * like countIf, except in a combined read that groups by that alias as a key: there it is
   * tested once per combination of the keys, on the grouped value (usage_logs at 5M rows, an
   * orphan probe of a column its parents' counters group by: 1.76 → 1.47 s of CPU).
   */
  countWhere(alias: string, pred: (v: string) => string): string {
    // Qualified (r: the rows, s: the combinations): a subquery in `pred` may read a table with a column of that name.
    const c = this.countIf(pred(`r.${alias}`));
    const j = Number(c.slice(1));
    if (!this.valuePreds.has(j)) this.valuePreds.set(j, { alias, pred });
    return c;
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

  /** The same value (by identity: a parent's keys two probes bind) is bound once. */
  param(value: unknown): string {
    const i = this.params.indexOf(value);
    return `$${i >= 0 ? i + 1 : this.params.push(value)}`;
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

  /**
   * `combine`: group the rows by all keys at once first (see below) — for a read whose keys are
   * all few-valued (the exact recount of what a sample proposed); a near-unique key makes every
   * row its own combination, and then grouping the rows directly by each key costs less.
   */
  statement(samplePercent: number | null, topN: number, combine: Combine): string {
    const combining = combine === 'columns';
    // Combined, the predicates are counted per combination (FILTER), not grouped: a column in the
    // grouping list, even under IS NULL, makes the planner expect as many combinations as that
    // column has values, and a near-unique one would rule out the parallel plan.
    const keys = combining ? this.keys : this.groupedKeys();
    const preds = combining ? this.preds.map((_, j) => `c${j}`) : [];
    // Combined: a countWhere predicate whose alias is a key is tested on the combinations (byKey), the others per row (q).
    const byKey = new Map<number, string>();
    if (combining) {
      for (const [j, { alias, pred }] of this.valuePreds) {
        const i = keys.findIndex((k) => k.expr === alias);
        if (i >= 0) byKey.set(j, pred(`s.k${i}`));
      }
    }
    const perRow = this.preds.flatMap((p, j) => (combining && !byKey.has(j) ? [[p, j] as const] : []));
    // SYSTEM samples whole pages (the cost saving on a large table); on a table of a few pages it
    // may pick none, so tables under 100,000 rows (sampled only with a low --sample-above-rows) get BERNOULLI.
    const method = (this.table.estimatedRows ?? 0) >= 100_000 ? 'SYSTEM' : 'BERNOULLI';
    const from = `${tableSql(this.table)} AS t${samplePercent === null ? '' : ` TABLESAMPLE ${method} (${samplePercent}) REPEATABLE (0)`}`;
    // Keys are over inner() aliases. No OFFSET 0 fence below them: it would keep the read out of
    // a parallel plan; an expression two keys share is cheap (a column, a hashed parent lookup).
    const rowExprs = this.inners.map((e, i) => `(${e}) AS p${i}`);
    const scan =
      `SELECT ${[...keys.map((k, i) => `(${k.expr}) AS k${i}`), ...perRow.map(([p, j]) => `(${p}) AS q${j}`)].join(', ') || '1 AS pgmend_one'}` +
      `\n  FROM (SELECT ${rowExprs.join(', ') || '1 AS pgmend_one'} FROM ${from}${this.joins.map((j) => `\n    ${j}`).join('')}) AS r`;
    const sets = ['()', ...keys.map((_, i) => `(k${i})`)].join(', ');
    const names = keys.map((_, i) => `k${i}`);
    // Two steps: the rows are first grouped by all keys at once — one hash lookup a row, in a plan
    // PostgreSQL can run in parallel (it cannot for GROUPING SETS) — and the grouping sets then add
    // up those combinations' counts, far fewer than the rows whenever the keys are few-valued.
    const filters = preds.map((c, j) => (byKey.has(j) ? `CASE WHEN ${byKey.get(j)} THEN count(*) ELSE 0 END AS ${c}` : `count(*) FILTER (WHERE q${j}) AS ${c}`));
    const combined = !combining
      ? `SELECT *, 1 AS n FROM (${scan}) AS s`
      : `SELECT ${[...names, 'count(*) AS n', ...filters].join(', ')} FROM (${scan}) AS s${keys.length ? ` GROUP BY ${names.join(', ')}` : ''}`;
    const grouped =
      // g: which set a row belongs to — the one key it is grouped by, -1 for the total.
      `SELECT ${keys.length === 0 ? '-1' : `CASE ${keys.map((_, i) => `WHEN GROUPING(k${i}) = 0 THEN ${i} `).join('')}ELSE -1 END`} AS g, ` +
      [...names, combining ? 'sum(n)::bigint AS n' : 'count(*) AS n', ...preds.map((c) => `sum(${c})::bigint AS ${c}`)].join(', ') +
      `\n  FROM (${combined}) AS s` +
      `\n  GROUP BY GROUPING SETS (${sets})`;
    // nn: the row is a group of one key (not the total) and that key is not NULL.
    const nn = keys.length === 0 ? 'false' : `CASE g ${keys.map((_, i) => `WHEN ${i} THEN k${i} IS NOT NULL`).join(' ')} ELSE false END`;
    const ranges = keys.flatMap((k, i) => (k.range ? [`min(k${i})::text AS lo${i}`, `max(k${i})::text AS hi${i}`] : []));
    const nulls = [...keys.flatMap((k, i) => (k.range ? [`NULL::text AS lo${i}`, `NULL::text AS hi${i}`] : [])), ...preds.map((c) => `NULL::bigint AS ${c}`)];
    const limit = keys.some((k) => k.all > 0) ? `CASE g ${keys.flatMap((k, i) => (k.all > 0 ? [`WHEN ${i} THEN ${Math.max(k.all + 1, topN)}`] : [])).join(' ')} ELSE ${topN} END` : String(topN);
    const value = keys.length === 0 ? 'NULL::text' : `CASE g ${keys.map((_, i) => `WHEN ${i} THEN k${i}::text`).join(' ')} END`;
    const cols = (...c: string[]) => [...c, ...nulls].join(', ');
    // Per key, one row of figures (rank 0: groups, duplicates, non-null rows, range), then its
    // groups ranked by size (rank 1…): every group of a key with few of them, else only its
    // duplicate groups — the groups of a near-unique key are never sorted, only counted.
    return (
      `WITH ${[...this.ctes, `pgmend_groups AS (SELECT *, ${nn} AS nn FROM (${grouped}) AS x)`].join(',\n')},\n` +
      `pgmend_stats AS (SELECT g, count(*) AS groups, count(*) FILTER (WHERE n > 1) AS dup_groups, sum(n) FILTER (WHERE n > 1) AS dup_rows, sum(n) AS nonnull_rows` +
      `${ranges.length ? `, ${ranges.join(', ')}` : ''} FROM pgmend_groups WHERE nn GROUP BY g)\n` +
      `SELECT ${['-1 AS g', 'NULL::text AS v', 'n', 'NULL::bigint AS groups', 'NULL::bigint AS dup_groups', 'NULL::numeric AS dup_rows', 'NULL::numeric AS nonnull_rows', '0::bigint AS rank', ...nulls.slice(0, nulls.length - preds.length), ...preds].join(', ')} FROM pgmend_groups WHERE g = -1\n` +
      `UNION ALL SELECT g, NULL, NULL, groups, dup_groups, dup_rows, nonnull_rows, 0${keys.flatMap((k, i) => (k.range ? [`, lo${i}, hi${i}`] : [])).join('')}${preds.map(() => ', NULL').join('')} FROM pgmend_stats\n` +
      `UNION ALL SELECT ${cols('g', 'v', 'n', 'NULL', 'NULL', 'NULL', 'NULL', 'rank')} FROM (\n` +
      `  SELECT g, v, n, row_number() OVER (PARTITION BY g ORDER BY n DESC, v) AS rank FROM (\n` +
      `    SELECT x.g, ${value.replace(/\bk(\d+)\b/g, 'x.k$1').replace(/\bg\b/, 'x.g')} AS v, x.n, s.groups FROM pgmend_groups AS x JOIN pgmend_stats AS s ON s.g = x.g\n` +
      `    WHERE x.nn AND (x.n > 1 OR s.groups <= ${limit.replace(/\bg\b/, 'x.g')})) AS r) AS y\n` +
      `WHERE rank <= ${limit}`
    );
  }

  async run(client: pg.Client, samplePercent: number | null, topN: number, combine: Combine = 'none'): Promise<ReadResult> {
    const combining = combine === 'columns';
    const keys = combining ? this.keys : this.groupedKeys();
    // The planner costs a Gather as if the combinations were many; they are few (data.ts combines
    // only then): without these it never moves the grouping into parallel workers. This statement only.
    if (combining) await client.query(`SELECT set_config('parallel_tuple_cost', '0', true), set_config('parallel_setup_cost', '0', true)`);
    const { rows } = await client.query<Record<string, unknown>>(this.statement(samplePercent, topN, combine), this.params);
    if (combining) await client.query('SET LOCAL parallel_tuple_cost TO DEFAULT; SET LOCAL parallel_setup_cost TO DEFAULT');
    const total = rows.find((r) => Number(r.g) === -1);
    const stats = new Map<string, KeyStats>();
    keys.forEach((k, i) => {
      const figures = rows.find((r) => Number(r.g) === i && Number(r.rank) === 0);
      const mine = rows.filter((r) => Number(r.g) === i && Number(r.rank) > 0).sort((a, b) => Number(a.rank) - Number(b.rank));
      const groups = Number(figures?.groups ?? 0);
      const top = mine.map((r) => ({ value: String(r.v), rows: Number(r.n) }));
      stats.set(`k${i}`, {
        groups,
        dupGroups: Number(figures?.dup_groups ?? 0),
        dupRows: Number(figures?.dup_rows ?? 0),
        nonNullRows: Number(figures?.nonnull_rows ?? 0),
        top: k.all > 0 ? top.slice(0, k.all) : top,
        complete: k.all > 0 && groups <= k.all,
        ...(k.range && figures ? { lo: String(figures[`lo${i}`]), hi: String(figures[`hi${i}`]) } : {}),
      });
    });
    const counts = new Map<string, number>();
    this.preds.forEach((_, j) => {
      if (combining) return counts.set(`c${j}`, Number(total?.[`c${j}`] ?? 0));
      const packed = stats.get(`k${this.keys.length + Math.floor(j / BITS)}`)!;
      const bit = 1 << j % BITS;
      counts.set(`c${j}`, packed.top.reduce((sum, g) => sum + ((Number(g.value) & bit) !== 0 ? g.rows : 0), 0));
    });
    const read = Number(total?.n ?? 0);
    return { rows: read, sampled: samplePercent !== null, tableRows: samplePercent === null ? read : Math.max(read, Math.round(this.table.estimatedRows ?? read)), counts, keys: stats };
  }
}
