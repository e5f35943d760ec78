/**
 * The default random source and the diagnostics channels this package publishes on (the clock and
 * stats defaults are core's `systemClock` and `nullStats`). Libraries never log: subscribers to
 * `switchyard:k8s:*` decide what to show.
 */
import { channel } from 'node:diagnostics_channel';
import type { Random } from '@switchyard/core';

/** `Math.random`, the default {@link Random} of the client's backoff jitter. */
export const systemRandom: Random = Math.random;

/**
 * Diagnostics channels of `@switchyard/k8s`. Message shapes:
 * - `request` `{ method, path, status, durationMs }` after every response's headers (or `status: 0` on a transport error);
 * - `list` `{ resource, namespace, items, resourceVersion, pages }` after an informer's complete list;
 * - `relist` `{ resource, namespace, reason, added, modified, deleted }` after a relist replaced the store;
 * - `watchStart` `{ resource, namespace, resourceVersion }`;
 * - `watchEnd` `{ resource, namespace, resourceVersion, events }` when a stream ends cleanly (server timeout);
 * - `watchError` `{ resource, namespace, error, retryInMs }` when a list or watch failed and will be retried;
 * - `retry` `{ method, path, status, delayMs, attempt }` before a one-shot call is retried after a 429 or a `Retry-After`;
 * - `leaderElection` `{ namespace, name, identity, leader, holder }` when a leader elector gains or loses the lease.
 */
export const k8sChannels = Object.freeze({
  request: channel('switchyard:k8s:request'),
  list: channel('switchyard:k8s:list'),
  relist: channel('switchyard:k8s:relist'),
  watchStart: channel('switchyard:k8s:watchStart'),
  watchEnd: channel('switchyard:k8s:watchEnd'),
  watchError: channel('switchyard:k8s:watchError'),
  retry: channel('switchyard:k8s:retry'),
  leaderElection: channel('switchyard:k8s:leaderElection'),
});
