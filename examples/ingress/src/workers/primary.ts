/**
 * The primary process of `--workers N`: forks N workers with node:cluster (which distributes the
 * routers' connections among them), hands them the config, and does once per pod what the single
 * process does once: watches the config file (and SIGHUP) and relays reloads, serves the admin
 * port with metrics merged across workers, restarts a worker that exits without touching the
 * others, and drains every worker on SIGTERM/SIGINT or `POST /admin/shutdown`. It also runs the
 * pod's one set of Kubernetes watches: workers acquire informers over IPC and get a snapshot,
 * then deltas (`serveRelayedInformers`), so N workers put one watch per resource on the API;
 * it campaigns once per Lease for the pod, telling one worker it leads (elections.ts), and makes
 * the workers' one-shot lists once (lists.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { ConfigError, type DefaultKinds, type LoadedConfig, parseLinkerConfig } from '@switchyard/config';
import type { MetricSample } from '@switchyard/core';
import { serveRelayedInformers } from '@switchyard/k8s';
import { EXIT } from '../cli.js';
import { watchConfigFile } from '../config-watch.js';
import { type Logger, logConfigError, logLibraryEvents } from '../log.js';
import {
  createAdminFront,
  type ProbeListener,
  type WorkerHealthRow,
  type WorkerLoad,
} from './admin-front.js';
import { resolveWorkers, workersSetting } from './count.js';
import { serveElections } from './elections.js';
import { serveLists } from './lists.js';
import { isCumulative, mergeSnapshots } from './merge-metrics.js';
import {
  type FromWorker,
  isMessage,
  type StartMessage,
  type ToWorker,
  type WorkerReady,
} from './messages.js';

/** What the primary runs. */
export interface PrimaryOptions {
  readonly count: number;
  /**
   * The count came from `--workers`, which wins over the config: a reload that changes the
   * config's `workers` count then leaves the pod's count alone.
   */
  readonly countFromFlag?: boolean;
  /** The config every worker starts with (and a replacement worker gets the latest reloaded one). */
  readonly start: StartMessage;
  /** The config file to watch and re-read on SIGHUP; undefined for standard input or the demo. */
  readonly watchFile: string | undefined;
  readonly kinds: DefaultKinds;
  readonly logger: Logger;
  readonly admin: { readonly ip: string; readonly port: number };
  /** `admin.probe`: served here for the pod (the workers do not open it). */
  readonly probe?: ProbeListener;
  readonly prometheusPrefix: string;
  readonly signals: NodeJS.EventEmitter;
  /** Called once every worker serves (the demo prints its banner). */
  readonly onReady?: (ready: WorkerReady, admin: { address: string; port: number }) => void;
  /** How long workers get to drain before they are killed; the config's shutdownGraceMs + 5 s. */
  readonly drainTimeoutMs: number;
}

interface Slot {
  readonly slot: number;
  worker: Worker;
  state: 'starting' | 'ready' | 'draining';
  /**
   * Added by a reload that raised the count and not ready yet: it does not count for the pod's
   * readiness until it is (the other workers serve meanwhile).
   */
  added: boolean;
  /** Drained because a reload lowered the count: not restarted, not counted for readiness. */
  retiring: boolean;
  /** Its final counters arrived (sent after it drained): it is not asked for stats any more. */
  final: boolean;
  startedAt: Date;
  restarts: number;
  ready: WorkerReady | undefined;
  /** Consecutive exits before becoming ready: the restart back-off grows with it. */
  failures: number;
}

const STATS_TIMEOUT_MS = 2000;

/** Runs the pod until it is drained; resolves with the exit code. */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger } = options;
  let current = options.start;
  let draining = false;
  let requestId = 0;
  const slots = new Map<number, Slot>();
  const pending = new Map<number, (message: FromWorker) => void>();
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  let startup: { remaining: number; resolve: (code: number) => void } | undefined;
  let exitCode: number = EXIT.ok;
  /** How many workers the pod runs: the start count, then what the last applied reload says. */
  let target = options.count;
  /**
   * Counters and histograms of workers retired by a lower count (their final snapshot), so the
   * pod's counters do not go down when a worker leaves gracefully.
   */
  let retired: MetricSample[] = [];

  const sendTo = (worker: Worker, message: ToWorker) => {
    if (worker.isConnected()) worker.send(message);
  };
  // The pod's watches and elections run here: their events (watch errors, relists, Lease
  // changes) are logged by the primary.
  const stopEvents = logLibraryEvents(logger);
  const informers = serveRelayedInformers();
  const elections = serveElections({
    onError: (error, lease) =>
      logger.log('error', 'election failed to start', { lease, error: error as Error }),
  });
  const lists = serveLists();
  const detachInformers = new Map<Worker, () => void>();
  /** The workers serving or about to: every slot but those a lower count retires. */
  const live = () => [...slots.values()].filter((s) => !s.retiring);
  /** Asks `slot`'s worker and waits for the answer with the same id (undefined on timeout). */
  const ask = (slot: Slot, message: ToWorker & { id: number }, timeoutMs: number) =>
    new Promise<FromWorker | undefined>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(message.id);
        resolve(undefined);
      }, timeoutMs);
      pending.set(message.id, (answer) => {
        clearTimeout(timer);
        pending.delete(message.id);
        resolve(answer);
      });
      sendTo(slot.worker, message);
    });

  const drain = (reason: Record<string, unknown>, code: number) => {
    if (draining) return;
    draining = true;
    logger.log('info', 'draining', { ...reason, workers: slots.size });
    for (const s of slots.values()) {
      s.state = 'draining';
      sendTo(s.worker, { kind: 'drain' });
    }
    const killer = setTimeout(() => {
      for (const s of slots.values()) s.worker.process.kill('SIGKILL');
    }, options.drainTimeoutMs);
    killer.unref();
    exitCode = code;
    if (slots.size === 0) resolveDone(code);
  };

  const fork = (slotNumber: number, restarts: number, failures: number, added = false): void => {
    const worker = cluster.fork({ SWITCHYARD_WORKER_SLOT: String(slotNumber) });
    const slot: Slot = {
      slot: slotNumber,
      worker,
      state: 'starting',
      added,
      retiring: false,
      final: false,
      startedAt: new Date(),
      restarts,
      ready: undefined,
      failures,
    };
    slots.set(slotNumber, slot);
    const port = {
      send: (message: ToWorker) => sendTo(worker, message),
      onMessage: (listener: (message: unknown) => void) => {
        worker.on('message', listener);
        return () => {
          worker.off('message', listener);
        };
      },
    };
    const detachRelays = [informers.attach(port), elections.attach(port), lists.attach(port)];
    detachInformers.set(worker, () => {
      for (const detach of detachRelays) detach();
    });
    worker.on('message', (message: unknown) => {
      if (!isMessage<FromWorker>(message)) return;
      switch (message.kind) {
        case 'hello':
          // A worker forked just before a drain (a replacement) is told to drain, not to start.
          sendTo(worker, draining ? { kind: 'drain' } : current);
          return;
        case 'ready':
          slot.ready = message;
          slot.failures = 0;
          slot.added = false;
          if (!draining && !slot.retiring) slot.state = 'ready';
          if (restarts > 0)
            logger.log('info', 'worker restarted', { slot: slotNumber, pid: worker.process.pid });
          if (startup && --startup.remaining === 0) startup.resolve(EXIT.ok);
          return;
        case 'failed':
          if (startup) startup.resolve(message.code);
          return;
        case 'shutdown':
          drain({ via: 'POST /admin/shutdown' }, EXIT.ok);
          return;
        case 'final':
          // A drained worker's last counters; a worker still serving is asked at each scrape.
          slot.final = true;
          if (slot.retiring) retired = mergeSnapshots([retired, message.samples.filter(isCumulative)]);
          return;
        case 'stats':
        case 'health':
        case 'reloaded':
          pending.get(message.id)?.(message);
          return;
        case 'informers':
        case 'elections':
        case 'lists':
          return; // Served by the relays' own listeners.
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    // Its informer leases end with it (watches stay while another worker holds them), and an
    // election it led passes to another worker at once.
    detachInformers.get(worker)?.();
    detachInformers.delete(worker);
    const slot = [...slots.values()].find((s) => s.worker === worker);
    if (slot === undefined) return;
    slots.delete(slot.slot);
    if (draining) {
      if (slots.size === 0) resolveDone(exitCode);
      return;
    }
    if (slot.retiring) {
      logger.log('info', 'worker retired', { slot: slot.slot, pid: worker.process.pid, code, signal });
      return;
    }
    if (startup) {
      startup.resolve(code === 0 || code === null ? EXIT.failure : code);
      return;
    }
    // A crash after start-up: replace this worker only; the others keep their connections.
    const failures = slot.ready === undefined ? slot.failures + 1 : 0;
    const delayMs = Math.min(5000, 100 * 2 ** failures);
    logger.log('warn', 'worker exited', {
      slot: slot.slot,
      pid: worker.process.pid,
      code,
      signal,
      restartInMs: delayMs,
    });
    setTimeout(() => {
      // Not when a reload lowered the count meanwhile, or gave the slot to an added worker.
      if (!draining && live().length < target && !slots.has(slot.slot))
        fork(slot.slot, slot.restarts + 1, failures);
    }, delayMs).unref();
  });

  // Structured clone keeps what JSON would lose (a histogram's last bucket bound is Infinity).
  cluster.setupPrimary({ serialization: 'advanced' });
  // Start every worker; the pod serves only when all of them do.
  const started = await new Promise<number>((resolve) => {
    startup = { remaining: options.count, resolve };
    for (let slot = 1; slot <= options.count; slot++) fork(slot, 0, 0);
  });
  startup = undefined;
  if (started !== EXIT.ok) {
    drain({ reason: 'a worker failed to start' }, started);
    return done;
  }

  /**
   * Asks each worker of `rows` (in slot order) for `kind` over IPC, in parallel; a worker
   * `asked` leaves out, or one that does not answer within 2 s, has no answer.
   */
  const askEveryWorker = (
    rows: readonly Slot[],
    kind: 'stats' | 'health',
    asked: (s: Slot) => boolean,
  ): Promise<{ slot: Slot; answer: FromWorker | undefined }[]> =>
    Promise.all(
      [...rows]
        .sort((a, b) => a.slot - b.slot)
        .map(async (s) => ({
          slot: s,
          answer: asked(s) ? await ask(s, { kind, id: ++requestId }, STATS_TIMEOUT_MS) : undefined,
        })),
    );
  // A retiring worker is asked until its final counters arrive, so no figure drops meanwhile.
  const load = async (): Promise<WorkerLoad[]> =>
    (
      await askEveryWorker(
        [...slots.values()],
        'stats',
        (s) => s.state === 'ready' || (s.retiring && !s.final),
      )
    ).map(({ slot: s, answer }) => ({
      slot: s.slot,
      pid: s.worker.process.pid,
      state: s.state,
      startedAt: s.startedAt.toISOString(),
      restarts: s.restarts,
      stats: answer?.kind === 'stats' ? { samples: answer.samples, process: answer.process } : undefined,
    }));
  // The pod's readiness counts its workers: not those leaving after a lower count, nor those a
  // higher count added until they are ready.
  const counted = (s: Slot) => !s.retiring && !(s.added && s.state === 'starting');
  const health = async (): Promise<WorkerHealthRow[]> =>
    (await askEveryWorker([...slots.values()].filter(counted), 'health', (s) => s.state === 'ready'))
      // A reload may have retired a worker while it was asked.
      .filter(({ slot: s }) => counted(s))
      .map(({ slot: s, answer }) => ({
        slot: s.slot,
        state: s.state,
        health: answer?.kind === 'health' ? answer : undefined,
      }));
  const workerAdmin = () => [...slots.values()].find((s) => s.state === 'ready')?.ready?.admin;
  const front = createAdminFront({
    ip: options.admin.ip,
    port: options.admin.port,
    ...(options.probe ? { probe: options.probe } : {}),
    load,
    health,
    retired: () => retired,
    workerAdmin,
    prometheusPrefix: options.prometheusPrefix,
  });
  let adminAddress: { address: string; port: number };
  try {
    adminAddress = await front.listen();
  } catch (error) {
    const field = (error as { field?: string }).field ?? 'admin.port';
    logger.log('error', 'failed to start', { error: error as Error, field });
    drain({ reason: 'admin port' }, EXIT.failure);
    return done;
  }
  logger.log('info', 'admin', {
    url: `http://${adminAddress.address}:${adminAddress.port}/`,
    workers: slots.size,
  });
  const probe = front.probeAddress();
  if (probe)
    logger.log('info', 'admin probe', {
      ip: probe.address,
      port: probe.port,
      paths: [
        '/admin/ping',
        '/admin/ready',
        ...(options.probe?.metrics ? ['/admin/metrics/prometheus'] : []),
      ],
    });
  const first = [...slots.values()].find((s) => s.ready)?.ready;
  if (first) options.onReady?.(first, adminAddress);

  /**
   * Starts workers up to `count` (in the lowest free slots; they get the current config and
   * relayed snapshots like any worker) or drains the highest slots down to it.
   */
  const scaleTo = (count: number) => {
    const before = target;
    target = count;
    const serving = live().sort((a, b) => a.slot - b.slot);
    for (const s of serving.slice(count)) {
      s.retiring = true;
      s.state = 'draining';
      sendTo(s.worker, { kind: 'drain' });
    }
    for (let n = serving.length; n < count; n++) {
      let free = 1;
      while (slots.has(free)) free++;
      fork(free, 0, 0, true);
    }
    logger.log('info', 'workers', { from: before, to: count });
  };

  /** Validates `text` here, then has every worker apply it; the config is kept only if all did. */
  const reloadAll = async (text: string) => {
    let next: LoadedConfig;
    try {
      next = parseLinkerConfig(text, current.file, options.kinds);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      logConfigError(logger, error);
      logger.log('warn', 'kept the running configuration', {});
      return;
    }
    const ready = [...slots.values()].filter((s) => s.state === 'ready');
    const answers = await Promise.all(
      ready.map((s) => ask(s, { kind: 'reload', id: ++requestId, text, file: current.file }, 30_000)),
    );
    const failed = answers.flatMap((a, i) =>
      a?.kind === 'reloaded' && a.ok
        ? []
        : [{ slot: ready[i]!.slot, error: a?.kind === 'reloaded' ? a.error : 'no answer' }],
    );
    if (failed.length === 0) {
      current = { ...current, text };
      const result = answers[0]?.kind === 'reloaded' ? answers[0].result : undefined;
      logger.log('info', 'configuration reloaded', { result, workers: ready.length });
      // The count applies here (each worker's Linker accepts a count change and ignores it).
      const count = resolveWorkers(workersSetting(next.config.workers).count);
      if (!options.countFromFlag && !draining && count !== target) scaleTo(count);
    } else logger.log('warn', 'kept the running configuration', { failed });
  };
  const stopWatching =
    options.watchFile !== undefined
      ? watchConfigFile(options.watchFile, (text) => reloadAll(text))
      : () => undefined;
  const onHangup = () => {
    if (options.watchFile === undefined) {
      logger.log('warn', 'SIGHUP ignored: the config was not read from a file', {});
      return;
    }
    readFile(options.watchFile, 'utf8').then(reloadAll, (error: unknown) =>
      logger.log('error', 'reload failed', { error: error as Error }),
    );
  };
  const onSignal = (signal: string) => drain({ signal }, EXIT.ok);
  options.signals.on('SIGTERM', onSignal);
  options.signals.on('SIGINT', onSignal);
  options.signals.on('SIGHUP', onHangup);
  const code = await done;
  options.signals.off('SIGTERM', onSignal);
  options.signals.off('SIGINT', onSignal);
  options.signals.off('SIGHUP', onHangup);
  stopWatching();
  await front.close();
  await elections.close();
  await lists.close();
  await informers.close();
  stopEvents();
  return code;
}
