/** The file dtab store on a real temporary directory. */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispose } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFsDtabStore,
  type DtabStore,
  DtabStoreConfigError,
  DtabStoreConflictError,
  type DtabStoreEvent,
  type StoredDtab,
} from '../src/dtab-store.js';

let dir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dtab-store-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function store(events: DtabStoreEvent[] = []): Promise<DtabStore> {
  const s = await createFsDtabStore({ dir, pollIntervalMs: 50, onEvent: (e) => events.push(e) });
  cleanups.push(() => s.close());
  return s;
}

function watchStore(s: DtabStore, name: string): (StoredDtab | undefined)[] {
  const seen: (StoredDtab | undefined)[] = [];
  const stop: Dispose = s.observe(name).states.observe((st) => {
    if (st.kind === 'ok') seen.push(st.value);
  });
  cleanups.push(stop);
  return seen;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('createFsDtabStore', () => {
  it('every store watching the directory sees a write; a bad file is ignored', async () => {
    const events: DtabStoreEvent[] = [];
    const [a, b] = [await store(events), await store()];
    const seenA = watchStore(a, 'http');
    const seenB = watchStore(b, 'http');
    await until(() => seenA.length > 0 && seenB.length > 0);
    expect(seenA.at(-1)).toBeUndefined();

    const written = await a.update('http', Dtab.read('/svc/web => /svc/web-v2'), undefined);
    await until(() => seenA.at(-1)?.version === written.version && seenB.at(-1)?.version === written.version);
    expect(Dtab.show(seenB.at(-1)!.dtab)).toBe('/svc/web=>/svc/web-v2');

    await writeFile(join(dir, 'http'), '/svc => => nope\n');
    await until(() => events.some((e) => e.kind === 'invalid'));
    const invalid = events.find((e) => e.kind === 'invalid');
    expect(invalid?.kind === 'invalid' && invalid.error.message).toContain(join(dir, 'http'));
    expect(seenA.at(-1)?.version).toBe(written.version);
  });

  it('a file caught between truncate and write is not applied (the half-written read is skipped)', async () => {
    const events: DtabStoreEvent[] = [];
    const s = await store(events);
    const seen = watchStore(s, 'http');
    const first = await s.update('http', Dtab.read('/svc/web => /svc/web-v1'), undefined);
    await until(() => seen.at(-1)?.version === first.version);

    // What an editor or `echo > file` does: truncate, then write a moment later.
    const handle = await open(join(dir, 'http'), 'w');
    await new Promise((r) => setTimeout(r, 15));
    await handle.writeFile('/svc/web => /svc/web-v2\n');
    await handle.close();
    await until(
      () => seen.at(-1)?.dtab !== undefined && Dtab.show(seen.at(-1)!.dtab) === '/svc/web=>/svc/web-v2',
    );

    const applied = events.flatMap((e) => (e.kind === 'applied' ? [Dtab.show(e.stored.dtab)] : []));
    expect(applied).toEqual(['/svc/web=>/svc/web-v1', '/svc/web=>/svc/web-v2']);
  });

  it('a write with a stale version is a typed conflict', async () => {
    const s = await store();
    const first = await s.update('http', Dtab.read('/a => /b'), undefined);
    await s.update('http', Dtab.read('/a => /c'), first.version);
    await expect(s.update('http', Dtab.read('/a => /d'), first.version)).rejects.toBeInstanceOf(
      DtabStoreConflictError,
    );
    await expect(s.update('http', Dtab.read('/a => /d'), undefined)).rejects.toMatchObject({
      code: 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT',
    });
  });

  it('rejects a missing directory by name', async () => {
    await expect(createFsDtabStore({ dir: join(dir, 'nope') })).rejects.toThrow(DtabStoreConfigError);
    await expect(createFsDtabStore({ dir: join(dir, 'nope') })).rejects.toThrow(/nope is not a directory/);
  });
});
