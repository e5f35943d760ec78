/**
 * The read-only views of `io.l5d.ingress`: the admin routing table, the problems (skipped
 * Ingresses, unreadable manifests), the Ingresses left to other controllers, and the `spec.tls`
 * Secrets of served Ingresses (the one place they are derived; the TLS servers' certificate
 * source reads `tlsSecrets`). Pure functions of the identifier's state.
 */
import { Path } from '@switchyard/dtab';
import type { IngressProblemError, IngressSourceError } from './errors.js';
import type { IngressRecord, IngressServiceBackend } from './model.js';

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

/** The admin routing table: every rule of every served Ingress (sorted by Ingress unless `ordered`). */
export function ruleViews(
  records: Iterable<IngressRecord>,
  o: {
    readonly linkerd1: boolean;
    readonly ignoreDefaultBackends: boolean;
    readonly nameOf: (backend: IngressServiceBackend) => Path;
  },
): IngressRuleView[] {
  const out: IngressRuleView[] = [];
  const sorted = [...records];
  // Linkerd 1 order is precedence order: keep it.
  if (!o.linkerd1) sorted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const r of sorted) {
    for (const rule of r.rules) {
      for (const p of rule.paths) {
        out.push({
          ingress: r.key,
          host: rule.host ?? '*',
          path: p.path,
          match: o.linkerd1 ? 'Regex' : p.pathType,
          backend: p.backend,
          name: Path.show(o.nameOf(p.backend)),
        });
      }
    }
    if (r.defaultBackend !== undefined && !o.ignoreDefaultBackends) {
      out.push({
        ingress: r.key,
        host: '*',
        path: undefined,
        match: 'default',
        backend: r.defaultBackend,
        name: Path.show(o.nameOf(r.defaultBackend)),
      });
    }
  }
  return out;
}

const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : 1);

/** Unreadable manifests, then skipped Ingresses, each sorted. */
export function problemList(
  fileErrors: ReadonlyMap<string, IngressSourceError>,
  invalid: ReadonlyMap<string, IngressProblemError>,
): IngressProblem[] {
  const out: IngressProblem[] = [];
  for (const [, e] of [...fileErrors].sort(byKey))
    out.push({ kind: 'source', file: e.file, message: e.message });
  for (const [, e] of [...invalid].sort(byKey)) {
    out.push({ kind: 'invalid', object: e.object, field: e.field, message: e.message });
  }
  return out;
}

/** Ingresses left to another controller, sorted. */
export function ignoredList(ignored: ReadonlyMap<string, string>): IngressIgnored[] {
  return [...ignored].sort(byKey).map(([object, reason]) => ({ object, reason }));
}

/** The `spec.tls` Secrets of the served Ingresses, sorted by Ingress. */
export function tlsSecretsOf(records: Iterable<IngressRecord>): IngressTlsSecret[] {
  const secrets: IngressTlsSecret[] = [];
  for (const r of records) {
    for (const t of r.tls) {
      if (t.secretName === undefined) continue;
      secrets.push(
        Object.freeze({ ingress: r.key, namespace: r.namespace, secretName: t.secretName, hosts: t.hosts }),
      );
    }
  }
  secrets.sort((a, b) => (a.ingress < b.ingress ? -1 : a.ingress > b.ingress ? 1 : 0));
  return secrets;
}
