/**
 * HTTP/2 through the real binary (issue 19 item 5): a child process on a config file with an h2c
 * + HTTP/1.1 port (clearContext), an access log, Zipkin tracing to a local receiver and the admin's
 * recent-requests view; clients are Debian curl (`--http2-prior-knowledge`, and `--http2`, which
 * tries `Upgrade: h2c` on a plain port) and Node's http2 client.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as connectHttp2, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestPki, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';
import { eventually, curl as httpGet } from './http-client.js';

const run = promisify(execFile);
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

interface ZipkinSpan {
  readonly traceId: string;
  readonly kind?: string;
  readonly tags?: Record<string, string>;
}

/**
 * The l5d-* fields the router itself sends upstream behind clearContext (docs/router.md): the bound
 * names (the dtab `/svc => /$/inet/…` leaves `/web` as residual) and a request id it generated.
 */
const ROUTER_OWN = ['l5d-dst-client', 'l5d-dst-residual', 'l5d-dst-service', 'l5d-reqid'];

/** The l5d-* fields of a header map, sorted. */
function l5dFields(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers)
    .filter((h) => h.startsWith('l5d-'))
    .sort();
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('HTTP/2 through the binary', () => {
  let home: string;
  let binary: RunningBinary;
  let backend: Server;
  let collector: Server;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const spans: ZipkinSpan[] = [];
  let adminPort: number;
  let tlsPort: number;
  let pki: TestPki;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-h2-binary-'));
    backend = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      req.resume();
      // Headers a clearContext edge must not let out: Linkerd context and a made-up l5d field.
      res.setHeader('l5d-success-class', '1.0');
      res.setHeader('l5d-internal', 'secret');
      res.end(`ok ${req.url}`);
    });
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (req.url === '/api/v2/spans') spans.push(...(JSON.parse(body) as ZipkinSpan[]));
        res.writeHead(202).end();
      });
    });
    pki = await createTestPki();
    const leaf = await pki.leaf('web', { cn: 'web', dns: ['web'] });
    const backendPort = await listen(backend);
    const zipkinPort = await listen(collector);
    await writeFile(
      join(home, 'linker.yaml'),
      `admin: {port: 0}
routers:
- protocol: http
  label: web
  dtab: /svc => /$/inet/127.0.0.1/${backendPort}
  httpAccessLog: access.log
  servers:
  - port: 0
    clearContext: true
    h2: {maxConcurrentStreams: 50}
  - port: 0
    clearContext: true
    tls: {certPath: ${leaf.certPath}, keyPath: ${leaf.keyPath}}
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 1.0
- kind: io.l5d.recentRequests
  sampleRate: 1.0
  capacity: 20
`,
    );
    binary = await startBinary(join(home, 'linker.yaml'));
    await eventually(async () => /"msg":"admin"/.test(binary.stderr()), 30_000);
    adminPort = Number(/"msg":"admin".*?:(\d+)\//.exec(binary.stderr())![1]);
    await eventually(async () => binary.stderr().match(/"msg":"serving"/g)?.length === 2);
    tlsPort = Number([...binary.stderr().matchAll(/"msg":"serving".*?"port":(\d+)/g)][1]![1]);
  }, 60_000);

  afterAll(async () => {
    await binary?.stop();
    backend?.close();
    collector?.close();
    if (home) await rm(home, { recursive: true, force: true });
    await pki?.dispose();
  });

  it('curl --http2-prior-knowledge: served over HTTP/2; clearContext strips l5d-* request and response headers', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-D',
      '-',
      '-H',
      'host: web',
      '-H',
      'l5d-dtab: /svc => /$/inet/127.0.0.1/1',
      '-H',
      'l5d-ctx-deadline: 1',
      '-H',
      'l5d-reqid: chosen-by-the-client',
      '-H',
      `traceparent: 00-${traceId}-00f067aa0ba902b7-01`,
      `http://127.0.0.1:${binary.port}/curl-h2?x=1`,
    ]);
    const [head, body] = stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/2 200/);
    expect(body).toBe('ok /curl-h2?x=1');
    // Response: no l5d-* header reaches the client.
    expect(head!.toLowerCase()).not.toContain('l5d-');
    // Request: the client's l5d-dtab did not route (the backend answered); none of the client's
    // l5d-* went on, only the router's own (docs/router.md, clearContext): its request id replaces
    // the client's, and the client's expired l5d-ctx-deadline was dropped unread.
    const got = seen.find((s) => s.url === '/curl-h2?x=1')!;
    expect(l5dFields(got.headers)).toEqual(ROUTER_OWN);
    expect(got.headers['l5d-dst-service']).toBe('/svc/web');
    expect(got.headers['l5d-dst-residual']).toBe('/web');
    // Tracing is on: the request id is the trace id (the caller's W3C trace, continued), not
    // the client's l5d-reqid (docs/router.md).
    expect(got.headers['l5d-reqid']).toBe(traceId);
  });

  it('curl --http2 over TLS: ALPN picks h2 (TLS servers offer it by default); no l5d-* in the response', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--http2',
      '-D',
      '-',
      '--cacert',
      pki.ca.certPath,
      '--resolve',
      `web:${tlsPort}:127.0.0.1`,
      '-H',
      'l5d-dtab: /svc => /$/inet/127.0.0.1/1',
      `https://web:${tlsPort}/tls-h2`,
    ]);
    const [head, body] = stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/2 200/);
    expect(body).toBe('ok /tls-h2');
    expect(head!.toLowerCase()).not.toContain('l5d-');
    expect(l5dFields(seen.find((s) => s.url === '/tls-h2')!.headers)).toEqual(ROUTER_OWN);
  });

  it("Node's http2 client: same stripping; the response carries no l5d-* field", async () => {
    const session = connectHttp2(`http://127.0.0.1:${binary.port}`);
    try {
      const { headers, body } = await new Promise<{ headers: H2Headers; body: string }>((resolve, reject) => {
        const req = session.request({
          ':path': '/node-h2',
          ':authority': 'web',
          'l5d-dtab': '/svc => /$/inet/127.0.0.1/1',
          'l5d-ctx-dtab': '/svc => /$/inet/127.0.0.1/1',
          'dtab-local': '/svc => /$/inet/127.0.0.1/1',
        });
        let h: H2Headers = {};
        let b = '';
        req.on('response', (r) => {
          h = r;
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => {
          b += d;
        });
        req.on('end', () => resolve({ headers: h, body: b }));
        req.on('error', reject);
        req.end();
      });
      expect(headers[':status']).toBe(200);
      expect(body).toBe('ok /node-h2');
      expect(Object.keys(headers).filter((h) => h.startsWith('l5d-'))).toEqual([]);
      const got = seen.find((s) => s.url === '/node-h2')!;
      expect(l5dFields(got.headers)).toEqual(ROUTER_OWN);
      expect(got.headers['dtab-local']).toBeUndefined();
    } finally {
      session.close();
    }
  });

  it('curl --http2 on the plain port (Upgrade: h2c) is answered over HTTP/1.1; the upgrade is not offered', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--http2',
      '-H',
      'host: web',
      '-w',
      ' %{http_version}',
      `http://127.0.0.1:${binary.port}/upgrade`,
    ]);
    expect(stdout).toBe('ok /upgrade 1.1');
  });

  // The router declines `Upgrade: h2c` (router/src/server/h2c-upgrade.ts): a backend that accepted
  // it would answer 101 and give the client a tunnel past routing ("h2c smuggling").
  it('the backend never sees Upgrade: h2c (the router drops it)', async () => {
    await run('curl', ['-sS', '--http2', '-H', 'host: web', `http://127.0.0.1:${binary.port}/upgrade2`]);
    const got = seen.find((s) => s.url === '/upgrade2')!;
    expect(got.headers.upgrade).toBeUndefined();
  });

  it('the access log has a line per HTTP/2 request, with the HTTP/2 version', async () => {
    await eventually(async () => {
      const text = await readFile(join(home, 'access.log'), 'utf8').catch(() => '');
      return text.includes('/curl-h2') && text.includes('/node-h2');
    });
    const lines = (await readFile(join(home, 'access.log'), 'utf8')).trim().split('\n');
    const curlLine = lines.find((l) => l.includes('/curl-h2'))!;
    // Linkerd's format: host, -, -, -, [time], "method uri version", status, bytes, referer, agent.
    expect(curlLine).toMatch(/^web - - - \[[^\]]+\] "GET \/curl-h2\?x=1 HTTP\/2\.0" 200 15 "-" "curl\//);
    expect(lines.find((l) => l.includes('/node-h2'))).toMatch(/"GET \/node-h2 HTTP\/2\.0" 200 11 "-" "-"$/);
  });

  it("the admin's recent-requests view lists the HTTP/2 requests", async () => {
    const recent = JSON.parse((await httpGet(`http://127.0.0.1:${adminPort}/admin/requests.json`)).body) as {
      uri: string;
      status: number;
      service: string;
    }[];
    expect(recent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uri: '/curl-h2?x=1', status: 200, service: '/svc/web' }),
        expect.objectContaining({ uri: '/node-h2', status: 200, service: '/svc/web' }),
      ]),
    );
  });

  it("a trace span for the HTTP/2 request continues the caller's traceparent (Zipkin receiver)", async () => {
    await eventually(async () => spans.some((s) => s.traceId === traceId && s.kind === 'SERVER'), 15_000);
    const server = spans.find((s) => s.traceId === traceId && s.kind === 'SERVER')!;
    expect(server.tags?.['http.method'] ?? server.tags?.['http.request.method']).toBe('GET');
  });
});
