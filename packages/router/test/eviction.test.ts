/**
 * The eviction hook (#16): a service or client the binding caches drop (idle for idleTtlSecs)
 * is reported to `RouterOptions.onEvicted` and to path/client layers' `evicted`, once each.
 */
import { Path } from '@switchyard/dtab';
import { eventually, httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { PathLayer, RouterEviction } from '../src/index.js';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(200);

const show = (e: RouterEviction) =>
  e.kind === 'service' ? `service ${Path.show(e.name)}` : `client ${e.id}`;

describe('eviction hook', () => {
  it('reports idle services and clients to onEvicted and to the layers, and the name binds again', async () => {
    const web = await backend((req, res) => {
      req.resume();
      res.end('web');
    });
    const seen: string[] = [];
    const layerSeen: string[] = [];
    const tagging: PathLayer = {
      kind: 'path',
      role: 'tagging',
      description: 'keeps per-name state',
      layer: (next) => next,
      evicted: (e) => layerSeen.push(show(e)),
    };
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${web.port}`, {
      bindingCache: { idleTtlSecs: 1 },
      onEvicted: (e) => seen.push(show(e)),
      layers: { path: [tagging] },
    });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('web');
    expect(seen).toEqual([]);
    await eventually(() => seen.length === 2, { timeoutMs: 10_000 });
    const expected = ['service /svc/web', `client /$/inet/127.0.0.1/${web.port}`];
    expect([...seen].sort()).toEqual([...expected].sort());
    expect([...layerSeen].sort()).toEqual([...expected].sort());
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('web');
  });
});
