import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPlan, PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { actorhubDb, actorhubFindings, type ActorHubDb } from '../tui/harness.js';
import { runPsqlFile } from '../support/psql.js';

/**
 * The checklist is executable by hand: a finding's SQL blocks, pasted into psql in the order they
 * appear (each statement on its own unless the block opens a transaction), do what `apply` does —
 * the backup and the change it guards share a transaction, so the change touches the backed-up
 * rows instead of none — and its verification then says `t`.
 */

let db: ActorHubDb;
let dir: string;
let md: string;

beforeAll(async () => {
  db = await actorhubDb();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-hand-'));
  const { findings, playbooks } = await actorhubFindings('findings-resolved.yaml');
  const plan = await buildPlan({ target: db.target, findings, playbooks, mode: 'window', rehearse: true, ...PLAN_DEFAULTS });
  md = planToChecklist(plan);
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The SQL of a checklist section an operator runs: its steps, then its verification (never the rollback). */
function runnableSql(heading: string): string[] {
  const section = md.split('\n### ').find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`no section ${heading}`);
  const [steps, rest = ''] = section.split('**Rollback**');
  const verify = rest.includes('**Verify:**') ? rest.slice(rest.indexOf('**Verify:**')) : '';
  const fences = (text: string) => [...text.matchAll(/```sql\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  return [...fences(steps!), ...fences(verify)];
}

async function byHand(name: string, blocks: string[]) {
  // Every statement ends with `;`: psql runs each block as written, statement by statement.
  for (const b of blocks) expect(b.trimEnd().endsWith(';')).toBe(true);
  const file = path.join(dir, `${name}.sql`);
  await writeFile(file, blocks.join('\n') + '\n');
  const r = await runPsqlFile(db.url, file);
  expect(r.stderr).not.toMatch(/ERROR/);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('checklist run by hand in psql', () => {
  test('a counter repair: backup and repair in one transaction; the drift is gone', async () => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identities i WHERE total_revenue IS DISTINCT FROM COALESCE((SELECT sum(l.creator_payout_usd) FROM licenses l WHERE l.identity_id = i.id AND l.payment_status = 'COMPLETED'), 0)`,
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
    const blocks = runnableSql('AH-CNT-03');
    expect(blocks.some((b) => /^BEGIN;\n[\s\S]*pg_current_xact_id\(\)[\s\S]*\nCOMMIT;$/.test(b))).toBe(true);
    const out = await byHand('cnt03', blocks);
    expect(out).toContain(`INSERT 0 ${rows[0]!.n}`);
    expect(out).toContain(`UPDATE ${rows[0]!.n}`);
    expect(out).toMatch(/ ok \n----\n t\n/);
    expect(md).toContain('`pgmend rollback --run ID` puts them back (same keys, same values)');
    expect(md).not.toContain('cannot be undone by SQL');
  });

  test('a resolved unique finding: its resolution, then its index; verification true', async () => {
    const dupes = `SELECT count(*)::int AS n FROM (SELECT row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS r FROM subscriptions WHERE status = 'ACTIVE') d WHERE r > 1`;
    const before = (await db.query<{ n: number }>(dupes)).rows[0]!.n;
    expect(before).toBeGreaterThan(0);
    const out = await byHand('uq03', [...runnableSql('AH-UQ-03: resolve blocking rows'), ...runnableSql('AH-UQ-03')]);
    expect(out).toContain(`UPDATE ${before}`);
    expect(out).toContain('CREATE INDEX');
    expect(out).toMatch(/ ok \n----\n t\n/);
    expect((await db.query<{ n: number }>(dupes)).rows[0]!.n).toBe(0);
  });
});
