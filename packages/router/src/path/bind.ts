/**
 * Bind: the first layer of the path stack. Binds `dst` through base ++ identification ++ local
 * dtab (cached by the Binder), picks a leaf and its client, and keeps the per-service record.
 */
import type { BoundName, Clock } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { LRUCache } from 'lru-cache';
import { pickLeaf, type TreeEntry, whenTreeResolved } from '../binding.js';
import type { Client } from '../client.js';
import type { RouterLayer } from '../context.js';
import { BindingTimeoutError, NoRouteError, type NoRouteReason, UnknownDestinationError } from '../errors.js';
import { ctxOf, type RequestCtx } from '../request-ctx.js';
import type { RouterRuntime, ServiceEntry } from '../runtime.js';
import { describeRequest } from '../server/identify.js';

function withTimeout(wait: Promise<void>, ms: number, clock: Clock, onTimeout: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    wait.then(() => {
      clock.clearTimeout(timer);
      resolve();
    }, reject);
  });
}

function bindingWait(rt: RouterRuntime, c: RequestCtx, wait: Promise<void>, ms: number): Promise<void> {
  return withTimeout(wait, ms, rt.clock, () => new BindingTimeoutError(c.service!.name, rt.bindingTimeoutMs));
}

export function noRoute(
  rt: RouterRuntime,
  c: RequestCtx,
  reason: NoRouteReason,
  cause?: unknown,
): NoRouteError {
  const dtabs = { base: rt.baseDtabText, local: c.dtabLocalText };
  return new NoRouteError(reason, c.service?.name ?? '', dtabs, cause);
}

const boundIds = new WeakMap<BoundName, string>();

const dtabTexts = new WeakMap<Dtab, string>();

/** `Dtab.show`, once per dtab object (identifiers reuse the object for the same content). */
function showDtab(dtab: Dtab): string {
  let text = dtabTexts.get(dtab);
  if (text === undefined) {
    text = Dtab.show(dtab);
    dtabTexts.set(dtab, text);
  }
  return text;
}

function showBoundId(bound: BoundName): string {
  let id = boundIds.get(bound);
  if (id === undefined) {
    id = Path.show(bound.id);
    boundIds.set(bound, id);
  }
  return id;
}

export function bindLayer(rt: RouterRuntime): RouterLayer {
  const services = new LRUCache<string, ServiceEntry>({ max: 1000 });
  function service(key: string, dst: import('@switchyard/dtab').Path): ServiceEntry {
    let entry = services.get(key);
    if (entry === undefined) {
      const name = Path.show(dst);
      const s = rt.stats.scope('service', name.slice(1));
      entry = {
        name,
        requests: s.counter('requests'),
        success: s.counter('success'),
        failures: s.counter('failures'),
        latency: s.histogram('request_latency_ms'),
        retries: s.counter('retries', 'total'),
        budgetExhausted: s.counter('retries', 'budget_exhausted'),
        budget: rt.newRetryBudget(),
      };
      services.set(key, entry);
    }
    return entry;
  }

  /** Waits for whatever is still pending, within `bindingTimeoutMs`, then binds. */
  async function bindSlow(c: RequestCtx, entry: TreeEntry): Promise<void> {
    const start = rt.clock.now();
    const pending = whenTreeResolved(entry);
    if (pending !== undefined) await bindingWait(rt, c, pending, rt.bindingTimeoutMs);
    const client = pickClient(c, entry);
    const addrPending = client.whenResolved();
    if (addrPending !== undefined) {
      await bindingWait(rt, c, addrPending, Math.max(1, rt.bindingTimeoutMs - (rt.clock.now() - start)));
    }
    useClient(c, client);
  }

  function pickClient(c: RequestCtx, entry: TreeEntry): Client {
    const state = entry.state;
    if (state.kind === 'failed') throw noRoute(rt, c, 'bind-failed', state.error);
    if (state.kind === 'pending') throw new BindingTimeoutError(c.service!.name, rt.bindingTimeoutMs);
    const picked = pickLeaf(state.value, rt.random);
    if (typeof picked === 'string') throw noRoute(rt, c, picked);
    const id = showBoundId(picked);
    c.bound = picked;
    c.boundId = id;
    return rt.binder.client(id, picked);
  }

  function useClient(c: RequestCtx, client: Client): void {
    const addr = client.addr;
    if (addr.kind === 'failed') throw noRoute(rt, c, 'bind-failed', addr.error);
    if (addr.kind !== 'bound' || client.balancer.size === 0) throw noRoute(rt, c, 'no-endpoints');
    c.client = client;
  }

  /** Binds without allocating a promise when the tree and the address set are already known. */
  function bind(c: RequestCtx): Promise<void> | undefined {
    const dst = c.dst;
    if (dst === undefined) throw new UnknownDestinationError(describeRequest(c), 'no name was identified');
    const pathKey = dst.join('/');
    let key = c.dtabLocalText === '' ? pathKey : `${pathKey}\n${c.dtabLocalText}`;
    let dtab = c.dtabLocal.length === 0 ? rt.baseDtab : Dtab.concat(rt.baseDtab, c.dtabLocal);
    const extra = c.dstDtab;
    if (extra !== undefined && extra.length > 0) {
      // Base, then the identifier's dentries, then the request's own (which still override).
      key = `${key}\n#${showDtab(extra)}`;
      dtab = Dtab.concat(Dtab.concat(rt.baseDtab, extra), c.dtabLocal);
    }
    const entry = rt.binder.tree(key, dtab, dst);
    entry.service ??= service(pathKey, dst);
    c.service = entry.service as ServiceEntry;
    if (entry.state.kind === 'pending') return bindSlow(c, entry);
    const client = pickClient(c, entry);
    if (client.addr.kind === 'pending') return bindSlow(c, entry);
    useClient(c, client);
    return undefined;
  }

  return {
    role: 'bind',
    description: `binds the name through the dtab (cached; bindingTimeoutMs ${rt.bindingTimeoutMs}) and picks a client`,
    layer: (next) => (ctx) => {
      let waiting: Promise<void> | undefined;
      try {
        waiting = bind(ctxOf(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
      return waiting === undefined ? next(ctx) : waiting.then(() => next(ctx));
    },
  };
}
