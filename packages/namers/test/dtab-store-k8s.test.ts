/**
 * The Kubernetes dtab store against the test API server, with the CRD registered at run time from
 * the shipped manifest: several replicas (each with its own client and informer) see a write, a
 * bad dtab is ignored and reported on the status, a stale write gets a typed conflict.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Activity, createMetricsRegistry, type Dispose } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import {
  createKubeClient,
  defineResource,
  type KubeClient,
  type KubeObject,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  createK8sDtabStore,
  DTAB_V1ALPHA1,
  type DtabResource,
  type DtabStore,
  DtabStoreConflictError,
  type DtabStoreEvent,
  type StoredDtab,
} from '../src/dtab-store.js';

/** How long a write may take to reach every replica here: generous; the measured figure is printed. */
const PROPAGATION_BOUND_MS = 2_000;

const CRD_FILE = fileURLToPath(new URL('../../../examples/ingress/k8s/base/dtab-crd.yaml', import.meta.url));
const CRD_V1 = defineResource<KubeObject>({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
});
const NAMESPACE_V1 = defineResource<KubeObject>({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});
const NS = 'l5d-system';

let api: FakeKubeApi;
let admin: KubeClient;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  api = await startFakeKubeApi();
  admin = createKubeClient(urlConfig(api.url));
  await admin.create(CRD_V1, parse(readFileSync(CRD_FILE, 'utf8')) as KubeObject);
  await admin.create(NAMESPACE_V1, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await admin.close();
  await api.close();
});

function replica(events: DtabStoreEvent[] = []): DtabStore {
  const client = createKubeClient(urlConfig(api.url));
  const store = createK8sDtabStore({ client, namespace: NS, onEvent: (e) => events.push(e) });
  cleanups.push(
    () => client.close(),
    () => store.close(),
  );
  return store;
}

/** Observes `name` and records every ok value with the time it arrived. */
function watchStore(store: DtabStore, name: string) {
  const seen: { value: StoredDtab | undefined; at: number }[] = [];
  const stop: Dispose = store.observe(name).states.observe((s) => {
    if (s.kind === 'ok') seen.push({ value: s.value, at: performance.now() });
  });
  cleanups.push(stop);
  return seen;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('createK8sDtabStore', () => {
  it('a write reaches every replica (the latency is printed)', async () => {
    const replicas = [replica(), replica(), replica(), replica()];
    const views = replicas.map((r) => watchStore(r, 'http'));
    // Each replica has listed: no Dtab yet is ok(undefined).
    await until(() => views.every((v) => v.length > 0));
    expect(views.every((v) => v.at(-1)!.value === undefined)).toBe(true);

    const writer = replica();
    await writer.update('warm-up', Dtab.empty, undefined); // the writer's connection is open
    const started = performance.now();
    const written = await writer.update('http', Dtab.read('/svc/web => /svc/web-v2'), undefined);
    await until(() => views.every((v) => v.at(-1)!.value?.version === written.version));
    const latencies = views.map((v) => v.at(-1)!.at - started);
    // Reported by the test run (the goal is < 100 ms; docs/dtab-store.md has the figures); the
    // assertion is only a generous bound, for a busy machine.
    console.info(
      `dtab store propagation to ${views.length} replicas: max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    expect(Math.max(...latencies)).toBeLessThan(PROPAGATION_BOUND_MS);
    for (const v of views) expect(Dtab.show(v.at(-1)!.value!.dtab)).toBe('/svc/web=>/svc/web-v2');

    // A second write, with the version read, reaches them too.
    const t2 = performance.now();
    const second = await writer.update('http', Dtab.read('/svc/web => /svc/web-v3'), written.version);
    await until(() => views.every((v) => v.at(-1)!.value?.version === second.version));
    expect(Math.max(...views.map((v) => v.at(-1)!.at - t2))).toBeLessThan(PROPAGATION_BOUND_MS);
  });

  it('a bad dtab is ignored (the last good one stays) and reported on the status', async () => {
    const events: DtabStoreEvent[] = [];
    const stats = createMetricsRegistry();
    const client = createKubeClient(urlConfig(api.url));
    const store = createK8sDtabStore({ client, namespace: NS, stats, onEvent: (e) => events.push(e) });
    cleanups.push(
      () => client.close(),
      () => store.close(),
    );
    const seen = watchStore(store, 'http');
    const good = await store.update('http', Dtab.read('/svc => /#/io.l5d.k8s/default/http'), undefined);
    await until(() => seen.at(-1)?.value?.version === good.version);
    // A good dtab leaves the status alone (a status write would bump the resourceVersion).
    expect(api.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/dtabs/http/status'))).toBe(
      false,
    );

    const current = (await admin.get(DTAB_V1ALPHA1, NS, 'http'))!;
    await admin.replace(DTAB_V1ALPHA1, { ...current, spec: { dtab: '/svc => => nope' } });
    await until(() => events.some((e) => e.kind === 'invalid'));
    // Still the good dtab, at the bad object's version, so that a writer can replace the bad one.
    expect(Dtab.show(seen.at(-1)!.value!.dtab)).toBe('/svc=>/#/io.l5d.k8s/default/http');
    expect(seen.at(-1)!.value?.version).not.toBe(good.version);
    expect(Dtab.show(Activity.sample(store.observe('http'))!.dtab)).toBe('/svc=>/#/io.l5d.k8s/default/http');
    const invalid = events.find((e) => e.kind === 'invalid');
    expect(invalid?.kind === 'invalid' && invalid.error.code).toBe('SY_ERR_NAMERS_DTAB_STORE_INVALID');
    expect(invalid?.kind === 'invalid' && invalid.error.message).toContain(`Dtab ${NS}/http: spec.dtab:`);

    let status: DtabResource['status'];
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      status = (await admin.get(DTAB_V1ALPHA1, NS, 'http'))?.status;
      if (status?.conditions?.find((c) => c.type === 'Accepted')?.status === 'False') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const accepted = status?.conditions?.find((c) => c.type === 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'InvalidDtab', observedGeneration: 2 });
    expect(accepted?.message).toContain('spec.dtab:');
    const snapshot = stats.snapshot().find((m) => m.name.join('/') === 'dtab_store/invalid');
    expect(snapshot).toMatchObject({ value: 1 });

    // Fixed: taken into use and the status says so again.
    const broken = (await admin.get(DTAB_V1ALPHA1, NS, 'http'))!;
    await admin.replace(DTAB_V1ALPHA1, { ...broken, spec: { dtab: '/svc => /$/inet/127.0.0.1/1' } });
    await until(() => events.at(-1)?.kind === 'applied' && seen.at(-1)?.value?.dtab.length === 1);
    expect(Dtab.show(seen.at(-1)!.value!.dtab)).toBe('/svc=>/$/inet/127.0.0.1/1');
    expect(events.filter((e) => e.kind === 'invalid')).toHaveLength(1);
    const acceptedNow = async () =>
      (await admin.get(DTAB_V1ALPHA1, NS, 'http'))?.status?.conditions?.find((c) => c.type === 'Accepted');
    const until2 = Date.now() + 5000;
    while ((await acceptedNow())?.status !== 'True' && Date.now() < until2) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await acceptedNow()).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: 3 });
  });

  it('a write with a stale resourceVersion is a typed conflict (409)', async () => {
    const a = replica();
    const b = replica();
    const first = await a.update('http', Dtab.read('/a => /b'), undefined);
    await b.update('http', Dtab.read('/a => /c'), first.version);
    const stale = a.update('http', Dtab.read('/a => /d'), first.version);
    await expect(stale).rejects.toBeInstanceOf(DtabStoreConflictError);
    await expect(stale).rejects.toMatchObject({
      code: 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT',
      cause: { status: 409 },
    });
    // Creating what exists is a conflict too.
    await expect(a.update('http', Dtab.read('/a => /e'), undefined)).rejects.toBeInstanceOf(
      DtabStoreConflictError,
    );
    // The stale writes changed nothing.
    expect((await admin.get(DTAB_V1ALPHA1, NS, 'http'))!.spec.dtab).toBe('/a=>/c');
  });

  it('rejects names that are not Kubernetes object names', () => {
    expect(() => replica().observe('Bad_Name')).toThrow(/DNS-1123/);
  });
});
