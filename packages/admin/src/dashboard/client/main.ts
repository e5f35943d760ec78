/**
 * The Switchyard dashboard: polls `/admin/dashboard.json` every two seconds and draws, per
 * router, request rate, success rate and latency percentiles over the last two minutes, the
 * servers, logical names, clients and their endpoints, the ingress routing table and the dtab;
 * plus admin control, the dtab playground (with "apply to store"), dtab overrides (with the
 * signed-cookie form), recent requests, certificates, ACME names and process health; and, for a
 * pod of workers (`--workers N`), each worker's load next to the pod's total. Rates come from
 * counter deltas between polls, so the server keeps no per-viewer state. This module is the poll
 * loop and the page layout; each panel is its own module.
 */
import { acmeSection } from './acme-panel.js';
import { certificatesSection } from './certificates-panel.js';
import { controlPanel } from './control.js';
import { h, replace } from './dom.js';
import type { Feed } from './feed.js';
import { header } from './header.js';
import { overridesPanel } from './overrides-panel.js';
import { playground } from './playground.js';
import { beginPoll, endPoll, POLL_MS } from './rates.js';
import { requestsSection } from './requests-panel.js';
import { routerCard } from './router-card.js';
import { loadStacks } from './stacks-panel.js';
import { workersSection } from './workers-panel.js';

function main(): void {
  const app = document.getElementById('app');
  if (app === null) return;
  const top = h('div');
  const workers = h('div');
  const routers = h('div', { id: 'routers' });
  const control = controlPanel();
  const pg = playground();
  const overrides = overridesPanel();
  const requests = h('div');
  const certs = h('div');
  const acme = h('div');
  replace(
    app,
    top,
    h('main', null, workers, routers, control.el, pg.el, overrides.el, requests, certs, acme),
  );
  if (location.pathname === '/delegator') pg.el.scrollIntoView();
  let last: Feed | undefined;

  const render = (feed: Feed, ok: boolean) => {
    beginPoll();
    replace(top, header(feed, ok));
    replace(workers, workersSection(feed));
    replace(
      routers,
      feed.routers.length === 0
        ? h('section', { class: 'card' }, h('p', { class: 'empty' }, 'No routers configured.'))
        : feed.routers.map((r) => routerCard(r, feed.time)),
    );
    endPoll();
    control.update(feed.control);
    pg.update(feed);
    overrides.update(feed);
    replace(requests, requestsSection(feed.recentRequests ?? []));
    replace(certs, certificatesSection(feed));
    replace(acme, acmeSection(feed));
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
  // Stacks first (once), then the polls.
  void loadStacks().finally(() => void poll());
}

main();
