/**
 * One router's card: KPIs, the rate/success/latency charts, servers, logical names, clients and
 * their endpoints, the ingress routing table, the dtab and the stacks.
 */
import type { RouterFeed } from '../document.js';
import { lineChart } from './chart.js';
import { h } from './dom.js';
import { compact, ms, percent, rate } from './format.js';
import { delta, history, push, SLOTS, SPAN_LABEL } from './rates.js';
import { stacksDetails } from './stacks-panel.js';
import { kpi, srClass, table } from './widgets.js';

/** The card of router `r` for the poll at `time` (pushes this poll's points to its charts). */
export function routerCard(r: RouterFeed, time: number): HTMLElement {
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
