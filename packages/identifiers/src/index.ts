/**
 * @packageDocumentation
 * Identifiers name HTTP requests for routing: Linkerd 1's HTTP identifiers (also at
 * `@switchyard/identifiers/http`) and `io.l5d.ingress` (at `@switchyard/identifiers/ingress`).
 */
export type {
  CookieIdentifierOptions,
  DstPrefixOption,
  HeaderIdentifierOptions,
  HeaderPathIdentifierOptions,
  HeaderTokenIdentifierOptions,
  HttpIdentifierErrorCode,
  MethodAndHostIdentifierOptions,
  PathIdentifierOptions,
  StaticIdentifierOptions,
} from './http.js';
export {
  COOKIE_KIND,
  createCookieIdentifier,
  createHeaderIdentifier,
  createHeaderPathIdentifier,
  createHeaderTokenIdentifier,
  createMethodAndHostIdentifier,
  createPathIdentifier,
  createStaticIdentifier,
  DEFAULT_HTTP_IDENTIFIER_KIND,
  HEADER_KIND,
  HEADER_PATH_KIND,
  HEADER_TOKEN_KIND,
  IdentifierConfigError,
  METHOD_AND_HOST_KIND,
  PATH_KIND,
  parseCookies,
  STATIC_KIND,
} from './http.js';
