/**
 * The local mode with a Kubernetes API, driven only by kubectl: the binary runs with
 * `--kube-api 0`; the test creates, modifies and deletes Ingresses, Services and EndpointSlices
 * with `kubectl --kubeconfig <the printed path>` and measures how long routing takes to follow
 * each change (from kubectl's exit to the first request answered the new way). A second
 * controller on the same API (a config file naming it) campaigns for the status Lease too: the
 * Ingress status is written once, by the leader. Skips, saying so, where kubectl is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';
import { curl, eventually } from './http-client.js';

const ingressDir = fileURLToPath(new URL('../', import.meta.url));
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.warn('kubectl not found on PATH: skipping the kubectl-driven local-mode test');

/**
 * How long routing may take to follow one change before the test fails: a correctness bound (the
 * route never follows), far above any follow time seen (4–535 ms at load 1–25). The speed goal
 * (median ≤ 100 ms, docs/kubernetes.md) is the bench's, `bench/kube-follow.ts`, which runs this
 * test several times and reads the times it reports; a timed assertion here flaked under CI load.
 */
const FOLLOW_DEADLINE_MS = 10_000;

let stateDir: string;
/** What the binary logged (JSON lines). */
let stderr = '';
let child: ChildProcess;
let kubeconfig: string;
let apiPort: number;
let httpPort: number;
let httpsPort: number;
let follower: RunningBinary | undefined;
const backends: Server[] = [];
const ports: Record<string, number> = {};
const measured: Record<string, number> = {};
const seen: Record<string, string> = {};

function kubectl(args: readonly string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${err}`)),
    );
    p.stdin.end(stdin ?? '');
  });
}

async function backend(name: string): Promise<void> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  backends.push(server);
  ports[name] = (server.address() as AddressInfo).port;
}

/** Status and body of `GET /` with `Host: host` through the ingress. */
async function ask(host: string): Promise<string> {
  const a = await curl(`http://127.0.0.1:${httpPort}/`, { host });
  return `${a.status} ${a.status === 200 ? a.body : ''}`.trim();
}

/** Runs `change` with kubectl, then polls until `host` answers `want`; records and returns the ms. */
async function follow(
  label: string,
  change: () => Promise<unknown>,
  host: string,
  want: string | RegExp,
): Promise<number> {
  await change();
  const start = performance.now();
  let last = '';
  while (performance.now() - start < FOLLOW_DEADLINE_MS) {
    last = await ask(host);
    if (typeof want === 'string' ? last === want : want.test(last)) {
      seen[label] = last;
      const ms = performance.now() - start;
      measured[label] = Math.round(ms * 10) / 10;
      return ms;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`${label}: ${host} still answers "${last}", want "${want}"`);
}

const service = (name: string, ns = 'default') => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
`;
const slice = (
  service: string,
  port: number,
  name = `${service}-1`,
  ns = 'default',
) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { kubernetes.io/service-name: ${service} }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${port}, protocol: TCP }]
`;
const ingress = (
  name: string,
  host: string,
  service: string,
  ns = 'default',
) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${ns}, annotations: { kubernetes.io/ingress.class: linkerd } }
spec:
  rules:
  - host: ${host}
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: ${service}, port: { name: http } } } }
`;

describe.skipIf(!hasKubectl)('local mode with --kube-api, driven by kubectl', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'switchyard-kube-api-'));
    for (const name of ['alpha', 'beta', 'gamma']) await backend(name);
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=switchyard:source',
        'src/main.ts',
        '--kube-api',
        '0',
        '--http-port',
        '0',
        '--https-port',
        '0',
        '--admin-port',
        '0',
        '--state-dir',
        stateDir,
      ],
      { cwd: ingressDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const api = /"msg":"kubernetes api","url":"http:\/\/127\.0\.0\.1:(\d+)","kubeconfig":"([^"]+)"/.exec(
          stderr,
        );
        const serving = [...stderr.matchAll(/"msg":"serving".*?"port":(\d+)/g)];
        if (api && serving.length === 2) {
          apiPort = Number(api[1]);
          kubeconfig = api[2]!;
          httpPort = Number(serving[0]![1]);
          httpsPort = Number(serving[1]![1]);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    // A second controller on the same API, publishing another address: it must stay silent.
    const followerConfig = join(stateDir, 'follower.yaml');
    await writeFile(
      followerConfig,
      `admin: { ip: 127.0.0.1, port: 0 }
namers:
- { kind: io.l5d.k8s, host: 127.0.0.1, port: ${apiPort} }
routers:
- protocol: http
  identifier:
    kind: io.l5d.ingress
    host: 127.0.0.1
    port: ${apiPort}
    statusAddress: { ip: 127.0.0.2 }
    statusLeaderElection: { namespace: default, name: switchyard-ingress-status }
  servers: [{ port: 0, ip: 127.0.0.1 }]
  dtab: /svc => /#/io.l5d.k8s
`,
    );
    follower = await startBinary(followerConfig);
  }, 120_000);

  afterAll(async () => {
    await follower?.stop();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    for (const s of backends) s.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    console.log(
      `routes followed kubectl changes in (ms): ${JSON.stringify(measured)}; answers: ${JSON.stringify(seen)}`,
    );
  });

  it('warms the request path before it serves, so the first route is not the cold one', () => {
    const warmed = stderr.indexOf('"msg":"warmed up","requests":2,');
    expect(warmed, stderr).toBeGreaterThan(0);
    expect(warmed).toBeLessThan(stderr.indexOf('"msg":"serving"'));
    const ms = Number(/"msg":"warmed up","requests":2,"ms":([\d.]+)/.exec(stderr)![1]);
    console.log(`start-up warm-up took ${ms} ms`);
  });

  it('routes follow Ingresses, Services and EndpointSlices created, modified and deleted with kubectl', {
    timeout: 120_000,
  }, async () => {
    expect(await kubectl(['get', 'ingress', '-o', 'name'])).toBe('');
    // This process's own first HTTP request is cold too: not the binary's cost, so not measured.
    expect((await curl(`http://127.0.0.1:${ports.alpha}/`)).body).toBe('alpha');
    const apply = (yaml: string) => kubectl(['apply', '-f', '-'], yaml);

    // Create: a Service with one endpoint, and an Ingress routing a host to it.
    await follow(
      'create',
      () =>
        apply(
          service('alpha') +
            '---\n' +
            slice('alpha', ports.alpha!) +
            '---\n' +
            ingress('e2e', 'app.test', 'alpha'),
        ),
      'app.test',
      '200 alpha',
    );
    // The first route of a namespace that did not exist when the binary started: a Service, its
    // endpoints and an Ingress created there together (the namer watches every namespace, so
    // no list of the new namespace is on this path).
    await kubectl(['create', 'namespace', 'shop']);
    await follow(
      'create in a new namespace',
      () =>
        apply(
          service('gamma', 'shop') +
            '---\n' +
            slice('gamma', ports.gamma!, 'gamma-1', 'shop') +
            '---\n' +
            ingress('e2e-shop', 'shop.test', 'gamma', 'shop'),
        ),
      'shop.test',
      '200 gamma',
    );
    // Modify the Ingress: the host now goes to another Service.
    await apply(`${service('beta')}---\n${slice('beta', ports.beta!)}`);
    await follow('modify Ingress', () => apply(ingress('e2e', 'app.test', 'beta')), 'app.test', '200 beta');
    // Modify the EndpointSlice: beta's endpoint moves to another backend.
    await follow('modify EndpointSlice', () => apply(slice('beta', ports.gamma!)), 'app.test', '200 gamma');
    // Delete the EndpointSlice: no endpoint left, so no 200.
    await follow(
      'delete EndpointSlice',
      () => kubectl(['delete', 'endpointslice', 'beta-1']),
      'app.test',
      /^[45]\d\d$/,
    );
    // Recreate it under another name, then delete the Service: the name no longer resolves.
    await follow(
      'create EndpointSlice',
      () => apply(slice('beta', ports.beta!, 'beta-2')),
      'app.test',
      '200 beta',
    );
    await follow('delete Service', () => kubectl(['delete', 'service', 'beta']), 'app.test', /^[45]\d\d$/);
    // Delete the Ingress: the host is no longer routed.
    await follow('delete Ingress', () => kubectl(['delete', 'ingress', 'e2e']), 'app.test', /^[45]\d\d$/);
    // Every step followed, in order, to the answer it should (each within FOLLOW_DEADLINE_MS, or
    // `follow` threw). The times are reported (afterAll) and judged by bench/kube-follow.ts.
    expect(Object.keys(measured)).toEqual([
      'create',
      'create in a new namespace',
      'modify Ingress',
      'modify EndpointSlice',
      'delete EndpointSlice',
      'create EndpointSlice',
      'delete Service',
      'delete Ingress',
    ]);
    expect(Object.values(seen).slice(0, 4)).toEqual(['200 alpha', '200 gamma', '200 beta', '200 gamma']);
    expect(seen['create EndpointSlice']).toBe('200 beta');
    const report = process.env.KUBE_FOLLOW_REPORT;
    if (report !== undefined) await appendFile(report, `${JSON.stringify(measured)}\n`);
  });

  it('writes Ingress status once, from the leader, with two controllers on the API', {
    timeout: 60_000,
  }, async () => {
    // Watch the Ingress with kubectl from before it exists: every write shows as an event.
    const watch = spawn(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig,
        'get',
        'ingress',
        '--field-selector',
        'metadata.name=status-e2e',
        '--watch',
        '--output-watch-events',
        '-o',
        'jsonpath={.type} {.object.status.loadBalancer.ingress[*].ip}{"\\n"}',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let events = '';
    let watchErrors = '';
    watch.stdout!.on('data', (d: Buffer) => {
      events += d.toString();
    });
    watch.stderr!.on('data', (d: Buffer) => {
      watchErrors += d.toString();
    });
    try {
      const holder = async () =>
        kubectl(['get', 'lease', 'switchyard-ingress-status', '-o', 'jsonpath={.spec.holderIdentity}']);
      expect(await holder()).not.toBe('');
      await kubectl(['apply', '-f', '-'], ingress('status-e2e', 'status.test', 'alpha'));
      const deadline = Date.now() + 10_000;
      while (!/MODIFIED 127\.0\.0\.\d/.test(events) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      // Long enough for a second writer (the other controller reconciles within milliseconds).
      await new Promise((r) => setTimeout(r, 1_500));
      const lines = events.trim().split('\n');
      expect(lines[0], watchErrors).toMatch(/^ADDED\s*$/);
      const writes = lines.filter((l) => l.startsWith('MODIFIED'));
      expect(writes).toHaveLength(1);
      expect(writes[0]).toMatch(/^MODIFIED 127\.0\.0\.[12]$/);
      expect(
        await kubectl([
          'get',
          'ingress',
          'status-e2e',
          '-o',
          'jsonpath={.status.loadBalancer.ingress[0].ip}',
        ]),
      ).toBe(writes[0]!.split(' ')[1]);
    } finally {
      watch.kill();
    }
  });

  it("the post's manifests: hello-world, its Ingress, then the TLS Secret the TLS port then serves", {
    timeout: 60_000,
  }, async () => {
    const k8s = (file: string) => join(ingressDir, 'k8s', file);
    await kubectl(['apply', '-f', k8s('hello-world.yaml'), '-f', k8s('world-v2.yaml')]);
    await kubectl(['apply', '-f', k8s('hello-world-ingress.yaml')]);
    await eventually(async () => (await ask('localhost')) === '200 world (127.0.0.1)!');
    expect(await ask('world.v2')).toBe('200 earth (127.0.0.1)!');
    await kubectl(['create', 'namespace', 'l5d-system']);
    await kubectl(['apply', '-f', k8s('ingress-certificates.yaml')]);
    const crt = Buffer.from(
      await kubectl([
        'get',
        'secret',
        'ingress-certs',
        '-n',
        'l5d-system',
        '-o',
        'jsonpath={.data.tls\\.crt}',
      ]),
      'base64',
    );
    // Trusting only the Secret's certificate: the handshake succeeds once the TLS port serves it.
    await eventually(async () => {
      const a = await curl(`https://127.0.0.1:${httpsPort}/`, {
        host: 'world.v2',
        ca: crt,
        servername: 'hello.world',
      }).catch(() => undefined);
      return a?.body === 'earth (127.0.0.1)!\n';
    });
  });
});
