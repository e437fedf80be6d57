import type { CreateFunctionStmt, CreateTrigStmt } from 'libpg-query';
import { names, sameName, tableName } from './ast.js';
import type { Statement } from './statements.js';

/** Functions and the triggers that call them, as a report defines them. */

export function functionOf(stmt: Statement): CreateFunctionStmt | undefined {
  return 'CreateFunctionStmt' in stmt.node ? stmt.node.CreateFunctionStmt : undefined;
}

export function triggerOf(stmt: Statement): CreateTrigStmt | undefined {
  return 'CreateTrigStmt' in stmt.node ? stmt.node.CreateTrigStmt : undefined;
}

export function functionName(fn: CreateFunctionStmt): string {
  return names(fn.funcname).join('.');
}

export function triggerTable(trigger: CreateTrigStmt): string {
  return tableName(trigger.relation);
}

/** Does the trigger call this function? Names compare unqualified unless both are qualified. */
export function triggerCalls(trigger: CreateTrigStmt, fn: CreateFunctionStmt): boolean {
  const called = names(trigger.funcname);
  const defined = names(fn.funcname);
  if (!sameName(called[called.length - 1], defined[defined.length - 1])) return false;
  return called.length < 2 || defined.length < 2 || sameName(called[0], defined[0]);
}

/** The function's LANGUAGE option, lower-cased. */
export function functionLanguage(fn: CreateFunctionStmt): string | undefined {
  for (const option of fn.options ?? []) {
    if ('DefElem' in option && option.DefElem.defname === 'language') {
      const arg = option.DefElem.arg;
      if (arg && 'String' in arg) return arg.String.sval?.toLowerCase();
    }
  }
  return undefined;
}

/** The triggers among `statements` that call `fn`, in report order. */
export function triggersCalling(fn: CreateFunctionStmt, statements: Statement[]): Statement[] {
  return statements.filter((s) => {
    const trigger = triggerOf(s);
    return trigger !== undefined && triggerCalls(trigger, fn);
  });
}
