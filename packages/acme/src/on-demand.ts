/**
 * On-demand issuance policy (as Caddy's `on_demand_tls`): a handshake for a name without a
 * certificate may start an order only if the operator allows the name (host patterns and/or an
 * `ask` URL answering 200) and the rate limits have room. Decisions about the limits are
 * synchronous so a handshake is never delayed; the `ask` request runs in the background.
 */
import type { Clock } from '@switchyard/core';
import { hostMatches } from './host-name.js';

/** On-demand options. At least one of `hosts` and `ask` is required. */
export interface OnDemandOptions {
  /** Allowed names: exact (`a.example.com`) or one-label wildcards (`*.example.com`). */
  readonly hosts?: readonly string[];
  /**
   * URL asked `GET <ask>?domain=<name>` before ordering; only a 200 allows the name. Any other
   * status, a network error or a timeout refuses it (it can be asked again after
   * `perNameIntervalMs`).
   */
  readonly ask?: string;
  /** Timeout of the `ask` request, ms. Default 5000. */
  readonly askTimeoutMs?: number;
  /** At most `orders` on-demand orders start per `perMs` (global). Default 10 per 60 000 ms. */
  readonly rateLimit?: { readonly orders: number; readonly perMs: number };
  /** Minimum ms between two on-demand triggers for one name. Default 600 000 (10 min). */
  readonly perNameIntervalMs?: number;
}

/** Why on-demand issuance was not started. */
export type OnDemandRefusal = 'disabled' | 'invalidName' | 'notAllowed' | 'notLeader' | 'rateLimited';

/** The outcome of {@link OnDemandPolicy.admit}. */
export type Admission =
  | { readonly kind: 'admit' }
  | { readonly kind: 'refuse'; readonly reason: OnDemandRefusal };

/** Sliding-window limits and the name patterns, with the `ask` check. */
export interface OnDemandPolicy {
  /** Synchronous check of the patterns and limits; on `admit` the name's tokens are spent. */
  admit(host: string): Admission;
  /** Resolves `true` when the `ask` URL (if any) answers 200 for `host`. Never rejects. */
  ask(host: string): Promise<boolean>;
}

const ADMIT: Admission = Object.freeze({ kind: 'admit' });
const refuse = (reason: OnDemandRefusal): Admission => ({ kind: 'refuse', reason });

/** Builds the policy; options are validated by the manager. */
export function createOnDemandPolicy(o: OnDemandOptions, clock: Clock): OnDemandPolicy {
  const orders = o.rateLimit?.orders ?? 10;
  const perMs = o.rateLimit?.perMs ?? 60_000;
  const perName = o.perNameIntervalMs ?? 600_000;
  const starts: number[] = [];
  const lastTrigger = new Map<string, number>();
  return {
    admit(host) {
      if (o.hosts !== undefined && !o.hosts.some((p) => hostMatches(p, host))) return refuse('notAllowed');
      const now = clock.now();
      const last = lastTrigger.get(host);
      if (last !== undefined && now - last < perName) return refuse('rateLimited');
      while (starts.length > 0 && now - starts[0]! >= perMs) starts.shift();
      if (starts.length >= orders) return refuse('rateLimited');
      starts.push(now);
      // Bound the memory an attacker sending many allowed names can use.
      if (lastTrigger.size >= 10_000) {
        for (const [h, t] of lastTrigger) if (now - t >= perName) lastTrigger.delete(h);
      }
      lastTrigger.set(host, now);
      return ADMIT;
    },
    async ask(host) {
      if (o.ask === undefined) return true;
      const url = new URL(o.ask);
      url.searchParams.set('domain', host);
      try {
        const res = await fetch(url, {
          signal: AbortSignal.timeout(o.askTimeoutMs ?? 5000),
          redirect: 'manual',
        });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
  };
}
