/**
 * Options every HTTP identifier shares, and their validation. Linkerd gives each identifier the
 * router's `dstPrefix` (default `/svc`); here it is an option of each factory.
 */
import type { Path } from '@switchyard/dtab';
import { IdentifierConfigError } from './errors.js';
import { readPathOption } from './request.js';

/** Options shared by every HTTP identifier. */
export interface DstPrefixOption {
  /** Prepended to every name, as text (`/svc`) or a `Path`. Default `/svc`. */
  readonly dstPrefix?: string | Path;
}

const DEFAULT_PREFIX: Path = Object.freeze(['svc']);

/** Resolves `dstPrefix`, throwing `IdentifierConfigError` when it is not a path. */
export function dstPrefixOf(kind: string, options: DstPrefixOption): Path {
  if (options.dstPrefix === undefined) return DEFAULT_PREFIX;
  return readPathOption(
    options.dstPrefix,
    (message, cause) => new IdentifierConfigError(kind, 'dstPrefix', message, { cause }),
  );
}

/**
 * HTTP/2 request pseudo-headers an identifier may name, as Linkerd 1's h2 identifiers did (its
 * `io.l5d.header.token` defaulted to `:authority`). The request head carries them as `Host`, the
 * target and the method, so they read the same on HTTP/1.1 and HTTP/2 requests (`headerValue`).
 */
const PSEUDO_HEADERS = new Set([':authority', ':path', ':method']);

/** Validates a header-name option and returns it lower-cased (how `RequestHead` stores names). */
export function headerNameOf(kind: string, header: string): string {
  if (typeof header === 'string' && PSEUDO_HEADERS.has(header.toLowerCase())) return header.toLowerCase();
  if (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) {
    throw new IdentifierConfigError(kind, 'header', `not an HTTP header name: ${JSON.stringify(header)}`);
  }
  return header.toLowerCase();
}
