/** The top bar: brand, navigation, live/disconnected, readiness and process health. */
import { h } from './dom.js';
import type { Feed } from './feed.js';
import { duration, mib, ms } from './format.js';

/** The header for `feed`; `ok` is false when the last poll failed. */
export function header(feed: Feed, ok: boolean): HTMLElement {
  const p = feed.process;
  const ready = feed.readiness.every((x) => x.ready);
  return h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo' }),
      'Switchyard',
      h('span', { class: 'muted' }, ' admin'),
    ),
    h(
      'nav',
      null,
      h('a', { href: '#routers' }, 'Routers'),
      h('a', { href: '#playground' }, 'Dtab playground'),
      h('a', { href: '#requests' }, 'Requests'),
      h('a', { href: '#overrides' }, 'Overrides'),
      h('a', { href: '#certificates' }, 'Certificates'),
      h('a', { href: '#acme' }, 'ACME'),
    ),
    h(
      'div',
      { class: 'status' },
      h(
        'span',
        { class: `pill ${ok ? 'pill-ok' : 'pill-bad'}`, 'data-testid': 'conn' },
        ok ? 'live' : 'disconnected',
      ),
      h(
        'span',
        {
          class: `pill ${ready ? 'pill-ok' : 'pill-bad'}`,
          title: feed.readiness.map((x) => `${x.name}: ${x.ready ? 'ready' : 'not ready'}`).join('\n'),
        },
        ready
          ? 'ready'
          : `not ready: ${feed.readiness
              .filter((x) => !x.ready)
              .map((x) => x.name)
              .join(', ')}`,
      ),
      h('span', { class: 'stat' }, 'up ', h('b', null, duration(p.uptimeMs))),
      h('span', { class: 'stat' }, 'rss ', h('b', null, mib(p.rssBytes))),
      h(
        'span',
        { class: 'stat' },
        'heap ',
        h('b', null, `${mib(p.heapUsedBytes)} / ${mib(p.heapTotalBytes)}`),
      ),
      h(
        'span',
        { class: `stat ${p.eventLoopLag.p99 > 50 ? 'bad' : p.eventLoopLag.p99 > 20 ? 'warn' : ''}` },
        'loop lag p99 ',
        h('b', { 'data-testid': 'lag' }, ms(p.eventLoopLag.p99)),
      ),
    ),
  );
}
