/**
 * `client.tls` from a config: the router speaks TLS to backends, verifies them against
 * `trustCertsBundle` and `commonName`, and refuses a backend whose certificate names another host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';

const kinds = createDefaultKinds();

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'secure' } }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('upstream TLS from client.tls', () => {
  let dir: string;
  let backend: Server;
  let port: number;
  const linkers: Linker[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-uptls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=test-ca',
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'svc.key',
      '-out',
      'svc.csr',
      '-subj',
      '/CN=backend.internal',
    );
    await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:backend.internal\n');
    openssl(
      'x509',
      '-req',
      '-in',
      'svc.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'svc.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    );
    backend = createServer(
      { key: await readFile(join(dir, 'svc.key')), cert: await readFile(join(dir, 'svc.crt')) },
      (req, res) => {
        req.resume();
        res.end(`secure hello over ${(req.socket as { encrypted?: boolean }).encrypted ? 'tls' : 'plain'}`);
      },
    );
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = (backend.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(linkers.map((l) => l.close()));
    backend.close();
    await rm(dir, { recursive: true, force: true });
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
      trustCertsBundle: ca.crt
`;
    const linker = await Linker.start(parseLinkerConfig(text, 'tls-client.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    linkers.push(linker);
    return linker.routers[0]!.servers[0]!.port;
  }

  it('verifies the backend against the trust bundle and commonName', async () => {
    const answer = await get(await start('backend.internal'));
    expect(answer).toEqual({ status: 200, body: 'secure hello over tls' });
  });

  it('refuses a backend whose certificate does not carry commonName', async () => {
    const answer = await get(await start('other.internal'));
    expect(answer.status).toBe(502);
  });
});
