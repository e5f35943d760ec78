/**
 * RFC 9112 request-line and head checks on raw sockets: what the router answers itself, and
 * that none of it reaches a backend.
 */
import { rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, headerIdentifier } from './helpers.js';

const { backend, router } = fixtures(500);

/** Status line and lower-cased headers of a raw response, plus its body. */
function parse(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [line, ...fields] = raw.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const f of fields) {
    const colon = f.indexOf(':');
    headers.set(f.slice(0, colon).toLowerCase(), f.slice(colon + 1).trim());
  }
  return { status: Number(line!.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

describe('request line and head (RFC 9112)', () => {
  it('answers a repeated Host with 400 and forwards nothing', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const reply = parse(
      await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nx-dst: web\r\n\r\n'),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toBe('Bad request: Host header: more than one Host field (RFC 9112 section 3.2)\n');
    expect(reply.headers.get('connection')).toBe('close');
    expect(b.bytesReceived()).toBe(0);
  });

  it('answers a non-1.x HTTP version on an HTTP/1 port with 505', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    // node's parser itself refuses versions other than 0.9, 1.0, 1.1 and 2.0 (400).
    const reply = parse(await rawExchange(port, 'GET / HTTP/2.0\r\nHost: h\r\nx-dst: web\r\n\r\n'));
    expect(reply.status).toBe(505);
    expect(reply.body).toBe('HTTP/2.0 is not supported on this port (HTTP/1.x only)\n');
    expect(reply.headers.get('connection')).toBe('close');
    expect(b.bytesReceived()).toBe(0);
  });

  it('answers OPTIONS * itself with 200 and Allow, other asterisk-form with 400, CONNECT with 405', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const options = parse(
      await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n'),
    );
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH');
    expect(options.headers.get('content-length')).toBe('0');
    const star = parse(
      await rawExchange(port, 'GET * HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n'),
    );
    expect(star.status).toBe(400);
    expect(star.body).toBe(
      'Bad request: request target: asterisk-form (*) is only valid with OPTIONS, not GET\n',
    );
    const connect = parse(
      await rawExchange(
        port,
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nx-dst: web\r\n\r\n',
      ),
    );
    expect(connect.status).toBe(405);
    expect(connect.headers.get('allow')).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH');
    expect(connect.body).toBe('Method CONNECT is not supported by this proxy\n');
    const ftp = parse(
      await rawExchange(port, 'GET ftp://x/ HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n'),
    );
    expect(ftp.status).toBe(400);
    expect(b.bytesReceived()).toBe(0);
  });

  it('lets the authority of an absolute-form target win over Host (RFC 9112 §3.2.2)', async () => {
    const b = await backend((req, res) => {
      req.resume();
      res.end(`${req.headers.host} ${req.url}`);
    });
    const { port } = await router(`/svc/a.example => /$/inet/127.0.0.1/${b.port}`, {
      identifier: headerIdentifier('host'),
    });
    const reply = parse(
      await rawExchange(
        port,
        'GET http://a.example/p?q=1 HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n',
      ),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('a.example /p?q=1');
  });
});
