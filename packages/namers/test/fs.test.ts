/**
 * io.l5d.fs against real files in a temp directory: lookups, weights, live reload (write,
 * atomic rename, delete), malformed lines reported with file:line while the rest serves,
 * subdirectories, host names, a missing root, and the shared per-directory watcher.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Addr, BoundName, Dispose, Name } from '@switchyard/core';
import { Activity } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { fakeClock } from '@switchyard/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedDirWatcher } from '../src/fs/watcher.js';
import {
  createFsNamer,
  FS_LINE_ERROR_CHANNEL,
  type FsLineErrorMessage,
  FsNamerConfigError,
  FsRootError,
} from '../src/fs.js';
import { waitFor, waitForState } from './helpers.js';

let root: string;
const disposers: Dispose[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sy-fs-'));
});

afterEach(async () => {
  for (const d of disposers.splice(0)) d();
  await rm(root, { recursive: true, force: true });
});

function hostPorts(addr: Addr): string[] {
  if (addr.kind !== 'bound') return [addr.kind];
  return addr.addresses.map((a) => `${a.host}:${a.port}${a.weight === 1 ? '' : `*${a.weight}`}`).sort();
}

async function boundName(namer: ReturnType<typeof createFsNamer>, path: string[]): Promise<BoundName> {
  const s = await waitForState(namer.lookup(path), (st) => st.kind !== 'pending');
  if (s.kind !== 'ok' || s.value.kind !== 'leaf') throw new Error(`not a leaf: ${JSON.stringify(s)}`);
  const name = s.value.value;
  if (name.kind !== 'bound') throw new Error('not bound');
  return name;
}

/** Keeps the name's Addr observed for the rest of the test, like a balancer would. */
function hold(name: BoundName): void {
  disposers.push(name.addr.observe(() => {}));
}

describe('io.l5d.fs', () => {
  it('binds /<file>/<residual> to id /#/io.l5d.fs/<file> with the file endpoints and weights', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n127.0.0.2 8081 * 3\n# comment\n');
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['web', 'api', 'v1']);
    expect(name.id).toEqual(['#', 'io.l5d.fs', 'web']);
    expect(name.residual).toEqual(['api', 'v1']);
    const addr = await waitFor(name.addr, (a) => a.kind === 'bound');
    expect(hostPorts(addr)).toEqual(['127.0.0.1:8080', '127.0.0.2:8081*3']);
    expect(namer.kind).toBe('io.l5d.fs');
    expect(namer.prefix).toEqual(['io.l5d.fs']);
  });

  it('uses the prefix it is mounted at for ids', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const namer = createFsNamer({ rootDir: root, prefix: '/disco' });
    expect((await boundName(namer, ['web'])).id).toEqual(['#', 'disco', 'web']);
  });

  it('an unknown file, a directory, a dotfile and the empty path are neg', async () => {
    await mkdir(join(root, 'eu'));
    await writeFile(join(root, '.hidden'), '127.0.0.1 1\n');
    const namer = createFsNamer({ rootDir: root });
    for (const path of [['nope'], ['eu'], ['.hidden'], [], ['..', 'etc']]) {
      const s = await waitForState(namer.lookup(path), (st) => st.kind !== 'pending');
      expect(s).toEqual(Activity.ok({ kind: 'neg' }));
    }
  });

  it('picks up an edit without a restart', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['web']);
    hold(name);
    await waitFor(name.addr, (a) => hostPorts(a).join() === '127.0.0.1:8080');
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n127.0.0.1 9090 * 2\n');
    const addr = await waitFor(name.addr, (a) => hostPorts(a).length === 2);
    expect(hostPorts(addr)).toEqual(['127.0.0.1:8080', '127.0.0.1:9090*2']);
  });

  it('follows an atomic rename-over replace', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['web']);
    hold(name);
    await waitFor(name.addr, (a) => a.kind === 'bound');
    await writeFile(join(root, '.web.tmp'), '127.0.0.9 7000\n');
    await rename(join(root, '.web.tmp'), join(root, 'web'));
    const addr = await waitFor(name.addr, (a) => hostPorts(a).join() === '127.0.0.9:7000');
    expect(hostPorts(addr)).toEqual(['127.0.0.9:7000']);
  });

  it('a new file appears and a deleted file becomes neg (lookup and Addr)', async () => {
    const namer = createFsNamer({ rootDir: root });
    const lookup = namer.lookup(['late']);
    disposers.push(lookup.states.observe(() => {}));
    await waitForState(lookup, (s) => s.kind === 'ok' && s.value.kind === 'neg');
    await writeFile(join(root, 'late'), '127.0.0.1 8080\n');
    const found = await waitForState(lookup, (s) => s.kind === 'ok' && s.value.kind === 'leaf');
    const name = ((found as { value: NameTree<Name> }).value as { value: BoundName }).value;
    hold(name);
    await waitFor(name.addr, (a) => a.kind === 'bound');
    await unlink(join(root, 'late'));
    await waitForState(lookup, (s) => s.kind === 'ok' && s.value.kind === 'neg');
    await waitFor(name.addr, (a) => a.kind === 'neg');
  });

  it('reports a malformed line with file:line on the diagnostics channel and still serves the rest', async () => {
    const seen: FsLineErrorMessage[] = [];
    const onMessage = (m: unknown) => {
      if ((m as FsLineErrorMessage).rootDir === root) seen.push(m as FsLineErrorMessage);
    };
    subscribe(FS_LINE_ERROR_CHANNEL, onMessage);
    disposers.push(() => unsubscribe(FS_LINE_ERROR_CHANNEL, onMessage));
    await writeFile(join(root, 'web'), '127.0.0.1 8080\nthis is not an address\n127.0.0.1 8081\n');
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['web']);
    hold(name); // state() reports what an observed (running) watcher saw
    const addr = await waitFor(name.addr, (a) => a.kind === 'bound');
    expect(hostPorts(addr)).toEqual(['127.0.0.1:8080', '127.0.0.1:8081']);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      file: 'web',
      line: 2,
      text: 'this is not an address',
      prefix: '/io.l5d.fs',
    });
    expect(seen[0]!.error.message).toMatch(/^web:2: malformed address: this is not an address/);
    expect(seen[0]!.error.code).toBe('SY_ERR_NAMERS_FS_LINE');

    const state = namer.state();
    expect(state.status).toBe('ok');
    expect(state.files.web!.entries.map((e) => e.port)).toEqual([8080, 8081]);
    expect(state.files.web!.errors).toEqual([
      {
        line: 2,
        text: 'this is not an address',
        message: expect.stringMatching(/^web:2: malformed address/),
      },
    ]);
  });

  it('resolves subdirectories recursively', async () => {
    await mkdir(join(root, 'eu'));
    await writeFile(join(root, 'eu', 'web'), '127.0.0.1 8080\n');
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['eu', 'web', 'x']);
    expect(name.id).toEqual(['#', 'io.l5d.fs', 'eu', 'web']);
    expect(name.residual).toEqual(['x']);
    expect(hostPorts(await waitFor(name.addr, (a) => a.kind === 'bound'))).toEqual(['127.0.0.1:8080']);
  });

  it('resolves host names through the injected lookup and reports names that do not resolve', async () => {
    const seen: FsLineErrorMessage[] = [];
    const onMessage = (m: unknown) => {
      if ((m as FsLineErrorMessage).rootDir === root) seen.push(m as FsLineErrorMessage);
    };
    subscribe(FS_LINE_ERROR_CHANNEL, onMessage);
    disposers.push(() => unsubscribe(FS_LINE_ERROR_CHANNEL, onMessage));
    await writeFile(join(root, 'web'), 'web.internal 80 * 2\nghost.internal 80\n10.1.1.1 81\n');
    const lookup = async (host: string) => {
      if (host === 'web.internal') return ['10.0.0.1', '10.0.0.2'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const namer = createFsNamer({ rootDir: root, lookup });
    const name = await boundName(namer, ['web']);
    const addr = await waitFor(name.addr, (a) => a.kind === 'bound');
    expect(hostPorts(addr)).toEqual(['10.0.0.1:80*2', '10.0.0.2:80*2', '10.1.1.1:81']);
    expect(seen.map((m) => `${m.file}:${m.line}`)).toEqual(['web:2']);
    expect(seen[0]!.reason).toContain('cannot resolve ghost.internal');
  });

  it('a missing rootDir is a failed lookup until the directory appears', async () => {
    const missing = join(root, 'later');
    const namer = createFsNamer({ rootDir: missing });
    const lookup = namer.lookup(['web']);
    disposers.push(lookup.states.observe(() => {}));
    const failed = await waitForState(lookup, (s) => s.kind === 'failed');
    expect((failed as { error: Error }).error).toBeInstanceOf(FsRootError);
    expect(namer.state().status).toBe('failed');
    await mkdir(missing);
    await writeFile(join(missing, 'web'), '127.0.0.1 8080\n');
    await waitForState(lookup, (s) => s.kind === 'ok' && s.value.kind === 'leaf');
  });

  it('scans on the injected clock: nothing is read until the clock moves', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const clock = fakeClock(1_000);
    const namer = createFsNamer({ rootDir: root, clock, pollIntervalMs: 1000 });
    const lookup = namer.lookup(['web']);
    disposers.push(lookup.states.observe(() => {}));
    expect(lookup.states.sample().kind).toBe('pending');
    clock.advance(0);
    const s = await waitForState(lookup, (st) => st.kind === 'ok');
    const name = ((s as { value: NameTree<Name> }).value as { value: BoundName }).value;
    hold(name);
    await waitFor(name.addr, (a) => a.kind === 'bound');
    await writeFile(join(root, 'web'), '127.0.0.1 9999\n');
    // The rescan (poll or fs.watch) only runs when the fake clock reaches it.
    const polled = waitFor(name.addr, (a) => hostPorts(a).join() === '127.0.0.1:9999');
    clock.advance(1000);
    await polled;
  });

  it('shares one watcher per directory and stops it when nothing observes', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const clock = fakeClock();
    const a = createFsNamer({ rootDir: root, clock, pollIntervalMs: 500 });
    const b = createFsNamer({ rootDir: root, clock, pollIntervalMs: 500 });
    const w = sharedDirWatcher(root, clock, 500);
    const stopA = a.lookup(['web']).states.observe(() => {});
    const stopB = b.lookup(['web']).states.observe(() => {});
    expect(sharedDirWatcher(root, clock, 500)).toBe(w);
    expect(clock.pendingTimers()).toBe(1); // one scan scheduled, not two
    stopA();
    expect(clock.pendingTimers()).toBe(1);
    stopB();
    expect(clock.pendingTimers()).toBe(0);
    expect(sharedDirWatcher(root, clock, 500)).not.toBe(w);
  });

  it('a file over 500 KiB (Linkerd MaxFileSize) is a failed Addr, not a memory hazard', async () => {
    await writeFile(join(root, 'huge'), `${'127.0.0.1 8080\n'.repeat(40_000)}`);
    const namer = createFsNamer({ rootDir: root });
    const name = await boundName(namer, ['huge']);
    const addr = await waitFor(name.addr, (a) => a.kind === 'failed');
    expect(addr.kind === 'failed' && addr.error.message).toMatch(/^cannot read huge: file is 600000 bytes/);
    expect(addr.kind === 'failed' && (addr.error as { code?: string }).code).toBe('SY_ERR_NAMERS_FS_READ');
  });

  it('rejects bad options', () => {
    expect(() => createFsNamer({} as never)).toThrow(FsNamerConfigError);
    expect(() => createFsNamer({ rootDir: root, prefix: 'nope' })).toThrow(/io\.l5d\.fs: prefix:/);
    expect(() => createFsNamer({ rootDir: root, pollIntervalMs: 0 })).toThrow(FsNamerConfigError);
  });
});
