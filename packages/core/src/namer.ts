import type { NameTree, Path } from '@switchyard/dtab';
import type { Activity } from './activity.js';
import type { Name } from './name.js';

/**
 * A Namer resolves the part of a path it owns (everything after its `/#/<prefix>`) to a tree of
 * names. It never throws: lookups that go wrong produce a `failed` Activity state, unknown names
 * produce `neg`.
 */
export interface Namer {
  lookup(path: Path): Activity<NameTree<Name>>;
}
