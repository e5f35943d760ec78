import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AcmeError } from './errors.js';
import { directoryStorage } from './storage.js';

describe('directoryStorage', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round-trips certificates and account keys, private to the owner', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-store-'));
    const s = directoryStorage(dir);
    expect(await s.loadCertificate('a.example.com')).toBeUndefined();
    expect(await s.loadAccountKey('ca/dir')).toBeUndefined();
    await s.saveCertificate({ host: 'a.example.com', certPem: 'CERT', keyPem: 'KEY' });
    await s.saveCertificate({ host: 'a.example.com', certPem: 'CERT2', keyPem: 'KEY2' });
    await s.saveAccountKey('ca/dir', 'ACCOUNT');
    expect(await s.loadCertificate('a.example.com')).toEqual({
      host: 'a.example.com',
      certPem: 'CERT2',
      keyPem: 'KEY2',
    });
    expect(await s.loadAccountKey('ca/dir')).toBe('ACCOUNT');
    const file = join(dir, 'certificates', 'a.example.com', 'bundle.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8')).certPem).toBe('CERT2');
    expect(s.description).toBe(`dir ${dir}`);
  });

  it('reports a corrupt file as SY_ERR_ACME_STORAGE naming the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-store-'));
    const s = directoryStorage(dir);
    await s.saveCertificate({ host: 'b.example.com', certPem: 'C', keyPem: 'K' });
    const file = join(dir, 'certificates', 'b.example.com', 'bundle.json');
    await writeFile(file, '{"certPem": 1}');
    const err = await s.loadCertificate('b.example.com').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect(err).toMatchObject({ code: 'SY_ERR_ACME_STORAGE', host: 'b.example.com' });
    expect((err as Error).message).toContain(file);
  });

  it('reports an unwritable directory as SY_ERR_ACME_STORAGE', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-store-'));
    await writeFile(join(dir, 'certificates'), 'a file, not a directory');
    const err = await directoryStorage(dir)
      .saveCertificate({ host: 'c.example.com', certPem: 'C', keyPem: 'K' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SY_ERR_ACME_STORAGE' });
  });
});
