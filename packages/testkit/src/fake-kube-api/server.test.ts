/** Protocol checks of the fake API server with plain HTTP requests (no Switchyard client involved). */
import type { KubeObject } from '@switchyard/k8s';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from './server.js';

let api: FakeKubeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const svc = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: ns, name },
});

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api!.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('fake Kubernetes API', () => {
  it('list resourceVersion semantics: unset, "0", NotOlderThan, Exact, too large', async () => {
    api = await startFakeKubeApi();
    const first = api.apply(svc('a', 'one'));
    api.apply(svc('a', 'two'));
    const rv1 = first.metadata.resourceVersion!;
    expect((await getJson('/api/v1/services')).body.items).toHaveLength(2);
    expect((await getJson('/api/v1/services?resourceVersion=0')).body.items).toHaveLength(2);
    expect((await getJson(`/api/v1/services?resourceVersion=${rv1}`)).body.items).toHaveLength(2);
    const exact = await getJson(`/api/v1/services?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    expect(exact.body.items).toHaveLength(1);
    expect(exact.body.metadata).toEqual({ resourceVersion: rv1 });
    expect((await getJson('/api/v1/services?resourceVersion=99999')).status).toBe(504);
    api.compact();
    const gone = await getJson(`/api/v1/services?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('rejects unsupported field selectors and unserved resources with Status bodies', async () => {
    api = await startFakeKubeApi({ disabled: ['discovery.k8s.io/v1/endpointslices'] });
    expect((await getJson('/api/v1/services?fieldSelector=spec.clusterIP%3D1')).status).toBe(400);
    const missing = await getJson('/apis/discovery.k8s.io/v1/endpointslices');
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toBe('NotFound');
    expect((await getJson('/apis/networking.k8s.io/v1/ingressclasses')).status).toBe(200);
  });

  it('sends periodic bookmarks and honours timeoutSeconds', async () => {
    api = await startFakeKubeApi({ bookmarkIntervalMs: 20 });
    api.apply(svc('a', 'one'));
    const res = await fetch(`${api.url}/api/v1/services?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`);
    const text = await res.text(); // ends when the server times the watch out
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { resourceVersion: string } } });
    expect(events[0]?.type).toBe('ADDED');
    const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThan(0);
    expect(bookmarks[0]?.object).toEqual({
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { resourceVersion: api.resourceVersion },
    });
  });

  it('holds requests while stalled and serves them after unstall', async () => {
    api = await startFakeKubeApi();
    api.faults.stall();
    const pending = getJson('/api/v1/services');
    await api.waitFor(() => api!.requests.length === 1);
    api.apply(svc('a', 'late'));
    api.faults.unstall();
    expect((await pending).body.items).toHaveLength(1);
  });

  it('converts v1beta1 Ingresses on apply and serves all three versions from one store', async () => {
    api = await startFakeKubeApi();
    api.apply({
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { namespace: 'd', name: 'old' },
      spec: {
        backend: { serviceName: 'web', servicePort: 'http' },
        rules: [{ http: { paths: [{ path: '/x', backend: { serviceName: 'api', servicePort: 8080 } }] } }],
      },
    });
    const v1 = (await getJson('/apis/networking.k8s.io/v1/namespaces/d/ingresses/old')).body as {
      spec: unknown;
    };
    expect(v1.spec).toEqual({
      defaultBackend: { service: { name: 'web', port: { name: 'http' } } },
      rules: [
        {
          http: {
            paths: [
              {
                path: '/x',
                pathType: 'ImplementationSpecific',
                backend: { service: { name: 'api', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    const beta = (await getJson('/apis/networking.k8s.io/v1beta1/namespaces/d/ingresses/old')).body;
    expect(beta.apiVersion).toBe('networking.k8s.io/v1beta1');
  });

  it('apply stamps metadata.generation as the write path does: 1 on create, +1 on spec changes only, observedGeneration left alone', async () => {
    api = await startFakeKubeApi();
    const route = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject =>
      ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { namespace: 'default', name: 'r', generation: 42 },
        spec,
        ...extra,
      }) as KubeObject;
    const spec = { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] };
    expect(api.apply(route(spec)).metadata.generation).toBe(1); // a client's value is ignored
    expect(api.apply(route(spec)).metadata.generation).toBe(1); // same spec
    const status = { parents: [{ controllerName: 'c', parentRef: { name: 'gw' }, conditions: [] }] };
    const withStatus = api.apply(route(spec, { status }));
    expect(withStatus.metadata.generation).toBe(1); // status only
    expect((withStatus as unknown as { status: unknown }).status).toEqual(status);
    const labelled = route(spec);
    labelled.metadata = { ...labelled.metadata, labels: { a: 'b' } };
    expect(api.apply(labelled).metadata.generation).toBe(1); // metadata only
    const changed = api.apply(route({ rules: [{ backendRefs: [{ name: 'api', port: 80 }] }] }));
    expect(changed.metadata.generation).toBe(2);
    // The HTTP view agrees, and a status write through HTTP does not bump it either.
    const path = '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/r';
    expect(((await getJson(path)).body.metadata as { generation: number }).generation).toBe(2);
    const res = await fetch(`${api.url}${path}/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { parents: [] } }),
    });
    expect(res.status).toBe(200);
    expect(api.get('HTTPRoute', 'default', 'r')!.metadata.generation).toBe(2);
    // Ingress (status subresource too): a spec change bumps it.
    const ing = (backend: string) =>
      ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { namespace: 'd', name: 'i' },
        spec: { defaultBackend: { service: { name: backend, port: { number: 80 } } } },
      }) as KubeObject;
    expect(api.apply(ing('a')).metadata.generation).toBe(1);
    expect(api.apply(ing('b')).metadata.generation).toBe(2);
    // Kinds without a generation (ConfigMap) get none.
    const cm = api.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'd', name: 'c' },
    } as KubeObject);
    expect(cm.metadata.generation).toBeUndefined();
  });

  it('OpenAPI v2 is JSON generated from the served kinds (CRDs included); a protobuf-only Accept is 406', async () => {
    api = await startFakeKubeApi();
    api.apply({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    } as KubeObject);
    const doc = (await getJson('/openapi/v2')).body as {
      swagger: string;
      definitions: Record<string, { 'x-kubernetes-group-version-kind'?: unknown }>;
      paths: Record<string, unknown>;
    };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.networking.v1.Ingress']?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
    ]);
    expect(Object.keys(doc.definitions).some((k) => k.endsWith('.Widget'))).toBe(true);
    expect(Object.keys(doc.paths)).toContain('/apis/example.com/v1/namespaces/{namespace}/widgets');
    // client-go's OpenAPISchema() asks for the protobuf form only; JSON in its place would be misparsed.
    const pb = await fetch(`${api.url}/openapi/v2`, {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect(pb.status).toBe(406);
    expect(await pb.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    const either = await fetch(`${api.url}/openapi/v2`, {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json' },
    });
    expect(either.status).toBe(200);
  });
});
