/**
 * @packageDocumentation
 * Namers: `io.l5d.fs` (also `@switchyard/namers/fs`), `io.l5d.rewrite`, `io.l5d.dnssrv`, and
 * `/$/inet` as a standalone namer (also `@switchyard/namers/inet`), plus {@link namerKinds} to
 * build them by kind.
 */
import { createDnsSrvNamer, DNSSRV_KIND } from './dnssrv.js';
import { createFsNamer, FS_KIND } from './fs/namer.js';
import { createRewriteNamer, REWRITE_KIND } from './rewrite.js';

export type {
  DnsSrvNamer,
  DnsSrvNamerErrorCode,
  DnsSrvNamerOptions,
  DnsSrvResolver,
  SrvRecord,
} from './dnssrv.js';
export {
  createDnsSrvNamer,
  DNSSRV_ERROR_CHANNEL,
  DNSSRV_KIND,
  DnsSrvLookupError,
  DnsSrvNamerConfigError,
} from './dnssrv.js';
export type {
  FsEntry,
  FsFileState,
  FsLineErrorMessage,
  FsNamer,
  FsNamerErrorCode,
  FsNamerOptions,
  FsNamerState,
  FsParseResult,
  HostLookup,
} from './fs.js';
export {
  createFsNamer,
  FS_KIND,
  FS_LINE_ERROR_CHANNEL,
  FsLineError,
  FsNamerConfigError,
  FsReadError,
  FsRootError,
  parseFsFile,
  systemHostLookup,
} from './fs.js';
export type { InetLookup, InetNamerOptions } from './inet.js';
export { createInetNamer } from './inet.js';
export type { RewriteNamer, RewriteNamerErrorCode, RewriteNamerOptions } from './rewrite.js';
export { createRewriteNamer, REWRITE_KIND, RewriteNamerConfigError } from './rewrite.js';

/**
 * Factory of each namer kind, keyed by its Linkerd `kind` string. Every factory takes its
 * options object (including `prefix`, the mount point without `#`) and throws a `*ConfigError`
 * on bad options. `io.l5d.rewrite` requires `prefix`; the others default it to `/<kind>`.
 */
export const namerKinds = Object.freeze({
  [FS_KIND]: createFsNamer,
  [REWRITE_KIND]: createRewriteNamer,
  [DNSSRV_KIND]: createDnsSrvNamer,
} as const);

/** A kind string accepted by {@link namerKinds}. */
export type NamerKind = keyof typeof namerKinds;
