/**
 * Which names `tls.acme` manages, through the linker and a real ACME CA (pebble): Ingress
 * `spec.tls` hosts and the hostnames of our Gateways' HTTPS listeners (followed as the manifests
 * change), the identifiers a config reload swaps in (names no longer served are retired: not
 * renewed, still served until they expire), and `untilIssued: fail` (a handshake for a name
 * without a certificate fails until it is issued, then succeeds).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import {
  counterValue as counter,
  eventually,
  freePort,
  type Pebble,
  pebbleMissing,
  startPebble,
  type TlsHandshake,
  tlsHandshake,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { useAcmeFixture } from './acme-fixture.js';

const kinds = createDefaultKinds();
const missing = pebbleMissing();

/** Issuance by a real CA takes seconds: poll every 100 ms for up to 45 s. */
const POLL = { timeoutMs: 45_000, intervalMs: 100 } as const;

/** A TLS handshake for `servername`: the certificate's names and whether `ca` trusts it, or the error. */
function handshake(port: number, servername: string, ca: string): Promise<TlsHandshake | { error: string }> {
  return tlsHandshake(port, servername, ca).catch((err: NodeJS.ErrnoException) => ({
    error: err.code ?? err.message,
  }));
}

const ingress = (name: string, host: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
    kubernetes.io/ingress.class: linkerd
spec:
  tls:
    - hosts: [${host}]
      secretName: ${name}-tls
  rules:
    - host: ${host}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
`;

/** Our Gateway with an HTTP listener and HTTPS listeners for `hosts` (plus a wildcard and a passthrough one). */
const gateway = (hosts: readonly string[]) => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: switchyard
spec:
  controllerName: switchyard.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: default
spec:
  gatewayClassName: switchyard
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: plain.test
    - name: wild
      protocol: HTTPS
      port: 443
      hostname: "*.wild.test"
    - name: passthrough
      protocol: TLS
      port: 443
      hostname: pass.test
      tls:
        mode: Passthrough
${hosts
  .map(
    (h, i) => `    - name: https-${i}
      protocol: HTTPS
      port: 443
      hostname: ${h}
`,
  )
  .join('')}`;

const fx = useAcmeFixture();

interface Setup {
  readonly dir: string;
  readonly httpPort: number;
  readonly tlsPort: number;
  readonly pebble: Pebble;
}

async function setup(): Promise<Setup> {
  const [httpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
  const pebble = await startPebble({ httpPort, tlsPort });
  const dir = await fx.configDir('sy-config-acme-hosts-', pebble.directoryCa);
  return { dir, httpPort, tlsPort, pebble };
}

function configText(s: Setup, o: { identifiers: string; acme?: string }): string {
  return `routers:
- protocol: http
  label: edge
  dtab: /svc/* => /$/inet/127.0.0.1/${fx.backendPort}
  identifier:
${o.identifiers}
  servers:
  - port: ${s.httpPort}
  - port: ${s.tlsPort}
    tls:
      certPath: default.pem
      keyPath: default.key
      acme:
        directory: ${s.pebble.directoryUrl}
        email: ops@example.test
        caBundle: directory-ca.pem
        challenge: http-01
        storage: {kind: dir, path: store}
${o.acme ?? ''}`;
}

const rows = (linker: Linker) => linker.acmeStatus()[0]!.certificates.map((c) => `${c.name} ${c.state}`);

describe.skipIf(missing !== undefined)('names fed to tls.acme', () => {
  let s: Setup;
  let linker: Linker | undefined;
  let stats: MetricsRegistry;
  beforeAll(async () => {
    s = await setup();
  }, 60_000);
  afterAll(async () => {
    await linker?.close();
    await s?.pebble.stop();
  });

  it('Gateway HTTPS listener hostnames and Ingress spec.tls hosts get certificates; a reload retires what the new identifiers drop', async () => {
    await mkdir(join(s.dir, 'ing-a'));
    await mkdir(join(s.dir, 'ing-b'));
    await mkdir(join(s.dir, 'gw'));
    await writeFile(join(s.dir, 'ing-a', 'one.yaml'), ingress('one', 'one.test'));
    await writeFile(join(s.dir, 'ing-b', 'two.yaml'), ingress('two', 'two.test'));
    await writeFile(join(s.dir, 'gw', 'gateway.yaml'), gateway(['gw.test']));
    const identifiers = (ing: string) => `  - kind: io.l5d.ingress
    ingressDir: ${ing}
  - kind: io.l5d.httproute
    dir: gw`;
    stats = createMetricsRegistry();
    linker = await Linker.start(
      parseLinkerConfig(configText(s, { identifiers: identifiers('ing-a') }), 'linker.yaml', kinds),
      { kinds, baseDir: s.dir, noAdmin: true, stats },
    );
    const root = await s.pebble.rootPem();
    const trusted = async (name: string) => {
      const h = await handshake(s.tlsPort, name, root);
      return 'trusted' in h && h.trusted && h.names === `DNS:${name}`;
    };
    await eventually(() => trusted('gw.test'), { ...POLL, what: 'gw.test (Gateway HTTPS listener) issued' });
    await eventually(() => trusted('one.test'), { ...POLL, what: 'one.test (Ingress spec.tls) issued' });
    // Wildcard, passthrough and plain-HTTP listeners name no certificate to order.
    expect(rows(linker)).toEqual(['gw.test valid', 'one.test valid']);

    // A listener added to the Gateway manifest is followed without a reload.
    await writeFile(join(s.dir, 'gw', 'gateway.yaml'), gateway(['gw.test', 'gw2.test']));
    await eventually(() => trusted('gw2.test'), {
      ...POLL,
      what: 'gw2.test issued after the manifest changed',
    });

    // The reload swaps the Ingress identifier: two.test is ordered, one.test is retired (no
    // renewal) but keeps being served, gw.test (in both sets) is never retired.
    const before = counter(stats, { endsWith: 'certificate/one.test/orders' });
    const reloaded = await linker.reload(
      parseLinkerConfig(configText(s, { identifiers: identifiers('ing-b') }), 'linker.yaml', kinds),
    );
    expect(reloaded).toEqual({ kind: 'applied', changes: ['routers[0].identifier'] });
    await eventually(() => trusted('two.test'), { ...POLL, what: 'two.test issued after the reload' });
    expect(rows(linker)).toEqual(['gw.test valid', 'gw2.test valid', 'one.test retired', 'two.test valid']);
    expect(await trusted('one.test')).toBe(true);
    expect(counter(stats, { endsWith: 'certificate/one.test/orders' })).toBe(before);
    expect(counter(stats, { endsWith: 'certificate/gw.test/orders' })).toBe(1);
    const server = linker.acmeStatus()[0]!;
    expect(server).toMatchObject({ router: 'edge', server: `127.0.0.1:${s.tlsPort}` });
  }, 90_000);
});

describe.skipIf(missing !== undefined)('tls.acme untilIssued: fail', () => {
  let s: Setup;
  let linker: Linker | undefined;
  beforeAll(async () => {
    s = await setup();
  }, 60_000);
  afterAll(async () => {
    await linker?.close();
    await s?.pebble.stop();
  });

  it('fails the handshake for a name without a certificate until it is issued, then succeeds', async () => {
    linker = await Linker.start(
      parseLinkerConfig(
        configText(s, {
          identifiers: '  - kind: io.l5d.header.token',
          acme: `        untilIssued: fail
        onDemand: {allow: ["*.demand.test"]}
`,
        }),
        'linker.yaml',
        kinds,
      ),
      { kinds, baseDir: s.dir, noAdmin: true },
    );
    const root = await s.pebble.rootPem();
    // Nothing is ordered before the first handshake asks: it fails, and starts the order.
    const first = await handshake(s.tlsPort, 'x.demand.test', root);
    expect(first).toHaveProperty('error');
    // A name that is not allowed keeps failing (and is never ordered).
    expect(await handshake(s.tlsPort, 'x.other.test', root)).toHaveProperty('error');
    const issued = await eventually(
      async () => {
        const h = await handshake(s.tlsPort, 'x.demand.test', root);
        return 'trusted' in h && h;
      },
      { ...POLL, what: 'x.demand.test served after issuance' },
    );
    expect(issued).toEqual({ names: 'DNS:x.demand.test', trusted: true, fingerprint: expect.any(String) });
    expect(await handshake(s.tlsPort, 'x.other.test', root)).toHaveProperty('error');
    expect(rows(linker)).toEqual(['x.demand.test valid']);
  }, 60_000);
});
