/**
 * The usual setup of a scenario: named backends grouped into io.l5d.fs services, and the router
 * binary in front of them. Everything is closed by the scenario's cleanups.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Backend, startBackend } from './backends.js';
import { linkerConfig, type ServerSpec, writeService } from './config.js';
import type { Counts, ScenarioContext } from './harness.js';
import type { LoadResult, Target } from './load.js';
import { type RouterProcess, startRouter } from './router-process.js';

/** Backends, services and the router. */
export interface Fixture {
  readonly rootDir: string;
  readonly router: RouterProcess;
  /** Backends by name. */
  readonly backends: ReadonlyMap<string, Backend>;
  /** Backend names of each service, as currently written to its file. */
  readonly services: Map<string, string[]>;
  /** A load target for `service`: Host `service`, answered by its current backends. */
  target(service: string): Target;
  /** Rewrites the service file with `names` (each backend must exist). */
  setService(service: string, names: readonly string[]): Promise<void>;
  /** Bytes all backends received since their last reset. */
  backendBytes(): number;
  resetBackendBytes(): void;
}

/** Fixture options. */
export interface FixtureOptions {
  /** service → backend names; each name is a backend answering with that name. */
  readonly services: Readonly<Record<string, readonly string[]>>;
  /** Router servers (default one plain server). */
  readonly servers?: readonly ServerSpec[];
  readonly dtab?: string;
  readonly admin?: Readonly<Record<string, unknown>>;
  readonly recordHeaders?: boolean;
}

/** Starts backends, writes service files and starts the router. */
export async function startFixture(ctx: ScenarioContext, options: FixtureOptions): Promise<Fixture> {
  const rootDir = join(ctx.dir, 'disco');
  await mkdir(rootDir);
  const backends = new Map<string, Backend>();
  for (const names of Object.values(options.services)) {
    for (const name of names) {
      if (backends.has(name)) continue;
      const backend = await startBackend(name, { recordHeaders: options.recordHeaders ?? false });
      backends.set(name, backend);
      ctx.defer(() => backend.close());
    }
  }
  const services = new Map<string, string[]>();
  const setService = async (service: string, names: readonly string[]) => {
    await writeService(
      rootDir,
      service,
      names.map((n) => backends.get(n)!),
    );
    services.set(service, [...names]);
  };
  for (const [service, names] of Object.entries(options.services)) await setService(service, names);
  const servers = options.servers ?? [{}];
  const router = await startRouter(
    ctx,
    linkerConfig({
      rootDir,
      servers,
      ...(options.dtab ? { dtab: options.dtab } : {}),
      ...(options.admin ? { admin: options.admin } : {}),
    }),
    { servers: servers.length, admin: true },
  );
  return {
    rootDir,
    router,
    backends,
    services,
    target: (service) => ({ host: service, backends: () => new Set(services.get(service) ?? []) }),
    setService,
    backendBytes: () => [...backends.values()].reduce((sum, b) => sum + b.bytes, 0),
    resetBackendBytes: () => {
      for (const b of backends.values()) b.resetBytes();
    },
  };
}

/** Counts from a load result plus the router's RSS now. */
export function loadCounts(result: LoadResult, router: RouterProcess, peakRssKb = 0): Counts {
  const rssKb = router.rssKb();
  return {
    sent: result.sent,
    failed: result.failed,
    wrongBackend: result.wrongBackend,
    leakedBytes: 0,
    rssKb,
    peakRssKb: Math.max(peakRssKb, rssKb),
    problems: [],
    notes: result.samples.length > 0 ? [`examples: ${result.samples.join(' | ')}`] : [],
  };
}
