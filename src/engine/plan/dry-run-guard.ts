import type pg from 'pg';
import type { Catalog } from '../../db/catalog.js';
import type { Finding } from '../../findings/model.js';
import { calledFunctions, classifyStatements, namedRelations, parseEach, type SqlVerdict } from '../../playbooks/statement-safety.js';
import { catalogFacts } from '../checks/function-facts.js';
import { chooseSandboxRole } from './sandbox.js';

/**
 * Decides, per `sql` finding, how a dry run treats it (see playbooks/statement-safety.ts):
 * rehearsed as usual, rehearsed in a sandbox role, or held back with the reason the plan shows.
 */

export type DryRunGuard = { held: string } | { sandboxRole: string; why: string };

export interface GuardInput {
  finding: Finding;
  /** The statements rehearsal would run, and the finding's rollback statements. */
  statements: string[];
  /** Tables the finding touches, as catalog `qualified` names. */
  tables: string[];
}

export const isApproved = (f: Finding) => f.review?.status === 'approved';

export async function guardSqlFindings(client: pg.Client, catalog: Catalog, inputs: GuardInput[]): Promise<Map<string, DryRunGuard>> {
  const guards = new Map<string, DryRunGuard>();
  if (inputs.length === 0) return guards;
  const parsed = inputs.map((i) => parseEach(i.statements));
  const facts = await catalogFacts(client, [...new Set(parsed.flatMap((p) => calledFunctions(p)))], [...new Set(parsed.flatMap((p) => namedRelations(p)))]);
  for (const [n, input] of inputs.entries()) {
    const verdict: SqlVerdict = classifyStatements(parsed[n]!, facts);
    if (verdict.kind === 'outside') {
      guards.set(input.finding.id, { held: `not rehearsed: ${verdict.reason}; a dry run never executes it` });
    } else if (verdict.kind === 'opaque' && !isApproved(input.finding)) {
      const oids = input.tables.flatMap((t) => catalog.tables.find((c) => c.qualified === t)?.oid ?? []);
      const choice = await chooseSandboxRole(client, oids, namedRelations(parsed[n]!));
      guards.set(
        input.finding.id,
        'role' in choice
          ? { sandboxRole: choice.role, why: `opaque code (${verdict.reason}): rehearsed as role ${choice.role}, which cannot reach outside the database` }
          : { held: `not rehearsed: opaque code (${verdict.reason}), and no sandbox role (${choice.why}); approve to rehearse` },
      );
    }
  }
  return guards;
}
