/**
 * DelegateTree: the explanation of a binding — which dentry rewrote which path into what, down to
 * the bound names and their current addresses. This is the JSON Linkerd 1's admin
 * `/delegator.json` returns (`io.buoyant.admin.names.DelegateApiHandler.JsonDelegateTree`), so
 * the same dashboards and scripts can read it. It is plain data: `JSON.stringify` prints it.
 */

/** The dentry that produced a node, as shown text (`{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }`), or `null` at the root. */
export type DelegateDentry = { readonly prefix: string; readonly dst: string } | null;

/** One endpoint in a leaf's address set (Linkerd's `Address`: `ip`, `port`, `meta`). */
export interface DelegateAddress {
  readonly ip: string;
  readonly port: number;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** A leaf's address state (Linkerd's JSON `Addr`, typed by `type`). */
export type DelegateAddr =
  | {
      readonly type: 'bound';
      readonly addrs: readonly DelegateAddress[];
      readonly meta: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'pending' }
  | { readonly type: 'neg' }
  | { readonly type: 'failed'; readonly cause: string };

/** A bound name at a leaf: its `id`, residual `path`, and current `addr`. */
export interface DelegateBound {
  readonly addr: DelegateAddr;
  /** The bound name's id, shown (`/#/io.l5d.k8s/default/http/world`). */
  readonly id: string;
  /** The residual path the namer did not consume, shown (`/` when none). */
  readonly path: string;
}

/** One weighted branch of a `union` node. */
export interface DelegateWeighted {
  readonly weight: number;
  readonly tree: DelegateTree;
}

/**
 * A node of the explanation tree, discriminated by `type` (Linkerd's JSON field name). Every node
 * carries the `path` it explains (shown) and the `dentry` that produced it.
 *
 * - `delegate`: `path` was rewritten by `dentry` into `delegate`;
 * - `alt`: alternatives, tried in order (several dentries matched, or a `|` destination);
 * - `union`: weighted branches (`&`);
 * - `leaf`: bound to a name, with its live address state;
 * - `neg`: nothing matched (`path` is `~` when a `~` destination produced it);
 * - `fail`: binding failed (`path` is `!` unless it came from a `/$/fail` path);
 * - `empty`: bound to nothing (`$`, `/$/nil`);
 * - `exception`: looking up `path` failed with `message`.
 */
export type DelegateTree =
  | {
      readonly type: 'delegate';
      readonly path: string;
      readonly dentry: DelegateDentry;
      readonly delegate: DelegateTree;
    }
  | {
      readonly type: 'alt';
      readonly path: string;
      readonly dentry: DelegateDentry;
      readonly alt: readonly DelegateTree[];
    }
  | {
      readonly type: 'union';
      readonly path: string;
      readonly dentry: DelegateDentry;
      readonly union: readonly DelegateWeighted[];
    }
  | {
      readonly type: 'leaf';
      readonly path: string;
      readonly dentry: DelegateDentry;
      readonly bound: DelegateBound;
    }
  | { readonly type: 'neg'; readonly path: string; readonly dentry: DelegateDentry }
  | { readonly type: 'fail'; readonly path: string; readonly dentry: DelegateDentry }
  | { readonly type: 'empty'; readonly path: string; readonly dentry: DelegateDentry }
  | {
      readonly type: 'exception';
      readonly path: string;
      readonly dentry: DelegateDentry;
      readonly message: string;
    };
