/**
 * `l5d-reqid` is the trace id when tracing is on, as in Linkerd 1 (issue 16): over real sockets,
 * the id the backend receives, the one in the JSON access log and the span's trace id are equal;
 * a trusted client's own `l5d-reqid` is kept; an unsampled request keeps its caller's trace id.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';
import { startZipkinCollector, type ZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();

interface ZipkinSpan {
  readonly traceId: string;
  readonly kind: string;
  readonly tags?: Record<string, string>;
}

describe('l5d-reqid with tracing', () => {
  let dir: string;
  let backend: Server;
  let collector: ZipkinCollector<(typeof spans)[number]>;
  const seen: IncomingHttpHeaders[] = [];
  const spans: ZipkinSpan[] = [];
  let linker: Linker;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-reqid-'));
    backend = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.end('ok');
    });
    collector = await startZipkinCollector(spans);
    const backendPort = await listen(backend);
    const zipkinPort = collector.port;
    const text = `
routers:
- protocol: http
  servers: [{port: 0, clearContext: false}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
  httpAccessLog: access.log
  httpAccessLogFormat: json
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 1.0
`;
    linker = await Linker.start(parseLinkerConfig(text, 'reqid.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    port = linker.routers[0]!.servers[0]!.port;
  });

  afterAll(async () => {
    await linker.close();
    backend.close();
    collector.close();
    await rm(dir, { recursive: true, force: true });
  });

  const logged = async () =>
    (await readFile(join(dir, 'access.log'), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { requestId?: string; uri?: string });

  it('forwards the trace id as l5d-reqid, logs it and tags the span with it', async () => {
    const caller = '4bf92f3577b34da6a3ce929d0e0e4736';
    const fresh = await get(port, { path: '/fresh', headers: { host: 'web' } });
    const continued = await get(port, {
      path: '/continued',
      headers: { host: 'web', traceparent: `00-${caller}-00f067aa0ba902b7-01` },
    });
    expect([fresh.status, continued.status]).toEqual([200, 200]);
    const [first, second] = seen.splice(0);
    const freshId = String(first!['l5d-reqid']);
    // A new trace: its id (128 bits, W3C's width; Linkerd's were 64); continued: the caller's.
    expect(freshId).toMatch(/^[0-9a-f]{32}$/);
    expect(first!['x-b3-traceid']).toBe(freshId);
    expect(second!['l5d-reqid']).toBe(caller);

    // The access log is written when each response ends; Zipkin batches are sent every second.
    const lines = await eventually(
      async () => {
        const all = await logged();
        return all.length === 2 && all;
      },
      { what: 'both access-log lines' },
    );
    expect(lines.map((l) => [l.uri, l.requestId])).toEqual([
      ['/fresh', freshId],
      ['/continued', caller],
    ]);
    const servers = await eventually(
      () => {
        const found = spans.filter((s) => s.kind === 'SERVER');
        return found.length === 2 && found;
      },
      { what: 'two SERVER spans at the collector' },
    );
    expect(servers.map((s) => [s.traceId, s.tags?.['l5d.request_id']]).sort()).toEqual(
      [
        [freshId, freshId],
        [caller, caller],
      ].sort(),
    );
  });

  it("keeps a trusted client's own l5d-reqid", async () => {
    await get(port, { path: '/own', headers: { host: 'web', 'l5d-reqid': 'chosen-by-client' } });
    expect(seen.splice(0)[0]!['l5d-reqid']).toBe('chosen-by-client');
  });

  it("takes an unsampled caller's trace id (the caller's flag decides)", async () => {
    const caller = '0af7651916cd43dd8448eb211c80319c';
    const traceparent = `00-${caller}-b7ad6b7169203331-00`;
    await get(port, { path: '/unsampled', headers: { host: 'web', traceparent } });
    const [forwarded] = seen.splice(0);
    expect(forwarded!['l5d-reqid']).toBe(caller);
    // The caller's decision travels on: no span, its traceparent unchanged.
    expect(forwarded!.traceparent).toBe(traceparent);
  });
});
