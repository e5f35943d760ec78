/**
 * Gateway API `RequestMirror`: on the first attempt of a request whose identification names
 * mirrors, a fire-and-forget copy goes to each. The copy's name is bound through the same dtabs as
 * the real request (base, the identification's, the request's own); it carries the attempt's head
 * and, only when the request has no body or its body was already read in full (buffered for
 * retries, at most `service.retryBufferBytes`), that body. A streamed body is never copied: the
 * copy is skipped and counted, so a mirror can never hold back or slow the real body.
 *
 * A copy never touches the real exchange: it starts on a later turn of the event loop, its
 * response is discarded, its failures are counted and dropped, its lease is settled as ignored (no
 * failure accrual, not even on its own client, which may be the real backend's), and copies
 * beyond the route's `mirrorLimits.maxInFlight` (default {@link MIRROR_MAX_IN_FLIGHT}) in flight
 * are dropped; a buffered body longer than `mirrorLimits.maxBodyBytes` is not copied. Each copy
 * is cut after the route's `timeouts.request` or `mirrorLimits.timeoutMs` (default
 * {@link MIRROR_TIMEOUT_MS}), whichever is smaller.
 *
 * Counters under `rt/<label>/mirror/`: `requests` (copies sent), `success` (a response arrived),
 * `failures` (no route, connect or timeout), `skipped/body` (streamed body, or longer than
 * `maxBodyBytes`), `skipped/in_flight` (over the bound).
 */
import { IGNORED_OUTCOME } from '@switchyard/balancers';
import type { Path } from '@switchyard/dtab';
import type { Dispatcher } from 'undici';
import type { HeaderMap } from '../headers.js';
import type { RouterRuntime } from '../runtime.js';
import type { Bound, ClientLayer, Exchange } from '../stages.js';
import { bindingOf, showBoundId } from './bind-key.js';
import { pickLeaf, whenTreeResolved } from './binding.js';

/** Copies in flight at most, per router; further copies are dropped until one settles. */
export const MIRROR_MAX_IN_FLIGHT = 64;
/** Longest a copy may take (binding, connecting and the whole response), ms. */
export const MIRROR_TIMEOUT_MS = 10_000;

/** `wait`, or the abort reason of `signal` if that comes first. */
function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function mirrorLayer(rt: RouterRuntime): ClientLayer {
  const stats = rt.stats.scope('mirror');
  const sent = stats.counter('requests');
  const success = stats.counter('success');
  const failures = stats.counter('failures');
  const skippedBody = stats.counter('skipped', 'body');
  const skippedInFlight = stats.counter('skipped', 'in_flight');
  /** Exchanges whose copies were started (the first attempt starts them, retries don't). */
  const started = new WeakSet<Exchange>();
  let inFlight = 0;

  /** Binds `target` as the real request's name was bound and sends one copy; rejects on failure. */
  async function copy(bound: Bound, target: Path, signal: AbortSignal): Promise<void> {
    const identified = bound.identified;
    const { key, dtab } = bindingOf(rt, identified, target);
    const entry = rt.binder.tree(key, dtab, target);
    const pending = whenTreeResolved(entry);
    if (pending !== undefined) await untilAborted(pending, signal);
    const state = entry.state;
    if (state.kind !== 'ok') throw new Error(`mirror ${target.join('/')}: ${state.kind}`);
    const picked = pickLeaf(state.value, rt.random);
    if (typeof picked === 'string') throw new Error(`mirror ${target.join('/')}: ${picked}`);
    const client = rt.binder.client(showBoundId(picked), picked);
    const addrPending = client.whenResolved();
    if (addrPending !== undefined) await untilAborted(addrPending, signal);
    const lease = client.pick();
    if (lease === undefined) throw new Error(`mirror ${target.join('/')}: no endpoints`);
    try {
      const head = identified.request.head;
      const headers: HeaderMap = {
        ...(head.headers as HeaderMap),
        'l5d-dst-service': `/${target.join('/')}`,
        'l5d-dst-client': client.id,
      };
      const body = bound.body.kind === 'buffered' ? bound.body.data : null;
      const options: Dispatcher.RequestOptions & { servername?: string } = {
        path: head.url,
        method: head.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
      };
      if (lease.endpoint.servername !== undefined) options.servername = lease.endpoint.servername;
      const res = await lease.endpoint.pool.request(options);
      await res.body.dump();
    } finally {
      lease.done(IGNORED_OUTCOME);
    }
  }

  function start(bound: Bound, targets: readonly Path[]): void {
    const exchange = bound.identified.request.exchange;
    const limits = bound.identified.actions?.mirrorLimits;
    const maxBody = limits?.maxBodyBytes;
    if (
      bound.body.kind === 'stream' ||
      exchange.upgrade !== undefined ||
      (maxBody !== undefined && bound.body.kind === 'buffered' && bound.body.data.length > maxBody)
    ) {
      skippedBody.incr(targets.length);
      return;
    }
    const routeMs = bound.identified.actions?.requestTimeoutMs;
    const limitMs = limits?.timeoutMs ?? MIRROR_TIMEOUT_MS;
    const ms = routeMs === undefined ? limitMs : Math.min(routeMs, limitMs);
    const maxInFlight = limits?.maxInFlight ?? MIRROR_MAX_IN_FLIGHT;
    for (const target of targets) {
      if (inFlight >= maxInFlight) {
        skippedInFlight.incr();
        continue;
      }
      inFlight++;
      sent.incr();
      // A later turn: nothing of the copy runs before the real attempt is on its way.
      setImmediate(() => {
        const controller = new AbortController();
        const timer = rt.clock.setTimeout(
          () => controller.abort(new Error(`mirror timed out after ${ms} ms`)),
          ms,
        );
        let sending: Promise<void>;
        try {
          sending = copy(bound, target, controller.signal);
        } catch (err) {
          sending = Promise.reject(err);
        }
        sending
          .then(
            () => success.incr(),
            () => failures.incr(),
          )
          .finally(() => {
            rt.clock.clearTimeout(timer);
            inFlight--;
          });
      });
    }
  }

  return {
    kind: 'client',
    role: 'mirror',
    description: `RequestMirror: a fire-and-forget copy per mirror of the route (bodyless or buffered bodies; at most the route's mirrorLimits.maxInFlight, default ${MIRROR_MAX_IN_FLIGHT}, in flight)`,
    layer: (next) => (bound) => {
      const mirrors = bound.identified.actions?.mirrors;
      if (mirrors !== undefined && mirrors.length > 0) {
        const exchange = bound.identified.request.exchange;
        if (!started.has(exchange)) {
          started.add(exchange);
          start(bound, mirrors);
        }
      }
      return next(bound);
    },
  };
}
