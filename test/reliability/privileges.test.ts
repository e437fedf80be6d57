import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type TestDb, withTestDb, adminExec } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, BLOCKING_SQL } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, expectOneLineError, halfDone } from '../support/apply-helpers.js';
import { FAULT_FINDINGS } from './support/fault-matrix.js';
import { journalStatuses } from './support/fault-run.js';
import { recordSection } from './support/figures.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';

/**
 * Least privilege. `plan --no-rehearse` works for a role that can only read (also with a journal
 * it cannot see). `apply` checks, before it changes anything, that the role can do every step —
 * the tables' owner for DDL, REFERENCES, SELECT / UPDATE / DELETE for resolutions, CREATE on the
 * database and on the pgmend schema for the journal, CREATE on a schema for a trigger function —
 * and refuses naming the missing privilege and its object. Without the check an online run would
 * commit its resolutions and then fail at the first ALTER TABLE, half-way.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let allFile: string;
let faultFile: string;
const tag = randomBytes(3).toString('hex');
const roles: string[] = [];
const refusals: { setup: string; line: string }[] = [];
const works: string[] = [];

const admin = adminExec;

/** A login role of this run (roles are per cluster). */
async function role(name: string): Promise<string> {
  const r = `rel_${name}_${tag}`;
  roles.push(r);
  await admin(`CREATE ROLE ${r} LOGIN`);
  return r;
}

/** The missing privileges a refusal lists, in its order (the database's name as <db>). */
function missingItems(line: string, db: TestDb): string[] {
  const list = /lacks privileges this apply needs — (.*) — nothing was changed/.exec(line)?.[1] ?? '';
  return list.split('; ').map((x) => x.replaceAll(db.name, '<db>'));
}

const as = (db: TestDb, r: string) => db.url.replace('//postgres@', `//${r}@`);

async function ownTables(db: TestDb, owner: string): Promise<void> {
  const { rows } = await db.query(`SELECT string_agg(format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, $1::text), '; ') AS sql FROM pg_tables WHERE schemaname = 'public'`, [owner]);
  await db.query(rows[0]!.sql);
}

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  allFile = await writeFindings(work.dir, SHOP_FINDINGS, 'all.yaml');
  faultFile = await writeFindings(work.dir, FAULT_FINDINGS, 'three.yaml');
});

afterAll(async () => {
  await recordSection({
    id: 'privileges',
    title: 'Least privilege',
    headline: {},
    lines: [
      ...works.map((w) => `- ${w}`),
      '',
      `${refusals.length} roles short of a privilege: each apply refused before its first change, naming what is missing (exit 1, nothing changed, no run journaled):`,
      '',
      '| role | apply says |',
      '|---|---|',
      ...refusals.map((r) => `| ${r.setup} | ${r.line.replace(/rel_(\w+?)_[0-9a-f]{6}/g, 'app_$1').replace(/\bt_[0-9a-f]{10}\b/g, '<db>').replace(/\|/g, '\\|')} |`),
    ],
  });
  for (const r of roles) await admin(`DROP OWNED BY ${r}; DROP ROLE IF EXISTS ${r}`).catch(() => {});
  await work?.remove();
  await template?.drop();
});

const withDb = (fn: (db: TestDb) => Promise<void>) => withTestDb(template.name, fn);

const applyArgs = (url: string, file: string, extra: string[] = []) => ['apply', '--db', url, '--findings', file, '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots'), ...extra];

describe('a read-only role', () => {
  it('plan --no-rehearse works, with the same counts, also beside a journal it cannot read', async () => {
    await withDb(async (db) => {
      const reader = await role('reader');
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
      // A journal exists (an earlier apply by the owner) and the reader has no access to it.
      const first = await runCli(applyArgs(db.url, await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-SQL'), 'sql-only.yaml')));
      expect(first.code, first.stderr).toBe(0);
      const before = await dbState(db.url);
      const plans: Record<string, Plan> = {};
      for (const [who, url] of [['owner', db.url], ['reader', as(db, reader)]] as const) {
        const out = path.join(work.dir, `plan-${who}.json`);
        const r = await runCli(['plan', '--db', url, '--findings', allFile, '--no-rehearse', '--format', 'json', '--out', out]);
        expect(r.code, `${who}: ${r.stderr}`).toBe(0);
        plans[who] = JSON.parse(await readFile(out, 'utf8')) as Plan;
      }
      const summary = (p: Plan) => p.findings.filter((f) => f.id !== 'SHOP-SQL').map((f) => [f.id, f.status, f.checks.map((c) => `${c.id}:${c.rows}`).join(',')]);
      expect(summary(plans.reader!)).toEqual(summary(plans.owner!));
      for (const f of plans.reader!.findings) {
        const sql = BLOCKING_SQL[f.id];
        const blocking = f.checks.filter((c) => c.blocking || c.id === 'drift').reduce((a, c) => a + c.rows, 0);
        if (sql) expect(blocking, f.id).toBe(Number((await db.query(sql)).rows[0]!.n));
      }
      // Hand-written SQL is known applied from the journal: the owner sees it; the reader, who cannot read the journal, does not.
      expect(plans.owner!.findings.find((f) => f.id === 'SHOP-SQL')!.status).toBe('applied');
      expect(plans.reader!.findings.find((f) => f.id === 'SHOP-SQL')!.status).toBe('ready');
      expect(await dbState(db.url)).toEqual(before);
    });
    works.push('`plan --no-rehearse` as a role with only CONNECT and SELECT: exit 0, every finding with the same status and counts as the owner\'s plan, counts equal to independent queries; a journal it cannot read is skipped, not an error');
  });

  it('apply is refused before anything, naming what is missing', async () => {
    await withDb(async (db) => {
      const reader = await role('reader2');
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
      const before = await dbState(db.url);
      const r = await runCli(applyArgs(as(db, reader), faultFile));
      const line = expectOneLineError(r, 1, new RegExp(`^pgmend: refused: role "${reader}" lacks privileges this apply needs — .* — nothing was changed; run apply as the tables' owner \\("postgres"\\) or a member of that role, or GRANT what is listed$`));
      expect(missingItems(line, db)).toEqual([
        'ownership of public.orders (owner "postgres", for ALTER TABLE): SHOP-FK',
        'ownership of public.prices (owner "postgres", for ALTER TABLE): SHOP-CHK',
        'ownership of public.events (owner "postgres", for CREATE INDEX): SHOP-IDX',
        'UPDATE on public.orders: SHOP-FK',
        'DELETE on public.orders: SHOP-FK',
        'REFERENCES on public.customers: SHOP-FK',
        'UPDATE on public.prices: SHOP-CHK',
        'CREATE on schema public: SHOP-IDX',
        'CREATE on database <db>: the journal, SHOP-FK, SHOP-CHK',
      ]);
      expect(await dbState(db.url)).toEqual(before);
      expect(await journalStatuses(db.url)).toEqual([]);
      refusals.push({ setup: 'SELECT only', line: line.replace(/^pgmend: /, '') });
    });
  });
});

interface Shortfall {
  setup: string;
  /** Prepares the database; returns the role to apply as. */
  prepare(db: TestDb): Promise<string>;
  file(): string;
  mode: 'window' | 'online';
  /** What the refusal lists, in order. */
  missing: string[];
}

const SHORTFALLS: Shortfall[] = [
  {
    setup: 'SELECT, INSERT, UPDATE, DELETE and CREATE on the database, not the owner (online)',
    prepare: async (db) => {
      const r = await role('dml');
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON ALL TABLES IN SCHEMA public TO ${r}; GRANT CREATE ON DATABASE ${db.name} TO ${r}`);
      return r;
    },
    file: () => faultFile,
    mode: 'online',
    // Its resolutions would have committed before the first ALTER TABLE failed.
    missing: ['ownership of public.orders (owner "postgres", for ALTER TABLE): SHOP-FK', 'ownership of public.prices (owner "postgres", for ALTER TABLE): SHOP-CHK', 'ownership of public.events (owner "postgres", for CREATE INDEX): SHOP-IDX', 'CREATE on schema public: SHOP-IDX'],
  },
  {
    setup: 'the owner, without CREATE on the database nor on schema public',
    prepare: async (db) => {
      const r = await role('owner');
      await ownTables(db, r);
      return r;
    },
    file: () => faultFile,
    mode: 'window',
    missing: ['CREATE on schema public: SHOP-IDX', 'CREATE on database <db>: the journal, SHOP-FK, SHOP-CHK'],
  },
  {
    setup: 'the owner with CREATE on the database, but a pgmend schema of another role',
    prepare: async (db) => {
      const r = await role('owner2');
      await ownTables(db, r);
      await db.query(`GRANT CREATE ON DATABASE ${db.name} TO ${r}; GRANT CREATE ON SCHEMA public TO ${r}; CREATE SCHEMA pgmend`);
      return r;
    },
    file: () => faultFile,
    mode: 'window',
    missing: ['CREATE on schema pgmend: SHOP-FK, SHOP-CHK, the journal', 'USAGE on schema pgmend: the journal'],
  },
  {
    setup: 'the owner of the child table only (the parent belongs to another role)',
    prepare: async (db) => {
      const r = await role('child');
      await db.query(`ALTER TABLE orders OWNER TO ${r}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${r}; GRANT CREATE ON DATABASE ${db.name} TO ${r}`);
      return r;
    },
    file: () => writeFindingsSync('fk-only'),
    mode: 'window',
    missing: ['REFERENCES on public.customers: SHOP-FK'],
  },
  {
    setup: 'the owner, its DELETE on the table revoked',
    prepare: async (db) => {
      const r = await role('nodelete');
      await ownTables(db, r);
      await db.query(`REVOKE DELETE ON orders FROM ${r}; GRANT CREATE ON DATABASE ${db.name} TO ${r}`);
      return r;
    },
    file: () => writeFindingsSync('fk-only'),
    mode: 'online',
    missing: ['DELETE on public.orders: SHOP-FK'],
  },
  {
    setup: 'the owner, without CREATE on schema public (a state-machine trigger function)',
    prepare: async (db) => {
      const r = await role('nofn');
      await ownTables(db, r);
      await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT CREATE ON DATABASE ${db.name} TO ${r}`);
      return r;
    },
    file: () => writeFindingsSync('sm-only'),
    mode: 'window',
    missing: ['CREATE on schema public: SHOP-SM'],
  },
  {
    setup: 'the owner with CREATE on the database, without CREATE on schema public (an index)',
    prepare: async (db) => {
      const r = await role('noidx');
      await ownTables(db, r);
      await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT CREATE ON DATABASE ${db.name} TO ${r}`);
      return r;
    },
    file: () => faultFile,
    mode: 'online',
    // CREATE INDEX CONCURRENTLY would have failed after the constraints were committed.
    missing: ['CREATE on schema public: SHOP-IDX'],
  },
];

const extraFiles: Record<string, string> = {};
function writeFindingsSync(name: string): string {
  return extraFiles[name]!;
}

describe('apply says which privilege is missing before it changes anything', () => {
  beforeAll(async () => {
    extraFiles['fk-only'] = await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-FK'), 'fk-only.yaml');
    extraFiles['sm-only'] = await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-SM'), 'sm-only.yaml');
  });

  it.each(SHORTFALLS.map((s) => [s.setup, s] as const))('%s', async (_setup, s) => {
    await withDb(async (db) => {
      const r = await s.prepare(db);
      const before = await dbState(db.url);
      const res = await runCli(applyArgs(as(db, r), s.file(), ['--mode', s.mode]));
      const line = expectOneLineError(res, 1, new RegExp(`^pgmend: refused: role "${r}" lacks privileges this apply needs — .* — nothing was changed; run apply as `));
      expect(missingItems(line, db)).toEqual(s.missing);
      expect(await dbState(db.url), 'nothing changed').toEqual(before);
      expect((await journalStatuses(db.url)).map((x) => x.status), 'no run journaled').toEqual([]);
      refusals.push({ setup: s.setup, line: line.replace(/^pgmend: /, '') });
    });
  });

  it.each(['window', 'online'] as const)('%s mode: the owner with CREATE on the database and on its schema applies, and rolls back, with nothing more', async (mode) => {
    await withDb(async (db) => {
      const r = await role(`exact_${mode}`);
      await ownTables(db, r);
      await db.query(`GRANT CREATE ON DATABASE ${db.name} TO ${r}; GRANT CREATE ON SCHEMA public TO ${r}`);
      const before = await dbState(db.url);
      const res = await runCli(applyArgs(as(db, r), faultFile, ['--mode', mode]));
      expect(res.code, res.stderr).toBe(0);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
      const rb = await runCli(['rollback', '--db', as(db, r), '--run', '1', '--yes']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(await dbState(db.url)).toEqual(before);
    });
    works.push(`${mode} mode: a role owning the tables, with CREATE on the database and on schema public and nothing more, applies ${FAULT_FINDINGS.map((f) => f.id).join(', ')} and rolls the run back to the exact checksums (no false refusal)`);
  });
});
