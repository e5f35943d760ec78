/** The certificates panel: every certificate in use, soonest expiry first, coloured by days left. */
import { h } from './dom.js';
import type { Feed } from './feed.js';
import { table } from './widgets.js';

/** The certificates table of `feed`. */
export function certificatesSection(feed: Feed): HTMLElement {
  const rows = [...feed.certificates]
    .sort((a, b) => a.notAfter - b.notAfter)
    .map((c) => {
      const left = c.notAfter - feed.time;
      const days = Math.floor(left / 86_400_000);
      const cls = left <= 0 ? 'bad' : days < 7 ? 'bad' : days < 30 ? 'warn' : 'good';
      return [
        c.name,
        h('code', null, c.subject),
        h('span', { class: 'small' }, (c.sans ?? []).join(', ')),
        h('span', { class: 'small muted' }, c.issuer ?? ''),
        new Date(c.notAfter).toISOString().slice(0, 10),
        h('span', { class: cls }, left <= 0 ? 'expired' : `${days} days`),
        h('span', { class: 'small muted' }, c.source ?? ''),
      ];
    });
  return h(
    'section',
    { class: 'card', id: 'certificates' },
    h('h2', null, 'Certificates'),
    table(
      ['used by', 'subject', 'SANs', 'issuer', 'expires', 'left', 'source'],
      rows,
      'No TLS certificates in use.',
    ),
  );
}
