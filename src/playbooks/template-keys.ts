import Mustache from 'mustache';
import type { Playbook } from './model.js';
import { ENGINE_FIELDS, TARGET_FIELDS, viewFields, type Field } from './view-fields.js';
import { closest } from '../util/did-you-mean.js';

/**
 * Every template of a playbook checked against its typed view when playbooks load: Mustache renders
 * a key the view lacks as nothing, so `{{colums}}` would drop SQL without a word. Sections push
 * their list's item keys (Mustache looks a name up innermost first); `each` templates see their
 * item's keys; `when` names keys too.
 */

type Scope = Map<string, Field | { flags: string[] }>;
export interface TemplateProblem {
  /** Where in the playbook: `steps.window[0].sql`, `checks[duplicates].count`, `params.name.default`. */
  template: string;
  message: string;
  hint?: string;
}

type Token = [string, string, number, number, Token[]?, number?];

/** The field a (dotted) name reaches, innermost scope first; undefined when no scope has it. */
function resolve(name: string, stack: Scope[]): Field | { flags: string[] } | undefined {
  const [head, ...rest] = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i]!.get(head!);
    if (f === undefined) continue;
    if (rest.length === 0) return f;
    // Only an enum's flags go one level deeper: `onDeleteIs.set-null`.
    if (rest.length === 1 && typeof f === 'object' && 'flags' in f && f.flags.includes(rest[0]!)) return 'flag';
    return undefined;
  }
  return undefined;
}

function sectionScope(f: Field | { flags: string[] }): Scope {
  if (typeof f === 'object' && 'list' in f) return new Map([['.', 'text'], ...Object.entries(f.list)]);
  if (typeof f === 'object' && 'flags' in f) return new Map([['.', 'text'], ...f.flags.map((v) => [v, 'flag'] as const)]);
  return new Map([['.', f]]);
}

function unknownKey(template: string, key: string, stack: Scope[]): TemplateProblem {
  const near = closest(key, stack.flatMap((s) => [...s.keys()]).filter((k) => k !== '.'));
  return { template, message: `unknown key {{${key}}}`, hint: near ? `did you mean {{${near}}}?` : 'a view key is a param name with its type’s suffix (README: Playbooks)' };
}

function walk(tokens: Token[], stack: Scope[], template: string): TemplateProblem | undefined {
  for (const t of tokens) {
    const [type, value] = t;
    if (type === 'text' || type === '!' || type === '=') continue;
    if (type === '>') return { template, message: `partial {{> ${value}}} is not supported` };
    const f = resolve(value, stack);
    if (f === undefined) return unknownKey(template, value, stack);
    if (type === '#') {
      const inner = walk(t[4] ?? [], [...stack, sectionScope(f)], template);
      if (inner) return inner;
    } else if (type === '^') {
      const inner = walk(t[4] ?? [], stack, template);
      if (inner) return inner;
    }
  }
  return undefined;
}

export function checkTemplate(text: string, stack: Scope[], template: string): TemplateProblem | undefined {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(text) as unknown as Token[];
  } catch (e) {
    return { template, message: `not a valid template: ${(e as Error).message}` };
  }
  return walk(tokens, stack, template);
}

function checkWhen(when: string | undefined, scope: Scope, template: string): TemplateProblem | undefined {
  for (const key of when?.split('&&').map((k) => k.trim()) ?? []) if (resolve(key, [scope]) === undefined) return unknownKey(template, key, [scope]);
  return undefined;
}

/** The scope of an `each` template: the view plus its list's item keys. */
function eachScope(each: string | undefined, scope: Scope, template: string): Scope[] | TemplateProblem {
  if (!each) return [scope];
  const f = resolve(each, [scope]);
  if (f === undefined) return unknownKey(template, each, [scope]);
  if (typeof f !== 'object' || !('list' in f)) return { template, message: `each: {{${each}}} is not a list` };
  return [scope, new Map(Object.entries(f.list))];
}

/** A name a step refers to (a table param it locks, the check whose rows it changes) that the playbook lacks. */
function unknownName(template: string, what: string, name: string, known: string[]): TemplateProblem {
  const near = closest(name, known);
  return { template, message: `unknown ${what} "${name}"`, hint: near ? `did you mean "${near}"?` : known.length ? `its ${what}s: ${known.join(', ')}` : `the playbook has no ${what}` };
}

/**
 * A step's `tables` and `locks` name table params (an unknown one would declare no lock), `rowsOf`
 * and `rehearse.check` name checks (an unknown one would run the change without its backup).
 */
function stepRefProblem(playbook: Playbook, s: Playbook['steps']['window'][number], at: string): TemplateProblem | undefined {
  const tableParams = Object.entries(playbook.params).filter(([, p]) => p.type === 'table' || p.type === 'tables' || p.type === 'references').map(([n]) => n);
  for (const t of [...s.tables, ...Object.keys(s.locks ?? {})]) if (!tableParams.includes(t)) return unknownName(`${at}.${s.tables.includes(t) ? 'tables' : 'locks'}`, 'table param', t, tableParams);
  const checks = playbook.checks.map((c) => c.id);
  if (s.rowsOf !== undefined && !checks.includes(s.rowsOf)) return unknownName(`${at}.rowsOf`, 'check', s.rowsOf, checks);
  // A rehearsal form relies on a row count: an engine-computed check (the cascade) counts none.
  const counted = playbook.checks.filter((c) => !c.extra).map((c) => c.id);
  if (s.rehearse && !counted.includes(s.rehearse.check)) return unknownName(`${at}.rehearse.check`, 'counted check', s.rehearse.check, counted);
  return undefined;
}

/** The first template of a playbook naming a key its view does not have (or a step naming a param or check it lacks), or undefined. */
export function playbookTemplateProblem(playbook: Playbook): TemplateProblem | undefined {
  const scope = viewFields(playbook);
  // Name defaults render before the other names, the target's order and the engine's keys exist.
  const early: Scope = new Map([...scope].filter(([k]) => !(k in TARGET_FIELDS) && !(k in ENGINE_FIELDS)));
  for (const [name, spec] of Object.entries(playbook.params)) if (spec.type === 'name') for (const k of [name, `${name}Literal`, `${name}Qualified`]) early.delete(k);

  const problems = function* (): Generator<TemplateProblem | undefined> {
    for (const [name, spec] of Object.entries(playbook.params)) if (spec.default) yield checkTemplate(spec.default, [early], `params.${name}.default`);
    for (const c of playbook.checks) {
      for (const k of ['predicate', 'count', 'sample', 'rows', 'ranked', 'values', 'value', 'nullable'] as const) {
        if (c[k] !== undefined) yield checkTemplate(c[k], [scope], `checks[${c.id}].${k}`);
      }
    }
    for (const mode of ['window', 'online'] as const) {
      for (const [i, s] of playbook.steps[mode].entries()) {
        const at = `steps.${mode}[${i}]`;
        yield checkWhen(s.when, scope, `${at}.when`);
        yield stepRefProblem(playbook, s, at);
        const stack = eachScope(s.each, scope, `${at}.each`);
        if (!Array.isArray(stack)) yield stack;
        else {
          yield checkTemplate(s.sql, stack, `${at}.sql`);
          if (s.set !== undefined) yield checkTemplate(s.set, stack, `${at}.set`);
          if (s.rehearse) yield checkTemplate(s.rehearse.sql, stack, `${at}.rehearse.sql`);
        }
      }
    }
    for (const [i, r] of playbook.rollback.entries()) {
      yield checkWhen(r.when, scope, `rollback[${i}].when`);
      const stack = eachScope(r.each, scope, `rollback[${i}].each`);
      yield Array.isArray(stack) ? checkTemplate(r.sql, stack, `rollback[${i}].sql`) : stack;
    }
    for (const [i, v] of playbook.verify.entries()) {
      yield checkWhen(v.when, scope, `verify[${i}].when`);
      yield checkTemplate(v.sql, [scope], `verify[${i}].sql`);
    }
  };
  for (const p of problems()) if (p) return p;
  return undefined;
}
