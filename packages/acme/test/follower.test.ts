/**
 * A follower never orders, so nothing but its own checks can retire a certificate: it must stop
 * serving a stored certificate once it expires (the default certificate answers instead), and
 * pick up the leader's replacement from the store. No CA is needed: the follower never talks to it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateSnapshot } from '@switchyard/core';
import { certTime, createTestPki, fakeClock, type TestPki } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcmeManager, directoryStorage } from '../src/index.js';
import { trackStorageReads } from './storage-reads.js';

describe('a follower', () => {
  let pki: TestPki | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await pki?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('stops serving a stored certificate when it expires, then serves the replacement', async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
    const start = Math.floor(Date.now() / 1000) * 1000;
    const hour = 3600_000;
    const old = await pki.leaf('old', {
      cn: 'f.example.com',
      dns: ['f.example.com'],
      start: certTime(start - hour),
      end: certTime(start + 2 * hour),
    });
    const { storage, settled: settle } = trackStorageReads(directoryStorage(dir));
    await storage.saveCertificate({ host: 'f.example.com', certPem: old.certPem, keyPem: old.keyPem });
    const clock = fakeClock(start);
    const m = createAcmeManager({
      directoryUrl: 'https://ca.invalid/dir',
      termsOfServiceAgreed: true,
      storage,
      hosts: ['f.example.com'],
      isLeader: () => false,
      storagePollMs: 10 * 60_000,
      clock,
    });
    const snapshots: CertificateSnapshot[] = [];
    m.certificateSource.observe((s) => snapshots.push(s));
    m.start();
    try {
      clock.advance(0);
      await settle();
      expect(snapshots.at(-1)?.map((e) => e.id)).toEqual(['acme f.example.com']);
      // Past notAfter: the follower's wake-up at expiry drops it, although it cannot renew.
      for (let t = 0; t < 2 * hour + 60_000; t += 10 * 60_000) {
        clock.advance(10 * 60_000);
        await settle();
      }
      expect(snapshots.at(-1)).toEqual([]);
      expect(m.view()[0]).toMatchObject({ host: 'f.example.com', status: 'none' });
      // The leader stores a replacement; the next poll serves it.
      const fresh = await pki.leaf('fresh', {
        cn: 'f.example.com',
        dns: ['f.example.com'],
        start: certTime(start),
        end: certTime(start + 90 * 24 * hour),
      });
      await storage.saveCertificate({ host: 'f.example.com', certPem: fresh.certPem, keyPem: fresh.keyPem });
      clock.advance(10 * 60_000);
      await settle();
      const last = snapshots.at(-1)!;
      expect(last.map((e) => e.id)).toEqual(['acme f.example.com']);
      expect(last[0]?.kind === 'ok' && last[0].pair.certPem).toBe(fresh.certPem);
    } finally {
      m.close();
    }
  });
});
