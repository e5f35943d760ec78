/**
 * Per-name policies (`clientPolicy`, `servicePolicy`: Linkerd 1's io.l5d.static configs as a
 * router seam): each bound client and each service gets its own options, resolved once.
 */
import { classifiers } from '@switchyard/balancers';
import { Path } from '@switchyard/dtab';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(200);

describe('per-name policies', () => {
  it('gives each bound client its own attempt timeout and each service its own classifier, once per name', async () => {
    let n = 0;
    const flaky = await backend((req, res) => {
      req.resume();
      n++;
      res.statusCode = n % 2 === 1 ? 503 : 200;
      res.end(`flaky ${n}`);
    });
    const slow = await backend((req, res) => {
      req.resume();
      setTimeout(() => res.end('slow'), 300);
    });
    const clientCalls: string[] = [];
    const serviceCalls: string[] = [];
    const { port } = await router(
      `/svc/flaky => /$/inet/127.0.0.1/${flaky.port}; /svc/slow => /$/inet/127.0.0.1/${slow.port}; /svc/slow2 => /$/inet/127.0.0.1/${slow.port}`,
      {
        client: { requestAttemptTimeoutMs: 5000 },
        clientPolicy: (bound) => {
          clientCalls.push(Path.show(bound));
          return bound[3] === String(slow.port) ? { requestAttemptTimeoutMs: 100 } : {};
        },
        servicePolicy: (logical) => {
          serviceCalls.push(Path.show(logical));
          return logical[1] === 'flaky' ? { responseClassifier: classifiers.retryableRead5XX } : {};
        },
      },
    );
    // /svc/flaky retries its 503 (its own classifier); the default service would answer it.
    const a = await httpRequest(port, { headers: { 'x-dst': 'flaky' } });
    expect([a.status, a.body]).toEqual([200, 'flaky 2']);
    // The slow backend's client has a 100 ms attempt timeout; the router-wide one is 5 s.
    const b = await httpRequest(port, { headers: { 'x-dst': 'slow' } });
    expect(b.status).toBe(503);
    expect(b.body).toBe('Request attempt exceeded requestAttemptTimeoutMs (100 ms)\n');
    await httpRequest(port, { headers: { 'x-dst': 'slow2' } });
    await httpRequest(port, { headers: { 'x-dst': 'flaky' } });
    // Once per client (two bound ids) and once per service (three names).
    expect(clientCalls.sort()).toEqual(
      [`/$/inet/127.0.0.1/${flaky.port}`, `/$/inet/127.0.0.1/${slow.port}`].sort(),
    );
    expect(serviceCalls.sort()).toEqual(['/svc/flaky', '/svc/slow', '/svc/slow2']);
  });
});
