/**
 * Configs for the router under test: Linkerd-style objects (written as JSON, which is YAML) with an
 * `io.l5d.fs` namer over the scenario's temp dir, the Host-token identifier and loopback servers on
 * ephemeral ports. Service files are `io.l5d.fs` files listing backends.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from './backends.js';

/** One router server. */
export interface ServerSpec {
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly clearContext?: boolean;
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
}

/** A linker config with one HTTP router: `/svc => /#/io.l5d.fs` unless `dtab` says otherwise. */
export function linkerConfig(options: {
  readonly rootDir: string;
  readonly servers: readonly ServerSpec[];
  readonly dtab?: string;
  readonly admin?: Readonly<Record<string, unknown>>;
}): Record<string, unknown> {
  return {
    admin: { ip: '127.0.0.1', port: 0, ...options.admin },
    namers: [{ kind: 'io.l5d.fs', rootDir: options.rootDir }],
    routers: [
      {
        protocol: 'http',
        dtab: options.dtab ?? '/svc => /#/io.l5d.fs',
        servers: options.servers.map((s) => ({ port: 0, ip: '127.0.0.1', ...s })),
      },
    ],
  };
}

/** Replaces `file` atomically (write a dot-file, rename), as editors and ConfigMap mounts do. */
export async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = join(file, '..', `.${file.split('/').pop()}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** Writes the io.l5d.fs file `<rootDir>/<service>` listing `backends`. */
export function writeService(rootDir: string, service: string, backends: readonly Backend[]): Promise<void> {
  return replaceFile(join(rootDir, service), `${backends.map((b) => b.fsLine).join('\n')}\n`);
}
