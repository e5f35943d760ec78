/**
 * TLS on both sides with real certificates from testkit's openssl PKI: server stats judge a
 * request the same way on every transport, and TLS to endpoints sends the configured name as SNI.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { createMetricsRegistry } from '@switchyard/core';
import { createTestPki, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateServer } from '../src/index.js';
import { fixtures } from './helpers.js';

const { cleanup, backend, router } = fixtures(500);

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
}, 60_000);
afterAll(async () => {
  await pki?.dispose();
});

/** One GET over plain HTTP or HTTPS (trusting the test CA); resolves with status and body. */
function get(
  transport: 'plain' | 'tls',
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  const lib = transport === 'tls' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { 'x-dst': 'web' },
        agent: false,
        ...(transport === 'tls' ? { ca: pki.ca.certPem, servername: 'router.test' } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
  });
}

function counter(stats: ReturnType<typeof createMetricsRegistry>, suffix: string): number {
  const m = stats.snapshot().find((s) => s.kind === 'counter' && s.name.join('/').endsWith(suffix));
  return m?.kind === 'counter' ? m.value : 0;
}

describe('server stats on every transport', () => {
  it.each(['plain', 'tls'] as const)('%s: successes are successes, failures failures', async (transport) => {
    const b = await backend((req, res) => {
      req.resume();
      if (req.url === '/fail') res.writeHead(500).end('no');
      // Small: the whole response is one write, still in flight on TLS when the handler returns.
      else res.end('ok');
    });
    let createServer: CreateServer | undefined;
    if (transport === 'tls') {
      const leaf = await pki.leaf('router', { cn: 'router.test', dns: ['router.test'] });
      createServer = (options) => https.createServer({ ...options, cert: leaf.certPem, key: leaf.keyPem });
    }
    const stats = createMetricsRegistry();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      stats,
      servers: [{ port: 0, ...(createServer ? { createServer } : {}) }],
    });
    for (let i = 0; i < 5; i++) {
      const reply = await get(transport, port, '/');
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('ok');
    }
    expect((await get(transport, port, '/fail')).status).toBe(500);
    expect(counter(stats, '/requests')).toBe(6);
    expect(counter(stats, `server/127.0.0.1/${port}/success`)).toBe(5);
    expect(counter(stats, `server/127.0.0.1/${port}/failures`)).toBe(1);
  });
});

/** An HTTPS backend for `backend.internal` that records the SNI of each connection. */
async function tlsBackend(
  handler: http.RequestListener,
): Promise<{ port: number; servernames: (string | false | null)[] }> {
  const leaf = await pki.leaf('backend', { cn: 'backend.internal', dns: ['backend.internal'] });
  const servernames: (string | false | null)[] = [];
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, handler);
  server.on('secureConnection', (socket: TLSSocket) => servernames.push(socket.servername));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, servernames };
}

/** Client TLS to `backend.internal`, whatever address the endpoint has. */
function backendTls() {
  return {
    ca: pki.ca.certPem,
    servername: 'backend.internal',
    checkServerIdentity: (_host: string, cert: tls.PeerCertificate) =>
      tls.checkServerIdentity('backend.internal', cert),
  };
}

describe('TLS to endpoints', () => {
  it('sends the configured servername (commonName) as SNI, not the request Host', async () => {
    const backend = await tlsBackend((req, res) => {
      req.resume();
      res.end(`tls ${req.headers.host}`);
    });
    const { servernames } = backend;
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${backend.port}`, {
      client: { tls: backendTls() },
    });
    for (const host of ['public.example', 'other.example']) {
      const reply = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, headers: { host, 'x-dst': 'web' }, agent: false }, (res) => {
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () => resolve(`${res.statusCode} ${body}`));
          })
          .on('error', reject);
      });
      expect(reply).toBe(`200 tls ${host}`);
    }
    expect(servernames.length).toBeGreaterThan(0);
    expect(new Set(servernames)).toEqual(new Set(['backend.internal']));
  });

  it('sends announced request trailers over TLS too, with the configured servername', async () => {
    const backend = await tlsBackend((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => res.end(`${body} ${req.trailers['x-checksum']}`));
    });
    const { servernames } = backend;
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${backend.port}`, {
      client: { tls: backendTls() },
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          headers: { 'x-dst': 'web', trailer: 'x-checksum', 'transfer-encoding': 'chunked' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        },
      );
      req.on('error', reject);
      req.write('payload');
      req.addTrailers({ 'x-checksum': 'c0ffee' });
      req.end();
    });
    expect(reply).toBe('200 payload c0ffee');
    expect(servernames).toEqual(['backend.internal']);
  });
});
