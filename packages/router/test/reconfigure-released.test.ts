/**
 * `Router.reconfigure(...).released` on real sockets: after an interpreter change it resolves
 * once the retired binding cache closed — right after the last request bound through the old
 * interpreter ended, long before `graceMs` — so a reload can close the old namers then.
 */
import type http from 'node:http';
import { Addr, address, createInterpreter } from '@switchyard/core';
import { eventually, httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, testNamer } from './helpers.js';

const { backend, router } = fixtures(500);

describe('reconfigure released', () => {
  it('resolves when the last request on the old interpreter ended, not after graceMs', async () => {
    const held: http.ServerResponse[] = [];
    const b = await backend((req, res) => {
      req.resume();
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
    });
    const a = testNamer();
    a.addr('web').update(Addr.bound([address('127.0.0.1', b.port)]));
    const { router: r, port } = await router('/svc => /#/test', {
      interpreter: createInterpreter({ namers: [a.entry] }),
    });
    const inflight = httpRequest(port, { path: '/hold', headers: { 'x-dst': 'web' } });
    await eventually(() => held.length === 1, { timeoutMs: 10_000, what: 'the held request' });

    const c = testNamer();
    c.addr('web').update(Addr.bound([address('127.0.0.1', b.port)]));
    let released = false;
    const { released: done } = r.reconfigure({
      interpreter: createInterpreter({ namers: [c.entry] }),
      graceMs: 60_000,
    });
    void done.then(() => {
      released = true;
    });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(released).toBe(false);

    for (const res of held.splice(0)) res.end('released');
    expect((await inflight).body).toBe('released');
    await eventually(() => released, { timeoutMs: 2_000, what: 'released after the held request' });
    // Nothing is retiring now: a change without a new interpreter or policies resolves at once.
    await r.reconfigure({ dtab: r.dtab }).released;
  });
});
