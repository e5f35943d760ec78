/**
 * What the request-telemetry layers read of a router's request, declared here as structural
 * copies of the few router fields they touch, so that telemetry never imports the router (the
 * dependency runs router ← config → telemetry). The router's `Inbound` and `Bound` stage values
 * and its `Exchange`/`RequestRecord` satisfy these types; so does anything shaped like them (a
 * test's own server).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { NamedLayer } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';

/** The client's request: HTTP/1.1 (`node:http`) or HTTP/2 (`node:http2`'s compatibility API). */
export type ObservedClientRequest = IncomingMessage | Http2ServerRequest;
/** The response to the client, on the request's protocol. */
export type ObservedClientResponse = ServerResponse | Http2ServerResponse;

/** A header record with lower-case names, as a request head carries it. */
export type ObservedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What the router learned about one request (its `RequestRecord`), read when the response ends.
 * The router fills it in while the request runs; telemetry only reads it.
 */
export interface ObservedRecord {
  /** The logical name, once identified. */
  readonly dst: Path | undefined;
  /** The service (`Path.show(dst)`), once bound. */
  readonly service: string | undefined;
  /** The bound client id, once bound. */
  readonly client: string | undefined;
  /** `host:port` of the endpoint the latest attempt went to. */
  readonly endpoint: string | undefined;
  /** The request's id (`l5d-reqid`), when the router assigns one. */
  readonly requestId?: string | undefined;
}

/** One exchange with a client (the router's `Exchange`): what stays the same while it runs. */
export interface ObservedExchange {
  /** The router's label. */
  readonly router: string;
  readonly server: { readonly clearContext: boolean };
  readonly req: ObservedClientRequest;
  readonly res: ObservedClientResponse;
  readonly record: ObservedRecord;
  /** Per-exchange slots; the request span is kept here for the attempt spans (`requestSpanOf`). */
  readonly locals: Record<string, unknown>;
  /**
   * Makes the trace id the request's id (`l5d-reqid`), as Linkerd 1 did; the router keeps a
   * trusted client's own `l5d-reqid`. Absent on exchanges without request ids.
   */
  adoptTraceId?(traceId: string): void;
}

/** The head a stage value sends upstream (core's `RequestHead`, the fields read here). */
export interface ObservedHead {
  readonly method: string;
  readonly url: string;
  readonly headers: ObservedHeaders;
}

/** The server-stack value (the router's `Inbound`): the request as received. */
export interface ObservedInbound {
  readonly kind: 'inbound';
  readonly exchange: ObservedExchange;
  readonly head: ObservedHead;
  /** The `Host` the client sent. */
  readonly clientHost: string | undefined;
}

/** The client-stack value (the router's `Bound`): one attempt of an identified, bound request. */
export interface ObservedBound {
  readonly kind: 'bound';
  readonly identified: { readonly request: ObservedInbound };
}

/** A typed server-stack layer over values of type `I` (the router's `ServerLayer` when `I` is `Inbound`). */
export interface TelemetryServerLayer<I extends ObservedInbound>
  extends NamedLayer<(value: I) => Promise<void>> {
  readonly kind: 'server';
}

/**
 * What one attempt of the client stack resolves with (the router's `HeldResponse`): the response
 * head, its body held back until the router's retry layer relays or discards it.
 */
export interface ObservedHeldResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  relay(extra?: Readonly<Record<string, string>>): Promise<number>;
  discard(): void;
}

/** A typed client-stack layer over values of type `B` (the router's `ClientLayer` when `B` is `Bound`). */
export interface TelemetryClientLayer<B extends ObservedBound>
  extends NamedLayer<(value: B) => Promise<ObservedHeldResponse>> {
  readonly kind: 'client';
}

/**
 * The same inbound value with other headers: a new value (as the router's `withHead`), the
 * given one unchanged.
 */
export function inboundWithHeaders<I extends ObservedInbound>(value: I, headers: ObservedHeaders): I {
  return { ...value, head: { ...value.head, headers } };
}

/** The same bound value with other headers on its inbound request: a new value. */
export function boundWithHeaders<B extends ObservedBound>(value: B, headers: ObservedHeaders): B {
  const identified = value.identified;
  return {
    ...value,
    identified: { ...identified, request: inboundWithHeaders(identified.request, headers) },
  };
}
