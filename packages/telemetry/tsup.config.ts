import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'tracing/index': 'src/tracing/index.ts',
    'zipkin/index': 'src/zipkin/index.ts',
    'otlp/index': 'src/otlp/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
