/**
 * What the config ACME tests (`acme`, `acme-hosts`, `admin-acme-rows`) share: a test PKI with a
 * default certificate for the TLS server, one backend answering `backend`, and temp config
 * directories holding that certificate and the ACME directory's CA, removed after the file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll } from 'vitest';
import { listen } from './http.js';

/** Read once the file's `beforeAll` hooks have run. */
export interface AcmeFixture {
  readonly pki: TestPki;
  /** Serves `default.invalid`: what the TLS server hands out before ACME has issued. */
  readonly defaultCert: Issued;
  /** Port of the backend every route leads to. */
  readonly backendPort: number;
  /**
   * A new temp directory (`prefix…`) with `default.pem`, `default.key` and `directory-ca.pem`
   * (`directoryCa`, the CA of the ACME directory's HTTPS), removed after the file's tests.
   */
  configDir(prefix: string, directoryCa: string): Promise<string>;
}

/** Registers the `beforeAll`/`afterAll` hooks of the fixture in the calling file. */
export function useAcmeFixture(): AcmeFixture {
  let pki: TestPki | undefined;
  let defaultCert: Issued | undefined;
  let backend: Server | undefined;
  let backendPort = 0;
  const dirs: string[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the ACME fixture is read before its beforeAll ran');
    return value;
  };

  beforeAll(async () => {
    pki = await createTestPki();
    defaultCert = await pki.leaf('default', { cn: 'default.invalid', dns: ['default.invalid'] });
    backend = createServer((_req, res) => res.end('backend'));
    backendPort = await listen(backend);
  }, 60_000);

  afterAll(async () => {
    backend?.close();
    await pki?.dispose();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  return {
    get pki() {
      return ready(pki);
    },
    get defaultCert() {
      return ready(defaultCert);
    },
    get backendPort() {
      return backendPort;
    },
    async configDir(prefix, directoryCa) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      const cert = ready(defaultCert);
      await writeFile(join(dir, 'default.pem'), cert.certPem);
      await writeFile(join(dir, 'default.key'), cert.keyPem);
      await writeFile(join(dir, 'directory-ca.pem'), directoryCa);
      return dir;
    },
  };
}
