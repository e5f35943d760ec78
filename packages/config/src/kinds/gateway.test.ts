/**
 * `io.l5d.httproute` options: the Lease timings of status writing are checked together (as the
 * leader elector requires), each problem at its field with line:column.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultKinds } from '../default-kinds.js';
import { ConfigError, formatIssue } from '../errors.js';
import { parseLinkerConfig } from '../load.js';

const kinds = createDefaultKinds();

function config(status: string): string {
  return `routers:
- protocol: http
  identifier:
    kind: io.l5d.httproute
    status: ${status}
  servers:
  - port: 4140
`;
}

function problems(text: string): string[] {
  try {
    parseLinkerConfig(text, 'c.yaml', kinds);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map(formatIssue);
  }
}

describe('io.l5d.httproute status options', () => {
  it('accepts the defaults, writing turned off, and consistent timings', () => {
    expect(problems(config('{}'))).toEqual([]);
    expect(problems(config('{write: false}'))).toEqual([]);
    expect(
      problems(
        config(
          '{leaseName: gw, leaseNamespace: ops, leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200}',
        ),
      ),
    ).toEqual([]);
  });

  it('rejects timings the leader elector cannot run with, naming the field', () => {
    expect(problems(config('{leaseDurationMs: 500, renewDeadlineMs: 400, retryPeriodMs: 100}'))).toEqual([
      expect.stringMatching(
        /^c\.yaml:5:\d+: routers\[0\]\.identifier\.status\.leaseDurationMs: must be at least 1000/,
      ),
    ]);
    expect(problems(config('{leaseDurationMs: 2000, renewDeadlineMs: 2000}'))).toEqual([
      expect.stringMatching(/status\.renewDeadlineMs: must be less than leaseDurationMs \(2000\)/),
    ]);
    expect(problems(config('{renewDeadlineMs: 2000, retryPeriodMs: 2000}'))).toEqual([
      expect.stringMatching(
        /status\.retryPeriodMs: × 1\.2 \(jitter\) must be less than renewDeadlineMs \(2000\)/,
      ),
    ]);
    expect(problems(config('{leaseNam: x}'))[0]).toMatch(
      /unknown option "leaseNam".*did you mean "leaseName"/,
    );
  });
});
