import { basename } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import type { Finding } from '../model.js';

/** The findings file as YAML (lists of plain values written inline) or JSON of the same shape. */

export const OUTPUT_FORMATS = ['yaml', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function renderFindings(findings: Finding[], format: OutputFormat, fromFile: string): string {
  if (format === 'json') return JSON.stringify({ findings }, null, 2) + '\n';
  const doc = new Document({ findings });
  doc.commentBefore = ` Imported by pgmend from ${basename(fromFile)}. Review every finding before applying it.`;
  visit(doc, {
    Seq(_, seq) {
      if (isSeq(seq) && seq.items.length > 0 && seq.items.every((i) => isScalar(i) && !String(i.value).includes('\n'))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
