/**
 * Kubernetes Secret storage against the test API server and a real ACME CA (pebble): two
 * replicas share a namespace, only the holder of the Lease orders, the certificate lands in a
 * `kubernetes.io/tls` Secret (cert-manager's format) and the account key in an Opaque one, and
 * the other replica serves what the leader stored — through the Secret watch, within a second,
 * with no polling — and a handshake for an allowed on-demand name reaching a follower gets the
 * name ordered by the leader. A Secret missing its key is a storage error naming it.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import {
  createKubeClient,
  createLeaderElector,
  type KubeClient,
  type LeaderElector,
  SECRET_V1,
  type Secret,
  urlConfig,
} from '@switchyard/k8s';
import {
  counterValue as counter,
  createTestPki,
  eventually,
  type FakeKubeApi,
  type Issued,
  type Pebble,
  pebbleMissing,
  startFakeKubeApi,
  startPebble,
  tlsHandshake as subjectOf,
  type TestPki,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeSecretName } from '../src/experimental.js';
import {
  ACME_CHANNELS,
  AcmeError,
  type AcmeIssuedEvent,
  type AcmeManager,
  type AcmeManagerOptions,
  createAcmeManager,
  kubernetesSecretStorage,
} from '../src/index.js';
import { type FrontDoor, startFrontDoor } from './front-door.js';

const missing = pebbleMissing();

/** Issuance by a real CA takes seconds: poll every 50 ms for up to 45 s. */
const POLL = { timeoutMs: 45_000, intervalMs: 50 } as const;

interface Replica {
  readonly client: KubeClient;
  readonly elector: LeaderElector;
  readonly manager: AcmeManager;
  readonly stats: MetricsRegistry;
}

describe.skipIf(missing !== undefined)('kubernetes Secret storage with leader election', () => {
  let api: FakeKubeApi;
  let pki: TestPki;
  let defaultCert: Issued;
  let pebble: Pebble;
  const replicas: Replica[] = [];
  const doors: FrontDoor[] = [];
  let door: FrontDoor;

  const leader = () => replicas.find((r) => r.elector.isLeader())?.manager;

  beforeAll(async () => {
    api = await startFakeKubeApi();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge' } });
    pki = await createTestPki();
    defaultCert = await pki.leaf('default', { cn: 'default.invalid', dns: ['default.invalid'] });
    // One front door for the CA's validation requests: the leader holds the pending challenges.
    door = await startFrontDoor(defaultCert, leader);
    doors.push(door);
    pebble = await startPebble({ httpPort: door.httpPort, tlsPort: door.tlsPort });
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) {
      r.manager.close();
      await r.elector.close();
      await r.client.close();
    }
    for (const d of doors) await d.close();
    await pebble?.stop();
    await api?.close();
    await pki?.dispose();
  });

  async function closeReplicas(): Promise<void> {
    for (const r of replicas.splice(0)) {
      r.manager.close();
      await r.elector.close();
      await r.client.close();
    }
  }

  function replica(name: string, o: Partial<AcmeManagerOptions> = { storagePollMs: 200 }): Replica {
    const client = createKubeClient(urlConfig(api.url));
    const elector = createLeaderElector({
      client,
      namespace: 'edge',
      name: 'switchyard-acme',
      identity: name,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 200,
    });
    const stats = createMetricsRegistry();
    const manager = createAcmeManager({
      directoryUrl: pebble.directoryUrl,
      directoryCa: pebble.directoryCa,
      termsOfServiceAgreed: true,
      email: 'ops@example.test',
      storage: kubernetesSecretStorage({ client, namespace: 'edge' }),
      hosts: ['k8s.example.test'],
      isLeader: () => elector.isLeader(),
      onLeaderChange: (listener) => elector.onChange(listener),
      retry: { initialMs: 200, maxMs: 1_000 },
      stats,
      ...o,
    });
    const r = { client, elector, manager, stats };
    replicas.push(r);
    manager.start();
    return r;
  }

  it('the leader orders into a kubernetes.io/tls Secret; the other replica serves it', async () => {
    const a = replica('replica-a');
    const b = replica('replica-b');
    await eventually(() => a.elector.isLeader() || b.elector.isLeader(), { ...POLL, what: 'a leader' });
    const valid = (r: Replica) =>
      r.manager.view().find((v) => v.host === 'k8s.example.test')?.status === 'valid';
    await eventually(() => valid(a) && valid(b), { ...POLL, what: 'both replicas serving' });
    const orders = counter(a.stats, 'orders') + counter(b.stats, 'orders');
    expect(orders).toBe(1);

    const reader = createKubeClient(urlConfig(api.url));
    const secret = await reader.get(SECRET_V1, 'edge', acmeSecretName('certificate', 'k8s.example.test'));
    const list = await reader.list(SECRET_V1, { namespace: 'edge' });
    await reader.close();
    expect(secret?.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['tls.crt', 'tls.key']);
    expect(Buffer.from(secret!.data!['tls.crt']!, 'base64').toString()).toMatch(
      /^-----BEGIN CERTIFICATE-----/,
    );
    expect(secret?.metadata?.labels).toMatchObject({ 'switchyard.io/acme': 'certificate' });
    const account = list.items.find((s: Secret) => s.metadata?.labels?.['switchyard.io/acme'] === 'account');
    expect(account?.type).toBe('Opaque');
    expect(Object.keys(account?.data ?? {})).toEqual(['key.pem']);

    // The follower's CertificateSource carries the same certificate as the leader's.
    const follower = a.elector.isLeader() ? b : a;
    const root = await pebble.rootPem();
    const followerDoor = await startFrontDoor(defaultCert, () => follower.manager);
    doors.push(followerDoor);
    await eventually(
      async () => undefined !== (await subjectOf(followerDoor.tlsPort, 'k8s.example.test', root)),
      { ...POLL, what: 'handshake' },
    );
    const hs = await subjectOf(followerDoor.tlsPort, 'k8s.example.test', root);
    expect(hs).toEqual({ names: 'DNS:k8s.example.test', trusted: true, fingerprint: expect.any(String) });
  }, 60_000);

  it('a follower serves what the leader stores within a second, by the Secret watch (no polling)', async () => {
    await closeReplicas();
    const issuedAt = new Map<string, number>();
    const onIssued = (m: unknown) => {
      const e = m as AcmeIssuedEvent;
      if (!issuedAt.has(e.host)) issuedAt.set(e.host, Date.now());
    };
    subscribe(ACME_CHANNELS.issued, onIssued);
    try {
      // The poll is an hour: only the watch can bring the certificate to the follower in time.
      const poll = { storagePollMs: 3_600_000, hosts: ['watch.example.test'] };
      const a = replica('replica-c', poll);
      const b = replica('replica-d', poll);
      await eventually(() => a.elector.isLeader() || b.elector.isLeader(), { ...POLL, what: 'a leader' });
      const follower = a.elector.isLeader() ? b : a;
      let servedAt: number | undefined;
      const stop = follower.manager.certificateSource.observe((snapshot) => {
        if (servedAt === undefined && snapshot.some((e) => e.id === 'acme watch.example.test'))
          servedAt = Date.now();
      });
      try {
        await eventually(() => servedAt, { ...POLL, what: 'the follower serving watch.example.test' });
      } finally {
        stop();
      }
      const issued = issuedAt.get('watch.example.test');
      expect(issued).toBeDefined();
      const lag = servedAt! - issued!;
      console.info(`follower lag after the leader stored watch.example.test: ${lag} ms`);
      expect(lag).toBeLessThan(1_000);
      expect(counter(follower.stats, 'orders')).toBe(0);
      expect(follower.manager.status()).toEqual([
        expect.objectContaining({ name: 'watch.example.test', state: 'valid' }),
      ]);
    } finally {
      unsubscribe(ACME_CHANNELS.issued, onIssued);
    }
  }, 60_000);

  it('on demand from any replica: a handshake reaching a follower gets the name ordered by the leader', async () => {
    await closeReplicas();
    const onDemand = {
      storagePollMs: 3_600_000,
      hosts: [],
      onDemand: { hosts: ['*.od.example.test'], rateLimit: { orders: 5, perMs: 60_000 } },
    };
    const a = replica('replica-e', onDemand);
    const b = replica('replica-f', onDemand);
    await eventually(() => a.elector.isLeader() || b.elector.isLeader(), { ...POLL, what: 'a leader' });
    const leaderReplica = a.elector.isLeader() ? a : b;
    const follower = leaderReplica === a ? b : a;
    const root = await pebble.rootPem();
    const followerDoor = await startFrontDoor(defaultCert, () => follower.manager);
    doors.push(followerDoor);

    // First handshake: the default certificate (it never waits for issuance).
    expect(await subjectOf(followerDoor.tlsPort, 'one.od.example.test', root)).toEqual({
      names: 'DNS:default.invalid',
      trusted: false,
      fingerprint: expect.any(String),
    });
    // A name outside the allow list is refused on the follower: nothing is recorded.
    await subjectOf(followerDoor.tlsPort, 'evil.example.test', root);
    const hs = await eventually(
      async () => {
        const h = await subjectOf(followerDoor.tlsPort, 'one.od.example.test', root);
        return h.names === 'DNS:one.od.example.test' && h;
      },
      { ...POLL, what: 'the follower serving the on-demand certificate' },
    );
    expect(hs).toEqual({ names: 'DNS:one.od.example.test', trusted: true, fingerprint: expect.any(String) });
    // The leader ordered it (once); the follower only recorded the wish.
    expect(counter(leaderReplica.stats, 'orders')).toBe(1);
    expect(counter(follower.stats, 'orders')).toBe(0);
    expect(counter(follower.stats, 'on_demand/refused')).toBe(1);
    const reader = createKubeClient(urlConfig(api.url));
    const wanted = await reader.get(SECRET_V1, 'edge', acmeSecretName('wanted', 'one.od.example.test'));
    const evil = await reader.get(SECRET_V1, 'edge', acmeSecretName('wanted', 'evil.example.test'));
    await reader.close();
    expect(wanted?.metadata?.labels).toEqual({ 'switchyard.io/acme': 'wanted' });
    expect(wanted?.metadata?.annotations).toEqual({ 'switchyard.io/acme-host': 'one.od.example.test' });
    expect(evil).toBeUndefined();
    expect(leaderReplica.manager.view().map((v) => [v.host, v.origin])).toEqual([
      ['one.od.example.test', 'onDemand'],
    ]);
  }, 60_000);

  it('a certificate Secret without tls.key is a storage error naming it', async () => {
    const client = createKubeClient(urlConfig(api.url));
    await client.create(SECRET_V1, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: acmeSecretName('certificate', 'broken.example.test'), namespace: 'edge' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': Buffer.from('x').toString('base64') },
    });
    const storage = kubernetesSecretStorage({ client, namespace: 'edge' });
    const err = await storage.loadCertificate('broken.example.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as AcmeError).code).toBe('SY_ERR_ACME_STORAGE');
    expect((err as Error).message).toBe(
      'acme storage: cannot use Secret edge/switchyard-acme-broken.example.test: it needs both tls.crt and tls.key',
    );
    expect(await storage.loadCertificate('absent.example.test')).toBeUndefined();
    await client.close();
  });
});
