/**
 * The admin prints each router's three stacks (Linkerd 1 printed its modules): a real admin
 * server over a real router, user layers of each stack included, in the order they run.
 */
import { createAdminServer } from '@switchyard/admin';
import { Activity } from '@switchyard/core';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientLayer, PathLayer, ServerLayer } from '../src/index.js';
import { fixtures } from './helpers.js';

const { backend, router, cleanup } = fixtures(1000);

describe('admin stacks', () => {
  it('serves /admin/stacks.json with role and description of every layer, per router', async () => {
    const b = await backend();
    const auth: ServerLayer = {
      kind: 'server',
      role: 'auth',
      description: 'checks a token',
      layer: (next) => next,
    };
    const spans: PathLayer = {
      kind: 'path',
      role: 'spans',
      description: 'a span per request',
      layer: (next) => next,
    };
    const attempts: ClientLayer = {
      kind: 'client',
      role: 'attempts',
      description: 'counts attempts',
      layer: (next) => next,
    };
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      label: 'edge',
      layers: { server: [auth], path: [spans], client: [attempts] },
    });
    const admin = createAdminServer({
      port: 0,
      routers: [
        {
          label: r.label,
          servers: () => r.servers.map((s) => ({ ip: s.ip, port: s.port })),
          dtab: () => r.dtab,
          delegate: () => Activity.toPromise(Activity.pending()),
          clients: () => [],
          stacks: () => r.stacks,
        },
      ],
    });
    await admin.listen();
    cleanup.push(() => admin.close());
    const port = Number(new URL(admin.url).port);

    const reply = await httpRequest(port, { path: '/admin/stacks.json' });
    expect(reply.status).toBe(200);
    const doc = JSON.parse(reply.body) as {
      router: string;
      stacks: Record<string, { role: string; description: string }[]>;
    }[];
    expect(doc).toHaveLength(1);
    expect(doc[0]!.router).toBe('edge');
    const roles = Object.fromEntries(
      Object.entries(doc[0]!.stacks).map(([k, v]) => [k, v.map((l) => l.role)]),
    );
    expect(roles).toEqual({
      server: [
        'server-stats',
        'rescue',
        'admission',
        'request-line',
        'context',
        'call-depth',
        'proxy-rewrite',
        'auth',
        'identify',
      ],
      path: ['bind', 'spans', 'route-timeout', 'retries'],
      client: ['mirror', 'attempts'],
    });
    expect(doc[0]!.stacks.server).toContainEqual({ role: 'auth', description: 'checks a token' });
    expect(doc[0]!.stacks.client).toContainEqual({ role: 'attempts', description: 'counts attempts' });
    // Exactly the router's own listing, layer by layer.
    expect(doc[0]!.stacks).toEqual(JSON.parse(JSON.stringify(r.stacks)));
    // Listed in the admin's index with the other endpoints.
    const index = JSON.parse((await httpRequest(port, { path: '/admin' })).body) as {
      endpoints: { path: string }[];
    };
    expect(index.endpoints.map((e) => e.path)).toContain('/admin/stacks.json');
  });
});
