/**
 * io.l5d.rewrite with Linkerd's RewritingNamerTest cases plus the edges of its PathMatcher:
 * prefix matching that drops the rest, escapes, repeated and unknown variables.
 */
import type { Name } from '@switchyard/core';
import { Activity } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { createRewriteNamer, RewriteNamerConfigError } from '../src/rewrite.js';

function rewrites(pattern: string, name: string, from: string): string | 'neg' {
  const namer = createRewriteNamer({ prefix: '/rw', pattern, name });
  const tree = Activity.sample(namer.lookup(Path.read(from))) as NameTree<Name>;
  if (tree.kind === 'neg') return 'neg';
  if (tree.kind !== 'leaf' || tree.value.kind !== 'path')
    throw new Error(`unexpected ${JSON.stringify(tree)}`);
  return Path.show(tree.value.path);
}

describe('io.l5d.rewrite', () => {
  it('matches prefix (the rest of the path is not carried over)', () => {
    expect(rewrites('/one/two', '/success', '/one/two/three')).toBe('/success');
  });

  it('matches wildcard', () => {
    expect(rewrites('/one/*/three', '/success', '/one/two/three')).toBe('/success');
  });

  it('mismatch is neg', () => {
    expect(rewrites('/one/*/four', '/success', '/one/two/three')).toBe('neg');
  });

  it('capture and rewrite', () => {
    expect(rewrites('/{foo}/*/three', '/success/{foo}', '/one/two/three')).toBe('/success/one');
  });

  it('failed capture is neg', () => {
    expect(rewrites('/{foo}/*/four', '/success/{foo}', '/one/two/three')).toBe('neg');
  });

  it('a path shorter than the pattern is neg', () => {
    expect(rewrites('/{a}/{b}', '/x/{a}/{b}', '/one')).toBe('neg');
  });

  it('reorders segments and repeats variables, inside labels too', () => {
    expect(rewrites('/{svc}/{ns}', '/#/io.l5d.k8s/{ns}/http/{svc}', '/web/prod/extra')).toBe(
      '/#/io.l5d.k8s/prod/http/web',
    );
    expect(rewrites('/{host}', '/dns/{host}-{host}.local', '/api')).toBe('/dns/api-api.local');
  });

  it('captured labels keep their bytes through escapes', () => {
    expect(rewrites('/{a}', '/x/{a}', '/\\x61\\x20b')).toBe('/x/\\x61\\x20\\x62');
    expect(rewrites('/\\x66oo/{a}', '/x/{a}', '/foo/bar')).toBe('/x/bar');
  });

  it('returns a path leaf for the interpreter to bind again', () => {
    const namer = createRewriteNamer({ prefix: '/rw', pattern: '/{a}', name: '/svc/{a}' });
    const tree = Activity.sample(namer.lookup(['x'])) as NameTree<Name>;
    expect(tree).toEqual({ kind: 'leaf', value: { kind: 'path', path: ['svc', 'x'] } });
    expect(namer.kind).toBe('io.l5d.rewrite');
    expect(namer.prefix).toEqual(['rw']);
  });

  it('requires a prefix, as Linkerd does ("The \'prefix\' property is required")', () => {
    expect(() => createRewriteNamer({ pattern: '/a', name: '/b' } as never)).toThrow(
      "io.l5d.rewrite: The 'prefix' property is required for the io.l5d.rewrite namer.",
    );
  });

  it('rejects bad patterns and names at construction', () => {
    const make = (pattern: string, name: string) => () =>
      createRewriteNamer({ prefix: '/rw', pattern, name });
    expect(make('/a b', '/x')).toThrow(RewriteNamerConfigError);
    expect(make('/{}', '/x')).toThrow(/empty capture/);
    expect(make('/a//b', '/x')).toThrow(/is not a label/);
    expect(make('/{a}', '/x/{b}')).toThrow(/\{b\} in \/x\/\{b\} is not captured/);
    expect(make('/{a}', 'x/{a}')).toThrow(/is not a path/);
    try {
      make('/{a}', '/x/{b}')();
    } catch (err) {
      expect((err as RewriteNamerConfigError).code).toBe('SY_ERR_NAMERS_REWRITE_CONFIG');
    }
  });
});
