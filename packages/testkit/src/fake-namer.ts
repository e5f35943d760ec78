/**
 * An in-memory `Namer` for tests. The test (through the `witness`) decides what each path looks
 * up to and can change it at any time; the namer publishes the change to every observer, like a
 * real namer reacting to a watch. The witness also records which paths were looked up and how
 * many observers are live, so tests can assert on the namer's lifecycle.
 */
import {
  Activity,
  type ActivityState,
  type Addr,
  type BoundName,
  Name,
  type Namer,
  Var,
  type WritableActivity,
  type WritableVar,
} from '@switchyard/core';
import type { NameTree, Path } from '@switchyard/dtab';

/** A path as labels, or as text `/a/b` (plain labels only; no escapes). */
export type PathLike = Path | string;

/** Controls and inspects a {@link fakeNamer}. Paths are relative to the namer's prefix. */
export interface FakeNamerWitness {
  /** Sets the tree `path` looks up to (the state becomes `ok(tree)`). */
  set(path: PathLike, tree: NameTree<Name>): void;
  /**
   * Makes `path` look up to one bound name with id `idPrefix ++ path` and sets its address state.
   * Calling again updates the same bound name's address Var (the tree stays the same).
   */
  setAddr(path: PathLike, addr: Addr): BoundName;
  /** Makes `path`'s lookup fail with `error`. */
  fail(path: PathLike, error: Error): void;
  /** Makes `path`'s lookup pending. */
  pending(path: PathLike): void;
  /** Every `lookup` call so far, in order. */
  lookups(): readonly Path[];
  /** Live observers of `path`'s lookup Activity right now. */
  observers(path: PathLike): number;
}

/** Options of {@link fakeNamer}. */
export interface FakeNamerOptions {
  /** Prefix of the ids of bound names made by `setAddr` (default `['#', 'fake']`). */
  readonly idPrefix?: Path;
  /** State of paths the test never set (default `ok(neg)`). */
  readonly unknown?: 'neg' | 'pending';
}

function toPath(p: PathLike): Path {
  if (typeof p !== 'string') return p;
  return p.split('/').filter((s) => s.length > 0);
}

const NEG: NameTree<never> = Object.freeze({ kind: 'neg' });

interface Entry {
  readonly writable: WritableActivity<NameTree<Name>>;
  readonly activity: Activity<NameTree<Name>>;
  observers: number;
  bound?: {
    readonly name: BoundName;
    readonly addr: WritableVar<Addr>;
    readonly state: ActivityState<NameTree<Name>>;
  };
}

/** An in-memory namer plus the witness that drives it. */
export function fakeNamer(options: FakeNamerOptions = {}): { namer: Namer; witness: FakeNamerWitness } {
  const idPrefix = options.idPrefix ?? ['#', 'fake'];
  const initial: ActivityState<NameTree<Name>> =
    options.unknown === 'pending' ? Activity.pendingState : Activity.ok<NameTree<Name>>(NEG);
  const entries = new Map<string, Entry>();
  const lookups: Path[] = [];

  function entry(p: PathLike): Entry {
    const key = toPath(p).join('/');
    const found = entries.get(key);
    if (found !== undefined) return found;
    const writable = Activity.writable<NameTree<Name>>(initial);
    const states = writable.activity.states;
    const e: Entry = {
      writable,
      observers: 0,
      activity: Activity.fromVar({
        sample: () => states.sample(),
        observe: (f) => {
          e.observers++;
          const dispose = states.observe(f);
          let live = true;
          return () => {
            if (!live) return;
            live = false;
            e.observers--;
            dispose();
          };
        },
      }),
    };
    entries.set(key, e);
    return e;
  }

  const namer: Namer = {
    lookup(path) {
      lookups.push(Object.freeze([...path]));
      return entry(path).activity;
    },
  };

  const witness: FakeNamerWitness = {
    set(path, tree) {
      entry(path).writable.update(Activity.ok(tree));
    },
    setAddr(path, addr) {
      const e = entry(path);
      if (e.bound === undefined) {
        const v = Var.value<Addr>(addr);
        const name = Name.bound([...idPrefix, ...toPath(path)], v);
        e.bound = { name, addr: v, state: Activity.ok<NameTree<Name>>({ kind: 'leaf', value: name }) };
      } else {
        e.bound.addr.update(addr);
      }
      // The same state object each time, so observers of the tree see no change.
      e.writable.update(e.bound.state);
      return e.bound.name;
    },
    fail(path, error) {
      entry(path).writable.update(Activity.failed(error));
    },
    pending(path) {
      entry(path).writable.update(Activity.pendingState);
    },
    lookups: () => lookups.slice(),
    observers: (path) => entry(path).observers,
  };

  return { namer, witness };
}
