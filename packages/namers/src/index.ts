/**
 * @packageDocumentation
 * Namers: `io.l5d.fs` (also `@switchyard/namers/fs`), `io.l5d.rewrite` and `io.l5d.dnssrv`
 * (`io.l5d.k8s` is `@switchyard/namers/k8s`). `/$/inet` is core's (`createInetNamer` in
 * `@switchyard/core`); configuration builds namers by kind with `@switchyard/config`'s registry.
 */

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
  FsFileState,
  FsLineErrorMessage,
  FsNamer,
  FsNamerErrorCode,
  FsNamerOptions,
  FsNamerState,
} from './fs.js';
export {
  createFsNamer,
  FS_KIND,
  FS_LINE_ERROR_CHANNEL,
  FsLineError,
  FsNamerConfigError,
  FsReadError,
  FsRootError,
} from './fs.js';
export type { RewriteNamer, RewriteNamerErrorCode, RewriteNamerOptions } from './rewrite.js';
export { createRewriteNamer, REWRITE_KIND, RewriteNamerConfigError } from './rewrite.js';
