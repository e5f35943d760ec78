/**
 * The post, end to end, against the project's Kubernetes API test server: its config files
 * loaded verbatim, its demo services, its Ingress. Only the listening ports change (80/443 → an
 * ephemeral loopback port) and the TLS file paths (the post's are a Secret volume mount).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultKinds, Linker, type LoadedConfig, readLinkerConfig } from '@switchyard/config';
import { type FakeKubeApi, POST_HELLO_WORLD_INGRESS_YAML, startFakeKubeApi } from '@switchyard/testkit';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type DemoBackend, startDemoBackend } from '../src/demo-backends.js';
import { curl, eventually } from './http-client.js';

const configDir = fileURLToPath(new URL('../config/', import.meta.url));
const kinds = createDefaultKinds();

/** The post's hello-world Ingress, exactly as printed in the post (extensions/v1beta1). */
const POST_INGRESS = parse(POST_HELLO_WORLD_INGRESS_YAML);

/** `kubectl apply` puts a namespace-less manifest in the current namespace, `default`. */
function kubectlApply(api: FakeKubeApi, manifest: { metadata: Record<string, unknown> }): void {
  api.apply({ ...manifest, metadata: { namespace: 'default', ...manifest.metadata } } as never);
}

function serviceObjects(name: string, backend: DemoBackend) {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { app: name },
        ports: [{ name: 'http', port: 7778, targetPort: backend.port, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-abcde`,
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': name },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
      endpoints: [
        { addresses: [backend.host], conditions: { ready: true, serving: true, terminating: false } },
      ],
    },
  ];
}

/** The post's config with its servers moved to an ephemeral loopback port. */
function onEphemeralPorts(loaded: LoadedConfig, tls?: { certPath: string; keyPath: string }): LoadedConfig {
  const config = structuredClone(loaded.config);
  for (const router of config.routers) {
    router.servers = router.servers.map((s) => ({
      ...s,
      port: 0,
      ip: '127.0.0.1',
      ...(s.tls && tls ? { tls: { ...s.tls, ...tls } } : {}),
    }));
  }
  return { ...loaded, config };
}

describe("the post's ingress controller against the Kubernetes API test server", () => {
  let api: FakeKubeApi;
  let dir: string;
  const backends: DemoBackend[] = [];
  const linkers: Linker[] = [];
  let previousKubeconfig: string | undefined;

  beforeAll(async () => {
    api = await startFakeKubeApi();
    dir = await mkdtemp(join(tmpdir(), 'sy-post-'));
    // The post's config names no API server: like kubectl, Switchyard then uses the kubeconfig.
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "${api.url}"}
users:
- name: test
  user: {}
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
`,
    );
    previousKubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    backends.push(await startDemoBackend('world-v1', 'world'), await startDemoBackend('world-v2', 'earth'));
    for (const object of [
      ...serviceObjects('world-v1', backends[0]!),
      ...serviceObjects('world-v2', backends[1]!),
    ]) {
      api.apply(object);
    }
  });

  afterAll(async () => {
    await Promise.all(linkers.map((l) => l.close()));
    await Promise.all(backends.map((b) => b.close()));
    await api.close();
    if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previousKubeconfig;
    await rm(dir, { recursive: true, force: true });
  });

  it('answers "no ingress rule matches" before the Ingress exists, then world/earth after it is applied', async () => {
    const loaded = await readLinkerConfig(join(configDir, 'linkerd-ingress-controller.yaml'), kinds);
    const linker = await Linker.start(onEphemeralPorts(loaded), {
      kinds,
      baseDir: configDir,
      admin: { port: 0 },
    });
    linkers.push(linker);
    const port = linker.routers[0]!.servers[0]!.port;

    const before = await curl(`http://127.0.0.1:${port}/`);
    expect(before.status).toBe(404);
    expect(before.body).toMatch(
      /^Unknown destination: Request\("GET \/", from \/127\.0\.0\.1:\d+\) \/ no ingress rule matches/,
    );
    // clearContext: true never leaks Linkerd headers to the untrusted client.
    expect(Object.keys(before.headers).filter((h) => h.startsWith('l5d-'))).toEqual([]);

    kubectlApply(api, POST_INGRESS);
    await eventually(async () => (await curl(`http://127.0.0.1:${port}/`)).status === 200);
    expect((await curl(`http://127.0.0.1:${port}/`)).body).toBe('world (127.0.0.1)!\n');
    expect((await curl(`http://127.0.0.1:${port}/`, { host: 'world.v2' })).body).toBe('earth (127.0.0.1)!\n');
    expect((await curl(`http://127.0.0.1:${port}/anything`, { host: 'world.v2:80' })).body).toBe(
      'earth (127.0.0.1)!\n',
    );
  });

  it('terminates TLS with the TLS variant of the config', async () => {
    // The ingress-certs Secret (PKCS#1 key, which Linkerd 1 rejected), mounted as files as the
    // post's DaemonSet does.
    const secret = parse(
      await readFile(fileURLToPath(new URL('../k8s/ingress-certificates.yaml', import.meta.url)), 'utf8'),
    ) as {
      data: Record<string, string>;
    };
    const cert = { certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key') };
    await writeFile(cert.certPath, Buffer.from(secret.data['tls.crt']!, 'base64'));
    await writeFile(cert.keyPath, Buffer.from(secret.data['tls.key']!, 'base64'));
    const loaded = await readLinkerConfig(join(configDir, 'linkerd-tls-ingress-controller.yaml'), kinds);
    expect(loaded.config.routers[0]!.servers[0]!.tls).toMatchObject({
      certPath: '/io.buoyant/linkerd/certs/tls.crt',
      keyPath: '/io.buoyant/linkerd/certs/tls.key',
    });
    const linker = await Linker.start(onEphemeralPorts(loaded, cert), {
      kinds,
      baseDir: configDir,
      noAdmin: true,
    });
    linkers.push(linker);
    kubectlApply(api, POST_INGRESS);
    const port = linker.routers[0]!.servers[0]!.port;
    const ca = await readFile(cert.certPath);
    await eventually(
      async () =>
        (await curl(`https://127.0.0.1:${port}/`, { host: 'world.v2', ca, servername: 'hello.world' }))
          .status === 200,
    );
    const answer = await curl(`https://127.0.0.1:${port}/`, {
      host: 'world.v2',
      ca,
      servername: 'hello.world',
    });
    expect(answer.body).toBe('earth (127.0.0.1)!\n');

    // Beyond the post (and Linkerd 1): an Ingress spec.tls Secret is served by SNI on the same port.
    const secretCert = await selfsigned.generate([{ name: 'commonName', value: 'secure.world' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'secure.world' }] }],
    });
    const secretPem = secretCert.cert;
    api.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'world-tls', namespace: 'default' },
      data: {
        'tls.crt': Buffer.from(secretPem).toString('base64'),
        'tls.key': Buffer.from(secretCert.private).toString('base64'),
      },
    } as never);
    kubectlApply(api, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'secure-world', annotations: { 'kubernetes.io/ingress.class': 'linkerd' } },
      spec: {
        tls: [{ hosts: ['secure.world'], secretName: 'world-tls' }],
        rules: [
          {
            host: 'secure.world',
            http: {
              paths: [
                {
                  path: '/secure',
                  pathType: 'Prefix',
                  backend: { service: { name: 'world-v2', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    } as never);
    // Trusting only the Secret's certificate proves SNI chose it for secure.world.
    const viaSecret = () =>
      curl(`https://127.0.0.1:${port}/secure`, {
        host: 'secure.world',
        ca: secretPem,
        servername: 'secure.world',
      });
    await eventually(async () => {
      try {
        return (await viaSecret()).status === 200;
      } catch {
        return false; // the file certificate is still served until the Secret is loaded
      }
    });
    // Routed by the new rule (world-v2), not the hello-world default backend (world-v1).
    expect((await viaSecret()).body).toBe('earth (127.0.0.1)!\n');
    // The file certificate still serves hello.world.
    expect(
      (await curl(`https://127.0.0.1:${port}/`, { host: 'world.v2', ca, servername: 'hello.world' })).status,
    ).toBe(200);
  });
});
