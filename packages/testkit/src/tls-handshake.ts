/**
 * One TLS handshake for tests: which certificate a server hands out for an SNI name and whether a
 * given CA trusts it. One home for the copies the ACME tests (acme, config) had of it.
 */
import { connect } from 'node:tls';

/** What a handshake saw of the server's certificate. */
export interface TlsHandshake {
  /** The certificate's `subjectAltName` as Node prints it (`DNS:a.test, DNS:b.test`); '' without one. */
  readonly names: string;
  /** Whether `ca` verified the chain for the name. */
  readonly trusted: boolean;
  /** SHA-256 fingerprint of the certificate (`AB:CD:…`): tells two certificates for one name apart. */
  readonly fingerprint: string;
}

/**
 * Handshakes with `127.0.0.1:port` for `servername` trusting only `ca` (an untrusted certificate is
 * reported, not refused), then closes. Rejects when the handshake fails (`code` as Node sets it).
 */
export function tlsHandshake(port: number, servername: string, ca: string | Buffer): Promise<TlsHandshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate();
      resolve({
        names: peer.subjectaltname ?? '',
        trusted: socket.authorized,
        fingerprint: peer.fingerprint256,
      });
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
