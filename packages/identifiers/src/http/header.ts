/**
 * `io.l5d.header`: the value of one header (default `l5d-name`) is read as a Path, which must
 * start with `/`, and appended to `dstPrefix`. Source: linkerd `router/http/HeaderIdentifier.scala`
 * with `headerPath = true`.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf, headerNameOf } from './common.js';
import { headerValue, messageOf } from './request.js';

/** The Linkerd kind of {@link createHeaderIdentifier}. */
export const HEADER_KIND = 'io.l5d.header';

/** Options of `io.l5d.header`. */
export interface HeaderIdentifierOptions extends DstPrefixOption {
  /** The header holding the path. Default `l5d-name`. Matched case-insensitively. */
  readonly header?: string;
}

/**
 * Builds `io.l5d.header`: `l5d-name: /a/b` → `/svc/a/b`. A missing or empty header gives
 * `unidentified("<header> header is absent")`. A value that is not a path (`foo`, `/a//b`) gives
 * `unidentified(<the Path.read error message>)`: Linkerd fails the identification with that
 * message and answers 400, which is what the router does with this reason.
 */
export function createHeaderIdentifier(options: HeaderIdentifierOptions = {}): Identifier<RequestHead> {
  const header = options.header ?? 'l5d-name';
  const lower = headerNameOf(HEADER_KIND, header);
  const prefix = dstPrefixOf(HEADER_KIND, options);
  const absent = Promise.resolve(unidentified<RequestHead>(`${header} header is absent`));
  return (req) => {
    const value = headerValue(req, lower);
    if (value === undefined || value === '') return absent;
    let path: Path;
    try {
      path = Path.read(value);
    } catch (err) {
      return Promise.resolve(unidentified<RequestHead>(messageOf(err)));
    }
    return Promise.resolve<Identification<RequestHead>>(identified([...prefix, ...path], req));
  };
}
