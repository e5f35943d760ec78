/**
 * `status()` rows and per-certificate metrics, and retiring names that are no longer wanted: a
 * retired name is not renewed but keeps its certificate served until it expires, then it leaves
 * the rows, the snapshot and the metrics. Certificates come from a test PKI through a real
 * directory store; the manager is a follower, so no CA is needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertificateSnapshot, createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import { certTime, createTestPki, fakeClock, type TestPki } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcmeManager, directoryStorage } from '../src/index.js';
import { trackStorageReads } from './storage-reads.js';

function metrics(stats: MetricsRegistry, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stats.snapshot()) {
    const name = s.name.join('/');
    if (name.startsWith(prefix) && (s.kind === 'gauge' || s.kind === 'counter')) out[name] = s.value;
  }
  return out;
}

describe('status rows and retired names', () => {
  let pki: TestPki | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await pki?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('rows per name; a removed name is retired, served until it expires, then dropped', async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
    const start = Math.floor(Date.now() / 1000) * 1000;
    const hour = 3600_000;
    const { storage, settled: settle } = trackStorageReads(directoryStorage(dir));
    const leaf = async (host: string, hours: number) => {
      const c = await pki!.leaf(host, {
        cn: host,
        dns: [host],
        start: certTime(start - hour),
        end: certTime(start + hours * hour),
      });
      await storage.saveCertificate({ host, certPem: c.certPem, keyPem: c.keyPem });
      return c;
    };
    await leaf('gone.example.test', 2);
    await leaf('short.example.test', 1);
    const clock = fakeClock(start);
    const stats = createMetricsRegistry();
    const m = createAcmeManager({
      directoryUrl: 'https://ca.invalid/dir',
      termsOfServiceAgreed: true,
      storage,
      hosts: ['pending.example.test', 'short.example.test'],
      isLeader: () => false,
      storagePollMs: 10 * 60_000,
      renewal: { fraction: 0.99, jitterFraction: 0 },
      stats,
      clock,
    });
    const snapshots: CertificateSnapshot[] = [];
    m.certificateSource.observe((s) => snapshots.push(s));
    m.start();
    try {
      m.addHosts(['gone.example.test']);
      clock.advance(0);
      await settle();
      const issuer = m.view().find((v) => v.host === 'gone.example.test')!.issuer!;
      expect(issuer).toMatch(/CN=/);
      expect(m.status()).toEqual([
        { name: 'gone.example.test', issuer, notAfter: start + 2 * hour, state: 'valid' },
        { name: 'pending.example.test', state: 'pending' },
        { name: 'short.example.test', issuer, notAfter: start + hour, state: 'valid' },
      ]);
      expect(metrics(stats, 'certificate/')).toEqual({
        'certificate/gone.example.test/not_after_seconds': (start + 2 * hour) / 1000,
        'certificate/gone.example.test/valid': 1,
        'certificate/pending.example.test/not_after_seconds': 0,
        'certificate/pending.example.test/valid': 0,
        'certificate/short.example.test/not_after_seconds': (start + hour) / 1000,
        'certificate/short.example.test/valid': 1,
      });

      // No longer wanted: retired, but its certificate is still served.
      m.removeHosts(['gone.example.test', 'pending.example.test']);
      await settle();
      expect(m.status().map((r) => [r.name, r.state])).toEqual([
        ['gone.example.test', 'retired'],
        ['pending.example.test', 'pending'], // configured names are never retired
        ['short.example.test', 'valid'],
      ]);
      expect(
        snapshots
          .at(-1)
          ?.map((e) => e.id)
          .sort(),
      ).toEqual(['acme gone.example.test', 'acme short.example.test']);

      // Past the short one's expiry: it is expired (not served); the retired one still is.
      for (let i = 0; i < 7; i++) {
        clock.advance(10 * 60_000);
        await settle();
      }
      expect(m.status().map((r) => [r.name, r.state])).toEqual([
        ['gone.example.test', 'retired'],
        ['pending.example.test', 'pending'],
        ['short.example.test', 'expired'],
      ]);
      expect(snapshots.at(-1)?.map((e) => e.id)).toEqual(['acme gone.example.test']);
      expect(metrics(stats, 'certificate/short.example.test/valid')).toEqual({
        'certificate/short.example.test/valid': 0,
      });

      // Past the retired one's expiry: dropped everywhere, its metrics too.
      for (let i = 0; i < 6; i++) {
        clock.advance(10 * 60_000);
        await settle();
      }
      expect(m.status().map((r) => r.name)).toEqual(['pending.example.test', 'short.example.test']);
      expect(snapshots.at(-1)).toEqual([]);
      expect(Object.keys(metrics(stats, 'certificate/gone.example.test'))).toEqual([]);

      // Wanted again: managed again (it would be ordered by a leader).
      m.addHosts(['gone.example.test']);
      expect(m.status().find((r) => r.name === 'gone.example.test')?.state).toBe('pending');
    } finally {
      m.close();
    }
  });

  it('a retired name wanted again before it expires is renewed again, not dropped', async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
    const start = Math.floor(Date.now() / 1000) * 1000;
    const { storage, settled: settle } = trackStorageReads(directoryStorage(dir));
    const c = await pki.leaf('back', {
      cn: 'back.example.test',
      dns: ['back.example.test'],
      start: certTime(start - 3600_000),
      end: certTime(start + 3600_000),
    });
    await storage.saveCertificate({ host: 'back.example.test', certPem: c.certPem, keyPem: c.keyPem });
    const clock = fakeClock(start);
    const m = createAcmeManager({
      directoryUrl: 'https://ca.invalid/dir',
      termsOfServiceAgreed: true,
      storage,
      isLeader: () => false,
      clock,
    });
    m.start();
    try {
      m.addHosts(['back.example.test']);
      clock.advance(0);
      await settle();
      m.removeHosts(['back.example.test']);
      m.addHosts(['back.example.test']);
      await settle();
      expect(m.status().map((r) => [r.name, r.state])).toEqual([['back.example.test', 'valid']]);
      expect(m.view()[0]?.origin).toBe('dynamic');
    } finally {
      m.close();
    }
  });
});
