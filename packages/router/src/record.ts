/**
 * The per-request record observers read: what the stacks learned about one request (its name,
 * service, bound client and endpoint). The router's layers fill it in as they learn; telemetry
 * layers read it when the response ends, without reaching into the stage values.
 */
import type { Path } from '@switchyard/dtab';

/** What the stacks learned about one request so far. Read-only for layers. */
export interface RequestRecord {
  /** The logical name, once identified. */
  readonly dst: Path | undefined;
  /** The service (`Path.show(dst)`), once bound. */
  readonly service: string | undefined;
  /** The bound client id (e.g. `/$/inet/127.0.0.1/8080`), once bound. */
  readonly client: string | undefined;
  /** `host:port` of the endpoint the latest attempt went to. */
  readonly endpoint: string | undefined;
  /**
   * The request's `l5d-reqid`: the one a trusted client sent (clearContext off), else generated
   * (16 hex digits) when the exchange starts. Forwarded upstream in `l5d-reqid`.
   */
  readonly requestId?: string | undefined;
}

/** The record as the router's layers write it. */
export interface RecordState {
  dst: Path | undefined;
  service: string | undefined;
  client: string | undefined;
  endpoint: string | undefined;
  requestId: string;
}

/** A new record of a request with id `requestId`; nothing learned yet. */
export function emptyRecord(requestId: string): RecordState {
  return { dst: undefined, service: undefined, client: undefined, endpoint: undefined, requestId };
}
