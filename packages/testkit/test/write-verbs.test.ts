/**
 * Write verbs of the test API server over plain HTTP: create/replace/patch/delete rules that real
 * clients depend on (conflicts, generation, status subresource, finalizers, managedFields, dry
 * run, namespace admission), and strategic merge patch directives.
 *
 * Over ~300 lines on purpose: one case per write rule of writes.ts, which keeps the rules in one
 * module for the same reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary JSON documents from the server
type Doc = any;

let api: FakeKubeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${api!.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Doc };
}

const ING = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';
const ingress = (host: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web' },
  spec: { rules: [{ host }] },
  status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
});

describe('write verbs', () => {
  it('create: 201 with uid, creationTimestamp, generation 1, no status; 409 AlreadyExists; 404 for a missing namespace', async () => {
    api = await startFakeKubeApi();
    const created = await call('POST', ING, ingress('a.example'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ namespace: 'default', generation: 1 });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.status).toBeUndefined(); // status is the status subresource's
    expect(created.body.metadata.managedFields[0]).toMatchObject({ manager: 'node', operation: 'Update' });
    const again = await call('POST', ING, ingress('a.example'));
    expect(again.body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const nowhere = await call('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } });
    expect(nowhere.body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nowhere" not found',
    });
    const badName = await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'Bad_Name' },
    });
    expect(badName.body).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('replace: 409 Conflict on a stale resourceVersion; spec changes bump generation, status writes do not', async () => {
    api = await startFakeKubeApi();
    const v1 = (await call('POST', ING, ingress('a.example'))).body;
    const v2 = (await call('PUT', `${ING}/web`, { ...v1, spec: { rules: [{ host: 'b.example' }] } })).body;
    expect(v2.metadata.generation).toBe(2);
    const stale = await call('PUT', `${ING}/web`, v1);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      details: { name: 'web', group: 'networking.k8s.io', kind: 'ingresses' },
    });
    const st = await call('PUT', `${ING}/web/status`, {
      ...v2,
      spec: { rules: [] },
      status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    });
    expect(st.body.status.loadBalancer.ingress[0].ip).toBe('1.2.3.4');
    expect(st.body.spec.rules[0].host).toBe('b.example'); // status writes change status only
    expect(st.body.metadata.generation).toBe(2);
    const labelOnly = await call(
      'PATCH',
      `${ING}/web`,
      { metadata: { labels: { a: 'b' } }, status: { loadBalancer: {} } },
      'application/merge-patch+json',
    );
    expect(labelOnly.body.metadata.generation).toBe(2); // metadata changes don't bump generation
    expect(labelOnly.body.status.loadBalancer.ingress[0].ip).toBe('1.2.3.4'); // main-resource writes keep status
  });

  it('strategic merge patch: merge keys, $patch delete/replace, $retainKeys, $deleteFromPrimitiveList', async () => {
    api = await startFakeKubeApi();
    await call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 's', finalizers: ['a/x', 'b/y'] },
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
        selector: { app: 's', tier: 'x' },
      },
    });
    const smp = 'application/strategic-merge-patch+json';
    let r = await call(
      'PATCH',
      '/api/v1/namespaces/default/services/s',
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] },
        spec: {
          ports: [
            { port: 80, targetPort: 8080 },
            { port: 443, $patch: 'delete' },
          ],
        },
      },
      smp,
    );
    expect(r.body.metadata.finalizers).toEqual(['b/y']);
    expect(r.body.spec.ports).toEqual([{ port: 80, name: 'http', targetPort: 8080 }]);
    r = await call(
      'PATCH',
      '/api/v1/namespaces/default/services/s',
      { spec: { selector: { $patch: 'replace', app: 't' } } },
      smp,
    );
    expect(r.body.spec.selector).toEqual({ app: 't' });
    r = await call(
      'PATCH',
      '/api/v1/namespaces/default/services/s',
      { spec: { $retainKeys: ['ports'], ports: [{ port: 81 }] } },
      smp,
    );
    expect(Object.keys(r.body.spec)).toEqual(['ports']);
    expect(r.body.spec.ports.map((p: Doc) => p.port)).toEqual([80, 81]);
    const crdLike = await call(
      'PATCH',
      '/api/v1/namespaces/default/services/s',
      { spec: {} },
      'application/yaml',
    );
    expect(crdLike.body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });

  it('JSON Patch (RFC 6902): add/replace/remove/move/copy/test; a failed test is 422 and changes nothing', async () => {
    api = await startFakeKubeApi();
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c' },
      data: { a: '1' },
    });
    const jp = 'application/json-patch+json';
    const r = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/c',
      [
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'copy', from: '/data/a', path: '/data/c' },
        { op: 'move', from: '/data/a', path: '/data/d' },
        { op: 'replace', path: '/data/b', value: '3' },
        { op: 'remove', path: '/data/c' },
        { op: 'test', path: '/data/d', value: '1' },
      ],
      jp,
    );
    expect(r.body.data).toEqual({ b: '3', d: '1' });
    const failed = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/c',
      [
        { op: 'replace', path: '/data/b', value: '9' },
        { op: 'test', path: '/data/d', value: 'nope' },
      ],
      jp,
    );
    expect(failed.body).toMatchObject({ code: 422 });
    expect(api.get<Doc>('ConfigMap', 'default', 'c')!.data.b).toBe('3');
  });

  it('server-side apply: creates, owns fields, conflicts with another manager, force takes over', async () => {
    api = await startFakeKubeApi();
    const ssa = 'application/apply-patch+yaml';
    const path = '/api/v1/namespaces/default/configmaps/c';
    const noManager = await call(
      'PATCH',
      path,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
      ssa,
    );
    expect(noManager.body).toMatchObject({
      code: 400,
      message: 'PATCH, application/apply-patch+yaml requires fieldManager to be set',
    });
    const created = await call(
      'PATCH',
      `${path}?fieldManager=a`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: "1"}\n',
      ssa,
    );
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toMatchObject([
      { manager: 'a', operation: 'Apply', fieldsV1: { 'f:data': { 'f:x': {} } } },
    ]);
    const clash = await call(
      'PATCH',
      `${path}?fieldManager=b`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: "2"}\n',
      ssa,
    );
    expect(clash.body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      details: {
        causes: [{ reason: 'FieldManagerConflict', field: '.data.x', message: 'conflict with "a" using v1' }],
      },
    });
    const shared = await call(
      'PATCH',
      `${path}?fieldManager=b`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: "1", y: "2"}\n',
      ssa,
    );
    expect(shared.status).toBe(200); // same value: co-owned, no conflict
    const forced = await call(
      'PATCH',
      `${path}?fieldManager=b&force=true`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: "3", y: "2"}\n',
      ssa,
    );
    expect(forced.body.data).toEqual({ x: '3', y: '2' });
    const owners = forced.body.metadata.managedFields.map((e: Doc) => [
      e.manager,
      Object.keys(e.fieldsV1['f:data'] ?? {}),
    ]);
    expect(owners).toEqual([['b', ['f:x', 'f:y']]]);
  });

  it('the status subresource takes every patch type: merge, JSON Patch, strategic and server-side apply (conflicts 409)', async () => {
    api = await startFakeKubeApi();
    expect((await call('POST', ING, ingress('a.example'))).status).toBe(201);
    const st = `${ING}/web/status`;
    const ips = (b: Doc) => b.status.loadBalancer.ingress.map((i: Doc) => i.ip);
    const merge = await call(
      'PATCH',
      st,
      { status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } },
      'application/merge-patch+json',
    );
    expect(ips(merge.body)).toEqual(['10.0.0.1']);
    const json = await call(
      'PATCH',
      st,
      [{ op: 'add', path: '/status/loadBalancer/ingress/-', value: { ip: '10.0.0.2' } }],
      'application/json-patch+json',
    );
    expect(ips(json.body)).toEqual(['10.0.0.1', '10.0.0.2']);
    const strategic = await call(
      'PATCH',
      st,
      { status: { loadBalancer: { ingress: [{ ip: '10.0.0.3' }] } } },
      'application/strategic-merge-patch+json',
    );
    expect(ips(strategic.body)).toEqual(['10.0.0.3']);
    const ssa = 'application/apply-patch+yaml';
    const applied = (ip: string) =>
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nstatus: {loadBalancer: {ingress: [{ip: ${ip}}]}}\n`;
    // The updates above own the (atomic) list: applying another value conflicts with them, as in
    // kube-apiserver, until forced.
    const clash = await call('PATCH', `${st}?fieldManager=lb`, applied('10.0.0.4'), ssa);
    expect(clash.body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(clash.body.details.causes[0]).toMatchObject({
      reason: 'FieldManagerConflict',
      field: '.status.loadBalancer.ingress',
    });
    const lb = await call('PATCH', `${st}?fieldManager=lb&force=true`, applied('10.0.0.4'), ssa);
    expect(lb.status).toBe(200);
    expect(ips(lb.body)).toEqual(['10.0.0.4']);
    expect(lb.body.spec.rules[0].host).toBe('a.example'); // a status apply changes status only
    expect(lb.body.metadata.generation).toBe(1);
    expect(lb.body.metadata.managedFields.find((e: Doc) => e.manager === 'lb')).toMatchObject({
      operation: 'Apply',
      subresource: 'status',
    });
    const other = await call('PATCH', `${st}?fieldManager=other`, applied('10.0.0.5'), ssa);
    expect(other.body).toMatchObject({ code: 409, reason: 'Conflict' });
    const forced = await call('PATCH', `${st}?fieldManager=other&force=true`, applied('10.0.0.5'), ssa);
    expect(ips(forced.body)).toEqual(['10.0.0.5']);
  });

  it('delete: propagationPolicy validated, preconditions, finalizers mark then release, dryRun changes nothing', async () => {
    api = await startFakeKubeApi();
    const cm = '/api/v1/namespaces/default/configmaps';
    await call('POST', cm, { metadata: { name: 'c', finalizers: ['example.com/hold'] } });
    const badPolicy = await call('DELETE', `${cm}/c`, { propagationPolicy: 'Sometimes' });
    expect(badPolicy.body).toMatchObject({ code: 422, reason: 'Invalid' });
    const badUid = await call('DELETE', `${cm}/c`, { preconditions: { uid: 'nope' } });
    expect(badUid.body).toMatchObject({ code: 409, reason: 'Conflict' });
    const dry = await call('DELETE', `${cm}/c?dryRun=All`, { propagationPolicy: 'Foreground' });
    expect(dry.status).toBe(200);
    expect(api.get<Doc>('ConfigMap', 'default', 'c')!.metadata.deletionTimestamp).toBeUndefined();
    const marked = await call('DELETE', `${cm}/c`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
    });
    expect(marked.status).toBe(202);
    expect(marked.body.metadata.deletionTimestamp).toMatch(/Z$/);
    const released = await call(
      'PATCH',
      `${cm}/c`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    expect(released.status).toBe(200);
    expect((await call('GET', `${cm}/c`)).status).toBe(404);
  });

  it('deleting a namespace deletes what is in it', async () => {
    api = await startFakeKubeApi();
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    await call('POST', '/api/v1/namespaces/team/configmaps', { metadata: { name: 'c' } });
    expect((await call('GET', '/api/v1/namespaces/team')).body.status.phase).toBe('Active');
    await call('DELETE', '/api/v1/namespaces/team');
    expect((await call('GET', '/api/v1/namespaces/team/configmaps/c')).status).toBe(404);
  });
});
