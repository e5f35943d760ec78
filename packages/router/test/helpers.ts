/**
 * Test fixtures: real node:http backends on loopback, a tiny header identifier (the identifiers
 * package is written separately), a router wired to core's interpreter, and a raw HTTP client.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import {
  Activity as Act,
  type Activity,
  type Addr,
  createInterpreter,
  type Identifier,
  identified,
  Name,
  type NamerEntry,
  type RequestHead,
  unidentified,
  Var,
  type WritableVar,
} from '@switchyard/core';
import { Dtab, type NameTree } from '@switchyard/dtab';
import { afterEach } from 'vitest';
import { createRouter, type Router, type RouterOptions } from '../src/index.js';

/** A backend server on 127.0.0.1 with an ephemeral port. */
export interface Backend {
  readonly port: number;
  readonly server: http.Server;
  readonly sockets: Set<Socket>;
  /** Requests received so far. */
  readonly seen: IncomingMessage[];
  /** Bytes received on every connection so far (closed ones included). */
  bytesReceived(): number;
  close(): Promise<void>;
}

/** Starts a backend; `handler` defaults to answering `backend:<port> <method> <url>`. */
export async function startBackend(
  handler?: (req: IncomingMessage, res: ServerResponse, backend: { port: number }) => void,
): Promise<Backend> {
  const sockets = new Set<Socket>();
  const seen: IncomingMessage[] = [];
  let closedBytes = 0;
  const info = { port: 0 };
  const server = http.createServer((req, res) => {
    seen.push(req);
    if (handler !== undefined) return handler(req, res, info);
    req.resume();
    req.on('end', () => res.end(`backend:${info.port} ${req.method} ${req.url}`));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => {
      closedBytes += s.bytesRead;
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  info.port = (server.address() as AddressInfo).port;
  return {
    port: info.port,
    server,
    sockets,
    seen,
    bytesReceived: () => {
      let n = closedBytes;
      for (const s of sockets) n += s.bytesRead;
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** `/svc/<value of header>`; unidentified when the header is absent (like io.l5d.header.token). */
export function headerIdentifier(header = 'x-dst', status?: number): Identifier<RequestHead> {
  return async (req) => {
    const value = req.headers[header];
    if (typeof value !== 'string' || value === '') return unidentified(`${header} header is absent`, status);
    return identified(['svc', value], req);
  };
}

/** A namer under `/#/test` whose names and address sets the test changes at will. */
export function testNamer(): {
  entry: NamerEntry;
  addr(name: string): WritableVar<Addr>;
} {
  const vars = new Map<string, WritableVar<Addr>>();
  const addr = (name: string) => {
    let v = vars.get(name);
    if (v === undefined) {
      v = Var.value<Addr>({ kind: 'pending' });
      vars.set(name, v);
    }
    return v;
  };
  return {
    entry: {
      prefix: ['#', 'test'],
      namer: {
        lookup(path): Activity<NameTree<Name>> {
          const name = path[0];
          if (name === undefined) return Act.value({ kind: 'neg' });
          return Act.value({
            kind: 'leaf',
            value: Name.bound(['#', 'test', name], addr(name), path.slice(1)),
          });
        },
      },
    },
    addr,
  };
}

/** A router on an ephemeral loopback port with the given dtab text. */
export async function startRouter(
  dtab: string,
  options: Partial<RouterOptions> & { namers?: readonly NamerEntry[] } = {},
): Promise<{ router: Router; port: number }> {
  const { namers, ...rest } = options;
  const router = createRouter({
    servers: [{ port: 0 }],
    identifier: headerIdentifier(),
    interpreter: createInterpreter({ namers: namers ?? [] }),
    dtab: Dtab.read(dtab),
    ...rest,
  });
  const [server] = await router.listen();
  return { router, port: server!.port };
}

/** A finished HTTP exchange. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection. */
export function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: string | Buffer;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes `data` (latin1) on a fresh connection and resolves with everything received until the
 * router closes it (send `Connection: close` for requests the router would keep alive).
 */
export function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(data, 'latin1')));
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

/** Waits until `check` is true, polling (event-driven waits where the event is not observable). */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Per-file fixtures: backends and routers started through these (and anything pushed on
 * `cleanup`) are closed after each test, in reverse order, even when the test fails.
 */
export function fixtures(graceMs: number): {
  cleanup: (() => Promise<unknown>)[];
  backend(handler?: Parameters<typeof startBackend>[0]): Promise<Backend>;
  router(dtab: string, options?: Parameters<typeof startRouter>[1]): ReturnType<typeof startRouter>;
} {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()!();
  });
  return {
    cleanup,
    async backend(handler) {
      const b = await startBackend(handler);
      cleanup.push(() => b.close());
      return b;
    },
    async router(dtab, options = {}) {
      const r = await startRouter(dtab, options);
      // close() is idempotent: a test that closes the router itself is unaffected.
      cleanup.push(() => r.router.close({ graceMs }));
      return r;
    },
  };
}
