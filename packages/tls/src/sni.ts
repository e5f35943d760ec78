/**
 * SNI selection: which certificate answers a ClientHello's server name. Exact names win, then a
 * one-label wildcard (`*.example.com` matches `a.example.com`, not `example.com` nor
 * `a.b.example.com`, as RFC 6125 §6.4.3 and browsers do), then the default certificate.
 * Pure data so the table can be tested without sockets.
 */
import { normalizeName } from './certificate.js';

/** How `selectSni` found its answer. */
export type SniMatch<T> =
  | { readonly kind: 'exact'; readonly name: string; readonly value: T }
  | { readonly kind: 'wildcard'; readonly name: string; readonly value: T }
  | { readonly kind: 'default'; readonly value: T }
  | { readonly kind: 'none' };

/** An immutable lookup table from server names to values (secure contexts, certificates). */
export interface SniIndex<T> {
  readonly exact: ReadonlyMap<string, T>;
  /** Keyed by the suffix after `*.`, e.g. `example.com`. */
  readonly wildcard: ReadonlyMap<string, T>;
  readonly fallback: T | undefined;
}

/**
 * Builds an index from entries in priority order: when two entries claim the same name the
 * earlier one wins, so configuration order decides and an update never flips it at random.
 * `fallback` answers names nothing else claims, and handshakes without SNI.
 */
export function buildSniIndex<T>(
  entries: readonly { readonly names: readonly string[]; readonly value: T }[],
  fallback: T | undefined,
): SniIndex<T> {
  const exact = new Map<string, T>();
  const wildcard = new Map<string, T>();
  for (const { names, value } of entries) {
    for (const raw of names) {
      const name = normalizeName(raw);
      if (name.startsWith('*.')) {
        const suffix = name.slice(2);
        if (suffix !== '' && !wildcard.has(suffix)) wildcard.set(suffix, value);
      } else if (name !== '' && !exact.has(name)) {
        exact.set(name, value);
      }
    }
  }
  return Object.freeze({ exact, wildcard, fallback });
}

/** Looks up `servername` (case-insensitive, trailing dot ignored); `undefined` means no SNI sent. */
export function selectSni<T>(index: SniIndex<T>, servername: string | undefined): SniMatch<T> {
  if (servername !== undefined && servername !== '') {
    const name = normalizeName(servername);
    const exact = index.exact.get(name);
    if (exact !== undefined) return { kind: 'exact', name, value: exact };
    const dot = name.indexOf('.');
    if (dot > 0) {
      const suffix = name.slice(dot + 1);
      const wild = index.wildcard.get(suffix);
      if (wild !== undefined) return { kind: 'wildcard', name: `*.${suffix}`, value: wild };
    }
  }
  return index.fallback === undefined ? { kind: 'none' } : { kind: 'default', value: index.fallback };
}
