/**
 * `Linker.reload` of every section through real sockets: servers added and removed (a removed
 * one drains its in-flight request), namers, telemetry (the old exporter flushed and closed),
 * limits, the admin moved to another port, and a reload that fails half-way changing nothing,
 * with its error in `/admin/config.json` and `config/reloads/failed`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createTestPki, freePort, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, holdingBackend, listen } from './http.js';
import { startZipkinCollector, type ZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();

/** Whether something accepts connections on the port. */
async function accepting(port: number): Promise<boolean> {
  return get(port, { path: '/admin/ping' }).then(
    () => true,
    () => false,
  );
}

interface Shape {
  readonly admin: number;
  readonly ports: readonly number[];
  readonly root: string;
  readonly zipkin?: number;
  readonly limits?: string;
  readonly dtab?: string;
  readonly store?: string;
}

function text(s: Shape): string {
  return `admin: {port: ${s.admin}, ip: 127.0.0.1}
namers:
- kind: io.l5d.fs
  rootDir: ${s.root}
routers:
- protocol: http
  label: edge
  servers:
${s.ports.map((p) => `  - {port: ${p}, ip: 127.0.0.1}`).join('\n')}
  dtab: ${s.dtab ?? '/svc => /#/io.l5d.fs'}
${s.store === undefined ? '' : `  dtabStore: {kind: io.l5d.fs, dir: ${s.store}, pollIntervalMs: 50}`}
${s.limits ?? ''}
${
  s.zipkin === undefined
    ? ''
    : `telemetry:
- {kind: io.l5d.zipkin, host: 127.0.0.1, port: ${s.zipkin}, sampleRate: 1.0}`
}
`;
}

describe('reload of every section', () => {
  let dir: string;
  let linker: Linker;
  let shape: Shape;
  const held: ServerResponse[] = [];
  const spans: unknown[] = [];
  let backends: Server[];
  let collector: ZipkinCollector<(typeof spans)[number]>;
  let zipkinPort: number;
  const reload = (next: Partial<Shape>) => {
    shape = { ...shape, ...next };
    return linker.reload(parseLinkerConfig(text(shape), 'reload.yaml', kinds));
  };
  const web = (port: number, path = '/') => get(port, { path, headers: { host: 'web' } });
  const adminJson = async (path: string) => JSON.parse((await get(shape.admin, { path })).body);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-reload-all-'));
    backends = [holdingBackend('blue', held), holdingBackend('green', held)];
    const [bluePort, greenPort] = [await listen(backends[0]!), await listen(backends[1]!)];
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'web'), `127.0.0.1 ${bluePort}\n`);
    await writeFile(join(dir, 'b', 'web'), `127.0.0.1 ${greenPort}\n`);
    collector = await startZipkinCollector(spans);
    zipkinPort = collector.port;
    shape = { admin: await freePort(), ports: [await freePort()], root: join(dir, 'a') };
    linker = await Linker.start(parseLinkerConfig(text(shape), 'reload.yaml', kinds), {
      kinds,
      baseDir: dir,
    });
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.end();
    await linker.close();
    for (const b of backends) b.close();
    collector.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a server, then removes the first one, whose in-flight request finishes', async () => {
    const [first] = shape.ports;
    expect((await web(first!)).body).toBe('blue');
    const second = await freePort();
    expect(await reload({ ports: [first!, second] })).toEqual({
      kind: 'applied',
      changes: ['routers[0].servers'],
    });
    expect((await web(second)).body).toBe('blue');
    const inflight = web(first!, '/hold');
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const removing = reload({ ports: [second] });
    // The removed port stops accepting at once while its request is still in flight.
    while (await accepting(first!)) await new Promise((r) => setTimeout(r, 5));
    held.shift()!.end('finished');
    expect((await inflight).body).toBe('finished');
    expect(await removing).toEqual({ kind: 'applied', changes: ['routers[0].servers'] });
    expect(linker.routers[0]!.servers.map((s) => s.port)).toEqual([second]);
  });

  it('replaces the namers: names bind again through the new ones', async () => {
    const [port] = shape.ports;
    expect((await web(port!)).body).toBe('blue');
    expect(await reload({ root: join(dir, 'b') })).toEqual({ kind: 'applied', changes: ['namers'] });
    expect((await web(port!)).body).toBe('green');
  });

  it('adds telemetry, then removes it: the old exporter is flushed and closed', async () => {
    const [port] = shape.ports;
    expect(await reload({ zipkin: zipkinPort })).toEqual({ kind: 'applied', changes: ['telemetry'] });
    await web(port!);
    const before = spans.length;
    // Removing the tracer closes its exporter, which sends what it queued before the reload ends.
    expect(await reload({ zipkin: undefined })).toEqual({ kind: 'applied', changes: ['telemetry'] });
    expect(spans.length).toBeGreaterThan(before);
    const after = spans.length;
    await web(port!);
    await new Promise((r) => setTimeout(r, 300));
    expect(spans.length).toBe(after);
  });

  it('applies limits live', async () => {
    const [port] = shape.ports;
    expect(await reload({ limits: '  limits:\n    server: {rps: 0.01, burst: 1}' })).toEqual({
      kind: 'applied',
      changes: ['routers[0].limits'],
    });
    expect((await web(port!)).status).toBe(200);
    expect((await web(port!)).status).toBe(429);
    expect(await reload({ limits: '' })).toEqual({ kind: 'applied', changes: ['routers[0].limits'] });
    expect((await web(port!)).status).toBe(200);
  });

  it('adds a dtab store, whose dentries follow the config dtab, then removes it', async () => {
    const [port] = shape.ports;
    const stores = join(dir, 'stores');
    await mkdir(stores);
    const blue = `/svc/web => /$/inet/127.0.0.1/${(backends[0]!.address() as { port: number }).port}\n`;
    await writeFile(join(stores, 'edge'), blue);
    const until = async (body: string) => {
      const deadline = Date.now() + 5000;
      while ((await web(port!)).body !== body && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      return (await web(port!)).body;
    };
    expect(await reload({ store: stores })).toEqual({ kind: 'applied', changes: ['routers[0].dtabStore'] });
    // The stored dentry applies after the config dtab once the store answered (a poll away).
    expect(await until('blue')).toBe('blue');
    await writeFile(join(stores, 'edge'), '# empty\n');
    expect(await until('green')).toBe('green');
    await writeFile(join(stores, 'edge'), blue);
    expect(await until('blue')).toBe('blue');
    // Removed: the stored dentries go with it.
    expect(await reload({ store: undefined })).toEqual({
      kind: 'applied',
      changes: ['routers[0].dtabStore', 'routers[0].dtab'],
    });
    expect((await web(port!)).body).toBe('green');
  });

  it('moves the admin to another port', async () => {
    const old = shape.admin;
    const version = (await adminJson('/admin/config.json')).version;
    const moved = await freePort();
    expect(await reload({ admin: moved })).toEqual({ kind: 'applied', changes: ['admin'] });
    expect(await accepting(old)).toBe(false);
    const status = await adminJson('/admin/config.json');
    expect(status.version).toBe(version + 1);
    expect(status.config.admin.port).toBe(moved);
  });

  it('a reload that fails half-way changes nothing and is reported', async () => {
    const [port] = shape.ports;
    const busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as { port: number }).port;
    const version = linker.configStatus.version;
    const error = await reload({
      ports: [port!, taken],
      dtab: '/svc => /#/io.l5d.fs; /svc/web => /$/fail',
      root: join(dir, 'a'),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    busy.close();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_START');
    expect((error as ConfigError).message).toContain(
      `reload.yaml:10:12: routers[0].servers[1].port: cannot listen on 127.0.0.1:${taken} (EADDRINUSE)`,
    );
    // Neither the namers nor the dtab changed: still green through the running config.
    expect((await web(port!)).body).toBe('green');
    expect(linker.routers[0]!.servers.map((s) => s.port)).toEqual([port]);
    const status = await adminJson('/admin/config.json');
    expect(status.version).toBe(version);
    expect(status.lastError.file).toBe('reload.yaml:10:12');
    expect(status.lastError.message).toContain('EADDRINUSE');
    const metrics = await adminJson('/admin/metrics.json');
    expect(metrics['config/reloads/failed']).toBe(1);
    expect(metrics['config/reloads/applied']).toBeGreaterThanOrEqual(7);
  });
});

describe('reload of a TLS block', () => {
  let pki: TestPki;
  let linker: Linker;
  let backend: Server;
  let port: number;
  const leaves = new Map<string, { certPath: string; keyPath: string }>();
  const config = (tls: string) => `admin: {port: 0}
routers:
- protocol: http
  servers:
  - port: ${port}
    ip: 127.0.0.1
${tls}
  dtab: /svc/web => /$/inet/127.0.0.1/${(backend.address() as { port: number }).port}
`;
  /**
   * GET over TLS trusting the test CA; resolves with the body and the server certificate's CN.
   * A new connection each time unless an agent is given: an idle keep-alive connection to a
   * replaced server is closed by its drain, and a client reusing it at that moment sees a hang-up.
   */
  const secureGet = (agent: HttpsAgent | false = false) =>
    new Promise<{ body: string; cn: string; socket: TLSSocket }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          servername: 'web.test',
          headers: { host: 'web' },
          ca: pki.ca.certPem,
          agent,
        },
        (res) => {
          const socket = res.socket as TLSSocket;
          const cn = String(socket.getPeerCertificate().subject.CN);
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ body, cn, socket }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    pki = await createTestPki();
    for (const name of ['one', 'two', 'three']) {
      leaves.set(name, await pki.leaf(name, { cn: `${name}.test`, dns: ['web.test'] }));
    }
    backend = createServer((req, res) => {
      req.resume();
      res.end('hello');
    });
    await listen(backend);
    port = await freePort();
    linker = await Linker.start(parseLinkerConfig(config(''), 'tls.yaml', kinds), {
      kinds,
      baseDir: pki.dir,
      admin: { port: 0 },
    });
  });

  afterAll(async () => {
    await linker.close();
    backend.close();
    await pki.dispose();
  });

  const tlsBlock = (name: string) =>
    `    tls: {certPath: ${leaves.get(name)!.certPath}, keyPath: ${leaves.get(name)!.keyPath}}`;

  it('turns TLS on for a running port (a drain-and-replace)', async () => {
    expect((await get(port, { headers: { host: 'web' } })).body).toBe('hello');
    expect(await linker.reload(parseLinkerConfig(config(tlsBlock('one')), 'tls.yaml', kinds))).toEqual({
      kind: 'applied',
      changes: ['routers[0].servers'],
    });
    expect(await secureGet()).toMatchObject({ body: 'hello', cn: 'one.test' });
  });

  it('swaps a changed TLS block in place: a keep-alive connection keeps going, a new one gets the new certificate', async () => {
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await secureGet(agent);
      expect(before).toMatchObject({ body: 'hello', cn: 'one.test' });
      for (const name of ['two', 'three']) {
        expect(await linker.reload(parseLinkerConfig(config(tlsBlock(name)), 'tls.yaml', kinds))).toEqual({
          kind: 'applied',
          changes: ['routers[0].servers'],
        });
        // The connection opened before the reloads is the same one, still serving.
        const kept = await secureGet(agent);
        expect(kept.socket).toBe(before.socket);
        expect(kept).toMatchObject({ body: 'hello', cn: 'one.test' });
        expect(await secureGet()).toMatchObject({ body: 'hello', cn: `${name}.test` });
      }
      expect(linker.routers[0]!.servers.map((s) => s.port)).toEqual([port]);
      // The admin's certificate view follows the swap.
      expect(linker.ready).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});
