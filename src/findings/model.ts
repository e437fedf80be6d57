import { z } from 'zod';

/** The findings file: what an audit says is wrong, and which playbook fixes it. */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STRATEGIES = ['delete', 'update', 'set-null'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A literal a resolution writes: scalars only, so it can always be rendered as a quoted literal. */
export const literalSchema = z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'expected a string, number, boolean or null' });
export type Literal = z.infer<typeof literalSchema>;

export const resolutionSchema = z
  .object({
    strategy: z.enum(STRATEGIES, { error: `expected one of ${STRATEGIES.join(', ')}` }),
    /** For duplicate groups: which row of each group survives untouched. */
    keep: z.enum(['oldest', 'newest'], { error: 'expected oldest or newest' }).optional(),
    /** Column that decides oldest/newest (default: the primary key). */
    orderBy: z.string({ error: 'expected a column name' }).min(1, 'expected a column name').optional(),
    /** For `update`: column → new value. */
    set: z.record(z.string(), literalSchema, { error: 'expected {column: value}' }).optional(),
  }, { error: 'expected {strategy: delete | update | set-null, …}' })
  .strict()
  .superRefine((r, ctx) => {
    if (r.strategy === 'update' && (!r.set || Object.keys(r.set).length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['set'], message: 'strategy update needs set: {column: value}' });
    }
    if (r.strategy !== 'update' && r.set) {
      ctx.addIssue({ code: 'custom', path: ['set'], message: `set is only used by strategy update, not ${r.strategy}` });
    }
  });
export type Resolution = z.infer<typeof resolutionSchema>;

/** A reviewer's sign-off, written by the review session: `review: {status, by, at, note}`. */
export const REVIEW_STATUSES = ['approved', 'skipped'] as const;
export const reviewSchema = z
  .object({
    status: z.enum(REVIEW_STATUSES, { error: `expected one of ${REVIEW_STATUSES.join(', ')}` }),
    by: z.string({ error: 'expected the reviewer\'s name' }).min(1, 'expected the reviewer\'s name'),
    at: z.string({ error: 'expected an ISO-8601 time' }).min(1, 'expected an ISO-8601 time'),
    note: z.string().optional(),
  }, { error: 'expected {status: approved | skipped, by, at, note?}' })
  .strict();
export type Review = z.infer<typeof reviewSchema>;

export const findingSchema = z
  .object({
    id: z
      .string({ error: 'expected an id' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected letters, digits, "-", "_" or "." (at most 63)'),
    title: z.string({ error: 'expected a title' }).min(1, 'expected a title'),
    severity: z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }),
    source: z.string().optional(),
    playbook: z.string({ error: 'expected a playbook name' }).min(1, 'expected a playbook name'),
    /** Checked against the playbook's own param declarations once the playbook is known. */
    params: z.record(z.string(), z.unknown(), { error: 'expected a map of params' }),
    resolution: resolutionSchema.optional(),
    review: reviewSchema.optional(),
    /** Written by `pgmend scan`: why the finding was proposed, with the numbers it measured. */
    evidence: z.string({ error: 'expected evidence as text' }).optional(),
  }, { error: 'expected a finding: {id, title, severity, playbook, params}' })
  .strict();
export type Finding = z.infer<typeof findingSchema>;

export const findingsFileSchema = z
  .object({ findings: z.array(z.unknown(), { error: 'expected a list under "findings"' }) }, { error: 'not a findings file' })
  .strict();
