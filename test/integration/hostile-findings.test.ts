import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, chmod, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminExec, createTestDb, queryOnce, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { openWindow, writeFindings } from '../support/apply-helpers.js';
import { loadFindings } from '../support/plan-engine.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { resolveTarget } from '../../src/db/connection.js';
import { parseWindow } from '../../src/engine/apply/maintenance-window.js';
import { engineServices } from '../../src/tui/services.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';

/**
 * A findings file nobody vetted, run as a superuser: `plan` (window and online) and the review
 * session's engine execute nothing that acts outside their rolled-back transaction — no server
 * program or file, no other session ended or cancelled, no setting changed, no large object, no
 * sequence moved — and each such finding says why it was not rehearsed (or was refused).
 */

let db: TestDb;
let dir: string;
let victim: pg.Client;
let victimPid: number;
let findingsFile: string;
let before: DbState;
let beforeServer: ServerState;
const role = `pgmend_app_${randomBytes(4).toString('hex')}`;

interface ServerState {
  settings: string;
  fileSettings: string;
  largeObjects: number;
  sequence: string;
  databases: string;
}

async function serverState(url: string): Promise<ServerState> {
  const one = async (sql: string) => JSON.stringify(await queryOnce(url, sql));
  return {
    settings: await one(`SELECT name, setting FROM pg_settings WHERE name NOT IN ('application_name') ORDER BY name`),
    fileSettings: await one('SELECT name, setting, applied FROM pg_file_settings ORDER BY name, seqno'),
    largeObjects: Number((await queryOnce<{ n: string }>(url, 'SELECT count(*) AS n FROM pg_largeobject_metadata'))[0]!.n),
    sequence: await one('SELECT last_value, is_called FROM probe_seq'),
    // Only the databases a hostile finding could create: other test files clone databases meanwhile.
    databases: await one(`SELECT datname FROM pg_database WHERE datname LIKE 'pgmend\\_hostile\\_%' ORDER BY 1`),
  };
}

const sql = (id: string, text: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `hostile ${id}`,
  severity: 'low',
  playbook: 'sql',
  params: { sql: text, ...(extra.tables ? { tables: extra.tables } : {}) },
  ...(extra.review ? { review: extra.review } : {}),
});
const fn = (name: string, body: string, returns = 'void') =>
  `CREATE FUNCTION ${name}() RETURNS ${returns} LANGUAGE plpgsql AS $f$ BEGIN ${body} END $f$;`;
const touch = (file: string) => `COPY (SELECT 1) TO PROGRAM 'touch ${dir}/${file}'`;
const KILL = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgmend-victim'`;

/** id → what its plan must say: held back (and why), refused (error), sandboxed, or rehearsed. */
type Expect = { held: RegExp } | { error: RegExp } | { sandboxFails: RegExp } | { sandboxOk: true } | { rehearsed: true };
let expected: Record<string, Expect>;

function hostileFindings(): unknown[] {
  const f = [
    // 1. Statements acting outside the transaction.
    [sql('H-PROGRAM', `${touch('program')};`), { held: /statement 1: COPY … TO PROGRAM runs a program on the database server/ }],
    [sql('H-FILE', `COPY (SELECT 1) TO '${dir}/file';`), { held: /COPY … TO '.*\/file' writes a file on the database server/ }],
    [sql('H-CTE-COPY', `COPY (WITH x AS (SELECT 1 AS a) SELECT a FROM x) TO PROGRAM 'touch ${dir}/cte';`), { held: /TO PROGRAM runs a program/ }],
    [sql('H-CTE-LO', `WITH x AS (SELECT lo_import('/etc/hostname') AS o) SELECT o FROM x;`), { held: /lo_import\(\) reads or writes files on the database server/ }],
    [sql('H-LO', `SELECT lo_from_bytea(0, 'x');`), { held: /lo_from_bytea\(\) works on large objects/ }],
    [sql('H-LO-EXPORT', `SELECT lo_export(lo_from_bytea(0, 'x'), '${dir}/lo');`), { held: /lo_export\(\) reads or writes files/ }],
    [sql('H-KILL', `${KILL};`), { held: /pg_terminate_backend\(\) signals the server or other sessions/ }],
    [sql('H-CANCEL-SUBQUERY', `UPDATE "InvoiceLine" SET note = (SELECT pg_cancel_backend(pid)::text FROM pg_stat_activity WHERE application_name = 'pgmend-victim' LIMIT 1);`), { held: /pg_cancel_backend\(\) signals/ }],
    [sql('H-RELOAD', 'SELECT pg_reload_conf();'), { held: /pg_reload_conf\(\) signals/ }],
    [sql('H-ALTER-SYSTEM', `ALTER SYSTEM SET work_mem = '7MB';`), { held: /ALTER SYSTEM writes the server's configuration file/ }],
    [sql('H-SET', `SET work_mem = '3MB';`), { held: /session-level SET\/RESET of work_mem/ }],
    [sql('H-SET-CONFIG', `SELECT set_config('work_mem', '5MB', false);`), { held: /set_config\(…, false\) changes a setting for the whole session/ }],
    [sql('H-SETVAL', `SELECT setval('probe_seq', 1000);`), { held: /setval\(\) changes a sequence/ }],
    [sql('H-NEXTVAL', `UPDATE "InvoiceLine" SET amount = nextval('probe_seq');`), { held: /nextval\(\) changes a sequence/ }],
    [sql('H-ADVISORY', 'SELECT pg_advisory_lock(4242);'), { held: /advisory lock/ }],
    [sql('H-LISTEN', 'LISTEN pgmend_channel;'), { held: /LISTEN subscribes/ }],
    [sql('H-NOTIFY', `SELECT pg_notify('pgmend_channel', 'x');`), { held: /pg_notify\(\) sends a notification/ }],
    [sql('H-VACUUM', 'VACUUM "InvoiceLine";'), { held: /VACUUM/ }],
    [sql('H-CHECKPOINT', 'CHECKPOINT;'), { held: /CHECKPOINT acts on the whole server/ }],
    [sql('H-CREATEDB', `CREATE DATABASE pgmend_hostile_${randomBytes(3).toString('hex')};`), { held: /CREATE DATABASE cannot run in a transaction/ }],
    [sql('H-EXISTING-VIEW', 'SELECT * FROM killer;'), { held: /view killer calls kill_victims\(\)|reads view killer, which calls kill_victims\(\)/ }],
    [sql('H-C-LIBRARY', `CREATE FUNCTION h_lib() RETURNS int AS '${dir}/evil.so', 'f' LANGUAGE C;`), { held: /creates a function in language c, which runs or loads code when it is created/ }],
    [sql('H-PLPERLU', 'CREATE FUNCTION h_perl() RETURNS int LANGUAGE plperlu AS $$ BEGIN { system("touch /tmp/x") } 1 $$;'), { held: /language plperlu/ }],
    [sql('H-SEARCH-PATH', `CREATE SCHEMA h_evil; SET LOCAL search_path = h_evil, pg_catalog;`), { held: /statement 2: SET LOCAL search_path changes how the rehearsal itself runs/ }],
    [sql('H-LOCAL-TIMEOUT', `SET LOCAL statement_timeout = 0; SELECT pg_sleep(1);`), { held: /SET LOCAL statement_timeout changes how the rehearsal itself runs/ }],
    [sql('H-OPERATOR', 'CREATE OPERATOR public.=== (function = kill_victims_eq, leftarg = int, rightarg = int);'), { held: /Define is not a statement a dry run executes/ }],
    [sql('H-DBLINK-LIKE', `SELECT pg_read_file('/etc/hostname');`), { held: /pg_read_file\(\) reads or writes files/ }],
    // 2. Opaque code on a superuser's table: no sandbox, held until approved.
    [sql('H-DO', `DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${dir}/do'''; END $$;`, { tables: ['InvoiceLine'] }), { held: /opaque code \(statement 1 is a DO block\).*superuser\); approve to rehearse/ }],
    [sql('H-TRIGGER', `${fn('h_trg', `${touch('trigger')}; RETURN NEW;`, 'trigger')}
CREATE TRIGGER h_trg BEFORE UPDATE ON "InvoiceLine" FOR EACH ROW EXECUTE FUNCTION h_trg();
UPDATE "InvoiceLine" SET note = 'x';`), { held: /opaque code \(statement 1 defines function h_trg\(\) that statement 3 can run or fire\)/ }],
    [sql('H-EXECUTE', `${fn('h_exec', `EXECUTE '${touch('execute').replaceAll("'", "''")}';`)}
SELECT h_exec();`), { held: /opaque code .*approve to rehearse/ }],
    [sql('H-VIEW-FN', `${fn('h_viewfn', `${touch('viewfn')};`)}
CREATE VIEW h_view AS SELECT h_viewfn();
SELECT * FROM h_view;`), { held: /opaque code \(statement 1 defines function h_viewfn\(\) that statement 3 can run or fire\)/ }],
    [sql('H-USER-FN', 'SELECT kill_victims();'), { held: /opaque code \(statement 1 calls kill_victims\(\), a volatile function of the database\)/ }],
    [sql('H-DO-UNAPPROVED', `DO $$ BEGIN INSERT INTO "InvoiceLine" VALUES (100, 1, 'approved'); END $$;`, { tables: ['InvoiceLine'] }), { held: /approve to rehearse/ }],
    // … approved: rehearsed as before.
    [sql('A-DO', `DO $$ BEGIN INSERT INTO "InvoiceLine" VALUES (101, 1, 'approved'); END $$;`, { tables: ['InvoiceLine'], review: { status: 'approved', by: 'tester', at: '2026-12-04T10:00:00Z' } }), { rehearsed: true }],
    // Opaque code on a table owned by a plain role: rehearsed as that role, and PostgreSQL refuses.
    [sql('S-DO-RESET-ROLE', `DO $$ BEGIN RESET ROLE; ${touch('sandbox')}; END $$;`, { tables: ['app_items'] }), { sandboxFails: /cannot set parameter "role" within security-definer function/ }],
    [sql('S-DO-SET-AUTH', `DO $$ BEGIN EXECUTE 'SET SESSION AUTHORIZATION postgres'; ${touch('sandbox-auth')}; END $$;`, { tables: ['app_items'] }), { sandboxFails: /cannot set parameter "session_authorization" within security-definer function|permission denied/ }],
    [sql('S-TRIGGER-PROGRAM', `${fn('s_trg', `${touch('sandbox-trigger')}; RETURN NEW;`, 'trigger')}
CREATE TRIGGER s_trg BEFORE UPDATE ON app_items FOR EACH ROW EXECUTE FUNCTION s_trg();
UPDATE app_items SET qty = qty + 1;`), { sandboxFails: /permission denied|must be superuser|pg_execute_server_program/ }],
    [sql('S-TRIGGER-KILL', `${fn('s_kill', `PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgmend-victim'; RETURN NEW;`, 'trigger')}
CREATE TRIGGER s_kill BEFORE UPDATE ON app_items FOR EACH ROW EXECUTE FUNCTION s_kill();
UPDATE app_items SET qty = qty + 1;`), { sandboxFails: /permission denied|must be a superuser|superuser/ }],
    [sql('S-BENIGN', `${fn('s_ok', 'NEW.qty := NEW.qty * 2; RETURN NEW;', 'trigger')}
CREATE TRIGGER s_ok BEFORE UPDATE ON app_items FOR EACH ROW EXECUTE FUNCTION s_ok();
UPDATE app_items SET qty = qty + 1;`), { sandboxOk: true }],
    // 3. Expressions: IMMUTABLE or STABLE only, as PostgreSQL resolves them.
    [{ id: 'E-RANDOM', title: 'volatile call', severity: 'low', playbook: 'check', params: { table: 'InvoiceLine', name: 'e_random', expression: 'amount > random() - 10' } }, { error: /E-RANDOM\.params\.expression: expression calls random\(\), which is VOLATILE/ }],
    [{ id: 'E-OPERATOR', title: 'volatile operator', severity: 'low', playbook: 'check', params: { table: 'InvoiceLine', name: 'e_op', expression: 'id === id' } }, { error: /E-OPERATOR\.params\.expression: expression calls vol_eq\(integer,integer\), which is VOLATILE/ }],
    [{ id: 'E-USER-FN', title: 'volatile user function', severity: 'low', playbook: 'unique', params: { table: 'InvoiceLine', columns: ['note'], where: 'kill_victims()' } }, { error: /E-USER-FN\.params\.where: WHERE predicate calls kill_victims\(\), which is VOLATILE/ }],
    [{ id: 'E-VIEW', title: 'through a view', severity: 'low', playbook: 'counter', params: { table: 'app_items', column: 'qty', expression: '(SELECT count(*)::int FROM killer WHERE killer.k)' } }, { error: /E-VIEW\.params\.expression: expression calls kill_victims\(\), which is VOLATILE/ }],
    [{ id: 'E-SLEEP', title: 'a sleep', severity: 'low', playbook: 'index', params: { table: 'InvoiceLine', columns: ['note'], where: 'pg_sleep(5) IS NOT NULL' } }, { error: /pg_sleep\(double precision\), which is VOLATILE/ }],
    [{ id: 'E-OK', title: 'stable and immutable calls', severity: 'low', playbook: 'check', params: { table: 'InvoiceLine', name: 'e_ok', expression: `amount >= 0 AND coalesce(lower(note), '') = lower(coalesce(note, '')) AND now() > '2000-01-01'::timestamptz` } }, { rehearsed: true }],
  ] as const;
  expected = Object.fromEntries(f.map(([finding, e]) => [(finding as { id: string }).id, e as Expect]));
  return f.map(([finding]) => finding);
}

function expectReported(plan: Plan, label: string): void {
  for (const [id, e] of Object.entries(expected)) {
    const f = plan.findings.find((x) => x.id === id) as FindingPlan;
    const says = `${label} ${id}: ${f.status} ${f.error ?? ''} ${JSON.stringify(f.rehearsal)}`;
    if ('held' in e) {
      expect(f.rehearsal?.held, says).toMatch(e.held);
      expect(f.rehearsal?.skipped, says).toBe(f.rehearsal?.held);
      expect(f.rehearsal?.rowCounts, says).toEqual([]);
    } else if ('error' in e) {
      expect(f.status, says).toBe('error');
      expect(f.error, says).toMatch(e.error);
    } else if ('sandboxFails' in e) {
      expect(f.rehearsal?.ok, says).toBe(false);
      expect(f.rehearsal?.error, says).toMatch(e.sandboxFails);
      expect(f.rehearsal?.sandbox, says).toBe(role);
    } else if ('sandboxOk' in e) {
      expect(f.rehearsal?.ok, says).toBe(true);
      expect(f.rehearsal?.sandbox, says).toBe(role);
      expect(f.rehearsal?.rowCounts.at(-1), says).toBe(3);
    } else {
      expect(f.rehearsal?.ok, says).toBe(true);
      expect(f.rehearsal?.held, says).toBeUndefined();
    }
  }
}

async function expectNothingOutside(label: string): Promise<void> {
  expect(await readdir(dir), `${label}: files the server wrote`).toEqual([]);
  expect((await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid, label).toBe(victimPid);
  expect(await serverState(db.url), label).toEqual(beforeServer);
  expect(await dbState(db.url, { includePgmend: true }), label).toEqual(before);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-hostile-'));
  await chmod(dir, 0o777);
  await adminExec(`CREATE ROLE ${role} NOLOGIN`);
  db = await createTestDb();
  await db.query(`
    CREATE TABLE "InvoiceLine" (id int PRIMARY KEY, amount numeric NOT NULL, note text);
    INSERT INTO "InvoiceLine" VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL);
    CREATE TABLE app_items (id int PRIMARY KEY, qty int NOT NULL);
    INSERT INTO app_items VALUES (1, 1), (2, 2), (3, 3);
    ALTER TABLE app_items OWNER TO ${role};
    GRANT CREATE ON SCHEMA public TO ${role};
    CREATE SEQUENCE probe_seq;
    CREATE FUNCTION vol_eq(int, int) RETURNS boolean LANGUAGE sql VOLATILE AS 'SELECT $1 = $2';
    CREATE OPERATOR === (function = vol_eq, leftarg = int, rightarg = int);
    CREATE FUNCTION kill_victims() RETURNS boolean LANGUAGE sql VOLATILE AS
      $$SELECT coalesce(bool_or(pg_terminate_backend(pid)), true) FROM pg_stat_activity WHERE application_name = 'pgmend-victim'$$;
    CREATE VIEW killer AS SELECT kill_victims() AS k;
  `);
  victim = new pg.Client({ connectionString: db.url, application_name: 'pgmend-victim' });
  victim.on('error', () => {});
  await victim.connect();
  victimPid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  // The findings file lives outside the watched folder.
  findingsFile = await writeFindings(os.tmpdir(), hostileFindings(), `pgmend-hostile-${randomBytes(4).toString('hex')}.yaml`);
  before = await dbState(db.url, { includePgmend: true });
  beforeServer = await serverState(db.url);
});

afterAll(async () => {
  await victim?.end().catch(() => {});
  await db?.drop();
  await adminExec(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
  if (findingsFile) await rm(findingsFile, { force: true });
});

describe('a dry run on a findings file nobody vetted (as a superuser)', () => {
  it.each([['window'], ['online']])('plan --mode %s: nothing acts outside the rolled-back transaction; each finding says why', async (mode) => {
    const r = await runCli(['plan', '--db', db.url, '--findings', findingsFile, '--format', 'json', '--mode', mode]);
    expect(r.code, r.stderr).toBe(1); // the refused expressions
    const plan = JSON.parse(r.stdout) as Plan;
    expectReported(plan, mode);
    await expectNothingOutside(`plan --mode ${mode}`);
  });

  it('the review session\'s engine: the same', async () => {
    const playbooks = await loadPlaybooks();
    const services = engineServices({
      target: resolveTarget(db.url), databaseName: db.name, playbooks, mode: 'window', window: parseWindow(openWindow()),
      lockTimeoutMs: 1000, lockRetries: 0, statementTimeoutMs: 60_000, sampleSize: 5, exportDir: dir,
    });
    const plan = await services.buildPlan(await loadFindings({ file: findingsFile }), {});
    expectReported(plan, 'review');
    await expectNothingOutside('review');
  });

  it('apply of the approved opaque finding works as before', async () => {
    const r = await runCli(['apply', '--db', db.url, '--findings', findingsFile, '--only', 'A-DO', '--window', openWindow(), '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const { rows } = await db.query(`SELECT note FROM "InvoiceLine" WHERE id = 101`);
    expect(rows).toEqual([{ note: 'approved' }]);
    expect(await readdir(dir)).toEqual([]);
    expect(await readFile(findingsFile, 'utf8')).toContain('A-DO');
  });
});

describe('import marks what it cannot prove safe', () => {
  it('a held-back sql finding is named in the summary, with no resolution or review of its own', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'pgmend-hostile-import-'));
    try {
      const report = path.join(work, 'report.md');
      await (await import('node:fs/promises')).writeFile(report, [
        '# Audit', '', '## 1. Counters', '', '```sql',
        'CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.n := NEW.n + 1; RETURN NEW; END $$;',
        'CREATE TRIGGER bump BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION bump();', '```', '', '## 2. Cleanup', '', '```sql',
        `DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch /tmp/x'''; END $$;`,
        `COPY (SELECT 1) TO PROGRAM 'touch /tmp/y';`, '```', '',
      ].join('\n'));
      const out = path.join(work, 'findings.yaml');
      const r = await runCli(['import', report, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('not proven safe for a dry run (2)');
      expect(r.stderr).toMatch(/SQL-do: opaque code \(statement 1 is a DO block\)/);
      expect(r.stderr).toMatch(/SQL-copy: statement 1: COPY … TO PROGRAM runs a program on the database server: a dry run never executes it/);
      expect(r.stderr).not.toMatch(/SQL-bump: opaque/);
      const text = await readFile(out, 'utf8');
      expect(text).not.toMatch(/\breview:|\bresolution:/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
