/**
 * The dtab playground: a path and an extra dtab go to `/delegator.json`, and the answer is drawn
 * as a delegation tree with the dentry that fired at each step. When the router has a shared
 * dtab store and control is unlocked, a successful test offers to apply the tested dentries to
 * the store (see apply-to-store.ts).
 */
import type { DtabStoreFeed } from '../document.js';
import { applyToStore, readStore } from './apply-to-store.js';
import { onControlChange } from './control.js';
import { h, replace } from './dom.js';
import type { Feed } from './feed.js';
import { delegationTree } from './tree.js';

/** The dtab playground: built once, kept across polls (it has user input). */
export function playground(): { el: HTMLElement; update: (feed: Feed) => void } {
  const stores = new Map<string, DtabStoreFeed>();
  const select = h('select', { 'aria-label': 'router', 'data-testid': 'pg-router' }) as HTMLSelectElement;
  const path = h('input', {
    type: 'text',
    placeholder: '/svc/default/80/web',
    'aria-label': 'path',
    'data-testid': 'pg-path',
    spellcheck: 'false',
  }) as HTMLInputElement;
  const dtab = h('textarea', {
    rows: 3,
    placeholder: 'extra dentries, e.g. /svc/web => /svc/web-v2;',
    'aria-label': 'dtab override',
    'data-testid': 'pg-dtab',
    spellcheck: 'false',
  }) as HTMLTextAreaElement;
  const out = h('div', { class: 'pg-out', 'data-testid': 'pg-out' });
  const apply = h('div');
  // A token accepted or forgotten after a test: the offer (or its absence) is stale; test again.
  onControlChange(() => replace(apply));
  const go = async () => {
    const router = select.value;
    const override = dtab.value;
    const q = new URLSearchParams({ path: path.value.trim(), dtab: override, router });
    replace(out, h('p', { class: 'muted' }, 'delegating…'));
    replace(apply);
    try {
      // The store as it is before the test: applying later must find this version still current.
      const before = stores.has(router) ? await readStore(router) : undefined;
      const res = await fetch(`/delegator.json?${q}`);
      const body = await res.text();
      if (!res.ok) {
        replace(out, h('pre', { class: 'error', 'data-testid': 'pg-error' }, body.trim()));
        return;
      }
      replace(out, delegationTree(JSON.parse(body)));
      if (before !== undefined) replace(apply, applyToStore(router, before, override));
    } catch (err) {
      replace(out, h('pre', { class: 'error' }, String(err)));
    }
  };
  const form = h(
    'form',
    {
      class: 'pg-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void go();
      },
    },
    h('label', null, 'router', select),
    h('label', { class: 'grow' }, 'path', path),
    h('button', { type: 'submit', 'data-testid': 'pg-go' }, 'Delegate'),
    h('label', { class: 'full' }, 'dtab override (appended to the router dtab)', dtab),
  );
  let known = '';
  return {
    el: h(
      'section',
      { class: 'card', id: 'playground' },
      h('h2', null, 'Dtab playground'),
      h(
        'p',
        { class: 'muted small' },
        'Type a logical name to see how the router resolves it, and which dentry fired at each step.',
      ),
      form,
      out,
      apply,
    ),
    update(feed) {
      stores.clear();
      for (const r of feed.routers) if (r.dtabStore !== undefined) stores.set(r.label, r.dtabStore);
      const labels = feed.routers.map((r) => r.label);
      const key = labels.join('\n');
      if (key === known) return;
      known = key;
      const selected = select.value;
      replace(
        select,
        labels.map((l) => h('option', { value: l, selected: l === selected }, l)),
      );
    },
  };
}
