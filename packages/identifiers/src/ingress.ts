/**
 * @packageDocumentation
 * `io.l5d.ingress`: names HTTP requests by Kubernetes Ingress rules — Ingress v1 semantics by
 * default (case-insensitive and wildcard hosts, Exact/Prefix paths, longest match, IngressClass),
 * or Linkerd 1.x exactly with `compat: 'linkerd1'` — from the Kubernetes API, a directory of YAML
 * manifests, or a static list. Also writes Ingress status and exposes `spec.tls` for SNI.
 */

export type { ClaimDecision } from './ingress/class.js';
export { claim, DEFAULT_CLASS_ANNOTATION } from './ingress/class.js';
export type { IngressMatch } from './ingress/default-index.js';
export { normalizeHost } from './ingress/default-index.js';
export type { IngressIdentifierErrorCode } from './ingress/errors.js';
export {
  IngressConfigError,
  IngressProblemError,
  IngressSourceError,
  IngressStatusError,
} from './ingress/errors.js';
export type {
  IngressIdentifier,
  IngressIdentifierOptions,
  IngressIgnored,
  IngressProblem,
  IngressRuleView,
  IngressTlsSecret,
} from './ingress/identifier.js';
export {
  createIngressIdentifier,
  INGRESS_KIND,
  INGRESS_PROBLEM_CHANNEL,
  NO_RULE_MATCHES,
} from './ingress/identifier.js';
export type {
  IngressPathRecord,
  IngressPathType,
  IngressRecord,
  IngressRuleRecord,
  IngressServiceBackend,
  IngressTlsRecord,
} from './ingress/model.js';
export { INGRESS_CLASS_ANNOTATION } from './ingress/model.js';
export type { IngressApiVersion, IngressSource } from './ingress/sources.js';
export type { IngressStatusAddress, StatusLeadership } from './ingress/status.js';
export { INGRESS_STATUS_CHANNEL } from './ingress/status.js';
