/**
 * The router's lazy header view builds the object node builds: for heads sent over a real socket,
 * `headerObject(req.rawHeaders)`, the view and `fieldValue` agree with node's own `req.headers`
 * (first-only names, `cookie` joined with `; `, `set-cookie` an array, the rest joined with `, `).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawExchange } from '@switchyard/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldsView, fieldValue, headerObject } from '../src/request-head.js';

/** Names node treats in each of its ways (no framing or upgrade fields: they change the exchange). */
const NAMES = [
  'host',
  'authorization',
  'content-type',
  'user-agent',
  'referer',
  'age',
  'etag',
  'cookie',
  'set-cookie',
  'via',
  'x-forwarded-for',
  'l5d-dtab',
  'accept',
  'x-a',
  'date',
  'vary',
];

const rawName = fc
  .tuple(fc.constantFrom(...NAMES), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }))
  .map(([n, upper]) => [...n].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
const fieldText = fc.stringMatching(/^[!-~]([ -~]{0,10}[!-~])?$/);

let server: http.Server;
let port = 0;
let seen: { headers: http.IncomingHttpHeaders; raw: string[] } | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen = { headers: req.headers, raw: req.rawHeaders };
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the request head view against node', () => {
  it("builds node's req.headers from req.rawHeaders, and reads each field as node does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(rawName, fieldText), { minLength: 1, maxLength: 8 }),
        async (pairs) => {
          const lines = pairs.map(([n, v]) => `${n}: ${v}\r\n`).join('');
          seen = undefined;
          const answer = await rawExchange(
            port,
            `GET / HTTP/1.1\r\nHost: h\r\n${lines}Connection: close\r\n\r\n`,
          );
          expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
          const { headers, raw } = seen!;
          expect(headerObject(raw)).toEqual(headers);
          const view = fieldsView(raw);
          expect({ ...view }).toEqual(headers);
          for (const name of [...NAMES, 'connection']) {
            expect(fieldValue(raw, name)).toEqual(headers[name]);
            expect(view[name]).toEqual(headers[name]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
