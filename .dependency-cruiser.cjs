/**
 * The engine's architecture, enforced (test/unit/architecture.test.ts runs it with npm test):
 * no import cycles; cli/, tui/ and export/ reach the engine only through src/engine/index.ts;
 * window mode and online mode share their flow (apply/run-flow.ts, guard.ts …) and never import
 * each other; playbooks/ never imports the engine.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into a module both import.',
      from: {},
      // Type-only imports are cruised (the rules below cover them) but a cycle through them is erased at runtime.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
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
    {
      name: 'playbooks-below-the-engine',
      severity: 'error',
      comment: 'Playbooks are data and their rendering: the engine uses them, they never reach into the engine (or cli/, tui/, export/).',
      from: { path: '^src/playbooks/' },
      to: { path: '^src/(engine|cli|tui|export|demo)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` counts: reaching into the engine for a type is reaching into it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
