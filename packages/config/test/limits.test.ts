/**
 * `routers[].limits` from a config: a running linker answers bursts beyond the limits with 429 +
 * Retry-After (the backend sees only the admitted requests), and bad values are reported at their
 * file:line:col naming the field.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';

const kinds = createDefaultKinds();

function problems(text: string): string[] {
  try {
    parseLinkerConfig(text, 'limits.yaml', kinds);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`);
  }
}

describe('limits from config', () => {
  let backend: Server | undefined;
  let linker: Linker | undefined;
  afterAll(async () => {
    await linker?.close();
    backend?.close();
  });

  it('limits a destination prefix and the server; the backend sees only the admitted', async () => {
    let seen = 0;
    backend = createServer((req, res) => {
      seen++;
      req.resume();
      res.end('ok');
    });
    const backendPort = await listen(backend);
    const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc => /$/inet/127.0.0.1/${backendPort}
  limits:
    server: {rps: 0.01, burst: 8}
    destinations:
    - {prefix: /svc/web, rps: 0.01, burst: 2}
`;
    linker = await Linker.start(parseLinkerConfig(text, 'limits.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    const port = linker.routers[0]!.servers[0]!.port;
    const web = await Promise.all(Array.from({ length: 5 }, () => get(port, { headers: { host: 'web' } })));
    expect(web.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429]);
    const api = await Promise.all(Array.from({ length: 8 }, () => get(port, { headers: { host: 'api' } })));
    // 8 server tokens: 5 went to web requests (3 of them then limited by /svc/web), 3 remain.
    expect(api.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(seen).toBe(5);
    const limited = [...web, ...api].find((r) => r.status === 429)!;
    expect(limited.body).toMatch(/^Too many requests: /);
  });

  it('reports bad values at their file:line:col, naming the field', () => {
    const text = `routers:
- protocol: http
  servers: [{port: 0}]
  limits:
    server: {rps: 0, burst: 2}
    perClient: {rps: 5, burst: 1.5, maxClient: 10}
    destinations:
    - {prefix: "svc/web", rps: 1}
    adaptiveConcurrency: {minLimit: 10, initialLimit: 5}
`;
    expect(problems(text)).toEqual([
      'limits.yaml:5:19 routers[0].limits.server.rps: must be > 0, got 0',
      'limits.yaml:6:37 routers[0].limits.perClient.maxClient: unknown option "maxClient"',
      'limits.yaml:6:32 routers[0].limits.perClient.burst: expected an integer, got 1.5',
      expect.stringMatching(
        /^limits\.yaml:8:16 routers\[0\]\.limits\.destinations\[0\]\.prefix: invalid path: /,
      ),
      'limits.yaml:9:55 routers[0].limits.adaptiveConcurrency.initialLimit: initialLimit (5) is outside [minLimit, maxLimit] = [10, 1000]',
    ]);
    expect(problems('routers:\n- protocol: http\n  servers: [{port: 0}]\n  limits: {}\n')).toEqual([
      'limits.yaml:4:11 routers[0].limits: limits sets no limit',
    ]);
  });
});
