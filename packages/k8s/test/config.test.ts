import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  autoConfig,
  createKubeClient,
  inClusterConfig,
  KubeApiError,
  KubeConfigError,
  KubeconfigParseError,
  KubeTransportError,
  kubeconfigConfig,
  SERVICE_V1,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { service } from './helpers.js';
import { makePki, type Pki } from './pki.js';

let dir: string;
let pki: Pki;
let api: FakeKubeApi | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-k8s-'));
  pki = await makePki();
  // Kubeconfigs below name the CA by a path relative to themselves.
  writeFileSync(join(dir, 'ca.crt'), pki.caCert);
}, 30_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pki.dispose();
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('bearer tokens', () => {
  it('sends the Authorization header on every request; a wrong token is a 401 KubeApiError', async () => {
    api = await startFakeKubeApi({ token: 's3cret' });
    api.apply(service('default', 'a'));
    // Everything the client publishes, to check that no token ever leaves in a message.
    const published: unknown[] = [];
    const onMessage = (m: unknown) => published.push(m);
    const names = ['request', 'list', 'relist', 'watchStart', 'watchEnd', 'watchError'].map(
      (n) => `switchyard:k8s:${n}`,
    );
    for (const n of names) subscribe(n, onMessage);
    const good = createKubeClient(urlConfig(api.url, { token: 's3cret' }));
    expect((await good.list(SERVICE_V1)).items).toHaveLength(1);
    expect(api.requests.every((r) => r.authorization === 'Bearer s3cret')).toBe(true);
    const bad = createKubeClient(urlConfig(api.url, { token: 'nope-token' }));
    const err = await bad.list(SERVICE_V1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(401);
    for (const n of names) unsubscribe(n, onMessage);
    expect(published.length).toBeGreaterThan(0);
    const seen = `${JSON.stringify(published)} ${(err as Error).message} ${JSON.stringify(err)}`;
    expect(seen).not.toContain('s3cret');
    expect(seen).not.toContain('nope-token');
    await good.close();
    await bad.close();
  });
});

describe('in-cluster config over TLS', () => {
  it('uses KUBERNETES_SERVICE_HOST/PORT, the CA file and the namespace file; re-reads a rotated token', async () => {
    api = await startFakeKubeApi({ token: 'token-1', tls: { key: pki.serverKey, cert: pki.serverCert } });
    api.apply(service('team', 'a'));
    const tokenPath = join(dir, 'token');
    const namespacePath = join(dir, 'namespace');
    writeFileSync(tokenPath, 'token-1\n');
    writeFileSync(namespacePath, 'team');
    const config = await inClusterConfig({
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
      tokenPath,
      caPath: pki.caPath,
      namespacePath,
    });
    expect(config).toMatchObject({
      source: 'in-cluster',
      server: `https://127.0.0.1:${api.port}`,
      namespace: 'team',
    });
    const client = createKubeClient(config);
    expect((await client.list(SERVICE_V1, { namespace: client.namespace })).items).toHaveLength(1);
    // The kubelet rotates the projected token; the server stops accepting the old one.
    writeFileSync(tokenPath, 'token-2\n');
    api.setToken('token-2');
    expect((await client.list(SERVICE_V1)).items).toHaveLength(1);
    const auths = api.requests.map((r) => r.authorization);
    expect(auths).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    await client.close();
  });

  it('refuses a server whose certificate the CA did not sign', async () => {
    api = await startFakeKubeApi({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    const client = createKubeClient(urlConfig(api.url)); // system roots only
    await expect(client.list(SERVICE_V1)).rejects.toBeInstanceOf(KubeTransportError);
    await client.close();
  });

  it('is not available outside a pod', async () => {
    await expect(inClusterConfig({ env: {} })).rejects.toBeInstanceOf(KubeConfigError);
  });
});

describe('kubeconfig', () => {
  it('current context, CA file (relative path), client certificate data → mutual TLS', async () => {
    api = await startFakeKubeApi({
      token: 'unused-when-cert-is-valid',
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true },
    });
    api.apply(service('dev', 'a'));
    const path = kubeconfig(
      'cert.yaml',
      `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: other
  cluster: {server: "https://192.0.2.1:6443"}
- name: test
  cluster:
    server: https://127.0.0.1:${api.port}/
    certificate-authority: ca.crt
contexts:
- name: dev
  context: {cluster: test, user: cert-user, namespace: dev}
users:
- name: cert-user
  user:
    client-certificate-data: ${b64(pki.clientCert)}
    client-key-data: ${b64(pki.clientKey)}
`,
    );
    const config = await kubeconfigConfig({ path });
    expect(config).toMatchObject({
      source: 'kubeconfig',
      server: `https://127.0.0.1:${api.port}`,
      namespace: 'dev',
    });
    expect(config.credentials).toEqual({ kind: 'none' });
    const client = createKubeClient(config);
    expect((await client.list(SERVICE_V1, { namespace: 'dev' })).items).toHaveLength(1);
    await client.close();
  });

  it('client certificate files, a chosen context, token and insecure-skip-tls-verify', async () => {
    api = await startFakeKubeApi({ token: 'tok', tls: { key: pki.serverKey, cert: pki.serverCert } });
    const path = kubeconfig(
      'multi.yaml',
      `current-context: files
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${api.port}", insecure-skip-tls-verify: true}
contexts:
- name: files
  context: {cluster: c, user: files}
- name: token
  context: {cluster: c, user: token}
users:
- name: files
  user: {client-certificate: ${pki.clientCertPath}, client-key: ${pki.clientKeyPath}}
- name: token
  user: {token: tok}
`,
    );
    const files = await kubeconfigConfig({ path });
    expect(files.tls.cert).toBe(pki.clientCert);
    expect(files.tls.key).toBe(pki.clientKey);
    const tokenConfig = await kubeconfigConfig({ path, context: 'token' });
    expect(tokenConfig.credentials).toEqual({ kind: 'token', token: 'tok' });
    const client = createKubeClient(tokenConfig);
    expect((await client.list(SERVICE_V1)).items).toEqual([]);
    await client.close();
  });

  it('KUBECONFIG lists several files; the first to define a name wins', async () => {
    const a = kubeconfig('a.yaml', 'current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n');
    const b = kubeconfig(
      'b.yaml',
      'current-context: y\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:8001"}\n',
    );
    const config = await kubeconfigConfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(config.server).toBe('http://127.0.0.1:8001');
  });

  it('runs an exec credential plugin and uses its token', async () => {
    api = await startFakeKubeApi({ token: 'from-exec' });
    const script = join(dir, 'cred.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$TOKEN_VALUE"'"}}'\n`,
    );
    chmodSync(script, 0o755);
    const path = kubeconfig(
      'exec.yaml',
      `current-context: e
clusters: [{name: c, cluster: {server: "${api.url}"}}]
contexts: [{name: e, context: {cluster: c, user: u}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./cred.sh
      env: [{name: TOKEN_VALUE, value: from-exec}]
`,
    );
    const client = createKubeClient(await kubeconfigConfig({ path }));
    expect((await client.list(SERVICE_V1)).items).toEqual([]);
    expect(api.requests[0]?.authorization).toBe('Bearer from-exec');
    await client.close();
  });

  it('reports invalid YAML and missing references with file:line:col', async () => {
    const broken = kubeconfig('broken.yaml', 'current-context: x\nclusters:\n  - name: [unclosed\n');
    const e1 = await kubeconfigConfig({ path: broken }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(KubeconfigParseError);
    expect((e1 as KubeconfigParseError).message).toMatch(/broken\.yaml:\d+:\d+/);
    const missing = kubeconfig(
      'missing.yaml',
      'current-context: x\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1"}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: ghost\n',
    );
    const e2 = await kubeconfigConfig({ path: missing }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(KubeconfigParseError);
    expect((e2 as KubeconfigParseError).line).toBe(9);
    expect((e2 as Error).message).toContain('user "ghost" not found');
    await expect(kubeconfigConfig({ path: missing, context: 'nope' })).rejects.toBeInstanceOf(
      KubeConfigError,
    );
    await expect(kubeconfigConfig({ path: join(dir, 'does-not-exist') })).rejects.toBeInstanceOf(
      KubeConfigError,
    );
  });
});

describe('autoConfig', () => {
  it('falls back from in-cluster to kubeconfig to the fallback URL', async () => {
    const path = kubeconfig(
      'auto.yaml',
      'current-context: a\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]\ncontexts: [{name: a, context: {cluster: c}}]\n',
    );
    expect((await autoConfig({ env: {}, kubeconfigPath: path })).source).toBe('kubeconfig');
    const url = await autoConfig({
      env: {},
      kubeconfigPath: join(dir, 'none'),
      fallbackUrl: 'http://127.0.0.1:8001',
    });
    expect(url).toMatchObject({ source: 'url', server: 'http://127.0.0.1:8001' });
    await expect(autoConfig({ env: {}, kubeconfigPath: join(dir, 'none') })).rejects.toThrow(
      /in-cluster.*kubeconfig/,
    );
  });
});
