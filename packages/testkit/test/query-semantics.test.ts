/**
 * Query semantics of the test API server, checked with plain HTTP against what kube-apiserver does:
 * boolean and integer decoding, selector grammars, resourceVersion/resourceVersionMatch rules,
 * paging with expiry, sendInitialEvents, Status bodies and the 429 fault.
 */
import type { KubeObject } from '@switchyard/k8s';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary JSON documents from the server
type Doc = any;

let api: FakeKubeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const svc = (ns: string, name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: ns, name, ...(labels ? { labels } : {}) },
});

async function getJson(path: string, init?: RequestInit) {
  const res = await fetch(`${api!.url}${path}`, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Doc };
}

/** Reads a watch stream until `n` events arrived, then aborts it. */
async function watchEvents(path: string, n: number): Promise<{ type: string; object: Doc }[]> {
  const ac = new AbortController();
  const res = await fetch(`${api!.url}${path}`, { signal: ac.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const out: { type: string; object: Doc }[] = [];
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i = buf.indexOf('\n');
    while (i >= 0) {
      out.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  }
  ac.abort();
  return out;
}

describe('query parameters as kube-apiserver decodes them', () => {
  it.each(['true', 'True', 'TRUE', '1', 't', 'yes', ''])('watch=%s watches', async (v) => {
    api = await startFakeKubeApi();
    api.apply(svc('a', 'one'));
    const events = await watchEvents(`/api/v1/services?watch=${v}`, 1);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'one' } } });
  });

  it.each(['false', 'False', 'FALSE', '0'])('watch=%s lists', async (v) => {
    api = await startFakeKubeApi();
    api.apply(svc('a', 'one'));
    const { body } = await getJson(`/api/v1/services?watch=${v}`);
    expect(body.kind).toBe('ServiceList');
  });

  it('rejects a non-integer limit or timeoutSeconds with 400 BadRequest', async () => {
    api = await startFakeKubeApi();
    for (const q of ['limit=ten', 'timeoutSeconds=1.5']) {
      const r = await getJson(`/api/v1/services?${q}`);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    }
  });

  it('validates resourceVersionMatch like ValidateListOptions (422 Invalid, kind ListOptions)', async () => {
    api = await startFakeKubeApi();
    const cases = [
      ['resourceVersionMatch=Exact', 'resourceVersionMatch is forbidden unless resourceVersion is provided'],
      [
        'resourceVersion=0&resourceVersionMatch=Exact',
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ],
      ['resourceVersion=1&resourceVersionMatch=Newest', 'Unsupported value: "Newest"'],
      [
        'watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan',
        'resourceVersionMatch is forbidden for watch',
      ],
      ['sendInitialEvents=true', 'sendInitialEvents is forbidden for list'],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
        'sendInitialEvents requires setting allowWatchBookmarks to true',
      ],
    ];
    for (const [q, message] of cases) {
      const r = await getJson(`/api/v1/services?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.reason).toBe('Invalid');
      expect(r.body.details.kind).toBe('ListOptions');
      expect(r.body.message).toContain(message);
    }
    const cont = await getJson('/api/v1/services?continue=abc&resourceVersion=5');
    expect(cont.status).toBe(400);
    expect(cont.body.message).toBe('specifying resource version is not allowed when using continue');
  });

  it('label selectors: =, ==, !=, in, notin, exists, !key, gt/lt; bad ones are 400', async () => {
    api = await startFakeKubeApi();
    api.apply(svc('a', 'web', { app: 'web', tier: 'front', weight: '10' }));
    api.apply(svc('a', 'db', { app: 'db', tier: 'back' }));
    api.apply(svc('a', 'bare'));
    const names = async (sel: string) =>
      (
        (await getJson(`/api/v1/services?labelSelector=${encodeURIComponent(sel)}`)).body
          .items as KubeObject[]
      )
        .map((o) => o.metadata.name)
        .sort();
    expect(await names('app=web')).toEqual(['web']);
    expect(await names('app==db')).toEqual(['db']);
    expect(await names('app!=web')).toEqual(['bare', 'db']);
    expect(await names('tier in (front, back)')).toEqual(['db', 'web']);
    expect(await names('tier notin (front)')).toEqual(['bare', 'db']);
    expect(await names('tier')).toEqual(['db', 'web']);
    expect(await names('!tier')).toEqual(['bare']);
    expect(await names('weight>5,app=web')).toEqual(['web']);
    expect(await names('weight<5')).toEqual([]);
    for (const bad of ['app in ()', 'app=', 'app=a b', '-bad=x', 'app in (x', ',']) {
      const r = await getJson(`/api/v1/services?labelSelector=${encodeURIComponent(bad)}`);
      if (bad === 'app=')
        expect(r.status).toBe(200); // an empty value is a valid label value
      else expect(r.status, bad).toBe(400);
    }
  });

  it('field selectors: metadata.name/namespace and per-kind fields, with escapes; others are 400', async () => {
    api = await startFakeKubeApi();
    api.apply(svc('a', 'one'));
    api.apply(svc('b', 'two'));
    api.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 'a', name: 's' },
      type: 'kubernetes.io/tls',
    } as KubeObject);
    const sel = async (path: string, s: string) =>
      (await getJson(`${path}?fieldSelector=${encodeURIComponent(s)}`)).body;
    expect(
      (await sel('/api/v1/services', 'metadata.namespace!=a')).items.map((o: KubeObject) => o.metadata.name),
    ).toEqual(['two']);
    expect((await sel('/api/v1/services', 'metadata.name==one,metadata.namespace=a')).items).toHaveLength(1);
    expect((await sel('/api/v1/secrets', 'type=kubernetes.io/tls')).items).toHaveLength(1);
    expect((await sel('/api/v1/services', 'metadata.name=a\\,b')).items).toHaveLength(0);
    const bad = await sel('/api/v1/services', 'type=ClusterIP');
    expect(bad).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'field label not supported: type',
    });
  });

  it('pages with limit/continue from one snapshot, counts what remains, and expires old tokens', async () => {
    api = await startFakeKubeApi({ continueTokenTtlMs: 300 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.apply(svc('x', n));
    const first = await getJson('/api/v1/namespaces/x/services?limit=2');
    expect(first.body.items.map((o: KubeObject) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.body.metadata.remainingItemCount).toBe(3);
    api.apply(svc('x', 'bb')); // after the snapshot: not in the next page
    const second = await getJson(
      `/api/v1/namespaces/x/services?limit=2&continue=${first.body.metadata.continue}`,
    );
    expect(second.body.items.map((o: KubeObject) => o.metadata.name)).toEqual(['c', 'd']);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    await new Promise((r) => setTimeout(r, 400));
    const late = await getJson(
      `/api/v1/namespaces/x/services?limit=2&continue=${second.body.metadata.continue}`,
    );
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    const garbage = await getJson('/api/v1/namespaces/x/services?limit=2&continue=garbage');
    expect(garbage.status).toBe(400);
  });

  it('sendInitialEvents=true: the current state, a bookmark marking its end, then changes', async () => {
    api = await startFakeKubeApi();
    api.apply(svc('a', 'one'));
    const pending = watchEvents(
      '/api/v1/services?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
      3,
    );
    await api.waitFor(() => api!.activeWatches() === 1);
    api.apply(svc('a', 'two'));
    const events = await pending;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'ADDED']);
    expect(events[1]!.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(events[2]!.object.metadata.name).toBe('two');
  });

  it('a watch from a version in the future is 504 "Too large resource version"', async () => {
    api = await startFakeKubeApi();
    const r = await getJson('/api/v1/services?watch=1&resourceVersion=100000');
    expect(r.status).toBe(504);
    expect(r.body.message).toContain('Too large resource version');
    expect(r.body.details.causes[0].reason).toBe('ResourceVersionTooLarge');
  });

  it('every error is a Status with reason, code and details', async () => {
    api = await startFakeKubeApi();
    const missing = await getJson('/apis/networking.k8s.io/v1/namespaces/a/ingresses/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'ingresses.networking.k8s.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'networking.k8s.io', kind: 'ingresses' },
      code: 404,
    });
    const unknown = await getJson('/apis/example.com/v1/widgets');
    expect(unknown.body).toMatchObject({ reason: 'NotFound', code: 404 });
    const method = await getJson('/api/v1/services', { method: 'PUT', body: '{}' });
    expect(method.body).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
  });

  it('throttleNext answers 429 TooManyRequests with Retry-After, then recovers', async () => {
    api = await startFakeKubeApi();
    api.faults.throttleNext(1, { retryAfterSeconds: 3 });
    const r = await getJson('/api/v1/services');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.body).toMatchObject({ reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 3 } });
    expect((await getJson('/api/v1/services')).status).toBe(200);
  });
});
