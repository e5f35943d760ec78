/**
 * ACME Renewal Information (RFC 9773): a leader whose CA offers `renewalInfo` asks it about each
 * certificate (by its CertID, checked here against the AKI and serial `openssl` prints) and
 * renews inside the suggested window when it starts before the usual two thirds of the lifetime —
 * never later. The CA is a small HTTPS server speaking only the directory and renewalInfo (its
 * other resources answer 400, so the early renewal shows up as a failed order).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certTime, createTestPki, eventually, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeManager, createAcmeManager, directoryStorage } from '../src/index.js';

const run = promisify(execFile);

/** Poll every 50 ms for up to 15 s. */
const POLL = { timeoutMs: 15_000, intervalMs: 50 } as const;

/** The RFC 9773 CertID computed from `openssl x509` output (independently of the code under test). */
async function expectedCertId(certPath: string): Promise<string> {
  const { stdout } = await run('openssl', [
    'x509',
    '-in',
    certPath,
    '-noout',
    '-ext',
    'authorityKeyIdentifier',
    '-serial',
  ]);
  const keyId =
    /keyid:([0-9A-F:]+)/i.exec(stdout)?.[1] ?? /\n\s+([0-9A-F]{2}(?::[0-9A-F]{2})+)\s*\n/i.exec(stdout)?.[1];
  const serial = /serial=([0-9A-F]+)/i.exec(stdout)?.[1];
  if (keyId === undefined || serial === undefined) throw new Error(`cannot read AKI/serial from:\n${stdout}`);
  let s = serial.length % 2 === 1 ? `0${serial}` : serial;
  if (Number.parseInt(s.slice(0, 2), 16) >= 0x80) s = `00${s}`;
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
  return `${b64(keyId.replace(/:/g, ''))}.${b64(s)}`;
}

describe('ACME Renewal Information', () => {
  let pki: TestPki;
  let ca: Server;
  let port: number;
  let window: { start: string; end: string };
  const asked: string[] = [];
  const dirs: string[] = [];
  const managers: AcmeManager[] = [];
  let leaf: Issued;
  const start = Date.now();
  const day = 86_400_000;

  beforeAll(async () => {
    pki = await createTestPki();
    const wfe = await pki.leaf('ari-ca', { cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
    leaf = await pki.leaf('ari-leaf', {
      cn: 'ari.example.test',
      dns: ['ari.example.test'],
      start: certTime(start - 3600_000),
      end: certTime(start + 90 * day),
    });
    ca = createServer({ cert: wfe.certPem, key: wfe.keyPem }, (req, res) => {
      const base = `https://127.0.0.1:${port}`;
      if (req.url === '/dir') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            newNonce: `${base}/nonce`,
            newAccount: `${base}/account`,
            newOrder: `${base}/order`,
            renewalInfo: `${base}/ari/`,
          }),
        );
        return;
      }
      if (req.url?.startsWith('/ari/')) {
        asked.push(req.url.slice('/ari/'.length));
        res
          .writeHead(200, { 'content-type': 'application/json', 'retry-after': '21600' })
          .end(JSON.stringify({ suggestedWindow: window }));
        return;
      }
      res
        .writeHead(400, { 'content-type': 'application/problem+json' })
        .end('{"type":"urn:ietf:params:acme:error:malformed","detail":"this CA only answers renewalInfo"}');
    });
    await new Promise<void>((r) => ca.listen(0, '127.0.0.1', r));
    port = (ca.address() as { port: number }).port;
  }, 60_000);

  afterAll(async () => {
    for (const m of managers) m.close();
    ca?.close();
    await pki?.dispose();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function manager(): Promise<AcmeManager> {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-ari-'));
    dirs.push(dir);
    const storage = directoryStorage(dir);
    await storage.saveCertificate({ host: 'ari.example.test', certPem: leaf.certPem, keyPem: leaf.keyPem });
    const m = createAcmeManager({
      directoryUrl: `https://127.0.0.1:${port}/dir`,
      directoryCa: pki.ca.certPem,
      termsOfServiceAgreed: true,
      storage,
      hosts: ['ari.example.test'],
      renewal: { fraction: 2 / 3, jitterFraction: 0 },
      retry: { initialMs: 3_600_000 },
    });
    managers.push(m);
    m.start();
    return m;
  }

  it('renews inside a suggested window that starts before the usual renewal time', async () => {
    window = {
      start: new Date(Date.now() - 60_000).toISOString(),
      end: new Date(Date.now() - 30_000).toISOString(),
    };
    const certPath = join(dirs[0] ?? tmpdir(), 'leaf.pem');
    await writeFile(certPath, leaf.certPem);
    const expected = await expectedCertId(certPath);
    const m = await manager();
    const attempted = await eventually(() => m.view()[0]?.lastError !== undefined && m.view()[0], {
      ...POLL,
      what: 'an early order',
    });
    expect(asked).toContain(expected);
    // The renewal time moved into the CA's window, two months before two thirds of the lifetime.
    expect(attempted.renewAt).toBeGreaterThanOrEqual(Date.parse(window.start));
    expect(attempted.renewAt).toBeLessThanOrEqual(Date.parse(window.end));
    // This fake CA cannot issue: the order failed, the certificate is still served.
    expect(m.status()[0]).toMatchObject({ name: 'ari.example.test', state: 'renewing' });
    expect(m.status()[0]?.lastError).toMatch(/ari\.example\.test/);
  });

  it('never renews later than the usual time because of a window', async () => {
    asked.length = 0;
    window = {
      start: new Date(start + 80 * day).toISOString(),
      end: new Date(start + 81 * day).toISOString(),
    };
    const m = await manager();
    await eventually(() => asked.length > 0, { ...POLL, what: 'the renewalInfo question' });
    await new Promise((r) => setTimeout(r, 200));
    const v = m.view()[0]!;
    const notBefore = start - 3600_000;
    expect(Math.abs(v.renewAt! - (notBefore + ((90 * day + 3600_000) * 2) / 3))).toBeLessThan(2_000);
    expect(v.lastAttempt).toBeUndefined();
    expect(m.status()[0]?.state).toBe('valid');
  });
});
