/**
 * `requestLogServerLayer`'s access-log size over real sockets: the body bytes handed to the response,
 * counted once whether written through `write` and `end` (HTTP/1) or the HTTP/2 compatibility
 * response (whose `end(chunk)` calls `write`); 0 for HEAD, where Node sends no body.
 */
import { once } from 'node:events';
import { request, type ServerResponse } from 'node:http';
import { connect, type Http2ServerResponse } from 'node:http2';
import { systemClock } from '@switchyard/core';
import { eventually, type InboundServer, startInboundServer } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { requestLogServerLayer } from '../src/index.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The handler each server runs under the layer: a body of 5 bytes in three pieces. */
function answer(res: ServerResponse | Http2ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  // The compatibility API's write/end have the same call shapes used here.
  const out = res as ServerResponse;
  out.write('a');
  out.write(Buffer.from('bc'));
  out.end('é'); // 2 bytes in UTF-8: 1 + 2 + 2 = 5
}

/** A server (testkit's router stand-in) running the request-log layer around {@link answer}. */
async function layered(lines: string[], protocol: 'http/1.1' | 'h2c'): Promise<InboundServer> {
  const handler = requestLogServerLayer({
    accessLog: (l) => lines.push(l),
    accessLogFormat: 'json',
    clock: systemClock,
  }).layer(async (inbound) => answer(inbound.exchange.res));
  const server = await startInboundServer(handler, { protocol, router: 'r' });
  closers.push(() => server.close());
  return server;
}

const bytesOf = (line: string) => (JSON.parse(line) as { responseBytes?: number }).responseBytes;

/** Waits until `n` log lines were written (testkit's `eventually`). */
const until = (lines: string[], n: number) =>
  eventually(() => lines.length >= n, { what: () => `${n} log lines (have ${lines.length})` });

describe('requestLogServerLayer response size', () => {
  it('counts HTTP/1 body bytes written through write and end (chunked), and 0 for HEAD', async () => {
    const lines: string[] = [];
    const { port } = await layered(lines, 'http/1.1');
    const send = (method: string) =>
      new Promise<Buffer>((resolve, reject) => {
        request({ host: '127.0.0.1', port, method, path: '/' }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
          .on('error', reject)
          .end();
      });
    expect((await send('GET')).length).toBe(5);
    expect((await send('HEAD')).length).toBe(0);
    await until(lines, 2);
    expect(lines.map(bytesOf)).toEqual([5, 0]);
  });

  it('counts HTTP/2 compatibility-response bytes once', async () => {
    const lines: string[] = [];
    const server = await layered(lines, 'h2c');
    const client = connect(server.url);
    closers.push(() => client.close());
    const stream = client.request({ ':path': '/' });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await once(stream, 'end');
    expect(Buffer.concat(chunks).toString('utf8')).toBe('abcé');
    await until(lines, 1);
    expect(lines.map(bytesOf)).toEqual([5]);
  });
});
