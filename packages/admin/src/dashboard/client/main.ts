/**
 * The Switchyard dashboard: polls `/admin/dashboard.json` every two seconds and draws, per
 * router, request rate, success rate and latency percentiles over the last two minutes, the
 * servers, logical names, clients and their endpoints, the ingress routing table and the dtab;
 * plus the dtab playground, recent requests, certificates and process health. Rates come from
 * counter deltas between polls, so the server keeps no per-viewer state.
 */
import type { DashboardFeed, RequestTotals, RouterFeed } from '../../dashboard-feed.js';
import type { RouterStacksDocument } from '../../stacks.js';
import type { AdminStacksView, RecentRequest } from '../../views.js';
import { lineChart } from './chart.js';
import { type Child, h, replace } from './dom.js';
import { compact, duration, mib, ms, percent, rate } from './format.js';
import { delegationTree } from './tree.js';

type Feed = DashboardFeed & { readonly recentRequests?: readonly RecentRequest[] };

/** Poll interval: 2 s, or `?refresh=<ms>` (250 ms – 60 s). */
const POLL_MS = Math.min(
  60_000,
  Math.max(250, Number(new URLSearchParams(location.search).get('refresh')) || 2000),
);
const SLOTS = 60; // sixty polls of history (two minutes at the default interval)
const SPAN_LABEL = `-${Math.round((SLOTS * POLL_MS) / 1000)} s`;

interface Point {
  readonly time: number;
  readonly requests: number;
  readonly success: number;
  readonly failures: number;
}

interface RouterHistory {
  rps: (number | undefined)[];
  success: (number | undefined)[];
  p50: (number | undefined)[];
  p95: (number | undefined)[];
  p99: (number | undefined)[];
}

const histories = new Map<string, RouterHistory>();

/** Each router's stacks, fetched once (`/admin/stacks.json`): they change only with a restart. */
const stacks = new Map<string, AdminStacksView>();

/** The router's server, path and client stacks, outermost layer first, as Linkerd 1 printed its modules. */
function stacksDetails(label: string): HTMLElement | null {
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
/** Previous counters per row key (`router`, `router server x`, …), for rates. */
let previous = new Map<string, Point>();
let current = new Map<string, Point>();

function push<T>(arr: T[], v: T): void {
  arr.push(v);
  if (arr.length > SLOTS) arr.shift();
}

/** Rate and success rate of a row since the previous poll. */
function delta(key: string, time: number, t: RequestTotals): { rps?: number; sr?: number } {
  const now: Point = { time, requests: t.requests, success: t.success, failures: t.failures };
  current.set(key, now);
  const prev = previous.get(key);
  const lifetime = t.success + t.failures > 0 ? t.success / (t.success + t.failures) : undefined;
  if (prev === undefined || now.time <= prev.time || now.requests < prev.requests) return { sr: lifetime };
  const dt = (now.time - prev.time) / 1000;
  const ds = now.success - prev.success;
  const df = now.failures - prev.failures;
  return { rps: (now.requests - prev.requests) / dt, sr: ds + df > 0 ? ds / (ds + df) : lifetime };
}

function srClass(sr: number | undefined): string {
  if (sr === undefined) return '';
  if (sr >= 0.99) return 'good';
  if (sr >= 0.95) return 'warn';
  return 'bad';
}

function kpi(label: string, value: string, testid: string, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `kpi ${cls}` },
    h('div', { class: 'kpi-value', 'data-testid': testid }, value),
    h('div', { class: 'kpi-label' }, label),
  );
}

function table(headers: readonly string[], rows: readonly Child[][], empty: string, cls = ''): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((x) => h('th', null, x)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          null,
          r.map((c) => h('td', null, c)),
        ),
      ),
    ),
  );
}

function history(label: string): RouterHistory {
  let hist = histories.get(label);
  if (hist === undefined) {
    hist = { rps: [], success: [], p50: [], p95: [], p99: [] };
    histories.set(label, hist);
  }
  return hist;
}

function routerCard(r: RouterFeed, time: number): HTMLElement {
  const d = delta(`rt ${r.label}`, time, r);
  const hist = history(r.label);
  push(hist.rps, d.rps);
  push(hist.success, d.sr === undefined ? undefined : d.sr * 100);
  push(hist.p50, r.latency?.p50);
  push(hist.p95, r.latency?.p95);
  push(hist.p99, r.latency?.p99);
  const id = r.label.replace(/[^a-zA-Z0-9_-]/g, '_');
  const connections = r.servers.reduce((n, s) => n + s.connections, 0);

  const servers = r.servers.map((sv) => {
    const sd = delta(`rt ${r.label} server ${sv.name}`, time, sv);
    return [
      h('code', null, `${sv.ip}:${sv.port}`),
      sv.tls === true ? h('span', { class: 'pill pill-tls' }, 'TLS') : h('span', { class: 'muted' }, 'plain'),
      compact(sv.connections),
      rate(sd.rps),
      h('span', { class: srClass(sd.sr) }, percent(sd.sr)),
      compact(sv.requests),
    ];
  });
  const services = r.services.map((sv) => {
    const sd = delta(`rt ${r.label} service ${sv.name}`, time, sv);
    return [
      h('code', null, sv.name),
      rate(sd.rps),
      h('span', { class: srClass(sd.sr) }, percent(sd.sr)),
      ms(sv.latency?.p50),
      ms(sv.latency?.p99),
    ];
  });
  const clients = r.clients.map((c) => {
    const cd = delta(`rt ${r.label} client ${c.id}`, time, c);
    return [
      h(
        'div',
        null,
        h('code', null, c.id),
        (c.services ?? []).length > 0
          ? h('div', { class: 'muted small' }, `← ${(c.services ?? []).join(', ')}`)
          : null,
      ),
      h('span', null, c.balancer),
      h('span', { class: c.available < c.size ? 'warn' : '' }, `${c.available}/${c.size}`),
      rate(cd.rps),
      h('span', { class: srClass(cd.sr) }, percent(cd.sr)),
      h(
        'div',
        { class: 'endpoints' },
        c.endpoints.map((e) =>
          h(
            'span',
            { class: `ep ep-${e.state}`, title: `${e.host}:${e.port} — ${e.state}, load ${e.load}` },
            `${e.host}:${e.port}`,
            h('b', { class: 'load' }, compact(e.load)),
          ),
        ),
      ),
    ];
  });
  const ingress = r.ingress.map((rule) => [
    h('span', null, rule.host ?? h('span', { class: 'muted' }, '*')),
    h('code', null, rule.path ?? '.*'),
    h(
      'span',
      null,
      rule.defaultBackend === true ? h('span', { class: 'pill' }, 'default') : null,
      ' ',
      rule.backend,
    ),
    h('code', null, rule.dst),
    rule.readyEndpoints === undefined
      ? '—'
      : h('span', { class: rule.readyEndpoints === 0 ? 'bad' : 'good' }, String(rule.readyEndpoints)),
    h('span', { class: 'muted' }, rule.ingress),
  ]);

  return h(
    'section',
    { class: 'card router', id: `router-${id}`, 'data-router': r.label },
    h('h2', null, h('span', { class: 'muted' }, 'router '), r.label),
    h(
      'div',
      { class: 'kpis' },
      kpi('requests / s', rate(d.rps), `rps-${id}`),
      kpi('success rate', percent(d.sr), `sr-${id}`, srClass(d.sr)),
      kpi('p50', ms(r.latency?.p50), `p50-${id}`),
      kpi('p99', ms(r.latency?.p99), `p99-${id}`),
      kpi('requests', compact(r.requests), `requests-${id}`),
      kpi('failures', compact(r.failures), `failures-${id}`, r.failures > 0 ? 'warn' : ''),
      kpi('connections', compact(connections), `connections-${id}`),
    ),
    h(
      'div',
      { class: 'charts' },
      lineChart('Request rate (req/s)', [{ label: 'rps', color: '#38bdf8', values: hist.rps }], {
        slots: SLOTS,
        span: SPAN_LABEL,
        format: compact,
        fill: true,
      }),
      lineChart('Success rate (%)', [{ label: 'success', color: '#4ade80', values: hist.success }], {
        slots: SLOTS,
        span: SPAN_LABEL,
        yMin: Math.min(90, ...hist.success.filter((v): v is number => v !== undefined)),
        yMax: 100,
        format: (v) => `${v.toFixed(v >= 99.95 ? 0 : 1)}`,
      }),
      lineChart(
        'Latency (ms)',
        [
          { label: 'p50', color: '#a78bfa', values: hist.p50 },
          { label: 'p95', color: '#fbbf24', values: hist.p95 },
          { label: 'p99', color: '#f87171', values: hist.p99 },
        ],
        { slots: SLOTS, span: SPAN_LABEL, format: (v) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1)) },
      ),
    ),
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        null,
        h('h3', null, 'Servers'),
        table(['listen', '', 'conns', 'req/s', 'success', 'total'], servers, 'No servers.'),
      ),
      h(
        'div',
        null,
        h('h3', null, 'Logical names'),
        table(['service', 'req/s', 'success', 'p50', 'p99'], services, 'No traffic yet.'),
      ),
    ),
    h('h3', null, 'Clients'),
    table(
      ['client', 'balancer', 'avail/size', 'req/s', 'success', 'endpoints (load)'],
      clients,
      'No clients bound yet.',
    ),
    r.ingress.length > 0
      ? [
          h('h3', null, 'Routing table'),
          table(['host', 'path', 'backend', 'name', 'ready', 'ingress'], ingress, '', 'routing'),
        ]
      : null,
    h(
      'details',
      { class: 'dtab' },
      h('summary', null, 'dtab'),
      h('pre', null, r.dtab.split(';').join(';\n')),
    ),
    stacksDetails(r.label),
  );
}

function header(feed: Feed, ok: boolean): HTMLElement {
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
      h('a', { href: '#certificates' }, 'Certificates'),
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

function requestsSection(list: readonly RecentRequest[]): HTMLElement {
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

function certificatesSection(feed: Feed): HTMLElement {
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

/** The dtab playground: built once, kept across polls (it has user input). */
function playground(): { el: HTMLElement; setRouters: (labels: readonly string[]) => void } {
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
  const go = async () => {
    const q = new URLSearchParams({ path: path.value.trim(), dtab: dtab.value, router: select.value });
    replace(out, h('p', { class: 'muted' }, 'delegating…'));
    try {
      const res = await fetch(`/delegator.json?${q}`);
      const body = await res.text();
      if (!res.ok) {
        replace(out, h('pre', { class: 'error', 'data-testid': 'pg-error' }, body.trim()));
        return;
      }
      replace(out, delegationTree(JSON.parse(body)));
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
    ),
    setRouters(labels) {
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

function main(): void {
  const app = document.getElementById('app');
  if (app === null) return;
  const top = h('div');
  const routers = h('div', { id: 'routers' });
  const pg = playground();
  const requests = h('div');
  const certs = h('div');
  replace(app, top, h('main', null, routers, pg.el, requests, certs));
  if (location.pathname === '/delegator') pg.el.scrollIntoView();
  let last: Feed | undefined;

  const render = (feed: Feed, ok: boolean) => {
    current = new Map();
    replace(top, header(feed, ok));
    replace(
      routers,
      feed.routers.length === 0
        ? h('section', { class: 'card' }, h('p', { class: 'empty' }, 'No routers configured.'))
        : feed.routers.map((r) => routerCard(r, feed.time)),
    );
    previous = current;
    pg.setRouters(feed.routers.map((r) => r.label));
    replace(requests, requestsSection(feed.recentRequests ?? []));
    replace(certs, certificatesSection(feed));
  };

  const poll = async () => {
    try {
      const res = await fetch('/admin/dashboard.json', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      last = (await res.json()) as Feed;
      render(last, true);
      document.body.dataset.ready = 'true';
    } catch {
      if (last !== undefined) replace(top, header(last, false));
    } finally {
      setTimeout(() => void poll(), POLL_MS);
    }
  };
  // Stacks first (once), then the polls; a failure leaves the cards without the stacks listing.
  void fetch('/admin/stacks.json', { cache: 'no-store' })
    .then((res) => (res.ok ? (res.json() as Promise<RouterStacksDocument[]>) : []))
    .then((docs) => {
      for (const d of docs) if (d.stacks !== undefined) stacks.set(d.router, d.stacks);
    })
    .catch(() => undefined)
    .finally(() => void poll());
}

main();
