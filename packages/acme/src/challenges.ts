/**
 * Pending ACME challenge responses, answered by the front door: HTTP-01 tokens
 * (RFC 8555 §8.3) served at `/.well-known/acme-challenge/<token>` before any routing, and
 * TLS-ALPN-01 certificates (RFC 8737) served to a handshake that offers ALPN `acme-tls/1`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The ALPN protocol id of TLS-ALPN-01 (RFC 8737 §6.2). */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

/** The path prefix of HTTP-01 (RFC 8555 §8.3). */
export const HTTP_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/** A TLS-ALPN-01 challenge certificate for one name. */
export interface AlpnChallengeCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** A context built from `certPem`/`keyPem`; the server must also select ALPN `acme-tls/1`. */
  readonly secureContext: SecureContext;
}

/** The live set of pending challenges; the manager adds and removes entries while ordering. */
export interface ChallengeResponder {
  /**
   * Answers an HTTP-01 validation request: when `req` is `GET`/`HEAD` of
   * `/.well-known/acme-challenge/<token>` for a pending token, writes `200` with the key
   * authorization and returns `true`; otherwise writes nothing and returns `false`, and the
   * request goes on to routing. Unknown tokens are not answered here (`false`), so an application
   * that serves its own `/.well-known/` still can.
   */
  handleHttpChallenge(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * The TLS-ALPN-01 certificate to present for a ClientHello with server name `servername`
   * that offers `alpnProtocols`, or `undefined` when the hello is not a challenge (no
   * `acme-tls/1` offered, or no challenge pending for the name). The front door must then
   * negotiate ALPN `acme-tls/1` and send no application data.
   */
  tlsAlpnChallenge(
    servername: string,
    alpnProtocols: readonly string[],
  ): AlpnChallengeCertificate | undefined;
}

/** The mutable side, used by the manager. */
export interface ChallengeStore extends ChallengeResponder {
  setHttp(token: string, keyAuthorization: string): void;
  deleteHttp(token: string): void;
  setAlpn(host: string, certPem: string, keyPem: string): void;
  deleteAlpn(host: string): void;
}

/** Creates an empty challenge store. */
export function createChallengeStore(): ChallengeStore {
  const http = new Map<string, string>();
  const alpn = new Map<string, AlpnChallengeCertificate>();
  return {
    handleHttpChallenge(req, res) {
      const url = req.url;
      if (url === undefined || !url.startsWith(HTTP_CHALLENGE_PREFIX)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const token = url.slice(HTTP_CHALLENGE_PREFIX.length).split('?')[0]!;
      const keyAuthorization = http.get(token);
      if (keyAuthorization === undefined) return false;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': Buffer.byteLength(keyAuthorization),
      });
      res.end(req.method === 'HEAD' ? undefined : keyAuthorization);
      return true;
    },
    tlsAlpnChallenge(servername, alpnProtocols) {
      if (!alpnProtocols.includes(ACME_TLS_ALPN_PROTOCOL)) return undefined;
      return alpn.get(servername.toLowerCase());
    },
    setHttp(token, keyAuthorization) {
      http.set(token, keyAuthorization);
    },
    deleteHttp(token) {
      http.delete(token);
    },
    setAlpn(host, certPem, keyPem) {
      const secureContext = createSecureContext({ cert: certPem, key: keyPem });
      alpn.set(host, { certPem, keyPem, secureContext });
    },
    deleteAlpn(host) {
      alpn.delete(host);
    },
  };
}
