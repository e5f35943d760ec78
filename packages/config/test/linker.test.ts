/**
 * The linker builds what a config describes and serves real traffic: fs namer, identifiers,
 * dtab, admin; `reload` moves traffic on a dtab change without dropping a keep-alive
 * connection and rejects changes that need a restart, leaving the running config serving.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get as httpGet, textBackend } from './http.js';

const kinds = createDefaultKinds();

/** GET with a Host header over the shared keep-alive agent. */
function get(port: number, path: string, agent: Agent, host = 'web') {
  return httpGet(port, { path, agent, headers: { host } });
}

function configText(dir: string, dtab: string, extra = ''): string {
  return `
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: edge
  identifier:
    kind: io.l5d.header.token
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: ${dtab}
${extra}`;
}

describe('Linker', () => {
  let dir: string;
  let blue: { server: Server; port: number };
  let green: { server: Server; port: number };
  let linker: Linker;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-linker-'));
    blue = await textBackend('blue');
    green = await textBackend('green');
    await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
    await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
    linker = await Linker.start(
      parseLinkerConfig(configText(dir, '/svc/web => /#/io.l5d.fs/blue'), 'linker.yaml', kinds),
      {
        kinds,
        baseDir: dir,
        admin: { port: 0 },
      },
    );
  });

  afterAll(async () => {
    agent.destroy();
    await linker.close();
    blue.server.close();
    green.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('routes through the configured identifier, dtab and namer', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    expect(linker.routers[0]!.boundClientIds(['svc', 'web'])).toBeUndefined();
    expect((await get(port, '/', agent)).body).toBe('blue');
    expect((await get(port, '/', agent, 'nowhere')).status).toBe(502);
    expect(linker.routers[0]!.boundClientIds(['svc', 'web'])).toEqual(['/#/io.l5d.fs/blue']);
  });

  it('serves the admin with the router and its metrics', async () => {
    const admin = linker.admin!.address!;
    const { body } = await httpGet(admin.port, { path: '/admin/metrics.json' });
    expect(Object.keys(JSON.parse(body)).some((key) => key.startsWith('rt/edge/'))).toBe(true);
    expect(linker.ready).toBe(true);
  });

  it('applies a dtab change live, on the same keep-alive connection', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    const first = await get(port, '/', agent);
    const result = await linker.reload(
      parseLinkerConfig(configText(dir, '/svc/web => /#/io.l5d.fs/green'), 'linker.yaml', kinds),
    );
    expect(result).toEqual({ kind: 'applied', changes: ['routers[0].dtab'] });
    const second = await get(port, '/', agent);
    expect(second.body).toBe('green');
    expect(second.socket).toBe(first.socket);
  });

  it('rejects a change that needs a restart and keeps serving the running config', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    // A labelled router's protocol is part of what it is (its servers and clients are built for
    // it): the whole reload is refused, naming the field, and the dtab change does not apply.
    const changed = parseLinkerConfig(
      configText(dir, '/svc/web => /#/io.l5d.fs/blue').replace('- protocol: http', '- protocol: h2'),
      'linker.yaml',
      kinds,
    );
    const error = await linker.reload(changed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_RELOAD');
    expect((error as ConfigError).message).toContain(
      'linker.yaml:6:13: routers[0].protocol: protocol changes need a restart',
    );
    expect((await get(port, '/', agent)).body).toBe('green');
  });

  it('applies an identifier change live and keeps the running one when the new one fails', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    const byPath = configText(dir, '/svc/web => /#/io.l5d.fs/green;/svc/blue => /#/io.l5d.fs/blue').replace(
      '    kind: io.l5d.header.token',
      '    kind: io.l5d.path\n    segments: 1',
    );
    const result = await linker.reload(parseLinkerConfig(byPath, 'linker.yaml', kinds));
    expect(result).toEqual({ kind: 'applied', changes: ['routers[0].dtab', 'routers[0].identifier'] });
    expect((await get(port, '/blue/x', agent, 'ignored')).body).toBe('blue');

    // An identifier whose options its factory rejects fails to build: nothing changes.
    const broken = byPath.replace(
      '    kind: io.l5d.path\n    segments: 1',
      '    kind: io.l5d.static\n    path: "not a path"',
    );
    await expect(linker.reload(parseLinkerConfig(broken, 'linker.yaml', kinds))).rejects.toThrow(/path/);
    expect((await get(port, '/blue/x', agent, 'ignored')).body).toBe('blue');
  });

  it('refuses to start a config whose TLS certificate cannot be read, naming the file', async () => {
    const text = configText(dir, '/svc => /#/io.l5d.fs').replace(
      '    ip: 127.0.0.1\n',
      `    ip: 127.0.0.1\n    tls:\n      certPath: ${dir}/missing.crt\n      keyPath: ${dir}/missing.key\n`,
    );
    await expect(
      Linker.start(parseLinkerConfig(text, 'tls.yaml', kinds), { kinds, baseDir: dir, noAdmin: true }),
    ).rejects.toThrow(/missing\.(crt|key)/);
  });
});
