import type { Identification, RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { IdentifierConfigError } from './errors.js';
import { createHeaderPathIdentifier } from './header-path.js';

function req(url: string, headers: RequestHead['headers'] = {}): RequestHead {
  return {
    method: 'POST',
    url,
    httpVersion: '2.0',
    headers,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

function show(r: Identification<RequestHead>): string {
  return r.kind === 'identified' ? Path.show(r.path) : `unidentified: ${r.reason}`;
}

describe('io.l5d.header.path', () => {
  it('routes gRPC by service with segments 1, by method with 2, by the whole path without', async () => {
    const url = '/helloworld.Greeter/SayHello';
    expect(show(await createHeaderPathIdentifier({ segments: 1 })(req(url)))).toBe('/svc/helloworld.Greeter');
    expect(show(await createHeaderPathIdentifier({ segments: 2 })(req(url)))).toBe(
      '/svc/helloworld.Greeter/SayHello',
    );
    expect(show(await createHeaderPathIdentifier({ dstPrefix: '/grpc' })(req(url)))).toBe(
      '/grpc/helloworld.Greeter/SayHello',
    );
  });

  it("Linkerd's cases: query and a trailing slash ignored, too few segments, empty path", async () => {
    const two = createHeaderPathIdentifier({ dstPrefix: '/pfx', segments: 2 });
    expect(show(await two(req('/one/two/three?x=1')))).toBe('/pfx/one/two');
    expect(show(await two(req('/one/')))).toBe('unidentified: Path must have at least 2 segment(s)');
    expect(show(await createHeaderPathIdentifier()(req('/one/two/')))).toBe('/svc/one/two');
    expect(show(await createHeaderPathIdentifier()(req('/')))).toBe('unidentified: Missing destination path');
    expect(show(await createHeaderPathIdentifier()(req('/?q')))).toBe(
      'unidentified: Missing destination path',
    );
  });

  it('a path that is not a dtab Path is unidentified with the parse error', async () => {
    const r = await createHeaderPathIdentifier()(req('/a//b'));
    expect(r.kind).toBe('unidentified');
  });

  it('reads another header (its last value) when asked, and absolute-form targets by their path', async () => {
    const id = createHeaderPathIdentifier({ header: 'X-Route' });
    expect(show(await id(req('/ignored', { 'x-route': ['/first', '/last/x'] })))).toBe('/svc/last/x');
    expect(show(await id(req('/ignored')))).toBe('unidentified: Missing destination path');
    expect(show(await createHeaderPathIdentifier({ segments: 1 })(req('http://h:80/pkg.S/M?x')))).toBe(
      '/svc/pkg.S',
    );
  });

  it('rejects bad options naming the field, and is registered by kind', () => {
    expect(() => createHeaderPathIdentifier({ segments: 0 })).toThrow(IdentifierConfigError);
    expect(() => createHeaderPathIdentifier({ segments: 0 })).toThrow(/io\.l5d\.header\.path: segments/);
    expect(() => createHeaderPathIdentifier({ header: 'bad header' })).toThrow(/header/);
  });
});
