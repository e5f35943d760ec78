/**
 * Health and metrics routes: `/admin/ping` and `/admin/ready` (also on the probe listener),
 * `/admin/metrics.json` (flat or `?tree=1`), `/admin/metrics/prometheus` and `/admin/server_info`.
 */
import { flattenMetrics, formatPrometheus, treeMetrics } from '@switchyard/telemetry';
import { safeReady } from '../readiness.js';
import { isTrue, send, sendJson, sendText } from '../respond.js';
import { type AdminContext, samplesWithProcess } from './context.js';
import { type Route, read } from './route.js';

/** The package version reported by `/admin/server_info`. */
export const ADMIN_VERSION = '0.1.0';

/** The health and metrics routes. */
export function healthAndMetricsRoutes(ctx: AdminContext): [string, Route][] {
  const { options } = ctx;
  return [
    ['/admin/ping', read((_req, res) => sendText(res, 200, 'pong'), true)],
    [
      '/admin/ready',
      read((_req, res) => {
        const notReady = (options.readiness ?? []).filter((r) => !safeReady(r)).map((r) => r.name);
        if (notReady.length === 0) sendText(res, 200, 'ready');
        else sendText(res, 503, `not ready: ${notReady.join(', ')}`);
      }, true),
    ],
    [
      '/admin/metrics.json',
      read((_req, res, url) => {
        const q = url.searchParams.get('q') ?? '';
        if (isTrue(url.searchParams.get('tree'))) {
          const tree = treeMetrics(samplesWithProcess(ctx), q);
          if (tree === undefined) sendText(res, 404, `no metrics under ${JSON.stringify(q)}`);
          else sendJson(res, 200, tree, url);
          return;
        }
        sendJson(res, 200, flattenMetrics(samplesWithProcess(ctx), q), url);
      }),
    ],
    [
      '/admin/metrics/prometheus',
      read(
        (_req, res) =>
          send(
            res,
            200,
            'text/plain; version=0.0.4; charset=utf-8',
            formatPrometheus(samplesWithProcess(ctx), { prefix: options.prometheusPrefix ?? '' }),
          ),
        options.probe?.metrics === true,
      ),
    ],
    [
      '/admin/server_info',
      read((_req, res, url) => {
        const now = ctx.clock.now();
        sendJson(
          res,
          200,
          {
            name: 'switchyard',
            version: ADMIN_VERSION,
            startTime: new Date(ctx.startedAt).toISOString(),
            uptimeMs: now - ctx.startedAt,
            node: process.version,
            pid: process.pid,
            platform: process.platform,
            arch: process.arch,
            routers: (options.routers ?? []).map((r) => r.label),
          },
          url,
        );
      }),
    ],
  ];
}
