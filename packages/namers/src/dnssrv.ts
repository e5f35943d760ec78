/**
 * `io.l5d.dnssrv`: endpoints from DNS SRV records, polled every `refreshIntervalSeconds` —
 * Linkerd's `DnsSrvNamer`. A lookup of `/<srv-name>[/<residual…>]` (e.g.
 * `/_http._tcp.web.example.com`) binds to the targets of the name's SRV records, each resolved
 * to its IP addresses, on the record's port, weighted by the record's weight.
 *
 * NXDOMAIN, no SRV records, or no target that resolves are `neg` (so a dtab `|` falls through,
 * as in Linkerd). Any other failure (timeout, SERVFAIL, refused) keeps the last good set; with
 * no good set yet it is a `failed` state.
 */
import { channel } from 'node:diagnostics_channel';
import { Resolver } from 'node:dns/promises';
import type {
  ActivityState,
  Address,
  Clock,
  Counter,
  Namer,
  Stats,
  TimerHandle,
  Var as VarType,
} from '@switchyard/core';
import {
  Activity,
  Addr,
  address,
  type DnsLookup,
  Name,
  SwitchyardError,
  systemClock,
  systemDnsLookup,
  Var,
} from '@switchyard/core';
import { NameTree, Path } from '@switchyard/dtab';

/** The Linkerd kind of {@link createDnsSrvNamer}. */
export const DNSSRV_KIND = 'io.l5d.dnssrv';

/**
 * Published on `switchyard:namers:dnssrvError` when a refresh fails and the last good set is kept:
 * `{ name, error }`.
 */
export const DNSSRV_ERROR_CHANNEL = 'switchyard:namers:dnssrvError';
const errorChannel = channel(DNSSRV_ERROR_CHANNEL);

/** Codes owned by the `io.l5d.dnssrv` namer. */
export type DnsSrvNamerErrorCode = 'SY_ERR_NAMERS_DNSSRV_CONFIG' | 'SY_ERR_NAMERS_DNSSRV_LOOKUP';

/** A bad option of `createDnsSrvNamer`. */
export class DnsSrvNamerConfigError extends SwitchyardError<'SY_ERR_NAMERS_DNSSRV_CONFIG'> {
  static readonly code = 'SY_ERR_NAMERS_DNSSRV_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_NAMERS_DNSSRV_CONFIG', `io.l5d.dnssrv: ${message}`, options);
  }
}

/** An SRV lookup failed (not NXDOMAIN) before any good answer was seen. */
export class DnsSrvLookupError extends SwitchyardError<'SY_ERR_NAMERS_DNSSRV_LOOKUP'> {
  static readonly code = 'SY_ERR_NAMERS_DNSSRV_LOOKUP';
  /** The SRV name looked up. */
  readonly srvName: string;
  constructor(srvName: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_NAMERS_DNSSRV_LOOKUP', `SRV lookup of ${srvName} failed${why}`, options);
    this.srvName = srvName;
  }
}

/** One SRV record, as node:dns `resolveSrv` returns it. */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** What the namer needs from a resolver; a `dns.promises.Resolver` is one. */
export interface DnsSrvResolver {
  resolveSrv(name: string): Promise<readonly SrvRecord[]>;
}

/** Options of {@link createDnsSrvNamer}. */
export interface DnsSrvNamerOptions {
  /** The mount prefix, without `#`. Default `/io.l5d.dnssrv`. */
  readonly prefix?: string | Path;
  /** Seconds between lookups of each observed name. Default 5. */
  readonly refreshIntervalSeconds?: number;
  /** DNS servers (`ip` or `ip:port`) for the default resolver. Default: the system's. */
  readonly dnsHosts?: readonly string[];
  /** Replaces the resolver (tests pass a fake). Takes precedence over `dnsHosts`. */
  readonly dnsResolver?: DnsSrvResolver;
  /** Resolves SRV targets to IPs. Default core's `systemDnsLookup` (`dns.lookup`, all addresses). */
  readonly lookup?: DnsLookup;
  /** Schedules refreshes. Default `systemClock`. */
  readonly clock?: Clock;
  /** Counters `lookup_successes_total`, `lookup_failures_total`, `lookup_zero_results_total`. */
  readonly stats?: Stats;
}

/** The `io.l5d.dnssrv` namer. */
export interface DnsSrvNamer extends Namer {
  readonly kind: typeof DNSSRV_KIND;
  /** The mount prefix, without `#`. */
  readonly prefix: Path;
}

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

function sameAddresses(a: readonly Address[], b: readonly Address[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.host !== y.host || x.port !== y.port || x.weight !== y.weight) return false;
  }
  return true;
}

/**
 * Builds `io.l5d.dnssrv`. Weights: each address gets its record's SRV weight; when every record
 * has weight 0 (RFC 2782's "no preference") all get 1. Priority is not used for selection (as
 * in Linkerd) and is kept in each address's `meta.priority`, with `meta.target`.
 * @throws {DnsSrvNamerConfigError} on a bad `prefix` or `refreshIntervalSeconds`.
 */
export function createDnsSrvNamer(options: DnsSrvNamerOptions = {}): DnsSrvNamer {
  let prefix: Path;
  try {
    prefix =
      typeof options.prefix === 'string' ? Path.read(options.prefix) : (options.prefix ?? ['io.l5d.dnssrv']);
  } catch (err) {
    throw new DnsSrvNamerConfigError(`prefix: ${(err as Error).message}`, { cause: err });
  }
  if (prefix[0] === '#') prefix = prefix.slice(1);
  const idPrefix: Path = Object.freeze(['#', ...prefix]);
  const refreshSeconds = options.refreshIntervalSeconds ?? 5;
  if (!(refreshSeconds > 0) || !Number.isFinite(refreshSeconds)) {
    throw new DnsSrvNamerConfigError(
      `refreshIntervalSeconds must be a positive number, got ${refreshSeconds}`,
    );
  }
  const refreshMs = refreshSeconds * 1000;
  let resolver = options.dnsResolver;
  if (resolver === undefined) {
    const r = new Resolver();
    if (options.dnsHosts !== undefined) {
      try {
        r.setServers([...options.dnsHosts]);
      } catch (err) {
        throw new DnsSrvNamerConfigError(`dnsHosts: ${(err as Error).message}`, { cause: err });
      }
    }
    resolver = r;
  }
  const srv = resolver;
  const hostLookup = options.lookup ?? systemDnsLookup;
  const clock = options.clock ?? systemClock;
  const successes: Counter | undefined = options.stats?.counter('lookup_successes_total');
  const failures: Counter | undefined = options.stats?.counter('lookup_failures_total');
  const zero: Counter | undefined = options.stats?.counter('lookup_zero_results_total');

  /** One lookup: the address set, `neg`, or an error to keep the last good set over. */
  async function resolveOnce(name: string): Promise<readonly Address[] | 'neg' | Error> {
    let records: readonly SrvRecord[];
    try {
      records = await srv.resolveSrv(name);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && NOT_FOUND.has(code)) return 'neg';
      return err instanceof Error ? err : new Error(String(err));
    }
    const allZero = records.every((r) => r.weight === 0);
    const targets = [...new Set(records.map((r) => r.name))];
    const ips = new Map<string, readonly string[]>();
    await Promise.all(
      targets.map(async (t) => {
        try {
          ips.set(t, await hostLookup(t));
        } catch {
          ips.set(t, []); // Linkerd skips targets that do not resolve
        }
      }),
    );
    const out: Address[] = [];
    for (const r of records) {
      for (const ip of ips.get(r.name) ?? []) {
        out.push(
          address(ip, r.port, {
            weight: allZero ? 1 : r.weight,
            meta: Object.freeze({ priority: r.priority, target: r.name }),
          }),
        );
      }
    }
    if (out.length === 0) return 'neg';
    out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port || a.weight - b.weight));
    return out;
  }

  /** The live Addr of an SRV name; polled while observed. */
  function watch(name: string): VarType<Addr> {
    // Outside `start`: what observers last saw survives a stop/restart, so an unchanged answer
    // after a restart is not re-emitted.
    let current: Addr = Addr.pending;
    return Var.async<Addr>(Addr.pending, (update) => {
      let live = true;
      let timer: TimerHandle | undefined;
      const set = (next: Addr) => {
        if (
          next.kind === 'bound' &&
          current.kind === 'bound' &&
          sameAddresses(next.addresses, current.addresses)
        )
          return;
        if (next === current) return;
        current = next;
        update(next);
      };
      const tick = async () => {
        const result = await resolveOnce(name);
        if (!live) return;
        if (result === 'neg') {
          zero?.incr();
          set(Addr.neg);
        } else if (result instanceof Error) {
          failures?.incr();
          if (errorChannel.hasSubscribers) errorChannel.publish({ name, error: result });
          // Keep the last good set; fail only when there has never been one.
          if (current.kind !== 'bound') set(Addr.failed(new DnsSrvLookupError(name, { cause: result })));
        } else {
          successes?.incr();
          set(Addr.bound(result));
        }
        timer = clock.setTimeout(() => void tick(), refreshMs);
      };
      void tick();
      return () => {
        live = false;
        if (timer !== undefined) clock.clearTimeout(timer);
      };
    });
  }

  // One polled Addr per SRV name, shared by every lookup (and every residual) of that name.
  const addrs = new Map<string, VarType<Addr>>();
  const NEG = Activity.ok<NameTree<Name>>(NameTree.neg);

  function lookup(path: Path): Activity<NameTree<Name>> {
    const srvName = path[0];
    if (srvName === undefined || srvName === '') return Activity.value<NameTree<Name>>(NameTree.neg);
    const residual = path.slice(1);
    let addr = addrs.get(srvName);
    if (addr === undefined) {
      addr = watch(srvName);
      addrs.set(srvName, addr);
    }
    const leaf = Activity.ok<NameTree<Name>>(
      NameTree.leaf(Name.bound(Object.freeze([...idPrefix, srvName]), addr, Object.freeze(residual))),
    );
    const states = Var.map(addr, (a): ActivityState<NameTree<Name>> => {
      switch (a.kind) {
        case 'bound':
          return leaf;
        case 'neg':
          return NEG;
        case 'pending':
          return Activity.pendingState;
        case 'failed':
          return Activity.failed(a.error);
      }
    });
    return Activity.fromVar(states);
  }

  return Object.freeze({ kind: DNSSRV_KIND, prefix: Object.freeze([...prefix]), lookup });
}
