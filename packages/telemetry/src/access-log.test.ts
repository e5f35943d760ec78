import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_FORMATS,
  accessLogFormatter,
  formatAccessLogTime,
  formatCommonLog,
  formatHttpAccessLog,
  formatJsonAccessLog,
} from './access-log.js';
import { createRecentRequests } from './recent-requests.js';

const T = Date.UTC(2024, 2, 5, 14, 2, 3);

describe('access log', () => {
  it("formats Linkerd's httpAccessLog line", () => {
    expect(formatAccessLogTime(T)).toBe('05/03/2024:14:02:03 +0000');
    expect(
      formatHttpAccessLog({
        timestamp: T,
        host: 'web.example.com',
        remoteAddress: '10.0.0.7',
        method: 'GET',
        uri: '/a?b=c',
        httpVersion: '1.1',
        status: 200,
        responseBytes: 512,
        userAgent: 'curl/8.0',
      }),
    ).toBe(
      'web.example.com 10.0.0.7 - - [05/03/2024:14:02:03 +0000] "GET /a?b=c HTTP/1.1" 200 512 "-" "curl/8.0"',
    );
  });

  it('escapes quotes and control characters so fields cannot be forged', () => {
    const line = formatHttpAccessLog({
      timestamp: T,
      method: 'GET',
      uri: '/',
      httpVersion: '1.0',
      status: 404,
      userAgent: 'x" "evil\n',
    });
    expect(line).toBe(
      '- - - - [05/03/2024:14:02:03 +0000] "GET / HTTP/1.0" 404 - "-" "x\\x22 \\x22evil\\x0a"',
    );
  });

  it('formats the Common Log Format (month names, no Host, quotes escaped)', () => {
    expect(
      formatCommonLog({
        timestamp: T,
        host: 'web.example.com',
        remoteAddress: '10.0.0.7',
        method: 'GET',
        uri: '/a?b="c"',
        httpVersion: '1.1',
        status: 200,
        responseBytes: 512,
        userAgent: 'curl/8.0',
      }),
    ).toBe('10.0.0.7 - - [05/Mar/2024:14:02:03 +0000] "GET /a?b=\\x22c\\x22 HTTP/1.1" 200 512');
    expect(
      formatCommonLog({
        timestamp: Date.UTC(2024, 11, 31),
        method: 'HEAD',
        uri: '/',
        httpVersion: '1.0',
        status: 404,
      }),
    ).toBe('- - - [31/Dec/2024:00:00:00 +0000] "HEAD / HTTP/1.0" 404 -');
  });

  it('chooses the formatter by name', () => {
    expect(ACCESS_LOG_FORMATS).toEqual(['linkerd', 'json', 'clf']);
    expect(accessLogFormatter('linkerd')).toBe(formatHttpAccessLog);
    expect(accessLogFormatter('json')).toBe(formatJsonAccessLog);
    expect(accessLogFormatter('clf')).toBe(formatCommonLog);
  });

  it('formats JSON lines', () => {
    const json = JSON.parse(
      formatJsonAccessLog({
        timestamp: T,
        method: 'POST',
        uri: '/x',
        httpVersion: '1.1',
        status: 502,
        service: '/svc/x',
      }),
    );
    expect(json).toEqual({
      time: '2024-03-05T14:02:03.000Z',
      method: 'POST',
      uri: '/x',
      httpVersion: '1.1',
      status: 502,
      service: '/svc/x',
    });
  });
});

describe('recent requests', () => {
  const entry = (i: number) => ({
    timestamp: i,
    router: 'r',
    method: 'GET',
    uri: `/${i}`,
    status: 200,
    durationMs: 1,
  });

  it('keeps the newest `capacity` entries, newest first', () => {
    const buf = createRecentRequests({ sampleRate: 1, capacity: 3 });
    expect(buf.list()).toEqual([]);
    for (let i = 1; i <= 5; i++) if (buf.shouldSample()) buf.record(entry(i));
    expect(buf.list().map((e) => e.uri)).toEqual(['/5', '/4', '/3']);
  });

  it('samples by sampleRate with the injected random', () => {
    const values = [0.05, 0.5, 0.09, 0.99];
    const buf = createRecentRequests({ sampleRate: 0.1 }, () => values.shift() ?? 1);
    expect([1, 2, 3, 4].map(() => buf.shouldSample())).toEqual([true, false, true, false]);
    expect(createRecentRequests({ sampleRate: 0 }).shouldSample()).toBe(false);
  });
});

describe('access log time text', () => {
  it('formats each line with its own time while reusing the text of a repeated second or millisecond', () => {
    const at = Date.UTC(2024, 2, 5, 14, 2, 3, 250);
    const entry = { method: 'GET', uri: '/', httpVersion: '1.1', status: 200 };
    const times = [at, at + 500, at + 1000, at, at + 86_400_000];
    expect(times.map((t) => formatAccessLogTime(t))).toEqual([
      '05/03/2024:14:02:03 +0000',
      '05/03/2024:14:02:03 +0000',
      '05/03/2024:14:02:04 +0000',
      '05/03/2024:14:02:03 +0000',
      '06/03/2024:14:02:03 +0000',
    ]);
    expect(times.map((t) => formatCommonLog({ ...entry, timestamp: t }).split(' ')[3])).toEqual([
      '[05/Mar/2024:14:02:03',
      '[05/Mar/2024:14:02:03',
      '[05/Mar/2024:14:02:04',
      '[05/Mar/2024:14:02:03',
      '[06/Mar/2024:14:02:03',
    ]);
    expect(times.map((t) => JSON.parse(formatJsonAccessLog({ ...entry, timestamp: t })).time)).toEqual(
      times.map((t) => new Date(t).toISOString()),
    );
    // Field order: time, then the entry's own order.
    expect(Object.keys(JSON.parse(formatJsonAccessLog({ timestamp: at, ...entry, router: 'r' })))).toEqual([
      'time',
      'method',
      'uri',
      'httpVersion',
      'status',
      'router',
    ]);
  });
});
