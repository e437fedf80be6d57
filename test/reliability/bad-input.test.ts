import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDb, type TestDb, adminExec } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli, type CliResult } from '../support/cli.js';
import { SHOP_SQL } from '../support/apply-shop.js';
import { makeTemplate, workDir, openWindow } from '../support/apply-helpers.js';
import { BAD_INPUTS, type BadInput, type BadInputContext } from './bad-input-cases.js';
import { startOwnServer, type OwnServer } from './support/own-server.js';
import { recordSection } from './support/figures.js';

/**
 * Bad input (bad-input-cases.ts): every case exits 1 or 2 with ONE line on stderr that says what
 * is wrong (and, where there is something to do, what), no stack trace, and every database it
 * could touch unchanged — schema and row checksums before and after.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let shop: TestDb;
let readOnly: TestDb;
let priv: TestDb;
let own: OwnServer;
let ctx: BadInputContext;
const roles: string[] = [];
const handled: { c: BadInput; line: string }[] = [];
let tried = 0;

const admin = adminExec;

const withUser = (url: string, user: string) => url.replace('//postgres@', `//${user}@`);

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  [shop, readOnly, priv] = await Promise.all([createTestDb(template.name), createTestDb(template.name), createTestDb(template.name)]);
  await admin(`ALTER DATABASE ${readOnly.name} SET default_transaction_read_only = on`);

  // Roles are per cluster: unique names, dropped at the end.
  const tag = randomBytes(3).toString('hex');
  const owner = `rel_owner_${tag}`;
  const dml = `rel_dml_${tag}`;
  roles.push(owner, dml);
  await admin(`CREATE ROLE ${owner} LOGIN; CREATE ROLE ${dml} LOGIN`);
  const { rows } = await priv.query(`SELECT string_agg(format('ALTER TABLE %I.%I OWNER TO ${owner}', schemaname, tablename), '; ') AS sql FROM pg_tables WHERE schemaname = 'public'`);
  await priv.query(rows[0]!.sql);
  await priv.query(`REVOKE DELETE ON orders FROM ${owner}`);
  await priv.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${dml}; GRANT CREATE ON DATABASE ${priv.name} TO ${dml}`);

  // Password authentication for one role, on a server of this file's own.
  own = await startOwnServer({ hba: ['host all rel_pw 127.0.0.1/32 scram-sha-256'] });
  await own.admin(`CREATE ROLE rel_pw LOGIN PASSWORD 'the-right-password'`);

  const dir = work.dir;
  const planFile = path.join(dir, 'plan-window.json');
  const shopFindings = path.join(dir, 'shop-all.yaml');
  const { SHOP_FINDINGS } = await import('../support/apply-shop.js');
  const YAML = (await import('yaml')).default;
  await writeFile(shopFindings, YAML.stringify({ findings: SHOP_FINDINGS }));
  const p = await runCli(['plan', '--db', shop.url, '--findings', shopFindings, '--format', 'json', '--no-rehearse', '--out', planFile]);
  expect(p.code, p.stderr).toBe(0);
  const base = new URL(own.server.url);
  base.username = '';
  ctx = {
    db: shop.url,
    dir,
    file: async (name, content) => {
      const f = path.join(dir, name);
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, content);
      return f;
    },
    planFile,
    planJson: async () => JSON.parse(await readFile(planFile, 'utf8')) as Record<string, unknown>,
    window: openWindow(),
    readOnlyDb: readOnly.url,
    privDb: { asDml: withUser(priv.url, dml), asOwner: withUser(priv.url, owner), owner },
    password: { base: base.toString(), user: 'rel_pw', right: 'the-right-password' },
  };
}, 120_000);

afterAll(async () => {
  const categories = [...new Set(BAD_INPUTS.map((c) => c.category))];
  await recordSection({
    id: 'bad-input',
    title: 'Bad input',
    headline: { badInputsTried: tried, badInputsHandled: handled.length },
    lines: [
      `${tried} bad inputs tried, ${handled.length} handled cleanly: exit 1 or 2, one line on stderr saying what is wrong and what to do, no stack trace, and the databases it could reach unchanged (schema and row checksums before and after). The cases are in test/reliability/bad-input-cases.ts.`,
      '',
      '| category | cases | handled cleanly |',
      '|---|---|---|',
      ...categories.map((cat) => `| ${cat} | ${BAD_INPUTS.filter((c) => c.category === cat).length} | ${handled.filter((h) => h.c.category === cat).length} |`),
      '',
      'A sample of what pgmend says:',
      '',
      ...categories.map((cat) => handled.find((h) => h.c.category === cat)).filter((h): h is { c: BadInput; line: string } => Boolean(h)).map((h) => `- ${h.c.name}: \`${stable(h.line)}\``),
    ],
  });
  await Promise.all([shop, readOnly, priv].map((d) => d?.drop()));
  for (const r of roles) await admin(`DROP ROLE IF EXISTS ${r}`).catch(() => {});
  await own?.stop();
  await work?.remove();
  await template?.drop();
});

/** A line as the report shows it: no temporary paths, database or role names that change per run. */
function stable(line: string): string {
  return line
    .replaceAll(ctx.dir, '<dir>')
    .replace(/\bt_[0-9a-f]{10}\b/g, '<db>')
    .replace(/\brel_(owner|dml)_[0-9a-f]{6}\b/g, 'app_$1')
    .replace(/`/g, "'");
}

/** Progress pgmend prints on stderr (plan phases and summary, what apply will run, its steps): not errors. */
function isProgress(line: string): boolean {
  return (
    /^pgmend: .*…$/.test(line) ||
    /^pgmend: \d+ findings?: .*\(\d+(\.\d+)? s\)$/.test(line) ||
    /^pgmend: (window|online) mode, .* left in the window; plan /.test(line) ||
    /^ {2}\S/.test(line) ||
    line === ''
  );
}

/** The one error line, after checking there is exactly one and no stack trace. */
function theErrorLine(c: BadInput, r: CliResult): string {
  const what = `${c.name}\nstdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 2000)}`;
  expect([1, 2], what).toContain(r.code);
  expect(r.code, what).toBe(c.code);
  expect(r.stderr, what).not.toMatch(/^\s+at .+(:\d+:\d+\)?|\(native\))$/m);
  expect(r.stderr, what).not.toMatch(/\b(TypeError|ReferenceError|RangeError|SyntaxError|AssertionError)\b|Unhandled|node:internal/);
  const errors = r.stderr.split('\n').filter((l) => !isProgress(l));
  expect(errors, what).toHaveLength(1);
  const line = errors[0]!;
  expect(line, what).toMatch(/^pgmend: \S/);
  return line.replace(/^pgmend: /, '');
}

/**
 * What to do: a hint after " — ", a did-you-mean, what is expected, needed or allowed, the field
 * or line to fix, or a fault whose remedy is the statement itself (no such file, an unknown field).
 */
const ACTIONABLE = / — |did you mean|expected|needs|must|not allowed|at most|Allowed choices|at line \d+|its columns|\.(params|resolution)\.[\w.[\]]+: does not parse|: no such file$|: it is a directory$|is a binary file, not YAML or JSON$|: unknown field \w+$/;

describe('bad input: exit 1 or 2, one clear line, nothing changed', () => {
  it(`has at least 60 cases (${BAD_INPUTS.length})`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(BAD_INPUTS.map((c) => c.name)).size).toBe(BAD_INPUTS.length);
  });

  it.each(BAD_INPUTS.map((c) => [`${c.category}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    tried++;
    const args = await c.args(ctx);
    // The databases the case reaches (by name in its arguments), the shop database by default.
    const reached = [readOnly, priv].filter((d) => args.some((a) => a.includes(`/${d.name}`)));
    const urls = (reached.length ? reached : [shop]).map((d) => d.url);
    const before = await Promise.all(urls.map((u) => dbState(u)));
    const r = await runCli(args, { ...(c.env ? { env: c.env(ctx) } : {}), timeoutMs: 60_000 });
    const line = theErrorLine(c, r);
    expect(line).toMatch(c.says);
    expect(line, 'says what to do').toMatch(ACTIONABLE);
    const after = await Promise.all(urls.map((u) => dbState(u)));
    expect(after, `${c.name}: databases unchanged`).toEqual(before);
    handled.push({ c, line });
  });
});

describe('data that looks like SQL stays data', () => {
  it('a set value, a constraint name and allowed values full of quotes and statements are applied verbatim, touching nothing else', async () => {
    const db = await createTestDb(template.name);
    try {
      const evil = `x'); DROP TABLE customers; --`;
      const name = `c"; DROP TABLE customers; --`;
      const value = `open'); DELETE FROM customers; --`;
      const file = await ctx.file(
        'verbatim.yaml',
        (await import('yaml')).default.stringify({
          findings: [
            { id: 'V-NN', title: 'nicknames', severity: 'low', playbook: 'not-null', params: { table: 'profiles', column: 'nickname' }, resolution: { strategy: 'update', set: { nickname: evil } } },
            { id: 'V-CHK', title: 'prices', severity: 'low', playbook: 'check', params: { table: 'prices', name, expression: 'amount >= 0' }, resolution: { strategy: 'update', set: { amount: 0 } } },
            { id: 'V-AV', title: 'statuses', severity: 'low', playbook: 'allowed-values', params: { table: 'tickets', column: 'status', values: ['open', 'closed', value] }, resolution: { strategy: 'set-null' } },
          ],
        }),
      );
      const before = await dbState(db.url);
      const r = await runCli(['apply', '--db', db.url, '--findings', file, '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`]);
      expect(r.code, r.stderr).toBe(0);
      expect((await db.query(`SELECT id FROM profiles WHERE nickname = $1 ORDER BY id`, [evil])).rows.map((x) => x.id)).toEqual([4, 9]);
      expect((await db.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = $1 AND convalidated`, [name])).rows[0]!.n).toBe(1);
      const def = (await db.query(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype = 'c'`)).rows[0]!.d as string;
      expect(def).toContain(`'open''); DELETE FROM customers; --'::text`);
      const after = await dbState(db.url);
      for (const t of Object.keys(before.rows).filter((t) => !['public.profiles', 'public.prices', 'public.tickets'].includes(t))) expect(after.rows[t], t).toBe(before.rows[t]);
    } finally {
      await db.drop();
    }
  });
});
