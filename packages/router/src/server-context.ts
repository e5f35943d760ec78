/** The configured identity of a listening server, shared by the stage values and the runtime. */

/** The server a request arrived on, as configured. */
export interface ServerContext {
  /** Listening address as configured (`127.0.0.1` by default). */
  readonly ip: string;
  /** Port as configured (0 for an ephemeral port). */
  readonly port: number;
  /** Strip inbound `l5d-*`, never interpret dtab headers, hide details in error responses. */
  readonly clearContext: boolean;
}
