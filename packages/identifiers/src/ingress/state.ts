/**
 * The state of `io.l5d.ingress`: every Ingress and IngressClass the source delivered, and for
 * each Ingress the decision — left to another controller, skipped as malformed, or indexed.
 * A class change re-decides every Ingress (default mode); a status-only change of an Ingress
 * keeps its Linkerd 1 position.
 */
import type { IngressClass, KubeObject } from '@switchyard/k8s';
import { type ClaimDecision, claim } from './class.js';
import type { RoutingIndex } from './default-index.js';
import { IngressProblemError, type IngressSourceError } from './errors.js';
import { checkLinkerd1Record, type createLinkerd1Index } from './linkerd1-index.js';
import { INGRESS_CLASS_ANNOTATION, type IngressRecord, normalizeIngress } from './model.js';

/** What the state decides with. */
export interface IngressStateOptions {
  readonly compat: 'default' | 'linkerd1';
  readonly annotationValue: string;
  readonly controllerName: string;
  /** The routing index the served Ingresses go to. */
  readonly index: RoutingIndex;
  /** The same index when it is Linkerd 1's (positions kept across status-only changes). */
  readonly linkerd1: ReturnType<typeof createLinkerd1Index> | undefined;
  /** Called for each new or changed problem (skipped Ingress, unreadable manifest). */
  readonly problem: (p: IngressProblemError | IngressSourceError) => void;
}

/** The state and its updates (the source's sink, minus `synced`). */
export interface IngressState {
  /** Served records by `namespace/name` (the index's content), for views and status. */
  readonly served: ReadonlyMap<string, IngressRecord>;
  readonly invalid: ReadonlyMap<string, IngressProblemError>;
  readonly fileErrors: ReadonlyMap<string, IngressSourceError>;
  /** Ingresses left to another controller, with why. */
  readonly ignored: ReadonlyMap<string, string>;
  upsertIngress(object: KubeObject, apiVersion: string): void;
  deleteIngress(namespace: string, name: string): void;
  upsertClass(object: IngressClass): void;
  deleteClass(name: string): void;
  fileError(file: string, error: IngressSourceError | undefined): void;
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

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;

/** Creates an empty state over `options.index`. */
export function createIngressState(options: IngressStateOptions): IngressState {
  const { compat, index, linkerd1 } = options;
  const raws = new Map<string, Raw>();
  const classes = new Map<string, IngressClass>();
  const invalid = new Map<string, IngressProblemError>();
  const fileErrors = new Map<string, IngressSourceError>();
  const ignored = new Map<string, string>();
  const served = new Map<string, IngressRecord>();
  const ctx = {
    compat,
    annotationValue: options.annotationValue,
    controllerName: options.controllerName,
    classes,
  };

  function unindex(key: string): void {
    index.remove(key);
    served.delete(key);
  }

  /** (Re)decides one Ingress: ignored, invalid, or indexed. */
  function evaluate(key: string): void {
    const raw = raws.get(key);
    if (raw === undefined) {
      unindex(key);
      invalid.delete(key);
      ignored.delete(key);
      return;
    }
    const decision: ClaimDecision = claim(classInfo(raw.object), ctx);
    if (!decision.claimed) {
      unindex(key);
      invalid.delete(key);
      ignored.set(key, decision.reason);
      return;
    }
    ignored.delete(key);
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
      if (previous?.message !== problem.message) options.problem(problem);
      return;
    }
    invalid.delete(key);
    const r = record as IngressRecord;
    if (linkerd1) {
      // Linkerd 1 re-appends a MODIFIED Ingress. A status-only change (such as our own status
      // write) changes no routing and keeps the position.
      const previous = served.get(key);
      linkerd1.upsert(r, previous === undefined || previous.fingerprint !== r.fingerprint);
    } else {
      index.upsert(r);
    }
    served.set(key, r);
  }

  function classesChanged(): void {
    if (compat === 'default') for (const key of raws.keys()) evaluate(key);
  }

  return {
    served,
    invalid,
    fileErrors,
    ignored,
    upsertIngress(object, apiVersion) {
      const key = keyOf(object.metadata?.namespace, object.metadata?.name ?? '?');
      raws.set(key, { object, apiVersion });
      evaluate(key);
    },
    deleteIngress(namespace, name) {
      const key = keyOf(namespace, name);
      raws.delete(key);
      evaluate(key);
    },
    upsertClass(object) {
      classes.set(object.metadata.name ?? '', object);
      classesChanged();
    },
    deleteClass(name) {
      classes.delete(name);
      classesChanged();
    },
    fileError(file, error) {
      if (error === undefined) {
        fileErrors.delete(file);
        return;
      }
      const previous = fileErrors.get(file);
      fileErrors.set(file, error);
      if (previous?.message !== error.message) options.problem(error);
    },
  };
}
