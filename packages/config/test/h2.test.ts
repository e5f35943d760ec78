/**
 * HTTP/2 from the YAML: Linkerd 1's `protocol: h2` router form runs as written (h2c on the plain
 * server, h2c to backends), `servers[].h2`, `servers[].alpnProtocols` and `client.protocol` are
 * checked at their field.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { configIssues } from './issues.js';

const kinds = createDefaultKinds();
const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

const issuesOf = (text: string): string[] => configIssues(text, 'h2.yaml', kinds);

describe('HTTP/2 config', () => {
  it("Linkerd 1's protocol: h2 router: HTTP/2 in (h2c) and out (h2c), trailers both ways", async () => {
    const backend = http2.createServer();
    backend.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      stream.resume();
      stream.on('end', () => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'x-path': String(headers[':path']) },
          { waitForTrailers: true },
        );
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 104, 105]));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    running.push(() => new Promise<void>((r) => backend.close(() => r())));
    const port = (backend.address() as AddressInfo).port;
    const yaml = `routers:
- protocol: h2
  label: h2
  identifier:
    kind: io.l5d.header.path
    segments: 1
  dtab: /svc/helloworld.Greeter => /$/inet/127.0.0.1/${port}
  servers:
  - port: 0
    h2:
      maxConcurrentStreams: 50
`;
    const linker = await Linker.start(parseLinkerConfig(yaml, 'h2.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      noAdmin: true,
    });
    running.push(() => linker.close());
    const routerPort = linker.routers[0]!.servers[0]!.port;
    const session = http2.connect(`http://127.0.0.1:${routerPort}`);
    session.on('error', () => {});
    running.push(async () => session.destroy());
    const reply = await new Promise<{
      headers: http2.IncomingHttpHeaders;
      trailers: http2.IncomingHttpHeaders;
      body: Buffer;
    }>((resolve, reject) => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/helloworld.Greeter/SayHello',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      s.on('response', (h) => (headers = h));
      s.on('trailers', (t) => (trailers = t));
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
      s.on('error', reject);
      s.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    expect(reply.headers[':status']).toBe(200);
    expect(reply.headers['x-path']).toBe('/helloworld.Greeter/SayHello');
    expect(reply.trailers['grpc-status']).toBe('0');
    expect(reply.body.subarray(5).toString()).toBe('hi');
  });

  it('--check names the field: h2 settings, alpnProtocols without tls, client protocol h2 without tls', () => {
    const base = (server: string, client = '') => `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1
${client}  servers:
  - port: 0
${server}`;
    expect(issuesOf(base('    h2:\n      maxConcurrentStreams: 0\n'))[0]).toMatch(
      /routers\[0\]\.servers\[0\]\.h2\.maxConcurrentStreams/,
    );
    expect(issuesOf(base('    h2:\n      initialWindowSize: 1\n'))[0]).toMatch(/h2\.initialWindowSize/);
    expect(issuesOf(base('    alpnProtocols: [h2]\n'))[0]).toMatch(
      /routers\[0\]\.servers\[0\]\.alpnProtocols: ALPN is negotiated in the TLS handshake/,
    );
    expect(issuesOf(base('', '  client:\n    protocol: h2\n'))[0]).toMatch(
      /routers\[0\]\.client\.protocol: h2 is negotiated by TLS ALPN/,
    );
    expect(issuesOf(base('', '  client:\n    protocol: h2c\n'))).toEqual([]);
  });
});
