/**
 * The public types of the test API server: its options, the recorded requests, the fault
 * injection handle and the running server's test-facing API.
 */
import type { KubeObject, KubeStatus } from '@switchyard/k8s';

/** Options of {@link startFakeKubeApi}. */
export interface FakeKubeApiOptions {
  /** TCP port on 127.0.0.1. Default 0 (ephemeral); a taken port rejects with `EADDRINUSE`. */
  readonly port?: number;
  /** Require `Authorization: Bearer <token>`; otherwise 401. Change later with `setToken`. */
  readonly token?: string;
  /** Serve HTTPS with this key pair. With `ca` + `requestCert`, a verified client certificate also authenticates. */
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    readonly ca?: string;
    readonly requestCert?: boolean;
  };
  /** Changes kept for watches and continue tokens (the compaction window). Default 10 000. */
  readonly historyLimit?: number;
  /** Interval of automatic BOOKMARK events on watches that allow them, ms; 0 disables. Default 0. */
  readonly bookmarkIntervalMs?: number;
  /** Watch timeout when the client sends no `timeoutSeconds`. Default 1800. */
  readonly defaultWatchTimeoutSeconds?: number;
  /**
   * Resources NOT served (404), to imitate old or new clusters, as `apiVersion/plural`:
   * `'discovery.k8s.io/v1/endpointslices'`, `'extensions/v1beta1/ingresses'`, …
   */
  readonly disabled?: readonly string[];
  /** How a watch from a compacted version fails: an ERROR event in a 200 (default, like kube-apiserver) or HTTP 410. */
  readonly goneAs?: 'event' | 'status';
  /** Continue tokens older than this answer 410 Expired (etcd compacts every 5 minutes), ms. Default: only compaction expires them. */
  readonly continueTokenTtlMs?: number;
  /** Version reported by `/version` and in OpenAPI `info`, as `1.<minor>`. Default `1.31`. */
  readonly kubernetesVersion?: string;
}

/** One request as the server saw it, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without query. */
  readonly path: string;
  /** All request headers (lower-case names; repeated headers as arrays, e.g. `impersonate-group`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `Accept` and `Content-Type` headers. */
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
}

/** Deliberate misbehaviour, for resilience tests. */
export interface FakeKubeFaults {
  /**
   * The next `count` requests (matching `match`, default all) answer `status` (default 500) with a
   * Status body; `body` overrides its fields (e.g. a 504 "Too large resource version" with its cause).
   * `retryAfterSeconds` adds `Retry-After` (kube-apiserver sends it with some 5xx, e.g. a 503
   * while it starts or a 500 from a timed-out storage call).
   */
  failNext(
    count: number,
    options?: {
      status?: number;
      retryAfterSeconds?: number;
      match?: (r: RecordedRequest) => boolean;
      body?: Partial<KubeStatus> & { details?: unknown };
    },
  ): void;
  /**
   * The next `count` requests (matching `match`) answer 429 TooManyRequests with `Retry-After:
   * retryAfterSeconds` (default 1) and `details.retryAfterSeconds`, as API Priority and Fairness does.
   */
  throttleNext(
    count: number,
    options?: { retryAfterSeconds?: number; match?: (r: RecordedRequest) => boolean },
  ): void;
  /** Breaks every open watch now: writes half of an event line, then destroys the socket. */
  dropWatches(): void;
  /**
   * Breaks every open watch on its next real event: half of that event's line is written and the
   * socket destroyed, so the event is lost in transit and must be recovered by resuming.
   */
  dropWatchesOnNextEvent(): void;
  /** Hangs: new requests get no answer and watches get no events until `unstall()`. */
  stall(): void;
  /** Ends a stall: held requests are served and held events delivered, in order. */
  unstall(): void;
  /** Every resourceVersion and continue token issued so far becomes too old (410). Same as `compact()`. */
  expireResourceVersions(): void;
}

/** A running fake API server. Create with {@link startFakeKubeApi}; `close()` when done. */
export interface FakeKubeApi {
  /** Base URL, `http://127.0.0.1:<port>` (or `https://`). */
  readonly url: string;
  readonly port: number;
  /** The current (latest) resourceVersion. */
  readonly resourceVersion: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  readonly faults: FakeKubeFaults;
  /**
   * Creates or replaces an object (by apiVersion, kind, namespace, name) and notifies watches.
   * `extensions/v1beta1` and `networking.k8s.io/v1beta1` Ingresses are converted and stored as v1.
   * Returns the stored object (with uid, creationTimestamp and the new resourceVersion).
   * `metadata.generation` is the server's, as on the write path: 1 on create, bumped when the
   * spec (anything but metadata, and status for kinds with a status subresource) changes; a
   * value in `obj` is ignored. `status` is stored as given, so `status.observedGeneration` too.
   */
  apply<T extends KubeObject>(obj: T): T;
  /** Deletes by kind (`Ingress`, `Service`, …), namespace (`undefined` for cluster-scoped) and name. True if it existed. */
  delete(kind: string, namespace: string | undefined, name: string): boolean;
  /** The stored (v1) object, or undefined. */
  get<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
  /** Forgets history: resourceVersions and continue tokens issued so far answer 410. */
  compact(): void;
  /** Sends a BOOKMARK at the current resourceVersion to every watch that allows bookmarks. */
  bookmark(): void;
  /** Changes the required bearer token (`undefined`: no auth). */
  setToken(token: string | undefined): void;
  /** Resources served right now (built-ins plus registered CRDs), as `apiVersion/plural`. */
  servedResources(): string[];
  /** Open watch streams, optionally only those whose path starts with `pathPrefix`. */
  activeWatches(pathPrefix?: string): number;
  /** Resolves once `predicate()` holds; re-checked after every request, watch start/end and change. */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}
