import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLAYBOOKS, loadPlaybooks } from '../../src/playbooks/load.js';
import { runCli } from '../support/cli.js';

/**
 * Every template key is checked when playbooks load: a key the view does not have is a load error
 * naming the file, the playbook, the template and the key — Mustache would render it as nothing.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'pgmend-playbook-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A user playbook directory holding one playbook. */
function userDir(yaml: string): string {
  const d = path.join(dir, `pb${n++}`);
  mkdirSync(d);
  writeFileSync(path.join(d, 'mine.yaml'), yaml);
  return d;
}

const builtin = (name: string) => readFileSync(path.join(BUILTIN_PLAYBOOKS, `${name}.yaml`), 'utf8');

const loadError = async (yaml: string): Promise<string> => {
  const d = userDir(yaml);
  try {
    await loadPlaybooks(d);
  } catch (e) {
    return (e as { line(): string }).line().replace(d + path.sep, '');
  }
  return '(loaded)';
};

const MINE = (sql: string, extra = '') => `name: mine
summary: test
params:
  table: {type: table}
  columns: {type: columns}
  rule: {type: enum, values: [cascade, set-null]}
  where: {type: predicate, optional: true}
${extra}steps:
  window:
    - sql: ${JSON.stringify(sql)}
      lock: SHARE
      tables: [table]
  online: []
`;

describe('playbook template keys', () => {
  it('the built-in playbooks load clean', async () => {
    const set = await loadPlaybooks();
    expect([...set.keys()]).toEqual(['allowed-values', 'check', 'counter', 'foreign-key', 'index', 'not-null', 'sql', 'state-machine', 'unique']);
  });

  it("a typo in a built-in's template is a load error naming the playbook, the template and the key", async () => {
    // The partial index's WHERE, misspelt: Mustache would have rendered an index without it.
    const yaml = builtin('index').replace('{{#where}} WHERE {{where}}{{/where}}"\n      lock: SHARE\n', '{{#where}} WHERE {{wehre}}{{/where}}"\n      lock: SHARE\n');
    expect(yaml).not.toBe(builtin('index'));
    expect(await loadError(yaml)).toBe('mine.yaml: playbook index, steps.window[0].sql: unknown key {{wehre}} — did you mean {{where}}?');
  });

  it('checks keys in checks, rollback, verify, when, each and name defaults, and the names steps refer to', async () => {
    const cases: [string, string][] = [
      [builtin('unique').replace('GROUP BY {{columns}} HAVING', 'GROUP BY {{column}} HAVING'), 'playbook unique, checks[duplicates].count: unknown key {{column}} — did you mean {{columns}}?'],
      [builtin('not-null').replace('DROP NOT NULL"', 'DROP NOT NULL{{nope}}"'), 'playbook not-null, rollback[0].sql: unknown key {{nope}}'],
      [builtin('check').replace('{{nameLiteral}}', '{{nameLiterall}}'), 'playbook check, verify[0].sql: unknown key {{nameLiterall}} — did you mean {{nameLiteral}}?'],
      [builtin('foreign-key').replace('when: "onDeleteIs.set-null && columnsDropNotNull"', 'when: "onDeleteIs.set_null && columnsDropNotNull"'), 'playbook foreign-key, steps.window[1].when: unknown key {{onDeleteIs.set_null}}'],
      [builtin('sql').replace('each: sqlStatements', 'each: sqlStatement'), 'playbook sql, steps.window[0].each: unknown key {{sqlStatement}} — did you mean {{sqlStatements}}?'],
      [builtin('sql').replace('sql: "{{statement}}"', 'sql: "{{statment}}"'), 'playbook sql, steps.window[0].sql: unknown key {{statment}} — did you mean {{statement}}?'],
      [builtin('unique').replace('"{{tableName}}_{{columnsSlug}}_key"', '"{{tableName}}_{{columnSlug}}_key"'), 'playbook unique, params.name.default: unknown key {{columnSlug}} — did you mean {{columnsSlug}}?'],
      // Names a step refers to: a table param (an unknown one would declare no lock), a check (an unknown rowsOf would change rows without their backup).
      [builtin('foreign-key').replace('tables: [table, references]', 'tables: [table, refrences]'), 'playbook foreign-key, steps.window[0].tables: unknown table param "refrences" — did you mean "references"?'],
      [builtin('foreign-key').replace('locks: {references: ROW SHARE}', 'locks: {parent: ROW SHARE}'), 'playbook foreign-key, steps.online[2].locks: unknown table param "parent" — its table params: table, references'],
      [builtin('counter').replace('rowsOf: drift', 'rowsOf: drfit'), 'playbook counter, steps.window[0].rowsOf: unknown check "drfit" — did you mean "drift"?'],
      // A step's rehearsal form: its keys, and the counted check it relies on.
      [builtin('check').replace('CHECK {{expression}} NOT VALID', 'CHECK {{expresion}} NOT VALID'), 'playbook check, steps.window[0].rehearse.sql: unknown key {{expresion}} — did you mean {{expression}}?'],
      [builtin('foreign-key').replace('check: orphans', 'check: cascade'), 'playbook foreign-key, steps.window[0].rehearse.check: unknown counted check "cascade" — its counted checks: orphans'],
    ];
    for (const [yaml, says] of cases) expect(await loadError(yaml)).toMatch(new RegExp(`^mine\\.yaml: ${says.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('sections see their list items and the view; inverted sections the view; a misspelt key inside either fails', async () => {
    const ok = 'ALTER TABLE {{table}}{{#columnsList}} ALTER {{column}} TYPE {{type}} USING {{columns}}{{/columnsList}}{{^where}} -- all rows{{/where}}{{#ruleIs}}{{cascade}}{{/ruleIs}}{{#ruleIs.set-null}}{{onDeleteSql}}{{/ruleIs.set-null}}{{! a comment }}';
    expect(await loadError(MINE(ok))).toMatch(/^mine\.yaml: playbook mine, steps\.window\[0\]\.sql: unknown key \{\{onDeleteSql\}\}/);
    expect(await loadError(MINE(ok.replace('{{onDeleteSql}}', '{{rule}}')))).toBe('(loaded)');
    expect(await loadError(MINE('ALTER TABLE {{table}}{{#columnsList}} ALTER {{colum}}{{/columnsList}}'))).toBe('mine.yaml: playbook mine, steps.window[0].sql: unknown key {{colum}} — did you mean {{column}}?');
    expect(await loadError(MINE('ALTER TABLE {{table}}{{^where}} WHERE {{wher}}{{/where}}'))).toBe('mine.yaml: playbook mine, steps.window[0].sql: unknown key {{wher}} — did you mean {{where}}?');
    expect(await loadError(MINE('ALTER TABLE {{table}}{{#wher}} x{{/wher}}'))).toMatch(/^mine\.yaml: playbook mine, steps\.window\[0\]\.sql: unknown key \{\{wher\}\}/);
    // Item keys are not view keys outside their section.
    expect(await loadError(MINE('ALTER TABLE {{table}} {{type}}'))).toMatch(/unknown key \{\{type\}\}/);
    // Keys the target table gives exist only where the playbook has its target param.
    expect(await loadError(MINE('SELECT 1 ORDER BY {{pkOrder}} LIMIT {{sampleSize}}'))).toBe('(loaded)');
    expect(await loadError(MINE('ALTER TABLE {{table}}{{#columnsList}}', ''))).toMatch(/steps\.window\[0\]\.sql: not a valid template: Unclosed section "columnsList"/);
    expect(await loadError(MINE('ALTER TABLE {{table}} {{> other}}'))).toMatch(/steps\.window\[0\]\.sql: partial \{\{> other\}\} is not supported/);
  });

  it('through the CLI: a user playbook directory with a bad key fails on one line, exit 2, before connecting', async () => {
    const d = userDir(builtin('index').replace('{{#where}} WHERE {{where}}{{/where}}"\n      lock: SHARE\n', '{{#where}} WHERE {{wehre}}{{/where}}"\n      lock: SHARE\n'));
    const findings = path.join(dir, 'findings.yaml');
    writeFileSync(findings, 'findings:\n  - id: A\n    title: an index\n    playbook: index\n    params: {table: events, columns: [kind]}\n');
    const r = await runCli(['plan', '--db', 'postgresql://nobody@127.0.0.1:1/none', '--findings', findings, '--playbooks', d]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`pgmend: ${path.join(d, 'mine.yaml')}: playbook index, steps.window[0].sql: unknown key {{wehre}} — did you mean {{where}}?`]);
    expect(r.stdout).toBe('');
  }, 60_000);
});
