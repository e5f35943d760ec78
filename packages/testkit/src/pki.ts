/**
 * Test-time PKI built with the `openssl` CLI in a temp dir, shared by every package's TLS tests: a CA, leaf certificates with SANs
 * (wildcards included), expired and not-yet-valid certificates (via `openssl ca -startdate/-enddate`,
 * since `-days` cannot be negative), and keys as PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Key formats the tests exercise. */
export type KeyKind = 'ec-sec1' | 'ec-pkcs8' | 'rsa-pkcs1' | 'rsa-pkcs8';

/** A certificate and key on disk and in memory. */
export interface Issued {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options for a leaf certificate. */
export interface LeafOptions {
  readonly cn: string;
  /** DNS SANs; none means the certificate has only a CN. */
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
  readonly key?: KeyKind;
  /** `YYYYMMDDHHMMSSZ` bounds; default: valid from yesterday for `days` (default 365). */
  readonly start?: string;
  readonly end?: string;
  readonly days?: number;
  readonly ca?: TestCa;
}

/** A CA that can sign leaves. */
export interface TestCa extends Issued {
  readonly name: string;
}

/** A temp-dir PKI. `dispose()` deletes everything. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCa;
  newCa(name: string): Promise<TestCa>;
  leaf(name: string, options: LeafOptions): Promise<Issued>;
  /** Generates a key only (e.g. to make a mismatched pair). */
  key(name: string, kind: KeyKind): Promise<{ keyPath: string; keyPem: string }>;
  dispose(): Promise<void>;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 60_000 });
}

async function makeKey(path: string, kind: KeyKind): Promise<void> {
  switch (kind) {
    case 'ec-sec1':
      await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path]);
      return;
    case 'ec-pkcs8':
      await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
      return;
    case 'rsa-pkcs8':
      await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path]);
      return;
    case 'rsa-pkcs1':
      await openssl([
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-out',
        `${path}.p8`,
      ]);
      await openssl(['rsa', '-in', `${path}.p8`, '-traditional', '-out', path]);
      return;
  }
}

/**
 * A time (ms since the epoch, or a Date) as `openssl ca -startdate/-enddate` takes it
 * (`YYYYMMDDHHMMSSZ`, UTC, seconds precision): for {@link LeafOptions} `start` and `end`.
 */
export function certTime(time: number | Date): string {
  return `${new Date(time).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** Creates a PKI with one root CA (`Test Root CA`). */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pki-'));
  // Leaves are signed one at a time: `openssl ca` keeps a database file per CA.
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => {});
    return next;
  };

  const newCa = async (name: string): Promise<TestCa> => {
    const caDir = join(dir, `ca-${name.replace(/\W+/g, '_')}`);
    await mkdir(join(caDir, 'newcerts'), { recursive: true });
    await writeFile(join(caDir, 'index.txt'), '');
    await writeFile(join(caDir, 'serial'), '1000\n');
    const keyPath = join(caDir, 'ca.key');
    const certPath = join(caDir, 'ca.crt');
    await makeKey(keyPath, 'ec-pkcs8');
    await openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyPath,
      '-out',
      certPath,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await writeFile(
      join(caDir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = CA_default',
        '[ CA_default ]',
        `dir = ${caDir}`,
        'database = $dir/index.txt',
        'new_certs_dir = $dir/newcerts',
        'serial = $dir/serial',
        'default_md = sha256',
        'policy = policy_any',
        'unique_subject = no',
        'copy_extensions = none',
        'email_in_dn = no',
        '[ policy_any ]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    return {
      name,
      certPath,
      keyPath,
      certPem: await readFile(certPath, 'utf8'),
      keyPem: await readFile(keyPath, 'utf8'),
    };
  };

  const ca = await newCa('Test Root CA');

  const key = async (name: string, kind: KeyKind) => {
    const keyPath = join(dir, `${name}.key`);
    await makeKey(keyPath, kind);
    return { keyPath, keyPem: await readFile(keyPath, 'utf8') };
  };

  const leaf = async (name: string, o: LeafOptions): Promise<Issued> => {
    const signer = o.ca ?? ca;
    const { keyPath, keyPem } = await key(name, o.key ?? 'ec-pkcs8');
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    const certPath = join(dir, `${name}.crt`);
    await openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', `/CN=${o.cn}`]);
    const sans = [...(o.dns ?? []).map((d) => `DNS:${d}`), ...(o.ip ?? []).map((i) => `IP:${i}`)];
    await writeFile(
      ext,
      [
        'basicConstraints = CA:FALSE',
        'keyUsage = critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage = serverAuth,clientAuth',
        ...(sans.length > 0 ? [`subjectAltName = ${sans.join(',')}`] : []),
        '',
      ].join('\n'),
    );
    const now = Date.now();
    const start = o.start ?? certTime(now - 24 * 3600_000);
    const end = o.end ?? certTime(now + (o.days ?? 365) * 24 * 3600_000);
    const caDir = join(signer.certPath, '..');
    await serialize(() =>
      openssl([
        'ca',
        '-batch',
        '-notext',
        '-config',
        join(caDir, 'ca.cnf'),
        '-cert',
        signer.certPath,
        '-keyfile',
        signer.keyPath,
        '-in',
        csr,
        '-out',
        certPath,
        '-extfile',
        ext,
        '-startdate',
        start,
        '-enddate',
        end,
      ]),
    );
    return { certPath, keyPath, certPem: await readFile(certPath, 'utf8'), keyPem };
  };

  return {
    dir,
    ca,
    newCa,
    leaf,
    key,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
