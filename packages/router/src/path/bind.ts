/**
 * Bind: the first layer of the path stack. Binds `dst` through base ++ identification ++ local
 * dtab (cached by the Binder), picks a leaf and its client, and keeps the per-service record.
 */
import type { Clock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { bindingOf, showBoundId } from '../client/bind-key.js';
import { pickLeaf, whenTreeResolved } from '../client/binding.js';
import type { BindEntry } from '../entry.js';
import { BindingTimeoutError, NoRouteError, type NoRouteReason } from '../errors.js';
import type { RouterRuntime, ServiceEntry } from '../runtime.js';
import { type Bound, EXCHANGE_STATE, type Identified, NO_BODY } from '../stages.js';
import type { TreeEntry } from '../types/binding.js';
import type { BoundClient } from '../types/client.js';

/** The client a name's picked leaf binds to, and the leaf's residual path. */
interface Picked {
  readonly client: BoundClient;
  readonly residual: Path;
}

function withTimeout(wait: Promise<void>, ms: number, clock: Clock, onTimeout: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    wait.then(() => {
      clock.clearTimeout(timer);
      resolve();
    }, reject);
  });
}

function bindingWait(
  rt: RouterRuntime,
  service: ServiceEntry,
  wait: Promise<void>,
  ms: number,
): Promise<void> {
  return withTimeout(wait, ms, rt.clock, () => new BindingTimeoutError(service.name, rt.bindingTimeoutMs));
}

/** Linkerd's "Unable to route request!" for `service`, with the dtabs it was bound under. */
export function noRoute(
  rt: RouterRuntime,
  service: string,
  localDtab: string,
  reason: NoRouteReason,
  cause?: unknown,
): NoRouteError {
  return new NoRouteError(reason, service, { base: rt.baseDtabText, local: localDtab }, cause);
}

export function bindLayer(rt: RouterRuntime): BindEntry {
  function createService(dst: import('@switchyard/dtab').Path): ServiceEntry {
    const name = Path.show(dst);
    const policy = rt.servicePolicy(dst);
    const s = rt.stats.scope('service', name.slice(1));
    return {
      name,
      requests: s.counter('requests'),
      success: s.counter('success'),
      failures: s.counter('failures'),
      latency: s.histogram('request_latency_ms'),
      retries: s.counter('retries', 'total'),
      budgetExhausted: s.counter('retries', 'budget_exhausted'),
      budget: policy.budget,
      policy,
    };
  }

  function fail(
    identified: Identified,
    service: ServiceEntry,
    reason: NoRouteReason,
    cause?: unknown,
  ): NoRouteError {
    return noRoute(rt, service.name, identified.request.local.text, reason, cause);
  }

  /** Waits for whatever is still pending, within `bindingTimeoutMs`, then binds. */
  async function bindSlow(identified: Identified, service: ServiceEntry, entry: TreeEntry): Promise<Bound> {
    const start = rt.clock.now();
    const pending = whenTreeResolved(entry);
    if (pending !== undefined) await bindingWait(rt, service, pending, rt.bindingTimeoutMs);
    const picked = pickClient(identified, service, entry);
    const addrPending = picked.client.whenResolved();
    if (addrPending !== undefined) {
      await bindingWait(
        rt,
        service,
        addrPending,
        Math.max(1, rt.bindingTimeoutMs - (rt.clock.now() - start)),
      );
    }
    return useClient(identified, service, picked);
  }

  function pickClient(identified: Identified, service: ServiceEntry, entry: TreeEntry): Picked {
    const state = entry.state;
    if (state.kind === 'failed') throw fail(identified, service, 'bind-failed', state.error);
    if (state.kind === 'pending') throw new BindingTimeoutError(service.name, rt.bindingTimeoutMs);
    const picked = pickLeaf(state.value, rt.random);
    if (typeof picked === 'string') throw fail(identified, service, picked);
    return { client: rt.binder.client(showBoundId(picked), picked), residual: picked.residual };
  }

  function useClient(identified: Identified, service: ServiceEntry, { client, residual }: Picked): Bound {
    const addr = client.addr;
    if (addr.kind === 'failed') throw fail(identified, service, 'bind-failed', addr.error);
    if (addr.kind !== 'bound' || client.balancer.size === 0) throw fail(identified, service, 'no-endpoints');
    const record = identified.request.exchange[EXCHANGE_STATE].record;
    record.service = service.name;
    record.client = client.id;
    return {
      kind: 'bound',
      identified: identified,
      service: service,
      client,
      body: NO_BODY,
      deadlineNs: 0n,
      residual,
    };
  }

  /** Binds without allocating a promise when the tree and the address set are already known. */
  function bind(identified: Identified): Bound | Promise<Bound> {
    const dst = identified.dst;
    const { key, pathKey, dtab } = bindingOf(rt, identified, dst);
    const entry = rt.binder.tree(key, dtab, dst);
    const svc = rt.binder.service(pathKey, dst, () => createService(dst));
    if (entry.state.kind === 'pending') return bindSlow(identified, svc, entry);
    const picked = pickClient(identified, svc, entry);
    if (picked.client.addr.kind === 'pending') return bindSlow(identified, svc, entry);
    return useClient(identified, svc, picked);
  }

  return {
    kind: 'bind',
    role: 'bind',
    description: `binds the name through the dtab (cached; bindingTimeoutMs ${rt.bindingTimeoutMs}) and picks a client`,
    layer: (next) => (identified) => {
      let bound: Bound | Promise<Bound>;
      try {
        bound = bind(identified);
      } catch (err) {
        return Promise.reject(err);
      }
      return bound instanceof Promise ? bound.then(next) : next(bound);
    },
  };
}
