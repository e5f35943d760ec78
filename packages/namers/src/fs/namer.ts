/**
 * `io.l5d.fs`: service discovery from a directory of plain files, Linkerd's `WatchingNamer`.
 * Each file is a service; each line of it is an endpoint. Lookup of `/<file>[/<residual…>]`
 * gives a bound name whose id is `/#<prefix>/<file>` and whose address set follows the file;
 * subdirectories resolve recursively (`/<dir>/<file>/…`). Edits appear without a restart.
 */
import { channel } from 'node:diagnostics_channel';
import { isAbsolute, resolve } from 'node:path';
import type {
  ActivityState,
  Address,
  BoundName,
  Clock,
  Counter,
  Namer,
  Stats,
  Var as VarType,
} from '@switchyard/core';
import { Activity, Addr, type DnsLookup, Name, systemClock, systemDnsLookup, Var } from '@switchyard/core';
import { NameTree, Path } from '@switchyard/dtab';
import { type FsLineError, FsNamerConfigError } from './errors.js';
import { parseFsFile } from './parse.js';
import { resolveEntries } from './resolve.js';
import { type FsDirSnapshot, type FsDirWatcher, sharedDirWatcher } from './watcher.js';

/** The Linkerd kind of {@link createFsNamer}. */
export const FS_KIND = 'io.l5d.fs';

/**
 * Published on `switchyard:namers:fsLineError` for each bad line of a file, every time the file
 * is (re)read: `{ rootDir, prefix, file, line, text, reason, error }`.
 */
export const FS_LINE_ERROR_CHANNEL = 'switchyard:namers:fsLineError';

const lineErrorChannel = channel(FS_LINE_ERROR_CHANNEL);

/** The message published on {@link FS_LINE_ERROR_CHANNEL}. */
export interface FsLineErrorMessage {
  readonly rootDir: string;
  /** The namer prefix, shown (`/io.l5d.fs`). */
  readonly prefix: string;
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly reason: string;
  readonly error: FsLineError;
}

/** Options of {@link createFsNamer}. */
export interface FsNamerOptions {
  /** Required. The directory holding one file per service. Relative paths resolve against `cwd`. */
  readonly rootDir: string;
  /**
   * The prefix the namer is mounted at, without the leading `#`; bound ids are
   * `/#<prefix>/<file>`. Default `/io.l5d.fs`.
   */
  readonly prefix?: string | Path;
  /** Timers for the stat poll. Default `systemClock`. */
  readonly clock?: Clock;
  /** How often every file is stat'ed, in ms, besides fs.watch events. Default 500. */
  readonly pollIntervalMs?: number;
  /** Resolves host names in files. Default core's `systemDnsLookup` (`dns.lookup`, all addresses). */
  readonly lookup?: DnsLookup;
  /** Counters `line_errors` and `reloads` (file contents parsed). */
  readonly stats?: Stats;
}

/** What one file currently says, for the admin `namer_state` view. */
export interface FsFileState {
  /** Endpoints as written (host names not resolved). */
  readonly entries: readonly { host: string; port: number; weight: number; line: number }[];
  /** Lines that were skipped, with `file:line` messages. */
  readonly errors: readonly { line: number; text: string; message: string }[];
  /** Set when the file could not be read. */
  readonly readError?: string;
}

/** A snapshot of the namer, like Linkerd's `/namer_state/io.l5d.fs.json`. */
export interface FsNamerState {
  readonly rootDir: string;
  readonly prefix: string;
  /** `pending` also while nothing observes the namer (the watcher is idle). */
  readonly status: 'pending' | 'ok' | 'failed';
  readonly error?: string;
  readonly files: Readonly<Record<string, FsFileState>>;
}

/** The `io.l5d.fs` namer. */
export interface FsNamer extends Namer {
  readonly kind: typeof FS_KIND;
  /** The mount prefix, without `#`. */
  readonly prefix: Path;
  /** Absolute root directory. */
  readonly rootDir: string;
  /** The files and their problems as last read. */
  state(): FsNamerState;
  /** Re-scan the directory now instead of at the next poll. */
  refresh(): void;
}

const NEG_STATE: ActivityState<NameTree<Name>> = Activity.ok<NameTree<Name>>(NameTree.neg);
const NEG_ACTIVITY = Activity.value<NameTree<Name>>(NameTree.neg);

/**
 * Builds `io.l5d.fs`. File format: `host port` or `host port * weight` per line, `#` comments,
 * blank lines ignored. A malformed line is skipped, published on
 * {@link FS_LINE_ERROR_CHANNEL} with `file:line`, and listed in `state()`; the rest of the file
 * still serves. A deleted file makes lookups `neg` and its Addr `neg`; an unreadable one makes
 * its Addr `failed`; a missing `rootDir` makes lookups `failed` until it appears.
 * @throws {FsNamerConfigError} when `rootDir` is missing or `prefix` is not a path.
 */
export function createFsNamer(options: FsNamerOptions): FsNamer {
  if (typeof options?.rootDir !== 'string' || options.rootDir === '') {
    throw new FsNamerConfigError('rootDir is required');
  }
  const rootDir = isAbsolute(options.rootDir) ? options.rootDir : resolve(options.rootDir);
  let prefix: Path;
  try {
    prefix =
      typeof options.prefix === 'string' ? Path.read(options.prefix) : (options.prefix ?? ['io.l5d.fs']);
  } catch (err) {
    throw new FsNamerConfigError(`prefix: ${(err as Error).message}`, { cause: err });
  }
  if (prefix[0] === '#') prefix = prefix.slice(1);
  const idPrefix: Path = Object.freeze(['#', ...prefix]);
  const prefixText = Path.show(prefix);
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  if (!(pollIntervalMs > 0))
    throw new FsNamerConfigError(`pollIntervalMs must be > 0, got ${pollIntervalMs}`);
  const hostLookup = options.lookup ?? systemDnsLookup;
  const lineErrors: Counter | undefined = options.stats?.counter('line_errors');
  const reloads: Counter | undefined = options.stats?.counter('reloads');

  // Looked up on every acquire: an idle watcher leaves the registry and a new one takes over.
  const watcher = (): FsDirWatcher => sharedDirWatcher(rootDir, clock, pollIntervalMs);
  const addrs = new Map<string, VarType<Addr>>();

  function report(errors: readonly FsLineError[]): void {
    if (errors.length === 0) return;
    lineErrors?.incr(errors.length);
    if (!lineErrorChannel.hasSubscribers) return;
    for (const error of errors) {
      const message: FsLineErrorMessage = {
        rootDir,
        prefix: prefixText,
        file: error.file,
        line: error.line,
        text: error.text,
        reason: error.reason,
        error,
      };
      lineErrorChannel.publish(message);
    }
  }

  /** The live Addr of file `rel`, one per file, shared by all names bound to it. */
  function addrOf(rel: string): VarType<Addr> {
    let v = addrs.get(rel);
    if (v !== undefined) return v;
    v = Var.async<Addr>(Addr.pending, (update) => {
      let version = -1;
      let generation = 0;
      let live = true;
      const release = watcher().acquire((state) => {
        if (state.kind === 'pending') return;
        if (state.kind === 'failed') {
          version = -1;
          generation++;
          update(Addr.failed(state.error));
          return;
        }
        const file = state.value.files.get(rel);
        if (file === undefined) {
          version = -1;
          generation++;
          update(Addr.neg);
          return;
        }
        if (file.version === version) return;
        version = file.version;
        const mine = ++generation;
        if (file.kind === 'error') {
          update(Addr.failed(file.error));
          return;
        }
        reloads?.incr();
        const parsed = parseFsFile(rel, file.text);
        report(parsed.errors);
        const done = (r: { addresses: readonly Address[]; errors: readonly FsLineError[] }) => {
          if (!live || mine !== generation) return;
          report(r.errors);
          update(Addr.bound(r.addresses));
        };
        const resolved = resolveEntries(rel, parsed.entries, hostLookup);
        if (resolved instanceof Promise) void resolved.then(done);
        else done(resolved);
      });
      return () => {
        live = false;
        release();
      };
    });
    addrs.set(rel, v);
    return v;
  }

  /** Where `path` lands in the tree: a file and the residual, or nothing. */
  function locate(snapshot: FsDirSnapshot, path: Path): { rel: string; used: number } | undefined {
    let rel = '';
    for (let i = 0; i < path.length; i++) {
      rel = i === 0 ? path[0]! : `${rel}/${path[i]}`;
      if (snapshot.files.has(rel)) return { rel, used: i + 1 };
      if (!snapshot.dirs.has(rel)) return undefined;
    }
    return undefined; // a directory itself is not a service
  }

  function lookup(path: Path): Activity<NameTree<Name>> {
    // Labels are byte strings; file names with `/`, `.`-prefixed or empty labels never match.
    if (path.length === 0 || path.some((l) => l === '' || l.startsWith('.') || l.includes('/'))) {
      return NEG_ACTIVITY;
    }
    const leaves = new Map<string, ActivityState<NameTree<Name>>>();
    const leafFor = (rel: string, used: number): ActivityState<NameTree<Name>> => {
      let s = leaves.get(rel);
      if (s === undefined) {
        const name: BoundName = Name.bound(
          Object.freeze([...idPrefix, ...path.slice(0, used)]),
          addrOf(rel),
          Object.freeze(path.slice(used)),
        );
        s = Activity.ok<NameTree<Name>>(NameTree.leaf<Name>(name));
        leaves.set(rel, s);
      }
      return s;
    };
    return Activity.fromVar(
      Var.async<ActivityState<NameTree<Name>>>(Activity.pendingState, (update) =>
        watcher().acquire((state) => {
          if (state.kind === 'pending') update(Activity.pendingState);
          else if (state.kind === 'failed') update(Activity.failed(state.error));
          else {
            const hit = locate(state.value, path);
            update(hit === undefined ? NEG_STATE : leafFor(hit.rel, hit.used));
          }
        }),
      ),
    );
  }

  function state(): FsNamerState {
    const s = watcher().state;
    const files: Record<string, FsFileState> = {};
    if (s.kind === 'ok') {
      for (const [rel, file] of [...s.value.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (file.kind === 'error') {
          files[rel] = { entries: [], errors: [], readError: file.error.message };
          continue;
        }
        const parsed = parseFsFile(rel, file.text);
        files[rel] = {
          entries: parsed.entries.map(({ host, port, weight, line }) => ({ host, port, weight, line })),
          errors: parsed.errors.map((e) => ({ line: e.line, text: e.text, message: e.message })),
        };
      }
    }
    return {
      rootDir,
      prefix: prefixText,
      status: s.kind,
      ...(s.kind === 'failed' ? { error: s.error.message } : {}),
      files,
    };
  }

  return Object.freeze({
    kind: FS_KIND,
    prefix: Object.freeze([...prefix]),
    rootDir,
    lookup,
    state,
    refresh: () => watcher().refresh(),
  });
}
