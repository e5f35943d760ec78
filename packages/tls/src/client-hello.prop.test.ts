import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbClientHelloSpec, buildClientHello } from '../test/client-hello-builder.js';
import { parseClientHello } from './client-hello.js';

describe('parseClientHello laws', () => {
  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        expect(['incomplete', 'complete', 'invalid']).toContain(parseClientHello(bytes).kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid ClientHellos with bytes overwritten or cut', () => {
    fc.assert(
      fc.property(
        arbClientHelloSpec,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (spec, edits, cut) => {
          const bytes = Buffer.from(buildClientHello(spec));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const r = parseClientHello(bytes.subarray(0, bytes.length - (cut % 8)));
          expect(['incomplete', 'complete', 'invalid']).toContain(r.kind);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reports every strict prefix of a valid ClientHello incomplete', () => {
    fc.assert(
      fc.property(arbClientHelloSpec, (spec) => {
        const hello = buildClientHello(spec);
        for (let cut = 0; cut < hello.length; cut++) {
          const r = parseClientHello(hello.subarray(0, cut));
          if (r.kind !== 'incomplete')
            throw new Error(`prefix of ${cut}/${hello.length} bytes: ${JSON.stringify(r)}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads the server name and ALPN list of a valid ClientHello, whatever follows it', () => {
    fc.assert(
      fc.property(
        arbClientHelloSpec,
        fc.boolean(),
        fc.boolean(),
        fc.uint8Array({ maxLength: 32 }),
        (spec, withName, withAlpn, trailing) => {
          const sent = {
            ...spec,
            ...(withName ? {} : { servername: undefined }),
            ...(withAlpn ? {} : { alpn: undefined }),
          };
          const hello = Buffer.concat([buildClientHello(sent), trailing]);
          expect(parseClientHello(hello)).toEqual({
            kind: 'complete',
            servername: sent.servername,
            alpnProtocols: sent.alpn,
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts a ClientHello without an extensions block', () => {
    expect(parseClientHello(buildClientHello({ noExtensions: true }))).toEqual({
      kind: 'complete',
      servername: undefined,
      alpnProtocols: undefined,
    });
  });

  it('refuses a ClientHello larger than the bound, before it is complete', () => {
    const hello = buildClientHello({
      servername: 'a.test',
      extensions: [{ type: 21, data: new Uint8Array(3000) }],
    });
    expect(parseClientHello(hello.subarray(0, 600), 1024)).toMatchObject({
      kind: 'invalid',
      reason: 'ClientHello larger than 1024 bytes',
    });
    expect(parseClientHello(hello, 4096).kind).toBe('complete');
  });
});

describe('parseClientHello fragmentation', () => {
  it('reassembles a handshake header split across records', () => {
    for (const first of [1, 2, 3]) {
      const hello = buildClientHello({ servername: 'split.test', alpn: ['h2'], fragments: [first, 2] });
      expect(parseClientHello(hello)).toEqual({
        kind: 'complete',
        servername: 'split.test',
        alpnProtocols: ['h2'],
      });
    }
  });
});
