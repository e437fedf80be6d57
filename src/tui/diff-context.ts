/**
 * The plan's schema diff is a unified diff made with a few lines of context. The reviewer can
 * narrow the context (down to the changed lines alone): hunks are re-cut from the same text, so
 * what is shown is always exactly what the engine computed.
 */

interface BodyLine {
  kind: ' ' | '+' | '-' | '\\';
  text: string;
  hunk: number;
  /** Line numbers in the old / new file where this line sits. */
  oldPos: number;
  newPos: number;
}

interface Parsed {
  header: string[];
  body: BodyLine[];
  hunks: number;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function parse(diff: string): Parsed {
  const header: string[] = [];
  const body: BodyLine[] = [];
  let hunk = -1;
  let oldPos = 0;
  let newPos = 0;
  for (const text of diff.replace(/\n$/, '').split('\n')) {
    const m = HUNK.exec(text);
    if (m) {
      hunk++;
      oldPos = Number(m[1]);
      newPos = Number(m[3]);
      continue;
    }
    if (hunk < 0) {
      if (text.trim()) header.push(text);
      continue;
    }
    const kind = (text[0] ?? ' ') as BodyLine['kind'];
    const k: BodyLine['kind'] = kind === '+' || kind === '-' || kind === '\\' ? kind : ' ';
    body.push({ kind: k, text: text.slice(1), hunk, oldPos, newPos });
    if (k === ' ' || k === '-') oldPos++;
    if (k === ' ' || k === '+') newPos++;
  }
  return { header, body, hunks: hunk + 1 };
}

/** The context the diff was made with: the longest run of context lines before or after a change. */
export function maxContext(diff: string): number {
  const { body } = parse(diff);
  let best = 0;
  let run = 0;
  let prevHunk = -1;
  for (const l of body) {
    if (l.hunk !== prevHunk) run = 0;
    prevHunk = l.hunk;
    if (l.kind === ' ') best = Math.max(best, ++run);
    else run = 0;
  }
  return best;
}

/** The same diff with at most `context` lines around each change (hunk headers recomputed). */
export function withContext(diff: string, context: number): string {
  if (!diff.trim()) return '';
  const { header, body } = parse(diff);
  const isChange = (l: BodyLine) => l.kind === '+' || l.kind === '-';
  const keep = body.map((l, i) => {
    if (l.kind !== ' ') return true;
    for (let d = 1; d <= context; d++) {
      const a = body[i - d];
      const b = body[i + d];
      if ((a && a.hunk === l.hunk && isChange(a)) || (b && b.hunk === l.hunk && isChange(b))) return true;
    }
    return false;
  });
  const groups: BodyLine[][] = [];
  body.forEach((l, i) => {
    if (!keep[i]) return;
    const prevKept = i > 0 && keep[i - 1] && body[i - 1]!.hunk === l.hunk;
    if (!prevKept || groups.length === 0) groups.push([]);
    groups[groups.length - 1]!.push(l);
  });
  const out = [...header];
  for (const g of groups) {
    const oldCount = g.filter((l) => l.kind === ' ' || l.kind === '-').length;
    const newCount = g.filter((l) => l.kind === ' ' || l.kind === '+').length;
    const first = g[0]!;
    const oldStart = oldCount ? first.oldPos : first.oldPos - 1;
    const newStart = newCount ? first.newPos : first.newPos - 1;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const l of g) out.push(l.kind + l.text);
  }
  return out.join('\n') + '\n';
}
