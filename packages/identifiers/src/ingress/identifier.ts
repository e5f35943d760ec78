/**
 * `io.l5d.ingress`: names a request by the Kubernetes Ingress rules that match it, so an edge
 * router follows `kubectl apply -f ingress.yaml` without a config change. The name is
 * `<dstPrefix>/<namespace>/<servicePort>/<serviceName>` (Linkerd 1's order, which the
 * `io.l5d.k8s` namer reads as `<ns>/<port>/<svc>`).
 *
 * This module wires a source (Kubernetes API, YAML directory, static list), the class filter,
 * validation and one of the two routing indexes, and keeps the admin views (rules, problems,
 * TLS secrets) current.
 */
import { channel } from 'node:diagnostics_channel';
import type {
  Clock,
  Identification,
  Identifier,
  RequestHead,
  Stats,
  TimerHandle,
  Var as VarType,
} from '@switchyard/core';
import { identified, systemClock, unidentified, Var } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { IngressClass, KubeObject } from '@switchyard/k8s';
import { headerValue, splitTarget } from '../http/request.js';
import { type ClaimDecision, claim } from './class.js';
import { createDefaultIndex, type IngressMatch, type RoutingIndex } from './default-index.js';
import { IngressConfigError, IngressProblemError, type IngressSourceError } from './errors.js';
import { checkLinkerd1Record, createLinkerd1Index, linkerd1Host } from './linkerd1-index.js';
import {
  INGRESS_CLASS_ANNOTATION,
  type IngressRecord,
  type IngressServiceBackend,
  normalizeIngress,
} from './model.js';
import { type IngressSource, startSource } from './sources.js';
import {
  type IngressStatusAddress,
  type StatusLeadership,
  type StatusWriter,
  startStatusWriter,
} from './status.js';

/** The Linkerd kind of {@link createIngressIdentifier}. */
export const INGRESS_KIND = 'io.l5d.ingress';

/** The reason given when no rule and no default backend matches (Linkerd's wording). */
export const NO_RULE_MATCHES = 'no ingress rule matches';

/**
 * Published on `switchyard:identifiers:ingressProblem` for every Ingress skipped as malformed or
 * unsupported and every unreadable manifest: `{ object?, file?, field?, reason, error }`.
 */
export const INGRESS_PROBLEM_CHANNEL = 'switchyard:identifiers:ingressProblem';
const problemChannel = channel(INGRESS_PROBLEM_CHANNEL);

/** Options of {@link createIngressIdentifier}. */
export interface IngressIdentifierOptions {
  /** Where Ingresses come from. Default `{ kind: 'kubernetes' }` (in-cluster or kubeconfig). */
  readonly source?: IngressSource;
  /** Prefix of the produced names. Default `/svc`. */
  readonly dstPrefix?: string | Path;
  /** Value of `kubernetes.io/ingress.class` that means "ours". Default `linkerd`. */
  readonly ingressClassAnnotation?: string;
  /** `spec.controller` of our IngressClasses. Default `switchyard.dev/ingress`. */
  readonly controllerName?: string;
  /** Serve only Ingresses of this namespace. Default all namespaces. */
  readonly namespace?: string;
  /** Ignore every `defaultBackend` (Linkerd 1's opt-out). Default false. */
  readonly ignoreDefaultBackends?: boolean;
  /**
   * `default`: Kubernetes Ingress v1 semantics. `linkerd1`: Linkerd 1.x exactly (regex paths,
   * first match, unannotated Ingresses claimed, 400 on no match). Default `default`.
   */
  readonly compat?: 'default' | 'linkerd1';
  /** Write `status.loadBalancer.ingress` on served Ingresses (Kubernetes source only). */
  readonly statusAddress?: IngressStatusAddress;
  /**
   * With several replicas: only the leader (a `LeaderElector` of `@switchyard/k8s`) writes status.
   * Absent: every replica writes (fine for one replica).
   */
  readonly statusLeadership?: StatusLeadership;
  /**
   * How long a request waits for the first complete list of Ingresses before it is answered
   * 503 `ingress rules are not loaded yet`, ms. Default 10 000.
   */
  readonly syncTimeoutMs?: number;
  readonly clock?: Clock;
  /** Counters `identified`, `unidentified`, `problems`; gauge `ingresses`. */
  readonly stats?: Stats;
}

/** One rule → backend row of the admin routing table. */
export interface IngressRuleView {
  /** `namespace/name` of the Ingress. */
  readonly ingress: string;
  /** Rule host as written (lower-cased in default mode); `*` for a hostless rule or a default backend. */
  readonly host: string;
  /** Path as written; `undefined` when absent (matches everything) or for a default backend. */
  readonly path: string | undefined;
  /** `Exact`, `Prefix`, `ImplementationSpecific`, `Regex` (compat linkerd1) or `default`. */
  readonly match: string;
  readonly backend: IngressServiceBackend;
  /** The name requests matching this row are given, e.g. `/svc/default/http/world-v2`. */
  readonly name: string;
}

/** A skipped Ingress or an unreadable manifest. */
export type IngressProblem =
  | { readonly kind: 'invalid'; readonly object: string; readonly field: string; readonly message: string }
  | { readonly kind: 'source'; readonly file: string; readonly message: string };

/** An Ingress we do not serve, and why. */
export interface IngressIgnored {
  readonly object: string;
  readonly reason: string;
}

/** One `spec.tls` entry of a served Ingress: which hosts the Secret's certificate is for. */
export interface IngressTlsSecret {
  /** `namespace/name` of the Ingress. */
  readonly ingress: string;
  /** Namespace of the Secret (always the Ingress's own). */
  readonly namespace: string;
  readonly secretName: string;
  /** Hosts as written; empty means "the default certificate". */
  readonly hosts: readonly string[];
}

/** The `io.l5d.ingress` identifier: an `Identifier<RequestHead>` with admin views and a lifecycle. */
export interface IngressIdentifier extends Identifier<RequestHead> {
  readonly kind: typeof INGRESS_KIND;
  readonly compat: 'default' | 'linkerd1';
  /** Resolves once the first complete set of Ingresses is loaded (the admin readiness). */
  readonly synced: Promise<void>;
  readonly isSynced: boolean;
  /** The match for a Host header value and a path, or `undefined` (the synchronous core of identification). */
  match(host: string | undefined, path: string): IngressMatch | undefined;
  /** The name a match produces. */
  nameOf(backend: IngressServiceBackend): Path;
  /** Every rule of every served Ingress, in precedence-independent order (Ingress, rule, path). */
  rules(): readonly IngressRuleView[];
  /** Ingresses skipped as malformed or unsupported, and unreadable manifests. */
  problems(): readonly IngressProblem[];
  /** Ingresses seen but left to another controller. */
  ignored(): readonly IngressIgnored[];
  /** `spec.tls` of served Ingresses, for the TLS server's SNI (e.g. via a Secret certificate source). */
  readonly tlsSecrets: VarType<readonly IngressTlsSecret[]>;
  /** Stops watching. Requests still answer from the last state. Idempotent. */
  close(): void;
}

interface Raw {
  readonly object: KubeObject;
  readonly apiVersion: string;
}

function classInfo(o: KubeObject): { classAnnotation: string | undefined; className: string | undefined } {
  const ann = o.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const name = (o as { spec?: { ingressClassName?: unknown } }).spec?.ingressClassName;
  return {
    classAnnotation: typeof ann === 'string' ? ann : undefined,
    className: typeof name === 'string' && name !== '' ? name : undefined,
  };
}

/**
 * Builds `io.l5d.ingress` and starts its source. See docs/identifiers.md for the exact matching
 * rules of both modes.
 * @throws {IngressConfigError} on a bad `dstPrefix`, `compat` or `syncTimeoutMs`.
 */
export function createIngressIdentifier(options: IngressIdentifierOptions = {}): IngressIdentifier {
  const compat = options.compat ?? 'default';
  if (compat !== 'default' && compat !== 'linkerd1') {
    throw new IngressConfigError('compat', `must be "default" or "linkerd1", got ${JSON.stringify(compat)}`);
  }
  let dstPrefix: Path;
  try {
    dstPrefix =
      typeof options.dstPrefix === 'string' ? Path.read(options.dstPrefix) : (options.dstPrefix ?? ['svc']);
  } catch (err) {
    throw new IngressConfigError('dstPrefix', (err as Error).message, { cause: err });
  }
  const syncTimeoutMs = options.syncTimeoutMs ?? 10_000;
  if (!(syncTimeoutMs >= 0))
    throw new IngressConfigError('syncTimeoutMs', `must be ≥ 0, got ${syncTimeoutMs}`);
  const clock = options.clock ?? systemClock;
  const annotationValue = options.ingressClassAnnotation ?? 'linkerd';
  const controllerName = options.controllerName ?? 'switchyard.dev/ingress';
  const source: IngressSource = options.source ?? { kind: 'kubernetes' };
  const stats = options.stats;
  const identifiedCount = stats?.counter('identified');
  const unidentifiedCount = stats?.counter('unidentified');
  const problemCount = stats?.counter('problems');

  const linkerd1 = compat === 'linkerd1' ? createLinkerd1Index(options) : undefined;
  const index: RoutingIndex = linkerd1 ?? createDefaultIndex(options);
  const gauge = stats?.gauge(['ingresses'], () => index.size);

  const raws = new Map<string, Raw>();
  const classes = new Map<string, IngressClass>();
  const invalid = new Map<string, IngressProblemError>();
  const fileErrors = new Map<string, IngressSourceError>();
  const ignoredMap = new Map<string, string>();
  const names = new WeakMap<IngressServiceBackend, Path>();
  const tls = Var.value<readonly IngressTlsSecret[]>(Object.freeze([]));
  let tlsJson = '[]';
  let isSynced = false;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  let status: StatusWriter | undefined;
  let closed = false;

  const ctx = () => ({ compat, annotationValue, controllerName, classes });

  function publishProblem(p: IngressProblemError | IngressSourceError): void {
    problemCount?.incr();
    if (!problemChannel.hasSubscribers) return;
    if (p instanceof IngressProblemError) {
      problemChannel.publish({ object: p.object, field: p.field, reason: p.reason, error: p });
    } else {
      problemChannel.publish({ file: p.file, reason: p.message, error: p });
    }
  }

  /** Served records by key (the index's content), for views and the status writer. */
  const recordsByKey = new Map<string, IngressRecord>();

  function unindex(key: string): void {
    index.remove(key);
    recordsByKey.delete(key);
  }

  /** (Re)decides one Ingress: ignored, invalid, or indexed. */
  function evaluate(key: string): void {
    const raw = raws.get(key);
    if (raw === undefined) {
      unindex(key);
      invalid.delete(key);
      ignoredMap.delete(key);
      return;
    }
    const decision: ClaimDecision = claim(classInfo(raw.object), ctx());
    if (!decision.claimed) {
      unindex(key);
      invalid.delete(key);
      ignoredMap.set(key, decision.reason);
      return;
    }
    ignoredMap.delete(key);
    const record = normalizeIngress(raw.object, {
      lowerHosts: compat === 'default',
      defaultApiVersion: raw.apiVersion,
    });
    const problem =
      record instanceof IngressProblemError ? record : linkerd1 ? checkLinkerd1Record(record) : undefined;
    if (problem !== undefined) {
      unindex(key);
      const previous = invalid.get(key);
      invalid.set(key, problem);
      if (previous?.message !== problem.message) publishProblem(problem);
      return;
    }
    invalid.delete(key);
    const r = record as IngressRecord;
    if (linkerd1) {
      // Linkerd 1 re-appends a MODIFIED Ingress. A status-only change (such as our own status
      // write) changes no routing and keeps the position.
      const previous = recordsByKey.get(key);
      linkerd1.upsert(r, previous === undefined || previous.fingerprint !== r.fingerprint);
    } else {
      index.upsert(r);
    }
    recordsByKey.set(key, r);
  }

  function refreshViews(): void {
    const secrets: IngressTlsSecret[] = [];
    for (const r of recordsByKey.values()) {
      for (const t of r.tls) {
        if (t.secretName === undefined) continue;
        secrets.push(
          Object.freeze({ ingress: r.key, namespace: r.namespace, secretName: t.secretName, hosts: t.hosts }),
        );
      }
    }
    secrets.sort((a, b) => (a.ingress < b.ingress ? -1 : a.ingress > b.ingress ? 1 : 0));
    const json = JSON.stringify(secrets);
    if (json !== tlsJson) {
      tlsJson = json;
      tls.update(Object.freeze(secrets));
    }
    status?.changed();
  }

  // Views are refreshed once per burst of changes (a relist delivers thousands synchronously).
  let viewsScheduled = false;
  function changed(): void {
    if (!isSynced) return;
    if (viewsScheduled) return;
    viewsScheduled = true;
    queueMicrotask(() => {
      viewsScheduled = false;
      refreshViews();
    });
  }

  function keyOf(namespace: string | undefined, name: string): string {
    return `${namespace ?? 'default'}/${name}`;
  }

  const running = startSource(
    source,
    {
      upsertIngress(object, apiVersion) {
        if (closed) return;
        const key = keyOf(object.metadata?.namespace, object.metadata?.name ?? '?');
        raws.set(key, { object, apiVersion });
        evaluate(key);
        changed();
      },
      deleteIngress(namespace, name) {
        if (closed) return;
        const key = keyOf(namespace, name);
        raws.delete(key);
        evaluate(key);
        changed();
      },
      upsertClass(object) {
        if (closed) return;
        classes.set(object.metadata.name ?? '', object);
        if (compat === 'default') for (const key of raws.keys()) evaluate(key);
        changed();
      },
      deleteClass(name) {
        if (closed) return;
        classes.delete(name);
        if (compat === 'default') for (const key of raws.keys()) evaluate(key);
        changed();
      },
      synced() {
        if (closed || isSynced) return;
        isSynced = true;
        refreshViews();
        resolveSynced();
      },
      fileError(file, error) {
        if (error === undefined) {
          fileErrors.delete(file);
          return;
        }
        const previous = fileErrors.get(file);
        fileErrors.set(file, error);
        if (previous?.message !== error.message) publishProblem(error);
      },
    },
    { namespace: options.namespace, clock, watchClasses: compat === 'default' },
  );

  if (options.statusAddress !== undefined) {
    const address = options.statusAddress;
    void running.kube.then((kube) => {
      if (kube === undefined || closed) return;
      status = startStatusWriter({
        address,
        client: kube.client,
        informers: kube.informers,
        resource: kube.resource,
        served: () => recordsByKey.values(),
        clock,
        ...(options.statusLeadership ? { leadership: options.statusLeadership } : {}),
      });
    });
  }

  function nameOf(backend: IngressServiceBackend): Path {
    let p = names.get(backend);
    if (p === undefined) {
      p = Object.freeze([...dstPrefix, backend.namespace, backend.port, backend.service]);
      names.set(backend, p);
    }
    return p;
  }

  function waitSynced(): Promise<boolean> {
    if (isSynced) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      void synced.then(() => {
        if (timer) clock.clearTimeout(timer);
        resolve(true);
      });
      timer = clock.setTimeout(() => resolve(isSynced), syncTimeoutMs);
    });
  }

  const noMatchStatus = compat === 'linkerd1' ? 400 : 404;

  function decide(req: RequestHead): Identification<RequestHead> {
    const host = headerValue(req, 'host');
    const path = splitTarget(req.url).path;
    if (linkerd1 && linkerd1Host(host) === null) {
      unidentifiedCount?.incr();
      return unidentified('unable to parse host for request', 400);
    }
    const m = index.match(host, path);
    if (m === undefined) {
      unidentifiedCount?.incr();
      return unidentified(NO_RULE_MATCHES, noMatchStatus);
    }
    identifiedCount?.incr();
    return identified(nameOf(m.backend), req);
  }

  const identify = async (req: RequestHead): Promise<Identification<RequestHead>> => {
    if (!isSynced && !(await waitSynced())) {
      unidentifiedCount?.incr();
      return unidentified('ingress rules are not loaded yet', 503);
    }
    return decide(req);
  };

  function rules(): readonly IngressRuleView[] {
    const out: IngressRuleView[] = [];
    const sorted = [...index.records()];
    if (!linkerd1) sorted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const r of sorted) {
      for (const rule of r.rules) {
        for (const p of rule.paths) {
          out.push({
            ingress: r.key,
            host: rule.host ?? '*',
            path: p.path,
            match: linkerd1 ? 'Regex' : p.pathType,
            backend: p.backend,
            name: Path.show(nameOf(p.backend)),
          });
        }
      }
      if (r.defaultBackend !== undefined && options.ignoreDefaultBackends !== true) {
        out.push({
          ingress: r.key,
          host: '*',
          path: undefined,
          match: 'default',
          backend: r.defaultBackend,
          name: Path.show(nameOf(r.defaultBackend)),
        });
      }
    }
    return out;
  }

  function problems(): readonly IngressProblem[] {
    const out: IngressProblem[] = [];
    for (const [, e] of [...fileErrors].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ kind: 'source', file: e.file, message: e.message });
    }
    for (const [, e] of [...invalid].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ kind: 'invalid', object: e.object, field: e.field, message: e.message });
    }
    return out;
  }

  function ignored(): readonly IngressIgnored[] {
    return [...ignoredMap]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([object, reason]) => ({ object, reason }));
  }

  const props: PropertyDescriptorMap = {
    kind: { value: INGRESS_KIND, enumerable: true },
    compat: { value: compat, enumerable: true },
    synced: { value: synced, enumerable: true },
    isSynced: { get: () => isSynced, enumerable: true },
    match: { value: (host: string | undefined, path: string) => index.match(host, path) },
    nameOf: { value: nameOf },
    rules: { value: rules },
    problems: { value: problems },
    ignored: { value: ignored },
    tlsSecrets: { value: tls as VarType<readonly IngressTlsSecret[]>, enumerable: true },
    close: {
      value: () => {
        if (closed) return;
        closed = true;
        running.stop();
        status?.stop();
        gauge?.dispose();
      },
    },
  };
  return Object.defineProperties(identify, props) as IngressIdentifier;
}
