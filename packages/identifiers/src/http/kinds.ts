/**
 * The HTTP identifier kinds by their Linkerd names, so configuration can build an identifier
 * from `{ kind, ...options }`.
 */
import { COOKIE_KIND, createCookieIdentifier } from './cookie.js';
import { createHeaderIdentifier, HEADER_KIND } from './header.js';
import { createHeaderPathIdentifier, HEADER_PATH_KIND } from './header-path.js';
import { createHeaderTokenIdentifier, HEADER_TOKEN_KIND } from './header-token.js';
import { createMethodAndHostIdentifier, METHOD_AND_HOST_KIND } from './method-and-host.js';
import { createPathIdentifier, PATH_KIND } from './path.js';
import { createStaticIdentifier, STATIC_KIND } from './static.js';

/** The identifier Linkerd's HTTP router uses when none is configured. */
export const DEFAULT_HTTP_IDENTIFIER_KIND = HEADER_TOKEN_KIND;

/**
 * Factory of each HTTP identifier kind, keyed by the Linkerd `kind` string. Every factory takes
 * its options object (including `dstPrefix`) and throws `IdentifierConfigError` on bad options.
 */
export const httpIdentifierKinds = Object.freeze({
  [HEADER_TOKEN_KIND]: createHeaderTokenIdentifier,
  [HEADER_KIND]: createHeaderIdentifier,
  [PATH_KIND]: createPathIdentifier,
  [METHOD_AND_HOST_KIND]: createMethodAndHostIdentifier,
  [STATIC_KIND]: createStaticIdentifier,
  [COOKIE_KIND]: createCookieIdentifier,
  [HEADER_PATH_KIND]: createHeaderPathIdentifier,
} as const);

/** A kind string accepted by {@link httpIdentifierKinds}. */
export type HttpIdentifierKind = keyof typeof httpIdentifierKinds;
