/** The k8s tests' PKI: a CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
import { createTestPki } from '@switchyard/testkit';

export interface Pki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly caPath: string;
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
  dispose(): Promise<void>;
}

export async function makePki(): Promise<Pki> {
  const pki = await createTestPki();
  const server = await pki.leaf('server', {
    cn: '127.0.0.1',
    dns: ['localhost'],
    ip: ['127.0.0.1'],
    key: 'rsa-pkcs8',
  });
  const client = await pki.leaf('client', { cn: 'switchyard', key: 'rsa-pkcs8' });
  return {
    caCert: pki.ca.certPem,
    serverCert: server.certPem,
    serverKey: server.keyPem,
    clientCert: client.certPem,
    clientKey: client.keyPem,
    caPath: pki.ca.certPath,
    clientCertPath: client.certPath,
    clientKeyPath: client.keyPath,
    dispose: () => pki.dispose(),
  };
}
