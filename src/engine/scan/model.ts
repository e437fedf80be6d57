import type { Catalog, Table } from '../../db/catalog.js';
import type { Finding, Severity } from '../../findings/model.js';

/**
 * What `pgmend scan` produces: findings in the findings-file format (each with `evidence`), plus
 * notes for what it reports but cannot turn into a fix (a table with no key to match rows by).
 */

/** Thresholds of the rules; each is a `scan` option (README, "pgmend scan"). */
export interface ScanThresholds {
  /** Implied FK: share of a column's non-null values found in the parent's key, at least. */
  impliedFkMinMatch: number;
  /** Counter named like one (`*_count`, `total_*`, `num_*`…): share of rows equal to the count, at least. */
  counterNamedMinMatch: number;
  /** Counter with any other name: share of rows equal to the count, more than this. */
  counterMinMatch: number;
  /** Enum-like: at most this many distinct values… */
  enumMaxValues: number;
  /** …over at least this many non-null rows. */
  enumMinRows: number;
  /** A value is rare when it holds less than this share of the column's rows. */
  enumRareShare: number;
  /** Near-unique: distinct non-null values / non-null rows, at least. */
  uniqueMinRatio: number;
  /** Near-unique and link-table keys: at least this many non-null rows. */
  uniqueMinRows: number;
  /** Not-null: tables of at least this many rows. */
  notNullMinRows: number;
  /** Tables estimated above this many rows are read with TABLESAMPLE; what is proposed is recounted exactly. */
  sampleAboveRows: number;
  /** Rows a sampled read aims at. */
  sampleRows: number;
}

export const DEFAULT_THRESHOLDS: ScanThresholds = {
  impliedFkMinMatch: 0.8,
  counterNamedMinMatch: 0.75,
  counterMinMatch: 0.9,
  enumMaxValues: 12,
  enumMinRows: 20,
  enumRareShare: 0.02,
  uniqueMinRatio: 0.95,
  uniqueMinRows: 10,
  notNullMinRows: 1000,
  sampleAboveRows: 200_000,
  sampleRows: 50_000,
};

/** A finding as scan writes it: evidence is always there. */
export type ScanFinding = Finding & { evidence: string };

/** Something reported that has no playbook fix. */
export interface ScanNote {
  table: string;
  rule: string;
  message: string;
}

export interface ScanResult {
  findings: ScanFinding[];
  notes: ScanNote[];
  /** Tables read for the data rules, with how (full or sampled) and how long. */
  reads: { table: string; rows: number; sampled: boolean; ms: number }[];
}

export type ScanEvent =
  | { kind: 'start'; tables: number }
  | { kind: 'table'; table: string; index: number; total: number; sampled: boolean }
  | { kind: 'table-done'; table: string; ms: number }
  | { kind: 'recount'; findings: number };

/** What every structural rule receives. */
export interface RuleContext {
  catalog: Catalog;
  /** Tables in the schemas scanned (partitions included). */
  tables: Table[];
  /** Oids of partition indexes attached to a partitioned index (they cannot be dropped alone). */
  attachedIndexes: Set<number>;
}

export interface Proposal {
  /** Short rule code used in ids: FKIDX, VALIDATE, … */
  code: string;
  severity: Severity;
  title: string;
  playbook: string;
  params: Record<string, unknown>;
  evidence: string;
}
