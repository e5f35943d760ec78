/**
 * Signed dtab overrides: a cookie value carrying a dtab, an expiry and an HMAC-SHA256 signature,
 * for trusted testers ("send me to world-v2 for 8 hours"). The router honours only a value signed
 * by a key it holds and not yet expired, so a client can present one but never write one. Two
 * keys may be active at once: values signed by the old key stay valid while the new one is rolled
 * out.
 *
 * Format (all ASCII, cookie-octet safe): `v1.<keyId>.<expiry>.<dtab>.<signature>`, where
 * `<expiry>` is epoch seconds in decimal, `<dtab>` is the dtab text in base64url, and
 * `<signature>` is base64url(HMAC-SHA256(key, "v1.<keyId>.<expiry>.<dtab>")).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Dtab, Dtab as DtabOps, DtabParseError } from '@switchyard/dtab';
import { IdentifierConfigError } from './errors.js';

/** One signing key. `id` goes into every value it signs, so verification picks the key by id. */
export interface OverrideKey {
  /** 1–32 characters of `[A-Za-z0-9_-]`. */
  readonly id: string;
  /** At least 32 bytes (256 bits), as RFC 2104 §3 recommends for HMAC-SHA256. */
  readonly secret: Uint8Array;
}

/** Why a signed value was not honoured. */
export type SignedOverrideRejection = 'malformed' | 'unknownKey' | 'badSignature' | 'expired' | 'badDtab';

/** The outcome of {@link verifySignedOverride}. */
export type SignedOverrideResult =
  | {
      readonly kind: 'valid';
      readonly dtab: Dtab;
      readonly keyId: string;
      /** Epoch ms. */
      readonly expiresAt: number;
    }
  | { readonly kind: 'rejected'; readonly reason: SignedOverrideRejection; readonly keyId?: string };

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const VALUE = /^v1\.([A-Za-z0-9_-]{1,32})\.([0-9]{1,12})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{43})$/;
const KIND = 'signedDtabOverrides';

/**
 * Checks a key list: one or two keys (the signing key first, then the one being retired), ids
 * distinct and well-formed, secrets of at least 32 bytes. Throws `IdentifierConfigError` naming
 * the key.
 */
export function checkOverrideKeys(keys: readonly OverrideKey[]): void {
  if (keys.length < 1 || keys.length > 2) {
    throw new IdentifierConfigError(
      KIND,
      'keys',
      `expected one or two keys (the signing key, and the previous one while rotating); got ${keys.length}`,
    );
  }
  keys.forEach((key, i) => {
    if (!KEY_ID.test(key.id)) {
      throw new IdentifierConfigError(
        KIND,
        `keys[${i}].id`,
        `expected 1–32 of [A-Za-z0-9_-], got ${JSON.stringify(key.id)}`,
      );
    }
    if (key.secret.byteLength < 32) {
      throw new IdentifierConfigError(
        KIND,
        `keys[${i}].secret`,
        `a key needs at least 32 bytes, got ${key.secret.byteLength}`,
      );
    }
  });
  if (keys.length === 2 && keys[0]!.id === keys[1]!.id) {
    throw new IdentifierConfigError(KIND, 'keys[1].id', `duplicate key id ${JSON.stringify(keys[1]!.id)}`);
  }
}

function sign(secret: Uint8Array, text: string): Buffer {
  return createHmac('sha256', secret).update(text).digest();
}

/**
 * Mints a signed override value with `key`, valid until `expiresAt` (epoch ms, rounded down to a
 * second). Throws `IdentifierConfigError` when `dtab` is not a dtab or the key is unusable.
 */
export function mintSignedOverride(options: {
  readonly dtab: string;
  readonly key: OverrideKey;
  readonly expiresAt: number;
}): string {
  checkOverrideKeys([options.key]);
  try {
    DtabOps.read(options.dtab);
  } catch (err) {
    if (err instanceof DtabParseError)
      throw new IdentifierConfigError(KIND, 'dtab', err.message, { cause: err });
    throw err;
  }
  const expiry = Math.floor(options.expiresAt / 1000);
  const payload = `v1.${options.key.id}.${expiry}.${Buffer.from(options.dtab, 'utf8').toString('base64url')}`;
  return `${payload}.${sign(options.key.secret, payload).toString('base64url')}`;
}

/**
 * Verifies a signed override value against `keys` at time `now` (epoch ms). Never throws: a value
 * that is not well-formed, names a key not held, carries a wrong signature, has expired or holds
 * text that is not a dtab is `rejected` with the reason. The signature is compared in constant
 * time; the dtab is parsed only after the signature checks out.
 */
export function verifySignedOverride(
  value: string,
  keys: readonly OverrideKey[],
  now: number,
): SignedOverrideResult {
  const m = VALUE.exec(value);
  if (m === null) return { kind: 'rejected', reason: 'malformed' };
  const [, keyId, expiry, dtab64, signature] = m as unknown as [string, string, string, string, string];
  const key = keys.find((k) => k.id === keyId);
  if (key === undefined) return { kind: 'rejected', reason: 'unknownKey', keyId };
  const expected = sign(key.secret, value.slice(0, value.length - signature.length - 1));
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { kind: 'rejected', reason: 'badSignature', keyId };
  }
  const expiresAt = Number(expiry) * 1000;
  if (!(now < expiresAt)) return { kind: 'rejected', reason: 'expired', keyId };
  try {
    return {
      kind: 'valid',
      dtab: DtabOps.read(Buffer.from(dtab64, 'base64url').toString('utf8')),
      keyId,
      expiresAt,
    };
  } catch {
    return { kind: 'rejected', reason: 'badDtab', keyId };
  }
}
