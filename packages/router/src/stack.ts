/**
 * The router's default stack, outermost first: the server stack (stats, rescue, admission,
 * request-line, context headers, identify), then the path stack (bind, retries), then the client
 * stack (dispatch). Each layer lives in the folder of the stack it belongs to.
 */

import { dispatchHandler } from './client/dispatch.js';
import type { RouterHandler, RouterLayer } from './context.js';
import { bindLayer } from './path/bind.js';
import { retriesLayer } from './path/retries.js';
import type { RouterRuntime } from './runtime.js';
import { admissionLayer } from './server/admission.js';
import { callDepthLayer, contextLayer, proxyRewriteLayer } from './server/context-headers.js';
import { identifyLayer } from './server/identify.js';
import { requestLineLayer } from './server/request-line.js';
import { rescueLayer } from './server/respond-error.js';
import { serverStatsLayer } from './server/stats.js';

/**
 * The default stack, outermost first. `user` layers go between `identify` and `bind`.
 */
export function defaultLayers(rt: RouterRuntime, user: readonly RouterLayer[] = []): RouterLayer[] {
  return [
    serverStatsLayer(rt),
    rescueLayer(rt),
    admissionLayer(rt),
    requestLineLayer(),
    contextLayer(rt),
    callDepthLayer(rt),
    proxyRewriteLayer(),
    identifyLayer(rt),
    ...user,
    bindLayer(rt),
    retriesLayer(rt),
  ];
}

/** The terminal handler under the layers. */
export function terminalHandler(rt: RouterRuntime): RouterHandler {
  return dispatchHandler(rt);
}
