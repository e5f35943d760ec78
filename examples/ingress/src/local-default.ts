/**
 * The embedded local default: everything the post shows, on one machine, with no cluster.
 * Two demo services stand in for the world-v1/world-v2 pods; the fs namer stands in for the
 * Kubernetes namer; the post's hello-world Ingress is read from its YAML manifest.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DemoBackend, startDemoBackend } from './demo-backends.js';
import { ensureDevCertificate } from './dev-certificate.js';
import { type LocalKubeApi, startLocalKubeApi } from './local-kube-api.js';

/** Where the manifests (including the post's hello-world Ingress) live in this repository. */
export const MANIFEST_DIR = fileURLToPath(new URL('../k8s/', import.meta.url));

/** Ports of the local default. */
export interface LocalPorts {
  readonly http: number;
  readonly https: number;
  readonly admin: number;
}

/** Default ports: Linkerd's HTTP router port 4140, 4143 for TLS, the admin on 9990. */
export const DEFAULT_LOCAL_PORTS: LocalPorts = { http: 4140, https: 4143, admin: 9990 };

/** The state directory: `$SWITCHYARD_HOME`, else `$XDG_CACHE_HOME/switchyard-ingress`, else `~/.cache/...`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHYARD_HOME) return env.SWITCHYARD_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard-ingress');
}

/** What the local default set up; `close` stops the demo backends. */
export interface LocalDefault {
  readonly configText: string;
  readonly baseDir: string;
  readonly certPath: string;
  readonly certGenerated: boolean;
  readonly backends: readonly DemoBackend[];
  /** With `--kube-api`: the local Kubernetes API the config watches. */
  readonly kubeApi: LocalKubeApi | undefined;
  close(): Promise<void>;
}

/**
 * Starts the demo backends, writes their addresses for the fs namer, and returns the config.
 * With `kubeApiPort` (0: ephemeral) the config watches a local Kubernetes API instead: Ingresses
 * come from it (io.l5d.ingress) and services from its EndpointSlices (io.l5d.k8s).
 */
export async function prepareLocalDefault(
  stateDir: string,
  ports: LocalPorts,
  kubeApiPort?: number,
): Promise<LocalDefault> {
  // One discovery directory per run: a second instance on the same state directory (say, one
  // that fails to bind its ports) must never repoint the first instance's services.
  await mkdir(stateDir, { recursive: true });
  const disco = await mkdtemp(join(stateDir, 'disco-'));
  const cert = await ensureDevCertificate(join(stateDir, 'tls'));
  const backends = [await startDemoBackend('world-v1', 'world'), await startDemoBackend('world-v2', 'earth')];
  for (const backend of backends) {
    // Atomic replace, as the fs namer expects from tools that rewrite its files.
    const file = join(disco, backend.name);
    await writeFile(
      `${file}.tmp`,
      `# demo backend, rewritten at every start\n${backend.host} ${backend.port}\n`,
    );
    await rename(`${file}.tmp`, file);
  }
  let kubeApi: LocalKubeApi | undefined;
  try {
    kubeApi =
      kubeApiPort === undefined
        ? undefined
        : await startLocalKubeApi({
            port: kubeApiPort,
            runDir: disco,
            kubeconfigPath: join(stateDir, 'kubeconfig'),
            backends,
            devCert: cert,
          });
  } catch (error) {
    await Promise.all(backends.map((b) => b.close()));
    await rm(disco, { recursive: true, force: true });
    throw error;
  }
  const configText = kubeApi
    ? kubeConfigText(ports, kubeApi)
    : `# The embedded local default of switchyard-ingress: the post's setup without a cluster.
admin:
  ip: 127.0.0.1
  port: ${ports.admin}

namers:
- kind: io.l5d.fs
  rootDir: ${JSON.stringify(disco)}

routers:
- protocol: http
  label: ingress
  identifier:
    kind: io.l5d.ingress
    ingressDir: ${JSON.stringify(MANIFEST_DIR)}
${serversYaml(ports, cert)}  # Ingress names are /svc/<namespace>/<port>/<service>; the fs namer knows services by name.
  dtab: /svc/*/* => /#/io.l5d.fs

telemetry:
- kind: io.l5d.recentRequests
  sampleRate: 1
  capacity: 50
`;
  return {
    configText,
    baseDir: stateDir,
    certPath: cert.certPath,
    certGenerated: cert.generated,
    backends,
    kubeApi,
    close: async () => {
      await kubeApi?.close();
      await Promise.all(backends.map((b) => b.close()));
      await rm(disco, { recursive: true, force: true });
    },
  };
}

/** The router's two servers of both local defaults: plain and TLS on loopback, clearContext on. */
function serversYaml(
  ports: LocalPorts,
  tls: { readonly certPath: string; readonly keyPath: string },
): string {
  return `  servers:
  - port: ${ports.http}
    ip: 127.0.0.1
    clearContext: true
  - port: ${ports.https}
    ip: 127.0.0.1
    clearContext: true
    tls:
      certPath: ${JSON.stringify(tls.certPath)}
      keyPath: ${JSON.stringify(tls.keyPath)}
`;
}

/** The local default against the local Kubernetes API: the post's config with the API's address. */
function kubeConfigText(ports: LocalPorts, api: LocalKubeApi): string {
  return `# The local default of switchyard-ingress with --kube-api: the post's config against a local API.
admin:
  ip: 127.0.0.1
  port: ${ports.admin}

namers:
- kind: io.l5d.k8s
  host: 127.0.0.1
  port: ${api.port}
  # An ingress routes to any namespace an Ingress names: watch them all from the start, so the
  # first route of a new namespace needs no list round trip.
  allNamespaces: true

routers:
- protocol: http
  label: ingress
  identifier:
    kind: io.l5d.ingress
    host: 127.0.0.1
    port: ${api.port}
    statusAddress:
      ip: 127.0.0.1
    statusLeaderElection:
      namespace: default
      name: switchyard-ingress-status
${serversYaml(ports, api)}  dtab: /svc => /#/io.l5d.k8s

telemetry:
- kind: io.l5d.recentRequests
  sampleRate: 1
  capacity: 50
`;
}
