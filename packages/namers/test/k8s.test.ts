/**
 * io.l5d.k8s against the testkit's Kubernetes API server over real sockets: port name/number and
 * targetPort mapping, several slices, not-ready and terminating endpoints, neg for unknown names,
 * bound-empty for a Service without endpoints, watches that break or expire (last known good,
 * relist convergence), the core Endpoints fallback, shared watches that stop when unobserved, and
 * the latency of an endpoint change (printed, not asserted).
 */
import type { Addr, BoundName, Dispose, Name } from '@switchyard/core';
import { createInterpreter } from '@switchyard/core';
import { Dtab, type NameTree, Path } from '@switchyard/dtab';
import type {
  EndpointSlice,
  Endpoints,
  KubeClient,
  Service,
  ServicePort,
  SliceEndpoint,
} from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createK8sNamer, type K8sNamer, type K8sNamerOptions } from '../src/k8s.js';
import { waitFor, waitForState } from './helpers.js';

let api: FakeKubeApi;
let client: KubeClient;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(o: { disabled?: string[] } = {}): Promise<void> {
  api = await startFakeKubeApi({ disabled: o.disabled });
  client = createKubeClient(urlConfig(api.url));
  cleanups.push(() => api.close());
  cleanups.push(() => client.close());
}

function namer(o: K8sNamerOptions = {}): K8sNamer {
  const n = createK8sNamer({ client, ...o });
  cleanups.push(() => n.close());
  return n;
}

function service(
  name: string,
  ports: ServicePort[],
  o: { ns?: string; labels?: Record<string, string> } = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: o.ns ?? 'default', name, labels: o.labels ?? {} },
    spec: { ports },
  };
}

function ep(
  ip: string,
  o: { ready?: boolean; terminating?: boolean; pod?: string; node?: string } = {},
): SliceEndpoint {
  return {
    addresses: [ip],
    conditions: {
      ...(o.ready === undefined ? {} : { ready: o.ready }),
      ...(o.terminating === undefined ? {} : { terminating: o.terminating }),
    },
    ...(o.node ? { nodeName: o.node } : {}),
    ...(o.pod ? { targetRef: { kind: 'Pod', namespace: 'default', name: o.pod, uid: `uid-${o.pod}` } } : {}),
  };
}

function slice(
  name: string,
  svc: string,
  endpoints: SliceEndpoint[],
  ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080 }],
  o: { ns?: string; family?: 'IPv4' | 'IPv6' } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: o.ns ?? 'default', name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: o.family ?? 'IPv4',
    endpoints,
    ports,
  };
}

/** Observes the bound addr of `path` and collects `host:port` lists. */
async function boundOf(n: K8sNamer, path: string): Promise<BoundName> {
  const s = await waitForState(n.lookup(Path.read(path)), (x) => x.kind !== 'pending');
  if (s.kind !== 'ok') throw new Error(`lookup ${path} failed`);
  const tree = s.value as NameTree<Name>;
  if (tree.kind !== 'leaf') throw new Error(`lookup ${path} gave ${tree.kind}`);
  return tree.value as BoundName;
}

function hostPorts(a: Addr): string[] {
  return a.kind === 'bound' ? a.addresses.map((x) => `${x.host}:${x.port}`) : [a.kind];
}

function addrIs(name: BoundName, want: string[]): Promise<Addr> {
  return waitFor(name.addr, (a) => JSON.stringify(hostPorts(a)) === JSON.stringify(want));
}

describe('io.l5d.k8s lookups', () => {
  it('maps a port name, a port number and its targetPort to endpoint ports', async () => {
    await setup();
    api.apply(
      service('web', [
        { name: 'http', port: 80, targetPort: 'web-port' },
        { name: 'admin', port: 19990, targetPort: 19991 },
      ]),
    );
    api.apply(
      slice(
        'web-a',
        'web',
        [ep('10.0.0.1'), ep('10.0.0.2')],
        [
          { name: 'http', port: 8080 },
          { name: 'admin', port: 19991 },
        ],
      ),
    );
    const n = namer();
    const byName = await boundOf(n, '/default/http/web');
    expect(Path.show(byName.id)).toBe('/#/io.l5d.k8s/default/http/web');
    await addrIs(byName, ['10.0.0.1:8080', '10.0.0.2:8080']);
    // 80 is the Service port whose named targetPort resolved to 8080 on the pods.
    await addrIs(await boundOf(n, '/default/80/web'), ['10.0.0.1:8080', '10.0.0.2:8080']);
    await addrIs(await boundOf(n, '/default/19990/web'), ['10.0.0.1:19991', '10.0.0.2:19991']);
    const withResidual = await boundOf(n, '/Default/HTTP/Web/extra/path');
    expect(Path.show(withResidual.id)).toBe('/#/io.l5d.k8s/default/http/web');
    expect(Path.show(withResidual.residual)).toBe('/extra/path');
  });

  it('is neg for an unknown service, namespace or port, so a dtab alternative falls through', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80 }]));
    const n = namer();
    for (const p of [
      '/default/http/nope',
      '/other/http/web',
      '/default/grpc/web',
      '/default/81/web',
      '/default/http',
    ]) {
      const s = await waitForState(n.lookup(Path.read(p)), (x) => x.kind !== 'pending');
      expect(s, p).toMatchObject({ kind: 'ok', value: { kind: 'neg' } });
    }
    // Through the interpreter, a later dentry that binds to neg falls through to the earlier one.
    api.apply(service('fallback', [{ name: 'http', port: 80 }]));
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', ...n.prefix], namer: n }] });
    const dtab = Dtab.read('/svc => /#/io.l5d.k8s/default/http/fallback; /svc => /#/io.l5d.k8s');
    const bound = interpreter.bind(dtab, Path.read('/svc/default/http/nope'));
    const s = await waitForState(bound, (x) => x.kind === 'ok');
    const tree = (s as { value: NameTree<BoundName> }).value;
    expect(tree.kind === 'leaf' && Path.show(tree.value.id)).toBe('/#/io.l5d.k8s/default/http/fallback');
  });

  it('joins several slices, drops not-ready and terminating endpoints, and prefers one family per pod', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }]));
    api.apply(
      slice('web-1', 'web', [
        ep('10.0.0.1', { pod: 'a', node: 'n1' }),
        ep('10.0.0.2', { ready: false, pod: 'b' }),
      ]),
    );
    api.apply(
      slice('web-2', 'web', [
        ep('10.0.0.3', { pod: 'c' }),
        ep('10.0.0.4', { ready: false, terminating: true, pod: 'd' }),
      ]),
    );
    api.apply(
      slice('web-v6', 'web', [ep('fd00::1', { pod: 'a' }), ep('fd00::9', { pod: 'z' })], undefined, {
        family: 'IPv6',
      }),
    );
    api.apply(slice('other', 'other', [ep('10.9.9.9')]));
    const n = namer();
    const name = await boundOf(n, '/default/http/web');
    const a = await addrIs(name, ['10.0.0.1:8080', '10.0.0.3:8080', 'fd00::9:8080']);
    expect(a.kind === 'bound' && a.addresses[0]!.meta).toMatchObject({ nodeName: 'n1', pod: 'a' });
    // A pod going terminating stops receiving new requests.
    api.apply(slice('web-2', 'web', [ep('10.0.0.3', { ready: false, terminating: true, pod: 'c' })]));
    await addrIs(name, ['10.0.0.1:8080', 'fd00::9:8080']);
    api.delete('EndpointSlice', 'default', 'web-v6');
    await addrIs(name, ['10.0.0.1:8080']);
  });

  it('binds a service without ready endpoints to an empty set, and follows it as pods come', async () => {
    await setup();
    api.apply(service('empty', [{ name: 'http', port: 80, targetPort: 8080 }]));
    const n = namer();
    const name = await boundOf(n, '/default/http/empty');
    await addrIs(name, []);
    api.apply(slice('empty-1', 'empty', [ep('10.1.0.1')]));
    await addrIs(name, ['10.1.0.1:8080']);
    // Deleting the Service makes the name neg (never served stale).
    api.delete('Service', 'default', 'empty');
    await waitFor(name.addr, (a) => a.kind === 'neg');
    await waitForState(
      n.lookup(Path.read('/default/http/empty')),
      (s) => s.kind === 'ok' && s.value.kind === 'neg',
    );
  });

  it('filters by a service label when labelSelector is set', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80 }], { labels: { version: 'v2' } }));
    api.apply(slice('web-1', 'web', [ep('10.0.0.1')], [{ name: 'http', port: 80 }]));
    const n = namer({ labelSelector: 'version' });
    const name = await boundOf(n, '/default/http/web/v2/rest');
    expect(Path.show(name.id)).toBe('/#/io.l5d.k8s/default/http/web/v2');
    expect(Path.show(name.residual)).toBe('/rest');
    await addrIs(name, ['10.0.0.1:80']);
    const s = await waitForState(n.lookup(Path.read('/default/http/web/v1')), (x) => x.kind !== 'pending');
    expect(s).toMatchObject({ kind: 'ok', value: { kind: 'neg' } });
  });
});

describe('io.l5d.k8s watches', () => {
  it('keeps the last known good set through a broken watch and a 410 relist, then converges', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }]));
    api.apply(slice('web-1', 'web', [ep('10.0.0.1'), ep('10.0.0.2')]));
    const n = namer();
    const name = await boundOf(n, '/default/http/web');
    const seen: string[][] = [];
    const stop = name.addr.observe((a) => seen.push(hostPorts(a)));
    cleanups.push(stop);
    await addrIs(name, ['10.0.0.1:8080', '10.0.0.2:8080']);
    const from = seen.length - 1;
    await api.waitFor(() => api.activeWatches('/apis/discovery.k8s.io') === 1);
    // Break the stream and fail the reconnects: the set stays.
    api.faults.failNext(3);
    api.faults.dropWatches();
    await api.waitFor(() => api.activeWatches('/apis/discovery.k8s.io') === 0);
    expect(hostPorts(name.addr.sample())).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    // Changes while the watch is down, then compaction: the informer relists and converges.
    api.apply(slice('web-1', 'web', [ep('10.0.0.2'), ep('10.0.0.3')]));
    api.compact();
    await addrIs(name, ['10.0.0.2:8080', '10.0.0.3:8080']);
    // Once known, the set never went empty, neg or pending on the way.
    expect(seen.slice(from).filter((s) => s.length === 0 || s[0] === 'neg' || s[0] === 'pending')).toEqual(
      [],
    );
  });

  it('falls back to core Endpoints when EndpointSlices are not served', async () => {
    await setup({ disabled: ['discovery.k8s.io/v1/endpointslices'] });
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }]));
    const endpoints: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: 'default', name: 'web' },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }],
          notReadyAddresses: [{ ip: '10.0.0.9' }],
          ports: [{ name: 'http', port: 8080 }],
        },
      ],
    };
    api.apply(endpoints);
    const n = namer();
    const name = await boundOf(n, '/default/80/web');
    await addrIs(name, ['10.0.0.1:8080']);
    expect(n.state().discovery).toBe('endpoints');
    api.apply({
      ...endpoints,
      subsets: [
        { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'http', port: 8080 }] },
      ],
    });
    await addrIs(name, ['10.0.0.1:8080', '10.0.0.2:8080']);
  });

  it('a first lookup lists Services and EndpointSlices at once, in parallel with discovery', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }]));
    api.apply(slice('web-1', 'web', [ep('10.0.0.1')]));
    const n = namer();
    // Nothing is answered while stalled: every request the first lookup needs must be in flight
    // together, not one waiting for another's answer (a round trip each).
    api.faults.stall();
    const lookup = boundOf(n, '/default/http/web');
    const lists = () =>
      api.requests
        .filter((r) => r.method === 'GET' && !r.watch)
        .map((r) => r.path)
        .sort();
    const want = [
      '/api/v1/namespaces/default/services',
      '/apis/discovery.k8s.io/v1/endpointslices',
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
    ];
    const deadline = Date.now() + 2_000;
    while (lists().length < want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(lists()).toEqual(want);
    api.faults.unstall();
    await addrIs(await lookup, ['10.0.0.1:8080']);
    expect(n.state().discovery).toBe('endpointSlices');
  });

  it('shares one watch per namespace and resource, started when observed and stopped when not', async () => {
    await setup();
    api.apply(service('a', [{ name: 'http', port: 80 }]));
    api.apply(service('b', [{ name: 'http', port: 80 }]));
    const n = namer();
    const disposers: Dispose[] = [];
    for (const p of ['/default/http/a', '/default/http/b', '/default/80/a']) {
      disposers.push(n.lookup(Path.read(p)).states.observe(() => {}));
    }
    await api.waitFor(
      () =>
        api.activeWatches('/api/v1/namespaces/default/services') === 1 &&
        api.activeWatches('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices') === 1,
    );
    expect(api.activeWatches()).toBe(2);
    expect(n.state().namespaces).toEqual([{ namespace: 'default', synced: true, observers: 3 }]);
    for (const d of disposers) d();
    await api.waitFor(() => api.activeWatches() === 0);
    expect(n.state().namespaces).toEqual([]);
  });

  it('delivers an endpoint change to an observer of the bound addr quickly (figure printed)', async () => {
    await setup();
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }]));
    api.apply(slice('web-1', 'web', [ep('10.0.0.1')]));
    const n = namer();
    const name = await boundOf(n, '/default/http/web');
    await addrIs(name, ['10.0.0.1:8080']);
    const samples: number[] = [];
    for (let i = 2; i <= 11; i++) {
      const want = [`10.0.0.${i}:8080`];
      const arrived = addrIs(name, want);
      const t0 = performance.now();
      api.apply(slice('web-1', 'web', [ep(`10.0.0.${i}`)]));
      await arrived;
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    // Reported, never asserted: timing depends on the machine's load.
    console.log(
      `io.l5d.k8s endpoint change → bound addr observer: median ${median.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms over ${samples.length} changes`,
    );
    expect(samples).toHaveLength(10);
  });

  it('binds through a connection given as host and port, and rejects bad options clearly', async () => {
    await setup();
    const n = createK8sNamer({ host: '127.0.0.1', port: api.port });
    cleanups.push(() => n.close());
    api.apply(service('web', [{ name: 'http', port: 80 }]));
    await waitForState(
      n.lookup(Path.read('/default/http/web')),
      (s) => s.kind === 'ok' && s.value.kind === 'leaf',
    );
    expect(() => createK8sNamer({ prefix: 'bad' })).toThrow(/prefix/);
    expect(() => createK8sNamer({ port: 0 })).toThrow(/port/);
  });
});

describe('io.l5d.k8s with allNamespaces', () => {
  it("watches every namespace from creation: a new namespace's first lookup makes no request", async () => {
    await setup();
    const n = namer({ allNamespaces: true });
    // Started at creation, before any lookup: one cluster-wide watch per resource.
    await api.waitFor(
      () =>
        api.activeWatches('/api/v1/services') === 1 &&
        api.activeWatches('/apis/discovery.k8s.io/v1/endpointslices') === 1,
    );
    expect(api.activeWatches()).toBe(2);
    const before = api.requests.length;
    // A namespace that did not exist when the watches started, created with its first Service.
    api.apply(service('web', [{ name: 'http', port: 80, targetPort: 8080 }], { ns: 'shop' }));
    api.apply(slice('web-1', 'web', [ep('10.0.0.7')], [{ name: 'http', port: 8080 }], { ns: 'shop' }));
    // The change reaches the namer's cache through the open watches; no list is needed for it.
    await waitFor(
      n.lookup(Path.read('/shop/http/web')).states,
      (s) => s.kind === 'ok' && s.value.kind === 'leaf',
    );
    const name = await boundOf(n, '/shop/http/web');
    await addrIs(name, ['10.0.0.7:8080']);
    expect(api.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // A lookup is answered from the cache at once: ok, never pending.
    let first: string | undefined;
    const off = n.lookup(Path.read('/shop/http/web')).states.observe((s) => {
      first ??= s.kind;
    });
    off();
    expect(first).toBe('ok');
    expect(n.state()).toMatchObject({ allNamespaces: true, synced: true });
    const held = name.addr.observe(() => {});
    expect(n.state().namespaces).toEqual([{ namespace: 'shop', synced: true, observers: 1 }]);
    held();
    // Unknown names in any namespace are neg, and unobserving stops nothing.
    const neg = await waitForState(n.lookup(Path.read('/other/http/web')), (s) => s.kind !== 'pending');
    expect(neg.kind === 'ok' && neg.value.kind).toBe('neg');
    expect(api.activeWatches()).toBe(2);
    n.close();
    await api.waitFor(() => api.activeWatches() === 0);
  });

  it('follows Services and endpoints across namespaces, and uses core Endpoints where slices are not served', async () => {
    await setup({ disabled: ['discovery.k8s.io/v1/endpointslices'] });
    api.apply(service('a', [{ name: 'http', port: 80 }], { ns: 'one' }));
    api.apply(service('a', [{ name: 'http', port: 80 }], { ns: 'two' }));
    const endpoints = (ns: string, ip: string): Endpoints => ({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: ns, name: 'a' },
      subsets: [{ addresses: [{ ip }], ports: [{ name: 'http', port: 8080 }] }],
    });
    api.apply(endpoints('one', '10.0.1.1'));
    api.apply(endpoints('two', '10.0.2.1'));
    const n = namer({ allNamespaces: true });
    const one = await boundOf(n, '/one/http/a');
    const two = await boundOf(n, '/two/http/a');
    await addrIs(one, ['10.0.1.1:8080']);
    await addrIs(two, ['10.0.2.1:8080']);
    await api.waitFor(() => api.activeWatches('/api/v1/endpoints') === 1);
    expect(api.activeWatches('/api/v1/namespaces')).toBe(0);
    api.apply(endpoints('two', '10.0.2.2'));
    await addrIs(two, ['10.0.2.2:8080']);
    await addrIs(one, ['10.0.1.1:8080']);
  });
});

describe('io.l5d.k8s appProtocol', () => {
  it("puts the port's appProtocol in each address's meta: the slice port's, else the Service port's", async () => {
    await setup();
    api.apply(
      service('grpc', [
        { name: 'h2c', port: 80, targetPort: 8080, appProtocol: 'kubernetes.io/h2c' },
        { name: 'web', port: 81, targetPort: 8081, appProtocol: 'http' },
        { name: 'plain', port: 82, targetPort: 8082 },
      ]),
    );
    // The endpoint controller copies the Service port's appProtocol into the slice's port; this
    // slice carries it for h2c only (as a slice written by hand or an older controller may).
    api.apply(
      slice(
        'grpc-1',
        'grpc',
        [ep('10.0.0.1', { node: 'n1' })],
        [
          { name: 'h2c', port: 8080, appProtocol: 'kubernetes.io/h2c' },
          { name: 'web', port: 8081 },
          { name: 'plain', port: 8082 },
        ],
      ),
    );
    const n = namer();
    const metaOf = async (path: string) => {
      const a = await waitFor((await boundOf(n, path)).addr, (x) => x.kind === 'bound');
      return a.kind === 'bound' ? a.addresses.map((x) => x.meta) : [];
    };
    expect(await metaOf('/default/h2c/grpc')).toEqual([{ appProtocol: 'kubernetes.io/h2c', nodeName: 'n1' }]);
    expect(await metaOf('/default/81/grpc')).toEqual([{ appProtocol: 'http', nodeName: 'n1' }]);
    expect(await metaOf('/default/plain/grpc')).toEqual([{ nodeName: 'n1' }]);
    // A change of the Service port's appProtocol alone reaches the bound address set.
    const web = await boundOf(n, '/default/web/grpc');
    api.apply(
      service('grpc', [
        { name: 'h2c', port: 80, targetPort: 8080, appProtocol: 'kubernetes.io/h2c' },
        { name: 'web', port: 81, targetPort: 8081, appProtocol: 'kubernetes.io/h2c' },
        { name: 'plain', port: 82, targetPort: 8082 },
      ]),
    );
    await waitFor(
      web.addr,
      (a) => a.kind === 'bound' && a.addresses[0]?.meta.appProtocol === 'kubernetes.io/h2c',
    );
  });

  it('reads appProtocol from core Endpoints ports, else the Service port, where slices are not served', async () => {
    await setup({ disabled: ['discovery.k8s.io/v1/endpointslices'] });
    api.apply(
      service('grpc', [
        { name: 'h2c', port: 80, appProtocol: 'kubernetes.io/h2c' },
        { name: 'web', port: 81, appProtocol: 'http' },
      ]),
    );
    api.apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: 'default', name: 'grpc' },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.2' }],
          ports: [
            { name: 'h2c', port: 8080, appProtocol: 'kubernetes.io/h2c' },
            { name: 'web', port: 8081 },
          ],
        },
      ],
    } as Endpoints);
    const n = namer();
    const meta = async (path: string) => {
      const a = await waitFor((await boundOf(n, path)).addr, (x) => x.kind === 'bound');
      return a.kind === 'bound' ? a.addresses[0]?.meta : undefined;
    };
    expect(await meta('/default/h2c/grpc')).toEqual({ appProtocol: 'kubernetes.io/h2c' });
    expect(await meta('/default/web/grpc')).toEqual({ appProtocol: 'http' });
  });
});
