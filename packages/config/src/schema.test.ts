import { Dtab } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from './errors.js';
import { dtabSchema } from './linker-schema.js';
import { createKindCategory } from './registry.js';
import {
  boolean,
  list,
  number,
  object,
  oneOrMany,
  optional,
  port,
  required,
  string,
  validate,
  withDefault,
} from './schema.js';
import { parseConfigSource } from './source.js';

const server = object(
  {
    port: withDefault(port(), 4140, 'port'),
    ip: withDefault(string(), '127.0.0.1', 'ip'),
    clearContext: withDefault(boolean(), false, 'strip'),
  },
  { unsupported: { announce: 'announcers are not implemented' }, ignored: { socketOptions: 'JVM only' } },
);
const root = object({
  servers: required(list(server, { nonEmpty: true }), 'servers'),
  label: optional(string(), 'label'),
});

function check(text: string) {
  return validate(root, parseConfigSource(text, 'linker.yaml'));
}

describe('config schema', () => {
  it('fills defaults and keeps given values', () => {
    expect(check('servers:\n- port: 80\n  ip: 0.0.0.0\n')).toEqual({
      value: { servers: [{ port: 80, ip: '0.0.0.0', clearContext: false }], label: undefined },
    });
  });

  it('names file, line, column and field path, with a did-you-mean hint', () => {
    const result = check('servers:\n- port: 80\n  clearContxt: true\n');
    expect('issues' in result && result.issues.map(formatIssue)).toEqual([
      'linker.yaml:3:3: servers[0].clearContxt: unknown option "clearContxt" (did you mean "clearContext"?)',
    ]);
  });

  it('reports wrong types at the value position', () => {
    const result = check('servers:\n  - port: eighty\n');
    expect('issues' in result && result.issues.map(formatIssue)).toEqual([
      'linker.yaml:2:11: servers[0].port: expected an integer, got string "eighty"',
    ]);
  });

  it('reports every problem, not just the first', () => {
    const result = check('label: 3\nservers:\n- port: 70000\n- announce: []\n');
    expect('issues' in result && result.issues.map((issue) => issue.path).sort()).toEqual([
      'label',
      'servers[0].port',
      'servers[1].announce',
    ]);
  });

  it('rejects unsupported Linkerd options by name and accepts ignored ones', () => {
    const unsupported = check('servers:\n- announce: [/#/io.l5d.serversets]\n');
    expect('issues' in unsupported && unsupported.issues[0]).toMatchObject({
      message: 'option "announce" is not supported by Switchyard',
      hint: 'announcers are not implemented',
      line: 2,
      column: 3,
    });
    expect(check('servers:\n- socketOptions: {noDelay: true}\n')).toHaveProperty('value');
  });

  it('reports missing required options at the parent', () => {
    const result = check('label: x\n');
    expect('issues' in result && result.issues.map(formatIssue)).toEqual([
      'linker.yaml:1:1: missing required option "servers"',
    ]);
  });

  it('throws a syntax error with a position for broken YAML', () => {
    expect(() => parseConfigSource('servers:\n  - port: [80\n', 'bad.yaml')).toThrow(ConfigError);
    try {
      parseConfigSource('servers:\n  - port: [80\n', 'bad.yaml');
    } catch (error) {
      expect(error).toMatchObject({ code: 'SY_ERR_CONFIG_SYNTAX' });
      expect((error as ConfigError).issues[0]!.file).toBe('bad.yaml');
      expect((error as ConfigError).message).toMatch(/^invalid configuration:\n {2}bad\.yaml:\d+:\d+: /);
    }
  });

  it('accepts JSON as well as YAML', () => {
    expect(check('{"servers": [{"port": 81}]}')).toEqual({
      value: { servers: [{ port: 81, ip: '127.0.0.1', clearContext: false }], label: undefined },
    });
  });
});

describe('kind registry', () => {
  const namers = createKindCategory<string, { base: string }>('namer');
  namers.register({
    kind: 'io.l5d.fs',
    doc: 'files',
    schema: object({ rootDir: required(string(), 'dir'), refresh: withDefault(number({ min: 0 }), 1, 's') }),
    build: (options, context) => `${context.base}/${(options as { rootDir: string }).rootDir}`,
  });
  const schema = object({ namers: required(oneOrMany(namers.schema()), 'namers') });

  it('dispatches on kind and builds with the registered builder', async () => {
    const result = validate(
      schema,
      parseConfigSource('namers:\n  kind: io.l5d.fs\n  rootDir: disco\n', 'c.yaml'),
    );
    if (!('value' in result)) throw new Error('expected a value');
    expect(result.value.namers).toEqual([{ kind: 'io.l5d.fs', options: { rootDir: 'disco', refresh: 1 } }]);
    expect(await namers.build(result.value.namers[0]!, { base: '/etc' })).toBe('/etc/disco');
  });

  it('suggests a kind for a misspelt one and points at the kind field', () => {
    const result = validate(schema, parseConfigSource('namers:\n- kind: io.l5d.fss\n', 'c.yaml'));
    expect('issues' in result && result.issues.map(formatIssue)).toEqual([
      'c.yaml:2:9: namers[0].kind: unknown namer kind "io.l5d.fss" (did you mean "io.l5d.fs"?)',
    ]);
  });

  it('validates a kind options with the kind schema', () => {
    const result = validate(
      schema,
      parseConfigSource('namers:\n- kind: io.l5d.fs\n  rootdir: x\n', 'c.yaml'),
    );
    expect('issues' in result && result.issues.map(formatIssue)).toEqual([
      'c.yaml:3:3: namers[0].rootdir: unknown option "rootdir" (did you mean "rootDir"?)',
      'c.yaml:2:3: namers[0]: missing required option "rootDir"',
    ]);
  });

  it('refuses to register a kind twice', () => {
    expect(() =>
      namers.register({ kind: 'io.l5d.fs', doc: '', schema: object({}), build: () => '' }),
    ).toThrow(/already registered/);
  });
});

describe('dtab in config', () => {
  const schema = object({ dtab: required(dtabSchema(), 'dtab') });
  const issues = (text: string) => {
    const result = validate(schema, parseConfigSource(text, 'l.yaml'));
    return 'issues' in result ? result.issues : [];
  };

  it('parses a one-line dtab', () => {
    const result = validate(schema, parseConfigSource('dtab: /svc => /#/io.l5d.k8s\n', 'l.yaml'));
    expect('value' in result && Dtab.show(result.value.dtab)).toBe('/svc=>/#/io.l5d.k8s');
  });

  it('points a one-line dtab error at the bad character in the file', () => {
    const [issue] = issues('dtab: /svc => /#/io.l5d.k8s ; /a =! /b\n');
    expect(issue).toMatchObject({ file: 'l.yaml', line: 1, column: 35, path: 'dtab' });
    expect(issue!.message).toMatch(/^invalid dtab: /);
  });

  it('points a block dtab error at the right line and column', () => {
    const [issue] = issues('dtab: |\n  /svc => /#/io.l5d.k8s;\n  /a => /b |;\n');
    expect(issue).toMatchObject({ line: 3, path: 'dtab' });
    expect(issue!.column).toBeGreaterThanOrEqual(11);
  });
});
