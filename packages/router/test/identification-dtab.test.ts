/**
 * `Identification.dtab`: an identifier may name a weighted choice by returning a path plus the
 * dentry that defines it (io.l5d.httproute's weighted backendRefs). The router binds that
 * request with base dtab ++ identification dtab ++ local dtab, and caches by its content.
 */
import { type Identifier, identified, type RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(1000);

describe('identification dtab', () => {
  it('binds the identified path through the dtab the identifier returned, per request', async () => {
    const a = await backend();
    const b = await backend();
    const toA = Dtab.read(`/gw/rule => /$/inet/127.0.0.1/${a.port}`);
    const split = Dtab.read(`/gw/rule => 1 * /$/inet/127.0.0.1/${a.port} & 1 * /$/inet/127.0.0.1/${b.port}`);
    const identifier: Identifier<RequestHead> = async (req) =>
      identified(['gw', 'rule'], req, req.headers['x-split'] === '1' ? split : toA);
    // The base dtab alone does not know /gw: without the identification's dtab this is a 502/neg.
    const { port } = await router('/svc => /$/inet/127.0.0.1/1', { identifier });
    const first = await httpRequest(port, { path: '/x' });
    expect(first.status).toBe(200);
    expect(first.body).toBe(`backend:${a.port} GET /x`);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++)
      seen.add((await httpRequest(port, { path: '/y', headers: { 'x-split': '1' } })).body);
    expect(seen).toEqual(new Set([`backend:${a.port} GET /y`, `backend:${b.port} GET /y`]));
    // A request's own dtab still overrides the identifier's dentries.
    const local = await httpRequest(port, {
      path: '/z',
      headers: { 'l5d-dtab': `/gw/rule => /$/inet/127.0.0.1/${b.port}` },
    });
    expect(local.body).toBe(`backend:${b.port} GET /z`);
  });
});
