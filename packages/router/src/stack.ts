/**
 * The router's stacks, outermost first: the server stack (stats, rescue, admission, request-line,
 * context headers, identify) over `Inbound` values; the path stack (bind, retries), entered with
 * `Identified` and continuing with `Bound`; the client stack (user layers, then dispatch) over
 * `Bound` attempts. The builder composes them checking that each layer stands where the value it
 * handles exists; layers of the older `RouterContext` form are adapted to wherever they stand.
 */

import { assertNever } from '@switchyard/core';
import { dispatchHandler } from './client/dispatch.js';
import { mirrorLayer } from './client/mirror.js';
import type { Client } from './client.js';
import { adaptAttemptContextLayer, adaptContextLayer, type RouterLayer } from './context.js';
import type { AnyLayer, StackEntry } from './entry.js';
import { InvalidRouterOptionsError } from './errors.js';
import type { RouterOptions, RouterStackLayers, StackLayers } from './options.js';
import { bindLayer } from './path/bind.js';
import { retriesLayer } from './path/retries.js';
import { routeTimeoutLayer } from './path/route-timeout.js';
import type { RouterRuntime } from './runtime.js';
import { admissionLayer } from './server/admission.js';
import { callDepthLayer, contextLayer, proxyRewriteLayer } from './server/context-headers.js';
import { identifyLayer } from './server/identify.js';
import { requestLineLayer } from './server/request-line.js';
import { rescueLayer } from './server/respond-error.js';
import { serverStatsLayer } from './server/stats.js';
import type { ServiceEntry } from './service.js';
import type {
  AttemptHandler,
  Bound,
  BoundHandler,
  Identified,
  IdentifiedHandler,
  Inbound,
  ServerHandler,
} from './stages.js';

/** The router's three stacks, outermost first within each (finagle's server/path/client stacks). */
export interface RouterStacks<T> {
  /** Per request as received: stats, rescue, admission, request-line, context headers, identify. */
  readonly server: T;
  /** Per identified request: bind, then the service policy (retries, total timeout, service stats). */
  readonly path: T;
  /** Per attempt on a bound name, above dispatch (attempt timeout, balancer lease, forward). */
  readonly client: T;
}

type Stack = 'server' | 'path' | 'client';

/** The three default stacks. */
export function defaultStacks(rt: RouterRuntime): RouterStacks<StackEntry[]> {
  return {
    server: [
      serverStatsLayer(rt),
      rescueLayer(rt),
      admissionLayer(rt),
      requestLineLayer(),
      contextLayer(rt),
      callDepthLayer(rt),
      proxyRewriteLayer(),
      identifyLayer(rt),
    ],
    path: [bindLayer(rt), routeTimeoutLayer(rt), retriesLayer(rt)],
    client: [mirrorLayer(rt)],
  };
}

/** Where an array of user layers goes in each stack. */
function insert(stack: Stack, defaults: readonly AnyLayer[], user: readonly AnyLayer[]): AnyLayer[] {
  switch (stack) {
    case 'server': {
      // Typed server layers just before identify (they see the request as received); older
      // `RouterContext` layers after it (they see `ctx.dst`), where they always ran.
      const typed = user.filter((l) => 'kind' in l);
      const context = user.filter((l) => !('kind' in l));
      const at = defaults.findIndex((l) => 'kind' in l && l.kind === 'identify');
      const cut = at < 0 ? defaults.length : at;
      return [...defaults.slice(0, cut), ...typed, ...defaults.slice(cut), ...context];
    }
    case 'path':
      // After bind (the service and client are known), outside the retry loop: once per request.
      return [...defaults.slice(0, 1), ...user, ...defaults.slice(1)];
    case 'client':
      // Per attempt, just above dispatch.
      return [...defaults, ...user];
    default:
      return assertNever(stack);
  }
}

function apply(
  stack: Stack,
  defaults: readonly AnyLayer[],
  user: StackLayers | undefined,
): readonly AnyLayer[] {
  if (user === undefined) return defaults;
  if (typeof user === 'function') return [...user(defaults)];
  return insert(stack, defaults, user);
}

/**
 * Splits a flat stack (the legacy `layers: (defaults) => [...]` form) back into three at the
 * `bind` and `retries` roles.
 */
function split(flat: readonly AnyLayer[]): RouterStacks<readonly AnyLayer[]> {
  const bind = flat.findIndex((l) => l.role === 'bind');
  if (bind < 0) return { server: flat, path: [], client: [] };
  const retries = flat.findIndex((l, i) => i > bind && l.role === 'retries');
  const end = retries < 0 ? flat.length : retries + 1;
  return { server: flat.slice(0, bind), path: flat.slice(bind, end), client: flat.slice(end) };
}

/**
 * Runs the flat function form, typed over `RouterLayer`: the defaults go in as stand-ins with
 * their role and description, and each stand-in that comes back is replaced by its default.
 * A stand-in can be moved or dropped, not wrapped: its `layer` throws.
 */
function flat(
  user: (defaults: readonly RouterLayer[]) => readonly RouterLayer[],
  defaults: readonly StackEntry[],
): AnyLayer[] {
  const back = new Map<RouterLayer, StackEntry>();
  const standIns = defaults.map((entry): RouterLayer => {
    const standIn: RouterLayer = {
      role: entry.role,
      description: entry.description,
      layer: () => {
        throw new InvalidRouterOptionsError(
          `layers: the default layer ${entry.role} can be moved or removed, not wrapped (wrap it in layers: { server, path, client })`,
        );
      },
    };
    back.set(standIn, entry);
    return standIn;
  });
  return user(standIns).map((l) => back.get(l) ?? l);
}

/** The stacks to run: the defaults with the user's layers applied (see `RouterOptions.layers`). */
export function buildStacks(
  rt: RouterRuntime,
  user: RouterOptions['layers'],
): RouterStacks<readonly AnyLayer[]> {
  const d = defaultStacks(rt);
  if (user === undefined) return d;
  if (Array.isArray(user)) return { ...d, server: insert('server', d.server, user) };
  if (typeof user === 'function') return split(flat(user, [...d.server, ...d.path, ...d.client]));
  const named = user as RouterStackLayers;
  return {
    server: apply('server', d.server, named.server),
    path: apply('path', d.path, named.path),
    client: apply('client', d.client, named.client),
  };
}

/** A handler under construction, by the value it takes. */
type Built =
  | { readonly stage: 'attempt'; readonly handler: AttemptHandler }
  | { readonly stage: 'bound'; readonly handler: BoundHandler }
  | { readonly stage: 'identified'; readonly handler: IdentifiedHandler }
  | { readonly stage: 'inbound'; readonly handler: ServerHandler };

function misplaced(
  stack: Stack,
  index: number,
  l: AnyLayer,
  stage: Built['stage'],
): InvalidRouterOptionsError {
  const kind = 'kind' in l ? `a ${l.kind} layer` : 'a layer';
  const where = stage === 'attempt' ? 'an attempt' : stage;
  return new InvalidRouterOptionsError(
    `layers.${stack}[${index}] (${l.role}, ${kind}) cannot stand where the request is ${where}`,
  );
}

/** Wraps `inner` in one entry, checking that the entry handles the value `inner` takes. */
function wrap(stack: Stack, index: number, l: AnyLayer, inner: Built): Built {
  if (!('kind' in l)) {
    switch (inner.stage) {
      case 'attempt':
        return { stage: 'attempt', handler: adaptAttemptContextLayer(l)(inner.handler) };
      case 'bound':
        return { stage: 'bound', handler: adaptContextLayer<Bound>(l)(inner.handler) };
      case 'identified':
        return { stage: 'identified', handler: adaptContextLayer<Identified>(l)(inner.handler) };
      case 'inbound':
        return { stage: 'inbound', handler: adaptContextLayer<Inbound>(l)(inner.handler) };
      default:
        return assertNever(inner);
    }
  }
  switch (l.kind) {
    case 'client':
      if (inner.stage !== 'attempt') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'attempt', handler: l.layer(inner.handler) };
    case 'retries':
      if (inner.stage !== 'attempt') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'bound', handler: l.layer(inner.handler) };
    case 'path':
      if (inner.stage !== 'bound') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'bound', handler: l.layer(inner.handler) };
    case 'bind':
      if (inner.stage !== 'bound') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'identified', handler: l.layer(inner.handler) };
    case 'identify':
      if (inner.stage !== 'identified') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'inbound', handler: l.layer(inner.handler) };
    case 'server':
      if (inner.stage !== 'inbound') throw misplaced(stack, index, l, inner.stage);
      return { stage: 'inbound', handler: l.layer(inner.handler) };
    default:
      return assertNever(l);
  }
}

/** Composes `layers` (outermost first) over `inner`. */
function composeStack(stack: Stack, layers: readonly AnyLayer[], inner: Built): Built {
  let built = inner;
  for (let i = layers.length - 1; i >= 0; i--) built = wrap(stack, i, layers[i]!, built);
  return built;
}

/**
 * One handler: the server stack over the path stack over the client stack over dispatch. The
 * server stack and the layers up to `bind` are one instance per router; the rest of the path
 * stack is one instance per service and the client stack one per bound name (Linkerd 1 built a
 * module stack per dst), each built on its first request and kept as long as the binding cache
 * keeps that service or client. A trial composition at construction refuses misplaced layers.
 */
export function composeStacks(rt: RouterRuntime, stacks: RouterStacks<readonly AnyLayer[]>): ServerHandler {
  const dispatch: Built = { stage: 'attempt', handler: dispatchHandler(rt) };
  const bindAt = stacks.path.findIndex((l) => 'kind' in l && l.kind === 'bind');
  const beforeBind = bindAt < 0 ? stacks.path : stacks.path.slice(0, bindAt + 1);
  const afterBind = bindAt < 0 ? [] : stacks.path.slice(bindAt + 1);
  // Trial: the whole chain once, so that misplaced layers fail here and not on a request.
  const trialPath = composeStack('path', afterBind, composeStack('client', stacks.client, dispatch));
  if (trialPath.stage === 'attempt') {
    throw new InvalidRouterOptionsError(
      "layers: the path stack must end in retries (the layer that relays or discards each attempt's response)",
    );
  }
  if (trialPath.stage !== 'bound' || bindAt < 0) {
    const server = composeStack('server', stacks.server, composeStack('path', beforeBind, trialPath));
    throw new InvalidRouterOptionsError(
      `layers: the stacks must name the request (identify) and bind it (bind); they start where the request is ${server.stage}`,
    );
  }

  const clientStacks = new WeakMap<Client, AttemptHandler>();
  const clientStack: AttemptHandler = (bound) => {
    let handler = clientStacks.get(bound.client);
    if (handler === undefined) {
      handler = attempting(composeStack('client', stacks.client, dispatch));
      clientStacks.set(bound.client, handler);
    }
    return handler(bound);
  };
  const serviceStacks = new WeakMap<ServiceEntry, BoundHandler>();
  const serviceStack = (bound: Bound): Promise<void> => {
    let handler = serviceStacks.get(bound.service);
    if (handler === undefined) {
      handler = bounded(composeStack('path', afterBind, { stage: 'attempt', handler: clientStack }));
      serviceStacks.set(bound.service, handler);
    }
    return handler(bound);
  };
  const path = composeStack('path', beforeBind, { stage: 'bound', handler: serviceStack });
  const server = composeStack('server', stacks.server, path);
  if (server.stage !== 'inbound') {
    throw new InvalidRouterOptionsError(
      `layers: the stacks must name the request (identify) and bind it (bind); they start where the request is ${server.stage}`,
    );
  }
  return server.handler;
}

/** The handler of a client stack the trial composition already checked sends attempts. */
function attempting(built: Built): AttemptHandler {
  if (built.stage !== 'attempt')
    throw new InvalidRouterOptionsError(`layers: a stack changed shape after construction`);
  return built.handler;
}

/** The handler of a stack the trial composition already checked takes `Bound` values. */
function bounded(built: Built): BoundHandler {
  if (built.stage !== 'bound')
    throw new InvalidRouterOptionsError(`layers: a stack changed shape after construction`);
  return built.handler;
}
