/**
 * Overridden requests in traces: a request whose identification a dtab override changed carries
 * span tags naming the override — the configured override's label, and for a signed cookie its
 * cookie name and key id, never the signed value. Spans go to a real Zipkin collector over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintSignedOverride } from '@switchyard/identifiers/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';
import { startZipkinCollector, type ZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();

interface ZipkinSpan {
  readonly kind: string;
  readonly tags?: Record<string, string>;
}

async function until<T>(f: () => T | undefined | false, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dtab overrides in traces', () => {
  let dir: string;
  let v1: Server;
  let v2: Server;
  let collector: ZipkinCollector<ZipkinSpan>;
  let linker: Linker;
  const spans: ZipkinSpan[] = [];
  const secret = randomBytes(32);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-override-tracing-'));
    await writeFile(join(dir, 'k1.key'), secret);
    v1 = createServer((_req, res) => res.end('v1'));
    v2 = createServer((_req, res) => res.end('v2'));
    collector = await startZipkinCollector(spans);
    const [p1, p2] = await Promise.all([listen(v1), listen(v2)]);
    const zipkinPort = collector.port;
    const text = `routers:
- protocol: http
  servers: [{port: 0}]
  dtab: |
    /svc/web => /$/inet/127.0.0.1/${p1};
    /svc/web-v2 => /$/inet/127.0.0.1/${p2};
  dtabOverrides:
  - label: dogfood
    when: {cookie: {name: dogfood, match: "yes"}}
    dtab: /svc/web => /svc/web-v2
  signedDtabOverrides:
    cookie: l5d-override
    keys:
    - {id: k1, secretPath: k1.key}
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 1.0
`;
    linker = await Linker.start(parseLinkerConfig(text, 'tracing.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
  });

  afterAll(async () => {
    await linker?.close();
    v1?.close();
    v2?.close();
    collector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tags the request span with the override label and the signed key id, never the signed value', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    const signed = mintSignedOverride({
      dtab: '/svc/web => /svc/web-v2',
      key: { id: 'k1', secret },
      expiresAt: Date.now() + 3600_000,
    });
    const plain = await get(port, { headers: { host: 'web', 'x-case': 'plain' } });
    const dogfood = await get(port, { headers: { host: 'web', cookie: 'dogfood=yes' } });
    const viaSigned = await get(port, { headers: { host: 'web', cookie: `l5d-override=${signed}` } });
    expect([plain.body, dogfood.body, viaSigned.body]).toEqual(['v1', 'v2', 'v2']);

    const servers = await until(() => {
      const s = spans.filter((x) => x.kind === 'SERVER');
      return s.length >= 3 && s;
    }, 'three server spans');
    const overrideTags = servers.map((s) => ({
      override: s.tags?.['l5d.dtab_override'],
      signed: s.tags?.['l5d.dtab_override.signed'],
    }));
    expect(overrideTags).toEqual(
      expect.arrayContaining([
        { override: undefined, signed: undefined },
        { override: 'dogfood', signed: undefined },
        { override: undefined, signed: 'l5d-override/k1' },
      ]),
    );
    // The signed value is a bearer token: no span carries it (nor its signature).
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain(signed);
    expect(everything).not.toContain(signed.split('.').at(-1)!);
  });
});
