/**
 * An exec credential plugin that returns a client certificate (ExecCredential
 * `status.clientCertificateData`/`clientKeyData`, as cloud plugins for mTLS clusters do): the
 * client presents it on the TLS handshake, and a server that trusts only certificates accepts it.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeClient, KubeCredentialsError, kubeconfigConfig, SERVICE_V1 } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './pki.js';

let pki: Pki;
let api: FakeKubeApi | undefined;
beforeAll(async () => {
  pki = await makePki();
});
afterAll(() => pki.dispose());
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

afterEach(async () => {
  await api?.close();
  api = undefined;
});

function setup(status: Record<string, string>): string {
  const dir = tempDir('sy-exec-cert-');
  const plugin = join(dir, 'plugin.mjs');
  writeFileSync(
    plugin,
    `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({apiVersion:'client.authentication.k8s.io/v1',kind:'ExecCredential',status:${JSON.stringify(status)}}));\n`,
  );
  chmodSync(plugin, 0o755);
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${api!.url}", certificate-authority-data: ${Buffer.from(pki.caCert).toString('base64')}}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.mjs}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return file;
}

describe('exec plugin client certificates', () => {
  it('presents the certificate the plugin returned; the server authenticates it', async () => {
    // A token nobody has: only the verified client certificate gets in.
    api = await startFakeKubeApi({
      token: 'unguessable',
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true },
    });
    const file = setup({ clientCertificateData: pki.clientCert, clientKeyData: pki.clientKey });
    const client = createKubeClient(await kubeconfigConfig({ path: file }));
    expect((await client.list(SERVICE_V1)).items).toEqual([]);
    expect(api.requests[0]?.authorization).toBeUndefined();
    await client.close();
  });

  it('a certificate without its key is a KubeCredentialsError naming both fields', async () => {
    api = await startFakeKubeApi({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    const file = setup({ clientCertificateData: pki.clientCert });
    const client = createKubeClient(await kubeconfigConfig({ path: file }));
    const err = await client.list(SERVICE_V1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeCredentialsError);
    expect((err as Error).message).toMatch(/clientCertificateData without status.clientKeyData/);
    await client.close();
  });
});
