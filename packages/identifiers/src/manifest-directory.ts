/**
 * A watched directory of Kubernetes manifests (`*.yaml`, `*.yml`, `*.json`), the file source of
 * `io.l5d.ingress` and `io.l5d.httproute`: fs events plus a poll (events are not guaranteed on
 * every platform or volume), one scan at a time, a file re-read only when its mtime, size or inode
 * changed. A file that fails to read or parse is reported and keeps its last good objects, so one
 * broken file never changes routing that worked.
 */
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';
import { parseAllDocuments } from 'yaml';

const MANIFEST = /\.(ya?ml|json)$/i;

/** What a manifest directory reports to its owner. `E` is the owner's coded source error. */
export interface ManifestDirectoryOptions<E extends Error> {
  readonly dir: string;
  /** Poll period, ms. Default 1000. */
  readonly pollIntervalMs?: number;
  readonly clock: Clock;
  /** Parses one file; returns the error to report instead of throwing. */
  readonly parse: (file: string, text: string) => KubeObject[] | E;
  /** Builds the error for a directory or file that cannot be read. */
  readonly readError: (path: string, message: string, cause: unknown) => E;
  /** A problem with `path`, or `undefined` once it is fine again. */
  readonly fileError: (path: string, error: E | undefined) => void;
  /** After each scan: the objects of every file, by file name (sorted). */
  readonly deliver: (objects: readonly KubeObject[]) => void;
  /** Once, after the first scan. */
  readonly synced: () => void;
}

/** Starts watching; `stop()` ends the watch and the poll. */
export function watchManifestDirectory<E extends Error>(o: ManifestDirectoryOptions<E>): { stop(): void } {
  const interval = o.pollIntervalMs ?? 1000;
  let stopped = false;
  let running = false;
  let again = false;
  let firstDone = false;
  let timer: TimerHandle | undefined;
  let watcher: FSWatcher | undefined;
  const files = new Map<string, { readonly signature: string; readonly objects: readonly KubeObject[] }>();

  async function scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(o.dir)).filter((n) => MANIFEST.test(n)).sort();
      o.fileError(o.dir, undefined);
    } catch (cause) {
      // Missing directory: nothing new to serve, but keep what was last read.
      o.fileError(o.dir, o.readError(o.dir, `cannot read directory: ${(cause as Error).message}`, cause));
      return;
    }
    for (const gone of [...files.keys()].filter((f) => !names.includes(f))) {
      files.delete(gone);
      o.fileError(join(o.dir, gone), undefined);
    }
    for (const name of names) {
      const full = join(o.dir, name);
      let signature: string;
      try {
        const s = await stat(full);
        signature = `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        continue;
      }
      if (files.get(name)?.signature === signature) continue;
      let parsed: KubeObject[] | E;
      try {
        parsed = o.parse(full, await readFile(full, 'utf8'));
      } catch (cause) {
        parsed = o.readError(full, `cannot read: ${(cause as Error).message}`, cause);
      }
      if (parsed instanceof Error) {
        // Keep the objects last read from this file; remember the signature so it is reported once.
        o.fileError(full, parsed);
        files.set(name, { signature, objects: files.get(name)?.objects ?? [] });
        continue;
      }
      o.fileError(full, undefined);
      files.set(name, { signature, objects: parsed });
    }
    o.deliver([...files.values()].flatMap((f) => f.objects));
  }

  async function run(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await scan();
      } while (again && !stopped);
    } finally {
      running = false;
    }
    if (!firstDone && !stopped) {
      firstDone = true;
      o.synced();
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = o.clock.setTimeout(() => {
      void run().then(schedule);
    }, interval);
  }

  try {
    watcher = fsWatch(o.dir, () => {
      if (!stopped) void run();
    });
    watcher.on('error', () => {});
  } catch {
    // No fs events (missing directory, unsupported platform): the poll still finds changes.
  }
  void run().then(schedule);
  return {
    stop: () => {
      stopped = true;
      if (timer) o.clock.clearTimeout(timer);
      watcher?.close();
    },
  };
}

/**
 * Parses one manifest file (multi-document YAML or JSON): the objects of `kinds` in it, with
 * `kind: List` flattened, or the error for the first YAML problem at `file:line:col`.
 */
export function parseManifestObjects<E extends Error>(
  file: string,
  text: string,
  kinds: ReadonlySet<string>,
  toError: (where: string, message: string, cause: unknown) => E,
): KubeObject[] | E {
  const out: KubeObject[] = [];
  const collect = (doc: unknown): void => {
    if (typeof doc !== 'object' || doc === null) return;
    const o = doc as KubeObject & { items?: unknown };
    if (o.kind === 'List' && Array.isArray(o.items)) {
      for (const item of o.items) collect(item);
      return;
    }
    if (o.kind !== undefined && kinds.has(o.kind) && typeof o.metadata === 'object' && o.metadata !== null) {
      out.push(o);
    }
  };
  for (const doc of parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const pos = err.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      return toError(where, `not valid YAML: ${err.message.split('\n')[0]}`, err);
    }
    collect(doc.toJS());
  }
  return out;
}
