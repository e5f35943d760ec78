/** `service.retries` from a config: retryable 5XX responses are retried after the configured backoff. */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';

const kinds = createDefaultKinds();

describe('retries from config', () => {
  let backend: Server | undefined;
  let linker: Linker | undefined;
  afterAll(async () => {
    await linker?.close();
    backend?.close();
  });

  it('retries a retryable 503 after the constant backoff', async () => {
    const seen: number[] = [];
    backend = createServer((req, res) => {
      req.resume();
      seen.push(Date.now());
      res.statusCode = seen.length === 1 ? 503 : 200;
      res.end(`attempt ${seen.length}`);
    });
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', r));
    const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${(backend.address() as AddressInfo).port}
  service:
    responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    retries:
      budget: {minRetriesPerSec: 5, percentCanRetry: 0.5}
      backoff: {kind: constant, ms: 200}
`;
    linker = await Linker.start(parseLinkerConfig(text, 'retries.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    const port = linker.routers[0]!.servers[0]!.port;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'web' } }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('attempt 2');
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(190); // a lower bound: never flaky under load
  });
});
