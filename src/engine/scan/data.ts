import type pg from 'pg';
import { withSavepoint } from '../../db/session.js';
import type { Proposal, RuleContext, ScanEvent, ScanNote, ScanThresholds } from './model.js';
import { findRelations } from './relations.js';
import type { DataRule, Probe } from './probe.js';
import { TableRead } from './table-read.js';
import { impliedForeignKey } from './rules/implied-foreign-key.js';
import { counter } from './rules/counter.js';
import { allowedValues } from './rules/allowed-values.js';
import { preferPairs, uniqueRule } from './rules/unique.js';
import { notNull } from './rules/not-null.js';
import { indexForImpliedFk } from './rules/fk-without-index.js';
import { quoteIdent } from '../../db/quote.js';

const RULES: DataRule[] = [impliedForeignKey, counter, allowedValues, uniqueRule, notNull];

/**
 * The rules that read the data. Each table is read once for all of them (table-read.ts); a table
 * estimated above `sampleAboveRows` is read with TABLESAMPLE SYSTEM, and what that proposes is
 * read again in full, once, so every number in a finding is exact. Partitioned tables are read
 * through their parent (partitions are skipped). A table whose read fails (statement_timeout, no
 * privilege) becomes a note; the scan goes on.
 */
export async function dataRules(
  client: pg.Client,
  base: RuleContext,
  thresholds: ScanThresholds,
  onEvent: (e: ScanEvent) => void,
): Promise<{ proposals: Proposal[]; notes: ScanNote[]; reads: { table: string; rows: number; sampled: boolean; ms: number }[] }> {
  const ctx = { ...base, thresholds, relations: findRelations(base.catalog, base.tables) };
  const tables = base.tables.filter((t) => t.partitionOf === null);
  const proposals: Proposal[] = [];
  const notes: ScanNote[] = [];
  const reads: { table: string; rows: number; sampled: boolean; ms: number }[] = [];
  // Only tables some rule asks a question of are read (and numbered in the progress).
  const work = tables
    .map((table) => {
      const probes = RULES.flatMap((rule) => rule(ctx, table));
      const read = new TableRead(table);
      for (const p of probes) p.register(read);
      return { table, probes, read };
    })
    .filter((w) => !w.read.empty);
  onEvent({ kind: 'start', tables: work.length });
  for (const [index, { table, probes, read }] of work.entries()) {
    const estimate = table.estimatedRows ?? 0;
    const sample = estimate > thresholds.sampleAboveRows ? Math.min(100, Math.max(0.01, (100 * thresholds.sampleRows) / estimate)) : null;
    const topN = Math.max(thresholds.enumMaxValues + 1, 5);
    onEvent({ kind: 'table', table: table.qualified, index: index + 1, total: work.length, sampled: sample !== null });
    const started = performance.now();
    try {
      await withSavepoint(client, 'pgmend_scan_table', async () => {
        const result = await read.run(client, sample === null ? null : Number(sample.toFixed(4)), topN);
        let found = evaluate(probes, result);
        if (sample !== null && found.length > 0) {
          // Exact recount: one full read with only the questions that proposed something.
          const again = new TableRead(table);
          const kept = found.map((f) => f.probe);
          for (const p of kept) p.register(again);
          const exact = await again.run(client, null, topN);
          found = evaluate(kept, exact).map((f) => ({ ...f, proposal: { ...f.proposal, evidence: `${f.proposal.evidence} (found in a ${sample.toFixed(2)}% sample, counted in full)` } }));
        }
        const mine = preferPairs(found.map((f) => f.proposal));
        proposals.push(...mine);
        for (const p of mine.filter((x) => x.code === 'IMPLIEDFK')) {
          const column = table.columns.find((c) => quoteIdent(c.name) === (p.params.columns as string[])[0]);
          const index = column && indexForImpliedFk(base, table, column.name, (p.params.references as { table: string }).table);
          if (index) proposals.push(index);
        }
        reads.push({ table: table.qualified, rows: result.rows, sampled: sample !== null, ms: Math.round(performance.now() - started) });
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
