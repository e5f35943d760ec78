/**
 * Turns parsed `io.l5d.fs` entries into addresses: IP literals are used as they are, host
 * names are looked up (core's `systemDnsLookup` by default, injectable) once per file change. A name that does
 * not resolve is reported like a malformed line and skipped.
 */
import { isIP } from 'node:net';
import type { Address, DnsLookup } from '@switchyard/core';
import { address } from '@switchyard/core';
import { FsLineError } from './errors.js';
import type { FsEntry } from './parse.js';

/** Addresses of a file and the lines whose host did not resolve. */
export interface FsResolved {
  readonly addresses: readonly Address[];
  readonly errors: readonly FsLineError[];
}

/**
 * Resolves `entries` of `file`. Synchronous (returns a value, not a Promise) when every host is
 * an IP literal, so a plain file updates its Addr without a tick of delay.
 */
export function resolveEntries(
  file: string,
  entries: readonly FsEntry[],
  lookup: DnsLookup,
): FsResolved | Promise<FsResolved> {
  const names = new Set<string>();
  for (const e of entries) if (isIP(e.host) === 0) names.add(e.host);
  if (names.size === 0) return build(file, entries, new Map());
  return Promise.all(
    [...names].map(async (name): Promise<[string, readonly string[] | Error]> => {
      try {
        const ips = await lookup(name);
        return [name, ips.length > 0 ? ips : new Error('no addresses')];
      } catch (err) {
        return [name, err instanceof Error ? err : new Error(String(err))];
      }
    }),
  ).then((pairs) => build(file, entries, new Map(pairs)));
}

function build(
  file: string,
  entries: readonly FsEntry[],
  resolved: ReadonlyMap<string, readonly string[] | Error>,
): FsResolved {
  const addresses: Address[] = [];
  const errors: FsLineError[] = [];
  const seen = new Set<string>();
  const add = (host: string, e: FsEntry) => {
    const key = `${host}|${e.port}|${e.weight}`;
    if (seen.has(key)) return; // Linkerd keeps a Set of addresses
    seen.add(key);
    addresses.push(e.weight === 1 ? address(host, e.port) : address(host, e.port, { weight: e.weight }));
  };
  for (const e of entries) {
    const r = resolved.get(e.host);
    if (r === undefined) add(e.host, e);
    else if (r instanceof Error) {
      errors.push(
        new FsLineError(file, e.line, e.text, `cannot resolve ${e.host}: ${r.message}`, { cause: r }),
      );
    } else for (const ip of r) add(ip, e);
  }
  return { addresses, errors };
}
