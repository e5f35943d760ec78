import { describe, expect, it } from 'vitest';
import { buildSniIndex, selectSni } from './sni.js';

describe('selectSni', () => {
  const index = buildSniIndex(
    [
      { names: ['a.example.com', 'API.Example.com.'], value: 'exact-a' },
      { names: ['*.example.com'], value: 'wild' },
      { names: ['a.example.com', '*.example.com', 'b.example.com'], value: 'later' },
      { names: ['*.deep.example.com'], value: 'deep' },
    ],
    'default',
  );

  it.each([
    ['a.example.com', 'exact', 'exact-a'],
    ['A.EXAMPLE.COM.', 'exact', 'exact-a'],
    ['api.example.com', 'exact', 'exact-a'],
    ['b.example.com', 'exact', 'later'],
    ['zzz.example.com', 'wildcard', 'wild'],
    ['x.deep.example.com', 'wildcard', 'deep'],
    ['y.x.example.com', 'default', 'default'],
    ['example.com', 'default', 'default'],
    ['other.org', 'default', 'default'],
    [undefined, 'default', 'default'],
    ['', 'default', 'default'],
  ] as const)('%s → %s %s', (servername, kind, value) => {
    const match = selectSni(index, servername);
    expect(match.kind).toBe(kind);
    expect((match as { value: string }).value).toBe(value);
  });

  it('earlier entries win name conflicts', () => {
    expect(selectSni(index, 'a.example.com')).toEqual({
      kind: 'exact',
      name: 'a.example.com',
      value: 'exact-a',
    });
    expect(selectSni(index, 'q.example.com')).toEqual({
      kind: 'wildcard',
      name: '*.example.com',
      value: 'wild',
    });
  });

  it('answers none without a fallback', () => {
    const empty = buildSniIndex<string>([{ names: ['a.test'], value: 'a' }], undefined);
    expect(selectSni(empty, 'b.test')).toEqual({ kind: 'none' });
    expect(selectSni(empty, 'a.test').kind).toBe('exact');
  });
});
