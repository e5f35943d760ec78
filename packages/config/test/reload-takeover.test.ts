/**
 * `Linker.reload` replaces a TLS server on the same port (ALPN, `h2`, `maxHeadersKB` changes)
 * by handing the running listening socket to the new front door: fresh HTTPS connections opened
 * in a loop across the reloads are all answered, none refused or reset.
 */
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createTestPki, freePort, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { listen } from './http.js';

const kinds = createDefaultKinds();

let pki: TestPki;
let backend: Server;
let leaf: { certPath: string; keyPath: string };
beforeAll(async () => {
  pki = await createTestPki();
  leaf = await pki.leaf('web', { cn: 'web.test', dns: ['web.test'] });
  backend = createServer((req, res) => {
    req.resume();
    res.end('hello');
  });
  await listen(backend);
}, 60_000);
afterAll(async () => {
  backend?.close();
  await pki?.dispose();
});

/** One GET on a fresh HTTPS connection: its status and body, or the error code. */
function freshGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'web.test',
        headers: { host: 'web' },
        ca: pki.ca.certPem,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('reload of a TLS server on the same port', () => {
  it('never refuses a connection while alpnProtocols, h2 and maxHeadersKB change', async () => {
    const port = await freePort();
    const backendPort = (backend.address() as { port: number }).port;
    const config = (server: string, router = '') => `admin: {port: 0}
routers:
- protocol: http
${router}  servers:
  - port: ${port}
    ip: 127.0.0.1
    tls: {certPath: ${leaf.certPath}, keyPath: ${leaf.keyPath}}
${server}  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
`;
    const linker = await Linker.start(parseLinkerConfig(config(''), 'tls.yaml', kinds), {
      kinds,
      baseDir: pki.dir,
      admin: { port: 0 },
    });
    try {
      const outcomes = new Map<string, number>();
      let running = true;
      const loop = Promise.all(
        Array.from({ length: 3 }, async () => {
          while (running) {
            const outcome = await freshGet(port);
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          }
        }),
      );
      const steps = [
        config('    alpnProtocols: [http/1.1]\n'), // h2 off
        config('    alpnProtocols: [http/1.1]\n', '  maxHeadersKB: 16\n'), // maxHeadersKB
        config(
          '    alpnProtocols: [h2, http/1.1]\n    h2: {maxConcurrentStreams: 50}\n',
          '  maxHeadersKB: 16\n',
        ),
        config(''), // h2 settings and maxHeadersKB back to the defaults
      ];
      for (const text of steps) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await linker.reload(parseLinkerConfig(text, 'tls.yaml', kinds))).toEqual({
          kind: 'applied',
          changes: ['routers[0].servers'],
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      running = false;
      await loop;
      expect([...outcomes.keys()]).toEqual(['200 hello']);
      expect(outcomes.get('200 hello')).toBeGreaterThan(4);
    } finally {
      await linker.close();
    }
  });
});
