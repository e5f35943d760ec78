/**
 * Runs switchyard-ingress: loads the config (or the local default), starts the linker, logs,
 * reloads on config changes, and drains on SIGTERM. Returns the process exit code.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  createDefaultKinds,
  formatIssue,
  Linker,
  type LoadedConfig,
  parseLinkerConfig,
  validateLinker,
} from '@switchyard/config';
import { type Command, EXIT, HELP } from './cli.js';
import { watchConfigFile } from './config-watch.js';
import { DEV_CERT_NAMES } from './dev-certificate.js';
import {
  DEFAULT_LOCAL_PORTS,
  defaultStateDir,
  type LocalDefault,
  prepareLocalDefault,
} from './local-default.js';
import type { LocalKubeApi } from './local-kube-api.js';
import { createLogger, logConfigError, logLibraryEvents } from './log.js';
import { warmUp } from './warm-up.js';
import { resolveWorkers, workersSetting } from './workers/count.js';
import { runPrimary } from './workers/primary.js';

/** Where output goes; tests substitute their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

async function readConfigText(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--check` talks to a person (or an editor): one `file:line:column: message` line per problem. */
function printConfigError(io: Io, error: ConfigError): void {
  io.stderr(error.issues.map((issue) => `${formatIssue(issue)}\n`).join(''));
}

/** Runs a parsed command until shutdown; resolves with the exit code. */
export async function run(command: Command, io: Io, signals: NodeJS.EventEmitter = process): Promise<number> {
  if (command.kind === 'help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    io.stdout(`switchyard-ingress ${VERSION}\n`);
    return EXIT.ok;
  }
  if (command.kind === 'usageError') {
    io.stderr(`switchyard-ingress: ${command.message}\nTry --help.\n`);
    return EXIT.usage;
  }
  const logger = createLogger(command.logLevel, io.stderr);
  const kinds = createDefaultKinds();

  let loaded: LoadedConfig;
  let local: LocalDefault | undefined;
  let baseDir: string;
  let configText: string;
  try {
    if (command.config !== undefined) {
      const file = command.config;
      let text: string;
      try {
        text = await readConfigText(file);
      } catch (error) {
        throw new ConfigError('SY_ERR_CONFIG_READ', [
          {
            file,
            line: 1,
            column: 1,
            path: '',
            message: `cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error})`,
          },
        ]);
      }
      loaded = parseLinkerConfig(text, file, kinds);
      configText = text;
      baseDir = file === '-' ? process.cwd() : dirname(resolve(file));
    } else {
      const ports = {
        http: command.httpPort ?? DEFAULT_LOCAL_PORTS.http,
        https: command.httpsPort ?? DEFAULT_LOCAL_PORTS.https,
        admin: command.adminPort ?? DEFAULT_LOCAL_PORTS.admin,
      };
      local = await prepareLocalDefault(command.stateDir ?? defaultStateDir(), ports, command.kubeApiPort);
      if (local.certGenerated)
        logger.log('info', 'generated a development certificate', {
          path: local.certPath,
          names: DEV_CERT_NAMES,
        });
      if (local.kubeApi)
        logger.log('info', 'kubernetes api', {
          url: local.kubeApi.url,
          kubeconfig: local.kubeApi.kubeconfigPath,
        });
      loaded = parseLinkerConfig(local.configText, '<local default>', kinds);
      configText = local.configText;
      baseDir = local.baseDir;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      if (command.kind === 'check') printConfigError(io, error);
      else logConfigError(logger, error);
      return EXIT.config;
    }
    throw error;
  }
  if (command.kind === 'check') {
    // The same validate phase start-up runs: files, ports, directories, not just the schema.
    const issues = await validateLinker(loaded, {
      kinds,
      baseDir,
      ...(command.adminPort !== undefined ? { admin: { port: command.adminPort } } : {}),
      ...(command.workersListen === 'reusePort' ? { reusePort: true } : {}),
    });
    if (issues.length > 0) {
      printConfigError(io, new ConfigError('SY_ERR_CONFIG_INVALID', issues));
      return EXIT.config;
    }
    io.stdout(`${loaded.file}: configuration is valid (${loaded.config.routers.length} router(s))\n`);
    return EXIT.ok;
  }

  const setting = workersSetting(loaded.config.workers);
  const workers = resolveWorkers(command.workers ?? setting.count);
  const reusePort = (command.workersListen ?? setting.listen) === 'reusePort';
  if (workers > 1) {
    // The validate phase once, here, so a config no worker could start (e.g. port 0 under
    // reusePort) is one error and exit 78 before any fork, not one error per worker.
    const issues = await validateLinker(loaded, {
      kinds,
      baseDir,
      ...(command.adminPort !== undefined ? { admin: { port: command.adminPort } } : {}),
      ...(reusePort ? { reusePort: true } : {}),
    });
    if (issues.length > 0) {
      logConfigError(logger, new ConfigError('SY_ERR_CONFIG_INVALID', issues));
      await local?.close();
      return EXIT.config;
    }
    // The pod's processes: the primary keeps the watches and the admin port, workers serve.
    const config = loaded.config;
    const prometheus = config.telemetry.find((t) => (t as { kind: string }).kind === 'io.l5d.prometheus') as
      | { prefix?: string }
      | undefined;
    const code = await runPrimary({
      count: workers,
      ...(command.workers !== undefined ? { countFromFlag: true } : {}),
      start: {
        kind: 'start',
        text: configText,
        file: loaded.file,
        baseDir,
        ...(reusePort ? { reusePort } : {}),
      },
      watchFile: command.config !== undefined && command.config !== '-' ? resolve(command.config) : undefined,
      kinds,
      logger,
      admin: { ip: config.admin.ip, port: command.adminPort ?? config.admin.port },
      ...(config.admin.probe ? { probe: config.admin.probe } : {}),
      prometheusPrefix: prometheus?.prefix ?? '',
      signals,
      drainTimeoutMs: config.admin.shutdownGraceMs + 5000,
      onReady: (ready, admin) => {
        if (!local) return;
        const ports = { plain: ready.servers[0]!.port, tls: ready.servers[1]!.port, admin };
        io.stdout(local.kubeApi ? kubeBanner(ports, local, local.kubeApi) : localBanner(ports, local));
      },
    });
    await local?.close();
    logger.log('info', 'stopped', {});
    return code;
  }

  const stopEvents = logLibraryEvents(logger);
  let resolveShutdown: (code: number) => void = () => undefined;
  const shutdown = new Promise<number>((done) => {
    resolveShutdown = done;
  });
  let linker: Linker;
  try {
    linker = await Linker.start(loaded, {
      kinds,
      baseDir,
      ...(command.adminPort !== undefined ? { admin: { port: command.adminPort } } : {}),
      onShutdown: () => resolveShutdown(EXIT.ok),
      // The request path runs once before the admin (and /admin/ready) starts: see warm-up.ts.
      beforeReady: async (routers) => logger.log('info', 'warmed up', { ...(await warmUp(routers)) }),
    });
  } catch (error) {
    stopEvents();
    await local?.close();
    if (error instanceof ConfigError) {
      logConfigError(logger, error);
      return error.code === 'SY_ERR_CONFIG_START' ? EXIT.failure : EXIT.config;
    }
    logger.log('error', 'failed to start', { error: error as Error });
    return EXIT.failure;
  }

  for (const router of linker.routers) {
    for (const server of router.servers)
      logger.log('info', 'serving', { router: router.label, ip: server.ip, port: server.port });
  }
  const admin = linker.admin?.address;
  if (admin) logger.log('info', 'admin', { url: `http://${admin.address}:${admin.port}/` });
  const probe = linker.probeAddress;
  if (probe)
    logger.log('info', 'admin probe', {
      ip: probe.address,
      port: probe.port,
      paths: ['/admin/ping', '/admin/ready'],
    });
  if (local) {
    const [plain, tls] = linker.routers[0]!.servers;
    const ports = { plain: plain!.port, tls: tls!.port, admin: linker.admin?.address };
    io.stdout(local.kubeApi ? kubeBanner(ports, local, local.kubeApi) : localBanner(ports, local));
  }

  const reloadText = async (text: string) => {
    try {
      const next = parseLinkerConfig(text, command.config!, kinds);
      // A pod's primary starts or drains workers on a count change; a single process cannot
      // become one (its sockets are its own). `--workers 1` wins over the config's count.
      const count = resolveWorkers(workersSetting(next.config.workers).count);
      if (command.workers === undefined && count > 1)
        throw new ConfigError('SY_ERR_CONFIG_RELOAD', [
          next.source.issue(
            ['workers'],
            `workers: ${count} needs a restart: this process was started as a single process, which cannot start workers`,
            { hint: 'restart switchyard-ingress to run the workers; the running config keeps serving' },
          ),
        ]);
      const result = await linker.reload(next);
      logger.log('info', 'configuration reloaded', { result, version: linker.configStatus.version });
    } catch (error) {
      if (error instanceof ConfigError) {
        logConfigError(logger, error);
        logger.log('warn', 'kept the running configuration', {});
      } else logger.log('error', 'reload failed', { error: error as Error });
    }
  };
  const configFile =
    command.config !== undefined && command.config !== '-' ? resolve(command.config) : undefined;
  const stopWatching = configFile !== undefined ? watchConfigFile(configFile, reloadText) : () => undefined;
  const onHangup = () => {
    if (configFile === undefined) {
      logger.log('warn', 'SIGHUP ignored: the config was not read from a file', {});
      return;
    }
    readFile(configFile, 'utf8').then(reloadText, (error: unknown) =>
      logger.log('error', 'reload failed', { error: error as Error }),
    );
  };

  const onSignal = (signal: string) => {
    logger.log('info', 'draining', { signal });
    resolveShutdown(EXIT.ok);
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  signals.on('SIGHUP', onHangup);
  const code = await shutdown;
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  signals.off('SIGHUP', onHangup);
  stopWatching();
  try {
    await linker.close();
    await local?.close();
    logger.log('info', 'stopped', {});
  } catch (error) {
    logger.log('error', 'shutdown failed', { error: error as Error });
    stopEvents();
    return EXIT.failure;
  }
  stopEvents();
  return code;
}

/** Where the demo serves: its plain and TLS ports and the admin address. */
interface BannerPorts {
  readonly plain: number;
  readonly tls: number;
  readonly admin: { readonly address: string; readonly port: number } | undefined;
}

/** The post's curl commands, with the ports actually in use. */
function localBanner(ports: BannerPorts, local: LocalDefault): string {
  const plain = { port: ports.plain };
  const tls = { port: ports.tls };
  const admin = ports.admin;
  return `
Switchyard ingress (local demo) is up. Like the post:

  curl http://localhost:${plain!.port}/
    -> world (127.0.0.1)!
  curl -H 'Host: world.v2' http://localhost:${plain!.port}/
    -> earth (127.0.0.1)!
  curl --cacert ${local.certPath} -H 'Host: world.v2' https://localhost:${tls!.port}/
    -> earth (127.0.0.1)!

Admin dashboard: http://${admin?.address ?? '127.0.0.1'}:${admin?.port ?? 9990}/
The Ingress is ${'examples/ingress/k8s/hello-world-ingress.yaml'}; edit it and the routes follow.
Press Ctrl-C to stop.

`;
}

/** The post's steps with kubectl against the local API, with the paths and ports actually in use. */
function kubeBanner(ports: BannerPorts, local: LocalDefault, api: LocalKubeApi): string {
  const plain = { port: ports.plain };
  const tls = { port: ports.tls };
  const admin = ports.admin;
  return `
Switchyard ingress (local demo) is up, watching the Kubernetes API at ${api.url}.
No Ingress yet: every request answers 404 until you apply one. Like the post:

  export KUBECONFIG=${api.kubeconfigPath}
  kubectl apply -f examples/ingress/k8s/hello-world.yaml -f examples/ingress/k8s/world-v2.yaml
  kubectl apply -f examples/ingress/k8s/hello-world-ingress.yaml
  curl http://localhost:${plain!.port}/
    -> world (127.0.0.1)!
  curl -H 'Host: world.v2' http://localhost:${plain!.port}/
    -> earth (127.0.0.1)!

world-v1 and world-v2 are served here (their EndpointSlices point at them). TLS answers with
${local.certPath} until the post's Secret l5d-system/ingress-certs exists, then with it.

Admin dashboard: http://${admin?.address ?? '127.0.0.1'}:${admin?.port ?? 9990}/ (TLS on port ${tls!.port})
Press Ctrl-C to stop.

`;
}
