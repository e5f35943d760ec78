/**
 * The three stacks: user layers plug into the server, path and client stacks by name, run where
 * their stack runs (server: once per request, after identify; path: once per request, after
 * bind and outside the retry loop; client: once per attempt, above dispatch), and the router
 * prints each stack. The older array and function forms keep their behaviour.
 */
import { classifiers } from '@switchyard/balancers';
import { Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import type { RouterLayer } from '../src/index.js';
import { fixtures, send } from './helpers.js';

const { backend, router } = fixtures(1000);

/** A layer that records `tag` (with what it sees) in `log` before the layers below and after they settle. */
function recorder(role: string, log: string[]): RouterLayer {
  return {
    role,
    description: `records ${role}`,
    layer: (next) => async (ctx) => {
      log.push(`${role}>${ctx.dst === undefined ? '-' : Path.show(ctx.dst)}`);
      try {
        await next(ctx);
      } finally {
        log.push(`${role}<${ctx.endpoint ?? '-'}`);
      }
    },
  };
}

describe('stacks', () => {
  it('runs named user layers in their stack: server and path once per request, client once per attempt', async () => {
    let calls = 0;
    const b = await backend((_req, res) => {
      calls++;
      res.statusCode = calls === 1 ? 503 : 200;
      res.end(`call ${calls}`);
    });
    const log: string[] = [];
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { responseClassifier: classifiers.retryableRead5XX },
      layers: {
        server: [recorder('s', log)],
        path: [recorder('p', log)],
        client: [recorder('c', log)],
      },
    });
    expect(r.stacks).toEqual({
      server: [
        'server-stats',
        'rescue',
        'admission',
        'request-line',
        'context',
        'call-depth',
        'proxy-rewrite',
        'identify',
        's',
      ].map((role) => expect.objectContaining({ role, description: expect.any(String) })),
      path: ['bind', 'p', 'route-timeout', 'retries'].map((role) => expect.objectContaining({ role })),
      client: ['mirror', 'c'].map((role) => expect.objectContaining({ role })),
    });
    expect(r.layers.map((l) => l.role)).toEqual([
      ...Object.values(r.stacks)
        .flat()
        .map((l) => l.role),
    ]);
    const reply = await send(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('call 2');
    const ep = `127.0.0.1:${b.port}`;
    // The retry happens inside the path stack: the client layer runs twice, the others once.
    expect(log).toEqual([
      's>/svc/web',
      'p>/svc/web',
      'c>/svc/web',
      `c<${ep}`,
      'c>/svc/web',
      `c<${ep}`,
      `p<${ep}`,
      `s<${ep}`,
    ]);
  });

  it('takes a function per stack (rearranging that stack) and keeps the flat function form', async () => {
    const b = await backend();
    const log: string[] = [];
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: (defaults) => [recorder('outer', log), ...defaults] },
    });
    expect(r.stacks.server[0]!.role).toBe('outer');
    // Outermost: it sees requests that identification rejects.
    expect((await send(port, { headers: {} })).status).toBe(400);
    expect(log).toEqual(['outer>-', 'outer<-']);

    const flat = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: (defaults) => [recorder('first', log), ...defaults, recorder('last', log)],
    });
    expect(flat.router.stacks.server[0]!.role).toBe('first');
    expect(flat.router.stacks.path.map((l) => l.role)).toEqual(['bind', 'route-timeout', 'retries']);
    expect(flat.router.stacks.client.map((l) => l.role)).toEqual(['mirror', 'last']);
    log.length = 0;
    expect((await send(flat.port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
    expect(log).toEqual([
      'first>-',
      'last>/svc/web',
      `last<127.0.0.1:${b.port}`,
      `first<127.0.0.1:${b.port}`,
    ]);
  });
});
