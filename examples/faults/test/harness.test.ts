/**
 * The harness's own rules, which CI depends on: how counts decide pass/fail, that time limits and
 * cleanups hold, the final `N passed, N failed` line, the command line, and that the raw-socket
 * and backend helpers see what really crosses the wire.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBackend } from '../src/backends.js';
import { parseFaultsCommand } from '../src/cli.js';
import { failures, NO_COUNTS, runScenario, summary } from '../src/harness.js';
import { eventually } from '../src/load.js';
import { seededRandom } from '../src/random.js';
import { rawExchange } from '../src/raw.js';
import { MALFORMED } from '../src/scenarios/malformed-catalogue.js';

describe('fault harness', () => {
  it('fails a scenario on any lost request, wrong backend, leaked byte or problem', () => {
    expect(failures(NO_COUNTS)).toEqual([]);
    expect(failures({ ...NO_COUNTS, failed: 1 })).toEqual(['1 request(s) failed']);
    expect(failures({ ...NO_COUNTS, wrongBackend: 2 })).toEqual(['2 answer(s) from the wrong backend']);
    expect(failures({ ...NO_COUNTS, leakedBytes: 7 })).toEqual([
      'backends received 7 byte(s) they must never see',
    ]);
    expect(failures({ ...NO_COUNTS, problems: ['x'] })).toEqual(['x']);
  });

  it('enforces the time limit, runs cleanups in reverse, and never throws', async () => {
    const order: string[] = [];
    const outcome = await runScenario(
      {
        name: 'stuck',
        description: 'never finishes',
        timeoutMs: 100,
        run: (ctx) => {
          ctx.defer(() => order.push('first'));
          ctx.defer(() => order.push('second'));
          return new Promise(() => undefined);
        },
      },
      1,
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.reasons).toEqual(['error: timed out after 100 ms']);
    expect(order).toEqual(['second', 'first']);
    const thrown = await runScenario(
      {
        name: 'throws',
        description: '',
        timeoutMs: 1000,
        run: async () => {
          throw new Error('boom');
        },
      },
      1,
    );
    expect(thrown.reasons).toEqual(['error: boom']);
  });

  it('ends the summary with the line CI parses', async () => {
    const pass = await runScenario(
      { name: 'ok', description: '', timeoutMs: 1000, run: async () => NO_COUNTS },
      1,
    );
    const fail = await runScenario(
      { name: 'bad', description: '', timeoutMs: 1000, run: async () => ({ ...NO_COUNTS, failed: 3 }) },
      1,
    );
    const text = summary([pass, fail]);
    expect(text.split('\n').at(-1)).toBe('1 passed, 1 failed');
    expect(text).toMatch(/^ok +PASS/m);
    expect(text).toMatch(/^bad +FAIL/m);
  });

  it('parses --only, --seed and rejects bad input', () => {
    expect(parseFaultsCommand(['--', '--only', 'a,b', '--only', 'c', '--seed', '42'], () => 7)).toEqual({
      kind: 'run',
      only: ['a', 'b', 'c'],
      seed: 42,
    });
    expect(parseFaultsCommand([], () => 7)).toEqual({ kind: 'run', only: [], seed: 7 });
    expect(parseFaultsCommand(['--seed', '-1'], () => 7).kind).toBe('usageError');
    expect(parseFaultsCommand(['--bogus'], () => 7).kind).toBe('usageError');
  });

  it('replays random choices from the seed', () => {
    const a = seededRandom(99);
    const b = seededRandom(99);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(100)()).not.toBe(xs[0]);
  });
});

describe('wire helpers', () => {
  it('rawExchange reads the status node:http answers to bytes sent verbatim', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const good = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(good.status).toBe(200);
      const bad = await rawExchange(port, MALFORMED.find((c) => c.name === 'NUL in header')!.bytes);
      expect(bad.status).toBe(400);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a backend counts every byte its sockets receive, HTTP or not', async () => {
    const backend = await startBackend('b-1');
    try {
      const answer = await rawExchange(backend.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(answer.status).toBe(200);
      expect(backend.requests).toBe(1);
      expect(backend.bytes).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.length);
      backend.resetBytes();
      await rawExchange(backend.port, Buffer.from([0, 1, 2, 3]), { timeoutMs: 500 });
      expect(backend.bytes).toBe(4);
      expect(backend.requests).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('the catalogue has unique names and only statuses an edge may answer', () => {
    expect(new Set(MALFORMED.map((c) => c.name)).size).toBe(MALFORMED.length);
    for (const entry of MALFORMED) {
      expect(entry.expect.length).toBeGreaterThan(0);
      for (const status of entry.expect) expect([200, 400, 405, 414, 431, 501, 505]).toContain(status);
    }
  });

  it('eventually: true once the check holds, false after the timeout, and a throwing check rejects', async () => {
    let n = 0;
    expect(await eventually(() => ++n >= 3, 5_000)).toBe(true);
    expect(n).toBe(3);
    const started = Date.now();
    expect(await eventually(async () => false, 120)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    await expect(
      eventually(() => {
        throw new Error('check broke');
      }, 5_000),
    ).rejects.toThrow('check broke');
  });
});
