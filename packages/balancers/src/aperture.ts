/**
 * Aperture: p2c least-loaded restricted to a window ("aperture") over a randomly ordered endpoint
 * list. The window grows and shrinks so that the smoothed offered load per endpoint in it stays
 * within [`lowLoad`, `highLoad`]. At low traffic a client talks to few endpoints, which keeps
 * connection counts and handshakes down; under load it widens towards the whole set.
 *
 * Source: finagle `Balancers.aperture` and `aperture/LoadBand.scala` (the load-band controller:
 * an EMA of total outstanding requests over `smoothWin`, divided by the aperture, compared with
 * the band on every request start and end, adjusting by one endpoint at a time).
 */
import { systemClock } from '@switchyard/core';
import type { BalancerEndpoint, BalancerFactory } from './balancer.js';
import { baseNode, type ClockedBalancerOptions, makeBalancer, perWeight, resolveCommon } from './base.js';
import { requireOption } from './errors.js';
import type { Node } from './node-set.js';
import { chooseTwo } from './p2c.js';

/** Options of {@link aperture}. */
export interface ApertureOptions extends ClockedBalancerOptions {
  /** Window of the exponential smoothing of offered load, ms (default 5000). */
  readonly smoothWindowMs?: number;
  /** Narrow the aperture when smoothed load per endpoint is ≤ this (default 0.5). */
  readonly lowLoad?: number;
  /** Widen the aperture when smoothed load per endpoint is ≥ this (default 2). */
  readonly highLoad?: number;
  /** Smallest aperture (default 1). The aperture also starts here. */
  readonly minAperture?: number;
}

/** A live view of an aperture balancer's controller, for tests and admin pages. */
export interface ApertureState {
  /** Logical aperture: how many endpoints (from the front of the shuffled list) are in use. */
  readonly aperture: number;
  /** Smoothed offered load (outstanding requests), the EMA the controller compares. */
  readonly offeredLoad: number;
}

/** Reads the controller state of a balancer made by {@link aperture}; `undefined` for others. */
export function apertureState(balancer: object): ApertureState | undefined {
  return (balancer as { state?: ApertureState }).state;
}

/**
 * Creates aperture balancers (Linkerd `aperture`: `smoothWindowMs` 5000, `lowLoad` 0.5,
 * `highLoad` 2, `minAperture` 1, `maxEffort` 5). Within the aperture the choice is p2c on
 * outstanding requests per weight. Unavailable endpoints sit behind the available ones in the
 * list, so the aperture always covers available endpoints first. Pick cost O(1) / O(log n).
 * {@link apertureState} reads the controller.
 */
export function aperture(options: ApertureOptions = {}): BalancerFactory {
  const common = resolveCommon('aperture', options);
  const smoothWindowMs = options.smoothWindowMs ?? 5000;
  const lowLoad = options.lowLoad ?? 0.5;
  const highLoad = options.highLoad ?? 2;
  const minAperture = options.minAperture ?? 1;
  requireOption(smoothWindowMs > 0, 'aperture', 'smoothWindowMs must be > 0', smoothWindowMs);
  requireOption(lowLoad >= 0 && lowLoad < highLoad, 'aperture', 'lowLoad must be >= 0 and < highLoad', {
    lowLoad,
    highLoad,
  });
  requireOption(
    Number.isInteger(minAperture) && minAperture >= 1,
    'aperture',
    'minAperture must be an integer >= 1',
    minAperture,
  );
  const clock = options.clock ?? systemClock;
  const windowNs = smoothWindowMs * 1e6;

  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) => {
    let logical = minAperture;
    let total = 0;
    let ema = 0;
    let stampNs = -1;
    const widen = params?.stats?.counter('loadbalancer', 'loadband', 'widen');
    const narrow = params?.stats?.counter('loadbalancer', 'loadband', 'narrow');

    // finagle's Ema: the first sample is taken as is; later ones are weighted by elapsed time.
    function adjust(delta: number, size: number): void {
      total += delta;
      const t = Number(clock.nanoTime());
      if (stampNs < 0) {
        ema = total;
      } else {
        const w = Math.exp(-Math.max(t - stampNs, 0) / windowNs);
        ema = total * (1 - w) + ema * w;
      }
      stampNs = t;
      const avg = ema / logical;
      if (avg >= highLoad && logical < size) {
        logical++;
        widen?.incr();
      } else if (avg <= lowLoad && logical > minAperture) {
        logical--;
        narrow?.incr();
      }
    }

    const balancer = makeBalancer<E, Node<E>>(
      'aperture',
      common,
      {
        create: baseNode,
        shuffle: true,
        choose: (set) => chooseTwo(set, (n) => perWeight(n.outstanding, n.weight), Math.max(logical, 1)),
        start: () => {
          adjust(1, balancer.size);
          return 0;
        },
        end: () => adjust(-1, balancer.size),
        hooks: {
          removed: () => {
            // Keep the aperture within what the set can offer, but never below its minimum.
            if (logical > minAperture && logical > balancer.size)
              logical = Math.max(minAperture, balancer.size);
          },
        },
      },
      params,
    );
    Object.defineProperty(balancer, 'state', {
      get: (): ApertureState => ({ aperture: logical, offeredLoad: ema }),
    });
    return balancer;
  };
}
