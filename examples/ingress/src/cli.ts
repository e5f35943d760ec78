/** Command-line arguments of `switchyard-ingress`, parsed with node:util. */
import { parseArgs } from 'node:util';
import type { Level } from './log.js';
import { parseWorkersFlag, parseWorkersListenFlag, type WorkersListen } from './workers/count.js';

/** Exit codes (sysexits-style where one fits). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, config: 78 });

/** The help text; fits on one screen. */
export const HELP = `switchyard-ingress: a Kubernetes ingress controller built from Switchyard

Usage:
  switchyard-ingress                        run the local demo (no Kubernetes needed)
  switchyard-ingress --config FILE          run a Linkerd-style config (YAML or JSON)
  switchyard-ingress --check --config FILE  validate a config and exit

Options:
  -c, --config FILE       config file; reloaded when it changes (dtab changes apply live)
      --check             run start-up's checks (files, ports too) and exit:
                          0 it would start, 78 it would not (file:line:col lines)
      --log-level LEVEL   debug | info | warn | error (default info)
      --admin-port N      override the admin port (default: config, else 9990)
      --workers N|auto    processes serving the same ports (default: config's
                          workers:, else 1); auto = one per available core
      --workers-listen M  cluster (default) | reusePort (own socket, Node >= 22.12)
      --http-port N       local demo: plain HTTP port (default 4140)
      --https-port N      local demo: TLS port (default 4143)
      --state-dir DIR     local demo: dev certificate and demo files
                          (default $SWITCHYARD_HOME or ~/.cache/switchyard-ingress)
      --kube-api PORT     local demo: serve a Kubernetes API on 127.0.0.1:PORT (0: any
                          free port) and route by what kubectl applies to it; writes
                          STATE-DIR/kubeconfig
  -h, --help              show this help
  -v, --version           print the version

Logs are JSON lines on stderr. SIGTERM/SIGINT drain in-flight requests, then exit;
SIGHUP re-reads the config file.
Exit codes: 0 clean shutdown, 1 runtime failure (port in use), 2 usage, 78 config.
`;

/** Parsed command line. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usageError'; readonly message: string }
  | {
      readonly kind: 'run' | 'check';
      readonly config: string | undefined;
      readonly logLevel: Level;
      readonly adminPort: number | undefined;
      readonly httpPort: number | undefined;
      readonly httpsPort: number | undefined;
      readonly stateDir: string | undefined;
      /** `--kube-api PORT`: the local demo serves a Kubernetes API on this port (0: ephemeral). */
      readonly kubeApiPort: number | undefined;
      /** `--workers N|auto`; undefined: the config's `workers:` (default 1). */
      readonly workers: number | 'auto' | undefined;
      /** `--workers-listen cluster|reusePort`; undefined: the config's `workers.listen` (default cluster). */
      readonly workersListen: WorkersListen | undefined;
    };

const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

function portOption(name: string, value: string | undefined): number | undefined | string {
  if (value === undefined) return undefined;
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535
    ? port
    : `--${name} expects a port number, got "${value}"`;
}

/** Parses `argv` (without node and the script). Never throws. */
export function parseCommand(argv: readonly string[]): Command {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        'log-level': { type: 'string' },
        'admin-port': { type: 'string' },
        'http-port': { type: 'string' },
        'https-port': { type: 'string' },
        'state-dir': { type: 'string' },
        'kube-api': { type: 'string' },
        workers: { type: 'string' },
        'workers-listen': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (error) {
    return { kind: 'usageError', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const logLevel = (values['log-level'] as string | undefined) ?? 'info';
  if (!LEVELS.includes(logLevel as Level)) {
    return {
      kind: 'usageError',
      message: `--log-level must be one of ${LEVELS.join(', ')}, got "${logLevel}"`,
    };
  }
  const ports: Record<string, number | undefined> = {};
  for (const name of ['admin-port', 'http-port', 'https-port', 'kube-api']) {
    const parsed = portOption(name, values[name] as string | undefined);
    if (typeof parsed === 'string') return { kind: 'usageError', message: parsed };
    ports[name] = parsed;
  }
  if (ports['kube-api'] !== undefined && values.config !== undefined) {
    return {
      kind: 'usageError',
      message:
        '--kube-api is for the local demo; with --config, point io.l5d.k8s and io.l5d.ingress at an API',
    };
  }
  const workers = values.workers === undefined ? undefined : parseWorkersFlag(values.workers as string);
  if (typeof workers === 'string' && workers !== 'auto') return { kind: 'usageError', message: workers };
  const listenFlag = values['workers-listen'] as string | undefined;
  const listen = listenFlag === undefined ? undefined : parseWorkersListenFlag(listenFlag);
  if (typeof listen === 'string') return { kind: 'usageError', message: listen };
  if (values.check && values.config === undefined) {
    return { kind: 'usageError', message: '--check needs --config FILE' };
  }
  return {
    kind: values.check ? 'check' : 'run',
    config: values.config as string | undefined,
    logLevel: logLevel as Level,
    adminPort: ports['admin-port'],
    httpPort: ports['http-port'],
    httpsPort: ports['https-port'],
    stateDir: values['state-dir'] as string | undefined,
    kubeApiPort: ports['kube-api'],
    workers,
    workersListen: listen?.listen,
  };
}
