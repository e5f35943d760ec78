/**
 * The three stacks: user layers plug into the server, path and client stacks by name, run where
 * their stack runs (server: once per request, before identify; path: once per request, after
 * bind and outside the retry loop; client: once per attempt, above dispatch), and the router
 * prints each stack.
 */
import { classifiers } from '@switchyard/balancers';
import { Path } from '@switchyard/dtab';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientLayer, PathLayer, RequestRecord, ServerLayer } from '../src/index.js';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(1000);

/**
 * Records `role` with what the request record says (the name before, the endpoint after) in `log`
 * around the layers below.
 */
async function recording<T>(role: string, log: string[], record: RequestRecord, run: () => Promise<T>) {
  log.push(`${role}>${record.dst === undefined ? '-' : Path.show(record.dst)}`);
  try {
    return await run();
  } finally {
    log.push(`${role}<${record.endpoint ?? '-'}`);
  }
}

function description(role: string): string {
  return `records ${role}`;
}

/** A server-stack recorder. */
function serverRecorder(role: string, log: string[]): ServerLayer {
  return {
    kind: 'server',
    role,
    description: description(role),
    layer: (next) => (inbound) => recording(role, log, inbound.exchange.record, () => next(inbound)),
  };
}

/** A path-stack recorder. */
function pathRecorder(role: string, log: string[]): PathLayer {
  return {
    kind: 'path',
    role,
    description: description(role),
    layer: (next) => (bound) =>
      recording(role, log, bound.identified.request.exchange.record, () => next(bound)),
  };
}

/** A client-stack recorder: its `<` entry is logged when the attempt's response head arrived. */
function clientRecorder(role: string, log: string[]): ClientLayer {
  return {
    kind: 'client',
    role,
    description: description(role),
    layer: (next) => (bound) =>
      recording(role, log, bound.identified.request.exchange.record, () => next(bound)),
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
        server: [serverRecorder('s', log)],
        path: [pathRecorder('p', log)],
        client: [clientRecorder('c', log)],
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
        's',
        'identify',
      ].map((role) => expect.objectContaining({ role, description: expect.any(String) })),
      path: ['bind', 'p', 'route-timeout', 'retries'].map((role) => expect.objectContaining({ role })),
      client: ['mirror', 'c'].map((role) => expect.objectContaining({ role })),
    });
    expect(r.layers.map((l) => l.role)).toEqual([
      ...Object.values(r.stacks)
        .flat()
        .map((l) => l.role),
    ]);
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('call 2');
    const ep = `127.0.0.1:${b.port}`;
    // The retry happens inside the path stack: the client layer runs twice, the others once.
    expect(log).toEqual([
      's>-',
      'p>/svc/web',
      'c>/svc/web',
      `c<${ep}`,
      'c>/svc/web',
      `c<${ep}`,
      `p<${ep}`,
      `s<${ep}`,
    ]);
  });

  it('takes a function per stack (rearranging that stack)', async () => {
    const b = await backend();
    const log: string[] = [];
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: (defaults) => [serverRecorder('outer', log), ...defaults] },
    });
    expect(r.stacks.server[0]!.role).toBe('outer');
    // Outermost: it sees requests that identification rejects.
    expect((await httpRequest(port, { headers: {} })).status).toBe(400);
    expect(log).toEqual(['outer>-', 'outer<-']);
  });
});
