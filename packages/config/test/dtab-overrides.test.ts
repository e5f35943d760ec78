/**
 * `routers[].dtabOverrides` and `signedDtabOverrides` in config: bad input is reported at
 * file:line:col by the schema (conditions, patterns, dtabs, key lists) and by the validate phase
 * (key files), and overrides apply on reload without rebuilding the identifiers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, parseLinkerConfig, validateLinker } from '../src/index.js';

const kinds = createDefaultKinds();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-overrides-'));
  await writeFile(join(dir, 'good.key'), randomBytes(32).toString('hex'));
  await writeFile(join(dir, 'short.key'), 'too short\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function router(overrides: string): string {
  return `routers:
- protocol: http
  servers: [{port: 0}]
${overrides}`;
}

function schemaProblems(text: string): string[] {
  try {
    parseLinkerConfig(text, 'linker.yaml', kinds);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
  }
}

describe('dtabOverrides in config', () => {
  it('parses cookie and header conditions into the library form', () => {
    const { config } = parseLinkerConfig(
      router(`  dtabOverrides:
  - label: dogfood
    when: {cookie: {name: dogfood, match: "yes|1"}}
    dtab: /svc/world => /svc/world-v2
  - when: {header: {name: x-beta}}
    dtab: /svc/a => /svc/b`),
      'linker.yaml',
      kinds,
    );
    const [a, b] = config.routers[0]!.dtabOverrides!;
    expect(a).toMatchObject({ label: 'dogfood', when: { kind: 'cookie', name: 'dogfood', match: 'yes|1' } });
    expect(b!.when).toEqual({ kind: 'header', name: 'x-beta' });
  });

  it('reports bad conditions, patterns and dtabs at their line and column', () => {
    expect(
      schemaProblems(
        router(`  dtabOverrides:
  - when: {cookie: {name: "a b"}}
    dtab: /a => /b
  - when: {cookie: {name: a, match: "("}}
    dtab: /a => /b
  - when: {cookie: {name: a}, header: {name: b}}
    dtab: /a => /b
  - when: {}
    dtab: /a => /b
  - when: {header: {name: a}}
    dtab: /a => !!
  - when: {header: {name: a}}
    dtab: ""`),
      ),
    ).toEqual([
      expect.stringMatching(
        /^5:27 routers\[0\]\.dtabOverrides\[0\]\.when\.cookie\.name: not a cookie name: "a b"/,
      ),
      expect.stringMatching(
        /^7:37 routers\[0\]\.dtabOverrides\[1\]\.when\.cookie\.match: not a regular expression/,
      ),
      expect.stringMatching(
        /^9:39 routers\[0\]\.dtabOverrides\[2\]\.when\.header: give one of cookie and header/,
      ),
      expect.stringMatching(/^11:11 routers\[0\]\.dtabOverrides\[3\]\.when: needs cookie or header/),
      expect.stringMatching(/^14:18 routers\[0\]\.dtabOverrides\[4\]\.dtab: invalid dtab/),
      expect.stringMatching(/^16:11 routers\[0\]\.dtabOverrides\[5\]\.dtab: no dentries/),
    ]);
  });

  it('checks the signing keys: one or two, distinct, files readable and long enough', async () => {
    expect(
      schemaProblems(
        router(`  signedDtabOverrides:
    cookie: l5d-override
    keys: []`),
      ),
    ).toEqual([
      expect.stringMatching(/^6:11 routers\[0\]\.signedDtabOverrides\.keys: expected one or two keys, got 0/),
    ]);
    const loaded = parseLinkerConfig(
      router(`  signedDtabOverrides:
    cookie: l5d-override
    keys:
    - {id: k2, secretPath: short.key}
    - {id: k1, secretPath: missing.key}`),
      'linker.yaml',
      kinds,
    );
    const issues = await validateLinker(loaded, { kinds, baseDir: dir, noAdmin: true });
    expect(issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      `7:28 routers[0].signedDtabOverrides.keys[0].secretPath: ${join(dir, 'short.key')} holds 9 bytes; a signing key needs at least 32`,
      `8:28 routers[0].signedDtabOverrides.keys[1].secretPath: cannot read ${join(dir, 'missing.key')} (ENOENT)`,
    ]);
  });
});
