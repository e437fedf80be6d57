import { UsageError } from '../util/errors.js';

/**
 * Names as a user writes them (`users`, `app.users`, `"Order"`, `"My Schema"."Order"`), split into
 * parts. Quoted parts keep their case; unquoted parts are kept as written and flagged, so lookups
 * can fold them to lower case the way PostgreSQL does (and still find a table the user spelled in
 * its real mixed case without quotes).
 */
export interface NamePart {
  text: string;
  quoted: boolean;
}

/** Splits a dotted name; throws a UsageError on unbalanced quotes, empty parts or more than `maxParts`. */
export function parseName(ref: string, what: string, maxParts: number): NamePart[] {
  const parts: NamePart[] = [];
  const src = ref.trim();
  let i = 0;
  const invalid = (why: string) => new UsageError(`invalid ${what} name ${JSON.stringify(ref)}: ${why}`, `write it as ${maxParts > 1 ? 'name or schema.name, ' : ''}with "double quotes" around mixed-case names`);
  while (true) {
    let text = '';
    let quoted = false;
    if (src[i] === '"') {
      quoted = true;
      i++;
      while (true) {
        if (i >= src.length) throw invalid('unterminated quote');
        if (src[i] === '"') {
          if (src[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i];
        i++;
      }
    } else {
      while (i < src.length && src[i] !== '.' && src[i] !== '"') text += src[i++];
      text = text.trim();
    }
    if (text === '') throw invalid('empty name part');
    parts.push({ text, quoted });
    if (i >= src.length) break;
    if (src[i] !== '.') throw invalid(`unexpected ${JSON.stringify(src[i])} after a quoted name`);
    i++;
  }
  if (parts.length > maxParts) throw invalid(`too many dotted parts (at most ${maxParts})`);
  return parts;
}

/** The spellings to try for one part, in order: PostgreSQL's folding first, then as written. */
export function spellings(part: NamePart): string[] {
  if (part.quoted) return [part.text];
  const folded = part.text.toLowerCase();
  return folded === part.text ? [folded] : [folded, part.text];
}
