import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { importReport } from '../../src/findings/import/import-report.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf, ACTORHUB } from '../support/plan-engine.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';

/**
 * Issue 5's promise: importing seed 000 gives findings whose plan on the demo database has no
 * error, and whose counts equal those of the demo's hand-written findings for the same fixes.
 */
const SEED = path.resolve(import.meta.dirname, '../seeds/000_41b1b5a0410f4d20.txt');

/** The same fix, however the two files named it: playbook + table + what it constrains. */
function fixKey(f: FindingPlan): string | undefined {
  const p = f.finding.params as Record<string, unknown>;
  const t = String(p.table ?? '').replace(/^public\./, '');
  switch (f.playbook) {
    case 'foreign-key':
      return `fk:${t}:${String(p.columns)}`;
    case 'unique':
      return `uq:${t}:${String(p.name ?? p.columns)}`;
    case 'check':
      return `chk:${t}:${String(p.name)}`;
    case 'allowed-values':
    case 'counter':
    case 'state-machine':
      return `${f.playbook}:${t}:${String(p.column)}`;
    default:
      return undefined;
  }
}

const counts = (f: FindingPlan) => f.checks.filter((c) => c.id !== 'cascade').map((c) => ({ id: c.id, rows: c.rows, groups: c.groups }));

describe('import seed 000 → plan on the ActorHub demo', () => {
  let db: TestDb;
  let imported: Plan;
  let handWritten: Plan;

  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
    const { findings } = await importReport(await readFile(SEED, 'utf8'), path.basename(SEED));
    imported = await planOf(db.url, { yaml: YAML.stringify({ findings }) });
    handWritten = await planOf(db.url, { file: path.join(ACTORHUB, 'findings.yaml') });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('has no finding in status error', () => {
    expect(imported.findings.length).toBe(71);
    expect(imported.findings.filter((f) => f.status === 'error').map((f) => `${f.id}: ${f.error}`)).toEqual([]);
  });

  it('counts exactly what the hand-written findings count for the same fixes', () => {
    const byKey = new Map(handWritten.findings.map((f) => [fixKey(f), f]));
    let compared = 0;
    for (const f of imported.findings) {
      const key = fixKey(f);
      if (!key) continue;
      const twin = byKey.get(key);
      expect(twin, `hand-written twin of ${f.id} (${key})`).toBeDefined();
      expect({ id: f.id, status: f.status, checks: counts(f) }).toEqual({ id: f.id, status: twin!.status, checks: counts(twin!) });
      compared++;
    }
    // 17 FKs, 5 uniques, 21 checks, 5 allowed-values, 3 counters, 3 state machines.
    expect(compared).toBe(54);
  });
});
