/**
 * The router's default stack, outermost first: the server stack (stats, rescue, admission,
 * request-line, context headers, identify), then the path stack (bind, retries), then the client
 * stack (dispatch). Each layer lives in the folder of the stack it belongs to.
 */

import { assertNever, compose } from '@switchyard/core';
import { dispatchHandler } from './client/dispatch.js';
import type { RouterHandler, RouterLayer } from './context.js';
import type { RouterOptions, RouterStackLayers, StackLayers } from './options.js';
import { bindLayer } from './path/bind.js';
import { retriesLayer } from './path/retries.js';
import type { RouterRuntime } from './runtime.js';
import { admissionLayer } from './server/admission.js';
import { callDepthLayer, contextLayer, proxyRewriteLayer } from './server/context-headers.js';
import { identifyLayer } from './server/identify.js';
import { requestLineLayer } from './server/request-line.js';
import { rescueLayer } from './server/respond-error.js';
import { serverStatsLayer } from './server/stats.js';

/** The router's three stacks, outermost first within each (finagle's server/path/client stacks). */
export interface RouterStacks<T> {
  /** Per request as received: stats, rescue, admission, request-line, context headers, identify. */
  readonly server: T;
  /** Per identified request: bind, then the service policy (retries, total timeout, service stats). */
  readonly path: T;
  /** Per attempt on a bound name, above dispatch (attempt timeout, balancer lease, forward). */
  readonly client: T;
}

/** The three default stacks. */
export function defaultStacks(rt: RouterRuntime): RouterStacks<RouterLayer[]> {
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
    path: [bindLayer(rt), retriesLayer(rt)],
    client: [],
  };
}

/** Where an array of user layers goes in each stack. */
function insert(
  stack: 'server' | 'path' | 'client',
  defaults: readonly RouterLayer[],
  user: readonly RouterLayer[],
) {
  switch (stack) {
    case 'server':
      // After identify: user layers see `ctx.dst`.
      return [...defaults, ...user];
    case 'path':
      // After bind (the service and client are known), outside the retry loop: once per request.
      return [defaults[0]!, ...user, ...defaults.slice(1)];
    case 'client':
      // Per attempt, just above dispatch.
      return [...defaults, ...user];
    default:
      return assertNever(stack);
  }
}

function apply(
  stack: 'server' | 'path' | 'client',
  defaults: readonly RouterLayer[],
  user: StackLayers | undefined,
): readonly RouterLayer[] {
  if (user === undefined) return defaults;
  if (typeof user === 'function') return [...user(defaults)];
  return insert(stack, defaults, user);
}

/**
 * Splits a flat stack (the legacy `layers: (defaults) => [...]` form) back into three at the
 * `bind` and `retries` roles. Composing the three equals composing the flat list: all stacks
 * share the handler type today.
 */
function split(flat: readonly RouterLayer[]): RouterStacks<readonly RouterLayer[]> {
  const bind = flat.findIndex((l) => l.role === 'bind');
  if (bind < 0) return { server: flat, path: [], client: [] };
  const retries = flat.findIndex((l, i) => i > bind && l.role === 'retries');
  const end = retries < 0 ? flat.length : retries + 1;
  return { server: flat.slice(0, bind), path: flat.slice(bind, end), client: flat.slice(end) };
}

/** The stacks to run: the defaults with the user's layers applied (see `RouterOptions.layers`). */
export function buildStacks(
  rt: RouterRuntime,
  user: RouterOptions['layers'],
): RouterStacks<readonly RouterLayer[]> {
  const d = defaultStacks(rt);
  if (user === undefined) return d;
  if (Array.isArray(user)) return { ...d, server: insert('server', d.server, user) };
  if (typeof user === 'function') return split(user([...d.server, ...d.path, ...d.client]));
  const named = user as RouterStackLayers;
  return {
    server: apply('server', d.server, named.server),
    path: apply('path', d.path, named.path),
    client: apply('client', d.client, named.client),
  };
}

/** One handler: server stack over path stack over client stack over dispatch. */
export function composeStacks(
  rt: RouterRuntime,
  stacks: RouterStacks<readonly RouterLayer[]>,
): RouterHandler {
  const client = compose(...stacks.client.map((l) => l.layer))(dispatchHandler(rt));
  const path = compose(...stacks.path.map((l) => l.layer))(client);
  return compose(...stacks.server.map((l) => l.layer))(path);
}
