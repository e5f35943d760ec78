/**
 * Server timeouts from the YAML reach real listening sockets: a short request timeout starts
 * (Node refuses headersTimeout > requestTimeout), a slow request head is cut at headersTimeoutMs,
 * an idle keep-alive connection at keepAliveTimeoutMs; impossible combinations are config errors
 * at the offending field.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, textBackend } from './http.js';
import { configIssues } from './issues.js';

const kinds = createDefaultKinds();
const running: Linker[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.close()));
});

function config(serverExtra: string): string {
  return `routers:
- protocol: http
  identifier:
    kind: io.l5d.static
    path: /web
  servers:
  - port: 0
    ip: 127.0.0.1
${serverExtra}
  dtab: /svc/web => /$/inet/127.0.0.1/1
`;
}

async function start(serverExtra: string): Promise<{ linker: Linker; port: number }> {
  const linker = await Linker.start(parseLinkerConfig(config(serverExtra), 'timeouts.yaml', kinds), {
    kinds,
    baseDir: process.cwd(),
    noAdmin: true,
  });
  running.push(linker);
  return { linker, port: linker.routers[0]!.servers[0]!.port };
}

/** Resolves with how long the server kept `socket` open, ms. */
function closedAfter(socket: Socket): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.resume(); // read the 408 so the end of the stream is seen
    socket.once('close', () => resolve(performance.now() - started));
  });
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const issuesOf = (text: string): string[] => configIssues(text, 'timeouts.yaml', kinds);

describe('server timeouts', () => {
  it('defaults: 10 s for the head, 300 s for the request, 5 s keep-alive', () => {
    const server = parseLinkerConfig(config(''), 'timeouts.yaml', kinds).config.routers[0]!.servers[0]!;
    expect(server).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5000,
    });
  });

  it('starts with a request timeout under 60 s (timeoutMs, the former name) and serves', async () => {
    const backend = await textBackend('ok');
    try {
      const text = config('    timeoutMs: 5000').replace('/127.0.0.1/1', `/127.0.0.1/${backend.port}`);
      const linker = await Linker.start(parseLinkerConfig(text, 'timeouts.yaml', kinds), {
        kinds,
        baseDir: process.cwd(),
        noAdmin: true,
      });
      running.push(linker);
      expect(linker.config.routers[0]!.servers[0]).toMatchObject({
        requestTimeoutMs: 5000,
        headersTimeoutMs: 5000,
      });
      const reply = await get(linker.routers[0]!.servers[0]!.port);
      expect(reply.body).toBe('ok');
    } finally {
      backend.server.close();
    }
  });

  it('disconnects a client that sends its head slower than headersTimeoutMs', async () => {
    const { port } = await start('    headersTimeoutMs: 300');
    const socket = await connectTo(port);
    const closed = closedAfter(socket);
    socket.write('GET / HTTP/1.1\r\nHost: web\r\n'); // and never the blank line
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const { port } = await start('    keepAliveTimeoutMs: 200');
    const socket = await connectTo(port);
    socket.write('GET / HTTP/1.1\r\nHost: web\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const ms = await closedAfter(socket);
    expect(ms).toBeLessThan(3000);
  });

  it('rejects headersTimeoutMs above the request timeout at the field', () => {
    expect(issuesOf(config('    requestTimeoutMs: 5000\n    headersTimeoutMs: 20000'))).toEqual([
      '10:23 routers[0].servers[0].headersTimeoutMs: headersTimeoutMs (20000) must be ≤ requestTimeoutMs (5000): the head is part of the request',
    ]);
    expect(issuesOf(config('    timeoutMs: 1000\n    headersTimeoutMs: 2000'))[0]).toContain(
      'must be ≤ timeoutMs (1000)',
    );
  });

  it('rejects timeoutMs together with requestTimeoutMs', () => {
    expect(issuesOf(config('    timeoutMs: 1000\n    requestTimeoutMs: 2000'))).toEqual([
      '9:16 routers[0].servers[0].timeoutMs: timeoutMs and requestTimeoutMs are the same option',
    ]);
  });

  it('accepts any head timeout when the request timeout is off', () => {
    expect(issuesOf(config('    requestTimeoutMs: 0\n    headersTimeoutMs: 900000'))).toEqual([]);
  });
});
