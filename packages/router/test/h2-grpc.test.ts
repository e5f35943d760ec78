/**
 * A real gRPC client (@grpc/grpc-js) against an HTTP/2 server that answers with the router's
 * gRPC error mapping: the client must see the status code, the decoded message, and its deadline
 * must reach the server as a parsed `grpc-timeout`.
 */
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  type Client,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoRouteError, OverloadedError, TotalTimeoutError } from '../src/errors.js';
import { grpcErrorResponse } from '../src/h2/grpc-status.js';
import { requestDeadlineMs } from '../src/h2/grpc-timeout.js';

const identity = (b: Buffer) => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const Echo = makeGenericClientConstructor(
  {
    Missing: method('/test.Missing/Call'),
    Busy: method('/test.Busy/Call'),
    Slow: method('/test.Slow/Call'),
  },
  'test.Echo',
);
const dtabs = { base: '/svc=>/#/io.l5d.fs', local: '' };

let server: Http2Server;
let client: Client &
  Record<string, (req: Buffer, md: Metadata, opts: object, cb: (e: ServiceError | null) => void) => void>;
const seenDeadlines: (number | undefined)[] = [];

beforeAll(async () => {
  server = createServer();
  server.on('stream', (stream, headers) => {
    const deadline = requestDeadlineMs(headers['grpc-timeout']);
    seenDeadlines.push(deadline);
    const err =
      headers[':path'] === '/test.Missing/Call'
        ? new NoRouteError('neg', '/svc/test.Missing', dtabs)
        : headers[':path'] === '/test.Busy/Call'
          ? new OverloadedError(100)
          : new TotalTimeoutError(deadline ?? 0);
    // Drain the request, then answer trailers-only as the router's gRPC exit does.
    stream.resume();
    stream.on('end', () =>
      stream.respond(grpcErrorResponse(err, { clearContext: false }).headers, { endStream: true }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new Echo(`127.0.0.1:${port}`, credentials.createInsecure()) as typeof client;
});

afterAll(async () => {
  client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function call(name: string, deadlineMs?: number): Promise<ServiceError> {
  return new Promise((resolve, reject) => {
    const opts = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    client[name]!(Buffer.from('hi'), new Metadata(), opts, (e) =>
      e === null ? reject(new Error('no error')) : resolve(e),
    );
  });
}

describe('gRPC clients read router errors as gRPC statuses', () => {
  it('an unroutable service is UNIMPLEMENTED with the router message', async () => {
    const e = await call('Missing');
    expect(e.code).toBe(status.UNIMPLEMENTED);
    expect(e.details).toContain('Unable to route request!');
    expect(e.details).toContain('service: /svc/test.Missing');
  });

  it('overload is RESOURCE_EXHAUSTED', async () => {
    expect((await call('Busy')).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it("the client's deadline arrives as grpc-timeout and a router timeout is DEADLINE_EXCEEDED", async () => {
    seenDeadlines.length = 0;
    const e = await call('Slow', 5000);
    expect(e.code).toBe(status.DEADLINE_EXCEEDED);
    expect(seenDeadlines[0]).toBeGreaterThan(3000);
    expect(seenDeadlines[0]).toBeLessThanOrEqual(5000);
  });
});
