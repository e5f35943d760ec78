/**
 * Turns {@link KubeCredentials} into an `Authorization` header at request time. Token files are
 * re-read on a timer and after a 401 (bound service-account tokens rotate roughly hourly and the
 * kubelet rewrites the file); exec plugin tokens are cached until they expire or a 401.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Clock } from '@switchyard/core';
import type { KubeCredentials } from './config.js';
import { KubeCredentialsError } from './errors.js';

/** Produces the Authorization header; `invalidate()` forces a fresh read (after a 401). */
export interface AuthProvider {
  header(): Promise<string | undefined>;
  invalidate(): void;
}

const DEFAULT_TOKEN_REFRESH_MS = 60_000;

export function createAuthProvider(creds: KubeCredentials, clock: Clock): AuthProvider {
  switch (creds.kind) {
    case 'none':
      return { header: async () => undefined, invalidate: () => {} };
    case 'token': {
      const h = `Bearer ${creds.token}`;
      return { header: async () => h, invalidate: () => {} };
    }
    case 'basic': {
      const h = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return { header: async () => h, invalidate: () => {} };
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

function cached(clock: Clock, load: () => Promise<{ header: string; expiresAt: number }>): AuthProvider {
  let current: { header: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  return {
    header() {
      if (current && clock.now() < current.expiresAt) return Promise.resolve(current.header);
      inflight ??= load().then(
        (v) => {
          current = v;
          inflight = undefined;
          return v.header;
        },
        (err: unknown) => {
          inflight = undefined;
          throw err;
        },
      );
      return inflight;
    },
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
  let parsed: { status?: { token?: string; expirationTimestamp?: string } };
  try {
    parsed = JSON.parse(stdout);
  } catch (cause) {
    throw new KubeCredentialsError(`exec credential plugin ${creds.command} printed invalid JSON`, { cause });
  }
  const token = parsed.status?.token;
  if (!token) {
    throw new KubeCredentialsError(
      `exec credential plugin ${creds.command} returned no status.token (client certificates from exec plugins are not supported)`,
    );
  }
  const exp = parsed.status?.expirationTimestamp ? Date.parse(parsed.status.expirationTimestamp) : Number.NaN;
  return { header: `Bearer ${token}`, expiresAt: Number.isFinite(exp) ? exp : clock.now() + 10 * 60_000 };
}

function assertNever(x: never): never {
  throw new Error(`unexpected credentials ${JSON.stringify(x)}`);
}
