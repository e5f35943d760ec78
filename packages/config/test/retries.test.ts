/** `service.retries` from a config: retryable 5XX responses are retried after the configured backoff. */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';

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
    const backendPort = await listen(backend);
    const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
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
    const { body } = await get(port, { headers: { host: 'web' } });
    expect(body).toBe('attempt 2');
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(190); // a lower bound: never flaky under load
  });
});
