/**
 * A minimal in-memory namer for core's own tests (core cannot import `@switchyard/testkit`, which
 * depends on core). Same contract as testkit's `fakeNamer`: the witness sets what each path looks
 * up to, records lookups and counts live observers.
 */
import type { NameTree, Path } from '@switchyard/dtab';
import { Activity, type ActivityState, type WritableActivity } from '../src/activity.js';
import type { Addr } from '../src/addr.js';
import { type BoundName, Name } from '../src/name.js';
import type { Namer } from '../src/namer.js';
import { Var, type WritableVar } from '../src/var.js';

export function fakeNamer(options: { idPrefix?: Path } = {}) {
  const idPrefix = options.idPrefix ?? ['#', 'fake'];
  interface Entry {
    w: WritableActivity<NameTree<Name>>;
    a: Activity<NameTree<Name>>;
    observers: number;
    bound?: { name: BoundName; addr: WritableVar<Addr>; state: ActivityState<NameTree<Name>> };
  }
  const entries = new Map<string, Entry>();
  const lookups: Path[] = [];
  const toPath = (p: string | Path): Path => (typeof p === 'string' ? p.split('/').filter(Boolean) : p);
  const entry = (p: string | Path): Entry => {
    const key = toPath(p).join('/');
    const found = entries.get(key);
    if (found !== undefined) return found;
    const w = Activity.writable<NameTree<Name>>(Activity.ok<NameTree<Name>>({ kind: 'neg' }));
    const states = w.activity.states;
    const e: Entry = {
      w,
      observers: 0,
      a: Activity.fromVar({
        sample: () => states.sample(),
        observe: (f) => {
          e.observers++;
          const dispose = states.observe(f);
          let live = true;
          return () => {
            if (live) {
              live = false;
              e.observers--;
              dispose();
            }
          };
        },
      }),
    };
    entries.set(key, e);
    return e;
  };
  const namer: Namer = {
    lookup(path) {
      lookups.push(path);
      return entry(path).a;
    },
  };
  const witness = {
    set: (path: string | Path, tree: NameTree<Name>) => entry(path).w.update(Activity.ok(tree)),
    setAddr(path: string | Path, addr: Addr): BoundName {
      const e = entry(path);
      if (e.bound === undefined) {
        const v = Var.value(addr);
        const name = Name.bound([...idPrefix, ...toPath(path)], v);
        e.bound = { name, addr: v, state: Activity.ok<NameTree<Name>>({ kind: 'leaf', value: name }) };
      } else e.bound.addr.update(addr);
      e.w.update(e.bound.state);
      return e.bound.name;
    },
    fail: (path: string | Path, error: Error) => entry(path).w.update(Activity.failed(error)),
    pending: (path: string | Path) => entry(path).w.update(Activity.pendingState),
    lookups: () => lookups.slice(),
    observers: (path: string | Path) => entry(path).observers,
  };
  return { namer, witness };
}
