import { rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(500);

describe('HTTP/1.1 response head relayed from the raw field list', () => {
  it("keeps the endpoint's field names, order and repeats, drops hop-by-hop fields, appends Via once", async () => {
    const b = await backend((req, res) => {
      req.resume();
      // writeHead with a flat list: the backend's own case and order on the wire.
      res.writeHead(200, 'Fine', [
        'X-Mixed-Case',
        'a',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Via',
        '1.0 upstream',
        'X-Private',
        'p',
        'Connection',
        'X-Private',
        'Content-Length',
        '2',
      ]);
      res.end('ok');
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const answer = await rawExchange(
      port,
      'GET / HTTP/1.1\r\nHost: x\r\nx-dst: web\r\nConnection: close\r\n\r\n',
    );
    const [head, body] = answer.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 200 Fine');
    expect(lines).toContain('X-Mixed-Case: a');
    expect(lines.filter((l) => l.startsWith('Set-Cookie: '))).toEqual(['Set-Cookie: a=1', 'Set-Cookie: b=2']);
    expect(lines.filter((l) => /^via:/i.test(l))).toEqual(['Via: 1.0 upstream, 1.1 switchyard']);
    expect(lines.some((l) => /^x-private:/i.test(l))).toBe(false);
    expect(lines.filter((l) => /^l5d-success-class:/i.test(l))).toEqual(['l5d-success-class: 1.0']);
    expect(body).toBe('ok');
  });
});
