import { describe, expect, it } from 'vitest';
import { Activity, type ActivityState } from './activity.js';
import { hasErrorCode } from './errors.js';

function states<T>(a: Activity<T>) {
  const seen: ActivityState<T>[] = [];
  const dispose = a.states.observe((s) => seen.push(s));
  return { seen, dispose, kinds: () => seen.map((s) => (s.kind === 'ok' ? s.value : s.kind)) };
}

describe('Activity', () => {
  it('value, pending and exception are constant', () => {
    expect(Activity.sample(Activity.value(3))).toBe(3);
    expect(Activity.pending<number>().states.sample().kind).toBe('pending');
    const err = new Error('x');
    expect(() => Activity.sample(Activity.exception(err))).toThrow(err);
    expect(Activity.exception('not an error').states.sample()).toMatchObject({ kind: 'failed' });
  });

  it('sample throws a coded error while pending', () => {
    try {
      Activity.sample(Activity.pending());
      expect.unreachable();
    } catch (err) {
      expect(hasErrorCode(err, 'SY_ERR_CORE_ACTIVITY_PENDING')).toBe(true);
    }
  });

  it('map passes pending/failed through and turns a throwing f into failed', () => {
    const w = Activity.writable<number>();
    const m = states(
      Activity.map(w.activity, (x) => {
        if (x < 0) throw new Error('negative');
        return x * 2;
      }),
    );
    w.update(Activity.ok(2));
    w.update(Activity.ok(-1));
    w.update(Activity.failed(new Error('down')));
    expect(m.kinds()).toEqual(['pending', 4, 'failed', 'failed']);
    expect((m.seen[2] as { error: Error }).error.message).toBe('negative');
    expect((m.seen[3] as { error: Error }).error.message).toBe('down');
  });

  it('flatMap switches inner activities and unobserves the old one', () => {
    const outer = Activity.writable<string>(Activity.ok('a'));
    const a = Activity.writable<number>(Activity.ok(1));
    let aObservers = 0;
    const aCounted = Activity.fromVar({
      sample: () => a.activity.states.sample(),
      observe: (f) => {
        aObservers++;
        const d = a.activity.states.observe(f);
        return () => {
          aObservers--;
          d();
        };
      },
    });
    const b = Activity.writable<number>(Activity.ok(10));
    const fm = states(Activity.flatMap(outer.activity, (k) => (k === 'a' ? aCounted : b.activity)));
    expect(aObservers).toBe(1);
    outer.update(Activity.ok('b'));
    expect(aObservers).toBe(0);
    a.update(Activity.ok(2));
    b.update(Activity.ok(11));
    outer.update(Activity.pendingState);
    expect(fm.kinds()).toEqual([1, 10, 11, 'pending']);
    fm.dispose();
  });

  it('collect is failed if any failed, else pending if any pending, else all values', () => {
    const x = Activity.writable<number>();
    const y = Activity.writable<number>(Activity.ok(2));
    const c = states(Activity.collect([x.activity, y.activity]));
    x.update(Activity.ok(1));
    y.update(Activity.failed(new Error('y')));
    y.update(Activity.ok(3));
    expect(c.kinds()).toEqual(['pending', [1, 2], 'failed', [1, 3]]);
    expect(Activity.sample(Activity.join(Activity.value('a'), Activity.value(1)))).toEqual(['a', 1]);
  });

  it('stabilize keeps the last ok value through later pending and failed states', () => {
    const w = Activity.writable<number>();
    const s = states(Activity.stabilize(w.activity));
    w.update(Activity.failed(new Error('early')));
    w.update(Activity.ok(1));
    w.update(Activity.pendingState);
    w.update(Activity.failed(new Error('late')));
    w.update(Activity.ok(2));
    expect(s.kinds()).toEqual(['pending', 'failed', 1, 2]);
  });

  it('handle and transform map failures', () => {
    const h = Activity.handle(Activity.exception<string>(new Error('e')), (e) => `handled ${e.message}`);
    expect(Activity.sample(h)).toBe('handled e');
    const t = Activity.transform(Activity.pending<number>(), (s) => Activity.value(s.kind));
    expect(Activity.sample(t)).toBe('pending');
  });

  it('toPromise resolves at the first ok state and stops observing', async () => {
    const w = Activity.writable<number>();
    let observers = 0;
    const counted = Activity.fromVar({
      sample: () => w.activity.states.sample(),
      observe: (f) => {
        observers++;
        const d = w.activity.states.observe(f);
        return () => {
          observers--;
          d();
        };
      },
    });
    const p = Activity.toPromise(counted);
    expect(observers).toBe(1);
    w.update(Activity.ok(42));
    await expect(p).resolves.toBe(42);
    expect(observers).toBe(0);
    // already ok: resolves without leaving an observer
    await expect(Activity.toPromise(counted)).resolves.toBe(42);
    expect(observers).toBe(0);
  });

  it('toPromise rejects on failure and on abort', async () => {
    const w = Activity.writable<number>();
    const p = Activity.toPromise(w.activity);
    w.update(Activity.failed(new Error('nope')));
    await expect(p).rejects.toThrow('nope');
    const ac = new AbortController();
    const q = Activity.toPromise(Activity.pending(), { signal: ac.signal });
    ac.abort(new Error('aborted'));
    await expect(q).rejects.toThrow('aborted');
    await expect(Activity.toPromise(Activity.pending(), { signal: ac.signal })).rejects.toThrow('aborted');
  });
});
