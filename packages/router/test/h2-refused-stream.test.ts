/**
 * An HTTP/2 endpoint that refuses a stream (RST_STREAM REFUSED_STREAM, RFC 9113 §8.7) has not
 * processed any of it, so the router sends the request again at once, whatever its method, when
 * its body can be sent again — as a stream sent just before a graceful GOAWAY reached the pool
 * is refused. A request whose body was streamed is not re-sent.
 */
import http2, { constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, headerIdentifier } from './helpers.js';

const { cleanup, router } = fixtures(500);

/** An h2c backend refusing the first `refuse` streams, then answering with the method and body. */
async function refusingBackend(refuse: number): Promise<{ port: number; streams: () => number }> {
  let streams = 0;
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    streams++;
    // Closing a stream with an error code makes node emit it on the stream too.
    stream.on('error', () => {});
    if (streams <= refuse) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end(`${headers[':method']} ${Buffer.concat(chunks)}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, streams: () => streams };
}

async function routerTo(port: number) {
  return router(`/svc => /$/inet/127.0.0.1/${port}`, {
    identifier: headerIdentifier('host'),
    client: { protocol: 'h2c' },
  });
}

describe('REFUSED_STREAM from an HTTP/2 endpoint', () => {
  it('re-sends a POST without a body at once', async () => {
    const b = await refusingBackend(1);
    const { port } = await routerTo(b.port);
    const reply = await httpRequest(port, {
      method: 'POST',
      headers: { host: 'web', 'content-length': '0' },
    });
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 200, body: 'POST ' });
    expect(b.streams()).toBe(2);
  });

  it('does not re-send a POST whose body was streamed', async () => {
    const b = await refusingBackend(1);
    const { port } = await routerTo(b.port);
    const reply = await httpRequest(port, { method: 'POST', headers: { host: 'web' }, body: 'payload' });
    expect(reply.status).toBe(502);
    expect(b.streams()).toBe(1);
  });
});
