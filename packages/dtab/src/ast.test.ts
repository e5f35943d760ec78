/**
 * `ast.ts` holds structural copies of the public types (its header says why): these checks fail
 * to compile (`tsc --noEmit`, part of `pnpm test`) when a copy and its public type drift apart.
 */
import { describe, expect, it } from 'vitest';
import type * as ast from './ast.js';
import { alt, EMPTY, FAIL, leaf, NEG, union, weighted } from './ast.js';
import type { Dentry, DentryPrefix, DentryPrefixElem } from './dentry.js';
import type { Dtab } from './dtab.js';
import { NameTree, type NameTreeWeighted } from './name-tree.js';
import type { Path } from './path.js';

/** `true` only when `A` and `B` are assignable to each other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const same: {
  path: Same<Path, ast.Path>;
  prefixElem: Same<DentryPrefixElem, ast.DentryPrefixElem>;
  prefix: Same<DentryPrefix, ast.DentryPrefix>;
  tree: Same<NameTree<Path>, ast.NameTree<Path>>;
  treeOfNumbers: Same<NameTree<number>, ast.NameTree<number>>;
  weighted: Same<NameTreeWeighted<string>, ast.NameTreeWeighted<string>>;
  dentry: Same<Dentry, ast.Dentry>;
  dtab: Same<Dtab, ast.Dtab>;
} = {
  path: true,
  prefixElem: true,
  prefix: true,
  tree: true,
  treeOfNumbers: true,
  weighted: true,
  dentry: true,
  dtab: true,
};

describe('ast', () => {
  it('has the same shapes as the public types', () => {
    expect(Object.values(same).every((value) => value)).toBe(true);
  });

  it('builds the frozen nodes the public constructors hand out', () => {
    expect(NameTree.neg).toBe(NEG);
    expect(NameTree.fail).toBe(FAIL);
    expect(NameTree.empty).toBe(EMPTY);
    const tree = union([weighted(2, leaf(['a'])), weighted(1, alt([leaf(['b']), NEG]))]);
    expect(NameTree.show(tree)).toBe('2.00*/a & (/b | ~)');
    expect(Object.isFrozen(tree)).toBe(true);
    expect(tree.kind === 'union' && Object.isFrozen(tree.trees)).toBe(true);
  });
});
