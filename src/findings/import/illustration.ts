import type { CodeBlock } from './markdown.js';

/**
 * SQL a report shows to explain rather than to fix: a scenario walk-through, a numbered list of
 * what a cascade would do, an example. Only statements presented as the fix may become findings,
 * so such a block is skipped whole, and listed with why.
 *
 * - the block's nearest heading names an example or a scenario (`Real-World Deletion Scenario`,
 *   `Example`, `Walk-through`, `What would happen`, `Attack`, `State after`…) and not a fix
 *   (`Fix`, `Solution`, `Remediation`, `Recommended`, `Migration`, `Patch`);
 * - or the block numbers its lines like a list (`1. DELETE FROM …`): steps of what would happen,
 *   which is no SQL a fix would carry (and would not parse).
 */
const SCENARIO = /\b(examples?|scenarios?|illustrat\w*|walk-?through|demonstrat\w*|what (would|will|could) happen|reproduc\w*|attacks?|exploits?|state after)\b/i;
const FIX = /\b(fix|fixes|fixed|solution|remediation|recommend\w*|migration|patch)\b/i;
const NUMBERED = /^\s*\d{1,3}[.)]\s+\S/;

export function illustration(block: CodeBlock): string | null {
  const heading = block.headings[block.headings.length - 1];
  if (heading && SCENARIO.test(heading.text) && !FIX.test(heading.text)) return `under "${heading.text.replace(/:\s*$/, '')}": an example, not the fix`;
  const numbered = block.text.split('\n').filter((l) => NUMBERED.test(l) && !/^\s*--/.test(l)).length;
  if (numbered >= 2) return `a numbered list of ${numbered} steps: what would happen, not the fix`;
  return null;
}
