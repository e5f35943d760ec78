/**
 * How to reach the API server. Three sources, as client-go and kubectl have them: the pod's
 * service account (in-cluster), a kubeconfig file, or a plain URL (`kubectl proxy`, Linkerd 1's
 * `host`/`port`). A config is plain data; credentials that change (a rotated token file, an exec
 * plugin's expiring token) are described, not resolved, so the client can refresh them.
 */
import { access, readFile } from 'node:fs/promises';
import type { KubeConnectionConfig, KubeTlsConfig } from './connection.js';
import { KubeConfigError } from './errors.js';
import { kubeconfigConfig } from './kubeconfig.js';

/** Where the service account volume is mounted in every pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Options of {@link inClusterConfig}; the defaults are what every pod sees. Overrides exist for tests. */
export interface InClusterOptions {
  /** Environment to read `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT` from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default `/var/run/secrets/kubernetes.io/serviceaccount/token`. */
  readonly tokenPath?: string;
  /** Default `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`. */
  readonly caPath?: string;
  /** Default `/var/run/secrets/kubernetes.io/serviceaccount/namespace`. */
  readonly namespacePath?: string;
  /** How often the token file is re-read, in ms. Default 60 000. */
  readonly tokenRefreshMs?: number;
}

/**
 * The in-cluster config, as client-go's `rest.InClusterConfig`: server from
 * `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` (IPv6 hosts bracketed), the service account
 * CA, and the token file (re-read as it rotates). Throws {@link KubeConfigError} when not in a pod.
 */
export async function inClusterConfig(options: InClusterOptions = {}): Promise<KubeConnectionConfig> {
  const env = options.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeConfigError(
      'not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set',
    );
  }
  const tokenPath = options.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const caPath = options.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  const namespacePath = options.namespacePath ?? `${SERVICE_ACCOUNT_DIR}/namespace`;
  try {
    await access(tokenPath);
  } catch (cause) {
    throw new KubeConfigError(`in-cluster service account token ${tokenPath} is not readable`, { cause });
  }
  let ca: string;
  try {
    ca = await readFile(caPath, 'utf8');
  } catch (cause) {
    throw new KubeConfigError(`in-cluster CA bundle ${caPath} is not readable`, { cause });
  }
  const namespace = (await readFile(namespacePath, 'utf8').catch(() => '')).trim() || undefined;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const config: KubeConnectionConfig = {
    source: 'in-cluster',
    server: `https://${hostPart}:${port}`,
    tls: { ca },
    credentials: { kind: 'tokenFile', path: tokenPath, refreshMs: options.tokenRefreshMs },
    namespace,
  };
  return Object.freeze(config);
}

/** Options of {@link urlConfig}. */
export interface UrlConfigOptions {
  readonly token?: string;
  readonly tls?: KubeTlsConfig;
  readonly namespace?: string;
}

/**
 * A config for a plain URL: `kubectl proxy` (`http://127.0.0.1:8001`) or Linkerd 1's
 * `host`/`port` options. Throws {@link KubeConfigError} for a URL that is not `http:`/`https:`.
 */
export function urlConfig(url: string, options: UrlConfigOptions = {}): KubeConnectionConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new KubeConfigError(`invalid Kubernetes API URL ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new KubeConfigError(`Kubernetes API URL ${JSON.stringify(url)} must be http: or https:`);
  }
  const server = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  const config: KubeConnectionConfig = {
    source: 'url',
    server,
    tls: options.tls ?? {},
    credentials: options.token ? { kind: 'token', token: options.token } : { kind: 'none' },
    namespace: options.namespace,
  };
  return Object.freeze(config);
}

/** Options of {@link autoConfig}. */
export interface AutoConfigOptions extends InClusterOptions {
  /** Kubeconfig path(s); default `KUBECONFIG` (colon-separated) or `~/.kube/config`. */
  readonly kubeconfigPath?: string;
  /** Kubeconfig context; default the file's `current-context`. */
  readonly context?: string;
  /** Used when neither in-cluster nor a kubeconfig is available, e.g. `http://127.0.0.1:8001`. */
  readonly fallbackUrl?: string;
}

/**
 * Picks a source the way kubectl-like tools do: in-cluster when `KUBERNETES_SERVICE_HOST` is set
 * and the token exists, else a kubeconfig when one exists, else `fallbackUrl` if given.
 * Throws {@link KubeConfigError} listing what was tried.
 */
export async function autoConfig(options: AutoConfigOptions = {}): Promise<KubeConnectionConfig> {
  const tried: string[] = [];
  const env = options.env ?? process.env;
  if (env.KUBERNETES_SERVICE_HOST) {
    try {
      return await inClusterConfig(options);
    } catch (err) {
      tried.push(`in-cluster (${(err as Error).message})`);
    }
  } else {
    tried.push('in-cluster (KUBERNETES_SERVICE_HOST unset)');
  }
  try {
    return await kubeconfigConfig({ path: options.kubeconfigPath, context: options.context, env });
  } catch (err) {
    tried.push(`kubeconfig (${(err as Error).message})`);
  }
  if (options.fallbackUrl) return urlConfig(options.fallbackUrl);
  throw new KubeConfigError(`no Kubernetes API configuration found; tried ${tried.join('; ')}`);
}
