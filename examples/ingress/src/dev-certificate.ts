/**
 * The development certificate for the local default's TLS port: generated on first start and
 * kept in the state directory, so curl's `--cacert` keeps working across restarts.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

/** Names the development certificate is valid for (the post's hosts plus localhost). */
export const DEV_CERT_NAMES = ['localhost', 'hello.world', 'world.v2'] as const;

/** Paths of the certificate and key. */
export interface DevCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly generated: boolean;
}

async function stillValid(certPath: string): Promise<boolean> {
  try {
    const cert = new X509Certificate(await readFile(certPath));
    return Date.parse(cert.validTo) - Date.now() > 7 * 24 * 3600 * 1000;
  } catch {
    return false;
  }
}

/** Returns the certificate in `dir`, generating a fresh one when missing or about to expire. */
export async function ensureDevCertificate(dir: string): Promise<DevCertificate> {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  if (await stillValid(certPath)) return { certPath, keyPath, generated: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          ...DEV_CERT_NAMES.map((value) => ({ type: 2 as const, value })),
          { type: 7 as const, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  // Write key then certificate through renames so a reader never sees a half-written pair.
  await writeFile(`${keyPath}.tmp`, pems.private, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, pems.cert);
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  return { certPath, keyPath, generated: true };
}
