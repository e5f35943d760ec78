/**
 * The part of every balancer that is not the algorithm: option defaults and validation, lease
 * bookkeeping (exactly-once `done`, outstanding counts), panic accounting, stats and close.
 * Each algorithm supplies only `choose` plus optional hooks around a lease.
 */
import type { Clock, Random } from '@switchyard/core';
import type { Balancer, BalancerEndpoint, BalancerParams, Lease, LeaseOutcome } from './balancer.js';
import { BalancerError, requireOption } from './errors.js';
import { createNodeSet, type Node, type NodeSet, type NodeSetHooks } from './node-set.js';

/** Options every balancer accepts. */
export interface CommonBalancerOptions {
  /** Uniform [0, 1) source; default `Math.random`. Seed it in tests (see `mulberry32`). */
  readonly random?: Random;
  /**
   * Linkerd/finagle `maxEffort` (default 5): how often finagle re-picks when it draws an
   * unavailable endpoint. Accepted and validated for config parity, but never needed here:
   * unavailable endpoints are kept out of the sampled range (see `panicThreshold`), so a pick
   * never draws one outside panic mode.
   */
  readonly maxEffort?: number;
  /**
   * Fraction of unavailable endpoints above which the balancer ignores availability and picks
   * among all endpoints (finagle/Envoy panic mode). Default 0.5: panic once most are unavailable.
   * Panic also happens whenever no endpoint is available.
   */
  readonly panicThreshold?: number;
}

/** Options of balancers that measure time. */
export interface ClockedBalancerOptions extends CommonBalancerOptions {
  /** Time source; default the system clock. Fake it in tests. */
  readonly clock?: Clock;
}

/** Weighted load: the lower, the better. A zero weight makes an endpoint the last choice. */
export function perWeight(load: number, weight: number): number {
  return weight > 0 ? load / weight : Number.MAX_VALUE;
}

/** Validated common options with defaults applied. */
export interface ResolvedCommon {
  readonly random: Random;
  readonly maxEffort: number;
  readonly panicThreshold: number;
}

/** Applies defaults to and validates the common options; `where` names the balancer in errors. */
export function resolveCommon(where: string, options: CommonBalancerOptions): ResolvedCommon {
  const maxEffort = options.maxEffort ?? 5;
  const panicThreshold = options.panicThreshold ?? 0.5;
  requireOption(
    Number.isInteger(maxEffort) && maxEffort >= 1,
    where,
    'maxEffort must be an integer >= 1',
    maxEffort,
  );
  requireOption(
    panicThreshold >= 0 && panicThreshold <= 1,
    where,
    'panicThreshold must be in [0, 1]',
    panicThreshold,
  );
  return { random: options.random ?? Math.random, maxEffort, panicThreshold };
}

/** What an algorithm plugs into `makeBalancer`. */
export interface Algorithm<E extends BalancerEndpoint, N extends Node<E>> {
  /** Builds the algorithm's node for a new endpoint (fields beyond `Node` included). */
  create(endpoint: E): N;
  /** Chooses a node; the set is non-empty. */
  choose(set: NodeSet<E, N>): N;
  /** Called when a lease on `node` starts; returns an opaque start stamp for `end`. */
  start?(node: N): number;
  /** Called once when a lease ends, after `outstanding` was decremented. */
  end?(node: N, outcome: LeaseOutcome, stamp: number): void;
  hooks?: NodeSetHooks<N>;
  /** Shuffle new endpoints into place (aperture). */
  shuffle?: boolean;
  /** Extra cleanup on close. */
  close?(): void;
}

/**
 * The lease `pick()` hands out. A class rather than an object literal with a `done` closure: a pick
 * is on every request's path, and this way it allocates one object (its fields) instead of an
 * object plus a closure context, `done` being shared on the prototype. Callers see `Lease<E>`.
 */
class NodeLease<E extends BalancerEndpoint, N extends Node<E>> implements Lease<E> {
  readonly endpoint: E;
  /** `undefined` once settled: `done` counts once. */
  #node: N | undefined;
  readonly #stamp: number;
  readonly #algorithm: Algorithm<E, N>;

  constructor(node: N, stamp: number, algorithm: Algorithm<E, N>) {
    this.endpoint = node.endpoint;
    this.#node = node;
    this.#stamp = stamp;
    this.#algorithm = algorithm;
  }

  done(outcome: LeaseOutcome): void {
    const node = this.#node;
    if (node === undefined) return;
    this.#node = undefined;
    node.outstanding--;
    this.#algorithm.end?.(node, outcome, this.#stamp);
  }
}

/** Creates a node with the shared fields; algorithms spread their own fields over it. */
export function baseNode<E extends BalancerEndpoint>(endpoint: E): Node<E> {
  return { endpoint, key: endpoint.key, weight: endpoint.weight, outstanding: 0, available: true, index: -1 };
}

/** Builds a `Balancer` from an algorithm; see the module comment. */
export function makeBalancer<E extends BalancerEndpoint, N extends Node<E>>(
  name: string,
  common: ResolvedCommon,
  algorithm: Algorithm<E, N>,
  params: BalancerParams | undefined,
): Balancer<E> & { readonly set: NodeSet<E, N> } {
  const set = createNodeSet<E, N>(
    algorithm.create,
    { random: common.random, panicThreshold: common.panicThreshold, shuffle: algorithm.shuffle ?? false },
    algorithm.hooks,
  );
  const stats = params?.stats?.scope('loadbalancer');
  const panicked = stats?.counter('panicked');
  const gauges = stats
    ? [stats.gauge(['size'], () => set.size), stats.gauge(['available'], () => set.available)]
    : [];
  let closed = false;

  function ensureOpen(op: string): void {
    if (closed) throw new BalancerError('SY_ERR_BALANCER_CLOSED', `${name}.${op}() called after close()`);
  }

  return {
    set,
    pick(): Lease<E> | undefined {
      ensureOpen('pick');
      if (set.size === 0) return undefined;
      const node = algorithm.choose(set);
      if (set.panicking) panicked?.incr();
      node.outstanding++;
      return new NodeLease(node, algorithm.start?.(node) ?? 0, algorithm);
    },
    update(endpoints) {
      ensureOpen('update');
      set.update(endpoints);
    },
    get size() {
      return set.size;
    },
    get available() {
      return set.available;
    },
    setAvailable(key, available) {
      set.setAvailable(key, available);
    },
    close() {
      if (closed) return;
      closed = true;
      set.clear();
      for (const g of gauges) g.dispose();
      algorithm.close?.();
    },
  };
}
