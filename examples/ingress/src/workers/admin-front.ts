/**
 * The pod's admin port under `--workers N`, served by the primary. Metrics are one answer for
 * the pod (every worker's registry merged, see merge-metrics.ts) plus per-worker load under
 * `workers/<slot>/…`; `/admin/workers.json` and `/admin/workers` list the workers' load, and the
 * dashboard's `/admin/dashboard.json` is a worker's document with the pod's counters and each
 * worker's load and every worker's recent requests (podDashboard); `/admin/ready` and
 * `/admin/requests.json` answer for the pod (pod-health.ts). Every other admin path (dashboard
 * page, delegator, control routes with their bearer check) is passed to the workers' own admin
 * servers, which answer alike because they run the same config.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DashboardFeed,
  type ProcessInfo,
  podDashboardFeed,
  serverLoad,
  type WorkerFeed,
} from '@switchyard/admin';
import type { MetricSample } from '@switchyard/core';
import { flattenMetrics, formatPrometheus, type RecentRequest, treeMetrics } from '@switchyard/telemetry';
import { mergeSnapshots } from './merge-metrics.js';
import type { WorkerProcess } from './messages.js';
import { podReadiness, podRequests, type WorkerHealthRow } from './pod-health.js';

export type { WorkerHealthRow } from './pod-health.js';

/** One worker as the primary knows it, with its latest figures when it answered. */
export interface WorkerLoad {
  /** Stable position 1..N; a restarted worker takes its predecessor's slot. */
  readonly slot: number;
  readonly pid: number | undefined;
  readonly state: 'starting' | 'ready' | 'draining';
  readonly startedAt: string;
  /** How many times this slot's worker was replaced after exiting. */
  readonly restarts: number;
  /** Undefined when the worker did not answer in time. */
  readonly stats: { readonly samples: readonly MetricSample[]; readonly process: WorkerProcess } | undefined;
}

/** `admin.probe`: a second listener with only the probe paths, answering for the pod. */
export interface ProbeListener {
  readonly ip: string;
  readonly port: number;
  /** Also `/admin/metrics/prometheus` (the pod's). */
  readonly metrics: boolean;
}

/** What the admin front asks the primary for. */
export interface AdminFrontOptions {
  readonly ip: string;
  readonly port: number;
  readonly probe?: ProbeListener;
  /** Every worker's current figures (asked over IPC). */
  readonly load: () => Promise<readonly WorkerLoad[]>;
  /** Every worker's readiness and recent requests (asked over IPC). */
  readonly health: () => Promise<readonly WorkerHealthRow[]>;
  /** The final counters and histograms of workers a lower count retired (added to the pod's). */
  readonly retired: () => readonly MetricSample[];
  /** The workers' admin address, if one is up. */
  readonly workerAdmin: () => { readonly address: string; readonly port: number } | undefined;
  readonly prometheusPrefix: string;
}

/** Each worker's load as the dashboard shows it (`DashboardFeed.workers`). */
export function workerFeeds(load: readonly WorkerLoad[]): WorkerFeed[] {
  return load.map((w) => ({
    slot: w.slot,
    pid: w.stats?.process.pid ?? w.pid,
    state: w.stats === undefined && w.state === 'ready' ? 'unresponsive' : w.state,
    restarts: w.restarts,
    ...(w.stats === undefined
      ? {}
      : {
          ...serverLoad(w.stats.samples),
          rssBytes: w.stats.process.rssBytes,
          cpuMs: Math.round(w.stats.process.cpuMicros / 1000),
        }),
  }));
}

/**
 * The dashboard header's process figures for the pod: the primary's pid, Node and uptime; memory
 * summed over the primary and every worker that answered; each event-loop lag figure the worst
 * worker's (since the previous ask).
 */
export function podProcess(load: readonly WorkerLoad[]): ProcessInfo {
  const own = process.memoryUsage();
  const answered = load.flatMap((w) => (w.stats === undefined ? [] : [w.stats.process]));
  const sum = (pick: (p: WorkerProcess) => number) => answered.reduce((n, p) => n + pick(p), 0);
  const worst = (pick: (p: WorkerProcess) => number) => Math.max(0, ...answered.map(pick));
  return {
    pid: process.pid,
    node: process.version,
    uptimeMs: Math.round(process.uptime() * 1000),
    rssBytes: own.rss + sum((p) => p.rssBytes),
    heapUsedBytes: own.heapUsed + sum((p) => p.heapUsedBytes),
    heapTotalBytes: own.heapTotal + sum((p) => p.heapTotalBytes),
    externalBytes: own.external + sum((p) => p.externalBytes),
    eventLoopLag: {
      mean: worst((p) => p.eventLoopLag.mean),
      p50: worst((p) => p.eventLoopLag.p50),
      p99: worst((p) => p.eventLoopLag.p99),
      max: worst((p) => p.eventLoopLag.max),
    },
  };
}

/** The per-worker load figures as `/admin/workers.json` shows them. */
export function workerRows(load: readonly WorkerLoad[]) {
  const feeds = workerFeeds(load);
  return load.map((w, i) => ({
    ...feeds[i]!,
    startedAt: w.startedAt,
    heapUsedBytes: w.stats?.process.heapUsedBytes,
  }));
}

/**
 * The pod's samples: merged registries (plus `retired`, what workers that left gracefully
 * counted), then `workers/count` and `workers/<slot>/…` load gauges.
 */
export function podSamples(
  load: readonly WorkerLoad[],
  retired: readonly MetricSample[] = [],
): MetricSample[] {
  const answered = load.filter((w) => w.stats !== undefined);
  const merged = mergeSnapshots([...answered.map((w) => w.stats!.samples), retired]);
  const gauge = (name: string[], value: number): MetricSample => ({ kind: 'gauge', name, value });
  const perWorker = answered.flatMap((w) => {
    const s = w.stats!;
    const at = (leaf: string) => ['workers', String(w.slot), leaf];
    const served = serverLoad(s.samples);
    return [
      gauge(at('requests'), served.requests),
      gauge(at('connections'), served.connections),
      gauge(at('pending'), served.inFlight),
      gauge(at('rss_bytes'), s.process.rssBytes),
      gauge(at('cpu_ms'), Math.round(s.process.cpuMicros / 1000)),
      gauge(at('restarts'), w.restarts),
    ];
  });
  return [...merged, gauge(['workers', 'count'], load.length), ...perWorker];
}

const PAGE_STYLE = 'body{font:14px system-ui;margin:2em}td,th{padding:.2em 1em;text-align:right}';

function workersPage(rows: ReturnType<typeof workerRows>): string {
  const mib = (n: number | undefined) => (n === undefined ? '–' : (n / 2 ** 20).toFixed(1));
  const cell = (v: unknown) => `<td>${v === undefined ? '–' : String(v)}</td>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${cell(r.slot)}${cell(r.pid)}${cell(r.state)}${cell(r.requests)}${cell(r.connections)}<td>${mib(r.rssBytes)}</td>${cell(r.cpuMs)}${cell(r.restarts)}</tr>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>switchyard workers</title><style>${PAGE_STYLE}</style>
<h1>Workers</h1><p><a href="/">dashboard</a> · <a href="/admin/workers.json">workers.json</a></p>
<table><tr><th>slot</th><th>pid</th><th>state</th><th>requests</th><th>connections</th><th>RSS MiB</th><th>CPU ms</th><th>restarts</th></tr>
${body}
</table>\n`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Passes one request to the workers' admin and streams the answer back. */
function relay(req: IncomingMessage, res: ServerResponse, target: { address: string; port: number }): void {
  const upstream = request(
    { host: target.address, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (!res.headersSent) send(res, 502, 'text/plain', `worker admin unavailable: ${error.message}\n`);
    else res.destroy();
  });
  req.pipe(upstream);
}

/**
 * `/admin/dashboard.json` for the pod: a worker's own document (its views of routers, clients,
 * certificates) with every counter replaced by the pod's merged metrics and each worker's load
 * added. Relayed alone, the page would show whichever worker answered, a different one per poll.
 */
async function podDashboard(
  req: IncomingMessage,
  res: ServerResponse,
  target: { address: string; port: number },
  load: readonly WorkerLoad[],
  retired: readonly MetricSample[],
  requests: readonly RecentRequest[],
): Promise<void> {
  const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const upstream = request(
        { host: target.address, port: target.port, method: 'GET', path: req.url, headers: req.headers },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () =>
            resolve({
              status: r.statusCode ?? 502,
              headers: r.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
          r.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end();
    },
  ).catch((error: Error) => error);
  if (answer instanceof Error) {
    send(res, 502, 'text/plain', `worker admin unavailable: ${answer.message}\n`);
    return;
  }
  // The body is rewritten: its length and framing are this answer's, not the worker's.
  const {
    'content-length': _length,
    'transfer-encoding': _framing,
    connection: _connection,
    'keep-alive': _keepAlive,
    ...headers
  } = answer.headers;
  const body =
    answer.status === 200
      ? JSON.stringify({
          ...podDashboardFeed(
            JSON.parse(answer.body) as DashboardFeed,
            mergeSnapshots([
              ...load.flatMap((w) => (w.stats === undefined ? [] : [w.stats.samples])),
              retired,
            ]),
            workerFeeds(load),
          ),
          // Every worker's sampled requests, not only the answering worker's.
          recentRequests: requests.slice(0, 50),
          // The header's figures are the pod's, not the answering worker's.
          process: podProcess(load),
        })
      : answer.body;
  res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The primary's admin server: aggregated metrics and the worker table, the rest relayed; and
 * the `admin.probe` listener, whose `/admin/ready` (and Prometheus metrics) are the pod's too.
 */
export function createAdminFront(options: AdminFrontOptions): {
  readonly listen: () => Promise<AddressInfo>;
  /** Where `admin.probe` listens, once listening (undefined without one). */
  readonly probeAddress: () => AddressInfo | undefined;
  readonly close: () => Promise<void>;
} {
  const ready = async (res: ServerResponse) => {
    const { ready, text } = podReadiness(await options.health());
    send(res, ready ? 200 : 503, 'text/plain; charset=utf-8', text);
  };
  const prometheus = async (res: ServerResponse) => {
    const text = formatPrometheus(podSamples(await options.load(), options.retired()), {
      prefix: options.prometheusPrefix,
    });
    send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text);
  };
  // The probe listener serves what a single process's does (GET/HEAD of the probe paths), for the pod.
  const handleProbe = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && path === '/admin/ping') send(res, 200, 'text/plain; charset=utf-8', 'pong\n');
    else if (get && path === '/admin/ready') await ready(res);
    else if (get && path === '/admin/metrics/prometheus' && options.probe?.metrics) await prometheus(res);
    else send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && url.pathname === '/admin/metrics.json') {
      const samples = podSamples(await options.load(), options.retired());
      const q = url.searchParams.get('q') ?? '';
      if (url.searchParams.get('tree') === '1' || url.searchParams.get('tree') === 'true') {
        const tree = treeMetrics(samples, q);
        if (tree === undefined) send(res, 404, 'text/plain', `no metrics under ${JSON.stringify(q)}\n`);
        else send(res, 200, 'application/json', JSON.stringify(tree));
      } else send(res, 200, 'application/json', JSON.stringify(flattenMetrics(samples, q)));
      return;
    }
    if (get && url.pathname === '/admin/metrics/prometheus') {
      await prometheus(res);
      return;
    }
    if (get && url.pathname === '/admin/workers.json') {
      send(res, 200, 'application/json', JSON.stringify({ workers: workerRows(await options.load()) }));
      return;
    }
    if (get && url.pathname === '/admin/workers') {
      send(res, 200, 'text/html; charset=utf-8', workersPage(workerRows(await options.load())));
      return;
    }
    if (get && url.pathname === '/admin/ready') {
      await ready(res);
      return;
    }
    if (get && url.pathname === '/admin/requests.json') {
      send(
        res,
        200,
        'application/json; charset=utf-8',
        `${JSON.stringify(podRequests(await options.health()))}\n`,
      );
      return;
    }
    const target = options.workerAdmin();
    if (target === undefined) send(res, 503, 'text/plain', 'no worker is ready\n');
    else if (get && url.pathname === '/admin/dashboard.json')
      await podDashboard(
        req,
        res,
        target,
        await options.load(),
        options.retired(),
        podRequests(await options.health()),
      );
    else relay(req, res, target);
  };
  const serve =
    (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse) => {
      handler(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/plain', `${String(error)}\n`);
        else res.destroy();
      });
    };
  const server: Server = createServer(serve(handle));
  const probe: Server | undefined = options.probe ? createServer(serve(handleProbe)) : undefined;
  const listenOn = (s: Server, port: number, ip: string, field: string) =>
    new Promise<AddressInfo>((resolve, reject) => {
      const failed = (error: Error) => reject(Object.assign(error, { field }));
      s.once('error', failed);
      s.listen(port, ip, () => {
        s.off('error', failed);
        resolve(s.address() as AddressInfo);
      });
    });
  const closeServer = (s: Server) =>
    new Promise<void>((resolve) => {
      if (!s.listening) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });
  let probeAddress: AddressInfo | undefined;
  return {
    listen: async () => {
      const address = await listenOn(server, options.port, options.ip, 'admin.port');
      if (probe && options.probe) {
        try {
          probeAddress = await listenOn(probe, options.probe.port, options.probe.ip, 'admin.probe.port');
        } catch (error) {
          await closeServer(server);
          throw error;
        }
      }
      return address;
    },
    probeAddress: () => probeAddress,
    close: async () => {
      await Promise.all([closeServer(server), ...(probe ? [closeServer(probe)] : [])]);
    },
  };
}
