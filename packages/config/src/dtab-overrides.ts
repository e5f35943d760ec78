/**
 * `routers[].dtabOverrides` and `routers[].signedDtabOverrides`: their schema, the start-up check
 * of the signing-key files, and the wrapper that applies them to a router's identifier
 * (`withDtabOverrides` from `@switchyard/identifiers/http`). Both apply on reload without a
 * restart: only the wrapper is rebuilt, the identifiers it wraps keep running.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Identifier, RequestHead, Stats } from '@switchyard/core';
import type { Dtab } from '@switchyard/dtab';
import {
  type DtabOverride,
  dtabOverridesApplied,
  type OverrideKey,
  withDtabOverrides,
} from '@switchyard/identifiers/http';
import type { PathLayer } from '@switchyard/router';
import { requestSpanOf } from '@switchyard/telemetry';
import {
  list,
  number,
  object,
  optional,
  refine,
  reject,
  rejectField,
  required,
  type Schema,
  string,
  withDefault,
} from './schema.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const name = (what: string) =>
  refine(string({ nonEmpty: true }), (text) =>
    TOKEN.test(text)
      ? text
      : reject(`not a ${what} name: ${JSON.stringify(text)}`, "a token: letters, digits, -_.!#$%&'*+^`|~"),
  );

const pattern = refine(string(), (text) => {
  try {
    new RegExp(`^(?:${text})$`);
    return text;
  } catch (error) {
    return reject(`not a regular expression: ${(error as Error).message}`);
  }
});

function condition(what: 'cookie' | 'header') {
  return object(
    {
      name: required(name(what), `The ${what} name${what === 'header' ? ' (case-insensitive)' : ''}.`),
      match: optional(
        pattern,
        'Regular expression the whole value must match (anchored); default any non-empty value.',
      ),
    },
    { name: `when.${what}` },
  );
}

const when = refine(
  object(
    {
      cookie: optional(condition('cookie'), 'Applies to requests carrying this cookie.'),
      header: optional(condition('header'), 'Applies to requests carrying this header.'),
    },
    { name: 'when' },
  ),
  (w) => {
    if (w.cookie !== undefined && w.header !== undefined) {
      return rejectField(['header'], 'give one of cookie and header', 'write two overrides to match either');
    }
    if (w.cookie !== undefined) return { kind: 'cookie' as const, ...w.cookie };
    if (w.header !== undefined) return { kind: 'header' as const, ...w.header };
    return reject('needs cookie or header');
  },
);

/** The schema of `routers[].dtabOverrides`, given the config's dtab schema (file positions). */
export function dtabOverridesSchema(dtab: Schema<Dtab>) {
  return list(
    refine(
      object(
        {
          label: optional(
            refine(string(), (t) =>
              /^[A-Za-z0-9_.-]{1,64}$/.test(t) ? t : reject('expected 1–64 of [A-Za-z0-9_.-]'),
            ),
            'Names the override in metrics and logs; default #<index>.',
          ),
          when: required(
            when,
            'The condition: { cookie: { name, match? } } or { header: { name, match? } }.',
          ),
          dtab: required(dtab, 'Dentries appended to the dtab of matching requests.'),
        },
        { name: 'dtab override' },
      ),
      (o) => (o.dtab.length === 0 ? rejectField(['dtab'], 'no dentries') : o),
    ),
  );
}

/** The schema of `routers[].signedDtabOverrides`. */
export const signedDtabOverridesSchema = object(
  {
    cookie: required(name('cookie'), 'The cookie carrying the signed value, e.g. l5d-override.'),
    keys: required(
      refine(
        list(
          object(
            {
              id: required(
                refine(string(), (t) =>
                  /^[A-Za-z0-9_-]{1,32}$/.test(t) ? t : reject('expected 1–32 of [A-Za-z0-9_-]'),
                ),
                'Key id, written into every value the key signs.',
              ),
              secretPath: required(
                string({ nonEmpty: true }),
                'File holding the HMAC-SHA256 secret (at least 32 bytes; a trailing newline is ignored).',
              ),
            },
            { name: 'signing key' },
          ),
        ),
        (keys) =>
          keys.length < 1 || keys.length > 2
            ? reject(
                `expected one or two keys, got ${keys.length}`,
                'the signing key first, then the previous one while rotating',
              )
            : new Set(keys.map((k) => k.id)).size !== keys.length
              ? reject('key ids must differ')
              : keys,
      ),
      'The signing key first; a second, older key is still accepted (rotation).',
    ),
    maxTtlSecs: withDefault(
      number({ integer: true, min: 1 }),
      86_400,
      'Longest lifetime the admin may mint a cookie with (POST /admin/dtab-overrides/mint).',
    ),
  },
  { name: 'signedDtabOverrides' },
);

/** The two fields on a router config. */
export interface RouterOverrides {
  readonly dtabOverrides?: readonly {
    readonly label?: string | undefined;
    readonly when: DtabOverride['when'];
    readonly dtab: Dtab;
  }[];
  readonly signedDtabOverrides?: {
    readonly cookie: string;
    readonly keys: readonly { readonly id: string; readonly secretPath: string }[];
    readonly maxTtlSecs: number;
  };
}

async function readKey(secretPath: string, baseDir: string): Promise<Buffer> {
  const bytes = await readFile(resolve(baseDir, secretPath));
  // A secret written with `echo` ends in a newline; the newline is not part of the key.
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  return bytes.subarray(0, end);
}

/** A problem with `signedDtabOverrides.keys[key].secretPath`. */
export interface SigningKeyProblem {
  readonly key: number;
  readonly message: string;
  readonly hint?: string;
}

/** Start-up checks of the signing keys: each file readable and at least 32 bytes. */
export async function signingKeyProblems(rc: RouterOverrides, baseDir: string): Promise<SigningKeyProblem[]> {
  const keys = rc.signedDtabOverrides?.keys ?? [];
  const found = await Promise.all(
    keys.map(async (key, i): Promise<SigningKeyProblem[]> => {
      try {
        const secret = await readKey(key.secretPath, baseDir);
        return secret.length >= 32
          ? []
          : [
              {
                key: i,
                message: `${resolve(baseDir, key.secretPath)} holds ${secret.length} bytes; a signing key needs at least 32`,
                hint: 'e.g. openssl rand -base64 48 > key',
              },
            ];
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return [{ key: i, message: `cannot read ${resolve(baseDir, key.secretPath)} (${code})` }];
      }
    }),
  );
  return found.flat();
}

/** Reads the signing keys (in config order). */
export async function readSigningKeys(rc: RouterOverrides, baseDir: string): Promise<OverrideKey[]> {
  return Promise.all(
    (rc.signedDtabOverrides?.keys ?? []).map(async (k) => ({
      id: k.id,
      secret: await readKey(k.secretPath, baseDir),
    })),
  );
}

/**
 * The identifier the router runs: `identifier` with the router's overrides applied, or
 * `identifier` itself when it has none. Counters go to `stats` (`dtab_overrides/…`).
 */
export async function overriddenIdentifier(
  identifier: Identifier<RequestHead>,
  rc: RouterOverrides,
  options: { readonly baseDir: string; readonly stats: Stats },
): Promise<Identifier<RequestHead>> {
  const signed = rc.signedDtabOverrides;
  return withDtabOverrides(identifier, {
    overrides: (rc.dtabOverrides ?? []).map((o) => ({
      ...(o.label === undefined ? {} : { label: o.label }),
      when: o.when,
      dtab: o.dtab,
    })),
    ...(signed === undefined
      ? {}
      : { signed: { cookie: signed.cookie, keys: await readSigningKeys(rc, options.baseDir) } }),
    stats: options.stats,
  });
}

/** Span tag naming the configured overrides applied to a request (labels, comma-separated). */
export const OVERRIDE_SPAN_TAG = 'l5d.dtab_override';
/** Span tag naming a signed override cookie's key (`<cookie>/<key id>`), never the signed value. */
export const SIGNED_OVERRIDE_SPAN_TAG = 'l5d.dtab_override.signed';

/**
 * A path-stack layer tagging the request's span (from the tracing layer) with the overrides its
 * identification applied: {@link OVERRIDE_SPAN_TAG} and {@link SIGNED_OVERRIDE_SPAN_TAG}. Without
 * a span or an override it does nothing but one lookup.
 */
export const overrideTracingLayer: PathLayer = {
  kind: 'path',
  role: 'dtab-override-tracing',
  description: 'tags the request span with the dtab overrides applied (labels, signed key id)',
  layer: (next) => (bound) => {
    const request = bound.identified.request;
    const applied = dtabOverridesApplied(request.head);
    if (applied !== undefined) {
      const span = requestSpanOf(request.exchange.locals);
      if (span?.sampled) {
        if (applied.overrides.length > 0) span.setTag(OVERRIDE_SPAN_TAG, applied.overrides.join(','));
        if (applied.signed !== undefined)
          span.setTag(SIGNED_OVERRIDE_SPAN_TAG, `${applied.signed.cookie}/${applied.signed.keyId}`);
      }
    }
    return next(bound);
  },
};
