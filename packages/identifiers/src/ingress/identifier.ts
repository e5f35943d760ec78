/**
 * `io.l5d.ingress`: names a request by the Kubernetes Ingress rules that match it, so an edge
 * router follows `kubectl apply -f ingress.yaml` without a config change. The name is
 * `<dstPrefix>/<namespace>/<servicePort>/<serviceName>` (Linkerd 1's order, which the
 * `io.l5d.k8s` namer reads as `<ns>/<port>/<svc>`).
 *
 * This module wires the parts: the options (./options.ts), a source (./sources.ts), the state
 * that decides each Ingress (./state.ts) over one of the two routing indexes, the views
 * (./views.ts), the first-sync gate (../sync-gate.ts) and the status writer (./status.ts).
 */
import { channel } from 'node:diagnostics_channel';
import type { Identification, Identifier, RequestHead, Var as VarType } from '@switchyard/core';
import { identified, unidentified, Var } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import { headerValue, splitTarget } from '../http/request.js';
import { createPairCache } from '../name-cache.js';
import { createSyncGate } from '../sync-gate.js';
import { createDefaultIndex, type IngressMatch, type RoutingIndex } from './default-index.js';
import { IngressProblemError, type IngressSourceError } from './errors.js';
import { createLinkerd1Index, linkerd1Host } from './linkerd1-index.js';
import type { IngressServiceBackend } from './model.js';
import { type IngressIdentifierOptions, resolveIngressOptions } from './options.js';
import { startSource } from './sources.js';
import { createIngressState } from './state.js';
import { type StatusWriter, startStatusWriter } from './status.js';
import {
  type IngressIgnored,
  type IngressProblem,
  type IngressRuleView,
  type IngressTlsSecret,
  ignoredList,
  problemList,
  ruleViews,
  tlsSecretsOf,
} from './views.js';

export type { IngressIdentifierOptions } from './options.js';
export type { IngressIgnored, IngressProblem, IngressRuleView, IngressTlsSecret } from './views.js';

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

/** The views of {@link IngressIdentifier} (what the admin and the TLS servers read). */
interface IngressViews {
  match(host: string | undefined, path: string): IngressMatch | undefined;
  nameOf(backend: IngressServiceBackend): Path;
  rules(): readonly IngressRuleView[];
  problems(): readonly IngressProblem[];
  ignored(): readonly IngressIgnored[];
  readonly tlsSecrets: VarType<readonly IngressTlsSecret[]>;
}

/** The parts an identifier is assembled from. */
interface IngressParts {
  readonly identify: Identifier<RequestHead>;
  readonly views: IngressViews;
  readonly gate: { readonly synced: Promise<void>; readonly isSynced: boolean };
  readonly close: () => void;
}

function buildIngress(options: IngressIdentifierOptions): IngressParts & { compat: 'default' | 'linkerd1' } {
  const o = resolveIngressOptions(options);
  const { compat, dstPrefix, clock } = o;
  const stats = options.stats;
  const identifiedCount = stats?.counter('identified');
  const unidentifiedCount = stats?.counter('unidentified');
  const problemCount = stats?.counter('problems');

  const linkerd1 = compat === 'linkerd1' ? createLinkerd1Index(options) : undefined;
  const index: RoutingIndex = linkerd1 ?? createDefaultIndex(options);
  const gauge = stats?.gauge(['ingresses'], () => index.size);
  const gate = createSyncGate(clock, o.syncTimeoutMs);
  const names = new WeakMap<IngressServiceBackend, Path>();
  // What `Host` + path resolved to under the current rules (null: no rule matches), cleared on
  // every change the source delivers: a known host and path cost one map lookup.
  const decided = createPairCache<Path | null>();
  const tls = Var.value<readonly IngressTlsSecret[]>(Object.freeze([]));
  let tlsJson = '[]';
  let status: StatusWriter | undefined;
  let closed = false;

  const state = createIngressState({
    compat,
    annotationValue: o.annotationValue,
    controllerName: o.controllerName,
    index,
    linkerd1,
    problem(p: IngressProblemError | IngressSourceError) {
      problemCount?.incr();
      if (!problemChannel.hasSubscribers) return;
      if (p instanceof IngressProblemError) {
        problemChannel.publish({ object: p.object, field: p.field, reason: p.reason, error: p });
      } else {
        problemChannel.publish({ file: p.file, reason: p.message, error: p });
      }
    },
  });

  function refreshViews(): void {
    const secrets = tlsSecretsOf(state.served.values());
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
    if (!gate.isSynced || viewsScheduled) return;
    viewsScheduled = true;
    queueMicrotask(() => {
      viewsScheduled = false;
      refreshViews();
    });
  }

  /** A state update from the source, ignored once closed, then a views refresh. */
  const update =
    <A extends unknown[]>(f: (...args: A) => void) =>
    (...args: A): void => {
      if (closed) return;
      decided.clear();
      f(...args);
      changed();
    };

  const running = startSource(
    o.source,
    {
      upsertIngress: update(state.upsertIngress),
      deleteIngress: update(state.deleteIngress),
      upsertClass: update(state.upsertClass),
      deleteClass: update(state.deleteClass),
      synced() {
        if (closed || !gate.open()) return;
        decided.clear();
        refreshViews();
      },
      fileError: (file, error) => {
        decided.clear();
        state.fileError(file, error);
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
        served: () => state.served.values(),
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

  const noMatchStatus = compat === 'linkerd1' ? 400 : 404;

  /** The name for `host` and `path` under the current rules, or null when no rule matches. */
  function resolve(host: string | undefined, path: string): Path | null {
    // '' and an absent Host match alike (no host): one key for both.
    const h = host ?? '';
    const known = decided.get(h, path);
    if (known !== undefined) return known;
    const m = index.match(host, path);
    return decided.set(h, path, m === undefined ? null : nameOf(m.backend));
  }

  function decide(req: RequestHead): Identification<RequestHead> {
    const host = headerValue(req, 'host');
    const url = req.url;
    let path: string;
    if (url.charCodeAt(0) === 47 /* '/' */) {
      const q = url.indexOf('?');
      path = q === -1 ? url : url.slice(0, q);
    } else path = splitTarget(url).path;
    if (linkerd1 && linkerd1Host(host) === null) {
      unidentifiedCount?.incr();
      return unidentified('unable to parse host for request', 400);
    }
    const name = resolve(host, path);
    if (name === null) {
      unidentifiedCount?.incr();
      return unidentified(NO_RULE_MATCHES, noMatchStatus);
    }
    identifiedCount?.incr();
    return identified(name, req);
  }

  async function identifyBeforeSync(req: RequestHead): Promise<Identification<RequestHead>> {
    if (!(await gate.wait())) {
      unidentifiedCount?.incr();
      return unidentified('ingress rules are not loaded yet', 503);
    }
    return decide(req);
  }

  const identify = (req: RequestHead): Promise<Identification<RequestHead>> =>
    gate.isSynced ? Promise.resolve(decide(req)) : identifyBeforeSync(req);

  return {
    compat,
    identify,
    gate,
    views: {
      match: (host, path) => index.match(host, path),
      nameOf,
      rules: () =>
        ruleViews(index.records(), {
          linkerd1: linkerd1 !== undefined,
          ignoreDefaultBackends: o.ignoreDefaultBackends,
          nameOf,
        }),
      problems: () => problemList(state.fileErrors, state.invalid),
      ignored: () => ignoredList(state.ignored),
      tlsSecrets: tls,
    },
    close: () => {
      if (closed) return;
      closed = true;
      running.stop();
      status?.stop();
      gauge?.dispose();
    },
  };
}

/**
 * Builds `io.l5d.ingress` and starts its source. See docs/identifiers.md for the exact matching
 * rules of both modes.
 * @throws {IngressConfigError} on a bad `dstPrefix`, `compat` or `syncTimeoutMs`.
 */
export function createIngressIdentifier(options: IngressIdentifierOptions = {}): IngressIdentifier {
  const { compat, identify, views, gate, close } = buildIngress(options);
  const props: PropertyDescriptorMap = {
    kind: { value: INGRESS_KIND, enumerable: true },
    compat: { value: compat, enumerable: true },
    synced: { value: gate.synced, enumerable: true },
    isSynced: { get: () => gate.isSynced, enumerable: true },
    match: { value: views.match },
    nameOf: { value: views.nameOf },
    rules: { value: views.rules },
    problems: { value: views.problems },
    ignored: { value: views.ignored },
    tlsSecrets: { value: views.tlsSecrets, enumerable: true },
    close: { value: close },
  };
  return Object.defineProperties(identify, props) as IngressIdentifier;
}
