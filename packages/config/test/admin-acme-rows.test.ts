/**
 * The dashboard's ACME rows as the linker feeds them (`/admin/dashboard.json` → `acme`): a name
 * issued by a real ACME CA (pebble) shows `valid` with its issuer, expiry and last attempt; a CA
 * that answers garbage leaves the name `none` with the attempt time and the error.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcmeCertificateView } from '@switchyard/admin';
import {
  createTestPki,
  freePort,
  type Issued,
  pebbleMissing,
  startPebble,
  type TestPki,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { listen } from './http.js';

const kinds = createDefaultKinds();
const missing = pebbleMissing();

let pki: TestPki;
let defaultCert: Issued;
let backend: Server;
let backendPort: number;
const dirs: string[] = [];

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

async function linkerFor(o: { httpPort: number; tlsPort: number; directory: string; ca: string }) {
  const dir = await mkdtemp(join(tmpdir(), 'sy-admin-acme-'));
  dirs.push(dir);
  await writeFile(join(dir, 'default.pem'), defaultCert.certPem);
  await writeFile(join(dir, 'default.key'), defaultCert.keyPem);
  await writeFile(join(dir, 'directory-ca.pem'), o.ca);
  const text = `admin: {port: 0, ip: 127.0.0.1}
routers:
- protocol: http
  label: edge
  dtab: /svc/* => /$/inet/127.0.0.1/${backendPort}
  servers:
  - port: ${o.httpPort}
  - port: ${o.tlsPort}
    tls:
      certPath: default.pem
      keyPath: default.key
      acme:
        directory: ${o.directory}
        email: ops@example.test
        caBundle: directory-ca.pem
        challenge: http-01
        hosts: [static.test]
        storage: {kind: dir, path: store}
`;
  return Linker.start(parseLinkerConfig(text, join(dir, 'linker.yaml'), kinds), { kinds, baseDir: dir });
}

async function acmeRow(linker: Linker, check: (row: AcmeCertificateView) => boolean, ms = 45_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const feed = (await (await fetch(`${linker.admin!.url}/admin/dashboard.json`)).json()) as {
      acme: AcmeCertificateView[];
    };
    const row = feed.acme.find((r) => r.name === 'static.test');
    if (row !== undefined && check(row)) return row;
    if (Date.now() > deadline) throw new Error(`no matching ACME row; last: ${JSON.stringify(feed.acme)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(missing !== undefined)('ACME rows from a linker issuing against pebble', () => {
  it('shows the issued name valid, with issuer, expiry and last attempt', async () => {
    const [httpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
    const pebble = await startPebble({ httpPort, tlsPort });
    const linker = await linkerFor({
      httpPort,
      tlsPort,
      directory: pebble.directoryUrl,
      ca: pebble.directoryCa,
    });
    try {
      const started = Date.now();
      const row = await acmeRow(linker, (r) => r.state === 'valid');
      expect(row.issuer).toMatch(/Pebble/);
      expect(row.notAfter).toBeGreaterThan(Date.now());
      expect(row.lastAttemptAt).toBeGreaterThanOrEqual(started - 1000);
      expect(row.lastError).toBeUndefined();
    } finally {
      await linker.close();
      await pebble.stop();
    }
  }, 60_000);
});

describe('ACME rows with a CA that answers garbage', () => {
  it('shows the name without a certificate, with the attempt time and the error', async () => {
    const wfe = await pki.leaf('garbage-ca', { cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
    const garbage = createHttpsServer({ cert: wfe.certPem, key: wfe.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"this is": not json');
    });
    const port = await listen(garbage as unknown as Server);
    const linker = await linkerFor({
      httpPort: await freePort(),
      tlsPort: await freePort(),
      directory: `https://127.0.0.1:${port}/dir`,
      ca: pki.ca.certPem,
    });
    try {
      const row = await acmeRow(linker, (r) => r.lastError !== undefined, 20_000);
      expect(row.state).toBe('none');
      expect(row.issuer).toBeUndefined();
      expect(row.lastAttemptAt).toBeLessThanOrEqual(Date.now());
      expect(row.lastError).toMatch(/^SY_ERR_ACME_\w+: /);
    } finally {
      await linker.close();
      garbage.close();
    }
  }, 30_000);
});
