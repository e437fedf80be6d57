import pg from 'pg';
import { buildPlan, PLAN_DEFAULTS, type PlanEvent } from '../src/engine/plan/plan.js';
import { resolveTarget } from '../src/db/connection.js';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import type { RunningServer } from '../src/demo/embedded.js';
import { createDatabase } from './server.js';
import { median, round } from './stats.js';

/**
 * Figure 3: plan start-up on a generated schema of 2,000 tables / 20,000 columns / 4,000 FKs, and
 * the same findings on a tenth of it, to show the round trips do not grow with the schema.
 * Start-up = from buildPlan() to its first precheck (connect, catalog, prepare). Round trips are
 * counted by wrapping pg.Client#query in this process.
 */

const COLUMNS_PER_TABLE = 10;
const FKS_PER_TABLE = 2;

/** A deterministic pseudo-random earlier table (the first table refers to itself). */
export function parentOf(i: number, salt: number): number {
  if (i === 1) return 1;
  const h = Math.imul(i ^ (salt * 0x9e3779b1), 0x85ebca6b) >>> 0;
  return 1 + (h % (i - 1));
}

/** Table i has id, two FKs to earlier tables (a random recursive tree: a few children each) and 7 plain columns. */
export function generatedSchemaSql(tables: number): string {
  const out: string[] = [];
  for (let i = 1; i <= tables; i++) {
    const p1 = parentOf(i, 1);
    const p2 = parentOf(i, 2);
    out.push(
      `CREATE TABLE s_${i} (id bigint PRIMARY KEY, a_ref bigint REFERENCES s_${p1} (id), b_ref bigint REFERENCES s_${p2} (id), ` +
        `qty int, name text, price numeric(10,2), created_at timestamp, active boolean, status text, score int);`,
    );
  }
  // A few rows where the findings look, with one defect each.
  for (const i of [10, 20, 30, 40, 50, 60]) {
    out.push(
      `INSERT INTO s_${i} (id, qty, name, price, status) SELECT g, CASE WHEN g = 7 THEN -1 ELSE g END, 'n' || (g % 90), g, ` +
        `CASE WHEN g = 5 THEN 'weird' ELSE 'ok' END FROM generate_series(1, 100) g;`,
    );
  }
  return out.join('\n');
}

export const SCHEMA_FINDINGS: Finding[] = [
  { id: 'GEN-CHK', title: 'qty is never negative', severity: 'high', playbook: 'check', params: { table: 's_10', name: 's_10_qty_check', expression: 'qty >= 0' } },
  { id: 'GEN-FK', title: 's_20.a_ref cascades', severity: 'high', playbook: 'foreign-key', params: { table: 's_20', columns: ['a_ref'], references: { table: `s_${parentOf(20, 1)}`, columns: ['id'] }, onDelete: 'cascade' } },
  { id: 'GEN-UQ', title: 'name is unique', severity: 'medium', playbook: 'unique', params: { table: 's_30', columns: ['name'] } },
  { id: 'GEN-NN', title: 'price is set', severity: 'medium', playbook: 'not-null', params: { table: 's_40', column: 'price' } },
  { id: 'GEN-AV', title: 'status is known', severity: 'low', playbook: 'allowed-values', params: { table: 's_50', column: 'status', values: ['ok', 'late'] } },
  { id: 'GEN-IDX', title: 'created_at is indexed', severity: 'low', playbook: 'index', params: { table: 's_60', columns: ['created_at'] } },
] as Finding[];

export interface SchemaRun {
  startupMs: number;
  catalogMs: number;
  planMs: number;
  roundTrips: number;
  roundTripsToPrechecks: number;
}

export interface SchemaSize {
  tables: number;
  columns: number;
  foreignKeys: number;
  runs: SchemaRun[];
  startupMsMedian: number;
  planMsMedian: number;
  roundTrips: number;
  roundTripsToPrechecks: number;
}

export interface SchemaResult {
  findings: number;
  sizes: SchemaSize[];
}

/** Counts pg.Client#query calls (each one round trip) while fn runs. */
async function countingQueries<T>(fn: (mark: () => number) => Promise<T>): Promise<{ value: T; queries: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  let n = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  try {
    const value = await fn(() => n);
    return { value, queries: n };
  } finally {
    proto.query = original;
  }
}

async function measure(url: string, playbooks: PlaybookSet): Promise<SchemaRun> {
  const target = resolveTarget(url);
  const t0 = performance.now();
  let startupMs = 0;
  let roundTripsToPrechecks = 0;
  const { value: plan, queries } = await countingQueries((mark) =>
    buildPlan({
      target,
      findings: SCHEMA_FINDINGS,
      playbooks,
      mode: 'online',
      rehearse: true,
      ...PLAN_DEFAULTS,
      onProgress: (e: PlanEvent) => {
        if (e.kind === 'phase' && e.phase === 'prechecks' && !startupMs) {
          startupMs = performance.now() - t0;
          roundTripsToPrechecks = mark();
        }
      },
    }),
  );
  const planMs = performance.now() - t0;
  const errors = plan.findings.filter((f) => f.status === 'error' || (f.rehearsal && !f.rehearsal.ok));
  if (errors.length) throw new Error(`schema figure: ${errors.map((f) => `${f.id}: ${f.error ?? f.rehearsal?.error}`).join('; ')}`);
  return { startupMs: round(startupMs), catalogMs: plan.timings?.catalog ?? NaN, planMs: round(planMs), roundTrips: queries, roundTripsToPrechecks };
}

export async function schemaFigure(server: RunningServer, playbooks: PlaybookSet, sizes: number[], runs: number, log: (m: string) => void): Promise<SchemaResult> {
  const out: SchemaSize[] = [];
  for (const tables of sizes) {
    const url = await createDatabase(server, `bench_schema_${tables}`);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const t0 = performance.now();
      await c.query(generatedSchemaSql(tables));
      await c.query('ANALYZE');
      log(`  schema of ${tables.toLocaleString('en-US')} tables generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await c.end();
    }
    await measure(url, playbooks); // warm: parser, playbooks, catalog caches
    const rs: SchemaRun[] = [];
    for (let r = 0; r < runs; r++) rs.push(await measure(url, playbooks));
    out.push({
      tables,
      columns: tables * COLUMNS_PER_TABLE,
      foreignKeys: tables * FKS_PER_TABLE,
      runs: rs,
      startupMsMedian: round(median(rs.map((r) => r.startupMs))),
      planMsMedian: round(median(rs.map((r) => r.planMs))),
      roundTrips: median(rs.map((r) => r.roundTrips)),
      roundTripsToPrechecks: median(rs.map((r) => r.roundTripsToPrechecks)),
    });
    log(`  ${tables} tables: start-up ${out.at(-1)!.startupMsMedian} ms, whole plan ${out.at(-1)!.planMsMedian} ms, ${out.at(-1)!.roundTrips} round trips`);
  }
  return { findings: SCHEMA_FINDINGS.length, sizes: out };
}
