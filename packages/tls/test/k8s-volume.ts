/**
 * Writes files the way the kubelet's AtomicWriter updates a Secret volume: a fresh timestamped
 * directory, a `..data_tmp` symlink renamed over `..data`, and stable top-level symlinks
 * (`tls.crt -> ..data/tls.crt`). The files a reader opens by path are never rewritten in place.
 */
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

/** Atomically replaces the volume's content with `files` (name → text). */
export async function writeSecretVolume(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ts = `..2024_01_01_00_00_00.${process.pid}_${++generation}`;
  await mkdir(join(dir, ts));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, ts, name), text);
  let previous: string | undefined;
  try {
    previous = await readlink(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  await symlink(ts, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    try {
      await symlink(join('..data', name), join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true, force: true });
}
