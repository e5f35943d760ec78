import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type Backend, rawExchange, startBackend } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Router } from '../src/index.js';
import { startRouter } from './helpers.js';

// `Upgrade: h2c` is declined (see src/server/h2c-upgrade.ts): a backend that would accept it must
// never be offered it, or a client gets a tunnel past routing ("h2c smuggling").
describe('Upgrade: h2c', () => {
  let backend: Backend;
  let router: Router;
  const bodies: string[] = [];

  afterEach(async () => {
    await router?.close();
    await backend?.close();
    bodies.length = 0;
  });

  async function setUp(): Promise<number> {
    backend = await startBackend((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        bodies.push(body);
        res.end(`ok ${req.method} ${req.url}`);
      });
    });
    // A backend that accepts every h2c upgrade: reaching it with one is the smuggling defect.
    backend.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    });
    const started = await startRouter(`/svc/web => /$/inet/127.0.0.1/${backend.port}`);
    router = started.router;
    return started.port;
  }

  it('serves the request as HTTP/1.1 without the upgrade, body and keep-alive intact', async () => {
    const port = await setUp();
    const answer = await rawExchange(
      port,
      'POST /first HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: Upgrade, HTTP2-Settings, keep-alive\r\n' +
        'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /second HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n',
    );
    const statuses = answer.match(/HTTP\/1\.1 \d{3}/g);
    expect(statuses).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(answer).toContain('ok POST /first');
    expect(answer).toContain('ok GET /second');
    expect([...bodies].sort()).toEqual(['', 'hello']);
    const first = backend.seen.find((req) => req.url === '/first')!;
    expect(first.headers.upgrade).toBeUndefined();
    expect(first.headers['http2-settings']).toBeUndefined();
    expect(first.headers.connection ?? '').not.toMatch(/upgrade/i);
  });

  it('curl --http2 on a plain port gets its answer over HTTP/1.1 and the backend sees no upgrade', async () => {
    const port = await setUp();
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        [
          '-sS',
          '--http2',
          '-H',
          'x-dst: web',
          '-d',
          'hi',
          '-w',
          ' %{http_version}',
          `http://127.0.0.1:${port}/c`,
        ],
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    expect(out).toBe('ok POST /c 1.1');
    expect(bodies).toEqual(['hi']);
    expect(backend.seen[0]!.headers.upgrade).toBeUndefined();
  });
});
