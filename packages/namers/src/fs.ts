/**
 * @packageDocumentation
 * `io.l5d.fs`: a namer that reads services from a directory of files (`host port [* weight]`
 * per line) and follows edits without a restart.
 */
export type { FsNamerErrorCode } from './fs/errors.js';
export { FsLineError, FsNamerConfigError, FsReadError, FsRootError } from './fs/errors.js';
export type {
  FsFileState,
  FsLineErrorMessage,
  FsNamer,
  FsNamerOptions,
  FsNamerState,
} from './fs/namer.js';
export { createFsNamer, FS_KIND, FS_LINE_ERROR_CHANNEL } from './fs/namer.js';
