import type pg from 'pg';
import { structuredPatch } from 'diff';
import type { Catalog } from '../../db/catalog.js';
import { schemaDdl } from '../../db/ddl.js';
import { fingerprint } from '../../db/fingerprint.js';
import type { FindingPlan, Plan } from '../plan/plan-model.js';
import { prepareFinding, type PreparedFinding } from '../plan/prepare.js';
import { runPrechecks } from '../checks/prechecks.js';
import type { PlaybookSet } from '../../playbooks/load.js';

/**
 * Is the reviewed plan still true? Inside the apply transaction: the schema of the tables the plan
 * involves (fingerprint, and what changed), and every blocking count of the selected findings.
 */
export async function staleReasons(client: pg.Client, catalog: Catalog, plan: Plan, selected: FindingPlan[], prepared: PreparedFinding[], playbooks?: PlaybookSet): Promise<string[]> {
  const reasons: string[] = [];
  const tables = planTables(catalog, plan, prepared, playbooks);
  if (fingerprint(catalog, tables) !== plan.fingerprint) {
    if (plan.ddl !== undefined) {
      const now = schemaDdl(catalog, tables);
      const patch = structuredPatch('plan', 'now', plan.ddl, now);
      const lines = changedLines(plan.ddl, now, patch.hunks);
      reasons.push(`schema changed since the plan: ${lines.slice(0, 6).join(' | ')}${lines.length > 6 ? ` (+${lines.length - 6} more)` : ''}`);
    } else {
      reasons.push('schema of the tables involved changed since the plan (fingerprint differs)');
    }
  }
  const outcomes = await runPrechecks(client, prepared, { sampleSize: 0 });
  for (const f of selected) {
    const now = outcomes.get(f.id);
    if (!now?.ok) {
      reasons.push(`${f.id}: ${now ? now.error : 'not rechecked'}`);
      continue;
    }
    for (const c of f.checks) {
      if (!c.blocking) continue;
      const n = now.checks.find((x) => x.id === c.id);
      if (n && n.rows !== c.rows) reasons.push(`${f.id} ${c.id}: ${c.rows} rows in the plan, ${n.rows} now`);
      if (n && c.groups !== undefined && n.groups !== c.groups) reasons.push(`${f.id} ${c.id}: ${c.groups} groups in the plan, ${n.groups} now`);
    }
  }
  return reasons;
}

/**
 * The tables the plan's fingerprint covers. A plan read back from JSON does not carry them: they
 * are those of EVERY finding in the plan (as buildPlan gathered them), not only the selected ones —
 * a subset would hash differently and make every `apply --plan --only` look stale.
 */
function planTables(catalog: Catalog, plan: Plan, prepared: PreparedFinding[], playbooks?: PlaybookSet): readonly string[] {
  if (plan.tables) return plan.tables;
  if (!playbooks) return [...new Set(prepared.flatMap((p) => p.tables))];
  return [
    ...new Set(
      plan.findings.flatMap((f) => {
        const p = prepareFinding(catalog, playbooks, f.finding, plan.mode, 0);
        return p.ok ? p.value.tables : [];
      }),
    ),
  ];
}

/**
 * The +/- lines of a DDL diff, one per change; a column or constraint line is prefixed with its
 * table (`public.prices: + currency text`), found by walking back to its CREATE TABLE.
 */
function changedLines(before: string, after: string, hunks: { oldStart: number; newStart: number; lines: string[] }[]): string[] {
  const texts = { '-': before.split('\n'), '+': after.split('\n') };
  const tableOf = (lines: string[], at: number): string | undefined => {
    for (let j = at - 1; j >= 0; j--) {
      if (lines[j] === ');') return undefined; // outside any CREATE TABLE block (an index, a trigger)
      const m = /^CREATE TABLE (\S+) \($/.exec(lines[j]!);
      if (m) return m[1];
    }
    return undefined;
  };
  const out: string[] = [];
  for (const h of hunks) {
    const pos = { '-': h.oldStart - 1, '+': h.newStart - 1 };
    for (const l of h.lines) {
      const sign = l[0];
      if (sign === '\\') continue; // "\ No newline at end of file"
      if (sign !== '+' && sign !== '-') {
        pos['-']++;
        pos['+']++;
        continue;
      }
      const table = /^[+-]\s+\S/.test(l) ? tableOf(texts[sign], pos[sign]) : undefined;
      pos[sign]++;
      if (!/^[+-]\s*\S/.test(l)) continue;
      const line = l.replace(/\s+/g, ' ').trim().replace(/,$/, '');
      out.push(table ? `${table}: ${line}` : line);
    }
  }
  return out;
}
