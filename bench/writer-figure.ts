import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { buildPlan, PLAN_DEFAULTS } from '../src/engine/plan/plan.js';
import { applyPlan } from '../src/engine/apply/apply.js';
import { parseWindow } from '../src/engine/apply/maintenance-window.js';
import { resolveTarget } from '../src/db/connection.js';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import { startWriter, type WriterStats } from './writer.js';
import { median, round, timed } from './stats.js';

/**
 * Figure 2: the latency of a concurrent single-row writer on `licenses` while CHECK, FK and UNIQUE
 * fixes are added to it — seed 000's SQL run as written (one transaction, as the report has it)
 * vs `pgmend apply --mode online` of the same findings. Between runs each fix is undone (not timed).
 *
 * The CHECK needs a table without violations: the setup first resolves them the way
 * findings-resolved.yaml does (one UPDATE), as the report's own checklist says to. One statement
 * per kind, as the issue's reference measurements were made.
 */

interface FixKind {
  kind: 'CHECK' | 'FK' | 'UNIQUE';
  what: string;
  /** Seed 000's statements, verbatim (§3.2 migration 003, §1.3 migration 001). */
  asWritten: string[];
  findings: string[];
  undo: string[];
}

/** Seed 000 has no unique index on licenses; a payment intent belongs to one license, so the bench adds one in the report's style. */
export const BENCH_UNIQUE: Finding = {
  id: 'BENCH-UQ-01',
  title: 'One license per Stripe payment intent',
  severity: 'high',
  playbook: 'unique',
  params: { table: 'licenses', columns: ['stripe_payment_intent_id'], name: 'idx_license_payment_intent' },
} as Finding;

const KINDS: FixKind[] = [
  {
    kind: 'CHECK',
    what: 'CHECK (price_usd >= 0) on licenses (seed 000 §3.2, migration 003\'s first statement)',
    asWritten: [
      `ALTER TABLE licenses ADD CONSTRAINT chk_license_price_positive
    CHECK (price_usd >= 0)`,
    ],
    findings: ['AH-CHK-01'],
    undo: [`ALTER TABLE licenses DROP CONSTRAINT IF EXISTS chk_license_price_positive`],
  },
  {
    kind: 'FK',
    what: 'licenses.identity_id → identities ON DELETE SET NULL, drop-and-add (seed 000 §1.3, migration 001)',
    asWritten: [
      `ALTER TABLE licenses DROP CONSTRAINT IF EXISTS licenses_identity_id_fkey`,
      `ALTER TABLE licenses ADD CONSTRAINT licenses_identity_id_fkey
    FOREIGN KEY (identity_id) REFERENCES identities(id) ON DELETE SET NULL`,
      `ALTER TABLE licenses ALTER COLUMN identity_id DROP NOT NULL`,
    ],
    findings: ['AH-FK-05'],
    undo: [
      `ALTER TABLE licenses DROP CONSTRAINT IF EXISTS licenses_identity_id_fkey,
         ADD CONSTRAINT licenses_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id) NOT VALID`,
      `ALTER TABLE licenses VALIDATE CONSTRAINT licenses_identity_id_fkey`,
      `ALTER TABLE licenses ALTER COLUMN identity_id SET NOT NULL`,
    ],
  },
  {
    kind: 'UNIQUE',
    what: 'unique index on licenses (stripe_payment_intent_id), written like seed 000 §2 migration 002',
    asWritten: [`CREATE UNIQUE INDEX IF NOT EXISTS idx_license_payment_intent
    ON licenses(stripe_payment_intent_id)`],
    findings: [BENCH_UNIQUE.id],
    undo: [`DROP INDEX IF EXISTS idx_license_payment_intent`],
  },
];

/** AH-CHK-01's resolution in findings-resolved.yaml (price 0), without pgmend's backup. */
const RESOLVE_CHECKS = `UPDATE licenses SET price_usd = 0 WHERE (price_usd >= 0) IS FALSE`;

export interface LatencySide {
  runs: { opMs: number; writer: WriterStats }[];
  maxMsMedian: number;
  p99MsMedian: number;
  opMsMedian: number;
}

export interface WriterKindResult {
  kind: FixKind['kind'];
  what: string;
  asWritten: LatencySide;
  online: LatencySide;
  /** as written max / online max (medians). */
  ratio: number;
}

export interface WriterResult {
  rows: number;
  resolvedRows: number;
  lockTimeoutMs: number;
  /** The writer alone for a few seconds: what the machine itself costs it. */
  baseline: WriterStats;
  kinds: WriterKindResult[];
}

async function exec(url: string, statements: string[], transaction: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-fix' });
  await c.connect();
  try {
    if (transaction) await c.query('BEGIN');
    for (const s of statements) await c.query(s);
    if (transaction) await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

const roundStats = (w: WriterStats): WriterStats => ({ ...w, maxMs: round(w.maxMs, 2), p99Ms: round(w.p99Ms, 2), p50Ms: round(w.p50Ms, 3), lockWaitMaxMs: round(w.lockWaitMaxMs, 1), maxAtMs: Math.round(w.maxAtMs) });

function side(runs: { opMs: number; writer: WriterStats }[]): LatencySide {
  return {
    runs: runs.map((r) => ({ opMs: round(r.opMs), writer: roundStats(r.writer) })),
    maxMsMedian: round(median(runs.map((r) => r.writer.maxMs)), 2),
    p99MsMedian: round(median(runs.map((r) => r.writer.p99Ms)), 2),
    opMsMedian: round(median(runs.map((r) => r.opMs))),
  };
}

export async function writerFigure(
  url: string,
  rows: number,
  findings: Finding[],
  playbooks: PlaybookSet,
  runs: number,
  log: (m: string) => void,
): Promise<WriterResult> {
  const lockTimeoutMs = PLAN_DEFAULTS.lockTimeoutMs;
  const target = resolveTarget(url);
  const snapshots = await mkdtemp(path.join(os.tmpdir(), 'pgmend-bench-snapshots-'));
  const all = [...findings, BENCH_UNIQUE];
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let resolvedRows: number;
  try {
    resolvedRows = (await c.query(RESOLVE_CHECKS)).rowCount ?? 0;
    await c.query('VACUUM (ANALYZE) licenses');
    await c.query('CHECKPOINT'); // see growTo: recycled WAL segments, as a server in steady state has
  } finally {
    await c.end();
  }
  log(`  resolved ${resolvedRows.toLocaleString('en-US')} negative prices first (as findings-resolved.yaml does)`);
  const idle = await startWriter(url, rows, 999);
  await new Promise((r) => setTimeout(r, 3000));
  const baseline = roundStats(await idle.stop());
  log(`  the writer alone for 3.5 s: max ${baseline.maxMs} ms, p99 ${baseline.p99Ms} ms`);
  const kinds: WriterKindResult[] = [];
  try {
    for (const k of KINDS) {
      const written: { opMs: number; writer: WriterStats }[] = [];
      const online: { opMs: number; writer: WriterStats }[] = [];
      const subset = all.filter((f) => k.findings.includes(f.id));
      for (let r = 0; r < runs; r++) {
        // As written: one transaction, no lock_timeout — what running the report's migration does.
        let w = await startWriter(url, rows, 1000 + r);
        const a = await timed(() => exec(url, k.asWritten, true));
        written.push({ opMs: a.ms, writer: await w.stop() });
        await exec(url, [...k.undo, 'CHECKPOINT'], false);

        // pgmend online: plan (no writer: it only reads), then apply with the writer running.
        const plan = await buildPlan({ target, findings: subset, playbooks, mode: 'online', rehearse: false, ...PLAN_DEFAULTS });
        const notReady = plan.findings.filter((f) => f.status !== 'ready');
        if (notReady.length) throw new Error(`writer figure: ${notReady.map((f) => `${f.id} is ${f.status}${f.error ? ` (${f.error})` : ''}`).join('; ')}`);
        const now = Date.now();
        const window = parseWindow(`${new Date(now - 60_000).toISOString()}/${new Date(now + 3_600_000).toISOString()}`);
        w = await startWriter(url, rows, 2000 + r);
        const o = await timed(() => applyPlan({ target, plan, playbooks, mode: 'online', window, lockTimeoutMs, lockRetries: 5, snapshotDir: snapshots }));
        const ws = await w.stop();
        if (o.value.status !== 'committed') throw new Error(`writer figure: online apply ${o.value.status}: ${o.value.error ?? ''}`);
        online.push({ opMs: o.ms, writer: ws });
        await exec(url, [...k.undo, 'CHECKPOINT'], false);
        log(
          `  ${k.kind} run ${r + 1}/${runs}: as written ${Math.round(a.ms)} ms, writer max ${written.at(-1)!.writer.maxMs.toFixed(1)} ms; ` +
            `online ${Math.round(o.ms)} ms, writer max ${ws.maxMs.toFixed(1)} ms at ${Math.round(ws.maxAtMs)} ms (${ws.slowestSeen})`,
        );
      }
      const asWritten = side(written);
      const onlineSide = side(online);
      kinds.push({ kind: k.kind, what: k.what, asWritten, online: onlineSide, ratio: round(asWritten.maxMsMedian / onlineSide.maxMsMedian, 1) });
    }
  } finally {
    await rm(snapshots, { recursive: true, force: true });
  }
  return { rows, resolvedRows, lockTimeoutMs, baseline, kinds };
}
