import type pg from 'pg';
import type { Table } from '../../db/catalog.js';
import { withSavepoint } from '../../db/session.js';
import type { Proposal, RuleContext, ScanEvent, ScanNote, ScanThresholds } from './model.js';
import { findRelations } from './relations.js';
import type { DataRule, DataRuleContext, Probe } from './probe.js';
import { TableRead, type Combine } from './table-read.js';
import { loadDistinctEstimates } from './distinct-estimate.js';
import { loadParentKeys } from './parent-keys.js';
import { impliedForeignKey } from './rules/implied-foreign-key.js';
import { counter, countedChildren, countKey } from './rules/counter.js';
import { allowedValues } from './rules/allowed-values.js';
import { preferPairs, uniqueRule } from './rules/unique.js';
import { notNull } from './rules/not-null.js';
import { indexForImpliedFk } from './rules/fk-without-index.js';
import { quoteIdent } from '../../db/quote.js';

const RULES: DataRule[] = [impliedForeignKey, counter, allowedValues, uniqueRule, notNull];

/** A child column whose counts have more groups than this is counted by its parents' own statements instead. */
export const MAX_CHILD_GROUPS = 200_000;

/**
 * The rules that read the data. Each table is read once for all of them (table-read.ts); a table
 * estimated above `sampleAboveRows` is read with TABLESAMPLE SYSTEM, and what that proposes is
 * read again in full, once, so every number in a finding is exact. A table that other tables'
 * counters count is read before them, in full, grouped by each column they count it by (in that
 * same one full read), and its counts are handed to them. Partitioned tables are read through
 * their parent (partitions are skipped). A table whose read fails (statement_timeout, no
 * privilege) becomes a note; the scan goes on.
 */
export async function dataRules(
  client: pg.Client,
  base: RuleContext,
  thresholds: ScanThresholds,
  onEvent: (e: ScanEvent) => void,
): Promise<{ proposals: Proposal[]; notes: ScanNote[]; reads: { table: string; rows: number; sampled: boolean; ms: number }[] }> {
  const tables = base.tables.filter((t) => t.partitionOf === null);
  const sampled = (t: Table) => (t.estimatedRows ?? 0) > thresholds.sampleAboveRows;
  const estimates = await loadDistinctEstimates(client, tables.filter(sampled));
  const distinct = (t: Table, column: string) => (sampled(t) ? estimates(t, column) : null);
  const relations = findRelations(base.catalog, base.tables);
  const parentKeys = await loadParentKeys(client, [...relations.pointers.values()].flat().filter((p) => tables.includes(p.child)));
  const ctx: DataRuleContext = { ...base, thresholds, relations, childCounts: new Map(), distinct, parentKeys };
  const proposals: Proposal[] = [];
  const notes: ScanNote[] = [];
  const reads: { table: string; rows: number; sampled: boolean; ms: number }[] = [];
  // Columns of each table that other tables' counters count it by.
  const counted = new Map<number, Set<string>>();
  const parentsOf = new Map<number, Table[]>();
  for (const t of tables) {
    for (const p of countedChildren(ctx, t)?.children ?? []) {
      counted.set(p.child.oid, (counted.get(p.child.oid) ?? new Set()).add(p.column.name));
      parentsOf.set(t.oid, [...(parentsOf.get(t.oid) ?? []), p.child]);
    }
  }
  // Children before the parents that count them (a cycle is broken where it closes: that parent counts by its own statement).
  const ordered: Table[] = [];
  const seen = new Set<number>();
  const visit = (t: Table) => {
    if (seen.has(t.oid)) return;
    seen.add(t.oid);
    for (const child of parentsOf.get(t.oid) ?? []) visit(child);
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  // Only tables some rule asks a question of are read (and numbered in the progress).
  const work = ordered
    .filter((t) => tables.includes(t))
    .map((table) => ({ table, probes: RULES.flatMap((rule) => rule(ctx, table)), counts: [...(counted.get(table.oid) ?? [])] }))
    .filter((w) => w.probes.length > 0 || w.counts.length > 0);
  onEvent({ kind: 'start', tables: work.length });
  for (const [index, { table, probes, counts }] of work.entries()) {
    const estimate = table.estimatedRows ?? 0;
    const sample = estimate > thresholds.sampleAboveRows ? Math.min(100, Math.max(0.01, (100 * thresholds.sampleRows) / estimate)) : null;
    const topN = Math.max(thresholds.enumMaxValues + 1, 5);
    onEvent({ kind: 'table', table: table.qualified, index: index + 1, total: work.length, sampled: sample !== null });
    const started = performance.now();
    /** The one full read: `asked`, and the counts this table's parents need. */
    const fullRead = async (asked: Probe[], combine: Combine) => {
      const read = new TableRead(table);
      for (const p of asked) p.register(read);
      const keys = counts.map((c) => [c, read.key(read.inner(`t.${quoteIdent(c)}`), { all: MAX_CHILD_GROUPS })] as const);
      if (read.empty) return null;
      const result = await read.run(client, null, topN, combine);
      for (const [c, k] of keys) {
        const s = result.keys.get(k);
        if (s?.complete) ctx.childCounts.set(countKey(table, c), s.top);
      }
      return result;
    };
    try {
      await withSavepoint(client, async () => {
        let found: { probe: Probe; proposal: Proposal }[];
        let rows: number;
        if (sample === null) {
          const result = (await fullRead(probes, 'none'))!;
          found = evaluate(probes, result);
          rows = result.rows;
        } else {
          const read = new TableRead(table);
          for (const p of probes) p.register(read);
          const result = read.empty ? null : await read.run(client, Number(sample.toFixed(4)), topN);
          found = result ? evaluate(probes, result) : [];
          rows = result?.rows ?? 0;
          // Exact recount: one full read with only the questions that proposed something (and the counts parents need).
          const kept = found.map((f) => f.probe);
          // Its keys grouped together first (parallel-friendly, table-read.ts) unless one may be
          // near-unique: a proposed unique key, or a counted column ANALYZE says is many-valued.
          const fewValued = counts.every((c) => (ctx.distinct(table, c) ?? Infinity) <= estimate / 10) && !found.some((f) => f.proposal.code === 'UNIQUE');
          const exact = found.length > 0 || counts.length > 0 ? await fullRead(kept, fewValued ? 'columns' : 'none') : null;
          if (exact) found = evaluate(kept, exact).map((f) => ({ ...f, proposal: { ...f.proposal, evidence: `${f.proposal.evidence} (found in a ${sample.toFixed(2)}% sample, counted in full)` } }));
        }
        const mine = preferPairs(found.map((f) => f.proposal));
        proposals.push(...mine);
        for (const p of mine.filter((x) => x.code === 'IMPLIEDFK')) {
          const column = table.columns.find((c) => quoteIdent(c.name) === (p.params.columns as string[])[0]);
          const index = column && indexForImpliedFk(base, table, column.name, (p.params.references as { table: string }).table);
          if (index) proposals.push(index);
        }
        reads.push({ table: table.qualified, rows, sampled: sample !== null, ms: Math.round(performance.now() - started) });
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      const why = err.code === '57014' ? 'canceled by --statement-timeout' : err.code === '42501' ? 'permission denied' : (err.message ?? String(e));
      notes.push({ table: table.qualified, rule: 'data-rules-skipped', message: `${table.qualified}: data rules skipped, its read failed: ${why}` });
    }
    onEvent({ kind: 'table-done', table: table.qualified, ms: Math.round(performance.now() - started) });
  }
  return { proposals, notes, reads };
}

function evaluate(probes: Probe[], result: Parameters<Probe['evaluate']>[0]): { probe: Probe; proposal: Proposal }[] {
  const out: { probe: Probe; proposal: Proposal }[] = [];
  for (const probe of probes) {
    const proposal = probe.evaluate(result);
    if (proposal) out.push({ probe, proposal });
  }
  return out;
}
