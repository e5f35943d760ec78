/**
 * `io.l5d.header.token`, Linkerd's default HTTP identifier: the value of one header (default
 * `Host`) becomes ONE path segment, verbatim — not lower-cased, port kept — after `dstPrefix`.
 * Source: linkerd `router/http/HeaderIdentifier.scala` with `headerPath = false`.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import { createNameCache } from '../name-cache.js';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf, headerNameOf } from './common.js';
import { byteLabel, headerValue } from './request.js';

/** The Linkerd kind of {@link createHeaderTokenIdentifier}. */
export const HEADER_TOKEN_KIND = 'io.l5d.header.token';

/** Options of `io.l5d.header.token`. */
export interface HeaderTokenIdentifierOptions extends DstPrefixOption {
  /** The header whose value names the request. Default `Host`. Matched case-insensitively. */
  readonly header?: string;
}

/**
 * Builds `io.l5d.header.token`: `Host: web.example.com:8080` → `/svc/web.example.com:8080`.
 * A missing or empty header gives `unidentified("<header> header is absent")`, with the header
 * name spelled as configured. An absolute-form target's authority stands in for `Host`.
 */
export function createHeaderTokenIdentifier(
  options: HeaderTokenIdentifierOptions = {},
): Identifier<RequestHead> {
  const header = options.header ?? 'Host';
  const lower = headerNameOf(HEADER_TOKEN_KIND, header);
  const prefix = dstPrefixOf(HEADER_TOKEN_KIND, options);
  const absent = Promise.resolve(unidentified<RequestHead>(`${header} header is absent`));
  // A known value's name is one map lookup: the same frozen Path for every request carrying it.
  const names = createNameCache();
  return (req) => {
    const value = headerValue(req, lower);
    if (value === undefined || value === '') return absent;
    const path = names.get(value) ?? names.set(value, Object.freeze([...prefix, byteLabel(value)]));
    return Promise.resolve<Identification<RequestHead>>(identified(path, req));
  };
}
