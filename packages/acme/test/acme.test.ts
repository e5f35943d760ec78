/**
 * The manager against a real ACME CA (pebble): HTTP-01, TLS-ALPN-01, on-demand issuance through
 * real TLS handshakes, renewal of short-lived certificates, a CA outage, nonce rejection, and two
 * managers sharing a directory store with one leader.
 *
 * Over ~300 lines on purpose: the three CA set-ups share one front door (the fixed HTTP-01 and
 * TLS-ALPN-01 ports pebble validates against) started once for the file.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsRegistry } from '@switchyard/core';
import {
  counterValue as counter,
  createTestPki,
  eventually,
  tlsHandshake as handshake,
  type Issued,
  type Pebble,
  pebbleMissing,
  startPebble,
  type TestPki,
} from '@switchyard/testkit';
import * as acme from 'acme-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AcmeManager,
  type AcmeManagerOptions,
  type CertificateView,
  createAcmeManager,
  directoryStorage,
} from '../src/index.js';
import { type FrontDoor, startFrontDoor } from './front-door.js';

const missing = pebbleMissing();
if (missing !== undefined) console.warn(`acme tests skipped: ${missing}`);

/** Issuance by a real CA takes seconds: poll every 50 ms for up to 45 s. */
const POLL = { timeoutMs: 45_000, intervalMs: 50 } as const;

function view(m: AcmeManager, host: string): CertificateView | undefined {
  return m.view().find((v) => v.host === host);
}

describe.skipIf(missing !== undefined)('acme against pebble', () => {
  let pki: TestPki;
  let defaultCert: Issued;
  let door: FrontDoor;
  let current: AcmeManager | undefined;
  const managers: AcmeManager[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    defaultCert = await pki.leaf('default', { cn: 'default.invalid', dns: ['default.invalid'] });
    door = await startFrontDoor(defaultCert, () => current);
  }, 60_000);

  afterAll(async () => {
    await door?.close();
    await pki?.dispose();
  });

  afterEach(async () => {
    for (const m of managers.splice(0)) m.close();
    current = undefined;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function manager(
    pebble: Pebble,
    o: Partial<AcmeManagerOptions> & { dir?: string },
    serve = true,
  ): Promise<AcmeManager> {
    let dir = o.dir;
    if (dir === undefined) {
      dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
      dirs.push(dir);
    }
    const m = createAcmeManager({
      directoryUrl: pebble.directoryUrl,
      directoryCa: pebble.directoryCa,
      termsOfServiceAgreed: true,
      email: 'ops@example.test',
      storage: directoryStorage(dir),
      retry: { initialMs: 200, maxMs: 2_000 },
      ...o,
    });
    managers.push(m);
    if (serve) current = m;
    m.start();
    return m;
  }

  describe('one CA', () => {
    let pebble: Pebble;
    let root: string;
    beforeAll(async () => {
      pebble = await startPebble({ httpPort: door.httpPort, tlsPort: door.tlsPort });
      root = await pebble.rootPem();
    }, 60_000);
    afterAll(async () => {
      await pebble?.stop();
    });

    it('issues by HTTP-01, stores the certificate and serves it through the CertificateSource', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
      dirs.push(dir);
      const stats = createMetricsRegistry();
      const m = await manager(pebble, { dir, hosts: ['HTTP01.example.test.'], stats });
      const v = await eventually(
        () => view(m, 'http01.example.test')?.status === 'valid' && view(m, 'http01.example.test'),
        { ...POLL, what: 'issuance' },
      );
      expect(v.origin).toBe('static');
      expect(v.issuer).toMatch(/Pebble Intermediate/);
      expect(v.notAfter).toBeGreaterThan(Date.now());
      expect(v.renewAt).toBeLessThan(v.notAfter!);
      expect(v.lastError).toBeUndefined();
      expect(counter(stats, 'issued')).toBe(1);

      const snapshots: string[][] = [];
      const dispose = m.certificateSource.observe((s) => snapshots.push(s.map((e) => e.id)));
      dispose();
      expect(snapshots).toEqual([['acme http01.example.test']]);
      expect(await readdir(join(dir, 'certificates'))).toEqual(['http01.example.test']);

      const hs = await handshake(door.tlsPort, 'http01.example.test', root);
      expect(hs).toMatchObject({ names: 'DNS:http01.example.test', trusted: true });
      // The challenge endpoint answers nothing once the order is done: the request goes on to routing.
      const res = await fetch(`http://127.0.0.1:${door.httpPort}/.well-known/acme-challenge/unknown`);
      expect(res.status).toBe(404);
    }, 60_000);

    it('issues by TLS-ALPN-01, answering the acme-tls/1 handshake with the challenge certificate', async () => {
      const m = await manager(pebble, { hosts: ['alpn.example.test'], challenge: 'tls-alpn-01' });
      await eventually(() => view(m, 'alpn.example.test')?.status === 'valid', { ...POLL, what: 'issuance' });
      expect(door.served).toContainEqual({ servername: 'alpn.example.test', served: 'challenge' });
      const hs = await handshake(door.tlsPort, 'alpn.example.test', root);
      expect(hs).toMatchObject({ names: 'DNS:alpn.example.test', trusted: true });
      // Without acme-tls/1 in the hello, no challenge certificate is ever handed out.
      expect(m.tlsAlpnChallenge('alpn.example.test', ['h2', 'http/1.1'])).toBeUndefined();
    }, 60_000);

    it('issues on demand: a new name gets the default certificate first, then its own', async () => {
      let asked: string[] = [];
      const ask: Server = createServer((req, res) => {
        const domain = new URL(req.url ?? '/', 'http://x').searchParams.get('domain') ?? '';
        asked.push(domain);
        res.writeHead(domain.startsWith('yes.') ? 200 : 403).end();
      });
      await new Promise<void>((r) => ask.listen(0, '127.0.0.1', r));
      try {
        const askUrl = `http://127.0.0.1:${(ask.address() as { port: number }).port}/check`;
        const m = await manager(pebble, {
          onDemand: { hosts: ['*.ondemand.test'], ask: askUrl, rateLimit: { orders: 2, perMs: 60_000 } },
        });
        const first = await handshake(door.tlsPort, 'yes.ondemand.test', root);
        expect(first.names).toBe('DNS:default.invalid');
        expect(first.trusted).toBe(false);
        await eventually(() => view(m, 'yes.ondemand.test')?.status === 'valid', {
          ...POLL,
          what: 'on-demand issuance',
        });
        const second = await handshake(door.tlsPort, 'yes.ondemand.test', root);
        expect(second).toMatchObject({ names: 'DNS:yes.ondemand.test', trusted: true });
        expect(view(m, 'yes.ondemand.test')?.origin).toBe('onDemand');

        // Outside the patterns: refused without asking.
        asked = [];
        expect(m.onDemand('x.elsewhere.test')).toEqual({ kind: 'refused', reason: 'notAllowed' });
        // Inside the patterns but `ask` says no: queued, then never managed.
        expect(m.onDemand('no.ondemand.test')).toEqual({ kind: 'queued' });
        await eventually(() => asked.includes('no.ondemand.test'), { ...POLL, what: 'ask' });
        await new Promise((r) => setTimeout(r, 100));
        expect(view(m, 'no.ondemand.test')).toBeUndefined();
        // The same name again within the per-name interval, and the global limit (2 per minute).
        expect(m.onDemand('no.ondemand.test')).toEqual({ kind: 'refused', reason: 'rateLimited' });
        expect(m.onDemand('yes2.ondemand.test')).toEqual({ kind: 'refused', reason: 'rateLimited' });
        expect(m.onDemand('yes.ondemand.test')).toEqual({ kind: 'managed' });
        expect(m.onDemand('not a name')).toEqual({ kind: 'refused', reason: 'invalidName' });
      } finally {
        await new Promise<void>((r) => ask.close(() => r()));
      }
    }, 60_000);

    it('lets only the leader order; a follower sharing the directory serves what the leader stored', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
      dirs.push(dir);
      const leaderStats = createMetricsRegistry();
      const followerStats = createMetricsRegistry();
      const follower = await manager(
        pebble,
        {
          dir,
          hosts: ['shared.example.test'],
          isLeader: () => false,
          storagePollMs: 100,
          stats: followerStats,
        },
        false,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(view(follower, 'shared.example.test')?.status).toBe('none');
      const leader = await manager(pebble, { dir, hosts: ['shared.example.test'], stats: leaderStats });
      const lv = await eventually(
        () => view(leader, 'shared.example.test')?.status === 'valid' && view(leader, 'shared.example.test'),
        { ...POLL, what: 'leader issuance' },
      );
      const fv = await eventually(
        () =>
          view(follower, 'shared.example.test')?.status === 'valid' && view(follower, 'shared.example.test'),
        { ...POLL, what: 'follower pick-up' },
      );
      expect(fv.notAfter).toBe(lv.notAfter);
      expect(counter(leaderStats, 'orders')).toBe(1);
      expect(counter(followerStats, 'orders')).toBe(0);
      expect(follower.onDemand('any.example.test')).toEqual({ kind: 'refused', reason: 'disabled' });
    }, 60_000);

    it('orders once when two managers that both may order share a directory; both serve it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
      dirs.push(dir);
      const statsA = createMetricsRegistry();
      const statsB = createMetricsRegistry();
      const o = { dir, hosts: ['locked.example.test'], storagePollMs: 100 };
      const [a, b] = await Promise.all([
        manager(pebble, { ...o, stats: statsA }),
        manager(pebble, { ...o, stats: statsB }, false),
      ]);
      const va = await eventually(
        () => view(a, 'locked.example.test')?.status === 'valid' && view(a, 'locked.example.test'),
        { ...POLL, what: 'first manager' },
      );
      const vb = await eventually(
        () => view(b, 'locked.example.test')?.status === 'valid' && view(b, 'locked.example.test'),
        { ...POLL, what: 'second manager' },
      );
      expect(vb.notAfter).toBe(va.notAfter);
      expect(counter(statsA, 'orders') + counter(statsB, 'orders')).toBe(1);
      expect(await readdir(join(dir, 'certificates', 'locked.example.test'))).toEqual(['bundle.json']);
    }, 60_000);
  });

  describe('short-lived certificates and a CA outage', () => {
    let pebble: Pebble;
    let root: string;
    beforeAll(async () => {
      pebble = await startPebble({ httpPort: door.httpPort, tlsPort: door.tlsPort, validitySeconds: 30 });
      root = await pebble.rootPem();
    }, 60_000);
    afterAll(async () => {
      await pebble?.stop();
    });

    it('renews at the configured fraction of the lifetime and serves the new certificate', async () => {
      const stats = createMetricsRegistry();
      const m = await manager(pebble, {
        hosts: ['renew.example.test'],
        renewal: { fraction: 0.2, jitterFraction: 0 },
        stats,
      });
      const first = await eventually(
        () => view(m, 'renew.example.test')?.status === 'valid' && view(m, 'renew.example.test'),
        { ...POLL, what: 'issuance' },
      );
      expect(first.notAfter! - first.notBefore!).toBeLessThanOrEqual(31_000);
      expect(first.renewAt).toBe(Math.floor(first.notBefore! + 0.2 * (first.notAfter! - first.notBefore!)));
      const before = await handshake(door.tlsPort, 'renew.example.test', root);
      const second = await eventually(
        () => {
          const v = view(m, 'renew.example.test');
          return v !== undefined && v.notAfter! > first.notAfter! && v;
        },
        { ...POLL, what: 'renewal' },
      );
      expect(second.lastAttempt).toBeGreaterThanOrEqual(first.renewAt!);
      const after = await handshake(door.tlsPort, 'renew.example.test', root);
      expect(after.trusted).toBe(true);
      expect(after.fingerprint).not.toBe(before.fingerprint);
      expect(counter(stats, 'issued')).toBeGreaterThanOrEqual(2);
      expect(counter(stats, 'certificate/renew.example.test/orders')).toBeGreaterThanOrEqual(2);
      const row = m.status()[0]!;
      expect(row).toMatchObject({ name: 'renew.example.test', lastAttemptAt: second.lastAttempt });
      expect(row.notAfter).toBeGreaterThan(first.notAfter!);
      expect(row.issuer).toMatch(/Pebble/);
    }, 60_000);

    it('keeps serving during a CA outage, records the error and backs off, then recovers', async () => {
      const stats = createMetricsRegistry();
      const m = await manager(pebble, {
        stats,
        hosts: ['outage.example.test'],
        renewal: { fraction: 0.9, jitterFraction: 0 },
        retry: { initialMs: 300, maxMs: 5_000 },
        random: () => 1,
      });
      await eventually(() => view(m, 'outage.example.test')?.status === 'valid', {
        ...POLL,
        what: 'issuance',
      });
      const served = await handshake(door.tlsPort, 'outage.example.test', root);
      await pebble.kill();
      // acme-client retries a refused connection 5 times over 75 s before failing an order; the
      // manager's own back-off is what this test measures.
      const settings = acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } };
      const retries = settings.acmeSettings.retryMaxAttempts;
      settings.acmeSettings.retryMaxAttempts = 0;
      try {
        m.renew('outage.example.test');
        m.addHosts(['new.outage.example.test']);
        const failing = await eventually(
          () => {
            const v = view(m, 'new.outage.example.test');
            return v !== undefined && v.failures >= 3 && v;
          },
          { ...POLL, what: 'three failed attempts' },
        );
        expect(failing.status).toBe('none');
        expect(failing.lastError?.code).toBe('SY_ERR_ACME_ORDER_FAILED');
        expect(failing.lastError?.message).toMatch(/new\.outage\.example\.test/);
        // With random() = 1 the delays are exactly 300, 600, 1200 ms: back-off doubles.
        expect(failing.nextCheck! - failing.lastError!.at).toBe(300 * 2 ** (failing.failures - 1));
        const old = view(m, 'outage.example.test')!;
        expect(old.status).toBe('valid');
        expect(old.lastError?.code).toBe('SY_ERR_ACME_ORDER_FAILED');
        // The dashboard rows: the served one is renewing with its error, the new one pending.
        const rows = m.status();
        expect(rows.map((r) => [r.name, r.state])).toEqual([
          ['new.outage.example.test', 'pending'],
          ['outage.example.test', 'renewing'],
        ]);
        expect(rows[0]!.lastError).toBe(failing.lastError!.message);
        expect(rows[1]!.lastError).toBe(old.lastError!.message);
        expect(rows[1]!.notAfter).toBe(old.notAfter);
        expect(counter(stats, 'certificate/new.outage.example.test/failures')).toBeGreaterThanOrEqual(3);
        // The existing certificate keeps serving; the new name gets the default one.
        expect((await handshake(door.tlsPort, 'outage.example.test', root)).fingerprint).toBe(
          served.fingerprint,
        );
        expect((await handshake(door.tlsPort, 'new.outage.example.test', root)).names).toBe(
          'DNS:default.invalid',
        );
      } finally {
        settings.acmeSettings.retryMaxAttempts = retries;
        await pebble.restart();
      }
      const recovered = await eventually(
        () => view(m, 'new.outage.example.test')?.status === 'valid' && view(m, 'new.outage.example.test'),
        { ...POLL, what: 'recovery' },
      );
      expect(recovered.failures).toBe(0);
      expect(recovered.lastError).toBeUndefined();
      expect(m.status().find((r) => r.name === 'new.outage.example.test')).toMatchObject({ state: 'valid' });
    }, 60_000);
  });

  describe('a CA rejecting half of the nonces', () => {
    let pebble: Pebble;
    beforeAll(async () => {
      pebble = await startPebble({ httpPort: door.httpPort, tlsPort: door.tlsPort, nonceReject: 50 });
    }, 60_000);
    afterAll(async () => {
      await pebble?.stop();
    });

    it('issues eventually', async () => {
      const logs: string[] = [];
      acme.setLogger((msg) => logs.push(msg));
      try {
        const m = await manager(pebble, { hosts: ['nonce1.example.test', 'nonce2.example.test'] });
        await eventually(() => m.view().every((v) => v.status === 'valid'), {
          ...POLL,
          what: 'issuance despite bad nonces',
          timeoutMs: 55_000,
        });
        expect(m.view().map((v) => v.host)).toEqual(['nonce1.example.test', 'nonce2.example.test']);
      } finally {
        acme.setLogger(() => {});
      }
      // Pebble really did reject nonces along the way.
      expect(logs.some((l) => l.includes('Caught invalid nonce error'))).toBe(true);
    }, 60_000);
  });

  describe("a CA in pebble's random modes (nonces rejected, validations delayed, authorizations reused at random)", () => {
    let pebble: Pebble;
    beforeAll(async () => {
      pebble = await startPebble({
        httpPort: door.httpPort,
        tlsPort: door.tlsPort,
        nonceReject: 30,
        vaSleepSeconds: 2,
        authzReuse: 50,
      });
    }, 60_000);
    afterAll(async () => {
      await pebble?.stop();
    });

    it('issues every name, and serves each once issued', async () => {
      const hosts = ['random1.example.test', 'random2.example.test', 'random3.example.test'];
      const logs: string[] = [];
      acme.setLogger((msg) => logs.push(msg));
      try {
        const m = await manager(pebble, { hosts });
        await eventually(() => m.view().every((v) => v.status === 'valid'), {
          ...POLL,
          what: 'issuance in random modes',
          timeoutMs: 55_000,
        });
        expect(m.status().map((r) => [r.name, r.state])).toEqual(hosts.map((h) => [h, 'valid']));
      } finally {
        acme.setLogger(() => {});
      }
      // The modes were on: pebble rejected nonces along the way (30 % of some dozens of requests).
      expect(logs.some((l) => l.includes('Caught invalid nonce error'))).toBe(true);
      const root = await pebble.rootPem();
      for (const host of hosts)
        expect(await handshake(door.tlsPort, host, root)).toMatchObject({
          names: `DNS:${host}`,
          trusted: true,
        });
    }, 60_000);
  });
});

describe('options', () => {
  it('names the bad field', async () => {
    const storage = directoryStorage(join(tmpdir(), 'unused'));
    const base = { directoryUrl: 'https://ca.example/dir', termsOfServiceAgreed: true, storage };
    expect(() => createAcmeManager({ ...base, directoryUrl: 'http://ca.example/dir' })).toThrow(
      /directoryUrl must be https/,
    );
    expect(() => createAcmeManager({ ...base, termsOfServiceAgreed: false })).toThrow(/termsOfServiceAgreed/);
    expect(() => createAcmeManager({ ...base, hosts: ['ok.example', 'bad host'] })).toThrow(/hosts\[1\]/);
    expect(() => createAcmeManager({ ...base, onDemand: {} })).toThrow(/onDemand needs hosts or ask/);
    expect(() => createAcmeManager({ ...base, onDemand: { hosts: ['**.x.y'] } })).toThrow(
      /onDemand.hosts\[0\]/,
    );
    expect(() => createAcmeManager({ ...base, retry: { initialMs: -1 } })).toThrow(/retry.initialMs/);
    expect(() => createAcmeManager({ ...base, renewal: { fraction: 1 } })).toThrow(/renewal.fraction/);
  });
});
