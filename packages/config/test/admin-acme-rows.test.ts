import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AcmeCertificateView } from '@switchyard/admin';
import { eventually, freePort, pebbleMissing, startPebble } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { useAcmeFixture } from './acme-fixture.js';
import { listen } from './http.js';

const kinds = createDefaultKinds();
const missing = pebbleMissing();

const fx = useAcmeFixture();

async function linkerFor(o: { httpPort: number; tlsPort: number; directory: string; ca: string }) {
  const dir = await fx.configDir('sy-admin-acme-', o.ca);
  const text = `admin: {port: 0, ip: 127.0.0.1}
routers:
- protocol: http
  label: edge
  dtab: /svc/* => /$/inet/127.0.0.1/${fx.backendPort}
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
  let last: AcmeCertificateView[] = [];
  return eventually(
    async () => {
      const feed = (await (await fetch(`${linker.admin!.url}/admin/dashboard.json`)).json()) as {
        acme: AcmeCertificateView[];
      };
      last = feed.acme;
      const row = feed.acme.find((r) => r.name === 'static.test');
      return row !== undefined && check(row) && row;
    },
    { timeoutMs: ms, intervalMs: 100, what: () => `a matching ACME row (last: ${JSON.stringify(last)})` },
  );
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
    const wfe = await fx.pki.leaf('garbage-ca', { cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
    const garbage = createHttpsServer({ cert: wfe.certPem, key: wfe.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"this is": not json');
    });
    const port = await listen(garbage as unknown as Server);
    const linker = await linkerFor({
      httpPort: await freePort(),
      tlsPort: await freePort(),
      directory: `https://127.0.0.1:${port}/dir`,
      ca: fx.pki.ca.certPem,
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
