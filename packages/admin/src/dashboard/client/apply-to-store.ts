/**
 * "Apply to store" for the dtab playground (issue 16 item 4): after a successful test, the tested
 * extra dentries are appended to the router's shared dtab store, so every replica routes as the
 * test did (router dtab = config dtab ++ store dtab). The write names the store version read just
 * before the test: if anyone changed the store since, the admin answers 409 and nothing is
 * written — the operator tests again against what is there now.
 */
import type { DtabStoreDocument } from '../document.js';
import { canUse, controlFetch } from './control.js';
import { h, replace } from './dom.js';

/** The admin's write route for a router's store (`routes/dtab-store.ts`). */
const storePath = (router: string) => `/admin/dtab-store/${encodeURIComponent(router)}`;

/** The store of `router` now, from `/admin/dtab-store.json` (undefined when it has none). */
export async function readStore(router: string): Promise<DtabStoreDocument | undefined> {
  const res = await fetch('/admin/dtab-store.json', { cache: 'no-store' });
  if (!res.ok) return undefined;
  return ((await res.json()) as DtabStoreDocument[]).find((d) => d.router === router);
}

/** The store's dentries followed by the tested ones (blank parts and trailing `;` dropped). */
function combined(stored: string | null, override: string): string {
  return [stored ?? '', override.trim().replace(/;+$/, '')].filter((p) => p.trim() !== '').join(';\n');
}

/**
 * The apply box for a test of `override` on `router`, whose store was `before` at test time; empty
 * when there is nothing to apply or control is locked (or the route absent).
 */
export function applyToStore(
  router: string,
  before: DtabStoreDocument,
  override: string,
): HTMLElement | null {
  if (override.trim() === '' || !canUse(storePath(router))) return null;
  const next = combined(before.dtab, override);
  const result = h('div');
  const button = h(
    'button',
    {
      type: 'button',
      'data-testid': 'pg-apply',
      onclick: async () => {
        (button as HTMLButtonElement).disabled = true;
        const res = await controlFetch(storePath(router), 'PUT', { dtab: next, version: before.version });
        const text = await res.text();
        if (res.ok) {
          const doc = JSON.parse(text) as DtabStoreDocument;
          replace(
            result,
            h('p', { class: 'good', 'data-testid': 'pg-applied' }, `applied: version ${doc.version}`),
          );
          return;
        }
        let message = text.trim();
        if (res.status === 409) {
          const body = JSON.parse(text) as { error: string };
          message = `${body.error} (nothing was written: test again against the store as it is now)`;
        }
        replace(result, h('pre', { class: 'error', 'data-testid': 'pg-apply-error' }, message));
      },
    },
    'Apply to store',
  );
  return h(
    'div',
    { class: 'apply', 'data-testid': 'pg-apply-box' },
    h(
      'p',
      { class: 'small muted' },
      `Store ${before.kind} ${before.name} (version ${before.version ?? 'none yet'}) would hold:`,
    ),
    h('pre', null, next),
    button,
    result,
  );
}
