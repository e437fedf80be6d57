import { Document, isScalar, isSeq, visit } from 'yaml';
import type { ScanResult } from './model.js';

/** The scan result as a findings file: YAML (notes as a leading comment) or JSON of the same shape. */
export function renderScan(result: ScanResult, format: 'yaml' | 'json', database: string): string {
  if (format === 'json') return JSON.stringify({ findings: result.findings }, null, 2) + '\n';
  const doc = new Document({ findings: result.findings });
  const head = [` Proposed by pgmend scan of ${database}. Review every finding before applying it.`];
  if (result.notes.length > 0) head.push(' Reported, no finding:', ...result.notes.map((n) => `   - [${n.rule}] ${n.message}`));
  doc.commentBefore = head.join('\n');
  visit(doc, {
    Seq(_, seq) {
      if (isSeq(seq) && seq.items.length > 0 && seq.items.every((i) => isScalar(i) && !String(i.value).includes('\n'))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
