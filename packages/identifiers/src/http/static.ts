/**
 * `io.l5d.static`: every request gets the same name, `dstPrefix ++ path`. Source: linkerd
 * `StaticIdentifierConfig.scala` / `router/http/StaticIdentifier.scala`.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf } from './common.js';
import { IdentifierConfigError } from './errors.js';
import { readPathOption } from './request.js';

/** The Linkerd kind of {@link createStaticIdentifier}. */
export const STATIC_KIND = 'io.l5d.static';

/** Options of `io.l5d.static`. */
export interface StaticIdentifierOptions extends DstPrefixOption {
  /** Required. The name given to every request, appended to `dstPrefix`: `/foo/bar`. */
  readonly path: string | Path;
}

/** Builds `io.l5d.static`: with `path: /foo/bar` every request is `/svc/foo/bar`. */
export function createStaticIdentifier(options: StaticIdentifierOptions): Identifier<RequestHead> {
  if (options?.path === undefined || options.path === null) {
    throw new IdentifierConfigError(STATIC_KIND, 'path', 'path is required');
  }
  const prefix = dstPrefixOf(STATIC_KIND, options);
  const path = readPathOption(
    options.path,
    (message, cause) => new IdentifierConfigError(STATIC_KIND, 'path', message, { cause }),
  );
  const name: Path = Object.freeze([...prefix, ...path]);
  return (req) => Promise.resolve<Identification<RequestHead>>(identified(name, req));
}
