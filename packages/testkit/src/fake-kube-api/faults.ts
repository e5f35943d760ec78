/**
 * Deliberate misbehaviour of the test API server, for resilience tests: the next requests fail
 * (any status, optionally with `Retry-After`) or are throttled (429, as API Priority and Fairness
 * does), watches break mid-event, and the whole server stalls and resumes in order. `admit` runs
 * first for every request and throws the injected error; the rest acts on the open watches.
 */
import type { KubeStatus } from '@switchyard/k8s';
import type { FakeKubeFaults, RecordedRequest } from './api-types.js';
import type { Watcher } from './list-watch.js';
import { ApiStatusError, failure, tooManyRequests } from './status.js';

/** The fault state of one server: the test-facing handle and the hooks the server calls. */
export interface FaultState {
  readonly faults: FakeKubeFaults;
  /** Holds the request while stalled, then throws an injected 429 or failure if one is due. */
  admit(record: RecordedRequest): Promise<void>;
  stalled(): boolean;
  /** Lets every held request go (the server is closing). */
  releaseAll(): void;
}

/** Fault state acting on `watchers` (the server's open watches). */
export function createFaults(deps: {
  readonly watchers: ReadonlySet<Watcher>;
  readonly writeEvent: (w: Watcher, line: string) => void;
  readonly bookmarkLine: (w: Watcher) => string;
  readonly compact: () => void;
}): FaultState {
  let failures:
    | {
        count: number;
        status: number;
        retryAfter: number | undefined;
        match: (r: RecordedRequest) => boolean;
        body?: Record<string, unknown>;
      }
    | undefined;
  let throttle: { count: number; retryAfter: number; match: (r: RecordedRequest) => boolean } | undefined;
  let stalled = false;
  let heldRequests: (() => void)[] = [];

  const faults: FakeKubeFaults = {
    failNext(count, o = {}) {
      failures = {
        count,
        status: o.status ?? 500,
        retryAfter: o.retryAfterSeconds,
        match: o.match ?? (() => true),
        body: o.body,
      };
    },
    throttleNext(count, o = {}) {
      throttle = { count, retryAfter: o.retryAfterSeconds ?? 1, match: o.match ?? (() => true) };
    },
    dropWatches() {
      for (const w of deps.watchers) {
        const line = deps.bookmarkLine(w);
        w.res.write(line.slice(0, Math.floor(line.length / 2)));
        w.res.destroy();
      }
    },
    dropWatchesOnNextEvent() {
      for (const w of deps.watchers) w.dropOnNext = true;
    },
    stall() {
      stalled = true;
    },
    unstall() {
      stalled = false;
      const held = heldRequests;
      heldRequests = [];
      for (const resume of held) resume();
      for (const w of deps.watchers) {
        for (const line of w.held.splice(0)) deps.writeEvent(w, line);
      }
    },
    expireResourceVersions() {
      deps.compact();
    },
  };

  return {
    faults,
    stalled: () => stalled,
    async admit(record) {
      if (stalled) await new Promise<void>((resolve) => heldRequests.push(resolve));
      if (throttle && throttle.count > 0 && throttle.match(record)) {
        throttle.count--;
        throw tooManyRequests(throttle.retryAfter);
      }
      if (failures && failures.count > 0 && failures.match(record)) {
        failures.count--;
        const reason = failures.status === 503 ? 'ServiceUnavailable' : 'InternalError';
        const base = failure(failures.status, reason, 'injected failure');
        throw new ApiStatusError(
          { ...base, ...failures.body } as KubeStatus,
          failures.retryAfter === undefined ? undefined : { 'retry-after': String(failures.retryAfter) },
        );
      }
    },
    releaseAll() {
      const held = heldRequests;
      heldRequests = [];
      for (const resume of held) resume();
    },
  };
}
