/**
 * Heap: always send the request to the least loaded endpoint, found at the top of a min-heap of
 * outstanding requests per weight. Deterministic and O(log n) per pick and per completion; it
 * reacts instantly to load but, unlike p2c, every client converges on the same "best" endpoint,
 * and at low concurrency the top endpoint takes most requests. Kept for parity with Linkerd's
 * `heap` (finagle `Balancers.heap`, HeapLeastLoaded).
 */
import type { BalancerEndpoint, BalancerFactory } from './balancer.js';
import { baseNode, type CommonBalancerOptions, makeBalancer, perWeight, resolveCommon } from './base.js';
import { createIndexedHeap, type HeapItem } from './indexed-heap.js';
import type { Node } from './node-set.js';

/** Options of {@link heap}. `maxEffort` is accepted for config parity but the heap never re-draws. */
export type HeapOptions = CommonBalancerOptions;

interface HeapNode<E extends BalancerEndpoint> extends Node<E>, HeapItem {}

/**
 * Creates least-loaded balancers backed by two indexed min-heaps: available and unavailable
 * endpoints. The available heap's top is picked; in panic mode the better of both tops.
 */
export function heap(options: HeapOptions = {}): BalancerFactory {
  const common = resolveCommon('heap', options);
  const less = (a: HeapNode<BalancerEndpoint>, b: HeapNode<BalancerEndpoint>) =>
    perWeight(a.outstanding, a.weight) < perWeight(b.outstanding, b.weight);

  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) => {
    const up = createIndexedHeap<HeapNode<E>>(less);
    const down = createIndexedHeap<HeapNode<E>>(less);
    const home = (node: HeapNode<E>) => (node.available ? up : down);
    return makeBalancer<E, HeapNode<E>>(
      'heap',
      common,
      {
        create: (endpoint) => ({ ...baseNode(endpoint), heapIndex: -1 }),
        choose(set) {
          set.pickRange();
          const a = up.peek();
          if (!set.panicking) return a!;
          const b = down.peek();
          if (a === undefined) return b!;
          if (b === undefined) return a;
          return less(b, a) ? b : a;
        },
        start: (node) => {
          home(node).fix(node);
          return 0;
        },
        end: (node) => home(node).fix(node),
        hooks: {
          added: (node) => up.push(node),
          removed: (node) => home(node).remove(node),
          availabilityChanged: (node) => {
            (node.available ? down : up).remove(node);
            home(node).push(node);
          },
          weightChanged: (node) => home(node).fix(node),
        },
        close: () => {
          up.clear();
          down.clear();
        },
      },
      params,
    );
  };
}
