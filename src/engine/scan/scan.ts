import type pg from 'pg';
import { loadCatalog } from '../../db/catalog.js';
import { READ_ONLY_SNAPSHOT, withClient, withRollback } from '../../db/session.js';
import type { DbTarget } from '../../db/connection.js';
import { UsageError } from '../../util/errors.js';
import { DEFAULT_THRESHOLDS, type Proposal, type ScanEvent, type ScanFinding, type ScanResult, type ScanThresholds } from './model.js';
import { structuralRules } from './structural.js';
import { dataRules } from './data.js';

/** work_mem for the scan's transaction (README, "Scanning a database"). */
const SCAN_WORK_MEM = '64MB';

export interface ScanOptions {
  target: DbTarget;
  /** Schemas to scan; default every user schema. */
  schemas?: string[];
  statementTimeoutMs: number;
  thresholds?: Partial<ScanThresholds>;
  onEvent?: (e: ScanEvent) => void;
}

/**
 * `pgmend scan`: the catalog and the data → findings. Everything runs in one READ ONLY
 * repeatable-read transaction (one snapshot; a role with SELECT only is enough), always rolled back.
 */
export async function scanDatabase(opts: ScanOptions): Promise<ScanResult> {
  return withClient(opts.target, (client) => scanOnClient(client, opts), 'pgmend scan');
}

/** The scan on a connected client (the bench passes one that counts the table reads of each statement). */
export async function scanOnClient(client: pg.Client, opts: Omit<ScanOptions, 'target'>): Promise<ScanResult> {
  return withRollback(client, () => scanInSnapshot(client, opts), READ_ONLY_SNAPSHOT);
}

async function scanInSnapshot(client: pg.Client, opts: Omit<ScanOptions, 'target'>): Promise<ScanResult> {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  await client.query(`SELECT set_config('statement_timeout', $1, true)`, [`${opts.statementTimeoutMs}ms`]);
  // Grouping a big table hashes its keys' combinations: 64 MB (this transaction only) keeps
  // that in memory where the 4 MB default makes the planner sort them on disk.
  await client.query(`SELECT set_config('work_mem', $1, true)`, [SCAN_WORK_MEM]);
  const catalog = await loadCatalog(client);
  const schemas = opts.schemas?.length ? opts.schemas : catalog.schemas;
  const unknown = schemas.filter((s) => !catalog.schemas.includes(s));
  if (unknown.length) throw new UsageError(`--schema: no schema ${unknown.map((s) => JSON.stringify(s)).join(', ')} in the database`, `schemas: ${catalog.schemas.join(', ')}`);
  const tables = catalog.tables.filter((t) => schemas.includes(t.schema));
  const { rows: attached } = await client.query<{ oid: number }>(
    `SELECT i.inhrelid::int AS oid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'i'`,
  );
  const ctx = { catalog, tables, attachedIndexes: new Set(attached.map((r) => r.oid)) };
  const structural = structuralRules(ctx);
  const data = await dataRules(client, ctx, thresholds, opts.onEvent ?? (() => {}));
  return { findings: withIds([...structural.proposals, ...data.proposals]), notes: [...structural.notes, ...data.notes], reads: data.reads };
}

/** Ids by rule: FKIDX-01, FKIDX-02, …, in the order the rules proposed them. */
function withIds(proposals: Proposal[]): ScanFinding[] {
  const counts = new Map<string, number>();
  return proposals.map((p) => {
    const n = (counts.get(p.code) ?? 0) + 1;
    counts.set(p.code, n);
    return { id: `${p.code}-${String(n).padStart(2, '0')}`, title: p.title, severity: p.severity, source: 'pgmend scan', playbook: p.playbook, params: p.params, evidence: p.evidence };
  });
}
