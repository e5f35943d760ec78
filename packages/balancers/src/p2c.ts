/**
 * Power of two choices: draw two endpoints at random and send the request to the less loaded
 * one. Comparing just two random candidates keeps the maximum load exponentially closer to the
 * mean than one random choice does, at O(1) cost per pick and without global coordination.
 *
 * Source: Michael Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * IEEE Trans. Parallel Distrib. Syst. 12(10), 2001; finagle `Balancers.p2c` / `P2CPick`.
 */
import type { BalancerEndpoint, BalancerFactory } from './balancer.js';
import { baseNode, type CommonBalancerOptions, makeBalancer, perWeight, resolveCommon } from './base.js';
import type { Node, NodeSet } from './node-set.js';

/** Options of {@link p2c}. */
export type P2cOptions = CommonBalancerOptions;

/**
 * Picks two distinct endpoints at random (in proportion to weight) and returns the one with fewer
 * outstanding requests per unit of weight. Linkerd's default balancer (`p2c`, `maxEffort` 5).
 * Pick cost: O(1) with equal weights, O(log n) otherwise.
 */
export function p2c(options: P2cOptions = {}): BalancerFactory {
  const common = resolveCommon('p2c', options);
  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) =>
    makeBalancer<E, Node<E>>(
      'p2c',
      common,
      {
        create: baseNode,
        choose: (set) => chooseTwo(set, (n) => perWeight(n.outstanding, n.weight)),
      },
      params,
    );
}

/** The p2c step shared with peak EWMA and aperture: the cheaper of two weighted random draws. */
export function chooseTwo<E extends BalancerEndpoint, N extends Node<E>>(
  set: NodeSet<E, N>,
  load: (node: N) => number,
  limit = Number.POSITIVE_INFINITY,
): N {
  const end = Math.min(set.pickRange(), limit);
  const nodes = set.nodes;
  if (end === 1) return nodes[0]!;
  const [a, b] = set.sampleTwo(end);
  const na = nodes[a]!;
  const nb = nodes[b]!;
  // Ties go to b, itself a random draw, so ties do not bias towards any position.
  return load(na) < load(nb) ? na : nb;
}
