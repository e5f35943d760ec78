/**
 * The views the dashboard reads: `/admin/dashboard.json` (everything on screen in one document),
 * `/admin/requests.json`, `/admin/stacks.json`, and `/config.json` / `/admin/config.json` (secrets redacted; the latter with
 * the config's version and last reload error).
 */
import { Dtab } from '@switchyard/dtab';
import type { RecentRequest } from '@switchyard/telemetry';
import { buildDashboardFeed } from '../dashboard/feed.js';
import { redactConfig } from '../redact.js';
import { sendJson } from '../respond.js';
import { routerStacks } from '../stacks.js';
import { type AdminContext, samples } from './context.js';
import { type Route, read } from './route.js';

/** Every recent request (process-wide buffer and each router's), newest first. */
function recentRequests(ctx: AdminContext): RecentRequest[] {
  const all: RecentRequest[] = [...(ctx.options.recentRequests?.() ?? [])];
  for (const r of ctx.options.routers ?? []) all.push(...(r.recentRequests?.() ?? []));
  return all.sort((a, b) => b.timestamp - a.timestamp);
}

/** The dashboard document: the feed plus the newest 50 recent requests. */
function feed(ctx: AdminContext) {
  const { options } = ctx;
  return {
    ...buildDashboardFeed({
      time: ctx.clock.now(),
      samples: samples(ctx),
      routers: options.routers ?? [],
      readiness: options.readiness ?? [],
      certificates: options.certificates?.() ?? [],
      acme: options.acme?.() ?? [],
      control: ctx.controlPaths(),
      process: ctx.monitor.read(),
      showDtab: (r) => Dtab.show(r.dtab()),
    }),
    recentRequests: recentRequests(ctx).slice(0, 50),
  };
}

/** The dashboard's JSON feeds and the redacted config. */
export function feedRoutes(ctx: AdminContext): [string, Route][] {
  return [
    ['/admin/dashboard.json', read((_req, res, url) => sendJson(res, 200, feed(ctx), url))],
    ['/admin/requests.json', read((_req, res, url) => sendJson(res, 200, recentRequests(ctx), url))],
    [
      '/admin/stacks.json',
      read((_req, res, url) => sendJson(res, 200, routerStacks(ctx.options.routers ?? []), url)),
    ],
    [
      '/config.json',
      read((_req, res, url) =>
        sendJson(
          res,
          200,
          redactConfig(ctx.options.configStatus?.().config ?? ctx.options.config ?? {}),
          url,
        ),
      ),
    ],
    [
      '/admin/config.json',
      read((_req, res, url) => {
        const status = ctx.options.configStatus?.() ?? { version: 1, config: ctx.options.config ?? {} };
        sendJson(res, 200, { ...status, config: redactConfig(status.config) }, url);
      }),
    ],
  ];
}
