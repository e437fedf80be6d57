import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { EXAMPLES_DIR } from '../../src/demo/examples.js';
import os from 'node:os';
import path from 'node:path';
import type { Finding } from '../../src/findings/model.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, session, type ActorHubDb, type Session } from './harness.js';

/**
 * `e`: the finding in $EDITOR (here scripted editors run through execa, as a person's would),
 * re-parsed, re-validated and re-planned; a validation error offers to edit again.
 */

let db: ActorHubDb;
let findings: Finding[];
let playbooks: PlaybookSet;
let plan: Plan;
let dir: string;
let file: string;
let original: string;
let s: Session;
const env: NodeJS.ProcessEnv = { ...process.env };

async function editor(name: string, from: string, to: string): Promise<string> {
  const file = path.join(dir, `${name}.mjs`);
  await writeFile(
    file,
    `import { readFileSync, writeFileSync } from 'node:fs';\nconst f = process.argv[2];\nwriteFileSync(f, readFileSync(f, 'utf8').replace(${JSON.stringify(from)}, ${JSON.stringify(to)}));\n`,
  );
  return `${process.execPath} ${file}`;
}

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  plan = await actorhubPlan(db, findings, playbooks);
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-edit-'));
  delete env.VISUAL;
  file = path.join(dir, 'findings.yaml');
  await copyFile(path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml'), file);
  original = await readFile(file, 'utf8');
  s = session({ db, findings, playbooks, plan, env, findingsFile: file });
  await s.press('/');
  await s.type('AH-FK-01');
  await s.press(KEYS.enter, KEYS.enter);
  await s.waitFor((f) => f.split('\n')[1]!.startsWith('AH-FK-01'), 'the detail');
});
afterAll(async () => {
  s?.done();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('edit in $EDITOR', () => {
  test('an editor that fails leaves the finding unchanged', async () => {
    env.EDITOR = 'false';
    await s.press('e');
    await s.waitFor((f) => f.includes('editor false exited with code 1: the finding is unchanged'), 'the editor failure');
  });

  test('saving without changes re-plans nothing', async () => {
    env.EDITOR = 'true';
    await s.press('e');
    await s.waitFor((f) => f.includes('AH-FK-01: unchanged'), 'unchanged');
  });

  test('an invalid edit shows one line saying why; the default answer discards it', async () => {
    env.EDITOR = await editor('explode', 'onDelete: cascade', 'onDelete: explode');
    await s.press('e');
    const frame = await s.waitFor((f) => f.includes('✖ not saved'), 'the validation error');
    expect(frame.replace(/\n/g, ' ')).toMatch(/not saved: AH-FK-01\.yaml: AH-FK-01\.params\.onDelete: expected one of cascade, set-null/);
    expect(frame).toContain('Edit AH-FK-01 again (your text is kept)?');
    await s.press(KEYS.enter);
    await s.waitFor((f) => f.includes('edit discarded: the finding is unchanged'), 'the discard');
    expect(s.store.getState().findings.find((f) => f.id === 'AH-FK-01')!.params.onDelete).toBe('cascade');
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  test('editing again starts from the rejected text; a valid edit is re-planned', async () => {
    env.EDITOR = await editor('explode', 'onDelete: cascade', 'onDelete: explode');
    await s.press('e');
    await s.waitFor((f) => f.includes('✖ not saved'), 'the validation error');
    // The second editor only fixes what the first wrote: it must see the rejected text.
    env.EDITOR = await editor('fix', 'onDelete: explode', 'onDelete: set-null');
    await s.press('y');
    const frame = await s.waitFor((f) => f.includes('AH-FK-01 re-planned'), 'the re-plan');
    expect(frame).toContain('ON DELETE SET NULL');
    expect(frame).toContain('ALTER TABLE public.identities ALTER COLUMN user_id DROP NOT NULL');
    expect(s.store.getState().findings.find((f) => f.id === 'AH-FK-01')!.params.onDelete).toBe('set-null');
    const fp = s.store.getState().plan!.findings.find((f) => f.id === 'AH-FK-01')!;
    expect(fp.status).toBe('ready');
    expect(fp.rehearsal?.ok).toBe(true);
    expect(fp.diff).toContain('ON DELETE SET NULL');
    // Saved into the findings file: that one param of that one finding, nothing else.
    const text = await readFile(file, 'utf8');
    const changed = text.split('\n').map((l, i) => [l, original.split('\n')[i]]).filter(([a, b]) => a !== b);
    expect(changed).toEqual([
      [
        '    params: {table: identities, columns: [user_id], references: {table: users, columns: [id]}, onDelete: set-null}',
        '    params: {table: identities, columns: [user_id], references: {table: users, columns: [id]}, onDelete: cascade}',
      ],
    ]);
  });
});
