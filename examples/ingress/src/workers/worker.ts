/**
 * A worker process of `--workers N`: runs one Linker on the config text the primary sends, on
 * the same ports as its siblings (node:cluster hands the listening sockets out, or, under
 * `workers.listen: reusePort`, it binds its own SO_REUSEPORT socket), and answers the
 * primary's requests for metrics, reloads and drain. Its Kubernetes informers are fed by the
 * primary (one set of watches per pod, `relayedInformers`), not by watches of its own, and its
 * Lease elections are the primary's (elections.ts). It logs like the single process, with a
 * `worker` field. SIGTERM/SIGINT are the primary's to handle: a worker drains when the primary
 * says so, or when the primary is gone (the IPC channel closes).
 */
import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConfigError, createDefaultKinds, formatIssue, Linker, parseLinkerConfig } from '@switchyard/config';
import { createMetricsRegistry } from '@switchyard/core';
import { type RelayPort, relayedInformers } from '@switchyard/k8s';
import { EXIT } from '../cli.js';
import { createLogger, type Level, logConfigError, logLibraryEvents } from '../log.js';
import { warmUp } from '../warm-up.js';
import { type ElectionPort, relayedLeaderElector } from './elections.js';
import { type ListPort, relayedListClient } from './lists.js';
import { type FromWorker, isMessage, type StartMessage, type ToWorker } from './messages.js';

/** Runs this worker until the primary drains it; resolves with its exit code. */
export async function runWorker(logLevel: Level, write: (text: string) => void): Promise<number> {
  const id = cluster.worker?.id ?? 0;
  // Same JSON lines as the single process, tagged with the worker's id.
  const logger = createLogger(logLevel, (line) => write(`{"worker":${id},${line.slice(1)}`));
  const send = (message: FromWorker) => {
    if (process.connected) process.send?.(message);
  };
  const ignoreSignal = () => undefined;
  process.on('SIGTERM', ignoreSignal);
  process.on('SIGINT', ignoreSignal);
  // Drain may come at any time, even before this worker has its config or while it starts:
  // listen from the first moment (a message without a listener is lost).
  const drained = new Promise<void>((resolve) => {
    process.once('disconnect', resolve);
    process.on('message', (message: unknown) => {
      if (isMessage<ToWorker>(message) && message.kind === 'drain') resolve();
    });
  });
  const start = await new Promise<StartMessage | undefined>((resolve) => {
    void drained.then(() => resolve(undefined));
    const onMessage = (message: unknown) => {
      if (isMessage<ToWorker>(message) && message.kind === 'start') {
        process.off('message', onMessage);
        resolve(message);
      }
    };
    process.on('message', onMessage);
    // A message sent before this listener existed would be lost: ask for the config now.
    send({ kind: 'hello' });
  });
  if (start === undefined) return EXIT.ok;

  const relay: RelayPort & ElectionPort & ListPort = {
    send,
    onMessage: (listener) => {
      process.on('message', listener);
      return () => {
        process.off('message', listener);
      };
    },
  };
  const kinds = createDefaultKinds();
  const stats = createMetricsRegistry();
  const stopEvents = logLibraryEvents(logger);
  let linker: Linker;
  try {
    linker = await Linker.start(parseLinkerConfig(start.text, start.file, kinds), {
      kinds,
      baseDir: start.baseDir,
      stats,
      // reusePort: this worker's own listening socket (Node treats a reusePort listen as exclusive,
      // so node:cluster does not hand it the primary's); otherwise the cluster's shared one.
      ...(start.reusePort ? { reusePort: true } : {}),
      // The primary serves the configured admin port (and admin.probe, answering for the pod);
      // this admin is reached through it.
      admin: { ip: '127.0.0.1', port: 0, probe: false },
      onShutdown: () => send({ kind: 'shutdown' }),
      // One set of Kubernetes watches per pod: the primary runs them and relays their objects.
      kubeInformers: (connection) => relayedInformers(relay, connection),
      // Start-up lists (is a kind served?) are asked once for the pod, by the primary.
      kubeClient: (client) => relayedListClient(relay, client),
      // One candidate per pod: the primary campaigns and tells one worker it leads.
      kubeLeaderElector: (options) => {
        const elector = relayedLeaderElector(relay, options);
        elector.onChange((leader) =>
          logger.log('info', 'election', {
            lease: `${options.namespace}/${options.name}`,
            leader,
            pid: process.pid,
          }),
        );
        return elector;
      },
      // The request path runs once before this worker reports ready: see warm-up.ts.
      beforeReady: async (routers) => logger.log('info', 'warmed up', { ...(await warmUp(routers)) }),
    });
  } catch (error) {
    stopEvents();
    const code =
      error instanceof ConfigError
        ? error.code === 'SY_ERR_CONFIG_START'
          ? EXIT.failure
          : EXIT.config
        : EXIT.failure;
    if (error instanceof ConfigError) logConfigError(logger, error);
    else logger.log('error', 'failed to start', { error: error as Error });
    send({ kind: 'failed', code });
    return code;
  }
  // This worker's event-loop delay between two stats asks, for the pod's dashboard header.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const servers = linker.routers.flatMap((router) =>
    router.servers.map((server) => ({ router: router.label, ip: server.ip, port: server.port })),
  );
  for (const server of servers) logger.log('info', 'serving', server);
  const admin = linker.admin?.address;
  send({ kind: 'ready', servers, admin: admin ? { address: admin.address, port: admin.port } : undefined });

  process.on('message', (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    switch (message.kind) {
      case 'drain':
        return; // Taken by the listener above, from before start.
      case 'stats': {
        const memory = process.memoryUsage();
        const cpu = process.cpuUsage();
        const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
        const eventLoopLag = {
          mean: ms(delay.mean),
          p50: ms(delay.percentile(50)),
          p99: ms(delay.percentile(99)),
          max: ms(delay.max),
        };
        delay.reset();
        send({
          kind: 'stats',
          id: message.id,
          samples: stats.snapshot(),
          process: {
            pid: process.pid,
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            uptimeMs: Math.round(process.uptime() * 1000),
            cpuMicros: cpu.user + cpu.system,
            heapTotalBytes: memory.heapTotal,
            externalBytes: memory.external,
            eventLoopLag,
          },
        });
        return;
      }
      case 'health': {
        const recent = linker.config.telemetry.find(
          (t) => (t as { kind: string }).kind === 'io.l5d.recentRequests',
        ) as { options?: { capacity?: number } } | undefined;
        send({
          kind: 'health',
          id: message.id,
          readiness: linker.readiness(),
          requests: linker.recentRequests(),
          requestsKept: recent?.options?.capacity ?? 0,
        });
        return;
      }
      case 'reload':
        void reload(message.id, message.text, message.file);
        return;
      case 'start':
        return; // Already started.
      case 'informers':
      case 'elections':
      case 'lists':
        return; // The relays' own listeners take these.
    }
  });
  const reload = async (requestId: number, text: string, file: string) => {
    try {
      const result = await linker.reload(parseLinkerConfig(text, file, kinds));
      send({ kind: 'reloaded', id: requestId, ok: true, result });
    } catch (error) {
      if (error instanceof ConfigError) logConfigError(logger, error);
      send({
        kind: 'reloaded',
        id: requestId,
        ok: false,
        error: error instanceof ConfigError ? error.issues.map(formatIssue).join('; ') : String(error),
      });
    }
  };
  await drained;
  delay.disable();
  logger.log('info', 'draining', {});
  try {
    await linker.close();
  } catch (error) {
    logger.log('error', 'shutdown failed', { error: error as Error });
    stopEvents();
    return EXIT.failure;
  }
  // Every request it took has finished: its final counters, for the pod's (see primary.ts).
  if (process.connected)
    await new Promise<void>((resolve) => {
      process.send?.({ kind: 'final', samples: stats.snapshot() } satisfies FromWorker, () => resolve());
    });
  stopEvents();
  process.off('SIGTERM', ignoreSignal);
  process.off('SIGINT', ignoreSignal);
  return EXIT.ok;
}
