import { createInterpreter } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createRouter, InvalidRouterOptionsError } from '../src/index.js';
import { listenHasReusePort, validateReusePort } from '../src/server/reuse-port.js';
import { planServers } from '../src/server-reload.js';
import { fixtures, headerIdentifier } from './helpers.js';

const { cleanup, backend, router } = fixtures(500);
const supported = listenHasReusePort();

describe('RouterServerOptions.reusePort', () => {
  it('knows which Node versions have listen({ reusePort })', () => {
    expect(listenHasReusePort('20.20.2')).toBe(false);
    expect(listenHasReusePort('22.11.0')).toBe(false);
    expect(listenHasReusePort('22.12.0')).toBe(true);
    expect(listenHasReusePort('23.0.0')).toBe(false);
    expect(listenHasReusePort('23.1.0')).toBe(true);
    expect(listenHasReusePort('24.0.0')).toBe(true);
  });

  it('refuses a non-boolean, and reusePort on a Node without it, naming the field', () => {
    expect(() => validateReusePort('yes', 'servers[1].reusePort', '24.1.0')).toThrow(
      'servers[1].reusePort must be a boolean, got yes',
    );
    expect(() => validateReusePort(true, 'servers[0].reusePort', '20.20.2')).toThrow(
      /^servers\[0\]\.reusePort: reusePort needs Node >= 22\.12 .*this is 20\.20\.2$/,
    );
    expect(validateReusePort(undefined, 'x')).toBe(false);
    expect(validateReusePort(false, 'x', '20.20.2')).toBe(false);
  });

  it('a reload that turns reusePort on or off replaces the listener', () => {
    const plan = planServers(
      [{ port: 8080 }, { port: 8081, reusePort: true }],
      [
        { port: 8080, reusePort: true },
        { port: 8081, reusePort: true },
      ],
    );
    expect(plan.replaced).toEqual([{ previous: 0, next: 0 }]);
    expect([...plan.kept]).toEqual([[1, 1]]);
  });

  it.skipIf(supported)(
    `createRouter refuses reusePort on this Node (${process.versions.node}) with SY_ERR_ROUTER_INVALID_OPTIONS`,
    () => {
      const make = () =>
        createRouter({
          servers: [{ port: 0 }, { port: 0, reusePort: true }],
          identifier: headerIdentifier(),
          interpreter: createInterpreter({ namers: [] }),
        });
      expect(make).toThrow(InvalidRouterOptionsError);
      expect(make).toThrow(/servers\[1\]\.reusePort/);
    },
  );

  it.skipIf(!supported)(
    `two routers bind the same port and both serve (needs Node >= 22.12; this is ${process.versions.node})`,
    async () => {
      const a = await backend((_req, res) => res.end('a'));
      const b = await backend((_req, res) => res.end('b'));
      const first = await router(`/svc/web => /$/inet/127.0.0.1/${a.port}`, {
        servers: [{ port: 0, reusePort: true }],
      });
      // Without reusePort the same port is taken.
      const plain = createRouter({
        servers: [{ port: first.port }],
        identifier: headerIdentifier(),
        interpreter: createInterpreter({ namers: [] }),
        dtab: Dtab.read(`/svc/web => /$/inet/127.0.0.1/${b.port}`),
      });
      cleanup.push(() => plain.close({ graceMs: 0 }));
      await expect(plain.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const second = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
        servers: [{ port: first.port, reusePort: true }],
      });
      expect(second.port).toBe(first.port);
      // The kernel spreads new connections over both listeners (by hash of the client's port).
      const seen = new Set<string>();
      for (let i = 0; i < 200 && seen.size < 2; i++) {
        const reply = await httpRequest(first.port, { headers: { 'x-dst': 'web' } });
        expect(reply.status).toBe(200);
        seen.add(reply.body);
      }
      expect([...seen].sort()).toEqual(['a', 'b']);
      // One router closing leaves the port served by the other.
      await second.router.close({ graceMs: 0 });
      for (let i = 0; i < 5; i++) {
        expect((await httpRequest(first.port, { headers: { 'x-dst': 'web' } })).body).toBe('a');
      }
    },
  );
});
