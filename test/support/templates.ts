import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Template databases built once per test run; tests clone them with CREATE DATABASE … TEMPLATE.
 * The public databases are vendored in examples/<name>/upstream (FIXTURES/<name>).
 */
export const FIXTURES = path.resolve(import.meta.dirname, '../../examples');

function psql(url: string, args: string[], input?: string): void {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, ...args], {
    stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    ...(input === undefined ? {} : { input }),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Chinook's script drops, creates and `\c`onnects to its own database: load only what follows. */
export function chinookBody(): string {
  const text = readFileSync(path.join(FIXTURES, 'chinook/upstream/Chinook_PostgreSql.sql'), 'utf8');
  const cut = text.indexOf('\\c chinook;');
  return cut < 0 ? text : text.slice(cut + '\\c chinook;'.length);
}

/** Loads an example system (examples/<name>/schema.sql + data.sql) into the database at url. */
export async function loadExampleInto(url: string, name: string): Promise<void> {
  const dir = path.resolve(import.meta.dirname, '../../examples', name);
  for (const f of ['schema.sql', 'data.sql']) psql(url, ['-f', path.join(dir, f)]);
}

/** Every file the templates load (global setup checks them before starting a server). */
export const TEMPLATE_FILES = [
  path.join(FIXTURES, 'pagila/upstream/pagila-schema.sql'),
  path.join(FIXTURES, 'pagila/upstream/pagila-data.sql'),
  path.join(FIXTURES, 'chinook/upstream/Chinook_PostgreSql.sql'),
  path.resolve(import.meta.dirname, '../../examples/actorhub/schema.sql'),
  path.resolve(import.meta.dirname, '../../examples/actorhub/data.sql'),
];

export const TEMPLATES: Record<string, (url: string) => Promise<void>> = {
  tpl_actorhub: (url) => loadExampleInto(url, 'actorhub'),
  tpl_pagila: async (url) => {
    psql(url, ['-f', path.join(FIXTURES, 'pagila/upstream/pagila-schema.sql')]);
    psql(url, ['-f', path.join(FIXTURES, 'pagila/upstream/pagila-data.sql')]);
  },
  tpl_chinook: async (url) => {
    psql(url, [], chinookBody());
  },
};
