/**
 * The bearer token that guards the admin's control endpoints (`POST /admin/shutdown`).
 *
 * The token is given inline or as a file (a mounted Kubernetes Secret). A file is `stat`ed on
 * every check and re-read when its identity, size or mtime changed, so a rotated Secret (kubelet
 * swaps a symlink) takes effect on the next request without watchers or timers; control requests
 * are rare, so the `stat` costs nothing that matters. Comparison hashes both sides first so it
 * takes the same time whatever the token's length or the first differing byte.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { AdminError } from './errors.js';

/**
 * Mutating admin endpoints (`POST /admin/shutdown`). Off unless `enabled`; when enabled exactly
 * one of `token` or `tokenPath` is required, and requests must carry `Authorization: Bearer <token>`.
 */
export interface AdminControlOptions {
  /** Serve the control endpoints. Default false: they answer 404 as if they did not exist. */
  readonly enabled?: boolean;
  /** The token itself (at least 16 characters). */
  readonly token?: string;
  /**
   * A file holding the token (surrounding whitespace is trimmed), e.g. a mounted Secret. Read at
   * `listen()` (a missing or empty file fails it) and re-read whenever the file changes.
   */
  readonly tokenPath?: string;
}

/** The outcome of checking an `Authorization` header. */
export type BearerCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid' }
  /** The token file cannot be read now (deleted, emptied): control fails closed. */
  | { readonly kind: 'unavailable'; readonly error: AdminError };

/** Checks bearer credentials against the configured token. */
export interface BearerToken {
  /** Loads the token now; rejects with `SY_ERR_ADMIN_CONFIG` naming the file when unusable. */
  load(): Promise<void>;
  check(authorization: string | undefined): Promise<BearerCheck>;
}

/** Shorter tokens are refused: they are guessable, and a typo'd empty Secret must not open the door. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Validates `control` (naming the offending field) and returns its token checker, if enabled. */
export function createBearerToken(control: AdminControlOptions | undefined): BearerToken | undefined {
  if (control?.enabled !== true) return undefined;
  const { token, tokenPath } = control;
  if ((token === undefined) === (tokenPath === undefined)) {
    throw new AdminError(
      'SY_ERR_ADMIN_CONFIG',
      'control.enabled requires exactly one of control.token or control.tokenPath',
    );
  }
  if (token !== undefined) {
    const expected = checkLength(token, 'control.token');
    return { load: async () => {}, check: async (h) => compare(h, expected) };
  }
  return fileToken(tokenPath as string);
}

function checkLength(token: string, where: string): Buffer {
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH) {
    throw new AdminError(
      'SY_ERR_ADMIN_CONFIG',
      `${where}: the admin token must be at least ${MIN_TOKEN_LENGTH} characters (got ${t.length})`,
    );
  }
  return digest(t);
}

function fileToken(path: string): BearerToken {
  let expected: Buffer | undefined;
  let version = '';
  const refresh = async (): Promise<Buffer> => {
    try {
      const s = await stat(path);
      const v = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
      if (expected === undefined || v !== version) {
        expected = checkLength(await readFile(path, 'utf8'), `control.tokenPath ${path}`);
        version = v;
      }
      return expected;
    } catch (err) {
      // Fail closed: a token that vanished must not keep (or start) working.
      expected = undefined;
      if (err instanceof AdminError) throw err;
      throw new AdminError('SY_ERR_ADMIN_CONFIG', `control.tokenPath ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    load: async () => {
      await refresh();
    },
    async check(header) {
      let e: Buffer;
      try {
        e = await refresh();
      } catch (err) {
        return { kind: 'unavailable', error: err as AdminError };
      }
      return compare(header, e);
    },
  };
}

function compare(header: string | undefined, expected: Buffer): BearerCheck {
  if (header === undefined) return { kind: 'missing' };
  // RFC 6750 §2.1: `Bearer` is case-insensitive, one or more spaces, then the token.
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (m === null) return { kind: 'missing' };
  return timingSafeEqual(digest(m[1] as string), expected) ? { kind: 'ok' } : { kind: 'invalid' };
}
