/**
 * Leader election with real processes against the testkit API server: several candidates, one
 * leader; SIGKILL the leader and another takes over within the lease duration; a graceful
 * shutdown releases the lease so a successor need not wait. Plus the in-process contract
 * (Lease fields, onChange, validation).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createKubeClient,
  createLeaderElector,
  KubeLeaderElectionError,
  type Lease,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const ELECTOR = fileURLToPath(new URL('./fixtures/elector.ts', import.meta.url));
// tsx resolves from the package directory (a devDependency of @switchyard/k8s).
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const LEASE_MS = 2_000;
const RENEW_MS = 1_500;
const RETRY_MS = 250;

let api: FakeKubeApi | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await api?.close();
  api = undefined;
});

interface Line {
  identity: string;
  leader?: boolean;
  started?: boolean;
  at?: number;
}

function candidate(server: string, identity: string, lines: Line[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=switchyard:source',
      '--import',
      'tsx',
      ELECTOR,
      server,
      identity,
      String(LEASE_MS),
      String(RENEW_MS),
      String(RETRY_MS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: PACKAGE_DIR },
  );
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
  children.push(child);
  return child;
}

async function waitUntil(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Identities whose last reported state is leader. */
function leaders(lines: readonly Line[]): string[] {
  const state = new Map<string, boolean>();
  for (const l of lines) if (l.leader !== undefined) state.set(l.identity, l.leader);
  return [...state].filter(([, v]) => v).map(([k]) => k);
}

describe('leader election across processes', () => {
  it('one leader; SIGKILL it and another takes over within the lease duration; SIGTERM releases at once', {
    timeout: 90_000,
  }, async () => {
    api = await startFakeKubeApi();
    const lines: Line[] = [];
    const procs = new Map(['a', 'b', 'c'].map((id) => [id, candidate(api!.url, id, lines)]));
    await waitUntil(() => lines.filter((l) => l.started).length === 3, 60_000);
    await waitUntil(() => leaders(lines).length === 1, 10_000);
    // Stable: over a few renewals nobody else claims it.
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    const first = leaders(lines);
    expect(first).toHaveLength(1);
    const lease = api.get<Lease>('Lease', 'default', 'switchyard-test')!;
    expect(lease.spec?.holderIdentity).toBe(first[0]);
    expect(lease.spec?.leaseDurationSeconds).toBe(LEASE_MS / 1000);
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    // Crash: no release, so a successor must wait for the lease to expire — but no longer.
    const killedAt = Date.now();
    procs.get(first[0]!)!.kill('SIGKILL');
    await waitUntil(() => leaders(lines).some((id) => id !== first[0]), LEASE_MS * 3);
    const second = leaders(lines).filter((id) => id !== first[0]);
    expect(second).toHaveLength(1);
    const takeover = lines.find((l) => l.identity === second[0] && l.leader)!.at! - killedAt;
    expect(takeover).toBeLessThan(LEASE_MS + 2 * RETRY_MS * 2.2 + 500);
    const after = api.get<Lease>('Lease', 'default', 'switchyard-test')!;
    expect(after.spec?.holderIdentity).toBe(second[0]);
    expect(after.spec?.leaseTransitions).toBe((lease.spec?.leaseTransitions ?? 0) + 1);

    // Graceful: close() releases; the last candidate takes over well before the lease would expire.
    const last = [...procs.keys()].find((id) => id !== first[0] && id !== second[0])!;
    const stoppedAt = Date.now();
    const exited = new Promise((r) => procs.get(second[0]!)!.on('exit', r));
    procs.get(second[0]!)!.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitUntil(() => leaders(lines).includes(last), LEASE_MS * 3);
    const handover = lines.find((l) => l.identity === last && l.leader)!.at! - stoppedAt;
    expect(handover).toBeLessThan(LEASE_MS);
  });
});

describe('createLeaderElector', () => {
  it('writes the Lease fields, reports changes, and releases on close', async () => {
    api = await startFakeKubeApi();
    const client = createKubeClient(urlConfig(api.url));
    const elector = createLeaderElector({
      client,
      namespace: 'default',
      name: 'lock',
      identity: 'me',
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 100,
    });
    const changes: boolean[] = [];
    elector.onChange((l) => changes.push(l));
    await waitUntil(() => elector.isLeader(), 5000);
    const lease = api.get<Lease>('Lease', 'default', 'lock')!;
    expect(lease.spec).toMatchObject({ holderIdentity: 'me', leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(lease.spec?.acquireTime).toBe(lease.spec?.renewTime);
    await waitUntil(
      () => api!.get<Lease>('Lease', 'default', 'lock')!.spec?.renewTime !== lease.spec?.renewTime,
      5000,
    );
    const renewed = api.get<Lease>('Lease', 'default', 'lock')!;
    expect(renewed.spec?.acquireTime).toBe(lease.spec?.acquireTime); // renewals keep acquireTime
    expect(elector.holder()).toBe('me');
    await elector.close();
    expect(changes).toEqual([true, false]);
    expect(api.get<Lease>('Lease', 'default', 'lock')!.spec?.holderIdentity).toBe('');
    await client.close();
  });

  it('rejects inconsistent timings, naming the options', async () => {
    api = await startFakeKubeApi();
    const client = createKubeClient(urlConfig(api.url));
    const base = { client, namespace: 'default', name: 'x', identity: 'me' };
    expect(() => createLeaderElector({ ...base, leaseDurationMs: 5000, renewDeadlineMs: 5000 })).toThrow(
      KubeLeaderElectionError,
    );
    expect(() => createLeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(
      /renewDeadlineMs \(2000\) must be greater than retryPeriodMs × 1.2/,
    );
    expect(() => createLeaderElector({ ...base, identity: '' })).toThrow(/identity/);
    await client.close();
  });
});
