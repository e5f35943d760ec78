/**
 * `requestLogServerLayer`'s access-log size over real sockets: the body bytes handed to the response,
 * counted once whether written through `write` and `end` (HTTP/1) or the HTTP/2 compatibility
 * response (whose `end(chunk)` calls `write`); 0 for HEAD, where Node sends no body.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect, createServer as createH2Server, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@switchyard/core';
import { eventually } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type ObservedInbound, requestLogServerLayer } from '../src/index.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
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

function layered(lines: string[]) {
  const handler = requestLogServerLayer<ObservedInbound>({
    accessLog: (l) => lines.push(l),
    accessLogFormat: 'json',
    clock: systemClock,
  }).layer(async (inbound) => answer(inbound.exchange.res));
  return (req: IncomingMessage, res: ServerResponse) =>
    void handler({
      kind: 'inbound',
      exchange: {
        router: 'r',
        server: { clearContext: false },
        req,
        res,
        record: { dst: undefined, service: undefined, client: undefined, endpoint: undefined },
        locals: {},
      },
      head: { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } },
      clientHost: req.headers.host,
    });
}

const bytesOf = (line: string) => (JSON.parse(line) as { responseBytes?: number }).responseBytes;

/** Waits until `n` log lines were written (testkit's `eventually`). */
const until = (lines: string[], n: number) =>
  eventually(() => lines.length >= n, { what: () => `${n} log lines (have ${lines.length})` });

describe('requestLogServerLayer response size', () => {
  it('counts HTTP/1 body bytes written through write and end (chunked), and 0 for HEAD', async () => {
    const lines: string[] = [];
    const server = createServer(layered(lines));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
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
    const server = createH2Server(layered(lines) as never);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
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
