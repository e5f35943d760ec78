/**
 * The batching queue both span exporters (Zipkin, OTLP) send through. `add` is O(1) on the
 * request path (a push onto a bounded queue); batches go out by a timer or when a batch fills, one
 * request at a time. A collector outage never blocks callers and never grows memory past
 * `maxQueue` items: retryable failures are retried with exponential back-off and full jitter
 * (honouring a `Retry-After` the sender reports), items arriving meanwhile queue up to the bound
 * and are dropped and counted beyond it, and a batch is dropped after `maxAttempts`.
 */
import {
  type Clock,
  type Counter,
  type Random,
  type Stats,
  systemClock,
  type TimerHandle,
} from '@switchyard/core';

/** What sending one batch came to. */
export type SendOutcome =
  | { readonly kind: 'ok'; readonly rejected: number }
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  | { readonly kind: 'fail'; readonly reason: string };

/** Options of {@link createBatchQueue}; `B` is a batch as encoded once for all its attempts. */
export interface BatchQueueOptions<T, B> {
  /** Encodes a batch once, before its first attempt. */
  readonly encode: (batch: readonly T[]) => B;
  /** One attempt; never throws (a failure is an outcome). */
  readonly send: (body: B) => Promise<SendOutcome>;
  /** Called on every failed attempt: `retrying` says whether the batch will be tried again. */
  readonly onFailure: (reason: string, items: number, retrying: boolean) => void;
  readonly batchSize: number;
  /** Longest an item waits before its batch is sent, ms. Default 1000. */
  readonly flushIntervalMs?: number | undefined;
  /** Items held (queued and in flight); beyond this new items are dropped and counted. */
  readonly maxQueue: number;
  /** Tries per batch, the first included. Default 5. */
  readonly maxAttempts?: number | undefined;
  /** First back-off, ms; doubles per retry, with full jitter. Default 1000. */
  readonly initialBackoffMs?: number | undefined;
  /** Longest back-off (and longest `Retry-After` honoured), ms. Default 30000. */
  readonly maxBackoffMs?: number | undefined;
  /** Counts `spans_sent`, `spans_dropped`, `export_failures`, `export_retries`. */
  readonly stats?: Stats | undefined;
  /** Timers for the flush interval and back-off. Default `systemClock`. */
  readonly clock?: Clock | undefined;
  /** Jitter. Default `Math.random`. */
  readonly random?: Random | undefined;
}

/**
 * The retry and timing defaults every exporter shares (one place, so Zipkin and OTLP cannot
 * drift apart): a batch at least every second, 5 tries, back-off from 1 s doubling to 30 s.
 */
export const BATCH_QUEUE_DEFAULTS = Object.freeze({
  flushIntervalMs: 1000,
  maxAttempts: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
});

/** A bounded batching queue with retries. */
export interface BatchQueue<T> {
  /** Enqueues an item. Never blocks, never throws; dropped and counted when full or closed. */
  add(item: T): void;
  /** Items held: queued plus the batch being sent or waiting to be retried. */
  readonly held: number;
  /** Items queued and not yet taken into a batch. */
  readonly queued: number;
  /** Sends everything queued now (in batches, one at a time, retrying). Resolves when done. */
  flush(): Promise<void>;
  /** Stops retrying, tries what is held once more, then drops any later item. */
  close(): Promise<void>;
}

/** Creates a {@link BatchQueue}. */
export function createBatchQueue<T, B>(o: BatchQueueOptions<T, B>): BatchQueue<T> {
  const batchSize = Math.max(1, o.batchSize);
  const maxQueue = Math.max(batchSize, o.maxQueue);
  const maxAttempts = Math.max(1, o.maxAttempts ?? BATCH_QUEUE_DEFAULTS.maxAttempts);
  const initialBackoffMs = o.initialBackoffMs ?? BATCH_QUEUE_DEFAULTS.initialBackoffMs;
  const maxBackoffMs = Math.max(initialBackoffMs, o.maxBackoffMs ?? BATCH_QUEUE_DEFAULTS.maxBackoffMs);
  const flushIntervalMs = o.flushIntervalMs ?? BATCH_QUEUE_DEFAULTS.flushIntervalMs;
  const clock = o.clock ?? systemClock;
  const random = o.random ?? Math.random;
  const counter = (name: string): Counter | undefined => o.stats?.counter(name);
  const sent = counter('spans_sent');
  const dropped = counter('spans_dropped');
  const failures = counter('export_failures');
  const retries = counter('export_retries');
  const queue: T[] = [];
  let inFlight = 0;
  let timer: TimerHandle | undefined;
  let pump: Promise<void> | undefined;
  /** Resolves a back-off wait early (on `close`). */
  let wake: (() => void) | undefined;
  let closed = false;

  const schedule = (ms: number): void => {
    if (timer !== undefined) {
      if (ms > 0) return;
      clock.clearTimeout(timer);
    }
    timer = clock.setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = clock.setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clock.clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  const deliver = async (batch: readonly T[]): Promise<void> => {
    const body = o.encode(batch);
    for (let attempt = 1; ; attempt++) {
      const outcome = await o.send(body);
      if (outcome.kind === 'ok') {
        sent?.incr(batch.length - outcome.rejected);
        if (outcome.rejected > 0) dropped?.incr(outcome.rejected);
        return;
      }
      failures?.incr();
      const retrying = outcome.kind === 'retry' && attempt < maxAttempts && !closed;
      o.onFailure(outcome.reason, batch.length, retrying);
      if (!retrying) {
        dropped?.incr(batch.length);
        return;
      }
      retries?.incr();
      const ceiling = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
      await sleep(Math.min(maxBackoffMs, outcome.afterMs ?? Math.round(random() * ceiling)));
    }
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSize);
      inFlight = batch.length;
      try {
        await deliver(batch);
      } finally {
        inFlight = 0;
      }
    }
  };

  const flush = (): Promise<void> => {
    pump ??= drain().finally(() => {
      pump = undefined;
      if (queue.length > 0 && !closed) schedule(flushIntervalMs);
    });
    return pump;
  };

  return {
    add(item) {
      if (closed || queue.length + inFlight >= maxQueue) {
        dropped?.incr();
        return;
      }
      queue.push(item);
      if (pump !== undefined) return; // the running pump takes it
      if (queue.length >= batchSize) schedule(0);
      else schedule(flushIntervalMs);
    },
    get held() {
      return queue.length + inFlight;
    },
    get queued() {
      return queue.length;
    },
    flush,
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      wake?.();
      await pump;
      await flush();
    },
  };
}

/** `Retry-After` in seconds (the HTTP-date form is rare from collectors and ignored). */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (value == null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/** Statuses a collector answers when it may take the batch later. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
