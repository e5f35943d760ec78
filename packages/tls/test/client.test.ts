import { X509Certificate } from 'node:crypto';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTlsOptions } from '../src/client.js';
import { createTlsServer, type TlsHttpServer } from '../src/server.js';
import { staticCertificateSource } from '../src/source.js';
import { handshake } from './helpers.js';

let pki: TestPki;
let backend: Issued;
let clientCert: Issued;
let server: TlsHttpServer;
let mtls: TlsHttpServer;
let port: number;
let mtlsPort: number;

beforeAll(async () => {
  pki = await createTestPki();
  backend = await pki.leaf('backend', { cn: 'backend.svc', dns: ['backend.svc'] });
  clientCert = await pki.leaf('router', { cn: 'router.client' });
  const certificates = [
    staticCertificateSource([{ id: 'backend', certPem: backend.certPem, keyPem: backend.keyPem }]),
  ];
  server = createTlsServer({ certificates }, (req, res) => {
    res.end(`hello ${(req.socket as import('node:tls').TLSSocket).servername || '-'}`);
  });
  mtls = createTlsServer(
    { certificates, caCertPath: pki.ca.certPath, requireClientAuth: true },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(`client ${peer.subject?.CN}`);
    },
  );
  port = (await server.listen({ port: 0 })).port;
  mtlsPort = (await mtls.listen({ port: 0 })).port;
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.close(), mtls?.close()]);
  await pki?.dispose();
});

async function get(p: number, connect: ReturnType<typeof clientTlsOptions>): Promise<string> {
  const agent = new Agent({ connect });
  try {
    // Dial the IP, as a router dials pod addresses; the name to verify comes from commonName.
    const res = await request(`https://127.0.0.1:${p}/`, { dispatcher: agent });
    return await res.body.text();
  } finally {
    await agent.close();
  }
}

describe('clientTlsOptions with undici', () => {
  it('verifies the upstream against commonName and sends it as SNI', async () => {
    const options = clientTlsOptions({ commonName: 'backend.svc', trustCertsBundle: pki.ca.certPath });
    expect(options).toMatchObject({
      servername: 'backend.svc',
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    expect(await get(port, options)).toBe('hello backend.svc');
  });

  it('fails with a typed error when the certificate does not match commonName', async () => {
    const options = clientTlsOptions({ commonName: 'other.svc', trustCertsBundle: pki.ca.certPath });
    const err = await get(port, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SY_ERR_TLS_PEER_NAME_MISMATCH' });
    expect((err as Error).message).toContain('"other.svc"');
  });

  it('fails when the upstream CA is not trusted', async () => {
    const options = clientTlsOptions({ commonName: 'backend.svc' });
    await expect(get(port, options)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('skips all verification with disableValidation', async () => {
    const options = clientTlsOptions({ commonName: 'whatever', disableValidation: true });
    expect(options.rejectUnauthorized).toBe(false);
    expect(await get(port, options)).toBe('hello whatever');
  });

  it('presents clientAuth to an mTLS upstream', async () => {
    const withCert = clientTlsOptions({
      commonName: 'backend.svc',
      trustCertsBundle: pki.ca.certPath,
      clientAuth: { certPath: clientCert.certPath, keyPath: clientCert.keyPath },
    });
    expect(await get(mtlsPort, withCert)).toBe('client router.client');
    const without = clientTlsOptions({ commonName: 'backend.svc', trustCertsBundle: pki.ca.certPath });
    await expect(get(mtlsPort, without)).rejects.toThrow();
  });

  it('works with node:tls too and omits SNI for IP commonNames', async () => {
    const options = clientTlsOptions({
      commonName: '127.0.0.1',
      disableValidation: true,
      alpnProtocols: ['http/1.1'],
    });
    expect(options.servername).toBeUndefined();
    const r = await handshake(port, options);
    expect(r.fingerprint256).toBe(new X509Certificate(backend.certPem).fingerprint256);
    expect(r.alpn).toBe('http/1.1');
  });

  it('names the file when configuration is wrong', async () => {
    expect(() => clientTlsOptions({ trustCertsBundle: `${pki.dir}/missing.pem` })).toThrow(
      expect.objectContaining({
        code: 'SY_ERR_TLS_READ_FAILED',
        message: expect.stringContaining('missing.pem'),
      }),
    );
    expect(() => clientTlsOptions({ trustCertsBundle: backend.keyPath })).toThrow(
      expect.objectContaining({ code: 'SY_ERR_TLS_BAD_CA' }),
    );
    const other = await pki.key('other', 'ec-pkcs8');
    expect(() =>
      clientTlsOptions({ clientAuth: { certPath: clientCert.certPath, keyPath: other.keyPath } }),
    ).toThrow(expect.objectContaining({ code: 'SY_ERR_TLS_KEY_MISMATCH', source: clientCert.certPath }));
  });
});
