/** Users extend the registry from code: a custom identifier kind is validated and built like a built-in. */
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createDefaultKinds,
  Linker,
  object,
  parseLinkerConfig,
  required,
  string,
} from '../src/index.js';
import { get, textBackend } from './http.js';

describe('custom kinds', () => {
  const kinds = createDefaultKinds();
  kinds.identifier.register({
    kind: 'acme.tenant',
    doc: 'Names requests by tenant header.',
    schema: object({ header: required(string(), 'Header carrying the tenant.') }),
    build: (o, context) => ({
      kind: 'acme.tenant',
      identifier: async (req) => {
        const tenant = req.headers[o.header];
        return typeof tenant === 'string'
          ? { kind: 'identified', path: [context.router?.dstPrefix.slice(1) ?? 'svc', tenant], request: req }
          : { kind: 'unidentified', reason: `${o.header} header is absent` };
      },
    }),
  });
  let backend: Server | undefined;
  let linker: Linker | undefined;
  afterAll(async () => {
    await linker?.close();
    backend?.close();
  });

  it('validates its options like a built-in kind', () => {
    expect(() =>
      parseLinkerConfig(
        'routers:\n- protocol: http\n  identifier: {kind: acme.tenant, heder: x}\n  servers: [{port: 0}]\n',
        'c.yaml',
        kinds,
      ),
    ).toThrow(ConfigError);
  });

  it('routes with the custom identifier', async () => {
    const blue = await textBackend('tenant backend');
    backend = blue.server;
    const port = blue.port;
    const text = `routers:\n- protocol: http\n  identifier: {kind: acme.tenant, header: x-tenant}\n  servers: [{port: 0}]\n  dtab: /svc/blue => /$/inet/127.0.0.1/${port}\n`;
    linker = await Linker.start(parseLinkerConfig(text, 'c.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    const routerPort = linker.routers[0]!.servers[0]!.port;
    const answer = await get(routerPort, { headers: { 'x-tenant': 'blue' } });
    expect([answer.status, answer.body]).toEqual([200, 'tenant backend']);
  });
});
