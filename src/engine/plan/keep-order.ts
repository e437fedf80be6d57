import type { Column, Table } from '../../db/catalog.js';
import { findColumn } from '../../db/catalog.js';

/**
 * What "keep the oldest / newest" of a duplicate group actually orders by, and whether that order
 * says anything about age. Without `orderBy` it is the primary key — a random uuid (gen_random_uuid)
 * or a key not drawn from a sequence orders the rows arbitrarily, so "oldest" would mean nothing.
 * Creation timestamps the table has (created_at, "createdAt", inserted_on…) are offered instead.
 */
export interface KeepOrdering {
  /** The columns rows are ranked by, as the catalog spells them (`orderBy`, then the key); empty: physical order (ctid). */
  by: string[];
  /** Why this order says nothing about age, when it does not. */
  random?: string;
  /** Timestamp columns of the table, creation-like first. */
  timestamps: string[];
  /** The creation timestamp to order by instead, when the order is random and the table has one. */
  offer?: string;
}

const TIME_TYPE = /^(timestamp|date\b)/;
/** created_at, createdAt, "CreatedAt", inserted_on, creation_date, date_created, added_at… (case and separators ignored). */
const CREATION = /^(?:(?:creat(?:e|ed|ion)|insert(?:ed|ion)?|add(?:ed)?|registered|recorded)(?:at|on|date|time|timestamp|ts|dt|datetime)?|(?:date|time|timestamp)(?:created|inserted|added))$/;

const folded = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

export function isTimeColumn(c: Column): boolean {
  return TIME_TYPE.test(c.type);
}

export function isCreationColumn(c: Column): boolean {
  return isTimeColumn(c) && CREATION.test(folded(c.name));
}

/** Time-ordered uuid defaults: uuidv7() (PostgreSQL 18), uuid_generate_v7(), uuid_generate_v1*() and similar. */
const TIME_UUID_DEFAULT = /\b(uuidv7|uuid_generate_v7|uuid_generate_v1(mc)?|gen_uuid_v7|uuid_v7)\s*\(/i;

/** Why ordering by `c` says nothing about age; undefined when it does (a sequence, a time, a time-ordered uuid). */
export function randomOrder(c: Column, isKey: boolean): string | undefined {
  const t = c.type;
  if (isTimeColumn(c)) return undefined;
  if (t === 'uuid') return c.default && TIME_UUID_DEFAULT.test(c.default) ? undefined : 'a random uuid';
  // Only a key says "in the order rows came": a column the reviewer chose is ordered as asked.
  if (!isKey) return undefined;
  if (/^(smallint|integer|bigint|numeric)/.test(t)) return c.identity || /\bnextval\s*\(/i.test(c.default ?? '') ? undefined : 'a key not drawn from a sequence';
  return `a ${t.replace(/\(.*\)$/, '')} key, not a sequence`;
}

export function keepOrdering(table: Table, orderBy?: string): KeepOrdering {
  const chosen = orderBy ? findColumn(table, orderBy) : undefined;
  const by = [...(chosen ? [chosen.name] : []), ...table.primaryKey.filter((k) => k !== chosen?.name)];
  const timeCols = table.columns.filter(isTimeColumn);
  const timestamps = [...timeCols.filter(isCreationColumn), ...timeCols.filter((c) => !isCreationColumn(c))].map((c) => c.name);
  const first = by[0] !== undefined ? table.columns.find((c) => c.name === by[0]) : undefined;
  const random = !first ? 'the rows\u2019 physical position (ctid): updates and VACUUM move rows' : randomOrder(first, !chosen);
  const offer = random ? timeCols.find(isCreationColumn)?.name : undefined;
  return { by, ...(random ? { random } : {}), timestamps, ...(offer ? { offer } : {}) };
}
