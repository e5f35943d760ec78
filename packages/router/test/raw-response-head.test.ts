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

describe('HTTP/1.1 request fields forwarded from the raw field list', () => {
  it("keeps the client's field names, order and repeats, strips hop-by-hop and Connection-named fields, adds the router's", async () => {
    let seen: string[] = [];
    const b = await backend((req, res) => {
      seen = req.rawHeaders;
      req.resume();
      res.end('ok');
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const answer = await rawExchange(
      port,
      'GET /p HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: a\r\nx-dst: web\r\nAccept: text/a\r\nAccept: text/b\r\n' +
        'X-Private: p\r\nVia: 1.0 front\r\nL5d-Reqid: client-id\r\nConnection: close, X-Private\r\n\r\n',
    );
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
    const pairs: string[] = [];
    // undici's own pooled-connection field aside.
    for (let i = 0; i < seen.length; i += 2)
      if (seen[i] !== 'connection') pairs.push(`${seen[i]}: ${seen[i + 1]}`);
    // The client's fields in its case and order, repeats kept (node's object would join them).
    expect(pairs.slice(0, 5)).toEqual([
      'host: x',
      'X-Mixed-Case: a',
      'x-dst: web',
      'Accept: text/a',
      'Accept: text/b',
    ]);
    expect(pairs.some((p) => /^x-private:/i.test(p))).toBe(false);
    expect(pairs.filter((p) => /^via:/i.test(p))).toEqual(['via: 1.0 front, 1.1 switchyard']);
    expect(pairs.filter((p) => /^l5d-reqid:/i.test(p))).toEqual(['l5d-reqid: client-id']);
    expect(pairs.filter((p) => /^l5d-dst-service:/i.test(p))).toEqual(['l5d-dst-service: /svc/web']);
    expect(pairs.filter((p) => /^x-forwarded-for:/i.test(p))).toEqual(['x-forwarded-for: 127.0.0.1']);
  });
});
