/**
 * The file dtab store (`io.l5d.fs`-style, for runs without Kubernetes): a directory with one file
 * per router name holding its dtab. The version is a hash of the file's content; the directory is
 * watched (fs.watch plus a poll, as fs.watch misses events on some file systems). A file that does
 * not parse is reported and ignored; a changed file is taken once it has stayed the same for a
 * moment (a non-atomic writer's half-written file is never applied). Writes replace the file atomically (temp file + rename) after
 * checking the version; the check and the rename are not atomic across processes.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Activity, type ActivityState, type Stats, Var } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import {
  checkName,
  type DtabStore,
  DtabStoreConfigError,
  DtabStoreConflictError,
  type DtabStoreEvent,
  DtabStoreInvalidError,
  type StoredDtab,
} from './types.js';

export interface FsDtabStoreOptions {
  /** The directory; must exist. */
  readonly dir: string;
  /** Poll interval in ms as a fallback to fs.watch (default 1000). */
  readonly pollIntervalMs?: number;
  readonly onEvent?: (event: DtabStoreEvent) => void;
  /** Counts `dtab_store/applied` and `dtab_store/invalid`. */
  readonly stats?: Stats;
}

/** How long a changed file must stay unchanged before it is read as the store's dtab, ms. */
const SETTLE_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function createFsDtabStore(options: FsDtabStoreOptions): Promise<DtabStore> {
  const { dir } = options;
  const pollMs = options.pollIntervalMs ?? 1000;
  if (!(pollMs > 0)) throw new DtabStoreConfigError(`pollIntervalMs must be > 0, got ${pollMs}`);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new DtabStoreConfigError(`dir ${dir} is not a directory`);
  const closers = new Set<() => void>();
  let seq = 0;
  /** The last read error of a watched file, until a read succeeds. */
  let problem: string | undefined;

  /** One Activity per name, so every observer shares a watch and its last good dtab. */
  const activities = new Map<string, Activity<StoredDtab | undefined>>();

  function observe(name: string): Activity<StoredDtab | undefined> {
    checkName(name);
    const known = activities.get(name);
    if (known) return known;
    const file = join(dir, name);
    const states = Var.async<ActivityState<StoredDtab | undefined>>(Activity.pendingState, (update) => {
      let last: StoredDtab | undefined;
      let seen: string | null = null;
      let stopped = false;
      let running = false;
      let again = false;
      const check = async () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const text = await readText(file).catch((error: Error) => error);
            if (stopped) return;
            problem = text instanceof Error ? `cannot read ${file}: ${text.message}` : undefined;
            if (text instanceof Error) continue; // unreadable for now: keep what we have
            const version = text === undefined ? '' : versionOf(text);
            if (version === seen) continue;
            // A writer that truncates and then writes (an editor, `echo >`, `writeFile`) can be
            // read in between: take a changed file only once a second read a moment later agrees.
            await sleep(SETTLE_MS);
            if (stopped) return;
            const settled = await readText(file).catch((error: Error) => error);
            if (settled instanceof Error || settled !== text) {
              again = true;
              continue;
            }
            seen = version;
            if (text === undefined) {
              if (last !== undefined) options.onEvent?.({ kind: 'removed', name });
              last = undefined;
              update(Activity.ok(undefined));
              continue;
            }
            let dtab: Dtab;
            try {
              dtab = Dtab.read(text);
            } catch (error) {
              const invalid = new DtabStoreInvalidError(file, (error as Error).message, { cause: error });
              options.stats?.counter('dtab_store', 'invalid').incr();
              options.onEvent?.({ kind: 'invalid', name, version, error: invalid });
              update(Activity.ok(last));
              continue;
            }
            last = Object.freeze({ name, dtab, version });
            options.stats?.counter('dtab_store', 'applied').incr();
            options.onEvent?.({ kind: 'applied', stored: last });
            update(Activity.ok(last));
          } while (again && !stopped);
        } finally {
          running = false;
        }
      };
      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(dir, () => void check());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined; // the poll still runs
      }
      const timer = setInterval(() => void check(), pollMs);
      timer.unref();
      void check();
      const stop = () => {
        stopped = true;
        clearInterval(timer);
        watcher?.close();
        closers.delete(stop);
      };
      closers.add(stop);
      return stop;
    });
    const activity = Activity.fromVar(states);
    activities.set(name, activity);
    return activity;
  }

  async function update(name: string, dtab: Dtab, expectedVersion: string | undefined): Promise<StoredDtab> {
    checkName(name);
    const file = join(dir, name);
    const current = await readText(file);
    const currentVersion = current === undefined ? undefined : versionOf(current);
    if (currentVersion !== expectedVersion) throw new DtabStoreConflictError(file, expectedVersion);
    const text = `${Dtab.show(dtab)}\n`;
    seq += 1;
    const temp = join(dir, `.${name}.${process.pid}.${seq}.tmp`);
    await writeFile(temp, text);
    await rename(temp, file);
    return Object.freeze({ name, dtab, version: versionOf(text) });
  }

  return {
    kind: 'io.l5d.fs',
    observe,
    update,
    problem: () => problem,
    async close() {
      for (const stop of [...closers]) stop();
    },
  };
}
