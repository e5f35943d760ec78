/**
 * The shape every admin route module produces: a table of paths to handlers, each saying which
 * methods it answers, whether it needs the bearer token, and whether the probe listener serves it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers one request; `url` is parsed against a placeholder origin. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/**
 * `read` routes answer GET/HEAD (the delegator also POST, which changes nothing); `control`
 * routes change the process and pass the bearer check. `probe` routes are also served by the
 * probe listener.
 */
export interface Route {
  readonly methods: readonly string[];
  readonly access: 'read' | 'control';
  readonly probe: boolean;
  readonly handler: Handler;
}

/** Routes by path. */
export type RouteTable = ReadonlyMap<string, Route>;

/** A GET/HEAD read route. */
export function read(handler: Handler, probe = false): Route {
  return { methods: ['GET', 'HEAD'], access: 'read', probe, handler };
}

/** A control route (bearer token required) answering `methods`. */
export function control(handler: Handler, methods: readonly string[] = ['POST']): Route {
  return { methods, access: 'control', probe: false, handler };
}
