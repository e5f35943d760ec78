/**
 * Lease elections once per pod under `--workers N`. Without this each worker would campaign for
 * every Lease on its own (N candidates per pod, N × the Lease traffic) and, in the pod holding
 * the Lease, exactly one worker would write status while its siblings' identities contend.
 *
 * The primary runs one `createLeaderElector` per (API server, namespace, Lease name) for as long
 * as any worker wants it, and while the pod holds the Lease it tells exactly one of those workers
 * "you lead" (the one that asked first and is still there); the others are told they do not.
 * When that worker exits or closes its elector (a reload rebuilt the kind, a drain), the next one
 * is told at once, so a worker restart hands status writing over without waiting for the Lease
 * to expire. When the last worker leaves, the primary releases the Lease (as the single process
 * does on close).
 *
 * The messages are plain data on the cluster IPC channel, discriminated by `op`:
 * worker → primary `join` (an id local to the worker, the API connection and the election's
 * options) and `leave`; primary → worker `state` (leader or not, and the holder last observed).
 * The pod campaigns with the identity and timings of the first worker that asked.
 */
import type { Dispose } from '@switchyard/core';
import {
  createKubeClient,
  createLeaderElector,
  type KubeClient,
  type KubeConnectionConfig,
  type LeaderElector,
  type LeaderElectorOptions,
} from '@switchyard/k8s';

/** One election message, discriminated by `op`. */
export type ElectionMessage =
  | {
      readonly kind: 'elections';
      readonly op: 'join';
      readonly id: number;
      readonly connection: KubeConnectionConfig;
      readonly namespace: string;
      readonly name: string;
      readonly identity: string;
      readonly leaseDurationMs?: number | undefined;
      readonly renewDeadlineMs?: number | undefined;
      readonly retryPeriodMs?: number | undefined;
    }
  | { readonly kind: 'elections'; readonly op: 'leave'; readonly id: number }
  | {
      readonly kind: 'elections';
      readonly op: 'state';
      readonly id: number;
      readonly leader: boolean;
      readonly holder: string | undefined;
    };

/** One end of the IPC channel, as the informer relay's `RelayPort`. */
export interface ElectionPort {
  send(message: ElectionMessage): void;
  onMessage(listener: (message: unknown) => void): Dispose;
}

function isElectionMessage(value: unknown): value is ElectionMessage {
  const m = value as { kind?: unknown; op?: unknown } | null;
  return typeof m === 'object' && m !== null && m.kind === 'elections' && typeof m.op === 'string';
}

/** The primary side, see {@link serveElections}. */
export interface ElectionsServer {
  /** Serves the worker at the other end of `port`; the dispose leaves all its elections (call it when the worker is gone). */
  attach(port: ElectionPort): Dispose;
  /** Elections running (one per API server, namespace and Lease name). */
  readonly size: number;
  /** Stops every election (a holder releases its Lease) and closes the clients. */
  close(): Promise<void>;
}

interface Member {
  readonly port: ElectionPort;
  readonly id: number;
  /** What this member was last told. */
  told: { leader: boolean; holder: string | undefined } | undefined;
}

interface Election {
  readonly elector: LeaderElector;
  /** In order of joining: the first still there leads while the pod holds the Lease. */
  readonly members: Member[];
  leader: Member | undefined;
  stop: Dispose;
}

/** What makes two connections one client (as the informer relay keys them). */
function connectionKey(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}

/**
 * The primary side: campaigns once per (API server, namespace, name) for every attached worker
 * and relays leadership to exactly one of them. `electorFor` overrides how an election starts
 * (tests); by default one client per API connection and `createLeaderElector`.
 */
export function serveElections(
  options: {
    readonly electorFor?: (options: LeaderElectorOptions) => LeaderElector;
    /** An election that could not start (the worker is never told it leads); default ignored. */
    readonly onError?: (error: unknown, lease: string) => void;
  } = {},
): ElectionsServer {
  const clients = new Map<string, KubeClient>();
  const elections = new Map<string, Election>();
  const start = options.electorFor ?? createLeaderElector;

  /** Tells each member what changed for it: at most one leader, and only while the pod holds the Lease. */
  const settle = (election: Election) => {
    const { elector, members } = election;
    if (!elector.isLeader()) election.leader = undefined;
    else if (election.leader === undefined || !members.includes(election.leader))
      election.leader = members[0];
    const holder = elector.holder();
    for (const m of members) {
      const leader = m === election.leader;
      if (m.told?.leader === leader && m.told.holder === holder) continue;
      m.told = { leader, holder };
      m.port.send({ kind: 'elections', op: 'state', id: m.id, leader, holder });
    }
  };

  const join = (port: ElectionPort, message: Extract<ElectionMessage, { op: 'join' }>): string => {
    const key = JSON.stringify([connectionKey(message.connection), message.namespace, message.name]);
    let election = elections.get(key);
    if (election === undefined) {
      const connection = connectionKey(message.connection);
      let client = clients.get(connection);
      if (client === undefined) {
        client = createKubeClient(message.connection);
        clients.set(connection, client);
      }
      const elector = start({
        client,
        namespace: message.namespace,
        name: message.name,
        identity: message.identity,
        ...(message.leaseDurationMs === undefined ? {} : { leaseDurationMs: message.leaseDurationMs }),
        ...(message.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: message.renewDeadlineMs }),
        ...(message.retryPeriodMs === undefined ? {} : { retryPeriodMs: message.retryPeriodMs }),
      });
      const created: Election = { elector, members: [], leader: undefined, stop: () => undefined };
      created.stop = elector.onChange(() => settle(created));
      election = created;
      elections.set(key, election);
    }
    election.members.push({ port, id: message.id, told: undefined });
    settle(election);
    return key;
  };

  const leave = (key: string, port: ElectionPort, id: number) => {
    const election = elections.get(key);
    if (election === undefined) return;
    const at = election.members.findIndex((m) => m.port === port && m.id === id);
    if (at >= 0) election.members.splice(at, 1);
    if (election.members.length > 0) {
      settle(election);
      return;
    }
    // Nobody wants it any more: release the Lease so another pod need not wait for expiry.
    elections.delete(key);
    election.stop();
    void election.elector.close();
  };

  return {
    attach(port) {
      const joined = new Map<number, string>();
      const off = port.onMessage((message) => {
        if (!isElectionMessage(message)) return;
        if (message.op === 'join' && !joined.has(message.id)) {
          try {
            joined.set(message.id, join(port, message));
          } catch (error) {
            // Bad timings are refused by config validation first; never take the primary down.
            options.onError?.(error, `${message.namespace}/${message.name}`);
          }
        } else if (message.op === 'leave') {
          const key = joined.get(message.id);
          joined.delete(message.id);
          if (key !== undefined) leave(key, port, message.id);
        }
      });
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        off();
        for (const [id, key] of joined) leave(key, port, id);
        joined.clear();
      };
    },
    get size() {
      return elections.size;
    },
    async close() {
      const running = [...elections.values()];
      elections.clear();
      await Promise.all(
        running.map((e) => {
          e.stop();
          return e.elector.close();
        }),
      );
      await Promise.all([...clients.values()].map((c) => c.close()));
      clients.clear();
    },
  };
}

let nextId = 1;

/**
 * The worker side: a {@link LeaderElector} whose leadership the primary decides (see
 * {@link serveElections}). It leads only when the primary says so; `close()` leaves the election
 * (the primary hands leadership to another worker, or releases the Lease when none is left).
 */
export function relayedLeaderElector(port: ElectionPort, options: LeaderElectorOptions): LeaderElector {
  const id = nextId++;
  let leader = false;
  let holder: string | undefined;
  let closed = false;
  const listeners = new Set<(leader: boolean) => void>();
  const setLeader = (next: boolean) => {
    if (leader === next) return;
    leader = next;
    for (const l of [...listeners]) {
      try {
        l(next);
      } catch {
        // A faulty listener must not stop the others (as in createLeaderElector).
      }
    }
  };
  const off = port.onMessage((message) => {
    if (!isElectionMessage(message) || message.op !== 'state' || message.id !== id || closed) return;
    holder = message.holder;
    setLeader(message.leader);
  });
  port.send({
    kind: 'elections',
    op: 'join',
    id,
    connection: options.client.config,
    namespace: options.namespace,
    name: options.name,
    identity: options.identity,
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: options.renewDeadlineMs,
    retryPeriodMs: options.retryPeriodMs,
  });
  return {
    isLeader: () => leader,
    holder: () => holder,
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      setLeader(false);
      closed = true;
      off();
      listeners.clear();
      port.send({ kind: 'elections', op: 'leave', id });
    },
  };
}
