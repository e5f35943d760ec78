/**
 * secretCertificateSource against the testkit API server: pairs from `kubernetes.io/tls`
 * Secrets, live updates, bad Secrets reported by name, and Secrets named by Ingress `spec.tls`.
 * (Serving them over TLS is tested end to end in examples/ingress.)
 */
import type { Dispose } from '@switchyard/core';
import { Var } from '@switchyard/core';
import {
  createKubeClient,
  type KubeClient,
  type KubeObject,
  type SecretCertificateSnapshot,
  type SecretRef,
  secretCertificateSource,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';

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

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function tlsSecret(
  namespace: string,
  name: string,
  data: Record<string, string>,
  type = 'kubernetes.io/tls',
): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, type, data } as KubeObject;
}

/** Collects snapshots as `id:kind[:message]` strings and resolves waits on them. */
function watch(source: { observe(f: (s: SecretCertificateSnapshot) => void): Dispose }) {
  const seen: string[][] = [];
  const waiters: { ok: (s: string[]) => boolean; resolve: () => void }[] = [];
  const dispose = source.observe((s) => {
    const view = s.map((e) =>
      e.kind === 'ok'
        ? `${e.id}:ok:${e.pair.certPem.length}`
        : `${e.id}:failed:${e.error.code}:${e.error.message}`,
    );
    seen.push(view);
    for (const w of [...waiters]) if (w.ok(view)) w.resolve();
  });
  cleanups.push(dispose);
  return {
    seen,
    until(ok: (s: string[]) => boolean): Promise<void> {
      if (seen.length > 0 && ok(seen.at(-1)!)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ ok, resolve }));
    },
  };
}

describe('secretCertificateSource', () => {
  it('emits pairs from kubernetes.io/tls Secrets and follows updates', async () => {
    await setup();
    api.apply(tlsSecret('default', 'web-cert', { 'tls.crt': b64(CERT), 'tls.key': b64(KEY) }));
    api.apply(tlsSecret('edge', 'edge-cert', { 'tls.crt': b64(CERT), 'tls.key': b64(KEY) }));
    const source = secretCertificateSource(client, { names: ['web-cert', 'edge/edge-cert'] });
    expect(source.description).toBe('secrets web-cert, edge/edge-cert');
    const w = watch(source);
    await w.until((s) => s.length === 2);
    expect(w.seen[0]).toEqual([
      `secret default/web-cert:ok:${CERT.length}`,
      `secret edge/edge-cert:ok:${CERT.length}`,
    ]);
    const longer = CERT.replace('MIIB', 'MIIBXYZ');
    api.apply(tlsSecret('default', 'web-cert', { 'tls.crt': b64(longer), 'tls.key': b64(KEY) }));
    await w.until((s) => s[0] === `secret default/web-cert:ok:${longer.length}`);
    // Unrelated Secrets in the same namespace cause no new snapshot.
    const count = w.seen.length;
    api.apply(tlsSecret('default', 'unrelated', { x: b64('y') }, 'Opaque'));
    api.apply(tlsSecret('default', 'web-cert', { 'tls.crt': b64(longer), 'tls.key': b64(KEY) }));
    // Event-driven "nothing happened": a later, relevant change must be the very next snapshot.
    const sentinel = CERT.replace('MIIB', 'MIIBSENTINEL');
    api.apply(tlsSecret('default', 'web-cert', { 'tls.crt': b64(sentinel), 'tls.key': b64(KEY) }));
    await w.until((s) => s[0] === `secret default/web-cert:ok:${sentinel.length}`);
    expect(w.seen.length).toBe(count + 1);
  });

  it('reports missing and bad Secrets by name as failed entries', async () => {
    await setup();
    api.apply(tlsSecret('default', 'no-key', { 'tls.crt': b64(CERT) }));
    api.apply(tlsSecret('default', 'garbage', { 'tls.crt': b64('hello'), 'tls.key': b64(KEY) }));
    api.apply(tlsSecret('default', 'opaque', { other: b64('x') }, 'Opaque'));
    const w = watch(secretCertificateSource(client, { names: ['no-key', 'garbage', 'opaque', 'missing'] }));
    await w.until((s) => s.length === 4);
    expect(w.seen.at(-1)).toEqual([
      'secret default/no-key:failed:SY_ERR_TLS_BAD_KEY:secret default/no-key: no tls.key',
      'secret default/garbage:failed:SY_ERR_TLS_BAD_CERT:secret default/garbage: tls.crt holds no PEM CERTIFICATE',
      'secret default/opaque:failed:SY_ERR_TLS_BAD_CERT:secret default/opaque: no tls.crt (type Opaque, expected kubernetes.io/tls)',
      'secret default/missing:failed:SY_ERR_TLS_READ_FAILED:secret default/missing: Secret not found',
    ]);
    api.apply(tlsSecret('default', 'missing', { 'tls.crt': b64(CERT), 'tls.key': b64(KEY) }));
    await w.until((s) => s[3] === `secret default/missing:ok:${CERT.length}`);
  });

  it('follows a Var of names (the ingress identifier passes its tlsSecrets)', async () => {
    await setup();
    api.apply(tlsSecret('shop', 'shop-cert', { 'tls.crt': b64(CERT), 'tls.key': b64(KEY) }));
    const names = Var.value<readonly SecretRef[]>([]);
    const w2 = watch(secretCertificateSource(client, { names }));
    await w2.until((s) => s.length === 0);
    names.update([{ namespace: 'shop', name: 'shop-cert' }]);
    await w2.until((s) => s.length === 1 && s[0] === `secret shop/shop-cert:ok:${CERT.length}`);
    names.update([]);
    await w2.until((s) => s.length === 0);
    // The watches stop with the last observer.
    for (const c of cleanups.splice(2)) await c();
    await api.waitFor(() => api.activeWatches() === 0);
  });
});
