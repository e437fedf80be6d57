import pg from 'pg';
import { loadExample } from '../src/demo/examples.js';

/**
 * The ActorHub demo database at scale. `licenses` and `usage_logs` grow by copying the demo's own
 * rows cyclically: new row g is demo row ((g - 1) mod N) + 1 with a fresh id (and Stripe id). So
 * every injected defect is copied at the rate the demo has it (3 negative prices in 1,200 licenses
 * stay 3 in every 1,200), nothing is random, and two runs build the same database. Denormalized
 * counters are recomputed after each growth and keep exactly the demo's injected drift.
 */

/** Demo rows (the template) and the id kind of each grown table, as in examples/actorhub/data.sql. */
const GROWN = {
  licenses: { template: 1200, kind: 4, unique: 'stripe_payment_intent_id', uniqueValue: (g: string) => `'pi_' || lpad(${g}::text, 10, '0')` },
  usage_logs: { template: 4000, kind: 12, unique: null, uniqueValue: null },
} as const;
export type GrownTable = keyof typeof GROWN;

const idExpr = (kind: number, n: string) => `('${String(kind).padStart(8, '0')}-0000-4000-8000-' || lpad((${n})::text, 12, '0'))::uuid`;

export async function createActorhub(adminUrl: string, database: string): Promise<string> {
  const url = await loadExample(adminUrl, database, 'actorhub');
  return url;
}

async function columnsOf(c: pg.Client, table: string): Promise<string[]> {
  const { rows } = await c.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => `"${r.attname}"`);
}

/**
 * Drift = stored counter − true value, per row (NULL stays NULL). Computed with GROUP BY joins
 * (one pass over each big table), not the findings' correlated subqueries.
 */
const TRUE_COUNTERS = `
CREATE TEMP TABLE bench_truth ON COMMIT DROP AS
SELECT 'identities'::text AS tab, i.id,
       coalesce(v.n, 0) AS total_verifications, coalesce(l.n, 0) AS total_licenses, coalesce(l.rev, 0) AS total_revenue,
       NULL::bigint AS total_downloads, NULL::bigint AS total_uses, NULL::numeric AS total_revenue_usd, NULL::bigint AS license_count
FROM identities i
LEFT JOIN (SELECT identity_id, count(*) AS n FROM usage_logs WHERE action = 'verify' AND matched = true GROUP BY 1) v ON v.identity_id = i.id
LEFT JOIN (SELECT identity_id, count(*) AS n, sum(creator_payout_usd) FILTER (WHERE payment_status = 'COMPLETED') AS rev FROM licenses GROUP BY 1) l ON l.identity_id = i.id
UNION ALL
SELECT 'actor_packs', a.id, NULL, NULL, NULL, coalesce(u.downloads, 0), coalesce(u.uses, 0), coalesce(u.rev, 0), NULL
FROM actor_packs a
LEFT JOIN (SELECT actor_pack_id, count(*) FILTER (WHERE action = 'download') AS downloads, count(*) FILTER (WHERE action = 'generate') AS uses,
                  sum(amount_charged_usd) AS rev FROM usage_logs GROUP BY 1) u ON u.actor_pack_id = a.id
UNION ALL
SELECT 'listings', s.id, NULL, NULL, NULL, NULL, NULL, NULL, coalesce(l.n, 0)
FROM listings s LEFT JOIN (SELECT identity_id, count(*) AS n FROM licenses GROUP BY 1) l ON l.identity_id = s.identity_id`;

const DRIFT = `
CREATE TEMP TABLE bench_drift AS
SELECT t.tab, t.id,
       i.total_verifications - t.total_verifications AS total_verifications, i.total_licenses - t.total_licenses AS total_licenses,
       i.total_revenue - t.total_revenue AS total_revenue,
       a.total_downloads - t.total_downloads AS total_downloads, a.total_uses - t.total_uses AS total_uses,
       a.total_revenue_usd - t.total_revenue_usd AS total_revenue_usd, s.license_count - t.license_count AS license_count
FROM bench_truth t
LEFT JOIN identities i ON t.tab = 'identities' AND i.id = t.id
LEFT JOIN actor_packs a ON t.tab = 'actor_packs' AND a.id = t.id
LEFT JOIN listings s ON t.tab = 'listings' AND s.id = t.id`;

const RESTORE = `
UPDATE identities i SET total_verifications = t.total_verifications + d.total_verifications, total_licenses = t.total_licenses + d.total_licenses,
       total_revenue = t.total_revenue + d.total_revenue
FROM bench_truth t JOIN bench_drift d USING (tab, id) WHERE t.tab = 'identities' AND t.id = i.id;
UPDATE actor_packs a SET total_downloads = t.total_downloads + d.total_downloads, total_uses = t.total_uses + d.total_uses,
       total_revenue_usd = t.total_revenue_usd + d.total_revenue_usd
FROM bench_truth t JOIN bench_drift d USING (tab, id) WHERE t.tab = 'actor_packs' AND t.id = a.id;
UPDATE listings s SET license_count = t.license_count + d.license_count
FROM bench_truth t JOIN bench_drift d USING (tab, id) WHERE t.tab = 'listings' AND t.id = s.id;
DROP TABLE bench_drift;`;

export async function rowCount(c: pg.Client, table: GrownTable): Promise<number> {
  const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

/**
 * Grows `licenses` and `usage_logs` to `rows` each (never shrinks), both at once on two
 * connections (two cores), then VACUUM ANALYZE each, so later measurements neither set hint bits
 * nor plan on stale statistics, and CHECKPOINT: a server in steady state has checkpointed since its
 * last bulk load, so its next WAL segments are recycled files. Right after a load they are not, and
 * a commit that crosses into a new segment would first create and zero-fill it (IO:WalInitWrite),
 * a stall the measured operation did not cause.
 */
export async function growTo(url: string, rows: number, log: (m: string) => void): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(TRUE_COUNTERS);
    await c.query(DRIFT);
    await c.query('COMMIT');
    await Promise.all((Object.keys(GROWN) as GrownTable[]).map((t) => growTable(url, t, rows, log)));
    const t0 = performance.now();
    await c.query('BEGIN');
    await c.query(TRUE_COUNTERS);
    await c.query(RESTORE);
    await c.query('COMMIT');
    await Promise.all(['licenses', 'usage_logs', 'identities', 'actor_packs', 'listings'].map((t) => vacuum(url, t)));
    await c.query('CHECKPOINT');
    log(`counters restored, VACUUM ANALYZE and CHECKPOINT in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await c.end();
  }
}

async function vacuum(url: string, table: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`VACUUM (ANALYZE) ${table}`);
  } finally {
    await c.end();
  }
}

async function growTable(url: string, table: GrownTable, rows: number, log: (m: string) => void): Promise<void> {
  const spec = GROWN[table];
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const have = await rowCount(c, table);
    if (have >= rows) return;
    const t0 = performance.now();
    // The copies are of rows whose keys are valid: skip the per-row FK triggers while loading.
    await c.query(`SET session_replication_role = replica`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    const cols = await columnsOf(c, table);
    const copied = cols.filter((col) => col !== '"id"' && col !== `"${spec.unique}"`);
    await c.query('BEGIN');
    await c.query(
      `CREATE TEMP TABLE bench_tpl ON COMMIT DROP AS SELECT right(id::text, 12)::int AS bench_n, * FROM ${table}
       WHERE id BETWEEN ${idExpr(spec.kind, '1')} AND ${idExpr(spec.kind, String(spec.template))} ORDER BY 1`,
    );
    // Secondary indexes are rebuilt after the load: faster than maintaining them row by row.
    const { rows: idx } = await c.query<{ name: string; def: string }>(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = $1::regclass AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
      [table],
    );
    for (const i of idx) await c.query(`DROP INDEX "${i.name}"`);
    const uniqueCol = spec.unique ? `, "${spec.unique}"` : '';
    const uniqueVal = spec.uniqueValue ? `, ${spec.uniqueValue('t.g')}` : '';
    await c.query(
      `INSERT INTO ${table} (id${uniqueCol}, ${copied.join(', ')})
       SELECT ${idExpr(spec.kind, 't.g')}${uniqueVal}, ${copied.map((col) => `t.${col}`).join(', ')}
       FROM generate_series(${Math.floor(have / spec.template)}, ${Math.ceil(rows / spec.template) - 1}) AS k
       CROSS JOIN LATERAL (SELECT k * ${spec.template} + bench_n AS g, * FROM bench_tpl) AS t
       WHERE t.g BETWEEN ${have + 1} AND ${rows}`,
    );
    for (const i of idx) await c.query(i.def);
    await c.query('COMMIT');
    log(`${table}: ${have.toLocaleString('en-US')} → ${rows.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await c.end();
  }
}
