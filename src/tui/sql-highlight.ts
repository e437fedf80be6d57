import type { Line, Seg } from './text.js';
import { clean } from './text.js';

/**
 * A small SQL colorer for display only: keywords, strings, numbers, comments. It never decides
 * anything — the engine's SQL is shown exactly as it will run, only tinted.
 */

const KEYWORDS = new Set(
  `ACTION ADD AFTER ALL ALTER AND ANY ARRAY AS ASC BEFORE BEGIN BETWEEN BY CASCADE CASE CHECK COLUMN COMMIT
  CONCURRENTLY CONSTRAINT CREATE CURRENT_DATE CURRENT_TIMESTAMP DECLARE DEFAULT DEFERRABLE DELETE DESC DISTINCT DO
  DROP EACH ELSE ELSIF END ENUM EXCEPTION EXECUTE EXISTS FALSE FOR FOREIGN FROM FUNCTION GROUP HAVING IF IN INCLUDE
  INDEX INITIALLY INNER INSERT INTO IS JOIN KEY LANGUAGE LEFT LIKE LIMIT LOCAL NEW NO NOT NOTIFY NULL NULLS OF OLD ON
  ONLY OR ORDER OUTER PERFORM PRIMARY PROCEDURE RAISE REFERENCES RENAME REPLACE RESTRICT RETURN RETURNS ROLLBACK ROW
  SCHEMA SECURITY DEFINER SELECT SET SHARE TABLE THEN TO TRIGGER TRUE TYPE UNIQUE UPDATE USING VALID VALIDATE VALUES
  WHEN WHERE WITH LOCK MODE ILIKE COALESCE OVER PARTITION`.split(/\s+/),
);

const TOKEN =
  /(--[^\n]*)|(\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?)|(\$[A-Za-z_]*\$)|("(?:[^"]|"")*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_$]*)|(\s+|.)/g;

export function highlightSql(sql: string): Line[] {
  const segs: Seg[] = [];
  for (const m of sql.matchAll(TOKEN)) {
    const [text, comment, block, str, dollar, quoted, num, word] = m;
    if (comment || block) segs.push({ text, tone: 'comment' });
    else if (str || dollar) segs.push({ text, tone: 'string' });
    else if (quoted) segs.push({ text });
    else if (num) segs.push({ text, tone: 'number' });
    else if (word && KEYWORDS.has(word.toUpperCase())) segs.push({ text, tone: 'keyword', bold: true });
    else segs.push({ text });
  }
  // Split segments at newlines into rows, keeping each piece's style.
  const lines: Line[] = [[]];
  for (const s of segs) {
    const parts = s.text.split('\n');
    parts.forEach((p, i) => {
      if (i > 0) lines.push([]);
      if (p) lines[lines.length - 1]!.push({ ...s, text: clean(p) });
    });
  }
  return lines;
}
