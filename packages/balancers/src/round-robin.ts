/**
 * Round robin: endpoints take turns, ignoring load. Cheapest and most predictable; right when
 * endpoints are identical and requests uniform, wrong when latencies differ (it keeps feeding a
 * slow endpoint its full share). Linkerd `roundRobin`, finagle `Balancers.roundRobin`.
 */
import type { BalancerEndpoint, BalancerFactory } from './balancer.js';
import { baseNode, type CommonBalancerOptions, makeBalancer, resolveCommon } from './base.js';
import type { Node, NodeSet } from './node-set.js';

/** Options of {@link roundRobin}. `maxEffort` (default 5) is accepted for config parity. */
export type RoundRobinOptions = CommonBalancerOptions;

/**
 * Creates round-robin balancers over the available endpoints (all of them in panic mode).
 * With unequal weights it walks the cumulative weight line in equal steps from a random phase
 * each cycle (systematic sampling), so each endpoint's share is proportional to its weight.
 * Pick cost O(1) with equal weights, O(log n) otherwise.
 */
export function roundRobin(options: RoundRobinOptions = {}): BalancerFactory {
  const common = resolveCommon('roundRobin', options);
  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) => {
    let cursor = 0;
    let offset = Number.POSITIVE_INFINITY;
    function choose(set: NodeSet<E, Node<E>>): Node<E> {
      const end = set.pickRange();
      const nodes = set.nodes;
      const first = nodes[0]!;
      if (end === 1) return first;
      if (!set.weighted) {
        cursor = (cursor + 1) % end;
        return nodes[cursor]!;
      }
      const total = set.weightOf(end);
      const step = total / end;
      offset += step;
      if (offset >= total) offset = common.random() * step;
      return nodes[set.at(offset, end)]!;
    }
    return makeBalancer<E, Node<E>>('roundRobin', common, { create: baseNode, choose }, params);
  };
}
