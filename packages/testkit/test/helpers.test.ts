/** The shared test helpers: httpGet over a real socket (Host header, body), eventually's timeout. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, httpGet } from '../src/index.js';

describe('httpGet', () => {
  it('sends the Host header and extra headers it is given, and reads status, headers and body', async () => {
    const server = createServer((req, res) => {
      res.setHeader('x-seen-host', req.headers.host ?? '');
      res.statusCode = 201;
      res.end(`hello ${req.headers['x-who']}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const a = await httpGet(`http://127.0.0.1:${port}/x?y=1`, {
        host: 'world.v2',
        headers: { 'x-who': 'me' },
      });
      expect(a).toMatchObject({ status: 201, body: 'hello me' });
      expect(a.headers['x-seen-host']).toBe('world.v2');
    } finally {
      server.close();
    }
  });
});

describe('eventually', () => {
  it('resolves once the (sync or async) check holds', async () => {
    let n = 0;
    await eventually(() => ++n >= 3);
    expect(n).toBe(3);
    await eventually(async () => ++n >= 5);
    expect(n).toBe(5);
  });

  it('rejects after the timeout naming the condition, with the last value when given a function', async () => {
    let last = 0;
    await expect(
      eventually(() => ++last < 0, { timeoutMs: 30, what: () => `never (last ${last})` }),
    ).rejects.toThrow(/^never \(last \d+\) not reached within 30 ms$/);
  });
});
