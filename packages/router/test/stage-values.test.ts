/**
 * Stage values: typed layers see the value of their stack (server: the request as received,
 * with where it arrived; path: the bound request once; client: each attempt), rewrites hand on a
 * new value without changing the one a layer was given, misplaced layers are refused by name, and
 * observers read what the stacks learned from the request record.
 */
import type { RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import {
  type ClientLayer,
  createRouter,
  InvalidRouterOptionsError,
  type PathLayer,
  type ServerLayer,
  withHeaders,
} from '../src/index.js';
import { fixtures, headerIdentifier } from './helpers.js';

const { backend, router } = fixtures(1000);

describe('stage values', () => {
  it('hands each typed layer the value of its stack, and a rewrite reaches the endpoint', async () => {
    const b = await backend((req, res) => res.end(`${req.headers['x-tag']}|${req.headers['x-path']}`));
    const seen: string[] = [];
    let heads: { given: RequestHead; after: string | undefined } | undefined;
    const tag: ServerLayer = {
      kind: 'server',
      role: 'tag',
      description: 'adds x-tag',
      layer: (next) => (request) => {
        const head = request.head;
        seen.push(`server ${head.method} ${head.url} local=${head.localAddress}:${head.localPort}`);
        const promise = next({ ...request, head: withHeaders(head, { 'x-tag': 'tagged' }) });
        heads = { given: head, after: head.headers['x-tag'] as string | undefined };
        return promise;
      },
    };
    const service: PathLayer = {
      kind: 'path',
      role: 'service-name',
      description: 'sends the bound service name',
      layer: (next) => (bound) => {
        seen.push(`path ${bound.service.name} ${bound.client.id} ${Path.show(bound.identified.dst)}`);
        const head = bound.identified.request.head;
        return next({
          ...bound,
          identified: {
            ...bound.identified,
            request: { ...bound.identified.request, head: withHeaders(head, { 'x-path': 'yes' }) },
          },
        });
      },
    };
    const attempt: ClientLayer = {
      kind: 'client',
      role: 'attempt',
      description: 'records the endpoint after each attempt',
      layer: (next) => async (bound) => {
        const held = await next(bound);
        seen.push(`client ${bound.identified.request.exchange.record.endpoint}`);
        return held;
      },
    };
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: [tag], path: [service], client: [attempt] },
    });
    expect(r.stacks.server.map((l) => l.role).slice(-2)).toEqual(['tag', 'identify']);
    expect(r.stacks.path.map((l) => l.role)).toEqual(['bind', 'service-name', 'route-timeout', 'retries']);
    const reply = await httpRequest(port, { path: '/a', headers: { 'x-dst': 'web' } });
    expect([reply.status, reply.body]).toEqual([200, 'tagged|yes']);
    const bound = `/$/inet/127.0.0.1/${b.port}`;
    expect(seen).toEqual([
      `server GET /a local=127.0.0.1:${port}`,
      `path /svc/web ${bound} /svc/web`,
      `client 127.0.0.1:${b.port}`,
    ]);
    // The head the layer was given is unchanged by its own rewrite.
    expect(heads?.after).toBeUndefined();
  });

  it('gives the identifier the arrival port (a listener-by-port choice)', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    const ports: (number | undefined)[] = [];
    const byPort = async (head: RequestHead) => {
      ports.push(head.localPort);
      return head.localPort === undefined
        ? unidentified<RequestHead>('no local port')
        : identified(['svc', 'web'], head);
    };
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, { identifier: byPort });
    expect((await httpRequest(port, {})).status).toBe(200);
    expect(ports).toEqual([port]);
  });

  it('lets observers read the record: name, service, bound client and endpoint', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    const records: unknown[] = [];
    const observe: ServerLayer = {
      kind: 'server',
      role: 'observe',
      description: 'reads the record when the response ends',
      layer: (next) => (request) => {
        const { record, res } = request.exchange;
        res.once('close', () => records.push({ ...record, dst: record.dst && Path.show(record.dst) }));
        return next(request);
      },
    };
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: (defaults) => [observe, ...defaults] },
    });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
    expect((await httpRequest(port, { headers: {} })).status).toBe(400);
    expect(records).toEqual([
      {
        dst: '/svc/web',
        service: '/svc/web',
        client: `/$/inet/127.0.0.1/${b.port}`,
        endpoint: `127.0.0.1:${b.port}`,
        requestId: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
      {
        dst: undefined,
        service: undefined,
        client: undefined,
        endpoint: undefined,
        requestId: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
    ]);
  });

  it('refuses a typed layer where its value does not exist, naming it', () => {
    const misplaced: ClientLayer = {
      kind: 'client',
      role: 'too-early',
      description: 'a client layer in the server stack',
      layer: (next) => next,
    };
    const build = () =>
      createRouter({
        servers: [{ port: 0 }],
        identifier: headerIdentifier(),
        interpreter: { bind: () => ({}) as never },
        layers: { server: (defaults) => [misplaced, ...defaults] },
      });
    expect(build).toThrow(InvalidRouterOptionsError);
    expect(build).toThrow(
      'layers.server[0] (too-early, a client layer) cannot stand where the request is inbound',
    );
  });

  it('builds the path stack per service and the client stack per bound name, once each', async () => {
    const web = await backend((_req, res) => res.end('web'));
    const api = await backend((_req, res) => res.end('api'));
    const built = { path: 0, client: 0 };
    const perService: string[] = [];
    const count: PathLayer = {
      kind: 'path',
      role: 'count',
      description: 'counts requests per instance',
      layer: (next) => {
        built.path++;
        let n = 0;
        return (bound) => {
          perService.push(`${bound.service.name}#${++n}`);
          return next(bound);
        };
      },
    };
    const clients: ClientLayer = {
      kind: 'client',
      role: 'clients',
      description: 'one instance per bound name',
      layer: (next) => {
        built.client++;
        return next;
      },
    };
    const dtab = `/svc/web => /$/inet/127.0.0.1/${web.port}; /svc/api => /$/inet/127.0.0.1/${api.port}`;
    const { port } = await router(dtab, { layers: { path: [count], client: [clients] } });
    // One trial composition at construction checks the layers.
    expect(built).toEqual({ path: 1, client: 1 });
    for (const dst of ['web', 'api', 'web', 'api', 'web']) {
      expect((await httpRequest(port, { headers: { 'x-dst': dst } })).body).toBe(dst);
    }
    expect(built).toEqual({ path: 3, client: 3 });
    expect(perService).toEqual(['/svc/web#1', '/svc/api#1', '/svc/web#2', '/svc/api#2', '/svc/web#3']);
  });
});
