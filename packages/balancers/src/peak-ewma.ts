/**
 * Peak EWMA: p2c where an endpoint's load is its latency estimate times the requests it would
 * have in flight. The estimate jumps to any latency above it at once and decays towards lower
 * observations only over `decayTimeMs`, so a slow endpoint is shunned quickly and trusted again
 * slowly. Observations are unevenly spaced, so the decay weight uses the elapsed time.
 *
 * Source: finagle `PeakEwma` (Balancers.p2cPeakEwma), and Eckner, "Algorithms for Unevenly
 * Spaced Time Series" for the time-weighted moving average.
 */
import type { Clock } from '@switchyard/core';
import { systemClock } from '@switchyard/core';
import type { BalancerEndpoint, BalancerFactory } from './balancer.js';
import { baseNode, type ClockedBalancerOptions, makeBalancer, resolveCommon } from './base.js';
import { requireOption } from './errors.js';
import type { Node } from './node-set.js';
import { chooseTwo } from './p2c.js';

/** Options of {@link p2cPeakEwma}. */
export interface PeakEwmaOptions extends ClockedBalancerOptions {
  /** Mean lifetime of a latency observation, ms (default 10 000). Half-life is `decayTimeMs · ln 2`. */
  readonly decayTimeMs?: number;
}

/** Cost given to an endpoint with requests in flight but no latency history yet (finagle's value). */
const PENALTY = 2 ** 47;

interface EwmaNode<E extends BalancerEndpoint> extends Node<E> {
  /** Peak-sensitive moving average of rtt, ns. */
  cost: number;
  /** Time of the last observation, ns. */
  stamp: number;
}

function nowNs(clock: Clock): number {
  return Number(clock.nanoTime());
}

/**
 * P2C over peak-EWMA latency × (outstanding / weight + 1) (Linkerd `ewma`, finagle `p2cPeakEwma`,
 * whose cost is latency × (outstanding + 1); the weight scales the queue, not the latency, so a
 * slow endpoint stays shunned whatever its weight and idle endpoints of equal latency share
 * traffic in proportion to weight through the weighted draws). An endpoint with no history but requests in flight is penalised so a new,
 * unknown endpoint gets one request before more. Pick cost O(1) / O(log n) like {@link p2c}.
 * Latency comes from `LeaseOutcome.rttNs` when given, otherwise from `clock.nanoTime()`.
 */
export function p2cPeakEwma(options: PeakEwmaOptions = {}): BalancerFactory {
  const common = resolveCommon('p2cPeakEwma', options);
  const decayTimeMs = options.decayTimeMs ?? 10_000;
  requireOption(decayTimeMs > 0, 'p2cPeakEwma', 'decayTimeMs must be > 0', decayTimeMs);
  const clock = options.clock ?? systemClock;
  const tau = decayTimeMs * 1e6;

  function observe(node: EwmaNode<BalancerEndpoint>, rtt: number, t: number): void {
    const w = Math.exp(-Math.max(t - node.stamp, 0) / tau);
    node.cost = rtt > node.cost ? rtt : node.cost * w + rtt * (1 - w);
    node.stamp = t;
  }

  // One clock read per pick, shared by both candidates and the lease start.
  let pickNs = 0;
  function load(node: EwmaNode<BalancerEndpoint>): number {
    observe(node, 0, pickNs);
    if (!(node.weight > 0)) return Number.MAX_VALUE;
    // Requests already queued per unit of weight, plus the one being scheduled.
    const queued = node.outstanding / node.weight;
    return node.cost === 0 && node.outstanding !== 0 ? PENALTY + queued : node.cost * (queued + 1);
  }

  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) =>
    makeBalancer<E, EwmaNode<E>>(
      'p2cPeakEwma',
      common,
      {
        create: (endpoint) => ({ ...baseNode(endpoint), cost: 0, stamp: nowNs(clock) }),
        choose: (set) => {
          pickNs = nowNs(clock);
          return chooseTwo(set, load);
        },
        start: () => pickNs,
        end(node, outcome, started) {
          // No round trip happened that the endpoint answered for.
          if (outcome.ignored === true) return;
          const t = nowNs(clock);
          observe(node, outcome.rttNs ?? Math.max(t - started, 0), t);
        },
      },
      params,
    );
}

/** Linkerd's name for {@link p2cPeakEwma} (`loadBalancer.kind: ewma`). */
export const ewma = p2cPeakEwma;
