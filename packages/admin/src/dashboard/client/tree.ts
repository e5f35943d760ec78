/**
 * Renders a `/delegator.json` tree (Linkerd 1's shape, a union on `type`) as nested lists: each
 * node shows the path being resolved and the dentry that rewrote it, the way the Linkerd dtab
 * playground did, so an operator can see which rule fired at every step.
 */
import { type Child, h } from './dom.js';

type Json = Record<string, unknown>;

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `/${v.map(String).join('/')}`;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v);
}

function dentryText(d: unknown): string | undefined {
  if (d === undefined || d === null) return undefined;
  if (typeof d === 'string') return d;
  if (typeof d === 'object') {
    const o = d as Json;
    if ('prefix' in o && 'dst' in o) return `${text(o.prefix)} => ${text(o.dst)}`;
  }
  return JSON.stringify(d);
}

function addrs(bound: unknown): Child {
  if (typeof bound !== 'object' || bound === null) return null;
  const b = bound as Json;
  const addr = (b.addr ?? {}) as Json;
  const list = Array.isArray(addr.addrs) ? (addr.addrs as Json[]) : [];
  const kind = typeof addr.type === 'string' ? addr.type : 'bound';
  return h(
    'div',
    { class: 'bound' },
    b.id !== undefined ? h('span', { class: 'bound-id' }, text(b.id)) : null,
    b.path !== undefined && text(b.path) !== '/'
      ? h('span', { class: 'muted' }, ` residual ${text(b.path)}`)
      : null,
    h('span', { class: `addr addr-${kind}` }, kind === 'bound' ? `${list.length} endpoint(s)` : kind),
    list.slice(0, 12).map((a) => h('code', { class: 'ep' }, `${text(a.ip ?? a.host)}:${text(a.port)}`)),
    list.length > 12 ? h('span', { class: 'muted' }, ` +${list.length - 12} more`) : null,
  );
}

/** Renders one node and its children. Unknown node types are shown with their raw JSON. */
export function renderTree(node: unknown, weight?: number): HTMLElement {
  if (typeof node !== 'object' || node === null) return h('li', null, h('code', null, JSON.stringify(node)));
  const n = node as Json;
  const type = typeof n.type === 'string' ? n.type : '?';
  const dentry = dentryText(n.dentry);
  const head = h(
    'div',
    { class: `node node-${type}`, 'data-type': type },
    weight !== undefined ? h('span', { class: 'weight' }, `${weight}×`) : null,
    h('span', { class: 'badge' }, type),
    h('code', { class: 'path' }, text(n.path)),
    dentry !== undefined ? h('span', { class: 'dentry' }, dentry) : null,
    type === 'exception' || type === 'fail' ? h('span', { class: 'err' }, text(n.message)) : null,
    type === 'leaf' || type === 'transformation' ? addrs(n.bound) : null,
    type === 'transformation' && n.name !== undefined
      ? h('span', { class: 'muted' }, ` via ${text(n.name)}`)
      : null,
  );
  const kids: HTMLElement[] = [];
  if (n.delegate !== undefined) kids.push(renderTree(n.delegate));
  if (type === 'transformation' && n.tree !== undefined) kids.push(renderTree(n.tree));
  if (Array.isArray(n.alt)) for (const c of n.alt) kids.push(renderTree(c));
  if (Array.isArray(n.union)) {
    for (const w of n.union as Json[])
      kids.push(renderTree(w.tree, typeof w.weight === 'number' ? w.weight : undefined));
  }
  return h('li', null, head, kids.length > 0 ? h('ul', null, kids) : null);
}

/** The whole tree in a container. */
export function delegationTree(root: unknown): HTMLElement {
  return h('ul', { class: 'tree', 'data-testid': 'delegate-tree' }, renderTree(root));
}
