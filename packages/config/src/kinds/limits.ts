/**
 * `routers[].limits`: rate limits and load shedding (`@switchyard/limits`) in Linkerd's style —
 * `server`, `perClient`, `destinations` (per-prefix, later entries win as in `io.l5d.static`
 * configs) and `adaptiveConcurrency` (`kind: io.l5d.aimd`). Validated here, field by field, so a
 * bad value is reported at its file:line:col; built into router layers by {@link limitLayers}.
 */
import type { Clock, Stats } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import {
  adaptiveConcurrencyLayer,
  clientRateLimitLayer,
  destinationRateLimitLayer,
  type LimitPathLayer,
  type LimitServerLayer,
  serverRateLimitLayer,
} from '@switchyard/limits';
import {
  type Infer,
  list,
  number,
  object,
  optional,
  refine,
  reject,
  rejectField,
  required,
  type Schema,
  string,
  withDefault,
} from '../schema.js';

const positive = (): Schema<number> =>
  refine(number(), (n) => (n > 0 && Number.isFinite(n) ? n : reject(`must be > 0, got ${n}`)));

const RPS_DOC = 'Sustained rate, requests per second (> 0; fractions allowed, e.g. 0.5).';
const BURST_DOC = 'Most requests admitted at once after an idle period; default rps rounded up.';

/** `rps` + `burst`, with `burst` defaulting to ⌈rps⌉. */
function bucketFields() {
  return {
    rps: required(positive(), RPS_DOC),
    burst: optional(number({ integer: true, min: 1 }), BURST_DOC),
  };
}

function withBurst<T extends { rps: number; burst: number | undefined }>(b: T): T & { burst: number } {
  return { ...b, burst: b.burst ?? Math.max(1, Math.ceil(b.rps)) };
}

const prefixSchema: Schema<Path> = refine(string({ nonEmpty: true }), (text) => {
  try {
    const path = Path.read(text);
    return path.length > 0 ? path : reject('must name at least one label, e.g. /svc/web');
  } catch (error) {
    return reject(`invalid path: ${(error as Error).message}`);
  }
});

/** The `limits` block of a router. */
export const limitsSchema = refine(
  object(
    {
      server: optional(
        refine(object(bucketFields()), withBurst),
        'A token bucket per listening server (429 + Retry-After beyond).',
      ),
      perClient: optional(
        refine(
          object({
            ...bucketFields(),
            maxClients: withDefault(
              number({ integer: true, min: 1 }),
              10_000,
              'Most client addresses tracked (LRU); an evicted client starts again with a full bucket.',
            ),
          }),
          withBurst,
        ),
        'A token bucket per client socket address (429 + Retry-After beyond).',
      ),
      destinations: optional(
        list(
          refine(
            object({
              prefix: required(prefixSchema, 'Prefix of identified names, e.g. /svc/web.'),
              ...bucketFields(),
            }),
            withBurst,
          ),
          { nonEmpty: true },
        ),
        'Token buckets per prefix of the identified name; the last matching entry wins.',
      ),
      adaptiveConcurrency: optional(
        refine(
          object({
            kind: withDefault(
              string({ values: ['io.l5d.aimd'] }),
              'io.l5d.aimd',
              'The algorithm: io.l5d.aimd (additive increase, multiplicative decrease).',
            ),
            initialLimit: withDefault(number({ integer: true, min: 1 }), 20, 'Limit at start.'),
            minLimit: withDefault(number({ integer: true, min: 1 }), 1, 'Floor of the limit.'),
            maxLimit: withDefault(number({ integer: true, min: 1 }), 1000, 'Ceiling of the limit.'),
            latencyThresholdMs: withDefault(
              positive(),
              1000,
              'A response slower than this (ms) counts as overload, as do 503, 504 and router errors.',
            ),
            backoffRatio: withDefault(
              refine(number(), (r) => (r > 0 && r < 1 ? r : reject(`must be within (0, 1), got ${r}`))),
              0.9,
              'Factor applied to the limit on overload.',
            ),
          }),
          (o) => {
            if (o.maxLimit < o.minLimit)
              return rejectField(['maxLimit'], `maxLimit (${o.maxLimit}) is below minLimit (${o.minLimit})`);
            if (o.initialLimit < o.minLimit || o.initialLimit > o.maxLimit)
              return rejectField(
                ['initialLimit'],
                `initialLimit (${o.initialLimit}) is outside [minLimit, maxLimit] = [${o.minLimit}, ${o.maxLimit}]`,
              );
            return o;
          },
        ),
        'Sheds load (503) per destination beyond an adaptive concurrency limit.',
      ),
    },
    { name: 'limits' },
  ),
  (block) =>
    block.server || block.perClient || block.destinations || block.adaptiveConcurrency
      ? block
      : reject('limits sets no limit', 'give server, perClient, destinations or adaptiveConcurrency'),
);

/** A parsed `limits` block. */
export type LimitsConfig = Infer<typeof limitsSchema>;

/** The router layers of a `limits` block; `stats` is the router's `rt/<label>` scope. */
export function limitLayers(
  config: LimitsConfig,
  stats: Stats,
  clock: Clock,
): { server: LimitServerLayer[]; path: LimitPathLayer[] } {
  const server: LimitServerLayer[] = [];
  const path: LimitPathLayer[] = [];
  // Per client first: a client over its own limit does not spend the server's tokens.
  if (config.perClient) server.push(clientRateLimitLayer({ ...config.perClient, stats, clock }));
  if (config.server) server.push(serverRateLimitLayer({ ...config.server, stats, clock }));
  if (config.destinations)
    path.push(destinationRateLimitLayer({ destinations: config.destinations, stats, clock }));
  if (config.adaptiveConcurrency)
    path.push(adaptiveConcurrencyLayer({ ...config.adaptiveConcurrency, stats, clock }));
  return { server, path };
}
