import { Dtab, Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Addr } from './addr.js';
import { createBindingCache } from './binding-cache.js';
import { createInterpreter } from './interpreter.js';

describe('createBindingCache', () => {
  it('binds once per (dtab, path), keeps the binding observed and reads its state in O(1)', () => {
    const { namer, witness } = fakeNamer();
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'fake'], namer }] });
    const cache = createBindingCache(interpreter, { maxEntries: 2 });
    const dtab = Dtab.read('/svc=>/#/fake');
    const a1 = cache.bind(dtab, Path.read('/svc/a'));
    expect(cache.bind(dtab, ['svc', 'a'])).toBe(a1);
    expect(witness.observers('a')).toBe(1);
    expect(cache.state(dtab, Path.read('/svc/a'))).toMatchObject({ kind: 'ok', value: { kind: 'neg' } });
    witness.setAddr('a', Addr.neg);
    expect(cache.state(dtab, Path.read('/svc/a'))).toMatchObject({ kind: 'ok', value: { kind: 'leaf' } });
    expect(a1.states.sample()).toBe(cache.state(dtab, Path.read('/svc/a')));
    expect(witness.lookups()).toEqual([['a']]);

    // another dtab object is another key; the oldest entry is evicted and unobserved
    cache.state(Dtab.read('/svc=>/#/fake'), Path.read('/svc/a'));
    cache.state(dtab, Path.read('/svc/b'));
    expect(cache.size()).toBe(2);
    expect(witness.observers('a')).toBe(1);
    cache.close();
    expect(cache.size()).toBe(0);
    expect(witness.observers('a')).toBe(0);
    expect(witness.observers('b')).toBe(0);
  });

  it('paths whose labels contain separators do not collide', () => {
    const cache = createBindingCache(createInterpreter());
    const a = cache.bind(Dtab.empty, ['a/b']);
    const b = cache.bind(Dtab.empty, ['a', 'b']);
    const c = cache.bind(Dtab.empty, ['a\u0000b']);
    const e = cache.bind(Dtab.empty, ['\u00011:a', '']);
    const f = cache.bind(Dtab.empty, ['a', '\u0000']);
    expect(new Set([a, b, c, e, f]).size).toBe(5);
    expect(cache.bind(Dtab.empty, ['a\u0000b'])).toBe(c);
    expect(cache.size()).toBe(5);
    cache.close();
  });
});
