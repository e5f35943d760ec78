/**
 * The admin's mutating routes as the config wires them, over real sockets: the signed-override
 * mint (`POST /admin/dtab-overrides/mint`) refusing what it must, and the dtab store apply route
 * (`PUT /admin/dtab-store/<router>`) writing a real file store and the test API server's Dtab
 * resource with optimistic concurrency (a stale version is 409 and changes nothing).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dtab } from '@switchyard/dtab';
import {
  createKubeClient,
  defineResource,
  type KubeClient,
  type KubeObject,
  urlConfig,
} from '@switchyard/k8s';
import { DTAB_V1ALPHA1 } from '@switchyard/namers/dtab-store';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get as httpGet, textBackend } from './http.js';

const kinds = createDefaultKinds();
const TOKEN = randomBytes(24).toString('hex');
const CRD_FILE = fileURLToPath(new URL('../../../examples/ingress/k8s/base/dtab-crd.yaml', import.meta.url));

let dir: string;
let blue: { server: Server; port: number };
let green: { server: Server; port: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-admin-mutations-'));
  await mkdir(join(dir, 'dtabs'));
  // Hex: random bytes may end in a newline, which the key reader trims (a 31-byte key fails the check).
  await writeFile(join(dir, 'k1.key'), randomBytes(32).toString('hex'));
  blue = await textBackend('blue');
  green = await textBackend('green');
  await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
  await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
});

afterAll(async () => {
  blue.server.close();
  green.server.close();
  await rm(dir, { recursive: true, force: true });
});

function configText(options: { control: boolean; router: string }): string {
  return `admin:
  port: 0
  ip: 127.0.0.1
${options.control ? `  security: {controlEnabled: true, controlToken: ${TOKEN}}\n` : ''}namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: edge
  dtab: /svc/web => /#/io.l5d.fs/blue
  servers:
  - port: 0
    ip: 127.0.0.1
${options.router}`;
}

async function start(options: { control: boolean; router: string }): Promise<Linker> {
  const linker = await Linker.start(parseLinkerConfig(configText(options), 'linker.yaml', kinds), {
    kinds,
    baseDir: dir,
  });
  for (let i = 0; i < 500 && !linker.ready; i++) await new Promise((r) => setTimeout(r, 10));
  expect(linker.ready).toBe(true);
  return linker;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

async function call(
  linker: Linker,
  method: string,
  path: string,
  init: { token?: string; body?: unknown; origin?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${linker.admin!.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.origin === undefined ? {} : { origin: init.origin }),
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
}

const routed = async (linker: Linker) =>
  (await httpGet(linker.routers[0]!.servers[0]!.port, { path: '/', headers: { host: 'web' } })).body;

const SIGNED = `  signedDtabOverrides:
    cookie: l5d-override
    maxTtlSecs: 3600
    keys:
    - {id: k1, secretPath: k1.key}
`;

describe('POST /admin/dtab-overrides/mint', () => {
  const good = { router: 'edge', dtab: '/svc/web => /#/io.l5d.fs/green', ttlSecs: 600 };

  it('does not exist while admin control is off, even with a token', async () => {
    const linker = await start({ control: false, router: SIGNED });
    try {
      const res = await call(linker, 'POST', '/admin/dtab-overrides/mint', { token: TOKEN, body: good });
      expect(res.status).toBe(404);
      expect(res.text).toBe('not found: /admin/dtab-overrides/mint\n');
    } finally {
      await linker.close();
    }
  });

  describe('with control on', () => {
    let linker: Linker;
    beforeAll(async () => {
      linker = await start({ control: true, router: SIGNED });
    });
    afterAll(async () => {
      await linker.close();
    });

    it('refuses a request without a token, or with a wrong one, before reading it', async () => {
      const none = await call(linker, 'POST', '/admin/dtab-overrides/mint', { body: good });
      expect([none.status, none.text]).toEqual([
        401,
        '/admin/dtab-overrides/mint requires Authorization: Bearer <token>\n',
      ]);
      const wrong = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
        token: `${TOKEN}x`,
        body: good,
      });
      expect([wrong.status, wrong.text]).toEqual([401, 'invalid bearer token\n']);
    });

    it('refuses a cross-origin POST even with the token', async () => {
      const res = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
        token: TOKEN,
        body: good,
        origin: 'http://evil.example',
      });
      expect(res.status).toBe(403);
    });

    it('refuses a bad dtab, naming the field and the place', async () => {
      const res = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
        token: TOKEN,
        body: { ...good, dtab: '/svc/web =>' },
      });
      expect(res.status).toBe(400);
      expect(res.json<{ error: string }>().error).toMatch(/dtab.*line 1 column 12/);
      const notString = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
        token: TOKEN,
        body: { ...good, dtab: 42 },
      });
      expect([notString.status, notString.json()]).toEqual([400, { error: 'dtab: expected a string' }]);
    });

    it('refuses a TTL that is missing, not an integer, below 1 or above maxTtlSecs', async () => {
      for (const ttlSecs of [undefined, 0, 1.5, '600', 3601]) {
        const res = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
          token: TOKEN,
          body: { ...good, ttlSecs },
        });
        expect([ttlSecs, res.status, res.json()]).toEqual([
          ttlSecs,
          400,
          { error: 'ttlSecs: expected an integer from 1 to 3600' },
        ]);
      }
    });

    it('refuses a body that is not JSON, and an unknown router', async () => {
      const notJson = await call(linker, 'POST', '/admin/dtab-overrides/mint', { token: TOKEN, body: '{' });
      expect(notJson.status).toBe(400);
      expect(notJson.json<{ error: string }>().error).toMatch(/^body is not JSON/);
      const unknown = await call(linker, 'POST', '/admin/dtab-overrides/mint', {
        token: TOKEN,
        body: { ...good, router: 'nope' },
      });
      expect([unknown.status, unknown.json()]).toEqual([
        400,
        { error: 'router: no router labelled "nope"', routers: ['edge'] },
      ]);
    });

    it('mints a cookie the router honours', async () => {
      const res = await call(linker, 'POST', '/admin/dtab-overrides/mint', { token: TOKEN, body: good });
      expect(res.status).toBe(200);
      const minted = res.json<{ cookie: string; value: string }>();
      expect(minted.cookie).toBe('l5d-override');
      const port = linker.routers[0]!.servers[0]!.port;
      const reply = await httpGet(port, {
        path: '/',
        headers: { host: 'web', cookie: `l5d-override=${minted.value}` },
      });
      expect(reply.body).toBe('green');
      expect(await routed(linker)).toBe('blue');
    });
  });
});

const FS_STORE = `  dtabStore:
    kind: io.l5d.fs
    dir: dtabs
    pollIntervalMs: 50
`;

describe('PUT /admin/dtab-store/<router> with the file store', () => {
  it('is absent while control is off; the store is still readable', async () => {
    const linker = await start({ control: false, router: FS_STORE });
    try {
      const put = await call(linker, 'PUT', '/admin/dtab-store/edge', {
        token: TOKEN,
        body: { dtab: '/svc/web => /#/io.l5d.fs/green', version: null },
      });
      expect(put.status).toBe(404);
      const list = await call(linker, 'GET', '/admin/dtab-store.json');
      expect(list.json()).toEqual([
        { router: 'edge', kind: 'io.l5d.fs', name: 'edge', version: null, dtab: null },
      ]);
    } finally {
      await linker.close();
    }
  });

  describe('with control on', () => {
    let linker: Linker;
    beforeAll(async () => {
      await rm(join(dir, 'dtabs', 'edge'), { force: true });
      linker = await start({ control: true, router: FS_STORE });
    });
    afterAll(async () => {
      await linker.close();
    });

    const put = (body: unknown, token: string | null = TOKEN) =>
      call(linker, 'PUT', '/admin/dtab-store/edge', { ...(token === null ? {} : { token }), body });

    it('refuses a missing or wrong token, a cross-origin PUT, and bad bodies, changing nothing', async () => {
      const body = { dtab: '/svc/web => /#/io.l5d.fs/green', version: null };
      expect((await put(body, null)).status).toBe(401);
      expect((await put(body, `${TOKEN}x`)).status).toBe(401);
      const cross = await call(linker, 'PUT', '/admin/dtab-store/edge', {
        token: TOKEN,
        body,
        origin: 'http://evil.example',
      });
      expect([cross.status, cross.text]).toEqual([403, 'cross-origin PUT refused\n']);
      const bad = await put({ dtab: '/svc/web =>', version: null });
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/^invalid dtab: .*line 1 column 12/);
      const noVersion = await put({ dtab: '/svc/web => /#/io.l5d.fs/green' });
      expect([noVersion.status, noVersion.text]).toEqual([
        400,
        '`version` is required: the version read from /admin/dtab-store.json, or null when nothing is stored\n',
      ]);
      expect((await put('[1]')).status).toBe(400);
      expect((await put('{')).text).toMatch(/^body is not JSON/);
      const unknown = await call(linker, 'PUT', '/admin/dtab-store/other', { token: TOKEN, body });
      expect(unknown.status).toBe(404);
      expect(await routed(linker)).toBe('blue');
      await expect(readFile(join(dir, 'dtabs', 'edge'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('writes the file when the version read is current, and the router follows', async () => {
      const res = await put({ dtab: '/svc/web => /#/io.l5d.fs/green', version: null });
      expect(res.status).toBe(200);
      const written = res.json<{ version: string; dtab: string }>();
      expect(written).toMatchObject({ router: 'edge', name: 'edge', dtab: '/svc/web=>/#/io.l5d.fs/green' });
      expect(Dtab.show(Dtab.read(await readFile(join(dir, 'dtabs', 'edge'), 'utf8')))).toBe(
        '/svc/web=>/#/io.l5d.fs/green',
      );
      for (let i = 0; i < 500 && (await routed(linker)) !== 'green'; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(await routed(linker)).toBe('green');
      const list = await call(linker, 'GET', '/admin/dtab-store.json');
      expect(list.json()).toEqual([{ router: 'edge', kind: 'io.l5d.fs', name: 'edge', ...written }]);
      // The dashboard feed carries the same state.
      const feed = (await call(linker, 'GET', '/admin/dashboard.json')).json<{
        routers: { dtabStore: unknown }[];
        control: string[];
      }>();
      expect(feed.routers[0]!.dtabStore).toEqual({
        kind: 'io.l5d.fs',
        name: 'edge',
        version: written.version,
        dtab: written.dtab,
      });
      expect(feed.control).toContain('/admin/dtab-store/edge');
    });

    it('answers 409 with what the store holds when the version read is stale, and changes nothing', async () => {
      const current = (await call(linker, 'GET', '/admin/dtab-store.json')).json<{ version: string }[]>()[0]!;
      // Someone else edits the file (a second operator, a GitOps sync).
      await writeFile(join(dir, 'dtabs', 'edge'), '/svc/web => /#/io.l5d.fs/blue\n');
      const stale = await put({ dtab: '/svc/web => /#/io.l5d.fs/green', version: current.version });
      expect(stale.status).toBe(409);
      const body = stale.json<{ error: string; current: { version: string | null } }>();
      expect(body.error).toMatch(/changed since version/);
      expect(body.current).toMatchObject({ router: 'edge', name: 'edge' });
      expect(await readFile(join(dir, 'dtabs', 'edge'), 'utf8')).toBe('/svc/web => /#/io.l5d.fs/blue\n');
      // Nothing stored yet is a version too: `null` is stale once a file exists.
      expect((await put({ dtab: '/svc/web => /#/io.l5d.fs/green', version: null })).status).toBe(409);
    });
  });
});

describe('PUT /admin/dtab-store/<router> with the Kubernetes store (test API server)', () => {
  let api: FakeKubeApi;
  let client: KubeClient;
  let linker: Linker;
  const cluster = (plural: string, kind: string, group: string) =>
    defineResource<KubeObject>({ group, version: 'v1', plural, kind, namespaced: false });

  beforeAll(async () => {
    api = await startFakeKubeApi();
    client = createKubeClient(urlConfig(api.url));
    await client.create(
      cluster('customresourcedefinitions', 'CustomResourceDefinition', 'apiextensions.k8s.io'),
      parse(await readFile(CRD_FILE, 'utf8')) as KubeObject,
    );
    const { port } = new URL(api.url);
    linker = await start({
      control: true,
      router: `  dtabStore:\n    kind: io.l5d.k8s\n    host: 127.0.0.1\n    port: ${port}\n`,
    });
  });
  afterAll(async () => {
    await linker?.close();
    await client?.close();
    await api?.close();
  });

  it('creates and updates the Dtab resource by resourceVersion; a stale one is 409', async () => {
    const created = await call(linker, 'PUT', '/admin/dtab-store/edge', {
      token: TOKEN,
      body: { dtab: '/svc/web => /#/io.l5d.fs/green', version: null },
    });
    expect(created.status).toBe(200);
    const first = created.json<{ version: string }>();
    const resource = await client.get(DTAB_V1ALPHA1, 'default', 'edge');
    expect(resource?.metadata.resourceVersion).toBe(first.version);
    expect(Dtab.show(Dtab.read(String(resource?.spec?.dtab)))).toBe('/svc/web=>/#/io.l5d.fs/green');
    for (let i = 0; i < 500 && (await routed(linker)) !== 'green'; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await routed(linker)).toBe('green');

    const updated = await call(linker, 'PUT', '/admin/dtab-store/edge', {
      token: TOKEN,
      body: { dtab: '/svc/web => /#/io.l5d.fs/blue', version: first.version },
    });
    expect(updated.status).toBe(200);
    const stale = await call(linker, 'PUT', '/admin/dtab-store/edge', {
      token: TOKEN,
      body: { dtab: '/svc/web => /#/io.l5d.fs/green', version: first.version },
    });
    expect(stale.status).toBe(409);
    expect(stale.json<{ error: string }>().error).toMatch(/changed since version/);
    const after = await client.get(DTAB_V1ALPHA1, 'default', 'edge');
    expect(Dtab.show(Dtab.read(String(after?.spec?.dtab)))).toBe('/svc/web=>/#/io.l5d.fs/blue');
  });
});
