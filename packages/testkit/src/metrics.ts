/**
 * Reading one counter out of a metrics registry in tests. One home for the `counter()` copies
 * tests had written for themselves.
 */
import type { MetricsRegistry } from '@switchyard/core';

/**
 * The value of the counter named `name` (its path joined by `/`), or of the first counter whose
 * name ends with `endsWith`; 0 when there is none (a counter not yet registered has counted nothing).
 */
export function counterValue(stats: MetricsRegistry, name: string | { readonly endsWith: string }): number {
  const matches =
    typeof name === 'string'
      ? (joined: string) => joined === name
      : (joined: string) => joined.endsWith(name.endsWith);
  const sample = stats.snapshot().find((s) => s.kind === 'counter' && matches(s.name.join('/')));
  return sample?.kind === 'counter' ? sample.value : 0;
}
