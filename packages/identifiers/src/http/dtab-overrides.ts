/**
 * Dtab overrides: operator-configured dentries appended to the dtab of requests that carry a
 * cookie or header (Part V's dogfooding without an edge proxy in front). The client only chooses
 * *whether* an override applies, never *what* it says, so overrides are safe on a server with
 * `clearContext: true`. Optionally, a signed cookie (see `signed-override.ts`) carries a dtab
 * minted by the admin for one tester; only values signed by a held key and not expired count.
 *
 * Implemented as a wrapper around the router's identifier: a matching request's
 * `Identification.dtab` gets the override dentries, which the router binds as
 * base ++ identification ++ local. Nothing in the router changes.
 */
import { channel } from 'node:diagnostics_channel';
import type { Clock, Identification, Identifier, RequestHead, Stats } from '@switchyard/core';
import { nullStats, systemClock } from '@switchyard/core';
import { Dtab, DtabParseError, Path } from '@switchyard/dtab';
import { requestCookieHeader } from './cookies.js';
import { IdentifierConfigError } from './errors.js';
import { checkOverrideKeys, type OverrideKey, verifySignedOverride } from './signed-override.js';

/** The request property an override looks at. `match` is an anchored regular expression. */
export type DtabOverrideCondition =
  | { readonly kind: 'cookie'; readonly name: string; readonly match?: string }
  | { readonly kind: 'header'; readonly name: string; readonly match?: string };

/** One configured override. */
export interface DtabOverride {
  /** Names the override in metrics and events. Default `#<index>`. 1–64 of `[A-Za-z0-9_.-]`. */
  readonly label?: string;
  /**
   * Applies when the cookie (or header) is present, non-empty, and — with `match` — its whole
   * value matches the regular expression (`v2|beta`; anchored like `io.l5d.cookie`'s pattern).
   */
  readonly when: DtabOverrideCondition;
  /** The dentries appended for matching requests (text is parsed here). */
  readonly dtab: Dtab | string;
}

/** Signed override cookies: which cookie carries them and the keys that may have signed them. */
export interface SignedDtabOverridesOptions {
  /** The cookie name, e.g. `l5d-override`. */
  readonly cookie: string;
  /** One or two keys; see `checkOverrideKeys`. */
  readonly keys: readonly OverrideKey[];
}

/** Options of {@link withDtabOverrides}. */
export interface DtabOverridesOptions {
  readonly overrides?: readonly DtabOverride[];
  readonly signed?: SignedDtabOverridesOptions;
  /**
   * Counters `dtab_overrides/<label>/applied`, `dtab_overrides/signed/applied`,
   * `dtab_overrides/signed/rejected/<reason>`, `dtab_overrides/malformed_cookie`.
   */
  readonly stats?: Stats;
  readonly clock?: Clock;
}

/**
 * `switchyard:identifiers:dtabOverride`: a request was given override dentries.
 * Message `{ overrides: string[], dtab: string, path: string, remoteAddress }` (`signed` names a
 * signed cookie, with its key id).
 */
export const DTAB_OVERRIDE_CHANNEL = 'switchyard:identifiers:dtabOverride';
/**
 * `switchyard:identifiers:dtabOverrideRejected`: an override cookie was ignored — malformed
 * (`reason: 'malformedCookie'`), or a signed value that is forged, expired, signed by an unknown
 * key or carries no dtab. Message `{ reason, cookie, keyId?, remoteAddress }`. The request is
 * routed as if the cookie were absent.
 */
export const DTAB_OVERRIDE_REJECTED_CHANNEL = 'switchyard:identifiers:dtabOverrideRejected';

/**
 * The overrides applied to one request, for traces and logs: the labels of the configured ones
 * that matched, and for a signed cookie its name and key id — never its value (a bearer token).
 */
export interface AppliedDtabOverrides {
  readonly overrides: readonly string[];
  readonly signed?: { readonly cookie: string; readonly keyId: string };
}

/** Keyed by the request head the wrapper was called with; entries go with the request. */
const appliedByRequest = new WeakMap<RequestHead, AppliedDtabOverrides>();

/**
 * The overrides `withDtabOverrides` applied to `request` (the head it identified), or `undefined`
 * when none did. A router layer after identification reads it with the head it sees (e.g. to tag
 * the request's span).
 */
export function dtabOverridesApplied(request: RequestHead): AppliedDtabOverrides | undefined {
  return appliedByRequest.get(request);
}

const appliedChannel = channel(DTAB_OVERRIDE_CHANNEL);
const rejectedChannel = channel(DTAB_OVERRIDE_REJECTED_CHANNEL);

const KIND = 'dtabOverrides';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LABEL = /^[A-Za-z0-9_.-]{1,64}$/;
/** Distinct signed dtabs remembered (so one tester's value keeps one `Dtab` object). */
const SIGNED_CACHE = 1000;

interface Compiled {
  readonly label: string;
  readonly test: (req: RequestHead) => boolean;
  readonly dtab: Dtab;
  readonly applied: () => void;
}

function compile(o: DtabOverride, index: number, stats: Stats): Compiled {
  const at = `[${index}]`;
  const label = o.label ?? `#${index}`;
  if (o.label !== undefined && !LABEL.test(o.label)) {
    throw new IdentifierConfigError(
      KIND,
      `${at}.label`,
      `expected 1–64 of [A-Za-z0-9_.-], got ${JSON.stringify(o.label)}`,
    );
  }
  const when = o.when;
  const field = `${at}.when.${when.kind}`;
  if (typeof when.name !== 'string' || !TOKEN.test(when.name)) {
    throw new IdentifierConfigError(
      KIND,
      `${field}.name`,
      `not a ${when.kind} name: ${JSON.stringify(when.name)}`,
    );
  }
  let pattern: RegExp | undefined;
  if (when.match !== undefined) {
    try {
      pattern = new RegExp(`^(?:${when.match})$`);
    } catch (err) {
      throw new IdentifierConfigError(KIND, `${field}.match`, (err as Error).message, { cause: err });
    }
  }
  let dtab: Dtab;
  try {
    dtab = typeof o.dtab === 'string' ? Dtab.read(o.dtab) : o.dtab;
  } catch (err) {
    if (!(err instanceof DtabParseError)) throw err;
    throw new IdentifierConfigError(KIND, `${at}.dtab`, err.message, { cause: err });
  }
  if (dtab.length === 0) throw new IdentifierConfigError(KIND, `${at}.dtab`, 'no dentries');
  const ok = (value: string | undefined) =>
    value !== undefined && value !== '' && (pattern === undefined || pattern.test(value));
  const test =
    when.kind === 'cookie'
      ? (req: RequestHead) => ok(requestCookieHeader(req).cookies.get(when.name))
      : (() => {
          const header = when.name.toLowerCase();
          return (req: RequestHead) => {
            const raw = req.headers[header];
            return ok(raw === undefined || typeof raw === 'string' ? raw : raw.join(','));
          };
        })();
  const counter = stats.counter('dtab_overrides', label, 'applied');
  return { label, test, dtab, applied: () => counter.incr() };
}

/**
 * Wraps `identifier` so that identified requests matching an override get its dentries appended
 * to their `Identification.dtab` (configured overrides in order, then a valid signed cookie's
 * dtab last, so it wins). Unidentified requests and requests matching nothing pass unchanged.
 * Cookies are parsed once per request and only when an override asks. A malformed override cookie
 * or a rejected signed value is ignored (the request routes as without it) and reported on
 * {@link DTAB_OVERRIDE_REJECTED_CHANNEL} and counted.
 *
 * The same combination of identification dtab and overrides yields the same `Dtab` object, as
 * routers key caches by it. Throws `IdentifierConfigError` naming the field of a bad override.
 */
export function withDtabOverrides(
  identifier: Identifier<RequestHead>,
  options: DtabOverridesOptions,
): Identifier<RequestHead> {
  const stats = options.stats ?? nullStats;
  const clock = options.clock ?? systemClock;
  const compiled = (options.overrides ?? []).map((o, i) => compile(o, i, stats));
  const labels = new Set<string>();
  for (const c of compiled) {
    if (labels.has(c.label))
      throw new IdentifierConfigError(KIND, 'label', `duplicate label ${JSON.stringify(c.label)}`);
    labels.add(c.label);
  }
  const signed = options.signed;
  if (signed !== undefined) {
    if (!TOKEN.test(signed.cookie)) {
      throw new IdentifierConfigError(
        'signedDtabOverrides',
        'cookie',
        `not a cookie name: ${JSON.stringify(signed.cookie)}`,
      );
    }
    checkOverrideKeys(signed.keys);
  }
  if (compiled.length === 0 && signed === undefined) return identifier;

  // Cookie names whose malformed values are worth reporting: the ones overrides read.
  const watched = new Set<string>();
  for (const o of options.overrides ?? []) if (o.when.kind === 'cookie') watched.add(o.when.name);
  if (signed !== undefined) watched.add(signed.cookie);
  const malformedCounter = stats.counter('dtab_overrides', 'malformed_cookie');
  const signedApplied = stats.counter('dtab_overrides', 'signed', 'applied');

  // identification dtab (or none) → key of the applied overrides → the combined, shared Dtab.
  const byBase = new WeakMap<Dtab, Map<string, Dtab>>();
  const noBase = new Map<string, Dtab>();
  const signedDtabs = new Map<string, Dtab>();
  const combined = (base: Dtab | undefined, key: string, parts: readonly Dtab[]): Dtab => {
    let memo = base === undefined ? noBase : byBase.get(base);
    if (memo === undefined) {
      memo = new Map();
      byBase.set(base!, memo);
    }
    let dtab = memo.get(key);
    if (dtab === undefined) {
      if (memo.size >= SIGNED_CACHE) memo.clear();
      dtab = parts.reduce((acc, d) => Dtab.concat(acc, d), base ?? Dtab.empty);
      memo.set(key, dtab);
    }
    return dtab;
  };

  return async (req) => {
    const id = await identifier(req);
    if (id.kind !== 'identified') return id;
    if (req.headers.cookie !== undefined && watched.size > 0) {
      for (const name of requestCookieHeader(req).malformed) {
        if (!watched.has(name)) continue;
        malformedCounter.incr();
        if (rejectedChannel.hasSubscribers) {
          rejectedChannel.publish({
            reason: 'malformedCookie',
            cookie: name,
            remoteAddress: req.remoteAddress,
          });
        }
      }
    }
    const applied: Compiled[] = [];
    for (const c of compiled) if (c.test(req)) applied.push(c);
    let signedDtab: Dtab | undefined;
    let signedKey: string | undefined;
    if (signed !== undefined) {
      const value = requestCookieHeader(req).cookies.get(signed.cookie);
      if (value !== undefined && value !== '') {
        const result = verifySignedOverride(value, signed.keys, clock.now());
        if (result.kind === 'valid') {
          signedDtab = signedDtabs.get(value);
          if (signedDtab === undefined) {
            if (signedDtabs.size >= SIGNED_CACHE) signedDtabs.clear();
            signedDtab = result.dtab;
            signedDtabs.set(value, signedDtab);
          }
          signedKey = result.keyId;
        } else {
          stats.counter('dtab_overrides', 'signed', 'rejected', result.reason).incr();
          if (rejectedChannel.hasSubscribers) {
            rejectedChannel.publish({
              reason: result.reason,
              cookie: signed.cookie,
              ...(result.keyId === undefined ? {} : { keyId: result.keyId }),
              remoteAddress: req.remoteAddress,
            });
          }
        }
      }
    }
    if (applied.length === 0 && signedDtab === undefined) return id;
    const parts = applied.map((c) => c.dtab);
    let key = applied.map((c) => c.label).join(',');
    if (signedDtab !== undefined) {
      parts.push(signedDtab);
      key += `|${Dtab.show(signedDtab)}`;
    }
    for (const c of applied) c.applied();
    if (signedDtab !== undefined) signedApplied.incr();
    const dtab = combined(id.dtab, key, parts);
    const record: AppliedDtabOverrides = {
      overrides: applied.map((c) => c.label),
      ...(signedKey === undefined ? {} : { signed: { cookie: signed!.cookie, keyId: signedKey } }),
    };
    // The head identified, and the one the identification hands on when the identifier rewrote it.
    appliedByRequest.set(req, record);
    appliedByRequest.set(id.request, record);
    if (appliedChannel.hasSubscribers) {
      appliedChannel.publish({
        overrides: applied.map((c) => c.label),
        ...(signedKey === undefined ? {} : { signed: { cookie: signed!.cookie, keyId: signedKey } }),
        dtab: Dtab.show(dtab),
        path: Path.show(id.path),
        remoteAddress: req.remoteAddress,
      });
    }
    return { ...id, dtab } satisfies Identification<RequestHead>;
  };
}
