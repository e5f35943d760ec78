/**
 * @packageDocumentation
 * Namers: `io.l5d.rewrite` and `io.l5d.dnssrv`. `io.l5d.fs` is `@switchyard/namers/fs` and
 * `io.l5d.k8s` is `@switchyard/namers/k8s` (each backend's entry loads only what it needs);
 * `/$/inet` is core's (`createInetNamer` in `@switchyard/core`); configuration builds namers by
 * kind with `@switchyard/config`'s registry.
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
export type { RewriteNamer, RewriteNamerErrorCode, RewriteNamerOptions } from './rewrite.js';
export { createRewriteNamer, REWRITE_KIND, RewriteNamerConfigError } from './rewrite.js';
