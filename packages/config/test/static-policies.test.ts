/**
 * Per-prefix `client` and `service` configs (`kind: io.l5d.static`, issue 16 item 2): two
 * backends behind two prefixes get different attempt timeouts, retries and protocols, through
 * real sockets; bad entries are refused at file:line:col.
 */
import http, { type IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import {
  matchPrefix,
  type PolicyConfig,
  type PrefixPattern,
  paramsFor,
  parsePrefix,
} from '../src/static-policies.js';
import { getText } from './http.js';
import { configIssues } from './issues.js';

const kinds = createDefaultKinds();
const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

const issuesOf = (text: string): string[] => configIssues(text, 'static.yaml', kinds);

/** {@link getText} and the time it took. */
async function get(port: number, path: string): Promise<{ status: number; body: string; ms: number }> {
  const t0 = Date.now();
  return { ...(await getText(port, path)), ms: Date.now() - t0 };
}

function pattern(text: string): PrefixPattern {
  const p = parsePrefix(text);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('prefix patterns', () => {
  it('match element-wise as prefixes, * one element, {name} captures one', () => {
    const name = ['#', 'io.l5d.k8s', 'prod', 'http', 'web'];
    expect(matchPrefix(pattern('/#/io.l5d.k8s'), name)).toEqual({});
    expect(matchPrefix(pattern('/#/io.l5d.k8s/*/http'), name)).toEqual({});
    expect(matchPrefix(pattern('/#/io.l5d.k8s/{ns}/http/{service}'), name)).toEqual({
      ns: 'prod',
      service: 'web',
    });
    expect(matchPrefix(pattern('/#/io.l5d.k8s/*/grpc'), name)).toBeUndefined();
    expect(matchPrefix(pattern('/#/io.l5d.k8s/prod/http/web/extra'), name)).toBeUndefined();
    expect(matchPrefix(pattern('/'), name)).toEqual({});
    expect(parsePrefix('svc')).toMatch(/starts with "\/"/);
    expect(parsePrefix('/a/{x}/{x}')).toMatch(/appears twice/);
    expect(parsePrefix('/a/b{x}')).toMatch(/whole-element capture/);
  });

  it('every matching entry applies in order, later parameters override earlier ones', () => {
    const config: PolicyConfig<{ requestAttemptTimeoutMs: number; protocol: string }> = {
      kind: 'io.l5d.static',
      configs: [
        { prefix: pattern('/$/inet'), params: { requestAttemptTimeoutMs: 1000, protocol: 'h2c' } },
        { prefix: pattern('/$/inet/*/8080'), params: { requestAttemptTimeoutMs: 50 } },
        { prefix: pattern('/$/inet/10.0.0.9'), params: { protocol: 'http/1.1' } },
      ],
    };
    expect(paramsFor(config, ['$', 'inet', '10.0.0.1', '8080'])).toEqual({
      requestAttemptTimeoutMs: 50,
      protocol: 'h2c',
    });
    expect(paramsFor(config, ['$', 'inet', '10.0.0.9', '8080'])).toEqual({
      requestAttemptTimeoutMs: 50,
      protocol: 'http/1.1',
    });
    expect(paramsFor(config, ['#', 'io.l5d.fs', 'web'])).toEqual({});
  });
});

describe('io.l5d.static client and service configs', () => {
  it('two backends, two prefixes: different attempt timeouts, retries and protocols observed', async () => {
    // Backend A: HTTP/1.1; /slow answers after 1.5 s, /flaky answers 503 then 200.
    const seenA: IncomingMessage[] = [];
    let flakyA = 0;
    const a = http.createServer((req, res) => {
      seenA.push(req);
      req.resume();
      if (req.url === '/a/slow') setTimeout(() => res.end('a slow'), 1500);
      else if (req.url === '/a/flaky') {
        flakyA++;
        res.statusCode = flakyA % 2 === 1 ? 503 : 200;
        res.end(`a flaky ${flakyA}`);
      } else res.end('a');
    });
    // Backend B: HTTP/2 only (h2c); /b/flaky answers 503 then 200; /b/slow after 300 ms.
    const versionsB: string[] = [];
    let flakyB = 0;
    const b = http2.createServer((req, res) => {
      versionsB.push(req.httpVersion);
      req.resume();
      if (req.url === '/b/slow') setTimeout(() => res.end('b slow'), 300);
      else if (req.url === '/b/flaky') {
        flakyB++;
        res.statusCode = flakyB % 2 === 1 ? 503 : 200;
        res.end(`b flaky ${flakyB}`);
      } else res.end('b');
    });
    for (const s of [a, b]) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      running.push(() => new Promise<void>((r) => s.close(() => r())));
    }
    const pa = (a.address() as AddressInfo).port;
    const pb = (b.address() as AddressInfo).port;
    const yaml = `routers:
- protocol: http
  identifier:
    kind: io.l5d.path
    segments: 1
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${pa};
    /svc/b => /$/inet/127.0.0.1/${pb};
  servers:
  - port: 0
  client:
    kind: io.l5d.static
    configs:
    - prefix: /$/inet/*
      requestAttemptTimeoutMs: 5000
    - prefix: /$/inet/127.0.0.1/${pa}
      requestAttemptTimeoutMs: 100
    - prefix: /$/inet/127.0.0.1/${pb}
      protocol: h2c
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      totalTimeoutMs: 10000
    - prefix: /svc/b
      responseClassifier:
        kind: io.l5d.http.retryableRead5XX
`;
    const linker = await Linker.start(parseLinkerConfig(yaml, 'static.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      noAdmin: true,
    });
    running.push(() => linker.close());
    const port = linker.routers[0]!.servers[0]!.port;

    // A's client: 100 ms per attempt (its entry overrides the /$/inet/* one).
    const slowA = await get(port, '/a/slow');
    expect([slowA.status, slowA.body]).toEqual([
      503,
      'Request attempt exceeded requestAttemptTimeoutMs (100 ms)\n',
    ]);
    expect(slowA.ms).toBeLessThan(1400);
    // B's client keeps /$/inet/*'s 5 s: the slow answer arrives; and it speaks HTTP/2.
    const slowB = await get(port, '/b/slow');
    expect([slowB.status, slowB.body]).toEqual([200, 'b slow']);
    expect(versionsB.every((v) => v === '2.0')).toBe(true);
    expect(seenA.every((r) => r.httpVersion === '1.1')).toBe(true);
    // /svc/b retries a 503 (its classifier); /svc/a keeps the default (no retries).
    expect(await get(port, '/b/flaky')).toMatchObject({ status: 200, body: 'b flaky 2' });
    expect(await get(port, '/a/flaky')).toMatchObject({ status: 503, body: 'a flaky 1' });
  });

  it('refuses bad entries at file:line:col, naming the field', () => {
    const base = (client: string) => `routers:
- protocol: http
  servers:
  - port: 0
  client:
${client}`;
    expect(
      issuesOf(
        base(`    kind: io.l5d.static
    configs:
    - prefix: svc/web
      requestAttemptTimeoutMs: 100
`),
      ),
    ).toEqual([
      expect.stringMatching(/^8:15 routers\[0\]\.client\.configs\[0\]\.prefix: a prefix is a path/),
    ]);
    expect(
      issuesOf(
        base(`    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.k8s/{ns}
      tls:
        commonName: "{service}.example.com"
`),
      ),
    ).toEqual([
      expect.stringMatching(
        /^10:21 routers\[0\]\.client\.configs\[0\]\.tls\.commonName: \{service\} is not captured by the prefix/,
      ),
    ]);
    expect(
      issuesOf(
        base(`    kind: io.l5d.static
    requestAttemptTimeoutMs: 100
    configs:
    - prefix: /
      requestAttemptTimeoutMs: 0
`),
      ),
    ).toEqual([
      expect.stringMatching(/^7:5 routers\[0\]\.client\.requestAttemptTimeoutMs: unknown option/),
      expect.stringMatching(/^10:32 routers\[0\]\.client\.configs\[0\]\.requestAttemptTimeoutMs: /),
    ]);
    expect(
      issuesOf(
        base(`    kind: io.l5d.static
    configs:
    - prefix: /$/inet
      protocol: h2
`),
      ),
    ).toEqual([
      expect.stringMatching(
        /^9:17 routers\[0\]\.client\.configs\[0\]\.protocol: h2 is negotiated by TLS ALPN/,
      ),
    ]);
  });
});
