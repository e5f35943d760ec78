/**
 * `--workers 2` with Lease elections (the Ingress and Gateway status writers'), against the test
 * API server: the pod campaigns once per Lease (from the primary), exactly one worker is told it
 * leads, status is written once, and when that worker is killed another worker takes over at
 * once under the same holder identity instead of waiting for the Lease to expire.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startPod } from './binary.js';
import { eventually } from './http-client.js';

const LEASES = ['ingress-status', 'switchyard-gateway-status'];
const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/default/leases/${name}`;

function ingress(name: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'shop', name, annotations: { 'kubernetes.io/ingress.class': 'linkerd' } },
    spec: {
      rules: [
        {
          host: `${name}.test`,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  } as KubeObject;
}

/** The `election` lines the workers logged: which worker pid leads which Lease, in order. */
function elections(stderr: string): { lease: string; leader: boolean; pid: number }[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes('"msg":"election"'))
    .map((line) => JSON.parse(line) as { lease: string; leader: boolean; pid: number });
}

describe('--workers 2 with Lease elections: one candidate per pod', () => {
  let dir: string;
  let api: FakeKubeApi;
  let binary: RunningBinary;
  const requests = (method: string, path: string, from = 0) =>
    api.requests.slice(from).filter((r) => r.method === method && r.path === path).length;
  const statusWrites = (name: string, from = 0) =>
    api.requests
      .slice(from)
      .filter(
        (r) =>
          r.method !== 'GET' &&
          r.path === `/apis/networking.k8s.io/v1/namespaces/shop/ingresses/${name}/status`,
      ).length;
  const holder = (name: string) =>
    api.get<KubeObject & { spec?: { holderIdentity?: string } }>('Lease', 'default', name)?.spec
      ?.holderIdentity;
  const published = (name: string) =>
    (
      api.get<KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(
        'Ingress',
        'shop',
        name,
      )?.status?.loadBalancer?.ingress ?? []
    ).map((i) => i.ip);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-workers-elections-'));
    api = await startFakeKubeApi();
    // A Lease lasts 10 s: a takeover well under that is the pod handing over, not an expiry.
    const timings = 'leaseDurationMs: 10000, renewDeadlineMs: 5000, retryPeriodMs: 250';
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {ip: 127.0.0.1, port: 0, shutdownGraceMs: 60000}
routers:
- protocol: http
  identifier:
  - kind: io.l5d.ingress
    host: 127.0.0.1
    port: ${api.port}
    statusAddress: {ip: 10.0.0.7}
    statusLeaderElection: {namespace: default, name: ingress-status, ${timings}}
  - kind: io.l5d.httproute
    host: 127.0.0.1
    port: ${api.port}
    status: {${timings}}
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: /svc => /$/inet/127.0.0.1/9
`,
    );
    binary = await startPod(join(dir, 'linker.yaml'), { args: ['--workers', '2'] });
  }, 90_000);

  afterAll(async () => {
    await binary?.stop();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('campaigns once per Lease for the pod and tells exactly one worker it leads', async () => {
    await eventually(async () => LEASES.every((l) => holder(l) !== undefined), 20_000);
    const from = api.requests.length;
    // Eight retry periods: a second candidate would read the Lease each period without writing it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const lease of LEASES) {
      const gets = requests('GET', leasePath(lease), from);
      const puts = requests('PUT', leasePath(lease), from);
      // One candidate: every round is a read then a renewal (one round may straddle the window).
      expect(puts, lease).toBeGreaterThanOrEqual(3);
      expect(gets - puts, `${lease}: ${gets} GET, ${puts} PUT`).toBeLessThanOrEqual(1);
      // The primary campaigned (its log names the identity the Lease holds).
      expect(binary.stderr()).toContain(`"identity":"${holder(lease)}","leader":true`);
      const told = elections(binary.stderr()).filter((e) => e.lease === `default/${lease}`);
      expect(told.filter((e) => e.leader).length, lease).toBe(1);
    }
  }, 30_000);

  it('writes an Ingress status once, from one worker', async () => {
    const from = api.requests.length;
    api.apply(ingress('web'));
    await eventually(async () => published('web').includes('10.0.0.7'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(statusWrites('web', from)).toBe(1);
  }, 30_000);

  it('hands leadership to the other worker at once when the leading one is killed, under the same identity', async () => {
    const lease = 'default/ingress-status';
    const leading = elections(binary.stderr()).filter((e) => e.lease === lease && e.leader);
    const victim = leading.at(-1)!.pid;
    const identity = holder('ingress-status');
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    // Another worker is told it leads, well before the 10 s Lease could have expired.
    await eventually(
      async () => elections(binary.stderr()).some((e) => e.lease === lease && e.leader && e.pid !== victim),
      8_000,
    );
    // And it writes: a new Ingress gets its status while the Lease stays the pod's.
    const from = api.requests.length;
    api.apply(ingress('shop'));
    await eventually(async () => published('shop').includes('10.0.0.7'), 8_000);
    expect(Date.now() - killedAt).toBeLessThan(9_000);
    expect(statusWrites('shop', from)).toBe(1);
    expect(holder('ingress-status')).toBe(identity);
  }, 30_000);

  it('drains a worker that is still starting on SIGTERM, instead of waiting for the kill timer', async () => {
    const pids = elections(binary.stderr()).map((e) => e.pid);
    const victim = pids.at(-1)!;
    const exits = () => binary.stderr().split('"msg":"worker exited"').length - 1;
    const before = exits();
    process.kill(victim, 'SIGKILL');
    // The replacement is forked 100 ms after the exit and takes longer than that to start.
    await eventually(async () => exits() === before + 1, 8_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) =>
      binary.child.once('exit', (code) => resolve(code)),
    );
    const sentAt = Date.now();
    binary.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The kill timer is shutdownGraceMs + 5 s = 65 s; nothing is in flight, so draining is quick.
    expect(Date.now() - sentAt).toBeLessThan(40_000);
    // Both Leases were released on the way out (holder cleared), as the single process does.
    for (const lease of LEASES) expect(holder(lease) ?? '', lease).toBe('');
  }, 90_000);
});
