import { describe, expect, it } from 'vitest';
import { createNameCache, createPairCache } from './name-cache.js';

describe('createNameCache', () => {
  it('returns what was stored, the same object each time', () => {
    const cache = createNameCache();
    const path = Object.freeze(['svc', 'web']);
    expect(cache.get('web')).toBeUndefined();
    expect(cache.set('web', path)).toBe(path);
    expect(cache.get('web')).toBe(path);
    expect(cache.size).toBe(1);
  });

  it('stays within its bound: full, it starts over', () => {
    const cache = createNameCache<number>(3);
    for (let i = 0; i < 3; i++) cache.set(`h${i}`, i);
    expect(cache.size).toBe(3);
    cache.set('h3', 3);
    expect(cache.size).toBe(1);
    expect(cache.get('h0')).toBeUndefined();
    expect(cache.get('h3')).toBe(3);
    for (let i = 0; i < 10_000; i++) cache.set(`flood${i}`, i);
    expect(cache.size).toBeLessThanOrEqual(3);
  });

  it('forgets everything on clear (the rules changed)', () => {
    const cache = createNameCache<null>();
    cache.set('a', null);
    expect(cache.get('a')).toBeNull();
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('createPairCache', () => {
  it('keys by both strings, bounded over all of them, and clears', () => {
    const cache = createPairCache<string | null>(4);
    cache.set('a.test', '/x', 'ax');
    cache.set('a.test', '/y', null);
    cache.set('b.test', '/x', 'bx');
    expect(cache.get('a.test', '/x')).toBe('ax');
    expect(cache.get('a.test', '/y')).toBeNull();
    expect(cache.get('b.test', '/y')).toBeUndefined();
    cache.set('a.test', '/x', 'ax2');
    expect(cache.size).toBe(3);
    cache.set('c.test', '/', 'c');
    cache.set('d.test', '/', 'd');
    expect(cache.size).toBe(1);
    expect(cache.get('a.test', '/x')).toBeUndefined();
    expect(cache.get('d.test', '/')).toBe('d');
    cache.clear();
    expect(cache.get('d.test', '/')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
