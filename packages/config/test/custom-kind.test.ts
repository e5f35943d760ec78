/** Users extend the registry from code: a custom identifier kind is validated and built like a built-in. */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    backend = createServer((req, res) => {
      req.resume();
      res.end('tenant backend');
    });
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', r));
    const port = (backend.address() as AddressInfo).port;
    const text = `routers:\n- protocol: http\n  identifier: {kind: acme.tenant, header: x-tenant}\n  servers: [{port: 0}]\n  dtab: /svc/blue => /$/inet/127.0.0.1/${port}\n`;
    linker = await Linker.start(parseLinkerConfig(text, 'c.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    const routerPort = linker.routers[0]!.servers[0]!.port;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: routerPort, path: '/', headers: { 'x-tenant': 'blue' } },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, body: 'tenant backend' });
  });
});
