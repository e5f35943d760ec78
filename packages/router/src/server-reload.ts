/**
 * How a reload's server list maps onto the running one (see `Router.prepareServers`): which
 * servers are kept (their settings change in place), added, removed, or replaced by a new
 * listener because a live `http.Server` cannot take the change (address, header size limit,
 * `reusePort`, a new server factory for TLS or h2).
 */
import { isDeepStrictEqual } from 'node:util';
import type { RouterServerOptions } from './options.js';

/** Indexes into the old and new server lists. */
export interface ServerPlan {
  /** New index → old index of servers kept (changed in place, or unchanged). */
  readonly kept: ReadonlyMap<number, number>;
  /** New indexes of servers to start. */
  readonly added: readonly number[];
  /** Old indexes of servers to drain. */
  readonly removed: readonly number[];
  /** Servers to drain and start anew. */
  readonly replaced: readonly { readonly previous: number; readonly next: number }[];
}

/** A server's identity across a reload: its configured port, or its position among the port-0 servers. */
function keys(servers: readonly RouterServerOptions[]): string[] {
  let ephemeral = 0;
  return servers.map((s) => (s.port === 0 ? `0#${ephemeral++}` : String(s.port)));
}

/** Whether the change needs a new listener rather than a change in place. */
export function needsNewListener(before: RouterServerOptions, after: RouterServerOptions): boolean {
  return (
    (before.ip ?? '127.0.0.1') !== (after.ip ?? '127.0.0.1') ||
    (before.maxHeadersKB ?? 8) !== (after.maxHeadersKB ?? 8) ||
    (before.reusePort ?? false) !== (after.reusePort ?? false) ||
    before.createServer !== after.createServer
  );
}

/** Whether the settings a live server takes in place are equal. */
export function sameServerSettings(before: RouterServerOptions, after: RouterServerOptions): boolean {
  return (
    (before.clearContext ?? false) === (after.clearContext ?? false) &&
    before.maxConcurrentRequests === after.maxConcurrentRequests &&
    before.maxRequestBodyBytes === after.maxRequestBodyBytes &&
    before.requestTimeoutMs === after.requestTimeoutMs &&
    before.headersTimeoutMs === after.headersTimeoutMs &&
    before.keepAliveTimeoutMs === after.keepAliveTimeoutMs &&
    isDeepStrictEqual(before.forwarded ?? {}, after.forwarded ?? {})
  );
}

/** Matches the new list against the running one. */
export function planServers(
  before: readonly RouterServerOptions[],
  after: readonly RouterServerOptions[],
): ServerPlan {
  const oldKeys = keys(before);
  const newKeys = keys(after);
  const oldIndex = new Map(oldKeys.map((k, i) => [k, i]));
  const kept = new Map<number, number>();
  const added: number[] = [];
  const replaced: { previous: number; next: number }[] = [];
  newKeys.forEach((key, next) => {
    const previous = oldIndex.get(key);
    if (previous === undefined) added.push(next);
    else if (needsNewListener(before[previous]!, after[next]!)) replaced.push({ previous, next });
    else kept.set(next, previous);
  });
  const matched = new Set(newKeys);
  const removed = oldKeys.flatMap((k, i) => (matched.has(k) ? [] : [i]));
  return { kept, added, removed, replaced };
}
