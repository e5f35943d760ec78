/**
 * fast-check arbitraries for finagle's naming language, so every package can state its laws over
 * generated paths, prefixes, dentries, dtabs and name trees (STYLE.md item 6).
 *
 * Two flavours of tree: `arbNameTree()` generates only trees that `NameTree.show` prints
 * faithfully (no single-branch or empty alt/union, integer weights), so `read(show(t))` equals
 * `t`; `arbAnyNameTree()` generates every shape, including empty and single-branch nodes and
 * fractional weights, for laws such as "simplify preserves eval".
 */
import {
  Dentry,
  type DentryPrefix,
  type DentryPrefixElem,
  type Dtab,
  NameTree,
  type Path,
} from '@switchyard/dtab';
import fc from 'fast-check';

const SHOWABLE = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-';

/** Options for the label-based arbitraries. */
export interface ArbLabelOptions {
  /**
   * Draw labels from this small set instead of arbitrary labels, so generated paths and
   * prefixes collide and dentries actually match (lookup laws).
   */
  readonly alphabet?: readonly string[];
}

/**
 * A path label: a non-empty string of byte-chars (0–255). Mostly `[0-9A-Za-z_:.#$%-]`, sometimes
 * arbitrary bytes (which `Path.show` escapes as `\xHH`).
 */
export function arbLabel(options: ArbLabelOptions = {}): fc.Arbitrary<string> {
  if (options.alphabet !== undefined) return fc.constantFrom(...options.alphabet);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...SHOWABLE), minLength: 1, maxLength: 8 }) },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)),
        minLength: 1,
        maxLength: 4,
      }),
    },
  );
}

/** A frozen {@link Path} of 0–`maxLength` (default 4) labels. */
export function arbPath(options: ArbLabelOptions & { readonly maxLength?: number } = {}): fc.Arbitrary<Path> {
  return fc
    .array(arbLabel(options), { maxLength: options.maxLength ?? 4 })
    .map((labels): Path => Object.freeze(labels));
}

/** A frozen dentry prefix whose elements are labels or (one time in four) `*`. */
export function arbDentryPrefix(
  options: ArbLabelOptions & { readonly maxLength?: number } = {},
): fc.Arbitrary<DentryPrefix> {
  const elem: fc.Arbitrary<DentryPrefixElem> = fc.oneof(
    { weight: 3, arbitrary: arbLabel(options).map((value) => Dentry.Prefix.label(value)) },
    { weight: 1, arbitrary: fc.constant(Dentry.Prefix.any) },
  );
  return fc
    .array(elem, { maxLength: options.maxLength ?? 3 })
    .map((elems): DentryPrefix => Object.freeze(elems));
}

/** Options for the tree arbitraries. */
export interface ArbNameTreeOptions {
  /** Maximum nesting depth of alt/union nodes (default 3). */
  readonly maxDepth?: number;
}

/**
 * A name tree with leaves from `leaf` that `NameTree.show` prints faithfully: every alt and union
 * has at least two branches and union weights are integers 0–9, so for path leaves
 * `NameTree.read(NameTree.show(t))` equals `t`.
 */
export function arbNameTreeOf<T>(
  leaf: fc.Arbitrary<T>,
  options: ArbNameTreeOptions = {},
): fc.Arbitrary<NameTree<T>> {
  return treeOf(leaf, {
    minBranches: 2,
    weight: fc.integer({ min: 0, max: 9 }),
    maxDepth: options.maxDepth ?? 3,
  });
}

/**
 * A name tree of any shape: alts and unions with 0–3 branches, and weights that may be
 * fractional (finite, non-negative). For laws that do not go through text.
 */
export function arbAnyNameTreeOf<T>(
  leaf: fc.Arbitrary<T>,
  options: ArbNameTreeOptions = {},
): fc.Arbitrary<NameTree<T>> {
  const weight = fc.oneof(
    fc.integer({ min: 0, max: 9 }),
    fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }),
  );
  return treeOf(leaf, { minBranches: 0, weight, maxDepth: options.maxDepth ?? 3 });
}

/** {@link arbNameTreeOf} with {@link arbPath} leaves: round-trips through `show`/`read`. */
export function arbNameTree(
  options: ArbNameTreeOptions & ArbLabelOptions = {},
): fc.Arbitrary<NameTree<Path>> {
  return arbNameTreeOf(arbPath(options), options);
}

/** {@link arbAnyNameTreeOf} with {@link arbPath} leaves. */
export function arbAnyNameTree(
  options: ArbNameTreeOptions & ArbLabelOptions = {},
): fc.Arbitrary<NameTree<Path>> {
  return arbAnyNameTreeOf(arbPath(options), options);
}

function treeOf<T>(
  leaf: fc.Arbitrary<T>,
  opts: { minBranches: number; weight: fc.Arbitrary<number>; maxDepth: number },
): fc.Arbitrary<NameTree<T>> {
  const simple: fc.Arbitrary<NameTree<T>> = fc.oneof(
    { weight: 4, arbitrary: leaf.map((value) => NameTree.leaf(value)) },
    { weight: 1, arbitrary: fc.constantFrom<NameTree<T>>(NameTree.neg, NameTree.fail, NameTree.empty) },
  );
  const build = (depth: number): fc.Arbitrary<NameTree<T>> => {
    if (depth === 0) return simple;
    const child = build(depth - 1);
    const branches = { minLength: opts.minBranches, maxLength: 3 };
    return fc.oneof(
      { weight: 2, arbitrary: simple },
      { weight: 1, arbitrary: fc.array(child, branches).map((trees) => NameTree.alt(...trees)) },
      {
        weight: 1,
        arbitrary: fc
          .array(
            fc.tuple(opts.weight, child).map(([w, t]) => NameTree.weighted(w, t)),
            branches,
          )
          .map((trees) => NameTree.union(...trees)),
      },
    );
  };
  return build(opts.maxDepth);
}

/** A frozen dentry: an {@link arbDentryPrefix} and an {@link arbNameTree} destination. */
export function arbDentry(options: ArbNameTreeOptions & ArbLabelOptions = {}): fc.Arbitrary<Dentry> {
  return fc
    .tuple(arbDentryPrefix(options), arbNameTree({ ...options, maxDepth: options.maxDepth ?? 2 }))
    .map(([prefix, dst]) => Dentry.of(prefix, dst));
}

/** A frozen dtab of 0–`maxLength` (default 5) {@link arbDentry} entries. */
export function arbDtab(
  options: ArbNameTreeOptions &
    ArbLabelOptions & { readonly minLength?: number; readonly maxLength?: number } = {},
): fc.Arbitrary<Dtab> {
  return fc
    .array(arbDentry(options), { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 5 })
    .map((dentries): Dtab => Object.freeze(dentries));
}
