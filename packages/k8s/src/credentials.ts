/**
 * Turns {@link KubeCredentials} into an `Authorization` header at request time. Token files are
 * re-read on a timer and after a 401 (bound service-account tokens rotate roughly hourly and the
 * kubelet rewrites the file); exec plugin tokens are cached until they expire or a 401.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Clock } from '@switchyard/core';
import type { KubeCredentials } from './connection.js';
import { KubeCredentialsError } from './errors.js';

/** A client certificate and key (PEM) from an exec credential plugin. */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * Produces the Authorization header and, for exec plugins that return one, a client certificate;
 * `invalidate()` forces a fresh read (after a 401).
 */
export interface AuthProvider {
  header(): Promise<string | undefined>;
  certificate(): Promise<ClientCertificate | undefined>;
  invalidate(): void;
}

interface Loaded {
  readonly header: string | undefined;
  readonly certificate?: ClientCertificate;
  readonly expiresAt: number;
}

const none = async () => undefined;

const DEFAULT_TOKEN_REFRESH_MS = 60_000;

export function createAuthProvider(creds: KubeCredentials, clock: Clock): AuthProvider {
  switch (creds.kind) {
    case 'none':
      return { header: none, certificate: none, invalidate: () => {} };
    case 'token': {
      const h = `Bearer ${creds.token}`;
      return { header: async () => h, certificate: none, invalidate: () => {} };
    }
    case 'basic': {
      const h = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return { header: async () => h, certificate: none, invalidate: () => {} };
    }
    case 'tokenFile':
      return cached(clock, async () => {
        let text: string;
        try {
          text = await readFile(creds.path, 'utf8');
        } catch (cause) {
          throw new KubeCredentialsError(`cannot read bearer token file ${creds.path}`, { cause });
        }
        const token = text.trim();
        if (!token) throw new KubeCredentialsError(`bearer token file ${creds.path} is empty`);
        return {
          header: `Bearer ${token}`,
          expiresAt: clock.now() + (creds.refreshMs ?? DEFAULT_TOKEN_REFRESH_MS),
        };
      });
    case 'exec':
      return cached(clock, () => runExec(creds, clock));
    default:
      return assertNever(creds);
  }
}

function cached(clock: Clock, load: () => Promise<Loaded>): AuthProvider {
  let current: Loaded | undefined;
  let inflight: Promise<Loaded> | undefined;
  function get(): Promise<Loaded> {
    if (current && clock.now() < current.expiresAt) return Promise.resolve(current);
    inflight ??= load().then(
      (v) => {
        current = v;
        inflight = undefined;
        return v;
      },
      (err: unknown) => {
        inflight = undefined;
        throw err;
      },
    );
    return inflight;
  }
  return {
    header: () => get().then((v) => v.header),
    certificate: () => get().then((v) => v.certificate),
    invalidate() {
      current = undefined;
    },
  };
}

async function runExec(creds: Extract<KubeCredentials, { kind: 'exec' }>, clock: Clock) {
  const execInfo = JSON.stringify({
    apiVersion: creds.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  const stdout = await new Promise<string>((resolveOut, reject) => {
    execFile(
      creds.command,
      [...creds.args],
      {
        cwd: creds.cwd,
        env: { ...process.env, ...creds.env, KUBERNETES_EXEC_INFO: execInfo },
        timeout: 30_000,
        maxBuffer: 1 << 20,
      },
      (err, out, stderr) => {
        if (err) {
          reject(
            new KubeCredentialsError(
              `exec credential plugin ${creds.command} failed: ${String(stderr).trim() || err.message}`,
              {
                cause: err,
              },
            ),
          );
        } else resolveOut(String(out));
      },
    );
  });
  let parsed: {
    status?: {
      token?: string;
      expirationTimestamp?: string;
      clientCertificateData?: string;
      clientKeyData?: string;
    };
  };
  try {
    parsed = JSON.parse(stdout);
  } catch (cause) {
    throw new KubeCredentialsError(`exec credential plugin ${creds.command} printed invalid JSON`, { cause });
  }
  const status = parsed.status ?? {};
  const token = status.token;
  const hasCert = Boolean(status.clientCertificateData) || Boolean(status.clientKeyData);
  if (hasCert && !(status.clientCertificateData && status.clientKeyData)) {
    throw new KubeCredentialsError(
      `exec credential plugin ${creds.command} returned status.clientCertificateData without status.clientKeyData, or the reverse`,
    );
  }
  if (!token && !hasCert) {
    throw new KubeCredentialsError(
      `exec credential plugin ${creds.command} returned neither status.token nor status.clientCertificateData/clientKeyData`,
    );
  }
  const exp = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.NaN;
  return {
    header: token ? `Bearer ${token}` : undefined,
    ...(hasCert ? { certificate: { cert: status.clientCertificateData!, key: status.clientKeyData! } } : {}),
    expiresAt: Number.isFinite(exp) ? exp : clock.now() + 10 * 60_000,
  };
}

function assertNever(x: never): never {
  throw new Error(`unexpected credentials ${JSON.stringify(x)}`);
}
