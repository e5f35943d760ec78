/**
 * Watches one `io.l5d.fs` root directory and publishes snapshots of its service files. One
 * watcher runs per (rootDir, clock, poll interval), shared by every namer and every lookup that
 * uses it, and only while something observes it: the first `acquire` starts it, the last
 * release stops it (closing the fs.watch handle and the poll timer).
 *
 * Changes are found two ways: `fs.watch` on the root directory (inotify on Linux; prompt but
 * not guaranteed — it misses subdirectories and some network filesystems), and a stat poll
 * every `pollIntervalMs` that compares inode, size, mtime and ctime of every file. A file that
 * changed is read again; a rename-over (atomic replace) shows up as a new inode; a deleted file
 * disappears from the snapshot. Files and directories whose name starts with `.` are ignored
 * (editor swap files, temporary files of an atomic write, Kubernetes' `..data` links).
 */
import { type Dirent, type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityState, Clock, Dispose, TimerHandle } from '@switchyard/core';
import { Activity } from '@switchyard/core';
import { FsReadError, FsRootError } from './errors.js';

/** The content of one service file as last read. */
export type FsFileSnapshot =
  | { readonly kind: 'text'; readonly text: string; readonly version: number }
  | { readonly kind: 'error'; readonly error: Error; readonly version: number };

/** A snapshot of the whole tree under the root directory. */
export interface FsDirSnapshot {
  /** Service files by path relative to the root, `/`-separated (`web`, `eu/web`). */
  readonly files: ReadonlyMap<string, FsFileSnapshot>;
  /** Subdirectories by relative path. */
  readonly dirs: ReadonlySet<string>;
}

/** Deepest subdirectory nesting scanned below the root. */
const MAX_DEPTH = 16;
/** Linkerd's `Watcher.MaxFileSize`: a bigger service file is a read error, not a memory hazard. */
export const MAX_FILE_BYTES = 500 * 1024;
/** Quiet time after an fs.watch event before scanning, so a write in progress can finish. */
const SETTLE_MS = 30;

interface Known {
  readonly signature: string;
  readonly snapshot: FsFileSnapshot;
}

/** Shared, refcounted watcher of one root directory. */
export class FsDirWatcher {
  readonly rootDir: string;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #onIdle: () => void;
  readonly #listeners = new Set<(state: ActivityState<FsDirSnapshot>) => void>();
  #state: ActivityState<FsDirSnapshot> = Activity.pendingState;
  #known = new Map<string, Known>();
  #dirty = new Set<string>();
  #fsWatcher: FSWatcher | undefined;
  #timer: TimerHandle | undefined;
  #timerDue = 0;
  #scanning = false;
  #again = false;
  #running = false;
  #version = 0;

  constructor(rootDir: string, clock: Clock, pollIntervalMs: number, onIdle: () => void) {
    this.rootDir = rootDir;
    this.#clock = clock;
    this.#pollIntervalMs = pollIntervalMs;
    this.#onIdle = onIdle;
  }

  /** The latest state: pending before the first scan, failed while the root is unreadable. */
  get state(): ActivityState<FsDirSnapshot> {
    return this.#state;
  }

  /**
   * Calls `listener` now with the current state and after every change, until the returned
   * function is called. Starts the watcher if it is idle.
   */
  acquire(listener: (state: ActivityState<FsDirSnapshot>) => void): Dispose {
    this.#listeners.add(listener);
    if (!this.#running) this.#start();
    listener(this.#state);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Runs a scan as soon as possible (tests and admin "reload" use it). */
  refresh(): void {
    this.#schedule(0);
  }

  #start(): void {
    this.#running = true;
    this.#watch();
    this.#schedule(0);
  }

  #stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#fsWatcher?.close();
    this.#fsWatcher = undefined;
    this.#state = Activity.pendingState;
    this.#known = new Map();
    this.#onIdle();
  }

  #watch(): void {
    if (this.#fsWatcher !== undefined) return;
    try {
      const w = watch(this.rootDir, { persistent: false }, (_event, filename) => {
        if (typeof filename === 'string' && filename !== '') this.#dirty.add(filename);
        this.#schedule(SETTLE_MS);
      });
      w.on('error', () => {
        // The directory went away or the watch broke; polling carries on and re-arms it.
        w.close();
        if (this.#fsWatcher === w) this.#fsWatcher = undefined;
        this.#schedule(0);
      });
      this.#fsWatcher = w;
    } catch {
      // Root missing for now: the poll reports it and retries the watch.
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#scanning) {
      this.#again = true;
      return;
    }
    const due = this.#clock.now() + delayMs;
    // Never postpone a scan already due sooner: a stream of events must not starve it.
    if (this.#timer !== undefined) {
      if (this.#timerDue <= due) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#scan();
    }, delayMs);
  }

  async #scan(): Promise<void> {
    if (!this.#running) return;
    this.#scanning = true;
    this.#again = false;
    const dirty = this.#dirty;
    this.#dirty = new Set();
    let next: ActivityState<FsDirSnapshot>;
    try {
      next = await this.#read(dirty);
    } catch (err) {
      next = Activity.failed(new FsRootError(this.rootDir, { cause: err }));
    }
    this.#scanning = false;
    if (!this.#running) return;
    if (next !== this.#state) {
      this.#state = next;
      for (const listener of [...this.#listeners]) listener(next);
    }
    if (this.#fsWatcher === undefined) this.#watch();
    this.#schedule(this.#again ? SETTLE_MS : this.#pollIntervalMs);
  }

  /** Reads the tree; returns the current state object when nothing changed. */
  async #read(dirty: ReadonlySet<string>): Promise<ActivityState<FsDirSnapshot>> {
    const files = new Map<string, FsFileSnapshot>();
    const dirs = new Set<string>();
    const known = new Map<string, Known>();
    let changed = this.#state.kind !== 'ok';

    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (depth === 0) throw err;
        return; // a subdirectory vanished mid-scan
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const full = join(dir, entry.name);
        const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
        let st: Awaited<ReturnType<typeof stat>>;
        try {
          st = await stat(full); // follows symlinks (ConfigMap volumes are links)
        } catch {
          continue; // deleted between readdir and stat, or a dangling link
        }
        if (st.isDirectory()) {
          if (depth < MAX_DEPTH) {
            dirs.add(name);
            await walk(full, name, depth + 1);
          }
          continue;
        }
        if (!st.isFile()) continue;
        const signature = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
        const prev = this.#known.get(name);
        if (prev !== undefined && prev.signature === signature && !dirty.has(name)) {
          files.set(name, prev.snapshot);
          known.set(name, prev);
          continue;
        }
        const snapshot =
          st.size > MAX_FILE_BYTES
            ? ({
                kind: 'error',
                error: new FsReadError(name, {
                  cause: new Error(`file is ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`),
                }),
                version: ++this.#version,
              } as const)
            : await this.#readFile(full, name);
        if (snapshot === undefined) continue; // deleted while reading
        // The file changed again while being read: read it once more on the next pass.
        const after = await stat(full).catch(() => undefined);
        const settled =
          after !== undefined && `${after.ino}:${after.size}:${after.mtimeMs}:${after.ctimeMs}` === signature;
        if (!settled) this.#again = true;
        const same = prev !== undefined && sameContent(prev.snapshot, snapshot);
        const kept = same ? prev.snapshot : snapshot;
        if (!same) changed = true;
        files.set(name, kept);
        known.set(name, { signature: settled ? signature : '', snapshot: kept });
      }
    };
    await walk(this.rootDir, '', 0);

    if (!changed) {
      const prev = (this.#state as { value: FsDirSnapshot }).value;
      changed = prev.files.size !== files.size || prev.dirs.size !== dirs.size;
      if (!changed) for (const d of dirs) if (!prev.dirs.has(d)) changed = true;
      if (!changed) for (const f of files.keys()) if (!prev.files.has(f)) changed = true;
    }
    this.#known = known;
    if (!changed) return this.#state;
    return Activity.ok<FsDirSnapshot>({ files, dirs });
  }

  async #readFile(full: string, name: string): Promise<FsFileSnapshot | undefined> {
    try {
      const text = await readFile(full, 'utf8');
      return { kind: 'text', text, version: ++this.#version };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { kind: 'error', error: new FsReadError(name, { cause: err }), version: ++this.#version };
    }
  }
}

function sameContent(a: FsFileSnapshot, b: FsFileSnapshot): boolean {
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text;
  if (a.kind === 'error' && b.kind === 'error') return a.error.message === b.error.message;
  return false;
}

const registry = new WeakMap<Clock, Map<string, FsDirWatcher>>();

/**
 * The shared watcher of `rootDir` (an absolute path) for `clock` and `pollIntervalMs`, created
 * on first use and forgotten when it goes idle.
 */
export function sharedDirWatcher(rootDir: string, clock: Clock, pollIntervalMs: number): FsDirWatcher {
  let byDir = registry.get(clock);
  if (byDir === undefined) {
    byDir = new Map();
    registry.set(clock, byDir);
  }
  const key = `${pollIntervalMs}\0${rootDir}`;
  let watcher = byDir.get(key);
  if (watcher === undefined) {
    const created: FsDirWatcher = new FsDirWatcher(rootDir, clock, pollIntervalMs, () => {
      if (byDir.get(key) === created) byDir.delete(key);
    });
    watcher = created;
    byDir.set(key, watcher);
  }
  return watcher;
}
