/**
 * `servers[].tls.acme` started by the linker against a real ACME CA (pebble): HTTP-01 answered
 * by the router's plain server before routing, TLS-ALPN-01 answered by the TLS front door,
 * on-demand issuance from real handshakes (allowed names only, other handshakes unaffected), and
 * a CA that answers garbage: logged, counted, and the served certificates unchanged.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ACME_CHANNELS } from '@switchyard/acme';
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import {
  counterValue as counter,
  eventually,
  freePort,
  type Pebble,
  pebbleMissing,
  startPebble,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig, validateLinker } from '../src/index.js';
import { useAcmeFixture } from './acme-fixture.js';
import { listen } from './http.js';

const kinds = createDefaultKinds();
const missing = pebbleMissing();

/** Issuance by a real CA takes seconds: poll every 100 ms for up to 45 s. */
const POLL = { timeoutMs: 45_000, intervalMs: 100 } as const;

/** A handshake to `port` for `servername`: the certificate's names, whether `ca` trusts it, and a response body. */
function fetchTls(
  port: number,
  servername: string,
  ca: string,
): Promise<{ names: string; trusted: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const names = socket.getPeerCertificate().subjectaltname ?? '';
      const trusted = socket.authorized;
      socket.write(`GET / HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`);
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
      });
      socket.on('end', () => resolve({ names, trusted, body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    });
    socket.on('error', reject);
  });
}

interface Setup {
  readonly linker: Linker;
  readonly stats: MetricsRegistry;
  readonly tlsPort: number;
  readonly pebble: Pebble;
  readonly root: () => Promise<string>;
  close(): Promise<void>;
}

const fx = useAcmeFixture();

function configText(o: {
  httpPort: number;
  tlsPort: number;
  directory: string;
  challenge: string;
  extra?: string;
}): string {
  return `routers:
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
        challenge: ${o.challenge}
        hosts: [static.test]
        onDemand: {allow: ["*.demand.test"]}
        storage: {kind: dir, path: store}
${o.extra ?? ''}`;
}

async function start(challenge: 'http-01' | 'tls-alpn-01'): Promise<Setup> {
  const [httpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
  const pebble = await startPebble({ httpPort, tlsPort });
  const dir = await fx.configDir('sy-config-acme-', pebble.directoryCa);
  const loaded = parseLinkerConfig(
    configText({ httpPort, tlsPort, directory: pebble.directoryUrl, challenge }),
    'linker.yaml',
    kinds,
  );
  expect(await validateLinker(loaded, { kinds, baseDir: dir, noAdmin: true })).toEqual([]);
  const stats = createMetricsRegistry();
  const linker = await Linker.start(loaded, { kinds, baseDir: dir, noAdmin: true, stats });
  return {
    linker,
    stats,
    tlsPort,
    pebble,
    root: () => pebble.rootPem(),
    async close() {
      await linker.close();
      await pebble.stop();
    },
  };
}

describe.skipIf(missing !== undefined).each(['http-01', 'tls-alpn-01'] as const)(
  'tls.acme by %s against pebble',
  (challenge) => {
    let s: Setup;
    beforeAll(async () => {
      s = await start(challenge);
    }, 60_000);
    afterAll(async () => {
      await s?.close();
    });

    it('issues the configured host and serves it through the router, chained to the CA', async () => {
      const root = await s.root();
      const got = await eventually(
        async () => {
          const r = await fetchTls(s.tlsPort, 'static.test', root);
          return r.trusted ? r : undefined;
        },
        { ...POLL, what: 'a trusted certificate for static.test' },
      );
      expect(got.names).toContain('DNS:static.test');
      expect(got.body).toBe('backend');
    }, 60_000);

    it('orders allowed names on demand from a handshake, without holding up others', async () => {
      const root = await s.root();
      const first = await fetchTls(s.tlsPort, 'a.demand.test', root);
      expect(first.names).toContain('DNS:default.invalid');
      expect(first.body).toBe('backend');
      // Not allowed: default certificate, nothing ordered.
      const other = await fetchTls(s.tlsPort, 'b.other.test', root);
      expect(other.names).toContain('DNS:default.invalid');
      await eventually(async () => (await fetchTls(s.tlsPort, 'a.demand.test', root)).trusted, {
        ...POLL,
        what: 'a.demand.test issued',
      });
      expect((await fetchTls(s.tlsPort, 'b.other.test', root)).names).toContain('DNS:default.invalid');
      expect(counter(s.stats, { endsWith: 'acme/on_demand/refused' })).toBeGreaterThanOrEqual(1);
    }, 60_000);
  },
);

describe('tls.acme with a CA that answers garbage', () => {
  let garbage: HttpsServer;
  let dir: string;
  let linker: Linker | undefined;
  const failures: unknown[] = [];
  const onFailed = (m: unknown) => failures.push(m);

  beforeAll(async () => {
    const wfe = await fx.pki.leaf('garbage-ca', { cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
    garbage = createHttpsServer({ cert: wfe.certPem, key: wfe.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"this is": not json');
    });
    await listen(garbage as unknown as Server);
    dir = await fx.configDir('sy-config-acme-garbage-', fx.pki.ca.certPem);
    subscribe(ACME_CHANNELS.failed, onFailed);
  }, 60_000);

  afterAll(async () => {
    unsubscribe(ACME_CHANNELS.failed, onFailed);
    await linker?.close();
    garbage?.close();
  });

  it('records the failure with an event and a counter and keeps serving the default certificate', async () => {
    const tlsPort = await freePort();
    const stats = createMetricsRegistry();
    const { port } = garbage.address() as { port: number };
    linker = await Linker.start(
      parseLinkerConfig(
        configText({
          httpPort: await freePort(),
          tlsPort,
          directory: `https://127.0.0.1:${port}/dir`,
          challenge: 'http-01',
        }),
        'linker.yaml',
        kinds,
      ),
      { kinds, baseDir: dir, noAdmin: true, stats },
    );
    await eventually(() => failures.length > 0, { ...POLL, what: 'the failure event', timeoutMs: 20_000 });
    expect(failures[0]).toMatchObject({ host: 'static.test' });
    expect(counter(stats, { endsWith: 'acme/failures' })).toBeGreaterThanOrEqual(1);
    const r = await fetchTls(tlsPort, 'static.test', fx.pki.ca.certPem);
    expect(r.names).toContain('DNS:default.invalid');
    expect(r.trusted).toBe(false);
    expect(r.body).toBe('backend');
  }, 30_000);

  it('--check names a CA bundle that holds no certificate and a storage directory that cannot be made', async () => {
    await writeFile(join(dir, 'garbage.pem'), 'not a certificate\n');
    const text = configText({
      httpPort: 0,
      tlsPort: 0,
      directory: 'https://127.0.0.1:1/dir',
      challenge: 'http-01',
    })
      .replace('caBundle: directory-ca.pem', 'caBundle: garbage.pem')
      .replace('path: store', 'path: missing/deeper/store');
    const loaded = parseLinkerConfig(text, 'linker.yaml', kinds);
    const issues = await validateLinker(loaded, { kinds, baseDir: dir, noAdmin: true });
    expect(issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(
        /^14:19 routers\[0\]\.servers\[1\]\.tls\.acme\.caBundle: .*garbage\.pem holds no PEM certificate/,
      ),
      expect.stringMatching(
        /^18:18 routers\[0\]\.servers\[1\]\.tls\.acme\.storage: cannot create .*missing\/deeper\/store/,
      ),
    ]);
  });
});
