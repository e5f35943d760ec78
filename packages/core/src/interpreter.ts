/**
 * The binding interpreter: turns a path into a live tree of bound names by rewriting it through a
 * dtab and asking namers, exactly as finagle's `Namer.bind` driven by Linkerd 1's
 * `ConfiguredNamersInterpreter` does. It also produces the delegation explanation (`delegate`)
 * that Linkerd's admin delegator shows. Everything is an Activity, so namer updates flow through
 * to the bound tree and a lookup that is not loaded yet is `pending`, not an exception.
 *
 * Over ~300 lines: `bind`, `lookup` and `delegate` walk the same dtab and namers inside one
 * closure (the namer list, the system names, the depth limit); the delegation tree's
 * simplification and JSON form are in delegate-json.ts.
 */
import { type Dentry, Dtab, NameTree, type NameTreeWeighted, Path } from '@switchyard/dtab';
import { Activity, type ActivityState, assertNever } from './activity.js';
import { Addr } from './addr.js';
import type { Clock } from './clock.js';
import { collectBound, type DNode, simplifyNode, toJson } from './delegate-json.js';
import type { DelegateTree } from './delegate-tree.js';
import { matchingDentries, startsWith } from './dtab-ops.js';
import { SwitchyardError } from './errors.js';
import { createFixedInetNamer, createInetNamer, type DnsLookup, systemDnsLookup } from './inet.js';
import { type BoundName, Name } from './name.js';
import type { Namer } from './namer.js';
import { Var } from './var.js';

/** A namer and the prefix it serves. */
export interface NamerEntry {
  /**
   * The prefix the namer serves, matched literally against the start of a path, e.g.
   * `['#', 'io.l5d.k8s']` or `['$', 'mynamer']`. (Linkerd's config writes `/io.l5d.k8s` and mounts
   * it at `/#/io.l5d.k8s`; that `#` is added by `@switchyard/config`, not here.)
   */
  readonly prefix: Path;
  readonly namer: Namer;
}

/** Options of {@link createInterpreter}. */
export interface InterpreterOptions {
  /** Configured namers, in preference order: the first whose prefix matches wins. */
  readonly namers?: readonly NamerEntry[];
  /** Maximum rewrite depth before binding fails with `SY_ERR_CORE_BIND_DEPTH` (finagle: 100). */
  readonly maxDepth?: number;
  /** Host name resolution for `/$/inet` and `/$/fixedinet`; IP literals never reach it. */
  readonly dnsLookup?: DnsLookup;
  /** Schedules `/$/inet`'s re-resolution of host names (every 5 s, as finagle). Default the system clock. */
  readonly clock?: Clock;
}

/** Binds paths through a dtab and namers (finagle's `NameInterpreter`, plus Linkerd's `Delegator`). */
export interface NameInterpreter {
  /**
   * The live, simplified tree of bound names for `path` under `dtab`. Never throws: depth
   * overflow, namer failures and unknown namers are `failed` states.
   */
  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>>;
  /** The explanation of how `path` binds under `dtab`, as Linkerd's `/delegator.json` prints it. */
  delegate(dtab: Dtab, path: Path): Activity<DelegateTree>;
  /** What the namers alone (no dtab) say about `path`: configured namers, then `/$/…` system names. */
  lookup(path: Path): Activity<NameTree<Name>>;
}

const NEG: NameTree<never> = Object.freeze({ kind: 'neg' });
const FAIL: NameTree<never> = Object.freeze({ kind: 'fail' });
const EMPTY: NameTree<never> = Object.freeze({ kind: 'empty' });

function leaf<T>(value: T): NameTree<T> {
  return { kind: 'leaf', value };
}

/** finagle's `Namer.AddrWeightKey`: the Addr metadata key of the union weight a bound name sits under. */
export const ADDR_WEIGHT_KEY = 'namer_nametree_weight';

/** `name` with `weight` recorded in its bound Addr's metadata (other Addr states are untouched). */
function weighted(name: BoundName, weight: number): BoundName {
  const addr = Var.map(name.addr, (a) =>
    a.kind === 'bound' ? Addr.bound(a.addresses, { ...a.meta, [ADDR_WEIGHT_KEY]: weight }) : a,
  );
  return Name.bound(name.id, addr, name.residual);
}

/**
 * Builds an interpreter. Lookup order for a path, as in Linkerd 1:
 * 1. the dtab (`Dtab.lookup`); a non-neg result is bound recursively;
 * 2. otherwise each configured namer whose prefix starts the path, in order, gets the rest of the
 *    path; a namer answering `neg` passes to the next matching namer;
 * 3. otherwise the system names: `/$/inet/[host/]port[/residual]` and `/$/fixedinet/…` (the
 *    host/port reading first, as finagle), `/$/fail…` (fail),
 *    `/$/nil…` (empty); any other `/$/<kind>` or `/#/<kind>` fails with
 *    `SY_ERR_CORE_NAMER_NOT_FOUND`; everything else is neg.
 */
export function createInterpreter(options: InterpreterOptions = {}): NameInterpreter {
  const maxDepth = options.maxDepth ?? 100;
  const dnsLookup = options.dnsLookup ?? systemDnsLookup;
  const system: Record<string, Namer> = {
    inet: createInetNamer({ lookup: dnsLookup, ...(options.clock ? { clock: options.clock } : {}) }),
    fixedinet: createFixedInetNamer({ lookup: dnsLookup }),
  };
  const namers = options.namers ?? [];

  function systemLookup(path: Path): Activity<NameTree<Name>> {
    if (path[0] !== '$' && path[0] !== '#') return Activity.value(NEG);
    const literal =
      path[0] === '$' && (path[1] === 'inet' || path[1] === 'fixedinet') ? system[path[1]] : undefined;
    if (literal !== undefined) {
      const bound = literal.lookup(path.slice(2));
      if (Activity.sample(bound).kind !== 'neg') return bound;
    }
    if (path[0] === '$' && path[1] === 'fail') return Activity.value(FAIL);
    if (path[0] === '$' && path[1] === 'nil') return Activity.value(EMPTY);
    if (path.length < 2) return Activity.value(NEG);
    return Activity.exception(
      new SwitchyardError(
        'SY_ERR_CORE_NAMER_NOT_FOUND',
        `Unknown namer: ${path[1]} for path: ${Path.show(path)} (no configured namer has prefix /${path[0]}/${path[1]})`,
      ),
    );
  }

  function namerLookup(path: Path, from: number, matched: boolean): Activity<NameTree<Name>> {
    for (let i = from; i < namers.length; i++) {
      const { prefix, namer } = namers[i]!;
      if (!startsWith(path, prefix)) continue;
      const rest = path.slice(prefix.length);
      let result: Activity<NameTree<Name>>;
      try {
        result = namer.lookup(rest);
      } catch (err) {
        result = Activity.exception(err);
      }
      const wrapped = Activity.transform<NameTree<Name>, NameTree<Name>>(result, (s) => {
        if (s.kind !== 'failed') return Activity.fromVar(Var.constant(s));
        if (s.error instanceof SwitchyardError && s.error.code === 'SY_ERR_CORE_BIND_FAILED')
          return Activity.exception(s.error);
        return Activity.exception(
          new SwitchyardError(
            'SY_ERR_CORE_BIND_FAILED',
            // The namer's own message, as finagle and Linkerd's delegator show it; the code marks it
            // as a namer failure for `rescue`, and `cause` keeps the namer's error.
            s.error.message,
            { cause: s.error },
          ),
        );
      });
      return Activity.flatMap(wrapped, (tree) =>
        tree.kind === 'neg' ? namerLookup(path, i + 1, true) : Activity.value(tree),
      );
    }
    // A configured namer said neg: that is the answer (Linkerd would report an unknown namer here).
    if (matched) return Activity.value(NEG);
    return systemLookup(path);
  }

  function lookup(path: Path): Activity<NameTree<Name>> {
    return namerLookup(path, 0, false);
  }

  function depthError(): Error {
    return new SwitchyardError(
      'SY_ERR_CORE_BIND_DEPTH',
      `Max recursion level: ${maxDepth} reached in Namer lookup`,
    );
  }

  /* binding: finagle's Namer.bind */

  /**
   * `weight` is the weight of the innermost union branch `tree` sits in (none outside unions): it
   * is recorded in every bound leaf's Addr metadata, as finagle does, so it survives `simplify`
   * collapsing a union to one branch.
   */
  function bindTree(
    dtab: Dtab,
    depth: number,
    tree: NameTree<Name>,
    weight?: number,
  ): Activity<NameTree<BoundName>> {
    if (depth > maxDepth) return Activity.exception(depthError());
    switch (tree.kind) {
      case 'leaf': {
        const name = tree.value;
        if (name.kind === 'bound')
          return Activity.value(leaf(weight === undefined ? name : weighted(name, weight)));
        return Activity.flatMap(lookupInDtab(dtab, name.path), (t) => bindTree(dtab, depth + 1, t, weight));
      }
      case 'fail':
      case 'neg':
      case 'empty':
        return Activity.value(tree);
      case 'union': {
        if (tree.trees.length === 0) return Activity.value(NEG);
        if (tree.trees.length === 1) return bindTree(dtab, depth, tree.trees[0]!.tree, tree.trees[0]!.weight);
        return bindUnion(dtab, depth, tree.trees);
      }
      case 'alt': {
        if (tree.trees.length === 0) return Activity.value(NEG);
        if (tree.trees.length === 1) return bindTree(dtab, depth, tree.trees[0]!, weight);
        const loop = (i: number): Activity<NameTree<BoundName>> => {
          if (i >= tree.trees.length) return Activity.value(NEG);
          return Activity.flatMap(bindTree(dtab, depth, tree.trees[i]!, weight), (t) =>
            t.kind === 'neg' ? loop(i + 1) : Activity.value(t),
          );
        };
        return loop(0);
      }
      default:
        return assertNever(tree);
    }
  }

  /**
   * finagle's `bindUnion`: while any branch is bound (ok), the union is the ok branches alone —
   * failed and pending branches are dropped; with none ok, the first failure in branch order, else
   * pending.
   */
  function bindUnion(
    dtab: Dtab,
    depth: number,
    trees: readonly NameTreeWeighted<Name>[],
  ): Activity<NameTree<BoundName>> {
    const branches = trees.map((w) => bindTree(dtab, depth, w.tree, w.weight).states);
    return Activity.fromVar(
      Var.map(Var.collect(branches), (states): ActivityState<NameTree<BoundName>> => {
        const oks: NameTreeWeighted<BoundName>[] = [];
        let failed: ActivityState<NameTree<BoundName>> | undefined;
        states.forEach((s, i) => {
          if (s.kind === 'ok') oks.push({ weight: trees[i]!.weight, tree: s.value });
          else if (s.kind === 'failed' && failed === undefined) failed = s;
        });
        if (oks.length > 0) return Activity.ok(NameTree.simplify<BoundName>({ kind: 'union', trees: oks }));
        return failed ?? Activity.pendingState;
      }),
    );
  }

  function lookupInDtab(dtab: Dtab, path: Path): Activity<NameTree<Name>> {
    const t = Dtab.lookup(dtab, path);
    if (t.kind === 'neg') return lookup(path);
    return Activity.value(NameTree.map(t, (p) => Name.path(p)));
  }

  function bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>> {
    return Activity.map(bindTree(dtab, 0, leaf(Name.path(path))), (t) => NameTree.simplify(t));
  }

  /* delegation: Linkerd's ConfiguredNamersInterpreter.delegate */

  function fromNameTree(path: Path, dentry: Dentry | null, tree: NameTree<Name>): DNode {
    switch (tree.kind) {
      case 'empty':
        return { t: 'empty', path, dentry };
      case 'fail':
        return { t: 'fail', path, dentry };
      case 'neg':
        return { t: 'neg', path: [], dentry };
      case 'leaf':
        return { t: 'leaf', path, dentry, name: tree.value };
      case 'alt':
        return { t: 'alt', path, dentry, trees: tree.trees.map((x) => fromNameTree(path, dentry, x)) };
      case 'union':
        return {
          t: 'union',
          path,
          dentry,
          trees: tree.trees.map((w) => ({ weight: w.weight, tree: fromNameTree(path, dentry, w.tree) })),
        };
      default:
        return assertNever(tree);
    }
  }

  function delegateLookup(dtab: Dtab, dentry: Dentry | null, path: Path): Activity<DNode> {
    const matches = matchingDentries(dtab, path).map(({ dentry: d, suffix }) =>
      fromNameTree(
        path,
        d,
        NameTree.map(d.dst, (p) => Name.path([...p, ...suffix])),
      ),
    );
    if (matches.length === 1) return Activity.value({ t: 'delegate', path, dentry, tree: matches[0]! });
    if (matches.length > 1) return Activity.value({ t: 'alt', path, dentry, trees: matches });
    const neg: DNode = { t: 'neg', path, dentry };
    return Activity.handle(
      Activity.map(lookup(path), (tree) => (tree.kind === 'neg' ? neg : fromNameTree(path, dentry, tree))),
      (error): DNode => ({ t: 'exception', path, dentry, error }),
    );
  }

  function asException(a: Activity<DNode>, path: Path, dentry: Dentry | null): Activity<DNode> {
    return Activity.handle(a, (error): DNode => ({ t: 'exception', path, dentry, error }));
  }

  function delegateBind(dtab: Dtab, depth: number, node: DNode): Activity<DNode> {
    if (depth > maxDepth) return Activity.exception(depthError());
    switch (node.t) {
      case 'exception':
      case 'empty':
      case 'fail':
      case 'neg':
        return Activity.value(node);
      case 'leaf':
        if (node.name.kind === 'bound') return Activity.value(node);
        return Activity.flatMap(delegateLookup(dtab, node.dentry, node.name.path), (t) =>
          delegateBind(dtab, depth + 1, t),
        );
      case 'delegate':
        return Activity.map(delegateBind(dtab, depth, node.tree), (t): DNode => ({ ...node, tree: t }));
      case 'alt': {
        const { path, dentry } = node;
        if (node.trees.length === 0) return Activity.value({ t: 'neg', path, dentry });
        if (node.trees.length === 1) {
          return Activity.map(
            delegateBind(dtab, depth, node.trees[0]!),
            (t): DNode => ({ t: 'delegate', path, dentry, tree: t }),
          );
        }
        // Unlike bind, delegation explains every alternative.
        const parts = node.trees.map((t) => asException(delegateBind(dtab, depth, t), path, dentry));
        return Activity.map(Activity.collect(parts), (trees): DNode => ({ t: 'alt', path, dentry, trees }));
      }
      case 'union': {
        const { path, dentry } = node;
        if (node.trees.length === 0) return Activity.value({ t: 'neg', path, dentry });
        if (node.trees.length === 1) {
          return Activity.map(
            delegateBind(dtab, depth, node.trees[0]!.tree),
            (t): DNode => ({ t: 'delegate', path, dentry, tree: t }),
          );
        }
        const parts = node.trees.map((w) =>
          Activity.map(asException(delegateBind(dtab, depth, w.tree), path, dentry), (t) => ({
            weight: w.weight,
            tree: t,
          })),
        );
        return Activity.map(Activity.collect(parts), (trees): DNode => ({ t: 'union', path, dentry, trees }));
      }
      default:
        return assertNever(node);
    }
  }

  function delegate(dtab: Dtab, path: Path): Activity<DelegateTree> {
    const bound = Activity.map(
      delegateBind(dtab, 0, { t: 'leaf', path, dentry: null, name: Name.path(path) }),
      simplifyNode,
    );
    return Activity.flatMap(bound, (tree) => {
      const leaves: BoundName[] = [];
      collectBound(tree, leaves);
      if (leaves.length === 0) return Activity.value(toJson(tree, [], { i: 0 }));
      return Activity.fromVar(
        Var.map(Var.collect(leaves.map((l) => l.addr)), (addrs) =>
          Activity.ok(toJson(tree, addrs, { i: 0 })),
        ),
      );
    });
  }

  return Object.freeze({ bind, delegate, lookup });
}
