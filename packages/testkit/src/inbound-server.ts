/**
 * A stand-in for the router's server side, for tests of server-stack layers (telemetry's
 * request log and tracing, the admin's recent-requests feed): a real HTTP/1.1 or h2c server on an
 * ephemeral loopback port that turns each request into a value shaped as the router's `Inbound`
 * stage value (its `Exchange` with a writable request record) and hands it to the test's handler,
 * usually layers around a fake router that fills in the record as the router does.
 *
 * The types are structural copies (testkit does not depend on the router or telemetry): the
 * value satisfies telemetry's `ObservedInbound`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createH2cServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Path } from '@switchyard/dtab';

/** What the router learns about a request while it runs (its `RequestRecord`), writable. */
export interface TestRequestRecord {
  /** The logical name, once identified. */
  dst: Path | undefined;
  /** The service (`Path.show(dst)`), once bound. */
  service: string | undefined;
  /** The bound client id, once bound. */
  client: string | undefined;
  /** `host:port` of the endpoint the latest attempt went to. */
  endpoint: string | undefined;
  /** The request's id (`l5d-reqid`). */
  requestId?: string | undefined;
}

/** A request as the router's server stack receives it (`Inbound`), with a writable record. */
export interface TestInbound {
  readonly kind: 'inbound';
  readonly exchange: {
    /** The router's label (`router` option, default `http`). */
    readonly router: string;
    readonly server: { readonly clearContext: boolean };
    readonly req: IncomingMessage | Http2ServerRequest;
    readonly res: ServerResponse | Http2ServerResponse;
    /** Empty when the request arrives; the test's fake router fills it in. */
    readonly record: TestRequestRecord;
    readonly locals: Record<string, unknown>;
  };
  /** Method, URL and a copy of the request's headers. */
  readonly head: { readonly method: string; readonly url: string; readonly headers: IncomingHttpHeaders };
  /** The `Host` the client sent. */
  readonly clientHost: string | undefined;
}

/** Options of {@link startInboundServer}. */
export interface InboundServerOptions {
  /** `http/1.1` (default) or `h2c` (node:http2's compatibility API, cleartext). */
  readonly protocol?: 'http/1.1' | 'h2c';
  /** The router label on each exchange; default `http`. */
  readonly router?: string;
}

/** A running {@link startInboundServer}. */
export interface InboundServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every value built so far, in arrival order (the value the handler received first). */
  readonly created: readonly TestInbound[];
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** The router-shaped value of one request: an empty record, a copy of the headers. */
export function testInbound(
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
  router = 'http',
): TestInbound {
  return {
    kind: 'inbound',
    exchange: {
      router,
      server: { clearContext: false },
      req,
      res,
      record: { dst: undefined, service: undefined, client: undefined, endpoint: undefined },
      locals: {},
    },
    head: { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } },
    clientHost: req.headers.host,
  };
}

/**
 * Starts a server on 127.0.0.1 (ephemeral port) that calls `handler` with {@link testInbound} of
 * each request. A handler's rejection fails the request's connection, not the process: the test
 * sees it as a missing answer.
 */
export async function startInboundServer(
  handler: (inbound: TestInbound) => Promise<void> | void,
  options: InboundServerOptions = {},
): Promise<InboundServer> {
  const created: TestInbound[] = [];
  const listener = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const inbound = testInbound(req, res, options.router);
    created.push(inbound);
    Promise.resolve()
      .then(() => handler(inbound))
      .catch(() => res.destroy());
  };
  const server = options.protocol === 'h2c' ? createH2cServer(listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    created,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
