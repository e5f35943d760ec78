/**
 * `--kube-api PORT`: the local demo with a Kubernetes API, so the post can be followed with
 * kubectl and no cluster. It serves the project's test API server (`@switchyard/testkit`),
 * writes a kubeconfig for it, and stands in for the two cluster parts that would otherwise make
 * the post's manifests do something: the EndpointSlice controller (the demo backends are the
 * ready endpoints of `world-v1` and `world-v2`, as their pods would be) and the kubelet's Secret
 * volume (the TLS server's certificate files follow the post's Secret `l5d-system/ingress-certs`,
 * as the post's mounted volume did; the development certificate until it exists).
 *
 * The test API server is loaded only when this mode is asked for (a dynamic import): the
 * binary's other modes never load it.
 */
import { copyFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createKubeClient,
  type EndpointSlice,
  type InformerLease,
  SECRET_V1,
  type Secret,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import type { DemoBackend } from './demo-backends.js';

/** The Secret the post's `ingress-certificates.yaml` creates and its TLS controller mounts. */
export const POST_TLS_SECRET = Object.freeze({ namespace: 'l5d-system', name: 'ingress-certs' });

/** The running local API and its stand-ins. */
export interface LocalKubeApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The kubeconfig file for kubectl (current context `switchyard-local`, namespace `default`). */
  readonly kubeconfigPath: string;
  /** The TLS server's certificate and key files (the Secret volume stand-in writes them). */
  readonly certPath: string;
  readonly keyPath: string;
  close(): Promise<void>;
}

/** The kubeconfig text for a plain-HTTP API server at `url` (no credentials: the test API asks for none). */
export function localKubeconfig(url: string): string {
  return `# Written by switchyard-ingress --kube-api: the local test API server (no cluster, no credentials).
apiVersion: v1
kind: Config
clusters:
- name: switchyard-local
  cluster:
    server: ${url}
users:
- name: switchyard-local
  user: {}
contexts:
- name: switchyard-local
  context:
    cluster: switchyard-local
    user: switchyard-local
    namespace: default
current-context: switchyard-local
`;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  await writeFile(`${file}.tmp`, data);
  await rename(`${file}.tmp`, file);
}

/** An EndpointSlice making `backend` the one ready endpoint of Service `default/<backend.name>`, port `http`. */
function demoSlice(backend: DemoBackend): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'default',
      name: `${backend.name}-local`,
      labels: {
        'kubernetes.io/service-name': backend.name,
        'endpointslice.kubernetes.io/managed-by': 'switchyard-ingress-local',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [backend.host], conditions: { ready: true } }],
    ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
  } as EndpointSlice;
}

/**
 * Starts the test API server on `port` (0: ephemeral) and the stand-ins. `runDir` is this run's
 * own directory (certificate files); `devCert` the fallback certificate.
 */
export async function startLocalKubeApi(options: {
  readonly port: number;
  readonly runDir: string;
  /** Where to write the kubeconfig (a stable path, so commands can name it; the latest run wins). */
  readonly kubeconfigPath: string;
  readonly backends: readonly DemoBackend[];
  readonly devCert: { readonly certPath: string; readonly keyPath: string };
}): Promise<LocalKubeApi> {
  const { startFakeKubeApi } = await import('@switchyard/testkit/fake-kube-api');
  const api = await startFakeKubeApi({ port: options.port });
  const closers: (() => unknown)[] = [() => api.close()];
  try {
    for (const backend of options.backends) api.apply(demoSlice(backend));

    const { kubeconfigPath } = options;
    await writeAtomic(kubeconfigPath, localKubeconfig(api.url));

    // The Secret volume: tls.crt/tls.key files that follow the Secret (dev certificate without it).
    const certPath = join(options.runDir, 'tls.crt');
    const keyPath = join(options.runDir, 'tls.key');
    await copyFile(options.devCert.keyPath, `${keyPath}.tmp`);
    await rename(`${keyPath}.tmp`, keyPath);
    await copyFile(options.devCert.certPath, `${certPath}.tmp`);
    await rename(`${certPath}.tmp`, certPath);
    const client = createKubeClient(urlConfig(api.url));
    closers.unshift(() => client.close());
    const lease: InformerLease<Secret> = sharedInformers(client).acquire(SECRET_V1, {
      namespace: POST_TLS_SECRET.namespace,
      fieldSelector: `metadata.name=${POST_TLS_SECRET.name}`,
    });
    closers.unshift(() => lease.release());
    let writing = Promise.resolve();
    lease.subscribe((e) => {
      if (e.kind === 'synced') return;
      const data = e.kind === 'deleted' ? undefined : e.object.data;
      const crt = data?.['tls.crt'];
      const key = data?.['tls.key'];
      // Key first, then certificate: the TLS file source reloads when the pair matches again.
      writing = writing.then(async () => {
        if (crt && key) {
          await writeAtomic(keyPath, Buffer.from(key, 'base64'));
          await writeAtomic(certPath, Buffer.from(crt, 'base64'));
        } else {
          await copyFile(options.devCert.keyPath, `${keyPath}.tmp`);
          await rename(`${keyPath}.tmp`, keyPath);
          await copyFile(options.devCert.certPath, `${certPath}.tmp`);
          await rename(`${certPath}.tmp`, certPath);
        }
      });
      // A failed write leaves the previous pair in place; the next change of the Secret retries.
      writing = writing.catch(() => undefined);
    });
    closers.unshift(() => writing);
    return {
      url: api.url,
      port: api.port,
      kubeconfigPath,
      certPath,
      keyPath,
      close: async () => {
        for (const close of closers.splice(0)) await close();
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close();
    throw error;
  }
}
