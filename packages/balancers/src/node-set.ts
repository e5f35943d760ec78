/**
 * The endpoint bookkeeping every balancer shares: the set is an array kept partitioned as
 * [available…, unavailable…] plus a key → node map. `update` diffs by key in O(n + m); picking
 * samples a prefix of the array in O(1) (equal weights) or O(log n) (a Fenwick tree of weights),
 * so no pick ever scans the set. Removed nodes are detached, not reset: leases still holding one
 * settle against its own counters and cannot disturb the live set.
 */
import type { Random } from '@switchyard/core';
import type { BalancerEndpoint } from './balancer.js';
import { BalancerError } from './errors.js';
import { buildFenwick, type Fenwick } from './fenwick.js';
import { randomInt } from './random.js';

/** Per-endpoint state shared by all algorithms; algorithms extend it with their own fields. */
export interface Node<E extends BalancerEndpoint> {
  endpoint: E;
  readonly key: string;
  weight: number;
  /** Leases picked and not yet done. */
  outstanding: number;
  available: boolean;
  /** Position in the node array, or -1 once removed from the set. */
  index: number;
}

/** Callbacks an algorithm uses to keep its own structures (a heap, a load band) in step. */
export interface NodeSetHooks<N> {
  added?(node: N): void;
  removed?(node: N): void;
  availabilityChanged?(node: N): void;
  weightChanged?(node: N): void;
}

/** Options shared by the node set of every balancer. */
export interface NodeSetOptions {
  readonly random: Random;
  /** Fraction of unavailable endpoints above which availability is ignored (panic mode). */
  readonly panicThreshold: number;
  /** Place new endpoints at a random position among the available ones (aperture uses this). */
  readonly shuffle?: boolean;
}

/** The shared endpoint set; see the module comment. */
export interface NodeSet<E extends BalancerEndpoint, N extends Node<E>> {
  readonly nodes: readonly N[];
  readonly size: number;
  readonly available: number;
  update(endpoints: readonly E[]): void;
  get(key: string): N | undefined;
  setAvailable(key: string, available: boolean): void;
  /**
   * Length of the prefix of `nodes` a pick may draw from: the available ones, or all of them when
   * more than `panicThreshold` of the set is unavailable (or none is available).
   */
  pickRange(): number;
  /** True when the last `pickRange()` ignored availability. */
  readonly panicking: boolean;
  /** True when weights differ, so sampling goes through the weight tree. */
  readonly weighted: boolean;
  /** Total weight of positions [0, end). Only meaningful when `weighted`. */
  weightOf(end: number): number;
  /** The position in [0, end) whose cumulative-weight interval contains `target`. */
  at(target: number, end: number): number;
  /** A position in [0, end), drawn proportionally to weight. */
  sample(end: number): number;
  /**
   * Two positions in [0, end) (end ≥ 2): distinct and uniform with equal weights; independent
   * weighted draws otherwise (they may coincide, which only means that endpoint is picked).
   */
  sampleTwo(end: number): [number, number];
  clear(): void;
}

/** Creates the shared node set; `create` builds an algorithm's node for a new endpoint. */
export function createNodeSet<E extends BalancerEndpoint, N extends Node<E>>(
  create: (endpoint: E) => N,
  options: NodeSetOptions,
  hooks: NodeSetHooks<N> = {},
): NodeSet<E, N> {
  const { random, panicThreshold } = options;
  const nodes: N[] = [];
  const byKey = new Map<string, N>();
  let availableCount = 0;
  let fenwick: Fenwick | undefined;
  let panicking = false;
  const seen = new Set<string>();

  function place(node: N, i: number): void {
    nodes[i] = node;
    node.index = i;
    fenwick?.set(i, node.weight);
  }

  function swap(i: number, j: number): void {
    if (i === j) return;
    const a = nodes[i]!;
    place(nodes[j]!, i);
    place(a, j);
  }

  function add(endpoint: E): void {
    const node = create(endpoint);
    node.index = nodes.length;
    node.available = true;
    nodes.push(node);
    // New nodes start available: move into the available partition.
    swap(node.index, availableCount);
    availableCount++;
    if (options.shuffle) swap(node.index, randomInt(random, availableCount));
    byKey.set(node.key, node);
    hooks.added?.(node);
  }

  function remove(node: N): void {
    if (node.available) {
      swap(node.index, availableCount - 1);
      availableCount--;
    }
    swap(node.index, nodes.length - 1);
    nodes.pop();
    node.index = -1;
    byKey.delete(node.key);
    hooks.removed?.(node);
  }

  function sample(end: number): number {
    if (fenwick !== undefined) {
      const total = fenwick.prefix(end);
      if (total > 0) return fenwick.find(random() * total, end);
    }
    return randomInt(random, end);
  }

  function rebuildWeights(): void {
    let uniform = true;
    const w0 = nodes[0]?.weight;
    for (const node of nodes) if (node.weight !== w0) uniform = false;
    fenwick = uniform ? undefined : buildFenwick(nodes.map((n) => n.weight));
  }

  return {
    nodes,
    get size() {
      return nodes.length;
    },
    get available() {
      return availableCount;
    },
    get panicking() {
      return panicking;
    },
    update(endpoints) {
      seen.clear();
      // Positions move during the diff; the weight tree is rebuilt once at the end.
      fenwick = undefined;
      for (const endpoint of endpoints) {
        const w = endpoint.weight;
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
          throw new BalancerError(
            'SY_ERR_BALANCER_INVALID_WEIGHT',
            `endpoint ${endpoint.key}: weight must be a finite number >= 0; got ${String(w)}`,
          );
        }
        seen.add(endpoint.key);
        const node = byKey.get(endpoint.key);
        if (node === undefined) {
          add(endpoint);
        } else {
          node.endpoint = endpoint;
          if (node.weight !== w) {
            node.weight = w;
            hooks.weightChanged?.(node);
          }
        }
      }
      // Walk backwards: removal swaps the tail into the hole.
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        if (node !== undefined && !seen.has(node.key)) remove(node);
      }
      rebuildWeights();
    },
    get(key) {
      return byKey.get(key);
    },
    setAvailable(key, available) {
      const node = byKey.get(key);
      if (node === undefined || node.available === available) return;
      if (available) {
        swap(node.index, availableCount);
        availableCount++;
      } else {
        swap(node.index, availableCount - 1);
        availableCount--;
      }
      node.available = available;
      hooks.availabilityChanged?.(node);
    },
    pickRange() {
      const size = nodes.length;
      panicking = availableCount === 0 || size - availableCount > panicThreshold * size;
      return panicking ? size : availableCount;
    },
    get weighted() {
      return fenwick !== undefined;
    },
    weightOf: (end) => fenwick?.prefix(end) ?? end,
    at: (target, end) =>
      fenwick === undefined ? Math.min(Math.floor(target), end - 1) : fenwick.find(target, end),
    sample,
    sampleTwo(end) {
      if (fenwick === undefined) {
        // Uniform, without replacement: draw b from end-1 slots and skip over a.
        const a = randomInt(random, end);
        let b = randomInt(random, end - 1);
        if (b >= a) b++;
        return [a, b];
      }
      // Weighted: two independent draws (with replacement), so that when loads tie the winner,
      // the second draw, is distributed exactly in proportion to weight.
      return [sample(end), sample(end)];
    },
    clear() {
      for (let i = nodes.length - 1; i >= 0; i--) remove(nodes[i]!);
      fenwick = undefined;
    },
  };
}
