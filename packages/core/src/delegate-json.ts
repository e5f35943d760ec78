/**
 * The delegation explanation between the interpreter and the admin: the tree `delegate` builds
 * (`DNode`, real paths, dentries and names), Linkerd's `DelegateTree.simplify` over it, and its
 * JSON form (`DelegateTree`, Linkerd 1's `/delegator.json`) with each bound leaf's address.
 * Split from interpreter.ts, which walks the dtab and namers to build the tree.
 */
import { type Dentry, Path } from '@switchyard/dtab';
import { assertNever } from './activity.js';
import { Addr } from './addr.js';
import type { DelegateAddr, DelegateDentry, DelegateTree } from './delegate-tree.js';
import { showDentry, startsWith } from './dtab-ops.js';
import type { BoundName, Name } from './name.js';

/** The delegation tree before it is shown: real paths, dentries and names. */
export type DNode =
  | { readonly t: 'exception'; readonly path: Path; readonly dentry: Dentry | null; readonly error: Error }
  | { readonly t: 'empty' | 'fail' | 'neg'; readonly path: Path; readonly dentry: Dentry | null }
  | { readonly t: 'delegate'; readonly path: Path; readonly dentry: Dentry | null; readonly tree: DNode }
  | { readonly t: 'leaf'; readonly path: Path; readonly dentry: Dentry | null; readonly name: Name }
  | {
      readonly t: 'alt';
      readonly path: Path;
      readonly dentry: Dentry | null;
      readonly trees: readonly DNode[];
    }
  | {
      readonly t: 'union';
      readonly path: Path;
      readonly dentry: Dentry | null;
      readonly trees: readonly { readonly weight: number; readonly tree: DNode }[];
    };

function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Linkerd's `DelegateTree.simplify`. */
export function simplifyNode(node: DNode): DNode {
  switch (node.t) {
    case 'delegate': {
      const inner = simplifyNode(node.tree);
      const collapse =
        inner.t !== 'neg' && inner.t !== 'fail' && inner.t !== 'empty' && samePath(inner.path, node.path);
      return collapse ? { ...inner, dentry: node.dentry } : { ...node, tree: inner };
    }
    case 'alt': {
      const { path, dentry } = node;
      if (node.trees.length === 0) return { t: 'neg', path, dentry };
      if (node.trees.length === 1) return simplifyNode({ t: 'delegate', path, dentry, tree: node.trees[0]! });
      const out: DNode[] = [];
      for (const t of node.trees) {
        const s = simplifyNode(t);
        if (s.t === 'alt' && samePath(s.path, path)) out.push(...s.trees);
        else out.push(s);
      }
      return { t: 'alt', path, dentry, trees: out };
    }
    case 'union': {
      const { path, dentry } = node;
      if (node.trees.length === 0) return { t: 'neg', path, dentry };
      if (node.trees.length === 1)
        return simplifyNode({ t: 'delegate', path, dentry, tree: node.trees[0]!.tree });
      return {
        t: 'union',
        path,
        dentry,
        trees: node.trees.map((w) => ({ weight: w.weight, tree: simplifyNode(w.tree) })),
      };
    }
    case 'leaf':
    case 'neg':
    case 'fail':
    case 'empty':
    case 'exception':
      return node;
    default:
      return assertNever(node);
  }
}

/** The bound names at the leaves of `node`, in tree order (the order {@link toJson} reads `addrs` in). */
export function collectBound(node: DNode, out: BoundName[]): void {
  switch (node.t) {
    case 'leaf':
      if (node.name.kind === 'bound') out.push(node.name);
      return;
    case 'delegate':
      collectBound(node.tree, out);
      return;
    case 'alt':
      for (const t of node.trees) collectBound(t, out);
      return;
    case 'union':
      for (const w of node.trees) collectBound(w.tree, out);
      return;
    case 'neg':
    case 'fail':
    case 'empty':
    case 'exception':
      return;
    default:
      assertNever(node);
  }
}

function jsonDentry(d: Dentry | null): DelegateDentry {
  return d === null ? null : showDentry(d);
}

function jsonAddr(addr: Addr): DelegateAddr {
  switch (addr.kind) {
    case 'bound':
      return {
        type: 'bound',
        addrs: addr.addresses.map((a) => ({
          ip: a.host,
          port: a.port,
          meta: a.weight === 1 ? a.meta : { ...a.meta, endpoint_addr_weight: a.weight },
        })),
        meta: addr.meta,
      };
    case 'pending':
      return { type: 'pending' };
    case 'neg':
      return { type: 'neg' };
    case 'failed':
      return { type: 'failed', cause: addr.error.message };
    default:
      return assertNever(addr);
  }
}

const FAIL_PREFIX: Path = ['$', 'fail'];

/** Shows a DNode as Linkerd's `JsonDelegateTree`; `addrs` are the bound leaves' addresses in tree order. */
export function toJson(node: DNode, addrs: readonly Addr[], cursor: { i: number }): DelegateTree {
  const path = Path.show(node.path);
  const dentry = jsonDentry(node.dentry);
  switch (node.t) {
    case 'exception':
      return { type: 'exception', path, dentry, message: node.error.message };
    case 'empty':
      return { type: 'empty', path, dentry };
    case 'fail':
      return { type: 'fail', path: startsWith(node.path, FAIL_PREFIX) ? path : '!', dentry };
    case 'neg':
      return { type: 'neg', path: node.path.length === 0 ? '~' : path, dentry };
    case 'delegate':
      return { type: 'delegate', path, dentry, delegate: toJson(node.tree, addrs, cursor) };
    case 'alt':
      return { type: 'alt', path, dentry, alt: node.trees.map((t) => toJson(t, addrs, cursor)) };
    case 'union':
      return {
        type: 'union',
        path,
        dentry,
        union: node.trees.map((w) => ({ weight: w.weight, tree: toJson(w.tree, addrs, cursor) })),
      };
    case 'leaf': {
      const name = node.name;
      if (name.kind !== 'bound') return { type: 'neg', path, dentry };
      const addr = addrs[cursor.i++] ?? Addr.pending;
      return {
        type: 'leaf',
        path,
        dentry,
        bound: { addr: jsonAddr(addr), id: Path.show(name.id), path: Path.show(name.residual) },
      };
    }
    default:
      return assertNever(node);
  }
}
