/**
 * `client.tls` from a config: the router speaks TLS to backends, verifies them against
 * `trustCertsBundle` and `commonName`, and refuses a backend whose certificate names another host.
 */
import { createServer, type Server } from 'node:https';
import { dirname } from 'node:path';
import { createTestPki, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';

const kinds = createDefaultKinds();

describe('upstream TLS from client.tls', () => {
  let pki: TestPki;
  let backend: Server;
  let port: number;
  const linkers: Linker[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    const svc = await pki.leaf('svc', { cn: 'backend.internal', dns: ['backend.internal'] });
    backend = createServer({ key: svc.keyPem, cert: svc.certPem }, (req, res) => {
      req.resume();
      res.end(`secure hello over ${(req.socket as { encrypted?: boolean }).encrypted ? 'tls' : 'plain'}`);
    });
    port = await listen(backend);
  });

  afterAll(async () => {
    await Promise.all(linkers.map((l) => l.close()));
    backend.close();
    await pki.dispose();
  });

  async function start(commonName: string): Promise<number> {
    const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/secure => /$/inet/127.0.0.1/${port}
  client:
    tls:
      commonName: ${commonName}
      trustCertsBundle: ca.crt # relative to baseDir, the CA's directory
`;
    const linker = await Linker.start(parseLinkerConfig(text, 'tls-client.yaml', kinds), {
      kinds,
      baseDir: dirname(pki.ca.certPath),
      noAdmin: true,
    });
    linkers.push(linker);
    return linker.routers[0]!.servers[0]!.port;
  }

  it('verifies the backend against the trust bundle and commonName', async () => {
    const answer = await get(await start('backend.internal'), { headers: { host: 'secure' } });
    expect([answer.status, answer.body]).toEqual([200, 'secure hello over tls']);
  });

  it('refuses a backend whose certificate does not carry commonName', async () => {
    const answer = await get(await start('other.internal'), { headers: { host: 'secure' } });
    expect(answer.status).toBe(502);
  });
});
