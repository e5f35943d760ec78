/**
 * The validate phase: every check start-up runs before it binds a socket, run on its own so that
 * `switchyard-ingress --check` means "this config starts" (like `nginx -t`). `Linker.start`
 * runs it first and refuses a config it finds problems in; `--check` prints the same problems.
 * The schema already checked types and value ranges; this phase checks what the config refers
 * to (certificate and key files, directories) and how its parts fit together (ports, labels).
 */
import { dirname, resolve } from 'node:path';
import { acmeProblems } from './acme.js';
import type { DefaultKinds } from './default-kinds.js';
import { signingKeyProblems } from './dtab-overrides.js';
import { storeName } from './dtab-store.js';
import type { ConfigIssue } from './errors.js';
import { directoryProblems, keyPairProblems, readableProblems } from './file-checks.js';
import { type AdminPlacement, listenAddresses, listenConflicts } from './listen-addresses.js';
import type { LoadedConfig } from './load.js';
import type { KindConfig, KindProblem, KindProblems } from './registry.js';
import type { FieldPath } from './source.js';

/** What the validate phase needs besides the config: the same inputs `Linker.start` takes. */
export interface ValidateOptions {
  readonly kinds: DefaultKinds;
  /** Directory relative paths in the config resolve against. */
  readonly baseDir: string;
  /** Overrides the admin address, as `LinkerOptions.admin` does. */
  readonly admin?: AdminPlacement;
  /** The admin (and its probe) will not be started. */
  readonly noAdmin?: boolean;
  /** Servers bind with SO_REUSEPORT (`LinkerOptions.reusePort`, `--workers-listen reusePort`). */
  readonly reusePort?: boolean;
}

/** Runs every start-up check; resolves with the problems found (empty when the config can start). */
export async function validateLinker(loaded: LoadedConfig, options: ValidateOptions): Promise<ConfigIssue[]> {
  const { config, source } = loaded;
  const issues: ConfigIssue[] = [];
  const at = (base: FieldPath) => (problems: KindProblems) => {
    for (const p of problems) {
      issues.push(source.issue([...base, p.field], p.message, p.hint === undefined ? {} : { hint: p.hint }));
    }
  };
  const path = (p: string) => resolve(options.baseDir, p);

  const labels = new Map<string, number>();
  config.routers.forEach((router, index) => {
    const label = router.label ?? router.protocol;
    const first = labels.get(label);
    if (first === undefined) labels.set(label, index);
    else {
      issues.push(
        source.issue(
          ['routers', index, router.label === undefined ? 'protocol' : 'label'],
          `router label "${label}" is already used by routers[${first}]`,
          {
            hint: 'give each router a unique label',
          },
        ),
      );
    }
  });

  for (const { address, holder } of listenConflicts(
    listenAddresses(config, options.noAdmin ? false : (options.admin ?? {})),
  )) {
    issues.push(
      source.issue(
        address.field,
        `${address.what} cannot listen on ${address.ip}:${address.port}: ${holder.what} listens on ${holder.ip}:${holder.port}`,
        { hint: 'every listener needs its own port (a 0.0.0.0 listener takes the port on every address)' },
      ),
    );
  }

  // Under reusePort every worker binds its own socket on a server's port; port 0 would give each
  // worker a different ephemeral port, so the pod would not serve one port.
  const listen = typeof config.workers === 'object' ? config.workers.listen : 'cluster';
  if (listen === 'reusePort' || options.reusePort) {
    config.routers.forEach((router, r) => {
      router.servers.forEach((server, s) => {
        if (server.port !== 0) return;
        issues.push(
          source.issue(
            ['routers', r, 'servers', s, 'port'],
            'port 0 cannot be used under workers.listen: reusePort (each worker binds its own socket, so each would get a different ephemeral port)',
            { hint: 'give the server a fixed port, or use workers.listen: cluster' },
          ),
        );
      });
    });
  }

  const checks: Promise<void>[] = [];
  config.routers.forEach((router, r) => {
    const store = router.dtabStore;
    if (store === undefined) return;
    const label = router.label ?? router.protocol;
    if (storeName(store, label) === undefined) {
      issues.push(
        source.issue(
          ['routers', r, 'dtabStore'],
          `router label "${label}" is not a lower-case DNS-1123 name, so it cannot name the stored dtab`,
          { hint: 'set dtabStore.name (a-z, 0-9, "-", ".")' },
        ),
      );
    }
    if (store.kind === 'io.l5d.fs' && store.dir !== undefined) {
      checks.push(directoryProblems('dir', path(store.dir)).then(at(['routers', r, 'dtabStore'])));
    }
  });
  config.routers.forEach((router, r) => {
    router.servers.forEach((server, s) => {
      const tls = server.tls;
      if (!tls?.enabled) return;
      const base = ['routers', r, 'servers', s, 'tls'];
      checks.push(
        keyPairProblems(
          { field: 'certPath', path: path(tls.certPath) },
          { field: 'keyPath', path: path(tls.keyPath) },
        ).then(at(base)),
      );
      if (tls.intermediateCertsPath)
        checks.push(
          readableProblems('intermediateCertsPath', path(tls.intermediateCertsPath)).then(at(base)),
        );
      if (tls.caCertPath) checks.push(readableProblems('caCertPath', path(tls.caCertPath)).then(at(base)));
      if (tls.acme) checks.push(acmeProblems(tls.acme, options.baseDir).then(at([...base, 'acme'])));
    });
    // Client TLS files: the global object's, or each io.l5d.static entry's.
    const client = router.client;
    const clientTlsBlocks =
      client === undefined
        ? []
        : client.kind === 'io.l5d.global'
          ? [{ tls: client.tls, at: ['routers', r, 'client', 'tls'] as FieldPath }]
          : client.configs.map((e, i) => ({
              tls: e.params.tls,
              at: ['routers', r, 'client', 'configs', i, 'tls'] as FieldPath,
            }));
    for (const { tls: clientTls, at: where } of clientTlsBlocks) {
      if (clientTls?.trustCertsBundle) {
        checks.push(readableProblems('trustCertsBundle', path(clientTls.trustCertsBundle)).then(at(where)));
      }
      if (clientTls?.clientAuth) {
        checks.push(
          keyPairProblems(
            { field: 'certPath', path: path(clientTls.clientAuth.certPath) },
            { field: 'keyPath', path: path(clientTls.clientAuth.keyPath) },
          ).then(at([...where, 'clientAuth'])),
        );
      }
    }
    if (router.httpAccessLog) {
      const file = path(router.httpAccessLog);
      checks.push(
        directoryProblems('httpAccessLog', dirname(file))
          .then((problems): KindProblem[] =>
            problems.map((p) => ({ ...p, message: `cannot append to ${file}: ${p.message}` })),
          )
          .then(at(['routers', r])),
      );
    }
    checks.push(identifierIssues(loaded, r, options).then((found) => void issues.push(...found)));
    checks.push(overrideIssues(loaded, r, options).then((found) => void issues.push(...found)));
  });
  const tokenPath = config.admin.security?.controlTokenPath;
  if (tokenPath !== undefined && !options.noAdmin) {
    checks.push(readableProblems('controlTokenPath', path(tokenPath)).then(at(['admin', 'security'])));
  }
  config.namers.forEach((namer, n) => {
    checks.push(kindProblems(options.kinds.namer, namer, options.baseDir).then(at(['namers', n])));
  });
  config.telemetry.forEach((telemeter, t) => {
    checks.push(kindProblems(options.kinds.telemeter, telemeter, options.baseDir).then(at(['telemetry', t])));
  });
  await Promise.all(checks);
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * The checks of `routers[index]`'s identifiers alone: what `Linker.reload` runs before it builds
 * changed identifiers (the rest of a reloaded config must equal the running one).
 */
export async function identifierIssues(
  loaded: LoadedConfig,
  index: number,
  options: Pick<ValidateOptions, 'kinds' | 'baseDir'>,
): Promise<ConfigIssue[]> {
  const identifiers = loaded.config.routers[index]?.identifier ?? [];
  // Linkerd allows `identifier: {kind: …}` or a list; positions follow what was written.
  const listed = isList(loaded.source, ['routers', index, 'identifier']);
  const found = await Promise.all(
    identifiers.map(async (identifier, i) => {
      const base: FieldPath = listed ? ['routers', index, 'identifier', i] : ['routers', index, 'identifier'];
      const problems = await kindProblems(options.kinds.identifier, identifier, options.baseDir);
      return problems.map((p) =>
        loaded.source.issue([...base, p.field], p.message, p.hint === undefined ? {} : { hint: p.hint }),
      );
    }),
  );
  return found.flat();
}

/** The checks of `routers[index]`'s override signing keys (also run by `Linker.reload`). */
export async function overrideIssues(
  loaded: LoadedConfig,
  index: number,
  options: Pick<ValidateOptions, 'baseDir'>,
): Promise<ConfigIssue[]> {
  const router = loaded.config.routers[index];
  if (router === undefined) return [];
  const problems = await signingKeyProblems(router, options.baseDir);
  return problems.map((p) =>
    loaded.source.issue(
      ['routers', index, 'signedDtabOverrides', 'keys', p.key, 'secretPath'],
      p.message,
      p.hint === undefined ? {} : { hint: p.hint },
    ),
  );
}

function kindProblems(
  category: { validate(config: KindConfig, context: { baseDir: string }): Promise<KindProblems> },
  config: KindConfig,
  baseDir: string,
): Promise<KindProblems> {
  return category.validate(config, { baseDir });
}

/** Whether the value at `path` was written as a list. */
function isList(source: LoadedConfig['source'], path: FieldPath): boolean {
  let node: unknown = source.data;
  for (const part of path) node = (node as Record<string | number, unknown> | undefined)?.[part];
  return Array.isArray(node);
}
