/** The ACME panel: one row per managed name with its state, issuer, expiry, last attempt and error. */
import { h } from './dom.js';
import type { Feed } from './feed.js';
import { table } from './widgets.js';

const stamp = (ms: number | undefined) =>
  ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

/** The ACME table of `feed`. */
export function acmeSection(feed: Feed): HTMLElement {
  const rows = feed.acme.map((c) => {
    const left = c.notAfter === undefined ? undefined : c.notAfter - feed.time;
    const days = left === undefined ? undefined : Math.floor(left / 86_400_000);
    const cls =
      left === undefined || left <= 0 || (days ?? 0) < 7 ? 'bad' : (days ?? 0) < 30 ? 'warn' : 'good';
    return [
      h('code', { 'data-testid': `acme-${c.name}` }, c.name),
      h('span', { class: c.state === 'valid' ? 'good' : 'warn' }, c.state),
      h('span', { class: 'small muted' }, c.issuer ?? ''),
      c.notAfter === undefined
        ? '—'
        : h(
            'span',
            { class: cls },
            `${stamp(c.notAfter)} (${(left ?? 0) <= 0 ? 'expired' : `${days} days`})`,
          ),
      stamp(c.lastAttemptAt),
      c.lastError === undefined ? '' : h('span', { class: 'bad small' }, c.lastError),
    ];
  });
  return h(
    'section',
    { class: 'card', id: 'acme' },
    h('h2', null, 'ACME certificates'),
    table(
      ['name', 'state', 'issuer', 'expires', 'last attempt', 'last error'],
      rows,
      'No names managed by ACME.',
    ),
  );
}
