/**
 * `io.l5d.cookie`: routes on the value of one cookie, for sticky canaries and A/B tests
 * (`Cookie: canary=v2` → `/cookie/v2`). Not in Linkerd 1; the shape follows its header
 * identifiers.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import { dstPrefixOf } from './common.js';
import { requestCookies } from './cookies.js';
import { IdentifierConfigError } from './errors.js';

/** The kind of {@link createCookieIdentifier}. */
export const COOKIE_KIND = 'io.l5d.cookie';

/** Options of `io.l5d.cookie`. */
export interface CookieIdentifierOptions {
  /** The cookie whose value names the request (a token, matched case-sensitively). Required. */
  readonly name: string;
  /**
   * A regular expression the whole value must match (it is anchored: `v[0-9]+` does not match
   * `xv1`); other values are `unidentified`. Default: any non-empty value.
   */
  readonly pattern?: string;
  /** Prepended to the value. Default `/cookie` (not the router's `/svc`). */
  readonly dstPrefix?: string | Path;
}

const DEFAULT_PREFIX: Path = Object.freeze(['cookie']);

/**
 * Builds `io.l5d.cookie`: `Cookie: canary=v2` with `name: canary` → `/cookie/v2` (the value is
 * one path segment, verbatim). An absent or empty cookie gives `unidentified("cookie <name> is
 * absent")`; a value not matching `pattern` gives `unidentified("cookie <name> does not match
 * <pattern>")`, so a list of identifiers goes on to the next one. Throws `IdentifierConfigError`
 * for a missing or non-token `name` or an invalid `pattern`.
 */
export function createCookieIdentifier(options: CookieIdentifierOptions): Identifier<RequestHead> {
  const name = options?.name;
  if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new IdentifierConfigError(COOKIE_KIND, 'name', `not a cookie name: ${JSON.stringify(name)}`);
  }
  let pattern: RegExp | undefined;
  if (options.pattern !== undefined) {
    try {
      pattern = new RegExp(`^(?:${options.pattern})$`);
    } catch (err) {
      throw new IdentifierConfigError(COOKIE_KIND, 'pattern', (err as Error).message, { cause: err });
    }
  }
  const prefix = options.dstPrefix === undefined ? DEFAULT_PREFIX : dstPrefixOf(COOKIE_KIND, options);
  const absent = Promise.resolve(unidentified<RequestHead>(`cookie ${name} is absent`));
  const mismatch = Promise.resolve(
    unidentified<RequestHead>(`cookie ${name} does not match ${options.pattern}`),
  );
  return (req) => {
    const value = requestCookies(req).get(name);
    if (value === undefined || value === '') return absent;
    if (pattern !== undefined && !pattern.test(value)) return mismatch;
    return Promise.resolve<Identification<RequestHead>>(identified([...prefix, value], req));
  };
}
