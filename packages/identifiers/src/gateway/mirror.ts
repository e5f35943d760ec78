/**
 * Fire-and-forget request copies for `RequestMirror`, with a bound on copies in flight. The
 * router gives `send` (bind the name, dispatch, discard the response); this module guarantees the
 * real request never waits for, nor fails because of, a copy: `mirror()` returns at once, `send`
 * is called on a later turn of the event loop, its errors (thrown or rejected) are counted and
 * dropped, and copies beyond `maxInFlight` are not sent at all.
 */
import type { Stats } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import { GatewayConfigError } from './errors.js';

/** Options of {@link createRequestMirror}. */
export interface RequestMirrorOptions<R> {
  /** Sends one copy of `request` to `target`; what it resolves to is ignored. */
  readonly send: (target: Path, request: R) => Promise<unknown>;
  /** Copies in flight at most; further copies are dropped until one settles. Default 64. */
  readonly maxInFlight?: number;
  /** Counters `mirrored` (sent), `dropped` (over the bound), `failed` (send threw or rejected). */
  readonly stats?: Stats;
}

/** A running mirror. */
export interface RequestMirror<R> {
  /** Starts a copy of `request` to each target; returns how many were started. Never throws or waits. */
  mirror(targets: readonly Path[], request: R): number;
  /** Copies started and not yet settled. */
  readonly inFlight: number;
  /** Resolves when every copy in flight has settled (shutdown, tests). */
  drain(): Promise<void>;
}

/**
 * Builds a mirror.
 * @throws {GatewayConfigError} when `maxInFlight` is not a positive integer.
 */
export function createRequestMirror<R>(options: RequestMirrorOptions<R>): RequestMirror<R> {
  const max = options.maxInFlight ?? 64;
  if (!Number.isInteger(max) || max < 1)
    throw new GatewayConfigError('maxInFlight', `must be a positive integer, got ${max}`);
  const mirrored = options.stats?.counter('mirrored');
  const dropped = options.stats?.counter('dropped');
  const failed = options.stats?.counter('failed');
  const pending = new Set<Promise<void>>();
  let inFlight = 0;

  function start(target: Path, request: R): void {
    inFlight++;
    mirrored?.incr();
    const settled = new Promise<void>((resolve) => {
      // A later turn: whatever `send` does synchronously happens after the real request moved on.
      setImmediate(() => {
        let sent: Promise<unknown>;
        try {
          sent = options.send(target, request);
        } catch (err) {
          sent = Promise.reject(err);
        }
        Promise.resolve(sent).then(
          () => resolve(),
          () => {
            failed?.incr();
            resolve();
          },
        );
      });
    });
    pending.add(settled);
    void settled.then(() => {
      inFlight--;
      pending.delete(settled);
    });
  }

  return {
    mirror(targets, request) {
      let started = 0;
      for (const t of targets) {
        if (inFlight >= max) {
          dropped?.incr();
          continue;
        }
        start(t, request);
        started++;
      }
      return started;
    },
    get inFlight() {
      return inFlight;
    },
    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
