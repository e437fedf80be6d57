import type { z } from 'zod';

/** `a.b[2].c: message` for the first issue — one line, naming the field. */
export function formatZodIssues(error: z.ZodError, prefix: (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const p = [...prefix, ...issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x))];
  const where = p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : String(k)), '');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return where ? `${where}: ${message}` : message;
}
