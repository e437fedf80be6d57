import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importMd } from './import-helpers.js';

/**
 * Import keeps illustrations out: SQL shown as a scenario, an example or a numbered list of what
 * would happen never becomes a finding — it is listed with why — and only the SQL presented as
 * the fix is imported.
 */
const fence = '```';
const SEED_003 = readFileSync(new URL('../seeds/003_0a771a1bbd1ca421.txt', import.meta.url), 'utf8');
const start = SEED_003.indexOf('### Real-World Deletion Scenario:');
const scenario = SEED_003.slice(start, SEED_003.indexOf('### Recommendations:', start));

describe('import: illustrations are not findings', () => {
  it("seed 003's deletion scenario beside a real fix: only the fix is imported, the scenario is listed with why", async () => {
    const report = `# Audit\n\n## 1. Cascades\n\n${scenario}\n### Recommended fix\n\n${fence}sql\nALTER TABLE forum_integration_trustlevel DROP CONSTRAINT trustlevel_user_fk;\nALTER TABLE forum_integration_trustlevel ADD CONSTRAINT trustlevel_user_fk FOREIGN KEY (user_id) REFERENCES users_user(id) ON DELETE SET NULL;\n${fence}\n`;
    const r = await importMd(report);
    expect(r.findings.map((f) => f.playbook)).toEqual(['foreign-key']);
    expect(r.findings.some((f) => JSON.stringify(f.params).includes('DELETE'))).toBe(false);
    expect(r.summary.parseErrors).toEqual([]);
    expect(scenario).toMatch(/10\. DELETE FROM forum_conversation_topic/);
    expect(r.summary.illustrations).toEqual([{ line: 8, why: 'under "Real-World Deletion Scenario": an example, not the fix' }]);
  });

  it('a numbered list of what would happen, under any heading, is skipped with why and does not fail the import', async () => {
    const report = `# Audit\n\n## Cascade\n\n${fence}sql\n1. DELETE FROM orders WHERE user_id = 7;\n2. DELETE FROM payments WHERE order_id = 9;\n${fence}\n\n## Fix\n\n${fence}sql\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n${fence}\n`;
    const r = await importMd(report);
    expect(r.findings.map((f) => f.playbook)).toEqual(['index']);
    expect(r.summary.parseErrors).toEqual([]);
    expect(r.summary.illustrations).toEqual([{ line: 6, why: 'a numbered list of 2 steps: what would happen, not the fix' }]);
  });

  it('an example heading skips its statements; a heading naming the fix ("Example fix") does not', async () => {
    const report = `# Audit\n\n### Example: what a user sees\n\n${fence}sql\nDELETE FROM users WHERE id = 123;\n${fence}\n\n### Example fix\n\n${fence}sql\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n${fence}\n`;
    const r = await importMd(report);
    expect(r.findings.map((f) => f.playbook)).toEqual(['not-null']);
    expect(r.summary.illustrations.map((i) => i.line)).toEqual([6]);
  });

  it('queries shown to explain stay skipped one by one, as before (not counted as illustrations)', async () => {
    const report = `# Audit\n\n### Database state after failure\n\n${fence}sql\nSELECT id FROM posts WHERE topic_id IS NULL;\n${fence}\n`;
    const r = await importMd(report);
    expect(r.findings).toEqual([]);
    expect(r.summary.skippedStatements.map((s) => s.what)).toEqual(['SELECT']);
    expect(r.summary.illustrations).toEqual([]);
  });
});
