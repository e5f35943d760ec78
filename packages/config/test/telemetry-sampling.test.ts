/**
 * Head-based, parent-based sampling through a real router from config: at `sampleRate: 0` a
 * caller's sampled trace is still traced (its flag is honoured), a caller's unsampled context
 * goes upstream exactly as sent, and a request without one gets no trace headers at all — no
 * span, no ids, no header copy for what is not sampled. `--check` rejects a rate outside [0, 1]
 * at the field.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';
import { startZipkinCollector, type ZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('sampling from config', () => {
  let backend: Server;
  let collector: ZipkinCollector<(typeof spans)[number]>;
  let linker: Linker;
  const seen: IncomingHttpHeaders[] = [];
  const spans: { traceId: string; kind: string; parentId?: string; id: string }[] = [];

  beforeAll(async () => {
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
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 0
`;
    linker = await Linker.start(parseLinkerConfig(text, 'sampling.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      noAdmin: true,
    });
  });

  afterAll(async () => {
    backend.close();
    collector.close();
  });

  it("follows the caller's decision and propagates unsampled contexts untouched", async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    const sampledParent = `00-${TRACE}-00f067aa0ba902b7-01`;
    const unsampledParent = `00-${TRACE}-00f067aa0ba902b7-00`;
    expect((await get(port, { headers: { host: 'web', traceparent: sampledParent } })).status).toBe(200);
    expect((await get(port, { headers: { host: 'web', traceparent: unsampledParent } })).status).toBe(200);
    expect((await get(port, { headers: { host: 'web' } })).status).toBe(200);
    await linker.close(); // flushes the Zipkin batch

    // Sampled by the caller: traced although the rate is 0; upstream sees the attempt span.
    expect(spans.map((s) => s.kind).sort()).toEqual(['CLIENT', 'SERVER']);
    const attempt = spans.find((s) => s.kind === 'CLIENT')!;
    expect(seen[0]!.traceparent).toBe(`00-${TRACE}-${attempt.id}-01`);
    expect(seen[0]!['x-b3-sampled']).toBe('1');
    // Unsampled by the caller: its context goes on as sent, nothing of ours added.
    expect(seen[1]!.traceparent).toBe(unsampledParent);
    expect(seen[1]!['x-b3-traceid']).toBeUndefined();
    expect(seen[1]!['l5d-ctx-trace']).toBeUndefined();
    // No context and not sampled here: no trace headers at all.
    for (const name of ['traceparent', 'x-b3-traceid', 'x-b3-spanid', 'l5d-ctx-trace'])
      expect(seen[2]![name]).toBeUndefined();
  });

  it('rejects a sample rate outside [0, 1] at the field', () => {
    const issues = (text: string) => {
      try {
        parseLinkerConfig(text, 'rate.yaml', kinds);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(issues('telemetry:\n- kind: io.l5d.zipkin\n  sampleRate: 1.5\n')).toContain(
      'rate.yaml:3:15: telemetry[0].sampleRate:',
    );
    expect(issues('telemetry:\n- kind: io.l5d.otlp\n  sampleRate: -0.1\n')).toContain(
      'rate.yaml:3:15: telemetry[0].sampleRate:',
    );
  });
});
