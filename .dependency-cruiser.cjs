/**
 * The engine's architecture, enforced (test/unit/architecture.test.ts runs it with npm test):
 * no import cycles; cli/, tui/ and export/ reach the engine only through src/engine/index.ts;
 * window mode and online mode share their flow (apply/run-flow.ts, guard.ts …) and never import
 * each other.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into a module both import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-through-its-index',
      severity: 'error',
      comment: 'cli/, tui/ and export/ import the engine from src/engine/index.ts only.',
      from: { path: '^src/(cli|tui|export)/' },
      to: { path: '^src/engine/', pathNot: '^src/engine/index\\.ts$' },
    },
    {
      name: 'window-and-online-apart',
      severity: 'error',
      comment: 'Window mode and online mode differ only where they must; what they share lives in apply/.',
      from: { path: '^src/engine/apply/(window|online)-mode\\.ts$' },
      to: { path: '^src/engine/apply/(window|online)-mode\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
