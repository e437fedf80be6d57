import { z } from 'zod';
import type { Playbook, ParamSpec } from './model.js';

/**
 * The structural shape each param type must have in a findings file. Meaning (does the table
 * exist, does the expression parse) is checked later, against the catalog and the parser.
 */
const nonEmptyString = (what: string) => z.string({ error: `expected ${what}` }).trim().min(1, `expected ${what}`);
const stringList = (what: string, plural = `${what}s`) =>
  z.array(nonEmptyString(what), { error: `expected a list of ${plural}` }).min(1, `expected at least one ${what}`);
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });

function typeSchema(spec: ParamSpec): z.ZodType {
  switch (spec.type) {
    case 'table':
      return nonEmptyString('a table name');
    case 'column':
      return nonEmptyString('a column name');
    case 'columns':
      return stringList('column name');
    case 'keys':
      return stringList('column name or expression', 'column names or expressions');
    case 'expression':
    case 'predicate':
      return nonEmptyString('an SQL expression');
    case 'name':
      return nonEmptyString('a name').max(63, 'expected a name of at most 63 characters');
    case 'enum':
      return z.enum((spec.values ?? []) as [string, ...string[]], { error: `expected one of ${(spec.values ?? []).join(', ')}` });
    case 'values':
      return z.array(scalar, { error: 'expected a list of values' }).min(1, 'expected at least one value');
    case 'transitions':
      return z.record(z.string(), z.array(z.string(), { error: 'expected a list of next states' }), {
        error: 'expected a map of STATE: [NEXT…]',
      }).refine((m) => Object.keys(m).length > 0, 'expected at least one state');
    case 'references':
      return z
        .object({ table: nonEmptyString('a table name'), columns: stringList('column name') }, { error: 'expected {table, columns}' })
        .strict();
    case 'sql':
      return nonEmptyString('SQL statements');
    case 'tables':
      return stringList('table name');
  }
}

export function paramsSchema(playbook: Playbook): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(playbook.params)) {
    const t = typeSchema(spec);
    shape[name] = spec.optional ? t.optional() : t;
  }
  return z.object(shape).strict();
}
