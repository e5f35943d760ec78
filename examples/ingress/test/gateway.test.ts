/**
 * io.l5d.httproute end to end: the reference binary with a directory of Gateway API manifests
 * (the hello-world of examples/ingress/gateway, as docs/gateway-api.md shows it). Routes are
 * created, changed and deleted while a steady stream of requests flows through an untouched
 * route, which must never see anything but its own 200s.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { EXIT, parseCommand } from '../src/cli.js';
import { type DemoBackend, startDemoBackend } from '../src/demo-backends.js';
import { run } from '../src/run.js';
import { type RunningBinary, startBinary } from './binary.js';
import { curl, eventually } from './http-client.js';

const helloWorld = fileURLToPath(new URL('../gateway/hello-world.yaml', import.meta.url));

function config(namersDir: string): string {
  return `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${namersDir}
routers:
- protocol: http
  identifier:
    kind: io.l5d.httproute
    dir: routes
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/default/* => /#/io.l5d.fs
`;
}

function route(name: string, spec: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
  - name: l5d
${spec}`;
}

/** Replaces a file atomically, as editors and ConfigMap mounts do. */
async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('io.l5d.httproute in the running binary (directory source)', () => {
  let dir: string;
  let routes: string;
  let binary: RunningBinary;
  const stderr = () => binary.stderr();
  let port: number;
  const backends: DemoBackend[] = [];
  let echo: http.Server;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-gateway-'));
    routes = join(dir, 'routes');
    const namers = join(dir, 'namers');
    await mkdir(routes);
    await mkdir(namers);
    backends.push(
      await startDemoBackend('world-v1', 'world'),
      await startDemoBackend('world-v2', 'earth'),
      await startDemoBackend('world-v3', 'mars'),
    );
    for (const b of backends) await writeFile(join(namers, b.name), `${b.host} ${b.port}\n`);
    echo = http.createServer((req, res) => {
      req.resume();
      res.setHeader('x-backend', 'echo');
      res.setHeader('x-drop', 'me');
      res.end(`${req.url} host=${req.headers.host} x-team=${req.headers['x-team']}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    await writeFile(join(namers, 'echo'), `127.0.0.1 ${(echo.address() as AddressInfo).port}\n`);
    await copyFile(helloWorld, join(routes, 'hello-world.yaml'));
    await writeFile(join(dir, 'linker.yaml'), config(namers));
    binary = await startBinary(join(dir, 'linker.yaml'));
    port = binary.port;
  }, 60_000);

  afterAll(async () => {
    await binary.stop();
    await Promise.all(backends.map((b) => b.close()));
    echo.closeAllConnections();
    await new Promise((r) => echo.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (host: string, path = '/') => curl(`http://127.0.0.1:${port}${path}`, { host });

  it('serves the hello-world: world.v2 by hostname, everything else by the hostless route', async () => {
    expect((await get('world.v2')).body).toBe('earth (127.0.0.1)!\n');
    expect((await get('hello.example')).body).toBe('world (127.0.0.1)!\n');
    expect((await get('10.1.2.3:18080', '/any/path')).body).toBe('world (127.0.0.1)!\n');
  });

  it('follows routes created, changed and deleted while traffic flows', async () => {
    let stop = false;
    const steady: string[] = [];
    const traffic = (async () => {
      while (!stop) {
        const a = await get('world.v2', '/steady');
        steady.push(`${a.status} ${a.body}`);
      }
    })();
    try {
      // Created: a weighted split on its own hostname, plus a rule whose backend is not permitted.
      await writeFile(
        join(routes, 'split.yaml'),
        route(
          'split',
          `  hostnames: [split.test]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs:
    - {name: world-v1, port: 7778, weight: 1}
    - {name: world-v3, port: 7778, weight: 1}
  - matches: [{path: {type: Exact, value: /denied}}]
    backendRefs:
    - {name: world-v1, namespace: elsewhere, port: 7778}
`,
        ),
      );
      const seen = new Set<string>();
      await eventually(async () => {
        const a = await get('split.test', '/split/x');
        if (a.status === 200) seen.add(a.body);
        return seen.size === 2;
      });
      expect(seen).toEqual(new Set(['world (127.0.0.1)!\n', 'mars (127.0.0.1)!\n']));
      expect((await get('split.test', '/denied')).status).toBe(500);
      // No rule of split.test matches /other, but the hostless hello-world route still does.
      expect((await get('split.test', '/other')).body).toBe('world (127.0.0.1)!\n');

      // Changed: the hostless route now only serves /v1/..., so other paths 404.
      await replace(
        join(routes, 'hello-world.yaml'),
        (await readFile(helloWorld, 'utf8')).replace(
          '  rules:\n    - backendRefs:\n        - name: world-v1',
          '  rules:\n    - matches:\n        - path: {type: PathPrefix, value: /v1}\n      backendRefs:\n        - name: world-v1',
        ),
      );
      await eventually(async () => (await get('hello.example', '/')).status === 404);
      expect((await get('hello.example', '/v1/x')).body).toBe('world (127.0.0.1)!\n');

      // Deleted: split.test falls back to nothing.
      await unlink(join(routes, 'split.yaml'));
      await eventually(async () => (await get('split.test', '/split/x')).status === 404);
    } finally {
      stop = true;
      await traffic;
    }
    expect(steady.length).toBeGreaterThan(10);
    expect(new Set(steady)).toEqual(new Set(['200 earth (127.0.0.1)!\n']));
  }, 60_000);

  it('applies the filters: request headers, URL rewrite, redirect, response headers', async () => {
    await writeFile(
      join(routes, 'filters.yaml'),
      route(
        'filters',
        `  hostnames: [filters.test]
  rules:
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: X-Team, value: blue}]}
    - type: URLRewrite
      urlRewrite: {hostname: echo.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: X-Via, value: gateway}], remove: [x-drop]}
    backendRefs: [{name: echo, port: 80}]
  - matches: [{path: {type: Exact, value: /moved}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, hostname: moved.test, statusCode: 301}
`,
      ),
    );
    await eventually(async () => (await get('filters.test', '/old/x?q=1')).status === 200);
    const a = await get('filters.test', '/old/x?q=1');
    expect(a.body).toBe('/new/x?q=1 host=echo.internal x-team=blue');
    expect(a.headers['x-backend']).toBe('echo');
    expect(a.headers['x-via']).toBe('gateway');
    expect(a.headers['x-drop']).toBeUndefined();
    const moved = await get('filters.test', '/moved?x=1');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('https://moved.test/moved?x=1');
    await unlink(join(routes, 'filters.yaml'));
  });

  it('applies rule timeouts (504 within the bound) and RequestMirror (copies while the real backend answers)', async () => {
    // A backend that never answers and a mirror that records what it is sent.
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => {});
    silent.on('connection', (s) => sockets.add(s));
    const copies: string[] = [];
    const shadow = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        copies.push(`${req.method} ${req.url} ${req.headers.host}`);
        res.end('shadow');
      });
    });
    for (const s of [silent, shadow]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const namers = join(dir, 'namers');
    await writeFile(join(namers, 'silent'), `127.0.0.1 ${(silent.address() as AddressInfo).port}\n`);
    await writeFile(join(namers, 'shadow'), `127.0.0.1 ${(shadow.address() as AddressInfo).port}\n`);
    try {
      await writeFile(
        join(routes, 'actions.yaml'),
        route(
          'actions',
          `  hostnames: [actions.test]
  rules:
  - matches: [{path: {type: PathPrefix, value: /slow}}]
    timeouts: {request: 300ms}
    backendRefs: [{name: silent, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /copied}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 80}}
    backendRefs: [{name: echo, port: 80}]
`,
        ),
      );
      await eventually(async () => (await get('actions.test', '/copied/warm')).status === 200);
      // The fs namer picks up the new backend files on its own schedule: wait for the 504.
      await eventually(async () => (await get('actions.test', '/slow')).status !== 502);
      const t0 = Date.now();
      const slow = await get('actions.test', '/slow');
      const took = Date.now() - t0;
      expect(slow.status).toBe(504);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(3000);
      const copied = await get('actions.test', '/copied/x?y=1');
      expect(copied.status).toBe(200);
      expect(copied.body).toBe('/copied/x?y=1 host=actions.test x-team=undefined');
      await eventually(async () => copies.includes('GET /copied/x?y=1 actions.test'));
    } finally {
      await unlink(join(routes, 'actions.yaml'));
      for (const s of sockets) s.destroy();
      for (const s of [silent, shadow]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    }
  }, 30_000);

  it('answers 504 when a rule’s timeouts.backendRequest expires (HTTPRouteTimeoutBackendRequest)', async () => {
    // Needs the router's 504 for backendRequest expiry (router branch of the same session).
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => {});
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    await writeFile(join(dir, 'namers', 'silent2'), `127.0.0.1 ${(silent.address() as AddressInfo).port}\n`);
    try {
      await writeFile(
        join(routes, 'backend-timeout.yaml'),
        route(
          'backend-timeout',
          `  hostnames: [backend-timeout.test]
  rules:
  - timeouts: {backendRequest: 300ms}
    backendRefs: [{name: silent2, port: 80}]
`,
        ),
      );
      // The route and the namer's new file are picked up on their own schedules.
      await eventually(async () => ![404, 502].includes((await get('backend-timeout.test')).status), 20_000);
      const t0 = Date.now();
      const answer = await get('backend-timeout.test', '/x');
      const took = Date.now() - t0;
      expect(answer.status).toBe(504);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(5000);
    } finally {
      await unlink(join(routes, 'backend-timeout.yaml'));
      for (const s of sockets) s.destroy();
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  }, 40_000);

  it('reports a broken manifest with file:line:col and keeps the last good routes', async () => {
    const file = join(routes, 'broken.yaml');
    await writeFile(file, 'kind: HTTPRoute\nmetadata: {name: x\n');
    await eventually(async () => /broken\.yaml:\d+:\d+: not valid YAML/.test(stderr()));
    expect(stderr()).toMatch(/"msg":"identifiers:gatewayProblem"/);
    expect((await get('world.v2')).body).toBe('earth (127.0.0.1)!\n');
    await unlink(file);
  });
});

describe('docs/gateway-api.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/gateway-api.md', import.meta.url)), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const configs = blocks.filter((b) => /^routers:/m.test(b));

  it('has config snippets, and every one passes the binary --check', async () => {
    expect(configs.length).toBeGreaterThanOrEqual(2);
    const dir = await mkdtemp(join(tmpdir(), 'sy-gateway-doc-'));
    try {
      // --check verifies that the directories the snippets name exist, as start-up would.
      for (const sub of ['disco', 'gateway']) await mkdir(join(dir, sub));
      for (const [i, text] of configs.entries()) {
        const file = join(dir, `snippet-${i}.yaml`);
        await writeFile(file, text);
        let out = '';
        const code = await run(parseCommand(['--check', '--config', file]), {
          stdout: (t) => {
            out += t;
          },
          stderr: (t) => {
            out += t;
          },
        });
        expect({ i, code, out }).toEqual({
          i,
          code: EXIT.ok,
          out: expect.stringContaining('configuration is valid'),
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows the hello-world manifests and the example config as they are in examples/ingress', () => {
    const manifests = blocks.find((b) => b.includes('kind: GatewayClass'))!;
    const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());
    expect(docs(manifests)).toEqual(docs(readFileSync(helloWorld, 'utf8')));
    const example = readFileSync(
      fileURLToPath(new URL('../config/gateway-api-controller.yaml', import.meta.url)),
      'utf8',
    );
    expect(parse(configs[0]!)).toEqual(parse(example));
  });
});
