import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Finding } from '../../src/findings/model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { actorhubDb, actorhubFindings, KEYS, session, type ActorHubDb, type Session } from './harness.js';
import { flatSteps, isRowChange } from '../../src/engine/plan/steps.js';

/**
 * The key flows that touch the database, in order on one session: resolve a blocked finding
 * (previewed against the real rows), export with the resolution, cancel the apply (wrong name,
 * Esc), a failed apply that changes nothing, then an apply that commits while quitting is refused.
 */

let db: ActorHubDb;
let findings: Finding[];
let playbooks: PlaybookSet;
let exportDir: string;
let s: Session;

const ACTIVE_DUPLICATES = `
  SELECT id::text FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS n
                        FROM subscriptions WHERE status = 'ACTIVE') d WHERE n > 1 ORDER BY id`;
const indexExists = async () =>
  (await db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'idx_subscription_user_active'`)).rowCount === 1;

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  exportDir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-tui-'));
  s = session({ db, findings, playbooks, exportDir, lockRetries: 2 });
  await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan', 120_000);
});
afterAll(async () => {
  s?.done();
  await db?.drop();
  await rm(exportDir, { recursive: true, force: true });
});

async function openFinding(id: string): Promise<void> {
  await s.press('/');
  await s.type(id);
  await s.press(KEYS.enter, KEYS.enter);
  await s.waitFor((f) => f.split('\n')[1]!.startsWith(id), `the detail of ${id}`);
}

describe('resolve', () => {
  test('update with values: the preview shows each changed cell as before → after', async () => {
    const suspended = async () => (await db.query(`SELECT count(*)::int AS n FROM identities WHERE status = 'SUSPENDED'`)).rows[0].n as number;
    const before = await suspended();
    await openFinding('AH-AV-01');
    await s.press('r');
    await s.waitFor((f) => f.includes('✔ recounted'), 'the delete preview');
    await s.press(KEYS.right);
    const frame = await s.waitFor((f) => f.includes('set status = ') && /✔ recounted: \d+ rows in public\.identities would be changed/.test(f), 'the update preview');
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM identities WHERE status NOT IN ('PENDING', 'PROCESSING', 'VERIFIED', 'REJECTED', 'SUSPENDED')`,
    );
    expect(frame).toContain(`✔ recounted: ${rows[0]!.n} rows in public.identities would be changed`);
    expect(frame).toMatch(/ACTIVE → PENDING/);
    // Typed values: the values field is a text input; the preview follows what is typed.
    await s.press(KEYS.down);
    for (let i = 0; i < 'PENDING'.length; i++) await s.press(KEYS.backspace);
    await s.type('SUSPENDED');
    await s.waitFor((f) => /ACTIVE → SUSPENDED/.test(f), 'the preview of the typed value');
    // Previewing ran the update in a transaction that rolled back: nothing was written.
    expect(await suspended()).toBe(before);
    // Esc: resolve → detail → list (the filter is cleared by the third).
    await s.press(KEYS.esc, KEYS.esc, KEYS.esc);
    expect(s.store.getState().screen).toBe('list');
    expect(s.store.getState().filter).toBe('');
    expect(s.quit.called).toBe(false);
    expect(s.store.getState().plan!.findings.find((f) => f.id === 'AH-AV-01')!.status).toBe('blocked');
  });

  test('a blocked unique finding: delete keeping the oldest, seen row by row before choosing', async () => {
    await openFinding('AH-UQ-03');
    await s.press('r');
    let frame = await s.waitFor((f) => f.includes('✔ recounted'), 'the preview');
    const oldest = (await db.query<{ id: string }>(ACTIVE_DUPLICATES)).rows.map((r) => r.id);
    expect(frame).toContain(`✔ recounted: ${oldest.length} rows in public.subscriptions would be deleted`);
    for (const id of oldest) expect(frame).toContain(id.slice(-12));
    // keep newest: the other rows of each group would go.
    await s.press(KEYS.down, KEYS.right);
    frame = await s.waitFor((f) => f.includes('keeping the newest row') && f.includes('✔ recounted'), 'the newest preview');
    const newest = (await db.query<{ id: string }>(ACTIVE_DUPLICATES.replace('ORDER BY id)', 'ORDER BY id DESC)'))).rows.map((r) => r.id);
    for (const id of newest) expect(frame).toContain(id.slice(-12));
    await s.press(KEYS.left);
    await s.waitFor((f) => f.includes('keeping the oldest row') && f.includes('✔ recounted'), 'back to oldest');
    await s.press(KEYS.enter);
    frame = await s.waitFor((f) => f.includes('re-planned: ◆ resolved'), 'the re-plan');
    expect(frame).toContain('◆ resolution: delete the blocking rows, keeping the oldest row of each group');
    const fp = s.store.getState().plan!.findings.find((f) => f.id === 'AH-UQ-03')!;
    expect(fp.status).toBe('resolved');
    expect(fp.resolution).toEqual({ strategy: 'delete', keep: 'oldest' });
    expect(flatSteps(fp.steps).filter((x) => x.phase === 'resolution').length).toBeGreaterThan(0);
    expect(fp.resolutionPreview?.rows).toBe(oldest.length);
    // The re-plan reused the plan's id, so backup tables carry it.
    expect(flatSteps(fp.steps).some((x) => x.backupTable?.includes(`bk_${s.store.getState().plan!.id}_ah_uq_03`))).toBe(true);
  });

  test('x exports the checklist with the resolution in it', async () => {
    await s.press('x');
    await s.waitFor((f) => f.includes('exported checklist, plan JSON and psql script'), 'the export');
    const [file] = (await readdir(exportDir)).filter((f) => f.endsWith('.md'));
    const md = await readFile(path.join(exportDir, file!), 'utf8');
    expect(md).toContain('### AH-UQ-03: resolve blocking rows');
    expect(md).toContain('**Resolution:** delete the blocking rows, keeping the oldest row of each group.');
    expect(md).toContain('Rows it changes (sample of 3)');
  });
});

describe('apply', () => {
  test('anything but the database name cancels, and so does Esc; nothing changes', async () => {
    // The default (Enter alone) cancels.
    await s.press('a');
    await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
    await s.press(KEYS.enter);
    expect(s.frame()).toContain('cancelled — nothing was changed');
    await s.press('a');
    let frame = await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
    expect(frame).toContain('Apply 1 finding to ');
    expect(frame).toMatch(/◆ resolved AH-UQ-03 · 5 steps · deletes 3 rows \(backed up\)/);
    expect(frame).toMatch(/◷ \d+ min left in the window/);
    await s.type(db.name.slice(0, -1));
    await s.press(KEYS.enter);
    frame = s.frame();
    expect(frame).toContain('cancelled — nothing was changed');
    expect(s.store.getState().screen).toBe('list');
    await s.press('a');
    await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
    await s.type(db.name);
    await s.press(KEYS.esc);
    expect(s.frame()).toContain('cancelled — nothing was changed');
    expect(await indexExists()).toBe(false);
    expect((await db.query(ACTIVE_DUPLICATES)).rowCount).toBe(3);
  });

  test('a failed apply shows the error and "nothing was changed", and nothing was', async () => {
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // Reads pass (prechecks), the backup step's FOR UPDATE cannot get its lock.
      await blocker.query('BEGIN; LOCK TABLE subscriptions IN EXCLUSIVE MODE');
      await s.press('a');
      await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
      await s.type(db.name);
      await s.press(KEYS.enter);
      const frame = await s.waitFor((f) => f.includes('✖ failed'), 'the failure', 30_000);
      expect(frame.replace(/\n/g, ' ')).toMatch(/could not get SHARE lock on public\.subscriptions after 2 tries/);
      expect(frame).toContain('nothing was changed');
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    expect(await indexExists()).toBe(false);
    expect((await db.query(ACTIVE_DUPLICATES)).rowCount).toBe(3);
    await s.press(KEYS.enter);
    expect(s.store.getState().screen).toBe('list');
  });

  test('the exact name applies: live steps, quitting refused while the transaction is open, then the result', async () => {
    const duplicates = (await db.query<{ id: string }>(ACTIVE_DUPLICATES)).rows.map((r) => r.id);
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE subscriptions IN EXCLUSIVE MODE');
      await s.press('a');
      await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
      await s.type(db.name);
      await s.press(KEYS.enter);
      await s.waitFor((f) => f.includes('transaction open'), 'the running apply');
      await s.press('q');
      expect(s.frame()).toContain('a transaction is open: quitting is refused');
      expect(s.quit.called).toBe(false);
    } finally {
      // The first lock attempt times out; the retry gets the lock.
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const frame = await s.waitFor((f) => f.includes('✔ committed'), 'the commit', 30_000);
    const run = (await db.query<{ id: number; status: string }>(`SELECT id, status FROM pgmend.runs WHERE status = 'committed' ORDER BY id DESC LIMIT 1`)).rows[0]!;
    expect(frame).toContain(`✔ committed · 1 finding applied · 3 rows changed · journal run ${run.id}`);
    expect(frame).toContain(`undo with: pgmend rollback --run ${run.id}`);
    // What the run changed, per finding, as its statements reported it.
    expect(frame).toContain(`  AH-UQ-03: ${duplicates.length} rows deleted`);
    // Finished steps were printed above the live area, each with its rows.
    expect(frame).toMatch(/✔ AH-UQ-03 3\/4 back up the rows that block duplicates, locking them · 3 rows/);
    expect(frame).toMatch(/✔ AH-UQ-03 4\/4 delete the backed-up rows · 3 rows/);
    // The database holds the index and the backup of exactly the deleted rows.
    expect(await indexExists()).toBe(true);
    const backup = s.store.getState().plan!.findings.find((f) => f.id === 'AH-UQ-03')!.steps.find(isRowChange)!.backupTable;
    const saved = (await db.query<{ id: string }>(`SELECT id::text FROM ${backup} ORDER BY id`)).rows.map((r) => r.id);
    expect(saved).toEqual(duplicates);
    expect((await db.query(ACTIVE_DUPLICATES)).rowCount).toBe(0);
    // Back to the list: the plan is rebuilt and the finding is applied.
    await s.press(KEYS.enter);
    await s.waitFor(() => s.store.getState().plan?.findings.find((f) => f.id === 'AH-UQ-03')?.status === 'applied' && !s.store.getState().loading.running, 'the re-plan');
    expect(s.frame()).toContain(`run ${run.id} committed`);
  });
});
