import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import YAML from 'yaml';
import { runCli, type CliResult } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS } from '../support/apply-shop.js';
import { workDir, openWindow } from '../support/apply-helpers.js';
import { startOwnServer, type OwnServer } from './support/own-server.js';
import { recordSection } from './support/figures.js';

/**
 * Secrets: a sentinel password, given by URL (--db and DATABASE_URL), by PGPASSWORD, by a .pgpass
 * file (PGPASSFILE) and by libpq's PG* variables, reaches the server — every command works — and
 * appears in no output (stdout, stderr, with and without --debug), no exported file, no journal or
 * backup row, no snapshot, and no line of the server's log (log_statement = all). On a server of
 * the test's own that requires scram-sha-256 for the role.
 */

const ROLE = 'rel_secret';
// Characters a URL must percent-encode, so both spellings are looked for.
const SENTINEL = `Sntl-${randomBytes(6).toString('hex')}!#:pw`;
const FORMS = [...new Set([SENTINEL, encodeURIComponent(SENTINEL), SENTINEL.replace(/:/g, '\\:'), Buffer.from(SENTINEL).toString('base64')])];

let own: OwnServer;
let template: string;
let work: Awaited<ReturnType<typeof workDir>>;
const serverLog: string[] = [];
let logging = false;
const checked = { outputs: 0, files: 0, rows: 0, logLines: 0 };
const leaks: string[] = [];
const ways: string[] = [];

beforeAll(async () => {
  own = await startOwnServer({
    hba: [`host all ${ROLE} 127.0.0.1/32 scram-sha-256`],
    onLog: (m) => {
      if (logging) serverLog.push(m);
    },
  });
  // The role and its database; the sentinel is set before statement logging starts.
  await own.admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${SENTINEL.replace(/'/g, "''")}'`);
  template = `tpl_secret`;
  await own.admin(`CREATE DATABASE ${template} OWNER ${ROLE}`);
  const c = new pg.Client({ host: '127.0.0.1', port: own.server.port, database: template, user: ROLE, password: SENTINEL });
  await c.connect();
  await c.query(SHOP_SQL);
  await c.end();
  await own.admin(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`);
  await own.admin(`ALTER SYSTEM SET log_statement = 'all'`);
  await own.admin(`ALTER SYSTEM SET log_connections = on`);
  await own.admin(`SELECT pg_reload_conf()`);
  await new Promise((r) => setTimeout(r, 300));
  logging = true;
  work = await workDir();
}, 120_000);

afterAll(async () => {
  await recordSection({
    id: 'secrets',
    title: 'Secrets',
    headline: { secretPlacesChecked: checked.outputs + checked.files + checked.rows + checked.logLines, secretsLeaked: leaks.length },
    lines: [
      `A sentinel password (random, with characters a URL must encode) for a role that must authenticate with scram-sha-256, given ${ways.length} ways: ${ways.join('; ')}. Each way ran plan (json), a plan with an error (--debug), apply, journal, rollback and a failed connection with --debug; the URL, PGPASSWORD and .pgpass ways also plan in md and sql and for online mode, an online apply and a stale apply (--debug); and the password went into a URL pgmend cannot parse and a DATABASE_URL of the wrong scheme.`,
      '',
      `Looked for (raw, percent-encoded, escaped and base64) in ${checked.outputs} outputs (every stdout and stderr), ${checked.files} files written (exports, snapshots), ${checked.rows} rows of the journal and backup tables and ${checked.logLines} lines of the server's log with log_statement = all: ${leaks.length} found.`,
    ],
  });
  await work?.remove();
  await own?.stop();
});

function check(kind: keyof typeof checked, where: string, text: string): void {
  checked[kind]++;
  if (FORMS.some((f) => text.includes(f))) leaks.push(where);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

interface Way {
  name: string;
  /** Every command (else the core: plan, a plan with an error, apply, journal, rollback, a failed connection). */
  full: boolean;
  /** --db for this database (undefined: from the environment). */
  db(database: string): string | undefined;
  env(database: string, dir: string): Promise<NodeJS.ProcessEnv>;
}

const port = () => own.server.port;
const withPassword = (database: string) => `postgresql://${ROLE}:${encodeURIComponent(SENTINEL)}@127.0.0.1:${port()}/${database}`;
const withoutPassword = (database: string) => `postgresql://${ROLE}@127.0.0.1:${port()}/${database}`;

const WAYS: Way[] = [
  { name: 'in the --db URL', full: true, db: withPassword, env: async () => ({}) },
  { name: 'in DATABASE_URL', full: false, db: () => undefined, env: async (d) => ({ DATABASE_URL: withPassword(d) }) },
  { name: 'in PGPASSWORD', full: true, db: withoutPassword, env: async () => ({ PGPASSWORD: SENTINEL }) },
  {
    name: 'in a .pgpass file (PGPASSFILE)',
    full: true,
    db: withoutPassword,
    env: async (_d, dir) => {
      const file = path.join(dir, 'pgpass');
      await writeFile(file, `127.0.0.1:${port()}:*:${ROLE}:${SENTINEL.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`);
      await chmod(file, 0o600);
      return { PGPASSFILE: file };
    },
  },
  { name: "in libpq's PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)", full: false, db: () => undefined, env: async (d) => ({ PGHOST: '127.0.0.1', PGPORT: String(port()), PGUSER: ROLE, PGDATABASE: d, PGPASSWORD: SENTINEL }) },
];

describe('a sentinel password appears nowhere', () => {
  it.each(WAYS.map((w) => [w.name, w] as const))('given %s', async (_name, way) => {
    const db = await own.clone(template);
    await own.admin(`ALTER DATABASE ${db.name} OWNER TO ${ROLE}`);
    const dir = path.join(work.dir, db.name);
    const snapshots = path.join(dir, 'snapshots');
    try {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(dir, { recursive: true });
      const env = await way.env(db.name, dir);
      const dbArgs = way.db(db.name) ? ['--db', way.db(db.name)!] : [];
      const findings = path.join(dir, 'findings.yaml');
      await writeFile(findings, YAML.stringify({ findings: SHOP_FINDINGS }));
      const broken = path.join(dir, 'broken.yaml');
      await writeFile(broken, YAML.stringify({ findings: [{ ...SHOP_FINDINGS[0], params: { ...SHOP_FINDINGS[0]!.params, table: 'ordres' } }] }));
      const run = async (what: string, args: string[], code: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
        const r = await runCli(args, { env: { ...env, ...extraEnv } });
        expect(r.code, `${way.name}: ${what}: ${r.stderr}`).toBe(code);
        expect(r.stderr, `${way.name}: ${what}: no warnings from Node or pg`).not.toMatch(/DeprecationWarning|\(node:\d+\)/);
        check('outputs', `${way.name}: ${what}: stdout`, r.stdout);
        check('outputs', `${way.name}: ${what}: stderr`, r.stderr);
        return r;
      };
      const out = (f: string) => path.join(dir, f);
      const w = openWindow();

      await run('plan (json, window)', ['plan', ...dbArgs, '--findings', findings, '--format', 'json', '--out', out('plan-window.json')], 0);
      await run('plan with an error', ['plan', ...dbArgs, '--findings', broken, '--debug'], 1);
      if (way.full) {
        await run('plan (md)', ['plan', ...dbArgs, '--findings', findings], 0);
        await run('plan (json, online)', ['plan', ...dbArgs, '--findings', findings, '--format', 'json', '--mode', 'online', '--out', out('plan-online.json')], 0);
        await run('plan (sql)', ['plan', ...dbArgs, '--findings', findings, '--format', 'sql', '--out', out('plan.sql')], 0);
        await run('plan (md, --out)', ['plan', ...dbArgs, '--findings', findings, '--out', out('checklist.md')], 0);
      }
      const applied = await run('apply (window)', ['apply', ...dbArgs, '--plan', out('plan-window.json'), '--window', w, '--yes', '--snapshots', snapshots], 0);
      expect(applied.stdout).toMatch(/journal run 1/);
      await run('journal (json)', ['journal', ...dbArgs, '--format', 'json'], 0);
      await run('rollback', ['rollback', ...dbArgs, '--run', '1', '--yes'], 0);
      if (way.full) {
        await run('journal', ['journal', ...dbArgs], 0);
        await run('apply (online)', ['apply', ...dbArgs, '--plan', out('plan-online.json'), '--window', w, '--yes', '--snapshots', snapshots], 0);
        await run('apply of a stale plan', ['apply', ...dbArgs, '--plan', out('plan-window.json'), '--window', w, '--yes', '--snapshots', snapshots, '--debug'], 1);
        await run('journal after', ['journal', ...dbArgs, '--format', 'json'], 0);
      }
      // Failures that carry the password in what they were given.
      const missing = withPassword('no_such_database');
      await run('a database that does not exist, --debug', ['journal', '--db', missing, '--debug'], 1);
      if (way === WAYS[0]) {
        await run('a database that does not exist', ['journal', '--db', missing], 1);
        await run('a malformed URL with the password', ['journal', '--db', withPassword(db.name).replace(`:${port()}/`, ':99999/')], 2);
        await run('DATABASE_URL with a bad scheme and the password', ['journal'], 2, { DATABASE_URL: withPassword(db.name).replace(/^postgresql:/, 'mysql:') });
      }

      // Every file pgmend wrote: exports and snapshots.
      const files = await filesUnder(dir);
      expect(files.filter((f) => f.startsWith(snapshots)).length).toBeGreaterThanOrEqual(way.full ? 2 : 1);
      for (const f of files) if (!f.endsWith('pgpass')) check('files', `${way.name}: file ${path.relative(dir, f)}`, await readFile(f, 'utf8'));

      // Every journal and backup row.
      const c = new pg.Client({ host: '127.0.0.1', port: port(), database: db.name, user: ROLE, password: SENTINEL });
      await c.connect();
      try {
        const { rows: tables } = await c.query(`SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgmend' AND c.relkind = 'r' ORDER BY 1`);
        expect(tables.map((t) => t.t)).toEqual(expect.arrayContaining(['pgmend.runs', 'pgmend.steps', 'pgmend.findings', 'pgmend.backups']));
        for (const { t } of tables) {
          const { rows } = await c.query(`SELECT row_to_json(x)::text AS j FROM ${t} x`);
          for (const [i, r] of rows.entries()) check('rows', `${way.name}: ${t} row ${i + 1}`, r.j);
        }
      } finally {
        await c.end();
      }
      expect(leaks.filter((l) => l.startsWith(way.name))).toEqual([]);
      ways.push(way.name);
    } finally {
      await db.drop();
    }
  }, 180_000);

  it('the server log (log_statement = all) never saw it', async () => {
    expect(serverLog.join('').length).toBeGreaterThan(10_000);
    for (const [i, line] of serverLog.join('').split('\n').entries()) check('logLines', `server log line ${i + 1}`, line);
    expect(leaks).toEqual([]);
  });
});
