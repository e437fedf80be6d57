import type { Statement } from './statements.js';

/** A finding-to-be: a playbook with params, and the report statements it stands for. */
export interface Candidate {
  playbook: string;
  params: Record<string, unknown>;
  /** In report order; the first carries the comment, line and section the finding cites. */
  statements: Statement[];
  /** Readable id before de-duplication: `FK-identities_user_id_fkey`. */
  id: string;
  /** A title when the report gives no comment: "identities.user_id → users(id) ON DELETE CASCADE". */
  description: string;
  /** What to look for in the report's tables to find severity (table, columns, parent table). */
  match?: MatchKey;
  /** For `sql` candidates: why no playbook took it, for the summary. */
  why?: string;
  /** For `sql` candidates without derived rollback: why there is none. */
  noRollback?: string;
  /** Anything the mapping left out that a reviewer should know. */
  notes?: string[];
}

export interface MatchKey {
  table: string;
  columns: string[];
  /** Referenced table, for foreign keys. */
  parent?: string;
}

/** A mapper's answer: the candidate, a reason it cannot map a statement it understands, or nothing. */
export type MapResult = { candidate: Candidate } | { rejected: string } | undefined;
