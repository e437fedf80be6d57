import { readdir, readFile, access } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PgmendError, UsageError } from '../util/errors.js';

/**
 * Example systems ship as examples/<name>/ with either schema.sql + data.sql (a database built for
 * the example) or source.json (`{"fixture": "pagila"}`: a real public database vendored unmodified in
 * the example's upstream/ with its licence and commit, loaded as it is), plus findings.yaml,
 * findings-resolved.yaml, expected.json.
 */
export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Where a public database's dump lives: examples/<fixture>/upstream (shipped in the npm package too). */
export const fixtureDir = (fixture: string) => path.join(EXAMPLES_DIR, fixture, 'upstream');

const exists = (file: string) => access(file).then(() => true, () => false);

export async function listExamples(): Promise<string[]> {
  const names = await readdir(EXAMPLES_DIR).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    const dir = path.join(EXAMPLES_DIR, n);
    if ((await exists(path.join(dir, 'schema.sql'))) || (await exists(path.join(dir, 'source.json')))) out.push(n);
  }
  return out;
}

export async function exampleDir(name: string): Promise<string> {
  const all = await listExamples();
  if (!all.includes(name)) throw new UsageError(`unknown example "${name}"`, `examples: ${all.join(', ')}`);
  return path.join(EXAMPLES_DIR, name);
}

/** Creates `database` on the server and loads the example's schema and data into it. */
export async function loadExample(adminUrl: string, database: string, name: string): Promise<string> {
  const dir = await exampleDir(name);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database.replaceAll('"', '""')}"`);
    await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/' + encodeURIComponent(database);
  if (await exists(path.join(dir, 'source.json'))) {
    await loadFixture(url.toString(), await fixtureOf(dir));
    return url.toString();
  }
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    for (const file of ['schema.sql', 'data.sql']) {
      const sql = await readFile(path.join(dir, file), 'utf8').catch(() => '');
      if (sql.trim()) await client.query(sql);
    }
  } finally {
    await client.end();
  }
  return url.toString();
}

const FIXTURES = ['pagila', 'chinook'] as const;
type Fixture = (typeof FIXTURES)[number];

async function fixtureOf(dir: string): Promise<Fixture> {
  const file = path.join(dir, 'source.json');
  let source: { fixture?: unknown };
  try {
    source = JSON.parse(await readFile(file, 'utf8')) as { fixture?: unknown };
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`, 'expected {"fixture": "pagila"} or {"fixture": "chinook"}');
  }
  if (!FIXTURES.includes(source.fixture as Fixture)) {
    throw new UsageError(`${file}: unknown fixture ${JSON.stringify(source.fixture)}`, `expected one of ${FIXTURES.join(', ')}`);
  }
  return source.fixture as Fixture;
}

/**
 * The fixtures are psql scripts (pagila's data is COPY … FROM stdin), so psql loads them: pagila
 * as schema then data; chinook's script minus its leading DROP/CREATE DATABASE and `\c chinook;`
 * (it would otherwise replace a database named chinook on the server).
 */
async function loadFixture(url: string, fixture: Fixture): Promise<void> {
  const dir = fixtureDir(fixture);
  if (!(await exists(dir))) {
    throw new PgmendError(`the ${fixture} example needs ${dir}, which is not there`, 1, 'reinstall pgmend, or restore examples/ in the checkout');
  }
  if (fixture === 'pagila') {
    for (const file of ['pagila-schema.sql', 'pagila-data.sql']) await runPsql(url, ['-f', path.join(dir, file)]);
    return;
  }
  const script = await readFile(path.join(dir, 'Chinook_PostgreSql.sql'), 'utf8');
  const marker = '\\c chinook;';
  const cut = script.indexOf(marker);
  if (cut < 0) throw new PgmendError(`${path.join(dir, 'Chinook_PostgreSql.sql')}: no "${marker}" line to start after`, 1);
  await runPsql(url, [], script.slice(cut + marker.length));
}

/** psql -X -q -v ON_ERROR_STOP=1; the password travels in PGPASSWORD, never on the command line. */
function runPsql(url: string, args: string[], input?: string): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target.toString(), ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
      env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new PgmendError('loading this example needs psql (the PostgreSQL client) on PATH', 1, 'install it, e.g. apt-get install postgresql-client')
          : e,
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split('\n').filter((l) => /ERROR|FATAL|error/.test(l)).pop() ?? stderr.trim().split('\n').pop() ?? '';
        reject(new PgmendError(`psql failed loading the example (exit ${code}): ${last.replaceAll(password || '\u0000', '***')}`));
      }
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
