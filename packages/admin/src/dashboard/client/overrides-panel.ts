/**
 * The dtab overrides panel: one row per override with the requests it changed so far, and — when
 * control is unlocked and the config registered the mint route — a form that mints a signed,
 * expiring override cookie for a tester (`POST /admin/dtab-overrides/mint`).
 */

import { canUse, controlFetch, onControlChange } from './control.js';
import { h, replace } from './dom.js';
import type { Feed } from './feed.js';
import { compact } from './format.js';
import { table } from './widgets.js';

/** The config's mint route (`@switchyard/config` registers it when admin control is on). */
const MINT_PATH = '/admin/dtab-overrides/mint';

interface Minted {
  readonly cookie: string;
  readonly value: string;
  readonly expiresAt: string;
  readonly setCookie: string;
}

/** The panel: built once (the form has user input); `update` redraws the rows each poll. */
export function overridesPanel(): { el: HTMLElement; update: (feed: Feed) => void } {
  const rows = h('div');
  const select = h('select', { 'aria-label': 'router', 'data-testid': 'mint-router' }) as HTMLSelectElement;
  const dtab = h('textarea', {
    rows: 2,
    placeholder: '/svc/world => /svc/world-v2',
    'aria-label': 'override dtab',
    'data-testid': 'mint-dtab',
    spellcheck: 'false',
  }) as HTMLTextAreaElement;
  const hours = h('input', {
    type: 'number',
    min: 1,
    step: 1,
    value: 8,
    'aria-label': 'hours',
    'data-testid': 'mint-hours',
  }) as HTMLInputElement;
  const out = h('div', { class: 'pg-out' });
  const mint = async () => {
    const ttlSecs = Math.round(Number(hours.value) * 3600);
    const res = await controlFetch(MINT_PATH, 'POST', { router: select.value, dtab: dtab.value, ttlSecs });
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // a text answer (401, 403)
      }
      replace(out, h('pre', { class: 'error', 'data-testid': 'mint-error' }, message));
      return;
    }
    const m = JSON.parse(text) as Minted;
    replace(
      out,
      h(
        'div',
        { 'data-testid': 'mint-out' },
        h('p', null, 'Cookie ', h('code', null, m.cookie), ', valid until ', m.expiresAt, ':'),
        h('pre', { 'data-testid': 'mint-set-cookie' }, m.setCookie),
      ),
    );
  };
  const form = h(
    'form',
    {
      class: 'pg-form',
      'data-testid': 'mint-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void mint();
      },
    },
    h('label', null, 'router', select),
    h('label', null, 'hours', hours),
    h('button', { type: 'submit', 'data-testid': 'mint-go' }, 'Mint cookie'),
    h('label', { class: 'full' }, 'dtab carried by the cookie (appended for its holder)', dtab),
  );
  const mintBox = h('div', { hidden: true }, h('h3', null, 'Signed override cookie'), form, out);
  const showForm = () => {
    mintBox.hidden = !canUse(MINT_PATH);
    if (mintBox.hidden) replace(out);
  };
  onControlChange(showForm);
  let known = '';
  return {
    el: h('section', { class: 'card', id: 'overrides' }, h('h2', null, 'Dtab overrides'), rows, mintBox),
    update(feed) {
      const list = feed.routers.flatMap((r) =>
        r.overrides.map((o) => [
          r.label,
          h('code', null, o.name),
          h('span', { 'data-testid': `override-${r.label}-${o.name}` }, compact(o.applied)),
        ]),
      );
      replace(rows, table(['router', 'override', 'requests changed'], list, 'No dtab overrides configured.'));
      const labels = feed.routers.map((r) => r.label);
      if (labels.join('\n') !== known) {
        known = labels.join('\n');
        replace(
          select,
          labels.map((l) => h('option', { value: l }, l)),
        );
      }
    },
  };
}
