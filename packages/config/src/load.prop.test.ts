/**
 * Fuzzing the config loader: whatever text or bytes it is given, `parseLinkerConfig` either
 * returns a config or throws a `ConfigError` whose every issue points inside the input
 * (line:column of an existing line, at most one past its end); it never throws anything else and
 * never takes long. Inputs: arbitrary strings and bytes, YAML token soup built from the config's
 * own vocabulary, and random edits of a valid config.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDefaultKinds } from './default-kinds.js';
import { ConfigError } from './errors.js';
import { parseLinkerConfig } from './load.js';

const kinds = createDefaultKinds();
const FILE = 'fuzz.yaml';
/** Per input; generous for a busy CI machine, far below "hangs". */
const MAX_MS = 2000;

const VALID = `admin:
  ip: 127.0.0.1
  port: 9990
namers:
- kind: io.l5d.fs
  rootDir: disco
routers:
- protocol: http
  label: edge
  identifier:
    kind: io.l5d.header.token
    header: Host
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/web => /svc/web-v2 | /svc/web-v1;
  servers:
  - port: 4140
    ip: 0.0.0.0
    clearContext: true
  client:
    loadBalancer:
      kind: ewma
      decayTimeMs: 5000
`;

const TOKENS = [
  ...['admin:', 'routers:', 'namers:', 'telemetry:', 'servers:', 'identifier:', 'client:', 'service:'],
  ...['protocol: http', 'kind: io.l5d.fs', 'kind: io.l5d.header.token', 'kind: io.l5d.static', 'rootDir: d'],
  ...['port: ', 'ip: ', 'dtab: ', 'label: ', 'clearContext: ', 'tls:', 'certPath: c', 'maxHeadersKB: '],
  ...['0', '4140', '65536', '-1', '1e309', '0x1F', 'true', 'null', '~', '""', "''", 'http'],
  ...['/svc => /#/io.l5d.fs', '/svc/a => /b | /c', '/a => ;', '=>', '|', '&', '!', '~'],
  ...['- ', '  ', '    ', '\n', '\r\n', '\t', ': ', ':', ',', '{', '}', '[', ']', '"', "'", '#', '? '],
  ...['&a ', '*a', '<<: *a', '!!str ', '!!int ', '!!binary ', '!custom ', '|-', '>+', '---', '...'],
  ...['%YAML 1.2\n', '%TAG ! tag:x,2000:\n', '\u0000', '\uFEFF', '\u2028', '\\u0000', 'é', '😀'],
];

const arbText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((parts) => parts.join('')),
  fc
    .array(
      fc.record({
        at: fc.nat({ max: VALID.length }),
        cut: fc.nat({ max: 8 }),
        insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .map((edits) =>
      edits.reduce((text, e) => text.slice(0, e.at) + e.insert + text.slice(e.at + e.cut), VALID),
    ),
);

/** Length of each line, LF-separated (a CR is counted as a character of its line). */
function lineLengths(text: string): number[] {
  return text.split('\n').map((line) => line.length);
}

/** Loads `text`; returns what is wrong with the outcome, or undefined when it is acceptable. */
function verdict(text: string): string | undefined {
  const started = performance.now();
  let outcome: string | undefined;
  try {
    const loaded = parseLinkerConfig(text, FILE, kinds);
    if (!Array.isArray(loaded.config.routers)) outcome = 'returned a config without routers';
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      outcome = `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`;
    } else if (error.issues.length === 0) {
      outcome = 'ConfigError without issues';
    } else {
      const lengths = lineLengths(text);
      for (const issue of error.issues) {
        const length = lengths[issue.line - 1];
        const inside =
          issue.file === FILE &&
          Number.isInteger(issue.line) &&
          Number.isInteger(issue.column) &&
          length !== undefined &&
          issue.column >= 1 &&
          issue.column <= length + 1;
        if (!inside) {
          outcome = `issue outside the input at ${issue.file}:${issue.line}:${issue.column} (${lengths.length} lines): ${issue.message}`;
          break;
        }
      }
    }
  }
  const ms = performance.now() - started;
  return outcome ?? (ms > MAX_MS ? `took ${ms.toFixed(0)} ms` : undefined);
}

describe('config loader fuzzing', () => {
  it('loads the valid base config', () => {
    expect(verdict(VALID)).toBeUndefined();
    expect(() => parseLinkerConfig(VALID, FILE, kinds)).not.toThrow();
  });

  it('answers any input with a config or a ConfigError positioned inside it', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        expect(verdict(text)).toBeUndefined();
      }),
      { numRuns: 1500 },
    );
  }, 60_000);

  it('refuses alias bombs (billion laughs) with a ConfigError, quickly', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(verdict(levels.join('\n'))).toBeUndefined();
  });
});
