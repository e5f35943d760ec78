import { defineConfig } from 'tsup';

// One self-contained file for the container image: workspace packages are bundled from their
// TypeScript sources (the `switchyard:source` condition), npm dependencies too.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  bundle: true,
  noExternal: [/.*/],
  splitting: false,
  clean: true,
  sourcemap: true,
  esbuildOptions(options) {
    options.conditions = ['switchyard:source', 'node', 'import', 'default'];
  },
  banner: {
    js: "import { createRequire as __syCreateRequire } from 'node:module'; const require = __syCreateRequire(import.meta.url);",
  },
});
