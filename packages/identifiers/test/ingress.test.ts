/**
 * io.l5d.ingress against the testkit's Kubernetes API server (real sockets) and real YAML files:
 * the post's flow (404 before the Ingress exists, then world-v1 by default and world-v2 for Host
 * world.v2) in v1 and v1beta1 forms, live edits and deletes, IngressClass changes, Linkerd 1's
 * MODIFIED reordering, status write-back, TLS secrets, and the directory source.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { Ingress, IngressV1beta1, KubeClient, KubeObject } from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import {
  type FakeKubeApi,
  POST_HELLO_WORLD_INGRESS_YAML,
  startFakeKubeApi,
  eventually as until,
} from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createIngressIdentifier,
  INGRESS_PROBLEM_CHANNEL,
  type IngressIdentifier,
  type IngressIdentifierOptions,
} from '../src/ingress.js';

let api: FakeKubeApi;
let client: KubeClient;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<void> {
  api = await startFakeKubeApi();
  client = createKubeClient(urlConfig(api.url));
  cleanups.push(() => api.close());
  cleanups.push(() => client.close());
}

function identifier(o: IngressIdentifierOptions = {}): IngressIdentifier {
  const id = createIngressIdentifier({ source: { kind: 'kubernetes', client }, ...o });
  cleanups.push(() => id.close());
  return id;
}

function req(host: string | undefined, url = '/'): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: host === undefined ? {} : { host },
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    secure: false,
  };
}

async function route(id: IngressIdentifier, host: string | undefined, url = '/'): Promise<string> {
  const r = await id(req(host, url));
  return r.kind === 'unidentified' ? `${r.status}:${r.reason}` : Path.show(r.path);
}

/** Polls the identifier until `host url` routes to `want` (each poll is a real identification). */
async function eventually(
  id: IngressIdentifier,
  host: string | undefined,
  url: string,
  want: string,
): Promise<void> {
  let got = '';
  await until(
    async () => {
      got = await route(id, host, url);
      return got === want;
    },
    { what: () => `${host} ${url} routed to ${want} (last: ${got})` },
  );
}

/** The post's hello-world Ingress, verbatim (extensions/v1beta1). */
const postIngress: IngressV1beta1 = {
  apiVersion: 'extensions/v1beta1',
  kind: 'Ingress',
  metadata: {
    name: 'hello-world',
    namespace: 'default',
    annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
  },
  spec: {
    backend: { serviceName: 'world-v1', servicePort: 'http' },
    rules: [
      { host: 'world.v2', http: { paths: [{ backend: { serviceName: 'world-v2', servicePort: 'http' } }] } },
    ],
  },
};

/** The same Ingress in networking.k8s.io/v1 form. */
const postIngressV1: Ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'hello-world',
    namespace: 'default',
    annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
  },
  spec: {
    defaultBackend: { service: { name: 'world-v1', port: { name: 'http' } } },
    rules: [
      {
        host: 'world.v2',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'world-v2', port: { name: 'http' } } },
            },
          ],
        },
      },
    ],
  },
};

describe('io.l5d.ingress with the Kubernetes API: the post', () => {
  for (const [label, object] of [
    ['extensions/v1beta1', postIngress],
    ['networking.k8s.io/v1', postIngressV1],
  ] as const) {
    it(`answers 404 before the Ingress exists, then routes the post's ${label} Ingress`, async () => {
      await setup();
      const id = identifier();
      await id.synced;
      expect(id.isSynced).toBe(true);
      const before = await id(req('203.0.113.9'));
      expect(before).toEqual({ kind: 'unidentified', reason: 'no ingress rule matches', status: 404 });
      api.apply(object as KubeObject);
      await eventually(id, '203.0.113.9', '/', '/svc/default/http/world-v1');
      expect(await route(id, 'world.v2', '/')).toBe('/svc/default/http/world-v2');
      expect(await route(id, 'WORLD.v2:80', '/some/path')).toBe('/svc/default/http/world-v2');
      // Deleting it stops routing at once (Linkerd 1 kept serving deleted Ingresses, #1791).
      api.delete('Ingress', 'default', 'hello-world');
      await eventually(id, 'world.v2', '/', '404:no ingress rule matches');
    });
  }

  it('also watches the v1beta1 APIs for old clusters, and answers 400 in compat linkerd1', async () => {
    await setup();
    api.apply(postIngress as KubeObject);
    const id = identifier({
      compat: 'linkerd1',
      source: { kind: 'kubernetes', client, apiVersion: 'extensions/v1beta1' },
    });
    expect(await route(id, undefined, '/')).toBe('/svc/default/http/world-v1');
    expect(await route(id, 'world.v2', '/')).toBe('/svc/default/http/world-v2');
    api.delete('Ingress', 'default', 'hello-world');
    await eventually(id, 'x', '/', '400:no ingress rule matches');
    expect(api.requests.some((r) => r.path === '/apis/extensions/v1beta1/ingresses')).toBe(true);
  });
});

describe('io.l5d.ingress with the Kubernetes API: changes', () => {
  const rule = (
    name: string,
    host: string,
    path: string,
    svc: string,
    o: { annotation?: string; className?: string } = {},
  ): Ingress => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'default',
      annotations: o.annotation === undefined ? {} : { 'kubernetes.io/ingress.class': o.annotation },
    },
    spec: {
      ...(o.className ? { ingressClassName: o.className } : {}),
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path,
                pathType: 'ImplementationSpecific',
                backend: { service: { name: svc, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  });

  it('follows IngressClass objects: an Ingress becomes ours when its class does', async () => {
    await setup();
    api.apply(rule('a', 'a.com', '/', 'a', { className: 'edge' }) as KubeObject);
    const id = identifier();
    await id.synced;
    expect(await route(id, 'a.com')).toBe('404:no ingress rule matches');
    expect(id.ignored()).toEqual([{ object: 'default/a', reason: 'IngressClass "edge" does not exist' }]);
    api.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'edge' },
      spec: { controller: 'switchyard.dev/ingress' },
    } as KubeObject);
    await eventually(id, 'a.com', '/', '/svc/default/80/a');
    api.delete('IngressClass', undefined, 'edge');
    await eventually(id, 'a.com', '/', '404:no ingress rule matches');
  });

  it('compat linkerd1: editing an Ingress moves it after the others (first match wins)', async () => {
    await setup();
    api.apply(rule('a', 'h', '/.*', 'a') as KubeObject);
    api.apply(rule('b', 'h', '/api.*', 'b') as KubeObject);
    const id = identifier({ compat: 'linkerd1' });
    expect(await route(id, 'h', '/api')).toBe('/svc/default/80/a');
    // MODIFIED (here a label edit) re-appends a: b is now first.
    const touched = rule('a', 'h', '/.*', 'a');
    api.apply({ ...touched, metadata: { ...touched.metadata, labels: { touched: 'yes' } } } as KubeObject);
    await eventually(id, 'h', '/api', '/svc/default/80/b');
    expect(await route(id, 'h', '/x')).toBe('/svc/default/80/a');
    // A spec edit of b re-appends b: a is first again.
    api.apply(rule('b', 'h', '/api.*', 'b2') as KubeObject);
    await eventually(id, 'h', '/api', '/svc/default/80/a');
  });

  it('writes status.loadBalancer.ingress on served Ingresses only, from a static address or a Service', async () => {
    await setup();
    api.apply(rule('ours', 'o', '/', 'o', { annotation: 'linkerd' }) as KubeObject);
    api.apply(rule('theirs', 't', '/', 't', { annotation: 'nginx' }) as KubeObject);
    const id = identifier({ statusAddress: { kind: 'static', ip: '203.0.113.7' } });
    await id.synced;
    await api.waitFor(
      () =>
        JSON.stringify(api.get<Ingress>('Ingress', 'default', 'ours')?.status) ===
        '{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}',
    );
    expect(api.get<Ingress>('Ingress', 'default', 'theirs')?.status).toBeUndefined();
    const patches = () => api.requests.filter((r) => r.method === 'PATCH').length;
    const n = patches();
    // Our own status write does not make us write again.
    await new Promise((r) => setTimeout(r, 50));
    expect(patches()).toBe(n);
    id.close();

    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'edge', name: 'switchyard' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } },
    } as KubeObject);
    const id2 = identifier({ statusAddress: { kind: 'service', namespace: 'edge', name: 'switchyard' } });
    await id2.synced;
    await api.waitFor(
      () =>
        api.get<Ingress>('Ingress', 'default', 'ours')?.status?.loadBalancer?.ingress?.[0]?.hostname ===
        'lb.example.com',
    );
  });

  it('writes status only while it leads (statusLeadership), and checks every Ingress again on gaining it', async () => {
    await setup();
    api.apply(rule('ours', 'o', '/', 'o', { annotation: 'linkerd' }) as KubeObject);
    let leader = false;
    const listeners = new Set<(leader: boolean) => void>();
    const leadership = {
      isLeader: () => leader,
      onChange: (l: (leader: boolean) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const id = identifier({
      statusAddress: { kind: 'static', ip: '203.0.113.9' },
      statusLeadership: leadership,
    });
    await id.synced;
    const patches = () => api.requests.filter((r) => r.method === 'PATCH').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(patches()).toBe(0);
    leader = true;
    for (const l of listeners) l(true);
    await api.waitFor(
      () =>
        api.get<Ingress>('Ingress', 'default', 'ours')?.status?.loadBalancer?.ingress?.[0]?.ip ===
        '203.0.113.9',
    );
    expect(patches()).toBe(1);
    id.close();
    expect(listeners.size).toBe(0);
  });

  it('exposes spec.tls secrets of served Ingresses as a Var', async () => {
    await setup();
    const id = identifier();
    await id.synced;
    const seen: string[] = [];
    cleanups.push(
      id.tlsSecrets.observe((v) =>
        seen.push(v.map((t) => `${t.namespace}/${t.secretName}:${t.hosts.join(',')}`).join(' ')),
      ),
    );
    api.apply({
      ...rule('tls', 'secure.example.com', '/', 's', { annotation: 'linkerd' }),
      spec: {
        ...rule('tls', 'secure.example.com', '/', 's').spec,
        tls: [{ hosts: ['secure.example.com'], secretName: 'secure-cert' }],
      },
    } as KubeObject);
    await until(() => seen.at(-1) === 'default/secure-cert:secure.example.com');
    expect(seen).toEqual(['', 'default/secure-cert:secure.example.com']);
  });

  it('keeps routing through a dropped watch and failing reconnects, then converges after a 410 relist', async () => {
    await setup();
    api.apply(rule('a', 'a.com', '/', 'a', { annotation: 'linkerd' }) as KubeObject);
    const id = identifier();
    await eventually(id, 'a.com', '/', '/svc/default/80/a');
    await api.waitFor(() => api.activeWatches('/apis/networking.k8s.io/v1') >= 1);
    api.faults.failNext(3);
    api.faults.dropWatches();
    await api.waitFor(() => api.activeWatches('/apis/networking.k8s.io/v1') === 0);
    // The watch is down and reconnects fail: the index already built still routes.
    expect(await route(id, 'a.com')).toBe('/svc/default/80/a');
    // Changes while the watch is down, then compaction: the informer relists and converges.
    api.apply(rule('a', 'a.com', '/', 'a2', { annotation: 'linkerd' }) as KubeObject);
    api.compact();
    await eventually(id, 'a.com', '/', '/svc/default/80/a2');
  });

  it('reports a malformed Ingress on the diagnostics channel, naming it, and keeps routing the rest', async () => {
    await setup();
    const messages: unknown[] = [];
    const onMessage = (m: unknown) => messages.push(m);
    subscribe(INGRESS_PROBLEM_CHANNEL, onMessage);
    cleanups.push(() => unsubscribe(INGRESS_PROBLEM_CHANNEL, onMessage));
    api.apply(rule('good', 'g', '/', 'g', { annotation: 'linkerd' }) as KubeObject);
    const bad = rule('bad', 'b', '/', 'b', { annotation: 'linkerd' });
    bad.spec!.rules![0]!.http!.paths[0]!.backend = { resource: { kind: 'Bucket', name: 'x' } };
    api.apply(bad as KubeObject);
    const id = identifier();
    expect(await route(id, 'g')).toBe('/svc/default/80/g');
    expect(await route(id, 'b')).toBe('404:no ingress rule matches');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      object: 'default/bad',
      field: 'spec.rules[0].http.paths[0].backend',
    });
    expect(id.problems()[0]?.kind === 'invalid' && id.problems()[0]?.message).toMatch(
      /^Ingress default\/bad: /,
    );
  });
});

describe('io.l5d.ingress directory source', () => {
  it('serves the post’s Ingress from a YAML file, follows edits, keeps the last good file on a YAML error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-ingress-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'hello-world.yml'),
      `# the post's Ingress, verbatim
${POST_HELLO_WORLD_INGRESS_YAML}---
apiVersion: v1
kind: Service
metadata: {name: ignored}
`,
    );
    const id = createIngressIdentifier({ source: { kind: 'directory', dir, pollIntervalMs: 20 } });
    cleanups.push(() => id.close());
    expect(await route(id, 'x', '/')).toBe('/svc/default/http/world-v1');
    expect(await route(id, 'world.v2', '/')).toBe('/svc/default/http/world-v2');

    await writeFile(
      join(dir, 'extra.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: extra, namespace: shop, annotations: {kubernetes.io/ingress.class: linkerd}}\nspec:\n  rules:\n  - host: shop.example\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]}\n',
    );
    await eventually(id, 'shop.example', '/', '/svc/shop/8080/web');

    await writeFile(join(dir, 'extra.yaml'), 'kind: Ingress\nmetadata: [unclosed\n');
    await until(() => id.problems().length > 0);
    expect(id.problems()[0]).toMatchObject({
      kind: 'source',
      file: expect.stringMatching(/extra\.yaml:\d+:\d+$/),
    });
    expect(await route(id, 'shop.example', '/')).toBe('/svc/shop/8080/web');

    await rm(join(dir, 'extra.yaml'));
    await eventually(id, 'shop.example', '/', '/svc/default/http/world-v1');
    expect(id.problems()).toEqual([]);
  });

  it('answers 503 while its rules are not loaded', async () => {
    // An API server that never answers: nothing listens on the port of a closed server.
    const dead = await startFakeKubeApi();
    dead.faults.stall();
    const c = createKubeClient(urlConfig(dead.url));
    const id = createIngressIdentifier({
      source: { kind: 'kubernetes', client: c },
      syncTimeoutMs: 50,
    });
    expect(await id(req('x'))).toEqual({
      kind: 'unidentified',
      reason: 'ingress rules are not loaded yet',
      status: 503,
    });
    id.close();
    await dead.close();
    await c.close();
  });
});
