import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

describe('directoryStorage order lock', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const lockPath = (d: string) => join(d, 'certificates', 'a.example.com', 'order.lock');

  it('lets one holder order at a time and is free again after release', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-lock-'));
    const s = directoryStorage(dir);
    const unlock = await s.lockOrder!('a.example.com');
    expect(unlock).toBeTypeOf('function');
    // A second manager on the same directory (same pid here) must wait.
    expect(await directoryStorage(dir).lockOrder!('a.example.com')).toBeUndefined();
    const held = JSON.parse(await readFile(lockPath(dir), 'utf8')) as { pid: number; at: number };
    expect(held.pid).toBe(process.pid);
    unlock!();
    await expect
      .poll(() =>
        stat(lockPath(dir)).then(
          () => true,
          () => false,
        ),
      )
      .toBe(false);
    const again = await s.lockOrder!('a.example.com');
    expect(again).toBeTypeOf('function');
    again!();
  });

  it('waits while another live process holds the lock and takes it over once that pid is gone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-lock-'));
    const s = directoryStorage(dir);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    await mkdir(join(dir, 'certificates', 'a.example.com'), { recursive: true });
    await writeFile(lockPath(dir), JSON.stringify({ pid: child.pid, at: Date.now() }));
    expect(await s.lockOrder!('a.example.com')).toBeUndefined();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const unlock = await s.lockOrder!('a.example.com');
    expect(unlock).toBeTypeOf('function');
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8')).pid).toBe(process.pid);
    unlock!();
  });

  it('takes over a lock older than the bound even if its pid answers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-lock-'));
    await mkdir(join(dir, 'certificates', 'a.example.com'), { recursive: true });
    await writeFile(lockPath(dir), JSON.stringify({ pid: process.ppid, at: Date.now() - 11 * 60_000 }));
    const unlock = await directoryStorage(dir).lockOrder!('a.example.com');
    expect(unlock).toBeTypeOf('function');
    unlock!();
  });
});
