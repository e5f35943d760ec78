/**
 * The shared test helpers: httpGet over a real socket (Host header, body), eventually's timeout
 * and value, counterValue, tlsHandshake against a real TLS server, certTime, collectPageErrors.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createMetricsRegistry } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  certTime,
  collectPageErrors,
  counterValue,
  createTestPki,
  eventually,
  httpGet,
  type PageErrorEvents,
  tlsHandshake,
} from '../src/index.js';

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

describe('eventually with a lookup', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    const seen = [undefined, null, false, { found: 3 }];
    let i = 0;
    await expect(eventually(() => seen[i++])).resolves.toEqual({ found: 3 });
    expect(i).toBe(4);
  });
});

describe('counterValue', () => {
  it('reads a counter by its whole name or by how it ends, 0 when there is none', () => {
    const stats = createMetricsRegistry();
    stats.counter('rt', 'edge', 'acme', 'orders').incr(2);
    stats.gauge(['rt', 'edge', 'acme', 'pending'], () => 7);
    expect(counterValue(stats, 'rt/edge/acme/orders')).toBe(2);
    expect(counterValue(stats, 'orders')).toBe(0);
    expect(counterValue(stats, { endsWith: 'acme/orders' })).toBe(2);
    expect(counterValue(stats, { endsWith: 'pending' })).toBe(0);
  });
});

describe('tlsHandshake', () => {
  it('reports the names, trust and fingerprint of the certificate served for the SNI name', async () => {
    const pki = await createTestPki();
    try {
      const leaf = await pki.leaf('a', { cn: 'a.test', dns: ['a.test'] });
      const server = createTlsServer({ cert: leaf.certPem, key: leaf.keyPem });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      try {
        const trusted = await tlsHandshake(port, 'a.test', pki.ca.certPem);
        expect(trusted).toMatchObject({ names: 'DNS:a.test', trusted: true });
        expect(trusted.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        const other = await tlsHandshake(port, 'b.test', pki.ca.certPem);
        expect(other).toMatchObject({ names: 'DNS:a.test', trusted: false });
        expect(other.fingerprint).toBe(trusted.fingerprint);
      } finally {
        server.close();
      }
    } finally {
      await pki.dispose();
    }
  });
});

describe('certTime', () => {
  it('prints UTC to the second as openssl ca takes it', () => {
    expect(certTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('20260102030405Z');
  });
});

describe('collectPageErrors', () => {
  it('keeps console errors and uncaught page errors as text, and nothing else', () => {
    const page = new EventEmitter();
    const errors = collectPageErrors(page as unknown as PageErrorEvents);
    const message = (type: string, text: string) => ({ type: () => type, text: () => text });
    page.emit('console', message('log', 'hello'));
    page.emit('console', message('error', 'GET /x 400'));
    page.emit('pageerror', new TypeError('x is undefined'));
    expect(errors).toEqual(['GET /x 400', 'TypeError: x is undefined']);
  });
});
