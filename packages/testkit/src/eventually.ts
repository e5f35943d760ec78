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

/**
 * Resolves once `check()` returns (or resolves to) true; rejects with an error naming `what` and
 * the timeout when it has not by then. A check that throws rejects at once.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  options: EventuallyOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new Error(`${what} not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
