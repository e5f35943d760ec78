import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDefaultKinds } from './default-kinds.js';
import { renderConfigurationReference } from './reference.js';

describe('configuration reference', () => {
  const rendered = renderConfigurationReference(createDefaultKinds());

  it('documents every kind and the options of the post', () => {
    for (const text of [
      '`io.l5d.k8s`',
      '`io.l5d.ingress`',
      '`io.l5d.fs`',
      '`clearContext`',
      '`certPath`',
      '`p2c`',
    ]) {
      expect(rendered).toContain(text);
    }
  });

  it('is what docs/configuration.md holds (run `pnpm --filter @switchyard/config gen:docs`)', () => {
    const committed = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(rendered);
  });
});
