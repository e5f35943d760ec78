/**
 * Each router's server, path and client stacks (`/admin/stacks.json`), fetched once — they change
 * only with a restart — and listed under the router card, as Linkerd 1 printed its modules.
 */
import type { RouterStacksDocument } from '../../stacks.js';
import type { AdminStacksView } from '../../views.js';
import { h } from './dom.js';
import { table } from './widgets.js';

const stacks = new Map<string, AdminStacksView>();

/** Fetches the stacks; a failure leaves the cards without the listing. */
export async function loadStacks(): Promise<void> {
  try {
    const res = await fetch('/admin/stacks.json', { cache: 'no-store' });
    const docs = res.ok ? ((await res.json()) as RouterStacksDocument[]) : [];
    for (const d of docs) if (d.stacks !== undefined) stacks.set(d.router, d.stacks);
  } catch {
    // no listing
  }
}

/** The router's stacks, outermost layer first, or nothing when unknown. */
export function stacksDetails(label: string): HTMLElement | null {
  const s = stacks.get(label);
  if (s === undefined) return null;
  const rows = (['server', 'path', 'client'] as const).flatMap((stack) =>
    s[stack].map((l, i) => [
      i === 0 ? h('b', null, stack) : '',
      h('code', null, l.role),
      h('span', { class: 'muted' }, l.description),
    ]),
  );
  return h(
    'details',
    { class: 'stacks', 'data-testid': 'stacks' },
    h('summary', null, 'stacks'),
    table(['stack', 'layer', 'what it does'], rows, 'No layers.'),
  );
}
