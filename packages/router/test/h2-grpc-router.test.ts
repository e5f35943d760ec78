/**
 * gRPC through the router end to end: a real `@grpc/grpc-js` client → the router's h2c server →
 * `client.protocol: h2c` → a real grpc-js server. Unary, server streaming, client streaming and
 * bidi calls; cancellation reaching the backend; `grpc-timeout` as the request deadline (an
 * expired one never reaches a backend); router errors as gRPC statuses; and HTTP/1.1 clients to
 * an HTTP/2 backend.
 */
import http from 'node:http';
import http2 from 'node:http2';
import {
  type Client,
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { createPlainHttpServer } from '@switchyard/tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateServer } from '../src/index.js';
import { fixtures, headerIdentifier } from './helpers.js';

const { cleanup, router } = fixtures(500);
const h2c: CreateServer = (options) => createPlainHttpServer({ ...options, h2: {} });

const identity = (b: Buffer) => b;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const definition = {
  Unary: method('/test.Echo/Unary', false, false),
  ServerStream: method('/test.Echo/ServerStream', false, true),
  ClientStream: method('/test.Echo/ClientStream', true, false),
  Bidi: method('/test.Echo/Bidi', true, true),
  Slow: method('/test.Echo/Slow', false, false),
};
const Echo = makeGenericClientConstructor(definition, 'test.Echo');
type Call = (...args: unknown[]) => unknown;

const events: string[] = [];
afterEach(() => {
  events.length = 0;
});

async function grpcBackend(): Promise<number> {
  const server = new Server();
  server.addService(definition, {
    Unary: (call: ServerUnaryCall<Buffer, Buffer>, cb: (e: null, r: Buffer) => void) => {
      events.push('unary');
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
    },
    ServerStream: (call: ServerWritableStream<Buffer, Buffer>) => {
      const n = Number(call.request.toString());
      call.on('cancelled', () => events.push('cancelled'));
      let i = 0;
      const tick = () => {
        if (call.cancelled) return;
        if (i >= n) {
          call.end();
          return;
        }
        call.write(Buffer.from(`m${i++}`));
        setTimeout(tick, n > 100 ? 20 : 0);
      };
      tick();
    },
    ClientStream: (call: ServerReadableStream<Buffer, Buffer>, cb: (e: null, r: Buffer) => void) => {
      let total = 0;
      call.on('data', (b: Buffer) => (total += b.length));
      call.on('end', () => cb(null, Buffer.from(`total:${total}`)));
    },
    Bidi: (call: ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => call.write(Buffer.concat([Buffer.from('re:'), b])));
      call.on('end', () => call.end());
    },
    Slow: () => {
      events.push('slow');
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  cleanup.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return port;
}

async function grpcRouter(backendPort: number, dtab?: string) {
  return router(dtab ?? `/svc => /$/inet/127.0.0.1/${backendPort}`, {
    identifier: headerIdentifier('host'),
    servers: [{ port: 0, createServer: h2c }],
    client: { protocol: 'h2c' },
  });
}

function client(port: number): Client & Record<string, Call> {
  const c = new Echo(`127.0.0.1:${port}`, credentials.createInsecure()) as Client & Record<string, Call>;
  cleanup.push(async () => c.close());
  return c;
}

function unary(c: Record<string, Call>, name: string, body: Buffer, deadlineMs?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    c[name]!(body, options, (err: ServiceError | null, reply: Buffer) =>
      err ? reject(err) : resolve(reply),
    );
  });
}

describe('gRPC through the router (h2c both sides)', () => {
  it('unary', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    const reply = await unary(client(port), 'Unary', Buffer.from('hi'));
    expect(reply.toString()).toBe('echo:hi');
  });

  it('server streaming', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client(port).ServerStream!(Buffer.from('5')) as NodeJS.EventEmitter;
      call.on('data', (b: Buffer) => got.push(b.toString()));
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('client streaming', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client(port).ClientStream!((err: ServiceError | null, r: Buffer) =>
        err ? reject(err) : resolve(r),
      ) as NodeJS.WritableStream;
      for (let i = 0; i < 10; i++) call.write(Buffer.alloc(1000, i));
      call.end();
    });
    expect(reply.toString()).toBe('total:10000');
  });

  it('bidi streaming', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client(port).Bidi!() as NodeJS.ReadWriteStream;
      call.on('data', (b: Buffer) => {
        got.push(b.toString());
        if (got.length < 3) call.write(Buffer.from(`x${got.length}`));
        else call.end();
      });
      call.on('end', resolve);
      call.on('error', reject);
      call.write(Buffer.from('x0'));
    });
    expect(got).toEqual(['re:x0', 're:x1', 're:x2']);
  });

  it('cancellation by the client reaches the backend as a cancelled call', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    await new Promise<void>((resolve) => {
      const call = client(port).ServerStream!(Buffer.from('1000')) as NodeJS.EventEmitter & {
        cancel(): void;
      };
      call.once('data', () => call.cancel());
      call.on('error', (err: ServiceError) => {
        expect(err.code).toBe(status.CANCELLED);
        resolve();
      });
    });
    const deadline = Date.now() + 5000;
    while (!events.includes('cancelled') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(events).toContain('cancelled');
  });

  it('no route: the gRPC client sees a gRPC status with the router message, not an HTTP error', async () => {
    const { port } = await grpcRouter(0, '/svc => /$/fail');
    const err = (await unary(client(port), 'Unary', Buffer.from('x')).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect([status.UNIMPLEMENTED, status.UNAVAILABLE]).toContain(err.code);
    expect(err.details).toContain('Unable to route request');
  });

  it('grpc-timeout is the deadline: expired → DEADLINE_EXCEEDED without a backend call; short → cut at the deadline', async () => {
    const { port } = await grpcRouter(await grpcBackend());
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanup.push(async () => session.destroy());
    const call = (timeout: string) =>
      new Promise<{ headers: http2.IncomingHttpHeaders; ms: number }>((resolve, reject) => {
        const t0 = Date.now();
        const s = session.request({
          ':method': 'POST',
          ':path': '/test.Echo/Slow',
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': timeout,
        });
        let headers: http2.IncomingHttpHeaders = {};
        s.on('response', (h) => (headers = h));
        s.on('trailers', (t) => (headers = { ...headers, ...t }));
        s.on('error', reject);
        s.resume();
        s.on('close', () => resolve({ headers, ms: Date.now() - t0 }));
        s.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    const expired = await call('0m');
    expect(expired.headers[':status']).toBe(200);
    expect(expired.headers['grpc-status']).toBe(String(status.DEADLINE_EXCEEDED));
    expect(events).not.toContain('slow');
    const cut = await call('300m');
    expect(cut.headers['grpc-status']).toBe(String(status.DEADLINE_EXCEEDED));
    expect(decodeURIComponent(String(cut.headers['grpc-message']))).toContain('grpc-timeout');
    expect(cut.ms).toBeGreaterThanOrEqual(250);
    expect(events).toContain('slow');
  });

  it('an HTTP/1.1 client reaches an HTTP/2 (h2c) backend; an h2 backend reset fails the request with 502', async () => {
    const backend = http2.createServer();
    let resets = 0;
    backend.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      if (headers[':path'] === '/reset') {
        resets++;
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return;
      }
      let n = 0;
      stream.on('data', (c: Buffer) => (n += c.length));
      stream.on('end', () => {
        stream.respond(
          { ':status': 201, 'x-authority': String(headers[':authority']) },
          { waitForTrailers: true },
        );
        stream.once('wantTrailers', () => stream.sendTrailers({ 'x-done': 'yes' }));
        stream.end(`${headers[':method']} ${headers[':path']} ${n}`);
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => backend.close(() => r())));
    const backendPort = (backend.address() as import('node:net').AddressInfo).port;
    const { port } = await router(`/svc => /$/inet/127.0.0.1/${backendPort}`, {
      identifier: headerIdentifier('host'),
      client: { protocol: 'h2c' },
    });
    const reply = await new Promise<{
      status: number;
      body: string;
      headers: http.IncomingHttpHeaders;
      trailers: NodeJS.Dict<string>;
    }>((resolve, reject) => {
      const req = http.request(
        {
          port,
          method: 'POST',
          path: '/up?x=1',
          headers: { host: 'web.test', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body, headers: res.headers, trailers: res.trailers }),
          );
        },
      );
      req.on('error', reject);
      req.write('abc');
      req.end('defg');
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toBe('POST /up?x=1 7');
    expect(reply.headers['x-authority']).toBe('web.test');
    expect(reply.trailers['x-done']).toBe('yes');
    const reset = await new Promise<number>((resolve, reject) => {
      http
        .get({ port, path: '/reset', headers: { host: 'web.test' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(reset).toBe(502);
    // A reset before any response byte of an idempotent request is requeued, within the budget.
    expect(resets).toBeGreaterThanOrEqual(1);
  });
});
