import type { Candidate } from './candidate.js';
import { describe, touchedTables } from './describe.js';
import { functionName, functionOf, triggerOf, triggersCalling } from './functions.js';
import { rollbackAll } from './rollback.js';
import type { Statement } from './statements.js';

/**
 * Whatever no playbook took becomes a `sql` finding: a function travels with the triggers that call
 * it, everything else stands alone; rollback SQL is derived where it can be.
 */
export function groupAsSql(leftovers: Statement[], rejected: Map<Statement, string>): Candidate[] {
  const grouped = new Set<Statement>();
  const groups: Statement[][] = [];
  for (const stmt of leftovers) {
    if (grouped.has(stmt)) continue;
    const fn = functionOf(stmt);
    const group = fn ? [stmt, ...triggersCalling(fn, leftovers).filter((t) => !grouped.has(t))] : [stmt];
    for (const s of group) grouped.add(s);
    groups.push(group);
  }
  return groups.map((group) => sqlCandidate(group, rejected));
}

function sqlCandidate(group: Statement[], rejected: Map<Statement, string>): Candidate {
  const [anchor] = group as [Statement, ...Statement[]];
  const about = describe(anchor.node);
  const triggers = group.slice(1).flatMap((s) => {
    const t = triggerOf(s);
    return t?.trigname ? [t.trigname] : [];
  });
  const fn = functionOf(anchor);
  let text = about.text;
  let why = about.why;
  if (fn && triggers.length > 0) {
    text = `function ${functionName(fn)} with trigger${triggers.length > 1 ? 's' : ''} ${triggers.join(', ')}`;
    why = 'a trigger function and its triggers: no playbook';
  }
  const reason = group.map((s) => rejected.get(s)).find((r) => r !== undefined);
  if (reason) why = reason;

  const rollback = rollbackAll(group.map((s) => s.node));
  const tables = [...new Set(group.flatMap((s) => touchedTables(s.node)))];
  return {
    playbook: 'sql',
    params: {
      sql: group.map((s) => terminated(s.sql)).join('\n\n'),
      ...(rollback.ok ? { rollback: rollback.sql.join('\n') } : {}),
      ...(tables.length > 0 ? { tables } : {}),
    },
    statements: group,
    id: `SQL-${about.name}`,
    description: text,
    why,
    ...(rollback.ok ? {} : { noRollback: rollback.reason }),
  };
}

/** The statement with its semicolon — on a line of its own if the last line ends in a comment. */
function terminated(sql: string): string {
  const lastLine = sql.slice(sql.lastIndexOf('\n') + 1);
  return lastLine.includes('--') ? `${sql}\n;` : `${sql};`;
}
