/**
 * One server of a router as built from its config: its router options (timeouts, limits,
 * forwarded headers), its TLS terminator in a swappable slot with the front doors its factory made,
 * HTTP/2 by ALPN or h2c, and its `tls.acme` manager. Start-up builds every server with it, a reload
 * the added and replaced ones.
 */
import { resolve } from 'node:path';
import { type AcmeManager, normalizeHost } from '@switchyard/acme';
import type { RouterServerOptions } from '@switchyard/router';
import {
  type CertificateSource,
  type ClientHelloHooks,
  createFrontDoorHttpServer,
  createPlainHttpServer,
  type FrontDoorHttpServer,
  fileCertificateSource,
  TlsTerminator,
} from '@switchyard/tls';
import { startAcme } from './acme.js';
import { hostFeed } from './acme-hosts.js';
import type { BuildContext } from './build-context.js';
import type { RouterConfig, ServerConfig } from './linker-schema.js';
import { runClosers } from './run-closers.js';

/** One server of a router as built: its config, the router's options for it, its TLS terminator. */
export interface BuiltServer {
  readonly config: ServerConfig;
  readonly options: RouterServerOptions;
  readonly terminator: TlsTerminator | undefined;
  /** The TLS server's swappable terminator and the front doors its factory made (TLS servers only). */
  readonly tls?: TerminatorSlot;
  /** The server's `tls.acme` manager (it lives as long as the server's factory). */
  readonly acme?: AcmeServer;
}

/**
 * One TLS server's ACME manager, the feed of names its router's identifiers serve over TLS, and
 * its lifecycle: `start()` (a reload starts the managers it built at its commit) and `stop()`
 * (closes the manager and releases its Lease; idempotent; also registered with the context).
 */
export interface AcmeServer {
  readonly manager: AcmeManager;
  readonly hooks: ClientHelloHooks;
  readonly feed: ReturnType<typeof hostFeed>;
  readonly start: () => void;
  readonly stop: () => Promise<void>;
}

/**
 * Creates the ACME manager of a TLS server with `tls.acme` (started unless `deferStart`), its
 * closers kept apart so that the server's leaving can stop it without closing the router.
 */
export async function buildAcmeServer(
  sc: ServerConfig,
  label: string,
  context: BuildContext,
  deferStart = false,
): Promise<AcmeServer> {
  const closers: (() => void | Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= runClosers(closers);
    return stopped;
  };
  context.onClose(stop);
  try {
    const started = await startAcme(
      sc.tls!.acme!,
      { ...context, onClose: (c) => closers.push(c) },
      {
        stats: context.stats.scope('rt', label, 'server', sc.ip, String(sc.port)),
        leaseName: `switchyard-acme-${label}-${sc.port}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
        deferStart,
      },
    );
    const feed = hostFeed(started.manager, (h) => normalizeHost(h) !== undefined);
    return { manager: started.manager, hooks: started.hooks, feed, start: started.start, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The terminator a TLS server's front doors use, swappable in place: a reload that changes the
 * TLS block gives every door the new one (`FrontDoorHttpServer.setTerminator`); open connections
 * keep going, new handshakes get the new certificates. The server's cleanup and readiness check
 * read the current terminator.
 */
export interface TerminatorSlot {
  terminator: TlsTerminator;
  readonly doors: Set<FrontDoorHttpServer>;
}

/** Swaps `slot`'s terminator on every front door it made and closes the old one. */
export function swapTerminator(slot: TerminatorSlot, terminator: TlsTerminator): void {
  const previous = slot.terminator;
  slot.terminator = terminator;
  for (const door of slot.doors) door.setTerminator(terminator);
  previous.close();
}

/** Whether any TLS server of the router has `tls.acme` (its layers then answer HTTP-01). */
export function hasAcme(rc: RouterConfig): boolean {
  return rc.servers.some((s) => s.tls?.enabled === true && s.tls.acme !== undefined);
}

/**
 * A server's settings as the router takes them, without its `http.Server` factory (TLS, h2);
 * `reusePort` is the linker's (`LinkerOptions.reusePort`), the same for every server.
 */
export function serverSettings(sc: ServerConfig, rc: RouterConfig, reusePort = false): RouterServerOptions {
  return {
    port: sc.port,
    ip: sc.ip,
    ...(reusePort ? { reusePort: true } : {}),
    clearContext: sc.clearContext,
    maxHeadersKB: rc.maxHeadersKB,
    ...(sc.maxConcurrentRequests ? { maxConcurrentRequests: sc.maxConcurrentRequests } : {}),
    requestTimeoutMs: sc.requestTimeoutMs,
    headersTimeoutMs: sc.headersTimeoutMs,
    keepAliveTimeoutMs: sc.keepAliveTimeoutMs,
    ...(rc.maxRequestKB ? { maxRequestBodyBytes: rc.maxRequestKB * 1024 } : {}),
    ...(sc.addForwardedHeader ? { forwarded: { xForwarded: true, rfc7239: true } } : {}),
  };
}

/**
 * One server's router options: TLS through a front door (with the identifiers' certificates and
 * ACME's, which name their hosts), HTTP/2 by ALPN or h2c. `Linker.reload` builds added and
 * changed servers with it (with a manager it starts at its commit).
 */
export async function buildServer(
  sc: ServerConfig,
  rc: RouterConfig,
  label: string,
  context: BuildContext,
  extraCertificates: readonly CertificateSource[],
  acme?: AcmeServer,
): Promise<BuiltServer> {
  const serverStats = context.stats.scope('rt', label, 'server', sc.ip, String(sc.port));
  const terminator = sc.tls?.enabled
    ? await startTerminator(
        sc,
        label,
        context,
        // ACME certificates name their hosts, so like Ingress ones they win SNI over the default.
        acme ? [...extraCertificates, acme.manager.certificateSource] : extraCertificates,
      )
    : undefined;
  const slot: TerminatorSlot | undefined = terminator ? { terminator, doors: new Set() } : undefined;
  if (slot) {
    context.onClose(() => slot.terminator.close());
    context.addReadiness({ name: `tls ${sc.ip}:${sc.port}`, ready: () => slot.terminator.status().ready });
  }
  // HTTP/2: offered by ALPN on TLS unless alpnProtocols leaves it out; h2c on plain ports when
  // the server has an h2 block or the router is Linkerd's protocol h2.
  const h2Where = `routers[${label}].servers[port ${sc.port}].h2`;
  const alpnProtocols = sc.alpnProtocols ?? ['h2', 'http/1.1'];
  const h2 = terminator
    ? alpnProtocols.includes('h2')
      ? { settings: sc.h2 ?? {}, where: h2Where, stats: serverStats }
      : undefined
    : sc.h2 !== undefined || rc.protocol === 'h2'
      ? { settings: sc.h2 ?? {}, where: h2Where, stats: serverStats }
      : undefined;
  const options: RouterServerOptions = {
    ...serverSettings(sc, rc, context.reusePort),
    ...(terminator
      ? {
          // An http.Server listening through the TLS front door (one tls.Server per certificate).
          createServer: (options) => {
            const door = createFrontDoorHttpServer(slot!.terminator, {
              ...options,
              alpnProtocols,
              ...(h2 ? { h2 } : {}),
              ...(acme ? { clientHelloHooks: acme.hooks } : {}),
            });
            slot!.doors.add(door);
            door.once('close', () => slot!.doors.delete(door));
            return door;
          },
        }
      : h2
        ? { createServer: (options) => createPlainHttpServer({ ...options, h2 }) }
        : {}),
  };
  return { config: sc, options, terminator, ...(slot ? { tls: slot } : {}), ...(acme ? { acme } : {}) };
}

/**
 * A server's TLS terminator from its `tls` block (with the identifiers' certificates), loaded;
 * the caller closes it. `Linker.reload` builds one for a changed block and swaps it in.
 */
export async function startTerminator(
  sc: ServerConfig,
  label: string,
  context: BuildContext,
  certificates: readonly CertificateSource[],
): Promise<TlsTerminator> {
  const tls = sc.tls!;
  const resolvePath = (p: string) => resolve(context.baseDir, p);
  const certPath = resolvePath(tls.certPath);
  const configured = fileCertificateSource({
    certPath,
    keyPath: resolvePath(tls.keyPath),
    ...(tls.intermediateCertsPath ? { intermediateCertsPath: resolvePath(tls.intermediateCertsPath) } : {}),
  });
  const terminator = new TlsTerminator({
    // Ingress spec.tls certificates name their hosts on purpose, so they win SNI over the
    // configured certificate, which stays the default for every other name and for no SNI.
    certificates: [...certificates, configured],
    defaultCertificate: certPath,
    ...(tls.caCertPath ? { caCertPath: resolvePath(tls.caCertPath) } : {}),
    requireClientAuth: tls.requireClientAuth,
    ...(tls.acme?.untilIssued === 'fail' ? { unknownServerName: 'reject' as const } : {}),
    ...(tls.protocols ? { protocols: tls.protocols as ('TLSv1.2' | 'TLSv1.3')[] } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    stats: context.stats.scope('rt', label, 'server', sc.ip, String(sc.port)),
    clock: context.clock,
  });
  try {
    await terminator.ready();
  } catch (error) {
    terminator.close();
    throw error;
  }
  return terminator;
}
