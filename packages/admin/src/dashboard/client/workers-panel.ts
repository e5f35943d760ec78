/**
 * The workers panel of a pod started with `--workers N`: one row per worker (requests/s, in
 * flight, connections, restarts, memory, CPU) and the pod's total under them, so an uneven
 * spread of connections or a worker that keeps restarting shows at a glance. Absent for a
 * single process (the feed has no `workers`).
 */
import type { WorkerFeed } from '../document.js';
import { h } from './dom.js';
import type { Feed } from './feed.js';
import { compact, mib, rate } from './format.js';
import { delta } from './rates.js';
import { table } from './widgets.js';

const figure = (n: number | undefined) => (n === undefined ? '—' : compact(n));

/** Requests/s of one worker since the previous poll; a restarted worker (new pid) starts afresh. */
function workerRate(w: WorkerFeed, time: number): number | undefined {
  if (w.requests === undefined) return undefined;
  const totals = { requests: w.requests, success: w.success ?? 0, failures: w.failures ?? 0 };
  return delta(`worker ${w.slot} ${w.pid ?? ''}`, time, totals).rps;
}

/** The panel for `feed`, or nothing when the admin serves a single process. */
export function workersSection(feed: Feed): HTMLElement | null {
  const workers = feed.workers;
  if (workers === undefined) return null;
  let rps = 0;
  let rpsKnown = false;
  const sum = (pick: (w: WorkerFeed) => number | undefined) =>
    workers.reduce((n, w) => n + (pick(w) ?? 0), 0);
  const rows = workers.map((w) => {
    const r = workerRate(w, feed.time);
    if (r !== undefined) {
      rps += r;
      rpsKnown = true;
    }
    const id = `worker-${w.slot}`;
    return [
      h('b', null, String(w.slot)),
      h('span', { class: 'muted' }, w.pid === undefined ? '—' : String(w.pid)),
      h('span', { class: w.state === 'ready' ? 'good' : 'warn', 'data-testid': `${id}-state` }, w.state),
      h('span', { 'data-testid': `${id}-rps` }, rate(r)),
      h('span', { 'data-testid': `${id}-inflight` }, figure(w.inFlight)),
      h('span', { 'data-testid': `${id}-connections` }, figure(w.connections)),
      h('span', { class: w.restarts > 0 ? 'warn' : '', 'data-testid': `${id}-restarts` }, String(w.restarts)),
      h('span', { 'data-testid': `${id}-requests` }, figure(w.requests)),
      w.rssBytes === undefined ? '—' : mib(w.rssBytes),
      w.cpuMs === undefined ? '—' : `${compact(w.cpuMs / 1000)} s`,
    ];
  });
  const rss = sum((w) => w.rssBytes);
  const total = [
    h('b', null, 'pod'),
    '',
    `${workers.filter((w) => w.state === 'ready').length}/${workers.length} ready`,
    h('b', { 'data-testid': 'pod-rps' }, rpsKnown ? rate(rps) : '—'),
    h('b', { 'data-testid': 'pod-inflight' }, compact(sum((w) => w.inFlight))),
    h('b', { 'data-testid': 'pod-connections' }, compact(sum((w) => w.connections))),
    h('b', { 'data-testid': 'pod-restarts' }, String(sum((w) => w.restarts))),
    h('b', { 'data-testid': 'pod-requests' }, compact(sum((w) => w.requests))),
    h('b', null, mib(rss)),
    `${compact(sum((w) => w.cpuMs) / 1000)} s`,
  ];
  return h(
    'section',
    { class: 'card', id: 'workers' },
    h('h2', null, `Workers (${workers.length})`),
    h(
      'p',
      { class: 'muted small' },
      'Each worker process of the pod. The router cards below show the pod: every worker’s metrics merged.',
    ),
    table(
      ['worker', 'pid', 'state', 'req/s', 'in flight', 'connections', 'restarts', 'requests', 'RSS', 'CPU'],
      [...rows, total],
      'No workers.',
      'workers',
    ),
  );
}
