/**
 * The default HTTP identifier kind. Configuration builds identifiers by kind through
 * `@switchyard/config`'s kind registry, the one place kinds are registered.
 */
import { HEADER_TOKEN_KIND } from './header-token.js';

/** The identifier Linkerd's HTTP router uses when none is configured. */
export const DEFAULT_HTTP_IDENTIFIER_KIND = HEADER_TOKEN_KIND;
