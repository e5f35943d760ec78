/**
 * @packageDocumentation
 * Linkerd 1's HTTP/1.1 identifiers — `io.l5d.header.token` (the default), `io.l5d.header`,
 * `io.l5d.path`, `io.l5d.methodAndHost`, `io.l5d.static` — `io.l5d.cookie`, and the h2 router's
 * `io.l5d.header.path` (gRPC `/package.Service/Method` routing), as `Identifier<RequestHead>`
 * factories. Compose several with
 * `firstIdentified` from `@switchyard/core`.
 */
export type { DstPrefixOption } from './http/common.js';
export type { CookieIdentifierOptions } from './http/cookie.js';
export { COOKIE_KIND, createCookieIdentifier } from './http/cookie.js';
export type { ParsedCookies } from './http/cookies.js';
export { parseCookies } from './http/cookies.js';
export type {
  AppliedDtabOverrides,
  DtabOverride,
  DtabOverrideCondition,
  DtabOverridesOptions,
  SignedDtabOverridesOptions,
} from './http/dtab-overrides.js';
export {
  DTAB_OVERRIDE_CHANNEL,
  DTAB_OVERRIDE_REJECTED_CHANNEL,
  dtabOverridesApplied,
  withDtabOverrides,
} from './http/dtab-overrides.js';
export type { HttpIdentifierErrorCode } from './http/errors.js';
export { IdentifierConfigError } from './http/errors.js';
export type { HeaderIdentifierOptions } from './http/header.js';
export { createHeaderIdentifier, HEADER_KIND } from './http/header.js';
export type { HeaderPathIdentifierOptions } from './http/header-path.js';
export { createHeaderPathIdentifier, HEADER_PATH_KIND } from './http/header-path.js';
export type { HeaderTokenIdentifierOptions } from './http/header-token.js';
export { createHeaderTokenIdentifier, HEADER_TOKEN_KIND } from './http/header-token.js';
export { DEFAULT_HTTP_IDENTIFIER_KIND } from './http/kinds.js';
export type { MethodAndHostIdentifierOptions } from './http/method-and-host.js';
export { createMethodAndHostIdentifier, METHOD_AND_HOST_KIND } from './http/method-and-host.js';
export type { PathIdentifierOptions } from './http/path.js';
export { createPathIdentifier, PATH_KIND } from './http/path.js';
export type {
  OverrideKey,
  SignedOverrideRejection,
  SignedOverrideResult,
} from './http/signed-override.js';
export { checkOverrideKeys, mintSignedOverride, verifySignedOverride } from './http/signed-override.js';
export type { StaticIdentifierOptions } from './http/static.js';
export { createStaticIdentifier, STATIC_KIND } from './http/static.js';
