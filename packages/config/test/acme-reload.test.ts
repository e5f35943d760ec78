/**
 * `tls.acme` added to and changed on a running router by `Linker.reload`, against a real ACME CA
 * (pebble), HTTP-01 answered by the router's plain server (issue 16): the added manager issues and
 * its certificate is served; a changed block replaces the manager (the old one stopped, the new
 * one orders its hosts); a reload that fails after building a manager leaves nothing running — no
 * order is placed for its host and the admin rows are unchanged.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ACME_CHANNELS } from '@switchyard/acme';
import { eventually, freePort, type Pebble, pebbleMissing, startPebble } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { useAcmeFixture } from './acme-fixture.js';

const kinds = createDefaultKinds();
const missing = pebbleMissing();
/** Issuance by a real CA takes seconds: poll every 100 ms for up to 45 s. */
const POLL = { timeoutMs: 45_000, intervalMs: 100 } as const;

/** The names of the certificate `port` serves for `servername`, and whether `ca` trusts it. */
function handshake(
  port: number,
  servername: string,
  ca: string,
): Promise<{ names: string; trusted: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      resolve({ names: socket.getPeerCertificate().subjectaltname ?? '', trusted: socket.authorized });
      socket.end();
    });
    socket.on('error', reject);
  });
}

const fx = useAcmeFixture();

describe.skipIf(missing !== undefined)('tls.acme on reload', () => {
  let pebble: Pebble;
  let linker: Linker;
  let dir: string;
  let httpPort: number;
  let tlsPort: number;
  let busy: NetServer;
  let busyPort: number;
  const events: { channel: string; host: string }[] = [];
  const listeners = Object.values(ACME_CHANNELS).map((name) => {
    const listener = (message: unknown) =>
      events.push({ channel: name, host: (message as { host: string }).host });
    return { name, listener };
  });
  const config = (acme?: string, extraServer = '', extraRouter = '') => `routers:
- protocol: http
  label: edge
  dtab: /svc/* => /$/inet/127.0.0.1/${fx.backendPort}
  servers:
  - port: ${httpPort}
  - port: ${tlsPort}
    tls:
      certPath: default.pem
      keyPath: default.key
${
  acme === undefined
    ? ''
    : `      acme:
        directory: ${pebble.directoryUrl}
        email: ops@example.test
        caBundle: directory-ca.pem
        challenge: http-01
        hosts: [${acme}]
        storage: {kind: dir, path: ${acme.includes('never') ? 'store-never' : 'store'}}
`
}${extraServer}${extraRouter}`;
  const reload = (acme?: string, extraServer?: string, extraRouter?: string) =>
    linker.reload(parseLinkerConfig(config(acme, extraServer, extraRouter), 'linker.yaml', kinds));
  /** A router with one `tls.acme` server on `port` (storage `store`), and more `servers`. */
  const acmeRouter = (port: number, host: string, store: string, servers = '') => `- protocol: http
  label: added
  dtab: /svc/* => /$/inet/127.0.0.1/${fx.backendPort}
  servers:
  - port: ${port}
    ip: 127.0.0.1
    tls:
      certPath: default.pem
      keyPath: default.key
      acme:
        directory: ${pebble.directoryUrl}
        email: ops@example.test
        caBundle: directory-ca.pem
        challenge: http-01
        hosts: [${host}]
        storage: {kind: dir, path: ${store}}
${servers}`;

  beforeAll(async () => {
    for (const { name, listener } of listeners) subscribe(name, listener);
    [httpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
    pebble = await startPebble({ httpPort, tlsPort });
    dir = await fx.configDir('sy-acme-reload-', pebble.directoryCa);
    busy = createNetServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
    linker = await Linker.start(parseLinkerConfig(config(), 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
  }, 60_000);

  afterAll(async () => {
    for (const { name, listener } of listeners) unsubscribe(name, listener);
    await linker?.close();
    await pebble?.stop();
    busy?.close();
  });

  it('a failed reload that built a manager starts nothing', async () => {
    // The ACME block is valid; the added server's port is taken, so the reload fails after the
    // manager was built.
    const error = await reload('never.test', `  - port: ${busyPort}\n    ip: 127.0.0.1\n`).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_START');
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.filter((e) => e.host === 'never.test')).toEqual([]);
    // A started manager would have written its account there.
    expect(existsSync(join(dir, 'store-never'))).toBe(false);
    expect(linker.acmeStatus()).toEqual([]);
  });

  it('adds a manager to a running TLS server, then replaces it when the block changes', async () => {
    const root = await pebble.rootPem();
    expect((await handshake(tlsPort, 'static.test', root)).names).toContain('DNS:default.invalid');
    expect(await reload('static.test')).toEqual({
      kind: 'applied',
      changes: ['routers[0].servers'],
    });
    await eventually(async () => (await handshake(tlsPort, 'static.test', root)).trusted, {
      ...POLL,
      what: 'a trusted certificate for static.test after the reload',
    });
    expect(linker.acmeStatus().map((s) => s.certificates.map((c) => c.name))).toEqual([['static.test']]);

    // Changed hosts: a new manager (same storage: static.test is read back, second.test ordered).
    await reload('static.test, second.test');
    await eventually(async () => (await handshake(tlsPort, 'second.test', root)).trusted, {
      ...POLL,
      what: 'a trusted certificate for second.test after the second reload',
    });
    expect((await handshake(tlsPort, 'static.test', root)).trusted).toBe(true);
    expect(linker.acmeStatus()).toHaveLength(1);
    expect(events.filter((e) => e.host === 'never.test')).toEqual([]);
  }, 120_000);

  it('a router added by a reload starts its managers at the commit, not before', async () => {
    const edge = 'static.test, second.test';
    const [addedPort, secondPort] = await Promise.all([freePort(), freePort()]);
    const rows = linker.acmeStatus();
    // The added router is built (its manager with it) and binds its first port; its second port
    // is taken, so the reload fails after the manager was built.
    const error = await reload(
      edge,
      '',
      acmeRouter(
        addedPort,
        'added-never.test',
        'store-added-never',
        `  - {port: ${busyPort}, ip: 127.0.0.1}\n`,
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_START');
    await new Promise((r) => setTimeout(r, 1500));
    // A manager started in the prepare phase writes its account there at once.
    expect(existsSync(join(dir, 'store-added-never'))).toBe(false);
    expect(events.filter((e) => e.host === 'added-never.test')).toEqual([]);
    expect(linker.acmeStatus()).toEqual(rows);

    // Applied: the added router's manager starts at the commit (its account is written).
    expect(
      await reload(
        edge,
        '',
        acmeRouter(addedPort, 'added.test', 'store-added', `  - {port: ${secondPort}, ip: 127.0.0.1}\n`),
      ),
    ).toEqual({ kind: 'applied', changes: ['routers[1] added'] });
    await eventually(() => existsSync(join(dir, 'store-added')), {
      ...POLL,
      what: "the added router's manager writing its account after the commit",
    });
    expect(linker.acmeStatus()).toHaveLength(2);
    expect(await reload(edge)).toEqual({ kind: 'applied', changes: ['router added removed'] });
    expect(linker.acmeStatus()).toHaveLength(1);
  }, 120_000);
});
