/**
 * Waiting in tests for state that has no event to observe: re-check a condition every few ms until
 * it holds or a deadline passes. One home for what several packages' tests had written for
 * themselves (`until`, `eventually`); prefer an event (an informer's `subscribe`, `Var.observe`,
 * the test API's `waitFor`) where one exists.
 */

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this many ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** Pause between checks, ms. Default 5. */
  readonly intervalMs?: number;
  /** Names the condition in the timeout error; a function is called then (to show the last value seen). */
  readonly what?: string | (() => string);
}

/** What a check returns while its condition does not hold yet. */
type NotYet = undefined | null | false;

/**
 * Resolves with the first value `check()` returns (or resolves to) that is not `undefined`,
 * `null` or `false` — `true` for a boolean check, the found thing for a lookup; rejects with an
 * error naming `what` and the timeout when there is none by then. A check that throws rejects at
 * once.
 */
export async function eventually<T>(
  check: () => T | NotYet | Promise<T | NotYet>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new Error(`${what} not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
