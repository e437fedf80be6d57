import type { Table } from '../../db/catalog.js';
import type { Proposal, RuleContext, ScanThresholds } from './model.js';
import type { KeyStats, ReadResult, TableRead } from './table-read.js';
import type { Relations } from './relations.js';
import type { DistinctEstimate } from './distinct-estimate.js';

/**
 * One question a data rule asks of one table: it registers the expressions it needs on the
 * table's single read, then turns the numbers into a proposal (or nothing). Registering again on
 * a fresh read (the exact recount of a sampled table) and evaluating again gives exact figures.
 */
export interface Probe {
  register(read: TableRead): void;
  evaluate(result: ReadResult): Proposal | null;
}

export interface DataRuleContext extends RuleContext {
  thresholds: ScanThresholds;
  relations: Relations;
  /** Per child column (counter.ts countKey): its rows per value, from the child's own read, for its parents' counters. */
  childCounts: Map<string, { value: string; rows: number }[]>;
  /** Keys of the small parents implied FKs point at, as text, by parent oid (parent-keys.ts). */
  parentKeys: Map<number, string[]>;
  /** Distinct values ANALYZE estimates for a column of a table that will be sampled (null: none, or not sampled). */
  distinct: DistinctEstimate;
}

/** A probe on one grouping key of the table's read: `expression` is grouped, `judge` sees its stats. */
export function keyProbe(expression: string, judge: (stats: KeyStats) => Proposal | null): Probe {
  let key: string | null = null;
  return {
    register(read) {
      key = read.key(read.inner(expression));
    },
    evaluate(r) {
      const stats = key ? r.keys.get(key) : undefined;
      return stats ? judge(stats) : null;
    },
  };
}

export type DataRule = (ctx: DataRuleContext, table: Table) => Probe[];

export const pct = (x: number): string => `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;
