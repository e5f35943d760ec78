/**
 * Errors of the `io.l5d.fs` namer. None is thrown at lookup time: a bad line is reported (with
 * `file:line`) and skipped, an unreadable file or root directory becomes a `failed` state.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the `io.l5d.fs` namer. */
export type FsNamerErrorCode =
  | 'SY_ERR_NAMERS_FS_CONFIG'
  | 'SY_ERR_NAMERS_FS_LINE'
  | 'SY_ERR_NAMERS_FS_READ'
  | 'SY_ERR_NAMERS_FS_ROOT';

/** `createFsNamer` was given bad options (no `rootDir`, a `prefix` that is not a path...). */
export class FsNamerConfigError extends SwitchyardError<'SY_ERR_NAMERS_FS_CONFIG'> {
  static readonly code = 'SY_ERR_NAMERS_FS_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_NAMERS_FS_CONFIG', `io.l5d.fs: ${message}`, options);
  }
}

/**
 * One line of a service file is not `host port [* weight]`, or its host does not resolve.
 * The line is skipped; the rest of the file still serves. `message` reads
 * `<file>:<line>: malformed address: <text>`.
 */
export class FsLineError extends SwitchyardError<'SY_ERR_NAMERS_FS_LINE'> {
  static readonly code = 'SY_ERR_NAMERS_FS_LINE';
  /** The file, relative to `rootDir`, with `/` separators. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** The line as written (comment and surrounding blanks removed). */
  readonly text: string;
  /** What is wrong, without the location: `malformed address: …`, `cannot resolve …`. */
  readonly reason: string;

  constructor(file: string, line: number, text: string, reason: string, options?: { cause?: unknown }) {
    super('SY_ERR_NAMERS_FS_LINE', `${file}:${line}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.text = text;
    this.reason = reason;
  }
}

/** A service file exists but cannot be read (permissions, I/O error). Its Addr is `failed`. */
export class FsReadError extends SwitchyardError<'SY_ERR_NAMERS_FS_READ'> {
  static readonly code = 'SY_ERR_NAMERS_FS_READ';
  constructor(file: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_NAMERS_FS_READ', `cannot read ${file}${why}`, options);
  }
}

/** `rootDir` is missing or not a directory. Lookups are `failed` until it appears. */
export class FsRootError extends SwitchyardError<'SY_ERR_NAMERS_FS_ROOT'> {
  static readonly code = 'SY_ERR_NAMERS_FS_ROOT';
  constructor(rootDir: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_NAMERS_FS_ROOT', `io.l5d.fs rootDir ${rootDir} is not a readable directory${why}`, options);
  }
}
