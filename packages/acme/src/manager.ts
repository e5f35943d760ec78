/**
 * The ACME manager: keeps one certificate per managed name, ordering from an RFC 8555 CA through
 * `acme-client`, renewing at two thirds of the lifetime, backing off after CA errors, and
 * publishing the valid certificates as a core `CertificateSource` for the SNI store. Only the
 * leader (`isLeader()`) orders; every instance reads the shared storage, so followers serve what
 * the leader issued — at once when the storage can be watched, else at the next poll. A follower
 * takes on-demand names too: it records them in the storage (`requestCertificate`) for the leader.
 * (Over ~300 lines: the order/renew/retire state machine of one name is one concept.)
 */

import { X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import type {
  CertificateSnapshot,
  CertificateSource,
  Clock,
  Dispose,
  Random,
  Stats,
  TimerHandle,
} from '@switchyard/core';
import { nullStats, systemClock } from '@switchyard/core';
import * as acme from 'acme-client';
import type { AlpnChallengeCertificate, ChallengeStore } from './challenges.js';
import { createChallengeStore } from './challenges.js';
import { failedChannel, issuedChannel, refusedChannel } from './channels.js';
import { AcmeError } from './errors.js';
import { normalizeHost } from './host-name.js';
import type { OnDemandOptions, OnDemandPolicy, OnDemandRefusal } from './on-demand.js';
import { createOnDemandPolicy } from './on-demand.js';
import { ariCertId, parseRenewalWindow } from './renewal-info.js';
import type { RenewalOptions, RetryOptions } from './schedule.js';
import { renewalTime, retryDelay } from './schedule.js';
import { type CertificateState, type CertificateStatus, certificateStatus } from './status.js';
import type { CertificateStorage, StorageEvent } from './storage.js';

/** The challenge type used to prove control of a name. */
export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

/** Options of {@link createAcmeManager}. */
export interface AcmeManagerOptions {
  /** The CA's directory URL, e.g. `https://acme-v02.api.letsencrypt.org/directory`. */
  readonly directoryUrl: string;
  /** Must be `true`: the operator agrees to the CA's terms of service. */
  readonly termsOfServiceAgreed: boolean;
  /** Account contact (`mailto:` is added). */
  readonly email?: string;
  readonly storage: CertificateStorage;
  /** Names to keep certificates for from the start. */
  readonly hosts?: readonly string[];
  /** Default `http-01`. The front door must answer the chosen type (see `ChallengeResponder`). */
  readonly challenge?: AcmeChallengeType;
  /** Enables on-demand issuance for names allowed by these rules; absent = disabled. */
  readonly onDemand?: OnDemandOptions;
  /** Only when this returns true does this instance order. Default: always the leader. */
  readonly isLeader?: () => boolean;
  /**
   * Tells the manager when `isLeader()` changes (e.g. a `LeaderElector`'s `onChange`), so a new
   * leader orders at once what is missing or due instead of at its next store poll.
   */
  readonly onLeaderChange?: (listener: (leader: boolean) => void) => Dispose;
  /**
   * PEM CA certificates to trust for the directory's HTTPS (a private CA, e.g. a test pebble).
   * Applies only to requests to the directory's origin.
   */
  readonly directoryCa?: string;
  /**
   * How often (ms) the store is re-read for certificates another instance issued. Default 60 000.
   * A store with `watch` is followed at once; the poll is then only a safety net.
   */
  readonly storagePollMs?: number;
  /** Orders running at once. Default 2. */
  readonly maxConcurrentOrders?: number;
  readonly renewal?: RenewalOptions;
  readonly retry?: RetryOptions;
  /**
   * Counters `orders`, `issued`, `failures`, `on_demand/{queued,refused}`; gauge `managed`; per
   * certificate `certificate/<name>/{orders,failures}` and gauges
   * `certificate/<name>/{not_after_seconds,valid}` (removed when the name is dropped).
   */
  readonly stats?: Stats;
  readonly clock?: Clock;
  readonly random?: Random;
}

/** Where a managed name came from. */
export type HostOrigin = 'static' | 'dynamic' | 'onDemand';

/** The status of one managed name, for admin pages. Times are epoch ms. */
export interface CertificateView {
  readonly host: string;
  readonly origin: HostOrigin;
  /** `valid`: a certificate is served; `none`: none yet (the default certificate is used). */
  readonly status: 'valid' | 'none';
  readonly issuer?: string;
  readonly notBefore?: number;
  readonly notAfter?: number;
  /** When renewal is due. */
  readonly renewAt?: number;
  readonly lastAttempt?: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: number };
  /** Consecutive failed orders. */
  readonly failures: number;
  /** When this instance next orders or re-reads the store. */
  readonly nextCheck?: number;
}

/** The outcome of {@link AcmeManager.onDemand}. */
export type OnDemandResult =
  | { readonly kind: 'managed' }
  | { readonly kind: 'queued' }
  | { readonly kind: 'refused'; readonly reason: OnDemandRefusal };

interface Held {
  readonly certPem: string;
  readonly keyPem: string;
  readonly issuer: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly renewAt: number;
}

interface HostState {
  readonly host: string;
  origin: HostOrigin;
  held: Held | undefined;
  lastAttempt: number | undefined;
  lastError: CertificateView['lastError'];
  failures: number;
  /** No longer wanted: not renewed, served until it expires, then dropped. */
  retired: boolean;
  /** Something changed during a running check: check again when it ends. */
  stale: boolean;
  /** The certificate the last ARI question was about, and when to ask again. */
  ariCertPem?: string;
  ariNextAt?: number;
  readonly disposeGauges: () => void;
  retryAt: number | undefined;
  forced: boolean;
  running: boolean;
  timer: TimerHandle | undefined;
  nextCheck: number | undefined;
}

/** setTimeout's largest delay; longer waits wake up and re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function invalid(message: string): AcmeError {
  return new AcmeError('SY_ERR_ACME_INVALID_OPTIONS', message);
}

function positive(value: number | undefined, field: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw invalid(`acme: ${field} must be a positive number, got ${String(value)}`);
  }
}

function validate(o: AcmeManagerOptions): void {
  let url: URL;
  try {
    url = new URL(o.directoryUrl);
  } catch {
    throw invalid(`acme: directoryUrl is not a URL: ${JSON.stringify(o.directoryUrl)}`);
  }
  if (url.protocol !== 'https:') throw invalid(`acme: directoryUrl must be https: ${o.directoryUrl}`);
  if (o.termsOfServiceAgreed !== true) throw invalid('acme: termsOfServiceAgreed must be true');
  if (o.challenge !== undefined && o.challenge !== 'http-01' && o.challenge !== 'tls-alpn-01') {
    throw invalid(`acme: challenge must be http-01 or tls-alpn-01, got ${JSON.stringify(o.challenge)}`);
  }
  (o.hosts ?? []).forEach((h, i) => {
    if (normalizeHost(h) === undefined)
      throw invalid(`acme: hosts[${i}] is not a DNS name: ${JSON.stringify(h)}`);
  });
  const d = o.onDemand;
  if (d !== undefined) {
    if (d.hosts === undefined && d.ask === undefined) {
      throw invalid('acme: onDemand needs hosts or ask (issuing for any name a client sends is not allowed)');
    }
    (d.hosts ?? []).forEach((h, i) => {
      if (normalizeHost(h, true) === undefined) {
        throw invalid(`acme: onDemand.hosts[${i}] is not a name or *.name pattern: ${JSON.stringify(h)}`);
      }
    });
    if (d.ask !== undefined && !URL.canParse(d.ask))
      throw invalid(`acme: onDemand.ask is not a URL: ${d.ask}`);
    positive(d.askTimeoutMs, 'onDemand.askTimeoutMs');
    positive(d.perNameIntervalMs, 'onDemand.perNameIntervalMs');
    positive(d.rateLimit?.orders, 'onDemand.rateLimit.orders');
    positive(d.rateLimit?.perMs, 'onDemand.rateLimit.perMs');
  }
  positive(o.storagePollMs, 'storagePollMs');
  positive(o.maxConcurrentOrders, 'maxConcurrentOrders');
  positive(o.retry?.initialMs, 'retry.initialMs');
  positive(o.retry?.maxMs, 'retry.maxMs');
  const f = o.renewal?.fraction;
  if (f !== undefined && !(f > 0 && f < 1))
    throw invalid(`acme: renewal.fraction must be in (0, 1), got ${f}`);
  const j = o.renewal?.jitterFraction;
  if (j !== undefined && !(j >= 0 && j < 1))
    throw invalid(`acme: renewal.jitterFraction must be in [0, 1), got ${j}`);
}

function toError(err: unknown, host: string): AcmeError {
  if (err instanceof AcmeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AcmeError('SY_ERR_ACME_ORDER_FAILED', `acme: order for ${host} failed: ${message}`, {
    cause: err,
    host,
  });
}

/**
 * Issues and renews certificates for a set of names. Create with {@link createAcmeManager}, call
 * `start()`, wire `handleHttpChallenge` / `tlsAlpnChallenge` / `onDemand` into the front door and
 * `certificateSource` into the SNI store, and `close()` on shutdown.
 */
export class AcmeManager {
  readonly #o: AcmeManagerOptions;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #stats: Stats;
  readonly #challenges: ChallengeStore;
  readonly #policy: OnDemandPolicy | undefined;
  readonly #hosts = new Map<string, HostState>();
  readonly #pendingAsk = new Set<string>();
  readonly #observers = new Set<(s: CertificateSnapshot) => void>();
  readonly #waiting: Array<() => void> = [];
  readonly #account: string;
  #unwatch: Dispose | undefined;
  #unleader: Dispose | undefined;
  #ariUrl: Promise<string | undefined> | undefined;
  #client: Promise<acme.Client> | undefined;
  #interceptor: number | undefined;
  #ordering = 0;
  #started = false;
  #closed = false;
  #snapshot: CertificateSnapshot = Object.freeze([]);

  /** The valid certificates, one entry per name with id `acme <host>`. */
  readonly certificateSource: CertificateSource;

  constructor(options: AcmeManagerOptions) {
    validate(options);
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#stats = options.stats ?? nullStats;
    this.#challenges = createChallengeStore();
    this.#policy = options.onDemand && createOnDemandPolicy(options.onDemand, this.#clock);
    this.#account = new URL(options.directoryUrl).host + new URL(options.directoryUrl).pathname;
    for (const h of options.hosts ?? []) this.#add(normalizeHost(h)!, 'static');
    this.#stats.gauge(['managed'], () => this.#hosts.size);
    this.certificateSource = Object.freeze({
      description: `acme ${options.directoryUrl}`,
      observe: (f: (s: CertificateSnapshot) => void): Dispose => {
        this.#observers.add(f);
        f(this.#snapshot);
        return () => {
          this.#observers.delete(f);
        };
      },
    });
    this.handleHttpChallenge = this.#challenges.handleHttpChallenge;
    this.tlsAlpnChallenge = this.#challenges.tlsAlpnChallenge;
  }

  /** See `ChallengeResponder.handleHttpChallenge`: answers HTTP-01 before any routing. */
  readonly handleHttpChallenge: ChallengeStore['handleHttpChallenge'];
  /** See `ChallengeResponder.tlsAlpnChallenge`: the TLS-ALPN-01 certificate for a ClientHello. */
  readonly tlsAlpnChallenge: (
    servername: string,
    alpnProtocols: readonly string[],
  ) => AlpnChallengeCertificate | undefined;

  /** Loads stored certificates and starts ordering what is missing or due. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    if (this.#o.directoryCa !== undefined) {
      const origin = new URL(this.#o.directoryUrl).origin;
      const agent = new Agent({ ca: this.#o.directoryCa, keepAlive: true });
      this.#interceptor = acme.axios.interceptors.request.use((config) => {
        if (config.url !== undefined && new URL(config.url, origin).origin === origin)
          config.httpsAgent = agent;
        return config;
      });
    }
    for (const st of this.#hosts.values()) this.#schedule(st, 0);
    this.#unwatch = this.#o.storage.watch?.((e) => this.#storageEvent(e));
    this.#unleader = this.#o.onLeaderChange?.((leader) => {
      if (leader && !this.#closed) for (const st of this.#hosts.values()) this.#poke(st);
    });
  }

  /** A certificate another replica stored is read at once; a name a replica wanted is admitted here too. */
  #storageEvent(e: StorageEvent): void {
    if (this.#closed) return;
    const st = this.#hosts.get(e.host);
    if (e.kind === 'certificate') {
      if (st !== undefined) this.#poke(st);
      return;
    }
    if (st === undefined) this.#admit(e.host, e.host, false);
  }

  /** Stops all timers; orders in flight finish but their results are dropped. */
  close(): void {
    this.#closed = true;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#unleader?.();
    this.#unleader = undefined;
    for (const st of this.#hosts.values()) if (st.timer) this.#clock.clearTimeout(st.timer);
    if (this.#interceptor !== undefined) acme.axios.interceptors.request.eject(this.#interceptor);
    this.#interceptor = undefined;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /**
   * Adds names to manage (e.g. from Ingress `spec.tls` or Gateway HTTPS listeners). A retired name
   * added again is renewed again.
   */
  addHosts(hosts: readonly string[]): void {
    hosts.forEach((h, i) => {
      const n = normalizeHost(h);
      if (n === undefined) throw invalid(`acme: addHosts[${i}] is not a DNS name: ${JSON.stringify(h)}`);
      const st = this.#hosts.get(n);
      if (st === undefined) this.#schedule(this.#add(n, 'dynamic'), 0);
      else if (st.retired) {
        st.retired = false;
        st.origin = 'dynamic';
        this.#poke(st);
      }
    });
  }

  /**
   * Retires names added by `addHosts` or on demand: they are no longer ordered or renewed, but a
   * certificate already held keeps being served until it expires (then the name is dropped); a
   * name without one is dropped at once. Configured (`hosts`) names are never retired.
   */
  removeHosts(hosts: readonly string[]): void {
    for (const h of hosts) {
      const n = normalizeHost(h);
      const st = n === undefined ? undefined : this.#hosts.get(n);
      if (st === undefined || st.origin === 'static' || st.retired) continue;
      st.retired = true;
      st.forced = false;
      this.#poke(st);
    }
  }

  /**
   * The managed names as dashboard rows, sorted by name: `state` is `pending` (no certificate
   * yet), `valid`, `renewing` (served, renewal due or failing), `expired` (the default certificate
   * answers) or `retired` (no longer wanted, served until `notAfter`). Times are epoch ms.
   */
  status(): readonly CertificateStatus[] {
    return this.view().map((v) => certificateStatus(v, this.#stateOf(this.#hosts.get(v.host)!)));
  }

  #stateOf(st: HostState): CertificateState {
    const now = this.#clock.now();
    const h = st.held;
    if (st.retired) return 'retired';
    if (h === undefined) return 'pending';
    if (now >= h.notAfter) return 'expired';
    return now >= h.renewAt || st.failures > 0 ? 'renewing' : 'valid';
  }

  /** Orders a new certificate for a managed name now (the leader only), regardless of its renewal time. */
  renew(host: string): void {
    const st = this.#hosts.get(normalizeHost(host) ?? '');
    if (st === undefined) throw invalid(`acme: renew: ${host} is not managed`);
    st.forced = true;
    this.#schedule(st, 0);
  }

  /**
   * Called by the front door for a handshake whose server name has no certificate. Returns at
   * once and never throws; the handshake goes on with the default certificate. When the name is
   * allowed and the limits have room, it is checked with `ask` and then ordered in the background.
   */
  onDemand(servername: string): OnDemandResult {
    const host = normalizeHost(servername);
    if (host !== undefined && this.#hosts.has(host)) return { kind: 'managed' };
    if (host !== undefined && this.#pendingAsk.has(host)) return { kind: 'queued' };
    const refused = (reason: OnDemandRefusal): OnDemandResult => {
      this.#stats.counter('on_demand', 'refused').incr();
      if (refusedChannel.hasSubscribers) refusedChannel.publish({ host: servername, reason });
      return { kind: 'refused', reason };
    };
    if (this.#policy === undefined || this.#closed) return refused('disabled');
    if (host === undefined) return refused('invalidName');
    // A follower without a shared store to record the name in cannot get it ordered.
    if (!this.#isLeader() && this.#o.storage.requestCertificate === undefined) return refused('notLeader');
    return this.#admit(host, servername, true);
  }

  #refused(servername: string, reason: OnDemandRefusal): OnDemandResult {
    this.#stats.counter('on_demand', 'refused').incr();
    if (refusedChannel.hasSubscribers) refusedChannel.publish({ host: servername, reason });
    return { kind: 'refused', reason };
  }

  /**
   * The on-demand admission every replica applies, to a handshake's name (`record`: a follower
   * then records it for the leader) or to a name another replica recorded: allow rules and rate
   * limits, then `ask`; an admitted name is managed here (the leader orders it, a follower serves
   * it once stored).
   */
  #admit(host: string, servername: string, record: boolean): OnDemandResult {
    if (this.#policy === undefined || this.#pendingAsk.has(host)) return { kind: 'queued' };
    const admission = this.#policy.admit(host);
    if (admission.kind === 'refuse') return this.#refused(servername, admission.reason);
    this.#stats.counter('on_demand', 'queued').incr();
    this.#pendingAsk.add(host);
    void this.#policy.ask(host).then(async (ok) => {
      this.#pendingAsk.delete(host);
      if (this.#closed || this.#hosts.has(host)) return;
      if (!ok) {
        this.#refused(servername, 'notAllowed');
        return;
      }
      const st = this.#add(host, 'onDemand');
      this.#schedule(st, 0);
      if (!record || this.#isLeader()) return;
      try {
        await this.#o.storage.requestCertificate?.(host);
      } catch (err) {
        st.lastError = {
          code: toError(err, host).code,
          message: String((err as Error).message),
          at: this.#clock.now(),
        };
      }
    });
    return { kind: 'queued' };
  }

  /** One view per managed name, sorted by name. */
  view(): readonly CertificateView[] {
    return [...this.#hosts.values()]
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
      .map((st) => {
        const h = st.held;
        const valid = h !== undefined && this.#clock.now() < h.notAfter;
        return {
          host: st.host,
          origin: st.origin,
          status: valid ? 'valid' : 'none',
          failures: st.failures,
          ...(h === undefined
            ? {}
            : { issuer: h.issuer, notBefore: h.notBefore, notAfter: h.notAfter, renewAt: h.renewAt }),
          ...(st.lastAttempt === undefined ? {} : { lastAttempt: st.lastAttempt }),
          ...(st.lastError === undefined ? {} : { lastError: st.lastError }),
          ...(st.nextCheck === undefined ? {} : { nextCheck: st.nextCheck }),
        };
      });
  }

  #isLeader(): boolean {
    try {
      return this.#o.isLeader?.() ?? true;
    } catch {
      return false;
    }
  }

  #add(host: string, origin: HostOrigin): HostState {
    const scope = this.#stats.scope('certificate', host);
    const gauges = [
      scope.gauge(['not_after_seconds'], () => Math.floor((st.held?.notAfter ?? 0) / 1000)),
      scope.gauge(['valid'], () => (st.held !== undefined && this.#clock.now() < st.held.notAfter ? 1 : 0)),
    ];
    const st: HostState = {
      host,
      origin,
      held: undefined,
      lastAttempt: undefined,
      lastError: undefined,
      failures: 0,
      retired: false,
      stale: false,
      disposeGauges: () => {
        for (const g of gauges) g.dispose();
      },
      retryAt: undefined,
      forced: false,
      running: false,
      timer: undefined,
      nextCheck: undefined,
    };
    this.#hosts.set(host, st);
    return st;
  }

  #schedule(st: HostState, delayMs: number): void {
    if (this.#closed || !this.#started) return;
    if (st.timer) this.#clock.clearTimeout(st.timer);
    const delay = Math.max(0, Math.min(MAX_TIMER_MS, delayMs));
    st.nextCheck = this.#clock.now() + delay;
    st.timer = this.#clock.setTimeout(() => {
      st.timer = undefined;
      void this.#check(st);
    }, delay);
  }

  /** Re-reads the store, then orders when due and leader; always ends by scheduling the next check. */
  async #check(st: HostState): Promise<void> {
    if (st.running || this.#closed || this.#hosts.get(st.host) !== st) return;
    st.running = true;
    try {
      if (st.retired) {
        this.#retire(st);
        return;
      }
      await this.#refreshFromStorage(st);
      // Drops a certificate that expired since the last publish (followers never order).
      this.#publish();
      // The leader asks a CA offering ARI (RFC 9773) whether to renew earlier.
      if (st.held !== undefined && !st.forced && this.#isLeader()) await this.#renewalInfo(st);
      const now = this.#clock.now();
      const poll = this.#o.storagePollMs ?? 60_000;
      const due = st.forced || st.held === undefined || now >= st.held.renewAt;
      if (!due) {
        const wake = Math.min(st.held!.renewAt, st.held!.notAfter, st.ariNextAt ?? Number.POSITIVE_INFINITY);
        return this.#schedule(st, wake - now);
      }
      if (!this.#isLeader()) return this.#schedule(st, poll);
      if (st.retryAt !== undefined && now < st.retryAt && !st.forced)
        return this.#schedule(st, st.retryAt - now);
      await this.#order(st);
    } finally {
      st.running = false;
      if (st.stale) {
        st.stale = false;
        this.#schedule(st, 0);
      }
    }
  }

  /** Checks `st` now, or right after the check that is running. */
  #poke(st: HostState): void {
    if (st.running) st.stale = true;
    else this.#schedule(st, 0);
  }

  /** A retired name: dropped once nothing valid is held, else woken at expiry. */
  #retire(st: HostState): void {
    const now = this.#clock.now();
    if (st.held !== undefined && now < st.held.notAfter) {
      this.#schedule(st, st.held.notAfter - now);
      return;
    }
    this.#hosts.delete(st.host);
    st.disposeGauges();
    this.#publish();
  }

  /** The directory's `renewalInfo` URL (fetched once; `undefined` when the CA has none). */
  #renewalInfoUrl(): Promise<string | undefined> {
    this.#ariUrl ??= acme.axios.get(this.#o.directoryUrl).then(
      (r) => {
        const url = (r.data as { renewalInfo?: unknown } | undefined)?.renewalInfo;
        return typeof url === 'string' ? url : undefined;
      },
      (err: unknown) => {
        this.#ariUrl = undefined; // CA unreachable: ask again next time
        throw err;
      },
    );
    return this.#ariUrl;
  }

  /**
   * Moves `renewAt` earlier when the CA's suggested window (a random time in it, RFC 9773 §4.2)
   * starts before it; never later. Asked again after the CA's Retry-After (default 6 h). Failures
   * are not order failures: they only delay the next question by an hour.
   */
  async #renewalInfo(st: HostState): Promise<void> {
    const held = st.held!;
    const now = this.#clock.now();
    if (st.ariCertPem === held.certPem && st.ariNextAt !== undefined && now < st.ariNextAt) return;
    st.ariCertPem = held.certPem;
    try {
      const base = await this.#renewalInfoUrl();
      const id = base === undefined ? undefined : ariCertId(held.certPem);
      if (base === undefined || id === undefined) {
        st.ariNextAt = Number.POSITIVE_INFINITY; // no ARI for this CA or certificate
        return;
      }
      const r = await acme.axios.get(`${base.replace(/\/$/, '')}/${id}`);
      const retryAfter = Number(r.headers?.['retry-after']);
      st.ariNextAt =
        this.#clock.now() +
        (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 6 * 3600_000);
      const window = parseRenewalWindow(r.data);
      if (window === undefined || st.held !== held) return;
      const at = Math.floor(window.start + this.#random() * (window.end - window.start));
      if (at < held.renewAt) st.held = { ...held, renewAt: at };
    } catch {
      st.ariNextAt = this.#clock.now() + 3600_000;
    }
  }

  async #refreshFromStorage(st: HostState): Promise<void> {
    try {
      const stored = await this.#o.storage.loadCertificate(st.host);
      if (stored !== undefined) this.#adopt(st, stored.certPem, stored.keyPem);
    } catch (err) {
      st.lastError = {
        code: toError(err, st.host).code,
        message: String((err as Error).message),
        at: this.#clock.now(),
      };
    }
  }

  /** Takes `certPem` when it lasts longer than the held one; returns true when it did. */
  #adopt(st: HostState, certPem: string, keyPem: string): boolean {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(certPem);
    } catch (err) {
      st.lastError = {
        code: 'SY_ERR_ACME_STORAGE',
        message: `acme: stored certificate for ${st.host} is not valid PEM: ${(err as Error).message}`,
        at: this.#clock.now(),
      };
      return false;
    }
    const notBefore = Date.parse(x509.validFrom);
    const notAfter = Date.parse(x509.validTo);
    if (st.held !== undefined && notAfter <= st.held.notAfter) return false;
    st.held = {
      certPem,
      keyPem,
      issuer: x509.issuer.replace(/\n/g, ', '),
      notBefore,
      notAfter,
      renewAt: renewalTime(notBefore, notAfter, this.#random, this.#o.renewal),
    };
    this.#publish();
    return true;
  }

  async #order(st: HostState): Promise<void> {
    await this.#acquire();
    if (this.#closed) return this.#release();
    // Another process on the same store may be ordering this name: wait for what it stores.
    let unlock: Dispose | undefined;
    if (this.#o.storage.lockOrder !== undefined) {
      try {
        unlock = await this.#o.storage.lockOrder(st.host);
      } catch (err) {
        st.lastError = {
          code: toError(err, st.host).code,
          message: String((err as Error).message),
          at: this.#clock.now(),
        };
      }
      if (unlock === undefined) {
        this.#release();
        return this.#schedule(st, Math.min(this.#o.storagePollMs ?? 60_000, 1000));
      }
      // The holder before us may have just stored it.
      await this.#refreshFromStorage(st);
      if (st.held !== undefined && !st.forced && this.#clock.now() < st.held.renewAt) {
        unlock();
        this.#release();
        this.#publish();
        return this.#schedule(st, st.held.renewAt - this.#clock.now());
      }
    }
    const renewal = st.held !== undefined;
    st.lastAttempt = this.#clock.now();
    this.#stats.counter('orders').incr();
    this.#stats.counter('certificate', st.host, 'orders').incr();
    try {
      const { certPem, keyPem } = await this.#issue(st.host);
      if (this.#closed) return;
      await this.#o.storage.saveCertificate({ host: st.host, certPem, keyPem });
      st.failures = 0;
      st.retryAt = undefined;
      st.forced = false;
      st.lastError = undefined;
      this.#adopt(st, certPem, keyPem);
      this.#stats.counter('issued').incr();
      if (issuedChannel.hasSubscribers) {
        issuedChannel.publish({ host: st.host, notAfter: st.held?.notAfter ?? 0, renewal });
      }
      // A CA issuing certificates already due for renewal must not make us order in a loop.
      const floor = this.#o.retry?.initialMs ?? 60_000;
      this.#schedule(st, Math.max(floor, (st.held?.renewAt ?? 0) - this.#clock.now()));
    } catch (err) {
      const error = toError(err, st.host);
      // The next attempt looks the account up again: a CA that lost it (or a restarted test CA)
      // would otherwise refuse every order made with the cached account URL.
      this.#client = undefined;
      st.failures++;
      st.forced = false;
      const now = this.#clock.now();
      st.lastError = { code: error.code, message: error.message, at: now };
      const delay = retryDelay(st.failures, this.#random, this.#o.retry);
      st.retryAt = now + delay;
      this.#stats.counter('failures').incr();
      this.#stats.counter('certificate', st.host, 'failures').incr();
      if (failedChannel.hasSubscribers) failedChannel.publish({ host: st.host, error, retryAt: st.retryAt });
      // Wake up at expiry too, so an expired certificate stops being served.
      const expiry = st.held !== undefined && st.held.notAfter > now ? st.held.notAfter - now : delay;
      // Relative to `now`, so the next check is exactly retryAt (time passed since is taken off).
      this.#schedule(st, Math.min(delay, expiry) - (this.#clock.now() - now));
    } finally {
      unlock?.();
      this.#release();
    }
    this.#publish();
  }

  async #acquire(): Promise<void> {
    if (this.#ordering < (this.#o.maxConcurrentOrders ?? 2)) {
      this.#ordering++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#ordering++;
  }

  #release(): void {
    this.#ordering--;
    this.#waiting.shift()?.();
  }

  #accountClient(): Promise<acme.Client> {
    this.#client ??= (async () => {
      const storage = this.#o.storage;
      let key = await storage.loadAccountKey(this.#account);
      if (key === undefined) {
        key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
        await storage.saveAccountKey(this.#account, key);
      }
      return new acme.Client({
        directoryUrl: this.#o.directoryUrl,
        accountKey: key,
        backoffAttempts: 10,
        backoffMin: 500,
        backoffMax: 10_000,
      });
    })();
    // A failed account setup (CA down) is retried on the next order.
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  async #issue(host: string): Promise<{ certPem: string; keyPem: string }> {
    const client = await this.#accountClient();
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, key);
    const type = this.#o.challenge ?? 'http-01';
    const ch = this.#challenges;
    const certPem = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      ...(this.#o.email === undefined ? {} : { email: this.#o.email }),
      challengePriority: [type],
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type === 'http-01') ch.setHttp(challenge.token, keyAuthorization);
        else if ((challenge.type as string) === 'tls-alpn-01') {
          const [k, c] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
          ch.setAlpn(authz.identifier.value.toLowerCase(), c.toString(), k.toString());
        }
      },
      challengeRemoveFn: async (authz, challenge) => {
        if (challenge.type === 'http-01') ch.deleteHttp(challenge.token);
        else if ((challenge.type as string) === 'tls-alpn-01')
          ch.deleteAlpn(authz.identifier.value.toLowerCase());
      },
    });
    return { certPem, keyPem: key.toString() };
  }

  #publish(): void {
    const now = this.#clock.now();
    const entries: CertificateSnapshot[number][] = [];
    for (const st of this.#hosts.values()) {
      const h = st.held;
      // Never serve an expired certificate: without one the default certificate answers.
      if (h === undefined || now >= h.notAfter) continue;
      const id = `acme ${st.host}`;
      entries.push({ kind: 'ok', id, pair: { id, certPem: h.certPem, keyPem: h.keyPem } });
    }
    const next = Object.freeze(entries);
    const same =
      next.length === this.#snapshot.length &&
      next.every((e, i) => {
        const p = this.#snapshot[i]!;
        return e.kind === 'ok' && p.kind === 'ok' && e.id === p.id && e.pair.certPem === p.pair.certPem;
      });
    if (same) return;
    this.#snapshot = next;
    for (const f of [...this.#observers]) f(next);
  }
}

/** Creates an {@link AcmeManager}; throws `AcmeError` (`SY_ERR_ACME_INVALID_OPTIONS`) naming the bad field. */
export function createAcmeManager(options: AcmeManagerOptions): AcmeManager {
  return new AcmeManager(options);
}
