/**
 * Checks of the files a config refers to, run before anything starts: a directory that must
 * exist, PEM files that must be readable, a certificate that must match its private key. Each
 * returns problems instead of throwing, so `--check` lists every one of them.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { KindProblem } from './registry.js';

function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** `field` must name an existing directory (`path` is already resolved). */
export async function directoryProblems(field: string, path: string): Promise<KindProblem[]> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? [] : [{ field, message: `${path} is not a directory` }];
  } catch (error) {
    return [{ field, message: `directory ${path} cannot be read (${reason(error)})` }];
  }
}

/** A file read for a check: its contents or the problem reading it. */
type Read =
  | { readonly ok: true; readonly pem: Buffer }
  | { readonly ok: false; readonly problem: KindProblem };

async function readPem(field: string, path: string): Promise<Read> {
  try {
    return { ok: true, pem: await readFile(path) };
  } catch (error) {
    return { ok: false, problem: { field, message: `cannot read ${path} (${reason(error)})` } };
  }
}

/** `field` must name a readable file (trust bundles, intermediate chains). */
export async function readableProblems(field: string, path: string): Promise<KindProblem[]> {
  const read = await readPem(field, path);
  return read.ok ? [] : [read.problem];
}

/**
 * A certificate and private key pair, as a TLS server or client loads it: both readable, the
 * certificate a PEM X.509 certificate, the key a PEM private key (PKCS#8, PKCS#1 or SEC1), and
 * the certificate's public key the key's (a mismatch is reported at the key).
 */
export async function keyPairProblems(
  cert: { readonly field: string; readonly path: string },
  key: { readonly field: string; readonly path: string },
): Promise<KindProblem[]> {
  const [certRead, keyRead] = await Promise.all([
    readPem(cert.field, cert.path),
    readPem(key.field, key.path),
  ]);
  const problems: KindProblem[] = [];
  let certificate: X509Certificate | undefined;
  let privateKey: KeyObject | undefined;
  if (!certRead.ok) problems.push(certRead.problem);
  else {
    try {
      certificate = new X509Certificate(certRead.pem);
    } catch (error) {
      problems.push({
        field: cert.field,
        message: `${cert.path} holds no PEM certificate (${(error as Error).message})`,
      });
    }
  }
  if (!keyRead.ok) problems.push(keyRead.problem);
  else {
    try {
      privateKey = createPrivateKey(keyRead.pem);
    } catch (error) {
      problems.push({
        field: key.field,
        message: `${key.path} holds no usable PEM private key (${(error as Error).message})`,
      });
    }
  }
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push({
      field: key.field,
      message: `the private key in ${key.path} does not match the certificate in ${cert.path}`,
      hint: `${cert.field} and ${key.field} must be one pair`,
    });
  }
  return problems;
}
