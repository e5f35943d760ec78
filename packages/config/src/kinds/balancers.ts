/**
 * Client policy kinds: load balancers (`client.loadBalancer`), failure accrual
 * (`client.failureAccrual`), response classifiers (`service.responseClassifier`) and backoffs,
 * with Linkerd 1's names, options and defaults.
 */
import {
  aperture,
  type Backoff,
  type BalancerFactory,
  backoff,
  consecutiveFailures,
  type FailureAccrualPolicy,
  heap,
  none,
  p2c,
  p2cPeakEwma,
  type ResponseClassifier,
  responseClassifiers,
  roundRobin,
  successRate,
  successRateWindowed,
} from '@switchyard/balancers';
import type { BuildContext } from '../build-context.js';
import { createKindCategory, type KindCategory } from '../registry.js';
import { number, object, optional, required, withDefault } from '../schema.js';

/** A built load balancer: its kind (shown by the admin) and the factory the router uses. */
export interface BuiltBalancer {
  readonly kind: string;
  readonly factory: BalancerFactory;
}

const maxEffort = () =>
  withDefault(number({ integer: true, min: 1 }), 5, 'Re-picks when the chosen endpoint is unavailable.');

/** `client.loadBalancer` kinds: p2c (default), ewma, aperture, heap, roundRobin. */
export function loadBalancerKinds(): KindCategory<BuiltBalancer, BuildContext> {
  const kinds = createKindCategory<BuiltBalancer, BuildContext>('loadBalancer');
  kinds.register({
    kind: 'p2c',
    doc: 'Power of two choices over least outstanding requests (default).',
    schema: object({ maxEffort: maxEffort() }),
    build: (o) => ({ kind: 'p2c', factory: p2c(o) }),
  });
  kinds.register({
    kind: 'ewma',
    doc: 'Power of two choices over peak-EWMA latency × (outstanding + 1).',
    schema: object({
      maxEffort: maxEffort(),
      decayTimeMs: withDefault(
        number({ integer: true, min: 1 }),
        10_000,
        'How fast the latency estimate forgets.',
      ),
    }),
    build: (o, c) => ({ kind: 'ewma', factory: p2cPeakEwma({ ...o, clock: c.clock }) }),
  });
  kinds.register({
    kind: 'aperture',
    doc: 'Least loaded within an aperture sized to keep load between lowLoad and highLoad.',
    schema: object({
      maxEffort: maxEffort(),
      smoothWindowMs: withDefault(number({ integer: true, min: 1 }), 5000, 'Load smoothing window.'),
      lowLoad: withDefault(number({ min: 0 }), 0.5, 'Shrink the aperture below this load per endpoint.'),
      highLoad: withDefault(number({ min: 0 }), 2, 'Widen the aperture above this load per endpoint.'),
      minAperture: withDefault(number({ integer: true, min: 1 }), 1, 'Smallest aperture.'),
    }),
    build: (o, c) => ({ kind: 'aperture', factory: aperture({ ...o, clock: c.clock }) }),
  });
  kinds.register({
    kind: 'heap',
    doc: 'Least loaded endpoint via a min-heap.',
    schema: object({ maxEffort: maxEffort() }),
    build: (o) => ({ kind: 'heap', factory: heap(o) }),
  });
  kinds.register({
    kind: 'roundRobin',
    doc: 'Each available endpoint in turn.',
    schema: object({ maxEffort: maxEffort() }),
    build: (o) => ({ kind: 'roundRobin', factory: roundRobin(o) }),
  });
  return kinds;
}

/** Backoff kinds: `constant` (`ms`) and `jittered` (`minMs`, `maxMs`). */
export function backoffKinds(): KindCategory<Backoff, BuildContext> {
  const kinds = createKindCategory<Backoff, BuildContext>('backoff');
  kinds.register({
    kind: 'constant',
    doc: 'The same delay every time.',
    schema: object({ ms: withDefault(number({ integer: true, min: 0 }), 0, 'Delay in ms.') }),
    build: (o) => backoff.constant(o.ms),
  });
  kinds.register({
    kind: 'jittered',
    doc: 'Random delays between minMs and maxMs (equal jitter for failure accrual, decorrelated for retries).',
    schema: object({
      minMs: required(number({ integer: true, min: 1 }), 'Shortest delay in ms.'),
      maxMs: required(number({ integer: true, min: 1 }), 'Longest delay in ms.'),
    }),
    build: (o) => backoff.jittered(o),
  });
  return kinds;
}

/** A built failure accrual: the policy and its backoff (undefined = Linkerd's default). */
export interface BuiltFailureAccrual {
  readonly policy: FailureAccrualPolicy;
  readonly backoff?: Backoff;
}

/** `client.failureAccrual` kinds, each with an optional `backoff`. */
export function failureAccrualKinds(
  backoffs: KindCategory<Backoff, BuildContext>,
): KindCategory<BuiltFailureAccrual, BuildContext> {
  const kinds = createKindCategory<BuiltFailureAccrual, BuildContext>('failureAccrual');
  const backoffField = () =>
    optional(backoffs.schema(), 'How long a dead endpoint stays dead; default jittered 5 s–300 s.');
  const withBackoff = async (
    policy: FailureAccrualPolicy,
    o: { backoff?: { kind: string; options: unknown } | undefined },
    c: BuildContext,
  ): Promise<BuiltFailureAccrual> =>
    o.backoff ? { policy, backoff: await backoffs.build(o.backoff, c) } : { policy };
  kinds.register({
    kind: 'io.l5d.consecutiveFailures',
    doc: 'Dead after `failures` failures in a row.',
    schema: object({
      failures: withDefault(number({ integer: true, min: 1 }), 5, 'Failures in a row.'),
      backoff: backoffField(),
    }),
    build: (o, c) => withBackoff(consecutiveFailures(o), o, c),
  });
  kinds.register({
    kind: 'io.l5d.successRate',
    doc: 'Dead when the success rate over the last `requests` requests falls below `successRate`.',
    schema: object({
      successRate: required(number({ min: 0, max: 1 }), 'Lowest healthy success rate (0–1).'),
      requests: required(number({ integer: true, min: 1 }), 'Requests the rate is computed over.'),
      backoff: backoffField(),
    }),
    build: (o, c) => withBackoff(successRate(o), o, c),
  });
  kinds.register({
    kind: 'io.l5d.successRateWindowed',
    doc: 'Dead when the success rate over the last `window` seconds falls below `successRate`.',
    schema: object({
      successRate: required(number({ min: 0, max: 1 }), 'Lowest healthy success rate (0–1).'),
      window: required(number({ integer: true, min: 1 }), 'Window in seconds.'),
      backoff: backoffField(),
    }),
    build: (o, c) =>
      withBackoff(successRateWindowed({ successRate: o.successRate, windowSecs: o.window }), o, c),
  });
  kinds.register({
    kind: 'none',
    doc: 'No failure accrual.',
    schema: object({}),
    build: () => ({ policy: none }),
  });
  return kinds;
}

/** `service.responseClassifier` kinds (Linkerd's HTTP classifiers). */
export function responseClassifierKinds(): KindCategory<ResponseClassifier, BuildContext> {
  const kinds = createKindCategory<ResponseClassifier, BuildContext>('responseClassifier');
  const docs: Record<string, string> = {
    'io.l5d.http.nonRetryable5XX': '5XX responses are failures, never retried (default).',
    'io.l5d.http.retryableRead5XX': '5XX responses to GET, HEAD, OPTIONS and TRACE are retried.',
    'io.l5d.http.retryableIdempotent5XX': 'As retryableRead5XX, plus PUT and DELETE.',
    'io.l5d.http.retryableAll5XX': 'All 5XX responses are retried.',
    'io.l5d.http.allSuccessful': 'Every response is a success.',
  };
  for (const [kind, classifier] of Object.entries(responseClassifiers)) {
    kinds.register({ kind, doc: docs[kind] ?? kind, schema: object({}), build: () => classifier });
  }
  return kinds;
}
