import { createKubeClient, type LeaderElector, type LeaderElectorOptions, urlConfig } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { type ElectionPort, relayedLeaderElector, serveElections } from './elections.js';

/** Two ends of an in-process channel, delivering asynchronously like IPC. */
function channel(): { primary: ElectionPort; worker: ElectionPort } {
  const listeners = { primary: new Set<(m: unknown) => void>(), worker: new Set<(m: unknown) => void>() };
  const end = (self: keyof typeof listeners, other: keyof typeof listeners): ElectionPort => ({
    send: (message) => {
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const l of listeners[other]) l(copy);
      });
    },
    onMessage: (listener) => {
      listeners[self].add(listener);
      return () => listeners[self].delete(listener);
    },
  });
  return { primary: end('primary', 'worker'), worker: end('worker', 'primary') };
}

/** An elector the test decides for; records how it was started and closed. */
function fakeElector(options: LeaderElectorOptions) {
  let leader = false;
  const listeners = new Set<(leader: boolean) => void>();
  const elector: LeaderElector & {
    set(next: boolean): void;
    closed: boolean;
    options: LeaderElectorOptions;
  } = {
    options,
    closed: false,
    isLeader: () => leader,
    holder: () => (leader ? options.identity : 'another-pod'),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      elector.closed = true;
    },
    set(next) {
      leader = next;
      for (const l of listeners) l(next);
    },
  };
  return elector;
}

// Never asked: the fake electors do not talk to an API server.
const client = createKubeClient(urlConfig('http://127.0.0.1:1'));
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('serveElections + relayedLeaderElector', () => {
  it('campaigns once for every worker and tells exactly one it leads, handing over when it leaves', async () => {
    const started: ReturnType<typeof fakeElector>[] = [];
    const server = serveElections({
      electorFor: (o) => {
        const e = fakeElector(o);
        started.push(e);
        return e;
      },
    });
    const workers = [channel(), channel(), channel()];
    const detach = workers.map((c) => server.attach(c.primary));
    const electors = workers.map((c, i) =>
      relayedLeaderElector(c.worker, { client, namespace: 'default', name: 'status', identity: `w${i}` }),
    );
    await settle();
    expect(started.length).toBe(1);
    expect(started[0]!.options.identity).toBe('w0');
    expect(electors.map((e) => e.isLeader())).toEqual([false, false, false]);

    started[0]!.set(true);
    await settle();
    expect(electors.map((e) => e.isLeader())).toEqual([true, false, false]);
    expect(electors[2]!.holder()).toBe('w0');

    // The leading worker is gone (its process exited): the next one leads at once.
    const told: boolean[] = [];
    electors[1]!.onChange((leader) => told.push(leader));
    detach[0]!();
    await settle();
    expect(electors.slice(1).map((e) => e.isLeader())).toEqual([true, false]);
    expect(told).toEqual([true]);

    // The pod loses the Lease: nobody leads (the first worker is gone and hears nothing).
    started[0]!.set(false);
    await settle();
    expect(electors.slice(1).map((e) => e.isLeader())).toEqual([false, false]);
    expect(electors[1]!.holder()).toBe('another-pod');

    // The last worker out closes the election (a leader releases its Lease).
    await electors[1]!.close();
    await electors[2]!.close();
    await settle();
    expect(started[0]!.closed).toBe(true);
    expect(server.size).toBe(0);
    await server.close();
  });

  it('runs one election per Lease name and API server', async () => {
    const started: LeaderElectorOptions[] = [];
    const server = serveElections({
      electorFor: (o) => {
        started.push(o);
        return fakeElector(o);
      },
    });
    const c = channel();
    server.attach(c.primary);
    const other = createKubeClient(urlConfig('http://127.0.0.1:2'));
    relayedLeaderElector(c.worker, { client, namespace: 'default', name: 'a', identity: 'x' });
    relayedLeaderElector(c.worker, { client, namespace: 'default', name: 'a', identity: 'y' });
    relayedLeaderElector(c.worker, { client, namespace: 'default', name: 'b', identity: 'x' });
    relayedLeaderElector(c.worker, { client: other, namespace: 'default', name: 'a', identity: 'x' });
    await settle();
    expect(started.map((o) => `${o.client.config.server} ${o.name}`)).toEqual([
      'http://127.0.0.1:1 a',
      'http://127.0.0.1:1 b',
      'http://127.0.0.1:2 a',
    ]);
    expect(server.size).toBe(3);
    await server.close();
    await other.close();
  });
});
