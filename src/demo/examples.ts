import { readdir, readFile, access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UsageError } from '../util/errors.js';

/** Example systems ship as examples/<name>/{schema.sql,data.sql,findings.yaml,…}. */
export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

export async function listExamples(): Promise<string[]> {
  const names = await readdir(EXAMPLES_DIR).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    if (await access(path.join(EXAMPLES_DIR, n, 'schema.sql')).then(() => true, () => false)) out.push(n);
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
