/**
 * The e2e tests' HTTP helpers, from testkit (`httpGet`, `eventually`) under the names these tests
 * use: `curl` (a GET that can set `Host`) and `eventually` (poll a probe every 50 ms).
 */
import { httpGet, eventually as poll } from '@switchyard/testkit';

export type { HttpAnswer as Answer } from '@switchyard/testkit';
export { httpGet as curl };

/** Retries `probe` until it returns true (event-driven state settles quickly; no fixed sleeps). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await poll(probe, { timeoutMs, intervalMs: 50 });
}
