/**
 * Identifiers name requests: `request => identified(path) | unidentified(reason)`, Linkerd's
 * `Identifier[Req]`. Being "not mine" is a value (`unidentified`), not an exception.
 */
import type { Dtab, Path } from '@switchyard/dtab';

/**
 * Per-request actions an identifier may attach to an identification, applied by the router
 * (Gateway API `HTTPRoute` rule `timeouts` and `RequestMirror` filters). Plain data: the router
 * reads it, the identifier decides it (a mirror's share is already drawn).
 */
export interface RouteActions {
  /** Deadline from the request's arrival to the end of the response, ms (504 on expiry). */
  readonly requestTimeoutMs?: number | undefined;
  /** Limit of each attempt to a backend, ms (each retry gets its own). */
  readonly backendRequestTimeoutMs?: number | undefined;
  /** Names to send a fire-and-forget copy of the request to, bound through the same dtabs. */
  readonly mirrors?: readonly Path[];
  /** Bounds on those copies; absent fields (or all absent) take the router's defaults. */
  readonly mirrorLimits?: MirrorLimits | undefined;
}

/**
 * Bounds on `RequestMirror` copies, so that a mirror backend that is slow or never answers costs
 * the router a bounded amount (the real request never waits for a copy either way).
 */
export interface MirrorLimits {
  /** Copies in flight in the router at most; a copy over the bound is not sent (counted). */
  readonly maxInFlight?: number | undefined;
  /** A request body longer than this many bytes is not copied (the copy is skipped, counted). */
  readonly maxBodyBytes?: number | undefined;
  /** Longest a copy may take (binding, connecting and the whole response), ms. */
  readonly timeoutMs?: number | undefined;
}

/**
 * What an identifier returns. `request` may be rewritten (e.g. `io.l5d.path` with `consume`).
 * `dtab`, when present, is appended to the router's base dtab (before the request's local dtab)
 * for this request only: it lets an identifier name a weighted choice of several names, e.g.
 * path `/gw/ns/route/0` with `/gw/ns/route/0 => 3 * /svc/a & 1 * /svc/b` (`io.l5d.httproute`).
 * Identifiers must reuse the same `Dtab` object for the same content (routers key caches by it).
 */
export type Identification<Req> =
  | {
      readonly kind: 'identified';
      readonly path: Path;
      readonly request: Req;
      readonly dtab?: Dtab;
      /** What the matched route asks of the router for this request (timeouts, mirrors). */
      readonly actions?: RouteActions;
    }
  | {
      readonly kind: 'unidentified';
      /** Why, as shown after `Unknown destination: Request(...) / `. */
      readonly reason: string;
      /** HTTP status the router should answer with; the router's default is 400. */
      readonly status?: number;
    };

/** Names a request. Never rejects for "not mine"; rejects only on faults. */
export type Identifier<Req> = (request: Req) => Promise<Identification<Req>>;

/**
 * The protocol-neutral view of an HTTP request that identifiers read. Header names are
 * lower-case; `url` is the request target as received (origin-form path and query, or
 * absolute-form).
 */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Address and port of the socket the request arrived on (the listener's, e.g. for choosing a
   * Gateway API listener by port). The router always sets them; absent in heads built elsewhere.
   */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** True when the request arrived over TLS. */
  readonly secure: boolean;
}

/** Builds an `identified` result, optionally with a per-request dtab addition. */
export function identified<Req>(path: Path, request: Req, dtab?: Dtab): Identification<Req> {
  return dtab === undefined
    ? { kind: 'identified', path, request }
    : { kind: 'identified', path, request, dtab };
}

/** Builds an `unidentified` result. */
export function unidentified<Req>(reason: string, status?: number): Identification<Req> {
  return status === undefined ? { kind: 'unidentified', reason } : { kind: 'unidentified', reason, status };
}

/**
 * Tries identifiers in order; the first `identified` wins. When none identifies the request the
 * last identifier's reason is used, as Linkerd 1 does.
 */
export function firstIdentified<Req>(identifiers: readonly Identifier<Req>[]): Identifier<Req> {
  if (identifiers.length === 0) throw new TypeError('firstIdentified needs at least one identifier');
  if (identifiers.length === 1) return identifiers[0]!;
  return async (request) => {
    let last: Identification<Req> | undefined;
    for (const identify of identifiers) {
      last = await identify(request);
      if (last.kind === 'identified') return last;
    }
    return last!;
  };
}
