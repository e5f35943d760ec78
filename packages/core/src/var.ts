/**
 * Var: a value that changes over time, finagle's `com.twitter.util.Var`.
 *
 * Everything in naming is a Var underneath: a namer's address set, a dtab read from a file, the
 * bound tree of a path. Observing returns a dispose function. Derived Vars (`map`, `flatMap`,
 * `collect`) and sources created with `Var.async` do their work only while observed: the first
 * observer starts them, the last one to leave stops them, and a later observer starts them again.
 */

/** Stops an observation or a resource. Idempotent. */
export type Dispose = () => void;

/**
 * A value that changes over time. `observe` calls `f` synchronously with the current value, then
 * on each change, until the returned `Dispose` is called. Successive equal (`===`) values may be
 * delivered only once. `sample()` reads the current value; on an unobserved derived Var it briefly
 * observes it (starting and stopping any `async` source underneath).
 */
export interface Var<T> {
  sample(): T;
  observe(f: (value: T) => void): Dispose;
}

/** A Var whose value is set by its owner. */
export interface WritableVar<T> extends Var<T> {
  /** Sets the value and notifies observers, unless `value` is `===` the current one. */
  update(value: T): void;
}

const UNSET: unique symbol = Symbol('unset');

interface Observer<T> {
  readonly f: (value: T) => void;
  /** The last value delivered to this observer, so nested updates never re-deliver or go backwards. */
  last: T | typeof UNSET;
  live: boolean;
}

/**
 * The one implementation behind every Var: a current value, a list of observers, and an optional
 * `start` run while at least one observer is present.
 */
class Cell<T> implements WritableVar<T> {
  #value: T | typeof UNSET;
  #observers: Observer<T>[] = [];
  #start: ((update: (v: T) => void) => Dispose) | undefined;
  #stop: Dispose | undefined;
  #notifying = false;
  #again = false;

  constructor(init: T | typeof UNSET, start?: (update: (v: T) => void) => Dispose) {
    this.#value = init;
    this.#start = start;
  }

  sample(): T {
    if (this.#observers.length > 0 || this.#start === undefined) {
      if (this.#value !== UNSET) return this.#value;
    }
    let out: T | typeof UNSET = UNSET;
    const dispose = this.observe((v) => {
      out = v;
    });
    dispose();
    return out as T;
  }

  update = (value: T): void => {
    if (value === this.#value) return;
    this.#value = value;
    if (this.#notifying) {
      // A nested update: the running loop restarts with the newest value.
      this.#again = true;
      return;
    }
    this.#notify();
  };

  #notify(): void {
    this.#notifying = true;
    try {
      do {
        this.#again = false;
        const value = this.#value as T;
        const list = this.#observers;
        for (let i = 0; i < list.length; i++) {
          const o = list[i]!;
          if (!o.live || o.last === value) continue;
          o.last = value;
          o.f(value);
          if (this.#again) break;
        }
      } while (this.#again);
    } finally {
      this.#notifying = false;
    }
  }

  observe(f: (value: T) => void): Dispose {
    const o: Observer<T> = { f, last: UNSET, live: true };
    const first = this.#observers.length === 0;
    // Copy-on-write, so a loop in progress keeps iterating the list it started with.
    this.#observers = [...this.#observers, o];
    if (first && this.#start !== undefined) {
      const start = this.#start;
      let stop: Dispose;
      try {
        stop = start(this.update);
      } catch (err) {
        o.live = false;
        this.#observers = this.#observers.filter((x) => x !== o);
        throw err;
      }
      // The last observer may have left during start.
      if (this.#observers.length === 0) stop();
      else this.#stop = stop;
    }
    if (o.live && this.#value !== UNSET) {
      const value = this.#value;
      if (o.last !== value) {
        o.last = value;
        f(value);
      }
    }
    return () => {
      if (!o.live) return;
      o.live = false;
      this.#observers = this.#observers.filter((x) => x !== o);
      if (this.#observers.length === 0 && this.#stop !== undefined) {
        const stop = this.#stop;
        this.#stop = undefined;
        stop();
      }
    };
  }
}

const noop: Dispose = () => {};

class Const<T> implements Var<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  sample(): T {
    return this.#value;
  }
  observe(f: (value: T) => void): Dispose {
    f(this.#value);
    return noop;
  }
}

function value<T>(init: T): WritableVar<T> {
  return new Cell<T>(init);
}

function constant<T>(v: T): Var<T> {
  return new Const(v);
}

function async<T>(init: T, start: (update: (v: T) => void) => Dispose): Var<T> {
  const cell = new Cell<T>(init, start);
  return { sample: () => cell.sample(), observe: (f) => cell.observe(f) };
}

/** A derived Var with no initial value: it has one only while its upstream is observed. */
function derived<T>(start: (update: (v: T) => void) => Dispose): Var<T> {
  const cell = new Cell<T>(UNSET, start);
  return { sample: () => cell.sample(), observe: (f) => cell.observe(f) };
}

function map<A, B>(v: Var<A>, f: (a: A) => B): Var<B> {
  return derived<B>((update) => v.observe((a) => update(f(a))));
}

function flatMap<A, B>(v: Var<A>, f: (a: A) => Var<B>): Var<B> {
  return derived<B>((update) => {
    let inner: Dispose = noop;
    let generation = 0;
    const outer = v.observe((a) => {
      inner();
      inner = noop;
      const mine = ++generation;
      const next = f(a);
      const d = next.observe((b) => {
        if (mine === generation) update(b);
      });
      // The outer value may have changed again while we subscribed.
      if (mine === generation) inner = d;
      else d();
    });
    return () => {
      generation++;
      outer();
      inner();
      inner = noop;
    };
  });
}

function collect<T>(vars: readonly Var<T>[]): Var<readonly T[]> {
  if (vars.length === 0) return constant<readonly T[]>(Object.freeze([]));
  return derived<readonly T[]>((update) => {
    const values = new Array<T>(vars.length);
    let ready = false;
    const disposers = vars.map((v, i) =>
      v.observe((x) => {
        values[i] = x;
        if (ready) update(values.slice());
      }),
    );
    ready = true;
    update(values.slice());
    return () => {
      for (const d of disposers) d();
    };
  });
}

/**
 * Constructors and combinators for {@link Var}. All derived Vars are lazy and share one upstream
 * subscription among all their observers.
 */
export const Var = Object.freeze({
  /** A writable Var holding `init`. */
  value,
  /** A Var that never changes. Observing it costs one call and no subscription. */
  constant,
  /**
   * A Var backed by a source: `start(update)` runs when the first observer arrives and returns a
   * `Dispose` that is called when the last observer leaves; observing again restarts it. The
   * value starts as `init` and keeps the last update between observations (finagle's semantics).
   */
  async,
  /** `f` applied to each value of `v`. */
  map,
  /**
   * The Var chosen by `f` for the current value of `v`. When `v` changes, the previous inner Var is
   * unobserved before the new one is observed, so a switched-away source stops.
   */
  flatMap,
  /** All values of `vars` as one array, updated when any of them changes. */
  collect,
});
