import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import pg from 'pg';
import { adminUrl, urlFor } from '../support/db.js';
import { planOf, EXAMPLES } from '../support/plan-engine.js';
import { loadExample } from '../../src/demo/examples.js';
import { scanDatabase } from '../../src/engine/scan/scan.js';
import { resolveTarget } from '../../src/db/connection.js';

/**
 * Recall on the example systems, as the README documents it: the findings of each example's
 * findings.yaml that a scan rule applies to are proposed (same playbook, table and columns), and
 * plan of the whole scan result has no finding in error.
 */
const RECALL: Record<string, string[]> = {
  pagila: [...Array.from({ length: 13 }, (_, i) => `PG-IDX-${String(i + 1).padStart(2, '0')}`), 'PG-UQ-01', 'PG-FK-01'],
  chinook: ['CH-UQ-01', 'CH-UQ-03', 'CH-UQ-04', 'CH-UQ-05'],
  actorhub: ['AH-FK-15', 'AH-FK-17', 'AH-AV-01', 'AH-AV-02', 'AH-AV-03', 'AH-AV-04', 'AH-AV-05', 'AH-CNT-02'],
  learning: ['LRN-FK-07', 'LRN-UQ-06', 'LRN-CNT-01', 'LRN-CNT-02', 'LRN-CNT-03', 'LRN-CNT-04'],
  tickets: [...Array.from({ length: 11 }, (_, i) => `TK-FK-${String(i + 1).padStart(2, '0')}`), 'TK-UQ-03', 'TK-AV-01', 'TK-IDX-02', 'TK-IDX-03'],
  audiotricks: ['AT-UQ-01'],
};

/** Everything scan proposes per example (README, "Scanning a database"): a change in what the rules read must not move it. */
const TOTAL: Record<string, number> = { pagila: 36, chinook: 10, actorhub: 40, learning: 25, tickets: 25, audiotricks: 14 };

type Params = Record<string, unknown>;
const norm = (x: unknown) => String(x).replaceAll('"', '').toLowerCase();
function key(f: { playbook: string; params: Params }): string {
  const p = f.params;
  const cols = (p.columns as string[] | undefined)?.map(norm);
  switch (f.playbook) {
    case 'index':
    case 'unique':
      return `${f.playbook} ${norm(p.table)} ${[...cols!].sort().join(',')} ${p.where ? norm(p.where) : ''}`;
    case 'foreign-key':
      return `${f.playbook} ${norm(p.table)} ${cols!.join(',')}`;
    default:
      return `${f.playbook} ${norm(p.table)} ${norm(p.column)}`;
  }
}

const created: string[] = [];
afterAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describe.each(Object.keys(RECALL))('scan of the %s example', (example) => {
  it('proposes the documented recall, and plan of the result has no finding in error', async () => {
    const name = `scan_ex_${example}_${process.pid}`;
    created.push(name);
    await loadExample(adminUrl(), name, example);
    const url = urlFor(name);
    const result = await scanDatabase({ target: resolveTarget(url), statementTimeoutMs: 120_000 });
    const expected = (YAML.parse(readFileSync(path.join(EXAMPLES, example, 'findings.yaml'), 'utf8')) as { findings: { id: string; playbook: string; params: Params }[] }).findings;
    const proposed = new Set(result.findings.map(key));
    const missed = RECALL[example]!.filter((id) => !proposed.has(key(expected.find((f) => f.id === id)!)));
    expect(missed).toEqual([]);
    expect(result.findings.length).toBe(TOTAL[example]);
    expect(result.notes.filter((n) => n.rule !== 'no-row-key')).toEqual([]);
    const plan = await planOf(url, { yaml: YAML.stringify({ findings: result.findings }) });
    expect(plan.findings.filter((f) => f.status === 'error').map((f) => `${f.id}: ${f.error}`)).toEqual([]);
  }, 300_000);
});
