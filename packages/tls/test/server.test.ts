import { readFile, writeFile } from 'node:fs/promises';
import { get, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertExpiringEvent, CertLoadedEvent, CertRejectedEvent } from '../src/channels.js';
import { TLS_CHANNELS } from '../src/channels.js';
import { fileCertificateSource } from '../src/file-source.js';
import { createTlsServer, type TlsHttpServer } from '../src/server.js';
import { staticCertificateSource } from '../src/source.js';
import { TlsTerminator } from '../src/terminator.js';
import { handshake, nextMessage } from './helpers.js';
import { writeSecretVolume } from './k8s-volume.js';
import { recordingStats } from './stats.js';

let pki: TestPki;
let def: Issued;
let exact: Issued;
let wild: Issued;
let sec1: Issued;
let pkcs1: Issued;
const servers: TlsHttpServer[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  def = await pki.leaf('default', { cn: 'default.test', dns: ['default.test'] });
  exact = await pki.leaf('exact', { cn: 'a.example.com', dns: ['a.example.com'] });
  wild = await pki.leaf('wild', { cn: 'wild', dns: ['*.example.com'] });
  sec1 = await pki.leaf('sec1', { cn: 'sec1.test', dns: ['sec1.test'], key: 'ec-sec1' });
  pkcs1 = await pki.leaf('pkcs1', { cn: 'rsa.test', dns: ['rsa.test'], key: 'rsa-pkcs1' });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pki?.dispose();
});

const pairOf = (id: string, i: Issued) => ({ id, certPem: i.certPem, keyPem: i.keyPem });
const fp = (i: Issued) => new (require('node:crypto').X509Certificate)(i.certPem).fingerprint256 as string;

async function start(
  options: Parameters<typeof createTlsServer>[0],
  handler = (_req: unknown, res: { end(body: string): void }) => res.end('ok'),
): Promise<{ server: TlsHttpServer; port: number }> {
  const server = createTlsServer(options, handler as never);
  servers.push(server);
  const { port } = await server.listen({ port: 0 });
  return { server, port };
}

function request(
  port: number,
  options: RequestOptions = {},
): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: pki.ca.certPem,
        servername: 'a.example.com',
        agent: false,
        ...options,
      },
      (res) => {
        const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

describe('SNI selection over real handshakes', () => {
  let port: number;
  beforeAll(async () => {
    ({ port } = await start({
      certificates: [
        staticCertificateSource([pairOf('default', def), pairOf('exact', exact), pairOf('wild', wild)]),
        staticCertificateSource([pairOf('sec1', sec1), pairOf('pkcs1', pkcs1)]),
      ],
    }));
  });

  it.each([
    ['a.example.com', 'exact'],
    ['A.Example.COM', 'exact'],
    ['b.example.com', 'wild'],
    ['x.y.example.com', 'default'],
    ['example.com', 'default'],
    ['unknown.org', 'default'],
    ['sec1.test', 'sec1'],
    ['rsa.test', 'pkcs1'],
    ['RSA.test.', 'pkcs1'],
    [undefined, 'default'],
  ] as const)('servername %s gets the %s certificate', async (servername, which) => {
    const expected = { default: def, exact, wild, sec1, pkcs1 }[which];
    const result = await handshake(port, {
      ca: pki.ca.certPem,
      // The default certificate does not carry the unknown names; only its identity matters here.
      checkServerIdentity: () => undefined,
      ...(servername === undefined ? {} : { servername }),
    });
    expect(result.fingerprint256).toBe(fp(expected));
    expect(result.alpn).toBe(false);
  });

  it('negotiates ALPN http/1.1 and at least TLS 1.2', async () => {
    const result = await handshake(port, {
      ca: pki.ca.certPem,
      servername: 'a.example.com',
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    expect(result.alpn).toBe('http/1.1');
    await expect(
      handshake(port, {
        ca: pki.ca.certPem,
        servername: 'a.example.com',
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      }),
    ).rejects.toThrow();
  });

  it('serves HTTP through the request listener', async () => {
    const res = await request(port);
    expect(res).toMatchObject({ status: 200, body: 'ok', fingerprint: fp(exact) });
  });

  it('rejects unknown names when unknownServerName is reject', async () => {
    const strict = await start({
      certificates: [staticCertificateSource([pairOf('exact', exact)])],
      unknownServerName: 'reject',
    });
    await expect(
      handshake(strict.port, { ca: pki.ca.certPem, servername: 'a.example.com' }),
    ).resolves.toMatchObject({
      fingerprint256: fp(exact),
    });
    await expect(handshake(strict.port, { ca: pki.ca.certPem, servername: 'unknown.org' })).rejects.toThrow();
  });

  it('honours defaultCertificate', async () => {
    const s = await start({
      certificates: [staticCertificateSource([pairOf('exact', exact), pairOf('wild', wild)])],
      defaultCertificate: 'wild',
    });
    const r = await handshake(s.port, {
      ca: pki.ca.certPem,
      servername: 'other.org',
      checkServerIdentity: () => undefined,
    });
    expect(r.fingerprint256).toBe(fp(wild));
  });
});

describe('mutual TLS', () => {
  let port: number;
  let client: Issued;
  let stranger: Issued;
  beforeAll(async () => {
    client = await pki.leaf('client', { cn: 'client.test' });
    const otherCa = await pki.newCa('Other CA');
    stranger = await pki.leaf('stranger', { cn: 'stranger.test', ca: otherCa });
    ({ port } = await start({
      certificates: [staticCertificateSource([pairOf('exact', exact)])],
      caCertPath: pki.ca.certPath,
      requireClientAuth: true,
    }));
  }, 60_000);

  it('accepts a client certificate signed by caCertPath', async () => {
    const res = await request(port, { cert: client.certPem, key: client.keyPem });
    expect(res.status).toBe(200);
  });

  it('marks the verified client socket authorized, as Node does', async () => {
    const s = await start(
      {
        certificates: [staticCertificateSource([pairOf('exact', exact)])],
        caCertPath: pki.ca.certPath,
        requireClientAuth: true,
      },
      (req: unknown, res: { end(body: string): void }) => {
        const socket = (req as { socket: import('node:tls').TLSSocket }).socket;
        res.end(`${socket.authorized}:${socket.getPeerCertificate().subject?.CN}`);
      },
    );
    const res = await request(s.port, { cert: client.certPem, key: client.keyPem });
    expect(res.body).toBe('true:client.test');
  });

  it('refuses a client without a certificate', async () => {
    await expect(request(port)).rejects.toThrow();
  });

  it('refuses a client certificate from another CA', async () => {
    await expect(request(port, { cert: stranger.certPem, key: stranger.keyPem })).rejects.toThrow();
  });

  it('does not ask for client certificates unless required', async () => {
    const open = await start({
      certificates: [staticCertificateSource([pairOf('exact', exact)])],
      caCertPath: pki.ca.certPath,
    });
    expect((await request(open.port)).status).toBe(200);
  });

  it('rejects requireClientAuth without caCertPath', () => {
    expect(
      () => new TlsTerminator({ certificates: [staticCertificateSource([])], requireClientAuth: true }),
    ).toThrow(expect.objectContaining({ code: 'SY_ERR_TLS_INVALID_OPTIONS' }));
  });
});

describe('live reload from files', () => {
  it('rejects bad material naming the file and keeps serving the last good certificate', async () => {
    const dir = join(pki.dir, 'reject');
    const certPath = join(dir, 'tls.crt');
    const keyPath = join(dir, 'tls.key');
    await writeSecretVolume(dir, { 'tls.crt': exact.certPem, 'tls.key': exact.keyPem });
    const { server, port } = await start({ certPath, keyPath });
    expect((await handshake(port, { ca: pki.ca.certPem, servername: 'a.example.com' })).fingerprint256).toBe(
      fp(exact),
    );

    const expired = await pki.leaf('expired', {
      cn: 'a.example.com',
      dns: ['a.example.com'],
      start: '20200101000000Z',
      end: '20200102000000Z',
    });
    const other = await pki.key('other-key', 'ec-pkcs8');
    const bad: [Record<string, string>, string][] = [
      [{ 'tls.crt': expired.certPem, 'tls.key': expired.keyPem }, 'SY_ERR_TLS_EXPIRED'],
      [{ 'tls.crt': exact.certPem, 'tls.key': other.keyPem }, 'SY_ERR_TLS_KEY_MISMATCH'],
      [{ 'tls.crt': 'garbage', 'tls.key': exact.keyPem }, 'SY_ERR_TLS_BAD_CERT'],
      [
        {
          'tls.crt': exact.certPem,
          'tls.key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        },
        'SY_ERR_TLS_BAD_KEY',
      ],
    ];
    for (const [files, code] of bad) {
      const rejected = nextMessage<CertRejectedEvent>(TLS_CHANNELS.certRejected, (e) => e.id === certPath);
      await writeSecretVolume(dir, files);
      const event = await rejected;
      expect(event.code).toBe(code);
      expect(event.keptPrevious).toBe(true);
      expect(event.message.startsWith(`${certPath}: `)).toBe(true);
      const status = server.status().certificates[0]!;
      expect(status).toMatchObject({
        kind: 'stale',
        id: certPath,
        error: { code },
        fingerprint256: fp(exact),
      });
      expect(
        (await handshake(port, { ca: pki.ca.certPem, servername: 'a.example.com' })).fingerprint256,
      ).toBe(fp(exact));
    }

    const loaded = nextMessage<CertLoadedEvent>(TLS_CHANNELS.certLoaded, (e) => e.id === certPath);
    await writeSecretVolume(dir, { 'tls.crt': wild.certPem, 'tls.key': wild.keyPem });
    expect(await loaded).toMatchObject({
      replaced: true,
      fingerprint256: fp(wild),
      names: ['*.example.com'],
    });
    expect(server.status().certificates[0]).toMatchObject({ kind: 'serving' });
    expect((await handshake(port, { ca: pki.ca.certPem, servername: 'a.example.com' })).fingerprint256).toBe(
      fp(wild),
    );
  });

  it('listen fails when the only certificate is invalid', async () => {
    const expired = await pki.leaf('expired2', { cn: 'x', start: '20200101000000Z', end: '20200102000000Z' });
    const server = createTlsServer(
      { certificates: [staticCertificateSource([pairOf('old', expired)])] },
      () => {},
    );
    servers.push(server);
    await expect(server.listen({ port: 0 })).rejects.toMatchObject({
      code: 'SY_ERR_TLS_NO_CERTIFICATE',
      message: expect.stringContaining('old: the certificate expired'),
    });
    expect(server.status()).toMatchObject({ ready: false, certificates: [{ kind: 'rejected', id: 'old' }] });
  });

  it('reloads under load with zero failed requests; open connections keep their certificate', async () => {
    const generations = [exact];
    for (let i = 1; i <= 3; i++)
      generations.push(await pki.leaf(`gen${i}`, { cn: 'a.example.com', dns: ['a.example.com'] }));
    const dir = join(pki.dir, 'load');
    await writeSecretVolume(dir, { 'tls.crt': exact.certPem, 'tls.key': exact.keyPem });
    const { port } = await start({ certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key') });

    // One keep-alive connection opened before any reload.
    const { Agent } = await import('node:https');
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await request(port, { agent: keepAlive });
    expect(first.fingerprint).toBe(fp(exact));

    let failures = 0;
    let completed = 0;
    let running = true;
    const seen = new Set<string>();
    const worker = async () => {
      while (running) {
        try {
          const r = await request(port);
          if (r.status !== 200) failures++;
          seen.add(r.fingerprint);
        } catch {
          failures++;
        }
        completed++;
      }
    };
    const workers = [worker(), worker(), worker()];
    for (const next of generations.slice(1)) {
      const loaded = nextMessage<CertLoadedEvent>(
        TLS_CHANNELS.certLoaded,
        (e) => e.fingerprint256 === fp(next),
      );
      await writeSecretVolume(dir, { 'tls.crt': next.certPem, 'tls.key': next.keyPem });
      await loaded;
      // New handshakes see the new certificate as soon as it is loaded.
      expect((await request(port)).fingerprint).toBe(fp(next));
    }
    running = false;
    await Promise.all(workers);
    expect(failures).toBe(0);
    expect(completed).toBeGreaterThan(0);
    expect(seen.has(fp(generations.at(-1)!))).toBe(true);

    // The pre-reload connection is still open and still presents the first certificate.
    const again = await request(port, { agent: keepAlive });
    expect(again).toMatchObject({ status: 200, fingerprint: fp(exact) });
    keepAlive.destroy();
  }, 60_000);
});

describe('expiry', () => {
  it('exposes seconds until expiry as a gauge and warns under 14 days', async () => {
    const soon = await pki.leaf('soon', { cn: 'soon.test', dns: ['soon.test'], days: 5 });
    const stats = recordingStats();
    const warning = nextMessage<CertExpiringEvent>(TLS_CHANNELS.certExpiring, (e) => e.id === 'soon');
    const t = new TlsTerminator({
      certificates: [staticCertificateSource([pairOf('soon', soon), pairOf('default', def)])],
      stats,
    });
    await t.ready();
    const event = await warning;
    expect(event.remainingMs).toBeGreaterThan(4 * 86_400_000);
    expect(event.remainingMs).toBeLessThan(5 * 86_400_000 + 60_000);
    const gauge = stats.gauges.get('tls/certificate/soon/expires_in_seconds');
    expect(gauge?.()).toBeGreaterThan(4 * 86_400);
    expect(gauge?.()).toBeLessThanOrEqual(5 * 86_400);
    expect(stats.gauges.get('tls/certificate/default/expires_in_seconds')?.()).toBeGreaterThan(300 * 86_400);
    expect(t.status().certificates).toMatchObject([
      { kind: 'serving', id: 'soon', expiresSoon: true, isDefault: true },
      { kind: 'serving', id: 'default', expiresSoon: false, isDefault: false },
    ]);
    t.close();
    expect(stats.gauges.size).toBe(0);
  });
});

describe('fileCertificateSource', () => {
  it('follows a Kubernetes-style ..data symlink swap without polling', async () => {
    const dir = join(pki.dir, 'swap');
    await writeSecretVolume(dir, { 'tls.crt': exact.certPem, 'tls.key': exact.keyPem });
    const source = fileCertificateSource({
      certPath: join(dir, 'tls.crt'),
      keyPath: join(dir, 'tls.key'),
      pollIntervalMs: 3_600_000,
    });
    const snapshots: string[] = [];
    let notify: () => void = () => {};
    const dispose = source.observe((s) => {
      const e = s[0]!;
      snapshots.push(e.kind === 'ok' ? e.pair.certPem : e.kind);
      notify();
    });
    const waitFor = (n: number) =>
      new Promise<void>((resolve) => {
        notify = () => snapshots.length >= n && resolve();
        notify();
      });
    await waitFor(1);
    expect(snapshots[0]).toBe(exact.certPem);
    await writeSecretVolume(dir, { 'tls.crt': wild.certPem, 'tls.key': wild.keyPem });
    await waitFor(2);
    expect(snapshots[1]).toBe(wild.certPem);
    dispose();
  });

  it('reports a missing file as a failed entry, then picks it up by polling', async () => {
    const dir = join(pki.dir, 'late', 'nested');
    const source = fileCertificateSource({
      certPath: join(dir, 'tls.crt'),
      keyPath: join(dir, 'tls.key'),
      pollIntervalMs: 50,
    });
    const entries: string[] = [];
    let notify: () => void = () => {};
    const dispose = source.observe((s) => {
      const e = s[0]!;
      entries.push(e.kind === 'ok' ? 'ok' : `${e.error.code} ${e.error.message}`);
      notify();
    });
    await new Promise<void>((resolve) => {
      notify = () => entries.length >= 1 && resolve();
      notify();
    });
    expect(entries[0]).toMatch(
      /^SY_ERR_TLS_READ_FAILED .*tls\.crt: cannot read the certificate file .*ENOENT/,
    );
    await writeSecretVolume(dir, { 'tls.crt': exact.certPem, 'tls.key': exact.keyPem });
    await new Promise<void>((resolve) => {
      notify = () => entries.at(-1) === 'ok' && resolve();
      notify();
    });
    dispose();
    expect(await readFile(join(dir, 'tls.crt'), 'utf8')).toBe(exact.certPem);
  });

  it('shares one watch between observers and replays the latest snapshot', async () => {
    const dir = join(pki.dir, 'shared');
    await writeSecretVolume(dir, { 'tls.crt': exact.certPem, 'tls.key': exact.keyPem });
    const source = fileCertificateSource({ certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key') });
    const first = await new Promise<string>((resolve) => {
      const d = source.observe((s) => {
        resolve(s[0]!.kind);
        queueMicrotask(() => keep.push(d));
      });
    });
    const keep: (() => void)[] = [];
    expect(first).toBe('ok');
    let replayed: string | undefined;
    const d2 = source.observe((s) => (replayed = s[0]!.kind));
    expect(replayed).toBe('ok');
    d2();
    for (const d of keep) d();
    await writeFile(join(pki.dir, 'unused'), '');
  });
});
