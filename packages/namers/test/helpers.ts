/** Event-driven waits for Vars and Activities: no sleeps, generous timeouts. */
import type { Activity, ActivityState, Var } from '@switchyard/core';

/** Resolves with the first value of `v` that satisfies `ok`; rejects after `timeoutMs`. */
export function waitFor<T>(v: Var<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let last: T | undefined;
    let dispose: (() => void) | undefined;
    const timer = setTimeout(() => {
      done = true;
      dispose?.();
      reject(new Error(`waitFor timed out; last value: ${JSON.stringify(last, replacer)}`));
    }, timeoutMs);
    dispose = v.observe((value) => {
      last = value;
      if (done || !ok(value)) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => dispose?.());
      resolve(value);
    });
    if (done) dispose();
  });
}

/** Waits for an Activity state satisfying `ok`. */
export function waitForState<T>(
  a: Activity<T>,
  ok: (s: ActivityState<T>) => boolean,
  timeoutMs = 5000,
): Promise<ActivityState<T>> {
  return waitFor(a.states, ok, timeoutMs);
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { error: value.message };
  if (typeof value === 'object' && value !== null && 'observe' in value) return '[Var]';
  return value;
}
