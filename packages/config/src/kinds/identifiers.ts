/**
 * Identifier kinds (`routers[].identifier`): Linkerd 1's HTTP identifiers. `io.l5d.ingress` is
 * added by the Kubernetes kinds. Every identifier uses its router's `dstPrefix`.
 */
import type { AdminIngressRuleView } from '@switchyard/admin';
import type { Identifier, RequestHead, Var } from '@switchyard/core';
import {
  createCookieIdentifier,
  createHeaderIdentifier,
  createHeaderPathIdentifier,
  createHeaderTokenIdentifier,
  createMethodAndHostIdentifier,
  createPathIdentifier,
  createStaticIdentifier,
} from '@switchyard/identifiers/http';
import type { ServerLayer } from '@switchyard/router';
import type { CertificateSource } from '@switchyard/tls';
import type { BuildContext } from '../build-context.js';
import { createKindCategory, type KindCategory } from '../registry.js';
import {
  boolean,
  number,
  object,
  optional,
  refine,
  reject,
  required,
  string,
  withDefault,
} from '../schema.js';

/** An ingress routing-table row: the admin's row, before the admin adds ready endpoint counts. */
export type IngressRuleRow = Omit<AdminIngressRuleView, 'readyEndpoints'>;

/** A built identifier, with what the admin may show about it. */
export interface BuiltIdentifier {
  readonly kind: string;
  readonly identifier: Identifier<RequestHead>;
  /** The routing table, for identifiers driven by rules (io.l5d.ingress). */
  rules?(): readonly IngressRuleRow[];
  /**
   * Certificates the identifier's rules ask for (Ingress `spec.tls` Secrets), added to the
   * router's TLS servers for SNI.
   */
  readonly certificates?: CertificateSource;
  /** Names the identifier serves over TLS (Ingress `spec.tls` hosts, Gateway HTTPS listener hostnames), for `tls.acme`. */
  readonly tlsHosts?: Var<readonly string[]>;
  /**
   * A server-stack layer the identifier needs before `identify` (io.l5d.httproute's
   * RequestRedirect and ResponseHeaderModifier filters). The router runs the layers of its
   * current identifiers.
   */
  readonly layer?: ServerLayer;
}

function dstPrefix(context: BuildContext): string {
  return context.router?.dstPrefix ?? '/svc';
}

/** Creates the identifier category with the HTTP kinds. */
export function identifierKinds(): KindCategory<BuiltIdentifier, BuildContext> {
  const kinds = createKindCategory<BuiltIdentifier, BuildContext>('identifier');
  kinds.register({
    kind: 'io.l5d.header.token',
    doc: 'Names requests /<dstPrefix>/<header value> (one segment, verbatim). The default, on Host.',
    schema: object({ header: withDefault(string({ nonEmpty: true }), 'Host', 'Header to read.') }),
    build: (o, c) => ({
      kind: 'io.l5d.header.token',
      identifier: createHeaderTokenIdentifier({ header: o.header, dstPrefix: dstPrefix(c) }),
    }),
  });
  kinds.register({
    kind: 'io.l5d.header',
    doc: 'Names requests /<dstPrefix><header value>, the value being a path.',
    schema: object({ header: withDefault(string({ nonEmpty: true }), 'l5d-name', 'Header holding a path.') }),
    build: (o, c) => ({
      kind: 'io.l5d.header',
      identifier: createHeaderIdentifier({ header: o.header, dstPrefix: dstPrefix(c) }),
    }),
  });
  // Linkerd 1's h2 identifier: gRPC requests named by `/package.Service/Method` (`segments: 1`
  // names the service).
  kinds.register({
    kind: 'io.l5d.header.path',
    doc: 'Names requests /<dstPrefix><path> from the request path (or a header holding a path); `segments` keeps the first N.',
    schema: object({
      header: withDefault(
        string({ nonEmpty: true }),
        ':path',
        'Where the path is read: `:path` (the request target) or a header.',
      ),
      segments: optional(
        number({ integer: true, min: 1 }),
        'Use only the first N path segments (default: all).',
      ),
    }),
    build: (o, c) => ({
      kind: 'io.l5d.header.path',
      identifier: createHeaderPathIdentifier({
        header: o.header,
        dstPrefix: dstPrefix(c),
        ...(o.segments === undefined ? {} : { segments: o.segments }),
      }),
    }),
  });
  kinds.register({
    kind: 'io.l5d.path',
    doc: 'Names requests by their first `segments` path segments, optionally removing them.',
    schema: object({
      segments: withDefault(number({ integer: true, min: 1 }), 1, 'Leading path segments in the name.'),
      consume: withDefault(boolean(), false, 'Remove those segments from the forwarded URI.'),
    }),
    build: (o, c) => ({
      kind: 'io.l5d.path',
      identifier: createPathIdentifier({ segments: o.segments, consume: o.consume, dstPrefix: dstPrefix(c) }),
    }),
  });
  kinds.register({
    kind: 'io.l5d.methodAndHost',
    doc: 'Names requests /<dstPrefix>/<version>/<METHOD>/<host>[/<uri>].',
    schema: object({ httpUriInDst: withDefault(boolean(), false, 'Append the request path to the name.') }),
    build: (o, c) => ({
      kind: 'io.l5d.methodAndHost',
      identifier: createMethodAndHostIdentifier({ httpUriInDst: o.httpUriInDst, dstPrefix: dstPrefix(c) }),
    }),
  });
  kinds.register({
    kind: 'io.l5d.static',
    doc: 'Names every request /<dstPrefix><path>.',
    schema: object({ path: required(string({ nonEmpty: true }), 'The name to give every request.') }),
    build: (o, c) => ({
      kind: 'io.l5d.static',
      identifier: createStaticIdentifier({ path: o.path, dstPrefix: dstPrefix(c) }),
    }),
  });
  // Switchyard's own; its dstPrefix is its own option (default /cookie), not the router's.
  kinds.register({
    kind: 'io.l5d.cookie',
    doc: 'Names requests /<dstPrefix>/<cookie value> (one segment). Not in Linkerd 1.',
    schema: object({
      name: required(string({ nonEmpty: true }), 'The cookie whose value names the request.'),
      pattern: optional(
        refine(string({ nonEmpty: true }), (text) => {
          try {
            new RegExp(text);
            return text;
          } catch (err) {
            return reject(`not a regular expression: ${(err as Error).message}`);
          }
        }),
        'A regular expression the whole value must match.',
      ),
      dstPrefix: withDefault(string({ nonEmpty: true }), '/cookie', 'Prefix of the name.'),
    }),
    build: (o) => ({
      kind: 'io.l5d.cookie',
      identifier: createCookieIdentifier({
        name: o.name,
        dstPrefix: o.dstPrefix,
        ...(o.pattern === undefined ? {} : { pattern: o.pattern }),
      }),
    }),
  });
  return kinds;
}
