import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/fs.ts', 'src/k8s.ts', 'src/dtab-store.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
