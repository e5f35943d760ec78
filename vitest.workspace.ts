/**
 * The single list of test projects: one per package plus the reference ingress.
 * Vitest 4 no longer reads workspace files on its own, so `vitest.config.ts`
 * imports this list into `test.projects`.
 */
import { defineProject } from 'vitest/config';

/** Resolve workspace packages to their TypeScript source, never a stale `dist`. */
const conditions = ['switchyard:source', 'node', 'import', 'module', 'default'];

function project(name: string, root: string, extra: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['switchyard:source'] } },
    test: {
      name,
      root,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      benchmark: { include: ['bench/**/*.bench.ts'] },
      testTimeout: extra.testTimeout ?? 10_000,
    },
  });
}

export const packageNames = [
  'dtab',
  'core',
  'testkit',
  'balancers',
  'k8s',
  'tls',
  'namers',
  'identifiers',
  'router',
  'telemetry',
  'admin',
  'config',
  'acme',
  'limits',
] as const;

export default [
  ...packageNames.map((name) => project(name, `packages/${name}`)),
  project('ingress', 'examples/ingress', { testTimeout: 30_000 }),
  project('custom-gateway', 'examples/custom-gateway'),
  project('faults', 'examples/faults'),
  // The docs that run (README.md, docs/getting-started.md) and the docs' config snippets.
  project('docs', 'scripts/docs-runner', { testTimeout: 60_000 }),
];
