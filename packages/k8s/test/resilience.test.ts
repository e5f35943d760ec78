/**
 * Client behaviour a real cluster demands, over real sockets against the testkit API server:
 * 429/Retry-After and transient-failure retries with a bound, 504 "Too large resource version"
 * relists, the first informer list from the cache (`resourceVersion=0`) with its fallback,
 * impersonation headers, and HTTP proxies (kubeconfig `proxy-url`, `HTTPS_PROXY`/`NO_PROXY`).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createInformer,
  createKubeClient,
  INGRESS_V1,
  KubeApiError,
  kubeconfigConfig,
  SERVICE_V1,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { service, until } from './helpers.js';

let api: FakeKubeApi | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await api?.close();
  api = undefined;
});

const fast = { maxRetries: 3, backoff: { initialMs: 5, maxMs: 20 } };

/** A TCP front for `port` that resets the first `resets` connections. */
async function flakyFront(port: number, resets: number): Promise<{ url: string; accepted: () => number }> {
  let n = 0;
  const server: Server = createServer((socket: Socket) => {
    n++;
    if (n <= resets) {
      socket.resetAndDestroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accepted: () => n };
}

/** An HTTP proxy that tunnels CONNECT (and forwards absolute-form requests), counting both. */
async function proxyServer(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createHttpServer((req, res) => {
    tunnels.push(`GET ${req.url}`);
    res.writeHead(502).end();
  });
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

/** Temp directories this file made; removed after its tests. */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('retries of one-shot calls', () => {
  it('429 with Retry-After: waits that long, then succeeds (list, get, patchStatus and replaceStatus)', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'web'));
    api.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace: 'default', name: 'ing' },
    });
    const client = createKubeClient(urlConfig(api.url), { retry: fast });
    closers.push(() => client.close());
    api.faults.throttleNext(2, { retryAfterSeconds: 1 });
    const started = Date.now();
    expect((await client.list(SERVICE_V1)).items).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    api.faults.throttleNext(1, { retryAfterSeconds: 0 });
    expect((await client.get(SERVICE_V1, 'default', 'web'))?.metadata.name).toBe('web');
    api.faults.throttleNext(1, { retryAfterSeconds: 0 });
    await client.patchStatus(INGRESS_V1, 'default', 'ing', {
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    });
    const ing = (await client.get(INGRESS_V1, 'default', 'ing'))!;
    api.faults.throttleNext(1, { retryAfterSeconds: 0 });
    await client.replaceStatus(INGRESS_V1, ing);
    const throttled = api.requests.filter((r) => r.method !== 'GET' || r.path.endsWith('/ing'));
    expect(throttled.length).toBeGreaterThanOrEqual(5);
  });

  it('gives up after maxRetries and reports the last 429', async () => {
    api = await startFakeKubeApi();
    const client = createKubeClient(urlConfig(api.url), { retry: fast });
    closers.push(() => client.close());
    api.faults.throttleNext(10, { retryAfterSeconds: 0 });
    const err = await client.list(SERVICE_V1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(429);
    expect(api.requests).toHaveLength(4); // 1 + maxRetries
  });

  it('5xx with Retry-After is retried; without it only when serverErrors is on', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'web'));
    // The default is client-go's: a 5xx without Retry-After is the answer, not retried.
    const strict = createKubeClient(urlConfig(api.url), { retry: fast });
    closers.push(() => strict.close());
    api.faults.failNext(1, { status: 500 });
    const err = await strict.list(SERVICE_V1).catch((e: unknown) => e);
    expect((err as KubeApiError).status).toBe(500);
    expect(api.requests).toHaveLength(1);
    // With Retry-After (a 503 from a starting server), every call waits and retries.
    api.faults.failNext(2, { status: 503, retryAfterSeconds: 0 });
    expect((await strict.list(SERVICE_V1)).items).toHaveLength(1);
    expect(api.requests).toHaveLength(4);
    api.faults.failNext(1, { status: 503, retryAfterSeconds: 0 });
    await strict.create(SERVICE_V1, service('default', 'api'));
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(2);

    const before = api.requests.length;
    const client = createKubeClient(urlConfig(api.url), { retry: { ...fast, serverErrors: true } });
    closers.push(() => client.close());
    api.faults.failNext(2, { status: 500 });
    expect((await client.list(SERVICE_V1)).items).toHaveLength(2);
    expect(api.requests.length - before).toBe(3);
  });

  it('connection resets: list/get retry with backoff; the bound still ends in KubeTransportError', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'web'));
    const front = await flakyFront(api.port, 2);
    const client = createKubeClient(urlConfig(front.url), { retry: fast });
    closers.push(() => client.close());
    expect((await client.list(SERVICE_V1)).items).toHaveLength(1);
    expect(front.accepted()).toBe(3);
    const dead = await flakyFront(api.port, 100);
    const client2 = createKubeClient(urlConfig(dead.url), { retry: fast });
    closers.push(() => client2.close());
    const err = await client2.get(SERVICE_V1, 'default', 'web').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SY_ERR_K8S_TRANSPORT');
    expect(dead.accepted()).toBe(4);
  });
});

describe('informer against a real cluster’s failure modes', () => {
  it('the first list asks for resourceVersion=0 and falls back to a consistent list on 410', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'a'));
    api.faults.failNext(1, { status: 410, match: (r) => !r.watch && r.query.resourceVersion === '0' });
    const client = createKubeClient(urlConfig(api.url));
    const inf = createInformer(client, SERVICE_V1, { backoff: { initialMs: 5, maxMs: 20 } });
    closers.push(() => client.close());
    closers.push(() => inf.stop());
    await inf.synced;
    const lists = api.requests.filter((r) => !r.watch && r.path === '/api/v1/services');
    expect(lists.map((r) => r.query.resourceVersion)).toEqual(['0', undefined]);
  });

  it('a watch failing with 504 "Too large resource version" makes the informer relist', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'a'));
    const client = createKubeClient(urlConfig(api.url));
    const inf = createInformer(client, SERVICE_V1, { backoff: { initialMs: 5, maxMs: 20 } });
    closers.push(() => client.close());
    closers.push(() => inf.stop());
    await inf.synced;
    await api.waitFor(() => api!.activeWatches() === 1);
    api.faults.failNext(1, {
      status: 504,
      match: (r) => r.watch,
      body: {
        reason: 'Timeout',
        message: 'Too large resource version: 99, current: 3',
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
      },
    });
    api.faults.dropWatches();
    api.apply(service('default', 'b'));
    await until(inf, () => inf.get('default', 'b') !== undefined);
    const lists = api.requests.filter((r) => !r.watch && r.path === '/api/v1/services');
    expect(lists).toHaveLength(2);
    expect(lists[1]!.query.resourceVersion).toBeUndefined(); // a relist is a consistent read
  });
});

describe('impersonation and proxies', () => {
  it('sends Impersonate-* headers from the kubeconfig user', async () => {
    api = await startFakeKubeApi();
    const dir = tempDir('sy-imp-');
    const file = join(dir, 'config');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${api.url}"}}]
users:
- name: u
  user:
    as: jane
    as-groups: [devs, ops]
    as-uid: "42"
    as-user-extra: {scopes: [view, edit]}
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const client = createKubeClient(await kubeconfigConfig({ path: file }));
    closers.push(() => client.close());
    await client.list(SERVICE_V1);
    const h = api.requests[0]!.headers;
    expect(h['impersonate-user']).toBe('jane');
    expect(h['impersonate-group']).toBe('devs, ops');
    expect(h['impersonate-uid']).toBe('42');
    expect(h['impersonate-extra-scopes']).toBe('view, edit');
  });

  it('goes through the kubeconfig proxy-url (CONNECT tunnel)', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'web'));
    const proxy = await proxyServer();
    const client = createKubeClient({ ...urlConfig(api.url), proxyUrl: proxy.url });
    closers.push(() => client.close());
    expect((await client.list(SERVICE_V1)).items).toHaveLength(1);
    expect(proxy.tunnels).toEqual([`127.0.0.1:${api.port}`]);
  });

  it('HTTP_PROXY from the environment is not used for a loopback API server (proxy.test.ts: the NO_PROXY rules)', async () => {
    api = await startFakeKubeApi();
    const proxy = await proxyServer();
    // Loopback is never proxied from the environment, as in Go's httpproxy.
    const direct = createKubeClient(urlConfig(api.url), { env: { HTTP_PROXY: proxy.url } });
    closers.push(() => direct.close());
    await direct.list(SERVICE_V1);
    expect(proxy.tunnels).toEqual([]);
  });
});
