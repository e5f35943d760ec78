/**
 * The router's stacks, outermost first: the server stack (stats, rescue, admission, request-line,
 * context headers, identify) over `Inbound` values; the path stack (bind, retries), entered with
 * `Identified` and continuing with `Bound`; the client stack (user layers, then dispatch) over
 * `Bound` attempts. The builder composes them checking that each layer stands where the value it
 * handles exists.
 */

import { assertNever } from '@switchyard/core';
import { dispatchHandler } from './client/dispatch.js';
import { mirrorLayer } from './client/mirror.js';
import type { StackEntry } from './entry.js';
import { InvalidRouterOptionsError } from './errors.js';
import type { RouterOptions, StackLayers } from './options.js';
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
import type { AttemptHandler, Bound, BoundHandler, IdentifiedHandler, ServerHandler } from './stages.js';
import type { BoundClient } from './types/client.js';

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
function insert(stack: Stack, defaults: readonly StackEntry[], user: readonly StackEntry[]): StackEntry[] {
  switch (stack) {
    case 'server': {
      // Just before identify: they see the request as received.
      const at = defaults.findIndex((l) => l.kind === 'identify');
      const cut = at < 0 ? defaults.length : at;
      return [...defaults.slice(0, cut), ...user, ...defaults.slice(cut)];
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
  defaults: readonly StackEntry[],
  user: StackLayers | undefined,
): readonly StackEntry[] {
  if (user === undefined) return defaults;
  if (typeof user === 'function') return [...user(defaults)];
  return insert(stack, defaults, user);
}

/** The stacks to run: the defaults with the user's layers applied (see `RouterOptions.layers`). */
export function buildStacks(
  rt: RouterRuntime,
  user: RouterOptions['layers'],
): RouterStacks<readonly StackEntry[]> {
  const d = defaultStacks(rt);
  if (user === undefined) return d;
  return {
    server: apply('server', d.server, user.server),
    path: apply('path', d.path, user.path),
    client: apply('client', d.client, user.client),
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
  l: StackEntry,
  stage: Built['stage'],
): InvalidRouterOptionsError {
  const kind = `a ${l.kind} layer`;
  const where = stage === 'attempt' ? 'an attempt' : stage;
  return new InvalidRouterOptionsError(
    `layers.${stack}[${index}] (${l.role}, ${kind}) cannot stand where the request is ${where}`,
  );
}

/** Wraps `inner` in one entry, checking that the entry handles the value `inner` takes. */
function wrap(stack: Stack, index: number, l: StackEntry, inner: Built): Built {
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
function composeStack(stack: Stack, layers: readonly StackEntry[], inner: Built): Built {
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
export function composeStacks(rt: RouterRuntime, stacks: RouterStacks<readonly StackEntry[]>): ServerHandler {
  const dispatch: Built = { stage: 'attempt', handler: dispatchHandler(rt) };
  const bindAt = stacks.path.findIndex((l) => l.kind === 'bind');
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

  const clientStacks = new WeakMap<BoundClient, AttemptHandler>();
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
