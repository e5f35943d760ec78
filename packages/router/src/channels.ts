/**
 * Diagnostics channels of the router. Libraries do not log (STYLE item 14): subscribers (the
 * reference ingress, tests, APM agents) read these instead.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * `switchyard:router:error` — an error was rescued into a response (or a closed connection):
 * `{ router, server, status, code, error }`.
 * `switchyard:router:listening` — a server is bound: `{ router, ip, port }`.
 * `switchyard:router:closed` — the router finished closing: `{ router, forced }`.
 * `switchyard:router:evicted` — a service or client left the binding caches: `{ router, event }`
 *   (a `RouterEviction`), and `error` when an eviction hook threw.
 */
export const diagnostics = Object.freeze({
  error: diagnosticsChannel.channel('switchyard:router:error'),
  listening: diagnosticsChannel.channel('switchyard:router:listening'),
  closed: diagnosticsChannel.channel('switchyard:router:closed'),
  evicted: diagnosticsChannel.channel('switchyard:router:evicted'),
});
