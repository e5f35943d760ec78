/**
 * The shape of a resolved API-server connection (server, TLS, credentials, impersonation): plain
 * data that every config source produces (`config.ts`, `kubeconfig.ts`) and the client consumes.
 * Its own module so the sources and the client depend on it, not on each other.
 */

/** TLS settings for an `https:` server. PEM strings, never file paths (files are read at config time). */
export interface KubeTlsConfig {
  /** Trusted CA bundle (PEM). Absent means the system roots. */
  readonly ca?: string;
  /** Client certificate (PEM) for mutual TLS. */
  readonly cert?: string;
  /** Client private key (PEM). */
  readonly key?: string;
  /** Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`). Dangerous. */
  readonly insecureSkipVerify?: boolean;
  /** SNI / verification name when it differs from the URL host (kubeconfig `tls-server-name`). */
  readonly serverName?: string;
}

/**
 * How requests authenticate. Discriminated on `kind`:
 * - `none` — no header (kubectl proxy, or client certificates in `tls`);
 * - `token` — a fixed bearer token;
 * - `tokenFile` — a bearer token re-read from `path` every `refreshMs` (default 60 000, like
 *   client-go) and immediately after a 401, so projected service-account tokens rotate freely;
 * - `basic` — username and password (legacy kubeconfigs);
 * - `exec` — a client-go credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`
 *   `ExecCredential`); its token is cached until `expirationTimestamp` or a 401.
 */
export type KubeCredentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'tokenFile'; readonly path: string; readonly refreshMs?: number }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | {
      readonly kind: 'exec';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly apiVersion: string;
      /** Directory the command runs in (the kubeconfig's directory). */
      readonly cwd?: string;
    };

/** Who to act as: `Impersonate-User`, `Impersonate-Group` (one header each), `Impersonate-Uid`, `Impersonate-Extra-<key>`. */
export interface KubeImpersonation {
  readonly user: string;
  readonly groups?: readonly string[];
  readonly uid?: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** A resolved connection: where the server is, how to trust it, how to authenticate. */
export interface KubeConnectionConfig {
  /** Which source produced this config. */
  readonly source: 'in-cluster' | 'kubeconfig' | 'url';
  /** Base URL without trailing slash, e.g. `https://10.96.0.1:443` or `http://127.0.0.1:8001`. */
  readonly server: string;
  /** TLS settings; ignored for `http:` servers. */
  readonly tls: KubeTlsConfig;
  readonly credentials: KubeCredentials;
  /** The default namespace: the pod's own namespace, or the kubeconfig context's. */
  readonly namespace: string | undefined;
  /** HTTP proxy for this server (kubeconfig `proxy-url`); overrides `HTTPS_PROXY`/`HTTP_PROXY`. */
  readonly proxyUrl?: string;
  /** Impersonation (kubeconfig user `as`, `as-groups`, `as-uid`, `as-user-extra`). */
  readonly impersonate?: KubeImpersonation;
}
