import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES_DIR } from '../../src/demo/examples.js';
import { loadFindingsFile } from '../../src/findings/load.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { planToJson, parsePlanJson } from '../../src/export/plan-json.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { maxContext } from '../../src/tui/diff-context.js';
import { actorhubDb, actorhubFindings, KEYS, openWindow, session, type ActorHubDb, type Session } from './harness.js';

/**
 * The review is saved work: a chosen resolution and a sign-off are in the findings file the moment
 * they are made, only in their finding; Esc on the list never quits; a new session on the same file
 * resumes (resolved, signed off); the sign-off travels into the plan JSON, the checklist and the
 * journal of the run that applies it.
 */

let db: ActorHubDb;
let playbooks: PlaybookSet;
let dir: string;
let file: string;
let original: string;
let s: Session | undefined;

beforeAll(async () => {
  db = await actorhubDb();
  ({ playbooks } = await actorhubFindings());
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-saved-'));
  file = path.join(dir, 'findings.yaml');
  await copyFile(path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml'), file);
  original = await readFile(file, 'utf8');
});
afterAll(async () => {
  s?.done();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const added = (text: string) => text.split('\n').filter((l) => !original.split('\n').includes(l));

async function openFinding(id: string): Promise<void> {
  await s!.press('/');
  await s!.type(id);
  await s!.press(KEYS.enter, KEYS.enter);
  await s!.waitFor((f) => f.split('\n')[1]!.startsWith(id), `the detail of ${id}`);
}

describe('decisions are saved in the findings file', { timeout: 240_000 }, () => {
  test('a resolution, a sign-off with a note; Esc cancels a prompt; Esc on the list does not quit', async () => {
    s = session({ db, findings: await loadFindingsFile(file, playbooks), playbooks, exportDir: dir, findingsFile: file, reviewer: 'Ada Lovelace' });
    await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan', 120_000);
    await openFinding('AH-UQ-03');
    await s.press('r');
    await s.waitFor((f) => f.includes('✔ recounted'), 'the preview');
    await s.press(KEYS.enter);
    await s.waitFor((f) => f.includes('re-planned: ◆ resolved'), 'the re-plan');
    expect(added(await readFile(file, 'utf8'))).toEqual(['    resolution: {strategy: delete, keep: oldest}']);
    // Right after resolving, the new diff shows its context lines (3), not the 0 of the blocked finding's empty diff.
    const resolved = s.store.getState().plan!.findings.find((f) => f.id === 'AH-UQ-03')!;
    expect(maxContext(resolved.diff)).toBe(3);
    expect(s.store.getState().detail.context).toBe(3);

    await s.press('v');
    await s.waitFor((f) => f.includes('approve AH-UQ-03:'), 'the note prompt');
    await s.type('the duplicates are test accounts');
    await s.press(KEYS.enter);
    let frame = await s.waitFor((f) => f.includes('AH-UQ-03 approved by Ada Lovelace — saved in findings.yaml'), 'the sign-off');
    expect(frame).toContain('✓ approved by Ada Lovelace (the duplicates are test accounts)');
    const lines = added(await readFile(file, 'utf8'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {4}review: \{status: approved, by: Ada Lovelace, at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, note: the duplicates are test accounts\}$/);

    // w then Esc: nothing written.
    const before = await readFile(file, 'utf8');
    await s.press(KEYS.esc);
    await s.press('w');
    await s.waitFor((f) => f.includes('skip '), 'the skip prompt');
    await s.press(KEYS.esc);
    await s.waitFor((f) => f.includes('no sign-off written'), 'cancelled');
    expect(await readFile(file, 'utf8')).toBe(before);

    // Esc on the list: clears the filter, then does nothing.
    expect(s.store.getState().screen).toBe('list');
    await s.press(KEYS.esc);
    await s.press(KEYS.esc);
    expect(s.quit.called).toBe(false);
    frame = s.frame();
    expect(frame).toMatch(/^▸ ✓ ‼ critical AH-UQ-03 /m);
  });

  test('reopening the file resumes: resolved and signed off; the sign-off reaches plan JSON, checklist and journal', async () => {
    s?.done();
    s = session({ db, findings: await loadFindingsFile(file, playbooks), playbooks, exportDir: dir, findingsFile: file, reviewer: 'Ada Lovelace' });
    await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan', 120_000);
    const plan = s.store.getState().plan!;
    const fp = plan.findings.find((f) => f.id === 'AH-UQ-03')!;
    expect(fp.status).toBe('resolved');
    expect(fp.finding.review).toMatchObject({ status: 'approved', by: 'Ada Lovelace', note: 'the duplicates are test accounts' });
    await openFinding('AH-UQ-03');
    expect(s.frame()).toContain('✓ approved by Ada Lovelace');

    const json = planToJson(plan);
    const back = parsePlanJson(json, 'plan.json');
    expect(back.findings.find((f) => f.id === 'AH-UQ-03')!.finding.review).toEqual(fp.finding.review);
    expect(planToChecklist(plan)).toMatch(/\*\*Review:\*\* ✓ approved by Ada Lovelace at \S+ — the duplicates are test accounts/);

    const result = await applyPlan({ target: db.target, plan: back, playbooks, only: ['AH-UQ-03'], mode: 'window', window: openWindow(), lockTimeoutMs: 1000, lockRetries: 2, snapshotDir: path.join(dir, 'snapshots') });
    expect(result.status).toBe('committed');
    const { rows } = await db.query(`SELECT review FROM pgmend.findings WHERE run_id = $1 AND finding_id = 'AH-UQ-03'`, [result.runId]);
    expect(rows[0].review).toEqual(fp.finding.review);
  });
});
