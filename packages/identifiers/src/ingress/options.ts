/**
 * The options of `io.l5d.ingress` and their checking: what {@link createIngressIdentifier}
 * accepts, and the resolved form the rest of the identifier reads.
 */
import { type Clock, type Stats, systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { IngressConfigError } from './errors.js';
import type { IngressSource } from './sources.js';
import type { IngressStatusAddress, StatusLeadership } from './status.js';

/** Options of `createIngressIdentifier`. */
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

/** The options, checked and defaulted. */
export interface ResolvedIngressOptions {
  readonly compat: 'default' | 'linkerd1';
  readonly dstPrefix: Path;
  readonly syncTimeoutMs: number;
  readonly clock: Clock;
  readonly annotationValue: string;
  readonly controllerName: string;
  readonly source: IngressSource;
  readonly ignoreDefaultBackends: boolean;
}

/**
 * Checks and defaults the options.
 * @throws {IngressConfigError} on a bad `dstPrefix`, `compat` or `syncTimeoutMs`.
 */
export function resolveIngressOptions(options: IngressIdentifierOptions): ResolvedIngressOptions {
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
  return {
    compat,
    dstPrefix,
    syncTimeoutMs,
    clock: options.clock ?? systemClock,
    annotationValue: options.ingressClassAnnotation ?? 'linkerd',
    controllerName: options.controllerName ?? 'switchyard.dev/ingress',
    source: options.source ?? { kind: 'kubernetes' },
    ignoreDefaultBackends: options.ignoreDefaultBackends === true,
  };
}
