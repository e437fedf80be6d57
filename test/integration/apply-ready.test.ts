import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES_DIR } from '../../src/demo/examples.js';
import { runCli } from '../support/cli.js';
import { openWindow } from '../support/apply-helpers.js';
import { actorhubDb, type ActorHubDb } from '../tui/harness.js';

/**
 * `apply --ready`: every ready and resolved finding in one run, blocked and skipped ones listed
 * with why instead of refusing the whole apply.
 */

let db: ActorHubDb;
let dir: string;

beforeAll(async () => {
  db = await actorhubDb();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-ready-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('apply --ready', () => {
  test('applies the ready and resolved findings, lists the blocked and the skipped with why', async () => {
    // The plain findings: many blocked. One ready finding signed off as skipped.
    const text = (await readFile(path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml'), 'utf8')).replace(
      /(  - id: AH-FK-02\n(?: {4}.*\n)*?)( {4}params: .*\n)/,
      '$1$2    review: {status: skipped, by: Ada, at: 2026-12-03T14:05:00Z, note: api keys are rotated monthly}\n',
    );
    expect(text).toContain('review: {status: skipped');
    const file = path.join(dir, 'findings.yaml');
    await writeFile(file, text);
    const plan = await runCli(['plan', '--db', db.url, '--findings', file, '--format', 'json']);
    const findings = JSON.parse(plan.stdout).findings as { id: string; status: string }[];
    const ready = findings.filter((f) => (f.status === 'ready' || f.status === 'resolved') && f.id !== 'AH-FK-02').map((f) => f.id);
    const blocked = findings.filter((f) => f.status === 'blocked').map((f) => f.id);
    expect(blocked.length).toBeGreaterThan(0);

    // --only and --ready together: a usage error.
    const both = await runCli(['apply', '--db', db.url, '--findings', file, '--ready', '--only', 'AH-FK-01', '--window', openWindow(), '--yes']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --ready or --only, not both');

    const r = await runCli(['apply', '--db', db.url, '--findings', file, '--ready', '--window', openWindow(), '--yes', '--snapshots', path.join(dir, 'snapshots')]);
    expect(r.stderr).toContain(`--ready leaves out ${blocked.length + 1} finding(s)`);
    expect(r.stderr).toContain('  - AH-FK-02 signed off as skipped by Ada: api keys are rotated monthly');
    expect(r.stderr).toMatch(/ {2}- AH-FK-17 blocked: 6 rows in orphans and no resolution/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`applied ${ready.length} finding(s)`);
    const { rows } = await db.query<{ findings: string[] }>(`SELECT findings FROM pgmend.runs ORDER BY id DESC LIMIT 1`);
    expect([...rows[0]!.findings].sort()).toEqual([...ready].sort());
  });
});
