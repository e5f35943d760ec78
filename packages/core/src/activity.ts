/**
 * Activity: finagle's `com.twitter.util.Activity` — a Var of `pending | ok | failed`. Namers,
 * dtab sources and the binding interpreter all speak Activities, so that "not loaded yet" and
 * "lookup failed" travel through every combinator as values instead of exceptions.
 */
import { SwitchyardError } from './errors.js';
import { type Dispose, Var } from './var.js';

/** The state of an Activity: still loading, a value, or a failure. */
export type ActivityState<T> =
  | { readonly kind: 'pending' }
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * Activity: a Var of `ActivityState`, finagle's `com.twitter.util.Activity` — an asynchronous
 * computation whose result changes over time.
 */
export interface Activity<T> {
  readonly states: Var<ActivityState<T>>;
}

/** The frozen `pending` state, shared by every Activity. */
const PENDING: ActivityState<never> = Object.freeze({ kind: 'pending' });

function okState<T>(value: T): ActivityState<T> {
  return Object.freeze({ kind: 'ok', value });
}

function failedState<T>(error: unknown): ActivityState<T> {
  return Object.freeze({ kind: 'failed', error: toError(error) });
}

function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new SwitchyardError('SY_ERR_CORE_INVALID_ARGUMENT', `non-Error thrown: ${String(err)}`, {
    cause: err,
  });
}

function fromVar<T>(states: Var<ActivityState<T>>): Activity<T> {
  return { states };
}

function value<T>(x: T): Activity<T> {
  return fromVar(Var.constant(okState(x)));
}

const PENDING_ACTIVITY: Activity<never> = Object.freeze(fromVar(Var.constant<ActivityState<never>>(PENDING)));

function pending<T>(): Activity<T> {
  return PENDING_ACTIVITY as Activity<T>;
}

function exception<T>(err: unknown): Activity<T> {
  return fromVar(Var.constant(failedState<T>(err)));
}

/** An Activity plus the function its owner calls to change its state. */
export interface WritableActivity<T> {
  readonly activity: Activity<T>;
  update(state: ActivityState<T>): void;
}

function writable<T>(initial: ActivityState<T> = PENDING): WritableActivity<T> {
  const v = Var.value<ActivityState<T>>(initial);
  return { activity: fromVar(v), update: (s) => v.update(s) };
}

function map<A, B>(a: Activity<A>, f: (a: A) => B): Activity<B> {
  return fromVar(
    Var.map(a.states, (s): ActivityState<B> => {
      if (s.kind !== 'ok') return s;
      try {
        return okState(f(s.value));
      } catch (err) {
        return failedState(err);
      }
    }),
  );
}

function flatMap<A, B>(a: Activity<A>, f: (a: A) => Activity<B>): Activity<B> {
  return fromVar(
    Var.flatMap(a.states, (s): Var<ActivityState<B>> => {
      if (s.kind !== 'ok') return Var.constant<ActivityState<B>>(s);
      try {
        return f(s.value).states;
      } catch (err) {
        return Var.constant(failedState<B>(err));
      }
    }),
  );
}

function collect<T>(activities: readonly Activity<T>[]): Activity<readonly T[]> {
  return fromVar(
    Var.map(Var.collect(activities.map((a) => a.states)), (states): ActivityState<readonly T[]> => {
      let sawPending = false;
      for (const s of states) {
        if (s.kind === 'failed') return s;
        if (s.kind === 'pending') sawPending = true;
      }
      if (sawPending) return PENDING;
      return okState(states.map((s) => (s as { value: T }).value));
    }),
  );
}

/**
 * Like `collect` for a fixed tuple of differently typed activities.
 */
function join<A, B>(a: Activity<A>, b: Activity<B>): Activity<readonly [A, B]> {
  return map(collect<unknown>([a, b]), (xs) => [xs[0] as A, xs[1] as B] as const);
}

function stabilize<T>(a: Activity<T>): Activity<T> {
  // Kept outside `start` so the last good value also survives a stop/restart of the source.
  let lastOk: ActivityState<T> | undefined;
  return fromVar(
    Var.async<ActivityState<T>>(PENDING, (update) =>
      a.states.observe((s) => {
        if (s.kind === 'ok') {
          lastOk = s;
          update(s);
        } else if (lastOk === undefined) {
          update(s);
        }
      }),
    ),
  );
}

function transform<A, B>(a: Activity<A>, f: (state: ActivityState<A>) => Activity<B>): Activity<B> {
  return fromVar(Var.flatMap(a.states, (s) => f(s).states));
}

function handle<T>(a: Activity<T>, f: (error: Error) => T): Activity<T> {
  return fromVar(
    Var.map(a.states, (s): ActivityState<T> => {
      if (s.kind !== 'failed') return s;
      try {
        return okState(f(s.error));
      } catch (err) {
        return failedState(err);
      }
    }),
  );
}

function sample<T>(a: Activity<T>): T {
  const s = a.states.sample();
  switch (s.kind) {
    case 'ok':
      return s.value;
    case 'failed':
      throw s.error;
    case 'pending':
      throw new SwitchyardError(
        'SY_ERR_CORE_ACTIVITY_PENDING',
        'Activity.sample: the activity is still pending',
      );
    default:
      return assertNever(s);
  }
}

function toPromise<T>(a: Activity<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
  const { signal } = options;
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let done = false;
    let dispose: Dispose | undefined;
    const onAbort = () => finish(() => reject(signal?.reason));
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      settle();
      // During the synchronous first callback `dispose` is not assigned yet; done below.
      dispose?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    dispose = a.states.observe((s) => {
      if (s.kind === 'ok') finish(() => resolve(s.value));
      else if (s.kind === 'failed') finish(() => reject(s.error));
    });
    if (done) dispose();
  });
}

/** Exhaustiveness guard for `switch` statements over discriminated unions. */
export function assertNever(x: never): never {
  throw new SwitchyardError('SY_ERR_CORE_INVALID_ARGUMENT', `unexpected value: ${JSON.stringify(x)}`);
}

/** Constructors and combinators for {@link Activity}, after finagle's `Activity` object. */
export const Activity = Object.freeze({
  /** An Activity that is `ok(x)` forever. */
  value,
  /** An Activity that is `pending` forever. */
  pending,
  /** An Activity that has `failed` with `err` forever (non-Errors are wrapped). */
  exception,
  /** Wraps a Var of states. */
  fromVar,
  /** A settable Activity, `pending` unless `initial` is given. */
  writable,
  /** `f` over ok values; pending and failed pass through; a throwing `f` yields `failed`. */
  map,
  /** Chains activities; when the outer value changes the previous inner Activity is unobserved. */
  flatMap,
  /** All values at once: failed if any failed (the first in order), else pending if any pending. */
  collect,
  /** Two activities as a tuple, `collect` semantics. */
  join,
  /**
   * Once an `ok` value has been seen, later `pending` and `failed` states are hidden and the last
   * `ok` value stays (finagle's `stabilize`: namers keep the last good set while a watch errs).
   */
  stabilize,
  /** Maps every state (not just ok) to a new Activity. */
  transform,
  /** Turns `failed` into `ok(f(error))`. */
  handle,
  /**
   * The current value. Throws the failure, or `SwitchyardError('SY_ERR_CORE_ACTIVITY_PENDING')`
   * while pending.
   */
  sample,
  /**
   * Resolves at the first `ok` state, rejects at the first `failed` one (or with `signal.reason`
   * on abort), then stops observing.
   */
  toPromise,
  /** The frozen pending state. */
  pendingState: PENDING,
  /** Builds a frozen ok state. */
  ok: okState,
  /** Builds a frozen failed state. */
  failed: failedState,
});
