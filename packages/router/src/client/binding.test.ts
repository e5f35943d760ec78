import { Name, Var } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { pickLeaf } from './binding.js';

const a = Name.bound(['a'], Var.constant({ kind: 'neg' }));
const b = Name.bound(['b'], Var.constant({ kind: 'neg' }));
type T = NameTree<typeof a>;
const leaf = (v: typeof a): T => ({ kind: 'leaf', value: v });

describe('pickLeaf', () => {
  it('alt takes the first branch that is not neg; fail and empty stop it', () => {
    expect(pickLeaf({ kind: 'alt', trees: [{ kind: 'neg' }, leaf(a)] }, Math.random)).toBe(a);
    expect(pickLeaf({ kind: 'alt', trees: [{ kind: 'fail' }, leaf(a)] }, Math.random)).toBe('fail');
    expect(pickLeaf({ kind: 'alt', trees: [{ kind: 'empty' }, leaf(a)] }, Math.random)).toBe('empty');
    expect(pickLeaf({ kind: 'alt', trees: [{ kind: 'neg' }] }, Math.random)).toBe('neg');
  });

  it('union picks by weight among binding branches', () => {
    const tree: T = {
      kind: 'union',
      trees: [
        { weight: 1, tree: leaf(a) },
        { weight: 3, tree: leaf(b) },
        { weight: 5, tree: { kind: 'neg' } },
      ],
    };
    expect(pickLeaf(tree, () => 0.2)).toBe(a);
    expect(pickLeaf(tree, () => 0.3)).toBe(b);
    expect(pickLeaf(tree, () => 0.99)).toBe(b);
    expect(pickLeaf({ kind: 'union', trees: [{ weight: 1, tree: { kind: 'neg' } }] }, Math.random)).toBe(
      'neg',
    );
  });
});
