/**
 * Gateway API status from two running binaries against the Kubernetes API test server: they
 * elect one writer through a `coordination.k8s.io` Lease; only the holder writes status (a
 * replica that is not the holder leaves a new route's status alone), and when the holder stops
 * (frozen with SIGSTOP, so it never releases the Lease) the other takes the Lease over and writes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HTTPRoute, KubeObject } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';

const G = 'gateway.networking.k8s.io/v1';
const CONTROLLER = 'switchyard.dev/gateway-controller';

const objects: KubeObject[] = [
  { apiVersion: G, kind: 'GatewayClass', metadata: { name: 'sy' }, spec: { controllerName: CONTROLLER } },
  {
    apiVersion: G,
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'default' },
    spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ports: [{ port: 80 }] },
  },
] as unknown as KubeObject[];

const route = (name: string): KubeObject =>
  ({
    apiVersion: G,
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [`${name}.test`],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    },
  }) as unknown as KubeObject;

describe('io.l5d.httproute status from two replicas (Lease election)', () => {
  let api: FakeKubeApi;
  let dir: string;
  const binaries: RunningBinary[] = [];

  beforeAll(async () => {
    api = await startFakeKubeApi();
    dir = await mkdtemp(join(tmpdir(), 'sy-gw-status-'));
    const [host, port] = new URL(api.url).host.split(':');
    await writeFile(
      join(dir, 'config.yaml'),
      `admin: {port: 0}
routers:
- protocol: http
  identifier:
    kind: io.l5d.httproute
    host: ${host}
    port: ${port}
    status: {leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200}
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc => /$/inet/127.0.0.1/1
`,
    );
    for (const o of objects) api.apply(o);
    api.apply(route('one'));
  });

  afterAll(async () => {
    for (const b of binaries) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const holder = () =>
    (api.get<KubeObject & { spec?: { holderIdentity?: string } }>(
      'Lease',
      'default',
      'switchyard-gateway-status',
    )?.spec?.holderIdentity ?? '') as string;
  const holds = (b: RunningBinary) => holder().includes(`_${b.child.pid}_`);
  const accepted = (name: string) =>
    api
      .get<HTTPRoute>('HTTPRoute', 'default', name)
      ?.status?.parents?.find((p) => p.controllerName === CONTROLLER)
      ?.conditions.map((c) => `${c.type}=${c.status}`)
      .join(' ');

  it('only the Lease holder writes, and the other replica takes over when it stops', async () => {
    const a = await startBinary(join(dir, 'config.yaml'));
    binaries.push(a);
    await expect.poll(() => holds(a), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => accepted('one'), { timeout: 10_000 }).toBe('Accepted=True ResolvedRefs=True');

    const b = await startBinary(join(dir, 'config.yaml'));
    binaries.push(b);
    // b is up and watching; a still holds the Lease.
    await new Promise((r) => setTimeout(r, 500));
    expect(holds(a)).toBe(true);

    // Freeze the holder: it can neither write nor renew nor release the Lease.
    a.child.kill('SIGSTOP');
    api.apply(route('two'));
    // b sees the new route at once but is not the holder: it must not write (the Lease lasts 2 s).
    await new Promise((r) => setTimeout(r, 700));
    expect(accepted('two')).toBeUndefined();
    expect(holds(a)).toBe(true);

    // Once the Lease has expired, b takes it and writes the status a left unwritten.
    await expect.poll(() => holds(b), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => accepted('two'), { timeout: 10_000 }).toBe('Accepted=True ResolvedRefs=True');
    a.child.kill('SIGKILL');
    await b.stop();
  }, 40_000);
});
