/**
 * Watches the config file for changes. Kubernetes mounts a ConfigMap as a `..data` symlink that
 * it swaps, so the directory is watched (not the file), with a stat poll as a fallback.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** Calls `onChange(text)` when the file's contents change; returns a stop function. */
export function watchConfigFile(
  file: string,
  onChange: (text: string) => void | Promise<void>,
  options: { readonly pollMs?: number } = {},
): () => void {
  let last: string | undefined;
  let stopped = false;
  let pending: NodeJS.Timeout | undefined;
  const check = async () => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return; // Mid-swap or deleted: keep serving the last config; the next event retries.
    }
    if (last === undefined) {
      last = text;
      return;
    }
    if (text !== last && !stopped) {
      last = text;
      await onChange(text);
    }
  };
  void check();
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => void check(), 100);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name === null || name === basename(file) || name.startsWith('..')) soon();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(() => void check(), options.pollMs ?? 2000);
  poll.unref();
  return () => {
    stopped = true;
    clearTimeout(pending);
    clearInterval(poll);
    watcher?.close();
  };
}
