/** The recent-requests panel (requests sampled by `io.l5d.recentRequests`). */
import type { RecentRequest } from '../../views.js';
import { h } from './dom.js';
import { ms } from './format.js';
import { table } from './widgets.js';

/** The newest sampled requests as a table. */
export function requestsSection(list: readonly RecentRequest[]): HTMLElement {
  const rows = list.map((r) => [
    new Date(r.timestamp).toLocaleTimeString(),
    r.router,
    h('code', null, `${r.method} ${r.host ?? ''}${r.uri}`),
    h('code', null, r.service ?? '—'),
    h('code', { class: 'small' }, r.client ?? '—'),
    r.endpoint ?? '—',
    h('span', { class: r.status >= 500 ? 'bad' : r.status >= 400 ? 'warn' : 'good' }, String(r.status)),
    ms(r.durationMs),
  ]);
  return h(
    'section',
    { class: 'card', id: 'requests' },
    h('h2', null, 'Recent requests ', h('span', { class: 'muted small' }, '(sampled)')),
    table(
      ['time', 'router', 'request', 'name', 'client', 'endpoint', 'status', 'duration'],
      rows,
      'No sampled requests yet (io.l5d.recentRequests).',
    ),
  );
}
