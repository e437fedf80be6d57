import React from 'react';
import { LinesView } from './LineView.js';
import { highlightSql } from './sql-highlight.js';
import { wrapMarked, type Line } from './text.js';

/** SQL exactly as it runs, colored, wrapped to the width (a wrapped row is marked `↪`). */
export function sqlLines(sql: string, width: number): Line[] {
  return highlightSql(sql).flatMap((l) => wrapMarked(l, width));
}

export function SqlView({ sql, width }: { sql: string; width: number }) {
  return <LinesView lines={sqlLines(sql, width)} width={width} />;
}
