import { createMetricsRegistry } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGrpcTimeout, parseGrpcTimeout, requestDeadlineMs } from './grpc-timeout.js';

describe('grpc-timeout', () => {
  it('reads every unit', () => {
    expect(parseGrpcTimeout('2H')).toEqual({ kind: 'timeout', ms: 7_200_000 });
    expect(parseGrpcTimeout('3M')).toEqual({ kind: 'timeout', ms: 180_000 });
    expect(parseGrpcTimeout('4S')).toEqual({ kind: 'timeout', ms: 4000 });
    expect(parseGrpcTimeout('250m')).toEqual({ kind: 'timeout', ms: 250 });
    expect(parseGrpcTimeout('1500u')).toEqual({ kind: 'timeout', ms: 1.5 });
    expect(parseGrpcTimeout('2000000n')).toEqual({ kind: 'timeout', ms: 2 });
    expect(parseGrpcTimeout(undefined)).toEqual({ kind: 'absent' });
  });

  it('accepts at most eight digits and one unit, nothing else', () => {
    expect(parseGrpcTimeout('99999999H')).toEqual({ kind: 'timeout', ms: 99_999_999 * 3_600_000 });
    for (const bad of [
      '123456789m',
      '',
      'm',
      '10',
      '10s',
      '10ms',
      '-1S',
      '1.5S',
      ' 1S',
      '1S ',
      '1 S',
      '0x10m',
      '１S',
    ]) {
      expect(parseGrpcTimeout(bad)).toEqual({ kind: 'malformed', value: bad });
    }
    expect(parseGrpcTimeout(['1S', '2S'])).toEqual({ kind: 'malformed', value: '1S, 2S' });
  });

  it('gives the deadline in ms, capped, rounding sub-millisecond values up; malformed values are counted', () => {
    const stats = createMetricsRegistry();
    expect(requestDeadlineMs('1n', { stats })).toBe(1);
    expect(requestDeadlineMs('0m', { stats })).toBe(0);
    expect(requestDeadlineMs('1H', { stats, maxMs: 30_000 })).toBe(30_000);
    expect(requestDeadlineMs(undefined, { stats })).toBeUndefined();
    expect(requestDeadlineMs('soon', { stats })).toBeUndefined();
    expect(requestDeadlineMs('1x', { stats })).toBeUndefined();
    expect(stats.snapshot()).toEqual([{ kind: 'counter', name: ['grpc', 'timeout_malformed'], value: 2 }]);
  });

  it('format then parse gives at least the deadline, never less', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e13, noNaN: true }), (ms) => {
        const parsed = parseGrpcTimeout(formatGrpcTimeout(ms));
        expect(parsed.kind).toBe('timeout');
        if (parsed.kind === 'timeout')
          expect(parsed.ms).toBeGreaterThanOrEqual(Math.min(ms, 99_999_999 * 3_600_000));
      }),
    );
  });
});
