/**
 * @packageDocumentation
 * Linkerd 1's HTTP/1.1 identifiers — `io.l5d.header.token` (the default), `io.l5d.header`,
 * `io.l5d.path`, `io.l5d.methodAndHost`, `io.l5d.static` — and `io.l5d.cookie`, as `Identifier<RequestHead>`
 * factories. Compose several with
 * `firstIdentified` from `@switchyard/core`.
 */
export type { DstPrefixOption } from './http/common.js';
export type { CookieIdentifierOptions } from './http/cookie.js';
export { COOKIE_KIND, createCookieIdentifier } from './http/cookie.js';
export { parseCookies, requestCookies } from './http/cookies.js';
export type { HttpIdentifierErrorCode } from './http/errors.js';
export { IdentifierConfigError } from './http/errors.js';
export type { HeaderIdentifierOptions } from './http/header.js';
export { createHeaderIdentifier, HEADER_KIND } from './http/header.js';
export type { HeaderTokenIdentifierOptions } from './http/header-token.js';
export { createHeaderTokenIdentifier, HEADER_TOKEN_KIND } from './http/header-token.js';
export { DEFAULT_HTTP_IDENTIFIER_KIND } from './http/kinds.js';
export type { MethodAndHostIdentifierOptions } from './http/method-and-host.js';
export { createMethodAndHostIdentifier, METHOD_AND_HOST_KIND } from './http/method-and-host.js';
export type { PathIdentifierOptions } from './http/path.js';
export { createPathIdentifier, PATH_KIND } from './http/path.js';
export type { StaticIdentifierOptions } from './http/static.js';
export { createStaticIdentifier, STATIC_KIND } from './http/static.js';
