import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDb } from '../support/db.js';
import { runCli, ROOT } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, withSession } from '../support/apply-helpers.js';

/**
 * The online-mode script (`plan --format sql --mode online`) passes squawk, the PostgreSQL
 * migration linter (npm squawk-cli; its platform binary comes as an optional dependency, nothing is
 * downloaded at run time). Configuration: the server's version (`--pg-version`), and
 * `--no-assume-in-transaction` — the online script manages its own transactions. psql
 * meta-commands (`\set`, `\echo`) are not SQL: they are turned into comments, line for line.
 *
 * Allowed: `ban-drop-not-null` on the step of an ON DELETE SET NULL foreign key that has to drop
 * the NOT NULL; and, for the demo, whatever squawk says about the hand-written SQL of `sql`
 * findings, which pgmend passes through as reviewed.
 */

const SQUAWK = path.join(ROOT, 'node_modules/.bin/squawk');

interface Violation {
  line: number;
  column: number;
  rule_name: string;
  message: string;
}

function squawk(file: string, pgVersion: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(SQUAWK, ['--pg-version', pgVersion, '--no-assume-in-transaction', '--reporter', 'json', file], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // Exit code 1 means "violations found"; anything unparseable is a real error.
      try {
        resolve(JSON.parse(stdout) as Violation[]);
      } catch {
        reject(new Error(`squawk failed: ${err?.message ?? ''} ${stderr}`));
      }
    });
  });
}

interface Located extends Violation {
  text: string;
  findingId: string | null;
}

/** Lints the online script for a findings file; each violation with its line and the step's finding. */
async function lintOnlineScript(url: string, findingsFile: string, dir: string, name: string): Promise<{ violations: Located[]; script: string }> {
  const out = path.join(dir, `${name}.sql`);
  const r = await runCli(['plan', '--db', url, '--findings', findingsFile, '--format', 'sql', '--mode', 'online', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const script = await readFile(out, 'utf8');
  const lines = script.split('\n').map((l) => (l.startsWith('\\') ? `-- ${l}` : l));
  const linted = path.join(dir, `${name}.squawk.sql`);
  await writeFile(linted, lines.join('\n'));
  // server_version may carry a distribution suffix ("15.18 (Debian …)"): squawk wants MAJOR.MINOR.
  const num = await withSession(url, async (c) => Number((await c.query(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v));
  const violations = await squawk(linted, `${Math.floor(num / 10000)}.${num % 10000}`);
  return {
    script,
    violations: violations.map((v) => {
      // squawk's lines are 0-based; the step a line belongs to is named by the \echo before it.
      let findingId: string | null = null;
      for (let i = v.line; i >= 0; i--) {
        const m = /^-- \\echo '\[\d+\/\d+\] ([A-Za-z0-9_.-]+)[ :]/.exec(lines[i]!);
        if (m) {
          findingId = m[1]!;
          break;
        }
      }
      return { ...v, text: lines[v.line]!.trim(), findingId };
    }),
  };
}

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

const describeViolations = (vs: Located[]) => vs.map((v) => `line ${v.line + 1} ${v.rule_name} (${v.findingId ?? 'script header'}): ${v.text.slice(0, 120)} — ${v.message}`).join('\n');

describe('squawk on the online-mode script', () => {
  it('squawk runs offline from node_modules', async () => {
    const version = await new Promise<string>((resolve, reject) =>
      execFile(SQUAWK, ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
    );
    expect(version).toBe('squawk 2.66.0');
  });

  it('every playbook (shop database): clean, except ban-drop-not-null where SET NULL needs it', async () => {
    const db = await createTestDb(template.name);
    try {
      const file = await writeFindings(work.dir, SHOP_FINDINGS);
      const { violations, script } = await lintOnlineScript(db.url, file, work.dir, 'shop');
      expect(script).toContain('CREATE UNIQUE INDEX CONCURRENTLY');
      expect(script).toContain('VALIDATE CONSTRAINT');

      const setNull = (v: Located) => v.rule_name === 'ban-drop-not-null' && v.findingId === 'SHOP-FK-SETNULL' && /^ALTER TABLE public\.invoices ALTER COLUMN customer_id DROP NOT NULL;$/.test(v.text);
      // The exception is real: squawk does flag the DROP NOT NULL that SET NULL needs.
      expect(violations.filter(setNull)).toHaveLength(1);
      const rest = violations.filter((v) => !setNull(v));
      expect(rest, describeViolations(rest)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('the ActorHub demo: what pgmend generates is clean; only reviewed hand-written SQL and SET NULL steps are flagged', async () => {
    const db = await createTestDb('tpl_actorhub');
    try {
      const { violations } = await lintOnlineScript(db.url, path.join(ROOT, 'examples/actorhub/findings-resolved.yaml'), work.dir, 'actorhub');
      const findings = (await import('yaml')).parse(await readFile(path.join(ROOT, 'examples/actorhub/findings-resolved.yaml'), 'utf8')).findings as { id: string; playbook: string; params: { onDelete?: string } }[];
      const playbookOf = new Map(findings.map((f) => [f.id, f]));
      const allowed = (v: Located) => {
        const f = v.findingId ? playbookOf.get(v.findingId) : undefined;
        if (f?.playbook === 'sql') return true;
        return v.rule_name === 'ban-drop-not-null' && f?.playbook === 'foreign-key' && f.params.onDelete === 'set-null' && /DROP NOT NULL;$/.test(v.text);
      };
      expect(violations.filter((v) => v.rule_name === 'ban-drop-not-null' && allowed(v)).length).toBeGreaterThan(0);
      const rest = violations.filter((v) => !allowed(v));
      expect(rest, describeViolations(rest)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
