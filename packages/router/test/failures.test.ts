import http from 'node:http';
import { classifiers } from '@switchyard/balancers';
import { Addr, address } from '@switchyard/core';
import { freePort, httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, testNamer } from './helpers.js';

const { backend, router } = fixtures(500);

describe('failures', () => {
  it('answers 502 when the backend drops the connection before answering', async () => {
    const b = await backend((req) => req.socket.destroy());
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(/^Connection to 127\.0\.0\.1:\d+ failed/);
  });

  it('cuts the client connection when the backend dies mid-response, and keeps serving', async () => {
    let clientGotPartial: () => void = () => {};
    const partialArrived = new Promise<void>((resolve) => {
      clientGotPartial = resolve;
    });
    const b = await backend((req, res) => {
      if (req.url === '/die') {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('partial');
        // Die only once the first bytes have crossed the router, so the cut is mid-response.
        void partialArrived.then(() => req.socket.destroy());
      } else res.end('fine');
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const outcome = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/die', headers: { 'x-dst': 'web' }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
            if (body === 'partial') clientGotPartial();
          });
          res.on('end', () => resolve(`complete:${body}`));
          res.on('error', () => resolve(`aborted:${body}`));
          res.on('aborted', () => resolve(`aborted:${body}`));
        })
        .on('error', () => resolve('error'));
    });
    expect(outcome).toBe('aborted:partial');
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('fine');
  });

  it('answers 503 when a backend never answers within requestAttemptTimeoutMs', async () => {
    const b = await backend(() => {});
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      client: { requestAttemptTimeoutMs: 150 },
    });
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('Request attempt exceeded requestAttemptTimeoutMs (150 ms)\n');
  });

  it('answers 503 when the whole request exceeds totalTimeoutMs', async () => {
    const b = await backend(() => {});
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { totalTimeoutMs: 150 },
    });
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('Request exceeded totalTimeoutMs (150 ms)\n');
  });

  it('answers 503 when binding stays pending past bindingTimeoutMs, and routes once it binds', async () => {
    const namer = testNamer();
    const b = await backend();
    const { port } = await router('/svc => /#/test', { namers: [namer.entry], bindingTimeoutMs: 150 });
    const reply = await httpRequest(port, { headers: { 'x-dst': 'slow' } });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('Binding /svc/slow exceeded bindingTimeoutMs (150 ms)\n');
    namer.addr('slow').update(Addr.bound([address('127.0.0.1', b.port)]));
    expect((await httpRequest(port, { headers: { 'x-dst': 'slow' } })).status).toBe(200);
  });

  it('answers 502 for a neg or empty address set', async () => {
    const namer = testNamer();
    const { port } = await router('/svc => /#/test', { namers: [namer.entry] });
    namer.addr('gone').update(Addr.neg);
    namer.addr('empty').update(Addr.bound([]));
    for (const dst of ['gone', 'empty']) {
      const reply = await httpRequest(port, { headers: { 'x-dst': dst } });
      expect(reply.status).toBe(502);
      expect(reply.body).toContain('no-endpoints');
    }
  });

  it('keeps the last good address set when the namer fails', async () => {
    const namer = testNamer();
    const b = await backend();
    const { port } = await router('/svc => /#/test', { namers: [namer.entry] });
    namer.addr('web').update(Addr.bound([address('127.0.0.1', b.port)]));
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
    namer.addr('web').update(Addr.failed(new Error('k8s API down')));
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
  });

  it('requeues connection failures to another endpoint', async () => {
    const namer = testNamer();
    const b = await backend();
    const dead = await freePort();
    const { port } = await router('/svc => /#/test', { namers: [namer.entry] });
    namer.addr('web').update(Addr.bound([address('127.0.0.1', dead), address('127.0.0.1', b.port)]));
    for (let i = 0; i < 10; i++) {
      const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
      expect(reply.status).toBe(200);
    }
  });

  it('retries retryable 5xx with a buffered body, within the budget', async () => {
    const bodies: string[] = [];
    let calls = 0;
    const b = await backend((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        calls++;
        res.statusCode = calls === 1 ? 503 : 200;
        res.end(`attempt ${calls}`);
      });
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { responseClassifier: classifiers.retryableAll5XX },
    });
    const reply = await httpRequest(port, { method: 'POST', headers: { 'x-dst': 'web' }, body: 'payload' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('attempt 2');
    expect(bodies).toEqual(['payload', 'payload']);
  });

  it('waits the retry backoff between retries', async () => {
    const seen: number[] = [];
    const b = await backend((req, res) => {
      req.resume();
      seen.push(Date.now());
      res.statusCode = seen.length < 3 ? 503 : 200;
      res.end(`attempt ${seen.length}`);
    });
    let streams = 0;
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: {
        responseClassifier: classifiers.retryableAll5XX,
        retryBackoff: () => {
          streams++;
          return [150, 300][Symbol.iterator]();
        },
      },
    });
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.body).toBe('attempt 3');
    expect(streams).toBe(1);
    // Lower bounds only: the waits can only be longer on a loaded machine.
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(140);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(290);
  });

  it('does not retry a request whose body streamed (chunked)', async () => {
    let calls = 0;
    const b = await backend((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.statusCode = 503;
        res.end('no');
      });
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { responseClassifier: classifiers.retryableAll5XX },
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', headers: { 'x-dst': 'web' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.write('a');
      req.end('b');
    });
    expect(status).toBe(503);
    expect(calls).toBe(1);
  });

  it('rejects a request body over maxRequestBodyBytes with 413', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, maxRequestBodyBytes: 10 }],
    });
    const byLength = await httpRequest(port, {
      method: 'POST',
      headers: { 'x-dst': 'web' },
      body: 'x'.repeat(11),
    });
    expect(byLength.status).toBe(413);
    expect(b.seen).toHaveLength(0);
    const chunked = await new Promise<number>((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', headers: { 'x-dst': 'web' }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', () => resolve(-1));
      req.write('x'.repeat(8));
      setTimeout(() => req.end('x'.repeat(8)), 20);
    });
    expect(chunked).toBe(413);
    expect(
      (await httpRequest(port, { method: 'POST', headers: { 'x-dst': 'web' }, body: 'small' })).status,
    ).toBe(200);
  });
});
