import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadFindingsFile, parseFindingsText } from '../../src/findings/load.js';
import { loadPlaybooks, type PlaybookSet } from '../../src/playbooks/load.js';
import { errorMessage, UsageError } from '../../src/util/errors.js';

/**
 * The findings loader, with the real playbooks: every mistake in a findings file is one line that
 * names the file, the finding, the field and what is expected (exit code 2, a usage error).
 */

let playbooks: PlaybookSet;
let dir: string;

beforeAll(async () => {
  playbooks = await loadPlaybooks();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-findings-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The one line the CLI would print, from parsing `text` as findings.yaml. */
function errorOf(text: string): string {
  try {
    parseFindingsText(text, 'findings.yaml', playbooks);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    const line = errorMessage(e);
    expect(line.split('\n')).toHaveLength(1);
    return line;
  }
  throw new Error('expected an error');
}

async function fileErrorOf(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  try {
    await loadFindingsFile(file, playbooks);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return errorMessage(e);
  }
  throw new Error('expected an error');
}

/** One finding PLS-07 with the given lines after its severity (YAML, indented 4). */
function finding(lines: string, id = 'PLS-07'): string {
  return `findings:\n  - id: ${id}\n    title: Submissions are not unique\n    severity: high\n${lines}`;
}

const UNIQUE = '    playbook: unique\n    params: {table: learning_submission, columns: [user_id, attempt]}\n';

describe('valid files', () => {
  it('YAML and the JSON of the same shape load to the same findings', () => {
    const yaml = finding(UNIQUE + '    resolution: {strategy: delete, keep: oldest}\n');
    const json = JSON.stringify({
      findings: [
        {
          id: 'PLS-07',
          title: 'Submissions are not unique',
          severity: 'high',
          playbook: 'unique',
          params: { table: 'learning_submission', columns: ['user_id', 'attempt'] },
          resolution: { strategy: 'delete', keep: 'oldest' },
        },
      ],
    });
    const a = parseFindingsText(yaml, 'f.yaml', playbooks);
    expect(a).toEqual(parseFindingsText(json, 'f.json', playbooks));
    expect(a[0]).toMatchObject({ id: 'PLS-07', playbook: 'unique', resolution: { strategy: 'delete', keep: 'oldest' } });
  });

  it('the demo files load: 76 findings, 35 of them with a resolution', async () => {
    const examples = path.resolve(import.meta.dirname, '../../examples/actorhub');
    expect(await loadFindingsFile(path.join(examples, 'findings.yaml'), playbooks)).toHaveLength(76);
    const resolved = await loadFindingsFile(path.join(examples, 'findings-resolved.yaml'), playbooks);
    expect(resolved.filter((f) => f.resolution)).toHaveLength(35);
  });

  it('an empty list is a valid (empty) file', () => {
    expect(parseFindingsText('findings: []\n', 'f.yaml', playbooks)).toEqual([]);
  });
});

describe('file-level errors', () => {
  it('malformed YAML names the line', () => {
    expect(errorOf('findings:\n  - id: A\n   title: x\n')).toBe('findings.yaml: not valid YAML: Sequence item without - indicator at line 3, column 1');
    expect(errorOf('findings:\n  - id: a\n    title: [unclosed\n')).toMatch(/^findings\.yaml: not valid YAML: .* at line \d+, column \d+$/);
  });

  it('duplicate keys are malformed YAML', () => {
    expect(errorOf('findings:\n  - id: A\n    id: B\n')).toBe('findings.yaml: not valid YAML: Map keys must be unique at line 3, column 5');
  });

  it('malformed JSON says JSON, with the position', () => {
    expect(errorOf('{"findings": [ {"id": "A",, } ]}')).toMatch(/^findings\.yaml: not valid JSON: .* at line 1, column \d+$/);
  });

  it('an empty file', () => {
    expect(errorOf('')).toBe('findings.yaml: is empty — expected "findings:" with a list of findings');
    expect(errorOf('  \n\n')).toBe('findings.yaml: is empty — expected "findings:" with a list of findings');
  });

  it('a binary file', async () => {
    expect(await fileErrorOf('bin.yaml', Buffer.from([0x66, 0x00, 0x01, 0xff]))).toBe('bin.yaml: is a binary file, not YAML or JSON');
  });

  it('a file that cannot be read', async () => {
    await expect(loadFindingsFile(path.join(dir, 'missing.yaml'), playbooks)).rejects.toThrow(`cannot read findings file ${path.join(dir, 'missing.yaml')}: no such file`);
    await expect(loadFindingsFile(dir, playbooks)).rejects.toThrow('it is a directory');
  });

  it('not a findings: list', () => {
    expect(errorOf('findings: {a: 1}\n')).toBe('findings.yaml: findings: expected a list under "findings" — expected a top-level "findings:" list');
    expect(errorOf('items: []\n')).toBe('findings.yaml: findings: expected a list under "findings" — expected a top-level "findings:" list');
    expect(errorOf('just words\n')).toBe('findings.yaml: not a findings file — expected a top-level "findings:" list');
    expect(errorOf('findings: []\nextra: 1\n')).toBe('findings.yaml: unknown field extra — expected a top-level "findings:" list');
    expect(errorOf('findings:\n  - just a string\n')).toBe('findings.yaml: findings[0]: expected a finding: {id, title, severity, playbook, params}');
  });
});

describe('finding-level errors', () => {
  it('missing fields name the finding (or its index when it has no id)', () => {
    expect(errorOf('findings:\n  - title: t\n    severity: high\n' + UNIQUE)).toBe('findings.yaml: findings[0].id: expected an id');
    expect(errorOf(`findings:\n  - id: X-1\n    severity: high\n${UNIQUE}`)).toBe('findings.yaml: X-1.title: expected a title');
    expect(errorOf(finding('    params: {table: t, columns: [a]}\n'))).toBe('findings.yaml: PLS-07.playbook: expected a playbook name');
    expect(errorOf(finding('    playbook: unique\n'))).toBe('findings.yaml: PLS-07.params: expected a map of params');
    expect(errorOf(finding('    playbook: unique\n    params: {columns: [a]}\n'))).toBe('findings.yaml: PLS-07.params.table: expected a table name');
  });

  it('invalid fields', () => {
    expect(errorOf(finding(UNIQUE).replace('severity: high', 'severity: urgent'))).toBe(
      'findings.yaml: PLS-07.severity: expected one of critical, high, medium, low',
    );
    expect(errorOf(finding(UNIQUE).replace('title: Submissions are not unique', 'title: ""'))).toBe('findings.yaml: PLS-07.title: expected a title');
    expect(errorOf(finding(UNIQUE, 'bad id!'))).toMatch(/\.id: expected letters, digits, "-", "_" or "\." \(at most 63\)$/);
    expect(errorOf(finding(UNIQUE + '    severty: high\n'))).toBe('findings.yaml: PLS-07: unknown field severty');
    expect(errorOf(finding('    playbook: unique\n    params: [table, columns]\n'))).toBe('findings.yaml: PLS-07.params: expected a map of params');
  });

  it('params of the wrong shape, by the playbook’s own declarations', () => {
    expect(
      errorOf(finding('    playbook: foreign-key\n    params: {table: x, columns: user_id, references: {table: users, columns: [id]}, onDelete: cascade}\n')),
    ).toBe('findings.yaml: PLS-07.params.columns: expected a list of column names');
    expect(errorOf(finding('    playbook: unique\n    params: {table: x, columns: a}\n'))).toBe(
      'findings.yaml: PLS-07.params.columns: expected a list of column names or expressions',
    );
    expect(errorOf(finding('    playbook: unique\n    params: {table: x, columns: []}\n'))).toBe(
      'findings.yaml: PLS-07.params.columns: expected at least one column name or expression',
    );
    expect(
      errorOf(finding('    playbook: foreign-key\n    params: {table: x, columns: [a], references: {table: y, columns: [id]}, onDelete: destroy}\n')),
    ).toBe('findings.yaml: PLS-07.params.onDelete: expected one of cascade, set-null, set-default, restrict, no-action');
    expect(errorOf(finding('    playbook: foreign-key\n    params: {table: x, columns: [a], references: users, onDelete: cascade}\n'))).toBe(
      'findings.yaml: PLS-07.params.references: expected {table, columns}',
    );
    expect(errorOf(finding('    playbook: check\n    params: {table: x, name: c, expression: "   "}\n'))).toBe(
      'findings.yaml: PLS-07.params.expression: expected an SQL expression',
    );
    expect(errorOf(finding(`    playbook: check\n    params: {table: x, name: ${'n'.repeat(64)}, expression: a > 0}\n`))).toBe(
      'findings.yaml: PLS-07.params.name: expected a name of at most 63 characters',
    );
    expect(errorOf(finding('    playbook: allowed-values\n    params: {table: x, column: s, values: []}\n'))).toBe(
      'findings.yaml: PLS-07.params.values: expected at least one value',
    );
    expect(errorOf(finding('    playbook: state-machine\n    params: {table: x, column: s, transitions: {A: B}}\n'))).toBe(
      'findings.yaml: PLS-07.params.transitions.A: expected a list of next states',
    );
  });

  it('an unknown param', () => {
    expect(errorOf(finding('    playbook: unique\n    params: {table: x, columns: [a], colums: [b]}\n'))).toBe('findings.yaml: PLS-07.params: unknown field colums');
  });

  it('duplicate ids', () => {
    const text = finding('    playbook: index\n    params: {table: x, columns: [a]}\n') + '  - id: PLS-07\n    title: again\n    severity: low\n    playbook: index\n    params: {table: y, columns: [b]}\n';
    expect(errorOf(text)).toBe('findings.yaml: PLS-07: duplicate id — ids must be unique in a file');
  });

  it('an unknown playbook lists the known ones', () => {
    expect(errorOf(finding('    playbook: uniq\n    params: {table: x}\n'))).toBe(
      'findings.yaml: PLS-07.playbook: unknown playbook "uniq" — known playbooks: allowed-values, check, counter, foreign-key, index, not-null, sql, state-machine, unique',
    );
  });
});

describe('resolutions', () => {
  const withResolution = (r: string) => finding(`${UNIQUE}    resolution: ${r}\n`);

  it('an unknown strategy', () => {
    expect(errorOf(withResolution('{strategy: merge}'))).toBe('findings.yaml: PLS-07.resolution.strategy: expected one of delete, update, set-null');
  });

  it('update without set, and set without update', () => {
    expect(errorOf(withResolution('{strategy: update}'))).toBe('findings.yaml: PLS-07.resolution.set: strategy update needs set: {column: value}');
    expect(errorOf(withResolution('{strategy: update, set: {}}'))).toBe('findings.yaml: PLS-07.resolution.set: strategy update needs set: {column: value}');
    expect(errorOf(withResolution('{strategy: delete, set: {a: 1}}'))).toBe('findings.yaml: PLS-07.resolution.set: set is only used by strategy update, not delete');
  });

  it('bad keep, set values and shapes', () => {
    expect(errorOf(withResolution('{strategy: delete, keep: first}'))).toBe('findings.yaml: PLS-07.resolution.keep: expected oldest or newest');
    expect(errorOf(withResolution('{strategy: update, set: {a: [1, 2]}}'))).toBe('findings.yaml: PLS-07.resolution.set.a: expected a string, number, boolean or null');
    expect(errorOf(withResolution('delete'))).toBe('findings.yaml: PLS-07.resolution: expected {strategy: delete | update | set-null, …}');
    expect(errorOf(withResolution('{strategy: delete, when: now}'))).toBe('findings.yaml: PLS-07.resolution: unknown field when');
  });
});
