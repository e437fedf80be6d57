import type { Proposal, RuleContext, ScanNote } from './model.js';
import { fkWithoutIndex } from './rules/fk-without-index.js';
import { notValidConstraint } from './rules/not-valid-constraint.js';
import { invalidIndex } from './rules/invalid-index.js';
import { redundantIndex } from './rules/redundant-index.js';
import { fkTypeMismatch } from './rules/fk-type-mismatch.js';
import { noRowKey } from './rules/no-row-key.js';

/** The rules that read only the catalog. */
export function structuralRules(ctx: RuleContext): { proposals: Proposal[]; notes: ScanNote[] } {
  return {
    proposals: [...fkWithoutIndex(ctx), ...notValidConstraint(ctx), ...invalidIndex(ctx), ...redundantIndex(ctx), ...fkTypeMismatch(ctx)],
    notes: noRowKey(ctx),
  };
}
