/**
 * The seam between an attempt and the policy above it: a response whose head has arrived and
 * whose body has not been read yet. The HTTP/1.1 forwarder (undici) and the HTTP/2 forwarder
 * (`H2Pool`) both produce it; the client stack decides, from the status and headers, whether to
 * `relay` it to the client or `discard` it and let the retry layer try again.
 */
import type { RawFields } from './raw-fields.js';

/**
 * Key of the raw field list of a response head, when its forwarder kept one (HTTP/1.1): the
 * router's own layers read single fields from it without building `headers`. Not exported from
 * the package; registered (`Symbol.for`) so that a layer wrapping a held response without
 * importing the router (telemetry's attempt span) can pass the list on.
 */
export const RAW_FIELDS: unique symbol = Symbol.for('switchyard.router.rawFields') as never;

/** A response head that arrived from an endpoint, its body held back. */
export interface HeldResponse {
  readonly status: number;
  /** Response fields as received (lower-case names; pseudo-headers removed). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The head's raw field list (name, value, …), when the forwarder has it. */
  readonly [RAW_FIELDS]?: RawFields;
  /**
   * Writes the response to the client and streams its body (and trailers) with back-pressure.
   * Resolves with the status once the response was written in full; rejects with a `RouterError`
   * or `ClientGoneError` (the client connection is already cut when the head had been written).
   * Call once. `extra` fields are added to the relayed head (the router's own response context,
   * e.g. `l5d-success-class`), after the response's own fields were filtered for the client.
   */
  relay(extra?: Readonly<Record<string, string>>): Promise<number>;
  /** Drops the response unread (the endpoint's stream is cancelled). Call at most once, instead of `relay`. */
  discard(): void;
}
